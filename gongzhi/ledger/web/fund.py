"""Ledger pages: fund (see web/urls.py)."""

urlpatterns: list = []

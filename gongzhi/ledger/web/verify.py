"""Ledger pages: verify (see web/urls.py)."""

urlpatterns: list = []

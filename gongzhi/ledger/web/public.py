"""Ledger pages: public (see web/urls.py)."""

urlpatterns: list = []

"""Ledger pages: books (see web/urls.py)."""

urlpatterns: list = []

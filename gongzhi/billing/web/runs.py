"""Billing pages: runs (being written)."""

urlpatterns: list = []

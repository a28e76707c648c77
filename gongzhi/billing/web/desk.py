"""Billing pages: desk (being written)."""

urlpatterns: list = []

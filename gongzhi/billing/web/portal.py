"""Billing pages: portal (being written)."""

urlpatterns: list = []

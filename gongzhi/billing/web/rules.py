"""Billing pages: rules (being written)."""

urlpatterns: list = []

"""Billing pages: arrears (being written)."""

urlpatterns: list = []

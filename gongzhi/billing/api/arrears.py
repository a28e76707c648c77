"""Billing API: arrears (being written)."""

from ninja import Router

router = Router(tags=["arrears"])

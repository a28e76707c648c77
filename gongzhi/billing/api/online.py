"""Billing API: online payments (being written)."""

from ninja import Router

router = Router(tags=["online payments"])

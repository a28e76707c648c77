"""Billing API: payments (being written)."""

from ninja import Router

router = Router(tags=["payments"])

"""Billing API: bills (being written)."""

from ninja import Router

router = Router(tags=["bills"])

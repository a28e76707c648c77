"""Billing API: fee rules (being written)."""

from ninja import Router

router = Router(tags=["fee rules"])

"""Test helpers for the SLA and dispatch stories: a settable clock and a quick submit."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from gongzhi.tickets.services import ticket_submit

SH = ZoneInfo("Asia/Shanghai")


def local(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


class Clock:
    """timezone.now() for the services, set by the test."""

    def __init__(self, monkeypatch):
        self.now = local(2026, 11, 23, 9)  # a Monday morning
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment

    def advance(self, **delta) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


def submit(desk, actor=None, **kwargs):
    """The resident reports a problem in their home (the desk's category unless told otherwise)."""
    values = {"kind": "repair", "category_id": desk.category.pk, "scope": "private", "house_id": desk.home.pk,
              "title": "厨房水管漏水"}
    values.update(kwargs)
    return ticket_submit(actor=actor or desk.resident, **values)

"""Billing's periodic jobs. Each is idempotent: running it twice, or late, does no harm. Estates one by one: one
failing does not stop the others."""

import datetime
import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


def estates_with_bills() -> list[int]:
    from .models import Bill

    return list(Bill.objects.values_list("estate_id", flat=True).distinct().order_by("estate_id"))


def remind_all(today: datetime.date) -> dict[int, int]:
    """Send the arrears reminders due in every estate (``arrears.arrears_remind``); returns how many per estate."""
    from gongzhi.estate.models import Estate

    from .arrears import arrears_remind

    sent = {}
    for estate_id in estates_with_bills():
        estate = Estate.objects.filter(pk=estate_id).first()
        if estate is None:
            continue
        try:
            sent[estate_id] = arrears_remind(actor=None, estate=estate, on=today).sent
        except Exception:
            log.exception("arrears reminders failed for estate %s", estate_id)
    return sent


def charge_all(month_end: datetime.date) -> dict[int, int]:
    """Issue the late-fee bills accrued by ``month_end`` in every estate that sets a late fee."""
    from gongzhi.estate.models import Estate

    from .late_fees import late_fees_charge

    issued = {}
    for estate_id in estates_with_bills():
        estate = Estate.objects.filter(pk=estate_id).first()
        if estate is None:
            continue
        try:
            issued[estate_id] = late_fees_charge(actor=None, estate=estate, on=month_end).bills
        except Exception:
            log.exception("late fees failed for estate %s", estate_id)
    return issued


@db_periodic_task(crontab(hour="10", minute="23"))
def arrears_reminders():
    """Daily: remind houses in arrears (at most once per house every ``fees.reminder_every_days`` days)."""
    from django.utils import timezone

    remind_all(timezone.localdate())


@db_periodic_task(crontab(day="1", hour="2", minute="41"))
def late_fees_monthly():
    """On the 1st: the late fees accrued by the last day of the month before."""
    from django.utils import timezone

    charge_all(timezone.localdate().replace(day=1) - datetime.timedelta(days=1))


@db_periodic_task(crontab(minute="*/10"))
def close_expired_orders():
    """Every 10 minutes: close unpaid online orders past their expiry (a late notification for one is refused and
    logged; the resident starts a new payment)."""
    from .online import orders_close_expired

    return orders_close_expired()

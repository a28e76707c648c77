"""Helpers for the arrears stories: estate rules, money received on a given day, a moment on a given day."""

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from gongzhi.billing.choices import PaymentMethod
from gongzhi.billing.payments import payment_record

_keys = itertools.count(1)


def set_rules(estate, **rules) -> None:
    """Override the estate's rules: set_rules(estate, late_fee_daily_rate="1/2000") sets fees.late_fee_daily_rate."""
    estate.rule_overrides = {**estate.rule_overrides, **{f"fees.{k}": v for k, v in rules.items()}}
    estate.save(update_fields=["rule_overrides"])


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def pay(actor, house, amount, day: datetime.date, *, bill_ids=None, method=PaymentMethod.CASH):
    """Finance records ``amount`` received in cash on ``day`` for ``house``."""
    return payment_record(actor=actor, house=house, amount=Decimal(amount), method=method,
                          key=f"test-pay-{next(_keys)}", bill_ids=bill_ids, received_at=at(day))


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)

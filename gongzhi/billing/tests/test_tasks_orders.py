"""Story: an online order nobody paid is closed by the periodic job once it expires, and only once."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.billing.choices import OrderStatus
from gongzhi.billing.models import PaymentOrder
from gongzhi.billing.tasks import close_expired_orders

pytestmark = pytest.mark.django_db


def test_the_job_closes_expired_orders_once(fees):
    now = timezone.now()
    expired = PaymentOrder.objects.create(estate=fees.estate, house=fees.houses[0], provider="sandbox",
                                          out_trade_no="GZT1", amount=Decimal("10.00"),
                                          expires_at=now - datetime.timedelta(minutes=1))
    live = PaymentOrder.objects.create(estate=fees.estate, house=fees.houses[0], provider="sandbox",
                                       out_trade_no="GZT2", amount=Decimal("10.00"),
                                       expires_at=now + datetime.timedelta(hours=1))
    assert close_expired_orders.call_local() == 1
    assert close_expired_orders.call_local() == 0
    expired.refresh_from_db(), live.refresh_from_db()
    assert expired.status == OrderStatus.CLOSED and live.status == OrderStatus.CREATED

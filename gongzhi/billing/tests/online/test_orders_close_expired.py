"""Story: an order nobody paid closes after its two hours; a second sweep changes nothing; closing by the payer."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.billing import online
from gongzhi.billing.choices import OrderStatus
from gongzhi.core.errors import Conflict

from .helpers import deliver_wechat, order_for

pytestmark = pytest.mark.django_db


def test_expired_orders_close_once(fees, gateway):
    old, fresh = order_for(fees.owner, fees.houses[0], amount="1.00"), order_for(fees.owner, fees.houses[0],
                                                                                  amount="2.00")
    paid = order_for(fees.owner, fees.houses[0], amount="3.00")
    deliver_wechat(gateway, paid)
    later = old.created_at + datetime.timedelta(hours=2, seconds=1)
    fresh.expires_at = later + datetime.timedelta(hours=1)
    fresh.save(update_fields=["expires_at"])
    assert online.orders_close_expired(now=later) == 1
    assert online.orders_close_expired(now=later) == 0
    for order in (old, fresh, paid):
        order.refresh_from_db()
    assert (old.status, fresh.status, paid.status) == (OrderStatus.CLOSED, OrderStatus.CREATED, OrderStatus.PAID)


def test_nothing_expires_early(fees, gateway):
    order_for(fees.owner, fees.houses[0], amount="1.00")
    assert online.orders_close_expired(now=timezone.now()) == 0


def test_the_payer_cancels_an_unpaid_order_but_not_a_paid_one(fees, gateway):
    order = order_for(fees.owner, fees.houses[0], amount="1.00")
    assert online.order_close(actor=fees.owner, order=order).status == OrderStatus.CLOSED
    paid = order_for(fees.owner, fees.houses[0], amount="2.00")
    deliver_wechat(gateway, paid)
    with pytest.raises(Conflict):
        online.order_close(actor=fees.owner, order=paid)

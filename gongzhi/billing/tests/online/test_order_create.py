"""Story: a resident opens an online payment for their bills, all of them, or an advance amount."""

import datetime
from decimal import Decimal

import pytest

from gongzhi.billing import online
from gongzhi.billing.choices import OrderStatus
from gongzhi.billing.models import PaymentOrder
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.errors import Conflict, DomainError, NotFound

from .helpers import deliver_wechat, order_for

pytestmark = pytest.mark.django_db


def test_the_chosen_bills_make_the_amount(fees, gateway):
    a, b = make_bill(fees.houses[0], ["100.50", "20.00"]), make_bill(fees.houses[0], ["33.33"])
    order = order_for(fees.family, fees.houses[0], bill_ids=[b.pk, a.pk])
    assert order.amount == Decimal("153.83") and order.bill_ids == [b.pk, a.pk]
    assert order.out_trade_no.startswith(f"GZ{fees.estate.pk}X") and len(order.out_trade_no) <= 32
    assert order.expires_at - order.created_at == datetime.timedelta(hours=2)
    assert order.status == OrderStatus.CREATED and order.created_by == fees.family.user


def test_no_bills_means_all_open_bills(fees, gateway):
    make_bill(fees.houses[1], ["10.00"]), make_bill(fees.houses[1], ["5.55"])
    order = order_for(fees.owner, fees.houses[1])
    assert order.amount == Decimal("15.55") and len(order.bill_ids) == 2


def test_an_advance_amount_is_allowed_without_bills(fees, gateway):
    order = order_for(fees.tenant, fees.houses[3], amount="600.00")
    assert order.amount == Decimal("600.00") and order.bill_ids == []


@pytest.mark.parametrize("amount", ["0", "-5", "1.234", "abc"])
def test_absurd_amounts_are_refused(fees, gateway, amount):
    with pytest.raises(DomainError):
        order_for(fees.owner, fees.houses[0], amount=amount)
    assert not PaymentOrder.objects.exists()


def test_nothing_to_pay_is_refused(fees, gateway):
    with pytest.raises(DomainError) as refused:
        order_for(fees.owner, fees.houses[0])
    assert refused.value.code == "nothing_to_pay"


def test_a_paid_bill_is_refused(fees, gateway):
    bill = make_bill(fees.houses[0], ["10.00"])
    deliver_wechat(gateway, order_for(fees.owner, fees.houses[0], bill_ids=[bill.pk]))
    with pytest.raises(Conflict) as refused:
        order_for(fees.owner, fees.houses[0], bill_ids=[bill.pk])
    assert refused.value.code == "bill_settled"


def test_another_houses_bill_or_house_is_not_found(fees, gateway, other_estate):
    theirs = make_bill(fees.houses[2], ["10.00"])
    with pytest.raises(NotFound):
        order_for(fees.owner, fees.houses[0], bill_ids=[theirs.pk])
    with pytest.raises(NotFound):  # owner2's house: not the owner's
        order_for(fees.owner, fees.houses[2], amount="10.00")
    with pytest.raises(NotFound):  # staff who may not pay
        order_for(fees.technician, fees.houses[0], amount="10.00")
    assert not PaymentOrder.objects.exists()


def test_finance_may_open_an_order_for_any_house(fees, gateway):
    assert order_for(fees.finance, fees.houses[2], amount="10.00").house == fees.houses[2]


def test_the_same_key_opens_one_order(fees, gateway):
    bill = make_bill(fees.houses[0], ["10.00"])
    first = online.order_create(actor=fees.owner, house=fees.houses[0], bill_ids=[bill.pk], provider="wechat",
                                key="k-1")
    again = online.order_create(actor=fees.owner, house=fees.houses[0], bill_ids=[bill.pk], provider="wechat",
                                key="k-1")
    assert again.pk == first.pk and PaymentOrder.objects.count() == 1
    assert len([r for r in gateway.requests if r[1] == "/v3/pay/transactions/native"]) >= 1
    with pytest.raises(Conflict) as refused:
        online.order_create(actor=fees.owner, house=fees.houses[0], amount="99.00", provider="wechat", key="k-1")
    assert refused.value.code == "idempotency_key_reused"


def test_a_gateway_that_refuses_leaves_no_order(fees, gateway):
    gateway.fail_next = 500
    with pytest.raises(DomainError) as refused:
        order_for(fees.owner, fees.houses[0], amount="10.00")
    assert refused.value.code == "provider_unavailable" and refused.value.status == 503
    assert not PaymentOrder.objects.exists()


def test_an_alipay_gateway_that_refuses_leaves_no_order(fees, gateway):
    gateway.fail_next = 500
    with pytest.raises(DomainError):
        order_for(fees.owner, fees.houses[0], provider="alipay", amount="10.00")
    assert not PaymentOrder.objects.exists()


def test_the_sandbox_is_the_default_provider(fees, settings):
    settings.BILLING_PROVIDER = ""
    order = online.order_create(actor=fees.owner, house=fees.houses[0], amount="10.00", key="k-sbx")
    assert order.provider == "sandbox" and order.pay_url.endswith(f"/billing/sandbox/{order.pk}/")

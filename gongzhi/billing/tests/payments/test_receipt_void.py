"""receipt_void: a receipt is voided only by a reversing record; the bills open again, the prepaid part is taken
back, the ledger entry is reversed; the receipt keeps its number."""

import datetime
from decimal import Decimal

import pytest

from gongzhi.billing.choices import AllocationSource, BillStatus, PrepaymentKind
from gongzhi.billing.models import BillingAccount, PaymentAllocation, PrepaymentEntry, Receipt, ReceiptVoid
from gongzhi.billing.payments import balance_check, house_balance, payment_record, prepayment_apply
from gongzhi.billing.receipts import receipt_void
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.estate.tests.factories import EstateFactory
from gongzhi.ledger.models import JournalEntry

pytestmark = pytest.mark.django_db


def pay(fees, house, amount, key):
    return payment_record(actor=fees.finance, house=house, amount=Decimal(amount), method="cash", key=key)


def test_void_reopens_the_bills_and_takes_back_the_prepayment(fees):
    # given a payment of 300 that settled a 260.70 bill and kept 39.30
    house = fees.houses[0]
    bill = make_bill(house, ["260.70"])
    payment = pay(fees, house, "300.00", "k")
    # when finance voids its receipt
    void = receipt_void(actor=fees.finance, receipt=payment.receipt, reason="录入错误")
    # then the bill is open again, the balance is back to zero, and the receipt keeps its number
    bill.refresh_from_db()
    assert (bill.settled, bill.status) == (Decimal("0.00"), BillStatus.OPEN)
    assert BillingAccount.objects.get(house=house).prepaid == Decimal("0.00")
    assert PaymentAllocation.objects.get(source=AllocationSource.VOID).amount == Decimal("-260.70")
    assert PrepaymentEntry.objects.get(kind=PrepaymentKind.VOID).amount == Decimal("-39.30")
    assert Receipt.objects.get(pk=payment.receipt.pk).number == 1 and void.reason == "录入错误"
    # and the ledger's payment entry is reversed
    entry = JournalEntry.objects.get(reference=f"billing:payment:{payment.pk}")
    assert JournalEntry.objects.filter(reverses=entry).count() == 1
    balance = house_balance(house)
    assert (balance.paid, balance.outstanding, balance.net) == (Decimal("0.00"), Decimal("260.70"),
                                                                Decimal("260.70"))
    assert balance_check(house).ok


def test_voiding_twice_returns_the_first_void(fees):
    payment = pay(fees, fees.houses[0], "10.00", "k")
    first = receipt_void(actor=fees.finance, receipt=payment.receipt, reason="x")
    again = receipt_void(actor=fees.manager, receipt=payment.receipt, reason="y")
    assert again.pk == first.pk and ReceiptVoid.objects.count() == 1
    assert PrepaymentEntry.objects.filter(kind=PrepaymentKind.VOID).count() == 1


def test_void_is_refused_when_the_prepayment_was_already_drawn(fees):
    # given a payment kept entirely as prepayment, then drawn into a new bill
    house = fees.houses[0]
    payment = pay(fees, house, "100.00", "k")
    make_bill(house, ["80.00"], period_start=datetime.date(2026, 3, 1))
    prepayment_apply(estate=fees.estate)
    # when finance voids it: refused, with what to do, and nothing written
    with pytest.raises(Conflict) as err:
        receipt_void(actor=fees.finance, receipt=payment.receipt, reason="x")
    assert err.value.code == "prepayment_used"
    assert err.value.detail == {"deposit": "100.00", "balance": "20.00"}
    assert "adjustment" in err.value.text("en")
    assert not ReceiptVoid.objects.exists()
    assert balance_check(house).ok


def test_only_finance_and_the_manager_void(fees):
    payment = pay(fees, fees.houses[0], "10.00", "k")
    for actor in (fees.owner, fees.service, fees.chair):
        with pytest.raises(Forbidden):
            receipt_void(actor=actor, receipt=payment.receipt, reason="x")


def test_a_reason_is_required(fees):
    payment = pay(fees, fees.houses[0], "10.00", "k")
    with pytest.raises(DomainError) as err:
        receipt_void(actor=fees.finance, receipt=payment.receipt, reason="  ")
    assert err.value.detail["field"] == "reason"


def test_another_estates_receipt_is_not_found(fees, actor_for):
    other = EstateFactory()
    payment = pay(fees, fees.houses[0], "10.00", "k")
    with pytest.raises(NotFound):
        receipt_void(actor=actor_for("finance", other), receipt=payment.receipt, reason="x")


def test_a_voided_payment_can_be_recorded_again_with_a_new_key(fees):
    house = fees.houses[0]
    bill = make_bill(house, ["50.00"])
    payment = pay(fees, house, "50.00", "k1")
    receipt_void(actor=fees.finance, receipt=payment.receipt, reason="wrong amount")
    second = pay(fees, house, "50.00", "k2")
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and second.receipt.number == 2
    assert balance_check(house).ok

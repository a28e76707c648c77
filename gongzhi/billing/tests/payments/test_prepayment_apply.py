"""prepayment_apply: a house's prepayment balance settles its new bills, oldest first, with one ledger entry per
call; cheap when nobody has a balance."""

import datetime
from decimal import Decimal

import pytest

from gongzhi.billing.choices import AllocationSource, BillStatus, PrepaymentKind
from gongzhi.billing.models import BillingAccount, PaymentAllocation, PrepaymentEntry
from gongzhi.billing.payments import balance_check, payment_record, prepayment_apply
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.ledger.models import JournalEntry

from .helpers import entry_lines

pytestmark = pytest.mark.django_db


def deposit(fees, house, amount, key):
    return payment_record(actor=fees.finance, house=house, amount=Decimal(amount), method="cash", key=key)


def test_balance_is_drawn_into_new_bills_oldest_first(fees):
    # given a house with 300 prepaid and two new bills of 100 and 250
    house = fees.houses[0]
    deposit(fees, house, "300.00", "p1")
    feb = make_bill(house, ["250.00"], period_start=datetime.date(2026, 2, 1))
    jan = make_bill(house, ["100.00"], period_start=datetime.date(2026, 1, 1))
    # when the prepayments are applied
    total = prepayment_apply(estate=fees.estate)
    # then January is settled, February gets 200, and the balance is empty
    assert total == Decimal("300.00")
    jan.refresh_from_db()
    feb.refresh_from_db()
    assert jan.status == BillStatus.PAID and (feb.settled, feb.status) == (Decimal("200.00"), BillStatus.OPEN)
    assert BillingAccount.objects.get(house=house).prepaid == Decimal("0.00")
    draws = PrepaymentEntry.objects.filter(house=house, kind=PrepaymentKind.DRAW)
    assert sorted(draws.values_list("bill_id", "amount")) == sorted([(jan.pk, Decimal("-100.00")),
                                                                     (feb.pk, Decimal("-200.00"))])
    assert set(PaymentAllocation.objects.filter(bill__in=[jan, feb]).values_list("source", "payment")) == {
        (AllocationSource.PREPAYMENT, None)}
    # and one ledger entry moves 300 from prepaid fees to receivable
    entry = JournalEntry.objects.get(estate=fees.estate, reference__startswith="billing:prepayment-draw:")
    assert entry_lines(entry.reference, fees.estate) == [("2201", "300.00", "0.00"), ("1122", "0.00", "300.00")]
    assert balance_check(house).ok


def test_many_houses_in_one_call_one_entry(fees):
    for i, house in enumerate(fees.houses):
        deposit(fees, house, "50.00", f"p{i}")
        make_bill(house, ["30.00"])
    assert prepayment_apply(estate=fees.estate) == Decimal("120.00")
    assert JournalEntry.objects.filter(reference__startswith="billing:prepayment-draw:").count() == 1
    assert all(a.prepaid == Decimal("20.00") for a in BillingAccount.objects.all())
    # and applying again finds no open bill: nothing more happens
    assert prepayment_apply(estate=fees.estate) == Decimal("0")
    assert JournalEntry.objects.filter(reference__startswith="billing:prepayment-draw:").count() == 1


def test_only_the_houses_asked_for(fees):
    for i, house in enumerate(fees.houses[:2]):
        deposit(fees, house, "50.00", f"p{i}")
        make_bill(house, ["30.00"])
    assert prepayment_apply(estate=fees.estate, house_ids=[fees.houses[1].pk]) == Decimal("30.00")
    assert BillingAccount.objects.get(house=fees.houses[0]).prepaid == Decimal("50.00")
    assert prepayment_apply(estate=fees.estate, house_ids=[]) == Decimal("0")


def test_no_balance_anywhere_is_one_query(fees, django_assert_num_queries):
    make_bill(fees.houses[0], ["30.00"])
    with django_assert_num_queries(1):
        assert prepayment_apply(estate=fees.estate) == Decimal("0")


def test_another_estates_balance_is_untouched(fees, estate_factory=None):
    from gongzhi.estate.tests.factories import EstateFactory, HouseFactory

    other = HouseFactory(estate=EstateFactory())
    payment_record(actor=None, house=other, amount=Decimal("40.00"), method="sandbox", key="o1",
                   check_permission=False)
    make_bill(other, ["40.00"])
    assert prepayment_apply(estate=fees.estate) == Decimal("0")
    assert BillingAccount.objects.get(house=other).prepaid == Decimal("40.00")

"""adjustment_create: finance corrects an issued bill with a signed amount and a reason, never below what was paid."""

from decimal import Decimal

import pytest

from gongzhi.billing.bills import adjustment_create, bill_balance_check, bill_one_off_issue
from gongzhi.billing.choices import AllocationSource, BillStatus
from gongzhi.billing.models import Adjustment, Bill, PaymentAllocation
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound

from .helpers import entries, posted

pytestmark = pytest.mark.django_db


def pay(bill, amount):
    """Money applied to the bill, as the payments service leaves it."""
    PaymentAllocation.objects.create(estate=bill.estate, bill=bill, source=AllocationSource.PREPAYMENT,
                                     amount=Decimal(amount))
    Bill.objects.filter(pk=bill.pk).update(settled=Decimal(amount))
    bill.refresh_from_db()


def test_a_credit_lowers_the_bill_and_is_posted_against_its_income(fees):
    # given an issued bill of 260.70 (property fee)
    bill = make_bill(fees.houses[0], ["260.70"])
    # when finance credits 60.70 for a service failure
    adj = adjustment_create(actor=fees.finance, bill=bill, amount="-60.70", reason="电梯停运补偿", key="adj-1")
    # then the bill asks for 200.00, and the ledger has Dr 4001 / Cr 1122
    bill.refresh_from_db()
    assert (adj.amount, bill.adjusted, bill.total, bill.status) == (Decimal("-60.70"), Decimal("-60.70"),
                                                                   Decimal("200.00"), BillStatus.OPEN)
    assert posted(fees.estate, f"billing:adjustment:{adj.pk}") == [("4001", Decimal("60.70"), Decimal("0")),
                                                                  ("1122", Decimal("0"), Decimal("60.70"))]
    assert bill_balance_check(bill).ok


def test_a_debit_adds_to_the_bill(fees):
    bill = bill_one_off_issue(actor=fees.finance, house=fees.houses[1], description="维修", amount="50",
                              source_key="r:1")
    adj = adjustment_create(actor=fees.finance, bill=bill, amount="15.50", reason="补收材料费", key="adj-2")
    bill.refresh_from_db()
    assert bill.total == Decimal("65.50")
    assert posted(fees.estate, f"billing:adjustment:{adj.pk}") == [("1122", Decimal("15.50"), Decimal("0")),
                                                                  ("4009", Decimal("0"), Decimal("15.50"))]


def test_crediting_the_whole_unpaid_rest_settles_the_bill(fees):
    bill = make_bill(fees.houses[0], ["100.00"])
    pay(bill, "40.00")
    adjustment_create(actor=fees.finance, bill=bill, amount="-60.00", reason="减免", key="adj-3")
    bill.refresh_from_db()
    assert (bill.total, bill.status) == (Decimal("40.00"), BillStatus.PAID)
    assert bill_balance_check(bill).ok


def test_a_credit_below_what_was_paid_is_refused_with_the_most_allowed(fees):
    bill = make_bill(fees.houses[0], ["100.00"])
    pay(bill, "40.00")
    with pytest.raises(Conflict) as err:
        adjustment_create(actor=fees.finance, bill=bill, amount="-60.01", reason="减免", key="adj-4")
    assert err.value.code == "adjustment_below_paid" and err.value.detail["most"] == "60.00"
    assert "Credit at most 60.00" in err.value.text("en")
    assert not Adjustment.objects.exists() and entries(fees.estate) == 0


def test_the_same_key_acts_once(fees):
    bill = make_bill(fees.houses[0], ["100.00"])
    first = adjustment_create(actor=fees.finance, bill=bill, amount="-10", reason="减免", key="adj-5")
    again = adjustment_create(actor=fees.finance, bill=bill, amount="-10", reason="减免", key="adj-5")
    assert again.pk == first.pk and Adjustment.objects.count() == 1 and entries(fees.estate) == 1
    with pytest.raises(Conflict):
        adjustment_create(actor=fees.finance, bill=bill, amount="-11", reason="减免", key="adj-5")


@pytest.mark.parametrize(("field", "kwargs"), [("amount", {"amount": "0"}), ("amount", {"amount": "x"}),
                                               ("amount", {"amount": "1.234"}), ("reason", {"reason": " "}),
                                               ("key", {"key": ""})])
def test_bad_input_is_refused(fees, field, kwargs):
    bill = make_bill(fees.houses[0], ["100.00"])
    with pytest.raises(DomainError) as err:
        adjustment_create(**{"actor": fees.finance, "bill": bill, "amount": "-5", "reason": "减免", "key": "k",
                             **kwargs})
    assert err.value.detail["field"] == field and not Adjustment.objects.exists()


def test_only_finance_and_the_manager_adjust_and_only_their_estate(fees, other_estate, actor_for):
    bill = make_bill(fees.houses[0], ["100.00"])
    for actor in (fees.service, fees.owner):
        with pytest.raises(Forbidden):
            adjustment_create(actor=actor, bill=bill, amount="-5", reason="减免", key="k1")
    with pytest.raises(NotFound):
        adjustment_create(actor=actor_for("finance", other_estate), bill=bill, amount="-5", reason="减免", key="k2")
    assert adjustment_create(actor=fees.manager, bill=bill, amount="-5", reason="减免", key="k3").amount == -5

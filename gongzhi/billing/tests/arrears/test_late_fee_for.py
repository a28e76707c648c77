"""A bill's late fee: contractual (none by default), from the end of the grace period, on what is still owed day by
day, capped, rounded to the fen; late-fee bills and items without late fees never accrue one."""

from decimal import Decimal

import pytest
from django.utils import translation

from gongzhi.billing.choices import BillKind, FeeKind, LedgerCode
from gongzhi.billing.late_fees import late_fee_basis, late_fee_for, rate_text
from gongzhi.billing.models import Adjustment, BillLine, FeeItem
from gongzhi.billing.tests.conftest import make_bill

from .helpers import at, d, pay, set_rules

pytestmark = pytest.mark.django_db
DUE = d("2026-01-31")


@pytest.fixture
def bill(fees):
    return make_bill(fees.houses[0], ["260.70"], period_start=d("2026-01-01"), due_date=DUE)


def test_no_rate_no_late_fee_the_national_default(fees, bill):
    # given the estate's contract sets no late fee (the default "0")
    # when the bill is a year overdue
    fee = late_fee_for(bill, d("2027-01-31"))
    # then nothing accrues, and the bill page shows no late fee at all
    assert (fee.amount, fee.days, fee.basis) == (Decimal("0.00"), 0, "")
    assert late_fee_basis(bill, d("2027-01-31")) is None


def test_forty_days_at_half_a_permille_a_day(fees, bill):
    set_rules(fees.estate, late_fee_daily_rate="1/2000")
    fee = late_fee_for(bill, d("2026-03-12"))
    assert (fee.amount, fee.days) == (Decimal("5.21"), 40)  # 260.70 × 0.0005 × 40 = 5.214
    with translation.override("en"):
        fee = late_fee_for(bill, d("2026-03-12"))
    assert fee.basis == "260.70 yuan × 0.05% a day × 40 days = 5.21 yuan (cap 260.70 yuan)"


@pytest.mark.parametrize(("on", "days", "amount"), [
    ("2026-02-05", 0, "0.00"),  # the last day of grace costs nothing
    ("2026-02-06", 1, "0.13"),  # the first day after it: 260.70 × 0.0005 = 0.13035
    ("2026-01-20", 0, "0.00"),  # not even due
])
def test_the_grace_period_ends_exactly_on_its_last_day(fees, bill, on, days, amount):
    set_rules(fees.estate, late_fee_daily_rate="1/2000", late_fee_grace_days=5)
    fee = late_fee_for(bill, d(on))
    assert (fee.days, fee.amount) == (days, Decimal(amount))


@pytest.mark.parametrize(("paid_on", "amount"), [("2026-02-05", "0.00"), ("2026-02-06", "0.13")])
def test_paying_on_the_last_day_of_grace_is_free_a_day_later_costs_a_day(fees, bill, paid_on, amount):
    set_rules(fees.estate, late_fee_daily_rate="1/2000", late_fee_grace_days=5)
    pay(fees.finance, bill.house, "260.70", d(paid_on))
    assert late_fee_for(bill, d("2026-06-30")).amount == Decimal(amount)


def test_the_cap_is_a_share_of_the_overdue_amount(fees, bill):
    set_rules(fees.estate, late_fee_daily_rate="1/100", late_fee_cap="1/10")
    with translation.override("en"):
        fee = late_fee_for(bill, d("2026-03-12"))
    # 260.70 × 1 % × 40 = 104.28, capped at a tenth of 260.70
    assert (fee.amount, fee.cap, fee.capped) == (Decimal("26.07"), Decimal("26.07"), True)
    assert fee.basis == ("260.70 yuan × 1% a day × 40 days = 104.28 yuan: 104.28 yuan, capped at 26.07 yuan")


def test_a_partial_payment_lowers_the_amount_from_the_next_day(fees, bill):
    set_rules(fees.estate, late_fee_daily_rate="1/2000")
    # given 160.70 paid ten days late
    pay(fees.finance, bill.house, "160.70", d("2026-02-10"))
    fee = late_fee_for(bill, d("2026-03-12"))
    # then 260.70 for 10 days (1.30) and 100.00 for 30 days (1.50)
    assert [(s.amount, s.days, s.fee) for s in fee.segments] == [
        (Decimal("260.70"), 10, Decimal("1.30")), (Decimal("100.00"), 30, Decimal("1.50"))]
    assert (fee.amount, fee.days) == (Decimal("2.80"), 40)


def test_a_credit_adjustment_lowers_it_too(fees, bill):
    set_rules(fees.estate, late_fee_daily_rate="1/2000")
    Adjustment.objects.create(estate=fees.estate, bill=bill, amount=Decimal("-60.70"), reason="面积更正",
                              actor=fees.finance.user, created_at=at(d("2026-01-15")))
    assert late_fee_for(bill, d("2026-03-12")).segments[0].amount == Decimal("200.00")
    assert late_fee_for(bill, d("2026-03-12")).amount == Decimal("4.00")


def test_late_fee_bills_never_accrue_a_late_fee(fees):
    set_rules(fees.estate, late_fee_daily_rate="1/2000")
    late = make_bill(fees.houses[0], ["5.21"], due_date=DUE, kind=BillKind.LATE_FEE, source_key="late:1:2026-03")
    assert late_fee_for(late, d("2027-01-31")).amount == Decimal("0.00")
    assert late_fee_basis(late) is None


def test_only_items_with_late_fees_accrue_them(fees, bill):
    set_rules(fees.estate, late_fee_daily_rate="1/2000")
    # given a bill of 260.70 property fee and 100.00 of a deposit-like item without late fees
    item = FeeItem.objects.create(estate=fees.estate, code="garbage", name="垃圾清运", kind=FeeKind.FIXED,
                                  ledger_code=LedgerCode.OTHER, late_fee=False)
    mixed = make_bill(fees.houses[1], ["260.70"], period_start=d("2026-01-01"), due_date=DUE)
    BillLine.objects.create(estate=fees.estate, bill=mixed, fee_item=item, description=item.name, quantity=1,
                            rate=Decimal("100"), amount=Decimal("100.00"), explanation="100.00", ledger_code="4009")
    type(mixed).objects.filter(pk=mixed.pk).update(amount=Decimal("360.70"))
    mixed.refresh_from_db()
    # then only the property fee's 260.70 accrues
    assert late_fee_for(mixed, d("2026-03-12")).amount == Decimal("5.21")
    only = make_bill(fees.houses[2], ["1.00"], due_date=DUE)
    FeeItem.objects.filter(code="property").update(late_fee=False)
    assert late_fee_for(only, d("2026-03-12")).amount == Decimal("0.00")


def test_the_bill_page_presenter_gives_the_terms_and_the_basis(fees, bill):
    set_rules(fees.estate, late_fee_daily_rate="1/2000", late_fee_grace_days=5)
    with translation.override("en"):
        shown = late_fee_basis(bill, d("2026-03-12"))
    assert (shown["amount"], shown["days"]) == (Decimal("4.56"), 35)  # 260.70 × 0.0005 × 35 = 4.56225
    assert "0.05% a day" in shown["terms"] and "2026-02-06" in shown["terms"]


def test_rates_read_as_people_write_them():
    from fractions import Fraction

    assert rate_text(Fraction(1, 2000)) == "0.05%"
    assert rate_text(Fraction(3, 10000)) == "0.03%"
    assert rate_text(Fraction(1, 3000)) == "1/3000"

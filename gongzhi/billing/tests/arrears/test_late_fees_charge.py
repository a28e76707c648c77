"""The monthly late-fee charge: one LATE_FEE bill per overdue bill per month for what accrued since the last one,
with the basis on its line, posted to the ledger (4009); rerunning changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.billing.choices import BillKind
from gongzhi.billing.late_fees import late_fees_charge
from gongzhi.billing.models import Bill
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.models import AuditEntry
from gongzhi.ledger.models import JournalLine

from .helpers import d, pay, set_rules

pytestmark = pytest.mark.django_db
DUE = d("2026-01-31")


def late_bills(estate):
    return list(Bill.objects.filter(estate=estate, kind=BillKind.LATE_FEE).order_by("pk"))


def test_an_overdue_bill_is_charged_month_by_month_and_once(fees):
    set_rules(fees.estate, late_fee_daily_rate="1/2000")
    bill = make_bill(fees.houses[0], ["260.70"], period_start=d("2026-01-01"), due_date=DUE)
    # when the February run charges 28 days
    result = late_fees_charge(actor=fees.finance, estate=fees.estate, on=d("2026-02-28"))
    assert (result.bills, result.amount) == (1, Decimal("3.65"))  # 260.70 × 0.0005 × 28 = 3.6498
    (feb,) = late_bills(fees.estate)
    assert (feb.house, feb.source_key, feb.amount) == (bill.house, f"late:{bill.pk}:2026-02", Decimal("3.65"))
    line = feb.lines.get()
    assert line.ledger_code == "4009" and line.basis["bill_id"] == bill.pk and line.basis["days"] == 28
    assert "× 28" in line.explanation
    # and it is posted to the ledger as other fees income
    assert JournalLine.objects.filter(entry__reference=f"billing:bill:{feb.pk}", account__code="4009",
                                      credit=Decimal("3.65")).exists()
    # when the run is repeated, nothing new
    assert late_fees_charge(actor=fees.finance, estate=fees.estate, on=d("2026-02-28")).bills == 0
    # when March's run comes, only what accrued since: 59 days = 7.69, less 3.65
    result = late_fees_charge(actor=None, estate=fees.estate, on=d("2026-03-31"))
    assert result.amount == Decimal("4.04")
    assert [b.amount for b in late_bills(fees.estate)] == [Decimal("3.65"), Decimal("4.04")]
    assert AuditEntry.objects.filter(action="billing.late_fees_charge").count() == 2


def test_a_bill_settled_late_is_charged_its_days_and_late_fee_bills_do_not_compound(fees):
    set_rules(fees.estate, late_fee_daily_rate="1/2000")
    bill = make_bill(fees.houses[1], ["260.70"], period_start=d("2026-01-01"), due_date=DUE)
    make_bill(fees.houses[2], ["9.99"], due_date=DUE, kind=BillKind.LATE_FEE, source_key="late:999:2025-12")
    pay(fees.finance, bill.house, "260.70", d("2026-02-10"))
    result = late_fees_charge(actor=fees.finance, estate=fees.estate, on=d("2026-02-28"))
    assert result.amount == Decimal("1.30")  # ten days; nothing on the overdue late-fee bill
    assert [b.source_key for b in late_bills(fees.estate)] == ["late:999:2025-12", f"late:{bill.pk}:2026-02"]


def test_nothing_without_a_rate(fees):
    make_bill(fees.houses[0], ["260.70"], due_date=DUE)
    assert late_fees_charge(actor=fees.finance, estate=fees.estate, on=d("2026-03-31")).bills == 0
    assert late_bills(fees.estate) == []


def test_the_committee_may_not_charge_and_the_future_is_refused(fees):
    with pytest.raises(Forbidden):
        late_fees_charge(actor=fees.chair, estate=fees.estate, on=d("2026-03-31"))
    with pytest.raises(DomainError) as refused:
        late_fees_charge(actor=fees.finance, estate=fees.estate,
                         on=timezone.localdate() + datetime.timedelta(days=1))
    assert refused.value.detail["field"] == "on"

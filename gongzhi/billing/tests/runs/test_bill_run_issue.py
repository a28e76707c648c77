"""bill_run_issue / bill_run_preview: a month's bills for the estate, once, posted once, explained line by line."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongzhi.billing.calc import add_months
from gongzhi.billing.choices import BillStatus, FeeKind, LedgerCode
from gongzhi.billing.meters import meter_install, reading_record
from gongzhi.billing.models import Bill, BillingAccount, BillLine, BillRun, FeeItem, FeeRule
from gongzhi.billing.payments import payment_record
from gongzhi.billing.runs import bill_run_issue, bill_run_preview
from gongzhi.billing.tests.conftest import make_bill, property_fee_item
from gongzhi.core.audit import AuditEntry
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.ledger.models import Checkpoint, JournalEntry

from .helpers import entries, posted

pytestmark = pytest.mark.django_db


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def last_month() -> datetime.date:
    return add_months(this_month(), -1)


def test_finance_issues_a_month_one_bill_per_house_posted_once(fees):
    # given the property fee at 2.20 yuan/m²/month
    property_fee_item(fees.estate)
    # when finance issues this month
    run = bill_run_issue(actor=fees.finance, period_kind="month", period_start=this_month())
    # then every house has one bill of area × 2.20, due fees.due_days after today
    bills = list(Bill.objects.filter(run=run).order_by("house_id"))
    assert [b.amount for b in bills] == [Decimal("196.90"), Decimal("264.00"), Decimal("165.55"), Decimal("309.65")]
    assert all(b.status == BillStatus.OPEN and b.due_date == timezone.localdate() + datetime.timedelta(days=30)
               for b in bills)
    assert (run.bills_count, run.lines_count, run.total) == (4, 4, Decimal("936.10"))
    line = BillLine.objects.get(bill=bills[0])
    assert line.basis["area"] == "89.50" and line.basis["months"] == "1"
    # and one ledger entry: Dr 1122 / Cr 4001, one audit record for the run
    assert entries(fees.estate) == 1
    reference = JournalEntry.objects.get(estate=fees.estate, reference__startswith="billing:run:").reference
    assert posted(fees.estate, reference) == [("1122", Decimal("936.10"), Decimal("0")),
                                              ("4001", Decimal("0"), Decimal("936.10"))]
    assert AuditEntry.objects.filter(action="bill_run.issue").count() == 1


def test_running_it_again_writes_nothing(fees):
    property_fee_item(fees.estate)
    first = bill_run_issue(actor=fees.finance, period_kind="month", period_start=this_month())
    again = bill_run_issue(actor=fees.finance, period_kind="month", period_start=this_month())
    assert again.pk == first.pk and Bill.objects.count() == 4 and BillRun.objects.count() == 1
    assert entries(fees.estate) == 1 and AuditEntry.objects.filter(action="bill_run.issue").count() == 1


def test_a_house_added_later_is_billed_by_the_same_run_and_only_it(fees):
    property_fee_item(fees.estate)
    run = bill_run_issue(actor=fees.finance, period_kind="month", period_start=this_month())
    Bill.objects.filter(house=fees.houses[3]).update(run=None, period_start=datetime.date(2000, 1, 1),
                                                    period_end=datetime.date(2000, 1, 31))  # as if it were new
    again = bill_run_issue(actor=fees.finance, period_kind="month", period_start=this_month())
    assert again.pk == run.pk and again.bills_count == 5
    assert Bill.objects.filter(run=run, house=fees.houses[3]).count() == 1
    assert entries(fees.estate) == 2


def test_a_quarter_over_a_billed_month_is_refused(fees):
    property_fee_item(fees.estate)
    start = this_month().replace(month=1)
    bill_run_issue(actor=fees.finance, period_kind="month", period_start=start)
    with pytest.raises(Conflict) as err:
        bill_run_issue(actor=fees.finance, period_kind="quarter", period_start=start)
    assert err.value.code == "period_overlaps"
    assert Bill.objects.count() == 4


def test_a_closed_period_is_refused(fees):
    property_fee_item(fees.estate)
    start = last_month()
    Checkpoint.objects.create(estate=fees.estate, period_start=start, period_end=add_months(start, 1) - datetime.timedelta(days=1),
                              head_seq=0, head_hash="0" * 64, signed_at=timezone.now(), public_key="k", signature="s")
    with pytest.raises(Conflict) as err:
        bill_run_issue(actor=fees.finance, period_kind="month", period_start=start)
    assert err.value.code == "period_closed"
    assert not Bill.objects.exists() and not BillRun.objects.exists()


def test_a_building_run_bills_that_building_only(fees):
    property_fee_item(fees.estate)
    run = bill_run_issue(actor=fees.finance, period_kind="month", period_start=this_month(),
                         building=fees.houses[2].building)
    assert sorted(Bill.objects.filter(run=run).values_list("house_id", flat=True)) == [fees.houses[2].pk,
                                                                                       fees.houses[3].pk]
    # and the estate run afterwards bills the other building only
    rest = bill_run_issue(actor=fees.finance, period_kind="month", period_start=this_month())
    assert rest.bills_count == 2


def test_metered_water_marks_its_reading_billed(fees):
    item = FeeItem.objects.create(estate=fees.estate, code="water", name="水费", kind=FeeKind.METERED,
                                  meter_kind="water", ledger_code=LedgerCode.UTILITIES)
    FeeRule.objects.create(estate=fees.estate, fee_item=item, rate=Decimal("3.50"), effective_from=datetime.date(2020, 1, 1),
                           tiers=[{"up_to": "10", "price": "3.50"}, {"up_to": None, "price": "4.20"}])
    start = last_month()
    meter = meter_install(actor=fees.finance, house=fees.houses[0], kind="water", installed_on=start - datetime.timedelta(days=40),
                          initial_reading="1234.0")
    reading = reading_record(actor=fees.finance, meter=meter, read_on=start + datetime.timedelta(days=20),
                             value="1246.4")
    run = bill_run_issue(actor=fees.finance, period_kind="month", period_start=start)
    line = BillLine.objects.get(bill__run=run)
    assert (line.amount, line.reading_id) == (Decimal("45.08"), reading.pk)
    assert "10.00 m³ × 3.50 + 2.40 m³ × 4.20 = 45.08" in line.explanation
    assert posted(fees.estate, JournalEntry.objects.get(reference__startswith="billing:run:").reference)[1] == \
        ("4003", Decimal("0"), Decimal("45.08"))


def test_a_prepayment_balance_settles_the_new_bill(fees):
    property_fee_item(fees.estate)
    # given 500.00 paid in advance (no bill open yet: it is all kept as prepayment)
    payment_record(actor=fees.finance, house=fees.houses[0], amount="500.00", method="cash", key="advance-1")
    assert BillingAccount.objects.get(house=fees.houses[0]).prepaid == Decimal("500.00")
    bill_run_issue(actor=fees.finance, period_kind="month", period_start=this_month())
    bill = Bill.objects.get(house=fees.houses[0])
    assert (bill.settled, bill.status) == (Decimal("196.90"), BillStatus.PAID)
    assert BillingAccount.objects.get(house=fees.houses[0]).prepaid == Decimal("303.10")


def test_the_preview_writes_nothing_and_says_who_is_skipped(fees, django_assert_max_num_queries):
    property_fee_item(fees.estate)
    make_bill(fees.houses[0], period_start=this_month(), payer_key="developer")  # not the owner: still billed
    bill_run_issue(actor=fees.finance, period_kind="month", period_start=this_month(), building=fees.houses[0].building)
    before = (Bill.objects.count(), JournalEntry.objects.count())
    with django_assert_max_num_queries(14), translation.override("en"):
        preview = bill_run_preview(actor=fees.finance, period_kind="month", period_start=this_month())
    assert (Bill.objects.count(), JournalEntry.objects.count()) == before
    assert (preview.bills_count, preview.total) == (2, Decimal("475.20"))
    assert [code for code, _b in preview.bills] == ["2-1-101", "2-1-102"]
    assert preview.skipped_counts == {"already billed for this period": 2}
    assert preview.by_item[0].total == Decimal("475.20")


@pytest.mark.parametrize(("kind", "start", "field"), [("week", "2026-01-01", "period_kind"),
                                                       ("month", "2026-01-15", "period_start"),
                                                       ("month", "soon", "period_start")])
def test_bad_periods_are_refused(fees, kind, start, field):
    with pytest.raises(DomainError) as err:
        bill_run_issue(actor=fees.finance, period_kind=kind, period_start=start)
    assert err.value.detail["field"] == field


def test_nothing_to_bill_is_said_and_leaves_no_run(fees):
    with pytest.raises(Conflict) as err:
        bill_run_issue(actor=fees.finance, period_kind="month", period_start=this_month())
    assert err.value.code == "nothing_to_bill" and not BillRun.objects.exists()


def test_only_finance_and_the_manager_run_bills(fees):
    property_fee_item(fees.estate)
    for actor in (fees.service, fees.owner, fees.chair):
        with pytest.raises(Forbidden):
            bill_run_issue(actor=actor, period_kind="month", period_start=this_month())
        with pytest.raises(Forbidden):
            bill_run_preview(actor=actor, period_kind="month", period_start=this_month())
    assert bill_run_issue(actor=fees.manager, period_kind="month", period_start=this_month()).bills_count == 4


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(months=st.lists(st.integers(min_value=-6, max_value=0), min_size=1, max_size=4))
def test_re_running_any_sequence_of_runs_is_a_no_op(fees, months):
    property_fee_item(fees.estate)
    for offset in months:
        start = add_months(this_month(), offset)
        try:
            bill_run_issue(actor=fees.finance, period_kind="month", period_start=start)
        except Conflict:
            pass
        counts = (Bill.objects.count(), BillLine.objects.count(), JournalEntry.objects.count(),
                  AuditEntry.objects.count(), BillRun.objects.count())
        bill_run_issue(actor=fees.finance, period_kind="month", period_start=start)
        assert (Bill.objects.count(), BillLine.objects.count(), JournalEntry.objects.count(),
                AuditEntry.objects.count(), BillRun.objects.count()) == counts

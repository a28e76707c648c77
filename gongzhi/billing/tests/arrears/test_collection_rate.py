"""The collection rate: paid ÷ billed for the bills of a period, exact to 0.01 %, with partial payments,
adjustments, a cut-off, a building filter and a per-item split; the committee reads it."""

from decimal import Decimal

import pytest

from gongzhi.billing.collection import collection_rate, period_bounds
from gongzhi.billing.models import Adjustment, Bill
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.errors import Forbidden

from .helpers import at, d, pay

pytestmark = pytest.mark.django_db
MARCH = d("2026-03-01")


@pytest.fixture
def march(fees):
    h0, h1, h2, h3 = fees.houses
    bills = [make_bill(h, [a], period_start=MARCH, due_date=d("2026-03-31"), issued_at=at(MARCH))
             for h, a in [(h0, "196.90"), (h1, "264.00"), (h2, "165.55"), (h3, "309.65")]]
    make_bill(h0, ["999.00"], period_start=d("2026-04-01"), issued_at=at(d("2026-04-01")))  # another period
    pay(fees.finance, h0, "196.90", d("2026-03-20"), bill_ids=[bills[0].pk])
    pay(fees.finance, h2, "100.00", d("2026-04-02"), bill_ids=[bills[2].pk])  # partial, after March
    Adjustment.objects.create(estate=fees.estate, bill=bills[1], amount=Decimal("-64.00"), reason="空置优惠",
                              actor=fees.finance.user, created_at=at(d("2026-03-05")))
    Bill.objects.filter(pk=bills[1].pk).update(adjusted=Decimal("-64.00"))
    return bills


def test_the_rate_is_paid_over_billed_exactly(fees, march):
    report = collection_rate(actor=fees.finance, start=MARCH, cut_off=d("2026-04-30"))
    # billed 196.90 + 264.00 - 64.00 + 165.55 + 309.65 = 872.10; paid 196.90 + 100.00 = 296.90
    assert (report.total.billed, report.total.paid, report.total.bills) == (Decimal("872.10"), Decimal("296.90"), 4)
    assert report.total.rate == Decimal("34.04")  # 34.0442...
    # by the end of March the partial payment had not come yet
    assert collection_rate(actor=fees.finance, start=MARCH, cut_off=d("2026-03-31")).total.rate == Decimal("22.58")


def test_by_building_and_one_building(fees, march):
    report = collection_rate(actor=fees.chair, start=MARCH, group="building", cut_off=d("2026-04-30"))
    assert [(r.label, r.billed, r.paid, r.rate) for r in report.rows] == [
        ("1", Decimal("396.90"), Decimal("196.90"), Decimal("49.61")),
        ("2", Decimal("475.20"), Decimal("100.00"), Decimal("21.04"))]
    only = collection_rate(actor=fees.finance, start=MARCH, building_id=fees.houses[2].building_id,
                           cut_off=d("2026-04-30"))
    assert (only.total.billed, only.total.paid) == (Decimal("475.20"), Decimal("100.00"))


def test_by_fee_item_and_by_quarter(fees, march):
    items = collection_rate(actor=fees.finance, start=MARCH, group="item", cut_off=d("2026-04-30")).rows
    assert [(r.label, r.billed, r.paid) for r in items] == [("物业费", Decimal("872.10"), Decimal("296.90"))]
    quarter = collection_rate(actor=fees.finance, period_kind="quarter", start=d("2026-02-14"),
                              cut_off=d("2026-04-30"))
    assert (quarter.period_start, quarter.period_end, quarter.total.billed) == (
        d("2026-01-01"), d("2026-03-31"), Decimal("872.10"))
    assert period_bounds("year", d("2026-07-09")) == (d("2026-01-01"), d("2026-12-31"))


def test_nothing_billed_no_rate(fees):
    assert collection_rate(actor=fees.finance, start=MARCH).total.rate is None


@pytest.mark.parametrize("who", ["owner", "service", "technician"])
def test_residents_and_other_staff_may_not_read_it(fees, who):
    with pytest.raises(Forbidden):
        collection_rate(actor=getattr(fees, who))

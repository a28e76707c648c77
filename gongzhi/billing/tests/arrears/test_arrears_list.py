"""Arrears by house and by building, aged in buckets at exact edges (30 days vs 31), summed in SQL, paginated."""

import datetime
from decimal import Decimal

import pytest

from gongzhi.billing.arrears import arrears_by_building, arrears_by_house, arrears_totals
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.errors import Forbidden

from .helpers import d, pay

pytestmark = pytest.mark.django_db
ON = d("2026-06-30")


def due(days_overdue: int) -> datetime.date:
    return ON - datetime.timedelta(days=days_overdue)


@pytest.mark.parametrize(("days", "bucket"), [
    (0, "not_due"), (-5, "not_due"), (1, "d1_30"), (30, "d1_30"), (31, "d31_90"), (90, "d31_90"),
    (91, "d91_180"), (180, "d91_180"), (181, "d181_365"), (365, "d181_365"), (366, "over_365")])
def test_a_bill_falls_in_its_bucket_at_the_edges(fees, days, bucket):
    make_bill(fees.houses[0], ["100.00"], due_date=due(days))
    (row,) = arrears_by_house(actor=fees.finance, on=ON, min_days=0).items
    assert row.buckets[bucket] == Decimal("100.00")
    assert sum(row.buckets.values()) == row.total == Decimal("100.00")
    assert row.overdue == (Decimal("100.00") if days > 0 else Decimal("0"))


def test_houses_in_arrears_with_their_buckets_and_totals(fees):
    h0, h1, h2, h3 = fees.houses
    make_bill(h0, ["260.70"], due_date=due(30), period_start=d("2026-05-01"))
    make_bill(h0, ["100.00"], due_date=due(31), period_start=d("2026-04-01"))
    make_bill(h1, ["50.00"], due_date=due(0))  # owes, but nothing overdue: not in arrears
    partly = make_bill(h2, ["80.00"], due_date=due(200))
    pay(fees.finance, h2, "30.00", d("2026-01-10"), bill_ids=[partly.pk])
    paid = make_bill(h3, ["70.00"], due_date=due(400))
    pay(fees.finance, h3, "70.00", d("2026-01-10"), bill_ids=[paid.pk])
    page = arrears_by_house(actor=fees.finance, on=ON)
    assert [(r.label, r.overdue, r.buckets["d1_30"], r.buckets["d31_90"], r.buckets["d181_365"], r.days_overdue)
            for r in page.items] == [
        (h0.code, Decimal("360.70"), Decimal("260.70"), Decimal("100.00"), Decimal("0"), 31),
        (h2.code, Decimal("50.00"), Decimal("0"), Decimal("0"), Decimal("50.00"), 200)]
    totals = arrears_totals(actor=fees.finance, on=ON)
    assert (totals.total, totals.overdue, totals.extra["houses"], totals.extra["houses_overdue"]) == (
        Decimal("460.70"), Decimal("410.70"), 3, 2)
    buildings = arrears_by_building(actor=fees.finance, on=ON)
    assert [(b.label, b.overdue, b.total, b.extra["houses_overdue"]) for b in buildings] == [
        ("1", Decimal("360.70"), Decimal("410.70"), 1), ("2", Decimal("50.00"), Decimal("50.00"), 1)]
    # one building only
    only = arrears_by_house(actor=fees.finance, on=ON, building_id=h2.building_id)
    assert [r.key for r in only.items] == [h2.pk]


def test_the_list_pages_by_cursor(fees):
    for house in fees.houses:
        make_bill(house, ["10.00"], due_date=due(45))
    first = arrears_by_house(actor=fees.finance, on=ON, limit=3)
    assert len(first.items) == 3 and first.next_cursor
    rest = arrears_by_house(actor=fees.finance, on=ON, limit=3, cursor=first.next_cursor)
    assert [r.key for r in rest.items] == [fees.houses[3].pk] and rest.next_cursor is None


@pytest.mark.parametrize("who", ["chair", "service", "owner", "technician"])
def test_only_finance_and_the_manager_see_arrears_by_house(fees, who):
    with pytest.raises(Forbidden):
        arrears_by_house(actor=getattr(fees, who))
    with pytest.raises(Forbidden):
        arrears_by_building(actor=getattr(fees, who))


def test_the_manager_does(fees):
    make_bill(fees.houses[0], ["10.00"], due_date=due(45))
    assert len(arrears_by_house(actor=fees.manager, on=ON).items) == 1

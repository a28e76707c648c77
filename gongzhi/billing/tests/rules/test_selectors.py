"""Stories of the reads the bill-run engine uses: which rule prices a day, which discounts are in force."""

import datetime
from decimal import Decimal

import pytest

from gongzhi.billing.choices import DiscountKind, FeeKind
from gongzhi.billing.rules import (
    discount_applies,
    discount_create,
    discounts_in_force,
    fee_item_create,
    fee_rule_create,
    rule_for,
    rule_segments,
    rules_in_force,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def property_item(fees):
    item = fee_item_create(actor=fees.finance, code="property", name="物业费", kind=FeeKind.AREA, rate="2.20",
                           effective_from=D(2026, 1, 1))
    fee_rule_create(actor=fees.finance, fee_item=item, rate="2.50", effective_from=D(2026, 7, 1))
    fee_rule_create(actor=fees.finance, fee_item=item, rate="3.80", house_kind="commercial",
                    effective_from=D(2026, 1, 1))
    return item


def test_rules_in_force_loads_the_rules_meeting_the_period_with_their_items_in_one_query(
        fees, property_item, django_assert_num_queries):
    with django_assert_num_queries(1):
        rules = rules_in_force(estate=fees.estate, start=D(2026, 6, 1), end=D(2026, 6, 30))
        names = {r.fee_item.name for r in rules}
    assert names == {"物业费"}
    assert sorted(r.rate for r in rules) == [Decimal("2.2000"), Decimal("3.8000")]
    assert len(rules_in_force(estate=fees.estate, start=D(2026, 6, 1), end=D(2026, 7, 1))) == 3
    assert rules_in_force(estate=fees.estate, start=D(2025, 1, 1), end=D(2025, 12, 31)) == []


def test_an_inactive_item_is_not_in_force(fees, property_item):
    property_item.active = False
    property_item.save()
    assert rules_in_force(estate=fees.estate, start=D(2026, 6, 1), end=D(2026, 6, 30)) == []


def test_rule_for_switches_on_the_day_the_new_rate_starts(fees, property_item):
    rules = rules_in_force(estate=fees.estate, start=D(2026, 1, 1), end=D(2026, 12, 31))
    # effective_to of the old rule (2026-06-30) is inclusive; the new one applies from its effective_from
    assert rule_for(rules, property_item, "residential", "", D(2026, 6, 30)).rate == Decimal("2.20")
    assert rule_for(rules, property_item, "residential", "", D(2026, 7, 1)).rate == Decimal("2.50")
    assert rule_for(rules, property_item.pk, "residential", "", D(2026, 1, 1)).rate == Decimal("2.20")
    assert rule_for(rules, property_item, "residential", "", D(2025, 12, 31)) is None


def test_the_house_kind_rule_wins_over_the_rule_for_every_kind(fees, property_item):
    rules = rules_in_force(estate=fees.estate, start=D(2026, 1, 1), end=D(2026, 12, 31))
    assert rule_for(rules, property_item, "commercial", "", D(2026, 8, 1)).rate == Decimal("3.80")
    assert rule_for(rules, property_item, "storage", "", D(2026, 8, 1)).rate == Decimal("2.50")


def test_a_space_status_rule_wins_for_that_status_only(fees):
    item = fee_item_create(actor=fees.finance, code="parking", name="车位管理费", kind=FeeKind.PARKING, rate="60",
                           effective_from=D(2026, 1, 1))
    fee_rule_create(actor=fees.finance, fee_item=item, rate="80", space_status="rented", effective_from=D(2026, 1, 1))
    rules = rules_in_force(estate=fees.estate, start=D(2026, 1, 1), end=D(2026, 1, 31))
    assert rule_for(rules, item, "residential", "rented", D(2026, 1, 15)).rate == Decimal("80")
    assert rule_for(rules, item, "residential", "sold", D(2026, 1, 15)).rate == Decimal("60")


def test_rule_segments_cut_a_period_at_a_rate_change(fees, property_item):
    rules = rules_in_force(estate=fees.estate, start=D(2026, 6, 16), end=D(2026, 7, 15))
    segments = rule_segments(rules, property_item, "residential", "", D(2026, 6, 16), D(2026, 7, 15))
    assert [(s[0].rate, s[1], s[2]) for s in segments] == [
        (Decimal("2.20"), D(2026, 6, 16), D(2026, 6, 30)), (Decimal("2.50"), D(2026, 7, 1), D(2026, 7, 15))]
    # a commercial house is priced by its own rule the whole time
    segments = rule_segments(rules, property_item, "commercial", "", D(2026, 6, 16), D(2026, 7, 15))
    assert [(s[0].rate, s[1], s[2]) for s in segments] == [(Decimal("3.80"), D(2026, 6, 16), D(2026, 7, 15))]


def test_rule_segments_leave_out_days_no_rule_prices(fees):
    item = fee_item_create(actor=fees.finance, code="garbage", name="垃圾费", kind=FeeKind.FIXED, rate="10",
                           effective_from=D(2026, 3, 10))
    rules = rules_in_force(estate=fees.estate, start=D(2026, 3, 1), end=D(2026, 3, 31))
    assert [(s[1], s[2]) for s in rule_segments(rules, item, "residential", "", D(2026, 3, 1), D(2026, 3, 31))] == [
        (D(2026, 3, 10), D(2026, 3, 31))]


def test_discounts_in_force_and_which_apply(fees, property_item, django_assert_num_queries):
    vacant = discount_create(actor=fees.finance, kind=DiscountKind.VACANT, percent="30", fee_item=property_item,
                             effective_from=D(2026, 1, 1), effective_to=D(2026, 6, 30))
    exempt = discount_create(actor=fees.finance, kind=DiscountKind.EXEMPTION, percent="100", house=fees.houses[2],
                             effective_from=D(2026, 1, 1), reason="低保户")
    prepaid = discount_create(actor=fees.finance, kind=DiscountKind.PREPAYMENT, percent="5", months=12,
                              effective_from=D(2026, 1, 1))
    with django_assert_num_queries(1):
        found = discounts_in_force(estate=fees.estate, start=D(2026, 6, 1), end=D(2026, 6, 30))
        assert {d.pk for d in found} == {vacant.pk, exempt.pk, prepaid.pk}
        assert {d.fee_item.code for d in found if d.fee_item} == {"property"}
    later = discounts_in_force(estate=fees.estate, start=D(2026, 7, 1), end=D(2026, 7, 31))
    assert {d.pk for d in later} == {exempt.pk, prepaid.pk}
    day = D(2026, 6, 30)
    h0, h2 = fees.houses[0].pk, fees.houses[2].pk
    assert discount_applies(vacant, item=property_item, house_id=h0, vacant=True, day=day)
    assert not discount_applies(vacant, item=property_item, house_id=h0, vacant=True, day=D(2026, 7, 1))
    assert not discount_applies(vacant, item=property_item, house_id=h0, vacant=False, day=day)
    assert discount_applies(exempt, item=property_item, house_id=h2, vacant=False, day=day)
    assert not discount_applies(exempt, item=property_item, house_id=h0, vacant=False, day=day)
    assert discount_applies(prepaid, item=property_item, house_id=h0, vacant=False, months_prepaid=12, day=day)
    assert not discount_applies(prepaid, item=property_item, house_id=h0, vacant=False, months_prepaid=11, day=day)

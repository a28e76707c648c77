"""The electorate frozen when a vote opens: voting areas and headcount units (DOMAIN.md "Owners' votes")."""

import datetime

import pytest

from gongzhi.core.errors import DomainError
from gongzhi.governance import count
from gongzhi.governance.models import RollEntry
from gongzhi.governance.published import published_roll
from gongzhi.governance.roll import estate_totals, head_units_of, roll_compute, roll_freeze, unit_ranks

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def units(estate, **kwargs):
    return {row.house_id: (row.head_unit, row.head_kind) for row in roll_compute(estate=estate, on=TODAY, **kwargs)}


def test_one_house_one_owner_counts_one(estate, registry):
    a, b = registry.house(), registry.house()
    registry.own(registry.person("甲"), a)
    registry.own(registry.person("乙"), b)
    assert units(estate) == {a.pk: (f"u:{a.pk}", "owners"), b.pk: (f"u:{b.pk}", "owners")}
    assert estate_totals(estate=estate, on=TODAY) == (20000, 2)


def test_an_owner_of_several_houses_counts_once(estate, registry):
    a, b, c = registry.house("120.00"), registry.house("80.00"), registry.house()
    registry.own(registry.person("甲"), a, b)
    registry.own(registry.person("乙"), c)
    found = units(estate)
    assert found[a.pk] == found[b.pk] == (f"u:{a.pk}", "owners")
    assert estate_totals(estate=estate, on=TODAY) == (30000, 2)


def test_co_owners_of_one_house_count_once_and_name_a_representative(estate, registry):
    house = registry.house()
    first, second = registry.person("甲"), registry.person("乙")
    registry.own(first, house)
    registry.own(second, house, kind="co_owner", representative=True)
    [row] = roll_compute(estate=estate, on=TODAY)
    assert row.head_unit == f"u:{house.pk}" and row.representative_id == second.pk
    assert {owner[1] for owner in row.owners} == {"甲", "乙"}


def test_without_a_marked_representative_the_earliest_owner_represents(estate, registry):
    house = registry.house()
    late, early = registry.person("晚"), registry.person("早")
    registry.own(late, house, start_date=datetime.date(2022, 1, 1))
    registry.own(early, house, kind="co_owner", start_date=datetime.date(2021, 1, 1))
    [row] = roll_compute(estate=estate, on=TODAY)
    assert row.representative_id == early.pk and row.owners[0] == [early.pk, "早"]


def test_co_owning_one_house_and_owning_another_alone_makes_one_unit(estate, registry):
    shared, alone, other = registry.house(), registry.house(), registry.house()
    a, b = registry.person("甲"), registry.person("乙")
    registry.own(a, shared)
    registry.own(b, shared, kind="co_owner")
    registry.own(b, alone)
    registry.own(registry.person("丙"), other)
    found = units(estate)
    assert found[shared.pk][0] == found[alone.pk][0] == f"u:{min(shared.pk, alone.pk)}"
    assert estate_totals(estate=estate, on=TODAY)[1] == 2


def test_the_developers_houses_count_once_together(estate, registry):
    held, unsold, sold = registry.house(developer_held=True), registry.house(status="unsold"), registry.house()
    registry.own(registry.person("乙"), sold)
    found = units(estate)
    assert found[held.pk] == found[unsold.pk] == ("developer", "developer")
    assert estate_totals(estate=estate, on=TODAY) == (30000, 2)


def test_a_house_without_a_registered_owner_still_counts(estate, registry):
    house = registry.house()
    registry.own(registry.person("租客"), house, kind="tenant")  # a tenant is no owner
    [row] = roll_compute(estate=estate, on=TODAY)
    assert (row.head_unit, row.head_kind, row.representative_id, row.owners) == (
        f"u:{house.pk}", "unregistered", None, [])


def test_past_owners_do_not_join_houses(estate, registry):
    a, b = registry.house(), registry.house()
    seller = registry.person("卖家")
    registry.own(seller, a, start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2025, 1, 1))
    registry.own(seller, b)
    registry.own(registry.person("买家"), a)
    found = units(estate)
    assert found[a.pk][0] != found[b.pk][0]


def test_parking_houses_vote_only_when_the_assembly_rules_say_so(estate, registry):
    flat, space = registry.house(), registry.house("12.50", kind="parking")
    assert set(units(estate)) == {flat.pk}
    estate.rule_overrides = {"vote.parking_spaces_count": True}
    estate.save()
    assert set(units(estate)) == {flat.pk, space.pk}


def test_a_scope_and_head_units_for_signatures(estate, registry):
    a, b, c = registry.house(), registry.house(), registry.house()
    registry.own(registry.person("甲"), a, c)
    assert set(units(estate, house_ids=[a.pk, b.pk])) == {a.pk, b.pk}
    assert head_units_of(estate=estate, on=TODAY, house_ids=[c.pk]) == {c.pk: f"u:{a.pk}"}


def test_ranks_put_the_largest_house_first_then_the_lowest_id():
    assert unit_ranks([(5, "u:1", 100), (1, "u:1", 100), (3, "u:1", 200), (9, "u:9", 1)]) == {
        3: 0, 1: 1, 5: 2, 9: 0}


def test_computing_the_roll_takes_a_fixed_number_of_queries(estate, registry, django_assert_max_num_queries):
    for n in range(30):
        registry.own(registry.person(f"业主{n}"), registry.house(), registry.house())
    with django_assert_max_num_queries(3):
        assert len(roll_compute(estate=estate, on=TODAY)) == 60


# --- freezing --------------------------------------------------------------------------------------------------------
def test_opening_freezes_the_roll_its_totals_digest_and_rules(estate, registry, make_vote):
    a, b, _c = registry.house("120.50"), registry.house("80.25"), registry.house("99.00", developer_held=True)
    registry.own(registry.person("甲"), a, b)
    vote = make_vote()
    roll_freeze(vote=vote)
    vote.refresh_from_db()
    assert RollEntry.objects.filter(vote=vote).count() == 3
    assert (str(vote.total_area_m2), vote.total_heads) == ("299.75", 2)
    assert vote.roll_sha256 == count.roll_digest(published_roll(vote))
    assert vote.rule_set == "national" and vote.rules["special_majority"] == "3/4"
    row = published_roll(vote)[0]
    assert set(row) == {"house", "area", "area_source", "unit", "head_kind", "rank"}  # never names
    assert row["house"] == f"3-1-{a.number}" and row["area"] == "120.50"


def test_the_frozen_roll_does_not_follow_later_registry_changes(estate, registry, make_vote):
    a = registry.house()
    vote = make_vote()
    roll_freeze(vote=vote)
    registry.own(registry.person("新业主"), a, registry.house())
    assert [r["head_kind"] for r in published_roll(vote)] == ["unregistered"]


def test_a_fund_vote_freezes_the_charge_scope_only(estate, registry, make_vote, user_factory):
    from gongzhi.ledger.models import FundProject, FundProjectHouse

    a, b, _c = registry.house(), registry.house(), registry.house()
    project = FundProject.objects.create(estate=estate, title="电梯更换", budget="90000.00", scope_area_m2="200.00",
                                         proposed_by=user_factory())
    for house in (a, b):
        FundProjectHouse.objects.create(estate=estate, project=project, house=house, area_m2=house.area_m2)
    vote = make_vote(fund_project=project)
    roll_freeze(vote=vote)
    assert sorted(RollEntry.objects.filter(vote=vote).values_list("house_id", flat=True)) == [a.pk, b.pk]
    assert vote.total_heads == 2


def test_an_estate_without_houses_cannot_open_a_vote(estate, make_vote):
    vote = make_vote()
    with pytest.raises(DomainError) as raised:
        roll_freeze(vote=vote)
    assert raised.value.code == "empty_roll"
    assert not RollEntry.objects.filter(vote=vote).exists()


def test_a_local_override_marks_the_rule_set(estate, registry, make_vote):
    registry.house()
    estate.rule_overrides = {"vote.non_voters_follow_majority": True}
    estate.save()
    vote = make_vote()
    roll_freeze(vote=vote)
    assert vote.rule_set == "national+local" and vote.rules["non_voters_follow_majority"] is True

"""The rule set of a vote, read from the jurisdiction profile and the estate's overrides."""

from fractions import Fraction

import pytest

from gongzhi.governance.rules import (
    VoteRules,
    approval_threshold,
    assembly_request_reached,
    participation_threshold,
    rules_for,
)

pytestmark = pytest.mark.django_db


def test_the_national_defaults(estate):
    label, rules = rules_for(estate)
    assert label == "national"
    assert rules == VoteRules(Fraction(2, 3), Fraction(2, 3), Fraction(1, 2), Fraction(3, 4), False, False, True,
                              False)
    assert rules.as_json()["special_majority"] == "3/4"
    assert VoteRules.from_json(rules.as_json()) == rules


def test_a_city_profile_and_a_local_override(estate):
    estate.jurisdiction = "fund_two_thirds"
    assert rules_for(estate) == ("fund_two_thirds", rules_for(estate)[1])
    assert rules_for(estate)[1].fund_two_thirds is True
    estate.rule_overrides = {"vote.reminder_every_days": 7}  # not a counting rule
    assert rules_for(estate)[0] == "fund_two_thirds"
    estate.rule_overrides = {"vote.written_ballot_overrides_online": False}
    assert rules_for(estate)[0] == "fund_two_thirds+local"


@pytest.mark.parametrize(("matter", "fund_scope", "expected"), [
    ("rebuild", False, ("3/4", False, "participating")),
    ("fund_raise", True, ("3/4", False, "participating")),
    ("common_use", False, ("3/4", False, "participating")),
    ("committee", False, ("1/2", True, "participating")),
    ("fund_use", False, ("1/2", True, "participating")),
    ("fund_use", True, ("2/3", False, "total")),
])
def test_each_matter_has_its_approval_rule(estate, matter, fund_scope, expected):
    estate.jurisdiction = "fund_two_thirds"
    threshold = approval_threshold(matter, rules_for(estate)[1], fund_scope=fund_scope)
    assert (f"{threshold.fraction.numerator}/{threshold.fraction.denominator}", threshold.strict,
            threshold.base) == expected


def test_participation_is_at_least_two_thirds_of_both(estate):
    area, heads = participation_threshold(rules_for(estate)[1])
    assert area.met(200, 300) and not area.met(199, 300) and heads.met(2, 3) and not heads.strict


@pytest.mark.parametrize(("area", "heads", "reached"), [
    (2000, 20, True), (1999, 20, False), (2000, 19, False), (10000, 100, True)])
def test_an_assembly_request_needs_a_fifth_of_area_and_heads(estate, area, heads, reached):
    assert assembly_request_reached(area_signed_cents=area, area_total_cents=10000, heads_signed=heads,
                                    heads_total=100, estate=estate) is reached

"""The exact tally at its boundaries (DOMAIN.md "Owners' votes"; Civil Code art. 278): the pure engine, count.py.

Each case is a small estate (house, area, unit) and the counted ballots; the figures compared are the engine's own
numerators and denominators, so a failure shows exactly which measure moved."""

from fractions import Fraction

import pytest

from gongzhi.governance import count
from gongzhi.governance.count import Threshold

from .engine import dataset


def item_of(data):
    return count.tally(data)["items"][0]


# --- participation: at least 2/3 of the area AND of the heads ------------------------------------------------------
PARTICIPATION = [
    # (story, houses, voters, area met, heads met)
    ("exactly 2/3 of area and heads", [("a", "100.00"), ("b", "100.00"), ("c", "100.00")], ["a", "b"], True, True),
    ("0.01 m² short of 2/3", [("a", "100.00"), ("b", "100.00"), ("c", "100.01")], ["a", "b"], False, True),
    ("one head short of 2/3", [("a", "200.00"), ("b", "50.00"), ("c", "50.00")], ["a"], True, False),
    ("exactly 2/3 of heads over six", [("a", "10.00"), ("b", "10.00"), ("c", "10.00"), ("d", "10.00"),
                                       ("e", "10.00"), ("f", "10.00")], ["a", "b", "c", "d"], True, True),
    ("nobody", [("a", "10.00")], [], False, False),
]


@pytest.mark.parametrize(("story", "houses", "voters", "area_met", "heads_met"), PARTICIPATION,
                         ids=[p[0] for p in PARTICIPATION])
def test_participation_floors_at_their_boundaries(story, houses, voters, area_met, heads_met):
    # given an estate and the houses that took part, all voting for
    result = item_of(dataset(houses, [(h, "for") for h in voters]))
    # then each floor is met exactly when the engine's own figures say so, and both are needed
    p = result["participation"]
    assert (p["area"]["met"], p["heads"]["met"]) == (area_met, heads_met)
    assert p["met"] is (area_met and heads_met)
    assert p["area"]["fraction"] == "2/3" and p["area"]["comparison"] == "at least"
    if not (area_met and heads_met):
        assert result["passes"] is False


def test_participation_shows_every_numerator_and_denominator():
    p = item_of(dataset([("a", "100.00"), ("b", "100.00"), ("c", "100.01")], [("a", "for"), ("b", "for")]))[
        "participation"]
    assert p["area"]["part"] == "200.00" and p["area"]["whole"] == "300.01"
    assert p["heads"]["part"] == 2 and p["heads"]["whole"] == 3


# --- approval ------------------------------------------------------------------------------------------------------
FOUR = [("a", "100.00"), ("b", "100.00"), ("c", "100.00"), ("d", "100.00")]
APPROVAL = [
    # (story, matter, houses, ballots, passes)
    ("rebuild (7): exactly 3/4 passes", "rebuild", FOUR,
     [("a", "for"), ("b", "for"), ("c", "for"), ("d", "against")], True),
    ("rebuild (7): 0.01 m² short of 3/4", "rebuild", [("a", "100.00"), ("b", "100.00"), ("c", "99.99"),
                                                      ("d", "100.00")],
     [("a", "for"), ("b", "for"), ("c", "for"), ("d", "against")], False),
    ("rebuild (7): one head short of 3/4", "rebuild", [("a", "300.00"), ("b", "300.00"), ("c", "1.00"),
                                                       ("d", "1.00")],
     [("a", "for"), ("b", "for"), ("c", "against"), ("d", "against")], False),
    ("fund raise (6): abstentions count against 3/4", "fund_raise", FOUR,
     [("a", "for"), ("b", "for"), ("c", "for"), ("d", "abstain")], True),
    ("common use (8): 2 of 4 fails", "common_use", FOUR,
     [("a", "for"), ("b", "for"), ("c", "against"), ("d", "abstain")], False),
    ("simple matter: exactly 1/2 fails (more than)", "company", [("a", "50.00"), ("b", "50.00"), ("c", "100.00")],
     [("a", "for"), ("c", "against"), ("b", "against")], False),
    ("simple matter: 1/2 of area fails", "other", [("a", "50.00"), ("b", "50.00"), ("c", "100.00")],
     [("a", "for"), ("b", "for"), ("c", "against")], False),
    ("simple matter: 1/2 + 0.01 m² passes", "other", [("a", "50.00"), ("b", "50.01"), ("c", "100.00")],
     [("a", "for"), ("b", "for"), ("c", "against")], True),
    ("simple matter: exactly 1/2 of heads fails", "covenant", FOUR,
     [("a", "for"), ("b", "for"), ("c", "against"), ("d", "abstain")], False),
]


@pytest.mark.parametrize(("story", "matter", "houses", "ballots", "passes"), APPROVAL, ids=[a[0] for a in APPROVAL])
def test_approval_at_its_boundaries(story, matter, houses, ballots, passes):
    result = item_of(dataset(houses, ballots, matter=matter))
    assert result["participation"]["met"]
    assert result["passes"] is passes


def test_approval_shows_its_rule_and_figures():
    result = item_of(dataset(FOUR, [("a", "for"), ("b", "for"), ("c", "for"), ("d", "against")], matter="rebuild"))
    approval = result["approval"]
    assert (approval["fraction"], approval["comparison"], approval["base"]) == ("3/4", "at least", "participating")
    assert (approval["area"], approval["area_of"], approval["heads"], approval["heads_of"]) == (
        "300.00", "400.00", 3, 4)
    assert result["votes"]["against"] == {"area": "100.00", "heads": 1}


SIX = [(c, "100.00") for c in "abcdef"]


@pytest.mark.parametrize(("fund_two_thirds", "fund_scope", "passes", "base"), [
    (False, True, True, "participating"),   # national: more than 1/2 of the participants (3 of 4)
    (True, True, False, "total"),           # the city rule: at least 2/3 of the whole scope (3 of 6 is short)
    (True, False, True, "participating"),   # the rule binds a fund project's charge scope only
])
def test_fund_use_two_thirds_of_the_charge_scope(fund_two_thirds, fund_scope, passes, base):
    # given a charge scope of six houses, four vote: three for, one against
    data = dataset(SIX, [("a", "for"), ("b", "for"), ("c", "for"), ("d", "against")], matter="fund_use",
                   fund_scope=fund_scope, fund_two_thirds=fund_two_thirds)
    result = item_of(data)
    assert result["participation"]["met"]
    assert result["approval"]["base"] == base
    assert result["passes"] is passes


def test_fund_use_two_thirds_of_the_scope_exactly_passes():
    data = dataset(SIX, [(h, "for") for h in "abcd"], matter="fund_use", fund_scope=True, fund_two_thirds=True)
    result = item_of(data)
    assert (result["approval"]["area"], result["approval"]["area_of"]) == ("400.00", "600.00")
    assert result["passes"] is True


# --- the non-voter clause ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("clause", "voters", "added", "passes"), [
    (False, [("a", "for"), ("b", "for"), ("c", "against"), ("d", "abstain")], None, False),
    (True, [("a", "for"), ("b", "for"), ("c", "against"), ("d", "abstain")],
     {"area": "200.00", "area_side": "for", "heads": 2, "heads_side": "for"}, True),
    # floors not met: nobody is added
    (True, [("a", "for"), ("b", "for"), ("c", "against")], None, False),
    # a tie among participants: the non-voters join nobody
    (True, [("a", "for"), ("b", "against"), ("c", "abstain"), ("d", "abstain")],
     {"area": "200.00", "area_side": None, "heads": 2, "heads_side": None}, False),
])
def test_non_voters_follow_the_majority_only_when_the_clause_is_on(clause, voters, added, passes):
    result = item_of(dataset(SIX, voters, non_voters_follow_majority=clause))
    assert result["non_voters_added"] == added
    assert result["passes"] is passes
    if added and added["area_side"] == "for":
        assert (result["approval"]["area"], result["approval"]["area_of"]) == ("400.00", "600.00")


# --- headcount units -----------------------------------------------------------------------------------------------
def test_a_unit_of_several_houses_counts_once_with_its_largest_house():
    # given one owner of a (120 m²) and b (80 m²), and c of its own
    houses = [("a", "120.00", "u:1"), ("b", "80.00", "u:1"), ("c", "100.00", "u:3")]
    # when the owner votes for with a and against with b, and c votes against
    result = item_of(dataset(houses, [("a", "for"), ("b", "against"), ("c", "against")]))
    # then the area counts per house, the heads per unit, the unit's head following its largest house
    assert result["participation"]["heads"] == {**result["participation"]["heads"], "part": 2, "whole": 2}
    assert result["votes"]["for"] == {"area": "120.00", "heads": 1}
    assert result["votes"]["against"] == {"area": "180.00", "heads": 1}


def test_a_unit_participates_when_any_of_its_houses_voted():
    houses = [("a", "120.00", "developer"), ("b", "80.00", "developer"), ("c", "100.00")]
    result = item_of(dataset(houses, [("b", "against")]))
    assert result["participation"]["heads"]["part"] == 1
    assert result["votes"]["against"] == {"area": "80.00", "heads": 1}


def test_equal_areas_in_a_unit_the_lowest_rank_speaks():
    houses = [("a", "90.00", "u:1"), ("b", "90.00", "u:1")]  # ranks 0 and 1 (the lowest house id first)
    result = item_of(dataset(houses, [("b", "against"), ("a", "for")]))
    assert result["votes"]["for"]["heads"] == 1 and result["votes"]["against"]["heads"] == 0


# --- which ballot counts -------------------------------------------------------------------------------------------
def test_a_written_ballot_beats_a_later_online_one_under_the_rule():
    ballots = [{"house": "a", "choice": "against", "channel": "written", "seq": 1},
               {"house": "a", "choice": "for", "channel": "online", "seq": 2}]
    assert item_of(dataset([("a", "10.00")], ballots))["votes"]["against"]["heads"] == 1
    off = item_of(dataset([("a", "10.00")], ballots, written_overrides_online=False))
    assert off["votes"]["for"]["heads"] == 1
    assert off["counted"] == 1 and off["replaced"] == 1


def test_the_latest_online_ballot_counts():
    ballots = [{"house": "a", "choice": "for", "seq": 1}, {"house": "a", "choice": "against", "seq": 3},
               {"house": "a", "choice": "abstain", "seq": 2}]
    assert item_of(dataset([("a", "10.00")], ballots))["votes"]["against"]["heads"] == 1


def test_counted_keys_ballots_by_item_and_house():
    rules = {"written_overrides_online": True}
    chosen = count.counted([{"item": 1, "house": "a", "channel": "onsite", "seq": 1},
                            {"item": 1, "house": "a", "channel": "online", "seq": 2},
                            {"item": 2, "house": "a", "channel": "online", "seq": 1}], rules)
    assert chosen[(1, "a")]["channel"] == "onsite" and set(chosen) == {(1, "a"), (2, "a")}


# --- choose one ----------------------------------------------------------------------------------------------------
def test_choose_one_adopts_the_option_with_more_than_half_of_both():
    houses = [(c, "100.00") for c in "abcd"]
    result = item_of(dataset(houses, [("a", [10]), ("b", [10]), ("c", [10]), ("d", [11])], form="choose_one",
                             options=[10, 11, 12]))
    assert result["adopted"] == 10 and result["passes"]
    assert [o["area"] for o in result["options"]] == ["300.00", "100.00", "0.00"]


def test_choose_one_without_a_majority_adopts_nothing():
    houses = [(c, "100.00") for c in "abcd"]
    result = item_of(dataset(houses, [("a", [10]), ("b", [10]), ("c", [11]), ("d", [])], form="choose_one",
                             options=[10, 11]))
    assert result["adopted"] is None and not result["passes"]
    assert result["participation"]["heads"]["part"] == 4  # the blank ballot takes part


def test_choose_one_refuses_two_options():
    with pytest.raises(ValueError, match="not valid"):
        item_of(dataset([("a", "1.00")], [("a", [10, 11])], form="choose_one", options=[10, 11]))


# --- elections -----------------------------------------------------------------------------------------------------
TEN = [(f"h{n}", "100.00") for n in range(10)]


def election(ballots, seats=2, options=(1, 2, 3, 4), houses=TEN, **rules):
    return item_of(dataset(houses, [(f"h{n}", picks) for n, picks in enumerate(ballots)], form="election",
                           matter="committee", seats=seats, options=options, **rules))


def test_an_election_ranks_candidates_and_fills_the_seats():
    # 10 voters: candidate 1 on 9 ballots, 2 on 8, 3 on 7 (3 qualifies but ranks third), 4 on 1
    ballots = [[1, 2], [1, 2], [1, 2], [1, 3], [1, 3], [2, 3], [1, 2], [1, 2], [1, 3], [2, 3]]
    ballots[9] = [2, 3]
    result = election(ballots)
    assert result["elected"] == [1, 2]
    assert [c["id"] for c in result["candidates"]] == [1, 2, 3, 4]
    assert result["unfilled"] == 0 and result["tie"] is False and result["complete"]


def test_a_tie_at_the_last_seat_leaves_it_unfilled():
    # candidate 1 on 8 ballots; 2 and 3 both on 6 of 10 ballots with equal areas: tied for the second seat
    ballots = [[1, 2]] * 4 + [[1, 3]] * 4 + [[2, 3]] * 2
    result = election(ballots, seats=2, options=(1, 2, 3))
    assert result["elected"] == [1] and result["tie"] is True and result["unfilled"] == 1
    assert not result["complete"] and result["passes"]


def test_candidates_below_the_threshold_are_not_elected():
    ballots = [[1]] * 6 + [[2]] * 4
    result = election(ballots, seats=2, options=(1, 2))
    assert result["elected"] == [1] and result["unfilled"] == 1 and result["tie"] is False
    assert [c["qualified"] for c in result["candidates"]] == [True, False]


def test_blank_ballots_take_part_and_dilute():
    # 5 for candidate 1, 5 blank: 1/2 of the participants is not more than 1/2
    result = election([[1]] * 5 + [[]] * 5, seats=1, options=(1, 2))
    assert result["participation"]["heads"]["part"] == 10
    assert result["elected"] == [] and not result["passes"]


def test_no_one_is_elected_without_participation():
    result = election([[1]] * 6, seats=1, options=(1,))  # 6 of 10 take part: short of 2/3
    assert result["candidates"][0]["qualified"] and result["elected"] == []


def test_an_election_ballot_with_too_many_names_never_counts():
    with pytest.raises(ValueError, match="not valid"):
        election([[1, 2, 3]], seats=2)


# --- thresholds and areas ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fraction", "strict", "part", "whole", "met"), [
    (Fraction(1, 2), True, 1, 2, False), (Fraction(1, 2), True, 50001, 100000, True),
    (Fraction(3, 4), False, 3, 4, True), (Fraction(3, 4), False, 299, 400, False),
    (Fraction(2, 3), False, 0, 0, False),
])
def test_threshold_is_exact_integer_arithmetic(fraction, strict, part, whole, met):
    assert Threshold(fraction, strict, "participating").met(part, whole) is met


@pytest.mark.parametrize(("text", "cents"), [("1234.56", 123456), ("12.3", 1230), ("7", 700), ("0.01", 1),
                                             ("89.500", 8950)])
def test_areas_are_parsed_exactly(text, cents):
    assert count.to_cents(text) == cents and count.from_cents(cents) == f"{cents // 100}.{cents % 100:02d}"


@pytest.mark.parametrize("bad", ["1.234", "-1.00", "abc", 1.5])
def test_areas_refuse_floats_and_junk(bad):
    with pytest.raises(ValueError):
        count.to_cents(bad)


def test_the_result_records_its_rules_and_digest_is_canonical():
    data = dataset(FOUR, [("a", "for")])
    result = count.tally(data)
    assert result["rules"] == data["rules"] and result["rule_set"] == "national"
    assert result["total_area"] == "400.00" and result["total_heads"] == 4
    assert result["passes_by_item"] == {"1": False}
    assert count.result_digest(result) == count.result_digest(count.tally(data))

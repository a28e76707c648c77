"""The tally from the database: what the platform counts is what it publishes, and anyone recounting the published
file with count.py gets the same result; live progress against both floors; whom to remind."""

import json
import subprocess
import sys

import pytest

from gongzhi.governance import count
from gongzhi.governance.models import Ballot
from gongzhi.governance.published import published_dataset, receipt_digest
from gongzhi.governance.roll import roll_freeze
from gongzhi.governance.tally import houses_not_voted, vote_dataset, vote_progress, vote_tally

from .conftest import cast

pytestmark = pytest.mark.django_db

ITEMS = (("rebuild", "yes_no", None, ()), ("company", "choose_one", None, ("甲公司", "乙公司")),
         ("committee", "election", 2, ("张三", "李四", "王五")))


@pytest.fixture
def story(estate, registry, make_vote):
    """Six houses: 赵 owns a (120) and b (80); c, d, e own one each (100); f is the developer's (100)."""

    def make(secret=False):
        a, b = registry.house("120.00"), registry.house("80.00")
        registry.own(registry.person("赵业主"), a, b)
        c, d, e = (registry.house() for _ in range(3))
        for house in (c, d, e):
            registry.own(registry.person(), house)
        f = registry.house(developer_held=True)
        vote = make_vote(items=ITEMS, secret=secret)
        roll_freeze(vote=vote)
        rebuild, company, committee = vote.items.order_by("position")
        first, second = company.options.order_by("position")
        zhang, li, wang = committee.options.order_by("position")
        for house in (a, c, d, e):
            cast(vote, house, rebuild, choice="for")
        cast(vote, b, rebuild, choice="against")
        cast(vote, c, rebuild, choice="against")           # c changes its mind online ...
        cast(vote, c, rebuild, choice="for", channel="onsite")  # ... but its on-site ballot counts
        for house in (a, c, d):
            cast(vote, house, company, options=[first.pk])
        cast(vote, e, company, options=[second.pk])
        for house, picks in ((a, [zhang.pk, li.pk]), (c, [zhang.pk]), (d, [zhang.pk, wang.pk]), (e, [])):
            cast(vote, house, committee, options=picks)
        return vote, (a, b, c, d, e, f), (first, second), (zhang, li, wang)

    return make


def test_the_tally_counts_the_frozen_roll_and_the_counted_ballots(story):
    vote, (_a, _b, _c, _d, _e, _f), (first, _second), (zhang, _li, _wang) = story()
    result = vote_tally(vote)
    assert (result["total_area"], result["total_heads"]) == ("600.00", 5)
    rebuild, company, committee = result["items"]
    # a and b are one unit (赵): its head follows a (the larger house); the area counts per house
    assert rebuild["participation"]["area"]["part"] == "500.00" and rebuild["participation"]["heads"]["part"] == 4
    assert rebuild["votes"]["for"] == {"area": "420.00", "heads": 4}
    assert rebuild["votes"]["against"] == {"area": "80.00", "heads": 0}
    assert rebuild["counted"] == 5 and rebuild["replaced"] == 2
    assert rebuild["passes"]  # 420/500 ≥ 3/4 and 4/4 heads
    assert company["adopted"] == first.pk
    assert committee["elected"] == [zhang.pk] and committee["unfilled"] == 1
    assert result["passes_by_item"] == {str(rebuild["id"]): True, str(company["id"]): True,
                                        str(committee["id"]): True}


@pytest.mark.parametrize("secret", [False, True])
def test_the_published_file_recounts_to_the_same_digest(story, tmp_path, secret):
    vote, _houses, _options, _candidates = story(secret=secret)
    result = vote_tally(vote)
    vote.result, vote.result_sha256 = result, count.result_digest(result)
    vote.save(update_fields=["result", "result_sha256"])
    published = published_dataset(vote)
    # then the file counts to the same result, and its roll matches the digest recorded at the opening
    assert count.tally(published) == result
    assert count.roll_digest(published["roll"]) == vote.roll_sha256
    path = tmp_path / f"vote-{vote.pk}.json"
    path.write_text(json.dumps(published, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", str(count.__file__), str(path)], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    codes = {row["house"] for row in published["roll"]}
    if secret:
        # a secret vote names no house on its ballots, and lists them by token
        assert all("house" not in b and b["token"] for b in published["ballots"])
        assert [b["token"] for b in published["ballots"]] == sorted(b["token"] for b in published["ballots"])
        assert not codes & {str(b.get("unit")) for b in published["ballots"]}
    else:
        assert {b["house"] for b in published["ballots"]} <= codes
    text = json.dumps(published, ensure_ascii=False)
    assert "赵业主" not in text  # never a person's name


def test_an_owner_finds_their_ballot_by_the_receipt_prefix(story):
    vote, houses, _o, _c = story()
    code = "K7Q2-9XZD"
    ballot = Ballot.objects.filter(vote=vote, house=houses[0]).first()
    # ballots are append-only: the owner changes their vote with a known receipt code
    fresh = Ballot.objects.create(estate=vote.estate, vote=vote, item=ballot.item, house=houses[0],
                                  channel="online", choice="for", receipt_sha256=receipt_digest(code))
    published = vote_dataset(vote, include_houses=True)
    mine = [b for b in published["ballots"] if b["receipt"] == receipt_digest(" k7q2-9xzd ")[:16]]
    assert len(mine) == 1 and mine[0]["seq"] == 2 and fresh.receipt_sha256.startswith(mine[0]["receipt"])


def test_progress_against_both_floors(story):
    vote, _houses, _o, _c = story()
    progress = vote_progress(vote)
    assert (progress["total_houses"], progress["total_area"], progress["total_heads"]) == (6, "600.00", 5)
    assert (progress["houses"], progress["area"], progress["heads"]) == (5, "500.00", 4)
    assert progress["area_met"] and progress["heads_met"] and progress["met"]
    assert [i["houses"] for i in progress["items"]] == [5, 4, 4]
    assert progress["floor_area"] == {"fraction": "2/3", "comparison": "at least", "base": "total"}


def test_houses_not_voted_are_those_to_remind(story):
    vote, (_a, _b, _c, _d, _e, f), _o, _cands = story()
    assert list(houses_not_voted(vote).values_list("house_id", flat=True)) == [f.pk]


def test_reading_a_vote_takes_a_fixed_number_of_queries(story, registry, django_assert_max_num_queries):
    vote, _houses, _o, _c = story()
    with django_assert_max_num_queries(4):
        vote_tally(vote)
    with django_assert_max_num_queries(4):
        published_dataset(vote)
    with django_assert_max_num_queries(2 + 2 * 3):  # totals, overall, one per item
        vote_progress(vote)
    with django_assert_max_num_queries(1):
        list(houses_not_voted(vote))

"""Casting ballots: who may, when, through which channel, and what happens on a second try (issue 6 "Bad input").
Every refusal leaves nothing written."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.core.access import resolve_actor
from gongzhi.core.errors import DomainError
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory
from gongzhi.governance import ballots as b
from gongzhi.governance import votes as svc
from gongzhi.governance.models import Ballot, Vote
from gongzhi.governance.tally import vote_tally

from .conftest import png_scan

pytestmark = pytest.mark.django_db


def refused(expected, fn, **kwargs):
    with pytest.raises(DomainError) as caught:
        fn(**kwargs)
    assert caught.value.code == expected, caught.value.text()
    return caught.value


def test_the_representative_casts_and_gets_a_receipt(town, make_vote):
    vote, item = make_vote()
    receipt = b.ballot_cast_online(actor=town.owners[0], vote_id=vote.pk, house_id=town.houses[0].pk,
                                   answers={item.pk: {"choice": "for"}})
    assert len(receipt.code) == 19 and receipt.code.count("-") == 3
    [ballot] = receipt.ballots
    assert ballot.channel == "online" and ballot.choice == "for" and ballot.voter_id == town.persons[0].pk
    assert receipt.code not in ballot.receipt_sha256  # only the digest is stored
    checked = b.receipt_check(actor=town.owners[3], vote_id=vote.pk, code=receipt.code.lower().replace("-", " "))
    assert checked["ballots"][0]["choice"] == "for" and checked["ballots"][0]["counted"] is True


def test_a_ballot_before_the_opening_time_is_refused(town, make_vote):
    vote, item = make_vote(opens_in=datetime.timedelta(days=1))
    error = refused("vote_not_open", b.ballot_cast_online, actor=town.owners[0], vote_id=vote.pk,
                    house_id=town.houses[0].pk, answers={item.pk: {"choice": "for"}})
    assert error.status == 409 and "not started" in error.text("en")
    assert not Ballot.objects.exists()


def test_a_ballot_after_the_close_is_refused(town, make_vote):
    vote, item = make_vote()
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
    error = refused("vote_not_open", b.ballot_cast_online, actor=town.owners[0], vote_id=vote.pk,
                    house_id=town.houses[0].pk, answers={item.pk: {"choice": "for"}})
    assert "ended" in error.text("en")
    svc.vote_close(actor=town.organiser, vote_id=vote.pk)
    refused("vote_not_open", b.ballot_cast_online, actor=town.owners[0], vote_id=vote.pk,
            house_id=town.houses[0].pk, answers={item.pk: {"choice": "for"}})
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("kind", ["tenant", "family"])
def test_a_tenant_or_family_member_without_a_proxy_cannot_vote(town, make_vote, member, kind):
    user = member(kind, town.estate)
    ResidencyFactory(house=town.houses[0], person=PersonFactory(estate=town.estate, user=user), kind=kind,
                     is_representative=False)
    vote, item = make_vote()
    error = refused("not_a_voter", b.ballot_cast_online, actor=resolve_actor(user, town.estate.pk), vote_id=vote.pk,
                    house_id=town.houses[0].pk, answers={item.pk: {"choice": "for"}})
    assert error.status == 403 and "proxy" in error.text("en")
    assert not Ballot.objects.exists()


def test_another_owner_cannot_vote_for_a_house_not_theirs(town, make_vote):
    vote, item = make_vote()
    refused("not_a_voter", b.ballot_cast_online, actor=town.owners[1], vote_id=vote.pk,
            house_id=town.houses[0].pk, answers={item.pk: {"choice": "for"}})


def test_a_house_outside_the_roll_is_not_found(town, make_vote, other_estate):
    vote, item = make_vote()
    late = HouseFactory(unit=town.houses[0].unit, area_m2="90.00")  # added after the roll was frozen
    foreign = HouseFactory()
    for house in (late, foreign):
        error = refused("not_on_roll", b.ballot_cast_online, actor=town.owners[0], vote_id=vote.pk,
                        house_id=house.pk, answers={item.pk: {"choice": "for"}})
        assert error.status == 404


def test_twice_online_is_refused_unless_changing_and_the_latest_counts(town, make_vote):
    vote, item = make_vote()
    first = b.ballot_cast_online(actor=town.owners[0], vote_id=vote.pk, house_id=town.houses[0].pk,
                                 answers={item.pk: {"choice": "for"}})
    error = refused("already_voted", b.ballot_cast_online, actor=town.owners[0], vote_id=vote.pk,
                    house_id=town.houses[0].pk, answers={item.pk: {"choice": "against"}})
    assert "change=true" in error.text("en")
    second = b.ballot_cast_online(actor=town.owners[0], vote_id=vote.pk, house_id=town.houses[0].pk,
                                  answers={item.pk: {"choice": "against"}}, change=True)
    [new] = second.ballots
    assert new.replaces_id == first.ballots[0].pk and new.replace_reason == "changed online"
    assert Ballot.objects.count() == 2  # the old one stays on record
    old = b.receipt_check(actor=town.owners[0], vote_id=vote.pk, code=first.code)["ballots"][0]
    assert old["counted"] is False and old["replaced_by"]["channel"] == "online"
    assert b.receipt_check(actor=town.owners[0], vote_id=vote.pk, code=second.code)["ballots"][0]["counted"]


def test_the_same_idempotency_key_returns_the_same_receipt_and_writes_nothing(town, make_vote):
    vote, item = make_vote()
    kwargs = {"actor": town.owners[0], "vote_id": vote.pk, "house_id": town.houses[0].pk,
              "answers": {item.pk: {"choice": "for"}}, "idempotency_key": "tap-1"}
    first = b.ballot_cast_online(**kwargs)
    again = b.ballot_cast_online(**kwargs)
    assert again.code == first.code and [x.pk for x in again.ballots] == [x.pk for x in first.ballots]
    assert Ballot.objects.count() == 1
    refused("idempotency_key_reused", b.ballot_cast_online, **{**kwargs, "answers": {item.pk: {"choice": "against"}}})


def test_a_forged_or_another_votes_receipt_is_unknown(town, make_vote):
    vote, _item = make_vote()
    other, other_item = make_vote(title="Another")
    receipt = b.ballot_cast_online(actor=town.owners[0], vote_id=other.pk, house_id=town.houses[0].pk,
                                   answers={other_item.pk: {"choice": "for"}})
    for code in ("AAAA-BBBB-CCCC-DDDD", receipt.code, ""):
        error = refused("receipt_unknown", b.receipt_check, actor=town.owners[0], vote_id=vote.pk, code=code)
        assert error.status == 404


def test_an_election_ballot_with_too_many_candidates_is_refused(town, election):
    vote, item = election(seats=5)
    options = list(item.options.values_list("pk", flat=True))
    error = refused("too_many_candidates", b.ballot_cast_online, actor=town.owners[0], vote_id=vote.pk,
                    house_id=town.houses[0].pk, answers={item.pk: {"options": options}})
    assert error.status == 400 and "6 candidates chosen for 5 seats" in error.text("en")
    receipt = b.ballot_cast_online(actor=town.owners[0], vote_id=vote.pk, house_id=town.houses[0].pk,
                                   answers={item.pk: {"options": options[:5]}})
    assert receipt.ballots[0].options == sorted(options[:5])


def test_an_option_of_another_item_or_a_wrong_choice_is_refused(town, election, make_vote):
    vote, item = election()
    yes_no_vote, yes_no = make_vote()
    foreign = list(item.options.values_list("pk", flat=True))[:1]
    refused("invalid_field", b.ballot_cast_online, actor=town.owners[0], vote_id=vote.pk,
            house_id=town.houses[0].pk, answers={item.pk: {"options": [foreign[0] + 10_000]}})
    refused("invalid_field", b.ballot_cast_online, actor=town.owners[0], vote_id=yes_no_vote.pk,
            house_id=town.houses[0].pk, answers={yes_no.pk: {"choice": "maybe"}})
    refused("invalid_field", b.ballot_cast_online, actor=town.owners[0], vote_id=yes_no_vote.pk,
            house_id=town.houses[0].pk, answers={item.pk: {"options": foreign}})  # another vote's item
    refused("invalid_field", b.ballot_cast_online, actor=town.owners[0], vote_id=yes_no_vote.pk,
            house_id=town.houses[0].pk, answers={})
    assert not Ballot.objects.exists()


def test_a_written_ballot_needs_a_scan_and_takes_precedence_over_online(town, make_vote):
    vote, item = make_vote()
    online = b.ballot_cast_online(actor=town.owners[0], vote_id=vote.pk, house_id=town.houses[0].pk,
                                  answers={item.pk: {"choice": "for"}})
    refused("scan_required", b.ballot_enter, actor=town.clerk, vote_id=vote.pk, house_id=town.houses[0].pk,
            channel="written", answers={item.pk: {"choice": "against"}})
    written = b.ballot_enter(actor=town.clerk, vote_id=vote.pk, house_id=town.houses[0].pk, channel="written",
                             answers={item.pk: {"choice": "against"}}, scan=png_scan())
    [paper] = written.ballots
    assert paper.scan.sha256 and paper.replaces_id == online.ballots[0].pk
    assert "precedence" in paper.replace_reason
    # Now an online ballot would not count: refused, with the reason.
    refused("written_ballot_counts", b.ballot_cast_online, actor=town.owners[0], vote_id=vote.pk,
            house_id=town.houses[0].pk, answers={item.pk: {"choice": "for"}}, change=True)
    # The same channel twice: refused unless it is a correction with its reason.
    refused("already_entered", b.ballot_enter, actor=town.clerk, vote_id=vote.pk, house_id=town.houses[0].pk,
            channel="onsite", answers={item.pk: {"choice": "for"}})
    fixed = b.ballot_enter(actor=town.clerk, vote_id=vote.pk, house_id=town.houses[0].pk, channel="written",
                           answers={item.pk: {"choice": "abstain"}}, scan=png_scan(),
                           replaces_reason="entered the wrong box")
    assert fixed.ballots[0].replace_reason == "correction: entered the wrong box"
    svc.vote_close(actor=town.organiser, vote_id=vote.pk)
    result = vote_tally(Vote.objects.get(pk=vote.pk))["items"][0]
    assert result["votes"]["abstain"]["heads"] == 1 and result["votes"]["against"]["heads"] == 0
    assert Ballot.objects.count() == 3


def test_an_owner_cannot_enter_written_ballots(town, make_vote):
    vote, item = make_vote()
    refused("forbidden", b.ballot_enter, actor=town.owners[0], vote_id=vote.pk, house_id=town.houses[0].pk,
            channel="onsite", answers={item.pk: {"choice": "for"}})


def test_a_proxy_needs_a_document_and_lets_the_agent_vote(town, make_vote, member):
    vote, item = make_vote()
    agent_user = member("tenant", town.estate)
    agent = PersonFactory(estate=town.estate, user=agent_user)
    ResidencyFactory(house=town.houses[0], person=agent, kind="tenant", is_representative=False)
    agent_actor = resolve_actor(agent_user, town.estate.pk)
    base = {"actor": town.clerk, "vote_id": vote.pk, "house_id": town.houses[0].pk,
            "principal_person_id": town.persons[0].pk, "agent_person_id": agent.pk, "items": []}
    error = refused("proxy_needs_document", b.proxy_record, **base, document=None)
    assert error.status == 400
    refused("invalid_field", b.proxy_record, **{**base, "principal_person_id": agent.pk}, document=png_scan())
    proxy = b.proxy_record(**base, document=png_scan())
    refused("proxy_exists", b.proxy_record, **base, document=png_scan())
    [house] = b.my_voting_houses(actor=agent_actor, vote_id=vote.pk)
    assert house["role"] == "proxy" and house["proxy_id"] == proxy.pk
    receipt = b.ballot_cast_online(actor=agent_actor, vote_id=vote.pk, house_id=town.houses[0].pk,
                                   answers={item.pk: {"choice": "for"}})
    assert receipt.ballots[0].proxy_id == proxy.pk and receipt.ballots[0].voter_id == agent.pk
    b.proxy_revoke(actor=town.clerk, vote_id=vote.pk, proxy_id=proxy.pk, reason="the owner came back")
    refused("not_a_voter", b.ballot_cast_online, actor=agent_actor, vote_id=vote.pk, house_id=town.houses[0].pk,
            answers={item.pk: {"choice": "against"}}, change=True)


def test_my_voting_houses_shows_what_was_cast(town, make_vote):
    vote, item = make_vote()
    b.ballot_cast_online(actor=town.owners[2], vote_id=vote.pk, house_id=town.houses[2].pk,
                         answers={item.pk: {"choice": "against"}})
    [house] = b.my_voting_houses(actor=town.owners[2], vote_id=vote.pk)
    assert house["role"] == "representative" and house["cast"][item.pk]["choice"] == "against"
    assert house["cast"][item.pk]["counted"] is True
    assert b.my_voting_houses(actor=town.clerk, vote_id=vote.pk) == []

"""Stories of the organisers' pages: the committee chair drafts, opens, runs and publishes a vote; the clerk enters
written ballots and proxies with their scans; owners and other estates' members are turned away."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.governance import ballots
from gongzhi.governance.choices import BallotForm, VoteStatus
from gongzhi.governance.models import Ballot, Proxy, Vote, VoteItem

from .conftest import png

pytestmark = pytest.mark.django_db


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_only_organisers_reach_the_console_and_other_estates_see_nothing(place, make_vote):
    vote, _item = make_vote()
    for name, kwargs in [("votes", {}), ("vote_new", {}), ("vote", {"vote_id": vote.pk}),
                         ("vote_item_new", {"vote_id": vote.pk}), ("vote_ballot_enter", {"vote_id": vote.pk}),
                         ("vote_proxies", {"vote_id": vote.pk})]:
        url = place.url(name, **kwargs)
        assert place.client(place.chair).get(url).status_code == 200, name
        assert place.client(place.owners[0]).get(url).status_code == 403, name
        assert place.client(place.family).get(url).status_code == 403, name
        assert place.client(place.stranger).get(url).status_code == 404, name


def test_a_vote_of_another_estate_is_not_found_for_its_organisers(place, make_vote, other_estate, member):
    vote, _item = make_vote()
    outsider = member("committee_chair", other_estate)
    client = place.client(outsider)
    assert client.get(f"/e/{other_estate.pk}/votes/{vote.pk}/").status_code == 404
    assert client.get(f"/e/{other_estate.pk}/votes/{vote.pk}/roll/").status_code == 404


def test_the_list_stays_within_its_query_budget(place, make_vote, django_assert_max_num_queries):
    for n in range(4):
        make_vote(title=f"Vote {n}")
    client = place.client(place.chair)
    client.get(place.url("votes"))
    with django_assert_max_num_queries(12):
        response = client.get(place.url("votes"))
    assert response.content.decode().count("data-vote-id") == 4


def test_the_chair_drafts_a_vote_and_a_wrong_deadline_is_shown_next_to_its_field(place):
    client = place.client(place.chair)
    now = timezone.now()
    data = {"title": "New fence", "kind": "assembly", "opens_at": local(now + datetime.timedelta(days=1)),
            "closes_at": local(now), "idempotency_key": "k1"}
    # when the closing time is before the opening time
    response = client.post(place.url("vote_new"), data)
    assert response.status_code == 400
    page = response.content.decode()
    field = page[page.index('id="field-closes_at"'):]
    assert "must close after it opens" in field[:800]
    assert not Vote.objects.exists()
    # when it is right, a draft is saved and the chair lands on it
    data["closes_at"] = local(now + datetime.timedelta(days=20))
    response = client.post(place.url("vote_new"), data)
    vote = Vote.objects.get()
    assert response.status_code == 302 and response["Location"] == place.url("vote", vote_id=vote.pk)
    assert vote.status == VoteStatus.DRAFT
    # the same form sent twice makes one vote
    client.post(place.url("vote_new"), data)
    assert Vote.objects.count() == 1


def test_items_are_added_and_an_election_without_seats_is_refused_at_the_seats_field(place, make_vote):
    vote, _item = make_vote(open=False)
    client = place.client(place.chair)
    response = client.post(place.url("vote_item_new", vote_id=vote.pk), {
        "title": "Elect the committee", "matter": "committee", "form": "election", "options": "甲\n乙"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "needs the number of seats" in page[page.index('id="field-seats"'):][:800]
    response = client.post(place.url("vote_item_new", vote_id=vote.pk), {
        "title": "Pick a colour", "matter": "other", "form": "choose_one", "options": "Green\nGrey\n"})
    assert response.status_code == 302
    item = VoteItem.objects.get(vote=vote, title="Pick a colour")
    assert [o.label for o in item.options.all()] == ["Green", "Grey"]


def test_the_chair_opens_follows_closes_and_publishes_a_vote(place, make_vote):
    vote, item = make_vote(open=False)
    client = place.client(place.chair)
    here = place.url("vote", vote_id=vote.pk)
    assert 'id="action-open"' in client.get(here).content.decode()
    # opening freezes the roll
    assert client.post(here, {"action": "open"}).status_code == 302
    vote.refresh_from_db()
    assert vote.status == VoteStatus.OPEN and vote.total_heads == 6
    # two owners vote; the page shows the progress against both floors with exact figures
    for user in place.owners[:2]:
        from gongzhi.core.access import resolve_actor

        house = place.houses[place.owners.index(user)]
        ballots.ballot_cast_online(actor=resolve_actor(user, place.estate.pk), vote_id=vote.pk, house_id=house.pk,
                                   answers={item.pk: {"choice": "for"}})
    page = client.get(here).content.decode()
    assert 'data-part="200.00" data-whole="600.00"' in page
    assert 'data-part="2" data-whole="6"' in page
    # an extension must be later than the current deadline: said next to the field
    response = client.post(here, {"action": "extend", "reason": "More time",
                                  "closes_at": local(vote.closes_at - datetime.timedelta(days=1))})
    assert response.status_code in {400, 302}
    vote.refresh_from_db()
    assert vote.extensions.count() == 0
    client.post(here, {"action": "extend", "reason": "More time",
                       "closes_at": local(vote.closes_at + datetime.timedelta(days=3))})
    assert vote.extensions.count() == 1
    # closing, then publishing, leads to the result
    client.post(here, {"action": "close"})
    vote.refresh_from_db()
    assert vote.status == VoteStatus.CLOSED
    response = client.post(here, {"action": "publish"})
    assert response["Location"] == place.url("vote_result", vote_id=vote.pk)
    vote.refresh_from_db()
    assert vote.status == VoteStatus.PUBLISHED and vote.result_sha256
    # a published vote cannot be cancelled: the refusal is a message, nothing changes
    response = client.post(here, {"action": "cancel", "reason": "oops"}, follow=True)
    vote.refresh_from_db()
    assert vote.status == VoteStatus.PUBLISHED


def test_the_roll_is_paged_searchable_and_published_to_members(place, make_vote, django_assert_max_num_queries):
    vote, _item = make_vote()
    code = place.houses[2].code
    owner = place.client(place.owners[0])
    with django_assert_max_num_queries(10):
        response = owner.get(place.url("vote_roll", vote_id=vote.pk), {"q": code})
    page = response.content.decode()
    assert response.status_code == 200 and code in page and place.houses[3].code not in page
    download = owner.get(place.url("vote_roll", vote_id=vote.pk), {"download": "json"})
    assert download.json()["roll_sha256"] == vote.roll_sha256 and len(download.json()["roll"]) == 6
    assert place.persons[0].name not in download.content.decode()


def test_the_clerk_enters_a_written_ballot_with_its_scan(place, make_vote):
    vote, item = make_vote()
    client = place.client(place.clerk)
    url = place.url("vote_ballot_enter", vote_id=vote.pk)
    data = {"house": place.houses[4].code, "channel": "written", f"item_{item.pk}": "against",
            "idempotency_key": "w1"}
    # without the scan: the error is next to the scan field, nothing is written
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "needs the scan" in page[page.index('id="field-scan"'):][:800]
    assert not Ballot.objects.exists()
    # a house that is not on the roll
    response = client.post(url, {**data, "house": "99-9-9999", "scan": png()})
    assert "not on the vote" in response.content.decode()
    # with the scan it is entered, and the owner's receipt code is shown
    response = client.post(url, {**data, "scan": png()}, follow=True)
    ballot = Ballot.objects.get()
    assert ballot.channel == "written" and ballot.choice == "against" and ballot.house_id == place.houses[4].pk
    assert "Receipt code" in response.content.decode()
    # the scan is served to organisers only
    doc = place.url("vote_document", vote_id=vote.pk, document_id=ballot.scan_id)
    assert place.client(place.chair).get(doc).status_code == 200
    assert place.client(place.owners[4]).get(doc).status_code == 403
    assert place.client(place.stranger).get(doc).status_code == 404


def test_a_proxy_needs_its_written_authorisation(place, make_vote, django_assert_max_num_queries):
    vote, _item = make_vote()
    client = place.client(place.clerk)
    url = place.url("vote_proxies", vote_id=vote.pk)
    data = {"action": "record", "house": place.houses[1].code, "principal": place.persons[1].mobile,
            "agent_mobile": place.persons[5].mobile}
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "written authorisation" in page[page.index('id="field-document"'):][:800]
    assert not Proxy.objects.exists()
    response = client.post(url, {**data, "document": png("proxy.png")})
    assert response.status_code == 302
    proxy = Proxy.objects.get()
    assert proxy.agent_id == place.persons[5].pk and proxy.principal_id == place.persons[1].pk
    with django_assert_max_num_queries(12):
        assert place.houses[1].code in client.get(url).content.decode()
    # revoked with a reason; it stays listed
    client.post(url, {"action": "revoke", "proxy": proxy.pk, "reason": "Owner came back"})
    proxy.refresh_from_db()
    assert proxy.revoked_at is not None


def test_an_election_item_shows_its_candidates(place, make_vote):
    vote, _item = make_vote(form=BallotForm.ELECTION, seats=5, open=False)
    page = place.client(place.chair).get(place.url("vote", vote_id=vote.pk)).content.decode()
    assert place.persons[0].name in page and "5 seats" in page

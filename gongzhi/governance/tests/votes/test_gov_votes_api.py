"""The votes API end to end: an organiser drafts and opens a vote, owners cast online, a clerk enters a written
ballot with its scan, the result is published with its dataset and the recount tool; errors in the one shape;
query budgets on the lists."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.governance.models import Ballot, Vote

from .conftest import png_scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(town, api):
    return {"organiser": api(town.organiser.user, [town.estate]), "clerk": api(town.clerk.user, [town.estate]),
            "owners": [api(o.user, [town.estate]) for o in town.owners]}


def base(town):
    return f"/api/v1/estates/{town.estate.pk}/votes"


def draft_and_open(town, clients, title="Repaint the fence"):
    now = timezone.now()
    created = clients["organiser"].post(base(town), {
        "title": title, "opens_at": now.isoformat(), "closes_at": (now + datetime.timedelta(days=20)).isoformat()},
        content_type="application/json")
    assert created.status_code == 201, created.content
    vote_id = created.json()["id"]
    item = clients["organiser"].post(f"{base(town)}/{vote_id}/items", {"title": "Green?", "matter": "other"},
                                     content_type="application/json")
    assert item.status_code == 201, item.content
    opened = clients["organiser"].post(f"{base(town)}/{vote_id}/open")
    assert opened.status_code == 200, opened.content
    return vote_id, item.json()["id"]


def cast(client, town, vote_id, house, answers, **extra):
    return client.post(f"{base(town)}/{vote_id}/ballots", {"house_id": house.pk, "answers": answers, **extra},
                       content_type="application/json")


def test_the_whole_story_over_the_api(town, clients):
    vote_id, item_id = draft_and_open(town, clients)
    detail = clients["owners"][0].get(f"{base(town)}/{vote_id}").json()
    assert detail["status"] == "open" and detail["items"][0]["id"] == item_id
    receipts = []
    for i, choice in enumerate(["for", "for", "for", "against"]):
        response = cast(clients["owners"][i], town, vote_id, town.houses[i], {str(item_id): {"choice": choice}})
        assert response.status_code == 201, response.content
        receipts.append(response.json()["code"])
    written = clients["clerk"].post(f"{base(town)}/{vote_id}/ballots/entered", {
        "house_id": town.houses[4].pk, "channel": "written", "answers": json.dumps({item_id: {"choice": "for"}}),
        "scan": png_scan()})
    assert written.status_code == 201, written.content
    progress = clients["owners"][5].get(f"{base(town)}/{vote_id}/progress").json()
    assert progress["houses"] == 5 and progress["met"] is True
    check = clients["owners"][0].post(f"{base(town)}/{vote_id}/receipt-check", {"code": receipts[0]},
                                      content_type="application/json")
    assert check.status_code == 200 and check.json()["ballots"][0]["counted"] is True
    withheld = clients["owners"][0].get(f"{base(town)}/{vote_id}/ballots/published")
    assert withheld.status_code == 403 and withheld.json()["code"] == "ballots_withheld"
    assert clients["organiser"].post(f"{base(town)}/{vote_id}/close").json()["status"] == "closed"
    published = clients["organiser"].post(f"{base(town)}/{vote_id}/publish").json()
    assert published["status"] == "published" and published["result_sha256"]
    result = clients["owners"][5].get(f"{base(town)}/{vote_id}/result").json()
    assert result["result"]["items"][0]["passes"] is True
    listed = clients["owners"][5].get(f"{base(town)}/{vote_id}/ballots/published").json()["items"]
    assert {row["house_code"] for row in listed} == {h.code for h in town.houses[:5]}
    dataset = clients["owners"][5].get(f"{base(town)}/{vote_id}/dataset.json")
    assert dataset.status_code == 200 and json.loads(dataset.content)["result_sha256"] == published["result_sha256"]
    tool = clients["owners"][5].get(f"{base(town)}/{vote_id}/recount-tool")
    assert tool["Content-Type"].startswith("text/x-python") and b"def tally" in tool.content


def test_errors_come_in_the_one_shape(town, clients):
    vote_id, item_id = draft_and_open(town, clients)
    assert cast(clients["owners"][0], town, vote_id, town.houses[0], {str(item_id): {"choice": "for"}}).status_code == 201
    again = cast(clients["owners"][0], town, vote_id, town.houses[0], {str(item_id): {"choice": "against"}})
    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "already_voted" and set(body["messages"]) == {"zh-hans", "en"}
    assert "change=true" in body["messages"]["en"] and body["detail"] == {"items": [item_id]}
    not_mine = cast(clients["owners"][1], town, vote_id, town.houses[0], {str(item_id): {"choice": "for"}})
    assert not_mine.status_code == 403 and not_mine.json()["code"] == "not_a_voter"
    forged = clients["owners"][0].post(f"{base(town)}/{vote_id}/receipt-check", {"code": "AAAA-BBBB-CCCC-DDDD"},
                                       content_type="application/json")
    assert forged.status_code == 404 and forged.json()["code"] == "receipt_unknown"
    proxy = clients["clerk"].post(f"{base(town)}/{vote_id}/proxies", {
        "house_id": town.houses[1].pk, "principal_person_id": town.persons[1].pk,
        "agent_person_id": town.persons[2].pk})
    assert proxy.status_code == 400 and proxy.json()["code"] == "proxy_needs_document"
    edit = clients["organiser"].patch(f"{base(town)}/{vote_id}", {"title": "New"}, content_type="application/json")
    assert edit.status_code == 409 and edit.json()["code"] == "vote_not_draft"
    bad = cast(clients["owners"][2], town, vote_id, town.houses[2], {str(item_id): {"choice": "yes please"}})
    assert bad.status_code == 400 and bad.json()["detail"]["field"] == f"answers.{item_id}.choice"
    assert Ballot.objects.count() == 1


def test_another_estates_vote_answers_404(town, clients, other_estate, member, api):
    vote_id, _item_id = draft_and_open(town, clients)
    stranger = api(member("committee_chair", other_estate), [other_estate])
    assert stranger.get(f"/api/v1/estates/{other_estate.pk}/votes/{vote_id}").status_code == 404
    assert stranger.get(f"{base(town)}/{vote_id}").status_code == 404


def test_drafts_are_hidden_from_owners(town, clients):
    now = timezone.now()
    clients["organiser"].post(base(town), {"title": "Secret plans", "opens_at": now.isoformat(),
                                           "closes_at": (now + datetime.timedelta(days=20)).isoformat()},
                              content_type="application/json")
    assert clients["owners"][0].get(base(town)).json()["items"] == []
    assert len(clients["organiser"].get(base(town)).json()["items"]) == 1


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_endpoints_keep_to_a_query_budget(town, clients, django_assert_max_num_queries):
    vote_id, item_id = draft_and_open(town, clients)
    for i in range(3):
        cast(clients["owners"][i], town, vote_id, town.houses[i], {str(item_id): {"choice": "for"}})
    small = {url: _queries(clients["owners"][0], url) for url in (
        base(town), f"{base(town)}/{vote_id}/roll", f"{base(town)}/{vote_id}", f"{base(town)}/{vote_id}/my-houses")}
    for n in range(4):
        draft_and_open(town, clients, title=f"Vote {n}")
    for i in range(3, 6):
        cast(clients["owners"][i], town, vote_id, town.houses[i], {str(item_id): {"choice": "for"}})
    for url, count in small.items():
        with django_assert_max_num_queries(count):
            assert clients["owners"][0].get(url).status_code == 200
    with django_assert_max_num_queries(8):
        assert clients["owners"][0].get(base(town)).status_code == 200
    Vote.objects.filter(pk=vote_id).update(status="closed")
    clients["organiser"].post(f"{base(town)}/{vote_id}/publish")
    with django_assert_max_num_queries(8):
        assert clients["owners"][0].get(f"{base(town)}/{vote_id}/ballots/published").status_code == 200

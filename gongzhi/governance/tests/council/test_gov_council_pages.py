"""The pages: residents read and co-sign, organisers write, strangers get 404, forms show service errors."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.governance import assembly, council, council_meetings

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client, member, estate):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def make(role, user=None):
        user = user or member(role, estate)
        client.force_login(user)
        return user

    return make


def u(name, estate, **kw):
    return reverse(f"governance:{name}", kwargs={"estate_id": estate.pk, **kw})


def test_resident_writes_and_cosigns_a_proposal(client, login, estate):
    login("tenant")
    r = client.post(u("proposals", estate), {"title": "Bike shed", "body": "Please.", "key": "k1"})
    assert r.status_code == 302
    pid = int(r["Location"].rstrip("/").split("/")[-1])
    login("owner")
    assert client.post(u("proposal_cosign", estate, proposal_id=pid)).status_code == 302
    page = client.get(u("proposal", estate, proposal_id=pid))
    assert page.status_code == 200 and "You co-signed this proposal." in page.content.decode()
    assert client.get(u("proposals", estate)).status_code == 200


def test_meeting_pages_for_organisers_and_residents(client, login, estate, member, actor_of,
                                                    django_assert_max_num_queries):
    manager = login("manager")
    r = client.post(u("meetings", estate), {"title": "议事会", "starts_at": "2026-12-01T19:00", "place": "Hall",
                                             "key": "m1"})
    assert r.status_code == 302
    mid = int(r["Location"].rstrip("/").split("/")[-1])
    assert client.post(u("meeting_agenda", estate, meeting_id=mid), {"title": "Trees"}).status_code == 302
    item = council_meetings.meeting_detail(council_meetings.meeting_get_for_actor(
        actor=actor_of(manager, estate), meeting_id=mid))["agenda"][0]
    assert client.post(u("meeting_decision", estate, meeting_id=mid),
                       {"agenda_item_id": item.pk, "text": "Plant ten."}).status_code == 302
    due = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert client.post(u("meeting_action", estate, meeting_id=mid),
                       {"title": "Buy trees", "owner_name": "Wang", "due_date": due, "key": "a1"}).status_code == 302
    bad = client.post(u("meeting_hold", estate, meeting_id=mid), {"minutes": ""})
    assert bad.status_code == 400
    assert client.post(u("meeting_hold", estate, meeting_id=mid), {"minutes": "We met."}).status_code == 302
    resident = login("owner")
    page = client.get(u("meeting", estate, meeting_id=mid)).content.decode()
    assert "We met." in page and "Plant ten." in page and "Overdue" in page and 'id="hold-form"' not in page
    assert client.post(u("meeting_agenda", estate, meeting_id=mid), {"title": "x"}).status_code == 403
    with django_assert_max_num_queries(15):
        assert "Buy trees" in client.get(u("actions", estate) + "?show=overdue").content.decode()
    with django_assert_max_num_queries(15):
        assert client.get(u("meetings", estate)).status_code == 200
    assert resident


def test_assembly_pages_sign_and_schedule_errors(client, login, estate, houses, owner, member, actor_of):
    homes = [houses("100.00") for _ in range(4)]
    alice = owner(estate, homes[0])
    alice.language = "en"
    alice.save()
    req = assembly.assembly_request_start(actor=actor_of(alice, estate), title="T", matters="M")
    client.force_login(alice)
    page = client.get(u("assembly_detail", estate, request_id=req.pk)).content.decode()
    assert homes[0].code in page
    assert client.post(u("assembly_sign", estate, request_id=req.pk), {"house_id": homes[0].pk}).status_code == 302
    login("committee_chair")
    soon = (timezone.localdate() + datetime.timedelta(days=3)).isoformat() + "T09:00"
    later = (timezone.localdate() + datetime.timedelta(days=40)).isoformat() + "T09:00"
    r = client.post(u("assembly_schedule", estate, request_id=req.pk), {"opens_at": soon, "closes_at": later})
    assert r.status_code == 400 and "at least 15 days" in r.content.decode()
    login("tenant")
    assert client.get(u("assembly_list", estate)).status_code == 200
    assert client.post(u("assembly_sign", estate, request_id=req.pk), {"house_id": homes[1].pk}).status_code == 403


def test_other_estate_gets_404(client, member, other_estate, estate, actor_of):
    manager = member("manager", estate)
    meeting = council_meetings.meeting_create(actor=actor_of(manager, estate), title="m", starts_at=timezone.now(),
                                              place="p")
    proposal = council.proposal_create(actor=actor_of(member("owner", estate), estate), title="t", body="b")
    client.force_login(member("manager", other_estate))
    assert client.get(u("meeting", other_estate, meeting_id=meeting.pk)).status_code == 404
    assert client.get(u("proposal", other_estate, proposal_id=proposal.pk)).status_code == 404

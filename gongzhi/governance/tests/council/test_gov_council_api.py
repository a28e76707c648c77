"""The assembly and council API: the error shape, the permission matrix, 404 across estates, query budgets."""

import datetime

import pytest
from django.utils import timezone

from gongzhi.governance import council, council_meetings

pytestmark = pytest.mark.django_db


def url(estate, tail):
    return f"/api/v1/estates/{estate.pk}/governance/{tail}"


@pytest.fixture
def client_as(api, member, estate):
    def make(role, user=None):
        user = user or member(role, estate)
        return api(user, [estate]), user

    return make


def test_assembly_request_story_over_the_api(estate, houses, owner, client_as, api):
    # given four houses of 100 m² and an owner of one
    homes = [houses("100.00") for _ in range(4)]
    alice = owner(estate, homes[0])
    owners_client = api(alice, [estate])
    created = owners_client.post(url(estate, "assembly-requests"), {"title": "T", "matters": "M"},
                                 content_type="application/json")
    assert created.status_code == 201
    rid = created.json()["id"]
    # a tenant cannot sign: 403 in the one error shape
    tenant_client, _ = client_as("tenant")
    refused = tenant_client.post(url(estate, f"assembly-requests/{rid}/signatures"), {"house_id": homes[1].pk},
                                 content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_an_owner" and "messages" in refused.json()
    # the owner signs: 1 of 4 houses is 25 %: reached on both floors
    signed = owners_client.post(url(estate, f"assembly-requests/{rid}/signatures"), {"house_id": homes[0].pk},
                                content_type="application/json")
    assert signed.status_code == 201, signed.json()
    body = signed.json()
    assert body["status"] == "reached" and body["progress"]["area_signed"] == "100.00"
    assert body["signatures"][0]["mine"] and body["my_houses"] == [homes[0].pk]
    twice = owners_client.post(url(estate, f"assembly-requests/{rid}/signatures"), {"house_id": homes[0].pk},
                               content_type="application/json")
    assert twice.status_code == 409 and twice.json()["code"] == "request_not_collecting"
    # the committee schedules it too soon, then right
    chair_client, _ = client_as("committee_chair")
    today = timezone.localdate()
    opens = datetime.datetime.combine(today + datetime.timedelta(days=3), datetime.time(9)).isoformat() + "+08:00"
    closes = datetime.datetime.combine(today + datetime.timedelta(days=40), datetime.time(9)).isoformat() + "+08:00"
    early = chair_client.post(url(estate, f"assembly-requests/{rid}/schedule"), {"opens_at": opens, "closes_at": closes},
                              content_type="application/json")
    assert early.status_code == 409 and early.json()["code"] == "notice_too_short"
    opens = datetime.datetime.combine(today + datetime.timedelta(days=16), datetime.time(9)).isoformat() + "+08:00"
    ok = chair_client.post(url(estate, f"assembly-requests/{rid}/schedule"), {"opens_at": opens, "closes_at": closes},
                           content_type="application/json")
    assert ok.status_code == 200 and ok.json()["vote_id"]


def test_council_story_and_permission_matrix(estate, client_as):
    estate.rule_overrides = {"council.proposal_cosigners": 1}
    estate.save()
    author, _ = client_as("tenant")
    created = author.post(url(estate, "proposals"), {"title": "Bike shed", "body": "Please."},
                          content_type="application/json")
    assert created.status_code == 201
    pid = created.json()["id"]
    staff, _ = client_as("technician")
    assert staff.post(url(estate, f"proposals/{pid}/cosign")).status_code == 403
    fan, _ = client_as("family")
    assert fan.post(url(estate, f"proposals/{pid}/cosign")).json()["status"] == "on_agenda"
    # organisers run the meeting; residents may not
    for role in ("owner", "family", "tenant", "technician", "finance", "guard"):
        c, _ = client_as(role)
        r = c.post(url(estate, "meetings"), {"title": "m", "starts_at": timezone.now().isoformat(), "place": "p"},
                   content_type="application/json")
        assert r.status_code == 403, role
    manager, _ = client_as("manager")
    mid = manager.post(url(estate, "meetings"), {"title": "m", "starts_at": timezone.now().isoformat(),
                                                 "place": "Hall"}, content_type="application/json").json()["id"]
    item = manager.post(url(estate, f"meetings/{mid}/agenda"), {"proposal_id": pid},
                        content_type="application/json").json()
    assert manager.post(url(estate, f"meetings/{mid}/attendees"), {"kind": "company", "name": "Mgr"},
                        content_type="application/json").status_code == 201
    decision = manager.post(url(estate, f"meetings/{mid}/decisions"), {"agenda_item_id": item["id"], "text": "Yes"},
                            content_type="application/json").json()
    doer, doer_user = client_as("owner")
    due = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    action = manager.post(url(estate, f"meetings/{mid}/actions"),
                          {"title": "Build it", "owner_name": "Doer", "owner_user_id": doer_user.pk, "due_date": due,
                           "decision_id": decision["id"]}, content_type="application/json")
    assert action.status_code == 201, action.json()
    aid = action.json()["id"]
    reader, _ = client_as("tenant")
    assert reader.get(url(estate, f"meetings/{mid}")).json()["minutes"] is None
    held = manager.post(url(estate, f"meetings/{mid}/hold"), {"minutes": "Agreed."}, content_type="application/json")
    assert held.status_code == 200
    assert reader.get(url(estate, f"meetings/{mid}")).json()["minutes"] == "Agreed."
    assert reader.post(url(estate, f"actions/{aid}/done"), {"note": "x"},
                       content_type="application/json").status_code == 403
    done = doer.post(url(estate, f"actions/{aid}/done"), {"note": "Built."}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert reader.get(url(estate, f"actions/{aid}")).json()["done_note"] == "Built."
    # a decision opens a draft vote
    opens = (timezone.now() + datetime.timedelta(days=20)).isoformat()
    closes = (timezone.now() + datetime.timedelta(days=30)).isoformat()
    vote = manager.post(url(estate, f"meetings/{mid}/decisions/vote"),
                        {"decision_id": decision["id"], "opens_at": opens, "closes_at": closes},
                        content_type="application/json")
    assert vote.status_code == 201 and vote.json()["vote_id"]


def test_other_estates_objects_answer_404(estate, other_estate, api, member, client_as):
    manager, _ = client_as("manager")
    mid = manager.post(url(estate, "meetings"), {"title": "m", "starts_at": timezone.now().isoformat(),
                                                 "place": "p"}, content_type="application/json").json()["id"]
    stranger = member("manager", other_estate)
    c = api(stranger, [other_estate])
    r = c.get(f"/api/v1/estates/{other_estate.pk}/governance/meetings/{mid}")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert c.get(f"/api/v1/estates/{other_estate.pk}/governance/meetings/999999").status_code == 404


def test_list_query_budgets(estate, client_as, member, actor_of, django_assert_max_num_queries):
    manager, manager_user = client_as("manager")
    m_actor = actor_of(manager_user, estate)
    r_actor = actor_of(member("owner", estate), estate)
    for n in range(12):
        p = council.proposal_create(actor=r_actor, title=f"p{n}", body="b")
        council.proposal_cosign(actor=actor_of(member("tenant", estate), estate), proposal_id=p.pk)
        meeting = council_meetings.meeting_create(actor=m_actor, title=f"m{n}", starts_at=timezone.now(), place="p")
        council_meetings.action_item_add(actor=m_actor, meeting_id=meeting.pk, title="a", owner_name="o",
                                         due_date=timezone.localdate())
    for tail in ("proposals", "meetings", "actions", "assembly-requests"):
        with django_assert_max_num_queries(8):
            response = manager.get(url(estate, tail))
        assert response.status_code == 200
    assert len(manager.get(url(estate, "proposals")).json()["items"]) == 12
    with django_assert_max_num_queries(12):
        assert manager.get(url(estate, f"meetings/{meeting.pk}")).status_code == 200

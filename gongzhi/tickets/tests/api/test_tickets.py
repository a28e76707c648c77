"""The tickets API: the whole story through HTTP, the error bodies, who sees what, and the list's query budget."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.estate.tests.factories import HouseFactory
from gongzhi.tickets.models import Ticket


@pytest.fixture
def call(desk, api):
    """call(actor, method, path, payload) → the response, through a token scoped to the estate."""
    clients = {}

    def send(actor, method, path="", payload=None):
        if actor.user.pk not in clients:
            clients[actor.user.pk] = api(actor.user, [desk.estate])
        url = f"/api/v1/estates/{desk.estate.pk}{path}"
        if payload is None:
            return clients[actor.user.pk].generic(method, url)
        return clients[actor.user.pk].generic(method, url, json.dumps(payload), content_type="application/json")

    return send


def submit_payload(desk, **kwargs):
    return {"kind": "repair", "category_id": desk.category.pk, "scope": "private", "house_id": desk.home.pk,
            "title": "卫生间漏水", "description": "楼下说天花板在滴水", **kwargs}


def test_a_repair_from_submit_to_close_through_the_api(desk, call):
    # given the resident submits a repair from the app
    response = call(desk.resident, "POST", "/tickets", submit_payload(desk, idempotency_key="k1"))
    assert response.status_code == 201, response.content
    ticket = response.json()
    assert (ticket["status"], ticket["channel"], ticket["house"]) == ("submitted", "api", "3-2-1502")
    assert ticket["actions"] == ["cancel"]
    path = f"/tickets/{ticket['id']}/transitions"
    # when the dispatcher assigns it and the technician works it
    steps = [(desk.dispatcher, {"action": "assign", "assignee_id": desk.technician.user.pk}),
             (desk.technician, {"action": "accept"}), (desk.technician, {"action": "start"}),
             (desk.technician, {"action": "hold", "note": "等配件", "hold_reason": "parts"}), (desk.technician, {"action": "resume"}),
             (desk.technician, {"action": "resolve", "note": "更换了密封圈"}), (desk.resident, {"action": "close"})]
    for actor, payload in steps:
        response = call(actor, "POST", path, payload)
        assert response.status_code == 200, (payload, response.content)
    # then the resident sees it closed with the whole timeline
    body = call(desk.resident, "GET", f"/tickets/{ticket['id']}").json()
    assert body["status"] == "closed"
    assert [e["action"] for e in body["timeline"]] == [
        "submit", "assign", "accept", "start", "hold", "resume", "resolve", "close"]
    assert (body["timeline"][4]["note"], body["timeline"][4]["hold_reason"]) == ("等配件", "parts")
    assert body["actions"] == ["reopen"]


def test_an_illegal_transition_is_409_with_a_message(desk, call):
    ticket = desk.ticket(status="closed", assignee=desk.technician.user)
    response = call(desk.technician, "POST", f"/tickets/{ticket.pk}/transitions", {"action": "start"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "illegal_transition"
    assert body["detail"] == {"status": "closed", "action": "start"}
    assert "Closed" in body["messages"]["en"] and "Start work" in body["messages"]["en"]
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_a_repeated_submit_through_the_api_returns_the_same_ticket(desk, call):
    first = call(desk.resident, "POST", "/tickets", submit_payload(desk, idempotency_key="retry-1")).json()
    second = call(desk.resident, "POST", "/tickets", submit_payload(desk, idempotency_key="retry-1")).json()
    assert first["id"] == second["id"] and Ticket.objects.count() == 1


def test_a_resident_gets_404_for_another_households_ticket(desk, call):
    # given the neighbour's ticket
    ticket = desk.ticket(house=desk.next_door, submitted_by=desk.neighbour.user)
    # then the resident can neither read it, move it, nor comment on it: 404 each time
    for method, path, payload in [("GET", "", None), ("POST", "/transitions", {"action": "cancel"}),
                                  ("POST", "/comments", {"body": "?"})]:
        response = call(desk.resident, method, f"/tickets/{ticket.pk}{path}", payload)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"
    # and their list shows only their household's ticket
    own = desk.ticket(submitted_by=desk.family.user)
    assert [t["id"] for t in call(desk.resident, "GET", "/tickets").json()["items"]] == [own.pk]


def test_a_technician_acting_on_a_ticket_not_assigned_to_them_is_refused(desk, call):
    ticket = desk.ticket(status="assigned", assignee=desk.technician.user)
    response = call(desk.technician2, "POST", f"/tickets/{ticket.pk}/transitions", {"action": "accept"})
    assert response.status_code == 403
    assert response.json()["code"] == "not_your_ticket"
    assert Ticket.objects.get(pk=ticket.pk).status == "assigned"


def test_an_anonymous_complaint_hides_its_submitter_below_the_manager(desk, call):
    # given an anonymous complaint by the resident, with a comment of theirs
    response = call(desk.resident, "POST", "/tickets", submit_payload(desk, kind="complaint", anonymous=True,
                                                                    title="保安夜里睡觉"))
    ticket_id = response.json()["id"]
    call(desk.resident, "POST", f"/tickets/{ticket_id}/comments", {"body": "连续三晚了"})
    # then customer service sees neither who submitted it, nor their house, nor who wrote on it
    response = call(desk.customer_service, "GET", f"/tickets/{ticket_id}")
    seen = response.json()
    assert (seen["submitted_by"], seen["house"], seen["house_id"]) == (None, None, None)
    assert seen["timeline"][0]["actor"] is None and seen["comments"][0]["author"] is None
    assert desk.resident.user.name not in response.content.decode()
    assert call(desk.customer_service, "GET", "/tickets").json()["items"][0]["submitted_by"] is None
    # while the manager and the resident do
    for actor in (desk.manager, desk.resident):
        body = call(actor, "GET", f"/tickets/{ticket_id}").json()
        assert body["submitted_by"]["id"] == desk.resident.user.pk
        assert body["comments"][0]["author"]["id"] == desk.resident.user.pk


def test_internal_notes_never_reach_the_resident(desk, call):
    ticket = desk.ticket()
    response = call(desk.dispatcher, "POST", f"/tickets/{ticket.pk}/comments", {"body": "先别派新人", "internal": True})
    assert response.status_code == 201 and response.json()["internal"] is True
    assert call(desk.resident, "GET", f"/tickets/{ticket.pk}").json()["comments"] == []
    assert len(call(desk.dispatcher, "GET", f"/tickets/{ticket.pk}").json()["comments"]) == 1


def test_the_staff_list_filters(desk, call):
    # given tickets in two buildings, assigned and not, of two kinds
    elsewhere = HouseFactory(unit__building__estate=desk.estate, unit__building__name="9")
    mine = desk.ticket(status="assigned", assignee=desk.technician.user)
    open_ = desk.ticket()
    far = desk.ticket(house=elsewhere, kind="complaint")

    def ids(query):
        return [t["id"] for t in call(desk.dispatcher, "GET", f"/tickets?{query}").json()["items"]]

    assert ids("") == [far.pk, open_.pk, mine.pk]  # newest first
    assert ids("status=submitted") == [far.pk, open_.pk]
    assert ids(f"assignee_id={desk.technician.user.pk}") == [mine.pk]
    assert ids(f"building_id={elsewhere.building_id}") == [far.pk]
    assert ids("kind=complaint") == [far.pk]
    assert ids(f"category_id={desk.category.pk}&status=assigned") == [mine.pk]
    # and pages follow the cursor
    first = call(desk.dispatcher, "GET", "/tickets?limit=2").json()
    rest = call(desk.dispatcher, "GET", f"/tickets?limit=2&cursor={first['next_cursor']}").json()
    assert [t["id"] for t in first["items"] + rest["items"]] == [far.pk, open_.pk, mine.pk]
    assert rest["next_cursor"] is None


def test_a_technician_lists_repairs_and_their_own_tickets_only(desk, call):
    repair = desk.ticket()
    complaint = desk.ticket(kind="complaint")
    given_to_them = desk.ticket(kind="complaint", status="assigned", assignee=desk.technician.user)
    listed = {t["id"] for t in call(desk.technician, "GET", "/tickets").json()["items"]}
    assert listed == {repair.pk, given_to_them.pk}
    assert complaint.pk not in listed


def test_categories_through_the_api(desk, call):
    assert call(desk.dispatcher, "POST", "/ticket-categories/defaults").status_code == 403
    response = call(desk.manager, "POST", "/ticket-categories/defaults")
    assert response.status_code == 200 and len(response.json()) == 11
    assert len(call(desk.resident, "GET", "/ticket-categories").json()) == 11


def test_bad_input_is_answered_in_the_one_error_shape(desk, call):
    response = call(desk.resident, "POST", "/tickets", submit_payload(desk, house_id=desk.next_door.pk))
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "messages", "detail"}
    response = call(desk.dispatcher, "POST", f"/tickets/{desk.ticket().pk}/transitions", {"action": "fly"})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_action")


@pytest.mark.parametrize("who", ["manager", "resident", "technician"])
def test_the_list_runs_a_constant_number_of_queries(desk, call, who):
    """Given 3 and then 30 tickets, the list costs the same: the token, the membership, the rows."""
    actor = getattr(desk, who)

    def measure():
        call(actor, "GET", "/tickets")  # the token's first use is recorded once: not part of the list
        with CaptureQueriesContext(connection) as queries:
            response = call(actor, "GET", "/tickets")
        assert response.status_code == 200
        return len(queries), len(response.json()["items"])

    def grow(k):
        for i in range(k):
            desk.ticket(status="assigned" if i % 2 else "submitted",
                        assignee=desk.technician.user if i % 2 else None, on_behalf_of_person=None)

    grow(3)
    few, shown_few = measure()
    grow(27)
    many, shown_many = measure()
    assert shown_many > shown_few >= 3
    assert many == few <= 3, f"{few} queries for {shown_few} tickets, {many} for {shown_many}"

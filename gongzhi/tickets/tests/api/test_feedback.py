"""The API after resolution: rating, sending back, quotes and their decision, follow-up visits and repair charges,
through HTTP: the bodies, the error codes, money as strings, other estates' objects 404, and the lists' query
budgets."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.tickets.models import FollowUpVisit
from gongzhi.tickets.tests.factories import TicketFactory
from gongzhi.tickets.tests.factories_feedback import (
    FollowUpVisitFactory,
    QuoteFactory,
    RatingFactory,
    RepairChargeFactory,
)

LINES = [{"kind": "material", "description": "角阀", "quantity": "2", "unit_price": "35.50"},
         {"kind": "labour", "description": "上门更换", "quantity": "1.5", "unit_price": "0.67"}]


@pytest.fixture
def call(desk, api):
    """call(actor, method, path, payload) → the response, through a token scoped to the estate."""
    clients = {}

    def send(actor, method, path="", payload=None, estate=None):
        if actor.user.pk not in clients:
            clients[actor.user.pk] = api(actor.user, [desk.estate])
        url = f"/api/v1/estates/{(estate or desk.estate).pk}{path}"
        if payload is None:
            return clients[actor.user.pk].generic(method, url)
        return clients[actor.user.pk].generic(method, url, json.dumps(payload), content_type="application/json")

    return send


def resolved(desk, **kwargs):
    return desk.ticket(status="resolved", assignee=desk.technician.user, resolved_at=timezone.now(), **kwargs)


def foreign_ticket(other_estate, **kwargs):
    return TicketFactory(house__unit__building__estate=other_estate, category__estate=other_estate, **kwargs)


# --- rating and sending back -------------------------------------------------------------------------------------
def test_the_resident_rates_and_the_ticket_closes(desk, call):
    ticket = resolved(desk)
    response = call(desk.resident, "POST", f"/tickets/{ticket.pk}/rating", {"score": 5, "comment": "<b>好</b>"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["score"], body["comment"], body["round"], body["ticket_id"]) == (5, "<b>好</b>", 0, ticket.pk)
    assert (body["rated_by"]["id"], body["assignee"]["id"]) == (desk.resident.user.pk, desk.technician.user.pk)
    detail = call(desk.resident, "GET", f"/tickets/{ticket.pk}").json()
    assert detail["status"] == "closed"
    ratings = call(desk.technician, "GET", f"/tickets/{ticket.pk}/ratings").json()
    assert [r["score"] for r in ratings] == [5]


@pytest.mark.parametrize("score", [0, 6])
def test_a_score_outside_the_scale_is_400(desk, call, score):
    response = call(desk.resident, "POST", f"/tickets/{resolved(desk).pk}/rating", {"score": score})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_score"


def test_rating_errors_carry_their_codes(desk, call):
    open_ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    response = call(desk.resident, "POST", f"/tickets/{open_ticket.pk}/rating", {"score": 3})
    assert (response.status_code, response.json()["code"]) == (409, "not_resolved")
    ticket = resolved(desk)
    assert call(desk.resident, "POST", f"/tickets/{ticket.pk}/rating", {"score": 3}).status_code == 201
    response = call(desk.resident, "POST", f"/tickets/{ticket.pk}/rating", {"score": 3})
    assert (response.status_code, response.json()["code"]) == (409, "already_rated")
    assert call(desk.manager, "POST", f"/tickets/{resolved(desk).pk}/rating", {"score": 3}).status_code == 403
    assert call(desk.neighbour, "POST", f"/tickets/{resolved(desk).pk}/rating", {"score": 3}).status_code == 404


def test_send_back_reopens_with_the_reason(desk, call):
    ticket = resolved(desk)
    response = call(desk.resident, "POST", f"/tickets/{ticket.pk}/send-back", {"reason": "还是漏水"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["reopen_count"], body["timeline"][-1]["note"]) == ("assigned", 1, "还是漏水")
    response = call(desk.resident, "POST", f"/tickets/{resolved(desk).pk}/send-back", {"reason": " "})
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")


def test_another_estates_ticket_is_404_everywhere(desk, call, other_estate):
    ticket = foreign_ticket(other_estate, status="resolved", resolved_at=timezone.now())
    for method, path, payload in [("POST", "rating", {"score": 5}), ("POST", "send-back", {"reason": "x"}),
                                  ("GET", "quotes", None), ("GET", "ratings", None),
                                  ("POST", "quotes", {"lines": LINES}), ("POST", "follow-ups", None)]:
        assert call(desk.manager, method, f"/tickets/{ticket.pk}/{path}", payload).status_code == 404, path
        # and under the other estate's own URL, where the caller is no member
        assert call(desk.manager, method, f"/tickets/{ticket.pk}/{path}", payload,
                    estate=other_estate).status_code == 404, path


# --- quotes ------------------------------------------------------------------------------------------------------
def test_a_quote_from_proposal_to_charge(desk, call):
    # given the technician works on a repair in the resident's home
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    # when the technician quotes it
    response = call(desk.technician, "POST", f"/tickets/{ticket.pk}/quotes", {"lines": LINES, "note": "换角阀"})
    assert response.status_code == 201, response.content
    quote = response.json()
    # then the money is strings with two places, each line rounded half up to the fen
    assert (quote["status"], quote["total"]) == ("proposed", "72.01")
    assert [(line["quantity"], line["unit_price"], line["amount"]) for line in quote["lines"]] == [
        ("2.00", "35.50", "71.00"), ("1.50", "0.67", "1.01")]
    # when the resident accepts it and the technician resolves the ticket
    path = f"/tickets/{ticket.pk}/quotes/{quote['id']}"
    response = call(desk.resident, "POST", f"{path}/decision", {"accept": True})
    assert (response.status_code, response.json()["status"]) == (200, "accepted")
    assert call(desk.resident, "POST", f"{path}/decision", {"accept": True}).status_code == 200
    response = call(desk.resident, "POST", f"{path}/decision", {"accept": False})
    assert (response.status_code, response.json()["code"]) == (409, "quote_decided")
    assert call(desk.technician, "POST", f"/tickets/{ticket.pk}/transitions",
                {"action": "resolve", "note": "换好了"}).status_code == 200
    # then the charge is on the quote and in the finance list
    listed = call(desk.resident, "GET", f"/tickets/{ticket.pk}/quotes").json()
    assert listed[0]["charge"]["amount"] == "72.01"
    charges = call(desk.manager, "GET", "/repair-charges").json()
    assert [(c["ticket_id"], c["amount"], c["house"], c["status"]) for c in charges["items"]] == [
        (ticket.pk, "72.01", "3-2-1502", "recorded")]


def test_quote_errors(desk, call):
    ticket = desk.ticket(status="assigned", assignee=desk.technician.user)
    response = call(desk.technician, "POST", f"/tickets/{ticket.pk}/quotes", {"lines": LINES})
    assert (response.status_code, response.json()["code"]) == (409, "quote_not_now")
    working = desk.ticket(status="in_progress", assignee=desk.technician.user)
    response = call(desk.technician, "POST", f"/tickets/{working.pk}/quotes", {"lines": LINES * 26})
    assert (response.status_code, response.json()["code"]) == (400, "too_many_lines")
    bad = [{**LINES[0], "unit_price": "0.335"}]
    response = call(desk.technician, "POST", f"/tickets/{working.pk}/quotes", {"lines": bad})
    assert (response.status_code, response.json()["detail"]["field"]) == (400, "lines[0].unit_price")
    assert call(desk.technician2, "POST", f"/tickets/{working.pk}/quotes", {"lines": LINES}).status_code == 403


def test_a_quote_is_addressed_under_its_own_ticket(desk, call):
    quote = QuoteFactory(ticket=desk.ticket(status="in_progress", assignee=desk.technician.user))
    other = desk.ticket(status="in_progress", assignee=desk.technician.user)
    response = call(desk.resident, "POST", f"/tickets/{other.pk}/quotes/{quote.pk}/decision", {"accept": True})
    assert response.status_code == 404
    response = call(desk.technician, "POST", f"/tickets/{other.pk}/quotes/{quote.pk}/withdraw")
    assert response.status_code == 404
    response = call(desk.technician, "POST", f"/tickets/{quote.ticket_id}/quotes/{quote.pk}/withdraw")
    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")


def test_staff_cannot_decide_and_a_neighbour_cannot_see(desk, call):
    quote = QuoteFactory(ticket=desk.ticket(status="in_progress", assignee=desk.technician.user))
    path = f"/tickets/{quote.ticket_id}/quotes/{quote.pk}/decision"
    assert call(desk.dispatcher, "POST", path, {"accept": True}).status_code == 403
    assert call(desk.neighbour, "POST", path, {"accept": True}).status_code == 404
    assert call(desk.neighbour, "GET", f"/tickets/{quote.ticket_id}/quotes").status_code == 404


def test_another_estates_quote_is_404(desk, call, other_estate):
    quote = QuoteFactory(ticket=foreign_ticket(other_estate, status="in_progress"))
    path = f"/tickets/{quote.ticket_id}/quotes/{quote.pk}"
    assert call(desk.manager, "POST", f"{path}/decision", {"accept": True}).status_code == 404
    assert call(desk.manager, "POST", f"{path}/withdraw").status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_the_quote_list_has_a_query_budget(desk, call, count):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    from gongzhi.tickets.tests.factories_feedback import QuoteLineFactory

    for n in range(count):
        quote = QuoteFactory(ticket=ticket, status="withdrawn" if n else "proposed")
        QuoteLineFactory.create_batch(2, quote=quote)
    call(desk.resident, "GET", f"/tickets/{ticket.pk}/quotes")  # the token is made and cached
    with CaptureQueriesContext(connection) as queries:
        response = call(desk.resident, "GET", f"/tickets/{ticket.pk}/quotes")
    assert response.status_code == 200 and len(response.json()) == count
    # at most the token, the membership, the ticket, the quotes with their charge, and their lines
    assert len(queries) <= 5, [q["sql"] for q in queries]


# --- follow-ups --------------------------------------------------------------------------------------------------
def test_the_desk_works_the_follow_up_queue(desk, call):
    # given a low rating put the ticket on the queue
    desk.estate.rule_overrides = {"tickets.follow_up_sample": "0"}
    desk.estate.save()
    ticket = resolved(desk)
    call(desk.resident, "POST", f"/tickets/{ticket.pk}/rating", {"score": 1, "comment": "没修好"})
    # when customer service opens the queue
    page = call(desk.customer_service, "GET", "/follow-ups").json()
    [row] = page["items"]
    assert (row["reason"], row["rating_score"], row["rating_comment"], row["overdue"]) == (
        "low_rating", 1, "没修好", False)
    assert (row["ticket"]["id"], row["ticket"]["house"], row["outcome"]) == (ticket.pk, "3-2-1502", None)
    # and records the call, reopening the ticket
    response = call(desk.customer_service, "POST", f"/follow-ups/{row['id']}",
                    {"outcome": "unsatisfied", "note": "还在漏", "reopen": True})
    assert response.status_code == 200, response.content
    assert (response.json()["outcome"], response.json()["ticket"]["status"]) == ("unsatisfied", "assigned")
    response = call(desk.customer_service, "POST", f"/follow-ups/{row['id']}", {"outcome": "neutral"})
    assert (response.status_code, response.json()["code"]) == (409, "already_recorded")
    # then it has left the pending queue and is among the done ones
    assert call(desk.customer_service, "GET", "/follow-ups").json()["items"] == []
    done = call(desk.customer_service, "GET", "/follow-ups?state=done&outcome=unsatisfied").json()["items"]
    assert [r["id"] for r in done] == [row["id"]]


def test_the_desk_adds_a_ticket_by_hand(desk, call):
    ticket = desk.ticket(status="closed", assignee=desk.technician.user, closed_at=timezone.now())
    response = call(desk.dispatcher, "POST", f"/tickets/{ticket.pk}/follow-ups")
    assert (response.status_code, response.json()["reason"]) == (201, "manual")
    response = call(desk.dispatcher, "POST", f"/tickets/{ticket.pk}/follow-ups")
    assert (response.status_code, response.json()["code"]) == (409, "follow_up_exists")
    assert call(desk.technician, "POST", f"/tickets/{resolved(desk).pk}/follow-ups").status_code == 403


def test_follow_ups_are_for_the_desk_only(desk, call):
    visit = FollowUpVisitFactory(ticket=desk.ticket(status="closed"))
    assert call(desk.technician, "GET", "/follow-ups").status_code == 403
    assert call(desk.resident, "GET", "/follow-ups").status_code == 403
    assert call(desk.resident, "POST", f"/follow-ups/{visit.pk}", {"outcome": "satisfied"}).status_code == 404
    assert call(desk.dispatcher, "POST", f"/follow-ups/{visit.pk}", {"outcome": "satisfied"}).status_code == 403
    assert FollowUpVisit.objects.get(pk=visit.pk).done_at is None


def test_another_estates_visit_is_404(desk, call, other_estate):
    visit = FollowUpVisitFactory(ticket=foreign_ticket(other_estate, status="closed"))
    assert call(desk.manager, "POST", f"/follow-ups/{visit.pk}", {"outcome": "satisfied"}).status_code == 404
    assert call(desk.manager, "GET", "/follow-ups").json()["items"] == []


@pytest.mark.parametrize("count", [3, 30])
def test_the_follow_up_list_has_a_query_budget(desk, call, count):
    for _ in range(count):
        ticket = desk.ticket(status="closed", assignee=desk.technician.user)
        RatingFactory(ticket=ticket, score=2)
        FollowUpVisitFactory(ticket=ticket, reason="low_rating")
    call(desk.customer_service, "GET", "/follow-ups")
    with CaptureQueriesContext(connection) as queries:
        response = call(desk.customer_service, "GET", "/follow-ups")
    assert response.status_code == 200 and len(response.json()["items"]) == count
    # the bearer token, the membership, the page of visits with their tickets and ratings
    assert len(queries) <= 3, [q["sql"] for q in queries]


def test_the_follow_up_list_pages_with_a_cursor(desk, call):
    for _ in range(3):
        FollowUpVisitFactory(ticket=desk.ticket(status="closed"))
    first = call(desk.manager, "GET", "/follow-ups?limit=2").json()
    second = call(desk.manager, "GET", f"/follow-ups?limit=2&cursor={first['next_cursor']}").json()
    assert (len(first["items"]), len(second["items"]), second["next_cursor"]) == (2, 1, None)


# --- repair charges ----------------------------------------------------------------------------------------------
def test_only_finance_and_managers_list_charges(desk, call, member, actor_for):
    RepairChargeFactory(quote__ticket=desk.ticket(status="resolved"))
    finance = actor_for("finance", desk.estate)
    assert len(call(finance, "GET", "/repair-charges").json()["items"]) == 1
    assert call(desk.customer_service, "GET", "/repair-charges").status_code == 403
    assert call(desk.resident, "GET", "/repair-charges").status_code == 403
    assert call(desk.manager, "GET", "/repair-charges?status=handed_over").json()["items"] == []


@pytest.mark.parametrize("count", [3, 30])
def test_the_charge_list_has_a_query_budget(desk, call, count):
    for _ in range(count):
        RepairChargeFactory(quote__ticket=desk.ticket(status="resolved"))
    call(desk.manager, "GET", "/repair-charges")
    with CaptureQueriesContext(connection) as queries:
        response = call(desk.manager, "GET", "/repair-charges")
    assert response.status_code == 200 and len(response.json()["items"]) == count
    assert len(queries) <= 3, [q["sql"] for q in queries]

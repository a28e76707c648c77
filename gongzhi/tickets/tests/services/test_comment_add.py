"""Comments between the resident and staff; internal notes for staff only."""

import pytest

from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.tickets.selectors import ticket_comments, ticket_get
from gongzhi.tickets.services import comment_add


def test_resident_and_staff_talk_on_a_ticket(desk):
    # given the resident's ticket
    ticket = desk.ticket()
    # when the resident asks and customer service answers
    comment_add(actor=desk.resident, ticket_id=ticket.pk, body="什么时候能来?")
    comment_add(actor=desk.customer_service, ticket_id=ticket.pk, body="师傅下午三点上门")
    # then both read both, in order, and the staff answer is the first response
    for actor in (desk.resident, desk.customer_service):
        assert [c.body for c in ticket_comments(actor=actor, ticket=ticket)] == ["什么时候能来?", "师傅下午三点上门"]
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert AuditEntry.objects.filter(action="ticket.comment").count() == 2


def test_internal_notes_are_for_staff_only(desk):
    # given an internal note by the dispatcher and a public reply
    ticket = desk.ticket(assignee=desk.technician.user, status="assigned")
    comment_add(actor=desk.dispatcher, ticket_id=ticket.pk, body="这户上次投诉过, 注意态度", internal=True)
    comment_add(actor=desk.technician, ticket_id=ticket.pk, body="已到现场")
    # then staff see both, the resident's household only the reply
    assert len(ticket_comments(actor=desk.technician, ticket=ticket)) == 2
    assert [c.body for c in ticket_comments(actor=desk.family, ticket=ticket)] == ["已到现场"]
    # and an internal note touches no first-response time by itself
    other = desk.ticket()
    comment_add(actor=desk.dispatcher, ticket_id=other.pk, body="内部备注", internal=True)
    other.refresh_from_db()
    assert other.first_response_at is None


def test_a_resident_cannot_write_an_internal_note(desk):
    with pytest.raises(Forbidden):
        comment_add(actor=desk.resident, ticket_id=desk.ticket().pk, body="悄悄话", internal=True)


def test_a_technician_comments_only_on_tickets_assigned_to_them(desk):
    ticket = desk.ticket(assignee=desk.technician.user, status="assigned")
    with pytest.raises(Forbidden):
        comment_add(actor=desk.technician2, ticket_id=ticket.pk, body="我也来")


def test_a_neighbour_cannot_comment_on_another_households_ticket(desk):
    with pytest.raises(NotFound):
        comment_add(actor=desk.neighbour, ticket_id=desk.ticket().pk, body="吵死了")


def test_an_empty_comment_is_refused(desk):
    with pytest.raises(DomainError) as refused:
        comment_add(actor=desk.resident, ticket_id=desk.ticket().pk, body="   ")
    assert refused.value.detail == {"field": "body"}


def test_the_resident_sees_their_tickets_and_the_neighbour_does_not(desk):
    ticket = desk.ticket()
    assert ticket_get(actor=desk.family, ticket_id=ticket.pk) == ticket
    with pytest.raises(NotFound):
        ticket_get(actor=desk.neighbour, ticket_id=ticket.pk)

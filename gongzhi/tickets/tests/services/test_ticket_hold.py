"""Holding a ticket needs a reason (waiting for parts or for the resident), stored on the ticket while on hold and
shown on the timeline; resuming clears it."""

import pytest

from gongzhi.core.errors import DomainError
from gongzhi.tickets.models import Ticket, TicketEvent
from gongzhi.tickets.services import ticket_hold, ticket_resume, ticket_transition


def in_progress(desk):
    return desk.ticket(status="in_progress", assignee=desk.technician.user)


def test_holding_without_a_reason_is_refused_with_the_field(desk):
    ticket = in_progress(desk)
    with pytest.raises(DomainError) as refused:
        ticket_transition(actor=desk.technician, ticket_id=ticket.pk, action="hold", note="等配件")
    assert (refused.value.status, refused.value.code, refused.value.detail) == (
        400, "hold_reason_required", {"field": "hold_reason"})
    assert Ticket.objects.get(pk=ticket.pk).status == "in_progress"


def test_an_unknown_hold_reason_is_refused(desk):
    with pytest.raises(DomainError) as refused:
        ticket_hold(actor=desk.technician, ticket_id=in_progress(desk).pk, reason="等", hold_reason="lunch")
    assert refused.value.detail == {"field": "hold_reason"}


def test_the_reason_is_kept_on_the_ticket_and_the_timeline_and_cleared_on_resume(desk):
    ticket = in_progress(desk)
    held = ticket_hold(actor=desk.technician, ticket_id=ticket.pk, reason="等配件", hold_reason="parts")
    assert (held.status, Ticket.objects.get(pk=ticket.pk).hold_reason) == ("on_hold", "parts")
    event = TicketEvent.objects.filter(ticket=ticket).latest("pk")
    # the note as typed, the reason as data (shown in each reader's language)
    assert (event.note, event.hold_reason) == ("等配件", "parts")
    ticket_resume(actor=desk.technician, ticket_id=ticket.pk)
    assert Ticket.objects.get(pk=ticket.pk).hold_reason == ""


def test_reassigning_a_held_ticket_clears_the_reason(desk):
    ticket = in_progress(desk)
    ticket_hold(actor=desk.technician, ticket_id=ticket.pk, reason="等住户在家", hold_reason="resident")
    ticket_transition(actor=desk.dispatcher, ticket_id=ticket.pk, action="assign",
                      assignee_id=desk.technician2.user.pk)
    assert Ticket.objects.filter(pk=ticket.pk).values_list("status", "hold_reason").get() == ("assigned", "")


def test_the_note_is_still_required_before_the_reason(desk):
    with pytest.raises(DomainError) as refused:
        ticket_hold(actor=desk.technician, ticket_id=in_progress(desk).pk, reason="", hold_reason="parts")
    assert refused.value.code == "note_required"

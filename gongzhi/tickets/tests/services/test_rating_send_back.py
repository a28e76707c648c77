"""Sending back (issue 3): instead of rating, the household reopens a resolved ticket, with a reason, within the
estate's reopen window."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, NotFound
from gongzhi.tickets.feedback import rating_submit, ticket_send_back
from gongzhi.tickets.models import Ticket, TicketEvent


def resolved(desk, **kwargs):
    kwargs.setdefault("resolved_at", timezone.now())
    return desk.ticket(status="resolved", assignee=desk.technician.user, **kwargs)


def test_the_household_sends_a_resolved_ticket_back_with_a_reason(desk):
    # given a resolved repair
    ticket = resolved(desk)
    # when the resident sends it back, saying why
    ticket = ticket_send_back(actor=desk.resident, ticket_id=ticket.pk, reason="还是漏水")
    # then it is reopened to the same technician, counted, with the reason on the timeline
    assert (ticket.status, ticket.assignee, ticket.reopen_count) == ("assigned", desk.technician.user, 1)
    event = TicketEvent.objects.filter(ticket=ticket).latest("pk")
    assert (event.action, event.note, event.actor) == ("reopen", "还是漏水", desk.resident.user)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required(desk, reason):
    ticket = resolved(desk)
    with pytest.raises(DomainError) as error:
        ticket_send_back(actor=desk.resident, ticket_id=ticket.pk, reason=reason)
    assert (error.value.status, error.value.code) == (400, "reason_required")
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"


def test_after_the_reopen_window_it_cannot_be_sent_back(desk):
    ticket = resolved(desk, resolved_at=timezone.now() - timedelta(days=7, minutes=1))
    with pytest.raises(Conflict) as error:
        ticket_send_back(actor=desk.resident, ticket_id=ticket.pk, reason="还是漏水")
    assert error.value.code == "reopen_window_passed"


def test_a_rated_ticket_sent_back_may_be_rated_again_after_the_next_resolution(desk):
    ticket = resolved(desk)
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=1)
    ticket = ticket_send_back(actor=desk.resident, ticket_id=ticket.pk, reason="又坏了")
    assert (ticket.status, ticket.reopen_count) == ("assigned", 1)


def test_another_household_cannot_send_it_back(desk):
    with pytest.raises(NotFound):
        ticket_send_back(actor=desk.neighbour, ticket_id=resolved(desk).pk, reason="x")


def test_an_open_ticket_cannot_be_sent_back(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    with pytest.raises(Conflict) as error:
        ticket_send_back(actor=desk.resident, ticket_id=ticket.pk, reason="太慢了")
    assert error.value.code == "illegal_transition"

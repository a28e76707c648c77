"""Grab mode (抢单): a technician takes an open repair. Two at once: exactly one wins, the other gets 409."""

import threading

import pytest
from django.db import close_old_connections, connection

from gongzhi.core.access import resolve_actor
from gongzhi.core.errors import Conflict, Forbidden
from gongzhi.tickets.models import Ticket, TicketEvent
from gongzhi.tickets.services import ticket_grab
from gongzhi.tickets.tests.factories import TicketFactory


def test_a_technician_grabs_an_open_repair(desk):
    ticket = ticket_grab(actor=desk.technician, ticket_id=desk.ticket().pk)
    assert (ticket.status, ticket.assignee) == ("assigned", desk.technician.user)
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.action, event.assignee) == ("grab", desk.technician.user)


def test_a_grabbed_ticket_cannot_be_grabbed_again(desk):
    ticket = ticket_grab(actor=desk.technician, ticket_id=desk.ticket().pk)
    with pytest.raises(Conflict):
        ticket_grab(actor=desk.technician2, ticket_id=ticket.pk)
    assert Ticket.objects.get(pk=ticket.pk).assignee == desk.technician.user


def test_only_technicians_grab(desk):
    with pytest.raises(Forbidden):
        ticket_grab(actor=desk.dispatcher, ticket_id=desk.ticket().pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_two_technicians_grabbing_at_once_one_wins(estate, member):
    # given an open repair and two technicians, each on their own database connection
    ticket = TicketFactory(house__unit__building__estate=estate, category__estate=estate)
    technicians = [member("technician", estate) for _ in range(2)]
    barrier = threading.Barrier(len(technicians))
    outcomes: dict[int, str] = {}

    def grab(user):
        try:
            actor = resolve_actor(user, estate.pk)
            barrier.wait(timeout=10)
            ticket_grab(actor=actor, ticket_id=ticket.pk)
            outcomes[user.pk] = "won"
        except Conflict as exc:
            outcomes[user.pk] = f"{exc.status} {exc.code}"
        finally:
            close_old_connections()
            connection.close()

    # when both grab it at the same moment
    threads = [threading.Thread(target=grab, args=(user,)) for user in technicians]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then exactly one wins, the other is told 409, and the ticket and its timeline show only the winner
    assert sorted(outcomes.values()) == ["409 illegal_transition", "won"]
    winner = next(pk for pk, outcome in outcomes.items() if outcome == "won")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == ("assigned", winner)
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("action", "actor_id")) == [("grab", winner)]

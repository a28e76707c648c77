"""The sweep's queue (``TicketSlaCheck``): the database keeps it equal to the tickets' ``sla_next_check_at``
whoever writes them, and the sweep finds its due tickets there, so that no index of the wide ticket row covers a
column the sweep writes (on PostgreSQL its writes are then heap-only: migration 0008)."""

from datetime import timedelta

import pytest
from django.db import connection

from gongzhi.tickets.models import Ticket
from gongzhi.tickets.models.tickets import TicketSlaCheck
from gongzhi.tickets.services import comment_add, ticket_assign, ticket_hold, ticket_resume, ticket_transition
from gongzhi.tickets.sla import UPDATE_FIELDS, sweep

from .sla_support import Clock, submit


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def queue() -> dict:
    return dict(TicketSlaCheck.objects.values_list("ticket_id", "next_check_at"))


def scheduled() -> dict:
    return dict(Ticket.objects.filter(sla_next_check_at__isnull=False).values_list("pk", "sla_next_check_at"))


def assert_queue_follows_the_tickets() -> None:
    assert queue() == scheduled()
    assert set(TicketSlaCheck.objects.values_list("ticket_id", "estate_id")) == set(
        Ticket.objects.filter(sla_next_check_at__isnull=False).values_list("pk", "estate_id"))


def test_the_queue_follows_each_step_of_a_ticket(desk, clock):
    # submitted: queued for its first check
    ticket = submit(desk)
    assert queue() == {ticket.pk: ticket.sla_next_check_at} and ticket.sla_next_check_at is not None
    assert_queue_follows_the_tickets()
    # assigned and answered: the response clock stops, the check moves to the resolution's
    ticket_assign(actor=desk.dispatcher, ticket_id=ticket.pk, assignee_id=desk.technician.user.pk)
    ticket_transition(actor=desk.technician, ticket_id=ticket.pk, action="accept")
    ticket_transition(actor=desk.technician, ticket_id=ticket.pk, action="start")
    moved = Ticket.objects.get(pk=ticket.pk).sla_next_check_at
    assert queue() == {ticket.pk: moved} and moved != ticket.sla_next_check_at
    # waiting for the resident pauses the clock: nothing to check, out of the queue; resuming puts it back
    ticket_hold(actor=desk.technician, ticket_id=ticket.pk, reason="等住户在家", hold_reason="resident")
    assert queue() == {}
    clock.advance(hours=1)
    ticket_resume(actor=desk.technician, ticket_id=ticket.pk)
    assert queue() == scheduled() != {}
    # swept when at risk: the check moves on with the ticket's own column
    at_risk = Ticket.objects.get(pk=ticket.pk).resolution_at_risk_at
    assert sweep(at_risk)["at_risk"] == 1
    assert_queue_follows_the_tickets()
    # resolved: no more checks
    ticket_transition(actor=desk.technician, ticket_id=ticket.pk, action="resolve", note="换了阀门")
    assert queue() == {} and scheduled() == {}


def test_a_comment_that_answers_the_resident_moves_the_check(desk, clock):
    ticket = submit(desk)
    clock.advance(minutes=3)
    comment_add(actor=desk.dispatcher, ticket_id=ticket.pk, body="师傅下午上门")
    assert_queue_follows_the_tickets()


def test_bulk_writes_that_bypass_the_services_keep_the_queue_too(desk, clock):
    # given tickets made in bulk, some with a check and some without
    rows = [Ticket(estate=desk.estate, number=f"B{i:05d}", kind="repair", category=desk.category, scope="private",
                   house=desk.home, title="漏水", submitted_by=desk.resident.user,
                   sla_next_check_at=clock.now + timedelta(minutes=i) if i % 3 else None) for i in range(12)]
    Ticket.objects.bulk_create(rows)
    assert len(queue()) == 8
    assert_queue_follows_the_tickets()
    # when one UPDATE statement moves some checks, clears others and schedules new ones
    Ticket.objects.filter(number__in=["B00001", "B00002"]).update(sla_next_check_at=clock.now + timedelta(days=1))
    Ticket.objects.filter(number__in=["B00004", "B00005"]).update(sla_next_check_at=None)
    Ticket.objects.filter(number__in=["B00000", "B00003"]).update(sla_next_check_at=clock.now)
    # and one that writes other columns only, then a save() of the whole row
    Ticket.objects.filter(number__startswith="B").update(title="厨房漏水")
    saved = Ticket.objects.get(number="B00007")
    saved.sla_next_check_at = clock.now - timedelta(minutes=1)
    saved.save()
    # then the queue holds exactly the tickets with a check, at their instants
    assert len(queue()) == 8
    assert_queue_follows_the_tickets()


def test_the_sweep_finds_its_tickets_through_the_queue_only(desk, clock):
    """The queue is the sweep's index: a due ticket missing from it (it never is: the triggers keep it) would not
    be swept. Shown here by taking a row out of the queue by hand."""
    tickets = [submit(desk) for _ in range(2)]
    TicketSlaCheck.objects.filter(ticket=tickets[0]).delete()
    later = tickets[-1].submitted_at + timedelta(minutes=13)
    assert sweep(later)["at_risk"] == 1
    assert Ticket.objects.get(pk=tickets[0].pk).escalation_level == 0
    assert Ticket.objects.get(pk=tickets[1].pk).escalation_level == 1


def test_no_index_of_the_ticket_covers_a_column_the_sweep_writes(db):
    """While one did, PostgreSQL wrote every swept ticket's new row version into each of its 16 indexes."""
    written = {Ticket._meta.get_field(name).column for name in UPDATE_FIELDS} | {"sla_next_check_at"}
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Ticket._meta.db_table)
    covering = {name: c["columns"] for name, c in constraints.items()
                if c["index"] and written & set(c["columns"] or [])}
    assert covering == {}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="heap-only updates are PostgreSQL's")
def test_the_sweep_rewrites_the_swept_tickets_in_place(desk, clock):
    # given 20 tickets at risk
    tickets = [submit(desk) for _ in range(20)]
    later = tickets[-1].submitted_at + timedelta(minutes=13)

    def hot_updates() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_get_xact_tuples_hot_updated(%s::regclass)", [Ticket._meta.db_table])
            return cursor.fetchone()[0]

    before = hot_updates()
    # when the sweep writes them
    assert sweep(later)["at_risk"] == 20
    # then every row was updated on its own page, without a new entry in any of the ticket's indexes
    assert hot_updates() - before == 20

"""How the workflow moves the SLA clock: first response, pause while waiting for the resident (not for parts),
resume, resolve, reopen, cancel."""

from datetime import timedelta

import pytest

from gongzhi.tickets.models import Ticket
from gongzhi.tickets.services import (
    ticket_accept,
    ticket_assign,
    ticket_cancel,
    ticket_close,
    ticket_hold,
    ticket_reopen,
    ticket_resolve,
    ticket_resume,
    ticket_start,
)
from gongzhi.tickets.tests.factories import CategoryFactory

from .sla_support import Clock, local, submit


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def worked(desk, clock, **kwargs) -> Ticket:
    """Submitted now, assigned at once, accepted and started."""
    ticket = submit(desk, **kwargs)
    ticket_assign(actor=desk.dispatcher, ticket_id=ticket.pk, assignee_id=desk.technician.user.pk)
    ticket_accept(actor=desk.technician, ticket_id=ticket.pk)
    ticket_start(actor=desk.technician, ticket_id=ticket.pk)
    return fresh(ticket)


def test_a_response_in_time_meets_the_response_target(desk, clock):
    ticket = submit(desk)
    clock.advance(minutes=15)  # exactly at the due instant
    ticket_assign(actor=desk.dispatcher, ticket_id=ticket.pk, assignee_id=desk.technician.user.pk)
    ticket = fresh(ticket)
    assert (ticket.first_response_at, ticket.response_breached, ticket.response_due_at) == (clock.now, False, None)
    # the resolution target keeps running, with its first check at its at-risk instant (1/5 of 24 h left)
    assert ticket.sla_state == "on_track"
    assert ticket.sla_next_check_at == ticket.submitted_at + timedelta(hours=24) - timedelta(minutes=288)


def test_a_late_response_is_flagged_for_good(desk, clock):
    ticket = submit(desk)
    clock.advance(minutes=15, microseconds=1)
    ticket_assign(actor=desk.dispatcher, ticket_id=ticket.pk, assignee_id=desk.technician.user.pk)
    ticket = fresh(ticket)
    assert ticket.response_breached is True
    assert ticket.escalation_level == 0  # the resolution target's chain starts afresh


def test_waiting_for_the_resident_pauses_the_resolution_clock(desk, clock):
    # given a ticket in progress with 24 h to resolve
    ticket = worked(desk, clock)
    due = ticket.resolution_due_at
    # when after 4 hours the technician waits for the resident
    clock.advance(hours=4)
    ticket_hold(actor=desk.technician, ticket_id=ticket.pk, reason="住户不在家", hold_reason="resident")
    paused = fresh(ticket)
    # then the clock stops with 20 hours left
    assert (paused.sla_state, paused.sla_paused_at, paused.sla_remaining_minutes) == ("paused", clock.now, 20 * 60)
    assert (paused.resolution_due_at, paused.sla_next_check_at) == (None, None)
    # and when work resumes two days later, the due date moves by those two days
    clock.advance(days=2)
    ticket_resume(actor=desk.technician, ticket_id=ticket.pk)
    resumed = fresh(ticket)
    assert resumed.resolution_due_at == due + timedelta(days=2)
    assert (resumed.sla_state, resumed.sla_paused_at, resumed.sla_remaining_minutes) == ("on_track", None, None)
    assert resumed.sla_paused_minutes == 2 * 24 * 60
    assert resumed.sla_next_check_at is not None


def test_waiting_for_parts_does_not_pause(desk, clock):
    ticket = worked(desk, clock)
    due = ticket.resolution_due_at
    clock.advance(hours=1)
    ticket_hold(actor=desk.technician, ticket_id=ticket.pk, reason="等配件", hold_reason="parts")
    held = fresh(ticket)
    assert (held.sla_state, held.resolution_due_at, held.sla_paused_at) == ("on_track", due, None)
    assert held.sla_next_check_at is not None


def test_a_hold_over_the_weekend_in_working_hours_keeps_the_working_minutes_left(desk, clock):
    # given a working-hours category with 8 working hours to resolve, worked from Friday 13:30
    category = CategoryFactory(estate=desk.estate, sla_clock="working", response_minutes=30,
                               resolution_minutes=8 * 60)
    clock.set(local(2026, 11, 27, 13, 30))
    ticket = worked(desk, clock, category_id=category.pk)
    assert ticket.resolution_due_at == local(2026, 11, 30, 14)  # Fri 4 h + Mon 08:30–12:00 + 13:30–14:00
    # when on Friday at 16:30 they wait for the resident, until Monday 10:00
    clock.set(local(2026, 11, 27, 16, 30))
    ticket_hold(actor=desk.technician, ticket_id=ticket.pk, reason="住户出差", hold_reason="resident")
    assert fresh(ticket).sla_remaining_minutes == 5 * 60  # 1 h on Friday + 4 h on Monday
    clock.set(local(2026, 11, 30, 10))
    ticket_resume(actor=desk.technician, ticket_id=ticket.pk)
    # then the 5 working hours left run from Monday 10:00: 2 h to noon, 3 h from 13:30
    assert fresh(ticket).resolution_due_at == local(2026, 11, 30, 16, 30)


def test_resolving_in_time_is_met_and_late_is_breached(desk, clock):
    on_time = worked(desk, clock)
    late = worked(desk, clock)
    clock.advance(hours=24)  # exactly at the due instant
    ticket_resolve(actor=desk.technician, ticket_id=on_time.pk, note="修好了")
    clock.advance(microseconds=1)
    ticket_resolve(actor=desk.technician, ticket_id=late.pk, note="修好了")
    assert fresh(on_time).sla_state == "met" and not fresh(on_time).resolution_breached
    assert fresh(late).sla_state == "breached" and fresh(late).resolution_breached
    assert fresh(late).sla_next_check_at is None and fresh(late).resolution_due_at is None


def test_reopening_gives_a_fresh_resolution_target_and_keeps_the_breach_flag(desk, clock):
    ticket = worked(desk, clock)
    clock.advance(hours=25)
    ticket_resolve(actor=desk.technician, ticket_id=ticket.pk, note="修好了")
    clock.advance(hours=1)
    ticket_reopen(actor=desk.resident, ticket_id=ticket.pk, note="又漏了")
    reopened = fresh(ticket)
    assert reopened.resolution_due_at == clock.now + timedelta(hours=24)
    assert (reopened.sla_state, reopened.escalation_level, reopened.resolution_breached) == ("on_track", 0, True)


def test_cancelled_and_closed_tickets_are_no_longer_checked(desk, clock):
    cancelled = submit(desk)
    ticket_cancel(actor=desk.resident, ticket_id=cancelled.pk)
    assert (fresh(cancelled).sla_next_check_at, fresh(cancelled).sla_state) == (None, "none")
    closed = worked(desk, clock)
    ticket_resolve(actor=desk.technician, ticket_id=closed.pk, note="修好了")
    ticket_close(actor=desk.resident, ticket_id=closed.pk)
    assert (fresh(closed).sla_next_check_at, fresh(closed).sla_state) == (None, "met")


def test_a_ticket_without_targets_is_left_alone(desk, clock):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)  # made before SLAs
    ticket_hold(actor=desk.technician, ticket_id=ticket.pk, reason="等", hold_reason="resident")
    assert (fresh(ticket).sla_state, fresh(ticket).sla_paused_at) == ("none", None)

"""The thresholds stored with the due instants (at risk from, escalated from), worked out in the ticket's clock when
the due instant is set, so that the sweep needs no clock arithmetic and takes working-hours tickets in SQL on
PostgreSQL too."""

from datetime import timedelta

import pytest
from django.db import connection

from gongzhi.tickets import sla
from gongzhi.tickets.models import Ticket, TicketEvent
from gongzhi.tickets.services import comment_add, ticket_hold, ticket_reopen, ticket_resolve, ticket_resume
from gongzhi.tickets.sla import sweep
from gongzhi.tickets.tests.factories import CategoryFactory

from .sla_support import Clock, local, submit
from .test_sla_clock import worked

MICRO = timedelta(microseconds=1)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def no_python_sweep(monkeypatch):
    """On PostgreSQL every ticket with stored thresholds is swept in SQL: the Python path must find none."""
    if connection.vendor == "postgresql":
        def refuse(rows, *args):
            raise AssertionError(f"swept in Python: {[r.id for r in rows]}")

        monkeypatch.setattr(sla, "_sweep_batch", refuse)


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def thresholds(ticket) -> tuple:
    return (ticket.response_at_risk_at, ticket.response_escalate_at, ticket.resolution_at_risk_at,
            ticket.resolution_escalate_at)


def steps(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket, actor__isnull=True).values_list("action", flat=True))


def working_category(desk, **kwargs):
    return CategoryFactory(estate=desk.estate, sla_clock="working", **kwargs)


def test_a_working_hours_ticket_stores_its_thresholds_in_working_time_over_the_weekend(desk, clock):
    # given a working-hours category (Mon–Fri 08:30–12:00, 13:30–17:30): 2 h to respond, 8 h to resolve
    category = working_category(desk, response_minutes=120, resolution_minutes=8 * 60)
    # when the resident reports a problem on Friday at 16:00
    clock.set(local(2026, 11, 27, 16))
    ticket = fresh(submit(desk, category_id=category.pk))
    # then respond by Monday 09:00 (1.5 h on Friday), at risk from 24 working minutes before it (Monday 08:36),
    # escalated 1 working hour after it; resolve by Monday 16:30, at risk 96 minutes before (14:54), escalated
    # 4 working hours after it (1 h on Monday, 3 h on Tuesday)
    assert ticket.response_due_at == local(2026, 11, 30, 9)
    assert ticket.resolution_due_at == local(2026, 11, 30, 16, 30)
    assert thresholds(ticket) == (local(2026, 11, 30, 8, 36), local(2026, 11, 30, 10), local(2026, 11, 30, 14, 54),
                                  local(2026, 12, 1, 11, 30))
    # and the first check is the response's at-risk instant, not Friday evening
    assert ticket.sla_next_check_at == local(2026, 11, 30, 8, 36)


def test_the_sweep_takes_a_working_hours_ticket_step_by_step_at_its_stored_instants(desk, clock, no_python_sweep):
    category = working_category(desk, response_minutes=120, resolution_minutes=8 * 60)
    clock.set(local(2026, 11, 27, 16))
    ticket = submit(desk, category_id=category.pk)
    # when the sweep runs over the weekend, nothing is due
    assert sweep(local(2026, 11, 29, 23))["checked"] == 0
    # a microsecond before Monday 08:36 nothing either; at 08:36 the response target is at risk
    assert sweep(local(2026, 11, 30, 8, 36) - MICRO)["checked"] == 0
    assert sweep(local(2026, 11, 30, 8, 36))["at_risk"] == 1
    assert fresh(ticket).sla_next_check_at == local(2026, 11, 30, 9)
    # at the due instant it is not late yet; a microsecond after it, it is
    assert sweep(local(2026, 11, 30, 9))["breached"] == 0
    assert sweep(local(2026, 11, 30, 9) + MICRO)["breached"] == 1
    assert fresh(ticket).response_breached and fresh(ticket).sla_next_check_at == local(2026, 11, 30, 10)
    # escalated exactly one working hour after the due instant
    assert sweep(local(2026, 11, 30, 10) - MICRO)["escalated"] == 0
    assert sweep(local(2026, 11, 30, 10))["escalated"] == 1
    assert steps(ticket) == ["sla_at_risk", "sla_breach", "escalate"]
    # then the next check is the resolution's at-risk instant (its own chain is not started by the response's)
    assert fresh(ticket).sla_next_check_at == local(2026, 11, 30, 14, 54)


def test_a_late_reply_by_comment_in_working_hours_is_settled_by_the_sweep(desk, clock, no_python_sweep):
    category = working_category(desk, response_minutes=120, resolution_minutes=8 * 60)
    clock.set(local(2026, 11, 27, 16))
    ticket = submit(desk, category_id=category.pk)
    # given the desk replies on Monday at 09:30, after the response was due
    clock.set(local(2026, 11, 30, 9, 30))
    comment_add(actor=desk.customer_service, ticket_id=ticket.pk, body="师傅马上到")
    after = fresh(ticket)
    # then the response target is settled as missed, with its thresholds gone, and the resolution runs
    assert after.response_breached and after.response_due_at is None
    assert after.response_at_risk_at is None and after.response_escalate_at is None
    assert after.resolution_at_risk_at == local(2026, 11, 30, 14, 54)
    assert after.sla_next_check_at == local(2026, 11, 30, 14, 54)
    assert sweep(local(2026, 11, 30, 14, 54))["at_risk"] == 1
    assert steps(ticket) == ["sla_at_risk"]


def test_a_hold_clears_the_thresholds_and_resuming_stores_fresh_ones(desk, clock, no_python_sweep):
    # given a working-hours ticket worked from Friday 13:30, resolve by Monday 14:00 (see test_sla_clock)
    category = working_category(desk, response_minutes=30, resolution_minutes=8 * 60)
    clock.set(local(2026, 11, 27, 13, 30))
    ticket = worked(desk, clock, category_id=category.pk)
    assert ticket.resolution_at_risk_at == local(2026, 11, 30, 10, 54)  # 96 working minutes before 14:00
    assert ticket.resolution_escalate_at == local(2026, 12, 1, 9)  # + 4 working hours: 3.5 h Monday, 0.5 h Tuesday
    # when they wait for the resident from Friday 16:30 to Monday 10:00
    clock.set(local(2026, 11, 27, 16, 30))
    ticket_hold(actor=desk.technician, ticket_id=ticket.pk, reason="住户出差", hold_reason="resident")
    held = fresh(ticket)
    assert thresholds(held) == (None, None, None, None) and held.sla_next_check_at is None
    clock.set(local(2026, 11, 30, 10))
    ticket_resume(actor=desk.technician, ticket_id=ticket.pk)
    # then the 5 working hours left run from Monday 10:00 (due 16:30): at risk from 14:54, escalated Tuesday 11:30
    resumed = fresh(ticket)
    assert resumed.resolution_due_at == local(2026, 11, 30, 16, 30)
    assert resumed.resolution_at_risk_at == local(2026, 11, 30, 14, 54)
    assert resumed.resolution_escalate_at == local(2026, 12, 1, 11, 30)
    assert resumed.sla_next_check_at == local(2026, 11, 30, 14, 54)
    assert sweep(local(2026, 11, 30, 14, 54) - MICRO)["checked"] == 0
    assert sweep(local(2026, 11, 30, 14, 54))["at_risk"] == 1


def test_resolving_clears_the_thresholds_and_reopening_stores_fresh_ones(desk, clock):
    category = working_category(desk, response_minutes=30, resolution_minutes=8 * 60)
    clock.set(local(2026, 11, 27, 13, 30))
    ticket = worked(desk, clock, category_id=category.pk)
    clock.set(local(2026, 11, 27, 15))
    ticket_resolve(actor=desk.technician, ticket_id=ticket.pk, note="修好了")
    assert thresholds(fresh(ticket)) == (None, None, None, None)
    # when the resident reopens it on Monday at 08:30: a fresh 8 working hours (7.5 h Monday), due Tuesday 09:00
    clock.set(local(2026, 11, 30, 8, 30))
    ticket_reopen(actor=desk.resident, ticket_id=ticket.pk, note="又漏了")
    reopened = fresh(ticket)
    assert reopened.resolution_due_at == local(2026, 12, 1, 9)
    assert reopened.resolution_at_risk_at == local(2026, 11, 30, 16, 24)  # 30 min Tuesday + 66 min Monday
    assert reopened.resolution_escalate_at == local(2026, 12, 1, 14, 30)  # + 4 h: 3 h to noon, 1 h from 13:30


def test_calendar_time_thresholds_are_the_shares_of_the_target_around_the_due_instant(desk, clock):
    ticket = fresh(submit(desk))
    response, resolution = ticket.response_minutes, ticket.resolution_minutes
    assert ticket.response_at_risk_at == ticket.response_due_at - timedelta(minutes=response / 5)
    assert ticket.response_escalate_at == ticket.response_due_at + timedelta(minutes=response / 2)
    assert ticket.resolution_at_risk_at == ticket.resolution_due_at - timedelta(minutes=resolution / 5)
    assert ticket.resolution_escalate_at == ticket.resolution_due_at + timedelta(minutes=resolution / 2)


def test_a_working_hours_ticket_stored_without_thresholds_is_still_swept(desk, clock):
    # given a working-hours ticket from before the thresholds were stored
    category = working_category(desk, response_minutes=120, resolution_minutes=8 * 60)
    clock.set(local(2026, 11, 27, 16))
    ticket = submit(desk, category_id=category.pk)
    Ticket.objects.filter(pk=ticket.pk).update(response_at_risk_at=None, response_escalate_at=None,
                                               resolution_at_risk_at=None, resolution_escalate_at=None)
    # when the sweep runs at Monday 08:36 (and before it)
    assert sweep(local(2026, 11, 30, 8, 35))["at_risk"] == 0
    assert sweep(local(2026, 11, 30, 8, 36))["at_risk"] == 1
    # then it is worked out from the estate calendar, as before
    assert fresh(ticket).sla_next_check_at == local(2026, 11, 30, 9)

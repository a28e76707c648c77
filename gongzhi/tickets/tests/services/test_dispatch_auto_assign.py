"""Automatic assignment: skill, duty, least open work, then who waited longest; the system dispatches on submit
when the estate turns it on; nobody suitable → the desk is told."""

from datetime import time, timedelta

import pytest

from gongzhi.core.errors import Conflict, Forbidden
from gongzhi.core.models import AuditEntry
from gongzhi.notifications.models import Notification
from gongzhi.tickets.dispatch import auto_assign, bulk_assign, candidates
from gongzhi.tickets.models import TechnicianProfile, Ticket, TicketEvent
from gongzhi.tickets.services import ticket_assign, ticket_grab
from gongzhi.tickets.tests.factories import CategoryFactory, DutyShiftFactory, TechnicianProfileFactory

from .sla_support import Clock, local, submit


@pytest.fixture(autouse=True)
def _notifications_in_english(desk):
    """The assertions below read the notifications' English text; every user of the world reads English."""
    from gongzhi.accounts.models import User

    User.objects.update(language="en")


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def crew(desk, member):
    """Three plumbers on duty all week (00:00–00:00), and an electrician."""
    desk.category.skill = "plumbing"
    desk.category.save()
    people = {}
    for name, skills in [("a", ["plumbing"]), ("b", ["plumbing", "electrical"]), ("c", ["plumbing"]),
                         ("sparky", ["electrical"])]:
        user = member("technician", desk.estate)
        TechnicianProfileFactory(estate=desk.estate, user=user, skills=skills)
        for day in range(7):
            DutyShiftFactory(estate=desk.estate, user=user, weekday=day, starts=time(0), ends=time(0))
        people[name] = user
    return people


def give(desk, user, count):
    for _ in range(count):
        desk.ticket(status="assigned", assignee=user)


def test_the_least_loaded_technician_with_the_skill_wins(desk, clock, crew):
    give(desk, crew["a"], 2)
    give(desk, crew["b"], 1)
    give(desk, crew["c"], 3)
    ticket = submit(desk)
    assigned = auto_assign(actor=desk.dispatcher, ticket_id=ticket.pk)
    assert assigned.assignee == crew["b"]
    assert [p.user for p in candidates(Ticket.objects.get(pk=ticket.pk))] == [crew["a"], crew["c"]]


def test_equal_load_goes_to_who_waited_longest_never_assigned_first(desk, clock, crew):
    TechnicianProfile.objects.filter(user=crew["a"]).update(last_assigned_at=clock.now - timedelta(hours=1))
    TechnicianProfile.objects.filter(user=crew["b"]).update(last_assigned_at=clock.now - timedelta(hours=3))
    # c was never assigned: waited longest
    first = auto_assign(actor=desk.dispatcher, ticket_id=submit(desk).pk)
    assert first.assignee == crew["c"]
    # now c has one open ticket: a and b tie on 0, b waited longer
    second = auto_assign(actor=desk.dispatcher, ticket_id=submit(desk).pk)
    assert second.assignee == crew["b"]


def test_ties_all_round_go_to_the_lower_user_id(desk, clock, crew):
    ticket = submit(desk)
    assert auto_assign(actor=desk.dispatcher, ticket_id=ticket.pk).assignee == min(
        (crew["a"], crew["b"], crew["c"]), key=lambda u: u.pk)


def test_every_assignment_restarts_the_wait(desk, clock, crew):
    ticket_assign(actor=desk.dispatcher, ticket_id=submit(desk).pk, assignee_id=crew["a"].pk)
    assert TechnicianProfile.objects.get(user=crew["a"]).last_assigned_at == clock.now
    clock.advance(minutes=1)
    ticket_grab(actor=_actor(desk, crew["b"]), ticket_id=submit(desk).pk)
    assert TechnicianProfile.objects.get(user=crew["b"]).last_assigned_at == clock.now


def _actor(desk, user):
    from gongzhi.core.access import resolve_actor

    return resolve_actor(user, desk.estate.pk)


def test_off_duty_and_opted_out_technicians_are_passed_over(desk, clock, crew):
    TechnicianProfile.objects.filter(user__in=[crew["a"], crew["b"]]).update(auto_dispatch=False)
    crew_c = crew["c"]
    from gongzhi.tickets.models import DutyShift

    DutyShift.objects.filter(user=crew_c).delete()
    ticket = submit(desk)
    assert auto_assign(actor=desk.dispatcher, ticket_id=ticket.pk) is None
    assert Ticket.objects.get(pk=ticket.pk).status == "submitted"
    # and the desk is told (not the dispatcher who asked)
    told = set(Notification.objects.filter(title__contains="needs a technician").values_list("user_id", flat=True))
    assert told == {desk.customer_service.user.pk}


def test_a_category_without_a_skill_may_go_to_any_technician(desk, clock, crew):
    category = CategoryFactory(estate=desk.estate, skill="")
    ticket = submit(desk, category_id=category.pk)
    assert auto_assign(actor=desk.dispatcher, ticket_id=ticket.pk).assignee in crew.values()


def test_only_the_desk_auto_assigns(desk, clock, crew):
    with pytest.raises(Forbidden):
        auto_assign(actor=desk.technician, ticket_id=submit(desk).pk)


def test_a_closed_ticket_cannot_be_auto_assigned(desk, clock, crew):
    ticket = desk.ticket(status="closed")
    with pytest.raises(Conflict):
        auto_assign(actor=desk.dispatcher, ticket_id=ticket.pk)


# --- on submit ---------------------------------------------------------------------------------------------------
def test_with_auto_dispatch_on_the_system_assigns_a_new_ticket(desk, clock, crew):
    desk.estate.rule_overrides = {"tickets.auto_dispatch": True}
    desk.estate.save()
    desk.resident.estate.rule_overrides = desk.estate.rule_overrides
    ticket = submit(desk)
    assert (ticket.status, ticket.assignee_id) == ("assigned", min(u.pk for u in (crew["a"], crew["b"], crew["c"])))
    event = TicketEvent.objects.filter(ticket=ticket, action="assign").get()
    assert event.actor is None  # the system
    assert AuditEntry.objects.filter(action="ticket.assign", object_id=str(ticket.pk), actor__isnull=True,
                                     actor_label="system").exists()
    # the system's assignment is not a response: the response clock keeps running
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.first_response_at is None and stored.response_due_at is not None


def test_with_auto_dispatch_off_a_new_ticket_waits(desk, clock, crew):
    assert submit(desk).status == "submitted"


def test_auto_dispatch_with_nobody_on_duty_keeps_the_submit(desk, clock, crew):
    desk.estate.rule_overrides = {"tickets.auto_dispatch": True}
    desk.estate.save()
    desk.resident.estate.rule_overrides = desk.estate.rule_overrides
    TechnicianProfile.objects.update(auto_dispatch=False)
    ticket = submit(desk)
    assert Ticket.objects.get(pk=ticket.pk).status == "submitted"
    told = set(Notification.objects.filter(title__contains="needs a technician").values_list("user_id", flat=True))
    assert told == {desk.dispatcher.user.pk, desk.customer_service.user.pk}


# --- bulk --------------------------------------------------------------------------------------------------------
def test_bulk_assign_assigns_each_through_the_workflow(desk, clock, crew):
    tickets = [submit(desk) for _ in range(3)]
    done = bulk_assign(actor=desk.dispatcher, ticket_ids=[t.pk for t in tickets], assignee_id=crew["a"].pk)
    assert [t.assignee_id for t in done] == [crew["a"].pk] * 3
    assert TicketEvent.objects.filter(action="assign", ticket__in=tickets).count() == 3


def test_bulk_assign_is_all_or_nothing(desk, clock, crew):
    good = submit(desk)
    closed = desk.ticket(status="closed")
    with pytest.raises(Conflict):
        bulk_assign(actor=desk.dispatcher, ticket_ids=[good.pk, closed.pk], assignee_id=crew["a"].pk)
    assert Ticket.objects.get(pk=good.pk).status == "submitted"


def test_local_time_matters_for_duty(desk, clock, crew):
    from gongzhi.tickets.models import DutyShift

    DutyShift.objects.all().delete()
    DutyShiftFactory(estate=desk.estate, user=crew["a"], weekday=0, starts=time(8), ends=time(9))
    ticket = Ticket.objects.get(pk=submit(desk).pk)
    assert [p.user for p in candidates(ticket, local(2026, 11, 23, 8, 30))] == [crew["a"]]
    assert candidates(ticket, local(2026, 11, 23, 9, 30)) == []

"""The SLA sweep: at risk → the assignee (or the desk), breached → the supervisor (or the dispatchers), still late
→ the managers; each step once, on the timeline, notified; per estate rules; cost constant per ticket."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.notifications.models import Notification
from gongzhi.tickets.models import Ticket, TicketEvent
from gongzhi.tickets.models.tickets import TicketSlaCheck
from gongzhi.tickets.services import comment_add, ticket_assign
from gongzhi.tickets.sla import sla_countdown, sweep
from gongzhi.tickets.tests.factories import TechnicianProfileFactory

from .sla_support import Clock, submit


@pytest.fixture(autouse=True)
def _notifications_in_english(desk):
    """The assertions below read the notifications' English text; every user of the world reads English."""
    from gongzhi.accounts.models import User

    User.objects.update(language="en")


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)

MICRO = timedelta(microseconds=1)


def alerts(user=None):
    qs = Notification.objects.filter(kind="sla_alert")
    return qs.filter(user=user) if user is not None else qs


def steps(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket, actor__isnull=True).values_list("action", flat=True))


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


# --- the response target of an unassigned ticket -----------------------------------------------------------------
def test_at_risk_starts_exactly_when_a_fifth_of_the_target_is_left(desk, clock):
    # given a ticket with 15 minutes to respond, submitted at T
    ticket = submit(desk)
    at_risk = ticket.submitted_at + timedelta(minutes=12)
    # when the sweep runs a microsecond before the at-risk instant, nothing happens
    assert sweep(at_risk - MICRO)["at_risk"] == 0
    # when it runs exactly at it, the ticket is at risk and the desk (nobody is assigned) is told
    assert sweep(at_risk)["at_risk"] == 1
    ticket = fresh(ticket)
    assert (ticket.sla_state, ticket.escalation_level, ticket.sla_next_check_at) == (
        "at_risk", 1, ticket.response_due_at)
    assert steps(ticket) == ["sla_at_risk"]
    told = set(alerts().values_list("user_id", flat=True))
    assert told == {desk.dispatcher.user.pk, desk.customer_service.user.pk}


def test_breached_only_after_the_due_instant_and_then_the_dispatchers_are_told(desk, clock):
    ticket = submit(desk)
    due = ticket.response_due_at
    sweep(due - timedelta(minutes=1))
    # exactly at the due instant a response would still be in time: not breached yet
    assert sweep(due)["breached"] == 0
    assert fresh(ticket).response_breached is False
    # a microsecond later it is
    assert sweep(due + MICRO)["breached"] == 1
    ticket = fresh(ticket)
    assert (ticket.sla_state, ticket.escalation_level, ticket.response_breached) == ("breached", 2, True)
    assert ticket.sla_next_check_at == due + timedelta(minutes=7, seconds=30)  # + 1/2 of the 15 minutes
    assert set(alerts().filter(title__contains="late").values_list("user_id", flat=True)) == {
        desk.dispatcher.user.pk}


def test_still_late_after_half_the_target_again_goes_to_the_managers(desk, clock):
    ticket = submit(desk)
    sweep(ticket.response_due_at + MICRO)
    manager_at = ticket.response_due_at + timedelta(minutes=7, seconds=30)
    assert sweep(manager_at - MICRO)["escalated"] == 0
    assert sweep(manager_at)["escalated"] == 1
    ticket = fresh(ticket)
    assert ticket.escalation_level == 3
    assert steps(ticket) == ["sla_breach", "escalate"]
    assert alerts(desk.manager.user).count() == 1
    # the breach flag stays for reporting
    assert ticket.response_breached is True


def test_a_ticket_found_already_very_late_skips_at_risk_but_tells_supervisor_chain(desk, clock):
    ticket = submit(desk)
    sweep(ticket.submitted_at + timedelta(hours=1))
    assert steps(fresh(ticket)) == ["sla_breach", "escalate"]
    assert alerts(desk.dispatcher.user).count() == 1 and alerts(desk.manager.user).count() == 1


# --- the resolution target of an assigned ticket -----------------------------------------------------------------
def test_the_chain_runs_assignee_then_supervisor_then_managers(desk, clock, member):
    # given the technician's supervisor, and a ticket assigned at once (responded to in time)
    supervisor = member("dispatcher", desk.estate)
    TechnicianProfileFactory(estate=desk.estate, user=desk.technician.user, supervisor=supervisor)
    ticket = submit(desk)
    ticket_assign(actor=desk.dispatcher, ticket_id=ticket.pk, assignee_id=desk.technician.user.pk)
    due = fresh(ticket).resolution_due_at
    # when the sweep runs at the at-risk instant, at the breach and when it is still late
    sweep(due - timedelta(minutes=288))
    sweep(due + MICRO)
    sweep(due + timedelta(hours=12))
    # then each in turn was told, once
    assert list(alerts().order_by("pk").values_list("user_id", flat=True)) == [
        desk.technician.user.pk, supervisor.pk, desk.manager.user.pk]
    assert all(ticket.number in n.title for n in alerts())
    assert steps(fresh(ticket)) == ["sla_at_risk", "sla_breach", "escalate"]
    assert fresh(ticket).resolution_breached is True
    assert fresh(ticket).sla_next_check_at is None
    # and the timeline names whom
    note = TicketEvent.objects.get(ticket=ticket, action="sla_breach").note
    assert str(supervisor) in note


def test_a_paused_ticket_is_not_swept(desk, clock):
    ticket = desk.ticket(status="on_hold", assignee=desk.technician.user, sla_state="paused",
                         sla_paused_at=clock.now, sla_remaining_minutes=10, resolution_minutes=60)
    assert sweep(clock.now + timedelta(days=3))["checked"] == 0
    assert fresh(ticket).sla_state == "paused"


def test_a_late_reply_by_comment_is_counted_as_a_missed_response(desk, clock):
    # given a ticket nobody acted on, answered by a comment after its response target
    ticket = submit(desk)
    clock.advance(minutes=20)
    comment_add(actor=desk.customer_service, ticket_id=ticket.pk, body="我们马上安排")
    # when the sweep next looks at it
    sweep(clock.now)
    # then the response target is settled as missed and the resolution target runs on
    ticket = fresh(ticket)
    assert (ticket.response_breached, ticket.response_due_at, ticket.sla_state) == (True, None, "on_track")
    assert ticket.sla_next_check_at > clock.now


# --- idempotence, cost, isolation --------------------------------------------------------------------------------
def test_sweeping_twice_takes_each_step_once(desk, clock):
    tickets = [submit(desk) for _ in range(3)]
    later = tickets[0].submitted_at + timedelta(minutes=13)
    first = sweep(later)
    counts = (alerts().count(), TicketEvent.objects.filter(actor__isnull=True).count())
    second = sweep(later)
    assert first["at_risk"] == 3 and second["at_risk"] == 0
    assert (alerts().count(), TicketEvent.objects.filter(actor__isnull=True).count()) == counts
    # one person with several tickets in one run gets one digest, not one alert each
    assert alerts(desk.dispatcher.user).count() == 1
    assert "3 tickets" in alerts(desk.dispatcher.user).get().title


def _queries_for(desk, clock, count: int, technician) -> int:
    tickets = [submit(desk) for _ in range(count)]
    for t in tickets[: count // 2]:
        ticket_assign(actor=desk.dispatcher, ticket_id=t.pk, assignee_id=technician.pk)
    due = max(t.submitted_at for t in tickets) + timedelta(minutes=15)
    sweep(due - timedelta(minutes=1))  # settle the assigned ones' response targets
    with CaptureQueriesContext(connection) as captured:
        sweep(due + timedelta(days=2))
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(sla_next_check_at=None)
    return len(captured)


def test_the_sweep_costs_the_same_queries_for_few_or_many_tickets(desk, clock, member):
    TechnicianProfileFactory(estate=desk.estate, user=desk.technician.user, supervisor=desk.dispatcher.user)
    few = _queries_for(desk, clock, 4, desk.technician.user)
    many = _queries_for(desk, clock, 40, desk.technician.user)
    assert few == many
    assert many <= 20


def test_each_estate_follows_its_own_rules_and_tells_only_its_own_staff(desk, clock, other_estate, member):
    # given the other estate warns when half the target is left, and has its own desk
    other_estate.rule_overrides = {"tickets.sla_at_risk_share": "1/2"}
    other_estate.save()
    from gongzhi.tickets.tests.factories import CategoryFactory, TicketFactory

    other_dispatcher = member("dispatcher", other_estate)
    category = CategoryFactory(estate=other_estate, response_minutes=15)
    now = clock.now
    theirs = TicketFactory(house__unit__building__estate=other_estate, category=category, status="submitted",
                           response_minutes=15, resolution_minutes=1440, sla_state="on_track",
                           response_due_at=now + timedelta(minutes=15), resolution_due_at=now + timedelta(days=1),
                           sla_next_check_at=now + timedelta(minutes=7, seconds=30))
    ours = submit(desk)
    # when the sweep runs 8 minutes in (7 minutes left of 15)
    sweep(now + timedelta(minutes=8))
    # then theirs is at risk (≤ 1/2 left) and ours is not (> 1/5 left); only their dispatcher is told
    assert fresh(theirs).sla_state == "at_risk" and fresh(ours).sla_state == "on_track"
    assert set(alerts().values_list("user_id", flat=True)) == {other_dispatcher.pk}
    assert set(alerts().values_list("estate_id", flat=True)) == {other_estate.pk}


# --- the countdown -----------------------------------------------------------------------------------------------
def test_the_countdown_shows_the_running_target_and_goes_negative_when_late(desk, clock):
    ticket = submit(desk)
    shown = sla_countdown(fresh(ticket), ticket.submitted_at + timedelta(minutes=5))
    assert (shown["target"], shown["seconds_left"], shown["state"], shown["paused"]) == (
        "response", 600, "on_track", False)
    late = sla_countdown(fresh(ticket), ticket.submitted_at + timedelta(minutes=20))
    assert late["seconds_left"] == -300
    ticket_assign(actor=desk.dispatcher, ticket_id=ticket.pk, assignee_id=desk.technician.user.pk)
    assert sla_countdown(fresh(ticket), clock.now)["target"] == "resolution"


def test_the_countdown_of_a_paused_ticket_shows_the_time_left(desk, clock):
    ticket = desk.ticket(status="on_hold", sla_state="paused", sla_paused_at=clock.now, sla_remaining_minutes=90,
                         resolution_minutes=600)
    shown = sla_countdown(ticket, clock.now + timedelta(hours=5))
    assert (shown["paused"], shown["seconds_left"], shown["target"]) == (True, 5400, "resolution")


@pytest.mark.parametrize("status", ["resolved", "closed", "cancelled"])
def test_a_done_ticket_left_with_a_check_is_just_unscheduled(desk, clock, status):
    ticket = desk.ticket(status=status, resolution_minutes=60, resolution_due_at=clock.now,
                         sla_next_check_at=clock.now)
    assert sweep(clock.now + timedelta(hours=5))["breached"] == 0
    assert fresh(ticket).sla_next_check_at is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_take_each_step_once(desk, clock):
    import threading

    from django.db import close_old_connections

    # given 30 tickets at risk
    tickets = [submit(desk) for _ in range(30)]
    later = tickets[-1].submitted_at + timedelta(minutes=13)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(sweep(later))
        finally:
            close_old_connections()
            connection.close()

    # when two sweeps run at the same moment
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then each ticket got its step once, and the desk one digest per ticket set
    assert sum(r["at_risk"] for r in results) == 30
    assert TicketEvent.objects.filter(action="sla_at_risk").count() == 30
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], escalation_level=1).count() == 30


# --- the SQL sweep (PostgreSQL) takes the same steps as the Python one --------------------------------------------
def _sweep_outcome(tickets, later):
    ids = [t.pk for t in tickets]
    result = sweep(later)
    rows = list(Ticket.objects.filter(pk__in=ids).order_by("pk").values_list(
        "pk", "sla_state", "escalation_level", "response_breached", "resolution_breached", "response_due_at",
        "sla_next_check_at", "updated_at", "response_at_risk_at", "resolution_escalate_at"))
    # In the order of each ticket's timeline (on PostgreSQL the SQL statement writes its steps before Python does).
    events = list(TicketEvent.objects.filter(ticket_id__in=ids, actor__isnull=True).order_by("ticket_id", "pk").values_list(
        "ticket_id", "at", "action", "from_status", "to_status", "note"))
    told = sorted(alerts().values_list("estate_id", "user_id", "title", "body"))
    # and the sweep's queue, which the database keeps from the rows written
    checks = list(TicketSlaCheck.objects.filter(ticket_id__in=ids).order_by("ticket_id").values_list(
        "ticket_id", "estate_id", "next_check_at"))
    return result, rows, events, told, checks


@pytest.mark.parametrize("seed", [1, 2])
def test_the_sql_sweep_and_the_python_sweep_agree_on_every_kind_of_ticket(desk, clock, other_estate, member, seed,
                                                                          monkeypatch):
    """On PostgreSQL the tickets are swept by one SQL statement per batch; on SQLite by ``standing`` in Python.
    Both must take the same steps, to the microsecond: the same rows, timeline events and notifications, for
    calendar-time tickets (with and without stored thresholds: the test's are made without) and working-hours ones
    (with thresholds, stored when their due instants were set), on either side of every boundary and shares that
    are not a whole number of microseconds per minute (1/7) or round half to even (1/512)."""
    import random

    from django.db import transaction

    from gongzhi.tickets import sla
    from gongzhi.tickets.tests.factories import CategoryFactory, TicketFactory

    rng = random.Random(seed)
    other_estate.rule_overrides = {"tickets.sla_at_risk_share": "1/512", "tickets.sla_manager_after_share": "1/7"}
    other_estate.save()
    member("manager", other_estate)
    member("dispatcher", other_estate)
    TechnicianProfileFactory(estate=desk.estate, user=desk.technician.user, supervisor=desk.dispatcher.user)
    now = clock.now
    categories = {desk.estate.pk: desk.category, other_estate.pk: CategoryFactory(estate=other_estate)}
    working, desk_shares = sla.Clocks().get(desk.estate.pk, "working"), sla.Shares.of(desk.estate)
    tickets = []
    for i in range(120):
        estate = desk.estate if i % 2 else other_estate
        minutes = rng.choice([None, 0, 1, 3, 15, 61, 1440])
        res_minutes = rng.choice([None, 0, 7, 61, 240, 1440])
        share = (1 / 5, 1 / 2) if estate == desk.estate else (1 / 512, 1 / 7)

        def due(target_minutes):
            if not target_minutes:
                return rng.choice([None, now])
            edges = [0, target_minutes * share[0] * 60, -target_minutes * share[1] * 60]
            seconds = rng.choice(edges) if rng.random() < 0.5 else rng.uniform(-2, 2) * target_minutes * 60
            return now + timedelta(seconds=seconds, microseconds=rng.choice([-1, 0, 0, 1]))

        responded = rng.random() < 0.4
        fields = {
            "status": rng.choice(["submitted", "assigned", "accepted", "in_progress", "on_hold", "resolved",
                                  "closed"]),
            "first_response_at": now - timedelta(minutes=rng.randint(0, 90)) if responded else None,
            "response_minutes": minutes, "response_due_at": due(minutes),
            "resolution_minutes": res_minutes, "resolution_due_at": due(res_minutes),
            "escalation_level": rng.choice([0, 0, 1, 2, 3]), "sla_state": rng.choice(["on_track", "at_risk"]),
            "response_breached": rng.random() < 0.2, "resolution_breached": rng.random() < 0.2,
            "sla_next_check_at": now - timedelta(seconds=rng.randint(0, 600)),
            "assignee": rng.choice([None, desk.technician.user, desk.technician2.user]) if estate == desk.estate
            else None,
        }
        if estate == desk.estate and rng.random() < 0.5:
            fields["sla_clock"] = "working"
            # thresholds stored when the due instants were set (test_sla_thresholds sweeps tickets without them)
            for name, target in (("response", minutes), ("resolution", res_minutes)):
                due_at = fields[f"{name}_due_at"]
                set_at = due_at - timedelta(minutes=rng.choice([0, 1, (target or 0) // 2])) if due_at else now
                risk_at, escalate_at = sla.thresholds(working, set_at, due_at, target, desk_shares)
                if risk_at is not None and rng.random() < 0.3:  # right on the sweep's instant
                    risk_at = now + rng.choice([-MICRO, MICRO, timedelta(0)])
                if escalate_at is not None and rng.random() < 0.3:
                    escalate_at = now + rng.choice([-MICRO, MICRO, timedelta(0)])
                fields[f"{name}_at_risk_at"], fields[f"{name}_escalate_at"] = risk_at, escalate_at
        if estate == desk.estate:
            tickets.append(desk.ticket(**fields))
        else:
            tickets.append(TicketFactory(house__unit__building__estate=other_estate,
                                         category=categories[other_estate.pk], **fields))
    estates = {t.pk: t.estate_id for t in tickets}
    # when the same tickets are swept once each way
    outcomes = []
    for in_sql in (True, False):
        monkeypatch.setattr(sla, "SWEEP_IN_SQL", in_sql)
        point = transaction.savepoint()
        outcomes.append(_sweep_outcome(tickets, now))
        transaction.savepoint_rollback(point)
    # then everything written is the same, and something happened on every side
    (result, rows, events, told, checks), expected = outcomes
    assert result == expected[0]
    assert rows == expected[1]
    assert events == expected[2]
    assert told == expected[3]
    assert checks == expected[4]
    # (the queue holds every ticket with a next check, at that instant: the rows' pk and sla_next_check_at)
    assert checks == [(row[0], estates[row[0]], row[6]) for row in rows if row[6] is not None]
    assert result["checked"] == 120 and result["at_risk"] and result["breached"] and result["escalated"]
    assert {action for _t, _at, action, *_rest in events} == {"sla_at_risk", "sla_breach", "escalate"}
    # and working-hours tickets with stored thresholds took steps too (on PostgreSQL: in SQL)
    working_ids = {t.pk for t in tickets if t.sla_clock == "working" and t.resolution_at_risk_at is not None}
    assert {ticket_id for ticket_id, *_rest in events} & working_ids

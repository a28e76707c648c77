"""Unrated tickets close by themselves (issue 3): a resolved ticket nobody rated within the estate's
``tickets.auto_close_days`` is closed with no rating at all (never a made-up score), on the timeline by the system,
audited, its submitter told; batched, idempotent, across every estate."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gongzhi.core.models import AuditEntry
from gongzhi.notifications.models import Notification
from gongzhi.tickets import feedback
from gongzhi.tickets.feedback import auto_close_unrated
from gongzhi.tickets.models import FollowUpVisit, Rating, Ticket, TicketEvent
from gongzhi.tickets.signals import ticket_transitioned
from gongzhi.tickets.tests.factories import TicketFactory

DAY = timedelta(days=1)


@pytest.fixture
def now():
    return timezone.now()


def resolved(desk, at, **kwargs):
    return desk.ticket(status="resolved", assignee=desk.technician.user, resolved_at=at, **kwargs)


@pytest.fixture
def heard():
    """The ticket_transitioned signals sent, as (ticket id, action, from, actor)."""
    sent = []

    def listen(sender, ticket, action, from_status, actor, now, **kwargs):
        sent.append((ticket.pk, action, from_status, actor, ticket.status))

    ticket_transitioned.connect(listen)
    yield sent
    ticket_transitioned.disconnect(listen)


def test_a_ticket_unrated_for_longer_than_the_time_closes_without_a_rating(desk, now, heard):
    # given a repair resolved 7 days and a second ago that nobody rated
    ticket = resolved(desk, now - 7 * DAY - timedelta(seconds=1))
    # when the hourly job runs
    assert auto_close_unrated(now=now) == 1
    # then it is closed, with no rating made up
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closed_at) == ("closed", now)
    assert not Rating.objects.exists()
    # and the timeline says the system closed it, from resolved
    event = TicketEvent.objects.filter(ticket=ticket).latest("pk")
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "auto_close", None, "resolved", "closed")
    assert event.note
    # and it is audited, the submitter is told, and the signal is sent with no actor after the change
    entry = AuditEntry.objects.get(action="ticket.auto_close", object_id=str(ticket.pk))
    assert (entry.actor, entry.before["status"], entry.after["status"]) == (None, "resolved", "closed")
    assert Notification.objects.filter(user=desk.resident.user, kind="ticket_update").count() == 1
    assert heard == [(ticket.pk, "auto_close", "resolved", None, "closed")]


def test_exactly_at_the_time_it_is_not_closed_yet(desk, now):
    ticket = resolved(desk, now - 7 * DAY)
    assert auto_close_unrated(now=now) == 0
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"


def test_a_younger_resolution_and_other_states_are_left_alone(desk, now):
    young = resolved(desk, now - 6 * DAY)
    others = [desk.ticket(status=s, assignee=desk.technician.user, resolved_at=now - 30 * DAY)
              for s in ("closed", "in_progress", "on_hold", "assigned")]
    assert auto_close_unrated(now=now) == 0
    assert Ticket.objects.get(pk=young.pk).status == "resolved"
    assert [Ticket.objects.get(pk=t.pk).status for t in others] == ["closed", "in_progress", "on_hold", "assigned"]


def test_a_second_run_closes_nothing(desk, now):
    resolved(desk, now - 8 * DAY)
    assert auto_close_unrated(now=now) == 1
    assert auto_close_unrated(now=now) == 0
    assert auto_close_unrated(now=now + DAY) == 0
    assert TicketEvent.objects.filter(action="auto_close").count() == 1
    assert Notification.objects.filter(kind="ticket_update").count() == 1


def test_the_estate_rule_sets_the_time(desk, now):
    desk.estate.rule_overrides = {"tickets.auto_close_days": 3}
    desk.estate.save()
    closes = resolved(desk, now - 3 * DAY - timedelta(seconds=1))
    stays = resolved(desk, now - 3 * DAY + timedelta(seconds=1))
    assert auto_close_unrated(now=now) == 1
    assert Ticket.objects.get(pk=closes.pk).status == "closed"
    assert Ticket.objects.get(pk=stays.pk).status == "resolved"


def test_tickets_of_every_estate_close_each_by_its_own_rule(desk, other_estate, now):
    other_estate.rule_overrides = {"tickets.auto_close_days": 14}
    other_estate.save()
    ours = resolved(desk, now - 10 * DAY)
    theirs = TicketFactory(house__unit__building__estate=other_estate, category__estate=other_estate,
                           status="resolved", resolved_at=now - 10 * DAY)
    theirs_old = TicketFactory(house__unit__building__estate=other_estate, category__estate=other_estate,
                               status="resolved", resolved_at=now - 15 * DAY)
    assert auto_close_unrated(now=now) == 2
    assert Ticket.objects.get(pk=ours.pk).status == "closed"
    assert Ticket.objects.get(pk=theirs.pk).status == "resolved"
    assert Ticket.objects.get(pk=theirs_old.pk).status == "closed"
    assert TicketEvent.objects.get(ticket=theirs_old, action="auto_close").estate == other_estate


def test_many_tickets_are_closed_in_batches(desk, now, monkeypatch):
    monkeypatch.setattr(feedback, "AUTO_CLOSE_BATCH", 2)
    tickets = [resolved(desk, now - 9 * DAY) for _ in range(5)]
    assert auto_close_unrated(now=now) == 5
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("status", flat=True)) == {"closed"}
    assert TicketEvent.objects.filter(action="auto_close").count() == 5


def test_a_complaint_closed_this_way_goes_on_the_follow_up_list(desk, now):
    complaint = resolved(desk, now - 8 * DAY, kind="complaint")
    auto_close_unrated(now=now)
    visit = FollowUpVisit.objects.get(ticket=complaint)
    assert (visit.reason, visit.round, visit.due_at) == ("complaint", 0, now + 2 * DAY)


def test_the_query_count_does_not_grow_with_each_ticket_beyond_its_own_writes(desk, now, django_assert_max_num_queries):
    # the sample is off so that no follow-up visit adds its own writes
    desk.estate.rule_overrides = {"tickets.follow_up_sample": "0"}
    desk.estate.save()
    for _ in range(10):
        resolved(desk, now - 9 * DAY)
    # per ticket: a notification and the follow-up checks (visit, rating); the rest is per batch
    with django_assert_max_num_queries(12 + 10 * 4):
        assert auto_close_unrated(now=now) == 10

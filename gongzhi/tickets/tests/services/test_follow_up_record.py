"""Recording a follow-up visit: customer service or a manager records the outcome once; an unsatisfied resident's
ticket may be reopened at once, within the reopen window."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.tickets.feedback import follow_up_record
from gongzhi.tickets.models import FollowUpVisit, Ticket
from gongzhi.tickets.tests.factories import TicketFactory
from gongzhi.tickets.tests.factories_feedback import FollowUpVisitFactory


def visit_of(desk, **ticket_kwargs):
    ticket_kwargs.setdefault("resolved_at", timezone.now())
    ticket_kwargs.setdefault("closed_at", timezone.now())
    ticket = desk.ticket(status="closed", assignee=desk.technician.user, **ticket_kwargs)
    return FollowUpVisitFactory(ticket=ticket, reason="low_rating")


@pytest.mark.parametrize("who", ["customer_service", "manager"])
def test_customer_service_records_the_outcome(desk, who):
    # given a pending visit
    visit = visit_of(desk)
    actor = getattr(desk, who)
    # when the call is made and recorded
    visit = follow_up_record(actor=actor, visit_id=visit.pk, outcome="satisfied", note="<b>已经不漏了</b>")
    # then the visit is done, by whom and when, the note stored as typed, audited
    stored = FollowUpVisit.objects.get(pk=visit.pk)
    assert (stored.outcome, stored.note, stored.done_by) == ("satisfied", "<b>已经不漏了</b>", actor.user)
    assert stored.done_at is not None
    entry = AuditEntry.objects.get(action="follow_up.record", object_id=str(visit.pk))
    assert (entry.before["outcome"], entry.after["outcome"]) == ("", "satisfied")
    # and the ticket is untouched
    assert Ticket.objects.get(pk=visit.ticket_id).status == "closed"


def test_recording_twice_is_409_already_recorded(desk):
    visit = visit_of(desk)
    follow_up_record(actor=desk.customer_service, visit_id=visit.pk, outcome="neutral")
    with pytest.raises(Conflict) as error:
        follow_up_record(actor=desk.manager, visit_id=visit.pk, outcome="satisfied")
    assert error.value.code == "already_recorded"
    assert FollowUpVisit.objects.get(pk=visit.pk).outcome == "neutral"


@pytest.mark.parametrize("outcome", ["", "happy", None])
def test_an_unknown_outcome_is_400(desk, outcome):
    visit = visit_of(desk)
    with pytest.raises(DomainError) as error:
        follow_up_record(actor=desk.customer_service, visit_id=visit.pk, outcome=outcome)
    assert (error.value.status, error.value.code) == (400, "invalid_field")
    assert FollowUpVisit.objects.get(pk=visit.pk).done_at is None


def test_an_unsatisfied_resident_has_the_ticket_reopened(desk):
    visit = visit_of(desk)
    follow_up_record(actor=desk.customer_service, visit_id=visit.pk, outcome="unsatisfied", note="还在漏",
                     reopen=True)
    ticket = Ticket.objects.get(pk=visit.ticket_id)
    assert (ticket.status, ticket.reopen_count, ticket.assignee) == ("assigned", 1, desk.technician.user)
    assert ticket.events.latest("pk").note == "还在漏"
    assert FollowUpVisit.objects.get(pk=visit.pk).outcome == "unsatisfied"


def test_reopening_needs_the_resident_to_be_unsatisfied(desk):
    visit = visit_of(desk)
    with pytest.raises(DomainError) as error:
        follow_up_record(actor=desk.customer_service, visit_id=visit.pk, outcome="satisfied", reopen=True)
    assert error.value.code == "reopen_needs_unsatisfied"
    assert Ticket.objects.get(pk=visit.ticket_id).status == "closed"


def test_outside_the_reopen_window_nothing_is_recorded(desk):
    long_ago = timezone.now() - timedelta(days=8)
    visit = visit_of(desk, resolved_at=long_ago, closed_at=long_ago)
    with pytest.raises(Conflict) as error:
        follow_up_record(actor=desk.customer_service, visit_id=visit.pk, outcome="unsatisfied", reopen=True)
    assert error.value.code == "reopen_window_passed"
    assert FollowUpVisit.objects.get(pk=visit.pk).done_at is None
    # and without reopening it is recorded
    follow_up_record(actor=desk.customer_service, visit_id=visit.pk, outcome="unsatisfied")
    assert FollowUpVisit.objects.get(pk=visit.pk).outcome == "unsatisfied"


def test_the_note_is_limited(desk):
    visit = visit_of(desk)
    with pytest.raises(DomainError):
        follow_up_record(actor=desk.customer_service, visit_id=visit.pk, outcome="neutral", note="字" * 2001)


def test_the_dispatcher_sees_the_queue_but_does_not_record(desk):
    with pytest.raises(Forbidden):
        follow_up_record(actor=desk.dispatcher, visit_id=visit_of(desk).pk, outcome="neutral")


@pytest.mark.parametrize("who", ["technician", "resident", "guard"])
def test_others_do_not_even_see_it(desk, who):
    with pytest.raises(NotFound):
        follow_up_record(actor=getattr(desk, who), visit_id=visit_of(desk).pk, outcome="neutral")


def test_a_visit_of_another_estate_is_404(desk, other_estate):
    foreign = FollowUpVisitFactory(ticket=TicketFactory(house__unit__building__estate=other_estate,
                                                        category__estate=other_estate, status="closed"))
    with pytest.raises(NotFound):
        follow_up_record(actor=desk.customer_service, visit_id=foreign.pk, outcome="neutral")

"""The workflow table, exhaustively: every state × every action. Legal ones move the ticket and land on its
timeline; illegal ones answer 409 and change nothing. Then who may take each action, and the special rules."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone, translation

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.tickets import workflow
from gongzhi.tickets.choices import TicketStatus
from gongzhi.tickets.models import Ticket, TicketEvent
from gongzhi.tickets.services import (
    ticket_accept,
    ticket_assign,
    ticket_cancel,
    ticket_grab,
    ticket_reopen,
    ticket_resolve,
    ticket_start,
    ticket_transition,
)

# Who takes each action in the exhaustive test: one of its parties.
PARTY_ACTOR = {workflow.DESK: "dispatcher", workflow.ASSIGNEE: "technician", workflow.TECHNICIAN: "technician2",
               workflow.HOUSEHOLD: "resident"}
PREFERENCE = [workflow.ASSIGNEE, workflow.TECHNICIAN, workflow.HOUSEHOLD, workflow.DESK]


def ticket_in(desk, status: str) -> Ticket:
    """A ticket in ``status``, assigned to the technician once past "submitted"."""
    now = timezone.now()
    past_submitted = status != TicketStatus.SUBMITTED
    return desk.ticket(status=status, assignee=desk.technician.user if past_submitted else None,
                       resolved_at=now if status in {"resolved", "closed"} else None,
                       closed_at=now if status in {"closed", "rejected", "cancelled"} else None)


def actor_for_action(desk, action: str):
    parties = workflow.TRANSITIONS[action].parties
    return getattr(desk, PARTY_ACTOR[next(p for p in PREFERENCE if p in parties)])


def state(ticket) -> dict:
    return Ticket.objects.filter(pk=ticket.pk).values().get()


CASES = [(status, action) for status in TicketStatus.values for action in workflow.TRANSITION_ACTIONS]


def test_the_table_covers_every_state():
    """Every state is reachable and every open state has a way out (no dead ends but the final ones)."""
    targets = {t.target for t in workflow.TRANSITIONS.values()} | {TicketStatus.SUBMITTED}
    assert targets >= set(TicketStatus.values) - {TicketStatus.SUBMITTED}
    for status in TicketStatus.values:
        if status not in {"rejected", "cancelled"}:
            assert workflow.legal_from(status), status


@pytest.mark.parametrize(("status", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_every_state_and_action(desk, status, action):
    # given a ticket in the state, and an actor who is a party to the action
    ticket = ticket_in(desk, status)
    actor = actor_for_action(desk, action)
    transition = workflow.TRANSITIONS[action]
    before, events = state(ticket), TicketEvent.objects.count()
    kwargs = {"note": "原因说明"}
    if action == "assign":
        kwargs["assignee_id"] = desk.technician2.user.pk
    if action == "hold":
        kwargs["hold_reason"] = "parts"
    if status in transition.sources:
        # when the table allows it, then the ticket moves to the target and the timeline says so
        ticket = ticket_transition(actor=actor, ticket_id=ticket.pk, action=action, **kwargs)
        assert state(ticket)["status"] == transition.target
        event = TicketEvent.objects.filter(ticket=ticket).latest("pk")
        assert (event.action, event.from_status, event.to_status, event.actor) == (
            action, status, transition.target, actor.user)
        assert AuditEntry.objects.filter(action=f"ticket.{action}", object_id=str(ticket.pk)).exists()
    else:
        # when it does not, then 409 names the state and the action, and nothing changed
        with pytest.raises(Conflict) as refused:
            ticket_transition(actor=actor, ticket_id=ticket.pk, action=action, **kwargs)
        assert refused.value.code == "illegal_transition"
        assert refused.value.detail == {"status": status, "action": action}
        with translation.override("en"):
            assert str(TicketStatus(status).label) in refused.value.text("en")
        assert state(ticket) == before
        assert TicketEvent.objects.count() == events


def test_an_unknown_action_is_refused(desk):
    with pytest.raises(DomainError) as refused:
        ticket_transition(actor=desk.dispatcher, ticket_id=desk.ticket().pk, action="teleport")
    assert refused.value.code == "invalid_action"


def test_the_whole_way_from_submit_to_close(desk):
    # given a submitted repair
    ticket = desk.ticket()
    # when the dispatcher assigns it, the technician accepts, starts and resolves it, and the resident closes it
    ticket_assign(actor=desk.dispatcher, ticket_id=ticket.pk, assignee_id=desk.technician.user.pk)
    ticket_accept(actor=desk.technician, ticket_id=ticket.pk)
    ticket_start(actor=desk.technician, ticket_id=ticket.pk)
    ticket_resolve(actor=desk.technician, ticket_id=ticket.pk, note="换了新的角阀")
    ticket = ticket_transition(actor=desk.resident, ticket_id=ticket.pk, action="close")
    # then it is closed, every step is on the timeline in order, and the times are set
    assert ticket.status == "closed"
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("to_status", flat=True)) == [
        "assigned", "accepted", "in_progress", "resolved", "closed"]
    ticket.refresh_from_db()
    assert ticket.first_response_at <= ticket.resolved_at <= ticket.closed_at


def test_the_first_response_is_the_first_staff_action(desk):
    ticket = desk.ticket()
    ticket_grab(actor=desk.technician, ticket_id=ticket.pk)
    ticket.refresh_from_db()
    first = ticket.first_response_at
    assert first is not None
    ticket_accept(actor=desk.technician, ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.first_response_at == first


def test_reassignment_keeps_the_history(desk):
    # given a ticket the technician has accepted
    ticket = ticket_in(desk, "accepted")
    # when the dispatcher gives it to the second technician
    ticket = ticket_assign(actor=desk.dispatcher, ticket_id=ticket.pk, assignee_id=desk.technician2.user.pk,
                           note="原师傅请假")
    # then it waits for the new assignee, and the timeline names who had it and who has it now
    assert (ticket.status, ticket.assignee) == ("assigned", desk.technician2.user)
    event = TicketEvent.objects.get(ticket=ticket, action="assign")
    assert (event.from_status, event.assignee, event.note) == ("accepted", desk.technician2.user, "原师傅请假")
    audit = AuditEntry.objects.get(action="ticket.assign", object_id=str(ticket.pk))
    assert (audit.before["assignee_id"], audit.after["assignee_id"]) == (
        desk.technician.user.pk, desk.technician2.user.pk)


def test_assigning_to_the_same_person_again_is_a_conflict(desk):
    ticket = ticket_in(desk, "assigned")
    with pytest.raises(Conflict):
        ticket_assign(actor=desk.dispatcher, ticket_id=ticket.pk, assignee_id=desk.technician.user.pk)


@pytest.mark.parametrize("who", ["guard", "neighbour"])
def test_only_technicians_and_the_desk_can_be_assigned(desk, who):
    with pytest.raises(DomainError) as refused:
        ticket_assign(actor=desk.dispatcher, ticket_id=desk.ticket().pk, assignee_id=getattr(desk, who).user.pk)
    assert refused.value.detail == {"field": "assignee_id"}


def test_hold_resolve_and_reject_need_a_reason(desk):
    for status, action in [("in_progress", "hold"), ("in_progress", "resolve"), ("submitted", "reject")]:
        ticket = ticket_in(desk, status)
        with pytest.raises(DomainError) as refused:
            ticket_transition(actor=desk.dispatcher, ticket_id=ticket.pk, action=action, note=" ")
        assert refused.value.code == "note_required"
        assert state(ticket)["status"] == status


# --- who may -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["accept"])
def test_a_technician_cannot_act_on_a_ticket_assigned_to_someone_else(desk, action):
    # given a repair assigned to the first technician
    ticket = ticket_in(desk, "assigned")
    # when the second technician (who sees the estate's repairs) tries to accept it, then 403 and nothing changes
    with pytest.raises(Forbidden) as refused:
        ticket_transition(actor=desk.technician2, ticket_id=ticket.pk, action=action)
    assert refused.value.code == "not_your_ticket"
    assert state(ticket)["status"] == "assigned"


def test_a_technician_cannot_see_a_complaint_not_assigned_to_them(desk):
    ticket = desk.ticket(kind="complaint", status="assigned", assignee=desk.customer_service.user)
    with pytest.raises(NotFound):
        ticket_transition(actor=desk.technician, ticket_id=ticket.pk, action="accept")


def test_a_resident_acting_on_another_households_ticket_gets_not_found(desk):
    # given the neighbour's ticket
    ticket = desk.ticket(house=desk.next_door, submitted_by=desk.neighbour.user)
    # when the resident tries to cancel it, then 404: they cannot learn that it exists
    with pytest.raises(NotFound):
        ticket_cancel(actor=desk.resident, ticket_id=ticket.pk)
    assert state(ticket)["status"] == "submitted"


def test_a_household_member_may_cancel_before_work_starts_but_not_after(desk):
    # given a ticket the resident submitted, already accepted by the technician
    ticket = ticket_in(desk, "accepted")
    # then a family member of the same home may cancel it
    assert ticket_cancel(actor=desk.family, ticket_id=ticket.pk).status == "cancelled"
    # but once work has started, cancelling is a conflict
    started = ticket_in(desk, "in_progress")
    with pytest.raises(Conflict):
        ticket_cancel(actor=desk.resident, ticket_id=started.pk)


def test_residents_do_not_run_the_desks_actions(desk):
    with pytest.raises(Forbidden):
        ticket_assign(actor=desk.resident, ticket_id=desk.ticket().pk, assignee_id=desk.technician.user.pk)
    with pytest.raises(Forbidden):
        ticket_accept(actor=desk.resident, ticket_id=ticket_in(desk, "assigned").pk)


def test_the_desk_does_not_cancel_for_the_resident(desk):
    with pytest.raises(Forbidden):
        ticket_cancel(actor=desk.dispatcher, ticket_id=desk.ticket().pk)


def test_a_guard_sees_no_tickets(desk):
    with pytest.raises(NotFound):
        ticket_transition(actor=desk.guard, ticket_id=desk.ticket().pk, action="close")


def test_another_estates_manager_never_finds_the_ticket(desk, other_estate, actor_for):
    with pytest.raises(NotFound):
        ticket_transition(actor=actor_for("manager", other_estate), ticket_id=desk.ticket().pk, action="reject",
                          note="x")


# --- reopening -----------------------------------------------------------------------------------------------------
def test_a_resolved_ticket_is_sent_back_within_the_window_and_counted(desk):
    # given a ticket resolved six days ago
    ticket = ticket_in(desk, "resolved")
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=6))
    # when the resident sends it back
    ticket = ticket_reopen(actor=desk.resident, ticket_id=ticket.pk, note="还在漏")
    # then it goes back to the same technician, counted
    assert (ticket.status, ticket.assignee, ticket.reopen_count) == ("assigned", desk.technician.user, 1)
    assert (ticket.resolved_at, ticket.closed_at) == (None, None)


def test_reopening_after_the_window_is_a_conflict(desk):
    ticket = ticket_in(desk, "closed")
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=8))
    with pytest.raises(Conflict) as refused:
        ticket_reopen(actor=desk.resident, ticket_id=ticket.pk)
    assert refused.value.code == "reopen_window_passed"
    assert state(ticket)["reopen_count"] == 0


def test_the_estate_sets_its_own_reopen_window(desk):
    desk.estate.rule_overrides = {"tickets.reopen_days": 30}
    desk.estate.save()
    ticket = ticket_in(desk, "closed")
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=20))
    assert ticket_reopen(actor=desk.resident, ticket_id=ticket.pk).reopen_count == 1


# --- the timeline --------------------------------------------------------------------------------------------------
def test_the_timeline_is_append_only_in_the_database(desk):
    ticket = ticket_grab(actor=desk.technician, ticket_id=desk.ticket().pk)
    event = TicketEvent.objects.get(ticket=ticket)
    with pytest.raises(DatabaseError), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).update(note="改过")
    with pytest.raises(DatabaseError), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).delete()
    assert TicketEvent.objects.get(pk=event.pk).note == ""

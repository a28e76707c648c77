"""The ticket's states and transitions, in one table, and the one function that applies them.

Each row: an action, the states it may be taken from, the state it leads to, and the parties who may take it.
Everything else is illegal and answered with 409 (gongzhi.core.errors.Conflict), naming the state and the action.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import Role
from gongzhi.core.access import Actor
from gongzhi.core.errors import Conflict, DomainError, Forbidden

from .choices import Action, HoldReason, TicketStatus
from .policies import is_assignee, is_desk, is_household, is_technician

S = TicketStatus

# The parties to a ticket.
HOUSEHOLD = "household"  # who submitted it for themselves, the person it is for, whoever lives in its house
DESK = "desk"  # manager, customer service, dispatcher
ASSIGNEE = "assignee"  # the user the ticket is assigned to
TECHNICIAN = "technician"  # any technician of the estate (grab mode)

PARTIES = {
    HOUSEHOLD: is_household,
    DESK: lambda actor, ticket: is_desk(actor),
    ASSIGNEE: is_assignee,
    TECHNICIAN: lambda actor, ticket: is_technician(actor),
}


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str
    parties: frozenset
    needs_note: bool = False
    needs_assignee: bool = False


BEFORE_WORK = frozenset({S.SUBMITTED, S.ASSIGNED, S.ACCEPTED})
WORKABLE = frozenset({S.SUBMITTED, S.ASSIGNED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD})

TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    # Assigning an assigned or started ticket is a reassignment: it goes back to "assigned" for the new assignee,
    # and the timeline keeps who had it before.
    Transition(Action.ASSIGN, WORKABLE, S.ASSIGNED, frozenset({DESK}), needs_assignee=True),
    Transition(Action.GRAB, frozenset({S.SUBMITTED}), S.ASSIGNED, frozenset({TECHNICIAN})),
    Transition(Action.ACCEPT, frozenset({S.ASSIGNED}), S.ACCEPTED, frozenset({ASSIGNEE})),
    Transition(Action.START, frozenset({S.ACCEPTED}), S.IN_PROGRESS, frozenset({ASSIGNEE})),
    Transition(Action.HOLD, frozenset({S.IN_PROGRESS}), S.ON_HOLD, frozenset({ASSIGNEE, DESK}), needs_note=True),
    Transition(Action.RESUME, frozenset({S.ON_HOLD}), S.IN_PROGRESS, frozenset({ASSIGNEE, DESK})),
    Transition(Action.RESOLVE, frozenset({S.IN_PROGRESS}), S.RESOLVED, frozenset({ASSIGNEE, DESK}),
               needs_note=True),
    Transition(Action.CLOSE, frozenset({S.RESOLVED}), S.CLOSED, frozenset({HOUSEHOLD, DESK})),
    Transition(Action.REJECT, BEFORE_WORK, S.REJECTED, frozenset({DESK}), needs_note=True),
    Transition(Action.CANCEL, BEFORE_WORK, S.CANCELLED, frozenset({HOUSEHOLD})),
    # Sent back after resolution: to the same assignee again, within the estate's reopen window.
    Transition(Action.REOPEN, frozenset({S.RESOLVED, S.CLOSED}), S.ASSIGNED, frozenset({HOUSEHOLD, DESK})),
]}

TRANSITION_ACTIONS = tuple(TRANSITIONS)


def system_actor(estate) -> Actor:
    """The system acting on its own, e.g. the automatic dispatch after a submit (``tickets.auto_dispatch``): no
    user, with the standing of a dispatcher. Its steps go through the same table and services as anyone's; they
    land on the timeline with no actor (``TicketEvent.actor`` null: "the system"), in the audit log as "system",
    and the ``ticket_transitioned`` signal gets ``actor=None``. It never counts as the first response."""
    return Actor(user=None, estate=estate, roles=frozenset({Role.DISPATCHER}))


def is_system(actor: Actor | None) -> bool:
    return actor is None or actor.user is None


def transition_for(action: str) -> Transition:
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise DomainError(_("%(action)s is not a ticket action."), code="invalid_action", action=action)
    return transition


def legal_from(status: str) -> list[str]:
    """The actions the table allows from ``status`` (for anyone)."""
    return [a for a, t in TRANSITIONS.items() if status in t.sources]


def allowed_actions(actor: Actor, ticket) -> list[str]:
    """The actions ``actor`` may take on ``ticket`` now (for buttons; the check itself is ``check``)."""
    return [a for a in legal_from(ticket.status) if _party_of(actor, ticket, TRANSITIONS[a])]


def _party_of(actor: Actor, ticket, transition: Transition) -> bool:
    return any(PARTIES[party](actor, ticket) for party in transition.parties)


def reopen_deadline(ticket):
    days = int(ticket.estate.rules().get("tickets.reopen_days", 7))
    since = ticket.resolved_at or ticket.closed_at or ticket.submitted_at
    return since + timedelta(days=days)


def check(actor: Actor, ticket, action: str, *, note: str = "", assignee=None,
          hold_reason: str | None = None) -> Transition:
    """Refuse the action unless the table allows it from the ticket's state (409), the actor is one of its parties
    (403), and its conditions hold; return the transition. Holding needs a reason (``HoldReason``: only waiting
    for the resident pauses the SLA clock); grabbing needs the category's skill (``dispatch.check_grab``)."""
    transition = transition_for(action)
    if ticket.status not in transition.sources:
        raise Conflict(_("The ticket is “%(state)s”: it cannot be given the action “%(action)s”."),
                       code="illegal_transition", detail={"status": ticket.status, "action": action},
                       state=S(ticket.status).label, action=Action(action).label)
    if not _party_of(actor, ticket, transition):
        raise Forbidden(_("You may not do “%(action)s” on this ticket."), code="not_your_ticket",
                        action=Action(action).label)
    if transition.needs_note and not note:
        raise DomainError(_("Please give a reason or note for “%(action)s”."), code="note_required",
                          detail={"field": "note"}, action=Action(action).label)
    if action == Action.HOLD:
        if not hold_reason:
            raise DomainError(_("Say why the work is on hold: waiting for parts or for the resident."),
                              code="hold_reason_required", detail={"field": "hold_reason"})
        if hold_reason not in HoldReason.values:
            raise DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": "hold_reason"},
                              field="hold_reason", reason=_("is not one of the allowed values"))
    if action == Action.GRAB:
        from .dispatch import check_grab

        check_grab(actor, ticket)
    if transition.needs_assignee and assignee is None:
        raise DomainError(_("Choose whom to assign the ticket to."), code="assignee_required",
                          detail={"field": "assignee_id"})
    if action == Action.ASSIGN and ticket.status == S.ASSIGNED and ticket.assignee_id == assignee.pk:
        raise Conflict(_("The ticket is already assigned to %(name)s."), code="already_assigned",
                       name=str(assignee))
    if action == Action.REOPEN and timezone.now() > reopen_deadline(ticket):
        raise Conflict(_("The ticket can no longer be reopened: the %(days)s days to send it back have passed."),
                       code="reopen_window_passed", days=int(ticket.estate.rules().get("tickets.reopen_days", 7)))
    return transition


def apply(ticket, transition: Transition, *, actor: Actor, assignee=None, now=None,
          hold_reason: str | None = None) -> dict:
    """The field values the transition sets on ``ticket`` (not saved: the service writes them conditionally).
    The SLA fields are ``sla.transition_values``'s."""
    now = now or timezone.now()
    values: dict = {"status": transition.target}
    if transition.action == Action.HOLD:
        values["hold_reason"] = hold_reason
    elif ticket.status == S.ON_HOLD and transition.target != S.ON_HOLD:
        values["hold_reason"] = ""
    if transition.action == Action.ASSIGN:
        values["assignee"] = assignee
    elif transition.action == Action.GRAB:
        values["assignee"] = actor.user
    elif transition.action == Action.RESOLVE:
        values["resolved_at"] = now
    elif transition.action == Action.CLOSE:
        values["closed_at"] = now
    elif transition.action in {Action.REJECT, Action.CANCEL}:
        values["closed_at"] = now
    elif transition.action == Action.REOPEN:
        values.update(resolved_at=None, closed_at=None, reopen_count=ticket.reopen_count + 1)
    if ticket.first_response_at is None and not is_system(actor) and (is_desk(actor) or is_technician(actor)):
        values["first_response_at"] = now
    return values

"""Residents' council meetings: agenda (proposals on the agenda, or free items), attendees by kind, minutes
(published to residents when the meeting is marked held), a decision per agenda item (which may open an owners'
vote: a draft through ``votes.vote_create``), and action items with an owner and a due date, tracked to done."""

import datetime

from django.apps import apps
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.notifications.choices import NotificationKind
from gongzhi.notifications.services import notify

from .council_policies import CouncilPolicy
from .models import ActionItem, AgendaItem, Attendee, Decision, Meeting, Proposal
from .models.council import ActionStatus, AttendeeKind, MeetingStatus, ProposalStatus

DUE_TITLE = _("Action item due: %(title)s")
DUE_BODY = _("\"%(title)s\" from the council meeting \"%(meeting)s\" is due on %(due)s.")
OVERDUE_TITLE = _("Action item overdue: %(title)s")


def _field(name: str, message, **params) -> DomainError:
    return DomainError(message, code="invalid_field", detail={"field": name}, **params)


def _organiser(actor: Actor) -> None:
    if not CouncilPolicy.can(actor, "organise"):
        raise Forbidden(_("Only the council's organisers (the owners' committee, the property manager, customer "
                          "service, the residents' committee liaison) may do this."), code="not_organiser")


# --- reads -----------------------------------------------------------------------------------------------------

def meeting_list(*, actor: Actor, status: str = "") -> QuerySet:
    qs = Meeting.objects.restrict(actor, "view")
    return qs.filter(status=status) if status else qs


def meeting_get_for_actor(*, actor: Actor, meeting_id: int) -> Meeting:
    meeting = Meeting.objects.restrict(actor, "view").filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound()
    return meeting


def minutes_visible(actor: Actor, meeting: Meeting) -> bool:
    """Minutes are published to residents when the meeting is held; organisers see the draft."""
    return meeting.status == MeetingStatus.HELD or CouncilPolicy.can(actor, "organise")


def meeting_detail(meeting: Meeting) -> dict:
    """Agenda (with each item's decision and proposal), attendees, action items: a fixed number of queries."""
    agenda = list(meeting.agenda.select_related("proposal", "decision").order_by("position"))
    return {"agenda": agenda,
            "attendees": list(meeting.attendees.order_by("kind", "name")),
            "actions": list(meeting.actions.order_by("due_date", "pk"))}


def is_overdue(action: ActionItem, today: datetime.date | None = None) -> bool:
    return action.status == ActionStatus.OPEN and action.due_date < (today or timezone.localdate())


def action_list(*, actor: Actor, status: str = "", overdue: bool = False, meeting_id: int | None = None) -> QuerySet:
    qs = ActionItem.objects.restrict(actor, "view").select_related("meeting")
    if status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(status=ActionStatus.OPEN, due_date__lt=timezone.localdate())
    if meeting_id is not None:
        qs = qs.filter(meeting_id=meeting_id)
    return qs


def action_get_for_actor(*, actor: Actor, action_id: int) -> ActionItem:
    action = ActionItem.objects.restrict(actor, "view").select_related("meeting").filter(pk=action_id).first()
    if action is None:
        raise NotFound()
    return action


def _meeting_locked(actor: Actor, meeting_id: int) -> Meeting:
    meeting = Meeting.objects.select_for_update().filter(estate=actor.estate, pk=meeting_id).first()
    if meeting is None:
        raise NotFound()
    return meeting


def _member_user(estate, user_id: int | None, field: str):
    if user_id is None:
        return None
    Membership = apps.get_model("accounts", "Membership")
    membership = (Membership.objects.filter(estate=estate, user_id=user_id, ended_at__isnull=True)
                  .select_related("user").first())
    if membership is None:
        raise _field(field, _("%(field)s: not a member of this estate."), field=field)
    return membership.user


# --- meetings --------------------------------------------------------------------------------------------------

@transaction.atomic
def meeting_create(*, actor: Actor, title: str, starts_at: datetime.datetime, place: str,
                   idempotency_key: str = "") -> Meeting:
    _organiser(actor)
    if idempotency_key:
        existing = Meeting.objects.filter(estate=actor.estate, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    title, place = (title or "").strip(), (place or "").strip()
    if not title:
        raise _field("title", _("title: give the meeting a title."))
    if not place:
        raise _field("place", _("place: say where the meeting is held."))
    if starts_at is None:
        raise _field("starts_at", _("starts_at: give the meeting's time."))
    meeting = Meeting.objects.create(estate=actor.estate, title=title[:120], starts_at=starts_at, place=place[:120],
                                     created_by=actor.user, idempotency_key=idempotency_key)
    audit(user=actor.user, estate=actor.estate, action="meeting.create", obj=meeting,
          after=snapshot(meeting, ["title", "starts_at", "place"]))
    return meeting


@transaction.atomic
def agenda_item_add(*, actor: Actor, meeting_id: int, title: str = "", proposal_id: int | None = None) -> AgendaItem:
    """A free item (title) or a proposal that is on the agenda (its title by default). A proposal appears once per
    meeting (adding it again returns the same item)."""
    _organiser(actor)
    meeting = _meeting_locked(actor, meeting_id)
    if meeting.status != MeetingStatus.PLANNED:
        raise Conflict(_("The meeting is held; its agenda is closed."), code="meeting_held")
    proposal = None
    if proposal_id is not None:
        proposal = Proposal.objects.filter(estate=actor.estate, pk=proposal_id).first()
        if proposal is None:
            raise _field("proposal_id", _("proposal_id: no such proposal."))
        existing = meeting.agenda.filter(proposal=proposal).first()
        if existing is not None:
            return existing
        if proposal.status != ProposalStatus.ON_AGENDA:
            raise Conflict(_("proposal_id: the proposal has not reached the council's agenda (it needs its "
                             "co-signers)."), code="proposal_not_on_agenda", detail={"field": "proposal_id"})
    title = (title or "").strip() or (proposal.title if proposal else "")
    if not title:
        raise _field("title", _("title: give the agenda item a title."))
    position = (meeting.agenda.aggregate(m=Max("position"))["m"] or 0) + 1
    item = AgendaItem.objects.create(estate=actor.estate, meeting=meeting, position=position, title=title[:200],
                                     proposal=proposal)
    audit(user=actor.user, estate=actor.estate, action="meeting.agenda_add", obj=meeting, label=item.title,
          after={"agenda_item_id": item.pk, "proposal_id": proposal_id})
    return item


@transaction.atomic
def attendee_add(*, actor: Actor, meeting_id: int, kind: str, name: str, user_id: int | None = None) -> Attendee:
    """An attendee, by kind and name (adding the same again returns the same row)."""
    _organiser(actor)
    meeting = _meeting_locked(actor, meeting_id)
    if kind not in AttendeeKind.values:
        raise _field("kind", _("kind: one of resident, company, committee, residents_committee."))
    name = (name or "").strip()
    if not name:
        raise _field("name", _("name: give the attendee's name."))
    user = _member_user(actor.estate, user_id, "user_id")
    attendee, created = Attendee.objects.get_or_create(meeting=meeting, kind=kind, name=name[:60],
                                                       defaults={"estate": actor.estate, "user": user})
    if created:
        audit(user=actor.user, estate=actor.estate, action="meeting.attendee_add", obj=meeting, label=name,
              after={"kind": kind, "name": name})
    return attendee


@transaction.atomic
def meeting_hold(*, actor: Actor, meeting_id: int, minutes: str) -> Meeting:
    """Mark the meeting held with its minutes, which residents can read from now on. Idempotent."""
    _organiser(actor)
    meeting = _meeting_locked(actor, meeting_id)
    minutes = (minutes or "").strip()
    if meeting.status == MeetingStatus.HELD:
        if minutes and minutes != meeting.minutes:
            raise Conflict(_("The meeting is already marked held; its published minutes stay as they are."),
                           code="meeting_held")
        return meeting
    if not minutes:
        raise _field("minutes", _("minutes: write the minutes before marking the meeting held."))
    meeting.status, meeting.minutes, meeting.held_at = MeetingStatus.HELD, minutes, timezone.now()
    meeting.save(update_fields=["status", "minutes", "held_at"])
    audit(user=actor.user, estate=actor.estate, action="meeting.hold", obj=meeting,
          after={"status": meeting.status, "minutes_chars": len(minutes)})
    return meeting


# --- decisions -------------------------------------------------------------------------------------------------

@transaction.atomic
def decision_record(*, actor: Actor, meeting_id: int, agenda_item_id: int, text: str) -> Decision:
    """The decision on one agenda item (one each; the same text again returns it). A proposal so decided is
    marked decided."""
    _organiser(actor)
    meeting = _meeting_locked(actor, meeting_id)
    item = meeting.agenda.filter(pk=agenda_item_id).select_related("proposal").first()
    if item is None:
        raise _field("agenda_item_id", _("agenda_item_id: not an item of this meeting's agenda."))
    text = (text or "").strip()
    if not text:
        raise _field("text", _("text: write the decision."))
    existing = Decision.objects.filter(agenda_item=item).first()
    if existing is not None:
        if existing.text == text:
            return existing
        raise Conflict(_("Agenda item %(n)s already has a decision."), code="already_decided", n=item.position)
    decision = Decision.objects.create(estate=actor.estate, meeting=meeting, agenda_item=item, text=text,
                                       decided_by=actor.user)
    if item.proposal is not None and item.proposal.status == ProposalStatus.ON_AGENDA:
        item.proposal.status = ProposalStatus.DECIDED
        item.proposal.save(update_fields=["status"])
    audit(user=actor.user, estate=actor.estate, action="meeting.decide", obj=meeting, label=item.title,
          after={"decision_id": decision.pk, "agenda_item_id": item.pk, "text": text})
    return decision


@transaction.atomic
def decision_open_vote(*, actor: Actor, meeting_id: int, decision_id: int, opens_at: datetime.datetime,
                       closes_at: datetime.datetime, title: str = ""):
    """A decision opens an owners' vote: a DRAFT vote (votes.vote_create) linked from the decision; the organisers
    add its items and open it. Calling it again returns the same vote."""
    from . import votes

    _organiser(actor)
    meeting = _meeting_locked(actor, meeting_id)
    decision = (Decision.objects.select_for_update().filter(meeting=meeting, pk=decision_id)
                .select_related("agenda_item").first())
    if decision is None:
        raise _field("decision_id", _("decision_id: not a decision of this meeting."))
    if decision.vote_id is not None:
        return decision.vote
    vote = votes.vote_create(actor=actor, title=(title or decision.agenda_item.title)[:120],
                             description=decision.text, opens_at=opens_at, closes_at=closes_at,
                             idempotency_key=f"council-decision-{decision.pk}")
    decision.vote = vote
    decision.save(update_fields=["vote"])
    audit(user=actor.user, estate=actor.estate, action="meeting.decision_vote", obj=meeting,
          after={"decision_id": decision.pk, "vote_id": vote.pk})
    return vote


# --- action items ----------------------------------------------------------------------------------------------

@transaction.atomic
def action_item_add(*, actor: Actor, meeting_id: int, title: str, owner_name: str, due_date: datetime.date,
                    owner_user_id: int | None = None, decision_id: int | None = None,
                    idempotency_key: str = "") -> ActionItem:
    _organiser(actor)
    if idempotency_key:
        existing = ActionItem.objects.filter(estate=actor.estate, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    meeting = _meeting_locked(actor, meeting_id)
    title, owner_name = (title or "").strip(), (owner_name or "").strip()
    if not title:
        raise _field("title", _("title: say what is to be done."))
    if not owner_name:
        raise _field("owner_name", _("owner_name: name who is responsible."))
    if due_date is None:
        raise _field("due_date", _("due_date: give a due date."))
    decision = None
    if decision_id is not None:
        decision = Decision.objects.filter(meeting=meeting, pk=decision_id).first()
        if decision is None:
            raise _field("decision_id", _("decision_id: not a decision of this meeting."))
    owner_user = _member_user(actor.estate, owner_user_id, "owner_user_id")
    action = ActionItem.objects.create(estate=actor.estate, meeting=meeting, decision=decision, title=title[:200],
                                       owner_name=owner_name[:60], owner_user=owner_user, due_date=due_date,
                                       idempotency_key=idempotency_key)
    audit(user=actor.user, estate=actor.estate, action="action_item.create", obj=action,
          after=snapshot(action, ["title", "owner_name", "owner_user_id", "due_date", "meeting_id"]))
    return action


@transaction.atomic
def action_item_done(*, actor: Actor, action_id: int, note: str) -> ActionItem:
    """Mark done with a note (by an organiser or the action's owner). Marking a done item done again is a no-op."""
    action = ActionItem.objects.select_for_update().filter(estate=actor.estate, pk=action_id).first()
    if action is None:
        raise NotFound()
    if not CouncilPolicy.can(actor, "complete", action):
        raise Forbidden(_("Only the action's owner or the council's organisers mark it done."), code="not_action_owner")
    if action.status == ActionStatus.DONE:
        return action
    note = (note or "").strip()
    if not note:
        raise _field("note", _("note: say how it was done."))
    action.status, action.done_at, action.done_note, action.done_by = ActionStatus.DONE, timezone.now(), note, actor.user
    action.save(update_fields=["status", "done_at", "done_note", "done_by"])
    audit(user=actor.user, estate=actor.estate, action="action_item.done", obj=action,
          before={"status": ActionStatus.OPEN}, after={"status": action.status, "note": note})
    return action


def action_reminders_send(*, today: datetime.date | None = None) -> int:
    """Remind each owner user of open action items due tomorrow or overdue, at most once a day (for the daily
    task; idempotent within a day). Returns the reminders sent."""
    today = today or timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    due = (ActionItem.objects.filter(status=ActionStatus.OPEN, owner_user__isnull=False, due_date__lte=tomorrow)
           .exclude(last_reminded_on=today).select_related("meeting", "owner_user", "estate"))
    sent = 0
    for action in due:
        with transaction.atomic():
            ActionItem.objects.filter(pk=action.pk).update(last_reminded_on=today)
            title = OVERDUE_TITLE if action.due_date < today else DUE_TITLE
            notify(estate=action.estate, users=[action.owner_user], kind=NotificationKind.COUNCIL, title=title,
                   body=DUE_BODY, url=f"/e/{action.estate_id}/governance/actions/{action.pk}/",
                   params={"title": action.title, "meeting": action.meeting.title, "due": action.due_date.isoformat()})
        sent += 1
    return sent





def owner_choices(estate, limit: int = 300) -> list:
    """Logins an action item can be given to: the estate's current members (for the organisers' form)."""
    User = apps.get_model("accounts", "User")
    return list(User.objects.filter(memberships__estate=estate, memberships__ended_at__isnull=True, is_active=True)
                .distinct().order_by("name", "pk")[:limit])


def proposals_for_agenda(*, actor: Actor) -> list[Proposal]:
    return list(Proposal.objects.filter(estate=actor.estate, status=ProposalStatus.ON_AGENDA).order_by("pk"))

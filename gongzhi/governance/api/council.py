"""Proposals and the residents' council (议事会) over the API. Every member reads proposals, meetings (minutes
once held), decisions and action items; residents write and co-sign proposals; the organisers (owners' committee,
manager, customer service, residents' committee liaison) run meetings; an action's owner marks it done."""

import datetime

from ninja import Field, Query, Router, Schema, Status

from gongzhi.core.api import api_actor
from gongzhi.core.pagination import paginate

from .. import council, council_meetings
from ..models import ActionItem, Meeting, Proposal
from ..models.council import ActionStatus, AttendeeKind, MeetingStatus, ProposalStatus

router = Router(tags=["council"])
E = "/estates/{estate_id}/governance"


# --- proposals -------------------------------------------------------------------------------------------------

class ProposalIn(Schema):
    title: str = Field(..., max_length=120)
    body: str
    idempotency_key: str = Field("", max_length=64)


class ProposalOut(Schema):
    id: int
    title: str
    body: str
    status: str
    status_label: str
    author_id: int
    created_at: datetime.datetime
    on_agenda_at: datetime.datetime | None
    cosigners: int
    cosigners_needed: int
    cosigned_by_me: bool


class ProposalPage(Schema):
    items: list[ProposalOut]
    next_cursor: str | None


class ProposalFilters(Schema):
    status: ProposalStatus | None = None
    cursor: str | None = None
    limit: int = 50


def _proposal(p: Proposal, needed: int) -> dict:
    return {"id": p.pk, "title": p.title, "body": p.body, "status": p.status,
            "status_label": str(ProposalStatus(p.status).label), "author_id": p.author_id,
            "created_at": p.created_at, "on_agenda_at": p.on_agenda_at, "cosigners": p.cosigners,
            "cosigners_needed": needed, "cosigned_by_me": p.cosigned_by_me}


@router.get(E + "/proposals", response=ProposalPage, summary="Residents' proposals, newest first")
def proposal_list(request, estate_id: int, filters: Query[ProposalFilters]):
    actor = api_actor(request, estate_id)
    needed = council.cosigners_needed(actor.estate)
    page = paginate(council.proposal_list(actor=actor, status=filters.status or ""), cursor=filters.cursor,
                    limit=filters.limit, descending=True)
    return {"items": [_proposal(p, needed) for p in page.items], "next_cursor": page.next_cursor}


@router.post(E + "/proposals", response={201: ProposalOut}, summary="Write a proposal (residents)")
def proposal_create(request, estate_id: int, payload: ProposalIn):
    actor = api_actor(request, estate_id)
    p = council.proposal_create(actor=actor, title=payload.title, body=payload.body,
                                idempotency_key=payload.idempotency_key)
    return Status(201, _proposal(council.proposal_get_for_actor(actor=actor, proposal_id=p.pk),
                                 council.cosigners_needed(actor.estate)))


@router.get(E + "/proposals/{proposal_id}", response=ProposalOut, summary="One proposal")
def proposal_detail(request, estate_id: int, proposal_id: int):
    actor = api_actor(request, estate_id)
    return _proposal(council.proposal_get_for_actor(actor=actor, proposal_id=proposal_id),
                     council.cosigners_needed(actor.estate))


@router.post(E + "/proposals/{proposal_id}/cosign", response=ProposalOut,
             summary="Co-sign a proposal (once per person; at the threshold it reaches the agenda)")
def proposal_cosign(request, estate_id: int, proposal_id: int):
    actor = api_actor(request, estate_id)
    council.proposal_cosign(actor=actor, proposal_id=proposal_id)
    return proposal_detail(request, estate_id, proposal_id)


@router.post(E + "/proposals/{proposal_id}/withdraw", response=ProposalOut,
             summary="Withdraw your proposal before it reaches the agenda")
def proposal_withdraw(request, estate_id: int, proposal_id: int):
    actor = api_actor(request, estate_id)
    council.proposal_withdraw(actor=actor, proposal_id=proposal_id)
    return proposal_detail(request, estate_id, proposal_id)


# --- meetings --------------------------------------------------------------------------------------------------

class MeetingIn(Schema):
    title: str = Field(..., max_length=120)
    starts_at: datetime.datetime
    place: str = Field(..., max_length=120)
    idempotency_key: str = Field("", max_length=64)


class MeetingOut(Schema):
    id: int
    title: str
    starts_at: datetime.datetime
    place: str
    status: str
    status_label: str
    held_at: datetime.datetime | None


class MeetingAgendaOut(Schema):
    id: int
    position: int
    title: str
    proposal_id: int | None
    decision_id: int | None
    decision: str | None
    vote_id: int | None


class MeetingAttendeeOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str


class ActionOut(Schema):
    id: int
    meeting_id: int
    meeting: str
    decision_id: int | None
    title: str
    owner_name: str
    owner_user_id: int | None
    due_date: datetime.date
    status: str
    overdue: bool
    done_at: datetime.datetime | None
    done_note: str


class MeetingDetailOut(MeetingOut):
    minutes: str | None = Field(description="Null until the meeting is held (organisers see the draft).")
    agenda: list[MeetingAgendaOut]
    attendees: list[MeetingAttendeeOut]
    actions: list[ActionOut]


class MeetingPage(Schema):
    items: list[MeetingOut]
    next_cursor: str | None


class MeetingFilters(Schema):
    status: MeetingStatus | None = None
    cursor: str | None = None
    limit: int = 50


class MeetingAgendaIn(Schema):
    title: str = Field("", max_length=200)
    proposal_id: int | None = None


class MeetingAttendeeIn(Schema):
    kind: AttendeeKind
    name: str = Field(..., max_length=60)
    user_id: int | None = None


class MeetingHoldIn(Schema):
    minutes: str


class MeetingDecisionIn(Schema):
    agenda_item_id: int
    text: str


class MeetingDecisionOut(Schema):
    id: int
    agenda_item_id: int
    text: str
    vote_id: int | None


class MeetingDecisionVoteIn(Schema):
    decision_id: int
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    title: str = Field("", max_length=120)


class ActionIn(Schema):
    title: str = Field(..., max_length=200)
    owner_name: str = Field(..., max_length=60)
    owner_user_id: int | None = None
    due_date: datetime.date
    decision_id: int | None = None
    idempotency_key: str = Field("", max_length=64)


class ActionDoneIn(Schema):
    note: str


class ActionPage(Schema):
    items: list[ActionOut]
    next_cursor: str | None


class ActionFilters(Schema):
    status: ActionStatus | None = None
    overdue: bool = False
    cursor: str | None = None
    limit: int = 50


def _meeting(m: Meeting) -> dict:
    return {"id": m.pk, "title": m.title, "starts_at": m.starts_at, "place": m.place, "status": m.status,
            "status_label": str(MeetingStatus(m.status).label), "held_at": m.held_at}


def _action(a: ActionItem, today: datetime.date) -> dict:
    return {"id": a.pk, "meeting_id": a.meeting_id, "meeting": a.meeting.title, "decision_id": a.decision_id,
            "title": a.title, "owner_name": a.owner_name, "owner_user_id": a.owner_user_id, "due_date": a.due_date,
            "status": a.status, "overdue": council_meetings.is_overdue(a, today), "done_at": a.done_at,
            "done_note": a.done_note}


def _meeting_detail(actor, m: Meeting) -> dict:
    from django.utils import timezone

    detail, today = council_meetings.meeting_detail(m), timezone.localdate()
    agenda = []
    for item in detail["agenda"]:
        decision = getattr(item, "decision", None)
        agenda.append({"id": item.pk, "position": item.position, "title": item.title, "proposal_id": item.proposal_id,
                       "decision_id": decision.pk if decision else None, "decision": decision.text if decision else None,
                       "vote_id": decision.vote_id if decision else None})
    for action in detail["actions"]:
        action.meeting = m
    return {**_meeting(m), "minutes": m.minutes if council_meetings.minutes_visible(actor, m) else None,
            "agenda": agenda,
            "attendees": [{"id": a.pk, "kind": a.kind, "kind_label": str(AttendeeKind(a.kind).label), "name": a.name}
                          for a in detail["attendees"]],
            "actions": [_action(a, today) for a in detail["actions"]]}


@router.get(E + "/meetings", response=MeetingPage, summary="Council meetings, latest first")
def meeting_list(request, estate_id: int, filters: Query[MeetingFilters]):
    actor = api_actor(request, estate_id)
    page = paginate(council_meetings.meeting_list(actor=actor, status=filters.status or ""), cursor=filters.cursor,
                    limit=filters.limit, descending=True)
    return {"items": [_meeting(m) for m in page.items], "next_cursor": page.next_cursor}


@router.post(E + "/meetings", response={201: MeetingOut}, summary="Plan a council meeting (organisers)")
def meeting_create(request, estate_id: int, payload: MeetingIn):
    actor = api_actor(request, estate_id)
    m = council_meetings.meeting_create(actor=actor, title=payload.title, starts_at=payload.starts_at,
                                        place=payload.place, idempotency_key=payload.idempotency_key)
    return Status(201, _meeting(m))


@router.get(E + "/meetings/{meeting_id}", response=MeetingDetailOut,
            summary="A meeting: agenda with decisions, attendees, minutes (once held), action items")
def meeting_detail(request, estate_id: int, meeting_id: int):
    actor = api_actor(request, estate_id)
    return _meeting_detail(actor, council_meetings.meeting_get_for_actor(actor=actor, meeting_id=meeting_id))


@router.post(E + "/meetings/{meeting_id}/agenda", response={201: MeetingAgendaOut},
             summary="Add an agenda item: a proposal on the agenda, or a free item")
def meeting_agenda_add(request, estate_id: int, meeting_id: int, payload: MeetingAgendaIn):
    actor = api_actor(request, estate_id)
    item = council_meetings.agenda_item_add(actor=actor, meeting_id=meeting_id, title=payload.title,
                                            proposal_id=payload.proposal_id)
    return Status(201, {"id": item.pk, "position": item.position, "title": item.title,
                        "proposal_id": item.proposal_id, "decision_id": None, "decision": None, "vote_id": None})


@router.post(E + "/meetings/{meeting_id}/attendees", response={201: MeetingAttendeeOut}, summary="Add an attendee")
def meeting_attendee_add(request, estate_id: int, meeting_id: int, payload: MeetingAttendeeIn):
    actor = api_actor(request, estate_id)
    a = council_meetings.attendee_add(actor=actor, meeting_id=meeting_id, kind=payload.kind, name=payload.name,
                                      user_id=payload.user_id)
    return Status(201, {"id": a.pk, "kind": a.kind, "kind_label": str(AttendeeKind(a.kind).label), "name": a.name})


@router.post(E + "/meetings/{meeting_id}/hold", response=MeetingDetailOut,
             summary="Mark the meeting held with its minutes (published to residents)")
def meeting_hold(request, estate_id: int, meeting_id: int, payload: MeetingHoldIn):
    actor = api_actor(request, estate_id)
    m = council_meetings.meeting_hold(actor=actor, meeting_id=meeting_id, minutes=payload.minutes)
    return _meeting_detail(actor, m)


@router.post(E + "/meetings/{meeting_id}/decisions", response={201: MeetingDecisionOut},
             summary="Record the decision on an agenda item")
def meeting_decision(request, estate_id: int, meeting_id: int, payload: MeetingDecisionIn):
    actor = api_actor(request, estate_id)
    d = council_meetings.decision_record(actor=actor, meeting_id=meeting_id, agenda_item_id=payload.agenda_item_id,
                                         text=payload.text)
    return Status(201, {"id": d.pk, "agenda_item_id": d.agenda_item_id, "text": d.text, "vote_id": d.vote_id})


@router.post(E + "/meetings/{meeting_id}/decisions/vote", response={201: MeetingDecisionOut},
             summary="A decision opens an owners' vote (a draft the organisers complete and open)")
def meeting_decision_vote(request, estate_id: int, meeting_id: int, payload: MeetingDecisionVoteIn):
    actor = api_actor(request, estate_id)
    vote = council_meetings.decision_open_vote(actor=actor, meeting_id=meeting_id, decision_id=payload.decision_id,
                                               opens_at=payload.opens_at, closes_at=payload.closes_at,
                                               title=payload.title)
    d = vote.council_decision
    return Status(201, {"id": d.pk, "agenda_item_id": d.agenda_item_id, "text": d.text, "vote_id": vote.pk})


@router.post(E + "/meetings/{meeting_id}/actions", response={201: ActionOut},
             summary="Add an action item with its owner and due date")
def meeting_action_add(request, estate_id: int, meeting_id: int, payload: ActionIn):
    from django.utils import timezone

    actor = api_actor(request, estate_id)
    a = council_meetings.action_item_add(actor=actor, meeting_id=meeting_id, title=payload.title,
                                         owner_name=payload.owner_name, owner_user_id=payload.owner_user_id,
                                         due_date=payload.due_date, decision_id=payload.decision_id,
                                         idempotency_key=payload.idempotency_key)
    return Status(201, _action(a, timezone.localdate()))


# --- action items ----------------------------------------------------------------------------------------------

@router.get(E + "/actions", response=ActionPage, summary="Action items (overdue flagged)")
def action_list(request, estate_id: int, filters: Query[ActionFilters]):
    from django.utils import timezone

    actor = api_actor(request, estate_id)
    qs = council_meetings.action_list(actor=actor, status=filters.status or "", overdue=filters.overdue)
    page = paginate(qs, cursor=filters.cursor, limit=filters.limit, descending=True)
    today = timezone.localdate()
    return {"items": [_action(a, today) for a in page.items], "next_cursor": page.next_cursor}


@router.get(E + "/actions/{action_id}", response=ActionOut, summary="One action item")
def action_detail(request, estate_id: int, action_id: int):
    from django.utils import timezone

    actor = api_actor(request, estate_id)
    return _action(council_meetings.action_get_for_actor(actor=actor, action_id=action_id), timezone.localdate())


@router.post(E + "/actions/{action_id}/done", response=ActionOut,
             summary="Mark an action item done with a note (its owner or an organiser)")
def action_done(request, estate_id: int, action_id: int, payload: ActionDoneIn):
    actor = api_actor(request, estate_id)
    council_meetings.action_item_done(actor=actor, action_id=action_id, note=payload.note)
    return action_detail(request, estate_id, action_id)

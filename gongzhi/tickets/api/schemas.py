from datetime import date, datetime, time

from ninja import Field, Schema

from ..choices import Channel, HoldReason, Priority, Scope, SlaState, TicketKind, TicketStatus
from ..workflow import TRANSITION_ACTIONS


class CategoryOut(Schema):
    id: int
    name: str
    kind: TicketKind
    default_priority: Priority
    skill: str
    response_minutes: int
    resolution_minutes: int


class UserRef(Schema):
    id: int
    name: str


class PersonRef(Schema):
    id: int
    name: str


class TicketIn(Schema):
    kind: TicketKind
    category_id: int
    scope: Scope
    title: str = Field(..., max_length=120, examples=["Kitchen pipe leaking"])
    description: str = ""
    house_id: int | None = Field(None, description="Required for a problem inside a house (scope private).")
    building_id: int | None = None
    unit_id: int | None = None
    place: str = Field("", max_length=120, description="Where in the common area (scope common).")
    priority: Priority | None = Field(None, description="Defaults to the category's priority.")
    on_behalf_of_person_id: int | None = Field(None, description="The service desk, reporting for a resident.")
    channel: Channel | None = None
    anonymous: bool = Field(False, description="Complaints only: hidden from staff below the manager.")
    about_staff_id: int | None = Field(None, description="Complaints only: the staff member complained about. "
                                                         "Such a complaint goes to the managers only.")
    idempotency_key: str = Field("", max_length=64,
                                 description="Send the same key again and the first ticket is returned, not a copy.")


class TicketOut(Schema):
    id: int
    number: str = Field(..., examples=["R2026112100001"])
    kind: TicketKind
    category_id: int
    category: str
    priority: Priority
    scope: Scope
    house_id: int | None
    house: str | None
    building_id: int | None
    building: str | None
    unit_id: int | None
    unit: str | None
    place: str
    title: str
    status: TicketStatus
    assignee: UserRef | None
    submitted_by: UserRef | None = Field(..., description="Hidden (null) for an anonymous complaint.")
    on_behalf_of: PersonRef | None
    channel: Channel
    anonymous: bool
    about_staff: UserRef | None = Field(..., description="The staff member a complaint is about (managers see it).")
    hold_reason: HoldReason | None
    reopen_count: int
    submitted_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sla_state: SlaState
    response_due_at: datetime | None = Field(..., description="Null once responded to, or while paused.")
    resolution_due_at: datetime | None = Field(..., description="Null once resolved, or while paused.")
    response_breached: bool
    resolution_breached: bool
    escalation_level: int = Field(..., description="0 none, 1 the technician was warned, 2 the supervisor, "
                                                    "3 the manager.")


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class EventOut(Schema):
    id: int
    at: datetime
    action: str
    from_status: TicketStatus | None
    to_status: TicketStatus
    note: str
    hold_reason: HoldReason | None = Field(..., description="Why it was put on hold (hold events only).")
    assignee: UserRef | None
    actor: UserRef | None


class PhotoOut(Schema):
    id: int
    comment_id: int | None = Field(..., description="The comment the photo belongs to; null for the ticket's own.")
    created_at: datetime
    content_type: str = Field(..., examples=["image/jpeg"])
    width: int
    height: int
    bytes: int
    url: str = Field(..., description="Streams the photo to people who may see the ticket.")
    thumbnail_url: str = Field(..., description="The same, at most 320 pixels on the long side.")


class CommentOut(Schema):
    id: int
    created_at: datetime
    body: str
    internal: bool
    author: UserRef | None
    photos: list[PhotoOut] = Field(default_factory=list)


class TicketDetailOut(TicketOut):
    description: str
    actions: list[str] = Field(..., description="What the caller may do now (the transitions they may take).")
    timeline: list[EventOut]
    comments: list[CommentOut]
    photos: list[PhotoOut] = Field(..., description="The ticket's own photos (a comment's are under the comment).")


class TransitionIn(Schema):
    action: str = Field(..., json_schema_extra={"enum": list(TRANSITION_ACTIONS)}, examples=["accept"])
    note: str = Field("", description="Required to hold, resolve and reject.")
    assignee_id: int | None = Field(None, description="Required to assign.")
    hold_reason: HoldReason | None = Field(None, description="Required to hold: waiting for parts, or for the "
                                                             "resident (which pauses the SLA clock).")


class CommentIn(Schema):
    body: str = Field(..., min_length=1, examples=["The plumber will come at 3 pm."])
    internal: bool = Field(False, description="Staff only: a note the resident never sees.")


# --- dispatch and SLA settings (api/dispatch.py) -----------------------------------------------------------------
class TechnicianProfileOut(Schema):
    id: int = Field(..., description="The profile's id (``technician_id`` in paths).")
    user: UserRef
    skills: list[str] = Field(..., examples=[["plumbing", "electrical"]])
    supervisor: UserRef | None = Field(..., description="Second step of the SLA escalation chain.")
    auto_dispatch: bool
    last_assigned_at: datetime | None


class TechnicianProfileIn(Schema):
    user_id: int = Field(..., description="A technician of the estate without a profile yet.")
    skills: list[str] = Field(default_factory=list, max_length=20, examples=[["plumbing"]])
    supervisor_id: int | None = None
    auto_dispatch: bool = True


class TechnicianProfileUpdateIn(Schema):
    skills: list[str] = Field(default_factory=list, max_length=20, examples=[["plumbing"]])
    supervisor_id: int | None = None
    auto_dispatch: bool = True


class DutyShiftOut(Schema):
    id: int
    user: UserRef
    weekday: int = Field(..., ge=0, le=6, description="0 = Monday.")
    starts: time
    ends: time = Field(..., description="At or before ``starts``: the shift runs past midnight.")


class DutyShiftIn(Schema):
    user_id: int
    weekday: int = Field(..., ge=0, le=6, description="0 = Monday.")
    starts: time = Field(..., examples=["22:00"])
    ends: time = Field(..., examples=["06:00"])


class ServiceCalendarOut(Schema):
    working_hours: dict[str, list[list[str]]] = Field(
        ..., examples=[{"0": [["08:30", "12:00"], ["13:30", "17:30"]], "5": [], "6": []}],
        description="Weekday (0 = Monday) → [start, end] periods, local time, in order, not overlapping.")
    is_default: bool = Field(..., description="True while the estate has not set its own hours.")


class ServiceCalendarIn(Schema):
    working_hours: dict[str, list[list[str]]] = Field(
        ..., examples=[{"0": [["08:30", "12:00"], ["13:30", "17:30"]], "5": [], "6": []}])


class CalendarDayOut(Schema):
    id: int
    date: date
    working: bool = Field(..., description="False: a public holiday; true: a make-up working day (调休).")
    hours_of_weekday: int = Field(..., description="A make-up day keeps the hours of this weekday (0 = Monday).")
    name: str


class CalendarDayIn(Schema):
    date: date
    working: bool
    hours_of_weekday: int = Field(0, ge=0, le=6)
    name: str = Field("", max_length=60, examples=["春节"])


class SlaTargetOut(Schema):
    id: int
    category_id: int
    category: str
    priority: Priority
    response_minutes: int
    resolution_minutes: int


class SlaTargetIn(Schema):
    category_id: int
    priority: Priority
    response_minutes: int = Field(..., ge=1, examples=[5])
    resolution_minutes: int = Field(..., ge=1, examples=[240])


class BulkAssignIn(Schema):
    ticket_ids: list[int] = Field(..., min_length=1, max_length=200)
    assignee_id: int
    note: str = ""


class SlaCountdownOut(Schema):
    target: str | None = Field(..., description="The target running now: response, resolution, or none.")
    due_at: datetime | None
    seconds_left: int | None = Field(..., description="In the ticket's clock (working seconds for a "
                                                      "working-hours target); negative when late.")
    state: SlaState
    paused: bool
    clock: str
    escalation_level: int
    response_breached: bool
    resolution_breached: bool

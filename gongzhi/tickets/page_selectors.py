"""Reads for the tickets pages (the resident portal, the staff console, the technician's mobile view).

Every function takes the actor and answers only from what the actor may see (``Model.objects.restrict(actor)``);
the general-purpose reads are in ``selectors.py`` and are reused here.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from gongzhi.accounts.models import Membership
from gongzhi.core.access import Actor
from gongzhi.core.errors import NotFound
from gongzhi.estate.models import Building, Unit

from . import dispatch
from .choices import OPEN_STATUSES, Priority, SlaState, TicketKind, TicketStatus
from .models import (
    Category,
    Comment,
    DutyShift,
    Quote,
    Rating,
    TechnicianProfile,
    Ticket,
    TicketEvent,
    TicketPhoto,
)
from .policies import ASSIGNABLE_ROLES, TicketPolicy
from .selectors import LIST_RELATED

S = TicketStatus

# The portal's status chips: each a set of states.
STATUS_GROUPS = {
    "open": frozenset(OPEN_STATUSES),
    "resolved": frozenset({S.RESOLVED}),
    "done": frozenset({S.CLOSED, S.REJECTED, S.CANCELLED}),
}
BOARD_STATUSES = (S.SUBMITTED, S.ASSIGNED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED)
BOARD_COLUMN_LIMIT = 30

PRIORITY_RANK = Case(When(priority=Priority.EMERGENCY, then=Value(0)), When(priority=Priority.HIGH, then=Value(1)),
                     When(priority=Priority.NORMAL, then=Value(2)), default=Value(3), output_field=IntegerField())
SLA_RANK = Case(When(sla_state=SlaState.BREACHED, then=Value(0)), When(sla_state=SlaState.AT_RISK, then=Value(1)),
                default=Value(2), output_field=IntegerField())


# --- the resident's side ------------------------------------------------------------------------------------------
def my_tickets(*, actor: Actor, group: str | None = None) -> QuerySet:
    """The tickets of the actor's household (submitted by them for themselves, submitted for them, or of a house
    they live in or own): the portal's "My tickets", whatever else the actor may see as staff."""
    qs = Ticket.objects.restrict(actor).filter(TicketPolicy.household_q(actor)).select_related(*LIST_RELATED)
    if group in STATUS_GROUPS:
        qs = qs.filter(status__in=STATUS_GROUPS[group])
    return qs


def my_ticket_get(*, actor: Actor, ticket_id: int) -> Ticket:
    """One of the household's tickets; 404 for any other (another household's, another estate's, or one the
    actor sees only as staff: the console is for that)."""
    ticket = my_tickets(actor=actor).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    return ticket


def ticket_by_idempotency_key(*, actor: Actor, key: str) -> Ticket | None:
    """The ticket the actor already submitted with this key (a double submit of the same form)."""
    if not key:
        return None
    return (Ticket.objects.restrict(actor).filter(submitted_by_id=actor.user_id, idempotency_key=key[:64])
            .only("pk").first())


# --- the console --------------------------------------------------------------------------------------------------
@dataclass
class ConsoleFilters:
    status: str = ""
    kind: str = ""
    category_id: int | None = None
    building_id: int | None = None
    assignee: str = ""  # a user id, or "none" for unassigned
    sla: str = ""  # a SlaState value, or "breached_ever" (a breach flag is set)
    q: str = ""
    extra: dict = field(default_factory=dict)


def console_tickets(*, actor: Actor, filters: ConsoleFilters) -> QuerySet:
    qs = Ticket.objects.restrict(actor).select_related(*LIST_RELATED)
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.category_id:
        qs = qs.filter(category_id=filters.category_id)
    if filters.building_id:
        qs = qs.filter(building_id=filters.building_id)
    if filters.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee:
        qs = qs.filter(assignee_id=int(filters.assignee))
    if filters.sla == "breached_ever":
        qs = qs.filter(Q(response_breached=True) | Q(resolution_breached=True))
    elif filters.sla:
        qs = qs.filter(sla_state=filters.sla)
    if filters.q:
        qs = qs.filter(Q(number__icontains=filters.q) | Q(title__icontains=filters.q))
    return qs


def dispatch_queue(*, actor: Actor, offset: int = 0, limit: int = 50) -> tuple[list[Ticket], bool]:
    """The dispatcher's queue: open tickets, the unassigned first, then those breached or at risk, then the
    oldest. Returns (rows, whether there are more)."""
    qs = (Ticket.objects.restrict(actor).filter(status__in=OPEN_STATUSES).select_related(*LIST_RELATED)
          .annotate(assigned_rank=Case(When(assignee__isnull=True, then=Value(0)), default=Value(1),
                                       output_field=IntegerField()), sla_rank=SLA_RANK)
          .order_by("assigned_rank", "sla_rank", "submitted_at", "pk"))
    rows = list(qs[offset:offset + limit + 1])
    return rows[:limit], len(rows) > limit


def board_columns(*, actor: Actor, filters: ConsoleFilters) -> list[dict]:
    """The board: one column per state of the work, each with its count and its first cards (the most urgent
    first). A constant number of queries whatever the number of tickets."""
    base = console_tickets(actor=actor, filters=ConsoleFilters(**{**filters.__dict__, "status": ""}))
    counts = dict(base.filter(status__in=BOARD_STATUSES).values_list("status").annotate(n=Count("pk"))
                  .order_by())
    columns = []
    for status in BOARD_STATUSES:
        cards = list(base.filter(status=status).annotate(sla_rank=SLA_RANK, priority_rank=PRIORITY_RANK)
                     .order_by("sla_rank", "priority_rank", "submitted_at", "pk")[:BOARD_COLUMN_LIMIT])
        columns.append({"status": status, "label": TicketStatus(status).label, "count": counts.get(status, 0),
                        "cards": cards})
    return columns


# --- people to assign ---------------------------------------------------------------------------------------------
def assignable_people(*, actor: Actor, ticket: Ticket | None = None, now: datetime | None = None) -> list[dict]:
    """Who the desk may assign a ticket to, with what helps choose: their skills, whether they are on duty now
    and how many open tickets they hold. Those with the ticket's skill come first, then those on duty, then the
    least loaded. Five queries whatever the number of people."""
    now = now or timezone.now()
    memberships = list(Membership.objects.filter(estate=actor.estate, ended_at__isnull=True,
                                                 role__in=ASSIGNABLE_ROLES).select_related("user")
                       .order_by("user_id", "role"))
    people: dict[int, dict] = {}
    for membership in memberships:
        row = people.setdefault(membership.user_id, {"user": membership.user, "id": membership.user_id,
                                                     "roles": [], "skills": [], "on_duty": False,
                                                     "has_rota": False, "open": 0})
        row["roles"].append(membership.get_role_display())
    ids = list(people)  # the dispatcher's own rules for duty and workload
    for user_id, n in dispatch.open_workload(actor.estate, ids).items():
        people[user_id]["open"] = n
    for profile in TechnicianProfile.objects.for_estate(actor.estate).filter(user_id__in=ids):
        people[profile.user_id]["skills"] = list(profile.skills or [])
    with_rota = set(DutyShift.objects.for_estate(actor.estate).filter(user_id__in=ids)
                    .values_list("user_id", flat=True).distinct())
    duty = dispatch.on_duty(actor.estate, now)
    for user_id in with_rota:
        people[user_id]["has_rota"] = True
        people[user_id]["on_duty"] = user_id in duty
    skill = ticket.category.skill if ticket is not None else ""
    names = skill_names(actor=actor)
    for row in people.values():
        row["has_skill"] = bool(skill) and skill in row["skills"]
        row["skill_names"] = [names.get(s, s) for s in row["skills"]]
    return sorted(people.values(), key=lambda r: (not r["has_skill"], not r["on_duty"], r["open"],
                                                  str(r["user"])))


def skill_names(*, actor: Actor) -> dict[str, str]:
    """What a skill code means to people: the names of the estate's categories that need it ("plumbing" → 给排水),
    since the codes are the estate's own and untranslated."""
    names: dict[str, list[str]] = {}
    for category in Category.objects.for_estate(actor.estate).filter(active=True).exclude(skill="") \
            .order_by("sort_key", "name"):
        names.setdefault(category.skill, []).append(category.name)
    return {skill: "/".join(found) for skill, found in names.items()}


# --- the technician's side ----------------------------------------------------------------------------------------
def technician_queue(*, actor: Actor, limit: int = 100) -> list[Ticket]:
    """Open tickets assigned to the actor, the most urgent first (the dispatcher's order: the running target's
    due time, then priority, then the oldest), with what the rows show."""
    return list(dispatch.technician_queue(actor=actor).select_related(*LIST_RELATED)[:limit])


def technician_skills(*, actor: Actor) -> list[str] | None:
    """The actor's skills in this estate, or None when they have no technician profile."""
    profile = TechnicianProfile.objects.for_estate(actor.estate).filter(user_id=actor.user_id).first()
    return None if profile is None else list(profile.skills or [])


def grabbable(*, actor: Actor, skills: list[str] | None) -> list[Ticket]:
    """Open repairs nobody holds that the actor may grab (抢单): those needing no particular skill, or one of the
    actor's skills."""
    qs = (Ticket.objects.restrict(actor).filter(kind=TicketKind.REPAIR, status=S.SUBMITTED, assignee__isnull=True)
          .select_related(*LIST_RELATED))
    qs = qs.filter(Q(category__skill="") | Q(category__skill__in=skills or []))
    return list(qs.annotate(priority_rank=PRIORITY_RANK).order_by("priority_rank", "submitted_at", "pk")[:50])


# --- live updates -------------------------------------------------------------------------------------------------
def _latest(model, ticket_ref, **filters):
    return Subquery(model.objects.filter(ticket=ticket_ref, **filters).order_by("-pk").values("pk")[:1])


def ticket_version(*, actor: Actor, ticket_id: int, household_only: bool = False) -> str | None:
    """A short fingerprint of everything the ticket pages show that can change: the ticket row, and the newest
    event, comment, photo, quote decision and rating the actor may see. One query; None when the actor may not
    see the ticket."""
    ref = OuterRef("pk")
    staff = TicketPolicy.sees_internal_notes(actor)
    comment_filter = {} if staff else {"internal": False}
    qs = Ticket.objects.restrict(actor).filter(pk=ticket_id)
    if household_only:
        qs = qs.filter(TicketPolicy.household_q(actor))
    photos = TicketPhoto.objects.filter(ticket=ref)
    if not staff:
        photos = photos.exclude(comment__internal=True)
    row = (qs.annotate(
        last_event=_latest(TicketEvent, ref),
        last_comment=_latest(Comment, ref, **comment_filter),
        last_photo=Subquery(photos.order_by("-pk").values("pk")[:1]),
        last_quote=_latest(Quote, ref),
        quote_decided=Subquery(Quote.objects.filter(ticket=ref, decided_at__isnull=False)
                               .order_by("-decided_at").values("decided_at")[:1]),
        last_rating=_latest(Rating, ref),
    ).values_list("updated_at", "status", "sla_state", "escalation_level", "last_event", "last_comment",
                  "last_photo", "last_quote", "quote_decided", "last_rating").first())
    if row is None:
        return None
    return hashlib.sha1(repr(row).encode(), usedforsecurity=False).hexdigest()[:16]


# --- form choices -------------------------------------------------------------------------------------------------
def building_choices(*, actor: Actor) -> list:
    """The estate's buildings for a filter or a form (no counts: cheap on a large estate)."""
    return list(Building.objects.restrict(actor).order_by("sort_key", "name").only("pk", "name", "sort_key"))


def unit_choices(*, actor: Actor) -> list:
    return list(Unit.objects.restrict(actor).select_related("building").order_by("building__sort_key",
                                                                                   "building__name", "sort_key",
                                                                                   "name"))

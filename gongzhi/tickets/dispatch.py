"""Dispatch: who may be sent to a ticket, automatic assignment, grab-mode skill matching, and the settings behind
them (technician profiles, duty rota, the service calendar and SLA targets).

Automatic assignment (``auto_assign``): among the estate's technicians (an active technician membership) with a
``TechnicianProfile`` that takes automatic assignments, has the category's skill (a category without a skill:
anyone) and is on duty now (``DutyShift``), the one with the fewest open tickets wins; ties go to whoever has
waited longest since their last assignment (never assigned = longest), then to the lower user id. It assigns
through ``services.ticket_transition`` like a dispatcher would, so the timeline, audit and notifications are the
same. When the estate rule ``tickets.auto_dispatch`` is on, every new ticket is dispatched right after it is
submitted by the system (``workflow.system_actor``: no user; the timeline shows no actor). Nobody suitable: the
ticket stays submitted and the desk is told.

Grab mode (抢单): a technician may grab only a ticket whose category skill is among theirs (a category without a
skill: any technician).
"""

import logging
from datetime import date, datetime, time

from django.db import transaction
from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import STAFF_ROLES, Role
from gongzhi.accounts.models import Membership
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.normalize import clean_text
from gongzhi.notifications.choices import NotificationKind
from gongzhi.notifications.services import notify

from . import services, workflow
from .choices import OPEN_STATUSES, Action, Priority
from .models import CalendarDay, Category, DutyShift, ServiceCalendar, SlaTarget, TechnicianProfile, Ticket
from .models.calendar import default_working_hours
from .policies import TicketPolicy, is_desk, is_technician
from .selectors import LIST_RELATED
from .sla import ServiceCalendarPolicy, SlaTargetPolicy, forget_calendar
from .working_time import format_clock, parse_week

log = logging.getLogger(__name__)

MAX_SKILLS = 20
SKILL_MAX = 40
BULK_ASSIGN_MAX = 200
PRIORITY_RANK = {Priority.EMERGENCY: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


# --- policies ----------------------------------------------------------------------------------------------------
class TechnicianProfilePolicy:
    """The desk sees every technician's profile, a technician their own; managers set them."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            return is_desk(actor) or (is_technician(actor) and (obj is None or obj.user_id == actor.user_id))
        if action == "change":
            return actor.has_any({Role.MANAGER})
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        if action == "change":
            return qs if cls.can(actor, "change") else qs.none()
        if action != "view":
            return qs.none()
        if is_desk(actor):
            return qs
        if is_technician(actor):
            return qs.filter(user_id=actor.user_id)
        return qs.none()


class DutyShiftPolicy(TechnicianProfilePolicy):
    """The rota: like the profiles."""


def _require(policy, actor: Actor, action: str, obj=None) -> None:
    if not policy.can(actor, action, obj):
        raise Forbidden()


def _invalid(field: str, reason) -> DomainError:
    return DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": field},
                       field=field, reason=reason)


# --- duty, skills, candidates ------------------------------------------------------------------------------------
def shift_covers(weekday: int, starts: time, ends: time, local: datetime) -> bool:
    """Whether a weekly shift (local time) covers the local moment. A shift that ends at or before it starts runs
    past midnight into the next day (22:00–06:00; 08:00–08:00 is a whole day); the end is not included."""
    day, now = local.weekday(), local.time().replace(tzinfo=None)
    if starts < ends:
        return weekday == day and starts <= now < ends
    if weekday == day and now >= starts:
        return True
    return (weekday + 1) % 7 == day and now < ends


def on_duty(estate, at: datetime) -> set[int]:
    """The ids of the users whose duty shift covers ``at`` (local time of the estate)."""
    local = timezone.localtime(at)
    day = local.weekday()
    shifts = DutyShift.objects.filter(estate=estate, weekday__in=[day, (day - 1) % 7]).values_list(
        "user_id", "weekday", "starts", "ends")
    return {user_id for user_id, weekday, starts, ends in shifts if shift_covers(weekday, starts, ends, local)}


def has_skill(profile: TechnicianProfile | None, skill: str) -> bool:
    if not skill:
        return True
    return profile is not None and skill in (profile.skills or [])


def check_grab(actor: Actor, ticket) -> None:
    """403 ``skill_mismatch`` unless the technician has the skill of the ticket's category."""
    skill = Category.objects.filter(pk=ticket.category_id).values_list("skill", flat=True).first() or ""
    if not skill:
        return
    profile = TechnicianProfile.objects.filter(estate_id=ticket.estate_id, user_id=actor.user_id).first()
    if not has_skill(profile, skill):
        raise Forbidden(_("This ticket needs the skill “%(skill)s”, which is not among yours; ask a dispatcher to "
                          "assign it."), code="skill_mismatch", detail={"skill": skill}, skill=skill)


def open_workload(estate, user_ids) -> dict[int, int]:
    rows = (Ticket.objects.filter(estate=estate, status__in=OPEN_STATUSES, assignee_id__in=list(user_ids))
            .values("assignee_id").annotate(n=Count("id")).values_list("assignee_id", "n"))
    return dict(rows)


def candidates(ticket: Ticket, at: datetime | None = None) -> list[TechnicianProfile]:
    """The technicians who may be given ``ticket`` automatically now, best first; each with ``open_count``."""
    at = at or timezone.now()
    estate = ticket.estate
    skill = Category.objects.filter(pk=ticket.category_id).values_list("skill", flat=True).first() or ""
    technicians = set(Membership.objects.filter(estate=estate, role=Role.TECHNICIAN, ended_at__isnull=True,
                                                user__is_active=True).values_list("user_id", flat=True))
    duty = on_duty(estate, at)
    profiles = [p for p in TechnicianProfile.objects.filter(estate=estate, auto_dispatch=True,
                                                            user_id__in=technicians & duty).select_related("user")
                if has_skill(p, skill) and p.user_id != ticket.assignee_id]
    load = open_workload(estate, [p.user_id for p in profiles])
    for profile in profiles:
        profile.open_count = load.get(profile.user_id, 0)
    never = datetime.min.replace(tzinfo=timezone.get_default_timezone())
    profiles.sort(key=lambda p: (p.open_count, p.last_assigned_at or never, p.user_id))
    return profiles


def note_assigned(ticket: Ticket, now: datetime) -> None:
    """Every assignment (manual, grab or automatic) restarts the assignee's wait for the next one."""
    if ticket.assignee_id:
        TechnicianProfile.objects.filter(estate_id=ticket.estate_id, user_id=ticket.assignee_id).update(
            last_assigned_at=now)


def _desk_users(estate, exclude=None) -> list:
    return [m.user for m in Membership.objects.filter(
        estate=estate, role__in=[Role.DISPATCHER, Role.CUSTOMER_SERVICE], ended_at__isnull=True)
        .select_related("user").order_by("pk") if m.user_id != exclude]


@transaction.atomic
def auto_assign(*, actor: Actor, ticket_id: int) -> Ticket | None:
    """Assign the ticket to the best candidate now (see the module's docstring). None when there is nobody: the
    ticket stays as it is and the desk is told."""
    if not TicketPolicy.scope(actor, Ticket.objects.for_estate(actor.estate)).filter(pk=ticket_id).exists():
        raise NotFound()
    if not is_desk(actor):
        raise Forbidden(_("You may not do “%(action)s” on this ticket."), code="not_your_ticket",
                        action=Action.ASSIGN.label)
    ticket = Ticket.objects.select_for_update().get(estate=actor.estate, pk=ticket_id)
    ticket.estate = actor.estate
    if ticket.status not in workflow.TRANSITIONS[Action.ASSIGN].sources:
        workflow.check(actor, ticket, Action.ASSIGN)  # 409 illegal_transition, with the usual message
    best = next(iter(candidates(ticket)), None)
    if best is None:
        desk = _desk_users(actor.estate, exclude=actor.user_id)
        if desk:
            notify(estate=actor.estate, users=desk, kind=NotificationKind.TICKET_ASSIGNED,
                   title=_("Ticket %(number)s needs a technician"),
                   body=_("Nobody with the skill is on duty for ticket %(number)s “%(title)s”: please assign it."),
                   params={"number": ticket.number, "title": ticket.title})
        return None
    return services.ticket_transition(actor=actor, ticket_id=ticket.pk, action=Action.ASSIGN,
                                      assignee_id=best.user_id)


def auto_dispatch_submitted(ticket: Ticket) -> Ticket | None:
    """Right after a submit, in an estate with ``tickets.auto_dispatch`` on: the system assigns the ticket. A
    refusal never undoes the submit (it is logged)."""
    try:
        with transaction.atomic():
            return auto_assign(actor=workflow.system_actor(ticket.estate), ticket_id=ticket.pk)
    except DomainError as error:
        log.warning("ticket %s: automatic dispatch refused: %s", ticket.pk, error.code)
        return None


@transaction.atomic
def bulk_assign(*, actor: Actor, ticket_ids: list[int], assignee_id: int, note: str = "") -> list[Ticket]:
    """Assign several tickets to one person (the console's bulk action): each through the workflow, all or
    nothing (the first refusal undoes the others and is raised)."""
    ids = list(dict.fromkeys(int(i) for i in ticket_ids))
    if not ids:
        raise _invalid("ticket_ids", _("is required"))
    if len(ids) > BULK_ASSIGN_MAX:
        raise _invalid("ticket_ids", _("is too long"))
    return [services.ticket_transition(actor=actor, ticket_id=pk, action=Action.ASSIGN, assignee_id=assignee_id,
                                       note=note) for pk in ids]


# --- reads -------------------------------------------------------------------------------------------------------
def technician_profiles(*, actor: Actor) -> QuerySet:
    return (TechnicianProfile.objects.restrict(actor).select_related("user", "supervisor")
            .order_by("user__name", "pk"))


def technician_profile_get(*, actor: Actor, technician_id: int) -> TechnicianProfile:
    profile = technician_profiles(actor=actor).filter(pk=technician_id).first()
    if profile is None:
        raise NotFound()
    return profile


def technicians_without_profile(*, actor: Actor) -> list:
    """Technicians of the estate with no profile yet (for the settings page)."""
    if not is_desk(actor):
        return []
    have = TechnicianProfile.objects.for_estate(actor.estate).values_list("user_id", flat=True)
    return [m.user for m in Membership.objects.filter(estate=actor.estate, role=Role.TECHNICIAN,
                                                      ended_at__isnull=True).exclude(user_id__in=have)
            .select_related("user").order_by("user__name", "pk")]


def duty_shifts(*, actor: Actor, user_id: int | None = None) -> QuerySet:
    qs = DutyShift.objects.restrict(actor).select_related("user").order_by("weekday", "starts", "pk")
    return qs.filter(user_id=user_id) if user_id else qs


def service_calendar(*, actor: Actor) -> dict:
    """The estate's weekly working hours (the default ones when it has set none)."""
    _require(ServiceCalendarPolicy, actor, "view")
    row = ServiceCalendar.objects.for_estate(actor.estate).first()
    return {"working_hours": row.working_hours if row else default_working_hours(), "is_default": row is None}


def calendar_days(*, actor: Actor, year: int | None = None) -> QuerySet:
    qs = CalendarDay.objects.restrict(actor).order_by("date")
    return qs.filter(date__year=year) if year else qs


def sla_targets(*, actor: Actor) -> QuerySet:
    return SlaTarget.objects.restrict(actor).select_related("category").order_by("category__sort_key",
                                                                                   "category__name", "priority")


def technician_queue(*, actor: Actor) -> QuerySet:
    """The technician's own open tickets, most urgent first: the running target's due time (respond by, else
    resolve by; paused ones last), then priority, then the oldest."""
    priority_rank = Case(*[When(priority=p, then=Value(r)) for p, r in PRIORITY_RANK.items()], default=Value(9),
                         output_field=IntegerField())
    return (Ticket.objects.restrict(actor).filter(assignee_id=actor.user_id, status__in=OPEN_STATUSES)
            .select_related(*LIST_RELATED)
            .annotate(due=Coalesce("response_due_at", "resolution_due_at"), priority_rank=priority_rank)
            .order_by(Coalesce("response_due_at", "resolution_due_at").asc(nulls_last=True), "priority_rank",
                      "submitted_at", "pk"))


# --- settings: writes --------------------------------------------------------------------------------------------
def _skills(value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise _invalid("skills", _("must be a list"))
    skills = []
    for raw in value:
        skill = clean_text(str(raw or ""))
        if not skill:
            continue
        if len(skill) > SKILL_MAX:
            raise _invalid("skills", _("is too long"))
        if skill.casefold() not in {s.casefold() for s in skills}:
            skills.append(skill)
    if len(skills) > MAX_SKILLS:
        raise _invalid("skills", _("is too long"))
    return skills


def _member(actor: Actor, user_id, roles, field: str):
    membership = (Membership.objects.filter(estate=actor.estate, user_id=user_id, ended_at__isnull=True,
                                            role__in=roles).select_related("user").first())
    if membership is None:
        raise _invalid(field, _("is not a member of this estate in a suitable role"))
    return membership.user


PROFILE_FIELDS = ["user_id", "skills", "supervisor_id", "auto_dispatch", "last_assigned_at"]


@transaction.atomic
def technician_profile_create(*, actor: Actor, user_id: int, skills=None, supervisor_id: int | None = None,
                              auto_dispatch: bool = True) -> TechnicianProfile:
    """Set up a technician for dispatch (one profile per technician and estate; a second is 409)."""
    _require(TechnicianProfilePolicy, actor, "change")
    user = _member(actor, user_id, [Role.TECHNICIAN], "user_id")
    if TechnicianProfile.objects.filter(estate=actor.estate, user=user).exists():
        raise Conflict(_("%(name)s already has a profile."), code="profile_exists", name=str(user))
    supervisor = _supervisor(actor, supervisor_id, user.pk)
    profile = TechnicianProfile.objects.create(estate=actor.estate, user=user, skills=_skills(skills),
                                               supervisor=supervisor, auto_dispatch=bool(auto_dispatch))
    audit(user=actor.user, estate=actor.estate, action="technician_profile.create", obj=profile,
          after=snapshot(profile, PROFILE_FIELDS))
    return profile


def _supervisor(actor: Actor, supervisor_id: int | None, technician_user_id: int):
    if not supervisor_id:
        return None
    if supervisor_id == technician_user_id:
        raise _invalid("supervisor_id", _("cannot be the technician themselves"))
    return _member(actor, supervisor_id, STAFF_ROLES, "supervisor_id")


@transaction.atomic
def technician_profile_update(*, actor: Actor, technician_id: int, skills=None, supervisor_id: int | None = None,
                              auto_dispatch: bool = True) -> TechnicianProfile:
    """Replace a technician's skills, supervisor and whether they take automatic assignments."""
    _require(TechnicianProfilePolicy, actor, "change")
    profile = TechnicianProfile.objects.for_estate(actor.estate).select_for_update().filter(pk=technician_id).first()
    if profile is None:
        raise NotFound()
    before = snapshot(profile, PROFILE_FIELDS)
    profile.skills = _skills(skills)
    profile.supervisor = _supervisor(actor, supervisor_id, profile.user_id)
    profile.auto_dispatch = bool(auto_dispatch)
    profile.save(update_fields=["skills", "supervisor", "auto_dispatch"])
    audit(user=actor.user, estate=actor.estate, action="technician_profile.update", obj=profile, before=before,
          after=snapshot(profile, PROFILE_FIELDS))
    return profile


def _time(field: str, value) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        hours, minutes = str(value).split(":")[:2]
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise _invalid(field, _("is not a time of day (HH:MM)")) from None


def _shift_snapshot(shift: DutyShift) -> dict:
    return {"user_id": shift.user_id, "weekday": shift.weekday, "starts": shift.starts.strftime("%H:%M"),
            "ends": shift.ends.strftime("%H:%M")}


@transaction.atomic
def duty_shift_create(*, actor: Actor, user_id: int, weekday: int, starts, ends) -> DutyShift:
    """One weekly shift for a technician, local time; ending at or before the start runs past midnight."""
    _require(DutyShiftPolicy, actor, "change")
    user = _member(actor, user_id, [Role.TECHNICIAN], "user_id")
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise _invalid("weekday", _("must be 0 (Monday) to 6 (Sunday)"))
    shift = DutyShift.objects.create(estate=actor.estate, user=user, weekday=weekday,
                                     starts=_time("starts", starts), ends=_time("ends", ends))
    audit(user=actor.user, estate=actor.estate, action="duty_shift.create", obj=shift,
          after=_shift_snapshot(shift))
    return shift


@transaction.atomic
def duty_shift_delete(*, actor: Actor, shift_id: int) -> None:
    _require(DutyShiftPolicy, actor, "change")
    shift = DutyShift.objects.for_estate(actor.estate).filter(pk=shift_id).first()
    if shift is None:
        raise NotFound()
    audit(user=actor.user, estate=actor.estate, action="duty_shift.delete", obj=shift, before=_shift_snapshot(shift))
    shift.delete()


def _week(value) -> dict:
    try:
        week = parse_week(value)
    except ValueError as error:
        raise DomainError(_("The working hours are not valid: %(reason)s"), code="invalid_working_hours",
                          detail={"field": "working_hours"}, reason=str(error)) from None
    if not any(week):
        raise DomainError(_("The working hours must include at least one working period in the week."),
                          code="no_working_hours", detail={"field": "working_hours"})
    return {str(d): [[format_clock(s), format_clock(e)] for s, e in week[d]] for d in range(7)}


@transaction.atomic
def service_calendar_set(*, actor: Actor, working_hours: dict) -> ServiceCalendar:
    """Set the estate's weekly working hours ({"0": [["08:30", "12:00"], ...], ... "6": []}; 0 = Monday). Open
    tickets keep the due dates they have; new ones, resumed and reopened ones use the new hours."""
    _require(ServiceCalendarPolicy, actor, "change")
    hours = _week(working_hours)
    row = ServiceCalendar.objects.for_estate(actor.estate).select_for_update().first()
    before = {"working_hours": row.working_hours} if row else None
    if row is None:
        row = ServiceCalendar.objects.create(estate=actor.estate, working_hours=hours)
    else:
        row.working_hours = hours
        row.save(update_fields=["working_hours"])
    audit(user=actor.user, estate=actor.estate, action="service_calendar.set", obj=row, before=before,
          after={"working_hours": hours})
    transaction.on_commit(lambda: forget_calendar(actor.estate.pk))
    forget_calendar(actor.estate.pk)
    return row


DAY_FIELDS = ["date", "working", "hours_of_weekday", "name"]


@transaction.atomic
def calendar_day_create(*, actor: Actor, date: date, working: bool, hours_of_weekday: int = 0,
                        name: str = "") -> CalendarDay:
    """A public holiday (``working`` false) or a make-up working day (调休: ``working`` true, with the hours of
    ``hours_of_weekday``). One per date: a second is 409."""
    _require(ServiceCalendarPolicy, actor, "change")
    if not isinstance(hours_of_weekday, int) or not 0 <= hours_of_weekday <= 6:
        raise _invalid("hours_of_weekday", _("must be 0 (Monday) to 6 (Sunday)"))
    name = clean_text(name or "")[:60]
    if CalendarDay.objects.filter(estate=actor.estate, date=date).exists():
        raise Conflict(_("%(date)s is already in the calendar."), code="calendar_day_exists", date=str(date))
    day = CalendarDay.objects.create(estate=actor.estate, date=date, working=bool(working),
                                     hours_of_weekday=hours_of_weekday, name=name)
    audit(user=actor.user, estate=actor.estate, action="calendar_day.create", obj=day,
          after=snapshot(day, DAY_FIELDS))
    transaction.on_commit(lambda: forget_calendar(actor.estate.pk))
    forget_calendar(actor.estate.pk)
    return day


@transaction.atomic
def calendar_day_delete(*, actor: Actor, day_id: int) -> None:
    _require(ServiceCalendarPolicy, actor, "change")
    day = CalendarDay.objects.for_estate(actor.estate).filter(pk=day_id).first()
    if day is None:
        raise NotFound()
    audit(user=actor.user, estate=actor.estate, action="calendar_day.delete", obj=day,
          before=snapshot(day, DAY_FIELDS))
    day.delete()
    transaction.on_commit(lambda: forget_calendar(actor.estate.pk))
    forget_calendar(actor.estate.pk)


TARGET_FIELDS = ["category_id", "priority", "response_minutes", "resolution_minutes"]
TARGET_MAX_MINUTES = 366 * 24 * 60


@transaction.atomic
def sla_target_set(*, actor: Actor, category_id: int, priority: str, response_minutes: int,
                   resolution_minutes: int) -> SlaTarget:
    """Set (create or replace) the targets of one category and priority. Open tickets keep theirs."""
    _require(SlaTargetPolicy, actor, "change")
    category = Category.objects.for_estate(actor.estate).filter(pk=category_id).first()
    if category is None:
        raise _invalid("category_id", _("is not a category of this estate"))
    if priority not in Priority.values:
        raise _invalid("priority", _("is not one of the allowed values"))
    for field, value in (("response_minutes", response_minutes), ("resolution_minutes", resolution_minutes)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= TARGET_MAX_MINUTES:
            raise _invalid(field, _("must be a whole number of minutes, at least 1"))
    target = SlaTarget.objects.select_for_update().filter(estate=actor.estate, category=category,
                                                          priority=priority).first()
    before = snapshot(target, TARGET_FIELDS) if target else None
    if target is None:
        target = SlaTarget(estate=actor.estate, category=category, priority=priority)
    target.response_minutes, target.resolution_minutes = response_minutes, resolution_minutes
    target.save()
    audit(user=actor.user, estate=actor.estate, action="sla_target.set", obj=target, before=before,
          after=snapshot(target, TARGET_FIELDS))
    return target


@transaction.atomic
def sla_target_delete(*, actor: Actor, target_id: int) -> None:
    """Back to the category's own targets for that priority."""
    _require(SlaTargetPolicy, actor, "change")
    target = SlaTarget.objects.for_estate(actor.estate).filter(pk=target_id).first()
    if target is None:
        raise NotFound()
    audit(user=actor.user, estate=actor.estate, action="sla_target.delete", obj=target,
          before=snapshot(target, TARGET_FIELDS))
    target.delete()


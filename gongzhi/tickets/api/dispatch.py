"""The dispatch and SLA API: technician profiles (skills, supervisor, automatic assignment), the duty rota, the
service calendar (working hours, holidays, make-up days), SLA targets per category and priority; automatic and
bulk assignment; the technician's own queue; a ticket's SLA countdown.

Managers change the settings; the desk reads them and assigns; a technician sees their own profile and queue.
Path parameters: ``technician_id`` (a TechnicianProfile), ``shift_id`` (DutyShift), ``day_id`` (CalendarDay),
``target_id`` (SlaTarget)."""

from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status

from gongzhi.core.api import api_actor
from gongzhi.core.errors import Conflict

from .. import dispatch, selectors
from ..presenters import ticket_row_data
from ..sla import sla_countdown
from .router import _detail
from .schemas import (
    BulkAssignIn,
    CalendarDayIn,
    CalendarDayOut,
    DutyShiftIn,
    DutyShiftOut,
    ServiceCalendarIn,
    ServiceCalendarOut,
    SlaCountdownOut,
    SlaTargetIn,
    SlaTargetOut,
    TechnicianProfileIn,
    TechnicianProfileOut,
    TechnicianProfileUpdateIn,
    TicketDetailOut,
    TicketOut,
)

router = Router(tags=["dispatch"])
QUEUE_LIMIT = 200


def _user(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": str(user)}


def _profile(profile) -> dict:
    return {"id": profile.pk, "user": _user(profile.user), "skills": list(profile.skills or []),
            "supervisor": _user(profile.supervisor), "auto_dispatch": profile.auto_dispatch,
            "last_assigned_at": profile.last_assigned_at}


def _shift(shift) -> dict:
    return {"id": shift.pk, "user": _user(shift.user), "weekday": shift.weekday, "starts": shift.starts,
            "ends": shift.ends}


def _target(target) -> dict:
    return {"id": target.pk, "category_id": target.category_id, "category": target.category.name,
            "priority": target.priority, "response_minutes": target.response_minutes,
            "resolution_minutes": target.resolution_minutes}


# --- technicians -------------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/technicians", response=list[TechnicianProfileOut],
            summary="Technician profiles: skills, supervisor, automatic assignment (a technician sees their own)")
def technicians(request, estate_id: int):
    actor = api_actor(request, estate_id)
    return [_profile(p) for p in dispatch.technician_profiles(actor=actor)]


@router.post("/estates/{estate_id}/technicians", response={201: TechnicianProfileOut},
             summary="Set up a technician for dispatch (managers)")
def technician_create(request, estate_id: int, payload: TechnicianProfileIn):
    """A second profile for the same technician is 409 ``profile_exists``."""
    actor = api_actor(request, estate_id)
    profile = dispatch.technician_profile_create(actor=actor, **payload.dict())
    return Status(201, _profile(dispatch.technician_profile_get(actor=actor, technician_id=profile.pk)))


@router.put("/estates/{estate_id}/technicians/{technician_id}", response=TechnicianProfileOut,
            summary="Replace a technician's skills, supervisor and automatic assignment (managers)")
def technician_update(request, estate_id: int, technician_id: int, payload: TechnicianProfileUpdateIn):
    actor = api_actor(request, estate_id)
    dispatch.technician_profile_update(actor=actor, technician_id=technician_id, **payload.dict())
    return _profile(dispatch.technician_profile_get(actor=actor, technician_id=technician_id))


@router.get("/estates/{estate_id}/technicians/me/queue", response=list[TicketOut],
            summary="The caller's own open tickets, most urgent first")
def my_queue(request, estate_id: int):
    """Ordered by the running target's due time (respond by, else resolve by; paused tickets last), then
    priority; at most 200."""
    actor = api_actor(request, estate_id)
    return [ticket_row_data(actor, t) for t in dispatch.technician_queue(actor=actor)[:QUEUE_LIMIT]]


# --- duty rota ---------------------------------------------------------------------------------------------------
class ShiftFilters(Schema):
    user_id: int | None = None


@router.get("/estates/{estate_id}/duty-shifts", response=list[DutyShiftOut], summary="The weekly duty rota")
def shifts(request, estate_id: int, filters: Query[ShiftFilters]):
    actor = api_actor(request, estate_id)
    return [_shift(s) for s in dispatch.duty_shifts(actor=actor, user_id=filters.user_id)]


@router.post("/estates/{estate_id}/duty-shifts", response={201: DutyShiftOut},
             summary="Add a weekly shift (managers); ending at or before the start runs past midnight")
def shift_create(request, estate_id: int, payload: DutyShiftIn):
    actor = api_actor(request, estate_id)
    shift = dispatch.duty_shift_create(actor=actor, **payload.dict())
    return Status(201, _shift(shift))


@router.delete("/estates/{estate_id}/duty-shifts/{shift_id}", response={204: None},
               summary="Remove a shift (managers)")
def shift_delete(request, estate_id: int, shift_id: int):
    actor = api_actor(request, estate_id)
    dispatch.duty_shift_delete(actor=actor, shift_id=shift_id)
    return Status(204, None)


# --- service calendar --------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/service-calendar", response=ServiceCalendarOut,
            summary="The estate's weekly working hours (for SLA targets in working hours)")
def calendar_get(request, estate_id: int):
    actor = api_actor(request, estate_id)
    return dispatch.service_calendar(actor=actor)


@router.put("/estates/{estate_id}/service-calendar", response=ServiceCalendarOut,
            summary="Set the weekly working hours (managers)")
def calendar_put(request, estate_id: int, payload: ServiceCalendarIn):
    """Periods must be in order and not overlap (400 ``invalid_working_hours``); a week with no working time
    at all is 400 ``no_working_hours``."""
    actor = api_actor(request, estate_id)
    dispatch.service_calendar_set(actor=actor, working_hours=payload.working_hours)
    return dispatch.service_calendar(actor=actor)


class DayFilters(Schema):
    year: int | None = None


@router.get("/estates/{estate_id}/calendar-days", response=list[CalendarDayOut],
            summary="Public holidays and make-up working days (调休)")
def days(request, estate_id: int, filters: Query[DayFilters]):
    actor = api_actor(request, estate_id)
    return list(dispatch.calendar_days(actor=actor, year=filters.year))


@router.post("/estates/{estate_id}/calendar-days", response={201: CalendarDayOut},
             summary="Add a holiday or a make-up working day (managers)")
def day_create(request, estate_id: int, payload: CalendarDayIn):
    """One per date: a second is 409 ``calendar_day_exists``."""
    actor = api_actor(request, estate_id)
    return Status(201, dispatch.calendar_day_create(actor=actor, **payload.dict()))


@router.delete("/estates/{estate_id}/calendar-days/{day_id}", response={204: None},
               summary="Remove a holiday or make-up day (managers)")
def day_delete(request, estate_id: int, day_id: int):
    actor = api_actor(request, estate_id)
    dispatch.calendar_day_delete(actor=actor, day_id=day_id)
    return Status(204, None)


# --- SLA targets -------------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/sla-targets", response=list[SlaTargetOut],
            summary="SLA targets by category and priority (without one, the category's own apply)")
def targets(request, estate_id: int):
    actor = api_actor(request, estate_id)
    return [_target(t) for t in dispatch.sla_targets(actor=actor)]


@router.put("/estates/{estate_id}/sla-targets", response=SlaTargetOut,
            summary="Set the targets of one category and priority (managers); open tickets keep theirs")
def target_put(request, estate_id: int, payload: SlaTargetIn):
    actor = api_actor(request, estate_id)
    target = dispatch.sla_target_set(actor=actor, **payload.dict())
    return _target(target)


@router.delete("/estates/{estate_id}/sla-targets/{target_id}", response={204: None},
               summary="Back to the category's own targets for that priority (managers)")
def target_delete(request, estate_id: int, target_id: int):
    actor = api_actor(request, estate_id)
    dispatch.sla_target_delete(actor=actor, target_id=target_id)
    return Status(204, None)


# --- assigning ---------------------------------------------------------------------------------------------------
@router.post("/estates/{estate_id}/tickets/{ticket_id}/auto-assign", response=TicketDetailOut,
             summary="Assign to the best technician now: skill, on duty, least open work, longest wait")
def auto_assign(request, estate_id: int, ticket_id: int):
    """Nobody suitable: 409 ``no_candidate`` (the ticket is unchanged and the desk is told)."""
    actor = api_actor(request, estate_id)
    ticket = dispatch.auto_assign(actor=actor, ticket_id=ticket_id)
    if ticket is None:
        raise Conflict(_("Nobody with the skill is on duty and taking automatic assignments; assign the ticket "
                         "by hand."), code="no_candidate")
    return _detail(actor, ticket_id)


@router.post("/estates/{estate_id}/ticket-assignments", response=list[TicketOut],
             summary="Assign several tickets to one person, all or nothing")
def bulk_assign(request, estate_id: int, payload: BulkAssignIn):
    """The first ticket that may not be assigned refuses the whole request with its own error. (Not under
    ``/tickets/``: ``/tickets/{ticket_id}`` would take the path.)"""
    actor = api_actor(request, estate_id)
    done = dispatch.bulk_assign(actor=actor, ticket_ids=payload.ticket_ids, assignee_id=payload.assignee_id,
                                note=payload.note)
    rows = {t.pk: t for t in selectors.ticket_list(actor=actor).filter(pk__in=[t.pk for t in done])}
    return [ticket_row_data(actor, rows[t.pk]) for t in done if t.pk in rows]


@router.get("/estates/{estate_id}/tickets/{ticket_id}/sla", response=SlaCountdownOut,
            summary="A ticket's SLA now: the running target, time left, state, escalation")
def ticket_sla(request, estate_id: int, ticket_id: int):
    actor = api_actor(request, estate_id)
    return sla_countdown(selectors.ticket_get(actor=actor, ticket_id=ticket_id))

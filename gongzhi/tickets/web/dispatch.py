"""The dispatch and SLA settings pages of the staff console: technicians (skills, supervisor, automatic
assignment, weekly rota), the service calendar (working hours, holidays, make-up days) and the SLA targets per
category and priority.

The desk (manager, customer service, dispatcher) may look; only managers see the forms (the services check it
again). Each form posts to its own page with an ``op`` field; a refusal is shown in place, a success redirects
back with a message (post/redirect/get)."""

import datetime

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import STAFF_ROLES
from gongzhi.accounts.models import Membership
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import render_page

from .. import dispatch, selectors
from ..choices import Priority
from ..policies import is_desk
from ..sla import ServiceCalendarPolicy
from ..working_time import parse_clock
from .shared import done, error_context

WEEKDAYS = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def _desk(request):
    actor = request.actor
    if not is_desk(actor):
        raise Forbidden()
    return actor


def _int(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": field}, field=field,
                          reason=_("is required")) from None


def _optional_int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _skills(text: str) -> list[str]:
    return [s.strip() for s in text.replace("，", ",").replace("、", ",").split(",") if s.strip()]


def _tabs(actor, here: str) -> dict:
    return {"here": here, "tabs": [
        ("technicians", _("Technicians"), reverse("tickets:dispatch_technicians", args=[actor.estate.pk])),
        ("calendar", _("Service calendar"), reverse("tickets:dispatch_calendar", args=[actor.estate.pk])),
        ("sla", _("SLA targets"), reverse("tickets:dispatch_sla", args=[actor.estate.pk])),
    ], "can_change": ServiceCalendarPolicy.can(actor, "change")}


# --- technicians -------------------------------------------------------------------------------------------------
def _technicians_context(actor) -> dict:
    profiles = list(dispatch.technician_profiles(actor=actor))
    shifts: dict[int, list] = {}
    for shift in dispatch.duty_shifts(actor=actor):
        shifts.setdefault(shift.user_id, []).append(
            {"id": shift.pk, "weekday": WEEKDAYS[shift.weekday], "starts": shift.starts.strftime("%H:%M"),
             "ends": shift.ends.strftime("%H:%M"), "overnight": shift.ends <= shift.starts})
    load = dispatch.open_workload(actor.estate, [p.user_id for p in profiles])
    staff = {m.user_id: m.user for m in Membership.objects.filter(estate=actor.estate, ended_at__isnull=True,
                                                                  role__in=STAFF_ROLES).select_related("user")}
    skills = sorted({c.skill for c in selectors.category_list(actor=actor) if c.skill})
    rows = [{"profile": p, "skills_text": ", ".join(p.skills or []), "shifts": shifts.get(p.user_id, []),
             "open": load.get(p.user_id, 0), "supervisors": [u for uid, u in staff.items() if uid != p.user_id]}
            for p in profiles]
    return {"rows": rows, "without_profile": dispatch.technicians_without_profile(actor=actor),
            "category_skills": skills, "weekdays": list(enumerate(WEEKDAYS))}


@estate_page
def technicians(request):
    actor = _desk(request)
    error = None
    if request.method == "POST":
        post = request.POST
        op = post.get("op", "")
        try:
            if op == "create":
                dispatch.technician_profile_create(actor=actor, user_id=_int(post.get("user_id"), "user_id"),
                                                   skills=_skills(post.get("skills", "")),
                                                   supervisor_id=_optional_int(post.get("supervisor_id")),
                                                   auto_dispatch=bool(post.get("auto_dispatch")))
                message = _("The technician was set up.")
            elif op == "update":
                dispatch.technician_profile_update(actor=actor,
                                                   technician_id=_int(post.get("technician_id"), "technician_id"),
                                                   skills=_skills(post.get("skills", "")),
                                                   supervisor_id=_optional_int(post.get("supervisor_id")),
                                                   auto_dispatch=bool(post.get("auto_dispatch")))
                message = _("The technician was saved.")
            elif op == "add_shift":
                dispatch.duty_shift_create(actor=actor, user_id=_int(post.get("user_id"), "user_id"),
                                           weekday=_int(post.get("weekday"), "weekday"),
                                           starts=post.get("starts", ""), ends=post.get("ends", ""))
                message = _("The shift was added.")
            elif op == "delete_shift":
                dispatch.duty_shift_delete(actor=actor, shift_id=_int(post.get("shift_id"), "shift_id"))
                message = _("The shift was removed.")
            else:
                raise DomainError(_("%(action)s is not an action of this page."), code="invalid_action", action=op)
            return done(request, message, request.path)
        except DomainError as refused:
            error = refused
    context = {**_tabs(actor, "technicians"), **_technicians_context(actor)}
    if error is not None:
        context.update(error_context(error))
    return render_page(request, "tickets/dispatch/technicians.html", context, status=error.status if error else 200)


# --- the service calendar ----------------------------------------------------------------------------------------
def _hours_text(periods) -> str:
    return ", ".join(f"{a}-{b}" for a, b in periods)


def _parse_hours_text(text: str, weekday_label) -> list[list[str]]:
    periods = []
    for part in text.replace("，", ",").replace("、", ",").split(","):
        part = part.strip().replace("–", "-").replace("～", "-").replace("~", "-")
        if not part:
            continue
        try:
            start, end = (p.strip() for p in part.split("-"))
            parse_clock(start), parse_clock(end)
        except ValueError:
            raise DomainError(_("%(day)s: “%(period)s” is not a period like 08:30-12:00."),
                              code="invalid_working_hours", detail={"field": "working_hours"}, day=weekday_label,
                              period=part) from None
        periods.append([start, end])
    return periods


@estate_page
def calendar(request):
    actor = _desk(request)
    error = None
    if request.method == "POST":
        post = request.POST
        op = post.get("op", "")
        try:
            if op == "hours":
                hours = {str(d): _parse_hours_text(post.get(f"day{d}", ""), WEEKDAYS[d]) for d in range(7)}
                dispatch.service_calendar_set(actor=actor, working_hours=hours)
                message = _("The working hours were saved.")
            elif op == "add_day":
                try:
                    day = datetime.date.fromisoformat(post.get("date", ""))
                except ValueError:
                    raise DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": "date"},
                                      field="date", reason=_("is not a date")) from None
                dispatch.calendar_day_create(actor=actor, date=day, working=post.get("working") == "1",
                                             hours_of_weekday=_int(post.get("hours_of_weekday", 0),
                                                                   "hours_of_weekday"),
                                             name=post.get("name", ""))
                message = _("The day was added.")
            elif op == "delete_day":
                dispatch.calendar_day_delete(actor=actor, day_id=_int(post.get("day_id"), "day_id"))
                message = _("The day was removed.")
            else:
                raise DomainError(_("%(action)s is not an action of this page."), code="invalid_action", action=op)
            return done(request, message, request.get_full_path())
        except DomainError as refused:
            error = refused
    data = dispatch.service_calendar(actor=actor)
    year = _optional_int(request.GET.get("year"))
    days = list(dispatch.calendar_days(actor=actor, year=year))
    context = {**_tabs(actor, "calendar"), "is_default": data["is_default"], "year": year,
               "week": [(d, WEEKDAYS[d], _hours_text(data["working_hours"].get(str(d), []))) for d in range(7)],
               "days": [{"day": d, "weekday": WEEKDAYS[d.date.weekday()], "hours_of": WEEKDAYS[d.hours_of_weekday]}
                        for d in days],
               "weekdays": list(enumerate(WEEKDAYS))}
    if error is not None:
        context.update(error_context(error))
    return render_page(request, "tickets/dispatch/calendar.html", context, status=error.status if error else 200)


# --- SLA targets -------------------------------------------------------------------------------------------------
@estate_page
def sla_targets(request):
    actor = _desk(request)
    error = None
    if request.method == "POST":
        post = request.POST
        op = post.get("op", "")
        try:
            if op == "set":
                dispatch.sla_target_set(actor=actor, category_id=_int(post.get("category_id"), "category_id"),
                                        priority=post.get("priority", ""),
                                        response_minutes=_int(post.get("response_minutes"), "response_minutes"),
                                        resolution_minutes=_int(post.get("resolution_minutes"),
                                                                "resolution_minutes"))
                message = _("The targets were saved.")
            elif op == "delete":
                dispatch.sla_target_delete(actor=actor, target_id=_int(post.get("target_id"), "target_id"))
                message = _("The category's own targets apply again.")
            else:
                raise DomainError(_("%(action)s is not an action of this page."), code="invalid_action", action=op)
            return done(request, message, request.path)
        except DomainError as refused:
            error = refused
    targets = {(t.category_id, t.priority): t for t in dispatch.sla_targets(actor=actor)}
    rows = []
    for category in selectors.category_list(actor=actor):
        cells = []
        for priority, priority_label in Priority.choices:
            target = targets.get((category.pk, priority))
            cells.append({"priority": priority, "label": priority_label, "target": target,
                          "response": target.response_minutes if target else category.response_minutes,
                          "resolution": target.resolution_minutes if target else category.resolution_minutes})
        rows.append({"category": category, "cells": cells})
    context = {**_tabs(actor, "sla"), "rows": rows, "priorities": Priority.choices}
    if error is not None:
        context.update(error_context(error))
    return render_page(request, "tickets/dispatch/sla.html", context, status=error.status if error else 200)


urlpatterns = [
    path("console/dispatch/", technicians, name="dispatch_technicians"),
    path("console/dispatch/calendar/", calendar, name="dispatch_calendar"),
    path("console/dispatch/sla/", sla_targets, name="dispatch_sla"),
]

"""SLA: response and resolution targets, their due dates, pausing while waiting for the resident, and the sweep
that flags tickets at risk or late and escalates them (issue 3).

Targets. A ticket's targets are the ``SlaTarget`` row of its category and priority, else the category's own
minutes; they are copied onto the ticket when it is submitted (a later change does not move an open ticket's
deadlines). They count in the category's clock: calendar time, or the estate's working hours
(``ServiceCalendar`` + ``CalendarDay``, see ``working_time``).

The two targets. The response target runs from submission to the first response by staff
(``first_response_at``: a staff member acting on the ticket or replying to the resident; never the system's
automatic assignment). The resolution target runs from submission to resolution; it pauses while the ticket is on
hold waiting for the resident (not while waiting for parts: that delay is the company's), and a reopened ticket
gets a fresh one from the moment it is reopened. Breach flags, once set, are never cleared (reporting).

The chain. For the running target(s) the sweep takes these steps, each once, each on the ticket's timeline (no
actor) and notified (``NotificationKind.SLA_ALERT``):

1. at risk: ``tickets.sla_at_risk_share`` (1/5) of the target or less is left → the assignee is told (the desk
   when nobody is assigned);
2. breached: the due time has passed → the breach flag is set, the assignee's supervisor is told (the dispatchers
   when there is none);
3. escalated: still late after a further ``tickets.sla_manager_after_share`` (1/2) of the target → the managers.

A step whose time has passed together with a later one is not taken on its own: a ticket found already late is
not reported "at risk" first. ``escalation_level`` is how far the chain of the current target has gone; it starts
again from 0 when the response target is met (or missed) and the resolution target takes over, and on reopening.

Boundaries: a target is met when the response or resolution comes at or before the due instant; it is breached
only after it; "at risk" starts exactly when the share left reaches the threshold.

Thresholds. When a due instant is set (submission, resuming, reopening) the instants of its chain are stored with
it: ``*_at_risk_at`` (the share left reaches the threshold, in the ticket's clock) and ``*_escalate_at`` (due + the
managers' share of the target, in the ticket's clock), with the estate's shares at that moment; they are cleared
with it. So no step of the sweep needs clock arithmetic: it compares the stored instants with now and sets
``sla_next_check_at`` to the next one. A ticket stored before them has none: the sweep works them out as it did
(calendar time: in SQL too; working hours: in Python, from the estate calendar).

The sweep runs every minute (tasks.sla_sweep) over the tickets whose ``sla_next_check_at`` has come, in batches
with bulk writes, so its cost per ticket is constant. It finds them through ``TicketSlaCheck``, a narrow copy of
that column kept by database triggers (``sla_checks``, migration 0008), not through an index on the ticket: with
no index on a column the sweep writes, PostgreSQL rewrites the wide ticket row in place on its page (HOT) instead
of adding the new version to each of the ticket's 16 indexes. A batch is taken under
``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite's transactions are serialised, BEGIN IMMEDIATE), so two
sweeps at once never take the same step twice, and a transition (which locks its row) never interleaves with it.

On PostgreSQL the tickets never come to Python, only their ids (``SQL_DUE``, read from the queue by estate and
assignee): one statement per batch of ids (``SQL_SWEEP``) locks the tickets still due, computes what
``standing`` computes from the stored thresholds (a calendar-time ticket without them: in exact microseconds),
writes the rows that change, appends the steps to the timelines with the notes worked out beforehand for each
(estate, assignee) of the due tickets, and returns the steps grouped for the notifications. Only a working-hours
ticket without stored thresholds goes through ``standing`` in Python, as every ticket does on SQLite; a test sweeps
the same tickets both ways and compares every row, event and notification.
"""

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Membership
from gongzhi.core.access import Actor
from gongzhi.estate.models import Estate
from gongzhi.notifications.choices import NotificationKind
from gongzhi.notifications.services import notify

from .choices import OPEN_STATUSES, Action, HoldReason, SlaClock, SlaState, TicketStatus
from .models import CalendarDay, ServiceCalendar, SlaTarget, TechnicianProfile, Ticket, TicketEvent
from .models.calendar import default_working_hours
from .models.tickets import TicketSlaCheck
from .policies import is_desk, is_technician
from .working_time import NoWorkingHours, WorkCalendar

log = logging.getLogger(__name__)

RULE_AT_RISK = "tickets.sla_at_risk_share"
RULE_MANAGER_AFTER = "tickets.sla_manager_after_share"
DEFAULT_AT_RISK = Fraction(1, 5)
DEFAULT_MANAGER_AFTER = Fraction(1, 2)
# Tickets per transaction: each batch locks its tickets until it commits (a fraction of a second) and sends one
# digest per recipient and kind of step; fewer, larger batches pay less per batch (planning, commit, digests).
SWEEP_BATCH = 10000
SWEEP_WORK_MEM = "64MB"  # PostgreSQL, for the sweep's transactions only
SWEEP_IN_SQL = True  # PostgreSQL: sweep in SQL (the tests compare it with Python)
CALENDAR_CACHE_SECONDS = 60

RESPONSE, RESOLUTION = "response", "resolution"
# The system's steps on the timeline (TicketEvent.action).
AT_RISK_ACTION, BREACH_ACTION, ESCALATE_ACTION = "sla_at_risk", "sla_breach", "escalate"
STEP_ACTIONS = {1: AT_RISK_ACTION, 2: BREACH_ACTION, 3: ESCALATE_ACTION}
STATE_OF_LEVEL = {0: SlaState.ON_TRACK, 1: SlaState.AT_RISK, 2: SlaState.BREACHED, 3: SlaState.BREACHED}


# --- policies ----------------------------------------------------------------------------------------------------
class ServiceCalendarPolicy:
    """The desk and the technicians see the estate's working hours and holidays; managers set them."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            return is_desk(actor) or is_technician(actor)
        if action == "change":
            return actor.has_any({Role.MANAGER})
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        return qs if cls.can(actor, action) else qs.none()


class SlaTargetPolicy(ServiceCalendarPolicy):
    """The desk and the technicians see the targets; managers set them."""


class SlaCheckPolicy:
    """The sweep's queue is the database's own bookkeeping: nobody reads or writes it through the application."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        return False

    @classmethod
    def scope(cls, actor: Actor, qs: QuerySet, action: str = "view") -> QuerySet:
        return qs.none()


# --- rules, calendars, clocks ------------------------------------------------------------------------------------
def _share(rules: dict, key: str, default: Fraction) -> Fraction:
    try:
        value = Fraction(str(rules.get(key, default)))
    except (ValueError, ZeroDivisionError):
        return default
    return value if 0 <= value <= 1 else default


@dataclass(frozen=True)
class Shares:
    at_risk: Fraction = DEFAULT_AT_RISK
    manager_after: Fraction = DEFAULT_MANAGER_AFTER

    @classmethod
    def of(cls, estate: Estate) -> "Shares":
        rules = estate.rules()
        return cls(_share(rules, RULE_AT_RISK, DEFAULT_AT_RISK), _share(rules, RULE_MANAGER_AFTER,
                                                                         DEFAULT_MANAGER_AFTER))


def _calendar_key(estate_id: int) -> str:
    return f"gz:service-calendar:{estate_id}"


def _calendar_data(estate_id: int) -> tuple[dict, list]:
    row = ServiceCalendar.objects.filter(estate_id=estate_id).values_list("working_hours", flat=True).first()
    days = list(CalendarDay.objects.filter(estate_id=estate_id).values_list("date", "working", "hours_of_weekday"))
    return (row if row is not None else default_working_hours()), days


def calendar_for(estate_id: int, *, cached: bool = True) -> WorkCalendar:
    """The estate's working calendar: its ServiceCalendar (default hours without one) and its exception days.
    Cached for ``CALENDAR_CACHE_SECONDS``; every change through the services drops the cached copy at once."""
    data = cache.get(_calendar_key(estate_id)) if cached else None
    if data is None:
        data = _calendar_data(estate_id)
        if cached:
            cache.set(_calendar_key(estate_id), data, CALENDAR_CACHE_SECONDS)
    hours, days = data
    try:
        return WorkCalendar.build(hours, days, tz=timezone.get_default_timezone())
    except ValueError:  # a hand-edited row; the services never store one
        log.warning("estate %s: invalid service calendar, default hours used", estate_id)
        return WorkCalendar.build(default_working_hours(), days, tz=timezone.get_default_timezone())


def forget_calendar(estate_id: int) -> None:
    cache.delete(_calendar_key(estate_id))


class CalendarClock:
    """Plain elapsed time."""

    kind = SlaClock.CALENDAR

    @staticmethod
    def add(start: datetime, amount: timedelta) -> datetime:
        return start + amount

    @staticmethod
    def between(a: datetime, b: datetime) -> timedelta:
        return max(b - a, timedelta(0))


class WorkingClock:
    """The estate's working hours; a calendar without any falls back to calendar time (logged), so that a
    misconfigured calendar never stops tickets from being submitted."""

    kind = SlaClock.WORKING

    def __init__(self, calendar: WorkCalendar):
        self.calendar = calendar

    def add(self, start: datetime, amount: timedelta) -> datetime:
        try:
            return self.calendar.add(start, amount)
        except NoWorkingHours:
            log.warning("service calendar without working hours: calendar time used")
            return start + amount

    def between(self, a: datetime, b: datetime) -> timedelta:
        return self.calendar.between(a, b) if self.calendar.has_weekly_hours else max(b - a, timedelta(0))


class Clocks:
    """Clocks by estate, calendars loaded once (for the sweep: once per estate and run)."""

    def __init__(self, *, cached: bool = True):
        self._calendars: dict[int, WorkingClock] = {}
        self.cached = cached

    def get(self, estate_id: int, kind: str):
        if kind != SlaClock.WORKING:
            return CalendarClock
        clock = self._calendars.get(estate_id)
        if clock is None:
            clock = self._calendars[estate_id] = WorkingClock(calendar_for(estate_id, cached=self.cached))
        return clock


@lru_cache(maxsize=4096)
def _minutes(minutes, share: Fraction = Fraction(1)) -> timedelta:
    return timedelta(microseconds=round(Fraction(minutes) * share * 60_000_000))


def targets_for(category, priority: str) -> tuple[int, int]:
    """(response minutes, resolution minutes): the SlaTarget row of the category and priority, else the
    category's own."""
    row = (SlaTarget.objects.filter(estate_id=category.estate_id, category=category, priority=priority)
           .values_list("response_minutes", "resolution_minutes").first())
    return row if row else (category.response_minutes, category.resolution_minutes)


# --- standing ----------------------------------------------------------------------------------------------------
@dataclass
class Standing:
    level: int  # 0 on track, 1 at risk, 2 late, 3 late beyond the manager's share
    target: str | None  # the target that sets the level
    breached: frozenset  # the running targets whose due time has passed
    next_at: datetime | None  # when the standing may change next


THRESHOLDS = {RESPONSE: ("response_at_risk_at", "response_escalate_at"),
              RESOLUTION: ("resolution_at_risk_at", "resolution_escalate_at")}


def thresholds(clock, now: datetime, due: datetime | None, minutes, shares: Shares) -> tuple:
    """(at risk from, escalated from) of a target due at ``due``, worked out at ``now`` (when the due instant is
    set): the instants ``_target_standing`` would find, stored so that the sweep needs no clock arithmetic."""
    if due is None or not minutes:
        return None, None
    escalate = clock.add(due, _minutes(minutes, shares.manager_after))
    risk = _minutes(minutes, shares.at_risk)
    if clock.kind != SlaClock.WORKING:
        return due - risk, escalate
    left = clock.between(now, due)
    return (clock.add(now, left - risk) if left > risk else min(now, due)), escalate


def _target_standing(clock, now, due, minutes, shares: Shares, at_risk_at=None,
                     escalate_at=None) -> tuple[int, datetime | None]:
    """The level of one target now and when it may change: from the stored thresholds when there are, else
    computed in the ticket's clock."""
    if now > due:
        manager_at = escalate_at if escalate_at is not None else clock.add(due, _minutes(minutes,
                                                                                         shares.manager_after))
        return (3, None) if now >= manager_at else (2, manager_at)
    if at_risk_at is not None:
        return (1, due) if now >= at_risk_at else (0, at_risk_at)
    left = clock.between(now, due)
    risk = _minutes(minutes, shares.at_risk)
    if left <= risk:
        return 1, due
    return 0, clock.add(now, left - risk)


def running_targets(t) -> list[tuple[str, datetime, int]]:
    """(name, due, minutes) of the targets still running on ticket-like ``t``."""
    running = []
    if t.first_response_at is None and t.response_due_at is not None and t.response_minutes:
        running.append((RESPONSE, t.response_due_at, t.response_minutes))
    if t.resolution_due_at is not None and t.resolution_minutes:
        running.append((RESOLUTION, t.resolution_due_at, t.resolution_minutes))
    return running


def standing(t, now: datetime, clock, shares: Shares) -> Standing:
    level, target, breached, nexts = 0, None, set(), []
    for name, due, minutes in running_targets(t):
        risk_field, escalate_field = THRESHOLDS[name]
        lvl, next_at = _target_standing(clock, now, due, minutes, shares, getattr(t, risk_field, None),
                                        getattr(t, escalate_field, None))
        if lvl >= 2:
            breached.add(name)
        if target is None or lvl > level:
            level, target = lvl, name
        if next_at is not None:
            nexts.append(next_at)
    return Standing(level, target, frozenset(breached), min(nexts) if nexts else None)


def _next_check(t, now, clock, shares: Shares, level: int) -> datetime | None:
    """When the sweep should look at the ticket next: now if a step is already due, else when one may be."""
    found = standing(t, now, clock, shares)
    if found.level > level:
        return now
    return found.next_at


class _View:
    """A ticket's SLA fields with pending changes on top (for computing before the row is written)."""

    FIELDS = ("first_response_at", "response_due_at", "response_minutes", "resolution_due_at",
              "resolution_minutes", "response_at_risk_at", "response_escalate_at", "resolution_at_risk_at",
              "resolution_escalate_at")

    def __init__(self, ticket, *changes: dict):
        for name in self.FIELDS:
            value = getattr(ticket, name, None)
            for change in changes:
                value = change.get(name, value)
            setattr(self, name, value)


# --- hooks called by the services --------------------------------------------------------------------------------
def submit_values(*, estate: Estate, category, priority: str, now: datetime) -> dict:
    """The SLA fields of a ticket submitted now: targets, due dates, the first check."""
    response, resolution = targets_for(category, priority)
    clock = Clocks().get(estate.pk, category.sla_clock)
    values = {"sla_clock": category.sla_clock, "response_minutes": response, "resolution_minutes": resolution,
              "response_due_at": clock.add(now, _minutes(response)),
              "resolution_due_at": clock.add(now, _minutes(resolution)),
              "sla_state": SlaState.ON_TRACK, "escalation_level": 0}
    _add_thresholds(values, values, clock, Shares.of(estate), now)
    values["sla_next_check_at"] = _next_check(_View(None, values), now, clock, Shares.of(estate), 0)
    return values


def _add_thresholds(out: dict, minutes_of, clock, shares: Shares, now: datetime) -> None:
    """The stored thresholds of every target whose due instant ``out`` sets or clears (``minutes_of``: the ticket
    or the values holding the targets' minutes)."""
    get = minutes_of.get if isinstance(minutes_of, dict) else (lambda name: getattr(minutes_of, name))
    for name, (risk_field, escalate_field) in THRESHOLDS.items():
        if f"{name}_due_at" in out and risk_field not in out:
            out[risk_field], out[escalate_field] = thresholds(clock, now, out[f"{name}_due_at"],
                                                              get(f"{name}_minutes"), shares)


def transition_values(ticket: Ticket, action: str, values: dict, now: datetime, *, estate: Estate | None = None) -> dict:
    """The SLA fields a workflow step changes on ``ticket`` (not yet saved), given the step's own ``values``;
    with the thresholds of every due instant set or cleared."""
    if not ticket.resolution_minutes and not ticket.response_minutes:
        return {}  # a ticket without targets (made before SLAs, or by hand)
    clock = Clocks().get(ticket.estate_id, ticket.sla_clock)
    shares = Shares.of(estate or ticket.estate)
    out = _transition_values(ticket, action, values, now, clock, shares)
    _add_thresholds(out, ticket, clock, shares, now)
    return out


def _transition_values(ticket: Ticket, action: str, values: dict, now: datetime, clock, shares: Shares) -> dict:
    out: dict = {}
    target_status = values.get("status", ticket.status)
    level = ticket.escalation_level
    if values.get("first_response_at") and ticket.response_due_at is not None:
        # The response clock stops: met at or before the due instant, missed after it. The resolution target's
        # chain starts afresh.
        out["response_breached"] = ticket.response_breached or values["first_response_at"] > ticket.response_due_at
        out["response_due_at"] = None
        level = out["escalation_level"] = 0
    if ticket.sla_paused_at is not None and target_status != TicketStatus.ON_HOLD:
        # Resumed (or reassigned from hold): the remaining time runs again from now.
        remaining = _minutes(ticket.sla_remaining_minutes or 0)
        out["resolution_due_at"] = clock.add(now, remaining)
        paused = max(now - ticket.sla_paused_at, timedelta(0))
        out["sla_paused_minutes"] = ticket.sla_paused_minutes + int(paused.total_seconds() // 60)
        out.update(sla_paused_at=None, sla_remaining_minutes=None)
    if action == Action.HOLD and values.get("hold_reason") == HoldReason.RESIDENT and ticket.resolution_due_at:
        left = clock.between(now, ticket.resolution_due_at)
        out.update(sla_paused_at=now, sla_remaining_minutes=int(left.total_seconds() // 60),
                   resolution_due_at=None, response_due_at=None, sla_state=SlaState.PAUSED,
                   sla_next_check_at=None)
        return out
    if action == Action.RESOLVE:
        due = ticket.resolution_due_at
        late = ticket.resolution_breached or (due is not None and now > due)
        out.update(resolution_breached=late, resolution_due_at=None, response_due_at=None,
                   sla_state=SlaState.BREACHED if late else SlaState.MET, sla_next_check_at=None)
        return out
    if action == Action.REOPEN and ticket.resolution_minutes:
        out.update(resolution_due_at=clock.add(now, _minutes(ticket.resolution_minutes)), sla_paused_at=None,
                   sla_remaining_minutes=None)
        level = out["escalation_level"] = 0
    if target_status not in OPEN_STATUSES:
        # Rejected, cancelled or closed: no more checks.
        breached = ticket.response_breached or ticket.resolution_breached or out.get("response_breached")
        if ticket.sla_state not in {SlaState.MET, SlaState.BREACHED}:
            out["sla_state"] = SlaState.BREACHED if breached else SlaState.NONE
        out.update(response_due_at=None, resolution_due_at=None, sla_next_check_at=None)
        return out
    if out or ticket.sla_next_check_at is not None:
        _add_thresholds(out, ticket, clock, shares, now)
        view = _View(ticket, values, out)
        out["sla_state"] = STATE_OF_LEVEL[level] if running_targets(view) else ticket.sla_state
        out["sla_next_check_at"] = _next_check(view, now, clock, shares, level)
    return out


# --- the sweep ---------------------------------------------------------------------------------------------------
SWEEP_FIELDS = ("id", "estate_id", "number", "title", "status", "assignee_id", "first_response_at",
                "response_due_at", "response_minutes", "resolution_due_at", "resolution_minutes", "sla_clock",
                "sla_state", "escalation_level", "response_breached", "resolution_breached", "sla_next_check_at",
                "response_at_risk_at", "response_escalate_at", "resolution_at_risk_at", "resolution_escalate_at")
UPDATE_FIELDS = ["sla_state", "escalation_level", "response_breached", "resolution_breached", "response_due_at",
                 "sla_next_check_at", "updated_at"]
WRITE_CHUNK = 1000


ROW_DATETIMES = ("first_response_at", "response_due_at", "resolution_due_at", "sla_next_check_at",
                 "response_at_risk_at", "response_escalate_at", "resolution_at_risk_at", "resolution_escalate_at")


def _datetime_io():
    """(read, write) of datetimes for raw SQL: what Django's converters do, without their per-value cost."""
    if connection.vendor != "sqlite":
        return (lambda value: value), (lambda value: value)
    tz = connection.timezone

    def read(value):
        if value is None or isinstance(value, datetime):
            return value if value is None or value.tzinfo else value.replace(tzinfo=tz)
        return datetime.fromisoformat(value).replace(tzinfo=tz)

    @lru_cache(maxsize=8192)
    def write(value):
        return None if value is None else str(value.astimezone(tz).replace(tzinfo=None))

    return read, write


class _Row:
    """A ticket's sweep fields, read as a tuple (no model instances: the sweep handles 100,000 at a time)."""

    __slots__ = (*SWEEP_FIELDS, "updated_at")

    def __init__(self, values, read_datetime):
        for name, value in zip(SWEEP_FIELDS, values, strict=True):
            setattr(self, name, value)
        for name in ROW_DATETIMES:
            setattr(self, name, read_datetime(getattr(self, name)))
        self.response_breached = bool(self.response_breached)
        self.resolution_breached = bool(self.resolution_breached)
        self.updated_at = None

    @property
    def pk(self):
        return self.id


@dataclass
class _EstateContext:
    estate: Estate
    shares: Shares
    members: dict[str, list] | None = None  # role → users, loaded when first needed
    by_roles: dict | None = None

    def role(self, *roles) -> list:
        """The active users holding any of ``roles`` here (loaded once per estate and sweep)."""
        if self.members is None:
            self.members = defaultdict(list)
            for m in (Membership.objects.filter(estate_id=self.estate.pk, ended_at__isnull=True,
                                                role__in=[Role.MANAGER, Role.DISPATCHER, Role.CUSTOMER_SERVICE])
                      .select_related("user").order_by("pk")):
                self.members[m.role].append(m.user)
            self.by_roles = {}
        found = self.by_roles.get(roles)
        if found is None:
            seen, found = set(), []
            for role in roles:
                for user in self.members.get(role, []):
                    if user.pk not in seen:
                        seen.add(user.pk)
                        found.append(user)
            self.by_roles[roles] = found
        return found


def sweep(now: datetime | None = None) -> dict:
    """Take the due SLA steps of every ticket whose next check has come (all estates). Idempotent: a second run
    at the same time finds nothing to do. Returns counts: checked, at_risk, breached, escalated.

    On PostgreSQL the tickets are swept in SQL (``_sweep_in_sql``: one statement per batch computes the standing
    from the stored thresholds, writes the changed rows and returns the steps); a working-hours ticket without
    stored thresholds (``_without_thresholds``) and every ticket on SQLite go through ``standing`` in Python."""
    now = now or timezone.now()
    stats: Counter = Counter()
    contexts: dict[int, _EstateContext] = {}
    in_sql = SWEEP_IN_SQL and connection.vendor == "postgresql"
    if in_sql:
        _sweep_in_sql(now, contexts, stats)
    clocks = Clocks(cached=False)
    read, _write = _datetime_io()
    last_pk = 0
    while True:
        with transaction.atomic():
            # In the queue's order, so that the walk reads only the queue, not every ticket before the due ones.
            qs = _due(now).filter(sla_check__ticket_id__gt=last_pk).order_by("sla_check__ticket_id")
            if in_sql:
                qs = qs.filter(_without_thresholds()).select_for_update(skip_locked=True, of=("self",))
            sql, params = qs.values_list(*SWEEP_FIELDS)[:SWEEP_BATCH].query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = [_Row(values, read) for values in cursor.fetchall()]
            if not rows:
                break
            last_pk = rows[-1].id
            _sweep_batch(rows, now, contexts, clocks, stats)
        if len(rows) < SWEEP_BATCH:
            break
    return {"checked": stats["checked"], "at_risk": stats[AT_RISK_ACTION], "breached": stats[BREACH_ACTION],
            "escalated": stats[ESCALATE_ACTION]}


def _due(now) -> QuerySet:
    """The tickets whose next check has come, found through the queue's index (``TicketSlaCheck``); the ticket's own
    column is checked too, so that a row changed since the statement began (PostgreSQL re-reads a row it locks)
    is taken only if it is still due."""
    return Ticket.objects.filter(sla_check__next_check_at__lte=now, sla_next_check_at__lte=now)


def _without_thresholds() -> Q:
    """The working-hours tickets with a running due instant but no stored thresholds (stored before there were):
    the SQL sweep leaves them to ``standing`` in Python, which can work them out from the estate calendar."""
    missing = Q()
    for name, fields in THRESHOLDS.items():
        running = Q(**{f"{name}_due_at__isnull": False, f"{name}_minutes__gt": 0})
        if name == RESPONSE:
            running &= Q(first_response_at__isnull=True)
        for field in fields:
            missing |= running & Q(**{f"{field}__isnull": True})
    return Q(sla_clock=SlaClock.WORKING) & missing


def _load_contexts(estate_ids, contexts: dict) -> None:
    missing = set(estate_ids) - contexts.keys()
    if missing:
        for estate in Estate.objects.filter(pk__in=missing):
            contexts[estate.pk] = _EstateContext(estate=estate, shares=Shares.of(estate))


def _micros_sql(minutes: str, step: str, num: str, den: str) -> str:
    """SQL for ``_minutes(minutes, num/den)`` as an interval: ``minutes`` times the estate's ``step`` (the share of
    a minute, when it is a whole number of microseconds, as it is for 1/5, 1/2, 0.3 ...), else exact in numeric,
    rounded half to even like Python's ``round`` of a Fraction."""
    x = f"({minutes}::numeric * 60000000 * {num})"
    exact = (f"(div({x}, {den}) + CASE WHEN 2 * mod({x}, {den}) > {den} OR (2 * mod({x}, {den}) = {den} "
             f"AND mod(div({x}, {den}), 2) = 1) THEN 1 ELSE 0 END)")
    return (f"CASE WHEN {step} IS NOT NULL THEN {minutes} * {step} "
            f"ELSE {exact} * interval '1 microsecond' END")


def _standing_sql(running: str, due: str, minutes: str, at_risk: str, escalate: str) -> str:
    """SQL for ``_target_standing``: the lateral columns (lvl, nxt) of one target, null when it is not running.
    The thresholds are the stored ones; a calendar-time ticket without them (stored before they were) gets them
    computed here (the working-hours ones without them go to Python). (OFFSET 0 keeps the planner from copying
    the shares' arithmetic into every use.)"""
    risk = _micros_sql(minutes, "b.risk_step", "b.rn", "b.rd")
    manager = _micros_sql(minutes, "b.manager_step", "b.mn", "b.md")
    return f"""(SELECT CASE WHEN NOT w.running THEN NULL
                           WHEN %(now)s > {due} THEN CASE WHEN %(now)s >= w.manager_at THEN 3 ELSE 2 END
                           WHEN w.risk_at <= %(now)s THEN 1 ELSE 0 END AS lvl,
                      CASE WHEN NOT w.running THEN NULL
                           WHEN %(now)s > {due} THEN CASE WHEN %(now)s >= w.manager_at THEN NULL
                                                          ELSE w.manager_at END
                           WHEN w.risk_at <= %(now)s THEN {due} ELSE w.risk_at END AS nxt
               FROM (SELECT {running} AS running,
                            CASE WHEN {running} THEN COALESCE({at_risk}, {due} - {risk}) END AS risk_at,
                            CASE WHEN {running} THEN COALESCE({escalate}, {due} + {manager}) END AS manager_at
                     OFFSET 0) w)"""  # noqa: S608


# One batch of the SQL sweep: lock the due tickets (SKIP LOCKED: a concurrent sweep takes other ones), settle a
# response given by a path that does not stop the clock (a comment), compute each running target's standing as
# ``standing`` does, write the rows that change, and return the batch with the levels before and after.
SQL_SWEEP = """
WITH s (estate_id, rn, rd, mn, md, risk_step, manager_step) AS (
    SELECT e, rn, rd, mn, md, risk_us * interval '1 microsecond', manager_us * interval '1 microsecond'
    FROM unnest(%(estates)s::bigint[], %(rn)s::numeric[], %(rd)s::numeric[], %(mn)s::numeric[], %(md)s::numeric[],
                %(risk_us)s::bigint[], %(manager_us)s::bigint[]) AS v (e, rn, rd, mn, md, risk_us, manager_us)
), p (estate_id, assignee_id) AS (
    SELECT * FROM unnest(%(p_estate)s::bigint[], %(p_assignee)s::bigint[])
), nt (estate_id, assignee_id, level, target, note) AS (
    SELECT * FROM unnest(%(n_estate)s::bigint[], %(n_assignee)s::bigint[], %(n_level)s::integer[],
                         %(n_target)s::text[], %(n_note)s::integer[])
), b AS (
    SELECT t.id, t.estate_id, t.number, t.title, t.status, t.assignee_id, t.first_response_at, t.response_due_at,
           t.response_minutes, t.resolution_due_at, t.resolution_minutes, t.sla_state, t.escalation_level,
           t.response_breached, t.resolution_breached, t.sla_next_check_at, t.response_at_risk_at,
           t.response_escalate_at, t.resolution_at_risk_at, t.resolution_escalate_at, s.rn, s.rd, s.mn, s.md,
           s.risk_step, s.manager_step
    FROM {table} t JOIN s ON s.estate_id = t.estate_id
    WHERE t.id = ANY(%(ids)s::bigint[]) AND t.sla_next_check_at <= %(now)s AND {with_thresholds}
    ORDER BY t.id
    FOR UPDATE OF t SKIP LOCKED
), f AS (
    SELECT b.id, b.estate_id, b.number, b.title, b.status, b.assignee_id, b.response_due_at, b.resolution_due_at,
           o.base_level, l.level, g.target, n.sla_state, n.response_breached, n.resolution_breached,
           o.response_due, g.next_at,
           CASE WHEN g.target = %(response)s THEN b.response_due_at ELSE b.resolution_due_at END AS due,
           EXISTS (SELECT FROM p WHERE p.estate_id = b.estate_id AND p.assignee_id = COALESCE(b.assignee_id, 0))
               AS known,
           (n.sla_state, l.level, n.response_breached, n.resolution_breached, o.response_due, g.next_at)
           IS DISTINCT FROM (b.sla_state, b.escalation_level, b.response_breached, b.resolution_breached,
                             b.response_due_at, b.sla_next_check_at) AS changed
    FROM b
    CROSS JOIN LATERAL (
        SELECT b.status = ANY(%(open)s::text[]) AS open,
               CASE WHEN b.first_response_at IS NOT NULL THEN NULL ELSE b.response_due_at END AS response_due,
               CASE WHEN b.first_response_at IS NOT NULL AND b.response_due_at IS NOT NULL THEN 0
                    ELSE b.escalation_level END AS base_level,
               b.response_breached OR COALESCE(b.first_response_at > b.response_due_at, false)
                   AS response_breached) o
    CROSS JOIN LATERAL {response} r
    CROSS JOIN LATERAL {resolution} z
    CROSS JOIN LATERAL (
        SELECT GREATEST(r.lvl, z.lvl) AS found,
               CASE WHEN r.lvl IS NOT NULL AND (z.lvl IS NULL OR z.lvl <= r.lvl) THEN %(response)s
                    WHEN z.lvl IS NOT NULL THEN %(resolution)s END AS target,
               LEAST(r.nxt, z.nxt) AS next_at) g
    CROSS JOIN LATERAL (
        SELECT CASE WHEN g.found > o.base_level THEN g.found ELSE o.base_level END AS level) l
    CROSS JOIN LATERAL (
        SELECT CASE WHEN g.target IS NULL THEN b.sla_state WHEN l.level = 0 THEN %(on_track)s
                    WHEN l.level = 1 THEN %(at_risk)s ELSE %(breached)s END AS sla_state,
               o.response_breached OR COALESCE(r.lvl >= 2, false) AS response_breached,
               b.resolution_breached OR COALESCE(z.lvl >= 2, false) AS resolution_breached) n
), u AS (
    UPDATE {table} t
    SET sla_state = f.sla_state, escalation_level = f.level, response_breached = f.response_breached,
        resolution_breached = f.resolution_breached, response_due_at = f.response_due,
        sla_next_check_at = f.next_at, updated_at = %(now)s
    FROM f
    WHERE t.id = f.id AND f.changed AND f.known
      AND t.id BETWEEN (SELECT min(f.id) FROM f) AND (SELECT max(f.id) FROM f)
), x AS (
    SELECT f.id, f.estate_id, f.assignee_id, f.status, f.target, f.number, f.title, f.due, s.step
    FROM f JOIN (VALUES (1), (2), (3)) AS s (step) ON s.step > f.base_level AND s.step <= f.level
    WHERE f.known AND NOT (s.step = 1 AND f.level >= 2)
), ev AS (
    INSERT INTO {events} (estate_id, ticket_id, at, action, from_status, to_status, note)
    SELECT x.estate_id, x.id, %(now)s, (%(actions)s::text[])[x.step], x.status, x.status,
           (%(notes)s::text[])[nt.note]
    FROM x JOIN nt ON nt.estate_id = x.estate_id AND nt.assignee_id = COALESCE(x.assignee_id, 0)
                  AND nt.level = x.step AND nt.target = x.target
    ORDER BY x.id, x.step
    RETURNING 1
), g AS (
    SELECT x.estate_id, x.assignee_id, x.step, x.target, count(*) AS n, min(x.id) AS first_id,
           (array_agg(x.id ORDER BY x.id))[1:%(digest)s] AS ids,
           (array_agg(x.number ORDER BY x.id))[1:%(digest)s] AS numbers,
           (array_agg(x.title ORDER BY x.id))[1] AS title, (array_agg(x.due ORDER BY x.id))[1] AS due
    FROM x GROUP BY x.estate_id, x.assignee_id, x.step, x.target
)
SELECT c.checked, (SELECT count(*) FROM ev), g.estate_id, g.assignee_id, g.step, g.target, g.n, g.first_id, g.ids,
       g.numbers, g.title, g.due
FROM (SELECT count(*) FILTER (WHERE f.known) AS checked FROM f) c
LEFT JOIN g ON true
"""


class _Who:
    """A ticket as far as the recipients of its steps go."""

    __slots__ = ("assignee_id", "estate_id")

    def __init__(self, estate_id, assignee_id):
        self.estate_id, self.assignee_id = estate_id, assignee_id


def _step_kinds(pairs, contexts: dict) -> dict[tuple, tuple]:
    """(estate, assignee, level, target) → (timeline note, recipients, recipients' ids) of every step a ticket of
    those (estate, assignee) pairs may take: what a step says and whom it tells depend on nothing else."""
    users, supervisors = _people({a for _e, a in pairs if a}, {(e, a) for e, a in pairs if a})
    kinds, notes = {}, {}
    with translation.override(settings.LANGUAGE_CODE):
        for estate_id, assignee_id in pairs:
            who = _Who(estate_id, assignee_id)
            for level in STEP_ACTIONS:
                recipients = _recipients(who, level, contexts[estate_id], users, supervisors)
                key = tuple(u.pk for u in recipients)
                for target in (RESPONSE, RESOLUTION):
                    note = notes.get((level, target, key))
                    if note is None:
                        note = notes[(level, target, key)] = _step_note(level, target, recipients)
                    kinds[(estate_id, assignee_id, level, target)] = (note, recipients, key)
    return kinds


# The due tickets the SQL sweep takes (found through the queue's index), by estate and assignee.
SQL_DUE = """
SELECT t.estate_id, t.assignee_id, array_agg(t.id ORDER BY t.id)
FROM {checks} c JOIN {table} t ON t.id = c.ticket_id
WHERE c.next_check_at <= %(now)s AND t.sla_next_check_at <= %(now)s AND {with_thresholds}
GROUP BY t.estate_id, t.assignee_id
"""


def _sweep_in_sql(now, contexts: dict, stats: Counter) -> None:
    """The tickets on PostgreSQL (but ``_without_thresholds``): one statement per batch locks the due tickets, computes their
    standing, writes the changed rows, appends the steps to the timelines and returns the steps grouped by estate,
    assignee, level and target; Python sends one notification per recipient and kind of step. The notes are worked
    out beforehand for every (estate, assignee) of the due tickets; a ticket reassigned meanwhile to someone else
    is left for the next round. The due tickets' ids are read first, and each batch names its own: a batch then
    reads exactly its tickets, not every ticket with a lower id on the way to them."""
    done: set = set()
    for _round in range(3):
        with connection.cursor() as cursor:
            cursor.execute(_sql_due_statement(), {"now": now, "working": SlaClock.WORKING})
            due = {(estate_id, assignee_id): ids for estate_id, assignee_id, ids in cursor.fetchall()}
        pairs = set(due) - done
        if not pairs:
            return
        _load_contexts({e for e, _a in pairs}, contexts)
        pairs = sorted((p for p in pairs if p[0] in contexts), key=lambda p: (p[0], p[1] or 0))
        done.update(pairs)
        _sweep_pairs_in_sql(now, pairs, sorted(pk for pair in pairs for pk in due[pair]), contexts, stats)


def _sweep_pairs_in_sql(now, pairs: list, ids: list[int], contexts: dict, stats: Counter) -> None:
    kinds = _step_kinds(pairs, contexts)
    notes: dict[str, int] = {}
    kind_rows = [(e, a or 0, level, target, notes.setdefault(note, len(notes) + 1))
                 for (e, a, level, target), (note, _r, _k) in kinds.items()]
    estate_ids = sorted({e for e, _a in pairs})
    shares = [contexts[e].shares for e in estate_ids]
    params = {"estates": estate_ids, "p_estate": [e for e, _a in pairs], "p_assignee": [a or 0 for _e, a in pairs],
              "rn": [s.at_risk.numerator for s in shares], "rd": [s.at_risk.denominator for s in shares],
              "mn": [s.manager_after.numerator for s in shares], "md": [s.manager_after.denominator for s in shares],
              "risk_us": [_whole_micros(s.at_risk) for s in shares],
              "manager_us": [_whole_micros(s.manager_after) for s in shares],
              **{name: [row[i] for row in kind_rows]
                 for i, name in enumerate(("n_estate", "n_assignee", "n_level", "n_target", "n_note"))},
              "notes": list(notes), "actions": [STEP_ACTIONS[level] for level in sorted(STEP_ACTIONS)],
              "now": now, "working": SlaClock.WORKING, "open": sorted(OPEN_STATUSES),
              "response": RESPONSE, "resolution": RESOLUTION, "digest": DIGEST_LIST, "on_track": SlaState.ON_TRACK,
              "at_risk": SlaState.AT_RISK, "breached": SlaState.BREACHED}
    sql = _sql_sweep_statement()
    for start in range(0, len(ids), SWEEP_BATCH):
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Compiling this statement's many expressions (JIT) would take longer than running it; a batch's
                # rows (its CTEs, the trigger's transition table) fit in memory instead of spilling to disk.
                cursor.execute("SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true)",
                               [SWEEP_WORK_MEM])
                cursor.execute(sql, {**params, "ids": ids[start:start + SWEEP_BATCH]})
                rows = cursor.fetchall()
            checked, events = rows[0][:2]
            stats["checked"] += checked
            groups = [row[2:] for row in rows if row[2] is not None]
            if events != sum(group[4] for group in groups):  # a step without its note: never half a batch
                raise RuntimeError("SLA sweep: steps and timeline events differ")
            _notify_groups(groups, kinds, contexts, stats)


def _notify_groups(groups: list, kinds: dict, contexts: dict, stats: Counter) -> None:
    """One notification per recipient and kind of step (a digest when one person has several tickets), in the
    order of the tickets, as ``_take_steps`` sends them."""
    outbox: dict[tuple[int, int], dict[tuple, list]] = defaultdict(lambda: defaultdict(list))
    for estate_id, assignee_id, level, target, count, first_id, ids, numbers, title, due in groups:
        _note, recipients, key = kinds[(estate_id, assignee_id, level, target)]
        stats[STEP_ACTIONS[level]] += count
        if key:
            outbox[(estate_id, level)][tuple(sorted(key))].append(
                (first_id, count, ids, numbers, title, due, target, recipients))
    boxes = sorted(outbox.items(), key=lambda kv: (min(g[0] for gs in kv[1].values() for g in gs), kv[0][1]))
    for (estate_id, level), by_recipients in boxes:
        estate = contexts[estate_id].estate
        for items in sorted(by_recipients.values(), key=lambda gs: min(g[0] for g in gs)):
            count = sum(g[1] for g in items)
            recipients = items[0][7]
            if count == 1:
                _first, _n, _ids, numbers, title, due, target, _r = items[0]
                _notify_step(estate, level, recipients, 1, numbers, (numbers[0], title, target, due))
                continue
            firsts = sorted((i, n) for g in items for i, n in zip(g[2], g[3], strict=True))[:DIGEST_LIST]
            _notify_step(estate, level, recipients, count, [n for _i, n in firsts], None)


def _whole_micros(share: Fraction) -> int | None:
    """``share`` of a minute in microseconds when that is a whole number (then N minutes are N times it)."""
    micros = share * 60_000_000
    return int(micros) if micros.denominator == 1 else None


# The complement of _without_thresholds() (never null): the due tickets the SQL sweep takes.
SQL_WITH_THRESHOLDS = """NOT (t.sla_clock = %(working)s
         AND ((t.response_due_at IS NOT NULL AND COALESCE(t.response_minutes, 0) > 0 AND t.first_response_at IS NULL
               AND (t.response_at_risk_at IS NULL OR t.response_escalate_at IS NULL))
              OR (t.resolution_due_at IS NOT NULL AND COALESCE(t.resolution_minutes, 0) > 0
                  AND (t.resolution_at_risk_at IS NULL OR t.resolution_escalate_at IS NULL))))"""


@lru_cache(maxsize=1)
def _sql_due_statement() -> str:
    return SQL_DUE.format(table=connection.ops.quote_name(Ticket._meta.db_table),
                          checks=connection.ops.quote_name(TicketSlaCheck._meta.db_table),
                          with_thresholds=SQL_WITH_THRESHOLDS)


@lru_cache(maxsize=1)
def _sql_sweep_statement() -> str:
    response_running = ("o.open AND b.first_response_at IS NULL AND b.response_due_at IS NOT NULL "
                        "AND COALESCE(b.response_minutes, 0) <> 0")
    resolution_running = "o.open AND b.resolution_due_at IS NOT NULL AND COALESCE(b.resolution_minutes, 0) <> 0"
    return SQL_SWEEP.format(
        table=connection.ops.quote_name(Ticket._meta.db_table), with_thresholds=SQL_WITH_THRESHOLDS,
        events=connection.ops.quote_name(TicketEvent._meta.db_table),
        response=_standing_sql(response_running, "b.response_due_at", "b.response_minutes",
                               "b.response_at_risk_at", "b.response_escalate_at"),
        resolution=_standing_sql(resolution_running, "b.resolution_due_at", "b.resolution_minutes",
                                 "b.resolution_at_risk_at", "b.resolution_escalate_at"))


def _sweep_batch(rows: list[_Row], now, contexts, clocks: Clocks, stats: Counter) -> None:
    _load_contexts({t.estate_id for t in rows}, contexts)
    changed, steps = [], []  # steps: (ticket, level, target)
    for ticket in rows:
        stats["checked"] += 1
        context = contexts[ticket.estate_id]
        before = (ticket.sla_state, ticket.escalation_level, ticket.response_breached, ticket.resolution_breached,
                  ticket.response_due_at, ticket.sla_next_check_at)
        if ticket.first_response_at is not None and ticket.response_due_at is not None:
            # Responded by a path that does not stop the clock itself (a comment): settle the response target.
            ticket.response_breached = ticket.response_breached or ticket.first_response_at > ticket.response_due_at
            ticket.response_due_at = None
            ticket.escalation_level = 0
        if ticket.status not in OPEN_STATUSES:
            ticket.sla_next_check_at = None
        else:
            clock = clocks.get(ticket.estate_id, ticket.sla_clock)
            found = standing(ticket, now, clock, context.shares)
            if RESPONSE in found.breached:
                ticket.response_breached = True
            if RESOLUTION in found.breached:
                ticket.resolution_breached = True
            if found.level > ticket.escalation_level:
                for level in range(ticket.escalation_level + 1, found.level + 1):
                    if level == 1 and found.level >= 2:
                        continue  # already late: "at risk" would be news from the past
                    steps.append((ticket, level, found.target))
                ticket.escalation_level = found.level
            if found.target is not None:
                ticket.sla_state = STATE_OF_LEVEL[ticket.escalation_level]
            ticket.sla_next_check_at = found.next_at
        after = (ticket.sla_state, ticket.escalation_level, ticket.response_breached, ticket.resolution_breached,
                 ticket.response_due_at, ticket.sla_next_check_at)
        if after != before:
            ticket.updated_at = now
            changed.append(ticket)
    if changed:
        _bulk_write(changed)
    if steps:
        _take_steps(steps, now, contexts, stats)


def _values_sql(row_sql: str, count: int) -> str:
    return ", ".join([row_sql] * count)


PG_ARRAY = {"DateTimeField": "timestamptz[]", "BooleanField": "boolean[]", "CharField": "text[]",
            "TextField": "text[]", "PositiveSmallIntegerField": "integer[]", "ForeignKey": "bigint[]",
            "BigAutoField": "bigint[]"}


def _pg_unnest(fields) -> str:
    return ", ".join(f"%s::{PG_ARRAY[f.get_internal_type()]}" for f in fields)


def _bulk_write(tickets: list[_Row]) -> None:
    """Write the sweep's fields of many tickets in one statement per chunk: UPDATE ... FROM the rows (an
    ``unnest`` of arrays on PostgreSQL, a VALUES list on SQLite 3.33+). Django's bulk_update builds a CASE per
    field and row, which is quadratic."""
    meta, quote = Ticket._meta, connection.ops.quote_name
    if connection.vendor == "postgresql":
        fields = [meta.get_field(name) for name in ("id", *UPDATE_FIELDS)]
        columns = ", ".join(quote(f.column) for f in fields)
        assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields[1:])
        table = quote(meta.db_table)
        with connection.cursor() as cursor:
            for start in range(0, len(tickets), SWEEP_BATCH):
                chunk = tickets[start:start + SWEEP_BATCH]
                arrays = [[getattr(t, f.attname) for t in chunk] for f in fields]
                # The id range lets the planner find the rows by the primary key: without it, it hashes the
                # unnest and scans the whole table for every chunk.
                ids = arrays[0]
                cursor.execute(f"UPDATE {table} SET {assignments} FROM unnest({_pg_unnest(fields)}) "  # noqa: S608
                               f"AS v ({columns}) WHERE {table}.{quote('id')} = v.{quote('id')} "
                               f"AND {table}.{quote('id')} BETWEEN %s AND %s", [*arrays, min(ids), max(ids)])
        return
    fields = [meta.get_field(name) for name in UPDATE_FIELDS]
    pg = connection.vendor == "postgresql"
    cast = {"DateTimeField": "::timestamptz", "BooleanField": "::boolean", "CharField": "::varchar",
            "PositiveSmallIntegerField": "::integer"}
    row_sql = "(" + ", ".join(["%s" + ("::bigint" if pg else "")] + [
        "%s" + (cast.get(f.get_internal_type(), "") if pg else "") for f in fields]) + ")"
    columns = ", ".join(quote(f.column) for f in fields)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    table = quote(meta.db_table)
    dates = [f.get_internal_type() == "DateTimeField" for f in fields]
    names = list(UPDATE_FIELDS)
    adapt = _datetime_io()[1]
    with connection.cursor() as cursor:
        for start in range(0, len(tickets), WRITE_CHUNK):
            chunk = tickets[start:start + WRITE_CHUNK]
            params = []
            for ticket in chunk:
                params.append(ticket.id)
                for name, is_date in zip(names, dates, strict=True):
                    value = getattr(ticket, name)
                    params.append(adapt(value) if is_date else value)
            cursor.execute(f"WITH v (id, {columns}) AS (VALUES {_values_sql(row_sql, len(chunk))}) "  # noqa: S608
                           f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{quote('id')} = v.id", params)


EVENT_COLUMNS = ("estate_id", "ticket_id", "at", "action", "from_status", "to_status", "note")


def _insert_events(events: list[tuple]) -> None:
    """Append the steps to the timelines: one multi-row INSERT per chunk (the timeline is append-only)."""
    meta, quote = TicketEvent._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(meta.get_field(name).column) for name in EVENT_COLUMNS)
    if connection.vendor == "postgresql" and _insert_events_joined(events, table, columns):
        return
    if connection.vendor == "postgresql":
        fields = [meta.get_field(name) for name in EVENT_COLUMNS]
        with connection.cursor() as cursor:
            for start in range(0, len(events), SWEEP_BATCH):
                chunk = events[start:start + SWEEP_BATCH]
                arrays = [list(column) for column in zip(*chunk, strict=True)]
                cursor.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({_pg_unnest(fields)})",  # noqa: S608
                               arrays)
        return
    row_sql = "(" + ", ".join(["%s"] * len(EVENT_COLUMNS)) + ")"
    adapt = _datetime_io()[1]
    with connection.cursor() as cursor:
        for start in range(0, len(events), WRITE_CHUNK):
            chunk = events[start:start + WRITE_CHUNK]
            params = []
            for estate_id, ticket_id, at, action, from_status, to_status, note in chunk:
                params.extend((estate_id, ticket_id, adapt(at), action, from_status, to_status, note))
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {_values_sql(row_sql, len(chunk))}",  # noqa: S608
                           params)


def _insert_events_joined(events: list[tuple], table: str, columns: str) -> bool:
    """PostgreSQL: the events in one INSERT ... SELECT whose columns come as comma-joined text (the ids and the
    status codes) and indexes into the few distinct notes: adapting 100,000 values one by one into array
    parameters costs more than the INSERT itself. False (nothing written) when the events do not fit that."""
    if len({at for _e, _t, at, *_rest in events}) != 1:
        return False
    codes = {code for event in events for code in event[3:6]}
    if any("," in code for code in codes):
        return False
    notes: dict[str, int] = {}
    note_ids = [notes.setdefault(event[6], len(notes) + 1) for event in events]
    params = {"at": events[0][2], "notes": list(notes),
              **{name: ",".join([str(event[i]) for event in events])
                 for i, name in ((0, "estates"), (1, "tickets"), (3, "actions"), (4, "froms"), (5, "tos"))},
              "note_ids": ",".join(map(str, note_ids))}
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) "  # noqa: S608
            "SELECT v.estate_id, v.ticket_id, %(at)s, v.action, v.from_status, v.to_status, "
            "(%(notes)s::text[])[v.note] "
            "FROM unnest(string_to_array(%(estates)s, ',')::bigint[], string_to_array(%(tickets)s, ',')::bigint[], "
            "string_to_array(%(actions)s, ','), string_to_array(%(froms)s, ','), string_to_array(%(tos)s, ','), "
            "string_to_array(%(note_ids)s, ',')::integer[]) "
            "WITH ORDINALITY AS v (estate_id, ticket_id, action, from_status, to_status, note, n) ORDER BY v.n",
            params)
    return True


def _people(assignee_ids: set, needs_supervisor: set) -> tuple[dict, dict]:
    """The assignees by id, and the supervisors by (estate, technician) of ``needs_supervisor``."""
    users = get_user_model().objects.in_bulk(assignee_ids) if assignee_ids else {}
    supervisors: dict[tuple[int, int], object] = {}
    if needs_supervisor:
        for profile in (TechnicianProfile.objects.filter(estate_id__in={e for e, _u in needs_supervisor},
                                                         user_id__in={u for _e, u in needs_supervisor},
                                                         supervisor__isnull=False).select_related("supervisor")):
            supervisors[(profile.estate_id, profile.user_id)] = profile.supervisor
    return users, supervisors


def _take_steps(steps: list, now, contexts, stats: Counter) -> None:
    """Write the steps' timeline events and send their notifications, grouped: one notification per recipient
    and kind of step (a digest when one person has several tickets in one batch)."""
    users, supervisors = _people(
        {t.assignee_id for t, _level, _target in steps if t.assignee_id},
        {(t.estate_id, t.assignee_id) for t, level, _target in steps if level == 2 and t.assignee_id})
    events = []
    notes: dict[tuple, str] = {}
    outbox: dict[tuple[int, int], dict[tuple, list]] = defaultdict(lambda: defaultdict(list))
    # What a step says and whom it tells depend only on the estate, the assignee, the level and the target.
    kinds: dict[tuple, tuple] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for ticket, level, target in steps:
            kind = kinds.get((ticket.estate_id, ticket.assignee_id, level, target))
            if kind is None:
                recipients = _recipients(ticket, level, contexts[ticket.estate_id], users, supervisors)
                key = tuple(u.pk for u in recipients)
                note = notes.get((level, target, key))
                if note is None:
                    note = notes[(level, target, key)] = _step_note(level, target, recipients)
                group = outbox[(ticket.estate_id, level)][tuple(sorted(key))] if key else None
                kind = kinds[(ticket.estate_id, ticket.assignee_id, level, target)] = (
                    STEP_ACTIONS[level], note, group, recipients)
            action, note, group, recipients = kind
            events.append((ticket.estate_id, ticket.id, now, action, ticket.status, ticket.status, note))
            stats[action] += 1
            if group is not None:
                group.append((ticket, target, recipients))
    _insert_events(events)
    for (estate_id, level), groups in outbox.items():
        estate = contexts[estate_id].estate
        for items in groups.values():
            _send(estate, level, items)


def _recipients(ticket, level: int, context: _EstateContext, users: dict, supervisors: dict) -> list:
    if level == 1:
        assignee = users.get(ticket.assignee_id)
        return [assignee] if assignee else context.role(Role.DISPATCHER, Role.CUSTOMER_SERVICE)
    if level == 2:
        supervisor = supervisors.get((ticket.estate_id, ticket.assignee_id))
        return [supervisor] if supervisor else context.role(Role.DISPATCHER)
    return context.role(Role.MANAGER)


NOTES = {
    (1, RESPONSE): _("The response target is at risk; told: %(whom)s."),
    (1, RESOLUTION): _("The resolution target is at risk; told: %(whom)s."),
    (2, RESPONSE): _("The response target was missed; told: %(whom)s."),
    (2, RESOLUTION): _("The resolution target was missed; told: %(whom)s."),
    (3, RESPONSE): _("Still no response long after the target: escalated to %(whom)s."),
    (3, RESOLUTION): _("Still not resolved long after the target: escalated to %(whom)s."),
}


def _step_note(level: int, target: str, recipients: list) -> str:
    names = [str(u) for u in recipients[:5]] + (["…"] if len(recipients) > 5 else [])
    whom = "、".join(names) if names else gettext("nobody (no one holds the role)")
    return str(NOTES[(level, target)]) % {"whom": whom}


TITLES = {
    1: _("Ticket %(number)s may miss its target"),
    2: _("Ticket %(number)s is late"),
    3: _("Ticket %(number)s is late: escalated to the managers"),
}
BODIES = {
    (1, RESPONSE): _("Ticket %(number)s “%(title)s” should be responded to by %(due)s."),
    (1, RESOLUTION): _("Ticket %(number)s “%(title)s” should be resolved by %(due)s."),
    (2, RESPONSE): _("Ticket %(number)s “%(title)s” was to be responded to by %(due)s and is late."),
    (2, RESOLUTION): _("Ticket %(number)s “%(title)s” was to be resolved by %(due)s and is late."),
    (3, RESPONSE): _("Ticket %(number)s “%(title)s” was to be responded to by %(due)s and is still late."),
    (3, RESOLUTION): _("Ticket %(number)s “%(title)s” was to be resolved by %(due)s and is still late."),
}
DIGEST_TITLES = {
    1: _("%(count)s tickets may miss their targets"),
    2: _("%(count)s tickets are late"),
    3: _("%(count)s late tickets escalated to the managers"),
}
DIGEST_BODY = _("Tickets: %(numbers)s")
DIGEST_LIST = 20


def _send(estate, level: int, items: list) -> None:
    single = None
    if len(items) == 1:
        ticket, target, _r = items[0]
        single = (ticket.number, ticket.title, target,
                  ticket.response_due_at if target == RESPONSE else ticket.resolution_due_at)
    _notify_step(estate, level, items[0][2], len(items), [t.number for t, _target, _r in items[:DIGEST_LIST]],
                 single)


def _notify_step(estate, level: int, recipients: list, count: int, numbers: list, single: tuple | None) -> None:
    """The alert of one kind of step to its recipients: about the ticket when there is one (``single``: number,
    title, target, due), else a digest listing the first ``numbers``."""
    if single is not None:
        number, title, target, due = single
        notify(estate=estate, users=recipients, kind=NotificationKind.SLA_ALERT, title=TITLES[level],
               body=BODIES[(level, target)],
               params={"number": number, "title": title,
                       "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "—"})
        return
    numbers = list(numbers[:DIGEST_LIST])
    if count > DIGEST_LIST:
        numbers.append(f"(+{count - DIGEST_LIST})")
    notify(estate=estate, users=recipients, kind=NotificationKind.SLA_ALERT, title=DIGEST_TITLES[level],
           body=DIGEST_BODY, params={"count": count, "numbers": ", ".join(numbers)})


# --- countdown (pages) -------------------------------------------------------------------------------------------
def sla_countdown(ticket, now: datetime | None = None, *, clocks: Clocks | None = None) -> dict:
    """What a page shows of a ticket's SLA now: ``target`` running ("response", "resolution" or None),
    ``due_at``, ``seconds_left`` (the time left in the ticket's clock: working seconds for a working-hours
    target; when late, negative: the wall-clock time since it was due), ``state`` (SlaState), ``paused``, ``clock``, ``escalation_level`` and the breach flags. Pass
    one ``clocks`` for a list of tickets so that the estate calendar is read once."""
    now = now or timezone.now()
    result = {"target": None, "due_at": None, "seconds_left": None, "state": ticket.sla_state,
              "paused": ticket.sla_paused_at is not None, "clock": ticket.sla_clock,
              "escalation_level": ticket.escalation_level, "response_breached": ticket.response_breached,
              "resolution_breached": ticket.resolution_breached}
    if result["paused"]:
        result["target"] = RESOLUTION
        result["seconds_left"] = (ticket.sla_remaining_minutes or 0) * 60
        return result
    running = running_targets(ticket)
    if not running:
        return result
    name, due = running[0][:2]
    clock = (clocks or Clocks()).get(ticket.estate_id, ticket.sla_clock)
    left = clock.between(now, due) if now <= due else due - now
    result.update(target=name, due_at=due, seconds_left=int(left.total_seconds()))
    return result

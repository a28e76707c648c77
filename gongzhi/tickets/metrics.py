"""Ticket metrics per period (issue 3, "Staff console and metrics"): response and resolution times, the share
resolved within the SLA, ratings and reopen rate, overall, by category and by technician (the assignee).

What counts where. A period is a range of local dates (the estate's time zone, settings.TIME_ZONE), both days
included: a ticket submitted at 23:59:59 on the last day is in it, one submitted at 00:00:00 the next day is not.

- ``submitted`` and the response figures are about the tickets *submitted* in the period: the response time is
  submitted → first response (``first_response_at``), for those that have had one; the response-breach share is
  the tickets flagged ``response_breached`` over those with a response target.
- ``resolved`` and the resolution figures are about the tickets *resolved* in the period (``resolved_at``; a
  reopened ticket counts when it is resolved again): the resolution time is submitted → resolved minus the time
  the SLA clock was paused waiting for the resident (``sla_paused_minutes``); the share within SLA is the resolved
  tickets not flagged ``resolution_breached`` over the resolved tickets that have a resolution target; the reopen
  rate is the resolved tickets reopened at least once (``reopen_count > 0``) over the resolved tickets.
- Ratings are the Rating rows given in the period (``rated_at``), by the category of their ticket and by the
  technician whose work was rated (``Rating.assignee``). An unrated ticket counts as nothing: never as a score.

Exactness: times are whole minutes (each timestamp is taken to its whole second, so a ticket's time is an exact
number of seconds; the percentile is picked among those, then rounded to the nearest minute, half up); shares are ``Decimal`` percentages to 1 place and the average rating a
``Decimal`` to 2 places (ROUND_HALF_UP); a figure with nothing to compute it from is ``None``, never 0. No float
takes part anywhere.

Who sees what (``MetricsPolicy``): the ticket desk (managers, dispatchers, customer service) sees everything,
including the figures by technician and the tickets of the period in the export. The owners' committee (chair and
members) oversees the company's service (民法典 art. 943: service performance is disclosed to the owners), so it
sees the estate's aggregates, overall and by category, but not the figures of individual staff members nor the
tickets themselves. Technicians, other staff and residents see none. The aggregates cover every ticket of the
estate, so every viewer gets the same figures for the same period; the ticket list of the export is limited to
what the viewer may see (TicketPolicy), e.g. a complaint about a staff member only for the managers.

Speed: one query per table (tickets, ratings) fetching only the needed columns with ``values_list`` (timestamps
as integers computed by the database, no per-row converters), computed in one pass in Python; 100,000 tickets in
a period take about 0.4 s on SQLite and on PostgreSQL (bench/tickets_bench.py, bench/README.md).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BigIntegerField, F, Func, IntegerField, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import COMMITTEE_ROLES
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import DomainError, Forbidden

from .choices import Priority, TicketKind, TicketStatus
from .models import Category, Rating, Ticket
from .policies import DESK_ROLES

MAX_PERIOD_DAYS = 366
PERCENT_PLACES = Decimal("0.1")
RATING_PLACES = Decimal("0.01")
ONE_SECOND = datetime.timedelta(seconds=1)

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class EpochSeconds(Func):
    """A timestamp as whole seconds since 1970-01-01 UTC (floor), computed by the database: an integer is all the
    arithmetic needs, and it spares parsing 300,000 timestamps into datetime objects (most of the time on SQLite).
    Differences of two of them are exact integers."""

    arity = 1
    output_field = BigIntegerField()
    convert_value = staticmethod(Func._convert_value_noop)  # the driver's int is the value: no per-row converter
    # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff" in UTC: the first 19 characters are the whole second (strftime
    # alone would round the fraction to milliseconds first). The doubled %% survives the template and the
    # backend's placeholder conversion as one literal %.
    template = "CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER)"

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint",
                           **extra)


class AsIs(Func):
    """A column as the driver returns it, without Django's per-row converter (a boolean stays SQLite's 0/1):
    with no converter at all, 100,000 rows come straight from the cursor."""

    arity = 1
    template = "%(expressions)s"
    output_field = IntegerField()
    convert_value = staticmethod(Func._convert_value_noop)


def epoch_seconds(moment: datetime.datetime) -> int:
    return (moment - EPOCH) // ONE_SECOND


# The columns one pass needs, in this order (bench/tickets_bench.py measures exactly this fetch).
TICKET_COLUMNS = ("category_id", "assignee_id", EpochSeconds("submitted_at"), EpochSeconds("first_response_at"),
                  EpochSeconds("resolved_at"), "sla_paused_minutes", "response_minutes", "resolution_minutes",
                  AsIs("response_breached"), AsIs("resolution_breached"), "reopen_count")
RATING_COLUMNS = ("score", "assignee_id", "ticket__category_id")


# --- who may see --------------------------------------------------------------------------------------------------


class MetricsPolicy:
    """``view``: the estate's aggregates (desk and owners' committee); ``by_technician``: the figures of each
    assignee (desk only); ``tickets``: the tickets of the period in the export (desk only)."""

    @staticmethod
    def can(actor: Actor, action: str, obj=None) -> bool:
        if action == "view":
            return actor.has_any(DESK_ROLES | COMMITTEE_ROLES)
        if action in {"by_technician", "tickets"}:
            return actor.has_any(DESK_ROLES)
        return False


# --- the period ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local dates ``first`` to ``last``, both included; ``start``/``end`` are the aware instants [start, end)."""

    first: datetime.date
    last: datetime.date

    @classmethod
    def of(cls, first: datetime.date | None = None, last: datetime.date | None = None, *,
           today: datetime.date | None = None) -> Period:
        """The period asked for; without dates, this month (its first to its last day). Only one date given: from
        it to the end of its month, or from the start of its month to it. Refuses a period that ends before it
        starts or is longer than MAX_PERIOD_DAYS (``metrics_period``)."""
        today = today or timezone.localdate()
        if first is None and last is None:
            first = today.replace(day=1)
        elif first is None:
            first = last.replace(day=1)
        if last is None:
            last = _month_end(first)
        if last < first:
            raise DomainError(_("The period ends (%(last)s) before it starts (%(first)s)."), code="metrics_period",
                              first=first.isoformat(), last=last.isoformat())
        if (last - first).days + 1 > MAX_PERIOD_DAYS:
            raise DomainError(_("A period is at most %(days)s days long."), code="metrics_period",
                              days=MAX_PERIOD_DAYS)
        return cls(first, last)

    @property
    def start(self) -> datetime.datetime:
        return _local_midnight(self.first)

    @property
    def end(self) -> datetime.datetime:
        return _local_midnight(self.last + datetime.timedelta(days=1))


def _month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone())


def previous_month(period: Period) -> Period:
    last = period.first.replace(day=1) - datetime.timedelta(days=1)
    return Period(last.replace(day=1), last)


# --- the arithmetic -----------------------------------------------------------------------------------------------


def percentile(values: list[int], p: int) -> int | None:
    """The p-th percentile of ``values`` (sorted ascending) by the NEAREST-RANK method: the smallest value such
    that at least p % of the values are at or below it, i.e. the value of rank ceil(p × n / 100) (1-based).

    It is always one of the values (a real ticket's time), never an interpolation, so it needs no rounding and
    no float: the median of [1, 2, 3] is 2, of [1, 2, 3, 4] it is 2 (the lower middle value); p90 of 1..10 is 9,
    of 1..20 it is 18; one value is every percentile of itself; no values → None."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError(p)
    rank = -(-p * len(values) // 100)  # ceil without float
    return values[rank - 1]


def whole_minutes(seconds: int | None) -> int | None:
    """Seconds to the nearest whole minute, half up (89 s → 1 min, 90 s → 2 min)."""
    return None if seconds is None else (seconds + 30) // 60


def share(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage to 1 place, half up; None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def average(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(RATING_PLACES, rounding=ROUND_HALF_UP)


def _seconds(since: datetime.datetime, until: datetime.datetime) -> int:
    """Seconds from ``since`` to ``until``, each taken to the whole second as the database does (EpochSeconds);
    never below 0, whatever bad data says."""
    return max(0, epoch_seconds(until) - epoch_seconds(since))


@dataclass
class Tally:
    """The running counts of one group (the estate, a category or a technician)."""

    submitted: int = 0
    response: list[int] = field(default_factory=list)  # seconds, tickets submitted in the period and responded to
    response_targeted: int = 0
    response_breached: int = 0
    resolved: int = 0
    resolution: list[int] = field(default_factory=list)  # seconds net of the paused time, tickets resolved
    resolution_targeted: int = 0
    within_sla: int = 0
    reopened: int = 0
    rating_total: int = 0
    rating_count: int = 0

    def add(self, other: Tally) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.response.extend(other.response)
        self.resolution.extend(other.resolution)

    def figures(self) -> dict[str, Any]:
        self.response.sort()
        self.resolution.sort()
        return {
            "submitted": self.submitted,
            "responded": len(self.response),
            "response_median_minutes": whole_minutes(percentile(self.response, 50)),
            "response_p90_minutes": whole_minutes(percentile(self.response, 90)),
            "response_breached": self.response_breached,
            "response_breach_percent": share(self.response_breached, self.response_targeted),
            "resolved": self.resolved,
            "resolution_median_minutes": whole_minutes(percentile(self.resolution, 50)),
            "resolution_p90_minutes": whole_minutes(percentile(self.resolution, 90)),
            "within_sla": self.within_sla,
            "within_sla_percent": share(self.within_sla, self.resolution_targeted),
            "reopened": self.reopened,
            "reopen_percent": share(self.reopened, self.resolved),
            "average_rating": average(self.rating_total, self.rating_count),
            "rating_count": self.rating_count,
        }


COUNTS = ("submitted", "response_targeted", "response_breached", "resolved", "resolution_targeted", "within_sla",
          "reopened", "rating_total", "rating_count")


@dataclass
class Tallies:
    overall: Tally = field(default_factory=Tally)
    by_category: dict[int, Tally] = field(default_factory=dict)
    by_assignee: dict[int | None, Tally] = field(default_factory=dict)


def tally(tickets, ratings, period: Period) -> Tallies:
    """One pass over ``tickets`` (tuples in TICKET_COLUMNS order, timestamps as epoch seconds: the tickets
    submitted or resolved in the period, each once) and ``ratings`` (tuples in RATING_COLUMNS order, the ratings
    of the period). Each row updates the tally of its (category, assignee) pair only; the overall, category and
    assignee tallies are sums of those. Pure: no database, so it is tested on known data."""
    start, end = epoch_seconds(period.start), epoch_seconds(period.end)
    pairs: dict[tuple, Tally] = {}
    for (category_id, assignee_id, submitted_at, responded_at, resolved_at, paused, response_target,
         resolution_target, response_breached, resolution_breached, reopen_count) in tickets:
        t = pairs.get((category_id, assignee_id))
        if t is None:
            t = pairs[(category_id, assignee_id)] = Tally()
        if start <= submitted_at < end:
            t.submitted += 1
            if responded_at is not None:
                t.response.append(responded_at - submitted_at if responded_at > submitted_at else 0)
            if response_target is not None:
                t.response_targeted += 1
                if response_breached:
                    t.response_breached += 1
        if resolved_at is not None and start <= resolved_at < end:
            t.resolved += 1
            t.resolution.append(max(0, resolved_at - submitted_at - 60 * (paused or 0)))
            if resolution_target is not None:
                t.resolution_targeted += 1
                if not resolution_breached:
                    t.within_sla += 1
            if reopen_count:
                t.reopened += 1
    for score, assignee_id, category_id in ratings:
        t = pairs.get((category_id, assignee_id))
        if t is None:
            t = pairs[(category_id, assignee_id)] = Tally()
        t.rating_total += score
        t.rating_count += 1
    result = Tallies()
    for (category_id, assignee_id), t in pairs.items():
        result.overall.add(t)
        result.by_category.setdefault(category_id, Tally()).add(t)
        result.by_assignee.setdefault(assignee_id, Tally()).add(t)
    return result


# --- the selectors ------------------------------------------------------------------------------------------------


def _in_period(period: Period) -> Q:
    return (Q(submitted_at__gte=period.start, submitted_at__lt=period.end)
            | Q(resolved_at__gte=period.start, resolved_at__lt=period.end))


def period_rows(*, estate, period: Period):
    """The raw rows of the period: (tickets, ratings) as value tuples. Every ticket of the estate counts (see the
    module's docstring); access is the caller's business (ticket_metrics checks it)."""
    if connection.vendor == "sqlite":
        # SQLite runs one estate (DESIGN.md §5): reading the table straight through is faster than one index
        # look-up per row, which is what the planner picks for estate_id without statistics. "+ 0" keeps the
        # index out (the unary-plus idiom of SQLite's query planner documentation).
        tickets = Ticket.objects.alias(in_estate=F("estate_id") + 0).filter(in_estate=estate.pk)
    else:
        tickets = Ticket.objects.for_estate(estate)
    tickets = tickets.filter(_in_period(period)).values_list(*TICKET_COLUMNS)
    ratings = (Rating.objects.for_estate(estate).filter(rated_at__gte=period.start, rated_at__lt=period.end)
               .order_by().values_list(*RATING_COLUMNS))
    return tickets, ratings


def _check(actor: Actor) -> None:
    if not MetricsPolicy.can(actor, "view"):
        raise Forbidden()


def ticket_metrics(*, actor: Actor, period: Period) -> dict[str, Any]:
    """The period's figures for ``actor``: overall, by category (every active category, and any inactive one with
    something in the period) and, for the desk, by assignee (``by_technician``; None for the committee). Four
    queries: tickets, ratings, categories, the assignees' names."""
    _check(actor)
    estate = actor.estate
    tickets, ratings = period_rows(estate=estate, period=period)
    tallies = tally(tickets.iterator(chunk_size=5000), ratings, period)
    categories = list(Category.objects.for_estate(estate)
                      .filter(Q(active=True) | Q(pk__in=list(tallies.by_category)))
                      .order_by("sort_key", "name").values_list("pk", "name", "kind"))
    by_category = [{"category_id": pk, "category": name, "kind": kind,
                    **tallies.by_category.get(pk, Tally()).figures()} for pk, name, kind in categories]
    by_technician = None
    if MetricsPolicy.can(actor, "by_technician"):
        ids = [pk for pk in tallies.by_assignee if pk is not None]
        names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
        rows = [{"assignee_id": pk, "name": names.get(pk) or str(pk), **tallies.by_assignee[pk].figures()}
                for pk in ids]
        rows.sort(key=lambda r: (-r["resolved"], r["name"], r["assignee_id"]))
        if None in tallies.by_assignee:
            rows.append({"assignee_id": None, "name": str(_("Unassigned")), **tallies.by_assignee[None].figures()})
        by_technician = rows
    return {"period": {"from": period.first, "to": period.last}, "overall": tallies.overall.figures(),
            "by_category": by_category, "by_technician": by_technician}


def period_tickets(*, actor: Actor, period: Period):
    """The tickets of the period (submitted or resolved in it) that ``actor`` may see, oldest first: for the
    export's ticket sheet (desk only)."""
    if not MetricsPolicy.can(actor, "tickets"):
        raise Forbidden()
    return (Ticket.objects.restrict(actor).filter(_in_period(period)).order_by("submitted_at", "pk")
            .values_list("number", "kind", "category__name", "priority", "status", "title", "assignee__name",
                         "assignee__phone", "submitted_at", "first_response_at", "resolved_at", "sla_paused_minutes",
                         "response_minutes", "resolution_minutes", "response_breached", "resolution_breached",
                         "reopen_count"))


# --- the .xlsx export ---------------------------------------------------------------------------------------------

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RISKY_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

# Bilingual headers, as the registry's workbooks have them ("中文 English").
FIGURE_HEADERS = (
    ("submitted", "提交数 submitted"),
    ("responded", "已响应 responded"),
    ("response_median_minutes", "响应时长中位数(分钟) response median (min)"),
    ("response_p90_minutes", "响应时长P90(分钟) response p90 (min)"),
    ("response_breach_percent", "响应超时率% response breached %"),
    ("resolved", "解决数 resolved"),
    ("resolution_median_minutes", "解决时长中位数(分钟) resolution median (min)"),
    ("resolution_p90_minutes", "解决时长P90(分钟) resolution p90 (min)"),
    ("within_sla_percent", "按时解决率% within SLA %"),
    ("reopen_percent", "返修率% reopened %"),
    ("average_rating", "平均评分 average rating"),
    ("rating_count", "评价数 ratings"),
)
TICKET_HEADERS = ("工单号 number", "类型 kind", "类别 category", "优先级 priority", "状态 status", "标题 title",
                  "处理人 assignee", "提交时间 submitted at", "首次响应 first response at", "解决时间 resolved at",
                  "响应时长(分钟) response (min)", "解决时长(分钟,扣除暂停) resolution (min, net of paused)",
                  "暂停(分钟) paused (min)", "响应超时 response breached", "解决超时 resolution breached",
                  "返修次数 times reopened")
YES, NO = "是 yes", "否 no"


def _bilingual(choices) -> dict[str, str]:
    """Each value's label in both languages ("报修 Repair"), made once per export, not once per row."""
    labels: dict[str, list[str]] = {value: [] for value in choices.values}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value, label in choices.choices:
                if str(label) not in labels[value]:
                    labels[value].append(str(label))
    return {value: " ".join(texts) for value, texts in labels.items()}


class _Sheet:
    def __init__(self, workbook, title: str, headers, widths):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font, PatternFill
        from openpyxl.utils import get_column_letter

        self._cell = WriteOnlyCell
        self.sheet = workbook.create_sheet(title)
        for position, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(position)].width = width
        self.sheet.freeze_panes = "A2"
        font, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        row = []
        for header in headers:
            cell = WriteOnlyCell(self.sheet, value=header)
            cell.font, cell.fill = font, fill
            row.append(cell)
        self.sheet.append(row)

    def append(self, values) -> None:
        self.sheet.append([self.cell(v) for v in values])

    def cell(self, value):
        if isinstance(value, datetime.datetime):
            cell = self._cell(self.sheet, value=timezone.localtime(value).replace(tzinfo=None))
            cell.number_format = DATETIME_FORMAT
            return cell
        if isinstance(value, str) and value.startswith(RISKY_PREFIXES):
            # Shown as text, never evaluated as a formula (CSV/formula injection), as the registry export does.
            cell = self._cell(self.sheet, value=value)
            cell.data_type = "s"
            cell.quotePrefix = True
            return cell
        return value


def metrics_workbook(*, actor: Actor, period: Period) -> bytes:
    """The period's metrics as an .xlsx: overall, by category, and for the desk by technician and the tickets of
    the period with their times. Recorded in the audit log (it hands out the tickets' titles)."""
    from openpyxl import Workbook

    data = ticket_metrics(actor=actor, period=period)
    workbook = Workbook(write_only=True)
    keys = [k for k, _h in FIGURE_HEADERS]
    overall = _Sheet(workbook, "总览 overall", ("指标 figure", "值 value"), (44, 16))
    overall.append(("期间 period", f"{period.first.isoformat()} – {period.last.isoformat()}"))
    for key, header in FIGURE_HEADERS:
        overall.append((header, data["overall"][key]))
    widths = (22,) + (14,) * len(keys)
    sheet = _Sheet(workbook, "按类别 by category", ("类别 category", *(h for _k, h in FIGURE_HEADERS)), widths)
    for row in data["by_category"]:
        sheet.append((row["category"], *(row[k] for k in keys)))
    ticket_count = 0
    if data["by_technician"] is not None:
        sheet = _Sheet(workbook, "按处理人 by technician", ("处理人 assignee", *(h for _k, h in FIGURE_HEADERS)),
                       widths)
        for row in data["by_technician"]:
            sheet.append((row["name"], *(row[k] for k in keys)))
        sheet = _Sheet(workbook, "工单 tickets", TICKET_HEADERS,
                       (16, 12, 16, 12, 14, 30, 14, 20, 20, 20, 12, 14, 10, 10, 10, 8))
        kinds, priorities, statuses = _bilingual(TicketKind), _bilingual(Priority), _bilingual(TicketStatus)
        for (number, kind, category, priority, status, title, assignee_name, assignee_phone, submitted_at,
             responded_at, resolved_at, paused, _rt, _st, response_breached, resolution_breached,
             reopen_count) in period_tickets(actor=actor, period=period).iterator(chunk_size=5000):
            ticket_count += 1
            response = whole_minutes(_seconds(submitted_at, responded_at)) if responded_at else None
            resolution = (whole_minutes(max(0, _seconds(submitted_at, resolved_at) - 60 * paused))
                          if resolved_at else None)
            sheet.append((number, kinds.get(kind, kind), category, priorities.get(priority, priority),
                          statuses.get(status, status), title, assignee_name or assignee_phone, submitted_at,
                          responded_at, resolved_at, response, resolution, paused,
                          YES if response_breached else NO, YES if resolution_breached else NO, reopen_count))
    audit(user=actor.user, estate=actor.estate, action="tickets.metrics_export",
          label=f"{period.first.isoformat()}–{period.last.isoformat()}",
          after={"from": period.first.isoformat(), "to": period.last.isoformat(), "tickets": ticket_count})
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_filename(actor: Actor, period: Period) -> str:
    return f"gongzhi-ticket-metrics-{actor.estate.pk}-{period.first.isoformat()}-{period.last.isoformat()}.xlsx"

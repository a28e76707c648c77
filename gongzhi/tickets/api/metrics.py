"""Ticket metrics per period, as JSON and as an .xlsx workbook (gongzhi.tickets.metrics says what counts where)."""

import datetime
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from gongzhi.core.api import api_actor

from .. import metrics
from ..choices import TicketKind

router = Router(tags=["tickets"])


class PeriodQuery(Schema):
    from_: datetime.date | None = Field(None, alias="from", description="First local day (Asia/Shanghai) of the "
                                        "period, included. Default: the first day of this month.",
                                        examples=["2026-11-01"])
    to: datetime.date | None = Field(None, description="Last local day of the period, included. Default: the last "
                                     "day of the month of `from`. At most 366 days in all.", examples=["2026-11-30"])


class PeriodOut(Schema):
    from_: datetime.date = Field(..., alias="from")
    to: datetime.date


class FiguresOut(Schema):
    submitted: int = Field(..., description="Tickets submitted in the period.")
    responded: int = Field(..., description="Of those, how many have had a first response.")
    response_median_minutes: int | None = Field(..., description="Submitted → first response, nearest-rank "
                                                "median, whole minutes; null with no response.", examples=[12])
    response_p90_minutes: int | None = Field(..., description="Nearest-rank 90th percentile.", examples=[41])
    response_breached: int = Field(..., description="Tickets submitted in the period that missed their "
                                   "response target.")
    response_breach_percent: Decimal | None = Field(..., description="response_breached over the tickets "
                                                    "submitted in the period with a response target, % to 1 place.",
                                                    examples=["6.3"])
    resolved: int = Field(..., description="Tickets resolved in the period.")
    resolution_median_minutes: int | None = Field(..., description="Submitted → resolved minus the time paused "
                                                  "waiting for the resident, nearest-rank median, whole minutes.",
                                                  examples=[305])
    resolution_p90_minutes: int | None = Field(..., examples=[1380])
    within_sla: int = Field(..., description="Resolved tickets that did not miss their resolution target.")
    within_sla_percent: Decimal | None = Field(..., description="within_sla over the resolved tickets with a "
                                               "resolution target, % to 1 place.", examples=["92.5"])
    reopened: int = Field(..., description="Resolved tickets that had been reopened at least once.")
    reopen_percent: Decimal | None = Field(..., description="reopened over resolved, % to 1 place.",
                                           examples=["3.1"])
    average_rating: Decimal | None = Field(..., description="Mean score (1–5) of the ratings given in the period, "
                                           "to 2 places; unrated tickets are not counted.", examples=["4.58"])
    rating_count: int


class CategoryFiguresOut(FiguresOut):
    category_id: int
    category: str
    kind: TicketKind


class TechnicianFiguresOut(FiguresOut):
    assignee_id: int | None = Field(..., description="null: the tickets nobody is assigned to.")
    name: str


class MetricsOut(Schema):
    period: PeriodOut
    overall: FiguresOut
    by_category: list[CategoryFiguresOut]
    by_technician: list[TechnicianFiguresOut] | None = Field(
        ..., description="For the ticket desk (managers, dispatchers, customer service); null for the owners' "
        "committee, who see the estate's aggregates only.")


def _period(query: PeriodQuery) -> metrics.Period:
    return metrics.Period.of(query.from_, query.to)


@router.get("/estates/{estate_id}/ticket-metrics", response=MetricsOut, by_alias=True,
            summary="Ticket metrics of a period: response and resolution times, SLA, ratings, reopen rate")
def ticket_metrics(request, estate_id: int, period: Query[PeriodQuery]):
    """Overall, by category and (for the desk) by technician. The ticket desk sees everything; the owners'
    committee the aggregates without the figures by technician; anyone else in the estate 403. A period that
    ends before it starts or is longer than 366 days answers 400 ``metrics_period``. Percentiles are
    nearest-rank: always a real ticket's time."""
    actor = api_actor(request, estate_id)
    return metrics.ticket_metrics(actor=actor, period=_period(period))


@router.get("/estates/{estate_id}/ticket-metrics.xlsx",
            summary="Ticket metrics of a period as an .xlsx workbook",
            openapi_extra={"responses": {200: {
                "description": "Sheets: overall, by category, and for the desk by technician and the tickets of "
                               "the period with their times; bilingual headers.",
                "content": {metrics.XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}}}}})
def ticket_metrics_xlsx(request, estate_id: int, period: Query[PeriodQuery]):
    """The same figures as ``GET .../ticket-metrics`` with the same access, plus (for the desk) every ticket of the
    period it may see. Each download is recorded in the audit log."""
    actor = api_actor(request, estate_id)
    found = _period(period)
    response = HttpResponse(metrics.metrics_workbook(actor=actor, period=found),
                            content_type=metrics.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{metrics.export_filename(actor, found)}"'
    response["Cache-Control"] = "no-store"
    return response

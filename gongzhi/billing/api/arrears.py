"""Billing API: arrears by house and building (age buckets), reminders, a house's statement, the collection rate,
late fees and the .xlsx downloads.

Errors are the one error shape: 400 a rule refused the input, 403 the role may not (the committee reads the
collection rate only), 404 missing or another estate's (a resident asking for another house's statement too)."""

import datetime
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from gongzhi.core.api import api_actor

from .. import arrears, collection, exports, late_fees
from ..choices import PeriodKind

router = Router(tags=["arrears"])


class BucketsOut(Schema):
    not_due: Decimal
    d1_30: Decimal
    d31_90: Decimal
    d91_180: Decimal
    d181_365: Decimal
    over_365: Decimal


class ArrearsRowOut(Schema):
    id: int | None
    label: str
    building: str = ""
    buckets: BucketsOut
    overdue: Decimal
    total: Decimal
    bills: int
    overdue_bills: int
    oldest_due: datetime.date | None
    days_overdue: int
    houses: int | None = None
    houses_overdue: int | None = None


class ArrearsPageOut(Schema):
    on: datetime.date
    totals: ArrearsRowOut
    items: list[ArrearsRowOut]
    next_cursor: str | None


class ArrearsFilters(Schema):
    group: Literal["house", "building"] = "house"
    building_id: int | None = None
    min_days: int = Field(1, ge=0, le=3650, description="Houses with a bill at least this many days overdue "
                                                        "(0: every house that owes anything).")
    cursor: str | None = None
    limit: int = 50


class ArrearsRemindOut(Schema):
    on: datetime.date
    sent: int
    skipped_recent: int
    unreachable: int
    houses: list[int]


class LateFeeChargeOut(Schema):
    on: datetime.date
    bills: int
    amount: Decimal
    checked: int
    bill_ids: list[int]


class ChargeIn(Schema):
    on: datetime.date | None = Field(None, description="Default: the last day of the previous month.")


class StatementRowOut(Schema):
    at: datetime.datetime
    kind: str
    kind_label: str
    description: str
    debit: Decimal
    credit: Decimal
    prepaid_change: Decimal
    balance: Decimal
    prepaid: Decimal
    bill_id: int | None
    payment_id: int | None
    receipt_number: str


class HouseStatementOut(Schema):
    house_id: int
    house: str
    date_from: datetime.date | None
    date_to: datetime.date | None
    opening_balance: Decimal
    opening_prepaid: Decimal
    closing_balance: Decimal
    closing_prepaid: Decimal
    outstanding: Decimal
    rows: list[StatementRowOut]


class StatementFilters(Schema):
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


class CollectionRowOut(Schema):
    key: int | None
    label: str
    bills: int
    billed: Decimal
    paid: Decimal
    outstanding: Decimal
    rate: Decimal | None = Field(description="Percent, to 0.01; null when nothing was billed.")


class CollectionOut(Schema):
    period: str
    period_start: datetime.date
    period_end: datetime.date
    cut_off: datetime.date
    group: str
    building_id: int | None
    total: CollectionRowOut
    rows: list[CollectionRowOut]


class CollectionFilters(Schema):
    period: PeriodKind = PeriodKind.MONTH
    start: datetime.date | None = Field(None, description="A day in the period (default today).")
    group: Literal["", "building", "item"] = ""
    building_id: int | None = None
    cut_off: datetime.date | None = Field(None, description="Count money applied up to this day (default today).")


class ExportFilters(Schema):
    kind: Literal["bills", "payments", "receipts", "arrears", "collection"] = "bills"
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def _row(r: arrears.ArrearsRow) -> dict:
    return {"id": r.key, "label": r.label, "building": r.building, "buckets": r.buckets, "overdue": r.overdue,
            "total": r.total, "bills": r.bills, "overdue_bills": r.overdue_bills, "oldest_due": r.oldest_due,
            "days_overdue": r.days_overdue, "houses": r.extra.get("houses"),
            "houses_overdue": r.extra.get("houses_overdue")}


def _collection_row(r: collection.CollectionRow) -> dict:
    return {"key": r.key, "label": r.label, "bills": r.bills, "billed": r.billed, "paid": r.paid,
            "outstanding": r.outstanding, "rate": r.rate}


@router.get("/estates/{estate_id}/billing/arrears", response=ArrearsPageOut,
            summary="Arrears by house (cursor) or by building, in age buckets (finance, manager)")
def arrears_list(request, estate_id: int, filters: Query[ArrearsFilters]):
    """Buckets: not yet due, 1–30, 31–90, 91–180, 181–365, more than 365 days overdue (a bill due yesterday is 1 day
    overdue). ``group=building`` answers every building at once (no cursor)."""
    actor = api_actor(request, estate_id)
    totals = arrears.arrears_totals(actor=actor, building_id=filters.building_id)
    if filters.group == "building":
        return {"on": totals.on, "totals": _row(totals), "next_cursor": None,
                "items": [_row(r) for r in arrears.arrears_by_building(actor=actor)]}
    page = arrears.arrears_by_house(actor=actor, building_id=filters.building_id, min_days=filters.min_days,
                                    cursor=filters.cursor, limit=filters.limit)
    return {"on": page.on, "totals": _row(totals), "items": [_row(r) for r in page.items],
            "next_cursor": page.next_cursor}


@router.post("/estates/{estate_id}/billing/arrears/remind", response=ArrearsRemindOut,
             summary="Remind the houses in arrears now (at most once per house per reminder window)")
def arrears_remind(request, estate_id: int):
    """Idempotent: a house reminded within ``fees.reminder_every_days`` days is skipped."""
    actor = api_actor(request, estate_id)
    result = arrears.arrears_remind(actor=actor, estate=actor.estate)
    return {"on": result.on, "sent": result.sent, "skipped_recent": result.skipped_recent,
            "unreachable": result.unreachable, "houses": result.houses}


@router.get("/estates/{estate_id}/billing/houses/{house_id}/statement", response=HouseStatementOut,
            summary="A house's statement with the running balance (staff; a resident for their own houses)")
def house_statement(request, estate_id: int, house_id: int, filters: Query[StatementFilters]):
    actor = api_actor(request, estate_id)
    s = arrears.house_statement(actor=actor, house_id=house_id, date_from=filters.date_from,
                                date_to=filters.date_to)
    return {"house_id": s.house.pk, "house": s.house.code, "date_from": s.date_from, "date_to": s.date_to,
            "opening_balance": s.opening_balance, "opening_prepaid": s.opening_prepaid,
            "closing_balance": s.closing_balance, "closing_prepaid": s.closing_prepaid, "outstanding": s.outstanding,
            "rows": [r.__dict__ for r in s.rows]}


@router.get("/estates/{estate_id}/billing/collection", response=CollectionOut,
            summary="The collection rate of a period, in all and by building or fee item (incl. the committee)")
def collection_rate(request, estate_id: int, filters: Query[CollectionFilters]):
    """billed = the bills of the period (period start inside it, issued by the cut-off) plus their adjustments by
    the cut-off; paid = the money applied to them by the cut-off; rate = paid ÷ billed × 100, to 0.01."""
    actor = api_actor(request, estate_id)
    report = collection.collection_rate(actor=actor, period_kind=filters.period, start=filters.start,
                                        group=filters.group, cut_off=filters.cut_off,
                                        building_id=filters.building_id)
    return {"period": report.period_kind, "period_start": report.period_start, "period_end": report.period_end,
            "cut_off": report.cut_off, "group": report.group, "building_id": report.building_id,
            "total": _collection_row(report.total), "rows": [_collection_row(r) for r in report.rows]}


@router.get("/estates/{estate_id}/billing/exports.xlsx", response={200: None},
            summary="A workbook to reconcile with (.xlsx): bills, payments, receipts, arrears or the collection rate")
def export(request, estate_id: int, filters: Query[ExportFilters]):
    """Streamed. Amounts are numbers, dates are dates, each sheet ends with a totals row. Default range: this
    month so far."""
    actor = api_actor(request, estate_id)
    return exports.export_response(actor=actor, kind=filters.kind, date_from=filters.date_from,
                                   date_to=filters.date_to)


@router.post("/estates/{estate_id}/billing/late-fees/charge", response=LateFeeChargeOut,
             summary="Issue the late-fee bills accrued by a day (default the end of last month); idempotent")
def late_fees_charge(request, estate_id: int, payload: ChargeIn):
    actor = api_actor(request, estate_id)
    on = payload.on or (timezone.localdate().replace(day=1) - datetime.timedelta(days=1))
    result = late_fees.late_fees_charge(actor=actor, estate=actor.estate, on=on)
    return {"on": result.on, "bills": result.bills, "amount": result.amount, "checked": result.checked,
            "bill_ids": result.issued_ids}

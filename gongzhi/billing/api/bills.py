"""Bills and bill runs over the API: finance previews and issues a period's run, lists the runs; everyone with a
reason lists and reads bills (a resident only their houses' bills), each line with its explanation; finance adjusts
a bill.

Errors are the one error shape (``code``, ``message``, ``detail``): 400 a rule refused the input, 403 the role may
not, 404 missing or another estate's (or a house the resident does not live in), 409 the state forbids it
(``period_overlaps``, ``period_closed``, ``nothing_to_bill``, ``adjustment_below_paid``,
``idempotency_key_reused``). Lists are cursor-paginated, newest first."""

import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from gongzhi.core.api import api_actor
from gongzhi.core.pagination import paginate

from .. import bills, runs
from ..choices import BillKind, BillStatus, PayerKind, PeriodKind
from ..models import Bill, BillRun

router = Router(tags=["bills"])


# --- schemas -------------------------------------------------------------------------------------------------------
class RunIn(Schema):
    period_kind: PeriodKind = PeriodKind.MONTH
    period_start: datetime.date = Field(..., description="The first day of the period's first month.")
    building_id: int | None = Field(None, description="One building only; empty: the whole estate.")
    issued_on: datetime.date | None = Field(None, description="Issue date (today when empty; never in the future).")


class RunOut(Schema):
    id: int
    key: str
    period_kind: str
    period_start: datetime.date
    period_end: datetime.date
    building_id: int | None
    building: str
    issued_at: datetime.datetime
    bills_count: int
    lines_count: int
    total: Decimal


class RunPage(Schema):
    items: list[RunOut]
    next_cursor: str | None


class BillLineOut(Schema):
    fee_item_id: int | None
    description: str
    quantity: Decimal
    unit: str
    rate: Decimal
    amount: Decimal
    explanation: str
    basis: dict[str, Any]
    ledger_code: str
    reading_id: int | None = None


class PreviewBillOut(Schema):
    house_id: int
    house: str
    payer_kind: str
    payer_name: str
    amount: Decimal
    lines: list[BillLineOut]


class ItemTotalOut(Schema):
    fee_item_id: int | None
    name: str
    lines: int
    total: Decimal


class SkippedOut(Schema):
    house_id: int
    house: str
    reason: str


class PreviewOut(Schema):
    period_kind: str
    period_start: datetime.date
    period_end: datetime.date
    building_id: int | None
    houses: int
    bills_count: int
    lines_count: int
    total: Decimal
    due_date: datetime.date
    by_item: list[ItemTotalOut]
    bills: list[PreviewBillOut]
    skipped: list[SkippedOut]
    skipped_counts: dict[str, int]


class BillOut(Schema):
    id: int
    run_id: int | None
    house_id: int
    house: str
    kind: str
    kind_label: str
    period_start: datetime.date
    period_end: datetime.date
    payer_kind: str
    payer_name: str
    issued_at: datetime.datetime
    due_date: datetime.date
    amount: Decimal
    adjusted: Decimal
    settled: Decimal
    outstanding: Decimal
    status: str
    status_label: str
    note: str


class BillPage(Schema):
    items: list[BillOut]
    next_cursor: str | None


class AdjustmentOut(Schema):
    id: int
    amount: Decimal
    reason: str
    actor: str
    created_at: datetime.datetime


class BillAllocationOut(Schema):
    id: int
    source: str
    amount: Decimal
    payment_id: int | None
    created_at: datetime.datetime


class BillDetailOut(BillOut):
    lines: list[BillLineOut]
    adjustments: list[AdjustmentOut]
    allocations: list[BillAllocationOut]


class BillFilters(Schema):
    house_id: int | None = None
    status: BillStatus | None = None
    period: datetime.date | None = Field(None, description="Any day of the month the bills' period starts in.")
    building_id: int | None = None
    kind: BillKind | None = None
    run_id: int | None = None
    cursor: str | None = None
    limit: int = 50


class BillCursorIn(Schema):
    cursor: str | None = None
    limit: int = 50


class AdjustmentIn(Schema):
    amount: Decimal = Field(..., description="Positive adds to the bill (a debit), negative takes off (a credit).")
    reason: str
    key: str = Field(..., description="Idempotency key: the same key adjusts once.")


# --- presenters ----------------------------------------------------------------------------------------------------
def _run(r: BillRun) -> dict:
    return {"id": r.pk, "key": r.key, "period_kind": r.period_kind, "period_start": r.period_start,
            "period_end": r.period_end, "building_id": r.building_id,
            "building": r.building.name if r.building_id else "", "issued_at": r.issued_at,
            "bills_count": r.bills_count, "lines_count": r.lines_count, "total": r.total}


def _line(ln) -> dict:
    return {"fee_item_id": ln.fee_item_id, "description": ln.description, "quantity": ln.quantity, "unit": ln.unit,
            "rate": ln.rate, "amount": ln.amount, "explanation": ln.explanation, "basis": ln.basis,
            "ledger_code": ln.ledger_code, "reading_id": ln.reading_id}


def _bill(b: Bill) -> dict:
    return {"id": b.pk, "run_id": b.run_id, "house_id": b.house_id, "house": b.house.code, "kind": b.kind,
            "kind_label": str(BillKind(b.kind).label), "period_start": b.period_start, "period_end": b.period_end,
            "payer_kind": b.payer_kind, "payer_name": b.payer_name, "issued_at": b.issued_at, "due_date": b.due_date,
            "amount": b.amount, "adjusted": b.adjusted, "settled": b.settled, "outstanding": b.outstanding,
            "status": b.status, "status_label": str(BillStatus(b.status).label), "note": b.note}


def _bill_detail(b: Bill) -> dict:
    return {**_bill(b), "lines": [_line(ln) for ln in b.lines.all()],
            "adjustments": [{"id": a.pk, "amount": a.amount, "reason": a.reason,
                             "actor": getattr(a.actor, "name", "") or "", "created_at": a.created_at}
                            for a in b.adjustments.all()],
            "allocations": [{"id": a.pk, "source": a.source, "amount": a.amount, "payment_id": a.payment_id,
                             "created_at": a.created_at} for a in b.allocations.all()]}


def _preview(p: runs.Preview) -> dict:
    return {"period_kind": p.period_kind, "period_start": p.period_start, "period_end": p.period_end,
            "building_id": p.building.pk if p.building else None, "houses": p.houses, "bills_count": p.bills_count,
            "lines_count": p.lines_count, "total": p.total, "due_date": p.due_date,
            "by_item": [vars(i) for i in p.by_item],
            "bills": [{"house_id": b.house_id, "house": code, "payer_kind": str(PayerKind(b.payer.kind)),
                       "payer_name": b.payer.name, "amount": b.amount, "lines": [_line(ln) for ln in b.lines]}
                      for code, b in p.bills],
            "skipped": [{"house_id": h, "house": code, "reason": reason} for h, code, reason in p.skipped],
            "skipped_counts": p.skipped_counts}


# --- runs ----------------------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/billing/runs", response=RunPage,
            summary="The estate's bill runs, newest first (finance, the manager)")
def run_list(request, estate_id: int, filters: Query[BillCursorIn]):
    actor = api_actor(request, estate_id)
    page = paginate(runs.bill_run_list(actor=actor), cursor=filters.cursor, limit=filters.limit, descending=True)
    return {"items": [_run(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post("/estates/{estate_id}/billing/runs/preview", response=PreviewOut,
             summary="What a run would bill, with nothing written: totals, per fee item, the first bills, skips")
def run_preview(request, estate_id: int, payload: RunIn):
    actor = api_actor(request, estate_id)
    return _preview(runs.bill_run_preview(actor=actor, period_kind=payload.period_kind,
                                          period_start=payload.period_start, building=payload.building_id,
                                          issued_on=payload.issued_on))


@router.post("/estates/{estate_id}/billing/runs", response={201: RunOut},
             summary="Issue a period's bills (idempotent: a second call bills only what is missing)")
def run_issue(request, estate_id: int, payload: RunIn):
    actor = api_actor(request, estate_id)
    run = runs.bill_run_issue(actor=actor, period_kind=payload.period_kind, period_start=payload.period_start,
                              building=payload.building_id, issued_on=payload.issued_on)
    return Status(201, _run(runs.bill_run_get_for_actor(actor=actor, run_id=run.pk)))


@router.get("/estates/{estate_id}/billing/runs/{run_id}", response=RunOut, summary="One bill run")
def run_detail(request, estate_id: int, run_id: int):
    actor = api_actor(request, estate_id)
    return _run(runs.bill_run_get_for_actor(actor=actor, run_id=run_id))


# --- bills ---------------------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/billing/bills", response=BillPage,
            summary="Bills, newest first (a resident: their houses' bills only)")
def bill_list(request, estate_id: int, filters: Query[BillFilters]):
    actor = api_actor(request, estate_id)
    page = bills.bill_list(actor=actor, house_id=filters.house_id, status=filters.status or "",
                           period=filters.period, building_id=filters.building_id, kind=filters.kind or "",
                           run_id=filters.run_id, cursor=filters.cursor, limit=filters.limit)
    return {"items": [_bill(b) for b in page.items], "next_cursor": page.next_cursor}


@router.get("/estates/{estate_id}/billing/bills/{bill_id}", response=BillDetailOut,
            summary="One bill with its explained lines, adjustments and what settled it")
def bill_detail(request, estate_id: int, bill_id: int):
    actor = api_actor(request, estate_id)
    return _bill_detail(bills.bill_get_for_actor(actor=actor, bill_id=bill_id))


@router.post("/estates/{estate_id}/billing/bills/{bill_id}/adjustments", response={201: BillDetailOut},
             summary="Adjust a bill: a signed amount with a reason (finance, the manager)")
def bill_adjust(request, estate_id: int, bill_id: int, payload: AdjustmentIn):
    actor = api_actor(request, estate_id)
    bill = bills.bill_get_for_actor(actor=actor, bill_id=bill_id)
    bills.adjustment_create(actor=actor, bill=bill, amount=payload.amount, reason=payload.reason, key=payload.key)
    return Status(201, _bill_detail(bills.bill_get_for_actor(actor=actor, bill_id=bill_id)))

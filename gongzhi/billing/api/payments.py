"""Billing API: payments at the cash desk, receipts (with their PDF and voids), a house's balance, and refunds.

Finance and the manager record offline payments (cash, bank transfer, POS) with an idempotency key: a retry
records once, the key with a different request is 409 ``idempotency_key_reused``. Residents read the payments,
receipts, PDFs and balances of their own houses (another house is 404). Refunds: finance asks, a manager who is not
the requester approves (403 ``four_eyes`` otherwise). Errors are the one error shape: 400 bad input (``detail``
names the field), 403 the role may not, 404 missing or another estate's, 409 the state forbids it
(``prepayment_used``, ``refund_over_balance``, ``refund_decided``, ``period_closed``)."""

import datetime
from decimal import Decimal

from django.http import HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from gongzhi.core.api import api_actor
from gongzhi.core.errors import Forbidden
from gongzhi.core.pagination import paginate

from .. import payments, receipts, refunds
from ..choices import PaymentMethod, RefundStatus
from ..policies import FINANCE_ROLES, PaymentPolicy

router = Router(tags=["payments"])
PREFIX = "/estates/{estate_id}/billing"


# --- schemas -----------------------------------------------------------------------------------------------------
class OfflinePaymentIn(Schema):
    house_id: int
    amount: Decimal = Field(..., examples=["260.70"])
    method: PaymentMethod = Field(..., description="cash, bank_transfer or pos at the desk.")
    idempotency_key: str = Field(..., max_length=64, description="A retry with the same key records once.",
                                 examples=["desk-20260301-001"])
    bill_ids: list[int] | None = Field(None, description="Bills to settle in this order; empty: oldest due first.")
    received_at: datetime.datetime | None = None
    reference: str = Field("", max_length=64, description="Required for bank transfers and POS: the voucher number.")
    payer_name: str = Field("", max_length=120)
    note: str = Field("", max_length=200)


class PaymentAllocationOut(Schema):
    bill_id: int
    source: str
    amount: Decimal


class PaymentRowOut(Schema):
    id: int
    house_id: int
    house: str
    method: str
    method_label: str
    amount: Decimal
    received_at: datetime.datetime
    payer_name: str
    reference: str
    receipt_id: int | None
    receipt_number: str
    voided: bool


class PaymentOut(PaymentRowOut):
    note: str
    order_id: int | None
    settled: Decimal = Field(..., description="The part that settled bills.")
    prepaid: Decimal = Field(..., description="The part kept as the house's prepayment.")
    allocations: list[PaymentAllocationOut]


class PaymentPage(Schema):
    items: list[PaymentRowOut]
    next_cursor: str | None


class PaymentFilters(Schema):
    house_id: int | None = None
    method: PaymentMethod | None = None
    cursor: str | None = None
    limit: int = 50


class ReceiptBillOut(Schema):
    bill_id: int
    period_start: datetime.date
    period_end: datetime.date
    description: str
    settled: Decimal


class ReceiptOut(Schema):
    id: int
    number: str
    payment_id: int
    house_id: int
    house: str
    issued_at: datetime.datetime
    amount: Decimal
    amount_upper: str = Field(..., description="The amount in Chinese capitals (大写金额).")
    payer_name: str
    method: str
    prepaid: Decimal
    bills: list[ReceiptBillOut]
    voided: bool
    void_reason: str
    voided_at: datetime.datetime | None
    pdf_url: str


class ReceiptPage(Schema):
    items: list[ReceiptOut]
    next_cursor: str | None


class ReceiptFilters(Schema):
    house_id: int | None = None
    cursor: str | None = None
    limit: int = 50


class VoidIn(Schema):
    reason: str = Field(..., max_length=200, examples=["收款金额录入错误"])


class BalanceOut(Schema):
    house_id: int
    house: str
    billed: Decimal
    adjusted: Decimal
    paid: Decimal
    refunded: Decimal
    prepaid: Decimal
    outstanding: Decimal
    net: Decimal = Field(..., description="outstanding - prepaid: what the house owes (negative: in credit).")
    open_bills: int


class RefundIn(Schema):
    house_id: int
    amount: Decimal = Field(..., examples=["100.00"])
    method: PaymentMethod = Field(..., description="cash or bank_transfer.")
    reason: str = Field(..., max_length=200)
    idempotency_key: str = Field(..., max_length=64)


class RefundDecisionIn(Schema):
    note: str = Field("", max_length=200)


class RefundOut(Schema):
    id: int
    house_id: int
    house: str
    amount: Decimal
    method: str
    reason: str
    status: str
    status_label: str
    requested_by: str
    requested_at: datetime.datetime
    decided_by: str
    decided_at: datetime.datetime | None
    decision_note: str


class RefundPage(Schema):
    items: list[RefundOut]
    next_cursor: str | None


class RefundFilters(Schema):
    status: RefundStatus | None = None
    house_id: int | None = None
    cursor: str | None = None
    limit: int = 50


# --- presenting --------------------------------------------------------------------------------------------------
def _void(receipt):
    return receipts.receipt_void_of(receipt) if receipt is not None else None


def _receipt_of(payment):
    try:
        return payment.receipt
    except payments.Receipt.DoesNotExist:
        return None


def _payment_row(p) -> dict:
    receipt = _receipt_of(p)
    return {"id": p.pk, "house_id": p.house_id, "house": p.house.code, "method": p.method,
            "method_label": receipts.method_label(p.method), "amount": p.amount, "received_at": p.received_at,
            "payer_name": p.payer_name, "reference": p.reference,
            "receipt_id": receipt.pk if receipt else None,
            "receipt_number": receipt.display_number if receipt else "", "voided": _void(receipt) is not None}


def _payment(p) -> dict:
    allocations = list(p.allocations.order_by("id").values("bill_id", "source", "amount"))
    receipt = _receipt_of(p)
    detail = receipt.detail if receipt else {}
    return {**_payment_row(p), "note": p.note, "order_id": p.order_id,
            "settled": Decimal(detail.get("settled", "0")), "prepaid": Decimal(detail.get("prepaid", "0")),
            "allocations": allocations}


def _receipt(r) -> dict:
    void = _void(r)
    detail = r.detail or {}
    return {"id": r.pk, "number": r.display_number, "payment_id": r.payment_id, "house_id": r.house_id,
            "house": r.house.code, "issued_at": r.issued_at, "amount": r.amount,
            "amount_upper": receipts.rmb_upper(r.amount), "payer_name": r.payer_name,
            "method": detail.get("method", r.payment.method), "prepaid": Decimal(detail.get("prepaid", "0")),
            "bills": [{"bill_id": b["bill_id"], "period_start": b["period_start"], "period_end": b["period_end"],
                       "description": b.get("description", ""), "settled": Decimal(b["settled"])}
                      for b in detail.get("bills", [])],
            "voided": void is not None, "void_reason": void.reason if void else "",
            "voided_at": void.created_at if void else None,
            "pdf_url": reverse("api:billing_receipt_pdf", kwargs={"estate_id": r.estate_id,
                                                                         "receipt_id": r.pk})}


def _user_label(user) -> str:
    return (getattr(user, "name", "") or "") if user is not None else ""


def _refund(r) -> dict:
    return {"id": r.pk, "house_id": r.house_id, "house": r.house.code, "amount": r.amount, "method": r.method,
            "reason": r.reason, "status": r.status, "status_label": str(r.get_status_display()),
            "requested_by": _user_label(r.requested_by), "requested_at": r.requested_at,
            "decided_by": _user_label(r.decided_by), "decided_at": r.decided_at, "decision_note": r.decision_note}


def _viewer(request, estate_id: int):
    actor = api_actor(request, estate_id)
    if not PaymentPolicy.can(actor, "view"):
        raise Forbidden()
    return actor


# --- payments ----------------------------------------------------------------------------------------------------
@router.post(f"{PREFIX}/payments", response={201: PaymentOut}, summary="Record an offline payment (the cash desk)")
def payment_create(request, estate_id: int, payload: OfflinePaymentIn):
    actor = api_actor(request, estate_id)
    if not PaymentPolicy.can(actor, "record"):
        raise Forbidden()
    house = payments.house_get_for_actor(actor=actor, house_id=payload.house_id)
    payment = payments.payment_record(
        actor=actor, house=house, amount=payload.amount, method=payload.method, key=payload.idempotency_key,
        bill_ids=payload.bill_ids, received_at=payload.received_at, reference=payload.reference,
        payer_name=payload.payer_name, note=payload.note)
    return Status(201, _payment(payments.payment_get_for_actor(actor=actor, payment_id=payment.pk)))


@router.get(f"{PREFIX}/payments", response=PaymentPage, summary="Payments, newest first")
def payment_list(request, estate_id: int, filters: Query[PaymentFilters]):
    actor = _viewer(request, estate_id)
    house = payments.house_get_for_actor(actor=actor, house_id=filters.house_id) if filters.house_id else None
    page = paginate(payments.payment_list(actor=actor, house=house, method=filters.method), cursor=filters.cursor,
                    limit=filters.limit, descending=True)
    return {"items": [_payment_row(p) for p in page.items], "next_cursor": page.next_cursor}


@router.get(f"{PREFIX}/payments/{{payment_id}}", response=PaymentOut, summary="A payment and what it settled")
def payment_detail(request, estate_id: int, payment_id: int):
    actor = _viewer(request, estate_id)
    return _payment(payments.payment_get_for_actor(actor=actor, payment_id=payment_id))


# --- receipts ----------------------------------------------------------------------------------------------------
@router.get(f"{PREFIX}/receipts", response=ReceiptPage, summary="Receipts, newest first")
def receipt_list(request, estate_id: int, filters: Query[ReceiptFilters]):
    actor = _viewer(request, estate_id)
    house = payments.house_get_for_actor(actor=actor, house_id=filters.house_id) if filters.house_id else None
    page = paginate(receipts.receipt_list(actor=actor, house=house), cursor=filters.cursor, limit=filters.limit,
                    descending=True)
    return {"items": [_receipt(r) for r in page.items], "next_cursor": page.next_cursor}


@router.get(f"{PREFIX}/receipts/{{receipt_id}}", response=ReceiptOut, summary="A receipt")
def receipt_detail(request, estate_id: int, receipt_id: int):
    actor = _viewer(request, estate_id)
    return _receipt(receipts.receipt_get_for_actor(actor=actor, receipt_id=receipt_id))


@router.get(f"{PREFIX}/receipts/{{receipt_id}}/pdf", url_name="billing_receipt_pdf",
            summary="A receipt as PDF (作废 / VOID stamped when voided)")
def receipt_pdf(request, estate_id: int, receipt_id: int):
    actor = _viewer(request, estate_id)
    receipt = receipts.receipt_get_for_actor(actor=actor, receipt_id=receipt_id)
    response = HttpResponse(receipts.render_receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipts.receipt_pdf_filename(receipt)}"'
    return response


@router.post(f"{PREFIX}/receipts/{{receipt_id}}/void", response=ReceiptOut,
             summary="Void a receipt by a reversing record (twice: the first void)")
def receipt_void(request, estate_id: int, receipt_id: int, payload: VoidIn):
    actor = api_actor(request, estate_id)
    if not PaymentPolicy.can(actor, "void"):
        raise Forbidden()
    receipt = receipts.receipt_get_for_actor(actor=actor, receipt_id=receipt_id)
    receipts.receipt_void(actor=actor, receipt=receipt, reason=payload.reason)
    return _receipt(receipts.receipt_get_for_actor(actor=actor, receipt_id=receipt_id))


# --- balance -----------------------------------------------------------------------------------------------------
@router.get(f"{PREFIX}/houses/{{house_id}}/balance", response=BalanceOut, summary="A house's balance")
def house_balance(request, estate_id: int, house_id: int):
    actor = _viewer(request, estate_id)
    house = payments.house_get_for_actor(actor=actor, house_id=house_id)
    b = payments.house_balance(house)
    return {"house_id": house.pk, "house": house.code, "billed": b.billed, "adjusted": b.adjusted, "paid": b.paid,
            "refunded": b.refunded, "prepaid": b.prepaid, "outstanding": b.outstanding, "net": b.net,
            "open_bills": b.open_bills}


# --- refunds -----------------------------------------------------------------------------------------------------
@router.get(f"{PREFIX}/refunds", response=RefundPage, summary="Refunds, newest first")
def refund_list(request, estate_id: int, filters: Query[RefundFilters]):
    actor = _viewer(request, estate_id)
    house = payments.house_get_for_actor(actor=actor, house_id=filters.house_id) if filters.house_id else None
    page = paginate(refunds.refund_list(actor=actor, status=filters.status, house=house), cursor=filters.cursor,
                    limit=filters.limit, descending=True)
    return {"items": [_refund(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post(f"{PREFIX}/refunds", response={201: RefundOut}, summary="Ask for a refund of prepaid fees")
def refund_create(request, estate_id: int, payload: RefundIn):
    actor = api_actor(request, estate_id)
    if not actor.has_any(FINANCE_ROLES):
        raise Forbidden()
    house = payments.house_get_for_actor(actor=actor, house_id=payload.house_id)
    refund = refunds.refund_request(actor=actor, house=house, amount=payload.amount, method=payload.method,
                                    reason=payload.reason, key=payload.idempotency_key)
    return Status(201, _refund(refunds.refund_get_for_actor(actor=actor, refund_id=refund.pk)))


@router.post(f"{PREFIX}/refunds/{{refund_id}}/approve", response=RefundOut,
             summary="Approve and pay out a refund (a manager, not the requester)")
def refund_approve(request, estate_id: int, refund_id: int, payload: RefundDecisionIn):
    actor = _viewer(request, estate_id)
    refund = refunds.refund_approve(actor=actor, refund=refunds.refund_get_for_actor(actor=actor, refund_id=refund_id),
                                    note=payload.note)
    return _refund(refunds.refund_get_for_actor(actor=actor, refund_id=refund.pk))


@router.post(f"{PREFIX}/refunds/{{refund_id}}/reject", response=RefundOut, summary="Reject a refund (a manager)")
def refund_reject(request, estate_id: int, refund_id: int, payload: RefundDecisionIn):
    actor = _viewer(request, estate_id)
    refund = refunds.refund_reject(actor=actor, refund=refunds.refund_get_for_actor(actor=actor, refund_id=refund_id),
                                   note=payload.note)
    return _refund(refunds.refund_get_for_actor(actor=actor, refund_id=refund.pk))

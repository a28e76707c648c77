"""Online payments over the API: a resident (or finance) opens an order for a house's bills or an advance amount,
polls its status, lists their orders; and the gateways' notification endpoints.

The notify endpoints (``/billing/notify/{wechat,alipay,sandbox}``) take no authentication and no CSRF token: the
gateway's signature is the authority, checked by the provider. They read at most 64 KiB, never answer 500 on
garbage, and answer in the gateway's own format (WeChat Pay: 204 / 4xx JSON; Alipay: ``success`` / ``fail``).

Errors elsewhere are the one error shape: 400 a rule refused the input (``nothing_to_pay``, ``invalid_field``), 404
a house, bill or order that is missing, another estate's or not the caller's, 409 ``bill_settled`` or
``idempotency_key_reused``, 503 ``provider_unavailable``."""

import datetime
from decimal import Decimal

from django.http import HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from gongzhi.core.api import api_actor
from gongzhi.core.pagination import paginate

from .. import online
from ..choices import OrderStatus
from ..models import PaymentOrder
from ..payments import house_get_for_actor

router = Router(tags=["online payments"])


class OrderIn(Schema):
    house_id: int
    bill_ids: list[int] = Field(default_factory=list, description="The bills to pay; none: all the house's open "
                                                                  "bills, or ``amount`` in advance.")
    amount: Decimal | None = Field(None, examples=["600.00"],
                                   description="Without bills: an advance payment kept as prepayment.")
    provider: str | None = Field(None, examples=["wechat"], description="wechat, alipay or sandbox; default: the "
                                                                          "estate's configured provider.")
    idempotency_key: str = Field(..., max_length=64, description="The same key again returns the first order.")


class OrderOut(Schema):
    id: int
    house_id: int
    house: str
    provider: str
    out_trade_no: str
    amount: Decimal
    bill_ids: list[int]
    status: str
    status_label: str
    pay_url: str
    created_at: datetime.datetime
    expires_at: datetime.datetime | None
    paid_at: datetime.datetime | None
    payment_id: int | None = None
    receipt_id: int | None = None
    receipt_number: str | None = None
    receipt_pdf_url: str | None = None


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class OrderFilters(Schema):
    cursor: str | None = None
    limit: int = 50
    house_id: int | None = None
    status: OrderStatus | None = None


def _receipt_pdf_url(estate_id: int, receipt_id: int) -> str | None:
    try:
        return reverse("billing:receipt_pdf", kwargs={"estate_id": estate_id, "receipt_id": receipt_id})
    except Exception:  # NoReverseMatch while the receipts' pages are not mounted
        return None


def order_data(order: PaymentOrder, payment=None) -> dict:
    receipt = getattr(payment, "receipt", None) if payment is not None else None
    return {
        "id": order.pk, "house_id": order.house_id, "house": order.house.code, "provider": order.provider,
        "out_trade_no": order.out_trade_no, "amount": order.amount, "bill_ids": list(order.bill_ids),
        "status": order.status, "status_label": str(OrderStatus(order.status).label), "pay_url": order.pay_url,
        "created_at": order.created_at, "expires_at": order.expires_at, "paid_at": order.paid_at,
        "payment_id": payment.pk if payment is not None else None,
        "receipt_id": receipt.pk if receipt is not None else None,
        "receipt_number": receipt.display_number if receipt is not None else None,
        "receipt_pdf_url": _receipt_pdf_url(order.estate_id, receipt.pk) if receipt is not None else None,
    }


@router.post("/estates/{estate_id}/billing/orders", response={201: OrderOut},
             summary="Open an online payment order for a house")
def order_create(request, estate_id: int, payload: OrderIn):
    actor = api_actor(request, estate_id)
    house = house_get_for_actor(actor=actor, house_id=payload.house_id)
    order = online.order_create(actor=actor, house=house, bill_ids=payload.bill_ids or None, amount=payload.amount,
                                provider=payload.provider, key=payload.idempotency_key)
    return Status(201, order_data(order))


@router.get("/estates/{estate_id}/billing/orders", response=OrderPage, summary="My online payment orders")
def order_list(request, estate_id: int, filters: Query[OrderFilters]):
    actor = api_actor(request, estate_id)
    qs = online.order_list(actor=actor)
    if filters.house_id is not None:
        qs = qs.filter(house_id=filters.house_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    page = paginate(qs, cursor=filters.cursor, limit=filters.limit, descending=True)
    return {"items": [order_data(o) for o in page.items], "next_cursor": page.next_cursor}


@router.get("/estates/{estate_id}/billing/orders/{order_id}", response=OrderOut,
            summary="An order's status (poll it after paying), with its receipt once paid")
def order_detail(request, estate_id: int, order_id: int):
    actor = api_actor(request, estate_id)
    order = online.order_get_for_actor(actor=actor, order_id=order_id)
    return order_data(order, online.order_payment(order) if order.status == OrderStatus.PAID else None)


def _notify(request, provider: str) -> HttpResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = b"x" * (online.MAX_BODY + 1) if length > online.MAX_BODY else request.body
    remote = request.META.get("REMOTE_ADDR", "")
    status, answer = online.notification_handle(provider=provider, headers=dict(request.headers), body=body,
                                                remote_addr=remote)
    content_type = "text/plain" if provider == "alipay" else "application/json"
    return HttpResponse(answer, status=status, content_type=content_type)


@router.post("/billing/notify/wechat", auth=None, include_in_schema=True, summary="WeChat Pay's notification")
def notify_wechat(request):
    return _notify(request, "wechat")


@router.post("/billing/notify/alipay", auth=None, summary="Alipay's notification")
def notify_alipay(request):
    return _notify(request, "alipay")


@router.post("/billing/notify/sandbox", auth=None, summary="The demo sandbox's notification")
def notify_sandbox(request):
    return _notify(request, "sandbox")

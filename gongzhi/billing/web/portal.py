"""The resident's bills and online payment (portal, mobile-first): my bills per house with each line's explanation
and the prepayment balance; pay all or chosen bills, or an advance amount; the order's status and then its receipt;
and the demo sandbox's gateway page.

Views only shape input and call services and reads. The pay form carries an idempotency key (a hidden field made
when the page is drawn), so a double submit opens one order."""

import uuid
from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext

from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.web import estate_page
from gongzhi.estate.models import House
from gongzhi.estate.web.views import render_page
from gongzhi.ledger.web.layout import base_for

from .. import online
from ..choices import BillStatus, OrderStatus, PaymentMethod
from ..models import Bill, BillingAccount, BillLine
from ..payments import house_get_for_actor
from ..policies import resident_house_ids
from ..providers import default_provider
from ..providers.sandbox import SandboxProvider

PAID_SHOWN = 12
ZERO = Decimal("0.00")


def _receipt_url(estate_id: int, receipt) -> str | None:
    if receipt is None:
        return None
    return reverse("billing:receipt_pdf", kwargs={"estate_id": estate_id, "receipt_id": receipt.pk})


def _houses(actor) -> list:
    ids = resident_house_ids(actor)
    return list(House.objects.filter(estate=actor.estate, pk__in=ids).select_related("building", "unit")
                .order_by("pk"))


@estate_page
def my_bills(request):
    """Open and recently settled bills of each house the resident lives in or owns."""
    actor = request.actor
    houses = _houses(actor)
    ids = [h.pk for h in houses]
    open_bills = list(Bill.objects.filter(estate=actor.estate, house_id__in=ids, status=BillStatus.OPEN)
                      .order_by("house_id", "due_date", "id"))
    paid_bills = []
    for house_id in ids:
        paid_bills.extend(Bill.objects.filter(estate=actor.estate, house_id=house_id, status=BillStatus.PAID)
                          .order_by("-period_start", "-id")[:PAID_SHOWN])
    lines: dict[int, list] = {}
    for line in BillLine.objects.filter(bill_id__in=[b.pk for b in open_bills + paid_bills]).order_by(
            "bill_id", "sort", "id"):
        lines.setdefault(line.bill_id, []).append(line)
    prepaid = dict(BillingAccount.objects.filter(house_id__in=ids).values_list("house_id", "prepaid"))
    rows = []
    for house in houses:
        owing = [b for b in open_bills if b.house_id == house.pk]
        for bill in owing + paid_bills:
            bill.line_rows = lines.get(bill.pk, [])
        rows.append({"house": house, "open": owing, "paid": [b for b in paid_bills if b.house_id == house.pk],
                     "outstanding": sum((b.outstanding for b in owing), ZERO),
                     "prepaid": prepaid.get(house.pk, ZERO), "key": uuid.uuid4().hex})
    recent = list(online.order_list(actor=actor)[:5]) if ids else []
    return render_page(request, "billing/portal/my_bills.html", {
        "base": base_for(actor), "rows": rows, "orders": recent,
        "provider_label": PaymentMethod(default_provider()).label})


@estate_page
def pay(request, house_id):
    """Open an order for the chosen bills (or all, or an advance amount) and go to the provider. A GET shows the
    bills to choose from."""
    actor = request.actor
    house = house_get_for_actor(actor=actor, house_id=house_id)
    if request.method != "POST":
        return my_bills.__wrapped__(request)
    bill_ids = request.POST.getlist("bill_ids")
    advance = (request.POST.get("amount") or "").strip()
    if request.POST.get("what") == "advance":
        bill_ids = []
        if not advance:
            messages.error(request, gettext("Enter the amount to pay in advance."))
            return redirect("billing:my_bills", estate_id=actor.estate.pk)
    else:
        advance = ""
    try:
        order = online.order_create(actor=actor, house=house, bill_ids=bill_ids or None, amount=advance or None,
                                    key=request.POST.get("key", ""))
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        messages.error(request, error.text())
        return redirect("billing:my_bills", estate_id=actor.estate.pk)
    if order.status == OrderStatus.CREATED and order.pay_url.startswith(("/", "https://", "http://")):
        return redirect(order.pay_url)
    return redirect("billing:order", estate_id=actor.estate.pk, order_id=order.pk)


@estate_page
def order(request, order_id):
    """The order's status; once paid, the receipt. Polls itself while the payment is awaited."""
    actor = request.actor
    found = online.order_get_for_actor(actor=actor, order_id=order_id)
    payment = online.order_payment(found) if found.status == OrderStatus.PAID else None
    receipt = getattr(payment, "receipt", None) if payment is not None else None
    bills = list(Bill.objects.filter(estate=actor.estate, pk__in=found.bill_ids).order_by("due_date", "id"))
    return render_page(request, "billing/portal/order.html", {
        "base": base_for(actor), "order": found, "payment": payment, "receipt": receipt, "bills": bills,
        "receipt_url": _receipt_url(actor.estate.pk, receipt), "waiting": found.status == OrderStatus.CREATED,
        "is_sandbox": found.provider == PaymentMethod.SANDBOX})


@estate_page
def sandbox_gateway(request, order_id):
    """The demo's gateway: the amount, "Pay" and "Cancel". "Pay" sends the sandbox's signed notification through
    the notification handler; nothing here marks the order paid by itself."""
    actor = request.actor
    found = online.order_get_for_actor(actor=actor, order_id=order_id)
    if found.provider != PaymentMethod.SANDBOX:
        raise Http404()
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            online.order_close(actor=actor, order=found)
            messages.info(request, gettext("The payment was cancelled."))
            return redirect("billing:my_bills", estate_id=actor.estate.pk)
        if found.status == OrderStatus.CREATED:
            sandbox = SandboxProvider.from_settings()
            headers, body = sandbox.notification_for(found)
            status, _answer = online.notification_handle(provider="sandbox", headers=headers, body=body,
                                                         remote_addr=request.META.get("REMOTE_ADDR", ""))
            if status >= 300:
                messages.error(request, gettext("The payment was refused; nothing was charged."))
        return redirect("billing:order", estate_id=actor.estate.pk, order_id=found.pk)
    return render_page(request, "billing/portal/sandbox.html", {"base": base_for(actor), "order": found})


urlpatterns = [
    path("billing/mine/", my_bills, name="my_bills"),
    path("billing/mine/<int:house_id>/pay/", pay, name="pay"),
    path("billing/orders/<int:order_id>/", order, name="order"),
    path("billing/sandbox/<int:order_id>/", sandbox_gateway, name="sandbox_gateway"),
]

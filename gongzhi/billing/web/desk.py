"""The cash desk, receipts and refunds (DESIGN.md habit 1: views only call services and selectors).

- ``billing:desk`` (finance, the manager): find a house by building-unit-number, see its open bills and balance,
  record cash, a bank transfer or POS against chosen bills or oldest first, then print the receipt.
- ``billing:receipts`` / ``billing:receipt`` / ``billing:receipt_pdf``: staff see every receipt, a resident the
  receipts of their own houses (mobile layout); finance voids a receipt from its page.
- ``billing:refunds`` / ``billing:refund``: finance asks for a refund of a house's prepayment balance; a manager who
  is not the requester approves or rejects.
"""

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.pagination import paginate
from gongzhi.core.web import estate_page
from gongzhi.estate.selectors import house_by_ref
from gongzhi.estate.validators import parse_house_ref
from gongzhi.estate.web.views import pager, render_page
from gongzhi.ledger.web.layout import base_for

from .. import payments, receipts, refunds
from ..choices import RefundStatus
from ..policies import FINANCE_ROLES, PaymentPolicy
from .desk_forms import DecisionForm, HouseFindForm, PaymentForm, RefundForm, VoidForm

LIST_LIMIT = 50


def _staff(request, action: str = "record"):
    actor = request.actor
    if not PaymentPolicy.can(actor, action):
        raise Forbidden()
    return actor


def _reader(request):
    actor = request.actor
    if not PaymentPolicy.can(actor, "view"):
        raise Forbidden()
    return actor


def _run(form, call):
    """Call a service; its 400 goes back on the form, other errors are shown as the error page."""
    try:
        return call()
    except DomainError as error:
        if error.status in {403, 404}:
            raise
        form.add_service_error(error)
        return None


def _house_from_ref(actor, text: str):
    ref = parse_house_ref(text)
    return house_by_ref(actor=actor, building=ref.building, unit=ref.unit, number=ref.number) if ref else None


# --- the cash desk -----------------------------------------------------------------------------------------------
@estate_page
def desk(request):
    actor = _staff(request)
    find = HouseFindForm(request.GET or None)
    house, not_found = None, False
    if request.GET.get("house_id", "").isdigit():
        house = payments.house_get_for_actor(actor=actor, house_id=request.GET["house_id"])
        find = HouseFindForm(initial={"house": house.code})
    elif find.is_bound and find.is_valid():
        house = _house_from_ref(actor, find.cleaned_data["house"])
        not_found = house is None
    context = {"base": base_for(actor), "find": find, "house": house, "not_found": not_found}
    status = 200
    if house is not None:
        bills = payments.open_bills_for_house(house)
        form = PaymentForm(request.POST or None, bills=bills)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            payment = _run(form, lambda: payments.payment_record(
                actor=actor, house=house, amount=d["amount"], method=d["method"], key=d["idempotency_key"],
                bill_ids=d["bill_ids"] or None, reference=d["reference"], payer_name=d["payer_name"],
                note=d["note"]))
            if payment is not None:
                return redirect(reverse("billing:receipt", kwargs={"estate_id": actor.estate.pk,
                                                                   "receipt_id": payment.receipt.pk}))
        status = 400 if form.errors else 200
        context.update({"form": form, "bills": bills, "balance": payments.house_balance(house),
                        "recent": list(receipts.receipt_list(actor=actor, house=house)[:5])})
    elif not_found:
        status = 404
    return render_page(request, "billing/desk/desk.html", context, status=status)


# --- receipts ----------------------------------------------------------------------------------------------------
@estate_page
def receipt_list(request):
    actor = _reader(request)
    page = paginate(receipts.receipt_list(actor=actor), cursor=request.GET.get("cursor"), limit=LIST_LIMIT,
                    descending=True)
    return render_page(request, "billing/desk/receipts.html", {
        "base": base_for(actor), "receipts": page.items, "staff": actor.has_any(FINANCE_ROLES),
        **pager(request, page)})


@estate_page
def receipt_detail(request, receipt_id):
    actor = _reader(request)
    receipt = receipts.receipt_get_for_actor(actor=actor, receipt_id=receipt_id)
    can_void = PaymentPolicy.can(actor, "void")
    form = VoidForm(request.POST or None) if can_void else None
    if request.method == "POST":
        if not can_void:
            raise Forbidden()
        if form.is_valid() and _run(form, lambda: receipts.receipt_void(
                actor=actor, receipt=receipt, reason=form.cleaned_data["reason"])) is not None:
            return redirect(request.path)
    return render_page(request, "billing/desk/receipt.html", {
        "base": base_for(actor), "receipt": receipt, "void": receipts.receipt_void_of(receipt),
        "upper": receipts.rmb_upper(receipt.amount), "form": form,
        "method": receipts.method_label(receipt.payment.method)},
        status=400 if form is not None and form.errors else 200)


@estate_page
def receipt_pdf(request, receipt_id):
    actor = _reader(request)
    receipt = receipts.receipt_get_for_actor(actor=actor, receipt_id=receipt_id)
    response = HttpResponse(receipts.render_receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipts.receipt_pdf_filename(receipt)}"'
    return response


# --- refunds -----------------------------------------------------------------------------------------------------
@estate_page
def refund_list(request):
    actor = request.actor
    if not actor.has_any(FINANCE_ROLES):
        raise Forbidden()
    can_request = PaymentPolicy.can(actor, "request_refund")
    form = RefundForm(request.POST or None) if can_request else None
    if request.method == "POST":
        if not can_request:
            raise Forbidden()
        if form.is_valid():
            d = form.cleaned_data
            house = _house_from_ref(actor, d["house"])
            if house is None:
                form.add_error("house", _("No such house: write it as building-unit-number."))
            else:
                refund = _run(form, lambda: refunds.refund_request(
                    actor=actor, house=house, amount=d["amount"], method=d["method"], reason=d["reason"],
                    key=d["idempotency_key"]))
                if refund is not None:
                    return redirect(reverse("billing:refund", kwargs={"estate_id": actor.estate.pk,
                                                                      "refund_id": refund.pk}))
    status = request.GET.get("status") or None
    if status not in RefundStatus.values:
        status = None
    page = paginate(refunds.refund_list(actor=actor, status=status), cursor=request.GET.get("cursor"),
                    limit=LIST_LIMIT, descending=True)
    return render_page(request, "billing/desk/refunds.html", {
        "base": base_for(actor), "refunds": page.items, "form": form, "status": status,
        "statuses": RefundStatus.choices, **pager(request, page)},
        status=400 if form is not None and form.errors else 200)


@estate_page
def refund_detail(request, refund_id):
    actor = request.actor
    if not actor.has_any(FINANCE_ROLES):
        raise Forbidden()
    refund = refunds.refund_get_for_actor(actor=actor, refund_id=refund_id)
    can_decide = (PaymentPolicy.can(actor, "approve_refund") and refund.requested_by_id != actor.user_id
                  and refund.status == RefundStatus.REQUESTED)
    form = DecisionForm(request.POST or None) if can_decide else None
    if request.method == "POST":
        if form is None:
            raise Forbidden()
        action = request.POST.get("action")
        if form.is_valid():
            note = form.cleaned_data["note"]
            if action == "approve":
                done = _run(form, lambda: refunds.refund_approve(actor=actor, refund=refund, note=note))
            else:
                done = _run(form, lambda: refunds.refund_reject(actor=actor, refund=refund, note=note))
            if done is not None:
                return redirect(request.path)
    return render_page(request, "billing/desk/refund.html", {
        "base": base_for(actor), "refund": refund, "form": form,
        "balance": payments.house_balance(refund.house)},
        status=400 if form is not None and form.errors else 200)


urlpatterns = [
    path("billing/desk/", desk, name="desk"),
    path("billing/receipts/", receipt_list, name="receipts"),
    path("billing/receipts/<int:receipt_id>/", receipt_detail, name="receipt"),
    path("billing/receipts/<int:receipt_id>/pdf/", receipt_pdf, name="receipt_pdf"),
    path("billing/refunds/", refund_list, name="refunds"),
    path("billing/refunds/<int:refund_id>/", refund_detail, name="refund"),
]

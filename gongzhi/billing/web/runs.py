"""Bill-run and bill pages: runs (list, "new run" with a preview before issuing), one run, the staff's bill list,
one bill (staff and residents: each line with its explanation, the late-fee basis, adjustments and what settled
it), and adjusting a bill.

Views only call the services and selectors of ``gongzhi.billing.runs`` and ``gongzhi.billing.bills``; who may do
what is BillPolicy's answer (anyone else gets 403; a bill the actor may not see is 404)."""

import datetime

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.pagination import paginate
from gongzhi.core.web import estate_page
from gongzhi.estate.models import Building
from gongzhi.estate.web.views import pager, render_page
from gongzhi.ledger.web.layout import CONSOLE, base_for

from .. import bills, runs
from ..choices import BillKind, BillStatus
from ..policies import BILL_READ_ROLES, BillPolicy
from .runs_forms import AdjustForm, RunForm

LIST_LIMIT = 50


def _finance(request):
    if not BillPolicy.can(request.actor, "run"):
        raise Forbidden()
    return request.actor


@estate_page
def run_list(request):
    """The runs, newest first, and the form for a new one: "Preview" shows what it would bill; "Issue" bills it."""
    actor = _finance(request)
    form = RunForm(request.POST or None, estate=actor.estate)
    preview = None
    if request.method == "POST" and form.is_valid():
        args = {"actor": actor, "period_kind": form.cleaned_data["period_kind"],
                "period_start": form.cleaned_data["period_start"], "building": form.cleaned_data["building"]}
        try:
            if request.POST.get("action") == "issue":
                run = runs.bill_run_issue(**args)
                messages.success(request, _("%(bills)s bills issued, %(total)s yuan in all.") % {
                    "bills": run.bills_count, "total": run.total})
                return redirect("billing:run", estate_id=actor.estate.pk, run_id=run.pk)
            preview = runs.bill_run_preview(**args)
        except DomainError as error:
            if error.status not in (400, 409):
                raise
            form.add_service_error(error)
    page = paginate(runs.bill_run_list(actor=actor), cursor=request.GET.get("cursor"), limit=LIST_LIMIT,
                    descending=True)
    return render_page(request, "billing/runs/list.html", {"base": CONSOLE, "form": form, "preview": preview,
                                                           "runs": page.items, **pager(request, page)})


@estate_page
def run_detail(request, run_id):
    actor = _finance(request)
    run = runs.bill_run_get_for_actor(actor=actor, run_id=run_id)
    page = bills.bill_list(actor=actor, run_id=run.pk, cursor=request.GET.get("cursor"), limit=LIST_LIMIT)
    return render_page(request, "billing/runs/run.html", {"base": CONSOLE, "run": run, "bills": page.items,
                                                          **pager(request, page)})


@estate_page
def bill_list(request):
    """Staff's list of bills with filters (status, period, building, house); a resident sees their own."""
    actor = request.actor
    if not BillPolicy.can(actor, "view"):
        raise Forbidden()
    status = request.GET.get("status", "")
    status = status if status in BillStatus.values else ""
    kind = request.GET.get("kind", "")
    kind = kind if kind in BillKind.values else ""
    period = request.GET.get("period", "")
    try:
        period_day = datetime.date.fromisoformat(f"{period}-01") if period else None
    except ValueError:
        period_day = None
    building_id = request.GET.get("building")
    building_id = int(building_id) if building_id and building_id.isdigit() else None
    page = bills.bill_list(actor=actor, status=status, kind=kind, period=period_day, building_id=building_id,
                           cursor=request.GET.get("cursor"), limit=LIST_LIMIT)
    staff = actor.has_any(BILL_READ_ROLES)
    return render_page(request, "billing/runs/bills.html", {
        "base": base_for(actor), "bills": page.items, "status": status, "kind": kind, "period": period,
        "building_id": building_id, "statuses": BillStatus.choices, "kinds": BillKind.choices, "staff": staff,
        "buildings": Building.objects.filter(estate=actor.estate).order_by("sort_key", "name") if staff else [],
        **pager(request, page)})


@estate_page
def bill_detail(request, bill_id):
    actor = request.actor
    bill = bills.bill_get_for_actor(actor=actor, bill_id=bill_id)
    lines = list(bill.lines.all())
    return render_page(request, "billing/runs/bill.html", {
        "base": base_for(actor), "bill": bill, "lines": lines, "can_adjust": BillPolicy.can(actor, "adjust"),
        "is_late_fee": bill.kind == BillKind.LATE_FEE})


@estate_page
def bill_adjust(request, bill_id):
    actor = request.actor
    if not BillPolicy.can(actor, "adjust"):
        raise Forbidden()
    bill = bills.bill_get_for_actor(actor=actor, bill_id=bill_id)
    form = AdjustForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bills.adjustment_create(actor=actor, bill=bill, amount=form.cleaned_data["amount"],
                                    reason=form.cleaned_data["reason"], key=form.cleaned_data["key"])
        except DomainError as error:
            if error.status not in (400, 409):
                raise
            form.add_service_error(error)
        else:
            messages.success(request, _("The bill is adjusted."))
            return redirect(reverse("billing:bill", kwargs={"estate_id": actor.estate.pk, "bill_id": bill.pk}))
    return render_page(request, "billing/runs/adjust.html", {"base": CONSOLE, "bill": bill, "form": form})


urlpatterns = [
    path("billing/runs/", run_list, name="runs"),
    path("billing/runs/<int:run_id>/", run_detail, name="run"),
    path("billing/bills/", bill_list, name="bills"),
    path("billing/bills/<int:bill_id>/", bill_detail, name="bill"),
    path("billing/bills/<int:bill_id>/adjust/", bill_adjust, name="adjust"),
]

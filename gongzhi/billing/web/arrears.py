"""Arrears pages: the arrears list by age bucket with reminders and late fees (finance, the manager), a house's
statement (staff), the resident's own statement (portal), the collection rate (finance, the manager and the owners'
committee: aggregates only) and the .xlsx downloads.

Views only shape input and call services and reads (``arrears``, ``collection``, ``exports``, ``late_fees``); the
rules and the error texts are theirs."""

import datetime

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import Forbidden
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import pager, render_page
from gongzhi.ledger.web.layout import base_for

from .. import arrears, collection, exports, late_fees
from ..choices import PeriodKind
from ..policies import BillPolicy

BAR_WIDTH = 320


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _buildings(actor):
    from gongzhi.estate.models import Building

    return [("", _("All buildings"))] + [(str(b.pk), b.name) for b in
                                         Building.objects.filter(estate=actor.estate).order_by("sort_key", "name")]


class ArrearsFilterForm(forms.Form):
    building = forms.ChoiceField(label=_("Building"), required=False)
    min_days = forms.IntegerField(label=_("At least days overdue"), required=False, min_value=0, max_value=3650)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = _buildings(actor)


class CollectionForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices, required=False)
    start = forms.DateField(label=_("A day in the period"), required=False, widget=DateInput())
    group = forms.ChoiceField(label=_("By"), required=False, choices=[
        ("building", _("Building")), ("item", _("Fee item")), ("", _("Totals only"))])
    building = forms.ChoiceField(label=_("Building"), required=False)
    cut_off = forms.DateField(label=_("Paid by"), required=False, widget=DateInput())

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = _buildings(actor)


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=exports.KIND_CHOICES)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())


class StatementForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())


def _cleaned(form) -> dict:
    return form.cleaned_data if form.is_valid() else {name: None for name in form.fields}


# --- arrears -----------------------------------------------------------------------------------------------------
@estate_page
def arrears_page(request):
    """Totals by age bucket, by building, houses in arrears (cursor pages), reminders sent lately; buttons to remind
    now and to charge last month's late fees."""
    actor = arrears.require(request.actor, "arrears")
    form = ArrearsFilterForm(request.GET or None, actor=actor)
    data = _cleaned(form)
    building_id = int(data["building"]) if data.get("building") else None
    min_days = data["min_days"] if data.get("min_days") is not None else 1
    page = arrears.arrears_by_house(actor=actor, building_id=building_id, min_days=min_days,
                                    cursor=request.GET.get("cursor") or None)
    rules = late_fees.late_fee_rules(actor.estate)
    rules_all = actor.estate.rules()
    last_month_end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    return render_page(request, "billing/arrears/arrears.html", {
        "base": base_for(actor), "form": form, "buckets": arrears.BUCKETS, "page": page,
        "pager": pager(request, page), "totals": arrears.arrears_totals(actor=actor, building_id=building_id),
        "buildings": arrears.arrears_by_building(actor=actor), "reminders": arrears.reminders_recent(actor=actor),
        "can_remind": BillPolicy.can(actor, "remind"), "can_charge": BillPolicy.can(actor, "run"),
        "late_fee_active": rules.active, "late_fee_rate": late_fees.rate_text(rules.rate),
        "last_month_end": last_month_end, "reminder_after": rules_all.get("fees.reminder_after_days"),
        "reminder_every": rules_all.get("fees.reminder_every_days")})


@estate_page
def arrears_remind(request):
    """Remind the houses in arrears now (POST); a GET asks for confirmation."""
    actor = arrears.require(request.actor, "remind")
    if request.method != "POST":
        return render_page(request, "billing/arrears/confirm.html", {
            "base": base_for(actor), "title": gettext("Send reminders now"),
            "text": gettext("Every house in arrears that was not reminded lately gets a reminder.")})
    result = arrears.arrears_remind(actor=actor, estate=actor.estate)
    messages.success(request, gettext("Reminders sent to %(sent)s houses; %(recent)s were reminded recently.")
                     % {"sent": result.sent, "recent": result.skipped_recent})
    return redirect("billing:arrears", actor.estate.pk)


@estate_page
def late_fees_charge(request):
    """Charge the late fees accrued by the end of last month (POST; idempotent: a second click issues nothing); a
    GET asks for confirmation."""
    actor = request.actor
    if not BillPolicy.can(actor, "run"):
        raise Forbidden()
    on = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    if request.method != "POST":
        return render_page(request, "billing/arrears/confirm.html", {
            "base": base_for(actor), "title": gettext("Charge late fees to %(on)s") % {"on": on.isoformat()},
            "text": gettext("Late-fee bills for what accrued by then; charging again issues nothing twice.")})
    result = late_fees.late_fees_charge(actor=actor, estate=actor.estate, on=on)
    messages.success(request, gettext("%(bills)s late-fee bills issued, %(amount)s yuan in all, to %(on)s.")
                     % {"bills": result.bills, "amount": result.amount, "on": on.isoformat()})
    return redirect("billing:arrears", actor.estate.pk)


# --- statements --------------------------------------------------------------------------------------------------
@estate_page
def statement(request, house_id):
    """One house's statement (staff who see bills; a resident is sent to the portal's own page)."""
    actor = request.actor
    form = StatementForm(request.GET or None)
    data = _cleaned(form)
    result = arrears.house_statement(actor=actor, house_id=house_id, date_from=data.get("date_from"),
                                     date_to=data.get("date_to"))
    return render_page(request, "billing/arrears/statement.html", {
        "base": base_for(actor), "statement": result, "form": form, "staff": True})


@estate_page
def my_statement(request):
    """The resident's statement: their houses (a choice when there are several), every movement and the balance."""
    actor = request.actor
    houses = arrears.my_statement_houses(actor=actor)
    chosen = request.GET.get("house")
    house = next((h for h in houses if str(h.pk) == chosen), houses[0] if houses else None)
    form = StatementForm(request.GET or None)
    data = _cleaned(form)
    result = (arrears.house_statement(actor=actor, house_id=house.pk, date_from=data.get("date_from"),
                                      date_to=data.get("date_to")) if house is not None else None)
    return render_page(request, "billing/arrears/my_statement.html", {
        "base": base_for(actor), "statement": result, "houses": houses, "house": house, "form": form})


# --- collection rate ---------------------------------------------------------------------------------------------
def _bars(rows) -> list[dict]:
    """Inline SVG bars of the rates (0–100 %), one per row."""
    bars = []
    for i, row in enumerate(rows):
        rate = row.rate
        width = int(BAR_WIDTH * min(rate, 100) / 100) if rate is not None else 0
        bars.append({"y": i * 26, "label": row.label, "rate": rate, "width": width})
    return bars


@estate_page
def collection_page(request):
    """The collection rate of a period, by building or fee item, with bars (no house is ever named here)."""
    actor = request.actor
    if not BillPolicy.can(actor, "report"):
        raise Forbidden()
    form = CollectionForm(request.GET or None, actor=actor, initial={"period": PeriodKind.MONTH, "group": "building"})
    data = _cleaned(form)
    group = data.get("group") if request.GET else "building"
    report = collection.collection_rate(
        actor=actor, period_kind=data.get("period") or PeriodKind.MONTH, start=data.get("start"),
        group=group or "", cut_off=data.get("cut_off"),
        building_id=int(data["building"]) if data.get("building") else None)
    bars = _bars(report.rows)
    return render_page(request, "billing/arrears/collection.html", {
        "base": base_for(actor), "form": form, "report": report, "bars": bars,
        "bars_height": max(len(bars), 1) * 26, "bar_width": BAR_WIDTH,
        "can_export": BillPolicy.can(actor, "export")})


# --- exports -----------------------------------------------------------------------------------------------------
@estate_page
def exports_page(request):
    """What finance downloads to reconcile: each workbook for a date range."""
    actor = request.actor
    if not BillPolicy.can(actor, "export"):
        raise Forbidden()
    today = timezone.localdate()
    form = ExportForm(initial={"kind": "bills", "date_from": today.replace(day=1), "date_to": today})
    return render_page(request, "billing/arrears/exports.html", {
        "base": base_for(actor), "form": form, "kinds": exports.KIND_CHOICES})


@estate_page
def export_download(request):
    """One workbook (GET ``kind``, ``date_from``, ``date_to``), streamed."""
    form = ExportForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return exports.export_response(actor=request.actor, kind=data.get("kind") or request.GET.get("kind") or "bills",
                                   date_from=data.get("date_from"), date_to=data.get("date_to"))


urlpatterns = [
    path("billing/arrears/", arrears_page, name="arrears"),
    path("billing/arrears/remind/", arrears_remind, name="arrears_remind"),
    path("billing/late-fees/charge/", late_fees_charge, name="late_fees_charge"),
    path("billing/houses/<int:house_id>/statement/", statement, name="statement"),
    path("billing/my/statement/", my_statement, name="my_statement"),
    path("billing/collection/", collection_page, name="collection"),
    path("billing/exports/", exports_page, name="exports"),
    path("billing/exports/download/", export_download, name="export_download"),
]

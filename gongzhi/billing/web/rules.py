"""Fee items and rates, discounts, meters and readings: the console pages for finance and the manager (meters and
readings also for technicians), and "Fee items and rates", which every member reads (Civil Code art. 943).

Views only call the services and selectors of ``billing.rules``, ``billing.meters`` and
``billing.readings_import``; who may do what is the policies' answer (403 otherwise; another estate's object 404).
The writes here move no money and are idempotent by their own keys (the same rule or reading again is taken once).
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.web import estate_page
from gongzhi.estate.selectors import house_by_ref
from gongzhi.estate.validators import parse_house_ref
from gongzhi.estate.web.views import render_page
from gongzhi.ledger.web.layout import CONSOLE, base_for

from .. import meters, readings_import, rules
from ..choices import MeterKind
from ..policies import FeeRulePolicy, MeterPolicy
from .rules_forms import (
    DiscountForm,
    EndForm,
    FeeItemForm,
    ImportForm,
    MeterForm,
    ReadingForm,
    ReplaceForm,
    RuleForm,
)

LIST_LIMIT = 500


def _can(actor, policy, action: str):
    if not policy.can(actor, action):
        raise Forbidden()
    return actor


def _show(form, error: DomainError) -> None:
    """A service's error on the field it names, else on the form."""
    name = (error.detail or {}).get("field") if isinstance(error.detail, dict) else None
    if name in form.fields:
        form.add_error(name, error.text())
    else:
        form.add_error(None, error.text())


def _house(actor, ref: str):
    parsed = parse_house_ref(ref)
    house = house_by_ref(actor=actor, building=parsed.building, unit=parsed.unit, number=parsed.number) \
        if parsed else None
    if house is None:
        raise DomainError(_("No such house: %(ref)s"), code="invalid_field", detail={"field": "house"}, ref=ref)
    return house


# --- rates (every member) ----------------------------------------------------------------------------------------
@estate_page
def rates(request):
    """Fee items and rates (art. 943 disclosure): each item's current price and any announced change."""
    actor = _can(request.actor, FeeRulePolicy, "view")
    today = timezone.localdate()
    rows = rules.rates_disclosed(actor=actor, day=today)
    current = [r for r in rows if not r.upcoming]
    return render_page(request, "billing/rules/rates.html", {
        "base": base_for(actor), "current": current, "upcoming": [r for r in rows if r.upcoming], "today": today,
        "discounts": rules.discount_list(actor=actor, current_on=today).filter(house__isnull=True)[:50],
        "can_change": FeeRulePolicy.can(actor, "change")})


# --- fee items and rules (finance, the manager) ------------------------------------------------------------------
@estate_page
def fees(request):
    actor = _can(request.actor, FeeRulePolicy, "change")
    form = FeeItemForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                item = rules.fee_item_create(actor=actor, code=d["code"], name=d["name"], kind=d["kind"],
                                             meter_kind=d["meter_kind"], ledger_code=d["ledger_code"],
                                             late_fee=d["late_fee"], rate=d["rate"],
                                             effective_from=d["effective_from"])
                messages.success(request, _("Fee item “%(name)s” created.") % {"name": item.name})
                return redirect("billing:fee_item", estate_id=actor.estate.pk, fee_item_id=item.pk)
            except DomainError as error:
                _show(form, error)
        status = 400
    items = list(rules.fee_item_list(actor=actor))
    today = timezone.localdate()
    in_force = rules.rules_in_force(estate=actor.estate, start=today, end=today)
    current = {}
    for rule in in_force:
        current.setdefault(rule.fee_item_id, []).append(rule)
    return render_page(request, "billing/rules/fees.html", {
        "base": CONSOLE, "items": [(i, current.get(i.pk, [])) for i in items], "form": form}, status=status)


@estate_page
def fee_item(request, fee_item_id):
    actor = _can(request.actor, FeeRulePolicy, "change")
    item = rules.fee_item_get_for_actor(actor=actor, fee_item_id=fee_item_id)
    form = RuleForm(request.POST or None, prefix="rule")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                rules.fee_rule_create(actor=actor, fee_item=item, rate=d["rate"], effective_from=d["effective_from"],
                                      effective_to=d["effective_to"], house_kind=d["house_kind"],
                                      space_status=d["space_status"], tiers=form.tier_list(), note=d["note"])
                messages.success(request, _("New rate saved."))
                return redirect("billing:fee_item", estate_id=actor.estate.pk, fee_item_id=item.pk)
            except DomainError as error:
                _show(form, error)
        status = 400
    return render_page(request, "billing/rules/fee_item.html", {
        "base": CONSOLE, "item": item, "rules": rules.fee_rule_list(actor=actor, fee_item=item), "form": form},
        status=status)


@estate_page
def rule_end(request, rule_id):
    actor = _can(request.actor, FeeRulePolicy, "change")
    rule = rules.fee_rule_get_for_actor(actor=actor, rule_id=rule_id)
    if request.method != "POST":  # the end form lives on the fee item's page
        return fee_item.__wrapped__(request, fee_item_id=rule.fee_item_id)
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rules.fee_rule_end(actor=actor, rule=rule, effective_to=form.cleaned_data["effective_to"])
            messages.success(request, _("The rule ends on %(day)s.") % {"day": form.cleaned_data["effective_to"]})
        except DomainError as error:
            messages.error(request, error.text())
    return redirect("billing:fee_item", estate_id=actor.estate.pk, fee_item_id=rule.fee_item_id)


# --- discounts ---------------------------------------------------------------------------------------------------
@estate_page
def discounts(request):
    actor = _can(request.actor, FeeRulePolicy, "change")
    items = list(rules.fee_item_list(actor=actor))
    form = DiscountForm(request.POST or None, items=items)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                house = _house(actor, d["house"]) if d["house"] else None
                item = next((i for i in items if i.pk == d["fee_item"]), None)
                rules.discount_create(actor=actor, kind=d["kind"], percent=d["percent"], fee_item=item, house=house,
                                      months=d["months"], effective_from=d["effective_from"],
                                      effective_to=d["effective_to"], reason=d["reason"])
                messages.success(request, _("Discount saved."))
                return redirect("billing:discounts", estate_id=actor.estate.pk)
            except DomainError as error:
                _show(form, error)
        status = 400
    return render_page(request, "billing/rules/discounts.html", {
        "base": CONSOLE, "discounts": rules.discount_list(actor=actor)[:LIST_LIMIT], "form": form,
        "end_form": EndForm()}, status=status)


@estate_page
def discount_end(request, discount_id):
    actor = _can(request.actor, FeeRulePolicy, "change")
    discount = rules.discount_get_for_actor(actor=actor, discount_id=discount_id)
    if request.method != "POST":  # the end forms live on the discounts' page
        return discounts.__wrapped__(request)
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rules.discount_end(actor=actor, discount=discount, effective_to=form.cleaned_data["effective_to"])
        except DomainError as error:
            messages.error(request, error.text())
    return redirect("billing:discounts", estate_id=actor.estate.pk)


# --- meters and readings -----------------------------------------------------------------------------------------
@estate_page
def meter_list(request):
    """A round of readings: every current meter of one kind with its last reading and a box for today's; finance
    and the manager also install meters here."""
    actor = _can(request.actor, MeterPolicy, "view")
    kind = request.GET.get("kind") or MeterKind.WATER
    if kind not in MeterKind.values:
        kind = MeterKind.WATER
    form = MeterForm(request.POST or None) if request.POST.get("action") == "install" else MeterForm()
    reading_errors: dict[int, str] = {}
    status = 200
    if request.method == "POST" and request.POST.get("action") == "install":
        _can(actor, MeterPolicy, "create")
        if form.is_valid():
            d = form.cleaned_data
            try:
                meters.meter_install(actor=actor, house=_house(actor, d["house"]), kind=d["kind"],
                                     serial=d["serial"], installed_on=d["installed_on"],
                                     initial_reading=d["initial_reading"])
                messages.success(request, _("Meter installed."))
                return redirect(reverse("billing:meters", kwargs={"estate_id": actor.estate.pk}) + f"?kind={kind}")
            except DomainError as error:
                _show(form, error)
        status = 400
    elif request.method == "POST":
        _can(actor, MeterPolicy, "read")
        day = request.POST.get("read_on") or timezone.localdate().isoformat()
        saved = 0
        sheet = {m.pk: m for m in meters.reading_sheet(actor=actor, kind=kind)[:LIST_LIMIT]}
        for meter_id, meter in sheet.items():
            value = (request.POST.get(f"m{meter_id}") or "").strip()
            if not value:
                continue
            try:
                meters.reading_record(actor=actor, meter=meter, read_on=day, value=value)
                saved += 1
            except DomainError as error:
                reading_errors[meter_id] = error.text()
        messages.success(request, _("%(n)s readings saved.") % {"n": saved})
        if not reading_errors:
            return redirect(reverse("billing:meters", kwargs={"estate_id": actor.estate.pk}) + f"?kind={kind}")
        status = 400
    rows = list(meters.reading_sheet(actor=actor, kind=kind)[:LIST_LIMIT])
    return render_page(request, "billing/rules/meters.html", {
        "base": CONSOLE, "rows": [(m, reading_errors.get(m.pk, ""), request.POST.get(f"m{m.pk}", "")) for m in rows],
        "kind": kind, "kinds": MeterKind.choices, "form": form, "today": timezone.localdate(),
        "can_install": MeterPolicy.can(actor, "create"), "can_import": MeterPolicy.can(actor, "import")},
        status=status)


@estate_page
def meter_detail(request, meter_id):
    actor = _can(request.actor, MeterPolicy, "view")
    meter = meters.meter_get_for_actor(actor=actor, meter_id=meter_id)
    action = request.POST.get("action")
    reading_form = ReadingForm(request.POST if action == "read" else None, prefix="r")
    replace_form = ReplaceForm(request.POST if action == "replace" else None, prefix="x")
    status = 200
    if request.method == "POST":
        form = replace_form if action == "replace" else reading_form
        _can(actor, MeterPolicy, "change" if action == "replace" else "read")
        if form.is_valid():
            d = form.cleaned_data
            try:
                if action == "replace":
                    new = meters.meter_replace(actor=actor, meter=meter, replaced_on=d["replaced_on"],
                                               final_reading=d["final_reading"], serial=d["serial"],
                                               initial_reading=d["initial_reading"])
                    messages.success(request, _("Meter replaced."))
                    return redirect("billing:meter", estate_id=actor.estate.pk, meter_id=new.pk)
                meters.reading_record(actor=actor, meter=meter, read_on=d["read_on"], value=d["value"],
                                      note=d["note"])
                messages.success(request, _("Reading saved."))
                return redirect("billing:meter", estate_id=actor.estate.pk, meter_id=meter.pk)
            except DomainError as error:
                _show(form, error)
        status = 400
    return render_page(request, "billing/rules/meter.html", {
        "base": CONSOLE, "meter": meter, "readings": meters.reading_list(actor=actor, meter=meter)[:LIST_LIMIT],
        "reading_form": reading_form, "replace_form": replace_form,
        "can_replace": MeterPolicy.can(actor, "change") and meter.removed_on is None}, status=status)


@estate_page
def readings_import_page(request):
    """Upload a workbook: it is checked first and its problems listed by row and column; "import" writes it."""
    actor = _can(request.actor, MeterPolicy, "import")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = readings_import.readings_import(actor=actor, filename=upload.name, data=upload.read(),
                                                 dry_run=request.POST.get("action") != "import")
        if report.written:
            messages.success(request, _("%(created)s readings imported, %(unchanged)s already there.")
                             % {"created": report.created, "unchanged": report.unchanged})
            return redirect("billing:readings_import", estate_id=actor.estate.pk)
        status = 200 if report.ok else 400
    elif request.method == "POST":
        status = 400
    errors = [readings_import.error_dict(e) for e in report.errors] if report else []
    return render_page(request, "billing/rules/readings_import.html", {
        "base": CONSOLE, "form": form, "report": report, "errors": errors,
        "zh": (request.LANGUAGE_CODE or "").startswith("zh")}, status=status)


@estate_page
def readings_template(request):
    _can(request.actor, MeterPolicy, "import")
    response = HttpResponse(readings_import.template_workbook(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="gongzhi-readings-template.xlsx"'
    return response


urlpatterns = [
    path("billing/rates/", rates, name="rates"),
    path("billing/fees/", fees, name="fees"),
    path("billing/fees/<int:fee_item_id>/", fee_item, name="fee_item"),
    path("billing/rules/<int:rule_id>/end/", rule_end, name="rule_end"),
    path("billing/discounts/", discounts, name="discounts"),
    path("billing/discounts/<int:discount_id>/end/", discount_end, name="discount_end"),
    path("billing/meters/", meter_list, name="meters"),
    path("billing/meters/<int:meter_id>/", meter_detail, name="meter"),
    path("billing/readings/import/", readings_import_page, name="readings_import"),
    path("billing/readings/template.xlsx", readings_template, name="readings_template"),
]

"""The maintenance fund's forms. They only shape input: every rule is the services' (a service error is put back on
the field it names)."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.estate.models import Building, Unit

from ..choices import ApprovalDecision, EmergencyKind
from ..fund_projects import MAX_ITEMS

DATE = forms.DateInput(attrs={"type": "date"})
MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


class ServiceErrors:
    """Put a service's DomainError on the field it names (``detail.field``, first part), else on the form."""

    FIELD_OF: dict = {}

    def add_service_error(self, error) -> None:
        name = (error.detail or {}).get("field", "") if isinstance(error.detail, dict) else ""
        name = self.FIELD_OF.get(name, name.split(".")[0].split("[")[0] if name else "")
        self.add_error(name if name in self.fields else None, error.text())


def new_key() -> str:
    """A fresh idempotency key for a form: submitting the same form twice posts once."""
    return uuid.uuid4().hex


class DateField(forms.DateField):
    widget = DATE

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Date"))
        kwargs.setdefault("initial", timezone.localdate)
        super().__init__(**kwargs)


class DepositForm(ServiceErrors, forms.Form):
    date = DateField()
    rate_per_m2 = forms.DecimalField(label=_("Rate (yuan per m²)"), required=False, max_digits=12,
                                     decimal_places=4, min_value=0,
                                     help_text=_("Leave empty to use the estate's construction cost × its deposit "
                                                 "share."))
    # What the preview showed; confirming checks the plan has not changed since.
    expected_count = forms.IntegerField(required=False, widget=forms.HiddenInput)
    expected_total = forms.DecimalField(required=False, widget=forms.HiddenInput, **MONEY)


class TopUpForm(ServiceErrors, forms.Form):
    house = forms.CharField(label=_("House"), max_length=40, help_text=_("As written: building-unit-number, e.g. "
                                                                       "3-2-1502."))
    amount = forms.DecimalField(label=_("Amount (yuan)"), **MONEY)
    date = DateField()
    description = forms.CharField(label=_("Note"), max_length=200, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=new_key, max_length=40)
    FIELD_OF = {"house_id": "house"}


class InterestForm(ServiceErrors, forms.Form):
    amount = forms.DecimalField(label=_("Interest received (yuan)"), **MONEY)
    date = DateField(help_text=_("Balances on this date set each house's share."))
    period_label = forms.CharField(label=_("Period"), max_length=40,
                                   help_text=_("e.g. 2025 or 2025-H1: each period is credited once."))


class ProjectForm(ServiceErrors, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    contractor = forms.CharField(label=_("Contractor"), max_length=120, required=False)
    emergency = forms.BooleanField(label=_("Emergency repair: danger to the building, no owners' vote"),
                                   required=False)
    emergency_kind = forms.ChoiceField(label=_("Emergency"), required=False,
                                       choices=[("", _("— not an emergency —")), *EmergencyKind.choices])
    scope = forms.ChoiceField(label=_("Charge scope"), widget=forms.RadioSelect, initial="estate",
                              choices=[("estate", _("The whole estate")), ("buildings", _("Buildings")),
                                       ("units", _("Units"))])
    buildings = forms.ModelMultipleChoiceField(label=_("Buildings"), queryset=Building.objects.none(),
                                               required=False, widget=forms.CheckboxSelectMultiple)
    units = forms.ModelMultipleChoiceField(label=_("Units"), queryset=Unit.objects.none(), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=new_key, max_length=40)
    FIELD_OF = {"scope_ids": "scope"}
    ITEM_ROWS = 6

    def __init__(self, *args, estate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buildings"].queryset = Building.objects.for_estate(estate).order_by("sort_key", "name")
        self.fields["units"].queryset = (Unit.objects.for_estate(estate).select_related("building")
                                         .order_by("building__sort_key", "building__name", "sort_key", "name"))
        self.fields["units"].label_from_instance = lambda u: _("Building %(building)s, unit %(unit)s") % {
            "building": u.building.name, "unit": u.name}
        rows = max(self.ITEM_ROWS, self._posted_rows())
        for i in range(1, min(rows, MAX_ITEMS) + 1):
            self.fields[f"item_{i}_description"] = forms.CharField(label=_("Item %(n)s") % {"n": i},
                                                                   max_length=200, required=False)
            self.fields[f"item_{i}_amount"] = forms.DecimalField(label=_("Amount (yuan)"), required=False,
                                                                 **MONEY)

    def _posted_rows(self) -> int:
        data = self.data or {}
        return sum(1 for k in data if k.startswith("item_") and k.endswith("_description"))

    def item_rows(self):
        i = 1
        while f"item_{i}_description" in self.fields:
            yield self[f"item_{i}_description"], self[f"item_{i}_amount"]
            i += 1

    def clean(self):
        data = super().clean()
        items = []
        i = 1
        while f"item_{i}_description" in self.fields:
            text, amount = data.get(f"item_{i}_description"), data.get(f"item_{i}_amount")
            if text or amount is not None:
                if not text or amount is None:
                    self.add_error(f"item_{i}_description", _("An item needs its description and its amount."))
                items.append((text, amount))
            i += 1
        if not items:
            self.add_error(None, _("A project needs at least one item."))
        data["items"] = items
        return data

    def service_fields(self) -> dict:
        d = self.cleaned_data
        scope_ids = ([b.pk for b in d["buildings"]] if d["scope"] == "buildings" else
                     [u.pk for u in d["units"]] if d["scope"] == "units" else [])
        return {"title": d["title"], "description": d["description"], "contractor": d["contractor"],
                "emergency": d["emergency"], "emergency_kind": d["emergency_kind"] if d["emergency"] else "",
                "scope": d["scope"], "scope_ids": scope_ids, "items": d["items"],
                "idempotency_key": d["idempotency_key"]}


class ApprovalForm(ServiceErrors, forms.Form):
    decision = forms.ChoiceField(label=_("The owners decided"), choices=ApprovalDecision.choices,
                                 widget=forms.RadioSelect, initial=ApprovalDecision.APPROVED)
    area_for = forms.DecimalField(label=_("For (m²)"), max_digits=12, decimal_places=2, min_value=0)
    area_against = forms.DecimalField(label=_("Against (m²)"), max_digits=12, decimal_places=2, min_value=0)
    area_abstain = forms.DecimalField(label=_("Abstaining (m²)"), max_digits=12, decimal_places=2, min_value=0)
    heads_for = forms.IntegerField(label=_("For (owners)"), min_value=0)
    heads_against = forms.IntegerField(label=_("Against (owners)"), min_value=0)
    heads_abstain = forms.IntegerField(label=_("Abstaining (owners)"), min_value=0)
    heads_total = forms.IntegerField(label=_("Owners in the charge scope"), min_value=1,
                                     help_text=_("One per house; an owner of several houses counts once."))
    document = forms.FileField(label=_("Decision document (resolution, minutes, ballots)"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    FIELD_OF = {"documents": "document"}

    def tally(self) -> dict:
        d = self.cleaned_data
        return {"area": {"for": d["area_for"], "against": d["area_against"], "abstain": d["area_abstain"]},
                "heads": {"for": d["heads_for"], "against": d["heads_against"], "abstain": d["heads_abstain"],
                          "total": d["heads_total"]}}


class PayForm(ServiceErrors, forms.Form):
    amount = forms.DecimalField(label=_("Amount (yuan)"), **MONEY)
    date = DateField()
    invoice = forms.FileField(label=_("Invoice"))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=new_key, max_length=40)
    FIELD_OF = {"documents": "invoice"}


class CancelForm(ServiceErrors, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
    FIELD_OF = {"staff_note": "reason"}

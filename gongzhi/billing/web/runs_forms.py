"""The bill-run and adjustment forms. They only shape input: every rule is the services' (a service error is put
back on the field it names)."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.estate.models import Building

from ..calc import add_months
from ..choices import PeriodKind

DATE = forms.DateInput(attrs={"type": "date"})


def new_key() -> str:
    """A fresh idempotency key: submitting the same form twice acts once."""
    return uuid.uuid4().hex


class ServiceErrors:
    """Put a service's DomainError on the field it names (``detail.field``), else on the form."""

    FIELD_OF: dict = {}

    def add_service_error(self, error) -> None:
        name = (error.detail or {}).get("field", "") if isinstance(error.detail, dict) else ""
        name = self.FIELD_OF.get(name, name)
        self.add_error(name if name in self.fields else None, error.text())


class RunForm(ServiceErrors, forms.Form):
    FIELD_OF = {"building": "building"}

    period_kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices, initial=PeriodKind.MONTH)
    period_start = forms.DateField(label=_("First day of the period"), widget=DATE,
                                   initial=lambda: add_months(timezone.localdate(), 1))
    building = forms.ModelChoiceField(label=_("Building"), queryset=Building.objects.none(), required=False,
                                      empty_label=_("The whole estate"))

    def __init__(self, *args, estate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.filter(estate=estate).order_by("sort_key", "name")


class AdjustForm(ServiceErrors, forms.Form):
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=14, decimal_places=2,
                                help_text=_("Positive adds to the bill; negative takes off (a credit)."))
    reason = forms.CharField(label=_("Reason"), max_length=200)
    key = forms.CharField(widget=forms.HiddenInput, initial=new_key)

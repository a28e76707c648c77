"""The cash desk's forms. They only shape input: every rule is the services' (a service error is put back on the
field it names). Forms that move money carry a hidden idempotency key, so a double submit acts once."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from ..choices import PaymentMethod

MONEY = {"max_digits": 14, "decimal_places": 2}
DESK_METHODS = [(m.value, m.label) for m in (PaymentMethod.CASH, PaymentMethod.BANK_TRANSFER, PaymentMethod.POS)]
REFUND_METHODS = [(m.value, m.label) for m in (PaymentMethod.CASH, PaymentMethod.BANK_TRANSFER)]


def new_key() -> str:
    return uuid.uuid4().hex


class ServiceErrors:
    """Put a service's DomainError on the field it names (``detail.field``), else on the form."""

    FIELD_OF: dict = {}

    def add_service_error(self, error) -> None:
        name = error.detail.get("field", "") if isinstance(error.detail, dict) else ""
        name = self.FIELD_OF.get(name, name)
        self.add_error(name if name in self.fields else None, error.text())


class BillChoiceField(forms.TypedMultipleChoiceField):
    """The open bills as checkboxes; a bill settled since the form was shown (a double submit) is still accepted
    here: the service decides (a bill of another house is 404, a settled one takes nothing)."""

    def valid_value(self, value) -> bool:
        return str(value).isdigit()


class HouseFindForm(forms.Form):
    house = forms.CharField(label=_("House"), max_length=40,
                            help_text=_("As written: building-unit-number, e.g. 3-2-1502."))


class PaymentForm(ServiceErrors, forms.Form):
    amount = forms.DecimalField(label=_("Amount received (yuan)"), **MONEY)
    method = forms.ChoiceField(label=_("Method"), choices=DESK_METHODS, initial=PaymentMethod.CASH)
    reference = forms.CharField(label=_("Voucher number"), max_length=64, required=False,
                                help_text=_("Required for bank transfers and POS."))
    payer_name = forms.CharField(label=_("Payer"), max_length=120, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    bill_ids = BillChoiceField(label=_("Bills to settle"), coerce=int, required=False,
                               widget=forms.CheckboxSelectMultiple, help_text=_("None chosen: the oldest bills first."))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=new_key, max_length=64)
    FIELD_OF = {"key": "idempotency_key"}

    def __init__(self, *args, bills=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bill_ids"].choices = [
            (b.pk, f"#{b.pk} {b.period_start:%Y-%m} {b.outstanding:.2f}") for b in bills]


class VoidForm(ServiceErrors, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class RefundForm(ServiceErrors, forms.Form):
    house = forms.CharField(label=_("House"), max_length=40,
                            help_text=_("As written: building-unit-number, e.g. 3-2-1502."))
    amount = forms.DecimalField(label=_("Amount (yuan)"), **MONEY)
    method = forms.ChoiceField(label=_("Paid back by"), choices=REFUND_METHODS, initial=PaymentMethod.BANK_TRANSFER)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=new_key, max_length=64)
    FIELD_OF = {"key": "idempotency_key", "house_id": "house"}


class DecisionForm(ServiceErrors, forms.Form):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

"""Forms of the fee-rules pages. They only shape input; the services validate it (their errors are shown on the
field they name)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.estate.choices import HouseKind, SpaceStatus

from ..choices import DiscountKind, FeeKind, LedgerCode, MeterKind

BLANK = [("", "—")]


class FeeItemForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=FeeKind.choices)
    meter_kind = forms.ChoiceField(label=_("Meter"), choices=BLANK + list(MeterKind.choices), required=False)
    ledger_code = forms.ChoiceField(label=_("Ledger account"), choices=BLANK + list(LedgerCode.choices),
                                    required=False, help_text=_("Empty: the usual account for the kind."))
    late_fee = forms.BooleanField(label=_("Late fee applies"), required=False, initial=True)
    rate = forms.DecimalField(label=_("Rate (yuan)"), max_digits=12, decimal_places=4, required=False,
                              help_text=_("For a one-off item: its default amount."))
    effective_from = forms.DateField(label=_("Effective from"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))


class RuleForm(forms.Form):
    rate = forms.DecimalField(label=_("Rate (yuan)"), max_digits=12, decimal_places=4)
    effective_from = forms.DateField(label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"}))
    effective_to = forms.DateField(label=_("Effective until (inclusive)"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    house_kind = forms.ChoiceField(label=_("House kind"), choices=BLANK + list(HouseKind.choices), required=False)
    space_status = forms.ChoiceField(label=_("Parking space status"), choices=BLANK + list(SpaceStatus.choices),
                                     required=False)
    tiers = forms.CharField(label=_("Step prices"), required=False, max_length=400,
                            help_text=_("Metered items only: “10:3.50, 20:4.20, :5.00” (up to, price; the last "
                                        "step open)."))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def tier_list(self) -> list[dict]:
        text = (self.cleaned_data.get("tiers") or "").strip()
        steps = []
        for part in filter(None, (p.strip() for p in text.replace("，", ",").split(","))):
            up_to, _sep, price = part.partition(":")
            steps.append({"up_to": up_to.strip() or None, "price": price.strip()})
        return steps


class DiscountForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DiscountKind.choices)
    percent = forms.DecimalField(label=_("Percent off"), max_digits=5, decimal_places=2)
    fee_item = forms.TypedChoiceField(label=_("Fee item"), required=False, coerce=int, empty_value=None)
    house = forms.CharField(label=_("House (exemption)"), required=False, max_length=40,
                            help_text=_("Building-unit-number, e.g. 1-1-101."))
    months = forms.IntegerField(label=_("Months paid in advance"), required=False, min_value=1)
    effective_from = forms.DateField(label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"}))
    effective_to = forms.DateField(label=_("Effective until"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fee_item"].choices = [("", _("Every fee item"))] + [(i.pk, i.name) for i in items]


class EndForm(forms.Form):
    effective_to = forms.DateField(label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}))


class MeterForm(forms.Form):
    house = forms.CharField(label=_("House"), max_length=40, help_text=_("Building-unit-number, e.g. 1-1-101."))
    kind = forms.ChoiceField(label=_("Kind"), choices=MeterKind.choices)
    serial = forms.CharField(label=_("Serial number"), required=False, max_length=40)
    installed_on = forms.DateField(label=_("Installed on"), widget=forms.DateInput(attrs={"type": "date"}))
    initial_reading = forms.DecimalField(label=_("Initial reading"), max_digits=14, decimal_places=4, min_value=0)


class ReplaceForm(forms.Form):
    replaced_on = forms.DateField(label=_("Replaced on"), widget=forms.DateInput(attrs={"type": "date"}))
    final_reading = forms.DecimalField(label=_("Old meter's final reading"), max_digits=14, decimal_places=4)
    serial = forms.CharField(label=_("New meter's serial number"), required=False, max_length=40)
    initial_reading = forms.DecimalField(label=_("New meter's initial reading"), max_digits=14, decimal_places=4)


class ReadingForm(forms.Form):
    read_on = forms.DateField(label=_("Read on"), widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(label=_("Reading"), max_digits=14, decimal_places=4)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Workbook (.xlsx)"))

"""The vote pages' forms. They only shape input: every rule is the services' (votes.py, ballots.py), and a service
error naming a field (``detail.field``) is put back next to that field."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from ..choices import BallotForm, Channel, Choice, Matter, VoteKind

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def new_key() -> str:
    """A fresh idempotency key per drawn form: a double submit writes once."""
    return uuid.uuid4().hex


class ServiceErrors:
    """Put a service's DomainError on the field it names (``detail.field``), else on the form."""

    FIELD_OF: dict = {}

    def add_service_error(self, error) -> None:
        detail = error.detail if isinstance(error.detail, dict) else {}
        name = str(detail.get("field", "") or "")
        name = self.FIELD_OF.get(name, name.split(".")[0].split("[")[0])
        self.add_error(name if name in self.fields else None, error.text())


class DateTimeField(forms.DateTimeField):
    widget = DATETIME

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATETIME_FORMATS)
        super().__init__(**kwargs)


# --- organising ----------------------------------------------------------------------------------------------------
class VoteForm(ServiceErrors, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    kind = forms.ChoiceField(label=_("Kind"), choices=VoteKind.choices, initial=VoteKind.ASSEMBLY)
    fund_project = forms.TypedChoiceField(label=_("Maintenance-fund project"), required=False, coerce=int,
                                          empty_value=None, choices=[("", _("— none —"))],
                                          help_text=_("For a fund vote: only the project's charge scope votes."))
    secret = forms.BooleanField(label=_("Secret ballot (the per-house ballot list is not published)"),
                                required=False)
    opens_at = DateTimeField(label=_("Opens at"))
    closes_at = DateTimeField(label=_("Closes at"))
    non_voter_clause = forms.CharField(
        label=_("Non-voter clause"), required=False, max_length=200,
        help_text=_("Only if the covenant or the assembly rules say that non-voters follow the majority: cite "
                    "where (e.g. \"Assembly rules art. 12\"). Leave empty otherwise."))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=new_key, max_length=64)
    FIELD_OF = {"fund_project_id": "fund_project"}

    def __init__(self, *args, fund_projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fund_project"].choices = [("", _("— none —")), *((p.pk, p.title) for p in fund_projects)]

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The vote must close after it opens."))
        if data.get("kind") == VoteKind.FUND and not data.get("fund_project"):
            self.add_error("fund_project", _("A maintenance-fund vote needs its project."))
        return data

    def service_fields(self) -> dict:
        d = self.cleaned_data
        return {"title": d["title"], "description": d["description"], "kind": d["kind"], "secret": d["secret"],
                "opens_at": d["opens_at"], "closes_at": d["closes_at"], "fund_project_id": d["fund_project"],
                "non_voter_clause": d["non_voter_clause"], "idempotency_key": d["idempotency_key"]}


class ItemForm(ServiceErrors, forms.Form):
    title = forms.CharField(label=_("Question"), max_length=200)
    matter = forms.ChoiceField(label=_("Matter (Civil Code art. 278)"), choices=Matter.choices,
                               help_text=_("Matters (6), (7) and (8) need at least 3/4 of the participating area "
                                           "and owners; the others more than 1/2."))
    form = forms.ChoiceField(label=_("Ballot form"), choices=BallotForm.choices, initial=BallotForm.YES_NO,
                             widget=forms.RadioSelect)
    description = forms.CharField(label=_("Explanation"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    seats = forms.IntegerField(label=_("Seats"), required=False, min_value=1, max_value=99,
                               help_text=_("Elections only. The owners' committee: 5 to 11, an odd number."))
    options = forms.CharField(label=_("Options or candidates"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=_("One per line. A candidate registered in the estate is linked by name."))
    FIELD_OF = {"options": "options"}

    def clean(self):
        data = super().clean()
        form = data.get("form")
        lines = [line.strip() for line in (data.get("options") or "").splitlines() if line.strip()]
        if form == BallotForm.CHOOSE_ONE and len(lines) < 2:
            self.add_error("options", _("Choose-one needs at least two options, one per line."))
        if form == BallotForm.ELECTION:
            if not data.get("seats"):
                self.add_error("seats", _("An election needs the number of seats."))
            if not lines:
                self.add_error("options", _("An election needs its candidates, one per line."))
        if form == BallotForm.YES_NO:
            lines = []
        data["option_lines"] = lines
        return data


class ReasonForm(ServiceErrors, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ExtendForm(ReasonForm):
    closes_at = DateTimeField(label=_("New closing time"))


# --- ballots by hand and proxies -------------------------------------------------------------------------------------
class HouseField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("House"))
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", _("As on the roll: building-unit-number, e.g. 3-2-1502."))
        super().__init__(**kwargs)


def item_fields(form: forms.Form, items, *, required: bool) -> None:
    """One field per item: yes/no and choose-one as radios, an election as checkboxes (at most the seats)."""
    for item in items:
        name = f"item_{item.pk}"
        label = f"{item.position}. {item.title}"
        if item.form == BallotForm.YES_NO:
            field = forms.ChoiceField(label=label, choices=Choice.choices, widget=forms.RadioSelect,
                                      required=required)
        elif item.form == BallotForm.CHOOSE_ONE:
            field = forms.TypedChoiceField(label=label, coerce=int, widget=forms.RadioSelect, required=required,
                                           choices=[(o.pk, o.label) for o in item.options.all()])
        else:
            field = forms.TypedMultipleChoiceField(
                label=label, coerce=int, widget=forms.CheckboxSelectMultiple(attrs={"data-seats": item.seats}),
                required=False, choices=[(o.pk, o.label) for o in item.options.all()],
                help_text=_("Choose at most %(seats)s.") % {"seats": item.seats})
        field.item = item
        form.fields[name] = field


class AnswersMixin:
    """Turns the item fields into the services' ``answers``: {item_id: {"choice"} | {"options": [...]}}."""

    def item_bound_fields(self):
        return [self[name] for name in self.fields if name.startswith("item_")]

    def clean(self):
        data = super().clean()
        answers = {}
        for name, field in self.fields.items():
            if not name.startswith("item_"):
                continue
            item, value = field.item, data.get(name)
            if item.form == BallotForm.ELECTION:
                if value is None:
                    continue
                if len(value) > (item.seats or 0):
                    self.add_error(name, _("Too many candidates: choose at most %(seats)s.") % {"seats": item.seats})
                    continue
                if value:
                    answers[item.pk] = {"options": list(value)}
            elif item.form == BallotForm.CHOOSE_ONE:
                if value not in (None, ""):
                    answers[item.pk] = {"options": [value]}
            elif value:
                answers[item.pk] = {"choice": value}
        if not answers and not self.errors:
            self.add_error(None, _("Answer at least one item."))
        data["answers"] = answers
        return data


class CastForm(AnswersMixin, ServiceErrors, forms.Form):
    """An owner's online ballot for one house: one section per item."""

    house = forms.IntegerField(widget=forms.HiddenInput)
    change = forms.BooleanField(widget=forms.HiddenInput, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=new_key, max_length=64)
    FIELD_OF = {"house_id": "house"}

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        item_fields(self, items, required=False)


class BallotEnterForm(AnswersMixin, ServiceErrors, forms.Form):
    """A written or on-site ballot entered by staff, with the scan of the signed paper."""

    house = HouseField()
    channel = forms.ChoiceField(label=_("Channel"), widget=forms.RadioSelect, initial=Channel.WRITTEN,
                                choices=[(Channel.WRITTEN, Channel.WRITTEN.label), (Channel.ONSITE, Channel.ONSITE.label)])
    scan = forms.FileField(label=_("Scan of the signed ballot (PDF, JPEG or PNG)"), required=False,
                           help_text=_("Required for a written ballot."))
    replaces_reason = forms.CharField(label=_("Correction: why this replaces the entered ballot"), required=False,
                                      max_length=200, help_text=_("Only to correct a ballot entered before."))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, initial=new_key, max_length=64)
    FIELD_OF = {"house_id": "house", "house_code": "house"}

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        item_fields(self, items, required=False)

    def clean(self):
        data = super().clean()
        if data.get("channel") == Channel.WRITTEN and not data.get("scan"):
            self.add_error("scan", _("A written ballot needs the scan of the signed paper."))
        return data


class ProxyForm(ServiceErrors, forms.Form):
    house = HouseField()
    principal = forms.CharField(label=_("Principal: the owner's mobile number (or name)"), max_length=60,
                                help_text=_("An owner of the house on the vote's roll."))
    agent_mobile = forms.CharField(label=_("Agent's mobile number"), max_length=20,
                                   help_text=_("The agent must be registered in the estate."))
    items = forms.TypedMultipleChoiceField(label=_("Items"), coerce=int, required=False,
                                           widget=forms.CheckboxSelectMultiple,
                                           help_text=_("None ticked: every item."))
    document = forms.FileField(label=_("Signed written authorisation (PDF, JPEG or PNG)"), required=False)
    FIELD_OF = {"house_id": "house", "principal_person_id": "principal", "agent_person_id": "agent_mobile"}

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(i.pk, f"{i.position}. {i.title}") for i in items]

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if not document:
            # DOMAIN.md: a proxy needs a written authorisation; said here before anything is written.
            raise forms.ValidationError(_("A proxy needs the scan of the signed written authorisation."))
        return document


class RevokeForm(ReasonForm):
    proxy = forms.IntegerField(widget=forms.HiddenInput)


class ReceiptForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=40,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                         "placeholder": "K7QF-3MZP-9XTA-4HCV"}))

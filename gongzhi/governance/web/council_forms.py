"""Forms of the assembly-request, proposal and council pages. They only shape input; the services hold every rule
(a service error is put back on the field it names)."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models.council import AttendeeKind

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def new_key() -> str:
    """A fresh idempotency key: submitting the same form twice acts once."""
    return uuid.uuid4().hex


class ServiceErrors:
    def add_service_error(self, error) -> None:
        name = error.detail.get("field", "") if isinstance(error.detail, dict) else ""
        self.add_error(name if name in self.fields else None, error.text())


class AssemblyRequestForm(ServiceErrors, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    matters = forms.CharField(label=_("Matters to decide"), widget=forms.Textarea(attrs={"rows": 3}))
    key = forms.CharField(widget=forms.HiddenInput, initial=new_key)


class AssemblyScheduleForm(ServiceErrors, forms.Form):
    opens_at = forms.DateTimeField(label=_("Assembly opens"), widget=DATETIME, input_formats=DT_FORMATS)
    closes_at = forms.DateTimeField(label=_("Assembly closes"), widget=DATETIME, input_formats=DT_FORMATS)
    title = forms.CharField(label=_("Title (optional)"), max_length=120, required=False)


class ProposalForm(ServiceErrors, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Your proposal"), widget=forms.Textarea(attrs={"rows": 4}))
    key = forms.CharField(widget=forms.HiddenInput, initial=new_key)


class MeetingForm(ServiceErrors, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    starts_at = forms.DateTimeField(label=_("Time"), widget=DATETIME, input_formats=DT_FORMATS)
    place = forms.CharField(label=_("Place"), max_length=120)
    key = forms.CharField(widget=forms.HiddenInput, initial=new_key)


class AgendaForm(ServiceErrors, forms.Form):
    proposal_id = forms.TypedChoiceField(label=_("Proposal on the agenda"), coerce=int, required=False,
                                         empty_value=None)
    title = forms.CharField(label=_("Or a free item"), max_length=200, required=False)

    def __init__(self, *args, proposals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposal_id"].choices = [("", "—")] + [(p.pk, p.title) for p in proposals]


class AttendeeForm(ServiceErrors, forms.Form):
    kind = forms.ChoiceField(label=_("Attends for"), choices=AttendeeKind.choices)
    name = forms.CharField(label=_("Name"), max_length=60)


class DecisionForm(ServiceErrors, forms.Form):
    agenda_item_id = forms.TypedChoiceField(label=_("Agenda item"), coerce=int)
    text = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agenda_item_id"].choices = [(i.pk, f"{i.position}. {i.title}") for i in items]


class DecisionVoteForm(ServiceErrors, forms.Form):
    decision_id = forms.IntegerField(widget=forms.HiddenInput)
    opens_at = forms.DateTimeField(label=_("Vote opens"), widget=DATETIME, input_formats=DT_FORMATS)
    closes_at = forms.DateTimeField(label=_("Vote closes"), widget=DATETIME, input_formats=DT_FORMATS)


class ActionForm(ServiceErrors, forms.Form):
    title = forms.CharField(label=_("Action"), max_length=200)
    owner_name = forms.CharField(label=_("Owner"), max_length=60)
    owner_user_id = forms.TypedChoiceField(label=_("Owner's login (optional)"), coerce=int, required=False,
                                           empty_value=None)
    due_date = forms.DateField(label=_("Due"), widget=DATE)
    decision_id = forms.TypedChoiceField(label=_("From decision (optional)"), coerce=int, required=False,
                                         empty_value=None)
    key = forms.CharField(widget=forms.HiddenInput, initial=new_key)

    def __init__(self, *args, users=(), decisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_user_id"].choices = [("", "—")] + [(u.pk, str(u)) for u in users]
        self.fields["decision_id"].choices = [("", "—")] + [(d.pk, d.text[:60]) for d in decisions]


class HoldForm(ServiceErrors, forms.Form):
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 6}))


class DoneForm(ServiceErrors, forms.Form):
    note = forms.CharField(label=_("How it was done"), widget=forms.Textarea(attrs={"rows": 2}))

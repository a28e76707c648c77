"""The forms of the tickets pages. They check the shape of what is posted; the rules are the services' (their
DomainError is shown in place, beside the form)."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..choices import HoldReason, QuoteLineKind, Scope, SlaState, TicketKind, TicketStatus
from ..photos import MAX_PER_COMMENT, MAX_PER_TICKET

KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from one file input (up to ``max_count``); their content is checked by the photo service."""

    def __init__(self, *args, max_count: int = MAX_PER_TICKET, capture: bool = False, **kwargs):
        attrs = {"accept": "image/jpeg,image/png,image/webp,image/*", "multiple": True}
        if capture:
            attrs["capture"] = "environment"
        kwargs.setdefault("widget", MultiplePhotoInput(attrs=attrs))
        kwargs.setdefault("required", False)
        self.max_count = max_count
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > self.max_count:
            raise forms.ValidationError(_("Choose at most %(limit)s photos."), params={"limit": self.max_count},
                                        code="photo_limit")
        single = super().clean
        return [single(f, initial) for f in files]


class TicketForm(forms.Form):
    """Report a problem: what, where, and photos. The idempotency key makes a double submit one ticket."""

    kind = forms.ChoiceField(label=_("What is it?"), choices=TicketKind.choices, initial=TicketKind.REPAIR,
                             widget=forms.RadioSelect)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    scope = forms.ChoiceField(label=_("Where?"), choices=Scope.choices, initial=Scope.PRIVATE,
                              widget=forms.RadioSelect)
    house = forms.TypedChoiceField(label=_("House"), coerce=int, required=False, empty_value=None)
    building = forms.TypedChoiceField(label=_("Building"), coerce=int, required=False, empty_value=None)
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int, required=False, empty_value=None)
    place = forms.CharField(label=_("Place"), max_length=120, required=False,
                            widget=forms.TextInput(attrs={"placeholder": _("e.g. the north gate, B2 car park")}))
    title = forms.CharField(label=_("Title"), max_length=120,
                            widget=forms.TextInput(attrs={"placeholder": _("e.g. The kitchen tap leaks")}))
    description = forms.CharField(label=_("Description"), max_length=4000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    anonymous = forms.BooleanField(label=_("Keep my name from the staff (complaints only)"), required=False)
    photos = PhotosField(label=_("Photos (up to 9)"))
    idempotency_key = forms.RegexField(regex=KEY_PATTERN, widget=forms.HiddenInput)

    def __init__(self, *args, categories=(), houses=(), buildings=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.pk, c.name) for c in categories]
        self.fields["house"].choices = [("", "—")] + [(h.pk, h.code) for h in houses]
        self.fields["building"].choices = [("", "—")] + [(b.pk, str(b)) for b in buildings]
        self.fields["unit"].choices = [("", "—")] + [(u.pk, f"{u.building} · {u}") for u in units]
        self.category_kinds = {c.pk: c.kind for c in categories}


class DeskTicketForm(TicketForm):
    """The desk's form for a phone call: the same, for the person chosen."""

    person = forms.IntegerField(widget=forms.HiddenInput)
    priority = forms.ChoiceField(label=_("Priority"), required=False,
                                 choices=[("", _("The category's default"))])

    def __init__(self, *args, priorities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].choices = [("", _("The category's default")), *priorities]
        del self.fields["anonymous"]


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Find the caller"), max_length=60, required=False, strip=True,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "placeholder": _("Name, mobile (or its last 4 digits)")}))
    person = forms.IntegerField(required=False, min_value=1)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(label=_("Internal note (staff only)"), required=False)
    photos = PhotosField(label=_("Photos"), max_count=MAX_PER_COMMENT)


class PhotoForm(forms.Form):
    photos = PhotosField(label=_("Take or choose photos"), capture=True)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=4000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class HoldForm(ReasonForm):
    hold_reason = forms.ChoiceField(
        label=_("Waiting for"), choices=HoldReason.choices,
        help_text=_("Waiting for the resident pauses the SLA clock; waiting for parts does not."))


class AssignForm(forms.Form):
    assignee = forms.IntegerField(label=_("Assign to"), min_value=1)
    note = forms.CharField(label=_("Note"), max_length=4000, required=False)


class BulkAssignForm(forms.Form):
    tickets = forms.TypedMultipleChoiceField(coerce=int)
    assignee = forms.IntegerField(label=_("Assign to"), min_value=1)

    def __init__(self, *args, ticket_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tickets"].choices = [(pk, pk) for pk in ticket_ids]


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(label=_("Rating"), coerce=int, choices=[(n, n) for n in range(1, 6)],
                                   widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), max_length=4000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class QuoteDecisionForm(forms.Form):
    quote = forms.IntegerField(min_value=1)
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("decline", _("Decline"))])
    note = forms.CharField(max_length=4000, required=False)


QUOTE_ROWS = 4


def quote_lines(post) -> tuple[list[dict], list[str]]:
    """The lines of the quote form (rows of kind, description, quantity and unit price; blank rows skipped) and
    the problems found."""
    kinds = post.getlist("line_kind")
    descriptions = post.getlist("line_description")
    quantities = post.getlist("line_quantity")
    prices = post.getlist("line_unit_price")
    lines, problems = [], []
    for n, row in enumerate(zip(kinds, descriptions, quantities, prices, strict=False), start=1):
        kind, description, quantity, price = (str(v).strip() for v in row)
        if not (description or quantity or price):
            continue
        try:
            quantity_value = Decimal(quantity or "1")
            price_value = Decimal(price)
        except (InvalidOperation, ValueError):
            problems.append(str(_("Line %(n)s: give the quantity and the unit price as numbers.") % {"n": n}))
            continue
        if kind not in QuoteLineKind.values or not description:
            problems.append(str(_("Line %(n)s: choose the kind and describe it.") % {"n": n}))
            continue
        lines.append({"kind": kind, "description": description[:120], "quantity": quantity_value,
                      "unit_price": price_value})
    if not lines and not problems:
        problems.append(str(_("Add at least one line to the quote.")))
    return lines, problems


class ConsoleFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), ("open", pgettext_lazy("ticket status", "Open")), *TicketStatus.choices])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *TicketKind.choices])
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    building = forms.TypedChoiceField(label=_("Building"), coerce=int, required=False, empty_value=None)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    sla = forms.ChoiceField(label=_("SLA"), required=False,
                            choices=[("", _("Any SLA state")), *[(v, label) for v, label in SlaState.choices],
                                     ("breached_ever", _("A target was missed"))])
    q = forms.CharField(label=_("Number or title"), max_length=60, required=False, strip=True)

    def __init__(self, *args, categories=(), buildings=(), people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Any category"))] + [(c.pk, c.name) for c in categories]
        self.fields["building"].choices = [("", _("Any building"))] + [(b.pk, str(b)) for b in buildings]
        self.fields["assignee"].choices = ([("", _("Anyone")), ("none", _("Nobody yet"))]
                                           + [(str(p["id"]), str(p["user"])) for p in people])

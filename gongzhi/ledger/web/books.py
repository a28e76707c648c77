"""Finance's books (console, dense): the private journal with filters, manual entries and reversals, expenses with
their documents and the owners' committee's decisions, public revenue income and proposed uses; and the owners'
page of the public revenue fund (portal or console layout).

Views only shape input and call services and reads; the rules and the error texts are theirs (a refused form is
shown again with the message on the field it names, status 400; a conflict is the error page with 409).
"""

import uuid
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.web import estate_page
from gongzhi.estate.web.views import pager, render_page

from .. import books, chart, expenses, public_revenue, services
from ..choices import AccountGroup, EntryKind, ExpenseStatus
from ..policies import LedgerPolicy
from ..presenters import entry_data
from ..selectors import EntryFilters, entry_get
from .layout import base_for

LIST_LIMIT = 50
SHARES_LIMIT = 50
LINE_ROWS = 6
CASH_CHOICES = [(chart.BANK, _("Bank account (1002)")), (chart.CASH, _("Cash on hand (1001)"))]


# --- forms -------------------------------------------------------------------------------------------------------
class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (invoices, contracts, photos); each is checked by the ledger's document store."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(item, initial) for item in data if item]
        return [one(data, initial)] if data else []


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ServiceForm(forms.Form):
    """A form whose service errors go back on the field they name (``detail.field``)."""

    FIELD_OF: dict[str, str] = {}

    def add_service_error(self, error: DomainError) -> None:
        field = error.detail.get("field") if isinstance(error.detail, dict) else None
        field = self.FIELD_OF.get(field, field)
        self.add_error(field if field in self.fields else None, error.text())


def _accounts(actor, *, groups=None) -> list[tuple[str, str]]:
    qs = books.chart_accounts(actor=actor)
    if groups is not None:
        qs = qs.filter(group__in=list(groups))
    return [(a.code, f"{a.code} {a.label}") for a in qs]


class JournalFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *EntryKind.choices])
    account = forms.ChoiceField(label=_("Account"), required=False)
    q = forms.CharField(label=_("Text"), required=False, max_length=60)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", _("All accounts")), *_accounts(actor)]

    def filters(self) -> EntryFilters:
        if not self.is_valid():
            return EntryFilters()
        data = self.cleaned_data
        return EntryFilters(date_from=data["date_from"], date_to=data["date_to"], kind=data["kind"],
                            account_code=data["account"], search=data["q"].strip())


class KeyedForm(ServiceForm):
    """A hidden idempotency key made when the form is shown: submitting twice records once."""

    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)


class EntryForm(KeyedForm):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    kind = forms.ChoiceField(label=_("Kind"), choices=[(EntryKind.MANUAL, EntryKind.MANUAL.label),
                                                       (EntryKind.OPENING, EntryKind.OPENING.label)])
    description = forms.CharField(label=_("Description"), max_length=200)
    counterparty = forms.CharField(label=_("Counterparty"), max_length=120, required=False)
    counterparty_private = forms.BooleanField(label=_("The counterparty is a resident: hide the name from owners"),
                                              required=False)
    staff_note = forms.CharField(label=_("Staff note"), max_length=500, required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    documents = MultipleFileField(label=_("Documents"), help_text=_("PDF, JPEG, PNG or WebP."))
    staff_only = forms.BooleanField(label=_("The documents are staff-only"), required=False)


class LineForm(forms.Form):
    account = forms.ChoiceField(label=_("Account"), required=False)
    debit = forms.DecimalField(label=_("Debit"), required=False, max_digits=14, decimal_places=2, min_value=0)
    credit = forms.DecimalField(label=_("Credit"), required=False, max_digits=14, decimal_places=2, min_value=0)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "—"), *accounts]

    def line(self) -> services.Line | None:
        data = getattr(self, "cleaned_data", None) or {}
        if not data.get("account") and not data.get("debit") and not data.get("credit"):
            return None
        return services.Line(data.get("account") or "", debit=data.get("debit") or 0, credit=data.get("credit") or 0)


LineFormSet = forms.formset_factory(LineForm, extra=LINE_ROWS, max_num=200)


class MoneyForm(KeyedForm):
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=14, decimal_places=2)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    counterparty = forms.CharField(label=_("Counterparty"), max_length=120)
    description = forms.CharField(label=_("Description"), max_length=200)
    staff_note = forms.CharField(label=_("Staff note"), max_length=500, required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    documents = MultipleFileField(label=_("Documents"), help_text=_("Invoices, receipts, contracts: PDF, JPEG, PNG or "
                                                                    "WebP."))
    staff_only = forms.BooleanField(label=_("The documents are staff-only"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)

    def common(self) -> dict:
        data = self.cleaned_data
        return {"amount": data["amount"], "date": data["date"], "counterparty": data["counterparty"],
                "description": data["description"], "staff_note": data["staff_note"],
                "documents": data["documents"], "staff_only_documents": data["staff_only"],
                "idempotency_key": data["key"]}


class ExpenseForm(MoneyForm):
    FIELD_OF = {"account_code": "account", "pay_from_code": "pay_from"}
    field_order = ["account", "pay_from"]

    account = forms.ChoiceField(label=_("Expense account"))
    pay_from = forms.ChoiceField(label=_("Paid from"), choices=CASH_CHOICES)
    counterparty = forms.CharField(label=_("Payee"), max_length=120)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = _accounts(actor, groups=expenses.EXPENSE_GROUPS)

    def service_fields(self) -> dict:
        return {**self.common(), "account_code": self.cleaned_data["account"],
                "pay_from_code": self.cleaned_data["pay_from"]}


class UseForm(MoneyForm):
    FIELD_OF = {"pay_from_code": "pay_from"}
    field_order = ["pay_from"]

    pay_from = forms.ChoiceField(label=_("Paid from"), choices=CASH_CHOICES)
    counterparty = forms.CharField(label=_("Payee"), max_length=120)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)

    def service_fields(self) -> dict:
        return {**self.common(), "pay_from_code": self.cleaned_data["pay_from"]}


class IncomeForm(MoneyForm):
    FIELD_OF = {"source_code": "source"}
    field_order = ["source", "received_into"]

    source = forms.ChoiceField(label=_("Source"))
    received_into = forms.ChoiceField(label=_("Received into"), choices=CASH_CHOICES)
    counterparty = forms.CharField(label=_("Paid by"), max_length=120)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = _accounts(actor, groups=[AccountGroup.PUBLIC_REVENUE])

    def service_fields(self) -> dict:
        return {**self.common(), "source_code": self.cleaned_data["source"],
                "received_into": self.cleaned_data["received_into"]}


class NoteForm(ServiceForm):
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TallyForm(ServiceForm):
    """The owners' decision on a use of public revenue: the tally of the vote and its minutes or ballot summary."""

    decision = forms.ChoiceField(label=_("The owners"), widget=forms.RadioSelect, initial="approve",
                                 choices=[("approve", _("approved the use")), ("reject", _("did not approve it"))])
    area_for = forms.DecimalField(label=_("Area for (m²)"), max_digits=12, decimal_places=2, min_value=0)
    area_against = forms.DecimalField(label=_("Area against (m²)"), max_digits=12, decimal_places=2, min_value=0)
    area_abstain = forms.DecimalField(label=_("Area abstaining (m²)"), max_digits=12, decimal_places=2,
                                      min_value=0)
    area_total = forms.DecimalField(label=_("Total voting area (m²)"), max_digits=12, decimal_places=2,
                                    min_value=0)
    heads_for = forms.IntegerField(label=_("Owners for"), min_value=0)
    heads_against = forms.IntegerField(label=_("Owners against"), min_value=0)
    heads_abstain = forms.IntegerField(label=_("Owners abstaining"), min_value=0)
    heads_total = forms.IntegerField(label=_("Total owners"), min_value=0)
    documents = MultipleFileField(label=_("Minutes or ballot summary"), required=True)
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    TALLY = (*expenses.AREA_KEYS, *expenses.HEAD_KEYS)
    FIELD_OF = {f"tally.{key}": key for key in TALLY}

    def tally(self) -> dict:
        return {key: self.cleaned_data[key] for key in self.TALLY}


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=150)


# --- helpers -----------------------------------------------------------------------------------------------------
def _cursor(request) -> str | None:
    return request.GET.get("cursor") or None


def _console(request, action: str):
    return books.require(request.actor, action)


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _expense_url(actor, expense_id) -> str:
    return reverse("ledger:expense", kwargs={"estate_id": actor.estate.pk, "expense_id": expense_id})


# --- the journal -------------------------------------------------------------------------------------------------
@estate_page
def journal(request):
    """The journal with its staff-only fields, newest first, filtered by dates, kind, account and text."""
    actor = _console(request, "view_private")
    form = JournalFilterForm(request.GET or None, actor=actor)
    page = books.journal_page(actor=actor, filters=form.filters(), cursor=_cursor(request), limit=LIST_LIMIT)
    can_reverse = LedgerPolicy.can(actor, "reverse")
    rows = [{**entry_data(e, actor, private=True),
             "reversible": can_reverse and e.kind != EntryKind.REVERSAL and not hasattr(e, "reversed_by")}
            for e in page.items]
    return render_page(request, "ledger/books/journal.html", {
        "rows": rows, "form": form, "pager": pager(request, page), "can_post": LedgerPolicy.can(actor, "post")})


@estate_page
def entry_new(request):
    """A manual entry or an opening balance: N lines (account, debit or credit), its documents."""
    actor = _console(request, "post")
    accounts = _accounts(actor)
    data = request.POST if request.method == "POST" else None
    form = EntryForm(data, request.FILES or None, initial={"date": timezone.localdate()})
    lines = LineFormSet(data, prefix="line", form_kwargs={"accounts": accounts})
    status = 200
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        fields = form.cleaned_data
        try:
            entry = books.manual_entry_post(
                actor=actor, date=fields["date"], kind=fields["kind"], description=fields["description"],
                counterparty=fields["counterparty"], counterparty_private=fields["counterparty_private"],
                staff_note=fields["staff_note"], documents=fields["documents"],
                staff_only_documents=fields["staff_only"], idempotency_key=fields["key"],
                lines=[ln for ln in (f.line() for f in lines) if ln is not None])
        except DomainError as error:
            if error.status in {403, 404}:
                raise
            form.add_service_error(error)
            status = error.status
        else:
            messages.success(request, gettext("Entry #%(seq)s posted.") % {"seq": entry.seq})
            return redirect("ledger:books", actor.estate.pk)
    if status == 200 and (form.errors or lines.total_error_count()):
        status = 400
    return render_page(request, "ledger/books/entry_new.html", {"form": form, "lines": lines}, status=status)


@estate_page
def reverse_entry(request, entry_id):
    """Correct an entry by its mirror image, with a reason (finance, the manager): GET shows the entry and the
    form, POST reverses it (a second reversal of the same entry returns the first)."""
    actor = _console(request, "reverse")
    entry = entry_get(actor=actor, entry_id=entry_id)
    form = ReverseForm(request.POST or None)
    if request.method == "POST":
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        reversal = services.entry_reverse(actor=actor, entry=entry, reason=reason)
        messages.success(request, gettext("Entry #%(seq)s reversed by #%(reversal)s.")
                         % {"seq": entry.seq, "reversal": reversal.seq})
        return redirect("ledger:books", actor.estate.pk)
    return render_page(request, "ledger/books/reverse.html", {
        "entry": entry_data(entry, actor, private=True), "form": form,
        "reversed_by": getattr(entry, "reversed_by", None) if hasattr(entry, "reversed_by") else None,
        "is_reversal": entry.kind == EntryKind.REVERSAL})


# --- expenses ----------------------------------------------------------------------------------------------------
@estate_page
def expense_list(request):
    """Expenses and proposed uses of public revenue by status (waiting first by default)."""
    actor = _console(request, "view_private")
    status = request.GET.get("status") or ""
    status = status if status in ExpenseStatus.values else ""
    kind = request.GET.get("kind") or ""
    kind = kind if kind in books.EXPENSE_KINDS else ""
    page = books.expense_page(actor=actor, status=status or None, kind=kind or None, cursor=_cursor(request),
                              limit=LIST_LIMIT)
    return render_page(request, "ledger/books/expenses.html", {
        "rows": page.items, "pager": pager(request, page), "status": status, "kind": kind,
        "tabs": ExpenseStatus.choices, "can_post": LedgerPolicy.can(actor, "post"),
        "public_fund": chart.PUBLIC_FUND})


def _money_page(request, *, form_class, submit, title: str, intro: str, done):
    """A form that creates something: every refusal (bad input, a closed period, too little in the fund) is shown
    on the form with its status; the input stays."""
    actor = request.actor
    form = form_class(request.POST or None, request.FILES or None, actor=actor)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            result = submit(actor=actor, **form.service_fields())
        except DomainError as error:
            if error.status in {403, 404}:
                raise
            form.add_service_error(error)
            status = error.status
        else:
            return done(actor, result)
    return render_page(request, "ledger/books/form.html", {"form": form, "title": title, "intro": intro},
                       status=status if status != 200 else _status(form))


def _expense_done(actor, expense):
    return redirect(_expense_url(actor, expense.pk))


@estate_page
def expense_new(request):
    _console(request, "post")
    return _money_page(request, form_class=ExpenseForm, submit=expenses.expense_submit, done=_expense_done,
                       title=gettext("New expense"),
                       intro=gettext("Above the estate's approval threshold the expense waits for the owners' "
                                     "committee; at or below it, it is posted at once."))


@estate_page
def income_new(request):
    _console(request, "post")

    def done(actor, entry):
        messages.success(request, gettext("Entry #%(seq)s posted.") % {"seq": entry.seq})
        return redirect("ledger:public_revenue", actor.estate.pk)

    return _money_page(request, form_class=IncomeForm, submit=public_revenue.public_revenue_record, done=done,
                       title=gettext("Record public revenue"),
                       intro=gettext("Income from the common parts belongs to the owners after reasonable costs "
                                     "(Civil Code art. 282)."))


@estate_page
def use_new(request):
    _console(request, "post")
    return _money_page(request, form_class=UseForm, submit=expenses.public_revenue_use_submit, done=_expense_done,
                       title=gettext("Propose a use of public revenue"),
                       intro=gettext("The owners decide every use of their public revenue; the committee records "
                                     "their decision with the tally and the minutes."))


def _decide(request, actor, expense, action: str) -> dict | None:
    """Run one action of the detail page; the forms to show again on a refused one."""
    if action == "withdraw":
        expenses.expense_withdraw(actor=actor, expense_id=expense.pk)
        return None
    if action in {"approve", "reject"}:
        form = NoteForm(request.POST)
        if form.is_valid():
            service = expenses.expense_approve if action == "approve" else expenses.expense_reject
            try:
                service(actor=actor, expense_id=expense.pk, note=form.cleaned_data["note"])
            except DomainError as error:
                if error.status != 400:
                    raise
                form.add_service_error(error)
            else:
                return None
        return {"note_form": form}
    if action == "owners":
        form = TallyForm(request.POST, request.FILES)
        if form.is_valid():
            service = (expenses.public_revenue_use_approve if form.cleaned_data["decision"] == "approve"
                       else expenses.public_revenue_use_reject)
            try:
                service(actor=actor, expense_id=expense.pk, tally=form.tally(), note=form.cleaned_data["note"],
                        documents=form.cleaned_data["documents"])
            except DomainError as error:
                if error.status != 400 and error.code != "public_fund_insufficient":
                    raise
                form.add_service_error(error)
            else:
                return None
        return {"tally_form": form}
    raise NotFound()


@estate_page
def expense_detail(request, expense_id):
    """An expense with its documents and decision; the committee approves or rejects it (a use of public revenue:
    records the owners' decision), the one who entered it may withdraw it while it waits."""
    actor = _console(request, "view_private")
    expense = books.expense_get(actor=actor, expense_id=expense_id)
    extra: dict = {}
    if request.method == "POST":
        extra = _decide(request, actor, expense, request.POST.get("action", "")) or {}
        if not extra:
            return redirect(_expense_url(actor, expense.pk))
        expense = books.expense_get(actor=actor, expense_id=expense_id)
    pending = expense.status == ExpenseStatus.PENDING
    is_use = expense.account.code == chart.PUBLIC_FUND
    deciding = pending and LedgerPolicy.can(actor, "approve") and expense.requested_by_id != actor.user_id
    context = {
        "expense": expense, "is_use": is_use, "deciding": deciding,
        "can_withdraw": pending and expense.requested_by_id == actor.user_id,
        "documents": [ed.document for ed in expense.expense_documents.all()],
        "decision_documents": ([ad.document for ad in expense.approval.approval_documents.all()]
                               if expense.approval_id else []),
        "note_form": NoteForm(), "tally_form": TallyForm(),
        **extra,
    }
    return render_page(request, "ledger/books/expense.html", context, status=400 if extra else 200)


@estate_page
def document(request, document_id):
    """A document of the estate (an expense's invoice, a decision's minutes) for those who keep the books."""
    return books.document_response(books.document_get(actor=request.actor, document_id=document_id))


# --- the owners' public revenue fund -----------------------------------------------------------------------------
BAR_WIDTH = 400  # the chart's width in SVG units: each source is a label and its amount over a bar
BAR_ROW = 36


def _bars(sources) -> list[dict]:
    """Income by source as horizontal bars (inline SVG), the largest full width."""
    top = max((s.amount for s in sources if s.amount > 0), default=Decimal("0"))
    return [{"code": s.code, "label": s.label, "amount": s.amount, "y": i * BAR_ROW,
             "width": round(float(s.amount / top) * BAR_WIDTH, 1) if top and s.amount > 0 else 0}
            for i, s in enumerate(sources)]


@estate_page
def public_revenue_page(request):
    """The fund's balance, income by source and the costs (this year and all time), the uses with the owners'
    decisions, and each of my houses' share by area (staff: every house, paged)."""
    actor = _console(request, "view")
    today = timezone.localdate()
    total = public_revenue.fund_summary(estate=actor.estate)
    year = public_revenue.fund_summary(estate=actor.estate, date_from=today.replace(month=1, day=1))
    staff = LedgerPolicy.can(actor, "view_private")
    context = {
        "base": base_for(actor), "total": total, "year": year, "this_year": today.year,
        "bars": _bars(total.income), "uses": books.public_revenue_uses(actor=actor), "staff": staff,
        "can_post": LedgerPolicy.can(actor, "post"),
    }
    if staff:
        page = books.house_share_page(actor=actor, balance=total.balance, cursor=_cursor(request),
                                      limit=SHARES_LIMIT)
        context.update(shares=page.items, pager=pager(request, page))
    else:
        context["my_shares"] = public_revenue.my_house_shares(actor=actor, balance=total.balance)
    context["chart_height"] = max(len(context["bars"]), 1) * BAR_ROW
    return render_page(request, "ledger/books/public_revenue.html", context)


urlpatterns = [
    path("console/ledger/", journal, name="books"),
    path("console/ledger/new/", entry_new, name="entry_new"),
    path("console/ledger/entries/<int:entry_id>/reverse/", reverse_entry, name="reverse"),
    path("console/ledger/expenses/", expense_list, name="expenses"),
    path("console/ledger/expenses/new/", expense_new, name="expense_new"),
    path("console/ledger/expenses/<int:expense_id>/", expense_detail, name="expense"),
    path("console/ledger/documents/<int:document_id>/", document, name="books_document"),
    path("console/ledger/income/new/", income_new, name="income_new"),
    path("console/ledger/public-revenue/use/new/", use_new, name="public_revenue_use_new"),
    path("ledger/public-revenue/", public_revenue_page, name="public_revenue"),
]

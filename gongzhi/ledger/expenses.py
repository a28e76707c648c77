"""Expenses entered by finance with their documents, approved by the owners' committee above the estate's
threshold, and uses of the owners' public revenue decided by the owners (DESIGN.md habit 1: the only writers of
``ExpenseRequest`` rows; the journal is written through ``services.entry_post``).

The estate's rules (``estate.rules()``, the jurisdiction profile with the estate's overrides):

- ``ledger.expense_document_over``: an expense above it without a supporting document is refused (0: every one);
- ``ledger.expense_approval_over``: above it the expense waits for the owners' committee; at or below it is posted
  at once;
- a use of public revenue always waits for the owners' decision (Civil Code art. 282: the revenue is theirs after
  reasonable costs), which the committee records with the tally and the minutes or ballot summary; it may never
  take the fund below zero.

Uploaded files are stored inside the transaction: a refused submit leaves no ``Document`` row, and the files it had
already written to storage are removed again.
"""

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Membership
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound, Reason
from gongzhi.notifications.choices import NotificationKind
from gongzhi.notifications.services import notify

from . import chain, chart, services
from .choices import AccountGroup, ApprovalDecision, ApprovalKind, EntryKind, ExpenseStatus
from .errors import invalid, period_closed
from .models import Account, Approval, ApprovalDocument, Document, ExpenseRequest, ExpenseRequestDocument
from .policies import APPROVE_ROLES, LedgerPolicy

FEN = Decimal("0.01")
CASH_CODES = (chart.CASH, chart.BANK)
EXPENSE_GROUPS = frozenset({AccountGroup.EXPENSE, AccountGroup.PUBLIC_REVENUE_COST})
RULE_DOCUMENT_OVER = "ledger.expense_document_over"
RULE_APPROVAL_OVER = "ledger.expense_approval_over"
KEY_MAX = 64
NOTE_MAX = 500
# The committee's "waiting for your approval" and the requester's "decided" (users can turn the kind off by channel).
NOTIFY_KIND = NotificationKind.LEDGER_APPROVAL
EXPENSE_FIELDS = ["account_id", "pay_from_id", "amount", "date", "counterparty", "description", "status",
                  "requested_by_id", "approval_id", "entry_id"]
# Art. 278 tally: areas in m² (two decimals), headcounts as whole owners.
AREA_KEYS = ("area_for", "area_against", "area_abstain", "area_total")
HEAD_KEYS = ("heads_for", "heads_against", "heads_abstain", "heads_total")
MAX_AREA = Decimal("99999999.99")


# --- input -------------------------------------------------------------------------------------------------------
def parse_amount(value, field: str = "amount") -> Decimal:
    """A positive amount of yuan with at most two decimals (fen)."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field, _("not an amount")) from None
    if not amount.is_finite() or amount <= 0:
        raise invalid(field, _("must be more than zero"))
    if amount > services.MAX_AMOUNT:
        raise invalid(field, _("is larger than any real amount"))
    if amount != amount.quantize(FEN):
        raise invalid(field, _("at most two decimals (fen)"))
    return amount.quantize(FEN)


def parse_date(value, field: str = "date") -> datetime.date:
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            raise invalid(field, _("not a date")) from None
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise invalid(field, _("not a date"))
    if value > timezone.localdate():
        raise invalid(field, _("may not be in the future"))
    return value


def threshold(estate, key: str) -> Decimal:
    return Decimal(str(estate.rules().get(key, "0")))


def clean_key(value: str) -> str:
    key = (value or "").strip()
    if len(key) > KEY_MAX or chain.CONTROL.search(key):
        raise invalid("idempotency_key", Reason(_("at most %(max)s characters, no control characters"), max=KEY_MAX))
    return key


def _account(estate, code, field: str, *, allowed) -> Account:
    account = chart.accounts_by_code(estate, [code]).get(code) if isinstance(code, str) else None
    if account is None or not allowed(account):
        raise invalid(field, _("not an account this may be booked to"))
    return account


# --- documents ---------------------------------------------------------------------------------------------------
@contextmanager
def files_removed_on_error() -> Iterator[list[str]]:
    """Yield a list to note stored file names in; if the block fails they are deleted again (the rows go with the
    transaction, the files would not)."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def store_documents(actor: Actor, documents: Sequence, staff_only: bool | Iterable[int],
                    stored: list[str]) -> list[Document]:
    """Uploads stored as ledger documents (``services.document_store``: content checked, named by SHA-256);
    documents already stored are taken as they are when they are the estate's. ``staff_only`` is True for all,
    or the positions of the staff-only uploads."""
    private = staff_only if isinstance(staff_only, bool) else set(staff_only)
    result: list[Document] = []
    for position, item in enumerate(documents):
        if isinstance(item, Document):
            if item.estate_id != actor.estate.pk:
                raise invalid("documents", _("no such document in this estate"))
            if all(d.pk != item.pk for d in result):
                result.append(item)
            continue
        hidden = private if isinstance(private, bool) else position in private
        document = services.document_store(actor=actor, upload=item, staff_only=hidden, check_permission=False)
        stored.append(document.file.name)
        result.append(document)
    return result


# --- reads the writers need --------------------------------------------------------------------------------------
def _by_key(estate, key: str) -> ExpenseRequest | None:
    return ExpenseRequest.objects.filter(estate=estate, idempotency_key=key).first() if key else None


def _locked(actor: Actor, expense_id) -> ExpenseRequest:
    """The expense, locked; 404 alike for missing, another estate's, or a reader who may not see expenses."""
    if not ExpenseRequest.objects.restrict(actor, "view_private").filter(pk=expense_id).exists():
        raise NotFound()
    return (ExpenseRequest.objects.select_for_update(of=("self",))
            .select_related("account", "pay_from", "requested_by").get(pk=expense_id))


def _is_use(expense: ExpenseRequest) -> bool:
    return expense.account.code == chart.PUBLIC_FUND


def _entry_kind(account: Account) -> str:
    if account.code == chart.PUBLIC_FUND:
        return EntryKind.PUBLIC_REVENUE_USE
    if account.group == AccountGroup.PUBLIC_REVENUE_COST:
        return EntryKind.PUBLIC_REVENUE_COST
    return EntryKind.EXPENSE


def _requester(expense: ExpenseRequest) -> Actor:
    """The one who entered the expense, as the entry's poster (the approval shows who allowed it)."""
    roles = frozenset(Membership.objects.filter(user_id=expense.requested_by_id, estate_id=expense.estate_id,
                                                ended_at__isnull=True).values_list("role", flat=True))
    return Actor(user=expense.requested_by, estate=expense.estate, roles=roles)


def _lock_public_fund(estate) -> None:
    """Uses of public revenue are checked against the balance one at a time: the fund's account row is the lock."""
    code = chart.PUBLIC_FUND
    chart.accounts_by_code(estate, [code])
    Account.objects.select_for_update().filter(estate=estate, code=code).first()


def _pending_uses(estate, *, excluding=None) -> Decimal:
    from django.db.models import Sum

    qs = ExpenseRequest.objects.filter(estate=estate, account__code=chart.PUBLIC_FUND, status=ExpenseStatus.PENDING)
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    return qs.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def _insufficient(amount: Decimal, available: Decimal) -> Conflict:
    return Conflict(_("The owners' public revenue fund has %(available)s yuan available; %(amount)s yuan cannot be "
                      "used from it."), code="public_fund_insufficient",
                    detail={"available": str(available), "amount": str(amount)},
                    available=f"{available:.2f}", amount=f"{amount:.2f}")


# --- posting and notifying ---------------------------------------------------------------------------------------
def _post(expense: ExpenseRequest, *, poster: Actor, documents: Sequence[Document], approval=None) -> None:
    """Dr the expense account (or the public revenue fund) / Cr cash, with the documents, then mark it posted.

    The entry keeps the expense's date while its period is open; if the period closed while the expense waited for
    approval, it is posted on the day of the decision (a closed period takes nothing more, ADR 0010)."""
    date = expense.date
    closed = services.closed_through(expense.estate)
    if closed is not None and date <= closed:
        date = timezone.localdate()
    entry = services.entry_post(
        estate=expense.estate, actor=poster, date=date, kind=_entry_kind(expense.account),
        description=expense.description, counterparty=expense.counterparty, reference=f"expense:{expense.pk}",
        approval=approval, documents=documents, staff_note=expense.staff_note, check_permission=False,
        lines=[services.Line(expense.account, debit=expense.amount), services.Line(expense.pay_from,
                                                                                  credit=expense.amount)])
    expense.status, expense.entry, expense.approval = ExpenseStatus.POSTED, entry, approval
    ExpenseRequest.objects.filter(pk=expense.pk).update(status=expense.status, entry=entry, approval=approval)


def _url(expense: ExpenseRequest) -> str:
    return reverse("ledger:expense", kwargs={"estate_id": expense.estate_id, "expense_id": expense.pk})


def _notify_committee(actor: Actor, expense: ExpenseRequest) -> None:
    users = [m.user for m in Membership.objects.filter(estate=actor.estate, role__in=APPROVE_ROLES,
                                                       ended_at__isnull=True).select_related("user")
             if m.user_id != actor.user_id]
    if not users:
        return
    if _is_use(expense):
        title = _("Use of public revenue to decide: %(description)s")
        body = _("A use of %(amount)s yuan of the owners' public revenue (%(description)s, to %(payee)s) needs the "
                 "owners' decision. Record it with the tally and the minutes.")
    else:
        title = _("Expense waiting for approval: %(description)s")
        body = _("An expense of %(amount)s yuan (%(description)s, to %(payee)s) is above the approval threshold and "
                 "waits for the owners' committee.")
    notify(estate=actor.estate, users=users, kind=NOTIFY_KIND, title=title, body=body, url=_url(expense),
           params={"amount": f"{expense.amount:.2f}", "description": expense.description,
                   "payee": expense.counterparty})


def _notify_requester(actor: Actor, expense: ExpenseRequest) -> None:
    if expense.requested_by_id == actor.user_id:
        return
    if expense.status == ExpenseStatus.POSTED:
        title = _("Approved and posted: %(description)s")
    else:
        title = _("Rejected: %(description)s")
    notify(estate=actor.estate, users=[expense.requested_by], kind=NOTIFY_KIND, title=title,
           body=_("%(amount)s yuan to %(payee)s: %(status)s."), url=_url(expense),
           params={"amount": f"{expense.amount:.2f}", "description": expense.description,
                   "payee": expense.counterparty, "status": ExpenseStatus(expense.status).label})


def _audit(actor: Actor, action: str, expense: ExpenseRequest, before: dict | None = None) -> None:
    audit(user=actor.user, estate=actor.estate, action=f"ledger.{action}", obj=expense, before=before,
          after=snapshot(expense, EXPENSE_FIELDS))


# --- submitting --------------------------------------------------------------------------------------------------
def expense_submit(*, actor: Actor, account_code: str, pay_from_code: str, amount, date, counterparty: str,
                   description: str, documents: Sequence = (), staff_note: str = "", idempotency_key: str = "",
                   staff_only_documents: bool | Iterable[int] = False) -> ExpenseRequest:
    """Enter an expense (finance, the manager) on an expense account (5xxx, including 5101 costs of public
    revenue), paid from cash on hand (1001) or the bank (1002).

    Above ``ledger.expense_document_over`` a document is required (400 ``expense_document_required``); above
    ``ledger.expense_approval_over`` it is saved pending and the owners' committee is notified; at or below, it is
    posted at once (kind EXPENSE, or PUBLIC_REVENUE_COST on 5101; reference ``expense:<id>``). A repeated
    ``idempotency_key`` returns the first expense and stores nothing."""
    return _submit(actor=actor, account_code=account_code, pay_from_code=pay_from_code, amount=amount, date=date,
                   counterparty=counterparty, description=description, documents=documents,
                   staff_note=staff_note, idempotency_key=idempotency_key,
                   staff_only_documents=staff_only_documents, use=False)


def public_revenue_use_submit(*, actor: Actor, amount, date, counterparty: str, description: str,
                              documents: Sequence = (), pay_from_code: str = chart.BANK, staff_note: str = "",
                              idempotency_key: str = "",
                              staff_only_documents: bool | Iterable[int] = False) -> ExpenseRequest:
    """Propose a use of the owners' public revenue (Dr 3001 / Cr cash). Whatever the amount it waits for the
    owners' decision (Civil Code art. 282), recorded with ``public_revenue_use_approve``. It may not exceed what
    the fund has left after the uses already waiting (409 ``public_fund_insufficient``)."""
    return _submit(actor=actor, account_code=chart.PUBLIC_FUND, pay_from_code=pay_from_code, amount=amount,
                   date=date, counterparty=counterparty, description=description, documents=documents,
                   staff_note=staff_note, idempotency_key=idempotency_key,
                   staff_only_documents=staff_only_documents, use=True)


def _submit(*, actor: Actor, account_code, pay_from_code, amount, date, counterparty, description, documents,
            staff_note, idempotency_key, staff_only_documents, use: bool) -> ExpenseRequest:
    if not LedgerPolicy.can(actor, "post"):
        raise Forbidden()
    estate = actor.estate
    key = clean_key(idempotency_key)
    existing = _by_key(estate, key)
    if existing is not None:
        return existing
    fields = {
        "amount": parse_amount(amount),
        "date": parse_date(date),
        "counterparty": services.clean_text("counterparty", counterparty, required=True),
        "description": services.clean_text("description", description, required=True),
        "staff_note": services.clean_text("staff_note", staff_note),
    }
    if use:
        account = _account(estate, account_code, "account_code", allowed=lambda a: a.code == chart.PUBLIC_FUND)
    else:
        account = _account(estate, account_code, "account_code",
                           allowed=lambda a: a.group in EXPENSE_GROUPS and a.house_id is None)
    pay_from = _account(estate, pay_from_code, "pay_from_code", allowed=lambda a: a.code in CASH_CODES)
    closed = services.closed_through(estate)
    if closed is not None and fields["date"] <= closed:
        raise period_closed(fields["date"], closed)
    documents = list(documents or ())
    document_over = threshold(estate, RULE_DOCUMENT_OVER)
    if fields["amount"] > document_over and not documents:
        raise DomainError(_("An expense above %(threshold)s yuan needs at least one supporting document (an invoice, "
                            "a receipt or a contract)."), code="expense_document_required",
                          detail={"field": "documents", "threshold": str(document_over)},
                          threshold=f"{document_over:.2f}")
    try:
        with transaction.atomic(), files_removed_on_error() as stored:
            if use:
                from .public_revenue import fund_summary

                _lock_public_fund(estate)
                available = fund_summary(estate=estate).balance - _pending_uses(estate)
                if fields["amount"] > available:
                    raise _insufficient(fields["amount"], available)
            stored_documents = store_documents(actor, documents, staff_only_documents, stored)
            expense = ExpenseRequest.objects.create(estate=estate, account=account, pay_from=pay_from,
                                                    requested_by=actor.user, idempotency_key=key, **fields)
            ExpenseRequestDocument.objects.bulk_create(
                [ExpenseRequestDocument(estate=estate, expense=expense, document=d) for d in stored_documents])
            if not use and fields["amount"] <= threshold(estate, RULE_APPROVAL_OVER):
                _post(expense, poster=actor, documents=stored_documents)
            else:
                _notify_committee(actor, expense)
            _audit(actor, "expense_submit", expense)
            return expense
    except IntegrityError:
        # The same key submitted at the same moment: the other one won, and this one wrote nothing.
        existing = _by_key(estate, key)
        if existing is None:
            raise
        return existing


# --- deciding ----------------------------------------------------------------------------------------------------
def _decided(expense: ExpenseRequest) -> Conflict:
    return Conflict(_("This expense is “%(state)s”: it was already decided."), code="expense_decided",
                    detail={"status": expense.status}, state=ExpenseStatus(expense.status).label)


def _decidable(actor: Actor, expense: ExpenseRequest) -> None:
    if not LedgerPolicy.can(actor, "approve"):
        raise Forbidden()
    if expense.status != ExpenseStatus.PENDING:
        raise _decided(expense)
    if expense.requested_by_id == actor.user_id:
        raise Forbidden(_("You entered this expense: another member of the owners' committee decides on it."),
                        code="own_expense")


def _label(actor: Actor) -> str:
    """The decider's name as the decision shows it: a committee member's name, never their phone number (an
    approval may be shown to owners; PIPL: minimum necessary)."""
    return (getattr(actor.user, "name", "") or "").strip()[:120]


def _decider_role(actor: Actor) -> str:
    for role in (Role.COMMITTEE_CHAIR, Role.COMMITTEE_MEMBER):
        if role in actor.roles:
            return str(role)
    return services.actor_role(actor)


def _approval(actor: Actor, expense: ExpenseRequest, *, approved: bool, note: str, tally: dict | None = None,
              documents: Sequence[Document] = ()) -> Approval:
    approval = Approval.objects.create(
        estate=actor.estate, kind=ApprovalKind.PUBLIC_REVENUE_USE if _is_use(expense) else ApprovalKind.EXPENSE,
        decision=ApprovalDecision.APPROVED if approved else ApprovalDecision.REJECTED, decided_by=actor.user,
        decided_by_role=_decider_role(actor), decided_by_label=_label(actor), note=note,
        rule_set=actor.estate.jurisdiction, tally=tally)
    ApprovalDocument.objects.bulk_create([ApprovalDocument(estate=actor.estate, approval=approval, document=d)
                                          for d in documents])
    return approval


def _expense_documents(expense: ExpenseRequest) -> list[Document]:
    return [ed.document for ed in expense.expense_documents.select_related("document").order_by("id")]


def _note(note: str, *, required: bool = False) -> str:
    note = (note or "").strip()
    if required and not note:
        raise invalid("note", _("is required"))
    if len(note) > NOTE_MAX:
        raise invalid("note", Reason(_("is too long (at most %(max)s characters)"), max=NOTE_MAX))
    return note


@transaction.atomic
def expense_approve(*, actor: Actor, expense_id, note: str = "") -> ExpenseRequest:
    """The owners' committee (chair or member) approves a pending expense: an ``Approval`` is written under the
    estate's rule set and the entry posted carrying it. Deciding again is 409 ``expense_decided``; the one who
    entered the expense may not approve it (403 ``own_expense``). A use of public revenue needs the owners'
    decision instead (409 ``owners_decision_required``)."""
    expense = _locked(actor, expense_id)
    _decidable(actor, expense)
    if _is_use(expense):
        raise Conflict(_("A use of public revenue is decided by the owners: record their decision with the tally."),
                       code="owners_decision_required")
    note = _note(note)
    before = snapshot(expense, EXPENSE_FIELDS)
    approval = _approval(actor, expense, approved=True, note=note)
    _post(expense, poster=_requester(expense), documents=_expense_documents(expense), approval=approval)
    _audit(actor, "expense_approve", expense, before)
    _notify_requester(actor, expense)
    return expense


@transaction.atomic
def expense_reject(*, actor: Actor, expense_id, note: str) -> ExpenseRequest:
    """The owners' committee rejects a pending expense (or declines to put a use of public revenue to the owners),
    with a reason. Nothing is posted."""
    expense = _locked(actor, expense_id)
    _decidable(actor, expense)
    note = _note(note, required=True)
    before = snapshot(expense, EXPENSE_FIELDS)
    approval = _approval(actor, expense, approved=False, note=note)
    expense.status, expense.approval = ExpenseStatus.REJECTED, approval
    expense.save(update_fields=["status", "approval"])
    _audit(actor, "expense_reject", expense, before)
    _notify_requester(actor, expense)
    return expense


@transaction.atomic
def expense_withdraw(*, actor: Actor, expense_id, note: str = "") -> ExpenseRequest:
    """The one who entered a pending expense takes it back (409 once decided; 403 for anyone else)."""
    expense = _locked(actor, expense_id)
    if expense.requested_by_id != actor.user_id:
        raise Forbidden(_("Only the one who entered this expense may withdraw it."), code="not_your_expense")
    if expense.status != ExpenseStatus.PENDING:
        raise _decided(expense)
    _note(note)
    before = snapshot(expense, EXPENSE_FIELDS)
    expense.status = ExpenseStatus.WITHDRAWN
    expense.save(update_fields=["status"])
    _audit(actor, "expense_withdraw", expense, before)
    return expense


# --- the owners' decision on a use of public revenue --------------------------------------------------------------
def _tally_number(tally: Mapping, key: str, *, area: bool):
    value = tally.get(key)
    if value is None or value == "" or isinstance(value, bool):
        raise invalid(f"tally.{key}", _("is required"))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid(f"tally.{key}", _("not a number")) from None
    if not number.is_finite() or number < 0:
        raise invalid(f"tally.{key}", _("must be zero or more"))
    if area:
        if number > MAX_AREA or number != number.quantize(FEN):
            raise invalid(f"tally.{key}", _("an area in m² with at most two decimals"))
        return number.quantize(FEN)
    if number != number.to_integral_value() or number > 10**7:
        raise invalid(f"tally.{key}", _("a whole number of owners"))
    return int(number)


def parse_tally(tally: Mapping | None, rules: Mapping, *, approved: bool) -> dict:
    """The owners' tally checked: areas (m², two decimals) and headcounts for, against, abstaining and the totals
    of the voter roll; none negative, the parts within the totals. An approval must also show a decision under
    Civil Code art. 278: participation of at least ``vote.participation_area`` / ``_heads`` of the totals, and
    more than ``vote.simple_majority`` of the participating area AND headcount in favour (exact fractions)."""
    if not isinstance(tally, Mapping):
        raise invalid("tally", _("is required"))
    if isinstance(tally.get("area"), Mapping) or isinstance(tally.get("heads"), Mapping):
        # The maintenance fund's shape ({"area": {"for": ...}, "heads": {...}}) is accepted too.
        tally = {f"{part}_{k}": v for part in ("area", "heads") for k, v in (tally.get(part) or {}).items()}
    area = {k: _tally_number(tally, k, area=True) for k in AREA_KEYS}
    heads = {k: _tally_number(tally, k, area=False) for k in HEAD_KEYS}
    if area["area_total"] <= 0 or heads["heads_total"] <= 0:
        raise invalid("tally", _("the totals must be more than zero"))
    area_voted = area["area_for"] + area["area_against"] + area["area_abstain"]
    heads_voted = heads["heads_for"] + heads["heads_against"] + heads["heads_abstain"]
    if area_voted > area["area_total"] or heads_voted > heads["heads_total"]:
        raise invalid("tally", _("for, against and abstaining add up to more than the total"))
    participation_area = Fraction(str(rules.get("vote.participation_area", "2/3")))
    participation_heads = Fraction(str(rules.get("vote.participation_heads", "2/3")))
    majority = Fraction(str(rules.get("vote.simple_majority", "1/2")))
    if approved:
        if (Fraction(area_voted) < participation_area * Fraction(area["area_total"])
                or heads_voted < participation_heads * heads["heads_total"]):
            raise DomainError(_("The tally is not an owners' decision: owners holding at least %(area)s of the area "
                                "and %(heads)s of the headcount must take part (Civil Code art. 278)."),
                              code="tally_not_passed", area=str(participation_area), heads=str(participation_heads))
        if not (Fraction(area["area_for"]) > majority * Fraction(area_voted)
                and heads["heads_for"] > majority * heads_voted):
            raise DomainError(_("The tally does not approve the use: more than %(majority)s of the participating area "
                                "and of the participating owners must be in favour (Civil Code art. 278)."),
                              code="tally_not_passed", majority=str(majority))
    return {**{k: str(v) for k, v in area.items()}, **heads, "participation_area": str(participation_area),
            "participation_heads": str(participation_heads), "majority": str(majority)}


def public_revenue_use_approve(*, actor: Actor, expense_id, tally: Mapping, documents: Sequence,
                               note: str = "", staff_only_documents: bool | Iterable[int] = False) -> ExpenseRequest:
    """The committee records the owners' decision approving a use of public revenue: the tally (area and headcount
    for, against, abstaining, and the totals) and the decision document (minutes or ballot summary, required).
    The use is posted (Dr 3001 / Cr cash, kind PUBLIC_REVENUE_USE) carrying the approval; it may not exceed the
    fund's balance at that moment (409 ``public_fund_insufficient``)."""
    return _use_decide(actor=actor, expense_id=expense_id, tally=tally, documents=documents, note=note,
                       staff_only_documents=staff_only_documents, approved=True)


def public_revenue_use_reject(*, actor: Actor, expense_id, tally: Mapping, documents: Sequence,
                              note: str = "", staff_only_documents: bool | Iterable[int] = False) -> ExpenseRequest:
    """The committee records that the owners did not approve a use (the tally and the decision document)."""
    return _use_decide(actor=actor, expense_id=expense_id, tally=tally, documents=documents, note=note,
                       staff_only_documents=staff_only_documents, approved=False)


def _use_decide(*, actor: Actor, expense_id, tally, documents, note, staff_only_documents,
                approved: bool) -> ExpenseRequest:
    documents = list(documents or ())
    with transaction.atomic(), files_removed_on_error() as stored:
        expense = _locked(actor, expense_id)
        _decidable(actor, expense)
        if not _is_use(expense):
            raise Conflict(_("This is not a use of public revenue: approve or reject it as an expense."),
                           code="not_a_public_revenue_use")
        parsed = parse_tally(tally, actor.estate.rules(), approved=approved)
        note = _note(note)
        if not documents:
            raise DomainError(_("Attach the owners' decision: the minutes or the ballot summary."),
                              code="decision_document_required", detail={"field": "documents"})
        if approved:
            from .public_revenue import fund_summary

            _lock_public_fund(actor.estate)
            balance = fund_summary(estate=actor.estate).balance
            if expense.amount > balance:
                raise _insufficient(expense.amount, balance)
        before = snapshot(expense, EXPENSE_FIELDS)
        decision_documents = store_documents(actor, documents, staff_only_documents, stored)
        approval = _approval(actor, expense, approved=approved, note=note, tally=parsed,
                             documents=decision_documents)
        if approved:
            _post(expense, poster=_requester(expense), approval=approval,
                  documents=_expense_documents(expense) + decision_documents)
        else:
            expense.status, expense.approval = ExpenseStatus.REJECTED, approval
            expense.save(update_fields=["status", "approval"])
        _audit(actor, "public_revenue_use_approve" if approved else "public_revenue_use_reject", expense, before)
        _notify_requester(actor, expense)
        return expense

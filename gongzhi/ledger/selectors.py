"""Reads of the journal (DESIGN.md habit 2): every one takes the actor and stays inside the actor's estate."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum

from gongzhi.core.access import Actor
from gongzhi.core.errors import NotFound

from .models import Account, Checkpoint, EntryDocument, JournalEntry, JournalLine
from .policies import LedgerPolicy

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class EntryFilters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    kind: str = ""
    account_code: str = ""  # an account, or a parent with its sub-accounts ("3101" takes every house's)
    group: str = ""
    search: str = ""


def entries_for(actor: Actor) -> QuerySet:
    """The actor's estate's entries, or none when the actor may not read the ledger."""
    return JournalEntry.objects.restrict(actor, "view")


def entry_list(*, actor: Actor, filters: EntryFilters | None = None) -> QuerySet:
    """Entries, newest first, with their lines (and accounts) and documents prefetched."""
    f = filters or EntryFilters()
    qs = entries_for(actor)
    if f.date_from:
        qs = qs.filter(date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(date__lte=f.date_to)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.account_code:
        lines = JournalLine.objects.filter(estate=actor.estate).filter(
            Q(account__code=f.account_code) | Q(account__parent__code=f.account_code))
        qs = qs.filter(pk__in=lines.values("entry_id"))
    if f.group:
        qs = qs.filter(pk__in=JournalLine.objects.filter(estate=actor.estate, account__group=f.group)
                       .values("entry_id"))
    if f.search:
        text = Q(description__icontains=f.search) | Q(reference__icontains=f.search)
        if LedgerPolicy.can(actor, "view_private"):
            text |= Q(counterparty__icontains=f.search)
        else:
            text |= Q(counterparty__icontains=f.search, counterparty_private=False)
        qs = qs.filter(text)
    return with_details(qs.order_by("-seq"))


def with_details(qs: QuerySet) -> QuerySet:
    return qs.prefetch_related(
        Prefetch("lines", queryset=JournalLine.objects.select_related("account", "account__house__building", "account__house__unit")
                 .order_by("line_no")),
        Prefetch("entry_documents", queryset=EntryDocument.objects.select_related("document").order_by("id")),
    ).select_related("approval", "reverses")


def entry_get(*, actor: Actor, entry_id) -> JournalEntry:
    """One entry of the actor's estate with its lines and documents; 404 alike for missing, another estate's, or
    a reader who may not see the ledger."""
    entry = with_details(entries_for(actor).filter(pk=entry_id)).first()
    if entry is None:
        raise NotFound()
    return entry


def account_balances(*, estate, date_to: datetime.date | None = None, date_from: datetime.date | None = None,
                     groups=None) -> dict[int, tuple[Decimal, Decimal]]:
    """account id → (debits, credits) over entries dated in [date_from, date_to] (open ends allowed)."""
    qs = JournalLine.objects.filter(estate=estate)
    if date_from:
        qs = qs.filter(entry__date__gte=date_from)
    if date_to:
        qs = qs.filter(entry__date__lte=date_to)
    if groups:
        qs = qs.filter(account__group__in=list(groups))
    rows = qs.values("account_id").annotate(d=Sum("debit"), c=Sum("credit")).order_by()
    return {r["account_id"]: (r["d"] or ZERO, r["c"] or ZERO) for r in rows}


def balance(account: Account, debits: Decimal, credits: Decimal) -> Decimal:
    """The balance on the account's normal side (assets and expenses: debits − credits; others the reverse)."""
    return (debits - credits) if account.debit_normal else (credits - debits)


def checkpoints(*, actor: Actor) -> QuerySet:
    return Checkpoint.objects.restrict(actor, "view").order_by("-period_start")

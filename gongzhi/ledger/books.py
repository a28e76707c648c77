"""Reads for finance's books and the committee's approvals (DESIGN.md habit 2), beyond ``selectors``: the private
journal page, expenses and their documents, the uses of public revenue and the houses' shares of it. Every one
takes the actor and stays inside the actor's estate; another estate's object is 404 like a missing one.

And the one write the console adds to ``services``: a manual entry with its uploaded documents."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.pagination import Page, paginate

from . import chart, services
from .choices import EntryKind, ExpenseStatus
from .errors import invalid
from .models import Account, ApprovalDocument, Document, ExpenseRequest, ExpenseRequestDocument
from .policies import LedgerPolicy
from .public_revenue import house_shares, share_weights, sharing_houses
from .selectors import EntryFilters, entry_list

EXPENSE_KINDS = ("expense", "use")


def require(actor: Actor, action: str) -> Actor:
    if not LedgerPolicy.can(actor, action):
        raise Forbidden()
    return actor


def journal_page(*, actor: Actor, filters: EntryFilters | None = None, cursor: str | None = None,
                 limit: int | None = None) -> Page:
    """The journal with its staff-only fields, newest first (finance, the manager, the committee)."""
    require(actor, "view_private")
    entries = entry_list(actor=actor, filters=filters).select_related("reversed_by")
    return paginate(entries, cursor=cursor, limit=limit, descending=True)


def chart_accounts(*, actor: Actor) -> QuerySet:
    """The estate's accounts a manual entry may use, by code (the houses' fund sub-accounts are left out of the
    picker: the fund's own services post to them). The standard chart is created on first use."""
    chart.ensure_chart(actor.estate)
    return Account.objects.restrict(actor, "view_private").filter(house__isnull=True).order_by("code")


def expense_list(*, actor: Actor, status: str | None = None, kind: str | None = None) -> QuerySet:
    """Expenses (and uses of public revenue, ``kind="use"``) of the estate, with what a list row shows."""
    qs = (ExpenseRequest.objects.restrict(actor, "view_private")
          .select_related("account", "pay_from", "requested_by", "approval", "entry"))
    if status in ExpenseStatus.values:
        qs = qs.filter(status=status)
    if kind == "use":
        qs = qs.filter(account__code=chart.PUBLIC_FUND)
    elif kind == "expense":
        qs = qs.exclude(account__code=chart.PUBLIC_FUND)
    return qs


def expense_page(*, actor: Actor, status: str | None = None, kind: str | None = None, cursor: str | None = None,
                 limit: int | None = None) -> Page:
    require(actor, "view_private")
    return paginate(expense_list(actor=actor, status=status, kind=kind), cursor=cursor, limit=limit, descending=True)


def expense_get(*, actor: Actor, expense_id) -> ExpenseRequest:
    """One expense with its documents and its decision (with the decision's documents); 404 otherwise."""
    expense = (expense_list(actor=actor).filter(pk=expense_id).prefetch_related(
        Prefetch("expense_documents", queryset=ExpenseRequestDocument.objects.select_related("document")
                 .order_by("id")),
        Prefetch("approval__approval_documents", queryset=ApprovalDocument.objects.select_related("document")
                 .order_by("id"))).first())
    if expense is None:
        raise NotFound()
    return expense


def document_get(*, actor: Actor, document_id) -> Document:
    """Any document of the estate, to those who read the books privately (finance, the manager, the committee
    see staff-only documents anyway; this also reaches the files of an expense still waiting for approval)."""
    require(actor, "view_private")
    document = Document.objects.restrict(actor, "view_private").filter(pk=document_id).first()
    if document is None:
        raise NotFound()
    return document


def document_response(document) -> FileResponse:
    """Images inline, PDFs as a download; never sniffed, never able to run script in our origin."""
    inline = document.content_type.startswith("image/")
    response = FileResponse(document.file.open("rb"), content_type=document.content_type,
                            as_attachment=not inline, filename=document.name)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


def documents_by_ids(*, actor: Actor, ids) -> list[Document]:
    """The estate's documents with these ids, in that order (400 when one is not the estate's)."""
    ids = list(dict.fromkeys(ids or []))
    found = {d.pk: d for d in Document.objects.restrict(actor, "upload").filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise invalid("document_ids", _("no such document in this estate"))
    return [found[i] for i in ids]


def public_revenue_uses(*, actor: Actor, limit: int = 50) -> list[ExpenseRequest]:
    """The uses of public revenue owners may see: proposed, posted or refused (withdrawn drafts are finance's own),
    newest first, with their decision (the tally) and entry."""
    require(actor, "view")
    return list(ExpenseRequest.objects.filter(estate=actor.estate, account__code=chart.PUBLIC_FUND)
                .exclude(status=ExpenseStatus.WITHDRAWN).select_related("approval", "entry").order_by("-pk")[:limit])


@dataclass(frozen=True)
class ShareRow:
    house_id: int
    house: str
    area_m2: Decimal
    share: Decimal


def house_share_page(*, actor: Actor, balance: Decimal, cursor: str | None = None,
                     limit: int | None = None) -> Page:
    """Every sharing house with its share of ``balance``, by house id (staff: finance, the manager, the
    committee). The split is over all of them, so each page's shares are the exact ones."""
    require(actor, "view_private")
    weights = share_weights(actor.estate)
    shares = house_shares(estate=actor.estate, amount=balance, weights=weights)
    page = paginate(sharing_houses(actor.estate).select_related("building", "unit"), cursor=cursor, limit=limit)
    rows = [ShareRow(h.pk, h.code, h.area_m2, shares[h.pk]) for h in page.items]
    return Page(items=rows, next_cursor=page.next_cursor)


MANUAL_KINDS = (EntryKind.MANUAL, EntryKind.OPENING)


def manual_entry_post(*, actor: Actor, date, kind: str, description: str, lines, counterparty: str = "",
                      counterparty_private: bool = False, staff_note: str = "", documents=(),
                      staff_only_documents=False, idempotency_key: str = ""):
    """A manual entry or an opening balance (finance, the manager) with its documents (uploads are stored in the
    same transaction and removed again if the entry is refused). Every other kind is posted by its own service.
    The same ``idempotency_key`` again returns the first entry."""
    from .expenses import clean_key, files_removed_on_error, store_documents

    require(actor, "post")
    if kind not in MANUAL_KINDS:
        raise invalid("kind", _("a manual entry is a manual entry or an opening balance"))
    key = clean_key(idempotency_key)
    with files_removed_on_error() as stored, transaction.atomic():
        return services.entry_post(
            estate=actor.estate, actor=actor, date=date, kind=kind, description=description, lines=lines,
            counterparty=counterparty, counterparty_private=counterparty_private, staff_note=staff_note,
            reference=f"manual:{key}" if key else "",
            documents=store_documents(actor, list(documents or ()), staff_only_documents, stored))

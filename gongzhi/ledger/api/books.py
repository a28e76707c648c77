"""Finance's books over the API: the private journal, manual entries and reversals, documents, expenses and their
approval, public revenue income and its uses decided by the owners, and the public revenue fund's summary with
the caller's shares (owners too).

Errors are the one error shape (``code``, ``message``, ``detail``): 400 a rule refused the input, 403 the role may
not, 404 missing or another estate's, 409 the state forbids it (``expense_decided``, ``period_closed``,
``public_fund_insufficient``...). Lists are cursor-paginated, newest first."""

import datetime
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gongzhi.core.access import Actor
from gongzhi.core.api import api_actor

from .. import books, chart, expenses, public_revenue, services
from ..choices import EntryKind, ExpenseStatus
from ..models import Document, ExpenseRequest
from ..presenters import entry_data
from ..selectors import EntryFilters, entry_get

router = Router(tags=["ledger"])
MONEY_EXAMPLE = "800.00"


# --- schemas -----------------------------------------------------------------------------------------------------
class BooksDocumentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    staff_only: bool


class BooksLineOut(Schema):
    line_no: int
    account_code: str
    account: str
    debit: Decimal
    credit: Decimal


class BooksEntryOut(Schema):
    id: int
    seq: int
    date: datetime.date
    posted_at: datetime.datetime
    kind: str
    kind_label: str
    description: str
    counterparty: str
    counterparty_private: bool
    reference: str
    reverses_seq: int | None
    actor_role: str
    actor_role_label: str
    actor_label: str = ""
    staff_note: str = ""
    approval_id: int | None
    amount: Decimal
    lines: list[BooksLineOut]
    documents: list[BooksDocumentOut]
    prev_hash: str
    hash: str
    private_digest: str


class BooksEntryPage(Schema):
    items: list[BooksEntryOut]
    next_cursor: str | None


class JournalFilters(Schema):
    cursor: str | None = None
    limit: int = 50
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    kind: EntryKind | None = None
    account: str | None = Field(None, description="An account code; a parent (3101) takes its sub-accounts.")
    q: str | None = Field(None, max_length=60)


class LineIn(Schema):
    account_code: str = Field(..., examples=["1002"])
    debit: Decimal = Field(Decimal("0"), examples=["100.00"])
    credit: Decimal = Field(Decimal("0"), examples=["0"])


class EntryIn(Schema):
    date: datetime.date
    kind: Literal["manual", "opening"] = "manual"
    description: str = Field(..., max_length=200, examples=["期初余额"])
    counterparty: str = Field("", max_length=120)
    counterparty_private: bool = Field(False, description="A resident: owners see the amount, not who.")
    staff_note: str = Field("", max_length=500)
    lines: list[LineIn] = Field(..., min_length=2, examples=[[
        {"account_code": "1002", "debit": "100.00", "credit": "0"},
        {"account_code": "3001", "debit": "0", "credit": "100.00"}]])
    document_ids: list[int] = Field(default_factory=list, description="Documents uploaded with "
                                                                      "POST .../ledger/books/documents.")
    idempotency_key: str = Field("", max_length=64, description="Posting the same key again returns the first "
                                                                "entry.")


class ReverseIn(Schema):
    reason: str = Field(..., max_length=150, examples=["金额录错"])
    date: datetime.date | None = Field(None, description="Default today; must be in an open period.")


class ExpenseFilters(Schema):
    cursor: str | None = None
    limit: int = 50
    status: ExpenseStatus | None = None
    kind: Literal["expense", "use"] | None = None


class MoneyIn(Schema):
    amount: Decimal = Field(..., examples=[MONEY_EXAMPLE])
    date: datetime.date
    counterparty: str = Field(..., max_length=120, examples=["洁美保洁公司"])
    description: str = Field(..., max_length=200, examples=["10月保洁外包"])
    staff_note: str = Field("", max_length=500)
    idempotency_key: str = Field("", max_length=64, description="Submitting the same key again returns the "
                                                                "first one and stores nothing.")
    staff_only: list[int] = Field(default_factory=list,
                                  description="Positions (from 0) of the uploaded files that are staff-only.")


class ExpenseIn(MoneyIn):
    account_code: str = Field(..., examples=["5002"], description="An expense account (50xx, or 5101).")
    pay_from_code: Literal["1001", "1002"] = "1002"


class IncomeIn(MoneyIn):
    source_code: str = Field(..., examples=["4101"], description="A public revenue account (41xx).")
    received_into: Literal["1001", "1002"] = "1002"


class UseIn(MoneyIn):
    pay_from_code: Literal["1001", "1002"] = "1002"


class NoteIn(Schema):
    note: str = Field("", max_length=500)


class BooksTallyIn(Schema):
    area_for: Decimal = Field(..., examples=["300.00"])
    area_against: Decimal = Field(..., examples=["50.00"])
    area_abstain: Decimal = Field(..., examples=["0"])
    area_total: Decimal = Field(..., examples=["425.50"])
    heads_for: int = Field(..., examples=[2])
    heads_against: int = Field(..., examples=[1])
    heads_abstain: int = Field(..., examples=[0])
    heads_total: int = Field(..., examples=[3])
    note: str = Field("", max_length=500)

    def tally(self) -> dict:
        return {key: getattr(self, key) for key in (*expenses.AREA_KEYS, *expenses.HEAD_KEYS)}


class BooksApprovalOut(Schema):
    id: int
    kind: str
    decision: str
    decided_by_label: str
    decided_by_role: str
    decided_at: datetime.datetime
    note: str
    rule_set: str
    tally: dict | None
    documents: list[BooksDocumentOut]


class ExpenseOut(Schema):
    id: int
    kind: Literal["expense", "use"]
    status: str
    status_label: str
    account_code: str
    account: str
    pay_from_code: str
    amount: Decimal
    date: datetime.date
    counterparty: str
    description: str
    staff_note: str
    requested_by: str
    requested_at: datetime.datetime
    approval_id: int | None
    entry_id: int | None
    entry_seq: int | None


class ExpenseDetailOut(ExpenseOut):
    documents: list[BooksDocumentOut]
    approval: BooksApprovalOut | None


class ExpensePage(Schema):
    items: list[ExpenseOut]
    next_cursor: str | None


class SourceOut(Schema):
    code: str
    label: str
    amount: Decimal


class BooksSummaryOut(Schema):
    income: list[SourceOut]
    income_total: Decimal
    costs: Decimal
    uses: Decimal
    balance: Decimal


class BooksShareOut(Schema):
    house_id: int
    house: str
    area_m2: Decimal
    share: Decimal


class SharePage(Schema):
    balance: Decimal
    items: list[BooksShareOut]
    next_cursor: str | None


class UseOut(Schema):
    id: int
    date: datetime.date
    description: str
    counterparty: str
    amount: Decimal
    status: str
    status_label: str
    tally: dict | None
    entry_seq: int | None


class BooksPublicRevenueOut(Schema):
    year: int
    all_time: BooksSummaryOut
    this_year: BooksSummaryOut
    uses: list[UseOut]
    my_shares: list[BooksShareOut] = Field(description="The caller's own houses (owner or co-owner) and their share "
                                                  "of the balance by area (Civil Code art. 283).")


class CursorIn(Schema):
    cursor: str | None = None
    limit: int = 50


# --- presenting --------------------------------------------------------------------------------------------------
def _document(d: Document) -> dict:
    return {"id": d.pk, "name": d.name, "content_type": d.content_type, "size": d.size, "sha256": d.sha256,
            "staff_only": d.staff_only}


def _expense(e: ExpenseRequest) -> dict:
    return {"id": e.pk, "kind": "use" if e.account.code == chart.PUBLIC_FUND else "expense", "status": e.status,
            "status_label": str(ExpenseStatus(e.status).label), "account_code": e.account.code,
            "account": e.account.label, "pay_from_code": e.pay_from.code, "amount": e.amount, "date": e.date,
            "counterparty": e.counterparty, "description": e.description, "staff_note": e.staff_note,
            "requested_by": getattr(e.requested_by, "name", "") or "", "requested_at": e.requested_at,
            "approval_id": e.approval_id, "entry_id": e.entry_id, "entry_seq": e.entry.seq if e.entry_id else None}


def _expense_detail(e: ExpenseRequest) -> dict:
    approval = None
    if e.approval_id:
        a = e.approval
        approval = {"id": a.pk, "kind": a.kind, "decision": a.decision, "decided_by_label": a.decided_by_label,
                    "decided_by_role": a.decided_by_role, "decided_at": a.decided_at, "note": a.note,
                    "rule_set": a.rule_set, "tally": a.tally,
                    "documents": [_document(ad.document) for ad in a.approval_documents.all()]}
    return {**_expense(e), "documents": [_document(ed.document) for ed in e.expense_documents.all()],
            "approval": approval}


def _detail(actor: Actor, expense_id: int) -> dict:
    return _expense_detail(books.expense_get(actor=actor, expense_id=expense_id))


def _summary(s: public_revenue.FundSummary) -> dict:
    return {"income": [{"code": x.code, "label": x.label, "amount": x.amount} for x in s.income],
            "income_total": s.income_total, "costs": s.costs, "uses": s.uses, "balance": s.balance}


def _files(documents) -> list:
    return list(documents or [])


# --- the journal -------------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/ledger/books/entries", response=BooksEntryPage,
            summary="The journal with its staff-only fields, newest first (finance, manager, committee)")
def journal(request, estate_id: int, filters: Query[JournalFilters]):
    actor = api_actor(request, estate_id)
    page = books.journal_page(actor=actor, cursor=filters.cursor, limit=filters.limit, filters=EntryFilters(
        date_from=filters.date_from, date_to=filters.date_to, kind=filters.kind or "",
        account_code=filters.account or "", search=(filters.q or "").strip()))
    return {"items": [entry_data(e, actor, private=True) for e in page.items], "next_cursor": page.next_cursor}


@router.get("/estates/{estate_id}/ledger/books/entries/{entry_id}", response=BooksEntryOut,
            summary="One entry with its staff-only fields")
def journal_entry(request, estate_id: int, entry_id: int):
    actor = books.require(api_actor(request, estate_id), "view_private")
    return entry_data(entry_get(actor=actor, entry_id=entry_id), actor, private=True)


@router.post("/estates/{estate_id}/ledger/books/documents", response={201: BooksDocumentOut},
             summary="Upload a document (invoice, contract, photo) to attach to a manual entry")
def document_upload(request, estate_id: int, file: File[UploadedFile], staff_only: Form[bool] = False):
    """PDF, JPEG, PNG or WebP; checked by content (``attachment_type``, ``attachment_too_large``,
    ``attachment_active_content``). Pass its id in ``document_ids`` of a manual entry."""
    actor = api_actor(request, estate_id)
    return Status(201, _document(services.document_store(actor=actor, upload=file, staff_only=staff_only)))


@router.get("/estates/{estate_id}/ledger/books/documents/{document_id}", response={200: None},
            summary="Download any document of the estate: an expense's invoice, a decision's minutes (private readers)")
def document_download(request, estate_id: int, document_id: int):
    """Images inline, PDFs as a download, with a sandboxing Content-Security-Policy. Finance, the manager and the
    committee; it also reaches the files of an expense still waiting for approval."""
    actor = api_actor(request, estate_id)
    return books.document_response(books.document_get(actor=actor, document_id=document_id))


@router.post("/estates/{estate_id}/ledger/books/entries", response={201: BooksEntryOut},
             summary="Post a manual entry or an opening balance (finance, manager)")
def entry_create(request, estate_id: int, payload: EntryIn):
    """Debits must equal credits (400 ``unbalanced``); a date in a closed period is 409 ``period_closed``."""
    actor = books.require(api_actor(request, estate_id), "post")
    entry = books.manual_entry_post(
        actor=actor, date=payload.date, kind=payload.kind, description=payload.description,
        counterparty=payload.counterparty, counterparty_private=payload.counterparty_private,
        staff_note=payload.staff_note, idempotency_key=payload.idempotency_key,
        documents=books.documents_by_ids(actor=actor, ids=payload.document_ids),
        lines=[services.Line(ln.account_code, debit=ln.debit, credit=ln.credit) for ln in payload.lines])
    return Status(201, entry_data(entry_get(actor=actor, entry_id=entry.pk), actor, private=True))


@router.post("/estates/{estate_id}/ledger/books/entries/{entry_id}/reverse", response={201: BooksEntryOut},
             summary="Reverse an entry: its mirror image, pointing at it (the same again returns the first)")
def entry_reverse(request, estate_id: int, entry_id: int, payload: ReverseIn):
    actor = api_actor(request, estate_id)
    entry = entry_get(actor=actor, entry_id=entry_id)
    reversal = services.entry_reverse(actor=actor, entry=entry, reason=payload.reason, date=payload.date)
    return Status(201, entry_data(entry_get(actor=actor, entry_id=reversal.pk), actor, private=True))


# --- expenses ----------------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/ledger/expenses", response=ExpensePage,
            summary="Expenses and proposed uses of public revenue, newest first")
def expense_list(request, estate_id: int, filters: Query[ExpenseFilters]):
    actor = api_actor(request, estate_id)
    page = books.expense_page(actor=actor, status=filters.status, kind=filters.kind, cursor=filters.cursor,
                              limit=filters.limit)
    return {"items": [_expense(e) for e in page.items], "next_cursor": page.next_cursor}


@router.post("/estates/{estate_id}/ledger/expenses", response={201: ExpenseDetailOut},
             summary="Enter an expense with its documents (multipart; finance, manager)")
def expense_create(request, estate_id: int, payload: Form[ExpenseIn],
                   documents: File[list[UploadedFile]] = None):
    """Above ``ledger.expense_document_over`` a file in ``documents`` is required (400
    ``expense_document_required``). Above ``ledger.expense_approval_over`` the expense is ``pending`` until the
    owners' committee decides; at or below it is ``posted`` at once."""
    actor = api_actor(request, estate_id)
    expense = expenses.expense_submit(
        actor=actor, account_code=payload.account_code, pay_from_code=payload.pay_from_code, amount=payload.amount,
        date=payload.date, counterparty=payload.counterparty, description=payload.description,
        staff_note=payload.staff_note, idempotency_key=payload.idempotency_key, documents=_files(documents),
        staff_only_documents=payload.staff_only)
    return Status(201, _detail(actor, expense.pk))


@router.get("/estates/{estate_id}/ledger/expenses/{expense_id}", response=ExpenseDetailOut,
            summary="An expense with its documents and decision")
def expense_detail(request, estate_id: int, expense_id: int):
    actor = api_actor(request, estate_id)
    return _detail(actor, expense_id)


@router.post("/estates/{estate_id}/ledger/expenses/{expense_id}/approve", response=ExpenseDetailOut,
             summary="Approve a pending expense and post it (owners' committee; not one's own)")
def expense_approve(request, estate_id: int, expense_id: int, payload: NoteIn):
    actor = api_actor(request, estate_id)
    expenses.expense_approve(actor=actor, expense_id=expense_id, note=payload.note)
    return _detail(actor, expense_id)


@router.post("/estates/{estate_id}/ledger/expenses/{expense_id}/reject", response=ExpenseDetailOut,
             summary="Reject a pending expense, with a reason (owners' committee)")
def expense_reject(request, estate_id: int, expense_id: int, payload: NoteIn):
    actor = api_actor(request, estate_id)
    expenses.expense_reject(actor=actor, expense_id=expense_id, note=payload.note)
    return _detail(actor, expense_id)


@router.post("/estates/{estate_id}/ledger/expenses/{expense_id}/withdraw", response=ExpenseDetailOut,
             summary="Withdraw a pending expense (the one who entered it)")
def expense_withdraw(request, estate_id: int, expense_id: int, payload: NoteIn):
    actor = api_actor(request, estate_id)
    expenses.expense_withdraw(actor=actor, expense_id=expense_id, note=payload.note)
    return _detail(actor, expense_id)


# --- public revenue ------------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/ledger/public-revenue", response=BooksPublicRevenueOut,
            summary="The owners' public revenue fund: income, costs, uses, balance, and my houses' shares")
def public_revenue_summary(request, estate_id: int):
    """Civil Code art. 282: the income from the common parts is the owners' after reasonable costs; art. 283:
    shared by area. Owners, the committee, finance and the manager."""
    actor = books.require(api_actor(request, estate_id), "view")
    today = timezone.localdate()
    total = public_revenue.fund_summary(estate=actor.estate)
    year = public_revenue.fund_summary(estate=actor.estate, date_from=today.replace(month=1, day=1))
    mine = public_revenue.my_house_shares(actor=actor, balance=total.balance)
    uses = [{"id": u.pk, "date": u.date, "description": u.description, "counterparty": u.counterparty,
             "amount": u.amount, "status": u.status, "status_label": str(ExpenseStatus(u.status).label),
             "tally": u.approval.tally if u.approval_id else None,
             "entry_seq": u.entry.seq if u.entry_id else None} for u in books.public_revenue_uses(actor=actor)]
    return {"year": today.year, "all_time": _summary(total), "this_year": _summary(year), "uses": uses,
            "my_shares": [{"house_id": s.house.pk, "house": s.house.code, "area_m2": s.area_m2, "share": s.share}
                          for s in mine]}


@router.get("/estates/{estate_id}/ledger/public-revenue/shares", response=SharePage,
            summary="Every house's share of the fund's balance by area (finance, manager, committee)")
def public_revenue_shares(request, estate_id: int, filters: Query[CursorIn]):
    actor = books.require(api_actor(request, estate_id), "view_private")
    balance = public_revenue.fund_summary(estate=actor.estate).balance
    page = books.house_share_page(actor=actor, balance=balance, cursor=filters.cursor, limit=filters.limit)
    return {"balance": balance, "next_cursor": page.next_cursor,
            "items": [{"house_id": r.house_id, "house": r.house, "area_m2": r.area_m2, "share": r.share}
                      for r in page.items]}


@router.post("/estates/{estate_id}/ledger/public-revenue/income", response={201: BooksEntryOut},
             summary="Record income from the common parts (multipart; finance, manager)")
def public_revenue_income(request, estate_id: int, payload: Form[IncomeIn],
                          documents: File[list[UploadedFile]] = None):
    actor = api_actor(request, estate_id)
    entry = public_revenue.public_revenue_record(
        actor=actor, source_code=payload.source_code, received_into=payload.received_into, amount=payload.amount,
        date=payload.date, counterparty=payload.counterparty, description=payload.description,
        staff_note=payload.staff_note, idempotency_key=payload.idempotency_key, documents=_files(documents),
        staff_only_documents=payload.staff_only)
    return Status(201, entry_data(entry_get(actor=actor, entry_id=entry.pk), actor, private=True))


@router.post("/estates/{estate_id}/ledger/public-revenue/uses", response={201: ExpenseDetailOut},
             summary="Propose a use of public revenue; the owners decide it (multipart; finance, manager)")
def public_revenue_use_create(request, estate_id: int, payload: Form[UseIn],
                              documents: File[list[UploadedFile]] = None):
    """Always ``pending`` until the committee records the owners' decision. More than the fund has left after the
    uses already waiting is 409 ``public_fund_insufficient``."""
    actor = api_actor(request, estate_id)
    expense = expenses.public_revenue_use_submit(
        actor=actor, pay_from_code=payload.pay_from_code, amount=payload.amount, date=payload.date,
        counterparty=payload.counterparty, description=payload.description, staff_note=payload.staff_note,
        idempotency_key=payload.idempotency_key, documents=_files(documents),
        staff_only_documents=payload.staff_only)
    return Status(201, _detail(actor, expense.pk))


def _use_decision(request, estate_id: int, expense_id: int, payload: BooksTallyIn, documents, *, approved: bool):
    actor = api_actor(request, estate_id)
    service = expenses.public_revenue_use_approve if approved else expenses.public_revenue_use_reject
    service(actor=actor, expense_id=expense_id, tally=payload.tally(), note=payload.note,
            documents=_files(documents))
    return _detail(actor, expense_id)


@router.post("/estates/{estate_id}/ledger/public-revenue/uses/{expense_id}/approve", response=ExpenseDetailOut,
             summary="Record the owners' approval of a use: the tally and the minutes (multipart; committee)")
def public_revenue_use_approve(request, estate_id: int, expense_id: int, payload: Form[BooksTallyIn],
                               documents: File[list[UploadedFile]] = None):
    """The tally must show an owners' decision under Civil Code art. 278 (participation and majority by area AND
    headcount; else 400 ``tally_not_passed``) and the minutes or ballot summary is required (400
    ``decision_document_required``). The use is posted; above the fund's balance it is 409
    ``public_fund_insufficient``."""
    return _use_decision(request, estate_id, expense_id, payload, documents, approved=True)


@router.post("/estates/{estate_id}/ledger/public-revenue/uses/{expense_id}/reject", response=ExpenseDetailOut,
             summary="Record that the owners did not approve a use: the tally and the minutes (multipart)")
def public_revenue_use_reject(request, estate_id: int, expense_id: int, payload: Form[BooksTallyIn],
                              documents: File[list[UploadedFile]] = None):
    return _use_decision(request, estate_id, expense_id, payload, documents, approved=False)

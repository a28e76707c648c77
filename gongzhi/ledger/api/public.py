"""The owners' public ledger over the API: the year at a glance, the entries (cursor-paged, with the drill-down
filters of the public page), one entry with its approval and reversal links, a document, and the disclosure report
as JSON or PDF.

Readers as on the pages (LedgerPolicy "view"; family, tenants and staff outside finance get 403 ``forbidden``); an
entry or a document the reader may not see is 404 like another estate's. Staff-only fields are ``null`` for
readers without staff-only access (presenters.entry_data decides). Amounts are decimal strings ("1234.50").
"""

import datetime
from dataclasses import asdict
from decimal import Decimal

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from gongzhi.core.api import api_actor
from gongzhi.core.errors import Forbidden
from gongzhi.core.pagination import paginate

from .. import disclosure as public
from .. import selectors, signing
from ..policies import LedgerPolicy
from ..presenters import entry_data

router = Router(tags=["ledger"])


# --- schemas ---------------------------------------------------------------------------------------------------------
class AccountTotalOut(Schema):
    code: str
    label: str
    amount: Decimal


class PublicCategoryOut(Schema):
    group: str
    label: str
    total: Decimal
    accounts: list[AccountTotalOut]


class PublicCheckpointOut(Schema):
    closed: bool = Field(..., description="False: the period is not closed yet and its figures may still change.")
    period_start: datetime.date | None
    period_end: datetime.date | None
    head_seq: int | None = Field(..., description="The last entry the signature covers.")
    head_hash: str
    signature: str = Field(..., description="Ed25519, hex, over the checkpoint message (see tools/verify_ledger.py).")
    public_key: str
    signed_at: datetime.datetime | None
    current_seq: int = Field(..., description="The chain head when the report was built.")


class LatestCheckpointOut(Schema):
    period_start: datetime.date
    period_end: datetime.date
    head_seq: int
    head_hash: str
    signature: str
    public_key: str
    signed_at: datetime.datetime


class PublicSummaryOut(Schema):
    year: int
    income_total: Decimal
    expense_total: Decimal
    income: list[PublicCategoryOut]
    expense: list[PublicCategoryOut]
    public_revenue_balance: Decimal
    maintenance_fund_balance: Decimal
    latest_checkpoint: LatestCheckpointOut | None
    public_key: str = Field(..., description="The installation's checkpoint key; a checkpoint signed by any other "
                                             "key is forged.")


class PublicLineOut(Schema):
    line_no: int
    account_code: str
    account: str
    debit: Decimal
    credit: Decimal


class PublicDocumentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    staff_only: bool
    url: str


class PublicEntryOut(Schema):
    id: int
    seq: int
    date: datetime.date
    posted_at: datetime.datetime
    kind: str
    kind_label: str
    description: str
    counterparty: str = Field(..., description="Empty when it is a resident (private) and the reader may not see it.")
    counterparty_private: bool
    reference: str
    reverses_seq: int | None
    actor_role: str
    actor_role_label: str
    approval_id: int | None
    amount: Decimal
    drill_amount: Decimal | None = Field(None, description="With an account or group filter: the entry's amount on "
                                                           "it, on its normal side (a reversal is negative).")
    lines: list[PublicLineOut]
    documents: list[PublicDocumentOut]
    prev_hash: str
    hash: str
    private_digest: str
    staff_note: str | None = Field(None, description="Staff-only: finance, the manager and the committee.")
    actor_label: str | None = Field(None, description="Staff-only: who exactly posted it.")


class PublicEntryPage(Schema):
    items: list[PublicEntryOut]
    next_cursor: str | None
    total: Decimal | None = Field(None, description="With an account or group filter: the total over every page.")


class PublicApprovalOut(Schema):
    id: int
    kind: str
    kind_label: str
    decision: str
    decision_label: str
    decided_at: datetime.datetime
    role: str
    role_label: str
    tally: dict = Field(..., description="As recorded (for a fund project: area and heads for, against, abstaining "
                                         "and the totals, the rules and checks applied).")
    tally_rows: list[dict] = Field(..., description="The tally in words, label and value, in the caller's language.")
    vote_ref: str
    rule_set: str
    note: str
    documents: list[PublicDocumentOut]
    decided_by: str | None = Field(None, description="Staff-only: the decider's name.")


class EntryRef(Schema):
    id: int
    seq: int


class EntryDetailOut(PublicEntryOut):
    approval: PublicApprovalOut | None
    reverses: EntryRef | None
    reversed_by: EntryRef | None


class LedgerPeriodOut(Schema):
    year: int
    month: int | None
    start: datetime.date
    end: datetime.date
    label: str


class MonthOut(Schema):
    month: int
    income: Decimal
    expense: Decimal


class PublicRevenueOut(Schema):
    balance_start: Decimal
    income: list[AccountTotalOut]
    income_total: Decimal
    costs: list[AccountTotalOut]
    costs_total: Decimal
    net: Decimal
    uses: Decimal
    balance_end: Decimal


class FundTotalsOut(Schema):
    deposited: Decimal
    topped_up: Decimal
    interest: Decimal
    used: Decimal
    other: Decimal
    balance: Decimal


class PublicProjectOut(Schema):
    id: int
    title: str
    status: str
    status_label: str
    emergency: bool
    emergency_label: str
    contractor: str
    budget: Decimal
    paid_in_period: Decimal
    paid_to_date: Decimal
    approval: dict | None


class PublicHouseFundOut(Schema):
    house_id: int
    house: str
    area_m2: Decimal
    deposited: Decimal
    used: Decimal
    interest: Decimal
    balance: Decimal


class FundOut(Schema):
    start: FundTotalsOut
    period: FundTotalsOut
    end: FundTotalsOut
    projects: list[PublicProjectOut]
    houses: list[PublicHouseFundOut]


class ArrearsOut(Schema):
    has_billing_data: bool
    receivable: Decimal
    prepaid: Decimal


class DisclosureOut(Schema):
    estate_id: int
    estate_name: str
    period: LedgerPeriodOut
    generated_at: datetime.datetime
    income: list[PublicCategoryOut]
    expense: list[PublicCategoryOut]
    income_total: Decimal
    expense_total: Decimal
    surplus: Decimal
    by_month: list[MonthOut] | None
    public_revenue: PublicRevenueOut
    fund: FundOut
    arrears: ArrearsOut
    cash: list[AccountTotalOut]
    cash_total: Decimal
    checkpoint: PublicCheckpointOut


class EntryFilters(Schema):
    cursor: str | None = None
    limit: int = 50
    account: str = Field("", description="An account code; a parent takes its sub-accounts (3101: every house's).")
    group: str = Field("", description="An account group (fee_income, public_revenue, expense...).")
    date_from: datetime.date | None = Field(None, alias="from")
    date_to: datetime.date | None = Field(None, alias="to")
    kind: str = ""
    q: str = ""


class LedgerPeriodQuery(Schema):
    year: int | None = Field(None, description="This year when left out.")
    month: int | None = Field(None, description="1-12; the whole year when left out.")


# --- helpers ---------------------------------------------------------------------------------------------------------
def _reader(request, estate_id: int, action: str = "view"):
    actor = api_actor(request, estate_id)
    if not LedgerPolicy.can(actor, action):
        raise Forbidden()
    return actor


def _document_url(estate_id: int, document_id: int) -> str:
    return f"/api/v1/estates/{estate_id}/ledger/documents/{document_id}"


def _entry(actor, entry, private: bool, drill=None) -> dict:
    data = entry_data(entry, actor, private=private)
    data["documents"] = [{**d, "url": _document_url(actor.estate.pk, d["id"])} for d in data["documents"]]
    if drill is not None:
        data["drill_amount"] = public.drill_amount(entry, drill)
    return data


def _fund_totals(t) -> dict:
    return {**asdict(t), "balance": t.balance}


def report_data(report) -> dict:
    """The report as plain data (dataclasses plus their computed figures)."""
    data = asdict(report)
    p = report.period
    data["period"] = {"year": p.year, "month": p.month, "start": p.start, "end": p.end, "label": p.label}
    data["surplus"], data["cash_total"] = report.surplus, report.cash_total
    fund = report.fund
    data["fund"].update(start=_fund_totals(fund.start), period=_fund_totals(fund.period), end=_fund_totals(fund.end),
                        houses=data["fund"]["houses"] or [])
    return data


def _period(query: LedgerPeriodQuery) -> tuple:
    return query.year or timezone.localdate().year, query.month


# --- endpoints -------------------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/ledger/summary", response=PublicSummaryOut,
            summary="This year at a glance: income and expense by category, the funds' balances, the latest checkpoint")
def summary(request, estate_id: int):
    actor = _reader(request, estate_id)
    report = public.disclosure_report(estate=actor.estate, year=timezone.localdate().year, per_house=False)
    checkpoint = public.latest_checkpoint(actor.estate)
    return {"year": report.period.year, "income_total": report.income_total, "expense_total": report.expense_total,
            "income": [asdict(c) for c in report.income], "expense": [asdict(c) for c in report.expense],
            "public_revenue_balance": report.public_revenue.balance_end,
            "maintenance_fund_balance": report.fund.end.balance, "latest_checkpoint": checkpoint,
            "public_key": signing.public_key_hex()}


@router.get("/estates/{estate_id}/ledger/entries", response=PublicEntryPage,
            summary="Entries, newest first, with the drill-down filters (account or group, from, to, kind, q)")
def entries(request, estate_id: int, filters: Query[EntryFilters]):
    actor = _reader(request, estate_id)
    entry_filters, drill = public.drill_filters(account=filters.account, group=filters.group,
                                                date_from=filters.date_from, date_to=filters.date_to,
                                                kind=filters.kind, q=filters.q)
    qs = selectors.entry_list(actor=actor, filters=entry_filters)
    page = paginate(qs, cursor=filters.cursor, limit=filters.limit, descending=True)
    private = LedgerPolicy.can(actor, "view_private")
    items = [_entry(actor, e, private, drill) for e in public.with_house_codes(page.items)]
    return {"items": items, "next_cursor": page.next_cursor,
            "total": public.drill_total(qs, drill)}


@router.get("/estates/{estate_id}/ledger/entries/{entry_id}", response=EntryDetailOut,
            summary="One entry: lines, documents, approval (with its documents), reversal links, hashes")
def entry(request, estate_id: int, entry_id: int):
    actor = _reader(request, estate_id)
    private = LedgerPolicy.can(actor, "view_private")
    found = public.with_house_codes([selectors.entry_get(actor=actor, entry_id=entry_id)])[0]
    data = _entry(actor, found, private)
    approval = None
    if found.approval_id:
        documents = public.approval_documents(actor, found.approval, private=private)
        approval = {**public.approval_data(found.approval, private=private),
                    "documents": [{"id": d.pk, "name": d.name, "content_type": d.content_type, "size": d.size,
                                   "sha256": d.sha256, "staff_only": d.staff_only,
                                   "url": _document_url(estate_id, d.pk)} for d in documents]}
    data.update(approval=approval, reverses=found.reverses, reversed_by=public.reversed_by(found))
    return data


@router.get("/estates/{estate_id}/ledger/documents/{document_id}",
            summary="A document (invoice, contract, photo, minutes) as a download")
def document(request, estate_id: int, document_id: int):
    """Staff-only documents only for finance, the manager and the committee; for owners only documents attached to
    an entry, to the approval of an entry or a fund project, or to a posted expense; otherwise 404."""
    from ..web.public import document_response

    actor = _reader(request, estate_id)
    return document_response(public.document_get(actor=actor, document_id=document_id))


@router.get("/estates/{estate_id}/ledger/disclosure", response=DisclosureOut,
            summary="The disclosure report of a month or a year (Civil Code art. 943), with the covering checkpoint")
def disclosure(request, estate_id: int, query: Query[LedgerPeriodQuery]):
    actor = _reader(request, estate_id, "disclosure")
    year, month = _period(query)
    return report_data(public.disclosure_report(estate=actor.estate, year=year, month=month))


@router.get("/estates/{estate_id}/ledger/disclosure.pdf",
            summary="The disclosure report as a PDF in the caller's language (Accept-Language; zh-hans by default)")
def disclosure_pdf(request, estate_id: int, query: Query[LedgerPeriodQuery]):
    from ..web.public import pdf_response

    actor = _reader(request, estate_id, "disclosure")
    year, month = _period(query)
    return pdf_response(public.disclosure_report(estate=actor.estate, year=year, month=month))

"""The maintenance fund over the API: an owner's sub-accounts, any house's statement (finance, the manager and the
committee), the estate's totals, initial deposits, top-ups, interest, and projects with their decision, payments,
completion or cancellation.

Documents (the decision document, invoices) are uploaded first (``POST /estates/{estate_id}/ledger/books/documents``)
and named here by id. Errors are the one error shape: 400 a rule refused the input (``tally_does_not_pass`` with
the figures in ``detail``), 403 the role may not, 404 missing or another estate's (a house that is not the owner's
is 404 too), 409 the state forbids it (``over_budget``, ``project_state``, ``idempotency_key_reused``)."""

import datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from gongzhi.core.api import api_actor
from gongzhi.core.errors import Forbidden
from gongzhi.core.pagination import MAX_LIMIT, Page, decode_cursor, encode_cursor, paginate

from .. import fund, fund_projects
from ..choices import ApprovalDecision, EmergencyKind, FundProjectStatus
from ..policies import LedgerPolicy
from ..presenters import role_label

router = Router(tags=["maintenance fund"])
PREFIX = "/estates/{estate_id}/ledger/fund"


# --- schemas -----------------------------------------------------------------------------------------------------
class TotalsOut(Schema):
    deposited: Decimal
    topped_up: Decimal
    interest: Decimal
    used: Decimal
    other: Decimal = Field(..., description="Anything else: an opening balance brought over, a manual correction.")
    balance: Decimal
    initial: Decimal = Field(..., description="The initial deposit(s): the base of the top-up line.")
    opening: Decimal = Field(..., description="The balance before the period (with date_from).")


class StatementLineOut(Schema):
    entry_id: int
    seq: int
    date: datetime.date
    kind: str
    kind_label: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal
    project_id: int | None
    project_title: str


class StatementOut(Schema):
    house_id: int
    house: str
    area_m2: Decimal
    account_code: str
    totals: TotalsOut
    threshold: Decimal = Field(..., description="The top-up line: this share of the initial deposit.")
    below: bool = Field(..., description="The balance is below the line (exactly at it is not).")
    top_up_share: str = Field(..., examples=["3/10"])
    lines: list[StatementLineOut]


class MyFundOut(Schema):
    houses: list[StatementOut]


class FundSummaryOut(Schema):
    totals: TotalsOut
    bank_balance: Decimal = Field(..., description="Account 1201; equals totals.balance while the books agree.")
    houses: int
    houses_with_account: int
    houses_below: int
    top_up_share: str
    date_from: datetime.date | None
    date_to: datetime.date | None


class SummaryFilters(Schema):
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


class FundHouseFundOut(Schema):
    house_id: int
    house: str
    area_m2: Decimal
    initial: Decimal
    balance: Decimal
    threshold: Decimal
    below: bool


class HouseFundPage(Schema):
    items: list[FundHouseFundOut]
    next_cursor: str | None


class FundHouseFilters(Schema):
    below: bool = Field(False, description="Only the houses below the top-up line.")
    cursor: str | None = None
    limit: int = 50


class DepositIn(Schema):
    date: datetime.date
    rate_per_m2: Decimal | None = Field(None, description="Yuan per m²; empty: the estate's construction cost × "
                                                          "its deposit share.", examples=["175.00"])
    house_ids: list[int] | None = Field(None, description="Empty: every house without a deposit in force.")
    preview: bool = Field(False, description="Only say what would be posted.")


class DepositOut(Schema):
    preview: bool
    houses: int
    total: Decimal
    already: int = Field(..., description="Houses skipped: their deposit is in force.")
    rate: str
    entry_ids: list[int]


class EntryRefOut(Schema):
    id: int
    seq: int
    date: datetime.date
    kind: str
    reference: str
    description: str
    amount: Decimal


class TopUpIn(Schema):
    house_id: int
    amount: Decimal = Field(..., examples=["500.00"])
    date: datetime.date
    idempotency_key: str = Field(..., max_length=40, description="e.g. the bank slip's number: a retry posts once.",
                                 examples=["slip-20250301-001"])
    description: str = Field("", max_length=200)


class InterestIn(Schema):
    amount: Decimal = Field(..., examples=["1234.56"])
    date: datetime.date = Field(..., description="Balances on this date set each house's share.")
    period_label: str = Field(..., max_length=40, examples=["2025"])
    preview: bool = False


class InterestShareOut(Schema):
    house_id: int
    balance: Decimal
    share: Decimal


class InterestOut(Schema):
    preview: bool
    amount: Decimal
    houses: int
    entry: EntryRefOut | None
    shares: list[InterestShareOut]


class ItemIn(Schema):
    description: str = Field(..., max_length=200, examples=["屋面防水层"])
    amount: Decimal = Field(..., examples=["30000.00"])


class ProjectIn(Schema):
    title: str = Field(..., max_length=120, examples=["1号楼屋面防水"])
    description: str = ""
    items: list[ItemIn]
    scope: Literal["estate", "buildings", "units", "houses"] = "estate"
    scope_ids: list[int] = Field(default_factory=list, description="The buildings, units or houses of the scope.")
    emergency: bool = False
    emergency_kind: EmergencyKind | None = None
    contractor: str = Field("", max_length=120)
    idempotency_key: str = Field("", max_length=40)


class ProjectRowOut(Schema):
    id: int
    title: str
    status: str
    status_label: str
    emergency: bool
    emergency_kind: str
    budget: Decimal
    paid: Decimal
    scope_count: int
    proposed_at: datetime.datetime


class ProjectPage(Schema):
    items: list[ProjectRowOut]
    next_cursor: str | None


class ProjectFilters(Schema):
    status: FundProjectStatus | None = None
    house_id: int | None = None
    cursor: str | None = None
    limit: int = 50


class ItemOut(Schema):
    description: str
    amount: Decimal


class BuildingScopeOut(Schema):
    building_id: int
    building: str
    houses: int
    area_m2: Decimal


class HouseRefOut(Schema):
    house_id: int
    house: str


class DocumentRefOut(Schema):
    id: int
    name: str
    sha256: str


class FundApprovalOut(Schema):
    id: int
    decision: str
    decided_at: datetime.datetime
    decided_by_role: str
    decided_by_role_label: str
    decided_by_label: str = Field("", description="Staff and the committee only.")
    note: str
    rule_set: str
    tally: dict | None
    documents: list[DocumentRefOut]


class FundShareOut(Schema):
    house_id: int
    house: str
    share: Decimal


class FundPaymentOut(Schema):
    id: int
    amount: Decimal
    date: datetime.date
    entry_id: int
    entry_seq: int
    reversed: bool
    documents: list[DocumentRefOut]
    my_shares: list[FundShareOut] = Field(..., description="The caller's own houses' share of this payment.")


class FundProjectOut(ProjectRowOut):
    description: str
    contractor: str
    scope_area_m2: Decimal
    left: Decimal
    items: list[ItemOut]
    by_building: list[BuildingScopeOut]
    sees_houses: bool = Field(..., description="Staff, the committee and owners in the scope may list its houses.")
    my_houses: list[HouseRefOut]
    approval: FundApprovalOut | None
    payments: list[FundPaymentOut]
    started_at: datetime.datetime | None
    completed_at: datetime.datetime | None


class ScopeHouseOut(Schema):
    house_id: int
    house: str
    area_m2: Decimal


class ScopePage(Schema):
    items: list[ScopeHouseOut]
    next_cursor: str | None


class TallyPartIn(Schema):
    for_: Decimal = Field(Decimal("0"), alias="for")
    against: Decimal = Decimal("0")
    abstain: Decimal = Decimal("0")
    total: Decimal | None = Field(None, description="Area: the scope's frozen area (may be left out).")


class TallyHeadsIn(Schema):
    for_: int = Field(0, alias="for")
    against: int = 0
    abstain: int = 0
    total: int = Field(..., description="Owners in the charge scope: at most one per house.", examples=[9])


class FundTallyIn(Schema):
    area: TallyPartIn
    heads: TallyHeadsIn


class ApprovalIn(Schema):
    decision: ApprovalDecision
    tally: FundTallyIn
    document_ids: list[int] = Field(..., description="The decision document (resolution, minutes, ballots).")
    note: str = Field("", max_length=500)


class PaymentIn(Schema):
    amount: Decimal = Field(..., examples=["12000.00"])
    date: datetime.date
    document_ids: list[int] = Field(..., description="The invoice (at least one document).")
    idempotency_key: str = Field(..., max_length=40, examples=["inv-2025-031"])
    description: str = Field("", max_length=200)


class PaymentResultOut(Schema):
    payment: FundPaymentOut
    houses: int = Field(..., description="Houses charged (a house whose share rounds to 0.00 is not).")
    houses_below_zero: list[int] = Field(..., description="Houses this payment took below zero: their owners are "
                                                          "reminded to top up.")


class CancelIn(Schema):
    reason: str = Field(..., max_length=500, examples=["方案变更"])


# --- presenting --------------------------------------------------------------------------------------------------
def _totals(t) -> dict:
    return {"deposited": t.deposited, "topped_up": t.topped_up, "interest": t.interest, "used": t.used,
            "other": t.other, "balance": t.balance, "initial": t.initial, "opening": t.opening}


def _statement(s) -> dict:
    return {"house_id": s.house.pk, "house": s.house.code, "area_m2": s.house.area_m2, "account_code": s.account_code,
            "totals": _totals(s.totals), "threshold": s.threshold, "below": s.below, "top_up_share": str(s.share),
            "lines": [vars(ln) for ln in s.lines]}


def _entry_ref(entry) -> dict:
    return {"id": entry.pk, "seq": entry.seq, "date": entry.date, "kind": entry.kind, "reference": entry.reference,
            "description": entry.description, "amount": sum((ln.debit for ln in entry.lines.all()), Decimal("0"))}


def _row(p) -> dict:
    return {"id": p.pk, "title": p.title, "status": p.status, "status_label": str(p.get_status_display()),
            "emergency": p.emergency, "emergency_kind": p.emergency_kind, "budget": p.budget,
            "paid": Decimal(p.paid).quantize(fund.FEN),  # an annotation: SQLite drops the trailing zeros
            "scope_count": p.scope_count, "proposed_at": p.proposed_at}


def _doc(d) -> dict:
    return {"id": d.pk, "name": d.name, "sha256": d.sha256}


def _payment(p: dict) -> dict:
    payment, entry = p["payment"], p["entry"]
    return {"id": payment.pk, "amount": payment.amount, "date": entry.date, "entry_id": entry.pk,
            "entry_seq": entry.seq, "reversed": p["reversed"], "documents": [_doc(d) for d in p["documents"]],
            "my_shares": p["my_shares"]}


def _project(actor, project) -> dict:
    view = fund_projects.project_view(actor=actor, project=project)
    approval = None
    if view.approval is not None:
        a = view.approval
        approval = {"id": a.pk, "decision": a.decision, "decided_at": a.decided_at, "decided_by_role": a.decided_by_role,
                    "decided_by_role_label": role_label(a.decided_by_role),
                    "decided_by_label": a.decided_by_label if LedgerPolicy.can(actor, "view_private") else "",
                    "note": a.note, "rule_set": a.rule_set, "tally": a.tally,
                    "documents": [_doc(d) for d in view.approval_documents]}
    return {**_row(project), "description": project.description, "contractor": project.contractor,
            "scope_area_m2": project.scope_area_m2, "left": view.left, "paid": view.paid,
            "items": [{"description": i.description, "amount": i.amount} for i in view.items],
            "by_building": [{"building_id": b["house__building_id"], "building": b["house__building__name"],
                             "houses": b["houses"], "area_m2": b["area"]} for b in view.by_building],
            "sees_houses": view.sees_houses,
            "my_houses": [{"house_id": h, "house": view.house_codes.get(h, "")} for h in view.my_houses],
            "approval": approval, "payments": [_payment(p) for p in view.payments],
            "started_at": project.started_at, "completed_at": project.completed_at}


def _page_of(rows, cursor: str | None, limit: int) -> Page:
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        after = decode_cursor(cursor)
        rows = [r for r in rows if r.house_id > after]
    items = rows[:limit]
    return Page(items=items, next_cursor=encode_cursor(items[-1].house_id) if len(rows) > limit else None)


# --- owners and readers --------------------------------------------------------------------------------------------
@router.get(f"{PREFIX}/mine", response=MyFundOut, summary="My houses' maintenance-fund sub-accounts")
def my_fund(request, estate_id: int):
    """The houses the caller owns (owner or co-owner), each with its totals, the top-up line and its history.
    Someone who owns no house gets an empty list."""
    actor = api_actor(request, estate_id)
    if not LedgerPolicy.can(actor, "view"):
        raise Forbidden()
    return {"houses": [_statement(s) for s in fund.my_fund(actor=actor)]}


@router.get(f"{PREFIX}/houses/{{house_id}}", response=StatementOut, summary="A house's sub-account statement")
def house_statement(request, estate_id: int, house_id: int):
    """Finance, the manager and the committee: any house. An owner: their own houses; any other is 404."""
    actor = api_actor(request, estate_id)
    return _statement(fund.house_statement(actor=actor, house_id=house_id))


@router.get(f"{PREFIX}/summary", response=FundSummaryOut, summary="The estate's maintenance fund: totals and balances")
def summary(request, estate_id: int, filters: Query[SummaryFilters]):
    actor = api_actor(request, estate_id)
    s = fund.fund_summary(actor=actor, date_from=filters.date_from, date_to=filters.date_to)
    return {"totals": _totals(s.totals), "bank_balance": s.bank_balance, "houses": s.houses,
            "houses_with_account": s.houses_with_account, "houses_below": s.houses_below,
            "top_up_share": str(s.share), "date_from": s.date_from, "date_to": s.date_to}


@router.get(f"{PREFIX}/houses", response=HouseFundPage, summary="Every house's sub-account, by house (staff)")
def houses(request, estate_id: int, filters: Query[FundHouseFilters]):
    actor = api_actor(request, estate_id)
    if not fund.sees_every_house(actor):
        raise Forbidden()
    if filters.below:
        rows = fund.houses_below_line(estate=actor.estate)
    else:
        rows = fund.house_funds(estate=actor.estate, houses=list(fund.estate_houses(actor.estate).order_by("pk")))
    page = _page_of(rows, filters.cursor, filters.limit)
    return {"items": [{"house_id": r.house.pk, "house": r.house.code, "area_m2": r.house.area_m2,
                       "initial": r.totals.initial, "balance": r.totals.balance, "threshold": r.threshold,
                       "below": r.below} for r in page.items], "next_cursor": page.next_cursor}


# --- money in ------------------------------------------------------------------------------------------------------
@router.post(f"{PREFIX}/deposits", response=DepositOut, summary="Post the initial deposits (or preview them)")
def deposits(request, estate_id: int, payload: DepositIn):
    """One entry per house without a deposit in force: area × rate, rounded half up to the fen. Running it again
    posts nothing twice. ``fund_rate_unknown`` while the estate's construction cost is not set and no rate given."""
    actor = api_actor(request, estate_id)
    plan = fund.fund_deposit_plan(actor=actor, house_ids=payload.house_ids, rate_per_m2=payload.rate_per_m2)
    if payload.preview:
        return {"preview": True, "houses": plan.count, "total": plan.total, "already": plan.already,
                "rate": plan.rate_display, "entry_ids": []}
    result = fund.fund_deposit_initial(actor=actor, date=payload.date, house_ids=payload.house_ids,
                                       rate_per_m2=payload.rate_per_m2)
    return {"preview": False, "houses": result.posted, "total": result.total, "already": result.already,
            "rate": plan.rate_display, "entry_ids": result.entry_ids}


@router.post(f"{PREFIX}/top-ups", response={201: EntryRefOut}, summary="Record a house's top-up")
def top_up(request, estate_id: int, payload: TopUpIn):
    actor = api_actor(request, estate_id)
    entry = fund.fund_top_up(actor=actor, house_id=payload.house_id, amount=payload.amount, date=payload.date,
                             idempotency_key=payload.idempotency_key, description=payload.description)
    return Status(201, _entry_ref(entry))


@router.post(f"{PREFIX}/interest", response=InterestOut, summary="Credit bank interest by balance (or preview)")
def interest(request, estate_id: int, payload: InterestIn):
    """ONE entry: the interest split over the houses by their balances on ``date`` (houses at or below zero get
    none), to the fen by the remainder rule. A period label is credited once."""
    actor = api_actor(request, estate_id)
    entry = None
    if payload.preview:
        plan = fund.fund_interest_plan(actor=actor, amount=payload.amount, date=payload.date)
        shares = [{"house_id": h, "balance": plan.balances[h], "share": s} for h, s in sorted(plan.shares.items())]
    else:
        entry = fund.fund_interest_allocate(actor=actor, amount=payload.amount, date=payload.date,
                                            period_label=payload.period_label)
        shares = [{"house_id": ln.account.house_id, "balance": Decimal("0"), "share": ln.credit}
                  for ln in entry.lines.select_related("account") if ln.account.house_id]
    return {"preview": payload.preview, "amount": payload.amount, "houses": sum(1 for s in shares if s["share"]),
            "entry": _entry_ref(entry) if entry else None, "shares": shares}


# --- projects ------------------------------------------------------------------------------------------------------
@router.get(f"{PREFIX}/projects", response=ProjectPage, summary="Projects, newest first")
def projects(request, estate_id: int, filters: Query[ProjectFilters]):
    """Every reader of the ledger sees every project: the use of the fund is disclosed to all owners."""
    actor = api_actor(request, estate_id)
    qs = fund_projects.fund_project_list(actor=actor, status=filters.status, house_id=filters.house_id)
    page = paginate(qs, cursor=filters.cursor, limit=filters.limit, descending=True)
    return {"items": [_row(p) for p in page.items], "next_cursor": page.next_cursor}


@router.post(f"{PREFIX}/projects", response={201: FundProjectOut}, summary="Propose a project (or an emergency repair)")
def project_create(request, estate_id: int, payload: ProjectIn):
    """The budget is the sum of the items; the charge scope is frozen with each house's area. An emergency (with
    its kind; the manager only) is approved at once, without the owners' vote, and flagged."""
    actor = api_actor(request, estate_id)
    project = fund_projects.fund_project_propose(
        actor=actor, title=payload.title, description=payload.description,
        items=[(i.description, i.amount) for i in payload.items], scope=payload.scope, scope_ids=payload.scope_ids,
        emergency=payload.emergency, emergency_kind=payload.emergency_kind or "", contractor=payload.contractor,
        idempotency_key=payload.idempotency_key)
    return Status(201, _project(actor, fund_projects.fund_project_get(actor=actor, project_id=project.pk)))


@router.get(f"{PREFIX}/projects/{{project_id}}", response=FundProjectOut, summary="A project")
def project_detail(request, estate_id: int, project_id: int):
    actor = api_actor(request, estate_id)
    return _project(actor, fund_projects.fund_project_get(actor=actor, project_id=project_id))


@router.get(f"{PREFIX}/projects/{{project_id}}/scope", response=ScopePage, summary="The houses of the charge scope")
def project_scope(request, estate_id: int, project_id: int, cursor: str | None = None, limit: int = 100):
    """With their frozen areas: for staff, the committee and the owners of houses in the scope (404 to others)."""
    actor = api_actor(request, estate_id)
    project = fund_projects.fund_project_get(actor=actor, project_id=project_id)
    view = fund_projects.project_view(actor=actor, project=project)
    page = paginate(fund_projects.scope_house_page(actor=actor, project=project, view=view), cursor=cursor,
                    limit=limit)
    return {"items": [{"house_id": s.house_id, "house": s.house.code, "area_m2": s.area_m2} for s in page.items],
            "next_cursor": page.next_cursor}


@router.post(f"{PREFIX}/projects/{{project_id}}/approval", response=FundProjectOut,
             summary="Record the owners' decision (the committee)")
def project_approval(request, estate_id: int, project_id: int, payload: ApprovalIn):
    """The tally of the charge scope is checked against Civil Code art. 278 (participation ≥ 2/3 of area and
    owners, more than 1/2 of the participating ones for; or 2/3 of the scope where the jurisdiction requires it).
    An "approved" whose tally does not pass is 400 ``tally_does_not_pass``, the figures in ``detail``."""
    actor = api_actor(request, estate_id)
    fund_projects.fund_project_get(actor=actor, project_id=project_id)  # 404 before any other answer
    tally = {"area": payload.tally.area.dict(by_alias=True), "heads": payload.tally.heads.dict(by_alias=True)}
    fund_projects.fund_project_record_approval(
        actor=actor, project_id=project_id, decision=payload.decision, tally=tally, note=payload.note,
        documents=fund_projects.documents_of(actor, payload.document_ids))
    return _project(actor, fund_projects.fund_project_get(actor=actor, project_id=project_id))


@router.post(f"{PREFIX}/projects/{{project_id}}/start", response=FundProjectOut, summary="Start the work")
def project_start(request, estate_id: int, project_id: int):
    actor = api_actor(request, estate_id)
    fund_projects.fund_project_start(actor=actor, project_id=project_id)
    return _project(actor, fund_projects.fund_project_get(actor=actor, project_id=project_id))


@router.post(f"{PREFIX}/projects/{{project_id}}/payments", response={201: PaymentResultOut},
             summary="Pay the contractor: split over the charge scope by area")
def project_pay(request, estate_id: int, project_id: int, payload: PaymentIn):
    """One entry debiting each scope house by its share of this payment by frozen area (to the fen). A retry with
    the same key returns the first payment (201 again). Over the budget: 409 ``over_budget``."""
    actor = api_actor(request, estate_id)
    fund_projects.fund_project_get(actor=actor, project_id=project_id)  # 404 before any other answer
    result = fund_projects.fund_project_pay(
        actor=actor, project_id=project_id, amount=payload.amount, date=payload.date,
        documents=fund_projects.documents_of(actor, payload.document_ids), idempotency_key=payload.idempotency_key,
        description=payload.description)
    project = fund_projects.fund_project_get(actor=actor, project_id=project_id)
    view = fund_projects.project_view(actor=actor, project=project)
    payment = next(p for p in view.payments if p["payment"].pk == result.payment.pk)
    return Status(201, {"payment": _payment(payment), "houses": len(result.shares),
                        "houses_below_zero": sorted(result.shortfalls)})


@router.post(f"{PREFIX}/projects/{{project_id}}/complete", response=FundProjectOut, summary="Mark the work completed")
def project_complete(request, estate_id: int, project_id: int):
    actor = api_actor(request, estate_id)
    fund_projects.fund_project_complete(actor=actor, project_id=project_id)
    return _project(actor, fund_projects.fund_project_get(actor=actor, project_id=project_id))


@router.post(f"{PREFIX}/projects/{{project_id}}/cancel", response=FundProjectOut,
             summary="Cancel a project (only before anything is paid)")
def project_cancel(request, estate_id: int, project_id: int, payload: CancelIn):
    actor = api_actor(request, estate_id)
    fund_projects.fund_project_cancel(actor=actor, project_id=project_id, reason=payload.reason)
    return _project(actor, fund_projects.fund_project_get(actor=actor, project_id=project_id))

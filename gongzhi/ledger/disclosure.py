"""The disclosure report (Civil Code art. 943; DOMAIN.md "Money"): a month or a year of an estate's money, built from
the journal alone, so that every figure can be traced to entries an owner can open and verify.

Sections: income and expense by category; the owners' public revenue (arts. 282-283: income by source, its
reasonable costs, its uses, the fund's balance at the start and end); the maintenance fund (totals by movement,
the projects of the period with their approval or emergency flag, and every house's sub-account, which the law
wants published at least yearly); arrears (fees receivable and prepaid); cash and bank; and the signed checkpoint
that covers the period, or a clear warning that the period is not closed and its figures may still change.

Speed: one grouped query over the journal lines gives every account's movements before and inside the period,
split by the kind of entry (a reversal counts under the kind of the entry it reverses, so it nets out where that
entry counted); the houses, the projects, the checkpoint and the chain head are one query each. Nothing loops over
entries in Python, so a year of a 2,000-house estate stays well under the 2 s target (bench/disclosure_bench.py).
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, CharField, Count, F, Q, Sum, When
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .chart import PREPAID, PUBLIC_FUND, RECEIVABLE
from .choices import AccountGroup as G
from .choices import EntryKind as K
from .choices import FundProjectStatus
from .errors import invalid
from .models import Account, Checkpoint, FundProject, JournalLine, LedgerHead

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
INCOME_GROUPS = (G.FEE_INCOME, G.PUBLIC_REVENUE)
EXPENSE_GROUPS = (G.EXPENSE, G.PUBLIC_REVENUE_COST)
CATEGORY_GROUPS = (*INCOME_GROUPS, *EXPENSE_GROUPS)
FIRST_YEAR = 2000


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


# --- the report's shape --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    year: int
    month: int | None
    start: datetime.date
    end: datetime.date

    @property
    def label(self) -> str:
        if self.month is None:
            return str(_("Year %(year)s") % {"year": self.year})
        return str(_("%(year)s-%(month)02d") % {"year": self.year, "month": self.month})

    @property
    def is_year(self) -> bool:
        return self.month is None


@dataclass
class AccountTotal:
    code: str
    label: str
    amount: Decimal  # on the account's normal side: income as credits − debits, expenses as debits − credits


@dataclass
class Category:
    group: str
    label: str
    accounts: list[AccountTotal]
    total: Decimal


@dataclass
class MonthRow:
    month: int
    income: Decimal
    expense: Decimal


@dataclass
class PublicRevenue:
    balance_start: Decimal
    income: list[AccountTotal]
    income_total: Decimal
    costs: list[AccountTotal]
    costs_total: Decimal
    net: Decimal
    uses: Decimal  # net debits of 3001 in the period: what the owners decided to spend it on
    balance_end: Decimal


@dataclass
class FundTotals:
    deposited: Decimal = ZERO
    topped_up: Decimal = ZERO
    interest: Decimal = ZERO
    used: Decimal = ZERO
    other: Decimal = ZERO  # opening balances and manual entries

    @property
    def balance(self) -> Decimal:
        return self.deposited + self.topped_up + self.interest + self.other - self.used

    def add(self, kind: str, debit: Decimal, credit: Decimal) -> None:
        if kind == K.FUND_USE:
            self.used += debit - credit
        elif kind == K.FUND_DEPOSIT:
            self.deposited += credit - debit
        elif kind == K.FUND_TOP_UP:
            self.topped_up += credit - debit
        elif kind == K.FUND_INTEREST:
            self.interest += credit - debit
        else:
            self.other += credit - debit

    def minus(self, other: "FundTotals") -> "FundTotals":
        return FundTotals(self.deposited - other.deposited, self.topped_up - other.topped_up,
                          self.interest - other.interest, self.used - other.used, self.other - other.other)


@dataclass
class HouseFund:
    house_id: int
    house: str
    area_m2: Decimal
    deposited: Decimal  # the initial deposit, top-ups and any opening balance
    used: Decimal
    interest: Decimal
    balance: Decimal


@dataclass
class ProjectRow:
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
    approval: dict | None  # decision, decided_at, role, tally, vote_ref; None for an emergency without one


@dataclass
class Fund:
    start: FundTotals
    period: FundTotals
    end: FundTotals
    projects: list[ProjectRow]
    houses: list[HouseFund] | None  # None when the report was built without the per-house statement


@dataclass
class Arrears:
    has_billing_data: bool
    receivable: Decimal  # 1122 at the period's end: fees billed and not yet paid
    prepaid: Decimal  # 2201 at the period's end: fees paid ahead


@dataclass
class CheckpointInfo:
    closed: bool
    head_seq: int | None = None
    head_hash: str = ""
    signature: str = ""
    public_key: str = ""
    signed_at: datetime.datetime | None = None
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    current_seq: int = 0  # the chain head when the report was built (what an open period's figures rest on)


@dataclass
class Report:
    estate_id: int
    estate_name: str
    period: Period
    generated_at: datetime.datetime
    income: list[Category]
    expense: list[Category]
    income_total: Decimal
    expense_total: Decimal
    by_month: list[MonthRow] | None  # the year's months, for the annual report
    public_revenue: PublicRevenue
    fund: Fund
    arrears: Arrears
    cash: list[AccountTotal]  # cash, bank and the maintenance fund's bank account at the period's end
    checkpoint: CheckpointInfo

    @property
    def surplus(self) -> Decimal:
        return self.income_total - self.expense_total

    @property
    def cash_total(self) -> Decimal:
        return sum((c.amount for c in self.cash), ZERO)


# --- the period ----------------------------------------------------------------------------------------------------
def period_for(year, month=None) -> Period:
    """The calendar month (or the whole year when ``month`` is None). A period that has not started yet, or a
    year outside 2000..this year, is bad input (400)."""
    try:
        year = int(year)
        month = None if month in (None, "") else int(month)
    except (TypeError, ValueError):
        raise invalid("year", _("not a year or month")) from None
    today = timezone.localdate()
    if not FIRST_YEAR <= year <= today.year:
        raise invalid("year", _("must be between %(first)s and %(last)s"), first=FIRST_YEAR, last=today.year)
    if month is None:
        return Period(year, None, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    if not 1 <= month <= 12:
        raise invalid("month", _("must be between 1 and 12"))
    start = datetime.date(year, month, 1)
    if start > today:
        raise invalid("month", _("has not started yet"))
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return Period(year, month, start, following - datetime.timedelta(days=1))


# --- the one journal query -----------------------------------------------------------------------------------------
# A reversal is booked under the kind of the entry it reverses, so a reversed fund deposit lowers "deposited".
KIND = Case(When(entry__kind=K.REVERSAL, entry__reverses__isnull=False, then=F("entry__reverses__kind")),
            default=F("entry__kind"), output_field=CharField())


@dataclass
class _Moves:
    before_d: Decimal = ZERO
    before_c: Decimal = ZERO
    d: Decimal = ZERO
    c: Decimal = ZERO


def _movements(estate, period: Period):
    """account id → _Moves (all kinds), and account id → kind → _Moves, for every line dated up to the period's
    end: "before" is before its start, the rest inside it."""
    before = Q(entry__date__lt=period.start)
    rows = (JournalLine.objects.filter(estate=estate, entry__date__lte=period.end)
            .annotate(k=KIND).values("account_id", "k")
            .annotate(bd=Sum("debit", filter=before), bc=Sum("credit", filter=before),
                      d=Sum("debit", filter=~before), c=Sum("credit", filter=~before))
            .order_by())
    by_account: dict[int, _Moves] = defaultdict(_Moves)
    by_kind: dict[int, dict[str, _Moves]] = defaultdict(dict)
    for r in rows:
        moves = _Moves(r["bd"] or ZERO, r["bc"] or ZERO, r["d"] or ZERO, r["c"] or ZERO)
        total = by_account[r["account_id"]]
        total.before_d += moves.before_d
        total.before_c += moves.before_c
        total.d += moves.d
        total.c += moves.c
        by_kind[r["account_id"]][r["k"]] = moves
    return by_account, by_kind


def _by_month(estate, period: Period) -> list[MonthRow]:
    rows = (JournalLine.objects.filter(estate=estate, entry__date__range=(period.start, period.end),
                                       account__group__in=CATEGORY_GROUPS)
            .annotate(m=ExtractMonth("entry__date")).values("m", "account__group")
            .annotate(d=Sum("debit"), c=Sum("credit")).order_by())
    months = {m: MonthRow(m, ZERO, ZERO) for m in range(1, 13)}
    for r in rows:
        row = months[r["m"]]
        if r["account__group"] in INCOME_GROUPS:
            row.income += (r["c"] or ZERO) - (r["d"] or ZERO)
        else:
            row.expense += (r["d"] or ZERO) - (r["c"] or ZERO)
    return list(months.values())


# --- the report ----------------------------------------------------------------------------------------------------
def disclosure_report(*, estate, year, month=None, per_house: bool = True) -> Report:
    """The disclosure report of ``estate`` for a month (or the whole ``year`` when ``month`` is None).

    Figures are in yuan, on each account's normal side. ``per_house=False`` leaves out the per-house statement
    (the public page's year-at-a-glance does not show it). Who may read it is the caller's check
    (``LedgerPolicy.can(actor, "disclosure")``); the report itself holds no staff-only field."""
    period = period_for(year, month)
    accounts = list(Account.objects.filter(estate=estate).only("id", "code", "name", "kind", "group", "house_id"))
    moves, kinds = _movements(estate, period)

    def normal(account: Account, d: Decimal, c: Decimal) -> Decimal:
        return (d - c) if account.debit_normal else (c - d)

    def in_period(account: Account) -> Decimal:
        m = moves[account.pk]
        return normal(account, m.d, m.c)

    def at_end(account: Account) -> Decimal:
        m = moves[account.pk]
        return normal(account, m.before_d + m.d, m.before_c + m.c)

    def at_start(account: Account) -> Decimal:
        m = moves[account.pk]
        return normal(account, m.before_d, m.before_c)

    def moved(account: Account, *, ever: bool = False) -> bool:
        m = moves.get(account.pk)
        return m is not None and (bool(m.d or m.c) or (ever and bool(m.before_d or m.before_c)))

    def totals(group: str) -> list[AccountTotal]:
        return [AccountTotal(a.code, a.label, money(in_period(a)))
                for a in sorted(accounts, key=lambda a: a.code) if a.group == group and moved(a)]

    categories = {g: totals(g) for g in CATEGORY_GROUPS}

    def category(group: str) -> Category:
        return Category(group, str(G(group).label), categories[group],
                        sum((t.amount for t in categories[group]), ZERO))

    income = [category(g) for g in INCOME_GROUPS]
    expense = [category(g) for g in EXPENSE_GROUPS]

    # The owners' public revenue (arts. 282-283): its income and costs flow into the fund 3001 at any time; its
    # balance is 3001's own balance plus the income minus the costs not yet closed into it.
    def public_balance(side) -> Decimal:
        return sum((side(a) * (-1 if a.group == G.PUBLIC_REVENUE_COST else 1) for a in accounts
                    if a.group in (G.PUBLIC_FUND, G.PUBLIC_REVENUE, G.PUBLIC_REVENUE_COST)), ZERO)

    public_fund = [a for a in accounts if a.code == PUBLIC_FUND]
    uses = sum(((moves[a.pk].d - moves[a.pk].c) for a in public_fund), ZERO)
    pr_income, pr_costs = category(G.PUBLIC_REVENUE), category(G.PUBLIC_REVENUE_COST)
    public = PublicRevenue(
        balance_start=money(public_balance(at_start)), income=pr_income.accounts, income_total=pr_income.total,
        costs=pr_costs.accounts, costs_total=pr_costs.total, net=pr_income.total - pr_costs.total,
        uses=money(uses), balance_end=money(public_balance(at_end)))

    fund = _fund(estate, period, accounts, kinds, per_house)
    receivable = [a for a in accounts if a.code == RECEIVABLE]
    prepaid = [a for a in accounts if a.code == PREPAID]
    arrears = Arrears(
        has_billing_data=any(moved(a, ever=True) for a in receivable + prepaid),
        receivable=money(sum((at_end(a) for a in receivable), ZERO)),
        prepaid=money(sum((at_end(a) for a in prepaid), ZERO)))
    cash = [AccountTotal(a.code, a.label, money(at_end(a))) for a in sorted(accounts, key=lambda a: a.code)
            if a.group in (G.CASH, G.FUND_BANK) and a.house_id is None]

    return Report(
        estate_id=estate.pk, estate_name=estate.name, period=period, generated_at=timezone.now(),
        income=income, expense=expense, income_total=sum((c.total for c in income), ZERO),
        expense_total=sum((c.total for c in expense), ZERO),
        by_month=_by_month(estate, period) if period.is_year else None, public_revenue=public, fund=fund,
        arrears=arrears, cash=cash, checkpoint=_checkpoint(estate, period))


def _fund(estate, period: Period, accounts, kinds, per_house: bool) -> Fund:
    start, during = FundTotals(), FundTotals()
    per_account: dict[int, FundTotals] = {}
    for a in accounts:
        if a.group != G.MAINTENANCE_FUND:
            continue
        mine = FundTotals()
        for kind, m in kinds.get(a.pk, {}).items():
            start.add(kind, m.before_d, m.before_c)
            during.add(kind, m.d, m.c)
            mine.add(kind, m.before_d + m.d, m.before_c + m.c)
        if a.house_id is not None:
            per_account[a.house_id] = mine
    end = FundTotals()
    for name in ("deposited", "topped_up", "interest", "used", "other"):
        setattr(end, name, getattr(start, name) + getattr(during, name))
    return Fund(start=start, period=during, end=end, projects=_projects(estate, period),
                houses=_houses(estate, per_account) if per_house else None)


def _houses(estate, per_account: dict[int, FundTotals]) -> list[HouseFund]:
    """Every house of the estate with its sub-account at the period's end (zeros for a house without one yet)."""
    from gongzhi.estate.models import House

    houses = (House.objects.filter(estate=estate).select_related("building", "unit")
              .only("id", "number", "area_m2", "building__name", "building__sort_key", "unit__name",
                    "unit__sort_key")
              .order_by("building__sort_key", "building__name", "unit__sort_key", "unit__name", "number", "id"))
    rows = []
    for h in houses:
        t = per_account.get(h.pk) or FundTotals()
        rows.append(HouseFund(house_id=h.pk, house=h.code, area_m2=h.area_m2,
                              deposited=money(t.deposited + t.topped_up + t.other), used=money(t.used),
                              interest=money(t.interest), balance=money(t.balance)))
    return rows


ACTIVE = (FundProjectStatus.APPROVED, FundProjectStatus.IN_PROGRESS, FundProjectStatus.COMPLETED)


def _projects(estate, period: Period) -> list[ProjectRow]:
    """The projects paid in the period, or under way at some time in it (approved or started before its end,
    not completed before its start). Rejected and cancelled ones only when money moved. A payment counts on the
    date of its entry and is taken back on the date of the entry's reversal, as the journal has it."""
    def paid(dates: Q, reversed_dates: Q):
        return (Coalesce(Sum("payments__amount", filter=dates), ZERO)
                - Coalesce(Sum("payments__amount", filter=reversed_dates), ZERO))

    span = (period.start, period.end)
    projects = (FundProject.objects.filter(estate=estate)
                .annotate(paid_in=paid(Q(payments__entry__date__range=span),
                                       Q(payments__entry__reversed_by__date__range=span)),
                          paid_all=paid(Q(payments__entry__date__lte=period.end),
                                        Q(payments__entry__reversed_by__date__lte=period.end)),
                          moved=Count("payments", filter=Q(payments__entry__date__range=span)
                                      | Q(payments__entry__reversed_by__date__range=span)))
                .filter(Q(moved__gt=0) | (Q(status__in=ACTIVE, proposed_at__date__lte=period.end)
                                          & (Q(completed_at__isnull=True) | Q(completed_at__date__gte=period.start))))
                .select_related("approval").order_by("proposed_at", "id"))
    return [ProjectRow(
        id=p.pk, title=p.title, status=p.status, status_label=str(p.get_status_display()), emergency=p.emergency,
        emergency_label=str(p.get_emergency_kind_display()) if p.emergency else "", contractor=p.contractor,
        budget=money(p.budget), paid_in_period=money(p.paid_in), paid_to_date=money(p.paid_all),
        approval=approval_data(p.approval) if p.approval_id else None) for p in projects]


def approval_data(approval, *, private: bool = False) -> dict:
    """An approval as the public sees it: the decision, when, in which role, the tally and the vote; the name of
    who decided only for readers of staff-only fields (the label may carry a phone number)."""
    from .presenters import role_label

    data = {"id": approval.pk, "kind": approval.kind, "kind_label": str(approval.get_kind_display()),
            "decision": approval.decision, "decision_label": str(approval.get_decision_display()),
            "decided_at": approval.decided_at, "role": approval.decided_by_role,
            "role_label": role_label(approval.decided_by_role) if approval.decided_by_role else "",
            "tally": approval.tally or {}, "tally_rows": tally_rows(approval.tally or {}),
            "vote_ref": approval.vote_ref, "rule_set": approval.rule_set, "note": approval.note}
    if private:
        data["decided_by"] = approval.decided_by_label
    return data


def tally_rows(tally: dict) -> list[dict]:
    """An owners' vote tally in words: area and headcount for, against and abstaining out of the charge scope's
    totals (the shape fund_projects records), and whether it passed; any other key as it is."""
    rows = []
    labels = {"area": _("Area (sq. m)"), "heads": _("Owners")}
    for key, value in tally.items():
        if key in labels and isinstance(value, dict):
            text = _("for %(for)s, against %(against)s, abstaining %(abstain)s, of %(total)s") % {
                "for": value.get("for", "-"), "against": value.get("against", "-"),
                "abstain": value.get("abstain", "-"), "total": value.get("total", "-")}
            rows.append({"label": str(labels[key]), "value": str(text)})
        elif key == "passes":
            rows.append({"label": str(_("Passed")), "value": str(_("yes") if value else _("no"))})
        elif key in ("rules", "checks"):
            continue  # the rule set's figures: the decision's rule set says which
        else:
            rows.append({"label": str(key), "value": str(value)})
    return rows


def _checkpoint(estate, period: Period) -> CheckpointInfo:
    """The first checkpoint whose period ends on or after the report's end: months close in order and a closed
    month refuses new entries, so it signs a chain head that holds every entry of the report's period."""
    head = LedgerHead.objects.filter(pk=estate.pk).values_list("seq", flat=True).first() or 0
    cp = (Checkpoint.objects.filter(estate=estate, period_end__gte=period.end).order_by("period_start")
          .first())
    if cp is None:
        return CheckpointInfo(closed=False, current_seq=head)
    return CheckpointInfo(closed=True, head_seq=cp.head_seq, head_hash=cp.head_hash, signature=cp.signature,
                          public_key=cp.public_key, signed_at=cp.signed_at, period_start=cp.period_start,
                          period_end=cp.period_end, current_seq=head)


# --- reads of the owners' public ledger (the pages and the API share them) ------------------------------------------
@dataclass(frozen=True)
class DrillDown:
    """What a category total on the public page drills into: an account (a parent takes its sub-accounts: "3101"
    is every house's) or a group of accounts, over a date range."""

    account: str = ""
    group: str = ""

    def matches(self, account) -> bool:
        if self.account:
            return account.code == self.account or account.code.startswith(self.account + "-")
        if self.group:
            return account.group == self.group
        return False

    def lines_q(self) -> Q:
        if self.account:
            return Q(account__code=self.account) | Q(account__parent__code=self.account)
        return Q(account__group=self.group)

    @property
    def active(self) -> bool:
        return bool(self.account or self.group)


def drill_amount(entry, drill: DrillDown) -> Decimal | None:
    """The entry's amount on the drilled account(s), on their normal side, so the rows of a drill-down add up to
    the category total it came from (a reversal shows negative). From the prefetched lines: no query."""
    if not drill.active:
        return None
    return sum(((ln.debit - ln.credit) if ln.account.debit_normal else (ln.credit - ln.debit)
                for ln in entry.lines.all() if drill.matches(ln.account)), ZERO)


def drill_total(entries, drill: DrillDown) -> Decimal | None:
    """The total of the drilled account(s) over every entry of ``entries`` (a filtered queryset), in one query."""
    if not drill.active:
        return None
    rows = (JournalLine.objects.filter(entry__in=entries.order_by().values("pk")).filter(drill.lines_q())
            .values("account__kind").annotate(d=Sum("debit"), c=Sum("credit")).order_by())
    total = ZERO
    for r in rows:
        d, c = r["d"] or ZERO, r["c"] or ZERO
        total += (d - c) if Account(kind=r["account__kind"]).debit_normal else (c - d)
    return total


def reversed_by(entry):
    """The entry that reverses ``entry`` (same estate by construction), or None."""
    from .models import JournalEntry

    return JournalEntry.objects.filter(estate_id=entry.estate_id, reverses=entry).only("id", "seq").first()


def approval_documents(actor, approval, *, private: bool) -> list:
    from .models import ApprovalDocument

    qs = ApprovalDocument.objects.filter(estate=actor.estate, approval=approval).select_related("document")
    return [ad.document for ad in qs.order_by("id") if private or not ad.document.staff_only]


def document_get(*, actor, document_id):
    """A ledger document the actor may download; 404 alike when it is missing, another estate's, staff-only for a
    reader without staff-only access, or (for owners) not attached to anything the public ledger shows: an
    entry, the approval of an entry or of a fund project, or a posted expense."""
    from gongzhi.core.errors import NotFound

    from .choices import ExpenseStatus
    from .models import ApprovalDocument, Document, EntryDocument, ExpenseRequestDocument, JournalEntry
    from .policies import LedgerPolicy

    qs = Document.objects.restrict(actor, "view").filter(pk=document_id)
    if not LedgerPolicy.can(actor, "view_private"):
        estate = actor.estate
        shown_approvals = (Q(approval_id__in=JournalEntry.objects.filter(estate=estate, approval__isnull=False)
                                                            .values("approval_id"))
                           | Q(approval_id__in=FundProject.objects.filter(estate=estate, approval__isnull=False)
                                                                   .values("approval_id")))
        qs = qs.filter(staff_only=False).filter(
            Q(pk__in=EntryDocument.objects.filter(estate=estate).values("document_id"))
            | Q(pk__in=ApprovalDocument.objects.filter(shown_approvals, estate=estate).values("document_id"))
            | Q(pk__in=ExpenseRequestDocument.objects.filter(estate=estate, expense__status=ExpenseStatus.POSTED)
                .values("document_id")))
    document = qs.first()
    if document is None:
        raise NotFound()
    return document


def ledger_years(estate) -> list[int]:
    """The years an estate's ledger has entries in, newest first; this year always (its page may be empty)."""
    from .models import JournalEntry

    first = (JournalEntry.objects.filter(estate=estate).order_by("date").values_list("date", flat=True).first())
    this = timezone.localdate().year
    start = max(FIRST_YEAR, min(first.year if first else this, this))
    return list(range(this, start - 1, -1))


def latest_checkpoint(estate):
    return Checkpoint.objects.filter(estate=estate).order_by("-period_start").first()


ACCOUNT_CODE = re.compile(r"^[0-9]{4}(-[0-9]{1,12})?$")


def drill_filters(*, account: str = "", group: str = "", date_from=None, date_to=None, kind: str = "",
                  q: str = "") -> tuple:
    """The entry filters and the drill-down of the public entry list, from what a page or an API caller sent
    (dates as ``date`` or ISO text). Bad input is 400 ``invalid_field``."""
    from .selectors import EntryFilters

    account, group, kind, q = (account or "").strip(), (group or "").strip(), (kind or "").strip(), (q or "").strip()
    if account and not ACCOUNT_CODE.match(account):
        raise invalid("account", _("not an account code"))
    if group and group not in G.values:
        raise invalid("group", _("unknown group"))
    if kind and kind not in K.values:
        raise invalid("kind", _("unknown kind"))
    dates = []
    for name, value in (("from", date_from), ("to", date_to)):
        if value in (None, ""):
            dates.append(None)
        elif isinstance(value, datetime.date):
            dates.append(value)
        else:
            try:
                dates.append(datetime.date.fromisoformat(str(value)))
            except ValueError:
                raise invalid(name, _("not a date (YYYY-MM-DD)")) from None
    if dates[0] and dates[1] and dates[0] > dates[1]:
        raise invalid("to", _("is before the start"))
    filters = EntryFilters(date_from=dates[0], date_to=dates[1], kind=kind, account_code=account,
                           group="" if account else group, search=q[:60])
    return filters, DrillDown(account=account, group="" if account else group)


def drill_title(estate, drill: DrillDown) -> str:
    """What a drill-down shows, in words: the account's name (one query) or the group's."""
    if drill.account:
        account = Account.objects.filter(estate=estate, code=drill.account).select_related(
            "house__building", "house__unit").first()
        return f"{drill.account} {account.label}" if account else drill.account
    if drill.group:
        return str(G(drill.group).label)
    return ""


def with_house_codes(entries) -> list:
    """Fetch the buildings and units of the houses whose fund sub-accounts the entries' (prefetched) lines name, in
    two queries: an account's label is its house's code ("1-2-301"), and a fund project's payment has a line per
    house of its charge scope. (``selectors.with_details`` selects ``account__house`` only.)"""
    from django.db.models import prefetch_related_objects

    entries = list(entries)
    houses = [ln.account.house for e in entries for ln in e.lines.all() if ln.account.house_id is not None]
    if houses:  # every line has its own House instance: fill them all
        prefetch_related_objects(houses, "building", "unit")
    return entries

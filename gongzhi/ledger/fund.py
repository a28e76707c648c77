"""The maintenance fund (专项维修资金): each house's sub-account, initial deposits, top-ups, interest, statements,
the estate's totals and the monthly top-up reminders. Projects (use of the fund) are in ``fund_projects``.

The money lives in the journal: a house's sub-account is ``3101-<house id>`` (``chart.house_fund_accounts``), a
fund account (credit-normal), so its balance is credits − debits. The cash sits in ``1201`` (the fund's bank
account). Every write here posts through ``services.entry_post``; nothing writes journal rows itself.

Rules (gongzhi.estate.jurisdiction, per estate):
- initial deposit = building area × (``fund.construction_cost_per_m2`` × ``fund.deposit_share_of_cost``), DOMAIN.md
  "5-8 % of the local construction cost per m² × area", exact with fractions, rounded half up to the fen once;
- a house whose balance falls below ``fund.top_up_below`` (30 %) of its initial deposit is reminded to top up
  (住宅专项维修资金管理办法, 建设部、财政部令第165号, art. 17);
- bank interest belongs to the owners and is credited to the houses in proportion to their balances.

A mistake is corrected by reversing the entry (``services.entry_reverse``); every figure here nets reversals out
under the kind of the entry they reverse, so a reversed deposit is neither "deposited" nor counted twice.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound, Reason
from gongzhi.estate.choices import OWNER_KINDS
from gongzhi.estate.models import House, Residency

from . import services
from .chart import FUND_BANK, accounts_by_code, fund_code, house_fund_accounts
from .choices import EntryKind
from .errors import invalid
from .models import Account, FundProjectPayment, FundReminder, JournalEntry, JournalLine
from .policies import LedgerPolicy
from .services import Line, clean_text, entry_post
from .split import split_by_weight

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("999999999999.99")
RATE_PLACES = Decimal("0.0001")  # a deposit rate (yuan per m²) may have up to four decimals
KEY_MAX = 40  # an idempotency key; the journal reference it becomes holds 80 characters
LABEL_MAX = 40

RULE_COST = "fund.construction_cost_per_m2"
RULE_SHARE = "fund.deposit_share_of_cost"
RULE_TOP_UP = "fund.top_up_below"
DEFAULT_SHARE = "1/20"
DEFAULT_TOP_UP = "3/10"

DEPOSIT_REF = "fund.deposit:"
TOP_UP_REF = "fund.top_up:"
INTEREST_REF = "fund.interest:"

# The statement's categories: each is the kind of entry that moves money that way.
CATEGORIES = {"deposited": EntryKind.FUND_DEPOSIT, "topped_up": EntryKind.FUND_TOP_UP,
              "interest": EntryKind.FUND_INTEREST, "used": EntryKind.FUND_USE}


# --- small exact-money helpers -----------------------------------------------------------------------------------
def fen_half_up(value: Fraction) -> Decimal:
    """An exact amount rounded half up (away from zero) to the fen: the one rounding step of every computed figure
    here (DESIGN.md: ROUND_HALF_UP)."""
    hundredths = abs(value) * 100
    whole, rest = divmod(hundredths.numerator, hundredths.denominator)
    if 2 * rest >= hundredths.denominator:
        whole += 1
    return (Decimal(whole) * FEN * (1 if value >= 0 else -1)).quantize(FEN)


def fraction_text(value: Fraction, places: int = 4) -> str:
    """A rate for people to read: at least two decimals, at most ``places`` (exact when it fits)."""
    text = f"{Decimal(value.numerator) / Decimal(value.denominator):.{places}f}".rstrip("0")
    whole, _dot, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def percent_text(share: Fraction) -> str:
    return f"{Decimal(share.numerator * 100) / Decimal(share.denominator):.0f}"


def money_in(value, field_name: str, *, places: Decimal = FEN) -> Decimal:
    """A positive amount from input: a number of fen (or of ``places``), never a float's approximation."""
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field_name, _("not an amount")) from None
    if not amount.is_finite() or amount <= 0:
        raise invalid(field_name, _("must be more than zero"))
    if amount > MAX_AMOUNT:
        raise invalid(field_name, _("is larger than any real amount"))
    if amount != amount.quantize(places):
        raise invalid(field_name, _("has too many decimals"))
    return amount.quantize(places)


def estate_rules(estate) -> dict:
    rules = estate.rules
    return rules() if callable(rules) else rules


def rule_fraction(estate, key: str, default: str) -> Fraction:
    """A rule that is a fraction ("3/10"), exact. A rule that does not parse is the estate's configuration
    error: say so rather than guess."""
    raw = estate_rules(estate).get(key, default)
    try:
        value = Fraction(str(raw))
    except (ValueError, ZeroDivisionError):
        raise DomainError(_("The estate's rule %(rule)s is not a number: %(value)s."), code="bad_rule",
                          detail={"rule": key}, rule=key, value=raw) from None
    if value < 0:
        raise DomainError(_("The estate's rule %(rule)s is not a number: %(value)s."), code="bad_rule",
                          detail={"rule": key}, rule=key, value=raw)
    return value


def clean_date(value, field_name: str = "date") -> datetime.date:
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise invalid(field_name, _("not a date"))
    return value


def clean_key(value: str, field_name: str = "idempotency_key", *, required: bool = True) -> str:
    value = clean_text(field_name, value, required=required)
    if len(value) > KEY_MAX:
        raise invalid(field_name, Reason(_("is too long (at most %(max)s characters)"), max=KEY_MAX))
    return value


def require(actor: Actor, action: str) -> None:
    if actor is None or not LedgerPolicy.can(actor, action):
        raise Forbidden()


def _entry_total(entry: JournalEntry) -> Decimal:
    return sum((ln.debit for ln in entry.lines.all()), ZERO)


# --- who sees which house ----------------------------------------------------------------------------------------
def sees_every_house(actor: Actor) -> bool:
    """Finance, the manager and the owners' committee (which oversees the fund) read any house's sub-account."""
    return LedgerPolicy.can(actor, "view_private")


def owned_house_ids(actor: Actor) -> list[int]:
    """The houses the actor currently owns (owner or co-owner): the sub-accounts that are theirs. The fund is
    the owners' (DOMAIN.md): family members and tenants have none."""
    if actor.user_id is None or not LedgerPolicy.can(actor, "view"):
        return []
    return list(Residency.objects.current().filter(estate=actor.estate, person__user_id=actor.user_id,
                                                   kind__in=OWNER_KINDS)
                .order_by("house_id").values_list("house_id", flat=True).distinct())


def readable_house(actor: Actor, house_id) -> House:
    """A house whose sub-account the actor may read: any house of the estate for finance, the manager and the
    committee; an owner's own; 404 alike for anything else (another owner's, another estate's, missing)."""
    try:
        house_id = int(house_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not sees_every_house(actor) and house_id not in owned_house_ids(actor):
        raise NotFound()
    house = House.objects.filter(estate=actor.estate, pk=house_id).select_related("building", "unit").first()
    if house is None:
        raise NotFound()
    return house


# --- balances and totals -----------------------------------------------------------------------------------------
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


def _kind_is(kind: str) -> Q:
    """A line of an entry of ``kind``, or of the reversal of one (netted under the reversed entry's kind)."""
    return Q(entry__kind=kind) | Q(entry__kind=EntryKind.REVERSAL, entry__reverses__kind=kind)


def _net(condition: Q | None = None) -> Coalesce:
    """Σ (credit − debit) over the lines meeting ``condition``: a fund sub-account's movement."""
    amount = ExpressionWrapper(F("credit") - F("debit"), output_field=MONEY_FIELD)
    expr = amount if condition is None else Case(When(condition, then=amount), default=Value(ZERO),
                                                 output_field=MONEY_FIELD)
    return Coalesce(Sum(expr, output_field=MONEY_FIELD), Value(ZERO), output_field=MONEY_FIELD)


@dataclass
class Totals:
    """One sub-account's figures (or their sum over houses). ``deposited``, ``topped_up``, ``interest``, ``used``
    and ``other`` are movements in the period (all time without a start); ``balance`` is at its end; ``initial``
    is the house's initial deposit whenever it was made (the base of the 30 % line)."""

    deposited: Decimal = ZERO
    topped_up: Decimal = ZERO
    interest: Decimal = ZERO
    used: Decimal = ZERO
    other: Decimal = ZERO
    balance: Decimal = ZERO
    initial: Decimal = ZERO

    @property
    def opening(self) -> Decimal:
        return self.balance - (self.deposited + self.topped_up + self.interest - self.used + self.other)

    def add(self, other: "Totals") -> None:
        for name in ("deposited", "topped_up", "interest", "used", "other", "balance", "initial"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def house_totals(*, estate, house_ids: Iterable[int] | None = None, date_to: datetime.date | None = None,
                 date_from: datetime.date | None = None) -> dict[int, Totals]:
    """house id → its ``Totals`` over entries dated up to ``date_to`` (movements from ``date_from``), in one
    grouped query. Houses with no sub-account or no lines are absent (all zero)."""
    lines = JournalLine.objects.filter(estate=estate, account__house__isnull=False)
    if house_ids is not None:
        lines = lines.filter(account__house_id__in=list(house_ids))
    if date_to is not None:
        lines = lines.filter(entry__date__lte=date_to)
    period = Q(entry__date__gte=date_from) if date_from else Q()
    sums = {name: _net(_kind_is(kind) & period) for name, kind in CATEGORIES.items()}
    sums["moved"] = _net(period) if date_from else _net()
    sums["balance"] = _net()
    sums["initial"] = _net(_kind_is(EntryKind.FUND_DEPOSIT))
    rows = lines.values("account__house_id").annotate(**sums).order_by()
    out = {}
    for row in rows:
        values = {name: Decimal(row[name]).quantize(FEN) for name in sums}
        moved = values.pop("moved")
        values["used"] = -values["used"]
        # Whatever is not one of the four (an opening balance brought over, a manual correction) is "other".
        values["other"] = moved - (values["deposited"] + values["topped_up"] + values["interest"] - values["used"])
        out[row["account__house_id"]] = Totals(**values)
    return out


def top_up_share(estate) -> Fraction:
    return rule_fraction(estate, RULE_TOP_UP, DEFAULT_TOP_UP)


def is_below_line(totals: Totals, share: Fraction) -> bool:
    """Below the top-up line: balance < share × initial deposit, compared exactly (a balance exactly AT 30 % is
    not below). A house with no initial deposit has no line."""
    return totals.initial > 0 and Fraction(totals.balance) < Fraction(totals.initial) * share


@dataclass
class HouseFund:
    house: House
    totals: Totals
    threshold: Decimal  # the top-up line, rounded to the fen for display (the comparison is exact)
    below: bool

    @property
    def house_id(self) -> int:
        return self.house.pk


def house_funds(*, estate, houses: Sequence[House], date_to: datetime.date | None = None,
                date_from: datetime.date | None = None) -> list[HouseFund]:
    """Each of ``houses`` with its totals and the top-up line (one query for all of them)."""
    share = top_up_share(estate)
    totals = house_totals(estate=estate, house_ids=[h.pk for h in houses], date_to=date_to, date_from=date_from)
    rows = []
    for house in houses:
        t = totals.get(house.pk) or Totals()
        rows.append(HouseFund(house=house, totals=t, threshold=fen_half_up(Fraction(t.initial) * share),
                              below=is_below_line(t, share)))
    return rows


def initial_deposit(house: House) -> Decimal:
    """The house's initial deposit (net of any reversed deposit)."""
    totals = house_totals(estate=house.estate, house_ids=[house.pk]).get(house.pk)
    return totals.initial if totals else ZERO


def house_balance(house: House, *, date_to: datetime.date | None = None) -> Decimal:
    totals = house_totals(estate=house.estate, house_ids=[house.pk], date_to=date_to).get(house.pk)
    return totals.balance if totals else ZERO


def estate_houses(estate):
    return House.objects.filter(estate=estate).select_related("building", "unit")


def houses_below_line(*, estate, date_to: datetime.date | None = None) -> list[HouseFund]:
    """Every house below the top-up line, by house id. Compared exactly in Python, not in SQL (SQLite sums
    decimals as floats): two queries whatever the size of the estate."""
    totals = house_totals(estate=estate, date_to=date_to)
    share = top_up_share(estate)
    below = sorted(h for h, t in totals.items() if is_below_line(t, share))
    houses = {h.pk: h for h in estate_houses(estate).filter(pk__in=below)}
    return [HouseFund(house=houses[h], totals=totals[h], threshold=fen_half_up(Fraction(totals[h].initial) * share),
                      below=True) for h in below if h in houses]


@dataclass
class StatementLine:
    entry_id: int
    seq: int
    date: datetime.date
    kind: str
    kind_label: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal  # running balance after this line
    project_id: int | None = None
    project_title: str = ""


@dataclass
class Statement:
    house: House
    account_code: str
    totals: Totals
    threshold: Decimal
    below: bool
    share: Fraction
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def share_percent(self) -> str:
        return percent_text(self.share)


def statement_for(house: House) -> Statement:
    """A house's statement: its totals, the top-up line, and every line of its sub-account with the running
    balance (a house gets a few lines a year: no paging). Three queries."""
    fund = house_funds(estate=house.estate, houses=[house])[0]
    lines = (JournalLine.objects.filter(estate=house.estate, account__house_id=house.pk)
             .select_related("entry").order_by("entry__seq", "line_no"))
    rows, running = [], ZERO
    lines = list(lines)
    use_entries = [ln.entry_id for ln in lines if ln.entry.kind == EntryKind.FUND_USE]
    projects = {}
    if use_entries:
        projects = {p.entry_id: (p.project_id, p.project.title) for p in
                    FundProjectPayment.objects.filter(estate=house.estate, entry_id__in=use_entries)
                    .select_related("project")}
    for ln in lines:
        running += ln.credit - ln.debit
        project_id, title = projects.get(ln.entry_id, (None, ""))
        rows.append(StatementLine(entry_id=ln.entry_id, seq=ln.entry.seq, date=ln.entry.date, kind=ln.entry.kind,
                                  kind_label=str(ln.entry.get_kind_display()), description=ln.entry.description,
                                  debit=ln.debit, credit=ln.credit, balance=running, project_id=project_id,
                                  project_title=title))
    return Statement(house=house, account_code=fund_code(house.pk), totals=fund.totals, threshold=fund.threshold,
                     below=fund.below, share=top_up_share(house.estate), lines=rows)


def house_statement(*, actor: Actor, house_id) -> Statement:
    """A house's statement for ``actor`` (staff and the committee: any house; an owner: their own; 404 else)."""
    return statement_for(readable_house(actor, house_id))


def my_fund(*, actor: Actor) -> list[Statement]:
    """The statements of the houses the actor owns, by house id."""
    ids = owned_house_ids(actor)
    houses = list(estate_houses(actor.estate).filter(pk__in=ids).order_by("pk"))
    return [statement_for(h) for h in houses]


@dataclass
class FundSummary:
    totals: Totals  # summed over every house's sub-account
    bank_balance: Decimal  # 1201: must equal totals.balance while the books are consistent
    houses: int  # houses of the estate
    houses_with_account: int
    houses_below: int
    share: Fraction
    date_from: datetime.date | None
    date_to: datetime.date | None


def estate_fund_summary(*, estate, date_to: datetime.date | None = None,
                        date_from: datetime.date | None = None) -> FundSummary:
    """The estate's fund at ``date_to``: movements (from ``date_from``), balances, how many houses are below the
    top-up line. The caller checks who may read it (the disclosure report, the console). Three queries."""
    per_house = house_totals(estate=estate, date_to=date_to, date_from=date_from)
    total = Totals()
    for t in per_house.values():
        total.add(t)
    share = top_up_share(estate)
    bank = JournalLine.objects.filter(estate=estate, account__code=FUND_BANK)
    if date_to is not None:
        bank = bank.filter(entry__date__lte=date_to)
    sums = bank.aggregate(d=Coalesce(Sum("debit"), Value(ZERO)), c=Coalesce(Sum("credit"), Value(ZERO)))
    return FundSummary(
        totals=total, bank_balance=(Decimal(sums["d"]) - Decimal(sums["c"])).quantize(FEN),
        houses=House.objects.filter(estate=estate).count(), houses_with_account=len(per_house),
        houses_below=sum(1 for t in per_house.values() if is_below_line(t, share)), share=share,
        date_from=date_from, date_to=date_to)


def fund_summary(*, actor: Actor, date_to: datetime.date | None = None,
                 date_from: datetime.date | None = None) -> FundSummary:
    """The summary for a reader of the ledger (the fund is published to the owners, DOMAIN.md)."""
    require(actor, "view")
    return estate_fund_summary(estate=actor.estate, date_to=date_to, date_from=date_from)


# --- initial deposits --------------------------------------------------------------------------------------------
def deposit_rate(estate, rate_per_m2=None) -> Fraction:
    """The deposit per m²: the given rate, or the estate's construction cost × its deposit share (exact). While
    the estate has not set its construction cost, and no rate is given, there is no rate: refuse clearly."""
    if rate_per_m2 not in (None, ""):
        return Fraction(money_in(rate_per_m2, "rate_per_m2", places=RATE_PLACES))
    cost = rule_fraction(estate, RULE_COST, "0")
    if cost <= 0:
        raise DomainError(_("The estate's construction cost per m² is not set (rule %(rule)s), so the deposit rate "
                            "is unknown: set the cost, or give the rate per m²."), code="fund_rate_unknown",
                          detail={"field": "rate_per_m2", "rule": RULE_COST}, rule=RULE_COST)
    return cost * rule_fraction(estate, RULE_SHARE, DEFAULT_SHARE)


def _deposit_state(estate, house_ids: list[int] | None) -> tuple[set[int], dict[int, int]]:
    """(houses with a deposit in force, house → how many deposits of it were reversed). One query."""
    entries = JournalEntry.objects.filter(estate=estate, kind=EntryKind.FUND_DEPOSIT,
                                          reference__startswith=DEPOSIT_REF)
    if house_ids is not None:
        entries = entries.filter(lines__account__house_id__in=house_ids)
    in_force, reversed_count = set(), {}
    for reference, reversed_id in entries.values_list("reference", "reversed_by__id").distinct():
        house_id = int(reference[len(DEPOSIT_REF):].split(":")[0])
        if reversed_id is None:
            in_force.add(house_id)
        else:
            reversed_count[house_id] = reversed_count.get(house_id, 0) + 1
    return in_force, reversed_count


def _deposit_reference(house_id: int, reversed_before: int) -> str:
    """``fund.deposit:<house>`` for the first deposit; after a reversed one (a wrong rate corrected),
    ``fund.deposit:<house>:<n>`` so the corrected deposit gets its own reference and a re-run still posts
    nothing twice."""
    base = f"{DEPOSIT_REF}{house_id}"
    return base if not reversed_before else f"{base}:{reversed_before + 1}"


def _deposit_houses(actor: Actor, house_ids) -> list[House]:
    houses = estate_houses(actor.estate).order_by("pk")
    if house_ids is None:
        return list(houses)
    try:
        wanted = {int(h) for h in house_ids}
    except (TypeError, ValueError):
        raise invalid("house_ids", _("not a list of houses")) from None
    if not wanted:
        raise invalid("house_ids", _("is required"))
    found = list(houses.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise invalid("house_ids", _("no such house in this estate"))
    return found


@dataclass
class DepositPlan:
    rate: Fraction
    to_deposit: list[tuple[House, Decimal, str]]  # (house, amount, reference)
    already: int  # houses that have a deposit in force (skipped)

    @property
    def count(self) -> int:
        return len(self.to_deposit)

    @property
    def total(self) -> Decimal:
        return sum((amount for _h, amount, _r in self.to_deposit), ZERO)

    @property
    def rate_display(self) -> str:
        return fraction_text(self.rate)


def fund_deposit_plan(*, actor: Actor, house_ids=None, rate_per_m2=None) -> DepositPlan:
    """What ``fund_deposit_initial`` would post now: the houses without a deposit in force and each one's
    amount (area × rate, rounded half up to the fen). The preview step of the console."""
    require(actor, "post")
    rate = deposit_rate(actor.estate, rate_per_m2)
    houses = _deposit_houses(actor, house_ids)
    in_force, reversed_count = _deposit_state(actor.estate, None if house_ids is None else [h.pk for h in houses])
    plan = []
    for house in houses:
        if house.pk in in_force:
            continue
        amount = fen_half_up(Fraction(house.area_m2) * rate)
        if amount > 0:
            plan.append((house, amount, _deposit_reference(house.pk, reversed_count.get(house.pk, 0))))
    return DepositPlan(rate=rate, to_deposit=plan, already=len(in_force & {h.pk for h in houses}))


@dataclass
class DepositResult:
    posted: int
    total: Decimal
    already: int
    entry_ids: list[int]


@transaction.atomic
def fund_deposit_initial(*, actor: Actor, date: datetime.date, house_ids=None, rate_per_m2=None) -> DepositResult:
    """Post each house's initial deposit: one entry per house (Dr 1201 fund bank / Cr 3101-<house>), reference
    ``fund.deposit:<house id>``. Houses with a deposit in force are skipped, so re-running posts nothing twice;
    all or nothing (one transaction)."""
    require(actor, "post")
    date = clean_date(date)
    plan = fund_deposit_plan(actor=actor, house_ids=house_ids, rate_per_m2=rate_per_m2)
    estate = actor.estate
    if plan.to_deposit:
        # Accounts resolved once, not per entry: 2,000 houses post in one pass (bench/ measures it).
        accounts = house_fund_accounts(estate, [h.pk for h, _a, _r in plan.to_deposit])
        bank = accounts_by_code(estate, [FUND_BANK])[FUND_BANK]
    specs = [services.EntrySpec(
        date=date, kind=EntryKind.FUND_DEPOSIT, reference=reference,
        description=str(_("Maintenance fund initial deposit: %(house)s, %(area)s m² × %(rate)s") % {
            "house": house.code, "area": house.area_m2, "rate": plan.rate_display})[:200],
        lines=[Line(bank, debit=amount), Line(accounts[house.pk], credit=amount)])
        for house, amount, reference in plan.to_deposit]
    entries = services.entries_post_many(estate=estate, actor=actor, specs=specs) if specs else []
    result = DepositResult(posted=len(entries), total=plan.total, already=plan.already,
                           entry_ids=[e.pk for e in entries])
    if entries:
        audit(user=actor.user, estate=estate, action="fund.deposit_initial", label=str(_("Initial deposits")),
              after={"houses": result.posted, "total": str(result.total), "rate": str(plan.rate),
                     "date": date.isoformat(), "first_entry": entries[0].seq, "last_entry": entries[-1].seq})
    return result


# --- top-ups -----------------------------------------------------------------------------------------------------
def _same_or_conflict(entry: JournalEntry, amount: Decimal, what: str) -> JournalEntry:
    """An idempotency key used again: the same request returns the first result; a different one is a
    conflict, never a silent second posting or a silent no-op."""
    if _entry_total(entry) != amount:
        raise Conflict(_("This key was already used for a different %(what)s (entry #%(seq)s)."),
                       code="idempotency_key_reused", detail={"entry_id": entry.pk}, what=what, seq=entry.seq)
    return entry


@transaction.atomic
def fund_top_up(*, actor: Actor, house_id, amount, date: datetime.date, idempotency_key: str,
                description: str = "") -> JournalEntry:
    """A house's owner topping up its sub-account (Dr 1201 / Cr 3101-<house>), kind FUND_TOP_UP. The key (the
    bank slip's number, say) makes a retry safe: reference ``fund.top_up:<key>``."""
    require(actor, "post")
    amount = money_in(amount, "amount")
    key = clean_key(idempotency_key)
    date = clean_date(date)
    try:
        house = estate_houses(actor.estate).get(pk=int(house_id))
    except (House.DoesNotExist, TypeError, ValueError):
        raise invalid("house_id", _("no such house in this estate")) from None
    reference = f"{TOP_UP_REF}{key}"
    existing = JournalEntry.objects.filter(estate=actor.estate, reference=reference).prefetch_related(
        "lines__account").first()
    if existing is not None:
        if not any(ln.account.house_id == house.pk for ln in existing.lines.all()):
            raise Conflict(_("This key was already used for a different %(what)s (entry #%(seq)s)."),
                           code="idempotency_key_reused", detail={"entry_id": existing.pk},
                           what=_("top-up"), seq=existing.seq)
        return _same_or_conflict(existing, amount, _("top-up"))
    text = clean_text("description", description) or str(
        _("Maintenance fund top-up: %(house)s") % {"house": house.code})
    account = house_fund_accounts(actor.estate, [house.pk])[house.pk]
    entry = entry_post(estate=actor.estate, actor=actor, date=date, kind=EntryKind.FUND_TOP_UP,
                       description=text[:200], reference=reference,
                       lines=[Line(FUND_BANK, debit=amount), Line(account, credit=amount)])
    audit(user=actor.user, estate=actor.estate, action="fund.top_up", obj=entry, label=house.code,
          after={"house": house.pk, "amount": str(amount), "entry": entry.seq})
    return entry


# --- interest ----------------------------------------------------------------------------------------------------
@dataclass
class InterestPlan:
    amount: Decimal
    date: datetime.date
    shares: dict[int, Decimal]  # house id → share (only houses with a positive balance at the date)
    balances: dict[int, Decimal]

    @property
    def houses(self) -> int:
        return sum(1 for v in self.shares.values() if v > 0)


def fund_interest_plan(*, actor: Actor, amount, date: datetime.date) -> InterestPlan:
    """How ``amount`` of bank interest would be credited: split over the houses in proportion to their balances
    at ``date`` (a house at or below zero gets none), by the remainder rule of ``split.split_by_weight``."""
    require(actor, "post")
    amount = money_in(amount, "amount")
    date = clean_date(date)
    balances = {h: t.balance for h, t in house_totals(estate=actor.estate, date_to=date).items() if t.balance > 0}
    if not balances:
        raise Conflict(_("No house has a positive balance on %(date)s: there is nothing to credit interest to."),
                       code="fund_nothing_to_allocate", date=date.isoformat())
    shares = split_by_weight(amount, sorted(balances.items()))
    return InterestPlan(amount=amount, date=date, shares=shares, balances=balances)


@transaction.atomic
def fund_interest_allocate(*, actor: Actor, amount, date: datetime.date, period_label: str) -> JournalEntry:
    """Credit the fund's bank interest for a period to the houses: ONE entry, Dr 1201 the total / Cr each
    house's share (by balance at ``date``), reference ``fund.interest:<label>`` so a period is credited once."""
    require(actor, "post")
    label = clean_text("period_label", period_label, required=True)
    if len(label) > LABEL_MAX:
        raise invalid("period_label", Reason(_("is too long (at most %(max)s characters)"), max=LABEL_MAX))
    reference = f"{INTEREST_REF}{label}"
    existing = (JournalEntry.objects.filter(estate=actor.estate, reference=reference)
                .prefetch_related("lines").first())
    if existing is not None:
        return _same_or_conflict(existing, money_in(amount, "amount"), _("interest allocation"))
    plan = fund_interest_plan(actor=actor, amount=amount, date=date)
    houses = [h for h, share in sorted(plan.shares.items()) if share > 0]
    accounts = house_fund_accounts(actor.estate, houses)
    lines = [Line(FUND_BANK, debit=plan.amount)] + [Line(accounts[h], credit=plan.shares[h]) for h in houses]
    description = _("Maintenance fund interest %(period)s, credited by balance") % {"period": label}
    entry = entry_post(estate=actor.estate, actor=actor, date=plan.date, kind=EntryKind.FUND_INTEREST,
                       description=str(description)[:200], reference=reference, lines=lines)
    audit(user=actor.user, estate=actor.estate, action="fund.interest", obj=entry, label=label,
          after={"amount": str(plan.amount), "houses": len(houses), "date": plan.date.isoformat()})
    return entry


# --- top-up reminders --------------------------------------------------------------------------------------------
def _owners_by_house(estate, house_ids: list[int], today: datetime.date) -> dict[int, list]:
    rows = (Residency.objects.current(today).filter(estate=estate, house_id__in=house_ids, kind__in=OWNER_KINDS,
                                                    person__user__isnull=False)
            .select_related("person__user"))
    owners: dict[int, list] = {}
    for r in rows:
        owners.setdefault(r.house_id, []).append(r.person.user)
    return owners


REMINDER_TITLE = _("Maintenance fund: please top up %(house)s")
REMINDER_BODY = _("The maintenance fund balance of %(house)s is %(balance)s yuan, below %(percent)s%% of its "
                  "initial deposit (%(threshold)s yuan). Please top it up.")


def fund_send_top_up_reminders(*, estate, today: datetime.date) -> int:
    """Remind the owners of every house whose balance is below the top-up line (``fund.top_up_below`` of its
    initial deposit; exactly at the line is not below). One reminder per house per month (FundReminder is unique
    per house and month), so the daily job may run any number of times. Returns how many were sent."""
    from gongzhi.notifications.choices import NotificationKind
    from gongzhi.notifications.services import notify

    month = today.replace(day=1)
    below = houses_below_line(estate=estate, date_to=today)
    if not below:
        return 0
    done = set(FundReminder.objects.filter(estate=estate, month=month, house_id__in=[r.house_id for r in below])
               .values_list("house_id", flat=True))
    due = [r for r in below if r.house_id not in done]
    if not due:
        return 0
    kind = NotificationKind.FUND_TOP_UP
    url = reverse("ledger:my_fund", kwargs={"estate_id": estate.pk})
    percent = percent_text(top_up_share(estate))
    sent = 0
    owners = _owners_by_house(estate, [r.house_id for r in due], today)
    for row in due:
        try:
            with transaction.atomic():
                FundReminder.objects.create(estate=estate, house=row.house, month=month,
                                            balance=row.totals.balance, threshold=row.threshold)
                notify(estate=estate, users=owners.get(row.house_id, []), kind=kind, url=url,
                       title=REMINDER_TITLE, body=REMINDER_BODY,
                       params={"house": row.house.code, "balance": row.totals.balance, "percent": percent,
                               "threshold": row.threshold})
        except IntegrityError:  # another run reminded this house this month at the same moment
            continue
        sent += 1
    return sent


def estates_with_fund() -> list[int]:
    """The estates that have maintenance-fund sub-accounts (the daily reminder job's list)."""
    return list(Account.objects.filter(house__isnull=False).values_list("estate_id", flat=True)
                .distinct().order_by("estate_id"))

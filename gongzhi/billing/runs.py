"""Bill runs: preview and issue the periodic bills of a month, a quarter or a year (DESIGN.md habit 1).

The engine loads the facts of every house in scope with a handful of queries (houses, residencies, parking
spaces, meter consumption, the bills already issued), asks ``calc.Tariff`` for each house's lines, and stores bills
and lines with ``writer`` (COPY on PostgreSQL, executemany on SQLite). One issue call posts one ledger entry
(Dr 1122 fees receivable / Cr each income account) and writes one audit record, then draws prepayment balances into
the new bills. See docs/billing/bill-runs.md."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, Forbidden, NotFound
from gongzhi.estate.choices import OWNER_KINDS, ResidencyKind
from gongzhi.estate.models import Building, House, ParkingSpace, Residency
from gongzhi.ledger import chart
from gongzhi.ledger.choices import EntryKind
from gongzhi.ledger.services import Line, closed_through, entry_post

from . import calc, writer
from .bills import apply_prepayment, due_date_for
from .calc import BillOut, Holding, HouseFacts, PayerRules, Tariff
from .choices import PERIOD_MONTHS, BillKind, FeeKind, PeriodKind
from .errors import invalid, period_closed
from .models import Bill, BillRun
from .policies import BillPolicy

PAYING_KINDS = tuple(OWNER_KINDS | {ResidencyKind.TENANT})
PREVIEW_BILLS = 20
PREVIEW_SKIPPED = 50
CHUNK = 5000


# --- periods -------------------------------------------------------------------------------------------------------
def period_bounds(period_kind: str, period_start) -> tuple[datetime.date, datetime.date]:
    """(first day, last day) of a month, quarter or year starting on the first day of a month."""
    if period_kind not in PeriodKind.values:
        raise invalid("period_kind", _("a month, a quarter or a year"))
    if isinstance(period_start, str):
        try:
            period_start = datetime.date.fromisoformat(period_start)
        except ValueError:
            raise invalid("period_start", _("not a date")) from None
    if not isinstance(period_start, datetime.date) or isinstance(period_start, datetime.datetime):
        raise invalid("period_start", _("not a date"))
    if period_start.day != 1:
        raise invalid("period_start", _("a period starts on the first day of a month"))
    return period_start, calc.add_months(period_start, PERIOD_MONTHS[PeriodKind(period_kind)]) - calc.DAY


def run_key(period_kind: str, start: datetime.date, building_id: int | None) -> str:
    return f"{period_kind}:{start.isoformat()}:{building_id or 'all'}"


# --- facts ---------------------------------------------------------------------------------------------------------
def _values(qs: QuerySet, *fields: str):
    """``qs.values_list(*fields)`` rows, read with a plain cursor: the database backend's own converters (dates,
    decimals and booleans on SQLite) run once per distinct value of a column, not once per row (the houses of an
    estate share a few areas, kinds and dates)."""
    query = qs.values_list(*fields).query
    compiler = query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    converters = compiler.get_converters([col for col, _sql, _alias in compiler.select])
    conn = connections[qs.db]
    columns = []
    for index, (funcs, expression) in converters.items():
        columns.append((index, funcs, expression, {}))
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            if not columns:
                yield from rows
                continue
            for row in rows:
                row = list(row)
                for index, funcs, expression, memo in columns:
                    raw = row[index]
                    try:
                        row[index] = memo[raw]
                    except KeyError:
                        value = raw
                        for func in funcs:
                            value = func(value, expression, conn)
                        row[index] = memo[raw] = value
                yield row


def load_holdings(estate, start: datetime.date, end: datetime.date, *, house_ids=None,
                  building_id: int | None = None) -> dict[int, list[Holding]]:
    """house id → the owner, co-owner and tenant residencies overlapping ``start``..``end``."""
    qs = Residency.objects.filter(estate=estate, kind__in=PAYING_KINDS).exclude(start_date__gt=end) \
        .exclude(end_date__lt=start)
    if house_ids is not None:
        qs = qs.filter(house_id__in=list(house_ids))
    if building_id is not None:
        qs = qs.filter(house__building_id=building_id)
    out: dict[int, list[Holding]] = defaultdict(list)
    for house_id, kind, person_id, name, rep, s, e in _values(
            qs.order_by("house_id", "id"), "house_id", "kind", "person_id", "person__name", "is_representative",
            "start_date", "end_date"):
        out[house_id].append(Holding(kind, person_id, name, rep, s, e))
    return out


def load_facts(estate, start: datetime.date, end: datetime.date, *, building_id: int | None = None,
               meter_kinds=()) -> list[HouseFacts]:
    """Every house in scope with what pricing it needs, in house order: five queries plus two per meter kind."""
    from .meters import consumption

    houses = House.objects.filter(estate=estate)
    spaces = ParkingSpace.objects.filter(estate=estate, house__isnull=False)
    if building_id is not None:
        houses = houses.filter(building_id=building_id)
        spaces = spaces.filter(house__building_id=building_id)
    holdings = load_holdings(estate, start, end, building_id=building_id)
    by_house: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for house_id, lot, number, status in spaces.order_by("house_id", "lot__name", "number").values_list(
            "house_id", "lot__name", "number", "status"):
        by_house[house_id].append((f"{lot} {number}", status))
    used = {kind: consumption(estate=estate, meter_kind=kind, start=start, end=end) for kind in meter_kinds}
    empty: tuple = ()
    facts = []
    # The houses' codes ("3-2-1502") are not read here: only the few a preview shows need them (house_codes).
    for pk, kind, area, status, developer_held in _values(
            houses.order_by("id"), "id", "kind", "area_m2", "status", "developer_held"):
        facts.append(HouseFacts(
            id=pk, code="", kind=kind, area=area, status=status, developer_held=developer_held,
            holdings=holdings.get(pk, empty), spaces=by_house.get(pk, empty),
            consumption={k: c[pk] for k, c in used.items() if pk in c} if used else {}))
    return facts


def house_codes(house_ids) -> dict[int, str]:
    """house id → its code as a bill shows it ("3-2-1502")."""
    return {pk: f"{building}-{unit}-{number}" for pk, building, unit, number in House.objects.filter(
        pk__in=list(house_ids)).values_list("pk", "building__name", "unit__name", "number")}


def tariff_for(estate, start: datetime.date, end: datetime.date) -> Tariff:
    """The estate's rules and discounts of the period, prepared; explanations in the product's language (a bill
    is the same document for everyone who reads it)."""
    from .rules import discounts_in_force, rules_in_force

    with translation.override(settings.LANGUAGE_CODE):
        return Tariff(rules=rules_in_force(estate=estate, start=start, end=end),
                      discounts=discounts_in_force(estate=estate, start=start, end=end), start=start, end=end,
                      payer_rules=PayerRules.of(estate))


# --- the plan both preview and issue compute ----------------------------------------------------------------------
SKIP_BILLED = "billed"
SKIP_NO_FEE = "no_fee"
SKIP_REASONS = {SKIP_BILLED: _("already billed for this period"),
                SKIP_NO_FEE: _("no fee rule applies to it in this period")}


@dataclass
class Plan:
    period_kind: str
    start: datetime.date
    end: datetime.date
    building: Building | None
    houses: int = 0
    bills: list[BillOut] = field(default_factory=list)
    codes: dict[int, str] = field(default_factory=dict)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (house id, code, reason), the first ones
    skipped_counts: Counter = field(default_factory=Counter)

    @property
    def lines_count(self) -> int:
        return sum(len(b.lines) for b in self.bills)

    @property
    def total(self) -> Decimal:
        return sum((b.amount for b in self.bills), calc.ZERO)


def _resolve_building(actor: Actor, building) -> Building | None:
    if building is None or building == "":
        return None
    building_id = getattr(building, "pk", building)
    found = Building.objects.filter(estate=actor.estate, pk=building_id).first() if str(building_id).isdigit() \
        else None
    if found is None:
        raise invalid("building", _("no such building in this estate"))
    return found


def _check_overlap(estate, start: datetime.date, end: datetime.date, building: Building | None) -> None:
    """Refuse a period that overlaps periodic bills of another period for a house in scope (a quarter over a
    month already billed, or two misaligned quarters): the days would be billed twice."""
    qs = Bill.objects.filter(estate=estate, kind=BillKind.PERIODIC, period_start__lte=end, period_end__gte=start) \
        .exclude(period_start=start, period_end=end)
    if building is not None:
        qs = qs.filter(house__building_id=building.pk)
    other = qs.values_list("period_start", "period_end").first()
    if other is not None:
        raise Conflict(_("Some houses already have bills for %(other_start)s to %(other_end)s, which overlaps "
                         "%(start)s to %(end)s: the same days would be billed twice."), code="period_overlaps",
                       detail={"period_start": other[0].isoformat(), "period_end": other[1].isoformat()},
                       other_start=other[0].isoformat(), other_end=other[1].isoformat(), start=start.isoformat(),
                       end=end.isoformat())


def _plan(estate, period_kind: str, start: datetime.date, end: datetime.date, building: Building | None) -> Plan:
    tariff = tariff_for(estate, start, end)
    meter_kinds = sorted({i.meter_kind for i in tariff.items if i.kind == FeeKind.METERED})
    building_id = building.pk if building is not None else None
    facts = load_facts(estate, start, end, building_id=building_id, meter_kinds=meter_kinds)
    issued = Bill.objects.filter(estate=estate, kind=BillKind.PERIODIC, period_start=start, period_end=end)
    if building_id is not None:
        issued = issued.filter(house__building_id=building_id)
    billed = set(issued.values_list("house_id", "payer_key").iterator(chunk_size=CHUNK))
    plan = Plan(period_kind=period_kind, start=start, end=end, building=building, houses=len(facts))
    for house in facts:
        outs = tariff.bills(house)
        if billed:
            fresh = [b for b in outs if (house.id, b.payer.key) not in billed]
            reason = SKIP_BILLED if outs and not fresh else SKIP_NO_FEE
        else:
            fresh, reason = outs, SKIP_NO_FEE
        if not fresh:
            plan.skipped_counts[reason] += 1
            if len(plan.skipped) < PREVIEW_SKIPPED:
                plan.skipped.append((house.id, "", reason))
            continue
        plan.bills.extend(fresh)
        if len(plan.codes) < PREVIEW_BILLS:
            plan.codes[house.id] = ""
    codes = house_codes([*plan.codes, *(house_id for house_id, _code, _reason in plan.skipped)])
    plan.codes = {house_id: codes.get(house_id, "") for house_id in plan.codes}
    plan.skipped = [(house_id, codes.get(house_id, ""), reason) for house_id, _code, reason in plan.skipped]
    return plan


# --- preview -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemTotal:
    fee_item_id: int | None
    name: str
    lines: int
    total: Decimal


@dataclass
class Preview:
    period_kind: str
    period_start: datetime.date
    period_end: datetime.date
    building: Building | None
    houses: int
    bills_count: int
    lines_count: int
    total: Decimal
    by_item: list[ItemTotal]
    bills: list[tuple[str, BillOut]]  # (house code, bill), the first ones
    skipped: list[tuple[int, str, str]]  # (house id, house code, reason text), the first ones
    skipped_counts: dict[str, int]  # reason text → houses
    due_date: datetime.date


def _item_totals(plan: Plan, names: dict[int, str]) -> list[ItemTotal]:
    lines: Counter = Counter()
    totals: dict[int | None, Decimal] = defaultdict(lambda: calc.ZERO)
    for bill in plan.bills:
        for line in bill.lines:
            lines[line.fee_item_id] += 1
            totals[line.fee_item_id] += line.amount
    return [ItemTotal(item_id, names.get(item_id, "") if item_id else "", lines[item_id], totals[item_id])
            for item_id in sorted(totals, key=lambda i: list(names).index(i) if i in names else len(names))]


def bill_run_preview(*, actor: Actor, period_kind: str, period_start, building=None,
                     issued_on: datetime.date | None = None) -> Preview:
    """What issuing the run would bill, with nothing written: totals, per fee item, the first bills with their
    lines, and the houses that would get nothing and why."""
    if not BillPolicy.can(actor, "run"):
        raise Forbidden()
    start, end = period_bounds(period_kind, period_start)
    building = _resolve_building(actor, building)
    plan = _plan(actor.estate, period_kind, start, end, building)
    from .models import FeeItem

    names = dict(FeeItem.objects.filter(estate=actor.estate).order_by("sort_key", "id").values_list("id", "name"))
    shown = [(plan.codes[b.house_id], b) for b in plan.bills if b.house_id in plan.codes][:PREVIEW_BILLS]
    return Preview(
        period_kind=period_kind, period_start=start, period_end=end, building=building, houses=plan.houses,
        bills_count=len(plan.bills), lines_count=plan.lines_count, total=plan.total,
        by_item=_item_totals(plan, names), bills=shown,
        skipped=[(h, code, str(SKIP_REASONS[r])) for h, code, r in plan.skipped],
        skipped_counts={str(SKIP_REASONS[r]): n for r, n in plan.skipped_counts.items()},
        due_date=due_date_for(actor.estate, issued_on or timezone.localdate()))


# --- issue ---------------------------------------------------------------------------------------------------------
def _issued_at(issued_on: datetime.date) -> datetime.datetime:
    if issued_on == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(issued_on, datetime.time(9, 0)))


def bill_run_issue(*, actor: Actor, period_kind: str, period_start, building=None,
                   issued_on: datetime.date | None = None) -> BillRun:
    """Issue the periodic bills of a period (the whole estate, or one building) and return the run.

    Idempotent: the run of a period and scope is one ``BillRun`` (its ``key``); issuing it again bills only the
    houses (and payers) still missing, and writes nothing at all when none is. Refuses a period that overlaps
    bills of another period, and a period the books have closed (409 ``period_closed``). Bills fall due
    ``fees.due_days`` after ``issued_on`` (today by default, never in the future)."""
    if not BillPolicy.can(actor, "run"):
        raise Forbidden()
    estate = actor.estate
    start, end = period_bounds(period_kind, period_start)
    today = timezone.localdate()
    issued_on = issued_on or today
    if issued_on > today:
        raise invalid("issued_on", _("may not be in the future"))
    building = _resolve_building(actor, building)
    closed = closed_through(estate)
    if closed is not None and (start <= closed or issued_on <= closed):
        raise period_closed(end, closed)
    key = run_key(period_kind, start, building.pk if building else None)
    with transaction.atomic():
        existing = BillRun.objects.filter(estate=estate, key=key).first()
        _check_overlap(estate, start, end, building)
        plan = _plan(estate, period_kind, start, end, building)
        if not plan.bills:
            if existing is not None:
                return existing  # nothing missing: no rows at all
            if plan.skipped_counts.get(SKIP_BILLED):
                raise Conflict(_("Every house in scope is already billed for this period."), code="nothing_to_bill")
            raise Conflict(_("Nothing to bill: no house in scope has a fee rule in force in this period."),
                           code="nothing_to_bill")
        if existing is None:
            try:
                with transaction.atomic():
                    run = BillRun.objects.create(
                        estate=estate, key=key, period_kind=period_kind, period_start=start, period_end=end,
                        building=building, issued_at=_issued_at(issued_on), issued_by=actor.user)
            except IntegrityError:  # the same run issued at the same moment: bill what it left, if anything
                existing = run = BillRun.objects.get(estate=estate, key=key)
        else:
            run = existing
        run = BillRun.objects.select_for_update().get(pk=run.pk)
        if existing is not None:  # another call may have billed the missing houses while we computed
            plan = _plan(estate, period_kind, start, end, building)
            if not plan.bills:
                return run
        before = snapshot(run, ["bills_count", "lines_count", "total"])
        written = writer.write_bills(estate=estate, run=run, bills=plan.bills, issued_at=_issued_at(issued_on),
                                     due_date=due_date_for(estate, issued_on), period_start=start, period_end=end)
        total = plan.total
        run.bills_count += written.bills
        run.lines_count += written.lines
        run.total += total
        BillRun.objects.filter(pk=run.pk).update(bills_count=run.bills_count, lines_count=run.lines_count,
                                                 total=run.total)
        _post(actor, run, plan, issued_on, written.first_bill_id)
        audit(user=actor.user, estate=estate, action="bill_run.issue", obj=run, before=before if existing else None,
              after={**snapshot(run, ["key", "period_kind", "period_start", "period_end", "building_id",
                                      "bills_count", "lines_count", "total"]),
                     "bills": written.bills, "lines": written.lines, "amount": str(total)},
              label=key)
        apply_prepayment(estate, sorted({b.house_id for b in plan.bills}), on=issued_on)
    return run


def _post(actor: Actor, run: BillRun, plan: Plan, issued_on: datetime.date, first_bill_id: int) -> None:
    """One entry for the call: Dr 1122 the total / Cr each ledger code its net (discounts net off their line's)."""
    by_code: dict[str, Decimal] = defaultdict(lambda: calc.ZERO)
    for bill in plan.bills:
        for line in bill.lines:
            by_code[line.ledger_code] += line.amount
    credits = [(code, amount) for code, amount in sorted(by_code.items()) if amount > 0]
    total = sum((a for _c, a in credits), calc.ZERO)
    if total <= 0:
        return
    description = gettext("Fees billed for %(start)s to %(end)s: %(bills)s bills") % {
        "start": plan.start.isoformat(), "end": plan.end.isoformat(), "bills": len(plan.bills)}
    entry_post(estate=actor.estate, actor=actor, date=issued_on, kind=EntryKind.FEE_BILL,
               description=description[:200],
               lines=[Line(chart.RECEIVABLE, debit=total), *(Line(code, credit=a) for code, a in credits)],
               reference=f"billing:run:{run.pk}:{first_bill_id}", check_permission=False)


# --- reads ---------------------------------------------------------------------------------------------------------
def bill_run_list(*, actor: Actor) -> QuerySet:
    """The estate's bill runs, newest first (finance and the manager)."""
    return BillRun.objects.restrict(actor, "run").select_related("building", "issued_by").order_by("-id")


def bill_run_get_for_actor(*, actor: Actor, run_id) -> BillRun:
    try:
        pk = int(run_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    run = bill_run_list(actor=actor).filter(pk=pk).first()
    if run is None:
        raise NotFound()
    return run

"""The collection rate (收缴率): paid ÷ billed for a period, as finance, the manager and the owners' committee read
it (the committee sees aggregates only: per period, building or fee item, never a named house).

Precisely, for a period [start, end] (a month, a quarter or a year) and a cut-off date (default today):

- the bills *of the period* are the estate's bills whose ``period_start`` falls in [start, end] and that were issued
  on or before the cut-off (a one-off or late-fee bill's period starts on its issue day);
- **billed** = Σ their amounts + Σ their adjustments made on or before the cut-off (credits count negative);
- **paid** = Σ the money applied to them on or before the cut-off (payments and prepayment draws; a voided payment's
  negative allocations count against it);
- **rate** = paid ÷ billed × 100, to 0.01 (ROUND_HALF_UP), computed exactly; no rate when nothing was billed.

Per building: the bills of the houses of the building. Per fee item: each bill's adjustments and money applied are
shared among its lines in proportion to the line amounts (a bill is paid as a whole), exactly (fractions), each
item's figures rounded once to the fen; lines without a fee item are "other charges". Totals and per-building
figures are sums in SQL; per item, one pass over the bills of the period.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import Case, Count, DateTimeField, F, Sum, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.errors import Forbidden

from .choices import PERIOD_MONTHS, AllocationSource, PeriodKind
from .errors import invalid
from .late_fees import fen_half_up
from .models import Adjustment, Bill, BillLine, FeeItem, PaymentAllocation
from .policies import BillPolicy

ZERO = Decimal("0.00")
FEN = Decimal("0.01")
GROUPS = ("", "building", "item")


def period_bounds(kind: str, start: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period of ``kind`` that contains ``start``: its month, its calendar quarter, its calendar year."""
    if kind not in PeriodKind.values:
        raise invalid("period", _("is not one of month, quarter, year"))
    months = PERIOD_MONTHS[PeriodKind(kind)]
    first_month = 1 if months == 12 else ((start.month - 1) // months) * months + 1
    first = datetime.date(start.year, first_month, 1)
    month_after = first_month + months
    nxt = datetime.date(first.year + (month_after - 1) // 12, (month_after - 1) % 12 + 1, 1)
    return first, nxt - datetime.timedelta(days=1)


def rate_percent(paid: Decimal, billed: Decimal) -> Decimal | None:
    if billed <= 0:
        return None
    return fen_half_up(Fraction(paid) / Fraction(billed) * 100)


@dataclass
class CollectionRow:
    key: object
    label: str
    billed: Decimal
    paid: Decimal
    bills: int

    @property
    def outstanding(self) -> Decimal:
        return self.billed - self.paid

    @property
    def rate(self) -> Decimal | None:
        return rate_percent(self.paid, self.billed)


@dataclass
class CollectionReport:
    period_kind: str
    period_start: datetime.date
    period_end: datetime.date
    cut_off: datetime.date
    group: str
    building_id: int | None
    total: CollectionRow
    rows: list[CollectionRow]


def allocations_by(cut_off: datetime.date):
    """Money applied by the end of ``cut_off``: a payment's allocations when it was received, a prepayment draw or a
    void's when written."""
    applied = Case(When(source=AllocationSource.PAYMENT, payment__isnull=False, then=F("payment__received_at")),
                   default=F("created_at"), output_field=DateTimeField())
    return PaymentAllocation.objects.annotate(applied_at=applied).filter(applied_at__date__lte=cut_off)


def _bills(estate, start, end, cut_off, building_id):
    qs = Bill.objects.filter(estate=estate, period_start__gte=start, period_start__lte=end,
                             issued_at__date__lte=cut_off)
    if building_id:
        qs = qs.filter(house__building_id=building_id)
    return qs


def _money(value) -> Decimal:
    """A sum from the database as money (SQLite may answer 400 for 400.00)."""
    return Decimal(value or 0).quantize(FEN)


def _sums_by(qs_bills, cut_off, group_field: str | None):
    """billed amounts, bill counts, adjustments and allocations, grouped by ``group_field`` of the bill (None: all)."""
    def grouped(qs, bill_path: str, value: str):
        if group_field is None:
            return {None: _money(qs.aggregate(s=Sum(value))["s"])}
        field = f"{bill_path}{group_field}"
        return {r[field]: _money(r["s"]) for r in qs.values(field).annotate(s=Sum(value)).order_by()}

    bills = qs_bills.values("pk")
    amounts = grouped(qs_bills, "", "amount")
    if group_field is None:
        counts = {None: qs_bills.count()}
    else:
        counts = {r[group_field]: r["n"] for r in qs_bills.values(group_field).annotate(n=Count("id")).order_by()}
    adjustments = grouped(Adjustment.objects.filter(bill__in=bills, created_at__date__lte=cut_off), "bill__",
                          "amount")
    paid = grouped(allocations_by(cut_off).filter(bill__in=bills), "bill__", "amount")
    keys = set(amounts) | set(adjustments) | set(paid)
    return {k: (amounts.get(k, ZERO) + adjustments.get(k, ZERO), paid.get(k, ZERO), counts.get(k, 0)) for k in keys}


def _by_item(estate, qs_bills, cut_off) -> list[CollectionRow]:
    bill_amounts = dict(qs_bills.values_list("pk", "amount"))
    ids = list(bill_amounts)
    adjustments: dict[int, Decimal] = defaultdict(lambda: ZERO)
    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    lines: dict[int, list[tuple[int | None, Decimal]]] = defaultdict(list)
    for start in range(0, len(ids), 500):  # SQLite limits the number of parameters
        chunk = ids[start:start + 500]
        for bill_id, s in (Adjustment.objects.filter(bill_id__in=chunk, created_at__date__lte=cut_off)
                           .values_list("bill_id").annotate(s=Sum("amount")).order_by()):
            adjustments[bill_id] = s
        for bill_id, s in (allocations_by(cut_off).filter(bill_id__in=chunk)
                           .values_list("bill_id").annotate(s=Sum("amount")).order_by()):
            paid[bill_id] = s
        for bill_id, item_id, amount in (BillLine.objects.filter(bill_id__in=chunk)
                                         .values_list("bill_id", "fee_item_id", "amount")):
            lines[bill_id].append((item_id, amount))
    billed_f: dict[int | None, Fraction] = defaultdict(Fraction)
    paid_f: dict[int | None, Fraction] = defaultdict(Fraction)
    bills_n: dict[int | None, set] = defaultdict(set)
    for bill_id, amount in bill_amounts.items():
        for item_id, line_amount in lines.get(bill_id, []):
            bills_n[item_id].add(bill_id)
            billed_f[item_id] += Fraction(line_amount)
            if amount > 0:
                share = Fraction(line_amount) / Fraction(amount)
                billed_f[item_id] += Fraction(adjustments[bill_id]) * share
                paid_f[item_id] += Fraction(paid[bill_id]) * share
    names = dict(FeeItem.objects.filter(estate=estate, pk__in=[k for k in bills_n if k]).values_list("pk", "name"))
    order = {pk: i for i, pk in enumerate(FeeItem.objects.filter(estate=estate).values_list("pk", flat=True))}
    rows = [CollectionRow(key=item_id, label=names.get(item_id) or gettext("Other charges"),
                          billed=fen_half_up(billed_f[item_id]), paid=fen_half_up(paid_f[item_id]),
                          bills=len(bills_n[item_id])) for item_id in bills_n]
    return sorted(rows, key=lambda r: (r.key is None, order.get(r.key, 0)))


def collection_rate(*, actor: Actor, period_kind: str = PeriodKind.MONTH, start: datetime.date | None = None,
                    group: str = "", cut_off: datetime.date | None = None, building_id=None) -> CollectionReport:
    """The collection rate of the period of ``period_kind`` containing ``start`` (default: this month), in all and
    per building (``group="building"``) or per fee item (``group="item"``); ``building_id`` narrows everything to
    one building. See the module's docstring for the exact definition."""
    from gongzhi.estate.models import Building

    if not BillPolicy.can(actor, "report"):
        raise Forbidden()
    if group not in GROUPS:
        raise invalid("group", _("is not one of building, item"))
    today = timezone.localdate()
    first, last = period_bounds(period_kind, start or today)
    cut_off = cut_off or today
    building = None
    if building_id:
        building = Building.objects.filter(estate=actor.estate, pk=building_id).first()
        if building is None:
            raise invalid("building", _("no such building in this estate"))
    qs = _bills(actor.estate, first, last, cut_off, building.pk if building else None)
    billed, paid, count = _sums_by(qs, cut_off, None)[None]
    total = CollectionRow(key=None, label=gettext("All"), billed=billed, paid=paid, bills=count)
    rows: list[CollectionRow] = []
    if group == "building":
        sums = _sums_by(qs, cut_off, "house__building_id")
        buildings = Building.objects.filter(estate=actor.estate, pk__in=[k for k in sums if k])
        rows = [CollectionRow(key=b.pk, label=b.name, billed=sums[b.pk][0], paid=sums[b.pk][1], bills=sums[b.pk][2])
                for b in buildings.order_by("sort_key", "name")]
    elif group == "item":
        rows = _by_item(actor.estate, qs, cut_off)
    return CollectionReport(period_kind=period_kind, period_start=first, period_end=last, cut_off=cut_off,
                            group=group, building_id=building.pk if building else None, total=total, rows=rows)

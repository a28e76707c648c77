"""Bill computation, pure: house facts and fee rules in, bill lines with their explanation out. No database here;
``gongzhi.billing.runs`` loads the facts and stores what this returns.

Conventions (docs/billing/bill-runs.md):

- Months. A period is cut at month boundaries; in each calendar month the payer is charged
  ``days held / days in that month`` of a month (a leap February has 29 days, so one day of it is 1/29 of a
  month). A whole month is exactly 1, so a monthly bill of a house held all month is ``area × rate × 1``.
- Proration. A rate change, a move-in, a move-out or a sale inside the period splits the period into segments;
  each segment of each fee item is its own line, with its days.
- Rounding. Each line is rounded to 0.01 yuan, ROUND_HALF_UP; a bill's amount is the sum of its rounded lines.
- Discounts (vacant house, exemption) are their own negative line under the line they reduce, with the percent
  and the base in ``basis``, so the resident sees the full price and what was taken off.
- Metered fees price the consumption of the bill (the readings taken inside the period) by tiers: a reading
  that crosses a tier is split at the tier bound, each part at its own price, in one line.
"""

import datetime
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from gongzhi.estate.choices import HouseStatus, ResidencyKind

from .choices import PERIODIC_KINDS, DiscountKind, FeeKind, PayerKind

FEN = Decimal("0.01")
ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")
DAY = datetime.timedelta(days=1)
DEVELOPER_KEY = "developer"
# JSON as stored in ``BillLine.basis`` (the bulk writer encodes it once; the ORM reads it back the same).
dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def money(value: Decimal) -> Decimal:
    """A yuan amount to the fen, half up (the rule for every line)."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def fmt(value: Decimal, places: int = 2) -> str:
    """A number as printed on a bill: ``places`` decimals, half up."""
    return str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def month_end(day: datetime.date) -> datetime.date:
    nxt = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - DAY


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def days_in_month(day: datetime.date) -> int:
    return month_end(day).day


# --- who pays ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Holding:
    """A residency that can make someone the payer: an owner, a co-owner or a tenant, with its dates (inclusive;
    None is open)."""

    kind: str
    person_id: int
    name: str
    representative: bool = False
    start: datetime.date | None = None
    end: datetime.date | None = None

    def covers(self, day: datetime.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or self.end >= day)


@dataclass(frozen=True, slots=True)
class Payer:
    """Who a bill is for over ``start``..``end`` (inclusive): ``key`` is "person:<id>" or "developer"."""

    key: str
    kind: str
    person_id: int | None
    name: str
    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class PayerRules:
    """The estate's rules that decide who pays (``fees.tenant_pays``, ``fees.developer_name``)."""

    tenant_pays: bool = False
    developer_name: str = ""

    @classmethod
    def of(cls, estate) -> "PayerRules":
        rules = estate.rules()
        return cls(tenant_pays=bool(rules.get("fees.tenant_pays", False)),
                   developer_name=str(rules.get("fees.developer_name", "") or _("Developer")))


_OWNER_ORDER = {ResidencyKind.OWNER: 0, ResidencyKind.CO_OWNER: 1}


def _payer_on(day: datetime.date, holdings: Sequence[Holding], rules: PayerRules) -> tuple[str, str, int | None, str]:
    if len(holdings) == 1 and not rules.tenant_pays:  # the common house: one owner
        h = holdings[0]
        if h.kind in _OWNER_ORDER and h.covers(day):
            return f"person:{h.person_id}", PayerKind.OWNER, h.person_id, h.name
    if rules.tenant_pays:
        tenants = [h for h in holdings if h.kind == ResidencyKind.TENANT and h.covers(day)]
        if tenants:
            t = min(tenants, key=lambda h: (not h.representative, h.start or datetime.date.min, h.person_id))
            return f"person:{t.person_id}", PayerKind.TENANT, t.person_id, t.name
    owners = [h for h in holdings if h.kind in _OWNER_ORDER and h.covers(day)]
    if owners:
        # Co-owners get one bill, addressed to their representative (else the owner before the co-owners).
        o = min(owners, key=lambda h: (not h.representative, _OWNER_ORDER[h.kind], h.person_id))
        return f"person:{o.person_id}", PayerKind.OWNER, o.person_id, o.name
    return DEVELOPER_KEY, PayerKind.DEVELOPER, None, rules.developer_name


def payer_segments(*, holdings: Sequence[Holding], start: datetime.date, end: datetime.date, rules: PayerRules,
                   developer_held: bool = False, status: str = "") -> list[Payer]:
    """Who pays which days of ``start``..``end``, in order, adjacent days of one payer merged.

    - a house the developer holds (``developer_held``) or has not sold (status unsold, nobody owning it) bills the
      developer (``fees.developer_name``);
    - the tenant pays on the days a tenant lives there when the estate's ``fees.tenant_pays`` is on;
    - otherwise the owner: the co-owners' representative, else the owner; a sale inside the period gives two
      payers, each for the days they held the house;
    - days on which the registry shows no owner are the developer's (it holds the house until a buyer is
      registered)."""
    if developer_held or (status == HouseStatus.UNSOLD and not any(h.kind in _OWNER_ORDER for h in holdings)):
        return [Payer(DEVELOPER_KEY, PayerKind.DEVELOPER, None, rules.developer_name, start, end)]
    if len(holdings) == 1:  # the common house: one owner (no generator to set up)
        h = holdings[0]
        steady = (h.start is None or h.start <= start) and (h.end is None or h.end >= end)
    else:
        steady = all((h.start is None or h.start <= start) and (h.end is None or h.end >= end) for h in holdings)
    if steady:
        # nobody moves in or out inside the period (the common house): one payer, no cuts to sort
        key, kind, person_id, name = _payer_on(start, holdings, rules)
        return [Payer(key, kind, person_id, name, start, end)]
    cuts = {start}
    for h in holdings:
        if h.start is not None and start < h.start <= end:
            cuts.add(h.start)
        if h.end is not None and start <= h.end < end:
            cuts.add(h.end + DAY)
    bounds = sorted(cuts)
    out: list[Payer] = []
    for i, seg_start in enumerate(bounds):
        seg_end = bounds[i + 1] - DAY if i + 1 < len(bounds) else end
        key, kind, person_id, name = _payer_on(seg_start, holdings, rules)
        if out and out[-1].key == key:
            prev = out[-1]
            out[-1] = Payer(prev.key, prev.kind, prev.person_id, prev.name, prev.start, seg_end)
        else:
            out.append(Payer(key, kind, person_id, name, seg_start, seg_end))
    return out


def payer_for(*, holdings: Sequence[Holding], day: datetime.date, rules: PayerRules, developer_held: bool = False,
              status: str = "") -> Payer:
    """The payer on ``day`` (a one-off charge is billed to whoever pays on the day it is issued)."""
    return payer_segments(holdings=holdings, start=day, end=day, rules=rules, developer_held=developer_held,
                          status=status)[0]


# --- months --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Span:
    """Days ``first``..``last`` (inclusive) counted in months: in each calendar month, days held / days in that
    month. ``months`` is exact; ``label`` is how a bill prints it ("1", "3", "14/30", "17/31 + 1")."""

    first: datetime.date
    last: datetime.date
    months: Fraction
    label: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def span(first: datetime.date, last: datetime.date) -> Span:
    parts: list[tuple[int, int]] = []
    day = first
    while day <= last:
        end = min(month_end(day), last)
        parts.append(((end - day).days + 1, days_in_month(day)))
        day = end + DAY
    labels: list[str] = []
    whole = 0
    for held, length in parts:
        if held == length:
            whole += 1
            continue
        if whole:
            labels.append(str(whole))
            whole = 0
        labels.append(f"{held}/{length}")
    if whole:
        labels.append(str(whole))
    return Span(first, last, sum((Fraction(d, m) for d, m in parts), Fraction(0)), " + ".join(labels) or "0")


def money_of(value: Fraction) -> Decimal:
    """An exact fraction of a yuan to the fen, half up (away from zero on .5)."""
    n, d = value.numerator * 100, value.denominator
    fen = (2 * abs(n) + d) // (2 * d)
    return Decimal(fen if n >= 0 else -fen).scaleb(-2)


def times_months(base: Decimal, months: Fraction) -> Decimal:
    """``base × months`` to the fen: Decimal when the months are whole, exact fractions otherwise."""
    if months.denominator == 1:
        return money(base * months.numerator)
    return money_of(Fraction(base) * months)


def rate_text(rate: Decimal) -> str:
    """A rate as printed: two decimals, more only when the rate has them (0.3500 → 0.35, 1.2345 → 1.2345)."""
    text = f"{rate.normalize():f}"
    whole, _dot, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


# --- facts in, lines out -------------------------------------------------------------------------------------------
@dataclass(slots=True)
class HouseFacts:
    """What the engine knows of a house for one period. ``spaces``: (label, status) of the parking spaces attached
    to it; ``consumption``: meter kind → ``meters.Consumption`` of the period."""

    id: int
    code: str
    kind: str
    area: Decimal
    status: str = ""
    developer_held: bool = False
    holdings: Sequence[Holding] = ()
    spaces: Sequence[tuple[str, str]] = ()
    consumption: dict = field(default_factory=dict)


@dataclass(slots=True)
class LineOut:
    fee_item_id: int | None
    description: str
    quantity: Decimal
    unit: str
    rate: Decimal
    amount: Decimal
    explanation: str
    basis: dict
    ledger_code: str
    reading_id: int | None = None
    sort: int = 0
    basis_json: str = ""  # ``basis`` already encoded (the writer uses it when set)


@dataclass(slots=True)
class _Prep:
    name: str
    rate: Decimal
    rate_text: str
    label: str
    months: Fraction
    whole: int | None
    basis: dict
    json_head: str
    quantity: Decimal
    fixed: Decimal
    fixed_text: str
    # area (as text) → (amount, explanation, basis, basis JSON) of an area line: houses of one area share them
    areas: dict = field(default_factory=dict)


@dataclass(slots=True)
class BillOut:
    house_id: int
    payer: Payer
    lines: list[LineOut]
    amount: Decimal


@dataclass(slots=True)
class _Item:
    id: int
    name: str
    kind: str
    ledger_code: str
    meter_kind: str
    rules: list
    sort_key: tuple = ()


@dataclass(frozen=True, slots=True)
class Tier:
    up_to: Decimal | None
    price: Decimal


def tiers_of(rule) -> list[Tier]:
    """A rule's tiers in order; a flat rate when it has none. The last tier is open whatever its bound says."""
    rows = [Tier(None if t.get("up_to") in (None, "") else Decimal(str(t["up_to"])), Decimal(str(t["price"])))
            for t in (rule.tiers or [])]
    if not rows:
        return [Tier(None, rule.rate)]
    rows[-1] = Tier(None, rows[-1].price)
    return rows


def price_tiers(quantity: Decimal, tiers: Sequence[Tier]) -> list[tuple[Decimal, Decimal]]:
    """``quantity`` cut at the tier bounds: [(part, price), ...]. 12.40 with a tier up to 10 at 3.50 then 4.20
    gives [(10, 3.50), (2.40, 4.20)]. Zero gives one part of zero at the first price."""
    if quantity <= 0:
        return [(ZERO, tiers[0].price)]
    parts: list[tuple[Decimal, Decimal]] = []
    below = ZERO
    for tier in tiers:
        top = quantity if tier.up_to is None else min(quantity, tier.up_to)
        if top > below:
            parts.append((top - below, tier.price))
        if tier.up_to is None or quantity <= tier.up_to:
            break
        below = tier.up_to
    return parts


class Tariff:
    """The fee items, rules and discounts of one period, prepared once per run: rule segments and month counts are
    computed once per (item, house kind, space status), so pricing a house is a few multiplications.

    ``rules`` come from ``rules.rules_in_force`` (with ``fee_item`` loaded), ``discounts`` from
    ``rules.discounts_in_force``. Explanations are rendered in the language active when the tariff is made."""

    def __init__(self, *, rules: Iterable, discounts: Iterable = (), start: datetime.date, end: datetime.date,
                 payer_rules: PayerRules):
        from .rules import rule_segments

        self._rule_segments = rule_segments
        self.start, self.end, self.payer_rules = start, end, payer_rules
        items: dict[int, _Item] = {}
        for rule in rules:
            fi = rule.fee_item
            if fi.kind not in PERIODIC_KINDS and fi.kind != FeeKind.METERED:
                continue
            item = items.get(fi.pk)
            if item is None:
                item = items[fi.pk] = _Item(fi.pk, fi.name, fi.kind, fi.ledger_code, fi.meter_kind, [],
                                            (fi.sort_key, fi.pk))
            item.rules.append(rule)
        self.items = sorted(items.values(), key=lambda i: i.sort_key)
        self.discounts = [d for d in discounts if d.kind in (DiscountKind.VACANT, DiscountKind.EXEMPTION)]
        self._has_vacant = any(d.kind == DiscountKind.VACANT for d in self.discounts)
        self._exempt = {d.house_id for d in self.discounts if d.kind == DiscountKind.EXEMPTION}
        self._segments: dict[tuple[int, str, str], list[tuple[object, Span, _Prep]]] = {}
        self._spans: dict[tuple[datetime.date, datetime.date], Span] = {}
        self._rates: dict[int, str] = {}
        self._tiers: dict[int, list[Tier]] = {}
        self._preps: dict[tuple, _Prep] = {}
        self._discount_lines: dict[tuple, tuple] = {}
        self.t_area = _("%(area)s m² × %(rate)s yuan/m²/month × %(months)s months = %(amount)s yuan")
        self.t_fixed = _("%(rate)s yuan/month × %(months)s months = %(amount)s yuan")
        self.t_parking = _("Space %(space)s: %(rate)s yuan/month × %(months)s months = %(amount)s yuan")
        self.t_metered = _("Readings %(readings)s: %(parts)s = %(amount)s yuan")
        self.t_part = _("%(quantity)s %(unit)s × %(price)s")
        self.t_discount = _("%(discount)s: %(percent)s%% of %(base)s yuan = −%(off)s yuan")
        self.t_dates = _("%(name)s (%(first)s to %(last)s)")
        self.unit_month = _("months")
        self.discount_names = {DiscountKind.VACANT: _("Vacant house discount"),
                               DiscountKind.EXEMPTION: _("Exemption")}

    # prepared pieces
    def segments(self, item: _Item, house_kind: str, space_status: str) -> list[tuple[object, Span, "_Prep"]]:
        """(rule, span, what its lines share) of each segment of the period for this item, kind and status."""
        key = (item.id, house_kind, space_status)
        found = self._segments.get(key)
        if found is None:
            found = self._segments[key] = [
                (rule, span_, self._prep(item, rule, span_))
                for rule, first, last in self._rule_segments(item.rules, item.id, house_kind, space_status,
                                                             self.start, self.end)
                for span_ in (self.span(first, last),)]
        return found

    def span(self, first: datetime.date, last: datetime.date) -> Span:
        found = self._spans.get((first, last))
        if found is None:
            found = self._spans[(first, last)] = span(first, last)
        return found

    def rate(self, rule) -> str:
        text = self._rates.get(rule.pk)
        if text is None:
            text = self._rates[rule.pk] = rate_text(rule.rate)
        return text

    def discount_for(self, item: _Item, house: HouseFacts, day: datetime.date):
        """The largest vacant or exemption discount on ``item`` for the house on ``day`` (they do not stack)."""
        best = None
        for d in self.discounts:
            if d.fee_item_id is not None and d.fee_item_id != item.id:
                continue
            if d.effective_from > day or (d.effective_to is not None and d.effective_to < day):
                continue
            if d.kind == DiscountKind.VACANT and house.status != HouseStatus.VACANT:
                continue
            if d.kind == DiscountKind.EXEMPTION and d.house_id != house.id:
                continue
            if best is None or d.percent > best.percent:
                best = d
        return best

    # pricing
    def bills(self, house: HouseFacts) -> list[BillOut]:
        """The house's bills for the period: one per payer that has lines, lines in fee-item order."""
        payers = payer_segments(holdings=house.holdings, start=self.start, end=self.end, rules=self.payer_rules,
                                developer_held=house.developer_held, status=house.status)
        by_key: dict[str, list[LineOut]] = {}
        first_payer: dict[str, Payer] = {}
        for p in payers:
            first_payer.setdefault(p.key, p)
        whole = len(payers) == 1
        for item in self.items:
            if item.kind == FeeKind.METERED:
                used = house.consumption.get(item.meter_kind)
                if used is not None:
                    payer, line = self._metered(item, house, used, payers)
                    if line is not None:
                        by_key.setdefault(payer.key, []).append(line)
                continue
            targets = house.spaces if item.kind == FeeKind.PARKING else (("", ""),)
            for space_label, space_status in targets:
                for rule, seg, seg_prep in self.segments(item, house.kind, space_status):
                    for p in payers:
                        if whole:
                            part, prep = seg, seg_prep
                        else:
                            first, last = max(seg.first, p.start), min(seg.last, p.end)
                            if first > last:
                                continue
                            if (first, last) == (seg.first, seg.last):
                                part, prep = seg, seg_prep
                            else:
                                part = self.span(first, last)
                                prep = self._prep(item, rule, part)
                        lines = by_key.setdefault(p.key, [])
                        base = self._periodic(item, house, prep, space_label)
                        lines.append(base)
                        if (self._has_vacant and house.status == HouseStatus.VACANT) or house.id in self._exempt:
                            d = self.discount_for(item, house, part.first)
                            if d is not None:
                                lines.append(self._discount(item, d, base))
        out = []
        for key, lines in by_key.items():
            for i, line in enumerate(lines):
                line.sort = i
            out.append(BillOut(house.id, first_payer[key], lines, sum((ln.amount for ln in lines), ZERO)))
        return out

    def _prep(self, item: _Item, rule, part: Span) -> "_Prep":
        """What every line of ``item`` priced by ``rule`` over ``part`` shares, computed once per run."""
        key = (item.id, rule.pk, part.first, part.last)
        prep = self._preps.get(key)
        if prep is not None:
            return prep
        months = part.months
        partial = part.first != self.start or part.last != self.end
        name = item.name if not partial else self.t_dates % {
            "name": item.name, "first": part.first.isoformat(), "last": part.last.isoformat()}
        basis = {"kind": item.kind, "rate": str(rule.rate), "months": part.label, "days": part.days,
                 "from": part.first.isoformat(), "to": part.last.isoformat(), "rule": rule.pk}
        quantity = Decimal(months.numerator) if months.denominator == 1 else \
            (Decimal(months.numerator) / Decimal(months.denominator)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        fixed = times_months(rule.rate, months) if item.kind != FeeKind.AREA else ZERO
        prep = self._preps[key] = _Prep(
            name=name[:120], rate=rule.rate, rate_text=self.rate(rule), label=part.label, months=months,
            whole=months.numerator if months.denominator == 1 else None, basis=basis,
            json_head=dumps(basis)[:-1], quantity=quantity, fixed=fixed,
            fixed_text=(self.t_fixed % {"rate": self.rate(rule), "months": part.label, "amount": str(fixed)})[:400])
        return prep

    def _periodic(self, item: _Item, house: HouseFacts, prep: "_Prep", space: str) -> LineOut:
        if item.kind == FeeKind.AREA:
            area = house.area
            area_key = str(area)
            done = prep.areas.get(area_key)
            if done is None:
                base = area * prep.rate
                amount = money(base * prep.whole) if prep.whole is not None else \
                    money_of(Fraction(base) * prep.months)
                text = self.t_area % {"area": fmt(area), "rate": prep.rate_text, "months": prep.label,
                                      "amount": str(amount)}
                done = prep.areas[area_key] = (amount, text[:400], {**prep.basis, "area": area_key},
                                               f'{prep.json_head}, "area": "{area_key}"}}')
            amount, text, basis, basis_json = done
            return LineOut(item.id, prep.name, area, "m²", prep.rate, amount, text, basis, item.ledger_code,
                           basis_json=basis_json)
        if item.kind == FeeKind.PARKING:
            text = self.t_parking % {"space": space, "rate": prep.rate_text, "months": prep.label,
                                     "amount": str(prep.fixed)}
            return LineOut(item.id, f"{prep.name} {space}"[:120], prep.quantity, self.unit_month, prep.rate, prep.fixed,
                           text[:400], {**prep.basis, "space": space}, item.ledger_code)
        return LineOut(item.id, prep.name, prep.quantity, self.unit_month, prep.rate, prep.fixed, prep.fixed_text,
                       prep.basis, item.ledger_code, basis_json=prep.json_head + "}")

    def _discount(self, item: _Item, d, base: LineOut) -> LineOut:
        key = (item.id, d.pk, str(base.amount))
        done = self._discount_lines.get(key)
        if done is None:
            off = money(base.amount * d.percent / HUNDRED)
            name = self.discount_names.get(d.kind, d.kind)
            text = self.t_discount % {"discount": name, "percent": fmt(d.percent), "base": fmt(base.amount),
                                      "off": fmt(off)}
            basis = {"kind": "discount", "discount": d.pk, "discount_kind": d.kind, "percent": str(d.percent),
                     "base": str(base.amount)}
            done = self._discount_lines[key] = (f"{name} · {item.name}"[:120], -off, text[:400], basis, dumps(basis))
        description, amount, text, basis, basis_json = done
        return LineOut(item.id, description, d.percent, "%", base.amount, amount, text, basis, item.ledger_code,
                       basis_json=basis_json)

    def _metered(self, item: _Item, house: HouseFacts, used, payers: list[Payer]) -> tuple[Payer, LineOut | None]:
        last_day = max((s.to_on for s in used.spans), default=self.end)
        last_day = min(max(last_day, self.start), self.end)
        payer = next((p for p in payers if p.start <= last_day <= p.end), payers[-1])
        from .rules import rule_for

        rule = rule_for(item.rules, item.id, house.kind, "", last_day)
        if rule is None:
            return payer, None
        tiers = self._tiers.get(rule.pk)
        if tiers is None:
            tiers = self._tiers[rule.pk] = tiers_of(rule)
        parts = price_tiers(used.quantity, tiers)
        amount = money(sum((q * p for q, p in parts), ZERO))
        unit = used.unit
        readings = " + ".join(f"{fmt(s.from_value)} → {fmt(s.to_value)}" for s in used.spans) or \
            f"{fmt(used.from_value)} → {fmt(used.to_value)}"
        text = self.t_metered % {
            "readings": readings, "amount": fmt(amount),
            "parts": " + ".join(self.t_part % {"quantity": fmt(q), "unit": unit, "price": rate_text(p)}
                                for q, p in parts)}
        basis = {"kind": item.kind, "rule": rule.pk, "quantity": str(used.quantity), "unit": unit,
                 "tiers": [{"quantity": str(q), "price": str(p)} for q, p in parts],
                 "spans": [{"meter": s.meter_id, "serial": s.serial, "from": str(s.from_value),
                            "to": str(s.to_value), "from_on": s.from_on.isoformat(), "to_on": s.to_on.isoformat()}
                           for s in used.spans]}
        return payer, LineOut(item.id, item.name[:120], used.quantity, unit, parts[0][1], amount, text[:400], basis,
                              item.ledger_code, reading_id=used.reading_id)


# --- prepayment discount -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PrepaymentDiscount:
    """What paying ``months`` months ahead earns: the best prepayment discount whose minimum the months reach
    (None when none does), the periodic fees of those months (``base``) and the amount off."""

    months: int
    discount_id: int | None
    percent: Decimal
    base: Decimal
    amount: Decimal


def prepayment_discount(estate, house, months: int, *, start: datetime.date | None = None) -> PrepaymentDiscount:
    """The prepayment discount for paying ``months`` whole months of ``house``'s periodic fees in advance, from
    ``start`` (default: the first day of next month), priced with the rules in force then. Metered fees are not
    prepaid (their amount is not known). Reads the rules and discounts; writes nothing."""
    from django.utils import timezone

    from .rules import discounts_in_force, rules_in_force

    months = int(months)
    first = start or add_months(timezone.localdate(), 1)
    if months < 1:
        return PrepaymentDiscount(months, None, ZERO, ZERO, ZERO)
    last = add_months(first, months) - DAY
    candidates = [d for d in discounts_in_force(estate=estate, start=first, end=first)
                  if d.kind == DiscountKind.PREPAYMENT and (d.months or 0) <= months]
    tariff = Tariff(rules=[r for r in rules_in_force(estate=estate, start=first, end=last)
                           if r.fee_item.kind in PERIODIC_KINDS],
                    start=first, end=last, payer_rules=PayerRules())
    facts = HouseFacts(id=house.pk, code="", kind=house.kind, area=house.area_m2, status=house.status,
                       spaces=[(str(s), s.status) for s in house.parking_spaces.select_related("lot")])
    lines = [ln for bill in tariff.bills(facts) for ln in bill.lines]
    best = None
    for d in candidates:
        if best is None or d.percent > best.percent:
            best = d
    if best is None:
        return PrepaymentDiscount(months, None, ZERO, sum((ln.amount for ln in lines), ZERO), ZERO)
    eligible = [ln.amount for ln in lines if best.fee_item_id is None or ln.fee_item_id == best.fee_item_id]
    base = sum(eligible, ZERO)
    return PrepaymentDiscount(months, best.pk, best.percent, base, money(base * best.percent / HUNDRED))

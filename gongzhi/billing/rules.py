"""Fee items, the rules that price them, and discounts (DOMAIN.md, Money; DESIGN.md habits 1-3): the only writers
of ``FeeItem``, ``FeeRule`` and ``Discount`` rows, and the reads the bill-run engine and the pages use.

Rules of one fee item for one (house kind, parking-space status) pair never overlap: a new rule starting on D ends
the open one on D − 1; any other overlap is refused. Issued bills keep the rate they were computed with on their
lines, so a new rule never rewrites them (it only prices bills issued from then on).

Everyone in the estate may read fee items, rules and discounts: fee items and rates are owed to the owners
(Civil Code art. 943). Finance and the manager change them (``FeeRulePolicy``).
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, Forbidden, NotFound, Reason
from gongzhi.estate.choices import HouseKind, SpaceStatus

from .choices import DiscountKind, FeeKind, LedgerCode, MeterKind
from .errors import invalid
from .models import Discount, FeeItem, FeeRule
from .policies import FeeRulePolicy

DAY = datetime.timedelta(days=1)
MAX_RATE = Decimal("100000")
RATE_STEP = Decimal("0.0001")
MAX_TIERS = 10
PERCENT_STEP = Decimal("0.01")
MAX_MONTHS = 120
# What a one-off item's income is booked to: a decoration deposit is held for the owner (2202), not income.
ONE_OFF_LEDGER_CODES = frozenset({LedgerCode.DEPOSIT, LedgerCode.OTHER})
ITEM_FIELDS = ["code", "name", "kind", "meter_kind", "ledger_code", "late_fee", "active", "sort_key"]
RULE_FIELDS = ["fee_item_id", "house_kind", "space_status", "rate", "tiers", "effective_from", "effective_to", "note"]
DISCOUNT_FIELDS = ["kind", "fee_item_id", "house_id", "percent", "months", "effective_from", "effective_to", "reason"]


# --- reads for the bill-run engine -------------------------------------------------------------------------------
def rules_in_force(*, estate, start: datetime.date, end: datetime.date) -> list[FeeRule]:
    """Every rule of the estate's ACTIVE fee items whose effective range meets [start, end] (both inclusive), with
    its ``fee_item`` loaded, in one query; ordered by item, house kind, space status, effective_from.

    Pass the result to ``rule_for`` (or ``rule_segments``) for each house and day."""
    return list(FeeRule.objects.filter(estate=estate, fee_item__active=True, effective_from__lte=end)
                .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=start))
                .select_related("fee_item")
                .order_by("fee_item__sort_key", "fee_item_id", "house_kind", "space_status", "effective_from", "id"))


def _covers(rule: FeeRule, day: datetime.date) -> bool:
    return rule.effective_from <= day and (rule.effective_to is None or day <= rule.effective_to)


def rule_for(rules: Iterable[FeeRule], item, house_kind: str, space_status: str,
             day: datetime.date) -> FeeRule | None:
    """The rule that prices ``item`` (a ``FeeItem`` or its id) on ``day`` for a house of ``house_kind`` (and, for
    per-space fees, a parking space of ``space_status``; pass "" when it does not apply), or None.

    Pure: it reads only ``rules`` (from ``rules_in_force``). A rule applies on ``day`` when
    ``effective_from <= day <= effective_to`` (both ends inclusive; an empty ``effective_to`` is open-ended).
    Among the rules that apply, a rule naming the house kind beats one that leaves it empty ("every kind without
    a rule of its own"), and likewise for the space status; the house kind weighs more than the space status. A
    rule naming another kind or status never applies. Rules of one (item, kind, status) never overlap (the services
    refuse it), so at most one rule is the most specific."""
    item_id = getattr(item, "pk", item)
    best: FeeRule | None = None
    best_score = -1
    for rule in rules:
        if rule.fee_item_id != item_id or not _covers(rule, day):
            continue
        if rule.house_kind and rule.house_kind != house_kind:
            continue
        if rule.space_status and rule.space_status != space_status:
            continue
        score = (2 if rule.house_kind else 0) + (1 if rule.space_status else 0)
        if score > best_score:
            best, best_score = rule, score
    return best


def rule_segments(rules: Sequence[FeeRule], item, house_kind: str, space_status: str, start: datetime.date,
                  end: datetime.date) -> list[tuple[FeeRule, datetime.date, datetime.date]]:
    """``[start, end]`` cut into the runs of days priced by one rule each: ``[(rule, first day, last day), ...]``
    in date order, leaving out the days no rule prices. A rate change mid-period gives two segments (the bill
    prorates each by its days). Pure; ``rule_for`` decides each day, and only rule boundaries are probed, so the
    cost is the number of rules, not of days."""
    item_id = getattr(item, "pk", item)
    cuts = {start}
    for rule in rules:
        if rule.fee_item_id != item_id:
            continue
        if start < rule.effective_from <= end:
            cuts.add(rule.effective_from)
        if rule.effective_to is not None and start <= rule.effective_to < end:
            cuts.add(rule.effective_to + DAY)
    bounds = sorted(cuts)
    segments: list[tuple[FeeRule, datetime.date, datetime.date]] = []
    for i, first in enumerate(bounds):
        last = bounds[i + 1] - DAY if i + 1 < len(bounds) else end
        rule = rule_for(rules, item_id, house_kind, space_status, first)
        if rule is None:
            continue
        if segments and segments[-1][0] is rule and segments[-1][2] + DAY == first:
            segments[-1] = (rule, segments[-1][1], last)
        else:
            segments.append((rule, first, last))
    return segments


def discounts_in_force(*, estate, start: datetime.date, end: datetime.date) -> list[Discount]:
    """Every discount of the estate whose effective range meets [start, end] (both inclusive), with ``fee_item``
    loaded (None: every item), in one query; ordered by kind, then effective_from. The engine decides which
    apply to a house (vacant: the house's status; exemption: ``house_id``; prepayment: months paid in advance)."""
    return list(Discount.objects.filter(estate=estate, effective_from__lte=end)
                .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=start))
                .select_related("fee_item").order_by("kind", "effective_from", "id"))


def discount_applies(discount: Discount, *, item, house_id: int, vacant: bool, months_prepaid: int = 0,
                     day: datetime.date) -> bool:
    """Whether ``discount`` takes its percent off ``item`` for the house on ``day`` (pure): vacant discounts apply
    to vacant houses, an exemption to its house, a prepayment discount when ``months_prepaid >= months``."""
    item_id = getattr(item, "pk", item)
    if discount.fee_item_id is not None and discount.fee_item_id != item_id:
        return False
    if not (discount.effective_from <= day and (discount.effective_to is None or day <= discount.effective_to)):
        return False
    if discount.kind == DiscountKind.VACANT:
        return vacant
    if discount.kind == DiscountKind.EXEMPTION:
        return discount.house_id == house_id
    if discount.kind == DiscountKind.PREPAYMENT:
        return months_prepaid >= (discount.months or 0) > 0
    return False


# --- reads for the pages and the API -----------------------------------------------------------------------------
def fee_item_list(*, actor: Actor, active: bool | None = None) -> QuerySet:
    """The estate's fee items the actor may see, in display order."""
    qs = FeeItem.objects.restrict(actor, "view")
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("sort_key", "id")


def fee_item_get_for_actor(*, actor: Actor, fee_item_id) -> FeeItem:
    """One fee item; 404 alike for missing, another estate's, or an actor who may not see it."""
    item = FeeItem.objects.restrict(actor, "view").filter(pk=fee_item_id).first()
    if item is None:
        raise NotFound()
    return item


def fee_rule_list(*, actor: Actor, fee_item: FeeItem) -> QuerySet:
    return FeeRule.objects.restrict(actor, "view").filter(fee_item=fee_item).order_by(
        "house_kind", "space_status", "-effective_from", "-id")


def fee_rule_get_for_actor(*, actor: Actor, rule_id) -> FeeRule:
    rule = FeeRule.objects.restrict(actor, "view").select_related("fee_item").filter(pk=rule_id).first()
    if rule is None:
        raise NotFound()
    return rule


def discount_list(*, actor: Actor, current_on: datetime.date | None = None) -> QuerySet:
    qs = Discount.objects.restrict(actor, "view").select_related("fee_item", "house__building", "house__unit")
    if current_on is not None:
        qs = qs.filter(effective_from__lte=current_on).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=current_on))
    return qs.order_by("-effective_from", "-id")


def discount_get_for_actor(*, actor: Actor, discount_id) -> Discount:
    discount = Discount.objects.restrict(actor, "view").select_related("fee_item", "house").filter(
        pk=discount_id).first()
    if discount is None:
        raise NotFound()
    return discount


@dataclass(frozen=True)
class RateRow:
    """One line of the disclosure (art. 943): an item, whom it applies to, the price now and the next change."""

    item: FeeItem
    rule: FeeRule
    upcoming: bool  # starts after the day asked about


def rates_disclosed(*, actor: Actor, day: datetime.date) -> list[RateRow]:
    """The "fee items and rates" every member may read: each active item's rules in force on ``day`` and those
    announced to start later, two queries at most (one, in fact)."""
    if not FeeRulePolicy.can(actor, "view"):
        return []
    rules = (FeeRule.objects.restrict(actor, "view").filter(fee_item__active=True)
             .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
             .select_related("fee_item")
             .order_by("fee_item__sort_key", "fee_item_id", "house_kind", "space_status", "effective_from", "id"))
    return [RateRow(item=r.fee_item, rule=r, upcoming=r.effective_from > day) for r in rules]


# --- input -------------------------------------------------------------------------------------------------------
def _check(actor: Actor, action: str) -> None:
    if not FeeRulePolicy.can(actor, action):
        raise Forbidden()


def _decimal(value, field: str) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field, _("not a number")) from None
    if not number.is_finite():
        raise invalid(field, _("not a number"))
    return number


def parse_rate(value, field: str = "rate") -> Decimal:
    """A price in yuan: 0 ≤ rate ≤ 100,000, at most four decimals."""
    rate = _decimal(value, field)
    if rate < 0:
        raise invalid(field, _("may not be negative"))
    if rate > MAX_RATE:
        raise invalid(field, Reason(_("is larger than any real price (at most %(max)s)"), max=MAX_RATE))
    if rate != rate.quantize(RATE_STEP):
        raise invalid(field, _("at most four decimals"))
    return rate.quantize(RATE_STEP)


def parse_tiers(value, field: str = "tiers") -> list[dict]:
    """Step prices (阶梯价) as stored: ``[{"up_to": "10", "price": "3.5000"}, ..., {"up_to": None, "price": ...}]``.

    At most 10 steps; ``up_to`` strictly ascending and positive; the last step open (``up_to`` empty); prices as
    rates (0 ≤ price ≤ 100,000, four decimals). Empty means the flat rate."""
    if value in (None, "", []):
        return []
    if not isinstance(value, list | tuple):
        raise invalid(field, _("must be a list of steps"))
    if len(value) > MAX_TIERS:
        raise invalid(field, Reason(_("at most %(max)s steps"), max=MAX_TIERS))
    tiers: list[dict] = []
    previous: Decimal | None = None
    for position, step in enumerate(value, start=1):
        if not isinstance(step, dict):
            raise invalid(field, Reason(_("step %(n)s is not a step"), n=position))
        last = position == len(value)
        up_to = step.get("up_to")
        if up_to in (None, ""):
            if not last:
                raise invalid(field, Reason(_("only the last step may be open-ended (step %(n)s)"), n=position))
            bound = None
        else:
            if last:
                raise invalid(field, _("the last step must be open-ended (no upper bound)"))
            bound = _decimal(up_to, field)
            if bound <= 0 or bound != bound.quantize(RATE_STEP) or bound > Decimal("1000000000"):
                raise invalid(field, Reason(_("step %(n)s: the upper bound must be a positive number"), n=position))
            if previous is not None and bound <= previous:
                raise invalid(field, Reason(_("step %(n)s: the upper bounds must be ascending"), n=position))
            previous = bound
        price = parse_rate(step.get("price"), field)
        tiers.append({"up_to": None if bound is None else str(bound.quantize(RATE_STEP)), "price": str(price)})
    return tiers


def _date(value, field: str) -> datetime.date:
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise invalid(field, _("not a date")) from None
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise invalid(field, _("not a date"))
    return value


def _optional_date(value, field: str) -> datetime.date | None:
    return None if value in (None, "") else _date(value, field)


def _text(value, field: str, limit: int, *, required: bool = False) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise invalid(field, _("is required"))
    if len(text) > limit:
        raise invalid(field, Reason(_("is too long (at most %(max)s characters)"), max=limit))
    return text


def _choice(value, choices, field: str, *, blank: bool = False) -> str:
    value = (value or "").strip()
    if blank and not value:
        return ""
    if value not in choices.values:
        raise invalid(field, _("not one of the choices"))
    return value


# --- fee items ---------------------------------------------------------------------------------------------------
def _audit(actor: Actor, action: str, obj, fields, before=None) -> None:
    audit(user=actor.user, estate=actor.estate, action=f"billing.{action}", obj=obj, before=before,
          after=snapshot(obj, fields))


@transaction.atomic
def fee_item_create(*, actor: Actor, code: str, name: str, kind: str, meter_kind: str = "", ledger_code: str = "",
                    late_fee: bool = True, active: bool = True, sort_key: int = 0, rate=None,
                    effective_from: datetime.date | None = None, tiers=None) -> FeeItem:
    """A new fee item (finance, the manager). ``code`` is unique in the estate (409 ``fee_item_code_taken``);
    metered items name their meter kind, others none; one-off items book to 2202 (deposit) or 4009 (other). With
    ``rate`` and ``effective_from`` the item's first rule is created too (for a one-off item, its default
    amount)."""
    _check(actor, "create")
    code = _text(code, "code", 32, required=True).lower()
    if not code.replace("-", "").replace("_", "").isalnum() or not code.isascii():
        raise invalid("code", _("letters, digits, - and _ only"))
    kind = _choice(kind, FeeKind, "kind")
    meter_kind = _choice(meter_kind, MeterKind, "meter_kind", blank=True)
    if kind == FeeKind.METERED and not meter_kind:
        raise invalid("meter_kind", _("a metered item needs its meter kind"))
    if kind != FeeKind.METERED and meter_kind:
        raise invalid("meter_kind", _("only metered items have a meter kind"))
    ledger_code = _choice(ledger_code or _default_ledger_code(kind, meter_kind), LedgerCode, "ledger_code")
    if ledger_code == LedgerCode.DEPOSIT and kind != FeeKind.ONE_OFF:
        raise invalid("ledger_code", _("only one-off items may be held as deposits"))
    item = FeeItem(estate=actor.estate, code=code, name=_text(name, "name", 60, required=True), kind=kind,
                   meter_kind=meter_kind, ledger_code=ledger_code, late_fee=bool(late_fee), active=bool(active),
                   sort_key=int(sort_key or 0))
    if FeeItem.objects.filter(estate=actor.estate, code=code).exists():
        raise _code_taken(code)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        raise _code_taken(code) from None
    _audit(actor, "fee_item_create", item, ITEM_FIELDS)
    if rate not in (None, ""):
        if effective_from is None:
            raise invalid("effective_from", _("is required"))
        fee_rule_create(actor=actor, fee_item=item, rate=rate, effective_from=effective_from, tiers=tiers)
    return item


def _default_ledger_code(kind: str, meter_kind: str) -> str:
    if kind == FeeKind.PARKING:
        return LedgerCode.PARKING
    if kind == FeeKind.METERED:
        return LedgerCode.UTILITIES
    if kind == FeeKind.ONE_OFF:
        return LedgerCode.OTHER
    return LedgerCode.PROPERTY


def _code_taken(code: str) -> Conflict:
    return Conflict(_("A fee item with the code “%(item_code)s” already exists."), code="fee_item_code_taken",
                    detail={"field": "code"}, item_code=code)


@transaction.atomic
def fee_item_update(*, actor: Actor, fee_item: FeeItem, name: str | None = None, late_fee: bool | None = None,
                    active: bool | None = None, sort_key: int | None = None,
                    ledger_code: str | None = None) -> FeeItem:
    """Rename, reorder, switch the late fee, (de)activate or re-book a fee item. Its code, kind and meter kind do
    not change (rules and bills refer to them); an inactive item is left out of bill runs."""
    _check(actor, "change")
    item = FeeItem.objects.select_for_update().filter(estate=actor.estate, pk=fee_item.pk).first()
    if item is None:
        raise NotFound()
    before = snapshot(item, ITEM_FIELDS)
    if name is not None:
        item.name = _text(name, "name", 60, required=True)
    if late_fee is not None:
        item.late_fee = bool(late_fee)
    if active is not None:
        item.active = bool(active)
    if sort_key is not None:
        item.sort_key = int(sort_key)
    if ledger_code is not None:
        code = _choice(ledger_code, LedgerCode, "ledger_code")
        if code == LedgerCode.DEPOSIT and item.kind != FeeKind.ONE_OFF:
            raise invalid("ledger_code", _("only one-off items may be held as deposits"))
        item.ledger_code = code
    item.save()
    _audit(actor, "fee_item_update", item, ITEM_FIELDS, before)
    return item


# --- rules -------------------------------------------------------------------------------------------------------
def _overlap(existing: FeeRule) -> Conflict:
    until = existing.effective_to.isoformat() if existing.effective_to else "—"
    return Conflict(_("This rule overlaps the rule at %(rate)s from %(start)s until %(end)s for the same houses: "
                      "end that rule first, or start the new one after it."), code="fee_rule_overlap",
                    detail={"rule_id": existing.pk, "effective_from": existing.effective_from.isoformat(),
                            "effective_to": existing.effective_to.isoformat() if existing.effective_to else None},
                    rate=str(existing.rate), start=existing.effective_from.isoformat(), end=until)


@transaction.atomic
def fee_rule_create(*, actor: Actor, fee_item: FeeItem, rate, effective_from, effective_to=None,
                    house_kind: str = "", space_status: str = "", tiers=None, note: str = "") -> FeeRule:
    """A new price for ``fee_item`` from ``effective_from`` (to ``effective_to``, inclusive, or open-ended).

    For the same (item, house kind, space status): if the rule open at that moment started before
    ``effective_from`` and has no end, and the new rule has no end either, it is ended on ``effective_from − 1``
    (a new rate from the 1st); any other overlap is refused (409 ``fee_rule_overlap``). Issued bills keep their rates. The same rule created again (same
    rate, tiers, dates) returns the existing one. Tiers only for metered items; space status only for per-space
    items."""
    _check(actor, "create")
    item = FeeItem.objects.select_for_update().filter(estate=actor.estate, pk=fee_item.pk).first()
    if item is None:
        raise NotFound()
    rate = parse_rate(rate)
    start = _date(effective_from, "effective_from")
    end = _optional_date(effective_to, "effective_to")
    if end is not None and end < start:
        raise invalid("effective_to", _("must be on or after the start"))
    house_kind = _choice(house_kind, HouseKind, "house_kind", blank=True)
    space_status = _choice(space_status, SpaceStatus, "space_status", blank=True)
    if space_status and item.kind != FeeKind.PARKING:
        raise invalid("space_status", _("only per-space items are priced by parking-space status"))
    tiers = parse_tiers(tiers)
    if tiers and item.kind != FeeKind.METERED:
        raise invalid("tiers", _("only metered items have step prices"))
    note = _text(note, "note", 200)
    same = FeeRule.objects.filter(estate=actor.estate, fee_item=item, house_kind=house_kind,
                                  space_status=space_status)
    existing = same.filter(effective_from=start, effective_to=end, rate=rate).first()
    if existing is not None and existing.tiers == tiers:
        return existing
    overlapping = same.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=start))
    if end is not None:
        overlapping = overlapping.filter(effective_from__lte=end)
    to_end = None
    for other in overlapping.order_by("effective_from"):
        if end is None and other.effective_to is None and other.effective_from < start:
            to_end = other  # the open rule: it ends the day before
            continue
        raise _overlap(other)
    if to_end is not None:
        before = snapshot(to_end, RULE_FIELDS)
        to_end.effective_to = start - DAY
        to_end.save(update_fields=["effective_to"])
        _audit(actor, "fee_rule_end", to_end, RULE_FIELDS, before)
    rule = FeeRule.objects.create(estate=actor.estate, fee_item=item, house_kind=house_kind,
                                  space_status=space_status, rate=rate, tiers=tiers, effective_from=start,
                                  effective_to=end, note=note, created_by=actor.user)
    _audit(actor, "fee_rule_create", rule, RULE_FIELDS)
    return rule


@transaction.atomic
def fee_rule_end(*, actor: Actor, rule: FeeRule, effective_to) -> FeeRule:
    """End a rule on ``effective_to`` (inclusive): from the next day the item is not charged at that rate (nor at
    all, unless another rule applies). It may not end before it starts; ending it again on the same day is a
    no-op."""
    _check(actor, "change")
    rule = FeeRule.objects.select_for_update().filter(estate=actor.estate, pk=rule.pk).first()
    if rule is None:
        raise NotFound()
    end = _date(effective_to, "effective_to")
    if end < rule.effective_from:
        raise invalid("effective_to", _("must be on or after the start (%(start)s)")
                      % {"start": rule.effective_from.isoformat()})
    if rule.effective_to == end:
        return rule
    if rule.effective_to is not None and end > rule.effective_to:
        raise Conflict(_("This rule already ends on %(end)s; create a new rule to charge after it."),
                       code="fee_rule_ended", end=rule.effective_to.isoformat())
    before = snapshot(rule, RULE_FIELDS)
    rule.effective_to = end
    rule.save(update_fields=["effective_to"])
    _audit(actor, "fee_rule_end", rule, RULE_FIELDS, before)
    return rule


# --- discounts ---------------------------------------------------------------------------------------------------
def parse_percent(value, field: str = "percent") -> Decimal:
    """A share off: 0 < percent ≤ 100, two decimals."""
    percent = _decimal(value, field)
    if percent <= 0 or percent > 100:
        raise invalid(field, _("must be more than 0 and at most 100"))
    if percent != percent.quantize(PERCENT_STEP):
        raise invalid(field, _("at most two decimals"))
    return percent.quantize(PERCENT_STEP)


@transaction.atomic
def discount_create(*, actor: Actor, kind: str, percent, effective_from, effective_to=None, fee_item=None,
                    house=None, months=None, reason: str = "") -> Discount:
    """A discount (finance, the manager): ``vacant`` (a share off for houses whose status is vacant), ``exemption``
    (one house, named), ``prepayment`` (``months`` months or more paid in advance). ``fee_item`` None: every item.
    The same discount created again returns the existing one."""
    _check(actor, "create")
    kind = _choice(kind, DiscountKind, "kind")
    percent = parse_percent(percent)
    start = _date(effective_from, "effective_from")
    end = _optional_date(effective_to, "effective_to")
    if end is not None and end < start:
        raise invalid("effective_to", _("must be on or after the start"))
    if fee_item is not None and (fee_item.estate_id != actor.estate.pk):
        raise invalid("fee_item", _("no such fee item in this estate"))
    if kind == DiscountKind.EXEMPTION:
        if house is None:
            raise invalid("house", _("an exemption names the house it is for"))
    elif house is not None:
        raise invalid("house", _("only an exemption names a house"))
    if house is not None and house.estate_id != actor.estate.pk:
        raise invalid("house", _("no such house in this estate"))
    if kind == DiscountKind.PREPAYMENT:
        try:
            months = int(months)
        except (TypeError, ValueError):
            raise invalid("months", _("a prepayment discount needs the number of months paid in advance")) from None
        if not 1 <= months <= MAX_MONTHS:
            raise invalid("months", Reason(_("between 1 and %(max)s"), max=MAX_MONTHS))
    elif months not in (None, ""):
        raise invalid("months", _("only a prepayment discount counts months"))
    else:
        months = None
    reason = _text(reason, "reason", 200, required=kind == DiscountKind.EXEMPTION)
    fields = {"kind": kind, "fee_item": fee_item, "house": house, "percent": percent, "months": months,
              "effective_from": start, "effective_to": end}
    existing = Discount.objects.filter(estate=actor.estate, **fields).first()
    if existing is not None:
        return existing
    discount = Discount.objects.create(estate=actor.estate, reason=reason, created_by=actor.user, **fields)
    _audit(actor, "discount_create", discount, DISCOUNT_FIELDS)
    return discount


@transaction.atomic
def discount_end(*, actor: Actor, discount: Discount, effective_to) -> Discount:
    """End a discount on ``effective_to`` (inclusive). Bills already issued keep their discount lines."""
    _check(actor, "change")
    discount = Discount.objects.select_for_update().filter(estate=actor.estate, pk=discount.pk).first()
    if discount is None:
        raise NotFound()
    end = _date(effective_to, "effective_to")
    if end < discount.effective_from:
        raise invalid("effective_to", _("must be on or after the start (%(start)s)")
                      % {"start": discount.effective_from.isoformat()})
    if discount.effective_to == end:
        return discount
    if discount.effective_to is not None and end > discount.effective_to:
        raise Conflict(_("This discount already ends on %(end)s."), code="discount_ended",
                       end=discount.effective_to.isoformat())
    before = snapshot(discount, DISCOUNT_FIELDS)
    discount.effective_to = end
    discount.save(update_fields=["effective_to"])
    _audit(actor, "discount_end", discount, DISCOUNT_FIELDS, before)
    return discount

"""Late fees (滞纳金 / 违约金): a contract term of the estate, not a national rate (DOMAIN.md, Money; Civil Code
art. 585 on agreed damages). The national default is no late fee at all.

The rules (``estate.rules()``):

- ``fees.late_fee_daily_rate``: a fraction of the overdue amount per day ("1/2000" is 0.05 % a day); "0" (the
  default) means no late fee;
- ``fees.late_fee_grace_days``: days after the due date that cost nothing;
- ``fees.late_fee_cap``: the late fee never exceeds this share of the overdue amount ("1": the debt itself).

How a bill's late fee is computed (``late_fee_for``), exactly and once rounded per segment:

- the clock starts at the end of the grace period, ``start = due_date + grace_days``; the days charged are the days
  after ``start`` up to and including ``on``. Paying on ``start`` costs nothing; paying on ``start + 1`` costs one
  day;
- the amount charged on a day is what was outstanding at the end of the day before (the bill's amount, plus its
  adjustments, minus the money applied to it, voids counting back): a partial payment lowers the amount from the
  next day on, so the fee is a sum of segments ``amount × rate × days``, each rounded to the fen (ROUND_HALF_UP),
  the total the sum of the rounded segments;
- only the share of the bill that comes from fee items with ``late_fee`` on counts (a deposit, a one-off charge
  without a fee item, and a late-fee bill itself never accrue one: late fees do not compound);
- the total is capped at ``cap × the largest overdue amount``, rounded to the fen.

``late_fees_charge`` turns the accrued fees into LATE_FEE bills once a month (the periodic job runs it for the last
day of each month): one bill per overdue bill per month for what accrued since the previous one, so that a bill
that stays overdue for three months is charged in three steps and a bill settled late gets its final step; the
source key ``late:<bill id>:<YYYY-MM>`` makes every step happen once.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Prefetch, Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import DomainError, Forbidden

from .choices import AllocationSource, BillKind, BillStatus, LedgerCode
from .errors import invalid
from .models import Adjustment, Bill, BillLine, PaymentAllocation
from .policies import BillPolicy

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
LATE_FEE_LEDGER_CODE = LedgerCode.OTHER  # 4009: other fees and paid services
CHUNK = 500


# --- exact arithmetic ----------------------------------------------------------------------------------------------
def fen_half_up(value: Fraction) -> Decimal:
    """An exact amount rounded half up (away from zero) to the fen."""
    hundredths = abs(value) * 100
    whole, rest = divmod(hundredths.numerator, hundredths.denominator)
    if 2 * rest >= hundredths.denominator:
        whole += 1
    return (Decimal(whole) * FEN * (1 if value >= 0 else -1)).quantize(FEN)


def rate_text(rate: Fraction) -> str:
    """A daily rate for people to read: a percentage when it is a finite decimal (1/2000 → "0.05%"), else the
    fraction itself ("1/3000")."""
    percent = rate * 100
    denominator = percent.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return f"{rate.numerator}/{rate.denominator}"
    text = format(Decimal(percent.numerator) / Decimal(percent.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


@dataclass(frozen=True)
class LateFeeRules:
    rate: Fraction
    grace_days: int
    cap_share: Fraction

    @property
    def active(self) -> bool:
        return self.rate > 0


def _rule_fraction(rules: dict, key: str) -> Fraction:
    raw = rules.get(key)
    try:
        value = Fraction(str(raw))
    except (ValueError, ZeroDivisionError, TypeError):
        value = Fraction(-1)
    if value < 0:
        raise DomainError(_("The estate's rule %(rule)s is not a number: %(value)s."), code="bad_rule",
                          detail={"rule": key}, rule=key, value=raw)
    return value


def late_fee_rules(estate) -> LateFeeRules:
    """The estate's late-fee contract terms, checked (a rule that does not parse is a configuration error)."""
    rules = estate.rules()
    try:
        grace = int(rules.get("fees.late_fee_grace_days", 0))
    except (TypeError, ValueError):
        grace = -1
    if grace < 0:
        raise DomainError(_("The estate's rule %(rule)s is not a number: %(value)s."), code="bad_rule",
                          detail={"rule": "fees.late_fee_grace_days"}, rule="fees.late_fee_grace_days",
                          value=rules.get("fees.late_fee_grace_days"))
    return LateFeeRules(rate=_rule_fraction(rules, "fees.late_fee_daily_rate"), grace_days=grace,
                        cap_share=_rule_fraction(rules, "fees.late_fee_cap"))


# --- one bill --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    """``amount`` was overdue for ``days`` days: ``fee`` = amount × rate × days, rounded to the fen."""

    amount: Decimal
    days: int
    fee: Decimal
    first_day: datetime.date


@dataclass(frozen=True)
class LateFee:
    amount: Decimal
    days: int
    basis: str
    segments: tuple[Segment, ...] = ()
    rate: Fraction = Fraction(0)
    cap: Decimal = ZERO
    capped: bool = False
    start: datetime.date | None = None  # the last day that costs nothing (due date + grace days)
    on: datetime.date | None = None
    extra: dict = field(default_factory=dict)

    def as_basis(self) -> dict:
        """The figures as stored on a late-fee bill line (``BillLine.basis``)."""
        return {"rate": f"{self.rate.numerator}/{self.rate.denominator}", "cap": str(self.cap),
                "capped": self.capped, "start": self.start.isoformat() if self.start else None,
                "on": self.on.isoformat() if self.on else None, "days": self.days, "total": str(self.amount),
                "segments": [{"amount": str(s.amount), "days": s.days, "fee": str(s.fee),
                              "from": s.first_day.isoformat()} for s in self.segments], **self.extra}


def _eligible_amount(lines) -> Decimal:
    """The part of a bill that late fees apply to: lines of fee items with ``late_fee`` on, deposits excepted."""
    return sum((ln.amount for ln in lines
                if ln.fee_item is not None and ln.fee_item.late_fee and ln.ledger_code != LedgerCode.DEPOSIT),
               ZERO)


def _local_date(moment) -> datetime.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def compute_late_fee(*, amount: Decimal, eligible: Decimal, due_date: datetime.date, on: datetime.date,
                     rules: LateFeeRules, events=()) -> LateFee:
    """The late fee of a bill of ``amount`` (``eligible`` of it accruing) due on ``due_date``, as of ``on``.

    ``events`` are ``(date, delta)`` changes to what is outstanding: adjustments (+ debit, − credit), money applied
    (−) and voids (+). A change on day D counts from day D + 1 (the day it happened was already overdue)."""
    start = due_date + datetime.timedelta(days=rules.grace_days)
    if not rules.active:
        return LateFee(ZERO, 0, "", rate=rules.rate, on=on)
    if amount <= 0 or eligible <= 0 or on <= start:
        return LateFee(ZERO, 0, "", rate=rules.rate, start=start, on=on)
    share = Fraction(eligible) / Fraction(amount)
    by_day: dict[datetime.date, Decimal] = defaultdict(lambda: ZERO)
    outstanding = amount
    for day, delta in events:
        if day <= start:
            outstanding += delta
        elif day < on:
            by_day[day] += delta
    raw: list[tuple[Decimal, int, datetime.date]] = []
    t0 = start
    for day in sorted(by_day):
        raw.append((fen_half_up(Fraction(outstanding) * share), (day - t0).days, t0 + datetime.timedelta(days=1)))
        outstanding += by_day[day]
        t0 = day
    raw.append((fen_half_up(Fraction(outstanding) * share), (on - t0).days, t0 + datetime.timedelta(days=1)))
    merged: list[list] = []
    for base, days, first in raw:
        if days <= 0:
            continue
        if merged and merged[-1][0] == base:
            merged[-1][1] += days
        else:
            merged.append([base, days, first])
    segments = tuple(Segment(amount=base, days=days, fee=fen_half_up(Fraction(base) * rules.rate * days),
                             first_day=first) for base, days, first in merged if base > 0)
    if not segments:
        return LateFee(ZERO, 0, "", rate=rules.rate, start=start, on=on)
    total = sum((s.fee for s in segments), ZERO)
    cap = fen_half_up(Fraction(max(s.amount for s in segments)) * rules.cap_share)
    fee = min(total, cap)
    result = LateFee(amount=fee, days=sum(s.days for s in segments), basis="", segments=segments, rate=rules.rate,
                     cap=cap, capped=total > cap, start=start, on=on)
    return LateFee(**{**result.__dict__, "basis": basis_text(result)})


def basis_text(fee: LateFee) -> str:
    """The sentence a resident reads, in the active language:
    "260.70 元 × 0.05%/日 × 40 日 = 5.21 元（上限 260.70 元）"."""
    if not fee.segments:
        return ""
    rate = rate_text(fee.rate)
    parts = [gettext("%(amount)s yuan × %(rate)s a day × %(days)s days = %(fee)s yuan")
             % {"amount": s.amount, "rate": rate, "days": s.days, "fee": s.fee} for s in fee.segments]
    joined = gettext("; ").join(parts)
    total = sum((s.fee for s in fee.segments), ZERO)
    if fee.capped:
        return gettext("%(segments)s: %(total)s yuan, capped at %(cap)s yuan") % {
            "segments": joined, "total": total, "cap": fee.cap}
    if len(fee.segments) > 1:
        return gettext("%(segments)s; in all %(total)s yuan (cap %(cap)s yuan)") % {
            "segments": joined, "total": total, "cap": fee.cap}
    return gettext("%(segments)s (cap %(cap)s yuan)") % {"segments": joined, "cap": fee.cap}


def applied_at(allocation):
    """When money reached the bill: a payment's when it was received (cash counted on the 3rd and entered on the
    5th was paid on the 3rd), a prepayment draw or a void when it was written."""
    if allocation.source == AllocationSource.PAYMENT and allocation.payment_id is not None:
        return allocation.payment.received_at
    return allocation.created_at


def _events(bill) -> list[tuple[datetime.date, Decimal]]:
    return ([(_local_date(a.created_at), a.amount) for a in bill.adjustments.all()]
            + [(_local_date(applied_at(a)), -a.amount) for a in bill.allocations.all()])


def _for_loaded(bill, on: datetime.date, rules: LateFeeRules) -> LateFee:
    if bill.kind == BillKind.LATE_FEE:
        return LateFee(ZERO, 0, "", rate=rules.rate, on=on)
    return compute_late_fee(amount=bill.amount, eligible=_eligible_amount(bill.lines.all()), due_date=bill.due_date,
                            on=on, rules=rules, events=_events(bill))


def _with_history(qs):
    return qs.prefetch_related(
        Prefetch("lines", queryset=BillLine.objects.select_related("fee_item").only(
            "id", "bill_id", "amount", "ledger_code", "fee_item__id", "fee_item__late_fee")),
        Prefetch("adjustments", queryset=Adjustment.objects.only("id", "bill_id", "amount", "created_at")),
        Prefetch("allocations", queryset=PaymentAllocation.objects.select_related("payment").only(
            "id", "bill_id", "amount", "created_at", "source", "payment__id", "payment__received_at")))


def late_fee_for(bill: Bill, on: datetime.date | None = None, *, rules: LateFeeRules | None = None) -> LateFee:
    """The late fee ``bill`` has accrued by ``on`` (default today): zero when the estate sets no rate (the
    national default), within the grace period, for a late-fee bill, or for a bill of items without late fees."""
    on = on or timezone.localdate()
    rules = rules or late_fee_rules(bill.estate)
    if not rules.active or bill.kind == BillKind.LATE_FEE:
        return LateFee(ZERO, 0, "", rate=rules.rate, on=on)
    loaded = _with_history(Bill.objects.filter(pk=bill.pk)).first()
    return _for_loaded(loaded, on, rules)


def late_fee_basis(bill: Bill, on: datetime.date | None = None) -> dict | None:
    """For the bill page (a presenter the bills page includes with ``billing/arrears/_late_fee.html``): the late fee
    accrued so far and its basis, the terms, or None when the estate charges no late fee or the bill never
    accrues one."""
    rules = late_fee_rules(bill.estate)
    if not rules.active or bill.kind == BillKind.LATE_FEE:
        return None
    on = on or timezone.localdate()
    fee = late_fee_for(bill, on, rules=rules)
    start = bill.due_date + datetime.timedelta(days=rules.grace_days)
    terms = gettext("%(rate)s a day of the overdue amount from %(start)s (%(grace)s days' grace after the due date), "
                    "at most %(cap)s of the overdue amount") % {
        "rate": rate_text(rules.rate), "start": (start + datetime.timedelta(days=1)).isoformat(),
        "grace": rules.grace_days, "cap": rate_text(rules.cap_share)}
    return {"amount": fee.amount, "days": fee.days, "basis": fee.basis, "terms": terms, "on": on,
            "billed": sum((b.amount for b in Bill.objects.filter(estate=bill.estate, kind=BillKind.LATE_FEE,
                                                                  source_key__startswith=f"late:{bill.pk}:")),
                          ZERO)}


# --- charging ------------------------------------------------------------------------------------------------------
def late_source_key(bill_id: int, on: datetime.date) -> str:
    return f"late:{bill_id}:{on:%Y-%m}"


def _billed_late_fees(estate, bill_ids) -> dict[int, Decimal]:
    """What was already billed as late fees, per original bill."""
    billed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for key, amount in (Bill.objects.filter(estate=estate, kind=BillKind.LATE_FEE, source_key__startswith="late:")
                        .values_list("source_key", "amount")):
        try:
            bill_id = int(key.split(":")[1])
        except (IndexError, ValueError):
            continue
        if bill_id in bill_ids:
            billed[bill_id] += amount
    return billed


def _candidates(estate, on: datetime.date, rules: LateFeeRules):
    """Bills that may owe a late fee as of ``on``: past their grace period, not late-fee bills, with a line that
    accrues; still open, or settled since the first day of the month before ``on`` (the monthly job saw the
    earlier ones)."""
    last_due = on - datetime.timedelta(days=rules.grace_days + 1)
    accruing = BillLine.objects.filter(bill=OuterRef("pk"), fee_item__late_fee=True).exclude(
        ledger_code=LedgerCode.DEPOSIT)
    base = (Bill.objects.filter(estate=estate, due_date__lte=last_due).exclude(kind=BillKind.LATE_FEE)
            .filter(Exists(accruing)))
    since = (on.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    settled_recently = (base.filter(status=BillStatus.PAID).annotate(last_paid=Max("allocations__created_at"))
                        .filter(last_paid__date__gte=since).values("pk"))
    return base.filter(Q(status=BillStatus.OPEN) | Q(pk__in=settled_recently)).order_by("pk")


@dataclass
class ChargeResult:
    on: datetime.date
    bills: int = 0  # late-fee bills issued now
    amount: Decimal = ZERO
    checked: int = 0
    issued_ids: list[int] = field(default_factory=list)


def late_fees_charge(*, actor: Actor | None, estate, on: datetime.date) -> ChargeResult:
    """Issue the late-fee bills accrued by ``on`` (the end of a month, usually): for each bill settled late or
    still overdue, a LATE_FEE bill of what accrued since the late fees already billed for it, with the basis on
    its line. Idempotent: the source key ``late:<bill>:<YYYY-MM>`` issues each step once, and what was billed
    before is subtracted. ``actor`` None is the monthly job. Each bill is issued in its own transaction (it
    posts to the ledger), so a failure leaves complete bills only and a rerun completes the rest."""
    from .bills import bill_one_off_issue

    if actor is not None:
        if not BillPolicy.can(actor, "run"):
            raise Forbidden()
        if actor.estate.pk != estate.pk:
            raise Forbidden()
    if not isinstance(on, datetime.date) or isinstance(on, datetime.datetime):
        raise invalid("on", _("not a date"))
    if on > timezone.localdate():
        raise invalid("on", _("may not be in the future"))
    result = ChargeResult(on=on)
    rules = late_fee_rules(estate)
    if not rules.active:
        return result
    ids = list(_candidates(estate, on, rules).values_list("pk", flat=True))
    result.checked = len(ids)
    billed = _billed_late_fees(estate, set(ids))
    with translation.override(settings.LANGUAGE_CODE):
        for start in range(0, len(ids), CHUNK):
            chunk = _with_history(Bill.objects.filter(pk__in=ids[start:start + CHUNK]).select_related("house"))
            for bill in chunk.order_by("pk"):
                fee = _for_loaded(bill, on, rules)
                due = fee.amount - billed[bill.pk]
                if due <= 0:
                    continue
                key = late_source_key(bill.pk, on)
                description = gettext("Late fee on bill #%(bill)s, to %(on)s") % {"bill": bill.pk,
                                                                                 "on": on.isoformat()}
                explanation = fee.basis
                if billed[bill.pk] > 0:
                    explanation = gettext("%(basis)s; less %(billed)s yuan billed before = %(due)s yuan") % {
                        "basis": fee.basis, "billed": billed[bill.pk], "due": due}
                with transaction.atomic():
                    issued = bill_one_off_issue(
                        actor=actor, house=bill.house, description=description[:120], amount=due, source_key=key,
                        ledger_code=LATE_FEE_LEDGER_CODE, kind=BillKind.LATE_FEE, explanation=explanation[:400],
                        basis={**fee.as_basis(), "bill_id": bill.pk, "billed_before": str(billed[bill.pk])},
                        check_permission=False)
                result.bills += 1
                result.amount += issued.amount
                result.issued_ids.append(issued.pk)
    if result.bills:
        with transaction.atomic():
            audit(user=actor.user if actor else None, estate=estate, action="billing.late_fees_charge",
                  after={"on": on.isoformat(), "bills": result.bills, "amount": str(result.amount),
                         "checked": result.checked})
    return result

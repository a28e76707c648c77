"""Bills: reads (selectors), one-off bills, adjustments, and the check that recomputes a bill's running totals.

One-off bills (a repair charge, a late fee, a decoration deposit) are issued one at a time by other services
(arrears, tickets) or by finance: ``bill_one_off_issue`` is idempotent on ``source_key`` ("repair:<id>",
"late:<bill id>"), posts Dr 1122 fees receivable / Cr the income (or deposit) account, then draws the house's
prepayment balance into it. Adjustments correct an issued bill with a signed amount and a reason; the bill's
``adjusted`` and ``status`` move under the house's ``BillingAccount`` lock, the same lock every payment takes."""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, Forbidden, NotFound, Reason
from gongzhi.core.pagination import Page, paginate
from gongzhi.ledger import chart
from gongzhi.ledger.choices import EntryKind
from gongzhi.ledger.services import MAX_AMOUNT, Line, entry_post

from . import calc
from .choices import BillKind, BillStatus, LedgerCode, PayerKind
from .errors import invalid, key_reused
from .models import Adjustment, Bill, BillLine, FeeItem, PaymentAllocation
from .payments import lock_account, prepayment_apply
from .policies import BillPolicy

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
KEY_MAX = 64
ONE_OFF_KINDS = frozenset({BillKind.ONE_OFF, BillKind.LATE_FEE})
# What a one-off bill may be credited to: the fee income accounts (4004 is late fees) and deposits held.
ONE_OFF_CODES = frozenset({*LedgerCode.values, "4004"})


# --- small shared helpers ------------------------------------------------------------------------------------------
def clean_amount(value, field: str = "amount", *, signed: bool = False) -> Decimal:
    """Yuan with at most two decimals: more than zero, or (``signed``) anything but zero."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field, _("not an amount")) from None
    if not amount.is_finite():
        raise invalid(field, _("not an amount"))
    if amount != amount.quantize(FEN):
        raise invalid(field, _("at most two decimals (fen)"))
    if abs(amount) > MAX_AMOUNT:
        raise invalid(field, _("is larger than any real amount"))
    if signed and amount == 0:
        raise invalid(field, _("may not be zero"))
    if not signed and amount <= 0:
        raise invalid(field, _("must be more than zero"))
    return amount.quantize(FEN)


def clean_text(field: str, value, *, limit: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise invalid(field, _("is required"))
    if len(text) > limit:
        raise invalid(field, Reason(_("is too long (at most %(max)s characters)"), max=limit))
    if any(ord(c) < 32 for c in text):
        raise invalid(field, _("may not contain control characters"))
    return text


def clean_key(value, field: str = "key", *, required: bool = True) -> str:
    return clean_text(field, value, limit=KEY_MAX, required=required)


def due_date_for(estate, issued_on: datetime.date) -> datetime.date:
    """Issued date + ``fees.due_days``."""
    return issued_on + datetime.timedelta(days=int(estate.rules().get("fees.due_days", 30)))


def apply_prepayment(estate, house_ids, on: datetime.date | None = None) -> Decimal:
    """Draw prepayment balances into open bills (``payments.prepayment_apply``); returns the amount drawn."""
    return prepayment_apply(estate=estate, house_ids=house_ids, on=on)


def payer_today(house, day: datetime.date) -> calc.Payer:
    from .runs import load_holdings

    holdings = load_holdings(house.estate, day, day, house_ids=[house.pk]).get(house.pk, [])
    return calc.payer_for(holdings=holdings, day=day, rules=calc.PayerRules.of(house.estate),
                          developer_held=house.developer_held, status=house.status)


# --- reads ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BillFilters:
    house_id: int | None = None
    status: str = ""
    period: datetime.date | None = None  # any day of the month the bill's period starts in
    building_id: int | None = None
    kind: str = ""
    run_id: int | None = None


def bills_for(actor: Actor) -> QuerySet:
    """The bills the actor may see: every bill of the estate for staff, their houses' bills for a resident."""
    return Bill.objects.restrict(actor, "view")


def bill_list(*, actor: Actor, house_id=None, status: str = "", period: datetime.date | None = None,
              building_id=None, kind: str = "", run_id=None, cursor: str | None = None,
              limit: int | None = None) -> Page:
    """Bills, newest first, a page at a time (cursor), with their house (building, unit) for display."""
    qs = bill_queryset(actor=actor, filters=BillFilters(house_id=house_id, status=status, period=period,
                                                        building_id=building_id, kind=kind, run_id=run_id))
    return paginate(qs, cursor=cursor, limit=limit, descending=True)


def bill_queryset(*, actor: Actor, filters: BillFilters | None = None) -> QuerySet:
    f = filters or BillFilters()
    qs = bills_for(actor)
    if f.house_id is not None:
        qs = qs.filter(house_id=f.house_id)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.period is not None:
        start = f.period.replace(day=1)
        qs = qs.filter(period_start__gte=start, period_start__lte=calc.month_end(start))
    if f.building_id is not None:
        qs = qs.filter(house__building_id=f.building_id)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.run_id is not None:
        qs = qs.filter(run_id=f.run_id)
    return qs.select_related("house__building", "house__unit")


def bill_get_for_actor(*, actor: Actor, bill_id) -> Bill:
    """One bill with its lines, adjustments and allocations; 404 alike for a missing bill, another estate's, or a
    house the resident does not live in."""
    try:
        pk = int(bill_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    bill = (bills_for(actor).filter(pk=pk).select_related("house__building", "house__unit", "run")
            .prefetch_related(
                Prefetch("lines", queryset=BillLine.objects.select_related("fee_item", "reading").order_by("sort", "id")),
                Prefetch("adjustments", queryset=Adjustment.objects.select_related("actor").order_by("id")),
                Prefetch("allocations", queryset=PaymentAllocation.objects.select_related("payment").order_by("id")))
            .first())
    if bill is None:
        raise NotFound()
    return bill


# --- one-off bills -------------------------------------------------------------------------------------------------
@transaction.atomic
def bill_one_off_issue(*, actor: Actor | None, house, description: str, amount, source_key: str,
                       ledger_code: str = LedgerCode.OTHER, fee_item: FeeItem | None = None,
                       kind: str = BillKind.ONE_OFF, explanation: str = "", basis: dict | None = None,
                       due_date: datetime.date | None = None, check_permission: bool = True) -> Bill:
    """Issue a one-line bill to whoever pays for ``house`` today and return it.

    Idempotent on ``source_key`` (what the bill is for, once): issuing it again returns the first bill and writes
    nothing; the same key with another house or amount is a 409. Posts Dr 1122 / Cr ``ledger_code`` (reference
    "billing:bill:<id>"), then draws the house's prepayment balance into the bill. ``check_permission=False`` is
    for services that checked their own policy (the late-fee task passes ``actor=None``)."""
    if check_permission and (actor is None or not BillPolicy.can(actor, "run")):
        raise Forbidden()
    estate = house.estate
    if actor is not None and actor.estate is not None and estate.pk != actor.estate.pk:
        raise NotFound()
    amount = clean_amount(amount)
    description = clean_text("description", description, limit=120)
    source_key = clean_key(source_key, "source_key")
    if ledger_code not in ONE_OFF_CODES:
        raise invalid("ledger_code", _("not an account fees may be credited to"))
    if kind not in ONE_OFF_KINDS:
        raise invalid("kind", _("a one-off bill is a one-off charge or a late fee"))
    if fee_item is not None and fee_item.estate_id != estate.pk:
        raise invalid("fee_item", _("no such fee item in this estate"))
    explanation = clean_text("explanation", explanation, limit=400, required=False)
    today = timezone.localdate()
    if due_date is not None and due_date < today:
        raise invalid("due_date", _("may not be before the issue date"))

    def existing() -> Bill | None:
        found = Bill.objects.filter(estate=estate, source_key=source_key).first()
        if found is not None and (found.house_id != house.pk or found.amount != amount or found.kind != kind):
            raise key_reused(source_key)
        return found

    if (found := existing()) is not None:
        return found
    lock_account(house)
    if (found := existing()) is not None:  # issued by a concurrent call while we waited for the lock
        return found
    payer = payer_today(house, today)
    try:
        with transaction.atomic():
            bill = Bill.objects.create(
                estate=estate, house=house, kind=kind, period_start=today, period_end=today,
                payer_kind=payer.kind, payer_person_id=payer.person_id, payer_name=payer.name[:120],
                payer_key=payer.key, issued_at=timezone.now(), due_date=due_date or due_date_for(estate, today),
                amount=amount, status=BillStatus.OPEN, source_key=source_key, note=description[:200])
    except IntegrityError:
        if (found := existing()) is not None:
            return found
        raise
    text = explanation or gettext("%(description)s: %(amount)s 元") % {"description": description,
                                                                       "amount": calc.fmt(amount)}
    BillLine.objects.create(
        estate=estate, bill=bill, fee_item=fee_item, description=description, quantity=Decimal("1"), unit="",
        rate=amount, amount=amount, explanation=text[:400], basis=basis if basis is not None else {"amount": str(amount)},
        ledger_code=ledger_code, sort=0)
    entry_post(estate=estate, actor=actor, date=today, kind=EntryKind.FEE_BILL,
               description=gettext("Bill #%(id)s %(house)s: %(description)s") % {
                   "id": bill.pk, "house": house.code, "description": description},
               lines=[Line(chart.RECEIVABLE, debit=amount), Line(ledger_code, credit=amount)],
               counterparty=payer.name[:120], counterparty_private=payer.kind != PayerKind.DEVELOPER,
               reference=f"billing:bill:{bill.pk}", check_permission=False)
    audit(user=getattr(actor, "user", None), estate=estate, action="bill.issue_one_off", obj=bill,
          after=snapshot(bill, ["house_id", "kind", "amount", "payer_key", "due_date", "source_key"]), label=house.code)
    apply_prepayment(estate, [house.pk])
    bill.refresh_from_db()
    return bill


# --- adjustments ---------------------------------------------------------------------------------------------------
def status_for(amount: Decimal, adjusted: Decimal, settled: Decimal) -> str:
    return BillStatus.PAID if amount + adjusted - settled <= 0 else BillStatus.OPEN


@transaction.atomic
def adjustment_create(*, actor: Actor, bill: Bill, amount, reason: str, key: str,
                      date: datetime.date | None = None) -> Adjustment:
    """Add (positive, a debit) to or take off (negative, a credit) an issued bill, with a reason.

    Idempotent on ``key``. A credit may not take the bill below what was already paid on it (refund or move the
    payment instead). Posts Dr 1122 / Cr income for a debit, Dr income / Cr 1122 for a credit, split over the
    bill's ledger codes in proportion to its lines (the first code takes the rounding)."""
    if not BillPolicy.can(actor, "adjust"):
        raise Forbidden()
    if bill.estate_id != actor.estate.pk:
        raise NotFound()
    amount = clean_amount(amount, signed=True)
    reason = clean_text("reason", reason, limit=200)
    key = clean_key(key)

    def existing() -> Adjustment | None:
        found = Adjustment.objects.filter(estate=actor.estate, key=key).first()
        if found is not None and (found.bill_id != bill.pk or found.amount != amount):
            raise key_reused(key)
        return found

    if (found := existing()) is not None:
        return found
    lock_account(bill.house)
    if (found := existing()) is not None:
        return found
    locked = Bill.objects.select_related("house__building", "house__unit").get(pk=bill.pk)
    new_total = locked.amount + locked.adjusted + amount
    if new_total < locked.settled:
        raise Conflict(_("This credit would take bill #%(id)s to %(total)s 元, below the %(paid)s 元 already paid "
                         "on it. Credit at most %(most)s 元, or refund the payment instead."),
                       code="adjustment_below_paid",
                       detail={"bill_id": locked.pk, "paid": str(locked.settled),
                               "most": str(locked.amount + locked.adjusted - locked.settled)},
                       id=locked.pk, total=calc.fmt(new_total), paid=calc.fmt(locked.settled),
                       most=calc.fmt(locked.amount + locked.adjusted - locked.settled))
    day = date or timezone.localdate()
    before = snapshot(locked, ["adjusted", "status"])
    adjustment = Adjustment.objects.create(estate=actor.estate, bill=locked, amount=amount, reason=reason,
                                           actor=actor.user, key=key)
    locked.adjusted += amount
    locked.status = status_for(locked.amount, locked.adjusted, locked.settled)
    Bill.objects.filter(pk=locked.pk).update(adjusted=locked.adjusted, status=locked.status)
    lines = []
    for code, part in _split_by_code(locked, abs(amount)):
        if amount > 0:
            lines += [Line(chart.RECEIVABLE, debit=part), Line(code, credit=part)]
        else:
            lines += [Line(code, debit=part), Line(chart.RECEIVABLE, credit=part)]
    entry_post(estate=actor.estate, actor=actor, date=day, kind=EntryKind.FEE_ADJUSTMENT,
               description=(gettext("Adjustment of bill #%(id)s %(house)s: %(reason)s") % {
                   "id": locked.pk, "house": locked.house.code, "reason": reason})[:200],
               lines=_merge_lines(lines), counterparty=locked.payer_name[:120],
               counterparty_private=locked.payer_kind != PayerKind.DEVELOPER,
               reference=f"billing:adjustment:{adjustment.pk}", check_permission=False)
    audit(user=actor.user, estate=actor.estate, action="bill.adjust", obj=locked, before=before,
          after={**snapshot(locked, ["adjusted", "status"]), "adjustment": str(amount), "reason": reason},
          label=locked.house.code)
    if amount > 0:
        apply_prepayment(actor.estate, [locked.house_id])
    bill.adjusted, bill.status = locked.adjusted, locked.status
    return adjustment


def _split_by_code(bill: Bill, amount: Decimal) -> list[tuple[str, Decimal]]:
    """``amount`` shared over the bill's ledger codes in proportion to its lines, to the fen; the largest code
    takes what rounding leaves. A bill without positive lines books to 4009."""
    totals: dict[str, Decimal] = {}
    for code, total in (BillLine.objects.filter(bill=bill).values_list("ledger_code").annotate(t=Sum("amount"))
                        .order_by("ledger_code")):
        if total and total > 0:
            totals[code] = total
    whole = sum(totals.values(), ZERO)
    if not totals or whole <= 0:
        return [(LedgerCode.OTHER, amount)]
    parts = {code: calc.money(amount * t / whole) for code, t in totals.items()}
    largest = max(totals, key=lambda c: (totals[c], c))
    parts[largest] += amount - sum(parts.values(), ZERO)
    return [(code, part) for code, part in parts.items() if part > 0]


def _merge_lines(lines: list[Line]) -> list[Line]:
    """One debit line and one credit line per account, in first-seen order."""
    debits: dict[str, Decimal] = {}
    credits: dict[str, Decimal] = {}
    for ln in lines:
        if Decimal(ln.debit) > 0:
            debits[ln.account] = debits.get(ln.account, ZERO) + Decimal(ln.debit)
        else:
            credits[ln.account] = credits.get(ln.account, ZERO) + Decimal(ln.credit)
    return [Line(a, debit=d) for a, d in debits.items()] + [Line(a, credit=c) for a, c in credits.items()]


# --- consistency ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BalanceCheck:
    bill_id: int
    amount: Decimal
    lines_total: Decimal
    adjusted: Decimal
    adjusted_rows: Decimal
    settled: Decimal
    settled_rows: Decimal
    status: str
    status_rows: str

    @property
    def ok(self) -> bool:
        return (self.amount == self.lines_total and self.adjusted == self.adjusted_rows
                and self.settled == self.settled_rows and self.status == self.status_rows)


def bill_balance_check(bill: Bill) -> BalanceCheck:
    """Recompute a bill's amount (its lines), ``adjusted`` (its adjustments), ``settled`` (its allocations) and
    status from the rows, next to the running totals kept on the bill."""
    fresh = Bill.objects.get(pk=bill.pk)
    lines = BillLine.objects.filter(bill_id=bill.pk).aggregate(t=Sum("amount"))["t"] or ZERO
    adjusted = Adjustment.objects.filter(bill_id=bill.pk).aggregate(t=Sum("amount"))["t"] or ZERO
    settled = PaymentAllocation.objects.filter(bill_id=bill.pk).aggregate(t=Sum("amount"))["t"] or ZERO
    return BalanceCheck(bill_id=fresh.pk, amount=fresh.amount, lines_total=lines, adjusted=fresh.adjusted,
                        adjusted_rows=adjusted, settled=fresh.settled, settled_rows=settled, status=fresh.status,
                        status_rows=status_for(fresh.amount, adjusted, settled))

"""Payments and how they settle bills: the money core of billing (DESIGN.md habit 1: the only writer of
``Payment``, ``PaymentAllocation`` and ``PrepaymentEntry`` rows apart from voids and refunds, which live beside it).

Every movement of a house's money takes the house's ``BillingAccount`` row first (``SELECT ... FOR UPDATE``), then
the estate's ``ReceiptCounter``, then the ledger's head (inside ``entry_post``): one lock order everywhere, so
concurrent payments settle one at a time per house and number receipts without gaps per estate.

Signs: a payment's allocations are positive; a void's are negative. Prepayment entries are signed movements of the
balance: a deposit is positive, a draw, a refund and a voided deposit are negative. ``BillingAccount.prepaid`` is
their sum; ``Bill.settled`` is the sum of the bill's allocations (``balance_check`` recomputes both).

Ledger (accrual): a payment is Dr ``METHOD_ACCOUNT[method]`` / Cr 1122 (the part that settled bills) / Cr 2201
(the part kept as prepayment); a prepayment draw is Dr 2201 / Cr 1122.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, models, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, audit_entry, audit_many, snapshot
from gongzhi.core.errors import Forbidden, NotFound, Reason
from gongzhi.ledger import chart
from gongzhi.ledger.chain import CONTROL
from gongzhi.ledger.choices import EntryKind
from gongzhi.ledger.services import EntrySpec, Line, entries_post_many, entry_post

from .choices import METHOD_ACCOUNT, AllocationSource, BillStatus, PaymentMethod, PrepaymentKind, RefundStatus
from .errors import invalid, key_reused
from .models import (
    Adjustment,
    Bill,
    BillingAccount,
    BillLine,
    Payment,
    PaymentAllocation,
    PrepaymentEntry,
    Receipt,
    ReceiptCounter,
    ReceiptVoid,
    Refund,
)
from .policies import PaymentPolicy

ZERO = Decimal("0.00")
FEN = Decimal("0.01")
MAX_PAYMENT = Decimal("10000000")  # more than any fee a house could owe: a typo, not a payment
KEY_MAX = 64
REFERENCE_REQUIRED = frozenset({PaymentMethod.BANK_TRANSFER, PaymentMethod.POS})
PAYMENT_FIELDS = ["house_id", "method", "amount", "received_at", "payer_name", "reference", "key", "order_id",
                  "note"]
CHUNK = 500  # SQLite limits the number of parameters of one statement


# --- input -------------------------------------------------------------------------------------------------------
def parse_amount(value, field: str = "amount") -> Decimal:
    """A positive amount of yuan with at most two decimals (fen), not absurd. Floats are refused: money is never
    binary floating point."""
    if isinstance(value, float | bool):
        raise invalid(field, _("not an amount"))
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field, _("not an amount")) from None
    if not amount.is_finite():
        raise invalid(field, _("not an amount"))
    if amount <= 0:
        raise invalid(field, _("must be more than zero"))
    if amount > MAX_PAYMENT:
        raise invalid(field, Reason(_("is larger than any real payment (at most %(max)s)"), max=MAX_PAYMENT))
    if amount != amount.quantize(FEN):
        raise invalid(field, _("at most two decimals (fen)"))
    return amount.quantize(FEN)


def clean_key(value: str, field: str = "key") -> str:
    key = (value or "").strip()
    if not key:
        raise invalid(field, _("is required"))
    if len(key) > KEY_MAX or CONTROL.search(key):
        raise invalid(field, Reason(_("at most %(max)s characters, no control characters"), max=KEY_MAX))
    return key


def clean_text(field: str, value: str, limit: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise invalid(field, _("is required"))
    if CONTROL.search(text):
        raise invalid(field, _("may not contain control characters"))
    if len(text) > limit:
        raise invalid(field, Reason(_("is too long (at most %(max)s characters)"), max=limit))
    return text


def money(value) -> str:
    return f"{Decimal(value):.2f}"


# --- locks -------------------------------------------------------------------------------------------------------
def lock_account(house) -> BillingAccount:
    """The house's billing account, created if missing, locked until the transaction ends. Every money movement of
    the house (bills, adjustments, payments, refunds, voids) takes this lock first, so they change one at a time.
    Created by an insert that ignores a conflict: two first payments of one house never collide."""
    BillingAccount.objects.bulk_create([BillingAccount(estate_id=house.estate_id, house_id=house.pk)],
                                       ignore_conflicts=True)
    return BillingAccount.objects.select_for_update().get(house_id=house.pk)


def lock_accounts(estate, house_ids: Sequence[int]) -> dict[int, BillingAccount]:
    """Many houses' accounts, locked in house order (the same order everywhere, so two callers never deadlock)."""
    found: dict[int, BillingAccount] = {}
    ids = sorted(set(house_ids))
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        found.update((a.house_id, a) for a in BillingAccount.objects.select_for_update()
                     .filter(estate=estate, house_id__in=part).order_by("house_id"))
    return found


def next_receipt_number(estate) -> int:
    """The estate's next receipt number, without gaps: the counter row is locked until the transaction ends (after
    the house's lock), so a rolled-back payment gives its number back."""
    ReceiptCounter.objects.bulk_create([ReceiptCounter(estate=estate, last=0)], ignore_conflicts=True)
    counter = ReceiptCounter.objects.select_for_update().get(pk=estate.pk)
    counter.last += 1
    ReceiptCounter.objects.filter(pk=estate.pk).update(last=counter.last)
    return counter.last


# --- allocation --------------------------------------------------------------------------------------------------
def bill_status(bill: Bill) -> str:
    return BillStatus.PAID if bill.settled >= bill.amount + bill.adjusted else BillStatus.OPEN


def allocate(amount: Decimal, bills: Iterable[Bill]) -> tuple[list[tuple[Bill, Decimal]], Decimal]:
    """Spread ``amount`` over ``bills`` in the order given, each up to what it still owes. Returns the parts
    (bill, amount) and what is left over. Pure: it changes no bill."""
    parts = []
    left = amount
    for bill in bills:
        if left <= 0:
            break
        owed = bill.amount + bill.adjusted - bill.settled
        if owed <= 0:
            continue
        part = min(owed, left)
        parts.append((bill, part))
        left -= part
    return parts, left


def open_bills(house_ids: Sequence[int]) -> list[Bill]:
    """The houses' open bills, oldest due first (then oldest id): the order money settles them in."""
    rows: list[Bill] = []
    ids = list(house_ids)
    for start in range(0, len(ids), CHUNK):
        rows.extend(Bill.objects.filter(house_id__in=ids[start:start + CHUNK], status=BillStatus.OPEN)
                    .order_by("house_id", "due_date", "id"))
    return rows


def _chosen_bills(house, bill_ids: Sequence) -> list[Bill]:
    try:
        ids = [int(i) for i in bill_ids]
    except (TypeError, ValueError):
        raise invalid("bill_ids", _("not a list of bill numbers")) from None
    if len(set(ids)) != len(ids):
        raise invalid("bill_ids", _("the same bill twice"))
    found = {b.pk: b for b in Bill.objects.filter(pk__in=ids, estate_id=house.estate_id, house=house)}
    if len(found) != len(ids):
        raise NotFound(_("Bill not found."), code="bill_not_found",
                       detail={"bill_ids": [i for i in ids if i not in found]})
    return [found[i] for i in ids]


def _bill_details(parts: list[tuple[Bill, Decimal]]) -> list[dict]:
    """What each settled bill was, as the receipt prints it."""
    if not parts:
        return []
    descriptions: dict[int, list[str]] = defaultdict(list)
    for bill_id, text in (BillLine.objects.filter(bill_id__in=[b.pk for b, _p in parts])
                          .order_by("bill_id", "sort", "id").values_list("bill_id", "description")):
        if text not in descriptions[bill_id]:
            descriptions[bill_id].append(text)
    return [{"bill_id": b.pk, "kind": b.kind, "period_start": b.period_start.isoformat(),
             "period_end": b.period_end.isoformat(), "description": "、".join(descriptions[b.pk]) or b.note,
             "total": money(b.amount + b.adjusted), "settled": money(part),
             "outstanding": money(b.amount + b.adjusted - b.settled)} for b, part in parts]


# --- payments ----------------------------------------------------------------------------------------------------
def _same_request(payment: Payment, house, amount: Decimal, method: str) -> bool:
    return payment.house_id == house.pk and payment.amount == amount and payment.method == method


def _replay(estate, key: str, house, amount: Decimal, method: str) -> Payment | None:
    existing = Payment.objects.filter(estate=estate, key=key).first()
    if existing is None:
        return None
    if not _same_request(existing, house, amount, method):
        raise key_reused(key)
    return existing


def _received_at(value) -> datetime.datetime:
    now = timezone.now()
    if value is None:
        return now
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        value = timezone.make_aware(datetime.datetime.combine(value, datetime.time(12)))
    if not isinstance(value, datetime.datetime):
        raise invalid("received_at", _("not a date and time"))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + datetime.timedelta(minutes=5):
        raise invalid("received_at", _("may not be in the future"))
    return min(value, now)


def payment_record(*, actor: Actor | None, house, amount, method: str, key: str, bill_ids: list[int] | None = None,
                   received_at=None, reference: str = "", payer_name: str = "", order=None, note: str = "",
                   check_permission: bool = True) -> Payment:
    """Record money received for ``house`` and settle its bills with it; return the payment (with its receipt).

    The money settles the chosen ``bill_ids`` in the order given, else the open bills oldest due first; what is
    left goes to the house's prepayment balance. The receipt gets the estate's next number; the ledger gets
    Dr cash/bank/in-transit, Cr fees receivable (settled part) and Cr prepaid fees (prepaid part).

    Idempotent on (estate, ``key``): the same key for the same house, amount and method returns the first payment
    and writes nothing; the key with a different request is 409 ``idempotency_key_reused``. ``actor=None`` with
    ``check_permission=False`` is for the online-payment notification (the gateway's signature is the authority).
    """
    if check_permission and (actor is None or not PaymentPolicy.can(actor, "record")):
        raise Forbidden()
    if actor is not None and actor.estate.pk != house.estate_id:
        raise NotFound()
    estate = actor.estate if actor is not None else house.estate
    key = clean_key(key)
    amount = parse_amount(amount)
    if method not in PaymentMethod.values:
        raise invalid("method", _("not a payment method"))
    reference = clean_text("reference", reference, 64, required=method in REFERENCE_REQUIRED)
    payer_name = clean_text("payer_name", payer_name, 120)
    note = clean_text("note", note, 200)
    received = _received_at(received_at)
    if order is not None and (order.estate_id != estate.pk or order.house_id != house.pk):
        raise invalid("order", _("the order is for another house"))

    existing = _replay(estate, key, house, amount, method)
    if existing is not None:
        return existing
    with transaction.atomic():
        account = lock_account(house)
        existing = _replay(estate, key, house, amount, method)  # a twin request that held the lock before us
        if existing is not None:
            return existing
        bills = _chosen_bills(house, bill_ids) if bill_ids else open_bills([house.pk])
        parts, prepaid = allocate(amount, bills)
        user = actor.user if actor is not None else None
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    estate=estate, house=house, method=method, amount=amount, received_at=received,
                    payer_name=payer_name, reference=reference, key=key, order=order, actor=user, note=note)
        except IntegrityError:
            # The key was taken at the same moment by a payment for another house (it holds another lock).
            existing = _replay(estate, key, house, amount, method)
            if existing is not None:
                return existing
            raise
        now = timezone.now()
        PaymentAllocation.objects.bulk_create([
            PaymentAllocation(estate=estate, bill=bill, payment=payment, source=AllocationSource.PAYMENT,
                              amount=part, created_at=now) for bill, part in parts])
        for bill, part in parts:
            bill.settled += part
            bill.status = bill_status(bill)
        if parts:
            Bill.objects.bulk_update([b for b, _p in parts], ["settled", "status"])
        if prepaid > 0:
            PrepaymentEntry.objects.create(estate=estate, house=house, kind=PrepaymentKind.DEPOSIT, amount=prepaid,
                                           payment=payment, created_at=now)
            account.prepaid += prepaid
            account.save(update_fields=["prepaid", "updated_at"])

        settled = amount - prepaid
        number = next_receipt_number(estate)
        receipt = Receipt.objects.create(
            estate=estate, number=number, payment=payment, house=house, issued_at=now, amount=amount,
            payer_name=payer_name,
            detail={"estate": estate.name, "house": house.code, "method": method, "payer": payer_name,
                    "reference": reference, "received_at": received.isoformat(), "amount": money(amount),
                    "settled": money(settled), "prepaid": money(prepaid), "bills": _bill_details(parts)})
        lines = [Line(account=METHOD_ACCOUNT[method], debit=amount)]
        if settled > 0:
            lines.append(Line(account=chart.RECEIVABLE, credit=settled))
        if prepaid > 0:
            lines.append(Line(account=chart.PREPAID, credit=prepaid))
        entry_post(estate=estate, actor=actor, date=timezone.localdate(received), kind=EntryKind.FEE_PAYMENT,
                   description=str(_("Fee payment, house %(house)s, receipt %(number)s")
                                   % {"house": house.code, "number": receipt.display_number}),
                   lines=lines, counterparty=payer_name or house.code, counterparty_private=True,
                   reference=payment_reference(payment), check_permission=False)
        audit(user=user, estate=estate, action="billing.payment_record", obj=payment,
              after={**snapshot(payment, PAYMENT_FIELDS), "receipt": number, "settled": money(settled),
                     "prepaid": money(prepaid), "bills": [b.pk for b, _p in parts]},
              label=f"{house.code} {money(amount)}")
    return payment


def payment_reference(payment: Payment) -> str:
    return f"billing:payment:{payment.pk}"


# --- prepayment --------------------------------------------------------------------------------------------------
def prepayment_apply(*, estate, house_ids: Sequence[int] | None = None, on: datetime.date | None = None) -> Decimal:
    """Draw each house's prepayment balance into its open bills, oldest due first, and return the total drawn.

    One query when no house has a balance; otherwise the accounts are locked in house order, the bills read in
    one pass, the rows written in bulk and one ledger entry (Dr 2201 / Cr 1122) posted for the whole call, dated
    ``on`` (today by default)."""
    on = on or timezone.localdate()
    holders = BillingAccount.objects.filter(estate=estate, prepaid__gt=0)
    wanted: set[int] | None = None
    if house_ids is not None:
        wanted = {int(h) for h in house_ids}
        if not wanted:
            return ZERO
        if len(wanted) <= CHUNK:
            holders = holders.filter(house_id__in=wanted)
    candidates = [h for h in holders.values_list("house_id", flat=True) if wanted is None or h in wanted]
    if not candidates:
        return ZERO  # the one query: nobody has a balance
    with transaction.atomic():
        accounts = {h: a for h, a in lock_accounts(estate, candidates).items() if a.prepaid > 0}
        if not accounts:
            return ZERO
        bills_by_house: dict[int, list[Bill]] = defaultdict(list)
        for bill in open_bills(sorted(accounts)):
            bills_by_house[bill.house_id].append(bill)
        now = timezone.now()
        allocations, entries, touched_bills, touched_accounts, notes = [], [], [], [], []
        for house_id, account in accounts.items():
            parts, left = allocate(account.prepaid, bills_by_house.get(house_id, ()))
            if not parts:
                continue
            for bill, part in parts:
                allocations.append(PaymentAllocation(estate=estate, bill=bill, source=AllocationSource.PREPAYMENT,
                                                     amount=part, created_at=now))
                entries.append(PrepaymentEntry(estate=estate, house_id=house_id, kind=PrepaymentKind.DRAW,
                                               amount=-part, bill=bill, created_at=now))
                bill.settled += part
                bill.status = bill_status(bill)
                touched_bills.append(bill)
            drawn = account.prepaid - left
            account.prepaid = left
            touched_accounts.append(account)
            notes.append((house_id, drawn, [b.pk for b, _p in parts]))
        if not allocations:
            return ZERO
        PaymentAllocation.objects.bulk_create(allocations, batch_size=2000)
        created = PrepaymentEntry.objects.bulk_create(entries, batch_size=2000)
        refresh_running_totals(bill_ids=[b.pk for b in touched_bills],
                               house_ids=[a.house_id for a in touched_accounts], now=now)
        total = sum((drawn for _h, drawn, _b in notes), ZERO)
        first, last = created[0].pk, created[-1].pk
        entries_post_many(estate=estate, actor=None, check_permission=False, specs=[EntrySpec(
            date=on, kind=EntryKind.FEE_PAYMENT,
            description=str(_("Prepayments applied to %(bills)s bills of %(houses)s houses")
                            % {"bills": len(allocations), "houses": len(notes)}),
            lines=[Line(account=chart.PREPAID, debit=total), Line(account=chart.RECEIVABLE, credit=total)],
            reference=f"billing:prepayment-draw:{first}-{last}")])
        audit_many([audit_entry(user=None, estate=estate, action="billing.prepayment_apply", obj=accounts[house_id],
                                after={"house_id": house_id, "drawn": money(drawn), "bills": bill_ids},
                                label=money(drawn))
                    for house_id, drawn, bill_ids in notes])
    return total


def refresh_running_totals(*, bill_ids: Sequence[int], house_ids: Sequence[int], now=None) -> None:
    """Set the bills' ``settled`` and ``status`` and the houses' ``prepaid`` from their rows (the sums of the
    allocations and of the prepayment entries), set-based: a few UPDATEs per 500 rows however many change, where a
    per-row ``bulk_update`` would build one CASE per row. Call it under the houses' locks, after writing the rows."""
    owed = models.F("amount") + models.F("adjusted")
    # Rounded to the fen in SQL: SQLite sums decimals as floats (1234.56 - 1000.00 - 234.56 is -1.1e-13 there).
    settled = Coalesce(Subquery(PaymentAllocation.objects.filter(bill=OuterRef("pk")).order_by()
                                .values("bill").annotate(s=Round(Sum("amount"), 2)).values("s")[:1]), ZERO,
                       output_field=models.DecimalField(max_digits=14, decimal_places=2))
    bill_ids = sorted(set(bill_ids))
    for start in range(0, len(bill_ids), CHUNK):
        part = Bill.objects.filter(pk__in=bill_ids[start:start + CHUNK])
        part.update(settled=settled)
        part.filter(settled__gte=owed).exclude(status=BillStatus.PAID).update(status=BillStatus.PAID)
        part.filter(settled__lt=owed).exclude(status=BillStatus.OPEN).update(status=BillStatus.OPEN)
    prepaid = Coalesce(Subquery(PrepaymentEntry.objects.filter(house=OuterRef("house")).order_by()
                                .values("house").annotate(s=Round(Sum("amount"), 2)).values("s")[:1]), ZERO,
                       output_field=models.DecimalField(max_digits=14, decimal_places=2))
    house_ids = sorted(set(house_ids))
    for start in range(0, len(house_ids), CHUNK):
        BillingAccount.objects.filter(house_id__in=house_ids[start:start + CHUNK]).update(
            prepaid=prepaid, updated_at=now or timezone.now())


# --- balances ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Balance:
    """A house's money at a glance. ``billed`` and ``adjusted`` are what its bills ask for; ``paid`` is what it paid
    (voided payments left out); ``refunded`` what was paid back from its prepayment; ``prepaid`` its prepayment
    balance; ``outstanding`` what its bills still owe. Always: outstanding - prepaid = billed + adjusted - paid +
    refunded (``net``: what the house owes, negative when it is in credit)."""

    billed: Decimal
    adjusted: Decimal
    paid: Decimal
    refunded: Decimal
    prepaid: Decimal
    outstanding: Decimal
    open_bills: int = 0

    @property
    def net(self) -> Decimal:
        return self.outstanding - self.prepaid


def house_balance(house) -> Balance:
    """The house's balance from the running totals (a handful of aggregate queries)."""
    bills = Bill.objects.filter(house=house).aggregate(
        billed=Sum("amount"), adjusted=Sum("adjusted"), settled=Sum("settled"))
    owing = Bill.objects.filter(house=house, status=BillStatus.OPEN).count()
    paid = (Payment.objects.filter(house=house).exclude(receipt__void__isnull=False)
            .aggregate(s=Sum("amount"))["s"] or ZERO)
    refunded = (Refund.objects.filter(house=house, status=RefundStatus.APPROVED).aggregate(s=Sum("amount"))["s"] or ZERO)
    prepaid = BillingAccount.objects.filter(house=house).values_list("prepaid", flat=True).first() or ZERO
    billed, adjusted, settled = (fen(bills["billed"]), fen(bills["adjusted"]), fen(bills["settled"]))
    return Balance(billed=billed, adjusted=adjusted, paid=fen(paid), refunded=fen(refunded), prepaid=fen(prepaid),
                   outstanding=billed + adjusted - settled, open_bills=owing)


def fen(value) -> Decimal:
    """An aggregate as money (SQLite's sums drop the trailing zeros)."""
    return Decimal(value or 0).quantize(FEN)


@dataclass
class BalanceCheck:
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok


def balance_check(house) -> BalanceCheck:
    """Recompute the house's running totals from the append-only rows (lines, adjustments, allocations,
    prepayment entries, payments, voids, refunds) and say where they differ. An empty list of problems: all
    consistent."""
    check = BalanceCheck()
    bills = list(Bill.objects.filter(house=house).order_by("id"))
    lines, adjustments, allocations = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    for bill_id, s in BillLine.objects.filter(bill__house=house).values_list("bill_id").annotate(s=Sum("amount")):
        lines[bill_id] = fen(s)
    for bill_id, s in Adjustment.objects.filter(bill__house=house).values_list("bill_id").annotate(s=Sum("amount")):
        adjustments[bill_id] = fen(s)
    for bill_id, s in (PaymentAllocation.objects.filter(bill__house=house).values_list("bill_id")
                       .annotate(s=Sum("amount"))):
        allocations[bill_id] = fen(s)
    for bill in bills:
        if bill.amount != lines[bill.pk]:
            check.problems.append(f"bill {bill.pk}: amount {bill.amount} != lines {lines[bill.pk]}")
        if bill.adjusted != adjustments[bill.pk]:
            check.problems.append(f"bill {bill.pk}: adjusted {bill.adjusted} != adjustments {adjustments[bill.pk]}")
        if bill.settled != allocations[bill.pk]:
            check.problems.append(f"bill {bill.pk}: settled {bill.settled} != allocations {allocations[bill.pk]}")
        if bill.settled < 0 or bill.settled > bill.amount + bill.adjusted:
            check.problems.append(f"bill {bill.pk}: settled {bill.settled} outside 0..{bill.amount + bill.adjusted}")
        if bill.status != bill_status(bill):
            check.problems.append(f"bill {bill.pk}: status {bill.status} != {bill_status(bill)}")
    entries = fen(PrepaymentEntry.objects.filter(house=house).aggregate(s=Sum("amount"))["s"])
    account = BillingAccount.objects.filter(house=house).first()
    prepaid = account.prepaid if account is not None else ZERO
    if prepaid != entries:
        check.problems.append(f"prepaid {prepaid} != prepayment entries {entries}")
    if prepaid < 0:
        check.problems.append(f"prepaid {prepaid} is negative")
    # Each payment: its allocations plus its deposit equal its amount (less both again when voided).
    alloc_by_payment = {p: fen(s) for p, s in PaymentAllocation.objects.filter(payment__house=house)
                        .values_list("payment_id").annotate(s=Sum("amount"))}
    deposit_by_payment = {p: fen(s) for p, s in PrepaymentEntry.objects.filter(house=house, payment__isnull=False)
                          .values_list("payment_id").annotate(s=Sum("amount"))}
    voided = set(ReceiptVoid.objects.filter(receipt__house=house).values_list("receipt__payment_id", flat=True))
    for payment_id, amount in Payment.objects.filter(house=house).values_list("id", "amount"):
        expected = ZERO if payment_id in voided else amount
        got = alloc_by_payment.get(payment_id, ZERO) + deposit_by_payment.get(payment_id, ZERO)
        if got != expected:
            check.problems.append(f"payment {payment_id}: allocations and deposit {got} != {expected}")
    balance = house_balance(house)
    if balance.net != balance.billed + balance.adjusted - balance.paid + balance.refunded:
        check.problems.append(f"net {balance.net} != billed + adjusted - paid + refunded "
                              f"({balance.billed} + {balance.adjusted} - {balance.paid} + {balance.refunded})")
    return check


# --- selectors ---------------------------------------------------------------------------------------------------
def payment_list(*, actor: Actor, house=None, method: str | None = None):
    qs = (Payment.objects.restrict(actor, "view").select_related("house__building", "house__unit", "receipt__void")
          .order_by("-id"))
    if house is not None:
        qs = qs.filter(house=house)
    if method:
        qs = qs.filter(method=method)
    return qs


def payment_get_for_actor(*, actor: Actor, payment_id) -> Payment:
    """One payment the actor may see; 404 alike for missing, another estate's and another house's."""
    try:
        pk = int(payment_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    payment = (Payment.objects.restrict(actor, "view").select_related("house__building", "house__unit", "receipt")
               .filter(pk=pk).first())
    if payment is None:
        raise NotFound()
    return payment


def house_get_for_actor(*, actor: Actor, house_id):
    """A house of the actor's estate whose money the actor may see (staff: any; a resident: their own)."""
    from gongzhi.estate.models import House

    try:
        pk = int(house_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    house = House.objects.filter(estate=actor.estate, pk=pk).select_related("building", "unit").first()
    if house is None or not PaymentPolicy.can(actor, "view", house_stub(house)):
        raise NotFound()
    return house


@dataclass(frozen=True)
class _HouseStub:
    house_id: int


def house_stub(house) -> _HouseStub:
    return _HouseStub(house_id=house.pk)


def open_bills_for_house(house) -> list[Bill]:
    return open_bills([house.pk])


def bills_map(bill_ids: Iterable[int]) -> dict[int, Bill]:
    return {b.pk: b for b in Bill.objects.filter(pk__in=list(bill_ids))}


__all__ = ["Balance", "BalanceCheck", "allocate", "balance_check", "house_balance", "lock_account",
           "next_receipt_number", "open_bills", "parse_amount", "payment_get_for_actor", "payment_list",
           "payment_record", "prepayment_apply"]

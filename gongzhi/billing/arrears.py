"""Arrears (欠费): what houses owe past the due date, aged in buckets; a statement per house; reminders.

Civil Code art. 944: a property company may claim unpaid fees (reminders, then the courts) but may NOT cut off
water, power, heat or gas to collect them, and nothing here may keep an owner from their home or their car. So
arrears are read by finance, the statement and the reminder only: no module outside billing, the ledger, the
dashboard and the notification centre imports this one or the bill selectors (``tests/arrears/test_art944_scan``
fails the build otherwise), and no door, gate, barrier or meter code path reads a bill.

Ages: a bill ``on`` a day is *d* days overdue where d = on − due date (a bill due today is not yet overdue; due
yesterday: 1 day). Buckets: not yet due (d ≤ 0), 1–30, 31–90, 91–180, 181–365 and more than 365 days. Amounts are
what the bills still ask for (``amount + adjusted − settled``) from the running totals, summed in SQL.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, DecimalField, F, Max, Min, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, encode_cursor

from .choices import BillKind, BillStatus, PrepaymentKind
from .errors import invalid
from .models import (
    Adjustment,
    ArrearsReminder,
    Bill,
    Payment,
    PrepaymentEntry,
    ReceiptVoid,
)
from .policies import BillPolicy

ZERO = Decimal("0.00")
FEN = Decimal("0.01")
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Bucket:
    key: str
    label: object
    low: int | None  # days overdue, inclusive; None: open
    high: int | None


BUCKETS = (
    Bucket("not_due", _("Not yet due"), None, 0),
    Bucket("d1_30", _("1–30 days"), 1, 30),
    Bucket("d31_90", _("31–90 days"), 31, 90),
    Bucket("d91_180", _("91–180 days"), 91, 180),
    Bucket("d181_365", _("181–365 days"), 181, 365),
    Bucket("over_365", _("More than 365 days"), 366, None),
)
BUCKET_KEYS = tuple(b.key for b in BUCKETS)
OVERDUE_KEYS = BUCKET_KEYS[1:]


def require(actor: Actor, action: str) -> Actor:
    if not BillPolicy.can(actor, action):
        raise Forbidden()
    return actor


def _outstanding():
    return F("amount") + F("adjusted") - F("settled")


def _bucket_q(bucket: Bucket, on: datetime.date) -> Q:
    """Bills ``on`` whose days overdue fall in the bucket: d = on − due_date in [low, high] ⇔ due_date in
    [on − high, on − low]."""
    q = Q()
    if bucket.high is not None:
        q &= Q(due_date__gte=on - datetime.timedelta(days=bucket.high))
    if bucket.low is not None:
        q &= Q(due_date__lte=on - datetime.timedelta(days=bucket.low))
    return q


def _aggregates(on: datetime.date) -> dict:
    sums = {b.key: Coalesce(Sum(Case(When(_bucket_q(b, on), then=_outstanding()), default=Value(ZERO),
                                     output_field=MONEY_FIELD)), Value(ZERO), output_field=MONEY_FIELD)
            for b in BUCKETS}
    sums["overdue"] = Coalesce(Sum(Case(When(due_date__lt=on, then=_outstanding()), default=Value(ZERO),
                                        output_field=MONEY_FIELD)), Value(ZERO), output_field=MONEY_FIELD)
    sums["total"] = Coalesce(Sum(_outstanding(), output_field=MONEY_FIELD), Value(ZERO), output_field=MONEY_FIELD)
    sums["bills"] = Count("id")
    sums["overdue_bills"] = Count("id", filter=Q(due_date__lt=on))
    sums["oldest_due"] = Min("due_date")
    return sums


def owing_bills(estate):
    """Every bill of the estate that still asks for money."""
    return Bill.objects.filter(estate=estate, status=BillStatus.OPEN).filter(
        amount__gt=F("settled") - F("adjusted"))


@dataclass
class ArrearsRow:
    """One house or building: what it owes by age bucket (``buckets[key]``), in all and overdue."""

    key: int | None
    label: str
    buckets: dict
    overdue: Decimal
    total: Decimal
    bills: int
    overdue_bills: int
    oldest_due: datetime.date | None
    on: datetime.date
    building: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def days_overdue(self) -> int:
        return max(0, (self.on - self.oldest_due).days) if self.oldest_due else 0

    @property
    def bucket_list(self) -> list[tuple[str, Decimal]]:
        return [(k, self.buckets[k]) for k in BUCKET_KEYS]


def _money(value) -> Decimal:
    """A sum from the database as money (SQLite answers 400 for 400.00)."""
    return Decimal(value or 0).quantize(FEN)


def _row(values: dict, *, key, label: str, on: datetime.date, building: str = "") -> ArrearsRow:
    return ArrearsRow(key=key, label=label, buckets={k: _money(values[k]) for k in BUCKET_KEYS},
                      overdue=_money(values["overdue"]), total=_money(values["total"]), bills=values["bills"],
                      overdue_bills=values["overdue_bills"], oldest_due=values["oldest_due"], on=on,
                      building=building)


def _filtered(actor: Actor, *, building_id=None):
    qs = owing_bills(actor.estate)
    if building_id:
        qs = qs.filter(house__building_id=building_id)
    return qs


@dataclass
class ArrearsPage:
    items: list[ArrearsRow]
    next_cursor: str | None
    on: datetime.date


def arrears_by_house(*, actor: Actor, on: datetime.date | None = None, building_id=None, min_days: int = 1,
                     cursor: str | None = None, limit: int | None = None) -> ArrearsPage:
    """Houses in arrears (at least one bill ``min_days`` or more overdue; ``min_days=0`` takes every house that
    owes anything, due or not), by house id, cursor-paginated: one grouped query for the page and one for the
    houses' names."""
    from gongzhi.estate.models import House

    require(actor, "arrears")
    on = on or timezone.localdate()
    limit = max(1, min(limit or DEFAULT_LIMIT, MAX_LIMIT))
    qs = _filtered(actor, building_id=building_id)
    if cursor:
        qs = qs.filter(house_id__gt=decode_cursor(cursor))
    grouped = qs.values("house_id").annotate(**_aggregates(on)).order_by("house_id")
    if min_days > 0:
        grouped = grouped.filter(oldest_due__lte=on - datetime.timedelta(days=min_days))
    rows = list(grouped[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    houses = {h.pk: h for h in House.objects.filter(pk__in=[r["house_id"] for r in rows])
              .select_related("building", "unit")}
    items = [_row(r, key=r["house_id"], label=houses[r["house_id"]].code, on=on,
                  building=houses[r["house_id"]].building.name) for r in rows]
    return ArrearsPage(items=items, next_cursor=encode_cursor(rows[-1]["house_id"]) if more and rows else None,
                       on=on)


def arrears_by_building(*, actor: Actor, on: datetime.date | None = None) -> list[ArrearsRow]:
    """Every building with bills owing, in the estate's building order, with the houses in arrears counted."""
    from gongzhi.estate.models import Building

    require(actor, "arrears")
    on = on or timezone.localdate()
    rows = list(owing_bills(actor.estate).values("house__building_id").annotate(
        houses=Count("house_id", distinct=True),
        houses_overdue=Count("house_id", distinct=True, filter=Q(due_date__lt=on)),
        **_aggregates(on)).order_by())
    buildings = {b.pk: b for b in Building.objects.filter(estate=actor.estate)}
    result = []
    for r in rows:
        building = buildings[r["house__building_id"]]
        row = _row(r, key=building.pk, label=building.name, on=on)
        row.extra = {"houses": r["houses"], "houses_overdue": r["houses_overdue"],
                     "sort": (building.sort_key, building.name)}
        result.append(row)
    return sorted(result, key=lambda row: row.extra["sort"])


def arrears_totals(*, actor: Actor, on: datetime.date | None = None, building_id=None) -> ArrearsRow:
    """The estate's (or one building's) arrears in one row, with the number of houses in arrears."""
    require(actor, "arrears")
    on = on or timezone.localdate()
    qs = _filtered(actor, building_id=building_id)
    values = qs.aggregate(houses=Count("house_id", distinct=True),
                          houses_overdue=Count("house_id", distinct=True, filter=Q(due_date__lt=on)),
                          **_aggregates(on))
    row = _row(values, key=None, label=gettext("All"), on=on)
    row.extra = {"houses": values["houses"], "houses_overdue": values["houses_overdue"]}
    return row


# --- the statement ---------------------------------------------------------------------------------------------------
@dataclass
class StatementRow:
    at: datetime.datetime
    kind: str
    kind_label: str
    description: str
    debit: Decimal = ZERO  # adds to what the house owes
    credit: Decimal = ZERO  # takes off
    prepaid_change: Decimal = ZERO
    balance: Decimal = ZERO  # what the house owes after the row (negative: in credit)
    prepaid: Decimal = ZERO  # the prepayment balance after the row
    bill_id: int | None = None
    payment_id: int | None = None
    receipt_number: str = ""
    rank: int = 0


@dataclass
class Statement:
    house: object
    rows: list[StatementRow]
    opening_balance: Decimal
    opening_prepaid: Decimal
    closing_balance: Decimal
    closing_prepaid: Decimal
    outstanding: Decimal  # what the bills still ask for (closing balance + prepaid)
    date_from: datetime.date | None
    date_to: datetime.date | None
    on: datetime.date


STATEMENT_KINDS = {
    "bill": _("Bill"),
    "adjustment": _("Adjustment"),
    "payment": _("Payment"),
    "void": _("Payment voided"),
    "deposit": _("Kept as prepayment"),
    "draw": _("Prepayment applied"),
    "refund": _("Refund"),
    "prepayment_void": _("Prepayment voided"),
}


def _statement_rows(house) -> list[StatementRow]:
    rows: list[StatementRow] = []
    for bill in Bill.objects.filter(house=house).order_by("issued_at", "pk"):
        label = BillKind(bill.kind).label
        period = (f"{bill.period_start:%Y-%m}" if bill.kind == BillKind.PERIODIC
                  and bill.period_start.day == 1 else bill.period_start.isoformat())
        text = gettext("%(kind)s #%(id)s, %(period)s, due %(due)s") % {
            "kind": label, "id": bill.pk, "period": period, "due": bill.due_date.isoformat()}
        if bill.note:
            text = f"{text}: {bill.note}"
        rows.append(StatementRow(at=bill.issued_at, kind="bill", kind_label="", description=text, debit=bill.amount,
                                 bill_id=bill.pk, rank=0))
    for adj in Adjustment.objects.filter(bill__house=house).order_by("created_at", "pk"):
        text = gettext("Bill #%(id)s: %(reason)s") % {"id": adj.bill_id, "reason": adj.reason}
        rows.append(StatementRow(at=adj.created_at, kind="adjustment", kind_label="", description=text,
                                 debit=max(adj.amount, ZERO), credit=max(-adj.amount, ZERO), bill_id=adj.bill_id,
                                 rank=1))
    payments = list(Payment.objects.filter(house=house).select_related("receipt").order_by("received_at", "pk"))
    for p in payments:
        receipt = getattr(p, "receipt", None)
        number = receipt.display_number if receipt is not None else ""
        text = gettext("%(method)s, receipt %(number)s") % {"method": p.get_method_display(), "number": number or "—"}
        if p.reference:
            text = f"{text} ({p.reference})"
        rows.append(StatementRow(at=p.received_at, kind="payment", kind_label="", description=text, credit=p.amount,
                                 payment_id=p.pk, receipt_number=number, rank=2))
    for void in ReceiptVoid.objects.filter(receipt__house=house).select_related("receipt").order_by("created_at"):
        text = gettext("Receipt %(number)s voided: %(reason)s") % {"number": void.receipt.display_number,
                                                                    "reason": void.reason}
        rows.append(StatementRow(at=void.created_at, kind="void", kind_label="", description=text,
                                 debit=void.receipt.amount, payment_id=void.receipt.payment_id,
                                 receipt_number=void.receipt.display_number, rank=3))
    for entry in PrepaymentEntry.objects.filter(house=house).order_by("created_at", "pk"):
        kind = {PrepaymentKind.DEPOSIT: "deposit", PrepaymentKind.DRAW: "draw", PrepaymentKind.REFUND: "refund",
                PrepaymentKind.VOID: "prepayment_void"}.get(entry.kind, "deposit")
        if kind == "draw" and entry.bill_id:
            text = gettext("To bill #%(id)s") % {"id": entry.bill_id}
        elif kind == "refund":
            text = gettext("Paid back from the prepayment balance")
        else:
            text = ""
        row = StatementRow(at=entry.created_at, kind=kind, kind_label="", description=text,
                           prepaid_change=entry.amount, bill_id=entry.bill_id, payment_id=entry.payment_id, rank=4)
        if kind == "refund":  # money out of the house's credit: it owes that much more (or has less credit)
            row.debit = -entry.amount
        rows.append(row)
    rows.sort(key=lambda r: (r.at, r.rank))
    for r in rows:
        r.kind_label = str(STATEMENT_KINDS[r.kind])
    return rows


def house_statement(*, actor: Actor, house_id, date_from: datetime.date | None = None,
                    date_to: datetime.date | None = None) -> Statement:
    """Every bill, adjustment, payment, void, refund and prepayment movement of one house in date order, each
    with the running balance (what the house owes; negative: in credit) and the prepayment balance. Staff who
    see bills read any house; a resident reads the houses they live in or own; anyone else 404. With a date
    range, the rows before it make the opening balances."""
    from .payments import house_get_for_actor

    house = house_get_for_actor(actor=actor, house_id=house_id)
    if date_from and date_to and date_from > date_to:
        raise invalid("date_from", _("is after the end date"))
    balance = prepaid = ZERO
    opening_balance = opening_prepaid = ZERO
    shown = []
    for row in _statement_rows(house):
        balance += row.debit - row.credit
        prepaid += row.prepaid_change
        row.balance, row.prepaid = balance, prepaid
        day = timezone.localdate(row.at)
        if date_from and day < date_from:
            opening_balance, opening_prepaid = balance, prepaid
            continue
        if date_to and day > date_to:
            continue
        shown.append(row)
    closing_balance = shown[-1].balance if shown else opening_balance
    closing_prepaid = shown[-1].prepaid if shown else opening_prepaid
    return Statement(house=house, rows=shown, opening_balance=opening_balance, opening_prepaid=opening_prepaid,
                     closing_balance=closing_balance, closing_prepaid=closing_prepaid,
                     outstanding=closing_balance + closing_prepaid, date_from=date_from, date_to=date_to,
                     on=timezone.localdate())


def my_statement_houses(*, actor: Actor) -> list:
    """The houses whose statement the actor reads as a resident (the houses they live in or own)."""
    from gongzhi.estate.models import House

    from .policies import resident_house_ids

    ids = resident_house_ids(actor)
    return list(House.objects.filter(estate=actor.estate, pk__in=ids).select_related("building", "unit")
                .order_by("building__sort_key", "building__name", "unit__name", "number"))


# --- reminders -------------------------------------------------------------------------------------------------------
REMINDER_TITLE = _("Fees overdue for %(house)s")
REMINDER_BODY = _("%(amount)s yuan is overdue on %(bills)s bill(s) of %(house)s, the oldest %(days)s days. Please pay "
                  "in the app or at the property office. Arrears never affect your access, water, power, heat or gas.")


def _int_rule(estate, key: str) -> int:
    raw = estate.rules().get(key)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if value < 0 or (key == "fees.reminder_every_days" and value == 0):
        raise DomainError(_("The estate's rule %(rule)s is not a number: %(value)s."), code="bad_rule",
                          detail={"rule": key}, rule=key, value=raw)
    return value


@dataclass
class RemindResult:
    on: datetime.date
    sent: int = 0
    skipped_recent: int = 0
    unreachable: int = 0
    houses: list[int] = field(default_factory=list)


def _payers(estate, house_ids: list[int], on: datetime.date) -> dict[int, list]:
    """Who is reminded for each house: its current owners and co-owners, and its tenants where the tenant pays
    (``fees.tenant_pays``). Houses held by the developer are left out (the developer is not a resident)."""
    from gongzhi.estate.choices import OWNER_KINDS, ResidencyKind
    from gongzhi.estate.models import Residency

    kinds = set(OWNER_KINDS)
    if estate.rules().get("fees.tenant_pays"):
        kinds.add(ResidencyKind.TENANT)
    people: dict[int, list] = defaultdict(list)
    for residency in (Residency.objects.current(on).filter(estate=estate, house_id__in=house_ids, kind__in=kinds,
                                                           house__developer_held=False)
                      .select_related("person__user").order_by("house_id", "pk")):
        people[residency.house_id].append(residency.person)
    return people


def _sms_without_login(persons, title: str, body: str) -> None:
    """The SMS channel for payers with no login (so no notification centre inbox): after commit."""
    from gongzhi.notifications.channels import CHANNELS
    from gongzhi.notifications.choices import NotificationChannel

    provider = CHANNELS[NotificationChannel.SMS].provider
    for person in persons:
        provider.send(person.mobile, f"{title}: {body}")


def arrears_remind(*, actor: Actor | None, estate, on: datetime.date | None = None) -> RemindResult:
    """Remind every house in arrears (a bill at least ``fees.reminder_after_days`` overdue) at most once every
    ``fees.reminder_every_days`` days. The payers with a login get it in the notification centre (and by email or
    SMS as each has chosen there); payers without a login get an SMS. ``actor`` None is the daily job.

    Idempotent: the house's reminders are numbered (``ArrearsReminder.key`` = "<house>:<n>"), so two runs at once
    write one; a rerun within the window sends nothing. Each house is its own transaction."""
    from gongzhi.notifications.choices import NotificationKind
    from gongzhi.notifications.services import notify

    if actor is not None:
        require(actor, "remind")
        if actor.estate.pk != estate.pk:
            raise Forbidden()
    on = on or timezone.localdate()
    if not isinstance(on, datetime.date) or isinstance(on, datetime.datetime):
        raise invalid("on", _("not a date"))
    after = _int_rule(estate, "fees.reminder_after_days")
    every = _int_rule(estate, "fees.reminder_every_days")
    result = RemindResult(on=on)
    rows = list(owing_bills(estate).filter(due_date__lte=on - datetime.timedelta(days=max(after, 1)))
                .values("house_id").annotate(amount=Sum(_outstanding(), output_field=MONEY_FIELD),
                                             bills=Count("id"), oldest=Min("due_date")).order_by("house_id"))
    if not rows:
        return result
    house_ids = [r["house_id"] for r in rows]
    last_sent: dict[int, tuple[datetime.datetime, int]] = {}
    for house_id, sent_at, count in (ArrearsReminder.objects.filter(estate=estate, house_id__in=house_ids)
                                     .values("house_id").annotate(last=Max("sent_at"), n=Count("id"))
                                     .values_list("house_id", "last", "n")):
        last_sent[house_id] = (sent_at, count)
    payers = _payers(estate, house_ids, on)
    from gongzhi.estate.models import House

    houses = {h.pk: h for h in House.objects.filter(pk__in=house_ids).select_related("building", "unit")}
    url = reverse("billing:my_statement", kwargs={"estate_id": estate.pk})
    now = timezone.now()
    # The window is counted in days of the runs: a run for an earlier day (a catch-up) is recorded on that day.
    sent_at = now if on == timezone.localdate() else timezone.make_aware(
        datetime.datetime.combine(on, timezone.localtime(now).time()))
    for r in rows:
        house_id = r["house_id"]
        previous, count = last_sent.get(house_id, (None, 0))
        if previous is not None and (on - timezone.localdate(previous)).days < every:
            result.skipped_recent += 1
            continue
        persons = payers.get(house_id, [])
        users = [p.user for p in persons if p.user_id is not None]
        sms_only = [p for p in persons if p.user_id is None and p.mobile]
        r["amount"] = _money(r["amount"])
        params = {"house": houses[house_id].code, "amount": r["amount"], "bills": r["bills"],
                  "days": (on - r["oldest"]).days}
        channels = (["in_app"] if users else []) + (["sms"] if sms_only else [])
        try:
            with transaction.atomic():
                reminder = ArrearsReminder.objects.create(
                    estate=estate, house_id=house_id, key=f"{house_id}:{count + 1}", amount=r["amount"],
                    bills=r["bills"], channels=",".join(channels), sent_at=sent_at)
                if users:
                    notify(estate=estate, users=users, kind=NotificationKind.FEE_ARREARS, url=url, title=REMINDER_TITLE,
                           body=REMINDER_BODY, params=params)
                if sms_only:
                    with translation.override(settings.LANGUAGE_CODE):
                        title, body = str(REMINDER_TITLE) % params, str(REMINDER_BODY) % {
                            k: str(v) for k, v in params.items()}
                    transaction.on_commit(lambda persons=sms_only, t=title, b=body: _sms_without_login(persons, t, b))
                audit(user=actor.user if actor else None, estate=estate, action="billing.arrears_remind",
                      obj=reminder, after={"house": house_id, "amount": str(r["amount"]), "bills": r["bills"],
                                           "channels": reminder.channels, "key": reminder.key},
                      label=houses[house_id].code)
        except IntegrityError:  # another run reminded this house at the same moment
            result.skipped_recent += 1
            continue
        result.sent += 1
        result.houses.append(house_id)
        if not channels:
            result.unreachable += 1
    return result


def reminders_recent(*, actor: Actor, limit: int = 20) -> list[ArrearsReminder]:
    require(actor, "arrears")
    return list(ArrearsReminder.objects.filter(estate=actor.estate).select_related("house__building", "house__unit")
                .order_by("-sent_at", "-pk")[:limit])

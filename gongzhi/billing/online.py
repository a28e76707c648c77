"""Online payments: the resident's order, the gateway's notification, and the orders that expire.

``order_create`` fixes what is paid (the chosen bills' outstanding total, all open bills, or an advance amount kept
as prepayment) and asks the provider for its order (a QR code or a page). ``notification_handle`` is the one door
money comes in by: the provider verifies the notification (signature, decryption), then under the order's row lock
an already-paid order answers DUPLICATE, the merchant, app and amount are checked against the order, and
``payments.payment_record`` settles the bills, keeps the rest as prepayment, numbers the receipt and posts the ledger
entry. Every notification is logged in ``PaymentNotification``, a refused one (REJECTED, with the reason) too; a
refusal writes nothing else. ``orders_close_expired`` closes unpaid orders after their 2 hours."""

from __future__ import annotations

import contextlib
import datetime
import logging
import secrets
from decimal import Decimal

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, audit_entry, audit_many, snapshot
from gongzhi.core.errors import Conflict, DomainError, NotFound, Reason

from .choices import BillStatus, NotificationOutcome, OrderStatus
from .errors import invalid, key_reused
from .models import Bill, PaymentNotification, PaymentOrder
from .payments import clean_key, parse_amount, payment_record
from .policies import FINANCE_ROLES, PaymentPolicy, resident_house_ids
from .providers import NAMES, NotificationInvalid, ProviderError, default_provider, get_provider
from .providers.base import Reply

log = logging.getLogger(__name__)
ORDER_LIFETIME = datetime.timedelta(hours=2)
MAX_BODY = 64 * 1024  # a gateway's notification is a few kilobytes
LOGGED_BODY = 8000
ORDER_FIELDS = ["house_id", "provider", "out_trade_no", "amount", "bill_ids", "status", "expires_at", "key"]
ZERO = Decimal("0.00")


# --- orders ------------------------------------------------------------------------------------------------------
def _may_pay_for(actor: Actor, house) -> bool:
    if house.estate_id != actor.estate.pk:
        return False
    return actor.has_any(FINANCE_ROLES) or house.pk in resident_house_ids(actor)


def _bills_to_pay(house, bill_ids) -> list[Bill]:
    try:
        ids = [int(i) for i in bill_ids]
    except (TypeError, ValueError):
        raise invalid("bill_ids", _("not a list of bill numbers")) from None
    if not ids:
        raise invalid("bill_ids", _("choose at least one bill"))
    if len(set(ids)) != len(ids):
        raise invalid("bill_ids", _("the same bill twice"))
    found = {b.pk: b for b in Bill.objects.filter(pk__in=ids, estate_id=house.estate_id, house=house)}
    if len(found) != len(ids):
        raise NotFound(_("Bill not found."), code="bill_not_found",
                       detail={"bill_ids": [i for i in ids if i not in found]})
    bills = [found[i] for i in ids]
    settled = [b.pk for b in bills if b.status == BillStatus.PAID or b.outstanding <= 0]
    if settled:
        raise Conflict(_("Bill %(bills)s is already settled."), code="bill_settled", detail={"bill_ids": settled},
                       bills=", ".join(f"#{i}" for i in settled))
    return bills


def new_out_trade_no(estate_id: int) -> str:
    """Unique and unguessable: "GZ", the estate, "X", 20 random hex digits (WeChat Pay allows 6..32 of
    [A-Za-z0-9_-|*])."""
    return f"GZ{estate_id}X{secrets.token_hex(10).upper()}"


def order_create(*, actor: Actor, house, bill_ids=None, amount=None, provider: str | None = None,
                 key: str) -> PaymentOrder:
    """Start an online payment for ``house``: the chosen bills' outstanding total, else (no amount) all its open
    bills, else ``amount`` in advance (kept as prepayment; open bills are settled first, oldest due first).

    A resident pays for the houses they live in or own; finance for any. 404 for a house or bill of another estate
    or house; 409 for a bill already settled; 400 for nothing to pay. Idempotent on ``key``: the same request again
    returns the first order. The order expires after 2 hours."""
    if not PaymentPolicy.can(actor, "pay_online") or not _may_pay_for(actor, house):
        raise NotFound()
    key = clean_key(key)
    provider = provider or default_provider()
    if provider not in NAMES:
        raise invalid("provider", _("not an online payment provider"))
    first = _order_replay(actor, key, house, bill_ids, amount, provider)
    if first is not None:
        return first
    if bill_ids:
        bills = _bills_to_pay(house, bill_ids)
        total = sum((b.outstanding for b in bills), ZERO)
        if amount is not None and parse_amount(amount) != total:
            raise invalid("amount", Reason(_("must be the chosen bills' outstanding total %(total)s"),
                                           total=f"{total:.2f}"))
        chosen = [b.pk for b in bills]
    elif amount is not None:
        total, chosen = parse_amount(amount), []
    else:
        bills = list(Bill.objects.filter(house=house, status=BillStatus.OPEN).order_by("due_date", "id"))
        total, chosen = sum((b.outstanding for b in bills), ZERO), [b.pk for b in bills if b.outstanding > 0]
    if total <= 0:
        raise DomainError(_("There is nothing to pay."), code="nothing_to_pay")
    total = parse_amount(total)

    try:
        adapter = get_provider(provider)
    except ProviderError as error:
        log.error("payment provider %s: %s", provider, error)
        raise _unavailable() from None
    now = timezone.now()
    try:
        with transaction.atomic():
            order = PaymentOrder.objects.create(
                estate=actor.estate, house=house, provider=provider, out_trade_no=new_out_trade_no(actor.estate.pk),
                amount=total, bill_ids=chosen, created_by=actor.user, created_at=now,
                expires_at=now + ORDER_LIFETIME, key=key)
            try:
                order.pay_url = adapter.create_order(order)[:500]
            except ProviderError as error:
                log.warning("payment provider %s refused order %s: %s", provider, order.out_trade_no, error)
                raise _unavailable() from None
            order.save(update_fields=["pay_url"])
            audit(user=actor.user, estate=actor.estate, action="billing.order_create", obj=order,
                  after=snapshot(order, ORDER_FIELDS), label=f"{house.code} {total:.2f}")
    except IntegrityError:
        existing = _order_replay(actor, key, house, bill_ids, amount, provider)  # a twin request won the key
        if existing is None:
            raise
        return existing
    return order


def _unavailable() -> DomainError:
    return DomainError(_("The payment service is not available just now; please try again later."),
                       code="provider_unavailable", status=503)


def _order_replay(actor, key, house, bill_ids, amount, provider) -> PaymentOrder | None:
    """The order an earlier request with ``key`` created, when it asked the same; 409 when it asked otherwise."""
    existing = PaymentOrder.objects.filter(estate=actor.estate, key=key).first()
    if existing is None:
        return None
    same = existing.house_id == house.pk and existing.provider == provider
    try:
        if bill_ids:
            same = same and [int(i) for i in bill_ids] == [int(i) for i in existing.bill_ids]
        if amount is not None:
            same = same and parse_amount(amount) == existing.amount
    except (TypeError, ValueError, DomainError):
        same = False
    if not same:
        raise key_reused(key)
    return existing


def order_close(*, actor: Actor, order: PaymentOrder) -> PaymentOrder:
    """The payer gives up (the sandbox's "Cancel"): an unpaid order is closed; a paid one stays paid (409)."""
    with transaction.atomic():
        locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status == OrderStatus.PAID:
            raise Conflict(_("This order is already paid."), code="order_paid")
        if locked.status == OrderStatus.CREATED:
            locked.status = OrderStatus.CLOSED
            locked.save(update_fields=["status"])
            audit(user=actor.user, estate=actor.estate, action="billing.order_close", obj=locked,
                  after={"status": locked.status}, label=locked.out_trade_no)
    return locked


def orders_close_expired(*, now: datetime.datetime | None = None, estate=None) -> int:
    """Close the unpaid orders whose time is up; idempotent (a second run closes nothing). Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        qs = PaymentOrder.objects.select_for_update().filter(status=OrderStatus.CREATED, expires_at__lt=now)
        if estate is not None:
            qs = qs.filter(estate=estate)
        rows = list(qs.only("id", "estate_id", "out_trade_no"))
        if not rows:
            return 0
        PaymentOrder.objects.filter(pk__in=[o.pk for o in rows], status=OrderStatus.CREATED).update(
            status=OrderStatus.CLOSED)
        audit_many([audit_entry(user=None, estate=o.estate, action="billing.order_expire", obj=o,
                                after={"status": OrderStatus.CLOSED}, label=o.out_trade_no) for o in rows])
    return len(rows)


# --- selectors ---------------------------------------------------------------------------------------------------
def order_list(*, actor: Actor, house=None) -> QuerySet:
    """The orders the actor may see (a resident: their houses'), newest first."""
    qs = PaymentOrder.objects.restrict(actor, "view").select_related("house__building", "house__unit").order_by("-id")
    return qs.filter(house=house) if house is not None else qs


def order_get_for_actor(*, actor: Actor, order_id) -> PaymentOrder:
    """One order the actor may see; 404 alike for missing, another estate's and another house's."""
    try:
        pk = int(order_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    order = (PaymentOrder.objects.restrict(actor, "view").select_related("house__building", "house__unit")
             .filter(pk=pk).first())
    if order is None:
        raise NotFound()
    return order


def order_payment(order: PaymentOrder):
    """The payment (with its receipt) an order brought in, or None."""
    from .models import Payment

    return Payment.objects.select_related("receipt").filter(order=order).first()


# --- notifications -----------------------------------------------------------------------------------------------
class _Refused(Exception):
    def __init__(self, reason: str, order: PaymentOrder | None = None):
        self.reason, self.order = reason, order
        super().__init__(reason)


def _clean(text: str, limit: int) -> str:
    """Text as the log can store it: PostgreSQL refuses NUL characters, which a forger may send."""
    return text.replace("\x00", "\ufffd")[:limit]


def _log(*, provider: str, outcome: str, reason: str = "", note=None, order=None, remote_addr: str = "",
         body: str = "") -> None:
    PaymentNotification.objects.create(
        estate_id=order.estate_id if order is not None else None, order=order, provider=provider,
        out_trade_no=_clean(note.out_trade_no if note is not None else "", 64),
        transaction_id=_clean(note.transaction_id if note is not None else "", 64),
        amount=note.amount if note is not None and note.amount.is_finite() and abs(note.amount) < 10**12 else None,
        outcome=outcome, reason=_clean(reason, 200), remote_addr=_clean(remote_addr, 64), body=_clean(body, LOGGED_BODY))


def notification_handle(*, provider: str, headers, body: bytes, remote_addr: str = "") -> tuple[int, bytes]:
    """Handle one notification a gateway posted; return the HTTP status and body to answer it with (the
    provider's success or failure format). Never raises for bad input: a refusal is logged and answered."""
    text = body[:LOGGED_BODY].decode("utf-8", errors="replace")
    if provider not in NAMES:
        return 404, b""
    try:
        adapter = get_provider(provider)
    except ProviderError as error:
        log.error("payment notification for %s, which is not configured: %s", provider, error)
        _log(provider=provider, outcome=NotificationOutcome.REJECTED, reason="provider not configured",
             remote_addr=remote_addr, body=text)
        return 503, b""
    if len(body) > MAX_BODY:
        _log(provider=provider, outcome=NotificationOutcome.REJECTED, reason="body too large",
             remote_addr=remote_addr, body=text)
        return _answer(adapter.nack("body too large"))
    try:
        note = adapter.parse_notification(headers, body)
    except NotificationInvalid as error:
        _log(provider=provider, outcome=NotificationOutcome.REJECTED, reason=error.reason, remote_addr=remote_addr,
             body=text)
        return _answer(adapter.nack(error.reason))
    try:
        with transaction.atomic():
            outcome, order = _apply(adapter, note)
            _log(provider=provider, outcome=outcome, note=note, order=order, remote_addr=remote_addr, body=text)
    except _Refused as refused:
        _log(provider=provider, outcome=NotificationOutcome.REJECTED, reason=refused.reason, note=note,
             order=refused.order, remote_addr=remote_addr, body=text)
        return _answer(adapter.nack(refused.reason))
    except DomainError as error:  # payment_record or the ledger refused (a closed period, a bill gone...)
        reason = error.text("en")
        log.warning("payment notification %s refused: %s", note.out_trade_no, reason)
        order = PaymentOrder.objects.filter(out_trade_no=note.out_trade_no, provider=provider).first()
        _log(provider=provider, outcome=NotificationOutcome.REJECTED, reason=f"{error.code}: {reason}", note=note,
             order=order, remote_addr=remote_addr, body=text)
        return _answer(adapter.nack(error.code))
    except DatabaseError as error:  # the database was busy past its timeout, or went away: nothing was written
        log.warning("payment notification %s not handled, the gateway will retry: %s", note.out_trade_no, error)
        with contextlib.suppress(DatabaseError):
            _log(provider=provider, outcome=NotificationOutcome.REJECTED, reason="database busy, retry", note=note,
                 remote_addr=remote_addr, body=text)
        return _answer(adapter.nack("busy, retry later"))
    return _answer(adapter.ack())


def _answer(reply: Reply) -> tuple[int, bytes]:
    return reply.status, reply.body


def _apply(adapter, note) -> tuple[str, PaymentOrder]:
    """Under the order's lock: DUPLICATE, ACCEPTED (the payment recorded) or ``_Refused``."""
    order = (PaymentOrder.objects.select_for_update().select_related("house__building", "house__unit")
             .filter(out_trade_no=note.out_trade_no, provider=adapter.name).first())
    if order is None:
        raise _Refused("unknown out_trade_no")
    if note.merchant_id != adapter.merchant_id or note.app_id != adapter.app_id:
        raise _Refused("merchant or app id differs", order)
    if order.status == OrderStatus.PAID:
        if note.transaction_id == order.transaction_id:
            return NotificationOutcome.DUPLICATE, order
        raise _Refused("order already paid by another transaction", order)
    if not note.paid:
        raise _Refused("not a successful payment", order)
    if order.status == OrderStatus.CLOSED:
        raise _Refused("order closed", order)
    if note.amount != order.amount:
        raise _Refused(f"amount {note.amount} differs from the order's {order.amount}", order)
    if not note.transaction_id:
        raise _Refused("transaction id missing", order)
    payment_record(actor=None, check_permission=False, house=order.house, amount=order.amount,
                   method=order.provider, key=f"order:{order.out_trade_no}", order=order,
                   reference=note.transaction_id, bill_ids=order.bill_ids or None,
                   note=f"{order.provider} {order.out_trade_no}")
    order.status, order.paid_at, order.transaction_id = OrderStatus.PAID, timezone.now(), note.transaction_id
    order.save(update_fields=["status", "paid_at", "transaction_id"])
    audit(user=None, estate=order.estate, action="billing.order_paid", obj=order,
          after={"status": order.status, "transaction_id": order.transaction_id, "amount": f"{order.amount:.2f}"},
          label=order.out_trade_no)
    return NotificationOutcome.ACCEPTED, order

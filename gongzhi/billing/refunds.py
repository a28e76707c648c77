"""Refunds from a house's prepayment balance (预存退款), with four eyes: finance asks, a manager who is not the
requester approves or rejects (``PaymentPolicy``: ``request_refund``, ``approve_refund``).

Only the prepayment balance can be refunded (money that settled a bill is corrected by an adjustment or a void).
A request may not ask for more than the balance less the refunds already waiting; approval re-checks the balance
under the house's lock, then moves the money: a REFUND prepayment entry, and the ledger entry Dr 2201 prepaid fees
/ Cr 1001 cash or 1002 bank. The requester is told of the decision; the managers are told of a new request.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Membership
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit, snapshot
from gongzhi.core.errors import Conflict, Forbidden, NotFound
from gongzhi.ledger import chart
from gongzhi.ledger.choices import EntryKind
from gongzhi.ledger.services import Line, entry_post
from gongzhi.notifications.choices import NotificationKind
from gongzhi.notifications.services import notify

from .choices import PaymentMethod, PrepaymentKind, RefundStatus
from .errors import invalid, key_reused
from .models import BillingAccount, PrepaymentEntry, Refund
from .payments import clean_key, clean_text, fen, lock_account, money, parse_amount
from .policies import PaymentPolicy

# The account the money leaves from, by the way it is paid back.
REFUND_ACCOUNT = {PaymentMethod.CASH: chart.CASH, PaymentMethod.BANK_TRANSFER: chart.BANK}
REFUND_FIELDS = ["house_id", "amount", "method", "reason", "status", "requested_by_id", "decided_by_id",
                 "decision_note", "key"]
# LEAD: a billing notification kind ("billing") would let users turn these off separately; SYSTEM meanwhile.
NOTIFY_KIND = NotificationKind.FEE_REFUND


def refund_reference(refund: Refund) -> str:
    return f"billing:refund:{refund.pk}"


def _url(refund: Refund) -> str:
    return reverse("billing:refund", kwargs={"estate_id": refund.estate_id, "refund_id": refund.pk})


def pending_refunds(house) -> Decimal:
    return fen(Refund.objects.filter(house=house, status=RefundStatus.REQUESTED).aggregate(s=Sum("amount"))["s"])


def refund_request(*, actor: Actor, house, amount, method: str, reason: str, key: str) -> Refund:
    """Ask to pay back ``amount`` of the house's prepayment balance by cash or bank transfer. Idempotent on
    (estate, ``key``); not more than the balance less the refunds already waiting (409 ``refund_over_balance``)."""
    if not PaymentPolicy.can(actor, "request_refund"):
        raise Forbidden()
    if house.estate_id != actor.estate.pk:
        raise NotFound()
    key = clean_key(key)
    amount = parse_amount(amount)
    if method not in REFUND_ACCOUNT:
        raise invalid("method", _("a refund is paid in cash or by bank transfer"))
    reason = clean_text("reason", reason, 200, required=True)
    estate = actor.estate

    def replay() -> Refund | None:
        found = Refund.objects.filter(estate=estate, key=key).first()
        if found is not None and (found.house_id, found.amount, found.method) != (house.pk, amount, method):
            raise key_reused(key)
        return found

    existing = replay()
    if existing is not None:
        return existing
    with transaction.atomic():
        account = lock_account(house)
        existing = replay()
        if existing is not None:
            return existing
        available = account.prepaid - pending_refunds(house)
        if amount > available:
            raise Conflict(_("The house's prepayment balance is %(balance)s yuan, of which %(pending)s yuan is "
                             "already asked for in refunds waiting for approval: at most %(available)s yuan can be "
                             "refunded."), code="refund_over_balance",
                           detail={"balance": money(account.prepaid), "available": money(max(available, 0))},
                           balance=money(account.prepaid), pending=money(account.prepaid - available),
                           available=money(max(available, 0)))
        try:
            with transaction.atomic():
                refund = Refund.objects.create(estate=estate, house=house, amount=amount, method=method,
                                               reason=reason, requested_by=actor.user, key=key)
        except IntegrityError:
            existing = replay()
            if existing is not None:
                return existing
            raise
        audit(user=actor.user, estate=estate, action="billing.refund_request", obj=refund,
              after=snapshot(refund, REFUND_FIELDS), label=f"{house.code} {money(amount)}")
        managers = [m.user for m in Membership.objects.filter(estate=estate, role=Role.MANAGER,
                                                              ended_at__isnull=True).select_related("user")
                    if m.user_id != actor.user_id]
        if managers:
            notify(estate=estate, users=managers, kind=NOTIFY_KIND, url=_url(refund),
                   title=_("Refund to approve: %(house)s, %(amount)s yuan"),
                   body=_("A refund of %(amount)s yuan from the prepayment balance of %(house)s waits for your "
                          "approval: %(reason)s"),
                   params={"house": house.code, "amount": money(amount), "reason": reason})
    return refund


def _decide_checks(actor: Actor, refund: Refund) -> None:
    if refund.estate_id != actor.estate.pk:
        raise NotFound()
    if not PaymentPolicy.can(actor, "approve_refund"):
        raise Forbidden()


def _locked(refund: Refund) -> Refund:
    return Refund.objects.select_for_update().select_related("house__building", "house__unit").get(pk=refund.pk)


def _notify_requester(actor: Actor, refund: Refund) -> None:
    if refund.requested_by_id == actor.user_id:
        return
    title = (_("Refund approved: %(house)s, %(amount)s yuan") if refund.status == RefundStatus.APPROVED
             else _("Refund rejected: %(house)s, %(amount)s yuan"))
    notify(estate=actor.estate, users=[refund.requested_by], kind=NOTIFY_KIND, url=_url(refund), title=title,
           body=_("%(house)s, %(amount)s yuan: %(note)s"),
           params={"house": refund.house.code, "amount": money(refund.amount), "note": refund.decision_note or "—"})


def refund_approve(*, actor: Actor, refund: Refund, note: str = "") -> Refund:
    """Approve and pay out a waiting refund: a manager who is not the requester (403 otherwise). The balance is
    checked again under the house's lock; approving twice returns the approved refund."""
    _decide_checks(actor, refund)
    if refund.requested_by_id == actor.user_id:
        raise Forbidden(_("A refund is approved by someone other than the person who asked for it."),
                        code="four_eyes")
    note = clean_text("note", note, 200)
    with transaction.atomic():
        account = lock_account(refund.house)
        refund = _locked(refund)
        if refund.status == RefundStatus.APPROVED:
            return refund
        if refund.status != RefundStatus.REQUESTED:
            raise Conflict(_("This refund was already decided (%(status)s)."), code="refund_decided",
                           status=RefundStatus(refund.status).label)
        if refund.amount > account.prepaid:
            raise Conflict(_("The house's prepayment balance is only %(balance)s yuan now (it was applied to bills "
                             "since the request): reject this refund and ask for at most that."),
                           code="refund_over_balance", detail={"balance": money(account.prepaid)},
                           balance=money(account.prepaid))
        now = timezone.now()
        before = snapshot(refund, REFUND_FIELDS)
        refund.status, refund.decided_by, refund.decided_at, refund.decision_note = (
            RefundStatus.APPROVED, actor.user, now, note)
        refund.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        PrepaymentEntry.objects.create(estate=actor.estate, house_id=refund.house_id,
                                       kind=PrepaymentKind.REFUND, amount=-refund.amount, refund=refund,
                                       created_at=now)
        BillingAccount.objects.filter(pk=account.pk).update(prepaid=account.prepaid - refund.amount, updated_at=now)
        entry_post(estate=actor.estate, actor=actor, date=timezone.localdate(now), kind=EntryKind.FEE_REFUND,
                   description=str(_("Refund of prepaid fees, house %(house)s") % {"house": refund.house.code}),
                   lines=[Line(account=chart.PREPAID, debit=refund.amount),
                          Line(account=REFUND_ACCOUNT[refund.method], credit=refund.amount)],
                   counterparty=refund.house.code, counterparty_private=True, reference=refund_reference(refund),
                   check_permission=False)
        audit(user=actor.user, estate=actor.estate, action="billing.refund_approve", obj=refund, before=before,
              after=snapshot(refund, REFUND_FIELDS), label=f"{refund.house.code} {money(refund.amount)}")
        _notify_requester(actor, refund)
    return refund


def refund_reject(*, actor: Actor, refund: Refund, note: str) -> Refund:
    """Reject a waiting refund with a note; nothing moves. Rejecting twice returns the rejected refund."""
    _decide_checks(actor, refund)
    note = clean_text("note", note, 200, required=True)
    with transaction.atomic():
        lock_account(refund.house)
        refund = _locked(refund)
        if refund.status == RefundStatus.REJECTED:
            return refund
        if refund.status != RefundStatus.REQUESTED:
            raise Conflict(_("This refund was already decided (%(status)s)."), code="refund_decided",
                           status=RefundStatus(refund.status).label)
        before = snapshot(refund, REFUND_FIELDS)
        refund.status, refund.decided_by, refund.decided_at, refund.decision_note = (
            RefundStatus.REJECTED, actor.user, timezone.now(), note)
        refund.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit(user=actor.user, estate=actor.estate, action="billing.refund_reject", obj=refund, before=before,
              after=snapshot(refund, REFUND_FIELDS), label=f"{refund.house.code} {money(refund.amount)}")
        _notify_requester(actor, refund)
    return refund


# --- selectors ---------------------------------------------------------------------------------------------------
def refund_list(*, actor: Actor, status: str | None = None, house=None):
    qs = (Refund.objects.restrict(actor, "view").select_related("house__building", "house__unit", "requested_by",
                                                                "decided_by").order_by("-id"))
    if status:
        qs = qs.filter(status=status)
    if house is not None:
        qs = qs.filter(house=house)
    return qs


def refund_get_for_actor(*, actor: Actor, refund_id) -> Refund:
    try:
        pk = int(refund_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    refund = (Refund.objects.restrict(actor, "view")
              .select_related("house__building", "house__unit", "requested_by", "decided_by").filter(pk=pk).first())
    if refund is None:
        raise NotFound()
    return refund

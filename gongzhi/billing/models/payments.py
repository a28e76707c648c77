"""Payments, how they settle bills, the prepayment balance, receipts, refunds, online orders and the gateway's
notifications.

Append-only (the database refuses UPDATE and DELETE): payments, allocations, prepayment entries, receipts and
their voids. A voided receipt keeps its number; the void is a reversing record (negative allocations, a reversing
ledger entry). ``BillingAccount`` is the one mutable row per house: it holds the prepayment balance and is the
lock every money movement of the house takes first, so concurrent payments settle bills one at a time."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from ..choices import (
    AllocationSource,
    NotificationOutcome,
    OrderStatus,
    PaymentMethod,
    PrepaymentKind,
    RefundStatus,
)
from .common import MONEY


class BillingAccount(TenantModel):
    policy = "gongzhi.billing.policies.BillPolicy"

    house = models.OneToOneField("estate.House", on_delete=models.PROTECT, related_name="billing_account")
    prepaid = models.DecimalField(_("prepayment balance"), default=0, **MONEY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")
        constraints = [models.CheckConstraint(condition=Q(prepaid__gte=0), name="billing_prepaid_not_negative")]


class PaymentOrder(TenantModel):
    """An online payment started by a resident: the provider's order, before and after the money arrives."""

    policy = "gongzhi.billing.policies.PaymentPolicy"

    house = models.ForeignKey("estate.House", on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(_("provider"), max_length=16, choices=PaymentMethod.choices)
    out_trade_no = models.CharField(max_length=32, unique=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    bill_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=OrderStatus.choices, default=OrderStatus.CREATED)
    pay_url = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    transaction_id = models.CharField(max_length=64, blank=True)
    key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("online payment order")
        verbose_name_plural = _("online payment orders")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_order_amount_positive"),
            models.UniqueConstraint(fields=["estate", "key"], condition=~Q(key=""), name="billing_order_key"),
        ]


class Payment(TenantModel):
    policy = "gongzhi.billing.policies.PaymentPolicy"

    house = models.ForeignKey("estate.House", verbose_name=_("house"), on_delete=models.PROTECT,
                              related_name="payments")
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    payer_name = models.CharField(_("payer"), max_length=120, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True,
                                 help_text=_("Bank or POS voucher number, or the provider's transaction id."))
    key = models.CharField(max_length=64, help_text=_("Idempotency key: the same key records the payment once."))
    order = models.OneToOneField(PaymentOrder, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="payment")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_payment_amount_positive"),
            models.UniqueConstraint(fields=["estate", "key"], name="billing_payment_key"),
        ]
        indexes = [models.Index(fields=["estate", "received_at"], name="billing_payment_received"),
                   models.Index(fields=["house", "received_at"], name="billing_payment_house")]


class PaymentAllocation(TenantModel):
    """Money applied to a bill: from a payment, from the prepayment balance, or taken back by a void (negative)."""

    policy = "gongzhi.billing.policies.PaymentPolicy"

    bill = models.ForeignKey("billing.Bill", on_delete=models.PROTECT, related_name="allocations")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations")
    source = models.CharField(max_length=16, choices=AllocationSource.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="billing_allocation_not_zero")]
        indexes = [models.Index(fields=["bill"], name="billing_allocation_bill")]


class PrepaymentEntry(TenantModel):
    """A movement of a house's prepayment balance (预存): kept by an overpayment, drawn by a bill, refunded."""

    policy = "gongzhi.billing.policies.PaymentPolicy"

    house = models.ForeignKey("estate.House", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=PrepaymentKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    bill = models.ForeignKey("billing.Bill", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    refund = models.ForeignKey("billing.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="billing_prepayment_not_zero")]
        indexes = [models.Index(fields=["house", "created_at"], name="billing_prepayment_house")]


class ReceiptCounter(models.Model):
    """The last receipt number of an estate; locked (SELECT ... FOR UPDATE) to number receipts without gaps."""

    estate = models.OneToOneField("estate.Estate", primary_key=True, on_delete=models.PROTECT, related_name="+")
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.estate_id}: {self.last}"


class Receipt(TenantModel):
    policy = "gongzhi.billing.policies.PaymentPolicy"

    number = models.PositiveBigIntegerField(_("receipt number"))
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    house = models.ForeignKey("estate.House", on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    amount = models.DecimalField(_("amount"), **MONEY)
    payer_name = models.CharField(_("payer"), max_length=120, blank=True)
    detail = models.JSONField(default=dict, blank=True, help_text=_("What the payment settled, as printed."))

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [models.UniqueConstraint(fields=["estate", "number"], name="billing_receipt_number")]

    @property
    def display_number(self) -> str:
        return f"{self.number:08d}"


class ReceiptVoid(TenantModel):
    policy = "gongzhi.billing.policies.PaymentPolicy"

    receipt = models.OneToOneField(Receipt, on_delete=models.PROTECT, related_name="void")
    reason = models.CharField(_("reason"), max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)


class Refund(TenantModel):
    """Money paid back from a house's prepayment balance; finance asks, the manager approves (not the same
    person)."""

    policy = "gongzhi.billing.policies.PaymentPolicy"

    house = models.ForeignKey("estate.House", verbose_name=_("house"), on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=RefundStatus.choices,
                              default=RefundStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)
    key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_refund_amount_positive"),
            models.UniqueConstraint(fields=["estate", "key"], condition=~Q(key=""), name="billing_refund_key"),
        ]


class PaymentNotification(models.Model):
    """Every notification a payment gateway sent us, verified or not: a forged one is rejected and stays here."""

    estate = models.ForeignKey("estate.Estate", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(max_length=16, choices=PaymentMethod.choices)
    received_at = models.DateTimeField(default=timezone.now)
    out_trade_no = models.CharField(max_length=64, blank=True)
    transaction_id = models.CharField(max_length=64, blank=True)
    amount = models.DecimalField(null=True, blank=True, **MONEY)
    outcome = models.CharField(max_length=16, choices=NotificationOutcome.choices)
    reason = models.CharField(max_length=200, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    body = models.TextField(blank=True)
    order = models.ForeignKey(PaymentOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["provider", "received_at"], name="billing_notification_received")]

    def __str__(self) -> str:
        return f"{self.provider} {self.out_trade_no} {self.outcome}"


class ArrearsReminder(TenantModel):
    """A reminder sent to a house in arrears; ``key`` (house and schedule slot) makes the schedule idempotent."""

    policy = "gongzhi.billing.policies.BillPolicy"

    house = models.ForeignKey("estate.House", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=64)
    amount = models.DecimalField(_("amount"), **MONEY)
    bills = models.PositiveIntegerField(default=0)
    channels = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["estate", "key"], name="billing_reminder_key")]

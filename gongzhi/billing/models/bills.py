"""Bill runs, bills and their lines, and adjustments.

An issued bill is immutable: its lines are append-only (the database refuses UPDATE and DELETE) and its ``amount``
is their sum. A correction is an ``Adjustment`` (a debit or a credit with a reason and an actor), also append-only.
``adjusted``, ``settled`` and ``status`` are running totals kept by the billing services under the house's lock
(``BillingAccount``) so that arrears read fast; ``bill_balance_check`` recomputes them from the rows."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from ..choices import BillKind, BillStatus, PayerKind, PeriodKind
from .common import MONEY, QUANTITY, RATE


class BillRun(TenantModel):
    """One bill run: a period (month, quarter, year) for the estate or one building. ``key`` makes it idempotent:
    running the same period and scope again adds only the bills still missing (none, usually)."""

    policy = "gongzhi.billing.policies.BillPolicy"

    key = models.CharField(max_length=64)
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    building = models.ForeignKey("estate.Building", verbose_name=_("building"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    bills_count = models.PositiveIntegerField(_("bills"), default=0)
    lines_count = models.PositiveIntegerField(_("lines"), default=0)
    total = models.DecimalField(_("total"), default=0, **MONEY)

    class Meta:
        verbose_name = _("bill run")
        verbose_name_plural = _("bill runs")
        constraints = [
            models.UniqueConstraint(fields=["estate", "key"], name="billing_run_key"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="billing_run_period_ordered"),
        ]
        indexes = [models.Index(fields=["estate", "period_start"], name="billing_run_period")]


# Bills and their lines are written a hundred thousand at a time by ``gongzhi.billing.writer``, from rows read in
# the same transaction, and nothing deletes what they point at. Their references are therefore foreign keys of the
# ORM (``on_delete=PROTECT`` is still enforced by Django) without database constraints, whose per-row checks at
# commit cost more than the whole insert; an index stays wherever a query needs one (ADR 0013).
UNCHECKED = {"db_constraint": False}


class Bill(TenantModel):
    policy = "gongzhi.billing.policies.BillPolicy"

    # The estate of every query on bills is the first column of billing_bill_open_due and billing_bill_period.
    estate = models.ForeignKey("estate.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+",
                               db_index=False, **UNCHECKED)
    run = models.ForeignKey(BillRun, null=True, blank=True, on_delete=models.PROTECT, related_name="bills",
                            **UNCHECKED)
    # The house is the first column of billing_bill_house and of the one-periodic-bill constraint.
    house = models.ForeignKey("estate.House", verbose_name=_("house"), on_delete=models.PROTECT, related_name="bills",
                              db_index=False, **UNCHECKED)
    kind = models.CharField(_("kind"), max_length=16, choices=BillKind.choices, default=BillKind.PERIODIC)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    payer_kind = models.CharField(_("payer"), max_length=16, choices=PayerKind.choices, default=PayerKind.OWNER)
    # Nothing looks bills up by payer; Django's PROTECT check on deleting a person scans (nothing deletes them).
    payer_person = models.ForeignKey("estate.Person", verbose_name=_("payer"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+", db_index=False, **UNCHECKED)
    payer_name = models.CharField(_("payer name"), max_length=120, blank=True)
    # Who the bill is for, as a stable key ("person:<id>", "developer", "house"): a house billed to two payers in
    # one period (a sale on the 17th) has two bills, one per payer.
    payer_key = models.CharField(max_length=32, default="house")
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    adjusted = models.DecimalField(_("adjustments"), default=0, **MONEY)
    settled = models.DecimalField(_("paid"), default=0, **MONEY)
    status = models.CharField(_("status"), max_length=8, choices=BillStatus.choices, default=BillStatus.OPEN)
    # For one-off and late-fee bills: what the bill is for, once ("repair:<charge id>", "late:<bill id>").
    source_key = models.CharField(max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        constraints = [
            models.UniqueConstraint(fields=["house", "period_start", "period_end", "payer_key"],
                                    condition=Q(kind=BillKind.PERIODIC), name="billing_one_periodic_bill"),
            models.UniqueConstraint(fields=["estate", "source_key"], condition=~Q(source_key=""),
                                    name="billing_bill_source_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="billing_bill_amount_not_negative"),
            models.CheckConstraint(condition=Q(settled__gte=0), name="billing_bill_settled_not_negative"),
        ]
        indexes = [
            models.Index(fields=["estate", "status", "due_date"], name="billing_bill_open_due"),
            models.Index(fields=["estate", "period_start"], name="billing_bill_period"),
            models.Index(fields=["house", "issued_at"], name="billing_bill_house"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def total(self):
        """What the bill asks for after adjustments."""
        return self.amount + self.adjusted

    @property
    def outstanding(self):
        return self.amount + self.adjusted - self.settled


class BillLine(TenantModel):
    """One line of a bill, with the numbers it was computed from (``basis``) and the sentence a resident reads
    (``explanation``): "118.50 m² × 2.20 元/m²/月 × 1 月 = 260.70 元"."""

    policy = "gongzhi.billing.policies.BillPolicy"

    # Lines are read through their bill (or their reading), never by estate alone.
    estate = models.ForeignKey("estate.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+",
                               db_index=False, **UNCHECKED)
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="lines", **UNCHECKED)
    # Read with its bill, never looked up by fee item (as for the payer above, nothing deletes fee items).
    fee_item = models.ForeignKey("billing.FeeItem", verbose_name=_("fee item"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+", db_index=False, **UNCHECKED)
    description = models.CharField(_("description"), max_length=120)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    rate = models.DecimalField(_("rate"), **RATE)
    amount = models.DecimalField(_("amount"), **MONEY)
    explanation = models.CharField(_("explanation"), max_length=400)
    basis = models.JSONField(default=dict, blank=True)
    ledger_code = models.CharField(max_length=8)
    # Looked up through the unique billing_reading_billed_once index.
    reading = models.ForeignKey("billing.MeterReading", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", help_text=_("The reading this line bills up to."), db_index=False,
                                **UNCHECKED)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["bill_id", "sort", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reading"], condition=Q(reading__isnull=False),
                                    name="billing_reading_billed_once"),
        ]


class Adjustment(TenantModel):
    """A correction to an issued bill: positive adds to it (a debit), negative takes off (a credit)."""

    policy = "gongzhi.billing.policies.BillPolicy"

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="adjustments")
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("reason"), max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="billing_adjustment_not_zero"),
            models.UniqueConstraint(fields=["estate", "key"], condition=~Q(key=""), name="billing_adjustment_key"),
        ]

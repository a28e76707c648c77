"""Maintenance-fund projects (专项维修资金): proposal, approval, execution, payments split over the charge scope.

The money itself lives in the journal: each house's sub-account is an ``Account`` with ``house`` set. A project
freezes its charge scope (列支范围) with each house's area when it is proposed; every payment to the contractor is
one journal entry that debits each house's sub-account by its share of the payment by area (the remainder rule is
in ``gongzhi.ledger.split``) and credits the fund's bank account."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from ..choices import EmergencyKind, FundProjectStatus

MONEY = {"max_digits": 14, "decimal_places": 2}


class FundProject(TenantModel):
    policy = "gongzhi.ledger.policies.FundPolicy"

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    emergency = models.BooleanField(_("emergency"), default=False,
                                    help_text=_("Danger to the building: skips the owners' vote, is flagged and "
                                                "disclosed."))
    emergency_kind = models.CharField(_("emergency"), max_length=16, choices=EmergencyKind.choices, blank=True)
    contractor = models.CharField(_("contractor"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=FundProjectStatus.choices,
                              default=FundProjectStatus.PROPOSED)
    budget = models.DecimalField(_("budget"), **MONEY)
    approval = models.OneToOneField("ledger.Approval", verbose_name=_("approval"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="fund_project")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("proposed by"),
                                    on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    scope_area_m2 = models.DecimalField(_("area of the charge scope (m²)"), max_digits=12, decimal_places=2)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("maintenance fund project")
        verbose_name_plural = _("maintenance fund projects")
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="ledger_project_budget_positive"),
            models.CheckConstraint(condition=Q(emergency=False) | ~Q(emergency_kind=""),
                                   name="ledger_project_emergency_has_kind"),
            models.UniqueConstraint(fields=["estate", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="ledger_project_idempotency"),
        ]
        indexes = [models.Index(fields=["estate", "status", "id"], name="ledger_project_status")]

    def __str__(self) -> str:
        return self.title


class FundProjectItem(TenantModel):
    policy = "gongzhi.ledger.policies.FundPolicy"

    project = models.ForeignKey(FundProject, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(_("item"), max_length=200)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        ordering = ["project", "position"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_project_item_positive")]


class FundProjectHouse(TenantModel):
    """A house in the project's charge scope, with its area frozen when the project was proposed."""

    policy = "gongzhi.ledger.policies.FundPolicy"

    project = models.ForeignKey(FundProject, on_delete=models.CASCADE, related_name="scope")
    house = models.ForeignKey("estate.House", on_delete=models.PROTECT, related_name="+")
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=10, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "house"], name="ledger_project_house_unique")]


class FundProjectPayment(TenantModel):
    """One payment to the contractor; ``entry`` is the journal entry that splits it over the charge scope."""

    policy = "gongzhi.ledger.policies.FundPolicy"

    project = models.ForeignKey(FundProject, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), **MONEY)
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="fund_payment")
    paid_at = models.DateTimeField(_("paid at"), default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_project_payment_positive")]


class FundReminder(TenantModel):
    """A top-up reminder sent to a house whose balance fell below its share of the initial deposit; one per house
    per month keeps the daily job idempotent."""

    policy = "gongzhi.ledger.policies.FundPolicy"

    house = models.ForeignKey("estate.House", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    balance = models.DecimalField(_("balance"), **MONEY)
    threshold = models.DecimalField(_("threshold"), **MONEY)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["house", "month"], name="ledger_fund_reminder_once")]

"""Paid private repairs: the technician's quote, the resident's decision, and the charge it becomes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from ..choices import ChargeStatus, QuoteLineKind, QuoteStatus


class Quote(TenantModel):
    """Materials and labour for a private repair, in yuan to the fen. At most one quote of a ticket is proposed or
    accepted at a time; a new one withdraws the old."""

    policy = "gongzhi.tickets.quotes.QuotePolicy"

    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT,
                               related_name="quotes")
    status = models.CharField(_("status"), max_length=16, choices=QuoteStatus.choices, default=QuoteStatus.PROPOSED)
    total = models.DecimalField(_("total (yuan)"), max_digits=12, decimal_places=2)
    note = models.TextField(_("note"), blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("proposed by"),
                                    on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=Q(status__in=["proposed", "accepted"]),
                                    name="quote_one_live_per_ticket"),
            models.CheckConstraint(condition=Q(total__gte=0), name="quote_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.total}"


class QuoteLine(TenantModel):
    policy = "gongzhi.tickets.quotes.QuotePolicy"

    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=16, choices=QuoteLineKind.choices)
    description = models.CharField(_("description"), max_length=120)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(_("unit price (yuan)"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"


class RepairCharge(TenantModel):
    """What the household owes for a completed paid repair: recorded here, then handed to the billing system
    through ``gongzhi.tickets.charges`` (which the billing app fulfils)."""

    policy = "gongzhi.tickets.quotes.QuotePolicy"

    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT,
                               related_name="charges")
    quote = models.OneToOneField(Quote, verbose_name=_("quote"), on_delete=models.PROTECT, related_name="charge")
    house = models.ForeignKey("estate.House", verbose_name=_("house"), on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=16, choices=ChargeStatus.choices,
                              default=ChargeStatus.RECORDED)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    billing_reference = models.CharField(_("billing reference"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("repair charge")
        verbose_name_plural = _("repair charges")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.amount}"

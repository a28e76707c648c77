"""Fee items and the rules that price them (DOMAIN.md, Money): declarative rows, evaluated by ``gongzhi.billing.calc``.

A rule has an effective date range. A change of rate ends the old rule and starts a new one; issued bills keep the
rate they were computed with on their lines, so a rule change never rewrites them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel
from gongzhi.estate.choices import HouseKind, SpaceStatus

from ..choices import DiscountKind, FeeKind, LedgerCode, MeterKind
from .common import RATE


class FeeItem(TenantModel):
    policy = "gongzhi.billing.policies.FeeRulePolicy"

    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=16, choices=FeeKind.choices)
    meter_kind = models.CharField(_("meter"), max_length=16, choices=MeterKind.choices, blank=True)
    ledger_code = models.CharField(_("ledger account"), max_length=8, choices=LedgerCode.choices,
                                   default=LedgerCode.PROPERTY)
    late_fee = models.BooleanField(_("late fee applies"), default=True)
    active = models.BooleanField(_("active"), default=True)
    sort_key = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fee item")
        verbose_name_plural = _("fee items")
        ordering = ["sort_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "code"], name="billing_fee_item_code"),
            models.CheckConstraint(condition=Q(kind=FeeKind.METERED) ^ Q(meter_kind=""),
                                   name="billing_fee_item_meter_iff_metered"),
        ]

    def __str__(self) -> str:
        return self.name


class FeeRule(TenantModel):
    """The price of a fee item over a date range, optionally for one house kind (or parking-space status).

    ``rate`` is yuan per unit (per m² per month, per house per month, per space per month, per metered unit, or the
    one-off amount). ``tiers`` prices metered consumption in steps (阶梯价) within one bill's consumption:
    ``[{"up_to": "10", "price": "3.50"}, {"up_to": null, "price": "4.20"}]``; empty means the flat ``rate``."""

    policy = "gongzhi.billing.policies.FeeRulePolicy"

    fee_item = models.ForeignKey(FeeItem, verbose_name=_("fee item"), on_delete=models.PROTECT, related_name="rules")
    house_kind = models.CharField(_("house kind"), max_length=16, choices=HouseKind.choices, blank=True,
                                  help_text=_("Empty: every kind without a rule of its own."))
    space_status = models.CharField(_("parking space status"), max_length=16, choices=SpaceStatus.choices,
                                    blank=True, help_text=_("For per-space fees. Empty: every status."))
    rate = models.DecimalField(_("rate (yuan)"), **RATE)
    tiers = models.JSONField(_("tiers"), default=list, blank=True)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True,
                                    help_text=_("Inclusive. Empty: until further notice."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fee rule")
        verbose_name_plural = _("fee rules")
        ordering = ["fee_item_id", "effective_from", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0), name="billing_fee_rule_rate_not_negative"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                                   name="billing_fee_rule_dates_ordered"),
        ]
        indexes = [models.Index(fields=["estate", "fee_item", "effective_from"], name="billing_rule_item_from")]


class Discount(TenantModel):
    """A discount rule: a share off a fee item (or every item) for vacant houses, for one exempted house, or for
    paying ``months`` months or more in advance."""

    policy = "gongzhi.billing.policies.FeeRulePolicy"

    kind = models.CharField(_("kind"), max_length=16, choices=DiscountKind.choices)
    fee_item = models.ForeignKey(FeeItem, verbose_name=_("fee item"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="discounts", help_text=_("Empty: every fee item."))
    house = models.ForeignKey("estate.House", verbose_name=_("house"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    percent = models.DecimalField(_("percent off"), max_digits=5, decimal_places=2)
    months = models.PositiveSmallIntegerField(_("months paid in advance"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("discount")
        verbose_name_plural = _("discounts")
        constraints = [
            models.CheckConstraint(condition=Q(percent__gt=0) & Q(percent__lte=100), name="billing_discount_percent"),
            models.CheckConstraint(condition=~Q(kind=DiscountKind.EXEMPTION) | Q(house__isnull=False),
                                   name="billing_exemption_names_house"),
            models.CheckConstraint(condition=~Q(kind=DiscountKind.PREPAYMENT) | Q(months__gte=1),
                                   name="billing_prepayment_discount_months"),
        ]

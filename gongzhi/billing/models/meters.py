"""Meters (water, electricity, gas) and their readings (抄表). A replaced meter keeps its final reading; the new
one starts from its initial reading, so the consumption of a period that spans the replacement is the sum over
both meters."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from ..choices import MeterKind, ReadingSource
from .common import QUANTITY


class Meter(TenantModel):
    policy = "gongzhi.billing.policies.MeterPolicy"

    house = models.ForeignKey("estate.House", verbose_name=_("house"), on_delete=models.PROTECT, related_name="meters")
    kind = models.CharField(_("kind"), max_length=16, choices=MeterKind.choices)
    serial = models.CharField(_("serial number"), max_length=40, blank=True)
    installed_on = models.DateField(_("installed on"))
    initial_reading = models.DecimalField(_("initial reading"), **QUANTITY)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    final_reading = models.DecimalField(_("final reading"), null=True, blank=True, **QUANTITY)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        constraints = [
            models.UniqueConstraint(fields=["house", "kind"], condition=Q(removed_on__isnull=True),
                                    name="billing_one_active_meter"),
            models.CheckConstraint(condition=Q(initial_reading__gte=0), name="billing_meter_initial_not_negative"),
            models.CheckConstraint(condition=Q(removed_on__isnull=True) | Q(final_reading__isnull=False),
                                   name="billing_removed_meter_has_final"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}".strip()


class MeterReading(TenantModel):
    policy = "gongzhi.billing.policies.MeterPolicy"

    meter = models.ForeignKey(Meter, verbose_name=_("meter"), on_delete=models.PROTECT, related_name="readings")
    house = models.ForeignKey("estate.House", verbose_name=_("house"), on_delete=models.PROTECT, related_name="+")
    read_on = models.DateField(_("read on"))
    value = models.DecimalField(_("reading"), **QUANTITY)
    source = models.CharField(_("source"), max_length=16, choices=ReadingSource.choices, default=ReadingSource.MANUAL)
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        ordering = ["meter_id", "read_on"]
        constraints = [
            models.UniqueConstraint(fields=["meter", "read_on"], name="billing_one_reading_per_day"),
            models.CheckConstraint(condition=Q(value__gte=0), name="billing_reading_not_negative"),
        ]
        indexes = [models.Index(fields=["estate", "read_on"], name="billing_reading_estate_day")]

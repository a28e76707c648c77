"""SLA targets by category and priority."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from ..choices import Priority


class SlaTarget(TenantModel):
    """A category's targets for one priority, overriding the category's own (an emergency leak: 5 min to respond).
    Without a row the category's targets apply."""

    policy = "gongzhi.tickets.sla.SlaTargetPolicy"

    category = models.ForeignKey("tickets.Category", verbose_name=_("category"), on_delete=models.CASCADE,
                                 related_name="sla_targets")
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices)
    response_minutes = models.PositiveIntegerField(_("response target (minutes)"), validators=[MinValueValidator(1)])
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"),
                                                     validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [models.UniqueConstraint(fields=["category", "priority"], name="sla_target_unique")]

    def __str__(self) -> str:
        return f"{self.category_id} {self.priority}"

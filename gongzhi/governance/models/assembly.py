"""Temporary owners' assembly requests (临时业主大会): owners holding 20 % of the voting area AND 20 % of the
headcount may request one (DOMAIN.md "Owners' votes"; 业主大会和业主委员会指导规则 art. 23). Owners sign a request for
their houses; once both floors are reached the owners' committee must schedule it as a vote of kind TEMPORARY."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel


class AssemblyStatus(models.TextChoices):
    COLLECTING = "collecting", _("Collecting signatures")
    REACHED = "reached", _("Reached: to be scheduled by the committee")
    SCHEDULED = "scheduled", _("Scheduled")


class AssemblyRequest(TenantModel):
    policy = "gongzhi.governance.council_policies.AssemblyPolicy"

    title = models.CharField(_("title"), max_length=120)
    matters = models.TextField(_("matters to decide"))
    status = models.CharField(_("status"), max_length=16, choices=AssemblyStatus.choices,
                              default=AssemblyStatus.COLLECTING)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    # The figures when both floors were reached (integer hundredths of m², heads), kept for the record.
    reached_at = models.DateTimeField(_("reached at"), null=True, blank=True)
    reached_figures = models.JSONField(_("figures when reached"), null=True, blank=True)
    vote = models.OneToOneField("governance.Vote", verbose_name=_("scheduled assembly"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="assembly_request")
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    last_reminder_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("temporary assembly request")
        verbose_name_plural = _("temporary assembly requests")
        constraints = [models.UniqueConstraint(fields=["estate", "idempotency_key"], condition=~Q(idempotency_key=""),
                                               name="gov_assembly_idempotency")]
        indexes = [models.Index(fields=["estate", "status", "-id"], name="gov_assembly_status")]

    def __str__(self) -> str:
        return self.title


class AssemblySignature(TenantModel):
    """One house's signature, by its representative. A house signs once; a withdrawn signature stays on record
    (``withdrawn_at``) and the house may sign again."""

    policy = "gongzhi.governance.council_policies.AssemblyPolicy"

    request = models.ForeignKey(AssemblyRequest, on_delete=models.PROTECT, related_name="signatures")
    house = models.ForeignKey("estate.House", verbose_name=_("house"), on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("estate.Person", verbose_name=_("signed by"), on_delete=models.PROTECT,
                               related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assembly request signature")
        verbose_name_plural = _("assembly request signatures")
        constraints = [models.UniqueConstraint(fields=["request", "house"], condition=Q(withdrawn_at__isnull=True),
                                               name="gov_assembly_one_signature")]

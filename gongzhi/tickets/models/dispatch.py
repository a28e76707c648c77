"""Who can be sent to a ticket: a technician's skills, supervisor and weekly duty rota."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel


class TechnicianProfile(TenantModel):
    """A technician's standing in one estate for dispatch. ``skills`` are the category skills they can handle
    (plumbing, electrical, elevator...); ``supervisor`` is the second step of the SLA escalation chain
    (technician → supervisor → manager)."""

    policy = "gongzhi.tickets.dispatch.TechnicianProfilePolicy"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("technician"), on_delete=models.PROTECT,
                             related_name="technician_profiles")
    skills = models.JSONField(_("skills"), default=list, blank=True)
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("supervisor"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="supervised_technicians")
    auto_dispatch = models.BooleanField(_("takes automatic assignments"), default=True)
    # Ties between equally loaded technicians go to whoever has waited longest since their last assignment.
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("technician profile")
        verbose_name_plural = _("technician profiles")
        constraints = [models.UniqueConstraint(fields=["estate", "user"], name="technician_profile_unique_user")]

    def __str__(self) -> str:
        return str(self.user)


class DutyShift(TenantModel):
    """One weekly shift of a technician's rota: on ``weekday`` (0 = Monday) from ``starts`` to ``ends`` in the
    estate's local time. A shift that ends at or before it starts runs past midnight into the next day."""

    policy = "gongzhi.tickets.dispatch.DutyShiftPolicy"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("technician"), on_delete=models.PROTECT,
                             related_name="duty_shifts")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=[
        (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
        (5, _("Saturday")), (6, _("Sunday"))])
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["weekday", "starts"]
        constraints = [models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="duty_shift_weekday")]
        indexes = [models.Index(fields=["estate", "weekday"], name="duty_shift_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.weekday} {self.starts}–{self.ends}"

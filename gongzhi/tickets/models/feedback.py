"""After resolution: the resident's rating, and customer service's follow-up visits (回访)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from ..choices import FollowUpOutcome, FollowUpReason


class Rating(TenantModel):
    """The resident's 1–5 rating of one resolution of a ticket. A reopened ticket is resolved (and may be rated)
    again: ``round`` is the ticket's reopen count when it was rated. A ticket closed without a rating has none:
    never a made-up score."""

    policy = "gongzhi.tickets.feedback.RatingPolicy"

    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT,
                               related_name="ratings")
    round = models.PositiveSmallIntegerField(_("round"), default=0)
    score = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rated by"), on_delete=models.PROTECT,
                                 related_name="+")
    rated_at = models.DateTimeField(_("rated at"), default=timezone.now)
    # Whose work was rated: the assignee at the time (for metrics by technician).
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("technician"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["rated_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "round"], name="rating_once_per_round"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.score}"


class FollowUpVisit(TenantModel):
    """A call back to the resident after a ticket is done: every low rating, a sample of the rest, complaints."""

    policy = "gongzhi.tickets.feedback.FollowUpPolicy"

    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT,
                               related_name="follow_ups")
    round = models.PositiveSmallIntegerField(_("round"), default=0)
    reason = models.CharField(_("reason"), max_length=16, choices=FollowUpReason.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    due_at = models.DateTimeField(_("due by"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("visited by"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=FollowUpOutcome.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "round"], name="follow_up_once_per_round"),
            models.CheckConstraint(condition=Q(done_at__isnull=True) | ~Q(outcome=""), name="follow_up_done_outcome"),
        ]
        indexes = [models.Index(fields=["estate", "done_at"], name="follow_up_queue")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.reason}"

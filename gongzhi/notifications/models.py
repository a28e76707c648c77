"""Notifications: the in-app notification centre and each user's choice of channels."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel

from .choices import NotificationChannel, NotificationKind


class Notification(TenantModel):
    """One message to one user in one estate, stored already rendered in the recipient's language.
    ``delivered_channels`` lists the outbound channels (email, sms) it has gone out on, so that a repeated
    delivery job sends nothing twice."""

    policy = "gongzhi.notifications.policies.NotificationPolicy"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
                             related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True, help_text=_("A link within the site."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    delivered_channels = models.JSONField(_("delivered on"), default=list, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread"),
                   models.Index(fields=["estate", "user", "id"], name="notification_estate_user")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.title}"


class NotificationPreference(models.Model):
    """Whether ``user`` wants notifications of ``kind`` on ``channel``. Without a row the channel's default
    applies (choices.DEFAULT_ENABLED). In-app notifications cannot be turned off."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="notification_preferences")
    channel = models.CharField(_("channel"), max_length=16, choices=NotificationChannel.choices)
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "channel", "kind"], name="notification_preference_unique"),
            models.CheckConstraint(condition=~Q(channel=NotificationChannel.IN_APP) | Q(enabled=True),
                                   name="notification_preference_in_app_on"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.channel} · {self.kind} · {self.enabled}"

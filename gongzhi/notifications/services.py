"""Writes to notifications: sending (in-app at once, email and SMS after commit by a background job), marking
read, and each user's channel preferences.

Marking read is not audited: it changes nothing but the reader's own inbox, and the row records when."""

import logging
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import DomainError, NotFound

from .channels import CHANNELS
from .choices import DEFAULT_ENABLED, OUTBOUND_CHANNELS, NotificationChannel, NotificationKind
from .models import Notification, NotificationPreference

log = logging.getLogger(__name__)
TITLE_MAX = 200


def _render(template, params: Mapping | None, language: str) -> str:
    """``template`` (a lazy gettext string) % ``params``, in ``language``; lazy params are rendered in it too."""
    with translation.override(language):
        text = str(template)
        if params:
            text = text % {key: str(value) for key, value in params.items()}
    return text


def notify(*, estate, users: Iterable, kind: str, title, body, url: str = "",
           params: Mapping | None = None) -> list[Notification]:
    """Notify each of ``users`` (duplicates and inactive accounts left out): the in-app notifications are
    created now, in each recipient's language; email and SMS go out after the transaction commits, as each
    recipient's preferences allow. ``title`` and ``body`` are gettext_lazy msgids with named placeholders,
    filled from ``params``."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    now = timezone.now()
    rows = []
    for user in recipients.values():
        language = user.language or settings.LANGUAGE_CODE
        rows.append(Notification(estate=estate, user=user, kind=kind, created_at=now, url=url,
                                 title=_render(title, params, language)[:TITLE_MAX],
                                 body=_render(body, params, language)))
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created]
    if ids:
        from .tasks import deliver_notifications

        transaction.on_commit(lambda: deliver_notifications(ids))
    return created


def _enabled(preferences: dict, user_id: int, channel: str, kind: str) -> bool:
    return preferences.get((user_id, channel, kind), DEFAULT_ENABLED[channel])


def notifications_deliver(*, notification_ids: list[int]) -> dict[int, list[str]]:
    """Send the notifications on the outbound channels their recipients have on. Each channel is recorded on the
    notification once sent, under the row lock, so a repeated job (a retry, a second worker) sends nothing
    twice. Returns what was sent now, by notification id."""
    sent: dict[int, list[str]] = {}
    for notification_id in notification_ids:
        with transaction.atomic():
            notification = (Notification.objects.select_for_update().select_related("user")
                            .filter(pk=notification_id).first())
            if notification is None:
                continue
            user = notification.user
            preferences = {(user.pk, p.channel, p.kind): p.enabled
                           for p in NotificationPreference.objects.filter(user=user, kind=notification.kind)}
            done = list(notification.delivered_channels)
            for channel in OUTBOUND_CHANNELS:
                if channel in done or not _enabled(preferences, user.pk, channel, notification.kind):
                    continue
                try:
                    delivered = CHANNELS[channel].deliver(notification, user)
                except Exception:  # one channel failing must not stop the others
                    log.exception("notification %s: %s delivery failed", notification.pk, channel)
                    continue
                if delivered:
                    done.append(channel)
                    sent.setdefault(notification.pk, []).append(str(channel))
            if done != notification.delivered_channels:
                Notification.objects.filter(pk=notification.pk).update(delivered_channels=done)
    return sent


def _own(actor: Actor, notification_id: int) -> Notification:
    notification = Notification.objects.restrict(actor).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound()
    return notification


@transaction.atomic
def notification_mark_read(*, actor: Actor, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read; marking it again keeps the first time. Another user's
    notification is 404."""
    notification = _own(actor, notification_id)
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor: Actor) -> int:
    """Mark all of the actor's unread notifications in this estate read; returns how many."""
    return Notification.objects.restrict(actor).filter(read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def preference_set(*, user, channel: str, kind: str, enabled: bool) -> NotificationPreference:
    """Turn a channel on or off for one kind of notification. In-app cannot be turned off."""
    if channel not in NotificationChannel.values:
        raise DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": "channel"},
                          field="channel", reason=_("is not one of the allowed values"))
    if kind not in NotificationKind.values:
        raise DomainError(_("%(field)s: %(reason)s"), code="invalid_field", detail={"field": "kind"},
                          field="kind", reason=_("is not one of the allowed values"))
    if channel == NotificationChannel.IN_APP and not enabled:
        raise DomainError(_("In-app notifications cannot be turned off."), code="in_app_required")
    before = NotificationPreference.objects.filter(user=user, channel=channel, kind=kind).first()
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, channel=channel, kind=kind, defaults={"enabled": bool(enabled)})
    audit(user=user, estate=None, action="notification_preference.set", obj=preference,
          before={"enabled": before.enabled} if before else None, after={"enabled": preference.enabled})
    return preference

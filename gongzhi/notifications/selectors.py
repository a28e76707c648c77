"""Reads of notifications: always the actor's own, in the actor's estate."""

from django.db.models import QuerySet

from gongzhi.core.access import Actor
from gongzhi.core.pagination import Page, paginate

from .choices import DEFAULT_ENABLED, NotificationChannel, NotificationKind
from .models import Notification, NotificationPreference


def notification_list(*, actor: Actor, unread: bool | None = None) -> QuerySet:
    qs = Notification.objects.restrict(actor)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs


def notification_page(*, actor: Actor, cursor: str | None = None, limit: int | None = None,
                      unread: bool | None = None) -> Page:
    """Newest first."""
    return paginate(notification_list(actor=actor, unread=unread), cursor=cursor, limit=limit, descending=True)


def unread_count(*, actor: Actor) -> int:
    return notification_list(actor=actor, unread=True).count()


def preferences_of(*, user) -> list[dict]:
    """Every channel × kind with whether it is on for ``user`` (their choice, else the default)."""
    chosen = {(p.channel, p.kind): p.enabled for p in NotificationPreference.objects.filter(user=user)}
    return [{"channel": channel, "kind": kind,
             "enabled": chosen.get((channel, kind), DEFAULT_ENABLED[channel]),
             "locked": channel == NotificationChannel.IN_APP}
            for channel in NotificationChannel.values for kind in NotificationKind.values]

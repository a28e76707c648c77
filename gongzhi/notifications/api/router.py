"""The notifications API: the caller's own notifications in an estate, and their channel preferences."""

from django.db import transaction
from ninja import Query, Router, Schema

from gongzhi.core.api import api_actor

from .. import selectors, services
from .schemas import (
    MarkedOut,
    NotificationOut,
    NotificationPage,
    PreferenceOut,
    PreferencesIn,
    UnreadCountOut,
)

router = Router(tags=["notifications"])


class NotificationFilters(Schema):
    cursor: str | None = None
    limit: int = 50
    unread: bool | None = None


@router.get("/estates/{estate_id}/notifications", response=NotificationPage,
            summary="My notifications in this estate, newest first")
def notifications(request, estate_id: int, filters: Query[NotificationFilters]):
    actor = api_actor(request, estate_id)
    page = selectors.notification_page(actor=actor, cursor=filters.cursor, limit=filters.limit,
                                       unread=filters.unread)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/estates/{estate_id}/notifications/unread-count", response=UnreadCountOut,
            summary="How many of my notifications in this estate are unread")
def unread_count(request, estate_id: int):
    actor = api_actor(request, estate_id)
    return {"unread": selectors.unread_count(actor=actor)}


@router.post("/estates/{estate_id}/notifications/read-all", response=MarkedOut,
             summary="Mark all my notifications in this estate read")
def read_all(request, estate_id: int):
    actor = api_actor(request, estate_id)
    return {"marked": services.notifications_mark_all_read(actor=actor)}


@router.post("/estates/{estate_id}/notifications/{notification_id}/read", response=NotificationOut,
             summary="Mark one of my notifications read (again: no change)")
def read(request, estate_id: int, notification_id: int):
    actor = api_actor(request, estate_id)
    return services.notification_mark_read(actor=actor, notification_id=notification_id)


@router.get("/me/notification-preferences", response=list[PreferenceOut],
            summary="My notification channels, per kind of notification")
def preferences(request):
    return selectors.preferences_of(user=request.auth)


@router.put("/me/notification-preferences", response=list[PreferenceOut],
            summary="Turn notification channels on or off (in-app cannot be turned off)")
def preferences_set(request, payload: PreferencesIn):
    with transaction.atomic():
        for item in payload.preferences:
            services.preference_set(user=request.auth, channel=item.channel, kind=item.kind, enabled=item.enabled)
    return selectors.preferences_of(user=request.auth)

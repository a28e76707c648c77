from datetime import datetime

from ninja import Schema

from ..choices import NotificationChannel, NotificationKind


class NotificationOut(Schema):
    id: int
    kind: NotificationKind
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None


class UnreadCountOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


class PreferenceIn(Schema):
    channel: NotificationChannel
    kind: NotificationKind
    enabled: bool


class PreferencesIn(Schema):
    preferences: list[PreferenceIn]


class PreferenceOut(Schema):
    channel: NotificationChannel
    kind: NotificationKind
    enabled: bool
    locked: bool  # in-app: cannot be turned off

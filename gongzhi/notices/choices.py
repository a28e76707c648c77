from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    EMERGENCY = "emergency", _("Emergency")


class NoticeCategory(models.TextChoices):
    """What an emergency notice is about (a routine notice may leave it blank)."""

    WATER_CUT = "water_cut", _("Water cut")
    POWER_CUT = "power_cut", _("Power cut")
    ELEVATOR_STOP = "elevator_stop", _("Elevator out of service")
    OTHER = "other", _("Other")


class NoticeTarget(models.TextChoices):
    ESTATE = "estate", _("The whole estate")
    BUILDINGS = "buildings", _("Chosen buildings")
    UNITS = "units", _("Chosen units")


class NoticeStatus(models.TextChoices):
    """Stored states. "Expired" (published, past ``expires_at``) and "superseded" (a published correction points
    at it) are read from the dates and the correction, never stored, so they cannot drift."""

    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class NoticeState(models.TextChoices):
    """What a notice is now, for lists and filters: the stored status refined by the clock and corrections."""

    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    CURRENT = "current", _("Published")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Superseded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


UNPUBLISHED = (NoticeStatus.DRAFT, NoticeStatus.SCHEDULED)

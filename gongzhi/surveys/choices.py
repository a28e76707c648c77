from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class Audience(models.TextChoices):
    """Owners only: one response per house. All residents: one response per person."""

    OWNERS = "owners", _("Owners only (one answer per house)")
    RESIDENTS = "residents", _("All residents (one answer per person)")


class Target(models.TextChoices):
    ALL = "all", _("All houses")
    BUILDINGS = "buildings", _("Some buildings")
    HOUSES = "houses", _("Some houses")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    SCALE = "scale", _("Scale 1-5")
    NPS = "nps", _("Recommendation 0-10 (NPS)")
    TEXT = "text", _("Free text")


CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE})
RANGES = {QuestionKind.SCALE: (1, 5), QuestionKind.NPS: (0, 10)}


class Recurrence(models.TextChoices):
    QUARTERLY = "quarterly", _("Every quarter")
    MONTHLY = "monthly", _("Every month")


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded by a correction")


class TicketMeasure(models.TextChoices):
    NONE = "", _("None")
    SLA = "sla", _("Share resolved within the SLA")
    RATING = "rating", _("Average ticket rating (1-5)")
    REOPEN = "reopen", _("Share not reopened")

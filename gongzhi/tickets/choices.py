from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketKind(models.TextChoices):
    REPAIR = "repair", _("Repair")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")


class TicketStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ASSIGNED = "assigned", _("Assigned")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset({TicketStatus.SUBMITTED, TicketStatus.ASSIGNED, TicketStatus.ACCEPTED,
                           TicketStatus.IN_PROGRESS, TicketStatus.ON_HOLD})


class Priority(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class Scope(models.TextChoices):
    PRIVATE = "private", _("Inside a house")
    COMMON = "common", _("Common area")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Resident portal")
    PHONE = "phone", _("Phone call")
    API = "api", _("API")


class Action(models.TextChoices):
    """What can be done to a ticket; ``workflow.TRANSITIONS`` says from which states and by whom."""

    SUBMIT = "submit", _("Submit")
    ASSIGN = "assign", _("Assign")
    GRAB = "grab", _("Grab")
    ACCEPT = "accept", _("Accept")
    START = "start", _("Start work")
    HOLD = "hold", _("Put on hold")
    RESUME = "resume", _("Resume")
    RESOLVE = "resolve", _("Resolve")
    CLOSE = "close", _("Close")
    REJECT = "reject", _("Reject")
    CANCEL = "cancel", _("Cancel")
    REOPEN = "reopen", _("Reopen")

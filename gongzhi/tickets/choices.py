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


class HoldReason(models.TextChoices):
    """Why work stopped. Only waiting for the resident pauses the SLA clock (issue 3): waiting for parts is the
    company's own delay and keeps counting."""

    PARTS = "parts", _("Waiting for parts")
    RESIDENT = "resident", _("Waiting for the resident")


class SlaClock(models.TextChoices):
    CALENDAR = "calendar", _("Calendar time")
    WORKING = "working", _("Working hours")


class SlaState(models.TextChoices):
    """The ticket's standing against its targets now. The breach flags on the ticket stay set for reporting."""

    NONE = "none", _("No target")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")
    PAUSED = "paused", _("Paused")


class QuoteStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for the resident")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class QuoteLineKind(models.TextChoices):
    MATERIAL = "material", _("Materials")
    LABOUR = "labour", _("Labour")


class ChargeStatus(models.TextChoices):
    """A paid repair's amount, from completion until the billing system has taken it over."""

    RECORDED = "recorded", _("Recorded on the ticket")
    HANDED_OVER = "handed_over", _("Handed to billing")
    CANCELLED = "cancelled", _("Cancelled")


class FollowUpReason(models.TextChoices):
    LOW_RATING = "low_rating", _("Low rating")
    SAMPLE = "sample", _("Random sample")
    COMPLAINT = "complaint", _("Complaint")
    MANUAL = "manual", _("Chosen by staff")


class FollowUpOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    NEUTRAL = "neutral", _("Neutral")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")
    UNREACHABLE = "unreachable", _("Could not be reached")

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    TICKET_UPDATE = "ticket_update", _("Ticket update")
    TICKET_ASSIGNED = "ticket_assigned", _("Ticket assigned to me")
    SLA_ALERT = "sla_alert", _("Ticket at risk or late (SLA)")
    QUOTE = "quote", _("Repair quote")
    FOLLOW_UP = "follow_up", _("Follow-up visit")
    NOTICE = "notice", _("Notice")
    NOTICE_EMERGENCY = "notice_emergency", _("Emergency notice")
    LEDGER_APPROVAL = "ledger_approval", _("Expense waiting for approval, or decided")
    FUND_TOP_UP = "fund_top_up", _("Maintenance fund top-up")
    FEE_ARREARS = "fee_arrears", _("Fees overdue")
    FEE_REFUND = "fee_refund", _("Fee refund requested or decided")
    VOTE = "vote", _("Owners' vote: opened, reminder, extended or result")
    ASSEMBLY = "assembly", _("Temporary assembly request")
    COUNCIL = "council", _("Residents' council: proposals, meetings, action items")
    SURVEY = "survey", _("Surveys")
    SYSTEM = "system", _("System message")


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


# Whether a channel is on when the user has not chosen. In-app is always on; SMS costs money per message, so it is
# opt-in.
DEFAULT_ENABLED = {NotificationChannel.IN_APP: True, NotificationChannel.EMAIL: True, NotificationChannel.SMS: False}
# The channels delivered after commit by the background job (in-app is the notification row itself).
OUTBOUND_CHANNELS = (NotificationChannel.EMAIL, NotificationChannel.SMS)

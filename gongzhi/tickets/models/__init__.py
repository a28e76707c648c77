"""Tickets: repairs, complaints and suggestions; their dispatch, SLA, ratings, follow-ups and paid repairs."""

from .calendar import CalendarDay, ServiceCalendar
from .dispatch import DutyShift, TechnicianProfile
from .feedback import FollowUpVisit, Rating
from .quotes import Quote, QuoteLine, RepairCharge
from .sla import SlaTarget
from .tickets import Category, Comment, Ticket, TicketEvent, TicketPhoto, ticket_photo_path

__all__ = ["CalendarDay", "Category", "Comment", "DutyShift", "FollowUpVisit", "Quote", "QuoteLine", "Rating",
           "RepairCharge", "ServiceCalendar", "SlaTarget", "TechnicianProfile", "Ticket",
           "TicketEvent", "TicketPhoto", "ticket_photo_path"]

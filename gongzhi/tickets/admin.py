"""Platform admins may set up categories; tickets, their timelines and comments are read-only here, since every
change to a ticket goes through the workflow (services.py) and lands on its timeline."""

from django.contrib import admin

from gongzhi.core.admin import HistoryAdmin, ReadOnlyAdmin

from .models import (
    CalendarDay,
    Category,
    Comment,
    DutyShift,
    ServiceCalendar,
    SlaTarget,
    TechnicianProfile,
    Ticket,
    TicketEvent,
)


@admin.register(Category)
class CategoryAdmin(HistoryAdmin):
    list_display = ("name", "estate", "kind", "default_priority", "response_minutes", "resolution_minutes", "active")
    list_filter = ("estate", "kind", "active")


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "estate", "kind", "category", "status", "priority", "assignee", "submitted_at")
    list_filter = ("estate", "kind", "status", "priority")
    search_fields = ("number", "title")
    list_select_related = ("estate", "category", "assignee")


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "action", "from_status", "to_status", "actor", "at")
    list_filter = ("estate", "action")
    list_select_related = ("ticket", "actor")


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "author", "internal", "created_at")
    list_filter = ("estate", "internal")
    list_select_related = ("ticket", "author")


# Dispatch and SLA settings: shown here, changed by the estate's managers in the console or the API (the services
# validate them, audit them and drop the cached calendar).
@admin.register(TechnicianProfile)
class TechnicianProfileAdmin(ReadOnlyAdmin):
    list_display = ("user", "estate", "skills", "supervisor", "auto_dispatch", "last_assigned_at")
    list_filter = ("estate", "auto_dispatch")
    list_select_related = ("user", "estate", "supervisor")


@admin.register(DutyShift)
class DutyShiftAdmin(ReadOnlyAdmin):
    list_display = ("user", "estate", "weekday", "starts", "ends")
    list_filter = ("estate", "weekday")
    list_select_related = ("user", "estate")


@admin.register(ServiceCalendar)
class ServiceCalendarAdmin(ReadOnlyAdmin):
    list_display = ("estate", "working_hours")
    list_select_related = ("estate",)


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin):
    list_display = ("date", "estate", "working", "hours_of_weekday", "name")
    list_filter = ("estate", "working")
    list_select_related = ("estate",)


@admin.register(SlaTarget)
class SlaTargetAdmin(ReadOnlyAdmin):
    list_display = ("category", "estate", "priority", "response_minutes", "resolution_minutes")
    list_filter = ("estate", "priority")
    list_select_related = ("category", "estate")

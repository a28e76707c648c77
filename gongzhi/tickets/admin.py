"""Platform admins may set up categories; tickets, their timelines and comments are read-only here, since every
change to a ticket goes through the workflow (services.py) and lands on its timeline."""

from django.contrib import admin

from gongzhi.core.admin import HistoryAdmin

from .models import Category, Comment, Ticket, TicketEvent


@admin.register(Category)
class CategoryAdmin(HistoryAdmin):
    list_display = ("name", "estate", "kind", "default_priority", "response_minutes", "resolution_minutes", "active")
    list_filter = ("estate", "kind", "active")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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

"""Notifications are read-only here: they are written by the services, and belong to their recipients."""

from django.contrib import admin

from .models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "estate", "kind", "created_at", "read_at")
    list_filter = ("kind", "estate")
    search_fields = ("user__phone", "title")
    raw_id_fields = ("user", "estate")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "channel", "kind", "enabled")
    list_filter = ("channel", "kind", "enabled")
    search_fields = ("user__phone",)
    raw_id_fields = ("user",)

"""Notices are read-only here: every change goes through the services (published notices are never edited, and
every act is audited)."""

from django.contrib import admin

from .models import Notice, NoticeAttachment


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("title", "estate", "kind", "category", "status", "important", "published_at", "expires_at")
    list_filter = ("estate", "kind", "status", "important")
    search_fields = ("title",)


@admin.register(NoticeAttachment)
class NoticeAttachmentAdmin(ReadOnlyAdmin):
    list_display = ("filename", "notice", "content_type", "bytes", "created_at")

"""Notices are read-only here: every change goes through the services (published notices are never edited, and
every act is audited)."""

from django.contrib import admin

from gongzhi.core.admin import ReadOnlyAdmin

from .models import Notice, NoticeAttachment


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("title", "estate", "kind", "category", "status", "important", "published_at", "expires_at")
    list_filter = ("estate", "kind", "status", "important")
    search_fields = ("title",)


@admin.register(NoticeAttachment)
class NoticeAttachmentAdmin(ReadOnlyAdmin):
    list_display = ("filename", "notice", "content_type", "bytes", "created_at")

from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    # Resident portal (mobile-first)
    path("notices/", views.feed, name="feed"),
    path("notices/pinned/", views.pinned, name="pinned"),
    path("notices/<int:notice_id>/", views.detail, name="detail"),
    path("notices/<int:notice_id>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    # Staff console
    path("console/notices/", views.console, name="console"),
    path("console/notices/new/", views.new, name="new"),
    path("console/notices/<int:notice_id>/", views.console_detail, name="console_detail"),
    path("console/notices/<int:notice_id>/receipts/", views.receipts, name="receipts"),
]

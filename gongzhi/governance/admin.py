"""Owners' votes are read-only here: every change goes through the services (ballots, the roll and scans are
append-only by database triggers; a vote's state changes are audited)."""

from django.contrib import admin

from gongzhi.core.admin import ReadOnlyAdmin

from .models import Ballot, Proxy, RollEntry, Vote, VoteDocument, VoteExtension, VoteItem


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ("title", "estate", "kind", "status", "secret", "opens_at", "closes_at", "published_at")
    list_filter = ("status", "kind", "secret")
    search_fields = ("title",)


@admin.register(VoteItem)
class VoteItemAdmin(ReadOnlyAdmin):
    list_display = ("title", "vote", "position", "matter", "form", "seats")
    list_select_related = ("vote",)


@admin.register(RollEntry)
class RollEntryAdmin(ReadOnlyAdmin):
    list_display = ("house_code", "vote", "area_m2", "area_source", "head_unit", "head_kind")
    list_select_related = ("vote",)
    raw_id_fields = ("house", "representative")


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdmin):
    list_display = ("id", "vote", "item", "house", "channel", "choice", "cast_at", "replaces")
    list_filter = ("channel",)
    raw_id_fields = ("house", "voter", "replaces", "scan", "proxy")


@admin.register(Proxy)
class ProxyAdmin(ReadOnlyAdmin):
    list_display = ("id", "vote", "house", "principal", "agent", "recorded_at", "revoked_at")
    raw_id_fields = ("house", "principal", "agent", "document")


@admin.register(VoteDocument)
class VoteDocumentAdmin(ReadOnlyAdmin):
    list_display = ("name", "estate", "content_type", "size", "uploaded_at")
    exclude = ("file",)  # scans carry signatures: served only through the access-checked views


@admin.register(VoteExtension)
class VoteExtensionAdmin(ReadOnlyAdmin):
    list_display = ("vote", "old_closes_at", "new_closes_at", "reason", "extended_at")

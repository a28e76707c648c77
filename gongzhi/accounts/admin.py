from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.admin import AuditedAdmin

from .models import ApiToken, Membership, User


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    ordering = ("phone",)
    list_display = ("phone", "name", "is_active", "is_staff", "is_superuser", "last_login")
    search_fields = ("phone", "name")
    list_filter = ("is_active", "is_staff", "is_superuser")
    fieldsets = (
        (None, {"fields": ("phone", "name", "email", "language", "password")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("phone", "name", "password1", "password2")}),)
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ("user", "estate", "role", "created_at", "ended_at")
    list_filter = ("role", "estate")
    search_fields = ("user__phone", "user__name")
    raw_id_fields = ("user",)

    def has_delete_permission(self, request, obj=None):
        return False  # end it (ended_at) instead: the record stays


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at")
    search_fields = ("name", "prefix", "user__phone")
    readonly_fields = ("user", "prefix", "key_hash", "estate_ids", "created_at", "expires_at", "last_used_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # tokens are created by their owner, who sees the secret once

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        from .services import token_revoke

        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(user=request.user, token_id=token.pk)
        self.message_user(request, _("Revoked at %(time)s.") % {"time": f"{timezone.localtime():%Y-%m-%d %H:%M}"})

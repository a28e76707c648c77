"""The Django admin is for platform admins (superusers) only. Every change made there is audited like any other
write; registry history is never deleted there either."""

from django.contrib import admin
from django.db import transaction

from .audit import audit, snapshot
from .models import AuditEntry


def _superusers_only(request) -> bool:
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only
admin.site.site_header = "Gongzhi 共治"
admin.site.site_title = "Gongzhi 共治"


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that change only through their services (or never: append-only): the admin shows them, nothing
    more."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdmin(admin.ModelAdmin):
    """Writes through the admin land in the audit log with the state before and after."""

    def save_model(self, request, obj, form, change):
        model = type(obj)
        before = snapshot(model.objects.get(pk=obj.pk)) if change else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit(user=request.user, estate=getattr(obj, "estate", None) if hasattr(obj, "estate_id") else None,
                  action=f"admin.{model._meta.model_name}.{'change' if change else 'add'}", obj=obj,
                  before=before, after=snapshot(obj))

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit(user=request.user, estate=getattr(obj, "estate", None) if hasattr(obj, "estate_id") else None,
                  action=f"admin.{obj._meta.model_name}.delete", obj=obj, before=snapshot(obj))
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class HistoryAdmin(AuditedAdmin):
    """Registry rows carry history (moving out ends a residency, it is not deleted): no deleting here."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the database itself refuses changes to the audit log."""

    list_display = ("at", "estate", "actor_label", "action", "object_type", "object_label")
    list_filter = ("action", "estate")
    search_fields = ("actor_label", "action", "object_label", "object_id")
    date_hierarchy = "at"

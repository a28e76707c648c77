"""Read-mostly admin: surveys and evaluations are written through the services (pages, API); responses are
append-only and not listed here at all (anonymity)."""

from django.contrib import admin

from .models import ContractItem, Evaluation, Survey, SurveySchedule


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("title", "estate", "status", "audience", "anonymous", "responses_count", "audience_size")
    list_filter = ("status", "audience", "anonymous", "is_template")
    search_fields = ("title",)
    readonly_fields = [f.name for f in Survey._meta.concrete_fields]

    def has_add_permission(self, request):
        return False


@admin.register(SurveySchedule)
class SurveyScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "estate", "recurrence", "open_days", "active")


@admin.register(ContractItem)
class ContractItemAdmin(admin.ModelAdmin):
    list_display = ("name", "estate", "weight", "question_key", "ticket_measure", "active")


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "estate", "revision", "status", "score", "published_at")
    readonly_fields = [f.name for f in Evaluation._meta.concrete_fields]

    def has_add_permission(self, request):
        return False

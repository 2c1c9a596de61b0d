from django.contrib import admin

from trellis.plans.models import MentorshipPlan, PlanStep, PlanTemplate, ProgramPlan


class PlanStepInline(admin.TabularInline):
    model = PlanStep
    extra = 0
    fields = ("day", "kind", "title", "url", "position")


@admin.register(PlanTemplate)
class PlanTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "program", "kind", "archived_at")
    list_filter = ("kind",)
    search_fields = ("name",)
    raw_id_fields = ("program", "created_by", "copied_from")
    inlines = [PlanStepInline]


@admin.register(ProgramPlan)
class ProgramPlanAdmin(admin.ModelAdmin):
    list_display = ("program", "template", "is_enabled")
    raw_id_fields = ("program", "template", "updated_by")


@admin.register(MentorshipPlan)
class MentorshipPlanAdmin(admin.ModelAdmin):
    list_display = ("mentorship", "name", "applied_at")
    raw_id_fields = ("mentorship", "template")

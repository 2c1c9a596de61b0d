from django.contrib import admin

from trellis.feedback.models import MeetingPulse, Survey, SurveyAssignment, SurveyQuestion


class SurveyQuestionInline(admin.TabularInline):
    model = SurveyQuestion
    extra = 0
    fields = ("position", "label", "kind", "audience", "choices", "is_required")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("title", "program", "kind", "is_active", "shows_names")
    list_filter = ("kind", "is_active")
    search_fields = ("title", "program__name")
    inlines = [SurveyQuestionInline]
    raw_id_fields = ("program", "created_by")


@admin.register(SurveyAssignment)
class SurveyAssignmentAdmin(admin.ModelAdmin):
    # No answers here: managers read them in aggregate on the program's pages.
    list_display = ("survey", "mentorship", "user", "role", "opens_at", "submitted_at")
    list_filter = ("role",)
    raw_id_fields = ("survey", "mentorship", "user")


@admin.register(MeetingPulse)
class MeetingPulseAdmin(admin.ModelAdmin):
    list_display = ("meeting_series", "recurrence_id", "usefulness", "created_at")
    raw_id_fields = ("meeting_series", "user")

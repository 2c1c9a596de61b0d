from django.contrib import admin

from trellis.programs.models import (
    Enrollment,
    IntakeAnswer,
    IntakeQuestion,
    Invitation,
    Organisation,
    Program,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("admins",)


class IntakeQuestionInline(admin.TabularInline):
    model = IntakeQuestion
    extra = 0
    fields = ("position", "label", "kind", "audience", "choices", "is_required")


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "program_type", "enrollment_mode", "is_published")
    list_filter = ("program_type", "enrollment_mode", "is_published", "organisation")
    list_select_related = ("organisation",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("managers",)
    inlines = [IntakeQuestionInline]


class IntakeAnswerInline(admin.TabularInline):
    model = IntakeAnswer
    extra = 0
    raw_id_fields = ("question",)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "program", "role", "status", "created_at", "decided_at")
    list_filter = ("status", "role", "program")
    list_select_related = ("user", "program")
    search_fields = ("user__email", "program__name")
    raw_id_fields = ("user", "program", "decided_by")
    inlines = [IntakeAnswerInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "program", "role", "expires_at", "accepted_at", "revoked_at")
    list_filter = ("role", "program")
    list_select_related = ("program",)
    search_fields = ("email", "program__name")
    raw_id_fields = ("program", "invited_by", "accepted_by")
    readonly_fields = ("token",)

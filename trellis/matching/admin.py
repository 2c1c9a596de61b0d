from django.contrib import admin

from trellis.matching.models import (
    MatchingCriterion,
    MatchingSettings,
    MatchRun,
    MatchRunPair,
    MenteeWish,
    MentorWish,
)


@admin.register(MatchingSettings)
class MatchingSettingsAdmin(admin.ModelAdmin):
    list_display = ("program", "automatch_enabled", "objective", "wish_weight")
    list_select_related = ("program",)
    search_fields = ("program__name",)


@admin.register(MatchRun)
class MatchRunAdmin(admin.ModelAdmin):
    list_display = ("program", "status", "created_at", "matched_count", "unmatched_count")
    list_filter = ("status",)
    list_select_related = ("program",)
    readonly_fields = ("report", "error", "progress", "progress_message")
    raw_id_fields = ("created_by", "published_by")


@admin.register(MatchRunPair)
class MatchRunPairAdmin(admin.ModelAdmin):
    list_display = ("run", "mentee", "mentor", "score", "is_locked")
    raw_id_fields = ("run", "mentee", "mentor")


@admin.register(MenteeWish)
class MenteeWishAdmin(admin.ModelAdmin):
    list_display = ("program", "mentee", "mentor", "is_favourite", "rank")
    raw_id_fields = ("mentee", "mentor")


@admin.register(MentorWish)
class MentorWishAdmin(admin.ModelAdmin):
    list_display = ("program", "mentor", "mentee", "stance")
    raw_id_fields = ("mentee", "mentor")


@admin.register(MatchingCriterion)
class MatchingCriterionAdmin(admin.ModelAdmin):
    list_display = ("program", "position", "field", "kind", "is_hard_rule", "weight")
    list_filter = ("kind", "is_hard_rule")

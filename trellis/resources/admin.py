"""Staff keep the built-in guides' words here (the app itself only hides them)."""

from django.contrib import admin

from trellis.resources.models import Recommendation, Resource, ResourceTag


class ResourceTagInline(admin.TabularInline):
    model = ResourceTag
    extra = 0


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "program", "builtin_key", "is_archived")
    list_filter = ("kind", "is_archived")
    search_fields = ("title", "summary")
    raw_id_fields = ("program", "created_by")
    readonly_fields = ("file", "file_name", "file_type", "file_size")
    inlines = [ResourceTagInline]


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ("resource", "mentorship", "created_at", "completed_at")
    raw_id_fields = ("mentorship", "resource", "recommended_by", "completed_by")

from django.contrib import admin

from trellis.profiles.models import AvailabilityWindow, Profile


class AvailabilityWindowInline(admin.TabularInline):
    model = AvailabilityWindow
    extra = 0


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "time_zone", "country", "organisation", "updated_at")
    list_select_related = ("user",)
    list_filter = ("country", "seniority")
    search_fields = ("display_name", "user__email")
    autocomplete_fields = ("user", "manager")
    readonly_fields = ("created_at", "updated_at")
    inlines = (AvailabilityWindowInline,)
    fieldsets = (
        (None, {"fields": ("user", "display_name", "pronouns", "headline", "bio", "photo")}),
        (
            "Where and when",
            {
                "fields": (
                    "time_zone",
                    "city",
                    "country",
                    ("contact_hours_start", "contact_hours_end"),
                    ("quiet_hours_start", "quiet_hours_end"),
                )
            },
        ),
        ("Work", {"fields": ("organisation", "department", "seniority", "manager")}),
        (
            "What they offer and seek",
            {"fields": ("skills_offered", "skills_sought", "interests", "values", "goals")},
        ),
        (
            "How they like to talk",
            {"fields": ("languages", "communication_modes", "meeting_frequency")},
        ),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )

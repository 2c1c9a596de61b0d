from django.contrib import admin

from trellis.calendars.models import CalendarFeedToken, ExternalCalendar


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "token_hash", "last_used_at"]
    search_fields = ["user__email"]


@admin.register(ExternalCalendar)
class ExternalCalendarAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "fetched_at", "error"]
    # The URL is the owner's secret: admins see that a calendar exists, not its address.
    exclude = ["url"]
    readonly_fields = ["user", "name", "busy", "fetched_at", "error"]
    search_fields = ["user__email", "name"]

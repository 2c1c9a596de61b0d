from django.contrib import admin

from trellis.notifications.models import Notification, ReminderPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "kind", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("title", "recipient__email")
    raw_id_fields = ("recipient",)


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "offsets", "updated_at")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)

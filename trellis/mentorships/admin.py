from django.contrib import admin

from trellis.mentorships.models import Mentorship, MentorshipOffer, MentorshipRequest


@admin.register(Mentorship)
class MentorshipAdmin(admin.ModelAdmin):
    list_display = ("program", "mentor", "mentee", "status", "source", "score", "started_at")
    list_filter = ("status", "source", "program")
    list_select_related = ("program", "mentor", "mentee")
    search_fields = ("mentor__email", "mentee__email", "program__name")
    raw_id_fields = ("mentor", "mentee", "started_by")
    # Created only through services.mentorship_start (capacity and notifications).
    readonly_fields = ("program", "mentor", "mentee", "source", "score", "reasons", "started_by")

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(MentorshipRequest)
class MentorshipRequestAdmin(admin.ModelAdmin):
    list_display = ("program", "mentee", "mentor", "status", "created_at", "expires_at")
    list_filter = ("status", "program")
    list_select_related = ("program", "mentor", "mentee")
    search_fields = ("mentor__email", "mentee__email")
    raw_id_fields = ("mentor", "mentee", "rollover_of", "mentorship")

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(MentorshipOffer)
class MentorshipOfferAdmin(admin.ModelAdmin):
    list_display = ("program", "mentor", "mentee", "status", "created_at", "expires_at")
    list_filter = ("status", "program")
    list_select_related = ("program", "mentor", "mentee")
    search_fields = ("mentor__email", "mentee__email")
    raw_id_fields = ("mentor", "mentee", "mentorship")

    def has_add_permission(self, request: object) -> bool:
        return False

"""Shared test helpers: what a refused action must leave untouched."""

from trellis.matching.models import MatchingSettings, MenteeWish, MentorWish
from trellis.mentorships.models import (
    GroupMember,
    Mentorship,
    MentorshipEvent,
    MentorshipOffer,
    MentorshipRequest,
)
from trellis.notifications.models import Notification


def snapshot():
    """Everything a mentorship action could change."""
    return {
        "mentorships": sorted(
            Mentorship.objects.values_list(
                "pk",
                "program_id",
                "mentor_id",
                "mentee_id",
                "status",
                "source",
                "started_at",
                "expected_end_on",
                "paused_at",
                "completed_at",
                "ended_at",
                "ended_reason",
                "ended_note",
                "confirmed_by_mentor",
                "confirmed_by_mentee",
                "end_reminder_sent_at",
                "wrap_up_sent_at",
                "meeting_nudge_sent_at",
            )
        ),
        "events": sorted(MentorshipEvent.objects.values_list("pk", "action", "to_status")),
        "members": sorted(
            GroupMember.objects.values_list(
                "pk", "mentorship_id", "mentee_id", "left_at", "left_reason", "left_note"
            )
        ),
        "requests": sorted(
            MentorshipRequest.objects.values_list(
                "pk",
                "status",
                "mentor_id",
                "mentee_id",
                "message",
                "response_note",
                "info_question",
                "info_reply",
                "expires_at",
                "decided_at",
                "mentorship_id",
            )
        ),
        "offers": sorted(
            MentorshipOffer.objects.values_list(
                "pk", "status", "mentor_id", "mentee_id", "response_note", "decided_at"
            )
        ),
        "notifications": sorted(Notification.objects.values_list("pk", "recipient_id", "kind")),
        "wishes": sorted(
            MenteeWish.objects.values_list("mentee_id", "mentor_id", "is_favourite", "rank")
        )
        + sorted(MentorWish.objects.values_list("mentor_id", "mentee_id", "stance")),
    }


def settings_of(program, **changes):
    """The program's matching settings, changed and saved."""
    settings, _ = MatchingSettings.objects.get_or_create(program=program)
    for name, value in changes.items():
        setattr(settings, name, value)
    settings.save()
    return settings


def kinds_for(user):
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", flat=True)
    )

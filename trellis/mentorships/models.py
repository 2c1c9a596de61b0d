"""Mentorships, and the requests and offers that lead to them.

The invariants are held by the database as well as by the services: one active
mentorship per mentee and program, one open request and one open offer per pair, and
nobody mentors themself. Capacity is held by a row lock on the mentor's enrollment
(see services.mentorship_start).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from trellis.core.models import TimeStampedModel
from trellis.programs.models import Program

MAX_MESSAGE_LENGTH = 2000


class MentorshipStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class MentorshipSource(models.TextChoices):
    AUTOMATCH = "automatch", "Matched by the program"
    REQUEST = "request", "Mentee's request"
    OFFER = "offer", "Mentor's offer"
    MANAGER = "manager", "Paired by a manager"


class Mentorship(TimeStampedModel):
    """A mentor and a mentee working together in a program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="mentorships")
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentorships_as_mentor"
    )
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentorships_as_mentee"
    )
    status = models.CharField(
        max_length=20, choices=MentorshipStatus.choices, default=MentorshipStatus.ACTIVE
    )
    source = models.CharField(max_length=20, choices=MentorshipSource.choices)
    # The match score (0-100) and its explanation, as the pair was shown when they met.
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who started it; empty when the program's automatch did.",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentee"],
                condition=Q(status="active"),
                name="mentorship_one_active_per_mentee",
                violation_error_message="This mentee already has a mentor in the program.",
            ),
            models.CheckConstraint(
                condition=~Q(mentor=F("mentee")),
                name="mentorship_mentor_not_mentee",
                violation_error_message="Nobody can mentor themself.",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="mentorship_score_range",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "mentor", "status"], name="mentorship_mentor_status"),
            models.Index(fields=["mentee", "status"], name="mentorship_mentee_status"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor_id} mentors {self.mentee_id} in {self.program_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == MentorshipStatus.ACTIVE


class RequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for the mentor"
    INFO_REQUESTED = "info_requested", "The mentor asked for more information"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CANCELLED = "cancelled", "Closed: the mentee found a mentor"


# A request is "open" while the mentor may still answer it.
OPEN_REQUEST_STATUSES = (RequestStatus.OPEN, RequestStatus.INFO_REQUESTED)


class MentorshipRequest(TimeStampedModel):
    """A mentee asks a mentor to mentor them; the mentor answers."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="mentorship_requests"
    )
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="requests_sent"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="requests_received"
    )
    message = models.TextField(max_length=MAX_MESSAGE_LENGTH)
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    # The mentor's note when declining.
    response_note = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    info_question = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    info_reply = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    # Set when the request was sent automatically after an earlier one expired.
    rollover_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="rollovers"
    )
    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentee", "mentor"],
                condition=Q(status__in=["open", "info_requested"]),
                name="mentorship_request_one_open_per_pair",
                violation_error_message="You already have an open request to this mentor.",
            ),
            models.CheckConstraint(
                condition=~Q(mentor=F("mentee")), name="mentorship_request_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="mentorship_request_due"),
            models.Index(fields=["program", "mentee", "status"], name="mentorship_request_mentee"),
            models.Index(fields=["program", "mentor", "status"], name="mentorship_request_mentor"),
        ]

    def __str__(self) -> str:
        return f"{self.mentee_id} asks {self.mentor_id} in {self.program_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


class OfferStatus(models.TextChoices):
    OPEN = "open", "Waiting for the mentee"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Closed: the mentee found a mentor"


class MentorshipOffer(TimeStampedModel):
    """A mentor offers to mentor a mentee; the mentee decides."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="mentorship_offers")
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offers_sent"
    )
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offers_received"
    )
    message = models.TextField(max_length=MAX_MESSAGE_LENGTH)
    status = models.CharField(max_length=20, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    response_note = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentor", "mentee"],
                condition=Q(status="open"),
                name="mentorship_offer_one_open_per_pair",
                violation_error_message="You already have an open offer to this mentee.",
            ),
            models.CheckConstraint(
                condition=~Q(mentor=F("mentee")), name="mentorship_offer_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="mentorship_offer_due"),
            models.Index(fields=["program", "mentee", "status"], name="mentorship_offer_mentee"),
            models.Index(fields=["program", "mentor", "status"], name="mentorship_offer_mentor"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor_id} offers {self.mentee_id} in {self.program_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == OfferStatus.OPEN

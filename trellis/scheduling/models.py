"""Meetings of a mentorship: series, their one-off changes, logs, proposals, availability.

A series is stored as the organiser set it up: a local start date and wall time in the
organiser's IANA zone, a length and an RFC 5545 RRULE (``SeriesRule.to_rrule``). Its
occurrences are expanded in that zone (``recurrence.occurrences``), so a weekly 09:00
meeting stays at 09:00 for the organiser across daylight saving while the partner sees
the right local time. One occurrence moved or cancelled is an ``OccurrenceChange`` keyed
by its ``recurrence_id`` (the original local start, "20250317T090000").
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from trellis.core.models import TimeStampedModel
from trellis.core.time import validate_time_zone
from trellis.mentorships.models import Mentorship
from trellis.scheduling.recurrence import (
    OccurrenceCancelled,
    OccurrenceMoved,
    SeriesException,
    SeriesRule,
)

MAX_DURATION_MINUTES = 8 * 60
MAX_TEXT_LENGTH = 5000


def _new_uid() -> str:
    return f"{uuid.uuid4()}@trellis"


def _new_room_id() -> str:
    return uuid.uuid4().hex


class Modality(models.TextChoices):
    VIDEO = "video", "Video call in Trellis"
    PHONE = "phone", "Phone"
    IN_PERSON = "in_person", "In person"
    LINK = "link", "External video link"


class SeriesStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled"


def validate_https_url(value: str) -> None:
    if value and not value.lower().startswith("https://"):
        raise ValidationError("Give a secure link starting with https://.", code="not_https")


class MeetingSeries(TimeStampedModel):
    """A single meeting or a recurring series of a mentorship, in the organiser's zone."""

    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.CASCADE, related_name="meeting_series"
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organised_meetings"
    )
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    start_date = models.DateField()
    start_time = models.TimeField()
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    # The RRULE value without "RRULE:"; empty for a single meeting.
    rrule = models.CharField(max_length=200, blank=True)
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.VIDEO)
    room_id = models.CharField(max_length=64, default=_new_room_id, editable=False)
    phone_number = models.CharField(max_length=40, blank=True)
    place = models.CharField(max_length=200, blank=True)
    link_url = models.URLField(max_length=500, blank=True, validators=[validate_https_url])
    agenda = models.TextField(max_length=MAX_TEXT_LENGTH, blank=True)
    uid = models.CharField(max_length=100, unique=True, default=_new_uid, editable=False)
    # Raised on every change the attendees should see (RFC 5545 SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=SeriesStatus.choices, default=SeriesStatus.ACTIVE
    )
    # The series this one continues after a "this and the following" change.
    split_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="continuations"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["start_date", "start_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=MAX_DURATION_MINUTES),
                name="meeting_series_duration_range",
            ),
            models.CheckConstraint(
                condition=~Q(modality="link") | ~Q(link_url=""),
                name="meeting_series_link_needs_url",
                violation_error_message="Give the meeting link.",
            ),
        ]
        indexes = [models.Index(fields=["mentorship", "status"], name="meeting_series_status")]

    def __str__(self) -> str:
        return f"Meeting {self.pk} of mentorship {self.mentorship_id} ({self.status})"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.modality == Modality.LINK and not self.link_url:
            errors["link_url"] = "Give the meeting link (https://…)."
        if self.modality == Modality.PHONE and not self.phone_number:
            errors["phone_number"] = "Give the number to call."
        if self.modality == Modality.IN_PERSON and not self.place:
            errors["place"] = "Say where you meet."
        if errors:
            raise ValidationError(errors)

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def is_active(self) -> bool:
        return self.status == SeriesStatus.ACTIVE

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule)

    def rule(self) -> SeriesRule:
        return SeriesRule.from_rrule(
            self.rrule,
            time_zone=self.time_zone,
            start_date=self.start_date,
            start_time=self.start_time,
            duration=self.duration,
        )

    def exceptions(self) -> list[SeriesException]:
        """The series' moved and cancelled occurrences (uses prefetched ``changes``)."""
        return [change.as_exception() for change in self.changes.all()]

    @property
    def location_text(self) -> str:
        if self.modality == Modality.PHONE:
            return f"Phone: {self.phone_number}"
        if self.modality == Modality.IN_PERSON:
            return self.place
        if self.modality == Modality.LINK:
            return self.link_url
        return "Video call in Trellis"


class OccurrenceChange(models.Model):
    """One occurrence of a series cancelled, or moved to another start or length."""

    series = models.ForeignKey(MeetingSeries, on_delete=models.CASCADE, related_name="changes")
    recurrence_id = models.CharField(max_length=15)
    is_cancelled = models.BooleanField(default=False)
    start = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recurrence_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "recurrence_id"], name="occurrence_change_one_per_occurrence"
            ),
            models.CheckConstraint(
                condition=Q(is_cancelled=True) | Q(start__isnull=False),
                name="occurrence_change_moved_has_start",
            ),
        ]

    def __str__(self) -> str:
        what = "cancelled" if self.is_cancelled else f"moved to {self.start}"
        return f"{self.series_id}/{self.recurrence_id} {what}"

    def as_exception(self) -> SeriesException:
        if self.is_cancelled or self.start is None:
            return OccurrenceCancelled(self.recurrence_id)
        duration = timedelta(minutes=self.duration_minutes) if self.duration_minutes else None
        return OccurrenceMoved(self.recurrence_id, self.start, duration)


class MeetingOutcome(models.TextChoices):
    HAPPENED = "happened", "It happened"
    NO_SHOW = "no_show", "No-show"
    CANCELLED_LATE = "cancelled_late", "Cancelled late"


class MeetingLog(TimeStampedModel):
    """What came of one occurrence; shared by the pair (private notes are separate)."""

    series = models.ForeignKey(MeetingSeries, on_delete=models.CASCADE, related_name="logs")
    recurrence_id = models.CharField(max_length=15)
    outcome = models.CharField(max_length=20, choices=MeetingOutcome.choices)
    minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    shared_notes = models.TextField(max_length=MAX_TEXT_LENGTH, blank=True)
    next_steps = models.TextField(max_length=MAX_TEXT_LENGTH, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["recurrence_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "recurrence_id"], name="meeting_log_one_per_occurrence"
            )
        ]

    def __str__(self) -> str:
        return f"Log of {self.series_id}/{self.recurrence_id}: {self.outcome}"


class MeetingPrivateNote(TimeStampedModel):
    """A note on a meeting only its author ever sees (not the partner, not managers)."""

    log = models.ForeignKey(MeetingLog, on_delete=models.CASCADE, related_name="private_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=MAX_TEXT_LENGTH)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["log", "author"], name="private_note_one_per_author")
        ]

    def __str__(self) -> str:
        return f"Private note of {self.author_id} on log {self.log_id}"


class AvailabilityException(models.Model):
    """One local date on which a person's weekly windows do not apply.

    ``windows`` is a list of ["HH:MM", "HH:MM"] pairs in the person's zone; an empty list
    is a day off.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    date = models.DateField()
    windows = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="availability_exception_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.date}: {self.windows or 'day off'}"

    @property
    def is_day_off(self) -> bool:
        return not self.windows


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    COUNTERED = "countered", "Answered with other times"
    WITHDRAWN = "withdrawn", "Withdrawn"


MAX_OPTIONS = 3


class MeetingProposal(TimeStampedModel):
    """Up to three start times one of the pair offers; the partner picks one or counters."""

    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.CASCADE, related_name="meeting_proposals"
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    # ISO 8601 UTC starts ("2025-03-17T08:00:00+00:00"), earliest first.
    options = models.JSONField(default=list)
    agenda = models.TextField(max_length=MAX_TEXT_LENGTH, blank=True)
    status = models.CharField(
        max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    chosen_start = models.DateTimeField(null=True, blank=True)
    series = models.ForeignKey(
        MeetingSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    counter_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="counters"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["mentorship", "status"], name="meeting_proposal_status"),
        ]

    def __str__(self) -> str:
        return f"Proposal {self.pk} in mentorship {self.mentorship_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == ProposalStatus.OPEN

    def option_starts(self) -> list[datetime]:
        return [datetime.fromisoformat(value) for value in self.options]

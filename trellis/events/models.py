"""Networking events of a program, and who is going to them.

An event is posted in a program by one of its approved participants or managers. It has
a time (stored UTC, with the IANA zone it was planned in), a place and/or an online link,
and maybe a number of places. People say they are going (an RSVP): while places are
free they are going, then they wait in line; someone going who cancels frees a place for
the first in line. The services count the places under the event's row lock, so two
people never take the last place at once.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxLengthValidator, URLValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from trellis.core.models import TimeStampedModel
from trellis.core.time import validate_time_zone
from trellis.programs.models import Program

MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5000
# As an event card in a conversation holds them (trellis.messaging.cards).
MAX_PLACE_LENGTH = 200
MAX_URL_LENGTH = 500
MAX_EVENT_LENGTH = dt.timedelta(days=7)
MAX_CAPACITY = 10_000
MAX_ZONE_LENGTH = 64


class Event(TimeStampedModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="events")
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    # Markdown, shown through trellis.messaging.formatting.render_markdown.
    description = models.TextField(
        blank=True,
        max_length=MAX_DESCRIPTION_LENGTH,
        validators=[MaxLengthValidator(MAX_DESCRIPTION_LENGTH)],
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # The zone it was planned in (the organiser's by default): its .ics speaks it.
    time_zone = models.CharField(max_length=MAX_ZONE_LENGTH, validators=[validate_time_zone])
    place = models.CharField(max_length=MAX_PLACE_LENGTH, blank=True)
    online_url = models.CharField(
        "Online link",
        max_length=MAX_URL_LENGTH,
        blank=True,
        validators=[URLValidator(schemes=["https"])],
    )
    # None: no limit.
    capacity = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events_created",
    )
    is_cancelled = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Raised on every change a calendar should pick up (RFC 5545 SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="event_ends_after_start",
                violation_error_message="The event must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                name="event_capacity_positive",
                violation_error_message="Give at least one place, or no limit.",
            ),
            models.CheckConstraint(
                condition=~Q(place="") | ~Q(online_url=""),
                name="event_has_place_or_link",
                violation_error_message="Say where it happens: a place or an online link.",
            ),
            models.CheckConstraint(
                condition=Q(is_cancelled=True, cancelled_at__isnull=False)
                | Q(is_cancelled=False, cancelled_at__isnull=True),
                name="event_cancelled_when",
            ),
        ]
        indexes = [models.Index(fields=["program", "starts_at"], name="event_program_starts")]

    def __str__(self) -> str:
        return f"Event {self.pk} in {self.program_id}: {self.title}"

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()


class RSVPStatus(models.TextChoices):
    GOING = "going", "Going"
    WAITING = "waiting", "On the waiting list"
    CANCELLED = "cancelled", "Cancelled"


class RSVP(models.Model):
    """One person's answer to an event; ``queued_at`` orders the waiting list."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_rsvps"
    )
    status = models.CharField(max_length=10, choices=RSVPStatus.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # When they last asked for a place: someone who cancels and comes back joins the end
    # of the line, not their old place in it.
    queued_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["queued_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                name="rsvp_one_per_person",
                violation_error_message="You already answered this event.",
            ),
        ]
        indexes = [models.Index(fields=["event", "status", "queued_at"], name="rsvp_line")]

    def __str__(self) -> str:
        return f"RSVP of {self.user_id} to event {self.event_id}: {self.status}"

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.dateparse import parse_datetime

from trellis.core.models import TimeStampedModel


class CalendarFeedToken(TimeStampedModel):
    """The secret in a person's calendar feed URL. Only its hash is stored; shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_tokens"
    )
    prefix = models.CharField(max_length=12, help_text="First characters, to tell feeds apart.")
    token_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="calendars_one_active_feed_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed {self.prefix}… of {self.user_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ExternalCalendar(TimeStampedModel):
    """A calendar a person subscribes by ICS URL, read for free/busy time only.

    ``busy`` caches the busy intervals of the next weeks as ``[[start, end], ...]`` ISO
    strings in UTC; pages and slot finding read the cache, a background task refreshes it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_calendars"
    )
    name = models.CharField(max_length=80)
    url = models.URLField(max_length=2000)
    busy = models.JSONField(default=list, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "url"], name="calendars_external_url_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"

    def busy_intervals(self) -> list[tuple[datetime, datetime]]:
        intervals = []
        for start, end in self.busy or []:
            begin, finish = parse_datetime(start), parse_datetime(end)
            if begin is not None and finish is not None:
                intervals.append((begin, finish))
        return intervals

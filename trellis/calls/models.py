"""Calls in the browser: one room per meeting occurrence, or a "call now" of a mentorship.

The media goes peer to peer between the browsers; the server only relays signalling
(trellis.calls.consumers) and keeps the record: who joined, when, and for how long
(``CallJoin``, one row per time a browser tab was in the room). A call's ``held_seconds``
is the time at least two people were in it together; a meeting whose call was held is
logged as happened with that length (scheduling.services.log_from_call).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.core.models import TimeStampedModel
from trellis.mentorships.models import Mentorship
from trellis.scheduling.models import MeetingSeries

# Peer-to-peer mesh: every browser sends its media to every other, so past a handful the
# uplink of the weakest participant gives out.
MAX_PEERS = 6


def _new_room() -> str:
    return uuid.uuid4().hex


class CallKind(models.TextChoices):
    MEETING = "meeting", "Meeting"
    INSTANT = "instant", "Call now"


class Call(TimeStampedModel):
    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="calls")
    kind = models.CharField(max_length=20, choices=CallKind.choices)
    room = models.CharField(max_length=64, unique=True, default=_new_room, editable=False)
    # A meeting's call: its series and the occurrence's recurrence id.
    series = models.ForeignKey(
        MeetingSeries, on_delete=models.CASCADE, null=True, blank=True, related_name="calls"
    )
    recurrence_id = models.CharField(max_length=15, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # First join and last leave; held_seconds counts only the time two or more were in.
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    held_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "recurrence_id"],
                condition=Q(series__isnull=False),
                name="call_one_per_occurrence",
            ),
            models.CheckConstraint(
                condition=(Q(kind="meeting") & Q(series__isnull=False) & ~Q(recurrence_id=""))
                | (Q(kind="instant") & Q(series__isnull=True) & Q(recurrence_id="")),
                name="call_kind_matches_meeting",
            ),
        ]
        indexes = [models.Index(fields=["mentorship", "created_at"], name="call_mentorship")]

    def __str__(self) -> str:
        return f"Call {self.room} of mentorship {self.mentorship_id}"

    @property
    def held_minutes(self) -> int:
        return round(self.held_seconds / 60)


class CallJoin(models.Model):
    """One browser tab in a call, from join to leave (a rejoin is a new row)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="joins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The tab's own id for the whole visit: a tab that reconnects keeps it, so the others
    # keep their connection to it.
    peer = models.CharField(max_length=64)
    # Where the relay reaches this tab's socket (a channel-layer channel name).
    channel_name = models.CharField(max_length=200)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "peer"],
                condition=Q(left_at__isnull=True),
                name="call_join_one_open_per_peer",
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("joined_at")),
                name="call_join_leaves_after_joining",
            ),
        ]
        indexes = [
            models.Index(fields=["call", "left_at"], name="call_join_open"),
            models.Index(fields=["channel_name"], name="call_join_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in call {self.call_id} from {self.joined_at}"

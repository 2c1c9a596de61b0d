from django.conf import settings
from django.db import models

from trellis.core.models import TimeStampedModel


class Notification(TimeStampedModel):
    """Something a person should know, shown under the bell and usually emailed too."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notif_recipient_unread")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Reminder(TimeStampedModel):
    """A notification due at ``fire_at``: durable, so a restart loses none.

    ``key`` names what the reminder is about, e.g. ``meeting:12:20250317T090000:1440``
    (meeting 12, the occurrence at that start, 1440 minutes before); cancelling by key
    prefix stops every reminder of a meeting or occurrence that moved or was cancelled.
    """

    key = models.CharField(max_length=200, db_index=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    fire_at = models.DateTimeField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["fire_at", "id"]
        indexes = [
            models.Index(
                fields=["fire_at"],
                name="reminder_pending_fire_at",
                condition=models.Q(sent_at__isnull=True, cancelled_at__isnull=True),
            )
        ]
        constraints = [
            # Scheduling the same reminder twice moves it instead of sending it twice.
            models.UniqueConstraint(
                fields=["key", "recipient"],
                condition=models.Q(sent_at__isnull=True, cancelled_at__isnull=True),
                name="reminder_one_pending_per_key_and_recipient",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.recipient_id} at {self.fire_at:%Y-%m-%d %H:%M}"

    @property
    def is_pending(self) -> bool:
        return self.sent_at is None and self.cancelled_at is None

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

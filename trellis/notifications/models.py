from django.conf import settings
from django.core.exceptions import ValidationError
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


class ReminderOffset(models.IntegerChoices):
    """How long before a meeting a reminder may fire, in minutes: the menu people pick from."""

    WEEK = 10080, "1 week before"
    DAY = 1440, "1 day before"
    TWO_HOURS = 120, "2 hours before"
    HOUR = 60, "1 hour before"
    HALF_HOUR = 30, "30 minutes before"
    QUARTER = 15, "15 minutes before"
    FIVE_MINUTES = 5, "5 minutes before"
    AT_START = 0, "When it starts"


# What a person without a ReminderPreference gets: 24 h and 15 min before.
DEFAULT_REMINDER_MINUTES: tuple[int, ...] = (ReminderOffset.DAY, ReminderOffset.QUARTER)
REMINDER_OFFSETS_INVALID = "Choose reminder times from the list: {choices}."


def reminder_offsets_default() -> list[int]:
    return [int(minutes) for minutes in DEFAULT_REMINDER_MINUTES]


def validate_reminder_offsets(value: object) -> None:
    """A list of distinct minutes from the ReminderOffset menu (empty: no meeting reminders)."""
    allowed = set(ReminderOffset.values)
    is_valid = (
        isinstance(value, list)
        and all(isinstance(minutes, int) and not isinstance(minutes, bool) for minutes in value)
        and set(value) <= allowed
        and len(set(value)) == len(value)
    )
    if not is_valid:
        choices = ", ".join(str(label) for label in ReminderOffset.labels)
        raise ValidationError(
            REMINDER_OFFSETS_INVALID.format(choices=choices), code="reminder_offsets"
        )


class ReminderPreference(TimeStampedModel):
    """When one person wants meeting reminders; without a row, the defaults apply.

    ``offsets`` holds minutes before the meeting, largest first, from ReminderOffset; an
    empty list turns meeting reminders off. A JSON list has no portable check constraint,
    so ``reminder_preference_update`` (the only writer) validates it with the field.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    offsets = models.JSONField(
        default=reminder_offsets_default, blank=True, validators=[validate_reminder_offsets]
    )

    def __str__(self) -> str:
        return f"Reminders of {self.user_id}: {self.offsets}"

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from trellis.accounts.models import User
from trellis.notifications.models import (
    DEFAULT_REMINDER_MINUTES,
    Notification,
    Reminder,
    ReminderPreference,
)


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_list(*, user: User, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user)[:limit])


def reminders_pending(*, key_prefix: str, fire_after: datetime) -> list[Reminder]:
    """The pending reminders whose key starts with key_prefix and that fire after a moment."""
    return list(
        Reminder.objects.filter(
            key__startswith=key_prefix,
            fire_at__gt=fire_after,
            sent_at__isnull=True,
            cancelled_at__isnull=True,
        ).order_by("key", "pk")
    )


def _as_offsets(minutes: Iterable[int]) -> tuple[timedelta, ...]:
    return tuple(timedelta(minutes=value) for value in sorted(minutes, reverse=True))


DEFAULT_OFFSETS = _as_offsets(DEFAULT_REMINDER_MINUTES)


def reminder_offsets_for(*, user: User) -> tuple[timedelta, ...]:
    """How long before each meeting the person wants reminding, largest first, in one query.

    Empty: no meeting reminders. Without a saved preference: 24 h and 15 min.
    """
    saved = (
        ReminderPreference.objects.filter(user_id=user.pk).values_list("offsets", flat=True).first()
    )
    return DEFAULT_OFFSETS if saved is None else _as_offsets(saved)


def reminder_offsets_for_users(*, user_ids: Iterable[int]) -> dict[int, tuple[timedelta, ...]]:
    """``reminder_offsets_for`` of many people in one query (every id gets an entry)."""
    ids = set(user_ids)
    offsets = dict.fromkeys(ids, DEFAULT_OFFSETS)
    if ids:
        saved = ReminderPreference.objects.filter(user_id__in=ids).values_list("user_id", "offsets")
        offsets.update((user_id, _as_offsets(minutes)) for user_id, minutes in saved)
    return offsets


def reminder_minutes_for(*, user: User) -> list[int]:
    """The person's reminder offsets in minutes, largest first (for forms and the API)."""
    return [int(offset.total_seconds() // 60) for offset in reminder_offsets_for(user=user)]

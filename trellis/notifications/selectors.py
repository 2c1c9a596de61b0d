from __future__ import annotations

from datetime import datetime

from trellis.accounts.models import User
from trellis.notifications.models import Notification, Reminder


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

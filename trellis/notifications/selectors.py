from __future__ import annotations

from trellis.accounts.models import User
from trellis.notifications.models import Notification


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_list(*, user: User, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user)[:limit])

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def notifications(request: HttpRequest) -> dict[str, Any]:
    """Unread count for the bell in the header, computed lazily (one query when shown)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread_count() -> int:
        from trellis.notifications.selectors import notification_unread_count

        return notification_unread_count(user=user)

    return {"notification_unread_count": unread_count}

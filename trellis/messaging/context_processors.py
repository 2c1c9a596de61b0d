from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest


def messaging(request: HttpRequest) -> dict[str, Any]:
    """Unread messages for the navigation badge: one query, only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def unread_count() -> int:
        from trellis.messaging.selectors import unread_total_for

        return unread_total_for(user=user)

    return {"messaging_unread_count": unread_count}

"""Who is online: a row per open live socket, refreshed while the socket lives.

The socket's consumer calls ``socket_opened`` and ``socket_closed``; browsers ping every
45 seconds and the consumer refreshes ``seen_at`` at most every ``REFRESH`` on a ping.
A socket not seen for ``FRESH_FOR`` (its process died, say) no longer counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from trellis.core.models import OpenSocket

REFRESH = dt.timedelta(minutes=2)
FRESH_FOR = dt.timedelta(minutes=5)


def socket_opened(*, user_id: int, channel_name: str) -> None:
    now = timezone.now()
    # Rows a dead process left behind go on the next connect (a small table).
    sockets_purge_stale(now=now)
    OpenSocket.objects.update_or_create(
        channel_name=channel_name,
        defaults={"user_id": user_id, "opened_at": now, "seen_at": now},
    )


def socket_seen(*, channel_name: str) -> None:
    OpenSocket.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())


def socket_closed(*, channel_name: str) -> None:
    OpenSocket.objects.filter(channel_name=channel_name).delete()


def online_user_ids(*, user_ids: Iterable[int], now: dt.datetime | None = None) -> set[int]:
    """Those of user_ids with a live socket now (one query)."""
    ids = list(user_ids)
    if not ids:
        return set()
    since = (now or timezone.now()) - FRESH_FOR
    return set(
        OpenSocket.objects.filter(user_id__in=ids, seen_at__gte=since)
        .values_list("user_id", flat=True)
        .distinct()
    )


def sockets_purge_stale(*, now: dt.datetime | None = None) -> int:
    """Delete rows of sockets not seen for a day (left by processes that died)."""
    before = (now or timezone.now()) - dt.timedelta(days=1)
    deleted, _ = OpenSocket.objects.filter(seen_at__lt=before).delete()
    return deleted

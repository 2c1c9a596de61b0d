"""Reads for calendars: feeds, subscribed calendars and the busy time they cache."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from trellis.accounts.models import User
from trellis.accounts.services import hash_token
from trellis.calendars import ics
from trellis.calendars.models import CalendarFeedToken, ExternalCalendar
from trellis.calendars.services import FEED_TOKEN_PREFIX


def calendar_feed_token_active(*, user: User) -> CalendarFeedToken | None:
    return CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).first()


def calendar_feed_token_lookup(*, raw_token: str) -> CalendarFeedToken | None:
    """Return the active feed token with this secret, its active user loaded, or None."""
    if not raw_token.startswith(FEED_TOKEN_PREFIX) or len(raw_token) > 200:
        return None
    return (
        CalendarFeedToken.objects.select_related("user__profile")
        .filter(token_hash=hash_token(raw_token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def calendar_events_for_feed(*, user: User) -> list[ics.CalendarEvent]:
    """Return the events of user's feed: their meetings, once scheduling provides them."""
    try:
        from trellis.scheduling.selectors import calendar_events_for  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # the scheduling app lands in parallel; an empty feed until then
        return []
    return list(calendar_events_for(user=user))


def external_calendar_list(*, user: User) -> QuerySet[ExternalCalendar]:
    return ExternalCalendar.objects.filter(user=user)


def busy_intervals_for(
    *, user: User, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Return user's busy time from subscribed calendars between start and end, merged.

    Read from the cache only; nothing is fetched during a request.
    """
    return busy_intervals_for_users(user_ids=[user.pk], start=start, end=end)[user.pk]


def busy_intervals_for_users(
    *, user_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    """``busy_intervals_for`` of several people (a group) in one query; every id gets a list."""
    ids = list(user_ids)
    clipped: dict[int, list[tuple[datetime, datetime]]] = {user_id: [] for user_id in ids}
    calendars = ExternalCalendar.objects.filter(user_id__in=ids).only("user_id", "busy")
    for calendar in calendars.order_by("user_id", "pk"):
        for begin, finish in calendar.busy_intervals():
            begin, finish = max(begin, start), min(finish, end)
            if begin < finish:
                clipped[calendar.user_id].append((begin, finish))
    return {user_id: _merged(intervals) for user_id, intervals in clipped.items()}


def _merged(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged

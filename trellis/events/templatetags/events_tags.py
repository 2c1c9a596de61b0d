"""The events parts of other pages (the dashboard's last-minute invitations) and the
filters the events pages use to show times in a zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import template

from trellis.core.time import get_zone
from trellis.events import selectors

register = template.Library()


@register.inclusion_tag("events/_dashboard.html", takes_context=True)
def events_dashboard(context: Any) -> dict[str, Any]:
    """The dashboard card "Last-minute invitations", in one query (nothing when empty).

    Events of the viewer's programs starting within 48 hours, with places left (or no
    limit), that the viewer did not post nor answer; each with a one-click "I'm going".
    """
    user = context.get("user")
    return {
        "invitations": selectors.last_minute_invitations(user=user),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


@register.filter
def places_left(event: Any) -> int | None:
    """Free places of an event from its counts (None: no limit)."""
    return selectors.places_left(event)


def when_text(starts: dt.datetime, ends: dt.datetime, zone: ZoneInfo) -> str:
    """ "Tue 3 Dec 2030, 12:00-14:00 EST" (an en dash), or both days when it runs past
    midnight."""
    start, end = starts.astimezone(zone), ends.astimezone(zone)
    day = f"{start:%a} {start.day} {start:%b %Y}"
    name = start.tzname() or zone.key
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}\u2013{end:%H:%M} {name}"
    return f"{day}, {start:%H:%M} \u2013 {end:%a} {end.day} {end:%b}, {end:%H:%M} {name}"


@register.filter
def event_when(event: Any, zone: str | None = None) -> str:
    """The event's time in a zone (the event's own when none is given)."""
    return when_text(event.starts_at, event.ends_at, get_zone(zone or event.time_zone))

"""Events as the tests need them."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from trellis.events import services
from trellis.events.models import Event


def soon(hours: float = 24 * 7) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)


def event_in(program: Any, *, by: Any, hours: float = 24 * 7, **fields: Any) -> Event:
    """An event posted by ``by`` starting in ``hours``, two hours long, at a place."""
    starts_at = fields.pop("starts_at", None) or soon(hours)
    fields.setdefault("title", "Founders' breakfast")
    fields.setdefault("place", "Café Lotte, Berlin")
    fields.setdefault("time_zone", "Europe/Berlin")
    return services.event_create(
        program=program,
        by=by,
        starts_at=starts_at,
        ends_at=fields.pop("ends_at", None) or starts_at + dt.timedelta(hours=2),
        **fields,
    )


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo("Europe/Berlin"))


def move_to_the_past(event: Event) -> Event:
    """Let the event have happened (the services refuse to post one in the past)."""
    starts_at = timezone.now() - dt.timedelta(days=2)
    Event.objects.filter(pk=event.pk).update(
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=2)
    )
    event.refresh_from_db()
    return event

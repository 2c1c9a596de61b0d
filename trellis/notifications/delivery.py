"""Hold non-urgent notifications until the recipient's contact hours open.

Design (issue #4, "everything that notifies a person holds itself until that person's
contact hours open"):
- The in-app row is stored at once, so the bell and the notifications page show it
  immediately; what is held is what interrupts: the real-time push and the email.
- A person's hours are their latest agreement part's contact hours (weekdays + local
  start/end) and quiet hours, else their profile's (agreements.selectors.person_hours_for),
  all local to their own zone. Someone without hours is never held: existing behaviour
  stays for everyone who has not said when they take messages.
- ``next_opening`` works on instants from ``scheduling.zones.local_window_instants``, so
  a daylight-saving change moves nothing: 09:00 Berlin is 09:00 on both sides of it.
- A held notification becomes a task with ``run_after`` at the opening
  (``deliver_held_notification``). No model change and no sweep command are needed; the
  database queue is durable, so a restart loses none. A queue that cannot delay (the
  immediate backend of tests and tiny installs) delivers at once, as before.
- Urgent notifications (``notification_send(..., is_urgent=True)``) are never held.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from trellis.scheduling.slots import ALL_WEEKDAYS, ContactHours
from trellis.scheduling.zones import (
    Interval,
    local_window_instants,
    merge_intervals,
    subtract_intervals,
)

if TYPE_CHECKING:
    from trellis.accounts.models import User

logger = logging.getLogger(__name__)

MIDNIGHT = dt.time(0)
# Look this far ahead for an opening; hours that never open (quiet hours covering all
# the contact hours) do not hold a notification for ever.
HORIZON_DAYS = 8


def open_intervals(
    *,
    start_day: dt.date,
    days: int,
    zone: dt.tzinfo,
    contact_hours: ContactHours | None,
    quiet_start: dt.time | None,
    quiet_end: dt.time | None,
) -> list[Interval]:
    """The UTC intervals in which the person takes messages, local day by local day."""
    from zoneinfo import ZoneInfo

    assert isinstance(zone, ZoneInfo)  # noqa: S101 - callers pass a ZoneInfo
    contact: list[Interval] = []
    quiet: list[Interval] = []
    for offset in range(days):
        day = start_day + dt.timedelta(days=offset)
        if contact_hours is None:
            contact += local_window_instants(day, MIDNIGHT, MIDNIGHT, zone)
        elif day.weekday() in contact_hours.weekdays:
            contact += local_window_instants(day, contact_hours.start, contact_hours.end, zone)
        if quiet_start is not None and quiet_end is not None:
            if quiet_start < quiet_end:
                quiet += local_window_instants(day, quiet_start, quiet_end, zone)
            else:  # runs past midnight: the evening of this day, the morning of this day
                quiet += local_window_instants(day, quiet_start, MIDNIGHT, zone)
                if quiet_end != MIDNIGHT:
                    quiet += local_window_instants(day, MIDNIGHT, quiet_end, zone)
    return subtract_intervals(merge_intervals(contact), merge_intervals(quiet))


def next_opening(
    *,
    now: dt.datetime,
    time_zone: str,
    contact_hours: ContactHours | None,
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
) -> dt.datetime | None:
    """When to deliver: None when the person takes messages now (or never opens), else
    the UTC instant their hours next open."""
    from zoneinfo import ZoneInfo

    if timezone.is_naive(now):
        raise ValueError("now must be an aware datetime.")
    if contact_hours is None and (quiet_start is None or quiet_end is None):
        return None
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    intervals = open_intervals(
        start_day=today - dt.timedelta(days=1),
        days=HORIZON_DAYS + 1,
        zone=zone,
        contact_hours=contact_hours,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
    )
    for start, end in intervals:
        if end <= now:
            continue
        return None if start <= now else start.astimezone(dt.UTC)
    return None


def held_until(*, recipient: User, now: dt.datetime | None = None) -> dt.datetime | None:
    """When a non-urgent notification to recipient may interrupt them; None: now."""
    # Agreements build on notifications; the lookup goes the other way only here.
    from trellis.agreements.selectors import person_hours_for

    hours = person_hours_for(user=recipient)
    if hours is None:
        return None
    return next_opening(
        now=now or timezone.now(),
        time_zone=hours.time_zone,
        contact_hours=hours.contact_hours,
        quiet_start=hours.quiet_start,
        quiet_end=hours.quiet_end,
    )


def deliver_at(*, notification_id: int, send_email: bool, at: dt.datetime) -> None:
    """Queue the push and email of a stored notification for ``at``, on commit."""

    def enqueue() -> None:
        backend = deliver_held_notification.get_backend()
        if backend.supports_defer:
            deliver_held_notification.using(run_after=at).enqueue(
                notification_id=notification_id, send_email=send_email
            )
        else:
            logger.info("The task queue cannot delay; notification %s goes now.", notification_id)
            deliver_held_notification.enqueue(
                notification_id=notification_id, send_email=send_email
            )

    transaction.on_commit(enqueue)


@task()
def deliver_held_notification(*, notification_id: int, send_email: bool) -> bool:
    """Push and email a held notification; nothing if it was deleted or read meanwhile."""
    from trellis.notifications.models import Notification
    from trellis.notifications.services import notification_announce

    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None or notification.is_read:
        return False
    notification_announce(notification=notification, send_email=send_email)
    return True


__all__ = ["ALL_WEEKDAYS", "deliver_at", "held_until", "next_opening", "open_intervals"]

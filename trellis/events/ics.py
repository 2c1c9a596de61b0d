"""An event as an iCalendar file (one VEVENT in its own zone, with its VTIMEZONE).

Built with trellis.calendars.ics: the UID stays the same for the event's life and its
SEQUENCE rises with every change, so a calendar that imported it updates it in place,
and shows it cancelled (STATUS:CANCELLED) once it is.
"""

from __future__ import annotations

from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings

from trellis.calendars.ics import CalendarEvent, Person, feed
from trellis.events.models import Event
from trellis.events.services import event_absolute_url
from trellis.scheduling.selectors import display_name


def event_uid(event: Event) -> str:
    return f"event-{event.pk}@trellis"


def _organizer(event: Event) -> Person:
    # The organiser's name, not their address: the file travels beyond the program.
    address = parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1] or "no-reply@trellis.localhost"
    name = display_name(event.created_by) if event.created_by else event.program.name
    return Person(name=name, email=address)


def calendar_event(event: Event) -> CalendarEvent:
    zone = ZoneInfo(event.time_zone)
    description = "\n\n".join(
        part for part in (event.description, f"On Trellis: {event_absolute_url(event)}") if part
    )
    return CalendarEvent(
        uid=event_uid(event),
        sequence=event.sequence,
        summary=event.title,
        start=event.starts_at.astimezone(zone),
        end=event.ends_at.astimezone(zone),
        organizer=_organizer(event),
        description=description,
        location=event.place,
        url=event.online_url,
        status="CANCELLED" if event.is_cancelled else "CONFIRMED",
        created=event.created_at,
        last_modified=event.updated_at,
    )


def event_ics(event: Event) -> bytes:
    """The event as a METHOD:PUBLISH calendar, for "add to my calendar"."""
    return feed([calendar_event(event)], name=event.title, time_zone=event.time_zone)


def ics_filename(event: Event) -> str:
    return f"event-{event.pk}.ics"

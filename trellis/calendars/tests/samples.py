"""Calendar events shared by the calendar tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from trellis.calendars.ics import Attendee, CalendarEvent, Override, Person

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
JOIN_URL = "https://meet.example.org/trellis-42"


def weekly_berlin_series(**changes: object) -> CalendarEvent:
    """Weekly 09:00-10:00 Europe/Berlin on Mondays, from 16 March 2026 across the DST change.

    Berlin moves to summer time on 29 March 2026: the first two meetings are 08:00Z, the
    rest 07:00Z.
    """
    values: dict[str, object] = {
        "uid": "meeting-series-42@trellis.test",
        "sequence": 0,
        "summary": "Mentoring: Mia & Max",
        "description": "Agenda: career goals",
        "start": datetime(2026, 3, 16, 9, tzinfo=BERLIN),
        "end": datetime(2026, 3, 16, 10, tzinfo=BERLIN),
        "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=8",
        "organizer": Person("Mia Mentor", "mia@example.org"),
        "attendees": (Attendee("Max Mentee", "max@example.org"),),
        "url": JOIN_URL,
        "created": datetime(2026, 3, 1, 12, tzinfo=BERLIN),
        "last_modified": datetime(2026, 3, 2, 12, tzinfo=BERLIN),
    }
    values.update(changes)
    return CalendarEvent(**values)  # type: ignore[arg-type]


def moved_and_cancelled_overrides() -> tuple[Override, ...]:
    """Move the 30 March meeting to Tuesday 11:00 and cancel the 13 April one."""
    return (
        Override(
            recurrence_id=datetime(2026, 3, 30, 9, tzinfo=BERLIN),
            start=datetime(2026, 3, 31, 11, tzinfo=BERLIN),
            end=datetime(2026, 3, 31, 12, tzinfo=BERLIN),
        ),
        Override(recurrence_id=datetime(2026, 4, 13, 9, tzinfo=BERLIN), is_cancelled=True),
    )

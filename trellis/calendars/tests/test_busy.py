"""Busy time read from hand-written calendars, as Google, Outlook and Apple write them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trellis.calendars.ics import BusyInterval, CalendarParseError, busy_intervals


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def ics(*lines: str) -> bytes:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", *lines, "END:VCALENDAR"]
    return ("\r\n".join(body) + "\r\n").encode()


def spans(intervals: list[BusyInterval]) -> list[tuple[datetime, datetime]]:
    return [(interval.start, interval.end) for interval in intervals]


MARCH = {"start": utc(2026, 3, 1), "end": utc(2026, 4, 30)}

RECURRING_WITH_EXCEPTIONS = ics(
    "BEGIN:VEVENT",
    "UID:standup@example.com",
    "DTSTAMP:20260101T000000Z",
    "DTSTART;TZID=Europe/Berlin:20260316T090000",
    "DTEND;TZID=Europe/Berlin:20260316T093000",
    "RRULE:FREQ=WEEKLY;UNTIL=20260413T070000Z",
    "EXDATE;TZID=Europe/Berlin:20260323T090000",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:standup@example.com",
    "DTSTAMP:20260101T000000Z",
    "RECURRENCE-ID;TZID=Europe/Berlin:20260330T090000",
    "DTSTART;TZID=Europe/Berlin:20260330T140000",
    "DTEND;TZID=Europe/Berlin:20260330T150000",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:standup@example.com",
    "DTSTAMP:20260101T000000Z",
    "RECURRENCE-ID;TZID=Europe/Berlin:20260406T090000",
    "DTSTART;TZID=Europe/Berlin:20260406T090000",
    "DTEND;TZID=Europe/Berlin:20260406T093000",
    "STATUS:CANCELLED",
    "END:VEVENT",
)


def test_a_recurring_event_expands_in_its_zone_with_exdates_and_overrides() -> None:
    busy = busy_intervals(RECURRING_WITH_EXCEPTIONS, **MARCH)

    assert spans(busy) == [
        (utc(2026, 3, 16, 8), utc(2026, 3, 16, 8, 30)),
        # 23 March excluded
        (utc(2026, 3, 30, 12), utc(2026, 3, 30, 13)),  # moved to 14:00 summer time
        # 6 April cancelled
        (utc(2026, 4, 13, 7), utc(2026, 4, 13, 7, 30)),  # UNTIL is inclusive
    ]


def test_only_the_window_is_returned_and_edges_are_clipped() -> None:
    busy = busy_intervals(
        RECURRING_WITH_EXCEPTIONS, start=utc(2026, 3, 16, 8, 15), end=utc(2026, 3, 30, 12, 30)
    )

    assert spans(busy) == [
        (utc(2026, 3, 16, 8, 15), utc(2026, 3, 16, 8, 30)),
        (utc(2026, 3, 30, 12), utc(2026, 3, 30, 12, 30)),
    ]


def test_a_custom_vtimezone_name_is_resolved_from_the_calendar() -> None:
    """Outlook names zones its own way and defines them in a VTIMEZONE."""
    calendar = ics(
        "BEGIN:VTIMEZONE",
        "TZID:Trellis Test India",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0530",
        "TZOFFSETTO:+0530",
        "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        "UID:review@example.com",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;TZID=Trellis Test India:20260310T100000",
        "DURATION:PT45M",
        "RRULE:FREQ=DAILY;COUNT=2",
        "END:VEVENT",
    )

    assert spans(busy_intervals(calendar, **MARCH)) == [
        (utc(2026, 3, 10, 4, 30), utc(2026, 3, 10, 5, 15)),
        (utc(2026, 3, 11, 4, 30), utc(2026, 3, 11, 5, 15)),
    ]


def test_all_day_events_block_whole_local_days_and_transparent_ones_do_not() -> None:
    calendar = ics(
        "X-WR-TIMEZONE:America/New_York",
        "BEGIN:VEVENT",
        "UID:holiday@example.com",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;VALUE=DATE:20260308",
        "DTEND;VALUE=DATE:20260310",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:birthday@example.com",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;VALUE=DATE:20260320",
        "RRULE:FREQ=YEARLY",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    )

    # The two days straddle New York's change to summer time: 23 h + 24 h.
    assert spans(busy_intervals(calendar, **MARCH)) == [
        (utc(2026, 3, 8, 5), utc(2026, 3, 10, 4)),
    ]
    in_berlin = busy_intervals(calendar, **MARCH, time_zone="Europe/Berlin")
    assert spans(in_berlin) == [(utc(2026, 3, 7, 23), utc(2026, 3, 9, 23))]


def test_a_recurring_all_day_event_with_an_exdate() -> None:
    calendar = ics(
        "BEGIN:VEVENT",
        "UID:gym@example.com",
        "DTSTAMP:20260101T000000Z",
        "DTSTART;VALUE=DATE:20260302",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "EXDATE;VALUE=DATE:20260309",
        "END:VEVENT",
    )

    assert spans(busy_intervals(calendar, **MARCH)) == [
        (utc(2026, 3, 2), utc(2026, 3, 3)),
        (utc(2026, 3, 16), utc(2026, 3, 17)),
    ]


def test_cancelled_and_transparent_events_are_free() -> None:
    calendar = ics(
        "BEGIN:VEVENT",
        "UID:cancelled@example.com",
        "DTSTAMP:20260101T000000Z",
        "DTSTART:20260305T100000Z",
        "DTEND:20260305T110000Z",
        "STATUS:CANCELLED",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:reminder@example.com",
        "DTSTAMP:20260101T000000Z",
        "DTSTART:20260305T120000Z",
        "DTEND:20260305T130000Z",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:tentative@example.com",
        "DTSTAMP:20260101T000000Z",
        "DTSTART:20260305T140000Z",
        "DTEND:20260305T150000Z",
        "STATUS:TENTATIVE",
        "END:VEVENT",
    )

    assert spans(busy_intervals(calendar, **MARCH)) == [
        (utc(2026, 3, 5, 14), utc(2026, 3, 5, 15)),
    ]


def test_free_busy_periods_count_unless_free_and_overlaps_merge() -> None:
    calendar = ics(
        "BEGIN:VFREEBUSY",
        "UID:fb@example.com",
        "DTSTAMP:20260101T000000Z",
        "FREEBUSY;FBTYPE=BUSY:20260302T090000Z/20260302T100000Z,20260302T093000Z/PT1H",
        "FREEBUSY;FBTYPE=FREE:20260303T090000Z/PT8H",
        "FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260304T000000Z/PT2H",
        "FREEBUSY:20260305T120000Z/PT30M",
        "END:VFREEBUSY",
        "BEGIN:VEVENT",
        "UID:adjacent@example.com",
        "DTSTAMP:20260101T000000Z",
        "DTSTART:20260305T123000Z",
        "DTEND:20260305T130000Z",
        "END:VEVENT",
    )

    assert spans(busy_intervals(calendar, **MARCH)) == [
        (utc(2026, 3, 2, 9), utc(2026, 3, 2, 10, 30)),
        (utc(2026, 3, 4, 0), utc(2026, 3, 4, 2)),
        (utc(2026, 3, 5, 12), utc(2026, 3, 5, 13)),
    ]


def test_floating_times_are_read_in_the_given_zone() -> None:
    calendar = ics(
        "BEGIN:VEVENT",
        "UID:floating@example.com",
        "DTSTAMP:20260101T000000Z",
        "DTSTART:20260305T090000",
        "DTEND:20260305T100000",
        "END:VEVENT",
    )

    busy = busy_intervals(calendar, **MARCH, time_zone="Asia/Kolkata")

    assert spans(busy) == [(utc(2026, 3, 5, 3, 30), utc(2026, 3, 5, 4, 30))]


def test_an_event_with_an_unreadable_date_is_skipped_and_the_rest_kept() -> None:
    calendar = ics(
        "BEGIN:VEVENT",
        "UID:broken@example.com",
        "DTSTART:tomorrow-ish",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:every-second@example.com",
        "DTSTART:20260305T090000Z",
        "RRULE:FREQ=SECONDLY",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:bad-rule@example.com",
        "DTSTART:20260305T090000Z",
        "DTEND:20260305T100000Z",
        "RRULE:FREQ=SOMETIMES",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:fine@example.com",
        "DTSTART:20260306T090000Z",
        "DTEND:20260306T100000Z",
        "END:VEVENT",
    )

    assert spans(busy_intervals(calendar, **MARCH)) == [
        (utc(2026, 3, 6, 9), utc(2026, 3, 6, 10)),
    ]


@pytest.mark.parametrize(
    "document",
    [
        b"",
        b"this is not a calendar",
        b"\xff\xfe\x00garbage",
        b"<html><body>Sign in to Google</body></html>",
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Mia\r\nEND:VCARD\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n",
    ],
)
def test_a_document_that_is_not_icalendar_raises_a_clear_error(document: bytes) -> None:
    with pytest.raises(CalendarParseError):
        busy_intervals(document, **MARCH)


def test_an_empty_calendar_is_free() -> None:
    assert busy_intervals(ics(), **MARCH) == []


def test_the_window_must_be_aware_and_forward() -> None:
    with pytest.raises(ValueError, match="aware"):
        busy_intervals(ics(), start=datetime(2026, 3, 1), end=utc(2026, 4, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="end after"):
        busy_intervals(ics(), start=utc(2026, 4, 1), end=utc(2026, 3, 1))

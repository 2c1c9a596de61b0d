"""Invitations, feeds and VTIMEZONEs, read back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar, Component

from trellis.calendars.ics import (
    PRODID,
    Attendee,
    CalendarEvent,
    Override,
    Person,
    busy_intervals,
    feed,
    invitation,
    vtimezone,
)
from trellis.calendars.tests.samples import (
    BERLIN,
    JOIN_URL,
    NEW_YORK,
    moved_and_cancelled_overrides,
    weekly_berlin_series,
)

STAMP = datetime(2026, 3, 5, 8, 30, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def parse(ics: bytes) -> Calendar:
    return Calendar.from_ical(ics)


def own_zone(calendar: Calendar, tzid: str) -> tzinfo:
    """The zone as the calendar's VTIMEZONE defines it, not as zoneinfo knows the name."""
    (component,) = [tz for tz in calendar.walk("VTIMEZONE") if str(tz["TZID"]) == tzid]
    return component.to_tz(lookup_tzid=False)


def first_instants(calendar: Calendar, event: Component, count: int) -> list[datetime]:
    start = event.decoded("DTSTART")
    zone = own_zone(calendar, event["DTSTART"].params["TZID"])
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start.replace(tzinfo=zone))
    return [occurrence.astimezone(UTC) for occurrence in islice(rule, count)]


def masters(calendar: Calendar) -> list[Component]:
    return [event for event in calendar.walk("VEVENT") if "RECURRENCE-ID" not in event]


def test_request_has_the_calendar_headers_and_one_stable_event() -> None:
    ics = invitation(weekly_berlin_series(sequence=3), method="REQUEST", stamp=STAMP)

    calendar = parse(ics)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(calendar["PRODID"]) == PRODID
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "meeting-series-42@trellis.test"
    assert event["SEQUENCE"] == 3
    assert event.decoded("DTSTAMP") == STAMP
    assert event.decoded("CREATED") == utc(2026, 3, 1, 11)
    assert event.decoded("LAST-MODIFIED") == utc(2026, 3, 2, 11)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert ics.count(b"\r\n") == len(ics.splitlines())  # CRLF line endings throughout
    assert max(len(line) for line in ics.split(b"\r\n")) <= 75  # folded lines


def test_weekly_berlin_series_keeps_nine_oclock_across_the_march_change() -> None:
    calendar = parse(invitation(weekly_berlin_series(), method="REQUEST", stamp=STAMP))

    (event,) = masters(calendar)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTEND"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART") == datetime(2026, 3, 16, 9, tzinfo=BERLIN)
    assert first_instants(calendar, event, 4) == [
        utc(2026, 3, 16, 8),
        utc(2026, 3, 23, 8),
        utc(2026, 3, 30, 7),
        utc(2026, 4, 6, 7),
    ]


def test_the_same_series_is_seen_at_the_right_new_york_time() -> None:
    """New York changes on 8 March, Berlin on 29 March: for three weeks they are 5 h apart."""
    calendar = parse(invitation(weekly_berlin_series(), method="REQUEST", stamp=STAMP))

    (event,) = masters(calendar)
    in_new_york = [moment.astimezone(NEW_YORK) for moment in first_instants(calendar, event, 3)]
    assert [moment.hour for moment in in_new_york] == [4, 4, 3]


def test_the_attendees_organizer_and_join_link_are_where_clients_look() -> None:
    calendar = parse(invitation(weekly_berlin_series(), method="REQUEST", stamp=STAMP))

    (event,) = calendar.walk("VEVENT")
    assert str(event["LOCATION"]) == JOIN_URL
    assert str(event["URL"]) == JOIN_URL
    assert str(event["DESCRIPTION"]) == f"Agenda: career goals\n\nJoin: {JOIN_URL}"
    assert str(event["ORGANIZER"]) == "mailto:mia@example.org"
    assert event["ORGANIZER"].params["CN"] == "Mia Mentor"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:max@example.org"
    assert dict(attendee.params) == {
        "CN": "Max Mentee",
        "CUTYPE": "INDIVIDUAL",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
        "RSVP": "TRUE",
    }


def test_an_in_person_place_wins_the_location_and_the_link_stays_in_url() -> None:
    event = weekly_berlin_series(location="Café Einstein, Berlin")

    (component,) = parse(invitation(event, method="REQUEST", stamp=STAMP)).walk("VEVENT")
    assert str(component["LOCATION"]) == "Café Einstein, Berlin"
    assert str(component["URL"]) == JOIN_URL


def test_moved_and_cancelled_occurrences_become_recurrence_ids_and_exdates() -> None:
    event = weekly_berlin_series(
        sequence=4,
        overrides=moved_and_cancelled_overrides(),
        exdates=(datetime(2026, 4, 20, 9, tzinfo=BERLIN),),
    )

    calendar = parse(invitation(event, method="REQUEST", stamp=STAMP))
    master, moved = calendar.walk("VEVENT")
    assert [moment.dt for moment in master["EXDATE"].dts] == [
        datetime(2026, 4, 13, 9, tzinfo=BERLIN),
        datetime(2026, 4, 20, 9, tzinfo=BERLIN),
    ]
    assert master["EXDATE"].params["TZID"] == "Europe/Berlin"
    assert str(moved["UID"]) == str(master["UID"])
    assert moved["SEQUENCE"] == 4
    assert moved.decoded("RECURRENCE-ID") == datetime(2026, 3, 30, 9, tzinfo=BERLIN)
    assert moved.decoded("DTSTART") == datetime(2026, 3, 31, 11, tzinfo=BERLIN)
    assert moved.decoded("DTEND") == datetime(2026, 3, 31, 12, tzinfo=BERLIN)
    assert "RRULE" not in moved


def test_cancelling_the_series_sends_cancel_with_a_higher_sequence() -> None:
    calendar = parse(invitation(weekly_berlin_series(sequence=1), method="CANCEL", stamp=STAMP))

    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "meeting-series-42@trellis.test"
    assert event["SEQUENCE"] == 1
    assert str(event["STATUS"]) == "CANCELLED"
    assert "RECURRENCE-ID" not in event
    assert str(event["ATTENDEE"]) == "mailto:max@example.org"


def test_cancelling_one_occurrence_names_it_by_recurrence_id() -> None:
    occurrence = datetime(2026, 3, 30, 9, tzinfo=BERLIN)

    calendar = parse(
        invitation(
            weekly_berlin_series(sequence=2),
            method="CANCEL",
            recurrence_id=occurrence.astimezone(UTC),
            stamp=STAMP,
        )
    )
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert event["SEQUENCE"] == 2
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["RECURRENCE-ID"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("RECURRENCE-ID") == occurrence
    assert event.decoded("DTSTART") == occurrence
    assert "RRULE" not in event


def test_cancelling_a_moved_occurrence_keeps_its_original_recurrence_id() -> None:
    event = weekly_berlin_series(overrides=moved_and_cancelled_overrides()[:1])

    calendar = parse(
        invitation(
            event,
            method="CANCEL",
            recurrence_id=datetime(2026, 3, 30, 9, tzinfo=BERLIN),
            stamp=STAMP,
        )
    )
    (component,) = calendar.walk("VEVENT")
    assert component.decoded("RECURRENCE-ID") == datetime(2026, 3, 30, 9, tzinfo=BERLIN)
    assert component.decoded("DTSTART") == datetime(2026, 3, 31, 11, tzinfo=BERLIN)


def test_recurrence_id_is_only_for_cancelling() -> None:
    with pytest.raises(ValueError, match="recurrence_id"):
        invitation(weekly_berlin_series(), method="REQUEST", recurrence_id=utc(2026, 3, 16, 8))
    with pytest.raises(ValueError, match="method"):
        invitation(weekly_berlin_series(), method="PUBLISH")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": datetime(2026, 3, 16, 9)}, "IANA zone"),  # noqa: DTZ001 - the point
        ({"start": datetime(2026, 3, 16, 9, tzinfo=timezone(timedelta(hours=1)))}, "IANA"),
        ({"end": datetime(2026, 3, 16, 9, tzinfo=BERLIN)}, "end after it starts"),
        ({"sequence": -1}, "SEQUENCE"),
        ({"uid": "two\nlines"}, "UID"),
        ({"status": "MAYBE"}, "status"),
        ({"rrule": "FREQ=FORTNIGHTLY"}, "FREQ"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20260501T000000"}, "UNTIL"),
    ],
)
def test_an_event_that_cannot_be_written_is_refused(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        weekly_berlin_series(**changes)


def test_attendee_and_override_values_are_checked() -> None:
    with pytest.raises(ValueError, match="participation status"):
        Attendee("Max", "max@example.org", partstat="MAYBE")
    with pytest.raises(ValueError, match="start and an end"):
        Override(recurrence_id=utc(2026, 3, 30, 7))


def test_the_feed_lists_every_event_with_the_zones_it_needs() -> None:
    berlin_series = weekly_berlin_series(overrides=moved_and_cancelled_overrides())
    new_york_meeting = CalendarEvent(
        uid="meeting-7@trellis.test",
        sequence=1,
        summary="Intro call",
        start=datetime(2026, 11, 2, 8, 30, tzinfo=NEW_YORK),
        end=datetime(2026, 11, 2, 9, tzinfo=NEW_YORK),
        organizer=Person("Ned Mentor", "ned@example.org"),
        attendees=(Attendee("Mia Mentor", "mia@example.org", partstat="ACCEPTED"),),
        location="Phone: +1 555 0100",
    )

    ics = feed([berlin_series, new_york_meeting], name="Trellis: Mia", stamp=STAMP)

    calendar = parse(ics)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Trellis: Mia"
    assert str(calendar["NAME"]) == "Trellis: Mia"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in ics
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in ics
    assert sorted(str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")) == [
        "America/New_York",
        "Europe/Berlin",
    ]
    assert [str(event["UID"]) for event in calendar.walk("VEVENT")] == [
        "meeting-series-42@trellis.test",
        "meeting-series-42@trellis.test",
        "meeting-7@trellis.test",
    ]
    # PUBLISH carries no attendees (RFC 5546); subscribers are not asked to reply.
    assert all("ATTENDEE" not in event for event in calendar.walk("VEVENT"))
    (meeting,) = [event for event in calendar.walk("VEVENT") if event["SEQUENCE"] == 1]
    start = meeting.decoded("DTSTART").replace(tzinfo=own_zone(calendar, "America/New_York"))
    assert start.astimezone(UTC) == utc(2026, 11, 2, 13, 30)  # EST, after the 1 November change


def test_the_feed_reads_back_as_busy_time_at_the_right_instants() -> None:
    ics = feed(
        [weekly_berlin_series(overrides=moved_and_cancelled_overrides())],
        name="Trellis",
        stamp=STAMP,
    )

    busy = busy_intervals(ics, start=utc(2026, 3, 1), end=utc(2026, 4, 21))

    assert [(interval.start, interval.end) for interval in busy] == [
        (utc(2026, 3, 16, 8), utc(2026, 3, 16, 9)),
        (utc(2026, 3, 23, 8), utc(2026, 3, 23, 9)),
        (utc(2026, 3, 31, 9), utc(2026, 3, 31, 10)),  # moved to Tuesday 11:00
        (utc(2026, 4, 6, 7), utc(2026, 4, 6, 8)),
        # 13 April cancelled
        (utc(2026, 4, 20, 7), utc(2026, 4, 20, 8)),
    ]


ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",  # southern hemisphere: summer time over new year
    "Australia/Lord_Howe",  # half-hour daylight saving
    "America/St_Johns",  # half-hour offset with DST
    "Asia/Kolkata",  # half-hour offset, no DST
    "Asia/Kathmandu",  # +05:45
    "Asia/Tokyo",  # no DST
    "America/Sao_Paulo",  # dropped DST in 2019: its rules need an UNTIL
    "Europe/London",
]


@pytest.mark.parametrize("key", ZONES)
def test_the_generated_vtimezone_agrees_with_zoneinfo_beyond_its_window(key: str) -> None:
    zone = ZoneInfo(key)
    component = vtimezone(zone, first=utc(2018, 6, 1), last=utc(2019, 6, 1))

    parsed = Calendar.from_ical(
        b"BEGIN:VCALENDAR\r\n" + component.to_ical() + b"END:VCALENDAR\r\n"
    ).walk("VTIMEZONE")[0]
    as_written = parsed.to_tz(lookup_tzid=False)
    samples = []
    day = utc(2018, 1, 1)
    while day < utc(2031, 1, 1):  # years after the window: the yearly rules run on
        following = day + timedelta(days=1)
        is_change_day = day.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset()
        step = timedelta(minutes=15) if is_change_day else timedelta(hours=8)
        samples += [day + step * index for index in range(timedelta(days=1) // step)]
        day = following
    mismatches = [
        instant
        for instant in samples
        if instant.astimezone(as_written).utcoffset() != instant.astimezone(zone).utcoffset()
    ]
    assert mismatches == []


@pytest.mark.parametrize("key", ["Asia/Kolkata", "Asia/Tokyo", "Asia/Kathmandu"])
def test_a_zone_without_daylight_saving_has_one_standard_observance(key: str) -> None:
    component = vtimezone(ZoneInfo(key), first=utc(2026, 1, 1), last=utc(2027, 1, 1))

    assert [observance.name for observance in component.subcomponents] == ["STANDARD"]
    (observance,) = component.subcomponents
    assert observance["TZOFFSETFROM"].td == observance["TZOFFSETTO"].td


def test_spring_forward_starts_at_two_oclock_local_as_rfc_5545_writes_it() -> None:
    component = vtimezone(BERLIN, first=utc(2026, 1, 1), last=utc(2026, 12, 1))

    ics = component.to_ical().decode()
    assert "BEGIN:DAYLIGHT\r\nDTSTART:20250330T020000\r\n" in ics
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n" in ics
    assert "BEGIN:STANDARD\r\nDTSTART:20251026T030000\r\n" in ics

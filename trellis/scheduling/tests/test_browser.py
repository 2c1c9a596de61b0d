"""A Berlin mentor and a New York mentee agree, find a time and book a weekly series.

Each person browses with their own device zone and sees every meeting at their local
time; the series is organised in Berlin, so it stays at the mentor's wall-clock time
while the mentee's local time moves by an hour in the weeks when only one of the two
zones observes daylight saving time. The app runs on the real clock: every expectation
is computed from zoneinfo at test time, whatever today's date is.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from django.test import Client
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from trellis.core.tests.browser import sign_in
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.tests.helpers import available

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEK = dt.timedelta(weeks=1)
DURATION = dt.timedelta(minutes=60)
# Matches scheduling.views.UPCOMING_DAYS: the schedule page lists six weeks.
SCHEDULE_PAGE_HORIZON = dt.timedelta(days=42)
DASH = "\u2013"  # how the pages write a range of times
RRULE_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def long_date(moment: dt.datetime) -> str:
    """The schedule page's format, Django's "D j M Y, H:i"."""
    return f"{moment:%a} {moment.day} {moment:%b} {moment.year}, {moment:%H:%M}"


def short_date(moment: dt.datetime) -> str:
    """The dashboard's and the slot list's format, Django's "D j M, H:i"."""
    return f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M}"


def weekly_from(start: dt.datetime, count: int) -> list[dt.datetime]:
    """The series' instants: the same Berlin wall-clock time every week (the organiser's zone)."""
    local = start.astimezone(BERLIN).replace(tzinfo=None)
    return [(local + WEEK * week).replace(tzinfo=BERLIN) for week in range(count)]


def offset_gap(moment: dt.datetime) -> dt.timedelta:
    """How far Berlin's clock is ahead of New York's at that instant (5 or 6 hours)."""
    berlin_offset = moment.astimezone(BERLIN).utcoffset()
    new_york_offset = moment.astimezone(NEW_YORK).utcoffset()
    assert berlin_offset is not None
    assert new_york_offset is not None
    return berlin_offset - new_york_offset


def device_clock(page: Any, instant: dt.datetime) -> str:
    """What the person's own device says the instant is, as HH:MM in its zone."""
    return page.evaluate(
        "iso => new Date(iso).toLocaleTimeString('en-GB', {hour: '2-digit', minute: '2-digit'})",
        instant.isoformat(),
    )


def confirm_agreement(page: Any, mentorship_id: int, assert_accessible: Any) -> None:
    page.goto(f"/mentorships/{mentorship_id}/")
    page.get_by_role("link", name="Open the agreement").click()
    expect(page.get_by_role("heading", name="Communication agreement")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm the agreement").click()


def assert_sees_series(
    page: Any, *, zone: ZoneInfo, instants: list[dt.datetime], assert_accessible: Any
) -> None:
    """The dashboard and the schedule page show the next meetings in the person's zone."""
    page.get_by_role("link", name="Dashboard").click()
    next_meeting = page.locator("[data-next-meeting] [data-local-start]")
    expect(next_meeting).to_have_text(
        [short_date(instant.astimezone(zone)) for instant in instants[:3]]
    )
    assert_accessible(page)

    next_meeting.first.click()
    expect(page.get_by_role("heading", name="Upcoming meetings")).to_be_visible()
    expect(page.get_by_text(f"Times in your zone, {zone.key}.")).to_be_visible()
    shown = page.locator("[data-meetings] [data-local-start]").all_text_contents()
    # Six weeks of a weekly series booked within the next three: at least three meetings.
    assert len(shown) >= 3
    assert shown == [
        f"{long_date(instant.astimezone(zone))}{DASH}{(instant + DURATION).astimezone(zone):%H:%M}"
        for instant in instants[: len(shown)]
    ]
    assert_accessible(page)


def feed_series(page: Any, assert_accessible: Any) -> Any:
    """Create the person's feed on the calendar page, fetch the address shown, parse it."""
    page.locator(".user-menu summary").click()
    page.get_by_role("link", name="Calendar", exact=True).click()
    expect(page.get_by_role("heading", name="Calendar", level=1)).to_be_visible()
    page.get_by_role("button", name="Create my feed address").click()
    address = page.get_by_label("Or paste this address")
    expect(address).to_be_visible()
    assert_accessible(page)
    url = address.input_value()
    assert urlsplit(page.get_by_label("Subscribe (webcal)").input_value()).scheme == "webcal"

    # No session: the secret address alone opens the feed, as for a calendar app.
    response = Client().get(urlsplit(url).path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    series = [
        event
        for event in calendar.walk("VEVENT")
        if "RRULE" in event and "RECURRENCE-ID" not in event
    ]
    assert len(series) == 1
    return series[0]


def test_berlin_mentor_and_new_york_mentee_book_a_weekly_series(open_page, assert_accessible):
    program = ProgramFactory(name="Women in Engineering", slug="wie")
    mentor = mentor_in(
        program,
        display_name="Grace Hopper",
        user__email="grace@example.org",
        time_zone="Europe/Berlin",
    )
    mentee = mentee_in(
        program,
        display_name="Ada Lovelace",
        user__email="ada@example.org",
        time_zone="America/New_York",
    )
    # The same five hours for both, whichever zone keeps summer time.
    available(mentor, "14:00", "19:00")
    available(mentee, "08:00", "13:00")
    mentorship = MentorshipFactory(program=program, mentor=mentor, mentee=mentee)

    mentor_page = open_page("Europe/Berlin")
    mentee_page = open_page("America/New_York")
    sign_in(mentor_page, "grace@example.org")
    sign_in(mentee_page, "ada@example.org")

    # Both confirm their agreement.
    confirm_agreement(mentor_page, mentorship.pk, assert_accessible)
    expect(mentor_page.get_by_text("Waiting for your partner")).to_be_visible()
    confirm_agreement(mentee_page, mentorship.pk, assert_accessible)
    expect(mentee_page.get_by_text("Agreed", exact=True)).to_be_visible()
    assert_accessible(mentee_page)

    # The mentor finds a time: the best slot, shown in Berlin with Ada's New York time.
    mentor_page.goto(f"/mentorships/{mentorship.pk}/")
    mentor_page.get_by_role(
        "link", name="Find a time, answer proposals and see your meetings"
    ).click()
    expect(mentor_page.get_by_role("heading", name="Find a time")).to_be_visible()
    assert_accessible(mentor_page)
    best = mentor_page.locator("[data-slots] input[name=options]").first
    booked = dt.datetime.fromisoformat(best.get_attribute("value"))
    assert booked > timezone.now()
    in_berlin = booked.astimezone(BERLIN)
    in_new_york = booked.astimezone(NEW_YORK)
    assert dt.time(14) <= in_berlin.time() <= dt.time(18)
    assert dt.time(8) <= in_new_york.time() <= dt.time(12)
    slot_name = (
        f"{short_date(in_berlin)}{DASH}{(in_berlin + DURATION):%H:%M} your time "
        f"({in_new_york:%a %H:%M} for Ada Lovelace, America/New_York)"
    )
    mentor_page.get_by_role("checkbox", name=slot_name).check()
    mentor_page.get_by_label("Agenda (optional)").fill("Getting to know each other")
    mentor_page.get_by_role("button", name="Propose these times").click()
    expect(mentor_page.get_by_text("Your proposed times were sent.")).to_be_visible()
    expect(
        mentor_page.get_by_role("heading", name="Your proposal, waiting for an answer")
    ).to_be_visible()
    assert device_clock(mentor_page, booked) == f"{in_berlin:%H:%M}"

    # The mentee sees the offered time at her own hour and accepts it as a weekly series.
    mentee_page.goto(f"/mentorships/{mentorship.pk}/")
    mentee_page.get_by_role(
        "link", name="Find a time, answer proposals and see your meetings"
    ).click()
    expect(mentee_page.get_by_role("heading", name="Grace Hopper proposed times")).to_be_visible()
    expect(mentee_page.get_by_text("Agenda: Getting to know each other")).to_be_visible()
    assert_accessible(mentee_page)
    mentee_page.get_by_role("radio", name=long_date(in_new_york)).check()
    mentee_page.get_by_label("How often").select_option(label="Every week")
    mentee_page.get_by_role("button", name="Accept").click()
    expect(mentee_page.get_by_text("Booked. The meeting is in your list below.")).to_be_visible()
    assert device_clock(mentee_page, booked) == f"{in_new_york:%H:%M}"

    series = MeetingSeries.objects.get()
    assert (series.organiser, series.time_zone) == (mentor, "Europe/Berlin")

    # Each sees the series in their own local time on the dashboard and the schedule page.
    instants = weekly_from(booked, count=int(SCHEDULE_PAGE_HORIZON / WEEK) + 1)
    assert_sees_series(
        mentor_page, zone=BERLIN, instants=instants, assert_accessible=assert_accessible
    )
    assert_sees_series(
        mentee_page, zone=NEW_YORK, instants=instants, assert_accessible=assert_accessible
    )

    # Each person's feed carries the series as booked: the instant, in the organiser's zone.
    rrule = f"FREQ=WEEKLY;BYDAY={RRULE_WEEKDAYS[in_berlin.weekday()]}"
    for person_page in (mentor_page, mentee_page):
        event = feed_series(person_page, assert_accessible)
        start = event.decoded("DTSTART")
        assert start == booked
        assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert event.decoded("DTEND") - start == DURATION
        assert event["RRULE"].to_ical().decode() == rrule

        # Expanded a year ahead, the series crosses the next change of the zones' gap
        # (only one of them switched): Berlin keeps its hour, New York's moves by one.
        expanded = list(
            itertools.islice(rrulestr(event["RRULE"].to_ical().decode(), dtstart=start), 53)
        )
        assert expanded == weekly_from(booked, count=53)
        crossing = next(
            instant for instant in expanded if offset_gap(instant) != offset_gap(booked)
        )
        assert crossing.astimezone(BERLIN).time() == in_berlin.time()
        hour_shift = offset_gap(booked) - offset_gap(crossing)
        assert abs(hour_shift) == dt.timedelta(hours=1)
        new_york_then = dt.datetime.combine(dt.date.min, crossing.astimezone(NEW_YORK).time())
        new_york_first = dt.datetime.combine(dt.date.min, in_new_york.time())
        assert new_york_then - new_york_first == hour_shift

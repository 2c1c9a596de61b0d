"""A Berlin mentor books a weekly series for her group in New York and Tokyo.

Each person browses with their own device zone. The mentor picks the best common time,
shown in Berlin with each member's local time beside it, and books it weekly for the
group; each member then sees the series at their own local time on the schedule page
(the organiser's Berlin wall-clock time, moved by New York's or Tokyo's offset). The
app runs on the real clock: every expectation is computed from zoneinfo at test time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from trellis.core.tests.browser import sign_in
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.tests.helpers import available, group_of, group_program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
WEEK = dt.timedelta(weeks=1)
DURATION = dt.timedelta(minutes=60)
# Matches scheduling.views.UPCOMING_DAYS: the schedule page lists six weeks.
SCHEDULE_PAGE_HORIZON = dt.timedelta(days=42)
DASH = "\u2013"  # how the pages write a range of times


def long_date(moment: dt.datetime) -> str:
    """The schedule page's format, Django's "D j M Y, H:i"."""
    return f"{moment:%a} {moment.day} {moment:%b} {moment.year}, {moment:%H:%M}"


def short_date(moment: dt.datetime) -> str:
    """The slot list's format, Django's "D j M, H:i"."""
    return f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M}"


def weekly_from(start: dt.datetime, count: int) -> list[dt.datetime]:
    """The series' instants: the same Berlin wall-clock time every week (the organiser's)."""
    local = start.astimezone(BERLIN).replace(tzinfo=None)
    return [(local + WEEK * week).replace(tzinfo=BERLIN) for week in range(count)]


def device_clock(page: Any, instant: dt.datetime) -> str:
    """What the person's own device says the instant is, as HH:MM in its zone."""
    return page.evaluate(
        "iso => new Date(iso).toLocaleTimeString('en-GB', {hour: '2-digit', minute: '2-digit'})",
        instant.isoformat(),
    )


def test_berlin_mentor_books_a_weekly_series_for_new_york_and_tokyo(open_page, assert_accessible):
    program = group_program(name="Engineering circles", slug="circles")
    mentor = mentor_in(
        program,
        display_name="Grace Hopper",
        user__email="grace@example.org",
        time_zone="Europe/Berlin",
    )
    ada = mentee_in(
        program,
        display_name="Ada Lovelace",
        user__email="ada@example.org",
        time_zone="America/New_York",
    )
    kenji = mentee_in(
        program,
        display_name="Kenji Sato",
        user__email="kenji@example.org",
        time_zone="Asia/Tokyo",
    )
    # Everyone's hours meet at 12:00-14:00 UTC on weekdays, whatever the season.
    available(mentor, "13:00", "17:00")
    available(ada, "07:00", "11:00")
    available(kenji, "20:00", "23:00")
    group = group_of(program, mentor, [ada, kenji])

    mentor_page = open_page("Europe/Berlin")
    sign_in(mentor_page, "grace@example.org")

    # The mentor finds a time for the group and books the best one, weekly.
    mentor_page.goto(f"/mentorships/{group.pk}/")
    mentor_page.get_by_role(
        "link", name="Find a time, answer proposals and see your meetings"
    ).click()
    expect(
        mentor_page.get_by_role("heading", name="Meetings of Grace Hopper's group")
    ).to_be_visible()
    participants = mentor_page.locator("[data-participants] li")
    expect(participants).to_have_count(3)
    expect(participants.nth(1)).to_contain_text("Ada Lovelace")
    expect(participants.nth(1)).to_contain_text("America/New_York")
    expect(participants.nth(2)).to_contain_text("Asia/Tokyo")
    expect(mentor_page.get_by_role("heading", name="Find a time")).to_be_visible()
    assert_accessible(mentor_page)

    best = mentor_page.locator("[data-slots] input[name=start]").first
    booked = dt.datetime.fromisoformat(best.get_attribute("value"))
    assert booked > timezone.now()
    in_berlin, in_new_york, in_tokyo = (
        booked.astimezone(zone) for zone in (BERLIN, NEW_YORK, TOKYO)
    )
    assert dt.time(13) <= in_berlin.time() <= dt.time(16)
    assert dt.time(7) <= in_new_york.time() <= dt.time(10)
    assert dt.time(20) <= in_tokyo.time() <= dt.time(22)
    slot_name = (
        f"{short_date(in_berlin)}{DASH}{(in_berlin + DURATION):%H:%M} your time "
        f"({in_new_york:%a %H:%M} for Ada Lovelace, America/New_York; "
        f"{in_tokyo:%a %H:%M} for Kenji Sato, Asia/Tokyo)"
    )
    expect(mentor_page.get_by_role("radio", name=slot_name)).to_be_checked()
    mentor_page.get_by_label("How often").select_option(label="Every week")
    mentor_page.get_by_label("Agenda (optional)").fill("Our first circle")
    mentor_page.get_by_role("button", name="Book for the group").click()
    expect(mentor_page.get_by_text("Booked. Everyone is invited")).to_be_visible()
    assert device_clock(mentor_page, booked) == f"{in_berlin:%H:%M}"

    series = MeetingSeries.objects.get()
    assert (series.mentorship_id, series.organiser, series.time_zone) == (
        group.pk,
        mentor,
        "Europe/Berlin",
    )
    instants = weekly_from(booked, count=int(SCHEDULE_PAGE_HORIZON / WEEK) + 1)

    def expected(zone: ZoneInfo, count: int) -> list[str]:
        return [
            f"{long_date(instant.astimezone(zone))}{DASH}"
            f"{(instant + DURATION).astimezone(zone):%H:%M}"
            for instant in instants[:count]
        ]

    shown = mentor_page.locator("[data-meetings] [data-local-start]").all_text_contents()
    assert len(shown) >= 3
    assert shown == expected(BERLIN, len(shown))
    assert_accessible(mentor_page)

    # Each member sees the series at their own local time, and may only propose times.
    for email, zone in (("ada@example.org", NEW_YORK), ("kenji@example.org", TOKYO)):
        member_page = open_page(zone.key)
        sign_in(member_page, email)
        member_page.goto(f"/mentorships/{group.pk}/schedule/")
        expect(member_page.get_by_role("heading", name="Upcoming meetings")).to_be_visible()
        expect(member_page.get_by_text(f"Times in your zone, {zone.key}.")).to_be_visible()
        meetings = member_page.locator("[data-meetings] [data-local-start]")
        expect(meetings.first).to_have_text(expected(zone, 1)[0])
        shown = meetings.all_text_contents()
        assert len(shown) >= 3
        assert shown == expected(zone, len(shown))
        assert device_clock(member_page, booked) == f"{booked.astimezone(zone):%H:%M}"
        # The mentor changes the group's meetings; members propose times to her.
        expect(member_page.get_by_role("button", name="Cancel this one")).to_have_count(0)
        expect(member_page.get_by_role("button", name="Book for the group")).to_have_count(0)
        expect(member_page.get_by_role("button", name="Propose these times")).to_be_visible()
        assert_accessible(member_page)

"""A weekly Berlin 09:00 series seen from New York across both DST changes; flat queries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from trellis.accounts.tests.factories import PASSWORD
from trellis.scheduling import selectors
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.recurrence import Frequency, SeriesRule
from trellis.scheduling.tests.helpers import berlin_new_york_pair

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def weekly_berlin_nine(pair, start_date=dt.date(2025, 3, 3)):
    rule = SeriesRule(
        "Europe/Berlin", start_date, dt.time(9), dt.timedelta(hours=1), Frequency.WEEKLY
    )
    return MeetingSeries.objects.create(
        mentorship=pair,
        organiser=pair.mentor,
        time_zone="Europe/Berlin",
        start_date=start_date,
        start_time=dt.time(9),
        duration_minutes=60,
        rrule=rule.to_rrule(),
        created_by=pair.mentor,
    )


def test_weekly_berlin_nine_oclock_seen_from_new_york_across_dst():
    pair = berlin_new_york_pair()
    weekly_berlin_nine(pair)
    upcoming = selectors.upcoming_meetings(
        user=pair.mentee, limit=5, now=dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    )
    # US clocks change on 9 March, European ones on 30 March.
    assert [(m.local_start.date().day, m.local_start.time()) for m in upcoming] == [
        (3, dt.time(3)),  # CET and EST: 6 hours apart
        (10, dt.time(4)),  # CET and EDT: 5 hours
        (17, dt.time(4)),
        (24, dt.time(4)),
        (31, dt.time(3)),  # CEST and EDT: 6 hours again
    ]
    assert all(m.local_start.tzinfo == NEW_YORK for m in upcoming)
    for_mentor = selectors.upcoming_meetings(
        user=pair.mentor, limit=5, now=dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    )
    assert {m.local_start.time() for m in for_mentor} == {dt.time(9)}


def test_calendar_event_keeps_the_series_zone_and_uid():
    pair = berlin_new_york_pair()
    series = weekly_berlin_nine(pair)
    (event,) = selectors.calendar_events_for(user=pair.mentor)
    assert event.uid == series.uid
    assert event.start == dt.datetime(2025, 3, 3, 9, tzinfo=BERLIN)
    assert event.rrule == "FREQ=WEEKLY;BYDAY=MO"


def test_schedule_page_queries_do_not_grow_with_meetings(client, django_assert_max_num_queries):
    pair = berlin_new_york_pair()
    client.login(email=pair.mentor.email, password=PASSWORD)
    url = reverse("scheduling:schedule", args=[pair.pk])
    today = dt.datetime.now(dt.UTC).date()
    weekly_berlin_nine(pair, start_date=today)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for days in (1, 2, 3, 4):
        weekly_berlin_nine(pair, start_date=today + dt.timedelta(days=days))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert b"Find a time" in response.content


def test_dashboard_shows_the_next_meeting_in_the_viewers_zone(client):
    pair = berlin_new_york_pair()
    weekly_berlin_nine(pair, start_date=dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1))
    client.login(email=pair.mentee.email, password=PASSWORD)
    response = client.get("/")
    next_meeting = selectors.upcoming_meetings(user=pair.mentee, limit=1)[0]
    assert next_meeting.local_start.tzinfo == NEW_YORK
    assert f"{next_meeting.local_start:%H:%M}".encode() in response.content
    assert b"data-next-meeting" in response.content

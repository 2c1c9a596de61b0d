"""The daily reminder sweep: every meeting of the next two weeks reminded, and no other."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.mentorships.models import MentorshipStatus
from trellis.notifications.models import Reminder
from trellis.notifications.services import reminder_schedule
from trellis.scheduling.models import MeetingSeries, OccurrenceChange, SeriesStatus
from trellis.scheduling.recurrence import Frequency
from trellis.scheduling.services import ReminderTopUp, _rule_for, meeting_reminders_top_up
from trellis.scheduling.tests.helpers import berlin_new_york_pair

pytestmark = pytest.mark.django_db

# A Monday; Berlin is on CET (UTC+1) until 29 March 2026, New York on EDT (UTC-4).
NOW = dt.datetime(2026, 3, 16, 8, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
QUARTER = dt.timedelta(minutes=15)


def series_of(pair, *, first: dt.datetime, frequency=Frequency.WEEKLY, **fields):
    """A series stored as booking stores it, first meeting at ``first`` (past allowed)."""
    rule = _rule_for(
        time_zone="Europe/Berlin", start=first, duration_minutes=60, frequency=frequency
    )
    return MeetingSeries.objects.create(
        mentorship=pair,
        organiser=pair.mentor,
        time_zone=rule.time_zone,
        start_date=rule.start_date,
        start_time=rule.start_time,
        duration_minutes=60,
        rrule=rule.to_rrule(),
        agenda="Career goals",
        **fields,
    )


@pytest.fixture
def pair():
    return berlin_new_york_pair()


@pytest.fixture
def weekly(pair):
    """Mondays 10:00 Berlin (09:00 UTC), booked eight weeks ago and never ending."""
    return series_of(pair, first=dt.datetime(2026, 1, 19, 9, 0, tzinfo=dt.UTC))


def pending():
    return {
        (reminder.key, reminder.recipient_id, reminder.fire_at)
        for reminder in Reminder.objects.filter(sent_at__isnull=True, cancelled_at__isnull=True)
    }


def expected(series, *starts_and_offsets):
    people = (series.mentorship.mentor_id, series.mentorship.mentee_id)
    rows = set()
    for recurrence_id, start, offsets in starts_and_offsets:
        for person in people:
            for offset in offsets:
                minutes = int(offset.total_seconds() // 60)
                key = f"meeting:{series.pk}:{recurrence_id}:{person}:{minutes}"
                rows.add((key, person, start - offset))
    return rows


MAR_16 = ("20260316T100000", dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC))
MAR_23 = ("20260323T100000", dt.datetime(2026, 3, 23, 9, 0, tzinfo=dt.UTC))


def test_a_weekly_series_eight_weeks_on_still_gets_reminders(weekly):
    result = meeting_reminders_top_up(now=NOW)

    # Today's meeting: its 24 h reminder is past, the 15 min one ahead. Next Monday: both.
    # 30 March 10:00 CEST starts exactly 14 days from now: outside the window.
    assert pending() == expected(weekly, (*MAR_16, [QUARTER]), (*MAR_23, [DAY, QUARTER]))
    assert result == ReminderTopUp(scheduled=6, cancelled=0)
    mentor_reminder = Reminder.objects.get(
        key=f"meeting:{weekly.pk}:20260323T100000:{weekly.mentorship.mentor_id}:1440"
    )
    assert mentor_reminder.title == "Meeting with Noah at Mon 23 Mar 10:00"
    assert mentor_reminder.body == "Career goals"
    assert mentor_reminder.url == f"/mentorships/{weekly.mentorship_id}/schedule/"
    mentee_reminder = Reminder.objects.get(
        key=f"meeting:{weekly.pk}:20260323T100000:{weekly.mentorship.mentee_id}:1440"
    )
    assert mentee_reminder.title == "Meeting with Mara at Mon 23 Mar 05:00"


def test_running_twice_creates_no_duplicates_and_writes_nothing(weekly):
    meeting_reminders_top_up(now=NOW)
    rows = list(Reminder.objects.order_by("pk").values())

    assert meeting_reminders_top_up(now=NOW) == ReminderTopUp(scheduled=0, cancelled=0)

    assert list(Reminder.objects.order_by("pk").values()) == rows


def test_a_day_later_the_window_moves_on_and_nothing_repeats(weekly):
    meeting_reminders_top_up(now=NOW)
    ids_before = set(Reminder.objects.values_list("pk", flat=True))

    result = meeting_reminders_top_up(now=NOW + DAY)

    # 30 March now lies inside the window (10:00 CEST, 08:00 UTC).
    march_30 = ("20260330T100000", dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC))
    assert result == ReminderTopUp(scheduled=4, cancelled=0)
    assert Reminder.objects.count() == len(ids_before) + 4
    assert expected(weekly, (*march_30, [DAY, QUARTER])) <= pending()


def test_a_cancelled_occurrence_gets_no_reminder(weekly):
    OccurrenceChange.objects.create(
        series=weekly, recurrence_id="20260323T100000", is_cancelled=True
    )

    meeting_reminders_top_up(now=NOW)

    assert pending() == expected(weekly, (*MAR_16, [QUARTER]))


def test_reminders_of_an_occurrence_cancelled_since_are_cancelled(weekly):
    meeting_reminders_top_up(now=NOW)
    OccurrenceChange.objects.create(
        series=weekly, recurrence_id="20260323T100000", is_cancelled=True
    )

    result = meeting_reminders_top_up(now=NOW)

    assert result == ReminderTopUp(scheduled=0, cancelled=4)
    assert pending() == expected(weekly, (*MAR_16, [QUARTER]))


def test_a_moved_occurrence_moves_its_reminders_without_duplicates(weekly):
    meeting_reminders_top_up(now=NOW)
    before = Reminder.objects.count()
    moved_to = dt.datetime(2026, 3, 24, 14, 0, tzinfo=dt.UTC)
    OccurrenceChange.objects.create(series=weekly, recurrence_id=MAR_23[0], start=moved_to)

    result = meeting_reminders_top_up(now=NOW)

    assert result == ReminderTopUp(scheduled=4, cancelled=0)
    assert Reminder.objects.count() == before  # moved, not added
    assert pending() == expected(
        weekly, (*MAR_16, [QUARTER]), (MAR_23[0], moved_to, [DAY, QUARTER])
    )


def test_cancelled_series_and_ended_mentorships_lose_their_reminders(pair, weekly):
    meeting_reminders_top_up(now=NOW)
    assert len(pending()) == 6
    weekly.status = SeriesStatus.CANCELLED
    weekly.save()

    assert meeting_reminders_top_up(now=NOW) == ReminderTopUp(scheduled=0, cancelled=6)
    assert pending() == set()

    weekly.status = SeriesStatus.ACTIVE
    weekly.save()
    meeting_reminders_top_up(now=NOW)
    pair.status = MentorshipStatus.COMPLETED
    pair.save()
    assert meeting_reminders_top_up(now=NOW) == ReminderTopUp(scheduled=0, cancelled=6)
    assert pending() == set()


def test_reminders_beyond_the_window_stay_while_they_match_a_meeting(pair):
    """Booking reminds the next few occurrences, a monthly series' months ahead."""
    monthly = series_of(
        pair,
        first=dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC),
        frequency=Frequency.MONTHLY_BY_WEEKDAY,
    )
    meeting_reminders_top_up(now=NOW, horizon=dt.timedelta(days=70))
    far_ahead = pending()
    assert len(far_ahead) == 12  # 20 March, 17 April, 15 May

    assert meeting_reminders_top_up(now=NOW) == ReminderTopUp(scheduled=0, cancelled=0)
    assert pending() == far_ahead

    OccurrenceChange.objects.create(
        series=monthly, recurrence_id="20260515T100000", is_cancelled=True
    )
    assert meeting_reminders_top_up(now=NOW) == ReminderTopUp(scheduled=0, cancelled=4)


def test_overdue_and_sent_reminders_are_left_alone(weekly):
    meeting_reminders_top_up(now=NOW)
    today = Reminder.objects.filter(key__contains=MAR_16[0]).order_by("pk")
    sent, overdue = list(today)
    Reminder.objects.filter(pk=sent.pk).update(sent_at=NOW + dt.timedelta(minutes=45))

    # 08:50 UTC: today's quarter-hour reminders (08:45) are due; one went, one waits for
    # the worker or for reminders_send_due. (30 March 08:00 UTC enters the window.)
    result = meeting_reminders_top_up(now=NOW + dt.timedelta(minutes=50))

    assert result == ReminderTopUp(scheduled=4, cancelled=0)
    assert list(today) == [sent, overdue]  # neither sent again nor cancelled
    assert not Reminder.objects.filter(key__contains="20260330", cancelled_at__isnull=False)
    overdue.refresh_from_db()
    assert overdue.is_pending


def test_a_reminder_of_a_deleted_series_is_cancelled(pair):
    reminder_schedule(
        key="meeting:999999:20260323T100000:1:1440",
        recipient=pair.mentor,
        fire_at=NOW + DAY,
        title="A meeting that is gone",
    )

    assert meeting_reminders_top_up(now=NOW) == ReminderTopUp(scheduled=0, cancelled=1)
    assert pending() == set()


def rerun_queries(pair, count: int) -> int:
    for week in range(count):
        series_of(pair, first=dt.datetime(2026, 1, 19, 9, 0, tzinfo=dt.UTC) + week * 3 * HOUR)
    meeting_reminders_top_up(now=NOW)
    with CaptureQueriesContext(connection) as queries:
        assert meeting_reminders_top_up(now=NOW) == ReminderTopUp()
    MeetingSeries.objects.all().delete()
    Reminder.objects.all().delete()
    return len(queries)


def test_a_rerun_takes_the_same_queries_however_many_series(pair):
    assert rerun_queries(pair, 1) == rerun_queries(pair, 4)


def test_the_command_runs_the_sweep(weekly):
    out = io.StringIO()
    call_command("meetings_remind", stdout=out)  # the real clock: long after March 2026
    assert out.getvalue().startswith("Scheduled ")
    assert "reminder(s), cancelled" in out.getvalue()

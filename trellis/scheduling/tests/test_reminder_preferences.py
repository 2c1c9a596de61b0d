"""Meeting reminders at each person's own times (notifications' ReminderPreference)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trellis.notifications.models import Reminder, ReminderPreference
from trellis.notifications.services import reminder_preference_update
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.recurrence import Frequency
from trellis.scheduling.services import (
    ReminderTopUp,
    _reschedule_reminders,
    meeting_reminders_replan,
    meeting_reminders_top_up,
)
from trellis.scheduling.tests.helpers import berlin_new_york_pair
from trellis.scheduling.tests.test_reminder_sweep import (
    DAY,
    HOUR,
    MAR_16,
    MAR_23,
    NOW,
    QUARTER,
    series_of,
)

pytestmark = pytest.mark.django_db

WEEK = dt.timedelta(days=7)


@pytest.fixture
def pair():
    return berlin_new_york_pair()


@pytest.fixture
def weekly(pair):
    """Mondays 10:00 Berlin (09:00 UTC), booked eight weeks before NOW."""
    return series_of(pair, first=dt.datetime(2026, 1, 19, 9, 0, tzinfo=dt.UTC))


def pending_of(user) -> set[tuple[str, dt.datetime]]:
    return {
        (reminder.key, reminder.fire_at)
        for reminder in Reminder.objects.filter(
            recipient=user, sent_at__isnull=True, cancelled_at__isnull=True
        )
    }


def rows(series, person, *starts_and_offsets) -> set[tuple[str, dt.datetime]]:
    found = set()
    for recurrence_id, start, offsets in starts_and_offsets:
        for offset in offsets:
            minutes = int(offset.total_seconds() // 60)
            found.add(
                (f"meeting:{series.pk}:{recurrence_id}:{person.pk}:{minutes}", start - offset)
            )
    return found


def save_preference(user, minutes: list[int]) -> None:
    """As reminder_preference_update stores it, without re-planning (the task is not run)."""
    ReminderPreference.objects.update_or_create(user=user, defaults={"offsets": minutes})


def test_without_a_preference_both_get_24_hours_and_15_minutes(pair, weekly):
    meeting_reminders_top_up(now=NOW)

    for person in (pair.mentor, pair.mentee):
        assert pending_of(person) == rows(
            weekly, person, (*MAR_16, [QUARTER]), (*MAR_23, [DAY, QUARTER])
        )


def test_one_hour_only_for_the_mentee_while_the_mentor_keeps_the_defaults(pair, weekly):
    save_preference(pair.mentee, [60])

    result = meeting_reminders_top_up(now=NOW)

    # Today's 09:00 UTC meeting: the mentee's hour before is 08:00, now: not in the past.
    assert pending_of(pair.mentee) == rows(weekly, pair.mentee, (*MAR_23, [HOUR]))
    assert pending_of(pair.mentor) == rows(
        weekly, pair.mentor, (*MAR_16, [QUARTER]), (*MAR_23, [DAY, QUARTER])
    )
    assert result == ReminderTopUp(scheduled=4, cancelled=0)


def test_no_times_chosen_means_no_meeting_reminders(pair, weekly):
    save_preference(pair.mentor, [])

    meeting_reminders_top_up(now=NOW)

    assert pending_of(pair.mentor) == set()
    assert len(pending_of(pair.mentee)) == 3


def test_a_week_before_is_kept_by_the_sweep_not_cancelled_as_stale(pair):
    monthly_first = dt.datetime(2026, 4, 20, 8, 0, tzinfo=dt.UTC)  # 10:00 CEST
    series = series_of(pair, first=monthly_first, frequency=Frequency.MONTHLY_BY_WEEKDAY)
    save_preference(pair.mentor, [10080])
    meeting_reminders_top_up(now=NOW, horizon=dt.timedelta(days=40))
    booked = pending_of(pair.mentor)
    assert booked == rows(series, pair.mentor, ("20260420T100000", monthly_first, [WEEK]))

    assert meeting_reminders_top_up(now=NOW) == ReminderTopUp()
    assert pending_of(pair.mentor) == booked


def test_booking_reminds_each_person_at_their_own_times(pair):
    start = (timezone.now() + 3 * DAY).replace(minute=0, second=0, microsecond=0)
    series = series_of(pair, first=start, frequency=Frequency.ONCE)
    save_preference(pair.mentor, [120, 5])

    _reschedule_reminders(series)  # what booking runs on commit

    recurrence_id = series.rule().first_start.astimezone(series.rule().zone)
    recurrence = f"{recurrence_id:%Y%m%dT%H%M%S}"
    assert pending_of(pair.mentor) == rows(
        series, pair.mentor, (recurrence, start, [2 * HOUR, dt.timedelta(minutes=5)])
    )
    assert pending_of(pair.mentee) == rows(series, pair.mentee, (recurrence, start, [DAY, QUARTER]))


@pytest.fixture
def soon(pair):
    """A weekly meeting whose first occurrence starts in 30 minutes, booked and reminded."""
    start = (timezone.now() + dt.timedelta(minutes=30)).replace(second=0, microsecond=0)
    series = series_of(pair, first=start)
    _reschedule_reminders(series)
    return series


def occurrences(series, count: int) -> list[tuple[str, dt.datetime]]:
    rule = series.rule()
    starts = [rule.first_start + week * WEEK for week in range(count)]
    # Weekly in Berlin: the wall time stays, the instant moves across a DST change.
    local = [start.astimezone(rule.zone) for start in starts]
    fixed = [
        dt.datetime.combine(item.date(), rule.start_time, tzinfo=rule.zone).astimezone(dt.UTC)
        for item in local
    ]
    return [(f"{item.astimezone(rule.zone):%Y%m%dT%H%M%S}", item) for item in fixed]


def test_changing_the_preference_replans_pending_reminders_on_commit(
    pair, soon, django_capture_on_commit_callbacks
):
    first, *later = occurrences(soon, 4)
    before_ids = set(
        Reminder.objects.filter(recipient=pair.mentee, cancelled_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    mentor_before = pending_of(pair.mentor)

    with django_capture_on_commit_callbacks(execute=True):
        reminder_preference_update(user=pair.mentee, offsets=[60, 15, 1440])
        # Nothing moves before the commit.
        assert Reminder.objects.filter(pk__in=before_ids, cancelled_at__isnull=True).count() == (
            len(before_ids)
        )

    # The first meeting starts in 30 minutes: its hour- and day-before reminders would lie in
    # the past, so only the quarter-hour one stays; the next three get all three.
    assert pending_of(pair.mentee) == rows(soon, pair.mentee, (*first, [QUARTER])) | {
        row
        for occurrence in later
        for row in rows(soon, pair.mentee, (*occurrence, [DAY, HOUR, QUARTER]))
    }
    assert pending_of(pair.mentor) == mentor_before

    with django_capture_on_commit_callbacks(execute=True):
        reminder_preference_update(user=pair.mentee, offsets=[120])

    assert pending_of(pair.mentee) == {
        row for occurrence in later for row in rows(soon, pair.mentee, (*occurrence, [2 * HOUR]))
    }
    cancelled_keys = set(
        Reminder.objects.filter(recipient=pair.mentee, cancelled_at__isnull=False).values_list(
            "key", flat=True
        )
    )
    assert {key.rsplit(":", 1)[1] for key in cancelled_keys} == {"1440", "60", "15"}
    assert not Reminder.objects.filter(
        recipient=pair.mentee,
        fire_at__lte=timezone.now(),
        sent_at__isnull=True,
        cancelled_at__isnull=True,
    ).exists()
    assert pending_of(pair.mentor) == mentor_before


def test_turning_reminders_off_and_on_again(pair, soon, django_capture_on_commit_callbacks):
    first, *later = occurrences(soon, 4)
    with django_capture_on_commit_callbacks(execute=True):
        reminder_preference_update(user=pair.mentor, offsets=[])
    assert pending_of(pair.mentor) == set()

    with django_capture_on_commit_callbacks(execute=True):
        reminder_preference_update(user=pair.mentor, offsets=[1440, 15])

    # The occurrences still reminded for the mentee get the mentor's reminders back.
    assert pending_of(pair.mentor) == rows(soon, pair.mentor, (*first, [QUARTER])) | {
        row
        for occurrence in later
        for row in rows(soon, pair.mentor, (*occurrence, [DAY, QUARTER]))
    }


def test_saving_the_same_times_again_queues_no_replan(
    pair, soon, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        reminder_preference_update(user=pair.mentor, offsets=[15, 1440])  # the defaults
    assert callbacks == []


def test_a_lost_replan_is_repaired_by_the_sweep(pair, soon):
    _, *later = occurrences(soon, 4)
    reminder_preference_update(user=pair.mentee, offsets=[30])  # on-commit task never runs
    assert len(pending_of(pair.mentee)) == 7  # still at the old times

    meeting_reminders_top_up()

    # Half an hour before the first meeting is now: it keeps no reminder of the mentee's.
    assert pending_of(pair.mentee) == {
        row
        for occurrence in later
        for row in rows(soon, pair.mentee, (*occurrence, [dt.timedelta(minutes=30)]))
    }


def test_replan_is_idempotent(pair, soon):
    save_preference(pair.mentee, [60])
    meeting_reminders_replan(user=pair.mentee)
    snapshot = list(Reminder.objects.order_by("pk").values())

    assert meeting_reminders_replan(user=pair.mentee) == ReminderTopUp()
    assert list(Reminder.objects.order_by("pk").values()) == snapshot


def sweep_rerun_queries(count: int) -> int:
    """Queries of a sweep re-run over ``count`` pairs, each person with a preference."""
    for index in range(count):
        pair = berlin_new_york_pair()
        save_preference(pair.mentor, [1440, 60])
        save_preference(pair.mentee, [120, 5] if index % 2 else [])
        series_of(pair, first=dt.datetime(2026, 1, 19, 9, 0, tzinfo=dt.UTC))
    meeting_reminders_top_up(now=NOW)
    assert Reminder.objects.exists()
    with CaptureQueriesContext(connection) as queries:
        assert meeting_reminders_top_up(now=NOW) == ReminderTopUp()
    MeetingSeries.objects.all().delete()
    Reminder.objects.all().delete()
    return len(queries)


def test_the_sweep_reads_preferences_in_a_flat_number_of_queries():
    assert sweep_rerun_queries(1) == sweep_rerun_queries(6)

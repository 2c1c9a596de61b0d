"""The "time to meet" nudge: pairs behind their meeting cadence hear of it, once per interval."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.agreements import services as agreement_services
from trellis.mentorships import services
from trellis.mentorships.models import Mentorship, MentorshipEvent, MentorshipStatus
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.notifications.models import Notification
from trellis.profiles.models import MeetingFrequency
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.models import (
    MeetingLog,
    MeetingOutcome,
    MeetingSeries,
    OccurrenceChange,
    SeriesStatus,
)
from trellis.scheduling.recurrence import Frequency, format_recurrence_id
from trellis.scheduling.services import _rule_for

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 16, 8, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def pair_in(program, *, active_for: dt.timedelta, **fields):
    mentor = mentor_in(program, display_name="Maria Mentor", time_zone="Europe/Berlin")
    mentee = mentee_in(program, display_name="Ada Mentee", time_zone="America/New_York")
    return MentorshipFactory(
        program=program, mentor=mentor, mentee=mentee, started_at=NOW - active_for, **fields
    )


def weekly_program():
    return ProgramFactory(meeting_frequency=MeetingFrequency.WEEKLY)


def meeting(mentorship, *, at: dt.datetime, frequency=Frequency.ONCE, **fields):
    """A series first meeting at ``at``, stored as booking would (past starts allowed)."""
    rule = _rule_for(
        time_zone="Europe/Berlin",
        start=at,
        duration_minutes=60,
        frequency=frequency,
    )
    return MeetingSeries.objects.create(
        mentorship=mentorship,
        organiser=mentorship.mentor,
        time_zone=rule.time_zone,
        start_date=rule.start_date,
        start_time=rule.start_time,
        duration_minutes=60,
        rrule=rule.to_rrule(),
        **fields,
    )


def first_recurrence_id(series):
    return format_recurrence_id(next(series.rule().local_starts()))


def nudges(mentorship=None):
    rows = Notification.objects.filter(kind="mentorship.behind")
    if mentorship is not None:
        rows = rows.filter(url=f"/mentorships/{mentorship.pk}/schedule/")
    return rows


def test_a_pair_that_never_met_is_nudged_both_with_a_link_to_their_schedule():
    pair = pair_in(weekly_program(), active_for=11 * DAY)

    assert services.mentorships_nudge(now=NOW) == 1

    sent = {(row.recipient_id, row.title, row.url) for row in nudges()}
    assert sent == {
        (
            pair.mentor_id,
            "Time to book your next meeting with Ada Mentee",
            f"/mentorships/{pair.pk}/schedule/",
        ),
        (
            pair.mentee_id,
            "Time to book your next meeting with Maria Mentor",
            f"/mentorships/{pair.pk}/schedule/",
        ),
    }
    body = nudges().first().body
    assert "meet every week" in body
    assert "10 days" in body
    pair.refresh_from_db()
    assert pair.meeting_nudge_sent_at == NOW


def test_at_most_one_nudge_per_interval():
    pair = pair_in(weekly_program(), active_for=11 * DAY)
    assert services.mentorships_nudge(now=NOW) == 1

    assert services.mentorships_nudge(now=NOW) == 0
    assert services.mentorships_nudge(now=NOW + 6 * DAY) == 0
    assert nudges(pair).count() == 2

    assert services.mentorships_nudge(now=NOW + 7 * DAY) == 1  # still behind a week later
    assert nudges(pair).count() == 4


@pytest.mark.parametrize(
    ("frequency", "behind_after_days"),
    [
        (MeetingFrequency.WEEKLY, 10),
        (MeetingFrequency.FORTNIGHTLY, 18),
        (MeetingFrequency.MONTHLY, 35),
    ],
)
def test_the_program_frequency_sets_when_a_pair_is_behind(frequency, behind_after_days):
    program = ProgramFactory(meeting_frequency=frequency)
    on_time = pair_in(program, active_for=(behind_after_days - 1) * DAY)
    behind = pair_in(program, active_for=(behind_after_days + 1) * DAY)

    assert services.mentorships_nudge(now=NOW) == 1

    assert not nudges(on_time).exists()
    assert nudges(behind).count() == 2


def test_a_recent_meeting_keeps_the_pair_on_track():
    pair = pair_in(weekly_program(), active_for=60 * DAY)
    meeting(pair, at=NOW - 9 * DAY)

    assert services.mentorships_nudge(now=NOW) == 0
    assert not nudges().exists()


def test_a_recurring_series_keeps_the_pair_on_track_weeks_after_booking():
    pair = pair_in(weekly_program(), active_for=90 * DAY)
    meeting(pair, at=NOW - 70 * DAY, frequency=Frequency.WEEKLY)

    assert services.mentorships_nudge(now=NOW) == 0


def test_a_meeting_too_long_ago_does_not_count():
    pair = pair_in(weekly_program(), active_for=60 * DAY)
    meeting(pair, at=NOW - 11 * DAY)

    assert services.mentorships_nudge(now=NOW) == 1


def test_a_cancelled_occurrence_does_not_count():
    pair = pair_in(weekly_program(), active_for=60 * DAY)
    series = meeting(pair, at=NOW - 5 * DAY)
    OccurrenceChange.objects.create(
        series=series,
        recurrence_id=first_recurrence_id(series),
        is_cancelled=True,
    )

    assert services.mentorships_nudge(now=NOW) == 1


@pytest.mark.parametrize("outcome", [MeetingOutcome.NO_SHOW, MeetingOutcome.CANCELLED_LATE])
def test_a_meeting_logged_as_missed_does_not_count(outcome):
    pair = pair_in(weekly_program(), active_for=60 * DAY)
    series = meeting(pair, at=NOW - 5 * DAY)
    recurrence_id = first_recurrence_id(series)
    MeetingLog.objects.create(series=series, recurrence_id=recurrence_id, outcome=outcome)

    assert services.mentorships_nudge(now=NOW) == 1


def test_a_logged_meeting_counts_even_when_its_series_was_cancelled_since():
    pair = pair_in(weekly_program(), active_for=60 * DAY)
    series = meeting(pair, at=NOW - 5 * DAY, status=SeriesStatus.CANCELLED)
    recurrence_id = first_recurrence_id(series)
    MeetingLog.objects.create(
        series=series, recurrence_id=recurrence_id, outcome=MeetingOutcome.HAPPENED
    )

    assert services.mentorships_nudge(now=NOW) == 0


def test_a_meeting_booked_within_the_interval_holds_the_nudge_back():
    soon = pair_in(weekly_program(), active_for=60 * DAY)
    meeting(soon, at=NOW + 6 * DAY)
    later = pair_in(soon.program, active_for=60 * DAY)
    meeting(later, at=NOW + 8 * DAY)

    assert services.mentorships_nudge(now=NOW) == 1

    assert not nudges(soon).exists()
    assert nudges(later).count() == 2


def agree_on(mentorship, cadence):
    agreement = agreement_services.agreement_get_or_create(mentorship)
    agreement_services.agreement_update_shared(
        agreement=agreement, by=mentorship.mentor, meeting_cadence=cadence
    )
    return agreement


def test_the_agreed_cadence_overrides_the_program_frequency():
    program = weekly_program()
    agreed_monthly = pair_in(program, active_for=20 * DAY)
    agreement = agree_on(agreed_monthly, MeetingFrequency.MONTHLY)
    agreement_services.agreement_confirm(agreement=agreement, by=agreed_monthly.mentor)
    agreement_services.agreement_confirm(agreement=agreement, by=agreed_monthly.mentee)
    proposed_monthly = pair_in(program, active_for=20 * DAY)
    agreement_services.agreement_confirm(
        agreement=agree_on(proposed_monthly, MeetingFrequency.MONTHLY), by=proposed_monthly.mentor
    )

    assert services.mentorships_nudge(now=NOW) == 1

    assert not nudges(agreed_monthly).exists()  # monthly: behind only after 35 days
    assert nudges(proposed_monthly).count() == 2  # not agreed yet: the program's weekly


def test_paused_and_just_resumed_pairs_are_not_nudged():
    program = weekly_program()
    pair_in(program, active_for=60 * DAY, status=MentorshipStatus.PAUSED, paused_at=NOW - DAY)
    resumed = pair_in(program, active_for=60 * DAY)
    MentorshipEvent.objects.create(
        mentorship=resumed,
        action="resume",
        from_status=MentorshipStatus.PAUSED,
        to_status=MentorshipStatus.ACTIVE,
        created_at=NOW - 3 * DAY,
    )
    pair_in(program, active_for=60 * DAY, status=MentorshipStatus.COMPLETED)

    assert services.mentorships_nudge(now=NOW) == 0

    assert services.mentorships_nudge(now=NOW + 8 * DAY) == 1  # 11 days after resuming
    assert nudges(resumed).count() == 2


def test_the_daily_reminders_include_the_nudge():
    pair_in(weekly_program(), active_for=11 * DAY)

    assert services.mentorships_remind(now=NOW) == 1
    assert services.mentorships_remind(now=NOW) == 0
    call_command("mentorships_remind", stdout=io.StringIO())  # runs with the real clock
    assert Mentorship.objects.get().meeting_nudge_sent_at is not None


def sweep_queries(count: int, *, behind: bool) -> int:
    program = weekly_program()
    for _ in range(count):
        pair = pair_in(program, active_for=60 * DAY)
        if not behind:
            series = meeting(pair, at=NOW - 40 * DAY, frequency=Frequency.WEEKLY)
            OccurrenceChange.objects.create(
                series=series,
                recurrence_id=first_recurrence_id(series),
                is_cancelled=True,
            )
    with CaptureQueriesContext(connection) as queries:
        services.mentorships_nudge(now=NOW)
    Mentorship.objects.all().delete()
    return len(queries)


def test_reading_the_pairs_takes_the_same_queries_however_many():
    assert sweep_queries(2, behind=False) == sweep_queries(8, behind=False)


def test_each_nudged_pair_costs_the_same_few_queries():
    one = sweep_queries(1, behind=True)
    three = sweep_queries(3, behind=True)
    five = sweep_queries(5, behind=True)
    assert five - three == three - one
    assert (three - one) // 2 <= 12

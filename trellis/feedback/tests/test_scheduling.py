"""Surveys follow a mentorship's dates: they open at 09:00 in each person's own zone.

A mentorship from Monday 7 January 2030 (10:00 UTC) expected to end on Monday 8 July 2030
is 182 days long; its middle day is Monday 8 April 2030. By then Berlin and New York are
both on summer time, so 09:00 there is 07:00 and 13:00 UTC; Tokyo has none, 00:00 UTC.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trellis.feedback.models import SurveyAssignment, SurveyKind
from trellis.feedback.services import (
    survey_reminders_arrange,
    survey_set_active,
    surveys_on_mentorship,
)
from trellis.feedback.tests.helpers import survey_in
from trellis.mentorships.models import GroupLeaveReason, MentorshipSource
from trellis.mentorships.services import (
    group_leave,
    mentorship_complete,
    mentorship_extend,
    mentorship_pause,
    mentorship_resume,
    mentorship_start,
)
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.notifications.models import Reminder
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.tests.helpers import group_of, group_program

pytestmark = pytest.mark.django_db

UTC = dt.UTC
START = dt.datetime(2030, 1, 7, 10, 0, tzinfo=UTC)
END = dt.date(2030, 7, 8)


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def pair(program):
    mentor = mentor_in(program, time_zone="Europe/Berlin", display_name="Mara")
    mentee = mentee_in(program, time_zone="America/New_York", display_name="Noah")
    return MentorshipFactory(
        program=program, mentor=mentor, mentee=mentee, started_at=START, expected_end_on=END
    )


def opening(pair, kind) -> dict[str, dt.datetime]:
    rows = SurveyAssignment.objects.filter(mentorship=pair, survey__kind=kind)
    return {("mentor" if row.user_id == pair.mentor_id else "mentee"): row.opens_at for row in rows}


def pending_reminders() -> dict[str, dt.datetime]:
    return dict(
        Reminder.objects.filter(
            key__startswith="survey:", sent_at__isnull=True, cancelled_at__isnull=True
        ).values_list("key", "fire_at")
    )


def test_start_opens_each_survey_at_nine_in_each_persons_zone(
    program, pair, django_capture_on_commit_callbacks
):
    survey_in(program, SurveyKind.MIDPOINT)
    survey_in(program, SurveyKind.END)

    with django_capture_on_commit_callbacks(execute=True):
        surveys_on_mentorship(mentorship=pair, event="started")

    assert opening(pair, SurveyKind.MIDPOINT) == {
        "mentor": dt.datetime(2030, 4, 8, 7, 0, tzinfo=UTC),
        "mentee": dt.datetime(2030, 4, 8, 13, 0, tzinfo=UTC),
    }
    assert opening(pair, SurveyKind.END) == {
        "mentor": dt.datetime(2030, 7, 8, 7, 0, tzinfo=UTC),
        "mentee": dt.datetime(2030, 7, 8, 13, 0, tzinfo=UTC),
    }
    roles = dict(SurveyAssignment.objects.values_list("user_id", "role").distinct())
    assert roles == {pair.mentor_id: "mentor", pair.mentee_id: "mentee"}
    # Each copy's notice is arranged for its opening, and marked so.
    assignments = SurveyAssignment.objects.all()
    assert pending_reminders() == {f"survey:{a.pk}": a.opens_at for a in assignments}
    assert all(a.notified_at is not None for a in assignments)
    reminder = Reminder.objects.get(key=f"survey:{assignments[0].pk}")
    assert reminder.url == f"/surveys/{assignments[0].pk}/"


def test_a_winter_midpoint_follows_each_zones_own_offset(program):
    mentor = mentor_in(program, time_zone="Asia/Tokyo")
    mentee = mentee_in(program, time_zone="America/New_York")
    # 1 October 2030 to 1 March 2031: the middle day is 15 December, winter in New York.
    pair = MentorshipFactory(
        program=program,
        mentor=mentor,
        mentee=mentee,
        started_at=dt.datetime(2030, 10, 1, 12, tzinfo=UTC),
        expected_end_on=dt.date(2031, 3, 1),
    )
    survey_in(program, SurveyKind.MIDPOINT)

    surveys_on_mentorship(mentorship=pair, event="started")

    assert opening(pair, SurveyKind.MIDPOINT) == {
        "mentor": dt.datetime(2030, 12, 15, 0, 0, tzinfo=UTC),
        "mentee": dt.datetime(2030, 12, 15, 14, 0, tzinfo=UTC),
    }


def test_starting_again_changes_nothing(program, pair, django_capture_on_commit_callbacks):
    survey_in(program, SurveyKind.MIDPOINT)
    survey_in(program, SurveyKind.END)
    with django_capture_on_commit_callbacks(execute=True):
        surveys_on_mentorship(mentorship=pair, event="started")
    before = list(SurveyAssignment.objects.order_by("pk").values_list("pk", "opens_at"))
    reminders = pending_reminders()

    with django_capture_on_commit_callbacks(execute=True):
        surveys_on_mentorship(mentorship=pair, event="started")
    assert survey_reminders_arrange(mentorship_id=pair.pk) == 0

    assert list(SurveyAssignment.objects.order_by("pk").values_list("pk", "opens_at")) == before
    assert pending_reminders() == reminders
    assert Reminder.objects.filter(key__startswith="survey:").count() == 4


def test_inactive_surveys_and_other_programs_are_not_given(program, pair):
    survey_in(program, SurveyKind.MIDPOINT, is_active=False)
    survey_in(ProgramFactory(), SurveyKind.END)

    surveys_on_mentorship(mentorship=pair, event="started")

    assert not SurveyAssignment.objects.exists()


def test_extending_moves_the_copies_not_opened_yet(
    program, pair, django_capture_on_commit_callbacks
):
    survey_in(program, SurveyKind.MIDPOINT)
    survey_in(program, SurveyKind.END)
    with django_capture_on_commit_callbacks(execute=True):
        surveys_on_mentorship(mentorship=pair, event="started")

    with django_capture_on_commit_callbacks(execute=True):
        mentorship_extend(mentorship=pair, by=pair.mentor, until=dt.date(2030, 10, 7))

    # 7 January to 7 October 2030 is 273 days: the middle day is 23 May.
    assert opening(pair, SurveyKind.MIDPOINT) == {
        "mentor": dt.datetime(2030, 5, 23, 7, 0, tzinfo=UTC),
        "mentee": dt.datetime(2030, 5, 23, 13, 0, tzinfo=UTC),
    }
    assert opening(pair, SurveyKind.END) == {
        "mentor": dt.datetime(2030, 10, 7, 7, 0, tzinfo=UTC),
        "mentee": dt.datetime(2030, 10, 7, 13, 0, tzinfo=UTC),
    }
    # The notices moved with them: one pending per copy, at the new time.
    assignments = SurveyAssignment.objects.all()
    assert pending_reminders() == {f"survey:{a.pk}": a.opens_at for a in assignments}
    assert Reminder.objects.filter(key__startswith="survey:").count() == 4


def test_extending_leaves_an_opened_survey_where_it_is(program):
    mentor = mentor_in(program, time_zone="Europe/Berlin")
    mentee = mentee_in(program, time_zone="America/New_York")
    today = timezone.localdate()
    pair = MentorshipFactory(
        program=program,
        mentor=mentor,
        mentee=mentee,
        started_at=timezone.now() - dt.timedelta(days=100),
        expected_end_on=today + dt.timedelta(days=20),
    )
    survey_in(program, SurveyKind.MIDPOINT)
    survey_in(program, SurveyKind.END)
    surveys_on_mentorship(mentorship=pair, event="started")
    midpoint = opening(pair, SurveyKind.MIDPOINT)
    assert all(moment < timezone.now() for moment in midpoint.values())

    mentorship_extend(mentorship=pair, by=mentor, until=today + dt.timedelta(days=60))

    assert opening(pair, SurveyKind.MIDPOINT) == midpoint
    assert {moment.date() for moment in opening(pair, SurveyKind.END).values()} == {
        today + dt.timedelta(days=60)
    }


def test_finishing_opens_the_end_survey_now_and_withdraws_the_midpoint(
    program, pair, django_capture_on_commit_callbacks
):
    survey_in(program, SurveyKind.MIDPOINT)
    survey_in(program, SurveyKind.END)
    with django_capture_on_commit_callbacks(execute=True):
        surveys_on_mentorship(mentorship=pair, event="started")
    midpoint_keys = {
        f"survey:{pk}"
        for pk in SurveyAssignment.objects.filter(survey__kind=SurveyKind.MIDPOINT).values_list(
            "pk", flat=True
        )
    }
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        mentorship_complete(mentorship=pair, by=pair.mentee)

    assert not SurveyAssignment.objects.filter(survey__kind=SurveyKind.MIDPOINT).exists()
    ends = SurveyAssignment.objects.filter(survey__kind=SurveyKind.END)
    assert ends.count() == 2
    assert all(before <= a.opens_at <= timezone.now() for a in ends)
    cancelled = Reminder.objects.filter(key__in=midpoint_keys)
    assert cancelled.count() == 2
    assert all(r.cancelled_at is not None and r.sent_at is None for r in cancelled)
    # The end notice went out now (the test queue runs tasks at once), once per person.
    sent = Reminder.objects.filter(key__in=[f"survey:{a.pk}" for a in ends])
    assert sent.count() == 2
    assert all(r.sent_at is not None for r in sent)
    assert sorted(r.recipient_id for r in sent) == sorted([pair.mentor_id, pair.mentee_id])


def test_finishing_leaves_answered_and_opened_surveys_alone(program):
    mentor = mentor_in(program)
    mentee = mentee_in(program)
    pair = MentorshipFactory(
        program=program,
        mentor=mentor,
        mentee=mentee,
        started_at=timezone.now() - dt.timedelta(days=100),
        expected_end_on=timezone.localdate() + dt.timedelta(days=20),
    )
    survey_in(program, SurveyKind.MIDPOINT)
    surveys_on_mentorship(mentorship=pair, event="started")
    opened = dict(SurveyAssignment.objects.values_list("pk", "opens_at"))

    mentorship_complete(mentorship=pair, by=mentor)

    assert dict(SurveyAssignment.objects.values_list("pk", "opens_at")) == opened


def test_pausing_and_resuming_change_nothing(program, pair):
    survey_in(program, SurveyKind.MIDPOINT)
    surveys_on_mentorship(mentorship=pair, event="started")
    before = list(SurveyAssignment.objects.order_by("pk").values_list("pk", "opens_at"))

    mentorship_pause(mentorship=pair, by=pair.mentor)
    mentorship_resume(mentorship=pair, by=pair.mentor)

    assert list(SurveyAssignment.objects.order_by("pk").values_list("pk", "opens_at")) == before


def test_starting_a_mentorship_gives_the_surveys(program, django_capture_on_commit_callbacks):
    survey_in(program, SurveyKind.END)
    mentor = mentor_in(program, time_zone="Asia/Kolkata")
    mentee = mentee_in(program, time_zone="America/Los_Angeles")

    with django_capture_on_commit_callbacks(execute=True):
        pair = mentorship_start(
            program=program,
            mentor=mentor,
            mentee=mentee,
            source=MentorshipSource.MANAGER,
            score=None,
            reasons=[],
            by=None,
        )

    ends = {a.user_id: a.opens_at for a in SurveyAssignment.objects.filter(mentorship=pair)}
    assert ends[mentor.pk].astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).time() == (
        dt.time(9, 0)
    )
    assert {moment.date() for moment in ends.values()} == {pair.expected_end_on}
    assert set(pending_reminders()) == {
        f"survey:{pk}" for pk in SurveyAssignment.objects.values_list("pk", flat=True)
    }


def test_group_members_joining_and_leaving(django_capture_on_commit_callbacks):
    program = group_program()
    survey_in(program, SurveyKind.MIDPOINT)
    survey_in(program, SurveyKind.END)
    mentor = mentor_in(program, time_zone="Europe/Berlin")
    first = mentee_in(program, time_zone="America/New_York")
    second = mentee_in(program, time_zone="Asia/Tokyo")
    with django_capture_on_commit_callbacks(execute=True):
        group = group_of(program, mentor, [first])
    assert set(SurveyAssignment.objects.values_list("user_id", flat=True)) == {
        mentor.pk,
        first.pk,
    }

    with django_capture_on_commit_callbacks(execute=True):
        group_of(program, mentor, [second])

    seconds = SurveyAssignment.objects.filter(user=second, mentorship=group)
    assert sorted(seconds.values_list("survey__kind", flat=True)) == ["end", "midpoint"]
    assert all(a.role == "mentee" for a in seconds)
    assert all(a.opens_at.astimezone(dt.timezone(dt.timedelta(hours=9))).hour == 9 for a in seconds)
    assert SurveyAssignment.objects.count() == 6
    keys = {f"survey:{a.pk}" for a in seconds}
    assert keys <= set(pending_reminders())

    with django_capture_on_commit_callbacks(execute=True):
        group_leave(mentorship=group, by=second, reason=GroupLeaveReason.NO_TIME)

    assert not SurveyAssignment.objects.filter(user=second).exists()
    assert SurveyAssignment.objects.count() == 4
    assert not keys & set(pending_reminders())


def test_joining_a_group_past_its_middle_gives_only_the_end_survey():
    program = group_program()
    survey_in(program, SurveyKind.MIDPOINT)
    survey_in(program, SurveyKind.END)
    mentor = mentor_in(program)
    group = group_of(program, mentor, [mentee_in(program)])
    group.started_at = timezone.now() - dt.timedelta(days=120)
    group.expected_end_on = timezone.localdate() + dt.timedelta(days=20)
    group.save(update_fields=["started_at", "expected_end_on"])
    late = mentee_in(program)

    group_of(program, mentor, [late])

    assert list(
        SurveyAssignment.objects.filter(user=late).values_list("survey__kind", flat=True)
    ) == ["end"]


def test_a_mentorship_start_costs_a_few_queries_whatever_the_surveys(program, pair):
    for kind in (SurveyKind.MIDPOINT, SurveyKind.END):
        survey_in(program, kind)
    second = MentorshipFactory(program=program, started_at=START, expected_end_on=END)

    with CaptureQueriesContext(connection) as first_queries:
        surveys_on_mentorship(mentorship=pair, event="started")
    with CaptureQueriesContext(connection) as second_queries:
        surveys_on_mentorship(mentorship=second, event="started")

    # The surveys (once per program object, as the automatch starts them), the people's
    # zones, one insert; the notices follow in a task on commit.
    assert (len(first_queries), len(second_queries)) == (3, 2)
    assert SurveyAssignment.objects.count() == 8


def test_no_active_survey_costs_no_query_per_mentorship(program, pair):
    surveys_on_mentorship(mentorship=pair, event="started")
    second = MentorshipFactory(program=program, started_at=START, expected_end_on=END)

    with CaptureQueriesContext(connection) as queries:
        surveys_on_mentorship(mentorship=second, event="started")

    assert len(queries) == 0


def test_activating_a_survey_is_seen_by_the_next_mentorship(program, pair):
    surveys_on_mentorship(mentorship=pair, event="started")
    survey = survey_in(program, SurveyKind.END, is_active=False)
    manager = mentor_in(program)
    program.managers.add(manager)
    survey.program = program

    survey_set_active(survey=survey, by=manager, is_active=True)
    surveys_on_mentorship(mentorship=pair, event="started")

    assert SurveyAssignment.objects.filter(mentorship=pair).count() == 2

"""The Django → engine adapter: availability in UTC, offsets, capacity, wishes, queries."""

import datetime as dt

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.matching.cohort import (
    program_cohort,
    utc_offset_minutes,
    weekly_slots_utc,
    wish_value,
)
from trellis.matching.explanations import explain_pairs
from trellis.matching.models import MenteeWish, MentorWish
from trellis.matching.tests.factories import active_mentorship, criteria, mentee_in, mentor_in
from trellis.profiles.models import AvailabilityWindow
from trellis.programs.models import EnrollmentStatus, ProgramType, QuestionKind, Role
from trellis.programs.tests.factories import (
    EnrollmentFactory,
    IntakeQuestionFactory,
    ProgramFactory,
)

WINTER = dt.datetime(2025, 1, 15, 12, 0, tzinfo=dt.UTC)  # a Wednesday
SUMMER = dt.datetime(2025, 7, 16, 12, 0, tzinfo=dt.UTC)
# The week of 24 March 2025: Europe switches to summer time early on Sunday 30 March.
CHANGE_WEEK = dt.datetime(2025, 3, 26, 12, 0, tzinfo=dt.UTC)
MONDAY, SUNDAY = 0, 6


def slots(windows, zone, at):
    found = weekly_slots_utc(
        [
            (day, dt.time.fromisoformat(start), dt.time.fromisoformat(end))
            for day, start, end in windows
        ],
        zone,
        at=at,
    )
    return np.flatnonzero(found).tolist()


def slot(day, hhmm):
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return day * 48 + hours * 2 + minutes // 30


@pytest.mark.parametrize(
    ("zone", "at", "window", "expected"),
    [
        # Berlin is UTC+1 in winter and UTC+2 in summer: the same local hours move in UTC.
        (
            "Europe/Berlin",
            WINTER,
            (MONDAY, "09:00", "11:00"),
            [slot(0, "08:00") + k for k in range(4)],
        ),
        (
            "Europe/Berlin",
            SUMMER,
            (MONDAY, "09:00", "11:00"),
            [slot(0, "07:00") + k for k in range(4)],
        ),
        # New York's Sunday evening is Monday morning in UTC.
        (
            "America/New_York",
            WINTER,
            (SUNDAY, "22:00", "23:30"),
            [slot(0, "03:00") + k for k in range(3)],
        ),
        # Auckland's Monday morning is Sunday evening in UTC (UTC+13 in January).
        (
            "Pacific/Auckland",
            WINTER,
            (MONDAY, "08:00", "09:00"),
            [slot(6, "19:00"), slot(6, "19:30")],
        ),
        # Half-hour zones keep whole slots; quarter-hour zones keep the half hours covered.
        ("Asia/Kolkata", WINTER, (MONDAY, "09:00", "10:00"), [slot(0, "03:30"), slot(0, "04:00")]),
        ("Asia/Kathmandu", WINTER, (MONDAY, "09:00", "10:00"), [slot(0, "03:30")]),
        # A window across the end of the UTC week wraps round to its start.
        (
            "America/Los_Angeles",
            WINTER,
            (SUNDAY, "15:00", "17:00"),
            [slot(0, "00:00"), slot(0, "00:30"), slot(6, "23:00"), slot(6, "23:30")],
        ),
        ("UTC", WINTER, (MONDAY, "00:00", "00:30"), [0]),
        # An unknown zone counts as UTC.
        ("Mars/Olympus", WINTER, (MONDAY, "10:00", "11:00"), [slot(0, "10:00"), slot(0, "10:30")]),
    ],
)
def test_local_windows_become_utc_half_hours(zone, at, window, expected):
    assert slots([window], zone, at) == expected


def test_each_day_of_a_daylight_saving_week_uses_its_own_offset():
    found = slots(
        [(MONDAY, "10:00", "11:00"), (SUNDAY, "10:00", "11:00")], "Europe/Berlin", CHANGE_WEEK
    )

    # Monday 24 March is UTC+1; Sunday 30 March is already UTC+2.
    assert found == [slot(0, "09:00"), slot(0, "09:30"), slot(6, "08:00"), slot(6, "08:30")]


def test_utc_offsets_in_minutes_follow_the_date():
    assert utc_offset_minutes("Europe/Berlin", at=WINTER) == 60
    assert utc_offset_minutes("Europe/Berlin", at=SUMMER) == 120
    assert utc_offset_minutes("America/Sao_Paulo", at=WINTER) == -180
    assert utc_offset_minutes("Asia/Kathmandu", at=WINTER) == 345
    assert utc_offset_minutes("", at=WINTER) == 0


def test_wish_values_rank_first_choices_highest():
    assert wish_value(is_favourite=False, rank=1) == 1.0
    assert wish_value(is_favourite=False, rank=10) == pytest.approx(0.55)
    assert wish_value(is_favourite=True, rank=None) == 0.7
    assert wish_value(is_favourite=True, rank=1) == 1.0
    assert wish_value(is_favourite=False, rank=None) == 0.0


@pytest.mark.django_db
def test_people_in_different_zones_share_the_same_utc_hours():
    program = ProgramFactory()
    criteria(
        program,
        ("availability", "availability", True, 5, 1),
        ("time_zone", "time_zone", False, 5, 8),
    )
    mentor = mentor_in(program, time_zone="America/New_York")
    mentee = mentee_in(program, time_zone="Europe/Berlin")
    AvailabilityWindow.objects.create(
        profile=mentor.profile, weekday=MONDAY, start_time="09:00", end_time="10:00"
    )
    AvailabilityWindow.objects.create(
        profile=mentee.profile, weekday=MONDAY, start_time="15:00", end_time="17:00"
    )

    cohort = program_cohort(program=program, at=WINTER)
    (explanation,) = explain_pairs(cohort, [0], [0])

    assert explanation.is_eligible
    assert explanation.reasons == ["6 hours apart", "1 hour of shared availability a week"]


@pytest.mark.django_db
def test_capacity_is_places_left_after_active_mentorships():
    program = ProgramFactory(default_mentor_capacity=2)
    criteria(program, ("languages", "overlap", True, 5, 1))
    busy = mentor_in(program, capacity=3)
    default = mentor_in(program)
    full = mentor_in(program, capacity=1)
    matched = mentee_in(program)
    waiting = mentee_in(program)
    other = mentee_in(program)
    active_mentorship(program, mentor=busy, mentee=matched)
    active_mentorship(program, mentor=full, mentee=other)
    EnrollmentFactory(program=program, role=Role.MENTOR, status=EnrollmentStatus.PENDING)
    EnrollmentFactory(program=program, role=Role.MENTEE, status=EnrollmentStatus.DECLINED)
    EnrollmentFactory(role=Role.MENTEE)  # another program's

    cohort = program_cohort(program=program)

    places = {p.user: p.places_left for p in cohort.mentors}
    assert places == {busy: 2, default: 2, full: 0}
    assert cohort.cohort.capacity.tolist() == [places[p.user] for p in cohort.mentors]
    assert [p.user for p in cohort.mentees] == [waiting]
    everyone = program_cohort(program=program, include_matched_mentees=True)
    assert {p.user for p in everyone.mentees} == {matched, waiting, other}


@pytest.mark.django_db
def test_avoid_forbids_a_pair_and_wishes_raise_its_score():
    program = ProgramFactory()
    criteria(program, ("interests", "overlap", False, 5, 1))
    ada = mentor_in(program, interests=["chess"])
    grace = mentor_in(program, interests=["chess"])
    mentee = mentee_in(program, interests=["chess"])
    MentorWish.objects.create(program=program, mentor=ada, mentee=mentee, stance="avoid")
    MenteeWish.objects.create(program=program, mentee=mentee, mentor=grace, rank=1)

    cohort = program_cohort(program=program)
    by_mentor = dict(
        zip(
            [p.user for p in cohort.mentors],
            explain_pairs(cohort, [0, 0], [0, 1]),
            strict=True,
        )
    )

    assert by_mentor[ada].blocked_by == ["Avoid"]
    assert by_mentor[ada].reasons[0] == "The mentor asked not to be matched with this mentee"
    assert by_mentor[grace].score == 100.0
    assert "Asked for by name" in by_mentor[grace].reasons
    assert [c.label for c in cohort.criteria] == ["Interests", "Wishes"]


@pytest.mark.django_db
def test_peers_are_never_their_own_match():
    program = ProgramFactory(program_type=ProgramType.PEER)
    criteria(program, ("languages", "overlap", True, 5, 1))
    ana = EnrollmentFactory(program=program, role=Role.BOTH).user
    mentee_in(program)

    from trellis.profiles.tests.factories import ProfileFactory

    ProfileFactory(user=ana)
    cohort = program_cohort(program=program)
    row, column = cohort.mentee_index[ana.pk], cohort.mentor_index[ana.pk]

    (explanation,) = explain_pairs(cohort, [row], [column])
    assert explanation.blocked_by == ["Avoid"]


@pytest.mark.django_db
def test_reverse_programs_read_seniority_the_other_way():
    program = ProgramFactory(program_type=ProgramType.REVERSE)
    criteria(program, ("seniority", "seniority_gap", True, 5, 1))
    junior_mentor = mentor_in(program, seniority=2)
    senior_mentor = mentor_in(program, seniority=6)
    mentee_in(program, seniority=5)

    cohort = program_cohort(program=program)
    rows = [cohort.mentor_index[junior_mentor.pk], cohort.mentor_index[senior_mentor.pk]]
    junior, senior = explain_pairs(cohort, [0, 0], rows)

    assert junior.is_eligible
    assert senior.blocked_by == ["Seniority"]


@pytest.mark.django_db
def test_intake_answers_become_features():
    program = ProgramFactory()
    track = IntakeQuestionFactory(
        program=program, kind=QuestionKind.SINGLE_CHOICE, choices=["A", "B"], label="Track"
    )
    scale = IntakeQuestionFactory(program=program, kind=QuestionKind.SCALE, label="Comfort")
    criteria(
        program,
        (f"intake:{track.pk}", "same_value", True, 5, None),
        (f"intake:{scale.pk}", "closeness", False, 5, 1),
    )
    same = mentor_in(program)
    other = mentor_in(program)
    mentee = mentee_in(program)
    for user, track_answer, comfort in ((same, "A", 3), (other, "B", 3), (mentee, "A", 5)):
        enrollment = user.enrollments.get(program=program)
        enrollment.answers.create(question=track, value=track_answer)
        enrollment.answers.create(question=scale, value=comfort)

    cohort = program_cohort(program=program)
    matching, different = explain_pairs(
        cohort, [0, 0], [cohort.mentor_index[same.pk], cohort.mentor_index[other.pk]]
    )

    assert matching.is_eligible
    assert matching.score == 50.0
    assert matching.reasons == ["Answers to “Comfort” 2 apart"]
    assert different.blocked_by == ["Track"]
    assert different.reasons == ["Different answers to “Track”"]


@pytest.mark.django_db
def test_a_criterion_on_a_deleted_question_is_reported_not_fatal():
    program = ProgramFactory()
    question = IntakeQuestionFactory(program=program, kind=QuestionKind.SCALE)
    criteria(
        program,
        (f"intake:{question.pk}", "closeness", True, 5, 1),
        ("languages", "overlap", True, 5, 1),
    )
    question.delete()

    cohort = program_cohort(program=program)

    assert cohort.errors == [
        "A deleted intake question: the question was deleted; this criterion is ignored."
    ]
    assert [c.label for c in cohort.criteria] == ["Languages"]


def populate(program, count, questions):
    for index in range(count):
        mentor = mentor_in(program, manager=None, department="Sales", organisation="Acme")
        mentee = mentee_in(program, skills_sought=["go"], organisation="Acme")
        for person in (mentor, mentee):
            AvailabilityWindow.objects.create(
                profile=person.profile, weekday=index % 7, start_time="09:00", end_time="10:00"
            )
            enrollment = person.enrollments.get(program=program)
            for question in questions:
                enrollment.answers.create(question=question, value=3)
        MentorWish.objects.create(program=program, mentor=mentor, mentee=mentee, stance="prefer")
        MenteeWish.objects.create(program=program, mentee=mentee, mentor=mentor, rank=1)


@pytest.mark.django_db
def test_building_a_cohort_takes_the_same_queries_for_any_size():
    program = ProgramFactory()
    scale = IntakeQuestionFactory(program=program, kind=QuestionKind.SCALE)
    criteria(
        program,
        ("languages", "overlap", True, 5, 1),
        ("skills", "complement", False, 5, 1),
        ("availability", "availability", False, 5, 1),
        ("time_zone", "time_zone", False, 5, 8),
        ("department_line", "not_same_line", True, 5, None),
        ("organisation", "different_value", False, 5, None),
        ("seniority", "seniority_gap", False, 5, 1),
        (f"intake:{scale.pk}", "closeness", False, 5, 1),
    )
    populate(program, 2, [scale])

    def queries():
        with CaptureQueriesContext(connection) as context:
            program_cohort(program=program)
        return len(context.captured_queries)

    queries()  # the first read creates the program's matching settings
    few = queries()
    populate(program, 20, [scale])
    assert queries() == few

"""Candidates for the directory pages and one pair's explanation, scored like automatch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.accounts.tests.factories import UserFactory
from trellis.matching import selectors
from trellis.matching.models import MentorWish
from trellis.matching.tests.factories import active_mentorship, criteria, mentee_in, mentor_in
from trellis.profiles.models import AvailabilityWindow
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    program = ProgramFactory(default_mentor_capacity=2)
    criteria(
        program,
        ("languages", "overlap", True, 5, 1),
        ("skills", "complement", False, 8, 1),
        ("time_zone", "time_zone", False, 4, 8),
    )
    return program


def test_mentor_candidates_best_first_with_reasons_for_the_mentee(program):
    ada = mentor_in(program, display_name="Ada", skills_offered=["python"])
    grace = mentor_in(program, display_name="Grace", time_zone="America/New_York", capacity=1)
    paul = mentor_in(program, display_name="Paul", languages=["fr"])
    mentee = mentee_in(program, skills_sought=["python"])
    active_mentorship(program, mentor=grace, mentee=mentee_in(program))

    found = selectors.mentor_candidates(program=program, mentee=mentee)

    assert [(c.user, c.is_eligible, c.places_left) for c in found] == [
        (ada, True, 2),
        (grace, True, 0),
        (paul, False, 2),
    ]
    assert found[0].score == 100.0
    assert found[0].reasons == [
        "Offers python, which you want to learn",
        "Same time zone",
        "You both speak English",
    ]
    assert found[0].profile == ada.profile
    assert found[0].enrollment.user_id == ada.pk
    assert (found[2].score, found[2].blocked_by, found[2].reasons) == (
        0.0,
        ["Languages"],
        ["No languages in common"],
    )
    assert [
        c.user for c in selectors.mentor_candidates(program=program, mentee=mentee, limit=1)
    ] == [ada]


def test_a_mentor_who_avoids_the_mentee_is_not_eligible(program):
    ada = mentor_in(program)
    mentee = mentee_in(program)
    MentorWish.objects.create(program=program, mentor=ada, mentee=mentee, stance="avoid")

    (candidate,) = selectors.mentor_candidates(program=program, mentee=mentee)

    assert (candidate.is_eligible, candidate.blocked_by) == (False, ["Avoid"])


def test_someone_not_taking_part_has_no_candidates(program):
    mentor_in(program)

    assert selectors.mentor_candidates(program=program, mentee=UserFactory()) == []
    assert selectors.mentee_candidates(program=program, mentor=UserFactory()) == []


def test_mentee_candidates_speak_to_the_mentor(program):
    mentor = mentor_in(program, skills_offered=["python", "go"], capacity=3)
    keen = mentee_in(program, display_name="Keen", skills_sought=["go"])
    other = mentee_in(program, display_name="Other", time_zone="Asia/Tokyo")
    matched = mentee_in(program, display_name="Matched")
    active_mentorship(program, mentor=mentor, mentee=matched)

    found = selectors.mentee_candidates(program=program, mentor=mentor)

    assert [c.user for c in found][:1] == [keen]
    assert {c.user for c in found} == {keen, other, matched}
    assert found[0].reasons[0] == "Wants to learn go, which you offer"
    assert {c.places_left for c in found} == {2}


def test_pair_explanation(program):
    ada = mentor_in(program, skills_offered=["python"])
    paul = mentor_in(program, languages=["fr"])
    mentee = mentee_in(program, skills_sought=["python"])

    assert selectors.pair_explanation(program=program, mentor=ada, mentee=mentee) == (
        100.0,
        [
            "The mentor offers python, which the mentee wants to learn",
            "Same time zone",
            "Both speak English",
        ],
    )
    assert selectors.pair_explanation(program=program, mentor=paul, mentee=mentee) == (
        None,
        ["Does not meet the rule “Languages”"],
    )
    assert selectors.pair_explanation(program=program, mentor=UserFactory(), mentee=mentee) == (
        None,
        [],
    )


def grow(program, count):
    for index in range(count):
        mentor = mentor_in(program, skills_offered=["python"], department="IT")
        mentee = mentee_in(program, skills_sought=["python"])
        AvailabilityWindow.objects.create(
            profile=mentor.profile, weekday=index % 7, start_time="09:00", end_time="10:00"
        )
        if index % 2:
            active_mentorship(program, mentor=mentor, mentee=mentee)


@pytest.mark.parametrize("side", ["mentor_candidates", "mentee_candidates"])
def test_candidate_queries_do_not_grow(program, side):
    criteria(
        program,
        ("languages", "overlap", True, 5, 1),
        ("availability", "availability", False, 5, 1),
        ("text", "text", False, 5, 0.1),
        ("department_line", "not_same_line", True, 5, None),
    )
    mentee = mentee_in(program)
    mentor = mentor_in(program)
    grow(program, 2)

    def queries():
        with CaptureQueriesContext(connection) as context:
            if side == "mentor_candidates":
                found = selectors.mentor_candidates(program=program, mentee=mentee)
            else:
                found = selectors.mentee_candidates(program=program, mentor=mentor)
            for candidate in found:
                assert candidate.user.display_name
        return len(context.captured_queries)

    queries()
    few = queries()
    grow(program, 15)
    assert queries() == few


def test_pair_explanation_scores_the_pair_as_the_mentee_directory_does():
    # Text similarity weighs words by how rare they are among all the program's texts,
    # so the pair must be scored among them, not on its own two texts.
    program = ProgramFactory()
    criteria(program, ("text", "text", False, 5, 0.1), ("skills", "complement", False, 5, 1))
    goals = [
        "grow as a backend engineer building python services",
        "lead a product team through a reorganisation",
        "move from teaching into user research",
        "scale python services and mentor backend engineers",
    ]
    mentors = [
        mentor_in(program, bio=text, skills_offered=["python"] if k % 2 else [])
        for k, text in enumerate(goals[1:])
    ]
    mentee = mentee_in(program, goals=goals[0], skills_sought=["python"])

    directory = {
        c.user: c.score for c in selectors.mentor_candidates(program=program, mentee=mentee)
    }

    for mentor in mentors:
        score, _ = selectors.pair_explanation(program=program, mentor=mentor, mentee=mentee)
        assert score == directory[mentor]
    assert directory[mentors[2]] > directory[mentors[0]]

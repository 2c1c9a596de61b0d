"""The pulse's rules, answering a survey, managing surveys, and what managers may read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.feedback import selectors, services
from trellis.feedback.models import (
    MeetingPulse,
    Survey,
    SurveyAnswer,
    SurveyAssignment,
    SurveyKind,
    SurveyQuestion,
)
from trellis.feedback.tests.helpers import questions, survey_in
from trellis.mentorships.models import GroupLeaveReason
from trellis.mentorships.services import group_leave
from trellis.profiles.tests.factories import ProfileFactory
from trellis.scheduling.models import OccurrenceChange, SeriesStatus
from trellis.scheduling.tests.helpers import (
    berlin_new_york_pair,
    berlin_new_york_tokyo_group,
    group_people,
    meeting_in,
)

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


# Pulse --------------------------------------------------------------------------------------


@pytest.fixture
def pair():
    return berlin_new_york_pair()


def test_a_participant_rates_a_meeting_that_has_begun(pair):
    series, recurrence_id = meeting_in(pair, -HOUR)

    pulse = services.pulse_set(
        series=series, recurrence_id=recurrence_id, by=pair.mentee, usefulness=4, comment=" Good "
    )

    assert (pulse.usefulness, pulse.comment, pulse.user_id) == (4, "Good", pair.mentee_id)
    assert MeetingPulse.objects.count() == 1


def test_tapping_again_changes_the_answer(pair):
    series, recurrence_id = meeting_in(pair, -HOUR)
    services.pulse_set(series=series, recurrence_id=recurrence_id, by=pair.mentor, usefulness=2)

    services.pulse_set(
        series=series, recurrence_id=recurrence_id, by=pair.mentor, usefulness="5", comment="ok"
    )

    assert list(MeetingPulse.objects.values_list("user_id", "usefulness", "comment")) == [
        (pair.mentor_id, 5, "ok")
    ]


def test_not_before_the_meeting_has_begun(pair):
    series, recurrence_id = meeting_in(pair, HOUR)

    with pytest.raises(ValidationError, match="once it has begun"):
        services.pulse_set(series=series, recurrence_id=recurrence_id, by=pair.mentee, usefulness=3)

    assert not MeetingPulse.objects.exists()


def test_up_to_thirty_days_after_the_start(pair):
    series, recurrence_id = meeting_in(pair, -HOUR)
    start = timezone.now() - HOUR
    later = start.replace(second=0, microsecond=0) + dt.timedelta(days=30)

    services.pulse_set(
        series=series, recurrence_id=recurrence_id, by=pair.mentee, usefulness=3, now=later
    )
    with pytest.raises(ValidationError, match="up to 30 days"):
        services.pulse_set(
            series=series,
            recurrence_id=recurrence_id,
            by=pair.mentee,
            usefulness=1,
            now=later + dt.timedelta(minutes=2),
        )

    assert MeetingPulse.objects.get().usefulness == 3


def test_a_cancelled_occurrence_or_series_is_not_rated(pair):
    series, recurrence_id = meeting_in(pair, -HOUR)
    OccurrenceChange.objects.create(series=series, recurrence_id=recurrence_id, is_cancelled=True)

    with pytest.raises(ValidationError, match="cancelled"):
        services.pulse_set(series=series, recurrence_id=recurrence_id, by=pair.mentee, usefulness=3)

    other, other_id = meeting_in(pair, -2 * HOUR)
    other.status = SeriesStatus.CANCELLED
    other.save()
    with pytest.raises(ValidationError, match="cancelled"):
        services.pulse_set(series=other, recurrence_id=other_id, by=pair.mentee, usefulness=3)
    assert not MeetingPulse.objects.exists()


def test_an_occurrence_the_series_does_not_have_is_not_found(pair):
    series, _recurrence_id = meeting_in(pair, -HOUR)

    for bad in ("20200101T090000", "garbage", "x" * 500):
        with pytest.raises(NotFoundError):
            services.pulse_set(series=series, recurrence_id=bad, by=pair.mentee, usefulness=3)


@pytest.mark.parametrize("value", [0, 6, -1, "x", "", None, True, 3.5, [3]])
def test_usefulness_is_one_to_five(pair, value):
    series, recurrence_id = meeting_in(pair, -HOUR)

    with pytest.raises(ValidationError) as error:
        services.pulse_set(
            series=series, recurrence_id=recurrence_id, by=pair.mentee, usefulness=value
        )

    assert "usefulness" in error.value.message_dict
    assert not MeetingPulse.objects.exists()


def test_a_comment_is_at_most_500_characters(pair):
    series, recurrence_id = meeting_in(pair, -HOUR)

    with pytest.raises(ValidationError) as error:
        services.pulse_set(
            series=series,
            recurrence_id=recurrence_id,
            by=pair.mentee,
            usefulness=3,
            comment="x" * 501,
        )

    assert "comment" in error.value.message_dict
    services.pulse_set(
        series=series, recurrence_id=recurrence_id, by=pair.mentee, usefulness=3, comment="x" * 500
    )


def test_only_current_participants_rate(pair):
    series, recurrence_id = meeting_in(pair, -HOUR)
    manager = ProfileFactory().user
    pair.program.managers.add(manager)
    outsider = ProfileFactory().user

    with pytest.raises(PermissionDeniedError):
        services.pulse_set(series=series, recurrence_id=recurrence_id, by=manager, usefulness=3)
    with pytest.raises(NotFoundError):
        services.pulse_set(series=series, recurrence_id=recurrence_id, by=outsider, usefulness=3)

    group = berlin_new_york_tokyo_group()
    people = group_people(group)
    group_series, group_id = meeting_in(group, -HOUR)
    group_leave(mentorship=group, by=people["kenji"], reason=GroupLeaveReason.OTHER, note="Bye")
    group.refresh_from_db()
    with pytest.raises(NotFoundError):
        services.pulse_set(
            series=group_series, recurrence_id=group_id, by=people["kenji"], usefulness=3
        )
    services.pulse_set(series=group_series, recurrence_id=group_id, by=people["noah"], usefulness=3)
    assert list(MeetingPulse.objects.values_list("user_id", flat=True)) == [people["noah"].pk]


def test_the_pulse_overview_withholds_fewer_than_three(pair):
    series, recurrence_id = meeting_in(pair, -HOUR)
    services.pulse_set(
        series=series, recurrence_id=recurrence_id, by=pair.mentee, usefulness=4, comment="Nice"
    )
    services.pulse_set(series=series, recurrence_id=recurrence_id, by=pair.mentor, usefulness=2)

    overview = selectors.pulse_overview(program=pair.program)
    assert (overview.responses, overview.is_withheld, overview.comments) == (2, True, [])

    other = berlin_new_york_pair(program=pair.program)
    other_series, other_id = meeting_in(other, -HOUR)
    services.pulse_set(
        series=other_series, recurrence_id=other_id, by=other.mentee, usefulness=5, comment="Yes"
    )
    old = MeetingPulse.objects.create(
        meeting_series=other_series, recurrence_id=other_id, user=other.mentor, usefulness=1
    )
    MeetingPulse.objects.filter(pk=old.pk).update(created_at=timezone.now() - 91 * DAY)

    overview = selectors.pulse_overview(program=pair.program)
    assert overview.responses == 3
    assert overview.average == pytest.approx(3.7)
    assert overview.distribution == [(1, 0, 0), (2, 1, 33), (3, 0, 0), (4, 1, 33), (5, 1, 33)]
    assert sorted(overview.comments) == ["Nice", "Yes"]


# Surveys: answering --------------------------------------------------------------------------


def assignment_for(pair, user, survey, *, opens_in=-DAY):
    return SurveyAssignment.objects.create(
        survey=survey,
        mentorship=pair,
        user=user,
        role="mentor" if user.pk == pair.mentor_id else "mentee",
        opens_at=timezone.now() + opens_in,
    )


def test_a_mentee_answers_the_questions_for_mentees(pair):
    survey = survey_in(pair.program)
    asked = questions(survey)
    assignment = assignment_for(pair, pair.mentee, survey)

    services.survey_answer(
        assignment=assignment,
        by=pair.mentee,
        answers={f"question_{asked['scale'].pk}": "4", asked["choice"].pk: "Advice"},
    )

    assignment.refresh_from_db()
    assert assignment.submitted_at is not None
    assert dict(SurveyAnswer.objects.values_list("question_id", "value")) == {
        asked["scale"].pk: 4,
        asked["choice"].pk: "Advice",
    }


def test_questions_for_the_other_role_and_bad_values_are_refused(pair):
    survey = survey_in(pair.program)
    asked = questions(survey)
    assignment = assignment_for(pair, pair.mentee, survey)

    with pytest.raises(ValidationError) as error:
        services.survey_answer(
            assignment=assignment,
            by=pair.mentee,
            answers={asked["text"].pk: "For mentors", asked["choice"].pk: "Money"},
        )

    assert set(error.value.message_dict) == {
        f"question_{asked['text'].pk}",
        f"question_{asked['choice'].pk}",
        f"question_{asked['scale'].pk}",  # required
    }
    assert not SurveyAnswer.objects.exists()
    assignment.refresh_from_db()
    assert assignment.submitted_at is None


def test_a_survey_is_answered_once_by_its_own_person_once_open(pair):
    survey = survey_in(pair.program)
    scale = questions(survey)["scale"]
    mine = assignment_for(pair, pair.mentee, survey)
    later = assignment_for(pair, pair.mentor, survey, opens_in=DAY)

    with pytest.raises(NotFoundError):
        services.survey_answer(assignment=mine, by=pair.mentor, answers={scale.pk: 3})
    with pytest.raises(NotFoundError):
        services.survey_answer(assignment=later, by=pair.mentor, answers={scale.pk: 3})
    services.survey_answer(assignment=mine, by=pair.mentee, answers={scale.pk: 3})
    with pytest.raises(ValidationError, match="already answered"):
        services.survey_answer(assignment=mine, by=pair.mentee, answers={scale.pk: 1})

    assert list(SurveyAnswer.objects.values_list("value", flat=True)) == [3]


# Surveys: the managers' side ----------------------------------------------------------------


@pytest.fixture
def manager(pair):
    person = ProfileFactory().user
    pair.program.managers.add(person)
    return person


def test_managers_create_a_survey_with_questions_and_activate_it(pair, manager):
    survey = services.survey_create(
        program=pair.program, by=manager, kind="midpoint", title="  Halfway  "
    )
    assert (survey.title, survey.is_active, survey.created_by) == ("Halfway", False, manager)

    with pytest.raises(ValidationError, match="at least one question"):
        services.survey_set_active(survey=survey, by=manager, is_active=True)
    first = services.survey_question_create(
        survey=survey, by=manager, kind="scale", label="How useful?"
    )
    second = services.survey_question_create(
        survey=survey,
        by=manager,
        kind="multiple_choice",
        label="What helped?",
        choices=[" Talks ", "Advice"],
        audience="mentees",
    )
    assert (first.position, second.position, second.choices) == (0, 1, ["Talks", "Advice"])
    services.survey_question_place(question=second, by=manager, position=0)
    assert list(survey.questions.values_list("pk", flat=True)) == [second.pk, first.pk]

    services.survey_set_active(survey=survey, by=manager, is_active=True)
    assert Survey.objects.get(pk=survey.pk).is_active


def test_bad_survey_and_question_input_is_refused(pair, manager):
    with pytest.raises(ValidationError) as error:
        services.survey_create(program=pair.program, by=manager, kind="weekly", title="")
    assert set(error.value.message_dict) == {"kind", "title"}
    survey = survey_in(pair.program, is_active=False)
    for bad in (
        {"kind": "single_choice", "label": "Pick", "choices": ["One"]},
        {"kind": "text", "label": "Say", "choices": ["One", "Two"]},
        {"kind": "rating", "label": "Rate"},
        {"kind": "text", "label": ""},
        {"kind": "text", "label": "Say", "audience": "managers"},
    ):
        with pytest.raises(ValidationError):
            services.survey_question_create(survey=survey, by=manager, **bad)
    assert survey.questions.count() == 3


def test_one_active_survey_per_kind(pair, manager):
    survey_in(pair.program, SurveyKind.MIDPOINT)
    second = survey_in(pair.program, SurveyKind.MIDPOINT, is_active=False)
    survey_in(pair.program, SurveyKind.END)

    with pytest.raises(ValidationError, match="Another mid-point survey is active"):
        services.survey_set_active(survey=second, by=manager, is_active=True)

    assert Survey.objects.filter(kind="midpoint", is_active=True).count() == 1


def test_names_cannot_be_turned_on_once_people_were_told_otherwise(pair, manager):
    survey = survey_in(pair.program)
    assignment_for(pair, pair.mentee, survey)

    with pytest.raises(ValidationError) as error:
        services.survey_update(survey=survey, by=manager, data={"shows_names": True})
    assert "shows_names" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.survey_update(survey=survey, by=manager, data={"kind": "end"})
    assert "kind" in error.value.message_dict

    services.survey_update(survey=survey, by=manager, data={"title": "Renamed"})
    survey.refresh_from_db()
    assert (survey.title, survey.shows_names, survey.kind) == ("Renamed", False, "midpoint")


def test_deactivating_withdraws_the_copies_not_opened_yet(pair, manager):
    survey = survey_in(pair.program)
    opened = assignment_for(pair, pair.mentee, survey)
    assignment_for(pair, pair.mentor, survey, opens_in=DAY)

    services.survey_set_active(survey=survey, by=manager, is_active=False)

    assert list(SurveyAssignment.objects.values_list("pk", flat=True)) == [opened.pk]


def test_an_answered_question_keeps_its_kind(pair, manager):
    survey = survey_in(pair.program)
    scale = questions(survey)["scale"]
    assignment = assignment_for(pair, pair.mentee, survey)
    services.survey_answer(assignment=assignment, by=pair.mentee, answers={scale.pk: 5})

    with pytest.raises(ValidationError) as error:
        services.survey_question_update(question=scale, by=manager, data={"kind": "text"})
    assert "kind" in error.value.message_dict
    services.survey_question_update(question=scale, by=manager, data={"label": "Better?"})
    assert SurveyQuestion.objects.get(pk=scale.pk).label == "Better?"


def test_people_who_do_not_manage_the_program_change_nothing(pair):
    survey = survey_in(pair.program, is_active=False)
    question = questions(survey)["scale"]
    for person in (pair.mentor, pair.mentee, ProfileFactory().user):
        for call in (
            lambda p: services.survey_create(program=pair.program, by=p, kind="end", title="T"),
            lambda p: services.survey_update(survey=survey, by=p, data={"title": "X"}),
            lambda p: services.survey_set_active(survey=survey, by=p, is_active=True),
            lambda p: services.survey_question_create(survey=survey, by=p, kind="text", label="Q"),
            lambda p: services.survey_question_update(question=question, by=p, data={"label": "X"}),
            lambda p: services.survey_question_delete(question=question, by=p),
            lambda p: services.survey_question_place(question=question, by=p, position=2),
        ):
            with pytest.raises(PermissionDeniedError):
                call(person)
    survey.refresh_from_db()
    assert (Survey.objects.count(), survey.title, survey.is_active) == (1, survey.title, False)
    assert list(survey.questions.values_list("label", "position")) == [
        ("How is it going?", 0),
        ("What helps most?", 1),
        ("What would you change?", 2),
    ]


# Results ------------------------------------------------------------------------------------


def answered_by(pair, user, survey, answers):
    assignment = assignment_for(pair, user, survey)
    services.survey_answer(assignment=assignment, by=user, answers=answers)
    return assignment


def test_results_are_withheld_below_three_answers(pair):
    survey = survey_in(pair.program)
    asked = questions(survey)
    answered_by(pair, pair.mentee, survey, {asked["scale"].pk: 4, asked["choice"].pk: "Advice"})
    answered_by(pair, pair.mentor, survey, {asked["scale"].pk: 2, asked["text"].pk: "More time"})

    results = selectors.survey_results(survey=survey)

    assert (results.opened, results.answered, results.rate) == (2, 2, 100)
    assert [(r.answered, r.is_withheld) for r in results.questions] == [
        (2, True),
        (1, True),
        (1, True),
    ]
    assert all(r.average is None and not r.counts and not r.texts for r in results.questions)
    assert results.people == []


def test_results_sum_up_three_or_more_answers_without_names(pair):
    survey = survey_in(pair.program)
    asked = questions(survey)
    others = [berlin_new_york_pair(program=pair.program) for _ in range(2)]
    for index, mentorship in enumerate([pair, *others]):
        answered_by(
            mentorship,
            mentorship.mentee,
            survey,
            {
                asked["scale"].pk: 3 + index,
                asked["choice"].pk: ["Advice", "Advice", "Contacts"][index],
            },
        )
        answered_by(
            mentorship,
            mentorship.mentor,
            survey,
            {asked["scale"].pk: 5, asked["text"].pk: ["b more", "A less", "c same"][index]},
        )
    assignment_for(pair, ProfileFactory().user, survey)  # opened, not answered

    results = selectors.survey_results(survey=survey)

    assert (results.opened, results.answered, results.rate) == (7, 6, 86)
    scale, choice, text = results.questions
    assert (scale.answered, scale.average) == (6, pytest.approx(4.5))
    assert scale.counts == [(1, 0, 0), (2, 0, 0), (3, 1, 17), (4, 1, 17), (5, 4, 67)]
    assert choice.counts == [("Listening", 0, 0), ("Advice", 2, 67), ("Contacts", 1, 33)]
    assert text.texts == ["A less", "b more", "c same"]
    assert results.people == []


def test_names_only_where_the_survey_shows_them(pair):
    survey = survey_in(pair.program, shows_names=True)
    asked = questions(survey)
    answered_by(pair, pair.mentee, survey, {asked["scale"].pk: 4, asked["choice"].pk: "Advice"})

    results = selectors.survey_results(survey=survey)

    assert not results.questions[0].is_withheld
    assert [(p.assignment.user_id, [(q.pk, v) for q, v in p.answers]) for p in results.people] == [
        (pair.mentee_id, [(asked["scale"].pk, "4"), (asked["choice"].pk, "Advice")])
    ]

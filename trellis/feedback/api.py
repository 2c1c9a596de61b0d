"""REST endpoints for meeting pulses and surveys (mounted at /api/v1/).

A meeting's current participants rate it (404 for outsiders, 403 for the program's
managers and staff, who may see the meeting but not rate it). A person sees and answers
only their own surveys, once opened (404 otherwise). Managers of the program (and staff)
define surveys and read aggregates; anyone else gets 404, as for a survey that does not
exist. Names come with answers only where the survey says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from trellis.accounts.models import User
from trellis.feedback import selectors, services
from trellis.feedback.models import MeetingPulse, Survey, SurveyAssignment, SurveyQuestion
from trellis.programs.models import Program, QuestionAudience
from trellis.programs.selectors import program_for_manager
from trellis.scheduling import selectors as scheduling_selectors

router = Router(tags=["feedback"])


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


# Schemas ------------------------------------------------------------------------------------


class PulseIn(Schema):
    usefulness: int = Field(description="1 not useful, 5 very useful.")
    comment: str = Field("", description="For the program team, shared without your name.")


class PulseOut(Schema):
    series_id: int
    recurrence_id: str
    usefulness: int | None = Field(description="Your answer; null before you answer.")
    comment: str
    can_answer: bool
    problem: str | None = Field(description="Why it cannot be rated now.")
    opens_at: dt.datetime = Field(description="The meeting's start: rating opens.")
    closes_at: dt.datetime = Field(description="30 days after the start.")
    updated_at: dt.datetime | None


class QuestionOut(Schema):
    id: int
    audience: str
    kind: str
    label: str
    help_text: str
    choices: list[str]
    is_required: bool
    position: int


class AssignmentOut(Schema):
    id: int
    survey_id: int
    title: str
    kind: str
    intro: str
    shows_names: bool = Field(description="Managers see your answers with your name.")
    program: str = Field(description="The program's slug.")
    mentorship_id: int
    role: str
    opens_at: dt.datetime
    submitted_at: dt.datetime | None
    status: str = Field(description='"open" or "answered".')


class AssignmentDetailOut(AssignmentOut):
    questions: list[QuestionOut] = Field(description="The questions asked of your role.")
    answers: dict[str, Any] = Field(description="Your answers by question id, once sent.")


class AnswersIn(Schema):
    answers: dict[str, Any] = Field(
        description="Answers by question id: text, a choice, a list of choices or 1-5."
    )


class SurveyIn(Schema):
    kind: str = Field(description='"midpoint" or "end".')
    title: str
    intro: str = ""
    shows_names: bool = False


class SurveyPatch(Schema):
    kind: str | None = None
    title: str | None = None
    intro: str | None = None
    shows_names: bool | None = None
    is_active: bool | None = Field(
        None, description="Active surveys apply to mentorships started from then on."
    )


class SurveyOut(Schema):
    id: int
    program: str
    kind: str
    title: str
    intro: str
    is_active: bool
    shows_names: bool
    created_at: dt.datetime
    questions: list[QuestionOut]


class QuestionIn(Schema):
    kind: str
    label: str
    audience: str = QuestionAudience.EVERYONE.value
    help_text: str = ""
    choices: list[str] = Field(default_factory=list)
    is_required: bool = False


class QuestionPatch(Schema):
    kind: str | None = None
    label: str | None = None
    audience: str | None = None
    help_text: str | None = None
    choices: list[str] | None = None
    is_required: bool | None = None
    position: int | None = Field(None, description="Move it to this place, 0 first.")


class CountOut(Schema):
    value: int | str
    count: int
    share: int = Field(description="Percent of the answers.")


class QuestionResultOut(Schema):
    question_id: int
    label: str
    kind: str
    answered: int
    is_withheld: bool = Field(description="Fewer than 3 answers: not shown.")
    average: float | None
    counts: list[CountOut]
    texts: list[str]


class PersonAnswersOut(Schema):
    user_id: int
    name: str
    role: str
    submitted_at: dt.datetime | None
    answers: dict[str, str]


class ResultsOut(Schema):
    survey_id: int
    shows_names: bool
    opened: int
    answered: int
    scheduled: int
    rate: int | None = Field(description="Percent of the opened copies answered.")
    questions: list[QuestionResultOut]
    people: list[PersonAnswersOut] = Field(description="Only where the survey shows names.")


class PulseOverviewOut(Schema):
    since: dt.datetime
    responses: int
    is_withheld: bool = Field(description="Fewer than 3 responses: nothing else is shown.")
    average: float | None
    distribution: list[CountOut]
    comments: list[str]


# Converters ---------------------------------------------------------------------------------


def _pulse_out(item: Any, pulse: MeetingPulse | None, problem: str | None) -> dict[str, Any]:
    return {
        "series_id": item.series.pk,
        "recurrence_id": item.recurrence_id,
        "usefulness": pulse.usefulness if pulse else None,
        "comment": pulse.comment if pulse else "",
        "can_answer": problem is None,
        "problem": problem,
        "opens_at": item.start,
        "closes_at": item.start + selectors.PULSE_WINDOW,
        "updated_at": pulse.updated_at if pulse else None,
    }


def _question_out(question: SurveyQuestion) -> dict[str, Any]:
    return {
        "id": question.pk,
        "audience": question.audience,
        "kind": question.kind,
        "label": question.label,
        "help_text": question.help_text,
        "choices": list(question.choices or []),
        "is_required": question.is_required,
        "position": question.position,
    }


def _assignment_out(assignment: SurveyAssignment) -> dict[str, Any]:
    survey = assignment.survey
    return {
        "id": assignment.pk,
        "survey_id": survey.pk,
        "title": survey.title,
        "kind": survey.kind,
        "intro": survey.intro,
        "shows_names": survey.shows_names,
        "program": survey.program.slug,
        "mentorship_id": assignment.mentorship_id,
        "role": assignment.role,
        "opens_at": assignment.opens_at,
        "submitted_at": assignment.submitted_at,
        "status": "answered" if assignment.submitted_at else "open",
    }


def _assignment_detail(assignment: SurveyAssignment) -> dict[str, Any]:
    questions = selectors.survey_questions_for_role(survey=assignment.survey, role=assignment.role)
    answers = selectors.assignment_answers(assignment=assignment)
    return {
        **_assignment_out(assignment),
        "questions": [_question_out(q) for q in questions],
        "answers": {str(key): value for key, value in answers.items()},
    }


def _survey_out(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "program": survey.program.slug,
        "kind": survey.kind,
        "title": survey.title,
        "intro": survey.intro,
        "is_active": survey.is_active,
        "shows_names": survey.shows_names,
        "created_at": survey.created_at,
        "questions": [_question_out(q) for q in selectors.survey_question_list(survey=survey)],
    }


def _given(payload: Schema) -> dict[str, Any]:
    """The fields a PATCH sets; a null leaves the field as it is."""
    given = payload.dict(exclude_unset=True)
    return {key: value for key, value in given.items() if value is not None}


def _counts_out(rows: list[tuple[Any, int, int]]) -> list[dict[str, Any]]:
    return [{"value": value, "count": count, "share": share} for value, count, share in rows]


# Pulse --------------------------------------------------------------------------------------


def _pulse_target(request: HttpRequest, series_id: int, recurrence_id: str) -> Any:
    series = scheduling_selectors.series_for(series_id=series_id, user=_user(request))
    return services.pulse_occurrence(
        series=series, recurrence_id=recurrence_id, user=_user(request)
    )


@router.get(
    "/meetings/{series_id}/{recurrence_id}/pulse",
    response=PulseOut,
    summary="Your pulse of a meeting (usefulness null before you answer)",
)
def pulse_get(request: HttpRequest, series_id: int, recurrence_id: str) -> dict[str, Any]:
    item = _pulse_target(request, series_id, recurrence_id)
    view = selectors.pulse_view(
        series=item.series, recurrence_id=recurrence_id, user=_user(request)
    )
    assert view is not None  # noqa: S101 - pulse_occurrence let only participants through
    return _pulse_out(item, view.pulse, view.problem)


@router.put(
    "/meetings/{series_id}/{recurrence_id}/pulse",
    response=PulseOut,
    summary="Rate a meeting 1-5, from its start to 30 days on; again to change it",
)
def pulse_put(
    request: HttpRequest, series_id: int, recurrence_id: str, payload: PulseIn
) -> dict[str, Any]:
    item = _pulse_target(request, series_id, recurrence_id)
    pulse = services.pulse_set(
        series=item.series,
        recurrence_id=recurrence_id,
        by=_user(request),
        usefulness=payload.usefulness,
        comment=payload.comment,
    )
    return _pulse_out(item, pulse, None)


# My surveys ---------------------------------------------------------------------------------


@router.get("/surveys", response=list[AssignmentOut], summary="Your opened surveys")
def survey_list(request: HttpRequest) -> list[dict[str, Any]]:
    mine = selectors.survey_list_for_user(user=_user(request))
    return [_assignment_out(a) for a in [*mine.open, *mine.answered]]


@router.get(
    "/surveys/{assignment_id}",
    response=AssignmentDetailOut,
    summary="One of your surveys: its questions for your role, and your answers once sent",
)
def survey_detail(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    assignment = selectors.assignment_for(assignment_id=assignment_id, user=_user(request))
    return _assignment_detail(assignment)


@router.post(
    "/surveys/{assignment_id}/answers",
    response={201: AssignmentDetailOut},
    summary="Answer one of your open surveys, once",
)
def survey_answer(request: HttpRequest, assignment_id: int, payload: AnswersIn) -> Status[Any]:
    user = _user(request)
    assignment = selectors.assignment_for(assignment_id=assignment_id, user=user)
    services.survey_answer(assignment=assignment, by=user, answers=payload.answers)
    return Status(201, _assignment_detail(assignment))


# Managers -----------------------------------------------------------------------------------


def _managed_program(request: HttpRequest, slug: str) -> Program:
    return program_for_manager(slug=slug, user=_user(request))


@router.get("/programs/{slug}/surveys", response=list[SurveyOut], summary="The program's surveys")
def program_survey_list(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    program = _managed_program(request, slug)
    return [_survey_out(survey) for survey in selectors.survey_list(program=program)]


@router.post(
    "/programs/{slug}/surveys",
    response={201: SurveyOut},
    summary="Define a survey (inactive until activated)",
)
def program_survey_create(request: HttpRequest, slug: str, payload: SurveyIn) -> Status[Any]:
    program = _managed_program(request, slug)
    survey = services.survey_create(program=program, by=_user(request), **payload.dict())
    return Status(201, _survey_out(survey))


@router.get("/program-surveys/{survey_id}", response=SurveyOut, summary="A survey")
def program_survey_detail(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    return _survey_out(selectors.survey_for_manager(survey_id=survey_id, user=_user(request)))


@router.patch(
    "/program-surveys/{survey_id}",
    response=SurveyOut,
    summary="Change a survey, or activate or deactivate it",
)
def program_survey_update(
    request: HttpRequest, survey_id: int, payload: SurveyPatch
) -> dict[str, Any]:
    user = _user(request)
    survey = selectors.survey_for_manager(survey_id=survey_id, user=user)
    data = _given(payload)
    is_active = data.pop("is_active", None)
    with transaction.atomic():
        if data:
            survey = services.survey_update(survey=survey, by=user, data=data)
        if is_active is not None:
            survey = services.survey_set_active(survey=survey, by=user, is_active=is_active)
    return _survey_out(survey)


@router.post(
    "/program-surveys/{survey_id}/questions",
    response={201: QuestionOut},
    summary="Add a question at the end of a survey",
)
def program_survey_question_add(
    request: HttpRequest, survey_id: int, payload: QuestionIn
) -> Status[Any]:
    user = _user(request)
    survey = selectors.survey_for_manager(survey_id=survey_id, user=user)
    question = services.survey_question_create(survey=survey, by=user, **payload.dict())
    return Status(201, _question_out(question))


@router.patch(
    "/survey-questions/{question_id}",
    response=QuestionOut,
    summary="Change a question, or move it (position)",
)
def survey_question_update(
    request: HttpRequest, question_id: int, payload: QuestionPatch
) -> dict[str, Any]:
    user = _user(request)
    question = selectors.question_for_manager(question_id=question_id, user=user)
    data = _given(payload)
    position = data.pop("position", None)
    with transaction.atomic():
        if data:
            question = services.survey_question_update(question=question, by=user, data=data)
        if position is not None:
            services.survey_question_place(question=question, by=user, position=position)
    return _question_out(question)


@router.delete(
    "/survey-questions/{question_id}",
    response={204: None},
    summary="Delete a question and its answers",
)
def survey_question_delete(request: HttpRequest, question_id: int) -> Status[None]:
    user = _user(request)
    question = selectors.question_for_manager(question_id=question_id, user=user)
    services.survey_question_delete(question=question, by=user)
    return Status(204, None)


@router.get(
    "/program-surveys/{survey_id}/results",
    response=ResultsOut,
    summary="Response counts and per-question aggregates (names only where the survey says)",
)
def program_survey_results(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    survey = selectors.survey_for_manager(survey_id=survey_id, user=_user(request))
    results = selectors.survey_results(survey=survey)
    return {
        "survey_id": survey.pk,
        "shows_names": survey.shows_names,
        "opened": results.opened,
        "answered": results.answered,
        "scheduled": results.scheduled,
        "rate": results.rate,
        "questions": [
            {
                "question_id": r.question.pk,
                "label": r.question.label,
                "kind": r.question.kind,
                "answered": r.answered,
                "is_withheld": r.is_withheld,
                "average": r.average,
                "counts": _counts_out(r.counts),
                "texts": r.texts,
            }
            for r in results.questions
        ],
        "people": [
            {
                "user_id": person.assignment.user_id,
                "name": person.assignment.user.display_name,
                "role": person.assignment.role,
                "submitted_at": person.assignment.submitted_at,
                "answers": {str(q.pk): text for q, text in person.answers},
            }
            for person in results.people
        ],
    }


@router.get(
    "/programs/{slug}/pulse",
    response=PulseOverviewOut,
    summary="The program's meeting pulse of the last 90 days, without names",
)
def program_pulse(request: HttpRequest, slug: str) -> dict[str, Any]:
    overview = selectors.pulse_overview(program=_managed_program(request, slug))
    withheld = overview.is_withheld
    return {
        "since": overview.since,
        "responses": overview.responses,
        "is_withheld": withheld,
        "average": None if withheld else overview.average,
        "distribution": [] if withheld else _counts_out(overview.distribution),
        "comments": overview.comments,
    }

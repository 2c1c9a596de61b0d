"""Surveys with questions, and the worlds the feedback tests start from."""

from __future__ import annotations

from typing import Any

from trellis.feedback.models import Survey, SurveyKind, SurveyQuestion
from trellis.programs.models import QuestionAudience, QuestionKind


def survey_in(
    program: Any,
    kind: str = SurveyKind.MIDPOINT,
    *,
    is_active: bool = True,
    shows_names: bool = False,
    title: str | None = None,
) -> Survey:
    """A survey with a scale question for everyone, a choice for mentees, text for mentors."""
    survey = Survey.objects.create(
        program=program,
        kind=kind,
        title=title or f"{SurveyKind(kind).label} of {program.name}",
        intro="Five minutes, please.",
        is_active=is_active,
        shows_names=shows_names,
    )
    SurveyQuestion.objects.create(
        survey=survey,
        kind=QuestionKind.SCALE,
        label="How is it going?",
        is_required=True,
        position=0,
    )
    SurveyQuestion.objects.create(
        survey=survey,
        kind=QuestionKind.SINGLE_CHOICE,
        audience=QuestionAudience.MENTEES,
        label="What helps most?",
        choices=["Listening", "Advice", "Contacts"],
        position=1,
    )
    SurveyQuestion.objects.create(
        survey=survey,
        kind=QuestionKind.TEXT,
        audience=QuestionAudience.MENTORS,
        label="What would you change?",
        position=2,
    )
    return survey


def questions(survey: Survey) -> dict[str, SurveyQuestion]:
    """The helper survey's questions: "scale", "choice" (mentees) and "text" (mentors)."""
    by_kind = {q.kind: q for q in survey.questions.all()}
    return {
        "scale": by_kind[QuestionKind.SCALE],
        "choice": by_kind[QuestionKind.SINGLE_CHOICE],
        "text": by_kind[QuestionKind.TEXT],
    }

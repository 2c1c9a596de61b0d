"""Forms parse what people type; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms

from trellis.feedback.models import MAX_INTRO_LENGTH, MAX_TITLE_LENGTH, SurveyKind, SurveyQuestion
from trellis.programs.forms import (
    IntakeQuestionForm,
    ServiceErrorsMixin,
    question_field_name,
    question_form_field,
)


class SurveyForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(choices=SurveyKind.choices, label="Kind of survey")
    title = forms.CharField(max_length=MAX_TITLE_LENGTH)
    intro = forms.CharField(
        required=False,
        max_length=MAX_INTRO_LENGTH,
        label="Introduction",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown above the questions: why you ask, how long it takes.",
    )
    shows_names = forms.BooleanField(
        required=False,
        label="Managers see each person's answers with their name",
        help_text=(
            "The form tells people so before they answer. Without it, managers see only "
            "totals, and only once 3 or more have answered. It cannot be turned on once "
            "people have been given the survey."
        ),
    )

    @classmethod
    def initial_for(cls, survey: Any) -> dict[str, Any]:
        return {
            field: getattr(survey, field) for field in ("kind", "title", "intro", "shows_names")
        }


class SurveyQuestionForm(IntakeQuestionForm):
    """The intake question form: the same kinds, audiences and choices."""


class SurveyAnswerForm(ServiceErrorsMixin, forms.Form):
    """One field per question asked of the person (all optional here: the service checks)."""

    def __init__(self, *args: Any, questions: list[SurveyQuestion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            field = question_form_field(question)
            if question.is_required:
                field.label = f"{question.label} (required)"
            self.fields[question_field_name(question)] = field

    def answers(self) -> dict[int, Any]:
        return {q.pk: self.cleaned_data.get(question_field_name(q)) for q in self.questions}

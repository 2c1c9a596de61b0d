"""Forms parse what people type; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet

from trellis.profiles.models import MeetingFrequency
from trellis.programs.models import (
    EnrollmentMode,
    EnrollmentStatus,
    IntakeQuestion,
    Organisation,
    Program,
    ProgramType,
    QuestionAudience,
    QuestionKind,
    Role,
)
from trellis.programs.selectors import AUDIENCES_BY_ROLE
from trellis.programs.services import (
    MAX_CAPACITY,
    MAX_CHOICE_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_TEXT_ANSWER,
    MAX_WEEKS,
    MIN_CAPACITY,
    MIN_WEEKS,
    SCALE_MAX,
    SCALE_MIN,
    AskedQuestion,
    allowed_roles,
)


class ServiceErrorsMixin:
    """Show a service's ValidationError on the form's fields (or above it)."""

    def add_service_errors(self, error: ValidationError) -> None:
        form: Any = self
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            if field == NON_FIELD_ERRORS:
                target = None
            form.add_error(target, messages)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class ProgramForm(ServiceErrorsMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), empty_label=None, label="Organisation"
    )
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(
        max_length=60,
        label="Address",
        help_text="Used in the program's web address: lowercase letters, numbers, hyphens.",
    )
    description = forms.CharField(
        required=False,
        max_length=MAX_DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Simple HTML is kept (paragraphs, lists, links, emphasis); the rest is removed.",
    )
    values = forms.CharField(
        required=False,
        label="Values",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, for example “Curiosity”.",
    )
    program_type = forms.ChoiceField(choices=ProgramType.choices, label="Type")
    enrollment_mode = forms.ChoiceField(choices=EnrollmentMode.choices, label="Who may join")
    cycle_start = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Cycle starts"
    )
    cycle_end = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Cycle ends"
    )
    meeting_frequency = forms.ChoiceField(choices=MeetingFrequency.choices)
    default_mentor_capacity = forms.IntegerField(
        min_value=MIN_CAPACITY,
        max_value=MAX_CAPACITY,
        label="Mentees per mentor",
        help_text=(
            "How many mentees a mentor takes by default; in a group program, the size of "
            "the mentor's group."
        ),
    )
    expected_length_weeks = forms.IntegerField(
        min_value=MIN_WEEKS, max_value=MAX_WEEKS, label="Expected length (weeks)"
    )
    is_published = forms.BooleanField(
        required=False,
        label="Published",
        help_text="Published programs are listed to everyone signed in.",
    )
    allows_direct_messages = forms.BooleanField(
        required=False,
        initial=True,
        label="Direct messages",
        help_text="Participants may write to each other directly, outside their mentorships.",
    )

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, program: Program) -> dict[str, Any]:
        return {
            "name": program.name,
            "slug": program.slug,
            "description": program.description,
            "values": "\n".join(program.values or []),
            "program_type": program.program_type,
            "enrollment_mode": program.enrollment_mode,
            "cycle_start": program.cycle_start,
            "cycle_end": program.cycle_end,
            "meeting_frequency": program.meeting_frequency,
            "default_mentor_capacity": program.default_mentor_capacity,
            "expected_length_weeks": program.expected_length_weeks,
            "is_published": program.is_published,
            "allows_direct_messages": program.allows_direct_messages,
        }

    def program_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("organisation", None)
        data["values"] = _lines(data.get("values", ""))
        return data


class IntakeQuestionForm(ServiceErrorsMixin, forms.Form):
    label = forms.CharField(max_length=200, label="Question")
    help_text = forms.CharField(max_length=300, required=False, label="Hint")
    kind = forms.ChoiceField(choices=QuestionKind.choices, label="Kind of answer")
    audience = forms.ChoiceField(choices=QuestionAudience.choices, label="Asked of")
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            f"For choice questions: one choice per line, 2 to 20, each under "
            f"{MAX_CHOICE_LENGTH} characters. Leave empty otherwise."
        ),
    )
    is_required = forms.BooleanField(required=False, label="An answer is required")

    @classmethod
    def initial_for(cls, question: AskedQuestion) -> dict[str, Any]:
        return {
            "label": question.label,
            "help_text": question.help_text,
            "kind": question.kind,
            "audience": question.audience,
            "choices": "\n".join(question.choices or []),
            "is_required": question.is_required,
        }

    def question_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["choices"] = _lines(data.get("choices", ""))
        return data


def question_field_name(question: AskedQuestion) -> str:
    return f"question_{question.pk}"


def question_form_field(question: AskedQuestion) -> forms.Field:
    """The optional form field for a question of any kind (the service checks required)."""
    common: dict[str, Any] = {
        "label": question.label,
        "help_text": question.help_text,
        "required": False,
    }
    options = [(choice, choice) for choice in question.choices]
    if question.kind == QuestionKind.SINGLE_CHOICE:
        return forms.ChoiceField(choices=options, widget=forms.RadioSelect, **common)
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            choices=options, widget=forms.CheckboxSelectMultiple, **common
        )
    if question.kind == QuestionKind.SCALE:
        return forms.TypedChoiceField(
            choices=[(str(n), str(n)) for n in range(SCALE_MIN, SCALE_MAX + 1)],
            coerce=int,
            empty_value=None,
            widget=forms.RadioSelect,
            **common,
        )
    return forms.CharField(
        max_length=MAX_TEXT_ANSWER, widget=forms.Textarea(attrs={"rows": 3}), **common
    )


class JoinForm(ServiceErrorsMixin, forms.Form):
    """The role, then one field per intake question (all optional here: the service checks)."""

    role = forms.ChoiceField(label="I want to join as")

    def __init__(
        self, *args: Any, program: Program, questions: list[IntakeQuestion], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.program = program
        self.questions = questions
        roles = allowed_roles(program)
        role_field: Any = self.fields["role"]
        role_field.choices = [(role, Role(role).label) for role in roles]
        if len(roles) == 1:
            role_field.initial = roles[0]
        else:
            role_field.choices = [("", "Choose a role"), *role_field.choices]
        for question in questions:
            self.fields[question_field_name(question)] = question_form_field(question)

    def question_fields(self) -> list[tuple[IntakeQuestion, forms.BoundField]]:
        return [(q, self[question_field_name(q)]) for q in self.questions]

    def answers(self) -> dict[int, Any]:
        """The answers given, keyed by question id (the service picks the role's questions)."""
        role = self.cleaned_data.get("role")
        audiences = AUDIENCES_BY_ROLE.get(Role(role), ()) if role else ()
        return {
            q.pk: self.cleaned_data.get(question_field_name(q))
            for q in self.questions
            if q.audience in audiences
        }


class ParticipantFilterForm(forms.Form):
    search = forms.CharField(required=False, max_length=100, label="Search by name or email")
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *EnrollmentStatus.choices]
    )
    role = forms.ChoiceField(required=False, choices=[("", "Any role"), *Role.choices])


class InvitationForm(ServiceErrorsMixin, forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(label="Role")

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field: Any = self.fields["role"]
        role_field.choices = [(role, Role(role).label) for role in allowed_roles(program)]

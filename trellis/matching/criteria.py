"""Which criteria a program may use: the fields they compare and the kinds that fit each.

A criterion compares one field of a mentor with the same field of a mentee: a profile field
("languages", "skills", ...) or an intake question ("intake:<question id>"). The kind says
how; the parameter's meaning depends on the kind (see PARAMETERS).
"""

from __future__ import annotations

from dataclasses import dataclass

from trellis.matching.engine.spec import DEFAULT_PARAMETERS, PARAMETER_RANGES, Kind
from trellis.matching.models import CriterionKind
from trellis.programs.models import IntakeQuestion, QuestionKind

INTAKE_PREFIX = "intake:"


@dataclass(frozen=True)
class FieldSpec:
    label: str
    kinds: tuple[str, ...]


PROFILE_FIELDS: dict[str, FieldSpec] = {
    "languages": FieldSpec("Languages", (CriterionKind.OVERLAP,)),
    "interests": FieldSpec("Interests", (CriterionKind.OVERLAP,)),
    "values": FieldSpec("Values", (CriterionKind.OVERLAP,)),
    "skills": FieldSpec(
        "Skills (offered by the mentor, sought by the mentee)", (CriterionKind.COMPLEMENT,)
    ),
    "seniority": FieldSpec("Seniority", (CriterionKind.SENIORITY_GAP,)),
    "time_zone": FieldSpec("Time zone", (CriterionKind.TIME_ZONE,)),
    "availability": FieldSpec("Weekly availability", (CriterionKind.AVAILABILITY,)),
    "communication_modes": FieldSpec("Ways to meet", (CriterionKind.OVERLAP,)),
    "department_line": FieldSpec("Department and reporting line", (CriterionKind.NOT_SAME_LINE,)),
    "organisation": FieldSpec(
        "Organisation",
        (CriterionKind.DIFFERENT_VALUE, CriterionKind.SAME_VALUE),
    ),
    "text": FieldSpec("Goals, bio and skills (free text)", (CriterionKind.TEXT,)),
}

KIND_BY_QUESTION = {
    QuestionKind.SINGLE_CHOICE: CriterionKind.SAME_VALUE,
    QuestionKind.MULTIPLE_CHOICE: CriterionKind.OVERLAP,
    QuestionKind.SCALE: CriterionKind.CLOSENESS,
    QuestionKind.TEXT: CriterionKind.TEXT,
}


@dataclass(frozen=True)
class ParameterSpec:
    """What a kind's parameter means, its range and its default (the engine's)."""

    label: str
    is_whole: bool = True

    def bounds(self, kind: str) -> tuple[float, float]:
        return PARAMETER_RANGES[Kind(kind)]

    def default(self, kind: str) -> float:
        return DEFAULT_PARAMETERS[Kind(kind)]


PARAMETERS: dict[str, ParameterSpec] = {
    CriterionKind.OVERLAP: ParameterSpec("At least this many in common"),
    CriterionKind.COMPLEMENT: ParameterSpec("At least this many skills"),
    CriterionKind.SENIORITY_GAP: ParameterSpec("Mentor at least this many levels above"),
    CriterionKind.TIME_ZONE: ParameterSpec("At most this many hours apart", is_whole=False),
    CriterionKind.AVAILABILITY: ParameterSpec(
        "At least this many shared hours a week", is_whole=False
    ),
    CriterionKind.CLOSENESS: ParameterSpec("At most this far apart on the scale"),
    CriterionKind.TEXT: ParameterSpec("At least this similar (0 to 1)", is_whole=False),
}


def question_id_of(field: str) -> int | None:
    """The question id of an "intake:<id>" field, else None."""
    if not field.startswith(INTAKE_PREFIX):
        return None
    raw = field[len(INTAKE_PREFIX) :]
    return int(raw) if raw.isdigit() else None


def kinds_for_question(question: IntakeQuestion) -> tuple[str, ...]:
    kind = KIND_BY_QUESTION.get(QuestionKind(question.kind))
    return (kind,) if kind else ()


def field_choices(questions: list[IntakeQuestion]) -> list[tuple[str, str]]:
    """The fields a criterion may compare in a program with these intake questions."""
    choices = [(name, spec.label) for name, spec in PROFILE_FIELDS.items()]
    choices += [(f"{INTAKE_PREFIX}{q.pk}", f"Intake: {q.label}") for q in questions]
    return choices


def field_label(field: str, questions_by_id: dict[int, IntakeQuestion]) -> str:
    if field in PROFILE_FIELDS:
        return PROFILE_FIELDS[field].label
    question_id = question_id_of(field)
    question = questions_by_id.get(question_id) if question_id is not None else None
    return f"Intake: {question.label}" if question else "A deleted intake question"


@dataclass(frozen=True)
class DefaultCriterion:
    kind: str
    field: str
    is_hard_rule: bool
    weight: int
    parameter: float | None


# What a program matches on until its managers choose otherwise.
DEFAULT_CRITERIA: tuple[DefaultCriterion, ...] = (
    DefaultCriterion(CriterionKind.OVERLAP, "languages", True, 5, 1),
    DefaultCriterion(CriterionKind.NOT_SAME_LINE, "department_line", True, 5, None),
    DefaultCriterion(CriterionKind.COMPLEMENT, "skills", False, 8, 1),
    DefaultCriterion(CriterionKind.TIME_ZONE, "time_zone", False, 6, 8),
    DefaultCriterion(CriterionKind.OVERLAP, "interests", False, 4, 1),
    DefaultCriterion(CriterionKind.TEXT, "text", False, 5, 0.1),
    DefaultCriterion(CriterionKind.OVERLAP, "values", False, 3, 1),
    DefaultCriterion(CriterionKind.SENIORITY_GAP, "seniority", False, 4, 1),
)

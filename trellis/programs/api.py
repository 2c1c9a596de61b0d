"""REST endpoints for programs and enrollments (mounted at /api/v1/)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.programs import selectors, services
from trellis.programs.models import Enrollment, IntakeQuestion, Program

router = Router(tags=["programs"])

PARTICIPANTS_PAGE_SIZE = 50
RoleName = Literal["mentor", "mentee", "both"]
StatusName = Literal["pending", "approved", "declined", "left"]


class OrganisationOut(Schema):
    id: int
    slug: str
    name: str


class ProgramOut(Schema):
    id: int
    slug: str
    name: str
    organisation: OrganisationOut
    description: str = Field(description="Sanitized HTML.")
    values: list[str]
    program_type: str
    enrollment_mode: str
    cycle_start: dt.date | None
    cycle_end: dt.date | None
    meeting_frequency: str
    default_mentor_capacity: int
    expected_length_weeks: int
    is_published: bool
    allows_direct_messages: bool = Field(
        description="Participants may write to each other directly."
    )
    my_status: str | None = Field(description="Your enrollment status, if any.")
    my_role: str | None
    can_manage: bool


class IntakeQuestionOut(Schema):
    id: int
    audience: str
    kind: str
    label: str
    help_text: str
    choices: list[str]
    is_required: bool
    position: int


class ProgramDetailOut(ProgramOut):
    intake_questions: list[IntakeQuestionOut]


class ProgramRefOut(Schema):
    id: int
    slug: str
    name: str


class EnrollmentOut(Schema):
    id: int
    program: ProgramRefOut
    role: str
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    left_at: dt.datetime | None


class JoinIn(Schema):
    role: RoleName
    answers: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Question id → answer: a string (text, single choice), a list of strings "
            "(multiple choice) or an integer from 1 to 5 (scale)."
        ),
    )


class DecisionIn(Schema):
    note: str = Field(default="", max_length=500)


class ParticipantOut(Schema):
    id: int
    user_id: int
    display_name: str
    email: str
    role: str
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class ParticipantPageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[ParticipantOut]


class ParticipantFilters(Schema):
    status: StatusName | None = None
    role: RoleName | None = None
    search: str = Field(default="", max_length=100)
    page: int = Field(default=1, ge=1)


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _program_out(program: Program) -> dict[str, Any]:
    return {
        "id": program.pk,
        "slug": program.slug,
        "name": program.name,
        "organisation": program.organisation,
        "description": program.description,
        "values": program.values or [],
        "program_type": program.program_type,
        "enrollment_mode": program.enrollment_mode,
        "cycle_start": program.cycle_start,
        "cycle_end": program.cycle_end,
        "meeting_frequency": program.meeting_frequency,
        "default_mentor_capacity": program.default_mentor_capacity,
        "expected_length_weeks": program.expected_length_weeks,
        "is_published": program.is_published,
        "allows_direct_messages": program.allows_direct_messages,
        "my_status": getattr(program, "my_status", None),
        "my_role": getattr(program, "my_role", None),
        "can_manage": bool(getattr(program, "can_manage", False)),
    }


def _question_out(question: IntakeQuestion) -> dict[str, Any]:
    return {
        "id": question.pk,
        "audience": question.audience,
        "kind": question.kind,
        "label": question.label,
        "help_text": question.help_text,
        "choices": question.choices or [],
        "is_required": question.is_required,
        "position": question.position,
    }


def _enrollment_out(enrollment: Enrollment) -> dict[str, Any]:
    return {
        "id": enrollment.pk,
        "program": {
            "id": enrollment.program.pk,
            "slug": enrollment.program.slug,
            "name": enrollment.program.name,
        },
        "role": enrollment.role,
        "status": enrollment.status,
        "created_at": enrollment.created_at,
        "decided_at": enrollment.decided_at,
        "left_at": enrollment.left_at,
    }


@router.get("/programs", response=list[ProgramOut], summary="Programs you can see")
def program_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_program_out(p) for p in selectors.program_list_for_user(user=_user(request))]


@router.get(
    "/programs/{slug}",
    response=ProgramDetailOut,
    summary="A program with its intake questions (for one role if given)",
)
def program_get(request: HttpRequest, slug: str, role: RoleName | None = None) -> dict[str, Any]:
    program = selectors.program_detail(slug=slug, user=_user(request))
    questions = selectors.intake_questions_for_role(program=program, role=role)
    return {**_program_out(program), "intake_questions": [_question_out(q) for q in questions]}


@router.get("/enrollments", response=list[EnrollmentOut], summary="Your enrollments")
def enrollment_list(request: HttpRequest) -> list[dict[str, Any]]:
    enrollments = selectors.enrollment_list_for_user(user=_user(request))
    return [_enrollment_out(e) for e in enrollments]


@router.post(
    "/programs/{slug}/enrollments",
    response={201: EnrollmentOut},
    summary="Join a program (or apply to it) with your intake answers",
)
def enrollment_create(request: HttpRequest, slug: str, payload: JoinIn) -> Status[Any]:
    program = selectors.program_detail(slug=slug, user=_user(request))
    enrollment = services.enrollment_join(
        program=program, user=_user(request), role=payload.role, answers=payload.answers
    )
    return Status(201, _enrollment_out(enrollment))


@router.delete("/enrollments/{enrollment_id}", response=EnrollmentOut, summary="Leave a program")
def enrollment_leave(request: HttpRequest, enrollment_id: int) -> dict[str, Any]:
    user = _user(request)
    enrollment = selectors.enrollment_visible_to(enrollment_id=enrollment_id, user=user)
    if enrollment.user_id != user.pk:
        raise PermissionDeniedError("Only the participant may leave a program.")
    return _enrollment_out(services.enrollment_leave(enrollment=enrollment, by=user))


def _decide(request: HttpRequest, enrollment_id: int, note: str, decision: str) -> dict[str, Any]:
    user = _user(request)
    enrollment = selectors.enrollment_visible_to(enrollment_id=enrollment_id, user=user)
    action = services.enrollment_approve if decision == "approve" else services.enrollment_decline
    return _enrollment_out(action(enrollment=enrollment, by=user, note=note))


@router.post(
    "/enrollments/{enrollment_id}/approve",
    response=EnrollmentOut,
    summary="Approve an enrollment (program managers)",
)
def enrollment_approve(
    request: HttpRequest, enrollment_id: int, payload: DecisionIn | None = None
) -> dict[str, Any]:
    return _decide(request, enrollment_id, payload.note if payload else "", "approve")


@router.post(
    "/enrollments/{enrollment_id}/decline",
    response=EnrollmentOut,
    summary="Decline an enrollment (program managers)",
)
def enrollment_decline(
    request: HttpRequest, enrollment_id: int, payload: DecisionIn | None = None
) -> dict[str, Any]:
    return _decide(request, enrollment_id, payload.note if payload else "", "decline")


@router.get(
    "/programs/{slug}/participants",
    response=ParticipantPageOut,
    summary="A program's participants (program managers)",
)
def participant_list(
    request: HttpRequest, slug: str, filters: Query[ParticipantFilters]
) -> dict[str, Any]:
    user = _user(request)
    program = selectors.program_detail(slug=slug, user=user)
    if not getattr(program, "can_manage", False):
        raise PermissionDeniedError("Only the program's managers may list its participants.")
    participants = selectors.participant_list(
        program=program, status=filters.status, role=filters.role, search=filters.search
    )
    paginator = Paginator(participants, PARTICIPANTS_PAGE_SIZE)
    if filters.page > max(paginator.num_pages, 1):
        raise NotFoundError("No such page.")
    page = paginator.page(filters.page)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "results": [
            {
                "id": enrollment.pk,
                "user_id": enrollment.user_id,
                "display_name": enrollment.user.display_name,
                "email": enrollment.user.email,
                "role": enrollment.role,
                "status": enrollment.status,
                "created_at": enrollment.created_at,
                "decided_at": enrollment.decided_at,
            }
            for enrollment in page.object_list
        ],
    }

"""Reads for programs. Each selector fetches what its page shows in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Lower

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError
from trellis.programs.models import (
    Enrollment,
    EnrollmentStatus,
    IntakeAnswer,
    IntakeQuestion,
    Invitation,
    Organisation,
    Program,
    QuestionAudience,
    Role,
)

ACTIVE_STATUSES = (EnrollmentStatus.PENDING, EnrollmentStatus.APPROVED)
AUDIENCES_BY_ROLE = {
    Role.MENTOR: (QuestionAudience.EVERYONE, QuestionAudience.MENTORS),
    Role.MENTEE: (QuestionAudience.EVERYONE, QuestionAudience.MENTEES),
    Role.BOTH: (QuestionAudience.EVERYONE, QuestionAudience.MENTORS, QuestionAudience.MENTEES),
}


def _is_signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _managed_q(user: User) -> Q:
    """Programs user manages directly or through their organisation."""
    managed = Program.managers.through.objects.filter(user_id=user.pk).values("program_id")
    administered = Organisation.admins.through.objects.filter(user_id=user.pk).values(
        "organisation_id"
    )
    return Q(pk__in=managed) | Q(organisation_id__in=administered)


def organisation_can_administer(*, organisation: Organisation, user: Any) -> bool:
    if not _is_signed_in(user):
        return False
    if user.is_staff:
        return True
    return organisation.admins.filter(pk=user.pk).exists()


def organisations_administered_by(*, user: Any) -> QuerySet[Organisation]:
    """Organisations in which user may create programs."""
    if not _is_signed_in(user):
        return Organisation.objects.none()
    if user.is_staff:
        return Organisation.objects.order_by("name")
    return user.administered_organisations.order_by("name")


def program_can_manage(*, program: Program, user: Any) -> bool:
    """Managers of the program, admins of its organisation and staff may manage it."""
    if not _is_signed_in(user):
        return False
    if user.is_staff:
        return True
    return Program.objects.filter(_managed_q(user), pk=program.pk).exists()


def programs_managed_by(*, user: Any) -> QuerySet[Program]:
    if not _is_signed_in(user):
        return Program.objects.none()
    programs = Program.objects.select_related("organisation")
    if user.is_staff:
        return programs.all()
    return programs.filter(_managed_q(user))


def _annotated_for(queryset: QuerySet[Program], user: User) -> QuerySet[Program]:
    """Add the user's enrollment status and role, and whether they may manage each program."""
    mine = Enrollment.objects.filter(program=OuterRef("pk"), user_id=user.pk)
    if user.is_staff:
        can_manage: Any = Value(True)
    else:
        can_manage = Exists(
            Program.managers.through.objects.filter(program_id=OuterRef("pk"), user_id=user.pk)
        ) | Exists(
            Organisation.admins.through.objects.filter(
                organisation_id=OuterRef("organisation_id"), user_id=user.pk
            )
        )
    return queryset.select_related("organisation").annotate(
        my_status=Subquery(mine.values("status")[:1]),
        my_role=Subquery(mine.values("role")[:1]),
        my_enrollment_id=Subquery(mine.values("pk")[:1]),
        can_manage=can_manage,
    )


def _visible_q(user: User) -> Q:
    participating = Enrollment.objects.filter(user_id=user.pk).values("program_id")
    return Q(is_published=True) | Q(pk__in=participating) | _managed_q(user)


def program_list_for_user(*, user: User) -> QuerySet[Program]:
    """Published programs and those user manages or takes part in, with their status."""
    programs = Program.objects.all() if user.is_staff else Program.objects.filter(_visible_q(user))
    return _annotated_for(programs, user).order_by("name", "pk")


def program_detail(*, slug: str, user: User) -> Program:
    """The program at slug if user may see it, annotated like the list."""
    program = program_list_for_user(user=user).filter(slug=slug).first()
    if program is None:
        raise NotFoundError("No such program.")
    return program


def program_for_manager(*, slug: str, user: Any) -> Program:
    """The program at slug if user may manage it; otherwise it does not exist for them."""
    if not _is_signed_in(user):
        raise NotFoundError("No such program.")
    program = programs_managed_by(user=user).filter(slug=slug).first()
    if program is None:
        raise NotFoundError("No such program.")
    return program


def intake_questions_for_role(*, program: Program, role: str | None) -> list[IntakeQuestion]:
    """The program's questions asked of someone joining in role (all of them if None)."""
    questions = IntakeQuestion.objects.filter(program=program)
    if role is not None:
        questions = questions.filter(audience__in=AUDIENCES_BY_ROLE.get(Role(role), ()))
    return list(questions.order_by("position", "pk"))


def intake_question_list(*, program: Program) -> list[IntakeQuestion]:
    return list(IntakeQuestion.objects.filter(program=program).order_by("position", "pk"))


def enrollment_for(*, program: Program, user: User) -> Enrollment | None:
    return Enrollment.objects.filter(program=program, user_id=user.pk).first()


def enrollment_list_for_user(*, user: User) -> QuerySet[Enrollment]:
    """The person's approved and pending enrollments, for the dashboard and the API."""
    return (
        Enrollment.objects.filter(user_id=user.pk, status__in=ACTIVE_STATUSES)
        .select_related("program", "program__organisation")
        .order_by(Lower("program__name"), "pk")
    )


def enrollment_visible_to(*, enrollment_id: int, user: User) -> Enrollment:
    """An enrollment the user owns or whose program they manage; else NotFoundError."""
    enrollment = (
        Enrollment.objects.select_related("program", "program__organisation", "user")
        .filter(pk=enrollment_id)
        .first()
    )
    if enrollment is None or not (
        enrollment.user_id == user.pk or program_can_manage(program=enrollment.program, user=user)
    ):
        raise NotFoundError("No such enrollment.")
    return enrollment


def participant_list(
    *,
    program: Program,
    status: str | None = None,
    role: str | None = None,
    search: str = "",
) -> QuerySet[Enrollment]:
    """The program's enrollments for the review table; pending ones first."""
    enrollments = (
        Enrollment.objects.filter(program=program)
        .select_related("user__profile")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=IntakeAnswer.objects.select_related("question").order_by(
                    "question__position", "question_id"
                ),
            )
        )
    )
    if status:
        enrollments = enrollments.filter(status=status)
    if role:
        enrollments = enrollments.filter(role=role)
    search = (search or "").strip()
    if search:
        enrollments = enrollments.filter(
            Q(user__email__icontains=search) | Q(user__profile__display_name__icontains=search)
        )
    return enrollments.annotate(
        is_pending=ExpressionWrapper(
            Q(status=EnrollmentStatus.PENDING), output_field=BooleanField()
        )
    ).order_by("-is_pending", "-created_at", "-pk")


def invitation_list(*, program: Program) -> QuerySet[Invitation]:
    return Invitation.objects.filter(program=program).select_related("accepted_by")


def invitation_by_token(*, token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("program", "program__organisation")
        .filter(token=token)
        .first()
        if 0 < len(token) <= 64
        else None
    )
    if invitation is None:
        raise NotFoundError("No such invitation.")
    return invitation

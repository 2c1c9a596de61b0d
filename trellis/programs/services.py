"""Writes for programs: creating and editing programs, intake questions, enrollment, invitations.

Every function checks who acts (`by`), validates, and relies on the database constraints
(one enrollment per person and program, the program's range checks) as the second line.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.sanitize import sanitize_html
from trellis.core.services import model_update
from trellis.notifications.services import email_send_on_commit, notification_send
from trellis.programs.models import (
    Enrollment,
    EnrollmentMode,
    EnrollmentStatus,
    IntakeAnswer,
    IntakeQuestion,
    Invitation,
    Organisation,
    Program,
    ProgramType,
    QuestionAudience,
    QuestionKind,
    Role,
)
from trellis.programs.selectors import (
    intake_questions_for_role,
    organisation_can_administer,
    program_can_manage,
)

PROGRAM_FIELDS = (
    "name",
    "slug",
    "description",
    "values",
    "cycle_start",
    "cycle_end",
    "program_type",
    "enrollment_mode",
    "default_mentor_capacity",
    "expected_length_weeks",
    "meeting_frequency",
    "is_published",
    "allows_direct_messages",
)
# Path segments under /programs/ that are pages, not programs.
RESERVED_SLUGS = frozenset({"manage", "invitations", "new"})
MAX_DESCRIPTION_LENGTH = 20_000
MAX_VALUES = 12
MAX_VALUE_LENGTH = 60
MIN_CAPACITY, MAX_CAPACITY = 1, 50
MIN_WEEKS, MAX_WEEKS = 1, 260

QUESTION_FIELDS = ("audience", "kind", "label", "help_text", "choices", "is_required")
CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE})
MIN_CHOICES, MAX_CHOICES, MAX_CHOICE_LENGTH = 2, 20, 100
MAX_QUESTIONS = 50
MAX_TEXT_ANSWER = 2000
SCALE_MIN, SCALE_MAX = 1, 5

INVITATION_LIFETIME = dt.timedelta(days=14)
MAX_DECISION_NOTE = 500
MAX_BULK = 500


def program_url(program: Program) -> str:
    return reverse("programs:detail", kwargs={"slug": program.slug})


def _participants_url(program: Program) -> str:
    return reverse("programs:manage_participants", kwargs={"slug": program.slug})


# Programs ------------------------------------------------------------------------------


def _clean_program_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise the editable fields and check the rules the form cannot see alone."""
    cleaned = {key: data[key] for key in PROGRAM_FIELDS if key in data}
    errors: dict[str, list[str]] = {}
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"] or "").strip()
    if "slug" in cleaned:
        slug = str(cleaned["slug"] or "").strip().lower()
        cleaned["slug"] = slug
        if slug in RESERVED_SLUGS:
            errors.setdefault("slug", []).append(f"“{slug}” is reserved; pick another address.")
        elif slug and slugify(slug) != slug:
            errors.setdefault("slug", []).append("Use only lowercase letters, numbers and hyphens.")
    if "description" in cleaned:
        description = str(cleaned["description"] or "")
        if len(description) > MAX_DESCRIPTION_LENGTH:
            errors.setdefault("description", []).append(
                f"Keep the description under {MAX_DESCRIPTION_LENGTH} characters."
            )
        cleaned["description"] = sanitize_html(description).strip()
    if "values" in cleaned:
        values = cleaned["values"]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            errors.setdefault("values", []).append("Give the values as a list of words.")
        else:
            stripped = list(dict.fromkeys(v.strip() for v in values if v.strip()))
            if len(stripped) > MAX_VALUES:
                errors.setdefault("values", []).append(f"Give at most {MAX_VALUES} values.")
            if any(len(v) > MAX_VALUE_LENGTH for v in stripped):
                errors.setdefault("values", []).append(
                    f"Keep each value under {MAX_VALUE_LENGTH} characters."
                )
            cleaned["values"] = stripped
    for field, low, high in (
        ("default_mentor_capacity", MIN_CAPACITY, MAX_CAPACITY),
        ("expected_length_weeks", MIN_WEEKS, MAX_WEEKS),
    ):
        if field in cleaned:
            value = cleaned[field]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors.setdefault(field, []).append(f"Give a whole number from {low} to {high}.")
    for field in ("cycle_start", "cycle_end"):
        value = cleaned.get(field)
        if value is not None and not isinstance(value, dt.date):
            errors.setdefault(field, []).append("Give a date.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_cycle(program: Program) -> None:
    if program.cycle_start and program.cycle_end and program.cycle_end < program.cycle_start:
        raise ValidationError({"cycle_end": ["The cycle must end after it starts."]})


def _save_program(program: Program, *, update_fields: list[str] | None = None) -> None:
    """Save; a slug taken between our check and the insert answers as a field error."""
    try:
        with transaction.atomic():
            program.save(update_fields=update_fields)
    except IntegrityError as error:
        if Program.objects.filter(slug=program.slug).exclude(pk=program.pk).exists():
            raise ValidationError({"slug": ["Another program uses this address."]}) from error
        raise


@transaction.atomic
def program_create(*, organisation: Organisation, by: User, **fields: Any) -> Program:
    """Create a program in organisation; its creator becomes its first manager."""
    if not organisation_can_administer(organisation=organisation, user=by):
        raise PermissionDeniedError("Only the organisation's admins may create programs.")
    unknown = set(fields) - set(PROGRAM_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    program = Program(organisation=organisation, **_clean_program_data(fields))
    _check_cycle(program)
    program.full_clean()
    _save_program(program)
    program.managers.add(by)
    return program


@transaction.atomic
def program_update(*, program: Program, by: User, data: Mapping[str, Any]) -> Program:
    """Change a program's settings (managers, the organisation's admins and staff)."""
    if not program_can_manage(program=program, user=by):
        raise PermissionDeniedError("You do not manage this program.")
    cleaned = _clean_program_data(data)
    # Validate a copy, so a refused change leaves the caller's instance as stored.
    candidate = copy.copy(program)
    for field, value in cleaned.items():
        setattr(candidate, field, value)
    _check_cycle(candidate)
    candidate.full_clean()
    try:
        with transaction.atomic():
            model_update(instance=program, fields=list(cleaned), data=cleaned)
    except IntegrityError as error:
        raise ValidationError({"slug": ["Another program uses this address."]}) from error
    return program


# Intake questions -----------------------------------------------------------------------


def question_data_clean(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Normalise a question's label, hint and choices for its kind (intake and surveys)."""
    errors: dict[str, list[str]] = {}
    choices = data.get("choices") or []
    if kind in CHOICE_KINDS:
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            errors["choices"] = ["Give the choices as a list of texts."]
        else:
            stripped = [c.strip() for c in choices]
            if any(not c for c in stripped):
                errors.setdefault("choices", []).append("Choices may not be empty.")
            stripped = [c for c in stripped if c]
            if len({c.casefold() for c in stripped}) != len(stripped):
                errors.setdefault("choices", []).append("Each choice must be different.")
            if not MIN_CHOICES <= len(stripped) <= MAX_CHOICES:
                errors.setdefault("choices", []).append(
                    f"Give from {MIN_CHOICES} to {MAX_CHOICES} choices."
                )
            if any(len(c) > MAX_CHOICE_LENGTH for c in stripped):
                errors.setdefault("choices", []).append(
                    f"Keep each choice under {MAX_CHOICE_LENGTH} characters."
                )
            data["choices"] = stripped
    elif choices:
        errors["choices"] = ["Only single and multiple choice questions have choices."]
    else:
        data["choices"] = []
    for field in ("label", "help_text"):
        if field in data:
            data[field] = str(data[field] or "").strip()
    if errors:
        raise ValidationError(errors)
    return data


def _require_manager(program: Program, by: User) -> None:
    if not program_can_manage(program=program, user=by):
        raise PermissionDeniedError("You do not manage this program.")


@transaction.atomic
def intake_question_create(
    *,
    program: Program,
    by: User,
    kind: str,
    label: str,
    audience: str = QuestionAudience.EVERYONE,
    help_text: str = "",
    choices: list[str] | None = None,
    is_required: bool = False,
) -> IntakeQuestion:
    """Add a question at the end of the program's intake form."""
    _require_manager(program, by)
    # Lock the program so two editors adding at once get distinct positions.
    Program.objects.select_for_update().filter(pk=program.pk).first()
    existing = list(program.intake_questions.values_list("position", flat=True))
    if len(existing) >= MAX_QUESTIONS:
        raise ValidationError(f"A program may ask at most {MAX_QUESTIONS} questions.")
    data = question_data_clean(
        kind,
        {
            "audience": audience,
            "kind": kind,
            "label": label,
            "help_text": help_text,
            "choices": choices or [],
            "is_required": is_required,
        },
    )
    question = IntakeQuestion(program=program, position=max(existing, default=-1) + 1, **data)
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def intake_question_update(
    *, question: IntakeQuestion, by: User, data: Mapping[str, Any]
) -> IntakeQuestion:
    _require_manager(question.program, by)
    changes = {key: data[key] for key in QUESTION_FIELDS if key in data}
    kind = changes.get("kind", question.kind)
    if "choices" not in changes and kind not in CHOICE_KINDS:
        # Turning a choice question into text drops its choices.
        changes["choices"] = []
    elif "choices" not in changes:
        changes["choices"] = list(question.choices)
    changes = question_data_clean(kind, changes)
    try:
        model_update(instance=question, fields=list(changes), data=changes)
    except ValidationError:
        question.refresh_from_db()
        raise
    return question


@transaction.atomic
def intake_question_delete(*, question: IntakeQuestion, by: User) -> None:
    """Delete a question and the answers given to it."""
    _require_manager(question.program, by)
    question.delete()


@transaction.atomic
def intake_question_reorder(*, program: Program, by: User, question_ids: list[int]) -> None:
    """Put the program's questions in the given order; every question must be listed once."""
    _require_manager(program, by)
    questions = {q.pk: q for q in program.intake_questions.select_for_update()}
    if sorted(question_ids) != sorted(questions):
        raise ValidationError({"question_ids": ["List each of the program's questions once."]})
    changed = []
    for position, question_id in enumerate(question_ids):
        question = questions[question_id]
        if question.position != position:
            question.position = position
            changed.append(question)
    IntakeQuestion.objects.bulk_update(changed, ["position"])


def intake_question_move(*, question: IntakeQuestion, by: User, offset: int) -> None:
    """Move a question up (offset -1) or down (+1) the form."""
    program = question.program
    _require_manager(program, by)
    order = list(program.intake_questions.values_list("pk", flat=True))
    index = order.index(question.pk)
    target = index + offset
    if not 0 <= target < len(order):
        return
    order[index], order[target] = order[target], order[index]
    intake_question_reorder(program=program, by=by, question_ids=order)


# Enrollment -----------------------------------------------------------------------------


def allowed_roles(program: Program) -> list[str]:
    """Peer programs have one role, everyone is mentor and mentee; others have two."""
    if program.program_type == ProgramType.PEER:
        return [Role.BOTH]
    return [Role.MENTOR, Role.MENTEE]


def _check_role(program: Program, role: str, *, field: str = "role") -> None:
    if role not in allowed_roles(program):
        if program.program_type == ProgramType.PEER:
            message = "In a peer program everyone joins as mentor and mentee."
        else:
            message = "Join as a mentor or as a mentee."
        raise ValidationError({field: [message]})


def _is_blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, list) and not value)


class AskedQuestion(Protocol):
    """A stored question: an intake question, or a survey's (trellis.feedback)."""

    @property
    def pk(self) -> Any: ...
    @property
    def audience(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def help_text(self) -> str: ...
    @property
    def choices(self) -> Any: ...
    @property
    def is_required(self) -> bool: ...


QuestionT = TypeVar("QuestionT", bound=AskedQuestion)


def _clean_answer(question: AskedQuestion, value: Any) -> Any:
    """Return the value to store for question, or raise a message for the person."""
    if question.kind == QuestionKind.SINGLE_CHOICE:
        if not isinstance(value, str) or value not in question.choices:
            raise ValidationError("Pick one of the choices.")
        return value
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError("Pick from the choices.")
        unknown = [v for v in value if v not in question.choices]
        if unknown:
            raise ValidationError("Pick only from the choices.")
        picked = set(value)
        return [choice for choice in question.choices if choice in picked]
    if question.kind == QuestionKind.SCALE:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"Pick a number from {SCALE_MIN} to {SCALE_MAX}.")
        if not SCALE_MIN <= value <= SCALE_MAX:
            raise ValidationError(f"Pick a number from {SCALE_MIN} to {SCALE_MAX}.")
        return value
    if not isinstance(value, str):
        raise ValidationError("Answer with text.")
    text = value.strip()
    if len(text) > MAX_TEXT_ANSWER:
        raise ValidationError(f"Keep the answer under {MAX_TEXT_ANSWER} characters.")
    return text


def answers_clean(
    *, program: Program, role: str, answers: Mapping[Any, Any]
) -> list[tuple[IntakeQuestion, Any]]:
    """Check answers against the program's questions for role; errors keyed question_<id>."""
    questions = intake_questions_for_role(program=program, role=role)
    return questions_answers_clean(
        questions=questions,
        answers=answers,
        unknown="This program asks no such question of you.",
    )


def questions_answers_clean(
    *, questions: Sequence[QuestionT], answers: Mapping[Any, Any], unknown: str
) -> list[tuple[QuestionT, Any]]:
    """Check answers (keyed by question id or "question_<id>") against questions.

    Returns (question, value to store) for each question answered; raises a ValidationError
    keyed question_<id> (unknown says why for a question not among them).
    """
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": ["Give the answers as an object."]})
    by_id = {question.pk: question for question in questions}
    given: dict[int, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in answers.items():
        try:
            question_id = int(str(key).removeprefix("question_"))
        except ValueError:
            errors.setdefault("answers", []).append(f"“{key}” is not a question.")
            continue
        if question_id not in by_id:
            errors[f"question_{question_id}"] = [unknown]
            continue
        given[question_id] = value
    cleaned: list[tuple[QuestionT, Any]] = []
    for question in questions:
        value = given.get(question.pk)
        if _is_blank(value):
            if question.is_required:
                errors[f"question_{question.pk}"] = ["This question needs an answer."]
            continue
        try:
            cleaned.append((question, _clean_answer(question, value)))
        except ValidationError as error:
            errors[f"question_{question.pk}"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _locked_enrollment(program: Program, user: User) -> Enrollment | None:
    return Enrollment.objects.select_for_update().filter(program=program, user=user).first()


ALREADY_IN = {
    EnrollmentStatus.PENDING: "You have already applied to this program; a manager will decide.",
    EnrollmentStatus.APPROVED: "You already take part in this program.",
}


def _enrollment_place(
    *, program: Program, user: User, role: str, status: str, decided_by: User | None
) -> Enrollment:
    """Create the person's enrollment, or reopen a left or declined one (one row each)."""
    now = timezone.now()
    enrollment = _locked_enrollment(program, user)
    if enrollment is not None:
        if enrollment.status in ALREADY_IN:
            raise ValidationError(ALREADY_IN[EnrollmentStatus(enrollment.status)])
        enrollment.answers.all().delete()
    else:
        enrollment = Enrollment(program=program, user=user)
    enrollment.role = role
    enrollment.status = status
    enrollment.decided_by = decided_by
    enrollment.decided_at = now if status == EnrollmentStatus.APPROVED else None
    enrollment.decision_note = ""
    enrollment.left_at = None
    try:
        with transaction.atomic():
            enrollment.save()
    except IntegrityError as error:
        # A second request for the same person inserted its row first.
        raise ValidationError(
            "You have already joined or applied to this program.", code="duplicate"
        ) from error
    return enrollment


@transaction.atomic
def enrollment_join(
    *, program: Program, user: User, role: str, answers: Mapping[Any, Any]
) -> Enrollment:
    """Join program in role with the intake answers; open programs approve at once."""
    if not program.is_published and not program_can_manage(program=program, user=user):
        raise NotFoundError("No such program.")
    if program.enrollment_mode == EnrollmentMode.INVITE_ONLY:
        raise PermissionDeniedError("This program is by invitation only.")
    _check_role(program, role)
    cleaned = answers_clean(program=program, role=role, answers=answers)
    is_open = program.enrollment_mode == EnrollmentMode.OPEN
    enrollment = _enrollment_place(
        program=program,
        user=user,
        role=role,
        status=EnrollmentStatus.APPROVED if is_open else EnrollmentStatus.PENDING,
        decided_by=None,
    )
    IntakeAnswer.objects.bulk_create(
        IntakeAnswer(enrollment=enrollment, question=question, value=value)
        for question, value in cleaned
    )
    if is_open:
        notification_send(
            recipient=user,
            kind="enrollment.approved",
            title=f"You joined {program.name}",
            url=program_url(program),
        )
    else:
        for manager in program.managers.filter(is_active=True):
            notification_send(
                recipient=manager,
                kind="enrollment.applied",
                title=f"{user.display_name} applied to {program.name}",
                body=f"Role: {Role(role).label}.",
                url=_participants_url(program) + "?status=pending",
            )
    return enrollment


def _check_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_DECISION_NOTE:
        raise ValidationError({"note": [f"Keep the note under {MAX_DECISION_NOTE} characters."]})
    return note


DECIDABLE_FROM = {
    "approve": (EnrollmentStatus.PENDING, EnrollmentStatus.DECLINED),
    "decline": (EnrollmentStatus.PENDING,),
}
DECISION_STATUS = {"approve": EnrollmentStatus.APPROVED, "decline": EnrollmentStatus.DECLINED}


def _notify_decision(enrollment: Enrollment, decision: str) -> None:
    program = enrollment.program
    if decision == "approve":
        kind, title = "enrollment.approved", f"You are in: {program.name}"
    else:
        kind, title = "enrollment.declined", f"Your application to {program.name} was declined"
    notification_send(
        recipient=enrollment.user,
        kind=kind,
        title=title,
        body=enrollment.decision_note,
        url=program_url(program),
    )


def _enrollment_decide(*, enrollment: Enrollment, by: User, note: str, decision: str) -> Enrollment:
    locked = (
        Enrollment.objects.select_for_update()
        .select_related("program", "user")
        .filter(pk=enrollment.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError("No such enrollment.")
    if not program_can_manage(program=locked.program, user=by):
        raise PermissionDeniedError("You do not manage this program.")
    note = _check_note(note)
    if locked.status not in DECIDABLE_FROM[decision]:
        raise ValidationError(
            f"This enrollment is {EnrollmentStatus(locked.status).label.lower()}; "
            f"it cannot be {'approved' if decision == 'approve' else 'declined'}."
        )
    locked.status = DECISION_STATUS[decision]
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.decision_note = note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    _notify_decision(locked, decision)
    return locked


@transaction.atomic
def enrollment_approve(*, enrollment: Enrollment, by: User, note: str = "") -> Enrollment:
    """Approve a pending (or earlier declined) enrollment; the person is told."""
    return _enrollment_decide(enrollment=enrollment, by=by, note=note, decision="approve")


@transaction.atomic
def enrollment_decline(*, enrollment: Enrollment, by: User, note: str = "") -> Enrollment:
    """Decline a pending enrollment; the person is told."""
    return _enrollment_decide(enrollment=enrollment, by=by, note=note, decision="decline")


@transaction.atomic
def enrollment_bulk_decide(
    *, enrollment_ids: Iterable[int], program: Program, by: User, decision: str
) -> list[Enrollment]:
    """Approve or decline many enrollments of program at once.

    Ids of other programs, and enrollments not in a state the decision applies to, are
    skipped. Returns the enrollments decided.
    """
    if decision not in DECISION_STATUS:
        raise ValidationError({"decision": ["Choose approve or decline."]})
    if not program_can_manage(program=program, user=by):
        raise PermissionDeniedError("You do not manage this program.")
    ids = {int(pk) for pk in enrollment_ids}
    if not ids:
        raise ValidationError({"enrollment_ids": ["Select at least one person."]})
    if len(ids) > MAX_BULK:
        raise ValidationError({"enrollment_ids": [f"Select at most {MAX_BULK} people."]})
    enrollments = list(
        Enrollment.objects.select_for_update()
        .select_related("user", "program")
        .filter(program=program, pk__in=ids, status__in=DECIDABLE_FROM[decision])
        .order_by("pk")
    )
    now = timezone.now()
    Enrollment.objects.filter(pk__in=[e.pk for e in enrollments]).update(
        status=DECISION_STATUS[decision],
        decided_by=by,
        decided_at=now,
        decision_note="",
        updated_at=now,
    )
    for enrollment in enrollments:
        enrollment.status = DECISION_STATUS[decision]
        enrollment.decided_by = by
        enrollment.decided_at = now
        enrollment.decision_note = ""
        _notify_decision(enrollment, decision)
    return enrollments


@transaction.atomic
def enrollment_leave(*, enrollment: Enrollment, by: User) -> Enrollment:
    """Leave a program (or withdraw an application); only the person themself may."""
    if enrollment.user_id != by.pk:
        raise PermissionDeniedError("Only the participant may leave a program.")
    locked = Enrollment.objects.select_for_update().select_related("program").get(pk=enrollment.pk)
    if locked.status not in (EnrollmentStatus.PENDING, EnrollmentStatus.APPROVED):
        raise ValidationError("You are not taking part in this program.")
    locked.status = EnrollmentStatus.LEFT
    locked.left_at = timezone.now()
    locked.save(update_fields=["status", "left_at", "updated_at"])
    return locked


# Invitations ----------------------------------------------------------------------------


def invitation_url(invitation: Invitation) -> str:
    return reverse("programs:invitation", kwargs={"token": invitation.token})


@transaction.atomic
def invitation_create(*, program: Program, email: str, role: str, by: User) -> Invitation:
    """Invite an email address to join program in role; the link is emailed on commit."""
    _require_manager(program, by)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": ["Give a valid email address."]}) from error
    _check_role(program, role)
    now = timezone.now()
    if Invitation.objects.filter(
        program=program,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).exists():
        raise ValidationError(
            {"email": ["This address already has an open invitation; copy or revoke it."]}
        )
    if Enrollment.objects.filter(
        program=program,
        user__email__iexact=email,
        status__in=[EnrollmentStatus.PENDING, EnrollmentStatus.APPROVED],
    ).exists():
        raise ValidationError({"email": ["This person already takes part or has applied."]})
    invitation = Invitation(
        program=program,
        email=email,
        role=role,
        token=secrets.token_urlsafe(32),
        invited_by=by,
        expires_at=now + INVITATION_LIFETIME,
    )
    invitation.full_clean()
    invitation.save()
    context = {
        "invitation": invitation,
        "program": program,
        "inviter": by,
        "role_label": Role(role).label.lower(),
        "url": settings.SITE_URL.rstrip("/") + invitation_url(invitation),
    }
    email_send_on_commit(
        to=[email],
        subject=f"[Trellis] You are invited to {program.name}",
        body=render_to_string("programs/email/invitation.txt", context),
    )
    return invitation


def invitation_problem(invitation: Invitation) -> str | None:
    """Why the invitation can no longer be used, or None."""
    if invitation.revoked_at is not None:
        return "This invitation was withdrawn."
    if invitation.accepted_at is not None:
        return "This invitation has already been used."
    if invitation.expires_at <= timezone.now():
        return "This invitation has expired; ask the program's managers for a new one."
    return None


def invitation_email_matches(*, invitation: Invitation, user: User) -> bool:
    return EmailAddress.objects.filter(
        user=user, verified=True, email__iexact=invitation.email
    ).exists()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Enrollment:
    """Use the invitation: the person joins the program, approved, in the invited role."""
    locked = Invitation.objects.select_for_update().select_related("program").get(pk=invitation.pk)
    problem = invitation_problem(locked)
    if problem:
        raise ValidationError(problem)
    if not invitation_email_matches(invitation=locked, user=user):
        raise PermissionDeniedError(
            "This invitation was sent to another email address. Sign in with that address, "
            "or add and verify it in your account."
        )
    program = locked.program
    _check_role(program, locked.role)
    existing = _locked_enrollment(program, user)
    if existing is not None and existing.status == EnrollmentStatus.PENDING:
        # The invitation settles the open application.
        existing.status = EnrollmentStatus.APPROVED
        existing.role = locked.role
        existing.decided_by = locked.invited_by
        existing.decided_at = timezone.now()
        existing.save(update_fields=["status", "role", "decided_by", "decided_at", "updated_at"])
        enrollment = existing
    else:
        enrollment = _enrollment_place(
            program=program,
            user=user,
            role=locked.role,
            status=EnrollmentStatus.APPROVED,
            decided_by=locked.invited_by,
        )
    locked.accepted_by = user
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_by", "accepted_at", "updated_at"])
    if locked.invited_by is not None and locked.invited_by.is_active:
        notification_send(
            recipient=locked.invited_by,
            kind="invitation.accepted",
            title=f"{user.display_name} accepted your invitation to {program.name}",
            url=_participants_url(program),
            send_email=False,
        )
    invitation.accepted_by = user
    invitation.accepted_at = locked.accepted_at
    return enrollment


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    _require_manager(invitation.program, by)
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise ValidationError("This invitation has already been used.")
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at", "updated_at"])
    return locked

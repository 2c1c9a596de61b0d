"""Writes of meeting pulses and surveys.

Pulse: a current participant of the meeting's mentorship rates an occurrence from the
moment it begins until 30 days later; tapping again changes the answer. A cancelled
occurrence (or series) is not rated.

Surveys are the program managers' (create, edit, questions, activate); participants
answer their own assignment once it has opened. Assignments follow the mentorship's
life through ``surveys_on_mentorship`` (called by mentorships.services._lifecycle inside
the mentorship's transaction): a couple of bulk queries per event, and the opening
notices are arranged by a task on commit, so the automatch starting thousands of
mentorships at once stays cheap. A survey activated later applies to mentorships
started after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.services import model_update
from trellis.core.time import get_zone
from trellis.feedback.models import (
    MAX_COMMENT_LENGTH,
    MAX_INTRO_LENGTH,
    MAX_TITLE_LENGTH,
    USEFULNESS_MAX,
    USEFULNESS_MIN,
    MeetingPulse,
    Survey,
    SurveyAnswer,
    SurveyAssignment,
    SurveyKind,
    SurveyQuestion,
)
from trellis.feedback.selectors import pulse_problem, survey_questions_for_role
from trellis.mentorships.selectors import mentorship_role
from trellis.notifications.services import reminder_schedule, reminders_cancel_keys
from trellis.profiles.models import Profile
from trellis.programs.models import Program, QuestionAudience, Role
from trellis.programs.selectors import program_can_manage
from trellis.programs.services import (
    MAX_QUESTIONS,
    QUESTION_FIELDS,
    question_data_clean,
    questions_answers_clean,
)
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.selectors import MeetingOccurrence, occurrence_of
from trellis.scheduling.zones import resolve_local_time

if TYPE_CHECKING:
    from trellis.accounts.models import User
    from trellis.mentorships.models import Mentorship

# Surveys open at this local time, in each person's own zone.
SURVEY_OPENS_AT = dt.time(9)
SURVEY_FIELDS = ("kind", "title", "intro", "shows_names")
ACTIVE_SURVEYS_CACHE = "_feedback_active_surveys"


def survey_url(assignment: SurveyAssignment) -> str:
    return reverse("feedback:survey", kwargs={"assignment_id": assignment.pk})


def _reminder_key(assignment_id: int) -> str:
    return f"survey:{assignment_id}"


# Pulse ------------------------------------------------------------------------------------


def pulse_occurrence(*, series: MeetingSeries, recurrence_id: str, user: Any) -> MeetingOccurrence:
    """The occurrence user may rate: a participant's, not cancelled (time not checked)."""
    role = mentorship_role(mentorship=series.mentorship, user=user)
    if role is None:
        raise NotFoundError("No such meeting.")
    if role not in ("mentor", "mentee"):
        raise PermissionDeniedError("Only the people in the meeting rate it.")
    if not series.is_active:
        raise ValidationError("This meeting was cancelled.")
    item = occurrence_of(series=series, recurrence_id=recurrence_id)
    if item is None:
        if any(change.recurrence_id == recurrence_id for change in series.changes.all()):
            raise ValidationError("This meeting was cancelled.")
        raise NotFoundError("No such meeting.")
    return item


def _clean_usefulness(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not USEFULNESS_MIN <= value <= USEFULNESS_MAX
    ):
        raise ValidationError(
            {"usefulness": [f"Pick a number from {USEFULNESS_MIN} to {USEFULNESS_MAX}."]}
        )
    return value


def _clean_comment(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({"comment": ["Write the comment as text."]})
    text = value.strip()
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            {"comment": [f"Keep the comment under {MAX_COMMENT_LENGTH} characters."]}
        )
    return text


@transaction.atomic
def pulse_set(
    *,
    series: MeetingSeries,
    recurrence_id: str,
    by: User,
    usefulness: Any,
    comment: Any = "",
    now: dt.datetime | None = None,
) -> MeetingPulse:
    """Record (or change) how useful by found the meeting, from its start to 30 days on."""
    item = pulse_occurrence(series=series, recurrence_id=recurrence_id, user=by)
    problem = pulse_problem(item=item, now=now or timezone.now())
    if problem:
        raise ValidationError(problem)
    value = _clean_usefulness(usefulness)
    text = _clean_comment(comment)
    mine = MeetingPulse.objects.select_for_update().filter(
        meeting_series=series, recurrence_id=recurrence_id, user=by
    )
    pulse = mine.first()
    if pulse is None:
        pulse = MeetingPulse(
            meeting_series=series,
            recurrence_id=recurrence_id,
            user=by,
            usefulness=value,
            comment=text,
        )
        pulse.full_clean(exclude=["meeting_series", "user"], validate_constraints=False)
        try:
            with transaction.atomic():
                pulse.save()
            return pulse
        except IntegrityError:
            # The same person tapped twice at once: change the row the other tap stored.
            pulse = mine.get()
    pulse.usefulness = value
    pulse.comment = text
    pulse.save(update_fields=["usefulness", "comment", "updated_at"])
    return pulse


# Surveys: the managers' side ----------------------------------------------------------------


def _require_manager(program: Program, by: User) -> None:
    if not program_can_manage(program=program, user=by):
        raise PermissionDeniedError("You do not manage this program.")


def _clean_survey_data(data: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {key: data[key] for key in SURVEY_FIELDS if key in data}
    errors: dict[str, list[str]] = {}
    if "kind" in cleaned and cleaned["kind"] not in SurveyKind.values:
        errors["kind"] = ["Choose a mid-point or an end-of-relationship survey."]
    for field, limit, required in (
        ("title", MAX_TITLE_LENGTH, True),
        ("intro", MAX_INTRO_LENGTH, False),
    ):
        if field not in cleaned:
            continue
        value = cleaned[field]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[field] = ["Write it as text."]
            continue
        value = value.strip()
        if required and not value:
            errors[field] = ["Give the survey a title."]
        elif len(value) > limit:
            errors[field] = [f"Keep it under {limit} characters."]
        cleaned[field] = value
    if "shows_names" in cleaned and not isinstance(cleaned["shows_names"], bool):
        errors["shows_names"] = ["Say yes or no."]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def survey_create(
    *,
    program: Program,
    by: User,
    kind: str,
    title: str,
    intro: str = "",
    shows_names: bool = False,
) -> Survey:
    """Define a survey of the program; it starts inactive, to be given questions first."""
    _require_manager(program, by)
    data = _clean_survey_data(
        {"kind": kind, "title": title, "intro": intro, "shows_names": shows_names}
    )
    survey = Survey(program=program, created_by=by, is_active=False, **data)
    survey.full_clean(exclude=["program", "created_by"])
    survey.save()
    return survey


def _locked_survey(survey: Survey) -> Survey:
    locked = (
        Survey.objects.select_for_update(of=("self",))
        .select_related("program")
        .filter(pk=survey.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError("No such survey.")
    return locked


def _save_survey(survey: Survey, fields: list[str]) -> None:
    """Save; one active survey per kind is the database's rule too."""
    try:
        with transaction.atomic():
            survey.save(update_fields=[*fields, "updated_at"])
    except IntegrityError as error:
        raise ValidationError(
            {"is_active": [f"Another {SurveyKind(survey.kind).label.lower()} is active."]}
        ) from error


@transaction.atomic
def survey_update(*, survey: Survey, by: User, data: Mapping[str, Any]) -> Survey:
    """Change a survey's title, introduction, kind or whether names are shown.

    Once people have been given the survey, its kind stays, and names can no longer be
    turned on: they were told their answers are seen only in aggregate.
    """
    _require_manager(survey.program, by)
    locked = _locked_survey(survey)
    cleaned = _clean_survey_data(data)
    changes = {key: value for key, value in cleaned.items() if getattr(locked, key) != value}
    if not changes:
        return locked
    is_given = locked.assignments.exists()
    if is_given and "kind" in changes:
        raise ValidationError(
            {"kind": ["People have been given this survey; make a new one of the other kind."]}
        )
    if is_given and changes.get("shows_names") is True:
        raise ValidationError(
            {
                "shows_names": [
                    "People were told their answers are seen only in aggregate; "
                    "make a new survey to see names."
                ]
            }
        )
    for key, value in changes.items():
        setattr(locked, key, value)
    locked.full_clean(exclude=["program", "created_by"], validate_constraints=False)
    _save_survey(locked, list(changes))
    return locked


@transaction.atomic
def survey_set_active(*, survey: Survey, by: User, is_active: bool) -> Survey:
    """Activate the survey for mentorships starting from now on, or deactivate it.

    Deactivating withdraws the copies not opened yet; opened ones may still be answered.
    """
    _require_manager(survey.program, by)
    locked = _locked_survey(survey)
    if locked.is_active == is_active:
        return locked
    if is_active:
        if not locked.questions.exists():
            raise ValidationError("Add at least one question before activating the survey.")
        if (
            Survey.objects.filter(program_id=locked.program_id, kind=locked.kind, is_active=True)
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise ValidationError(
                f"Another {SurveyKind(locked.kind).label.lower()} is active; deactivate it first."
            )
    else:
        _withdraw(
            SurveyAssignment.objects.filter(
                survey=locked, opens_at__gt=timezone.now(), submitted_at__isnull=True
            )
        )
    locked.is_active = is_active
    _save_survey(locked, ["is_active"])
    for program in (survey.program, locked.program):
        program.__dict__.pop(ACTIVE_SURVEYS_CACHE, None)
    return locked


def _survey_questions(survey: Survey) -> QuerySet[SurveyQuestion]:
    return SurveyQuestion.objects.filter(survey_id=survey.pk).order_by("position", "pk")


@transaction.atomic
def survey_question_create(
    *,
    survey: Survey,
    by: User,
    kind: str,
    label: str,
    audience: str = QuestionAudience.EVERYONE,
    help_text: str = "",
    choices: list[str] | None = None,
    is_required: bool = False,
) -> SurveyQuestion:
    """Add a question at the end of the survey (the intake form's kinds and rules)."""
    _require_manager(survey.program, by)
    # Lock the survey so two editors adding at once get distinct positions.
    locked = _locked_survey(survey)
    positions = list(_survey_questions(locked).values_list("position", flat=True))
    if len(positions) >= MAX_QUESTIONS:
        raise ValidationError(f"A survey may ask at most {MAX_QUESTIONS} questions.")
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
    question = SurveyQuestion(survey=locked, position=max(positions, default=-1) + 1, **data)
    question.full_clean(exclude=["survey"])
    question.save()
    return question


@transaction.atomic
def survey_question_update(
    *, question: SurveyQuestion, by: User, data: Mapping[str, Any]
) -> SurveyQuestion:
    """Change a question; one people have answered keeps its kind."""
    _require_manager(question.survey.program, by)
    changes = {key: data[key] for key in QUESTION_FIELDS if key in data}
    kind = changes.get("kind", question.kind)
    if kind != question.kind and question.answers.exists():
        raise ValidationError(
            {"kind": ["People have answered this question; add a new one instead."]}
        )
    if "choices" not in changes:
        # Turning a choice question into text drops its choices.
        changes["choices"] = list(question.choices) if kind == question.kind else []
    changes = question_data_clean(kind, changes)
    try:
        model_update(instance=question, fields=list(changes), data=changes)
    except ValidationError:
        question.refresh_from_db()
        raise
    return question


@transaction.atomic
def survey_question_delete(*, question: SurveyQuestion, by: User) -> None:
    """Delete a question and the answers given to it."""
    _require_manager(question.survey.program, by)
    question.delete()


@transaction.atomic
def survey_question_place(*, question: SurveyQuestion, by: User, position: int) -> None:
    """Move a question to position (0 first; past either end stops there)."""
    _require_manager(question.survey.program, by)
    _locked_survey(question.survey)
    questions = list(_survey_questions(question.survey))
    order = [q for q in questions if q.pk != question.pk]
    order.insert(max(0, min(position, len(order))), question)
    changed = []
    for index, item in enumerate(order):
        if item.position != index:
            item.position = index
            changed.append(item)
    SurveyQuestion.objects.bulk_update(changed, ["position"])
    question.position = order.index(question)


# Surveys: the participants' side -------------------------------------------------------------


@transaction.atomic
def survey_answer(
    *,
    assignment: SurveyAssignment,
    by: User,
    answers: Mapping[Any, Any],
    now: dt.datetime | None = None,
) -> SurveyAssignment:
    """Answer one's own open survey, once; answers keyed by question id or "question_<id>"."""
    now = now or timezone.now()
    locked = (
        SurveyAssignment.objects.select_for_update(of=("self",))
        .select_related("survey")
        .filter(pk=assignment.pk)
        .first()
    )
    if locked is None or locked.user_id != by.pk or locked.opens_at > now:
        raise NotFoundError("No such survey.")
    if locked.submitted_at is not None:
        raise ValidationError("You have already answered this survey.")
    questions = survey_questions_for_role(survey=locked.survey, role=locked.role)
    cleaned = questions_answers_clean(
        questions=questions, answers=answers, unknown="This survey asks no such question of you."
    )
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(assignment=locked, question=question, value=value)
        for question, value in cleaned
    )
    locked.submitted_at = now
    locked.save(update_fields=["submitted_at"])
    # Answered before its notice went out: it need not go.
    reminders_cancel_keys(keys=[_reminder_key(locked.pk)])
    assignment.submitted_at = now
    return locked


# Surveys: following a mentorship -------------------------------------------------------------


def survey_opens_at(
    *, kind: str, started_at: dt.datetime, expected_end_on: dt.date, time_zone: str | None
) -> dt.datetime:
    """09:00 in the person's zone on the mentorship's middle day (mid-point) or end day."""
    start_day = timezone.localdate(started_at)
    if kind == SurveyKind.END:
        day = expected_end_on
    else:
        day = start_day + dt.timedelta(days=max((expected_end_on - start_day).days, 0) // 2)
    return resolve_local_time(day, SURVEY_OPENS_AT, get_zone(time_zone))


def _zones(user_ids: Iterable[int]) -> dict[int, str]:
    return dict(
        Profile.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "time_zone")
    )


def _arrange_on_commit(mentorship_id: int) -> None:
    def enqueue() -> None:
        from trellis.feedback.tasks import survey_reminders_task

        survey_reminders_task.enqueue(mentorship_id=mentorship_id)

    transaction.on_commit(enqueue)


def _withdraw(assignments: QuerySet[SurveyAssignment]) -> int:
    """Delete assignments (not yet opened) and cancel their opening notices."""
    ids = list(assignments.values_list("pk", flat=True))
    if not ids:
        return 0
    reminders_cancel_keys(keys=[_reminder_key(pk) for pk in ids])
    SurveyAssignment.objects.filter(pk__in=ids).delete()
    return len(ids)


def _active_surveys(program: Program) -> list[tuple[int, str]]:
    """The program's active surveys (id, kind), remembered on the program object.

    The automatch starts thousands of mentorships of one program object in one
    transaction; this asks the database once for all of them. survey_set_active forgets
    it on the program object it is given.
    """
    cached: list[tuple[int, str]] | None = getattr(program, ACTIVE_SURVEYS_CACHE, None)
    if cached is None:
        cached = list(
            Survey.objects.filter(program_id=program.pk, is_active=True).values_list("pk", "kind")
        )
        setattr(program, ACTIVE_SURVEYS_CACHE, cached)
    return cached


def _assign(mentorship: Mentorship, *, user: User | None, now: dt.datetime) -> None:
    """Give the program's active surveys to the mentorship's people (or to user alone)."""
    if mentorship.expected_end_on is None:
        return
    surveys = _active_surveys(mentorship.program)
    if not surveys:
        return
    people = [(mentorship.mentor_id, Role.MENTOR.value)]
    people += [(mentee_id, Role.MENTEE.value) for mentee_id in mentorship.mentee_ids()]
    if user is not None:
        people = [(user.pk, role) for person_id, role in people if person_id == user.pk]
    zones = _zones(person_id for person_id, _role in people)
    rows = []
    for survey_id, kind in surveys:
        for person_id, role in people:
            opens_at = survey_opens_at(
                kind=kind,
                started_at=mentorship.started_at,
                expected_end_on=mentorship.expected_end_on,
                time_zone=zones.get(person_id),
            )
            if user is not None and kind == SurveyKind.MIDPOINT and opens_at <= now:
                # Someone joining a group past its middle is not asked how the first half went.
                continue
            rows.append(
                SurveyAssignment(
                    survey_id=survey_id,
                    mentorship_id=mentorship.pk,
                    user_id=person_id,
                    role=role,
                    opens_at=opens_at,
                )
            )
    if rows:
        SurveyAssignment.objects.bulk_create(rows, ignore_conflicts=True)
        _arrange_on_commit(mentorship.pk)


def _not_opened(mentorship: Mentorship, now: dt.datetime) -> QuerySet[SurveyAssignment]:
    return SurveyAssignment.objects.filter(
        mentorship_id=mentorship.pk, opens_at__gt=now, submitted_at__isnull=True
    )


def _move(mentorship: Mentorship, now: dt.datetime) -> None:
    """Open the copies not opened yet from the mentorship's new end date."""
    if mentorship.expected_end_on is None:
        return
    pending = list(_not_opened(mentorship, now).select_related("survey"))
    if not pending:
        return
    zones = _zones({assignment.user_id for assignment in pending})
    for assignment in pending:
        assignment.opens_at = survey_opens_at(
            kind=assignment.survey.kind,
            started_at=mentorship.started_at,
            expected_end_on=mentorship.expected_end_on,
            time_zone=zones.get(assignment.user_id),
        )
        assignment.notified_at = None
    SurveyAssignment.objects.bulk_update(pending, ["opens_at", "notified_at"])
    _arrange_on_commit(mentorship.pk)


def _finish(mentorship: Mentorship, now: dt.datetime) -> None:
    """The end survey opens now; a mid-point survey not opened yet is withdrawn."""
    not_opened = _not_opened(mentorship, now)
    _withdraw(not_opened.filter(survey__kind=SurveyKind.MIDPOINT))
    opened = not_opened.filter(survey__kind=SurveyKind.END).update(opens_at=now, notified_at=None)
    if opened:
        _arrange_on_commit(mentorship.pk)


def surveys_on_mentorship(*, mentorship: Mentorship, event: str, user: User | None = None) -> None:
    """Follow a mentorship's life (see mentorships.services._lifecycle for the events).

    "started": each current participant gets each active survey of the program;
    "extended": the copies not opened yet move with the end date; "finished": the end
    survey opens now and a mid-point one not opened yet is withdrawn; "member_joined" /
    "member_left": that person's copies are given / withdrawn. Pausing changes nothing.
    """
    now = timezone.now()
    if event == "started":
        _assign(mentorship, user=None, now=now)
    elif event == "member_joined" and user is not None:
        _assign(mentorship, user=user, now=now)
    elif event == "extended":
        _move(mentorship, now)
    elif event == "finished":
        _finish(mentorship, now)
    elif event == "member_left" and user is not None:
        _withdraw(_not_opened(mentorship, now).filter(user_id=user.pk))


def survey_reminders_arrange(*, mentorship_id: int) -> int:
    """Arrange the opening notice of each of the mentorship's copies that has none yet.

    Scheduling a key again moves its pending reminder, so a moved opening is told once,
    at its new time. Returns how many were arranged.
    """
    with transaction.atomic():
        assignments = list(
            SurveyAssignment.objects.select_for_update(of=("self",))
            .select_related("survey__program", "user")
            .filter(
                mentorship_id=mentorship_id, notified_at__isnull=True, submitted_at__isnull=True
            )
            .order_by("pk")
        )
        for assignment in assignments:
            survey = assignment.survey
            reminder_schedule(
                key=_reminder_key(assignment.pk),
                recipient=assignment.user,
                fire_at=assignment.opens_at,
                title=f"{survey.title}: {survey.program.name} asks for your feedback",
                body=f"Your {SurveyKind(survey.kind).label.lower()} is open; "
                "it takes a few minutes.",
                url=survey_url(assignment),
            )
        SurveyAssignment.objects.filter(pk__in=[a.pk for a in assignments]).update(
            notified_at=timezone.now()
        )
    return len(assignments)

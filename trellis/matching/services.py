"""Writes for matching: settings, criteria, wishes, and automatch runs.

Every function checks who acts (`by`), validates with clear field errors, and relies on the
database constraints (ranges, one wish per pair, one active run per program) as the second
line. Side effects (the background task, notifications) fire on commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from trellis.accounts.models import User
from trellis.core import realtime
from trellis.core.errors import PermissionDeniedError
from trellis.core.services import model_update
from trellis.matching import engine
from trellis.matching.cohort import program_cohort
from trellis.matching.criteria import (
    DEFAULT_CRITERIA,
    PARAMETERS,
    PROFILE_FIELDS,
    field_label,
    kinds_for_question,
    question_id_of,
)
from trellis.matching.explanations import (
    AVOID_LABEL,
    PairExplanation,
    explain_pairs,
    unmatched_entries,
)
from trellis.matching.models import (
    ACTIVE_RUN_STATUSES,
    MAX_EXPIRY_DAYS,
    MAX_OPEN_REQUESTS,
    MAX_RANK,
    MAX_WEIGHT,
    MAX_WISH_WEIGHT,
    MIN_EXPIRY_DAYS,
    MIN_OPEN_REQUESTS,
    MIN_RANK,
    MIN_WEIGHT,
    MIN_WISH_WEIGHT,
    CriterionKind,
    MatchingCriterion,
    MatchingSettings,
    MatchRun,
    MatchRunPair,
    MatchRunStatus,
    MenteeWish,
    MentorWish,
    Objective,
    WishStance,
)
from trellis.matching.selectors import automatch_cohort_size, matching_settings_for
from trellis.mentorships.models import MentorshipSource
from trellis.mentorships.selectors import active_mentorship_counts
from trellis.notifications.models import Notification
from trellis.notifications.services import email_send_on_commit
from trellis.programs.models import (
    Enrollment,
    EnrollmentStatus,
    IntakeQuestion,
    Program,
    Role,
)
from trellis.programs.selectors import program_can_manage

SETTINGS_FIELDS = (
    "automatch_enabled",
    "mentee_requests_enabled",
    "mentor_offers_enabled",
    "objective",
    "request_expiry_days",
    "max_open_requests",
    "wish_weight",
)
CRITERION_FIELDS = ("kind", "field", "is_hard_rule", "weight", "parameter")
MAX_CRITERIA = 30
# Rows written, or ids looked up, per query when publishing in bulk.
BULK_BATCH = 1000
MENTOR_ROLES = (Role.MENTOR, Role.BOTH)
MENTEE_ROLES = (Role.MENTEE, Role.BOTH)

if TYPE_CHECKING:
    from trellis.mentorships.models import Mentorship

logger = logging.getLogger(__name__)


def _require_manager(program: Program, by: User) -> None:
    if not program_can_manage(program=program, user=by):
        raise PermissionDeniedError("You do not manage this program.")


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Settings -------------------------------------------------------------------------------


def _clean_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {key: data[key] for key in SETTINGS_FIELDS if key in data}
    errors: dict[str, list[str]] = {}
    for field in ("automatch_enabled", "mentee_requests_enabled", "mentor_offers_enabled"):
        if field in cleaned and not isinstance(cleaned[field], bool):
            errors[field] = ["Give true or false."]
    if "objective" in cleaned and cleaned["objective"] not in Objective.values:
        errors["objective"] = ["Choose “most_matched” or “best_score”."]
    for field, low, high in (
        ("request_expiry_days", MIN_EXPIRY_DAYS, MAX_EXPIRY_DAYS),
        ("max_open_requests", MIN_OPEN_REQUESTS, MAX_OPEN_REQUESTS),
        ("wish_weight", MIN_WISH_WEIGHT, MAX_WISH_WEIGHT),
    ):
        if field in cleaned:
            value = cleaned[field]
            if not _is_whole(value) or not low <= value <= high:
                errors[field] = [f"Give a whole number from {low} to {high}."]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def matching_settings_update(
    *, program: Program, by: User, data: Mapping[str, Any]
) -> MatchingSettings:
    """Change how the program matches (its managers and staff)."""
    _require_manager(program, by)
    cleaned = _clean_settings(data)
    settings = matching_settings_for(program=program)
    try:
        model_update(instance=settings, fields=list(cleaned), data=cleaned)
    except ValidationError:
        settings.refresh_from_db()
        raise
    return settings


# Criteria -------------------------------------------------------------------------------


def _program_questions(program: Program) -> dict[int, IntakeQuestion]:
    return {q.pk: q for q in IntakeQuestion.objects.filter(program=program)}


def _kind_label(kind: str) -> str:
    return str(CriterionKind(kind).label)


def _clean_criterion(
    program: Program, data: dict[str, Any], questions: dict[int, IntakeQuestion]
) -> dict[str, Any]:
    """Check a criterion's kind, field, weight and parameter; fill the parameter's default."""
    errors: dict[str, list[str]] = {}
    kind = data.get("kind")
    field = str(data.get("field") or "")
    allowed: tuple[str, ...] = ()
    if field in PROFILE_FIELDS:
        allowed = PROFILE_FIELDS[field].kinds
    else:
        question_id = question_id_of(field)
        question = questions.get(question_id) if question_id is not None else None
        if question is None:
            errors["field"] = [
                "Choose a profile field or one of this program's intake questions."
                if question_id is None
                else "This program has no such intake question."
            ]
        else:
            allowed = kinds_for_question(question)
    if not kind and allowed:
        # The field decides how to compare it unless the manager chose otherwise.
        kind = allowed[0]
    if kind and kind not in CriterionKind.values:
        errors["kind"] = ["Choose how to compare: " + ", ".join(CriterionKind.values) + "."]
    elif not kind and "field" not in errors:
        errors["kind"] = ["Choose how to compare."]
    elif kind and allowed and kind not in allowed:
        fits = " or ".join(f"“{_kind_label(k)}”" for k in allowed)
        errors["kind"] = [
            f"“{_kind_label(kind)}” does not fit {field_label(field, questions)}; use {fits}."
        ]
    weight = data.get("weight")
    if (
        isinstance(weight, bool)
        or not isinstance(weight, int)
        or not MIN_WEIGHT <= weight <= MAX_WEIGHT
    ):
        errors["weight"] = [f"Give a weight from {MIN_WEIGHT} to {MAX_WEIGHT}."]
    if not isinstance(data.get("is_hard_rule"), bool):
        errors["is_hard_rule"] = ["Give true or false."]
    parameter = data.get("parameter")
    kind_name = str(kind or "")
    spec = PARAMETERS.get(kind_name)
    if spec is None:
        if parameter is not None and "kind" not in errors:
            errors["parameter"] = ["This kind of criterion takes no parameter; leave it empty."]
        parameter = None
    else:
        low, high = spec.bounds(kind_name)
        if parameter is None:
            parameter = spec.default(kind_name)
        elif (
            isinstance(parameter, bool)
            or not isinstance(parameter, int | float)
            or not math.isfinite(parameter)
            or not low <= parameter <= high
            or (spec.is_whole and parameter != int(parameter))
        ):
            number = "a whole number" if spec.is_whole else "a number"
            errors["parameter"] = [f"{spec.label}: give {number} from {low:g} to {high:g}."]
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "field": field,
        "is_hard_rule": data["is_hard_rule"],
        "weight": weight,
        "parameter": None if parameter is None else float(parameter),
    }


def _check_not_duplicate(
    program: Program, cleaned: dict[str, Any], *, exclude_pk: int | None = None
) -> None:
    same = MatchingCriterion.objects.filter(
        program=program,
        kind=cleaned["kind"],
        field=cleaned["field"],
        is_hard_rule=cleaned["is_hard_rule"],
    )
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise ValidationError(
            {"field": ["The program already has this criterion; edit that one instead."]}
        )


def _lock_program(program: Program) -> None:
    """Serialise edits of one program's criteria (positions, the defaults' copy).

    FOR NO KEY UPDATE on PostgreSQL: a long transaction inserting rows that refer to the
    program (publishing a run's mentorships) holds only a key-share lock, which this does
    not wait for.
    """
    Program.objects.select_for_update(no_key=True).filter(pk=program.pk).first()


def _materialise_defaults(program: Program) -> None:
    """Save the default criteria as the program's own, so editing starts from what applies."""
    if MatchingCriterion.objects.filter(program=program).exists():
        return
    MatchingCriterion.objects.bulk_create(
        [
            MatchingCriterion(
                program=program,
                kind=default.kind,
                field=default.field,
                is_hard_rule=default.is_hard_rule,
                weight=default.weight,
                parameter=default.parameter,
                position=position,
            )
            for position, default in enumerate(DEFAULT_CRITERIA)
        ]
    )


@transaction.atomic
def matching_criteria_customise(*, program: Program, by: User) -> list[MatchingCriterion]:
    """Copy the default criteria into the program so its managers can edit them."""
    _require_manager(program, by)
    _lock_program(program)
    _materialise_defaults(program)
    return list(MatchingCriterion.objects.filter(program=program).order_by("position", "pk"))


@transaction.atomic
def matching_criterion_create(
    *,
    program: Program,
    by: User,
    field: str,
    kind: str = "",
    is_hard_rule: bool = False,
    weight: int = 5,
    parameter: float | None = None,
) -> MatchingCriterion:
    """Add a criterion at the end; a program on the defaults keeps them and adds this one."""
    _require_manager(program, by)
    _lock_program(program)
    cleaned = _clean_criterion(
        program,
        {
            "kind": kind,
            "field": field,
            "is_hard_rule": is_hard_rule,
            "weight": weight,
            "parameter": parameter,
        },
        _program_questions(program),
    )
    _materialise_defaults(program)
    _check_not_duplicate(program, cleaned)
    existing = MatchingCriterion.objects.filter(program=program)
    if existing.count() >= MAX_CRITERIA:
        raise ValidationError(f"A program may have at most {MAX_CRITERIA} criteria.")
    last = existing.aggregate(last=Max("position"))["last"]
    criterion = MatchingCriterion(
        program=program, position=(last if last is not None else -1) + 1, **cleaned
    )
    criterion.full_clean()
    criterion.save()
    return criterion


@transaction.atomic
def matching_criterion_update(
    *, criterion: MatchingCriterion, by: User, data: Mapping[str, Any]
) -> MatchingCriterion:
    program = criterion.program
    _require_manager(program, by)
    merged = {key: data.get(key, getattr(criterion, key)) for key in CRITERION_FIELDS}
    if "kind" in data and "parameter" not in data and data["kind"] != criterion.kind:
        # A new kind gives the parameter a new meaning: start from its default.
        merged["parameter"] = None
    cleaned = _clean_criterion(program, merged, _program_questions(program))
    _check_not_duplicate(program, cleaned, exclude_pk=criterion.pk)
    try:
        model_update(instance=criterion, fields=list(cleaned), data=cleaned)
    except ValidationError:
        criterion.refresh_from_db()
        raise
    return criterion


@transaction.atomic
def matching_criterion_delete(*, criterion: MatchingCriterion, by: User) -> None:
    """Delete a criterion; a program left with none matches on the defaults again."""
    _require_manager(criterion.program, by)
    criterion.delete()


@transaction.atomic
def matching_criteria_reorder(*, program: Program, by: User, criterion_ids: list[int]) -> None:
    """Put the program's criteria in the given order; every criterion must be listed once."""
    _require_manager(program, by)
    criteria = {
        c.pk: c for c in MatchingCriterion.objects.select_for_update().filter(program=program)
    }
    if sorted(criterion_ids) != sorted(criteria):
        raise ValidationError({"criterion_ids": ["List each of the program's criteria once."]})
    changed = []
    for position, criterion_id in enumerate(criterion_ids):
        criterion = criteria[criterion_id]
        if criterion.position != position:
            criterion.position = position
            changed.append(criterion)
    MatchingCriterion.objects.bulk_update(changed, ["position"])


def matching_criterion_move(*, criterion: MatchingCriterion, by: User, offset: int) -> None:
    """Move a criterion up (offset -1) or down (+1) the list."""
    program = criterion.program
    _require_manager(program, by)
    order = list(
        MatchingCriterion.objects.filter(program=program)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    index = order.index(criterion.pk)
    target = index + offset
    if not 0 <= target < len(order):
        return
    order[index], order[target] = order[target], order[index]
    matching_criteria_reorder(program=program, by=by, criterion_ids=order)


# Wishes ---------------------------------------------------------------------------------


def _approved_enrollment(program: Program, user: User, roles: tuple[str, ...]) -> Enrollment | None:
    return Enrollment.objects.filter(
        program=program, user_id=user.pk, status=EnrollmentStatus.APPROVED, role__in=roles
    ).first()


def _check_pair_roles(program: Program, *, mentee: User, mentor: User) -> None:
    errors: dict[str, list[str]] = {}
    if mentee.pk == mentor.pk:
        errors["mentor"] = ["Nobody can be their own mentor."]
    else:
        if _approved_enrollment(program, mentee, MENTEE_ROLES) is None:
            errors["mentee"] = ["This person is not a mentee taking part in the program."]
        if _approved_enrollment(program, mentor, MENTOR_ROLES) is None:
            errors["mentor"] = ["This person is not a mentor taking part in the program."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def mentee_wish_set(
    *, program: Program, mentee: User, mentor: User, is_favourite: bool, rank: int | None
) -> None:
    """Record a mentee's favourite and rank (1 = first choice) for a mentor.

    Neither a favourite nor a rank removes the wish. Giving a rank another mentor holds
    moves that mentor to this one's previous rank (or none), so ranks stay distinct.
    """
    if not isinstance(is_favourite, bool):
        raise ValidationError({"is_favourite": ["Give true or false."]})
    if rank is not None and (not _is_whole(rank) or not MIN_RANK <= rank <= MAX_RANK):
        raise ValidationError({"rank": [f"Give a rank from {MIN_RANK} to {MAX_RANK}, or none."]})
    _check_pair_roles(program, mentee=mentee, mentor=mentor)
    # Lock the mentee's wishes so two tabs ranking at once cannot collide.
    wishes = {
        w.mentor_id: w
        for w in MenteeWish.objects.select_for_update().filter(program=program, mentee=mentee)
    }
    current = wishes.get(mentor.pk)
    if not is_favourite and rank is None:
        if current is not None:
            current.delete()
        return
    holder = next(
        (w for w in wishes.values() if rank is not None and w.rank == rank and w is not current),
        None,
    )
    previous_rank = current.rank if current is not None else None
    if holder is not None:
        # Free the rank first: the unique constraint holds after every statement.
        if holder.is_favourite or previous_rank is not None:
            MenteeWish.objects.filter(pk=holder.pk).update(rank=None)
        else:
            holder.delete()
            holder = None
    _save_wish(
        current, program=program, mentee=mentee, mentor=mentor, is_favourite=is_favourite, rank=rank
    )
    if holder is not None:
        MenteeWish.objects.filter(pk=holder.pk).update(rank=previous_rank)


def _save_wish(
    current: MenteeWish | None,
    *,
    program: Program,
    mentee: User,
    mentor: User,
    is_favourite: bool,
    rank: int | None,
) -> None:
    wish = current or MenteeWish(program=program, mentee=mentee, mentor=mentor)
    wish.is_favourite = is_favourite
    wish.rank = rank
    wish.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            wish.save()
    except IntegrityError as error:
        raise ValidationError({"rank": ["Another mentor has this rank; try again."]}) from error


@transaction.atomic
def mentor_wish_set(*, program: Program, mentor: User, mentee: User, stance: str | None) -> None:
    """Record that a mentor prefers or wants to avoid a mentee; None removes the wish.

    "avoid" is a hard rule: automatch never pairs them, and the mentee does not see the
    mentor among their candidates as eligible.
    """
    if stance is not None and stance not in WishStance.values:
        raise ValidationError({"stance": ["Choose “prefer”, “avoid” or none."]})
    _check_pair_roles(program, mentee=mentee, mentor=mentor)
    existing = MentorWish.objects.select_for_update().filter(
        program=program, mentor=mentor, mentee=mentee
    )
    if stance is None:
        existing.delete()
        return
    wish = existing.first() or MentorWish(program=program, mentor=mentor, mentee=mentee)
    wish.stance = stance
    wish.full_clean(validate_unique=False, validate_constraints=False)
    wish.save()


# Automatch runs -------------------------------------------------------------------------


def _now() -> dt.datetime:
    return timezone.now()


def _require_draft(run: MatchRun) -> None:
    if run.status == MatchRunStatus.PUBLISHED:
        raise ValidationError("This run was already published; start a new run to match again.")
    if run.status == MatchRunStatus.PUBLISHING:
        raise ValidationError("This run is being published; wait until it is done.")
    if run.status != MatchRunStatus.DRAFT:
        raise ValidationError(
            f"Only a draft can be changed; this run is {run.get_status_display().lower()}."
        )


def _locked_run(run: MatchRun) -> MatchRun:
    """The run's row, locked for this transaction, with the caller's program attached."""
    locked = MatchRun.objects.select_for_update().get(pk=run.pk)
    locked.program = run.program
    return locked


def _cohort_problems(program: Program) -> list[str]:
    """Why automatch has nobody to match, in words; empty when there is work to do."""
    size = automatch_cohort_size(program=program)
    problems = []
    if size.mentees_waiting == 0:
        problems.append("No approved mentee is waiting for a mentor: approve some applications.")
    if size.places_left == 0:
        problems.append(
            "No approved mentor has a place left: approve mentors or raise their capacity."
        )
    return problems


@transaction.atomic
def matchrun_start(*, program: Program, by: User) -> MatchRun:
    """Queue an automatch of the program's waiting mentees; the worker solves it.

    Refused while another run is queued or running, when automatch is off, or when there
    is nobody to match. Earlier drafts are discarded: only the newest can be published.
    """
    _require_manager(program, by)
    settings = matching_settings_for(program=program)
    if not settings.automatch_enabled:
        raise ValidationError(
            "Automatch is off for this program; turn it on in the matching settings."
        )
    _lock_program(program)
    if MatchRun.objects.filter(program=program, status__in=ACTIVE_RUN_STATUSES).exists():
        raise ValidationError("A matching run is already under way for this program.")
    problems = _cohort_problems(program)
    if problems:
        raise ValidationError(problems)
    MatchRun.objects.filter(program=program, status=MatchRunStatus.DRAFT).update(
        status=MatchRunStatus.DISCARDED, updated_at=_now()
    )
    try:
        with transaction.atomic():
            run = MatchRun.objects.create(
                program=program,
                created_by=by,
                objective=settings.objective,
                progress_message="Waiting for the worker to start",
            )
    except IntegrityError as error:
        raise ValidationError("A matching run is already under way for this program.") from error
    _enqueue(run)
    return run


def _enqueue(run: MatchRun) -> None:
    from trellis.matching.tasks import matchrun_execute

    run_id = run.pk
    transaction.on_commit(lambda: matchrun_execute.enqueue(run_id=run_id))


class RunCancelledError(Exception):
    """The run was discarded while the worker was solving it."""


class _ProgressWriter:
    """Write the solver's progress to the run, at most a few times a second."""

    INTERVAL = 0.5

    def __init__(
        self, run_id: int, *, low: int, high: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.run_id = run_id
        self.clock = clock
        self.low, self.high = low, high
        self.last_write = -math.inf
        self.last_percent = -1

    def __call__(self, fraction: float, message: str) -> None:
        percent = self.low + round((self.high - self.low) * min(max(fraction, 0.0), 1.0))
        clock = self.clock()
        if percent == self.last_percent or (
            clock - self.last_write < self.INTERVAL and fraction < 1.0
        ):
            return
        self._write(percent, message, clock)

    def write(self, percent: int, message: str) -> None:
        self._write(percent, message, self.clock())

    def _write(self, percent: int, message: str, clock: float) -> None:
        self.last_write, self.last_percent = clock, percent
        self._store(percent, message[:200])

    def _store(self, percent: int, message: str) -> None:
        updated = MatchRun.objects.filter(pk=self.run_id, status=MatchRunStatus.RUNNING).update(
            progress=percent, progress_message=message, updated_at=_now()
        )
        if not updated:
            raise RunCancelledError


def matchrun_execute_now(*, run_id: int) -> None:
    """Solve a queued run (the worker's task): draft pairs with reasons, and the report.

    Pairs the manager locked are kept and the rest is solved around them. Any failure
    marks the run failed with the reason, so the manager is never left waiting.
    """
    claimed = MatchRun.objects.filter(pk=run_id, status=MatchRunStatus.QUEUED).update(
        status=MatchRunStatus.RUNNING,
        started_at=_now(),
        finished_at=None,
        progress=1,
        progress_message="Reading the cohort",
        error="",
        updated_at=_now(),
    )
    if not claimed:
        return
    run = MatchRun.objects.select_related("program").get(pk=run_id)
    started = time.monotonic()
    try:
        _solve_run(run, started=started)
    except RunCancelledError:
        logger.info("matching run %s was discarded while it was solved", run_id)
    except (ValidationError, engine.SpecError) as error:
        _fail(run_id, _error_text(error))
    except Exception as error:
        logger.exception("matching run %s failed", run_id)
        _fail(run_id, f"The solver stopped with an error: {error}")


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(error)


def _fail(run_id: int, message: str) -> None:
    MatchRun.objects.filter(pk=run_id, status=MatchRunStatus.RUNNING).update(
        status=MatchRunStatus.FAILED,
        error=message[:2000],
        progress_message="Failed",
        finished_at=_now(),
        updated_at=_now(),
    )


def _solve_run(run: MatchRun, *, started: float) -> None:
    program = run.program
    writer = _ProgressWriter(run.pk, low=10, high=90)
    locked = list(MatchRunPair.objects.filter(run=run, is_locked=True).order_by("pk"))
    cohort = program_cohort(
        program=program,
        mentee_ids=None,
        include_matched_mentees=False,
    )
    writer.write(5, "Checking the configuration")
    problems = []
    if not cohort.mentees:
        problems.append("No approved mentee is waiting for a mentor.")
    if cohort.places_total == 0:
        problems.append("No approved mentor has a place left.")
    if problems:
        raise ValidationError(problems)
    fixed: list[tuple[int, int]] = []
    for pair in locked:
        mentee_row = cohort.mentee_index.get(pair.mentee_id)
        mentor_row = cohort.mentor_index.get(pair.mentor_id)
        if mentee_row is None or mentor_row is None:
            raise ValidationError(
                "A locked pair's mentee or mentor is no longer waiting in the program; "
                "unlock it and solve again."
            )
        fixed.append((mentee_row, mentor_row))
    solution = engine.solve(
        cohort.cohort,
        cohort.criteria,
        objective=engine.Objective(run.objective),
        fixed_pairs=fixed,
        progress=writer,
    )
    writer.write(92, "Explaining the matches")
    locked_mentees = {pair.mentee_id for pair in locked}
    explanations = explain_pairs(
        cohort, solution.mentee_index.tolist(), solution.mentor_index.tolist()
    )
    pairs = [
        MatchRunPair(
            run=run,
            mentee=cohort.mentees[i].user,
            mentor=cohort.mentors[j].user,
            score=explanation.score,
            reasons=explanation.reasons,
            is_locked=cohort.mentees[i].user.pk in locked_mentees,
        )
        for i, j, explanation in zip(
            solution.mentee_index.tolist(),
            solution.mentor_index.tolist(),
            explanations,
            strict=True,
        )
    ]
    writer.write(96, "Writing the report")
    report = {
        "mentee_count": len(cohort.mentees),
        "mentor_count": len(cohort.mentors),
        "places": cohort.places_total,
        "errors": cohort.errors,
        "unmatched": unmatched_entries(cohort, solution.unmatched.tolist(), solution),
        "seconds": round(time.monotonic() - started, 2),
        "criteria": [c.label for c in cohort.criteria],
    }
    with transaction.atomic():
        current = MatchRun.objects.select_for_update().filter(pk=run.pk).first()
        if current is None or current.status != MatchRunStatus.RUNNING:
            raise RunCancelledError
        MatchRunPair.objects.filter(run=run).delete()
        MatchRunPair.objects.bulk_create(pairs, batch_size=2000)
        current.status = MatchRunStatus.DRAFT
        current.progress = 100
        current.progress_message = "Draft ready for review"
        current.finished_at = _now()
        current.report = report
        current.is_optimal = bool(solution.is_optimal)
        _set_totals(current, pairs)
        current.save()


def _set_totals(run: MatchRun, pairs: Iterable[MatchRunPair]) -> None:
    """Recompute the run's figures from its pairs and its report's unmatched list."""
    scores = [pair.score for pair in pairs]
    run.matched_count = len(scores)
    run.total_score = round(sum(scores), 2)
    run.unmatched_count = len(run.report.get("unmatched", []))


@transaction.atomic
def matchrun_pair_lock(*, run: MatchRun, pair: MatchRunPair, by: User) -> MatchRunPair:
    """Keep a pair as it is when the rest of the draft is solved again."""
    return _set_locked(run, pair, by, is_locked=True)


@transaction.atomic
def matchrun_pair_unlock(*, run: MatchRun, pair: MatchRunPair, by: User) -> MatchRunPair:
    return _set_locked(run, pair, by, is_locked=False)


def _set_locked(run: MatchRun, pair: MatchRunPair, by: User, *, is_locked: bool) -> MatchRunPair:
    _require_manager(run.program, by)
    run = _locked_run(run)
    _require_draft(run)
    if pair.run_id != run.pk:
        raise ValidationError("This pair belongs to another run.")
    if pair.is_locked != is_locked:
        pair.is_locked = is_locked
        pair.save(update_fields=["is_locked"])
    return pair


def _score_and_explain(program: Program, pairs: list[tuple[User, User]]) -> list[PairExplanation]:
    """Score (mentee, mentor) pairs as automatch would, with their reasons."""
    mentee_ids = {mentee.pk for mentee, _ in pairs}
    mentor_ids = {mentor.pk for _, mentor in pairs}
    cohort = program_cohort(
        program=program,
        mentee_ids=mentee_ids,
        mentor_ids=mentor_ids,
        include_matched_mentees=True,
    )
    rows, columns = [], []
    for mentee, mentor in pairs:
        row = cohort.mentee_index.get(mentee.pk)
        column = cohort.mentor_index.get(mentor.pk)
        if row is None:
            raise ValidationError(f"{mentee.display_name} is not an approved mentee any more.")
        if column is None:
            raise ValidationError(f"{mentor.display_name} is not an approved mentor any more.")
        rows.append(row)
        columns.append(column)
    return explain_pairs(cohort, rows, columns)


def _refuse_blocked(mentee: User, mentor: User, explanation: PairExplanation) -> None:
    if explanation.is_eligible:
        return
    if AVOID_LABEL in explanation.blocked_by:
        raise ValidationError(
            f"{mentor.display_name} asked not to be matched with {mentee.display_name}."
        )
    rules = ", ".join(f"“{rule}”" for rule in explanation.blocked_by)
    raise ValidationError(
        f"{mentor.display_name} cannot mentor {mentee.display_name}: "
        f"the hard rule {rules} does not hold."
    )


def _refresh_totals(run: MatchRun) -> None:
    run.is_optimal = False
    _set_totals(run, list(MatchRunPair.objects.filter(run=run).only("score")))
    run.save(
        update_fields=[
            "is_optimal",
            "matched_count",
            "unmatched_count",
            "total_score",
            "report",
            "updated_at",
        ]
    )


@transaction.atomic
def matchrun_swap(
    *, run: MatchRun, pair_a: MatchRunPair, pair_b: MatchRunPair, by: User
) -> tuple[MatchRunPair, MatchRunPair]:
    """Swap the mentors of two mentees in a draft; both pairs are then locked.

    Refused if either new pair would break a hard rule (or a mentor's "avoid").
    """
    _require_manager(run.program, by)
    run = _locked_run(run)
    _require_draft(run)
    if pair_a.run_id != run.pk or pair_b.run_id != run.pk:
        raise ValidationError("Both pairs must belong to this run.")
    if pair_a.pk == pair_b.pk:
        raise ValidationError("Choose two different pairs to swap.")
    if pair_a.mentor_id == pair_b.mentor_id:
        raise ValidationError("Both mentees already have the same mentor; nothing to swap.")
    first, second = _score_and_explain(
        run.program, [(pair_a.mentee, pair_b.mentor), (pair_b.mentee, pair_a.mentor)]
    )
    _refuse_blocked(pair_a.mentee, pair_b.mentor, first)
    _refuse_blocked(pair_b.mentee, pair_a.mentor, second)
    mentor_a, mentor_b = pair_a.mentor, pair_b.mentor
    for pair, mentor, explanation in ((pair_a, mentor_b, first), (pair_b, mentor_a, second)):
        pair.mentor = mentor
        pair.score = explanation.score
        pair.reasons = explanation.reasons
        pair.is_locked = True
        pair.save(update_fields=["mentor", "score", "reasons", "is_locked"])
    _refresh_totals(run)
    return pair_a, pair_b


def _places_in_draft(run: MatchRun, mentor: User, *, except_mentee: User) -> int:
    """Places the mentor has left once the draft's other pairs are counted."""
    enrollment = _approved_enrollment(run.program, mentor, MENTOR_ROLES)
    if enrollment is None:
        raise ValidationError(
            {"mentor": ["This person is not a mentor taking part in the program."]}
        )
    capacity = enrollment.mentor_capacity or run.program.default_mentor_capacity
    active = active_mentorship_counts(program=run.program).get(mentor.pk, 0)
    drafted = (
        MatchRunPair.objects.filter(run=run, mentor=mentor).exclude(mentee=except_mentee).count()
    )
    return capacity - active - drafted


@transaction.atomic
def matchrun_assign(*, run: MatchRun, mentee: User, mentor: User, by: User) -> MatchRunPair:
    """Give a mentee of the draft another mentor (or a first one); the pair is then locked.

    The mentor needs a place left in the draft, and the pair must pass every hard rule.
    """
    _require_manager(run.program, by)
    run = _locked_run(run)
    _require_draft(run)
    pair = MatchRunPair.objects.filter(run=run, mentee=mentee).select_related("mentor").first()
    unmatched = [e for e in run.report.get("unmatched", []) if e.get("mentee_id") == mentee.pk]
    if pair is None and not unmatched:
        raise ValidationError({"mentee": ["This mentee is not part of this run."]})
    if pair is not None and pair.mentor_id == mentor.pk:
        raise ValidationError({"mentor": [f"{mentor.display_name} is already their mentor."]})
    # Lock the mentor's draft pairs so two assignments cannot both take the last place.
    list(MatchRunPair.objects.select_for_update().filter(run=run, mentor=mentor))
    if _places_in_draft(run, mentor, except_mentee=mentee) < 1:
        raise ValidationError(
            {
                "mentor": [
                    f"{mentor.display_name} has no place left in this draft; "
                    "swap two pairs instead."
                ]
            }
        )
    (explanation,) = _score_and_explain(run.program, [(mentee, mentor)])
    _refuse_blocked(mentee, mentor, explanation)
    if pair is None:
        pair = MatchRunPair(run=run, mentee=mentee)
        run.report["unmatched"] = [
            e for e in run.report.get("unmatched", []) if e.get("mentee_id") != mentee.pk
        ]
    pair.mentor = mentor
    pair.score = explanation.score
    pair.reasons = explanation.reasons
    pair.is_locked = True
    pair.save()
    _refresh_totals(run)
    return pair


@transaction.atomic
def matchrun_resolve(*, run: MatchRun, by: User) -> MatchRun:
    """Solve the draft again around its locked pairs (in the background)."""
    _require_manager(run.program, by)
    run = _locked_run(run)
    _require_draft(run)
    _lock_program(run.program)
    if MatchRun.objects.filter(program=run.program, status__in=ACTIVE_RUN_STATUSES).exists():
        raise ValidationError("A matching run is already under way for this program.")
    run.status = MatchRunStatus.QUEUED
    run.progress = 0
    run.progress_message = "Waiting for the worker to start"
    run.save(update_fields=["status", "progress", "progress_message", "updated_at"])
    _enqueue(run)
    return run


@transaction.atomic
def matchrun_publish(*, run: MatchRun, by: User) -> MatchRun:
    """Publish a draft in the background: the worker starts every pair's mentorship.

    The run is marked publishing at once (so it can be neither changed nor published
    twice meanwhile; discarding it stops the publishing) and the task is queued on
    commit; see `matchrun_publish_now`.
    """
    _require_manager(run.program, by)
    run = _locked_run(run)
    _require_draft(run)
    if not MatchRunPair.objects.filter(run=run).exists():
        raise ValidationError("The draft has no pairs to publish.")
    _lock_program(run.program)
    if MatchRun.objects.filter(program=run.program, status__in=ACTIVE_RUN_STATUSES).exists():
        raise ValidationError("A matching run is already under way for this program.")
    run.status = MatchRunStatus.PUBLISHING
    run.published_by = by
    run.progress = 0
    run.progress_message = "Waiting for the worker to start"
    run.error = ""
    run.save(
        update_fields=[
            "status",
            "published_by",
            "progress",
            "progress_message",
            "error",
            "updated_at",
        ]
    )
    from trellis.matching.tasks import matchrun_publish_pairs

    run_id = run.pk
    transaction.on_commit(lambda: matchrun_publish_pairs.enqueue(run_id=run_id))
    return run


class _PublishProgressWriter(_ProgressWriter):
    """Publishing progress, visible to the run page before the publishing commits.

    Publishing is one transaction, whose own writes nobody sees until it commits. Where
    the database lets two connections write at once, progress therefore goes through a
    helper thread's connection of its own (the publishing transaction never locks the
    run's row before its last statement, so the two never wait for each other). SQLite
    has one writer at a time: there progress is written in the transaction and the page
    shows "Publishing" until the end.
    """

    def __init__(self, run_id: int, *, low: int, high: int) -> None:
        super().__init__(run_id, low=low, high=high)
        self._helper: ThreadPoolExecutor | None = None
        if connection.vendor != "sqlite":
            self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish")

    def _store(self, percent: int, message: str) -> None:
        if self._helper is None:
            _store_publish_progress(self.run_id, percent, message)
        else:
            self._helper.submit(_store_publish_progress, self.run_id, percent, message).result()

    def close(self) -> None:
        if self._helper is not None:
            # The helper thread's connection is its own: close it before the thread ends.
            self._helper.submit(_close_connection).result()
            self._helper.shutdown()
            self._helper = None


def _close_connection() -> None:
    """Close the calling thread's database connection."""
    connection.close()


def _store_publish_progress(run_id: int, percent: int, message: str) -> None:
    MatchRun.objects.filter(pk=run_id, status=MatchRunStatus.PUBLISHING).update(
        progress=percent, progress_message=message, updated_at=_now()
    )


def matchrun_publish_now(*, run_id: int) -> None:
    """Publish a run marked publishing (the worker's task): all pairs, or none.

    Every mentorship goes through mentorship_start (capacity and "one mentor per mentee"
    are checked under row locks) in one transaction; if any pair can no longer start,
    nothing is published and the run is a draft again, with the reason. Then the run is
    published and everyone is told, once the transaction has committed.
    """
    run = (
        MatchRun.objects.select_related("program")
        .filter(pk=run_id, status=MatchRunStatus.PUBLISHING)
        .first()
    )
    if run is None:
        return
    writer = _PublishProgressWriter(run_id, low=2, high=90)
    try:
        writer.write(1, "Reading the pairs")
        with transaction.atomic():
            _publish_pairs(run, writer)
    except RunCancelledError:
        logger.info("matching run %s was no longer publishing; nothing was published", run_id)
    except ValidationError as error:
        _publish_failed(run_id, _error_text(error))
    except Exception as error:
        logger.exception("publishing matching run %s failed", run_id)
        _publish_failed(run_id, f"Publishing stopped with an error: {error}")
    finally:
        writer.close()


def _publish_pairs(run: MatchRun, writer: _PublishProgressWriter) -> None:
    # Imported here: mentorships' services read matching's in turn (candidates, wishes).
    from trellis.mentorships.services import mentorship_start

    program = run.program
    pairs = list(
        MatchRunPair.objects.filter(run=run)
        .select_related("mentee__profile", "mentor__profile")
        .order_by("pk")
    )
    if not pairs:
        raise ValidationError("The draft has no pairs to publish.")
    # (mentorship, mentee): in a group program several mentees join one mentor's group.
    mentorships: list[tuple[Mentorship, User, list[str]]] = []
    for done, pair in enumerate(pairs, start=1):
        try:
            mentorship = mentorship_start(
                program=program,
                mentor=pair.mentor,
                mentee=pair.mentee,
                source=MentorshipSource.AUTOMATCH,
                score=min(max(pair.score, 0.0), 100.0),
                reasons=list(pair.reasons),
                # The program's automatch starts these; the run records who published.
                by=None,
                # Everyone is told below, in bulk.
                notify=False,
            )
        except ValidationError as error:
            raise ValidationError(
                f"{pair.mentee.display_name} and {pair.mentor.display_name} cannot be "
                f"paired any more: {_error_text(error)} Nothing was published; solve again "
                "or change the pair."
            ) from error
        mentorships.append((mentorship, pair.mentee, list(pair.reasons)))
        writer(done / len(pairs), f"Started {done} of {len(pairs)} mentorships")
    writer.write(92, "Telling everyone")
    _notify_published(run, mentorships)
    now = _now()
    published = MatchRun.objects.filter(pk=run.pk, status=MatchRunStatus.PUBLISHING).update(
        status=MatchRunStatus.PUBLISHED,
        published_at=now,
        progress=100,
        progress_message="Published",
        updated_at=now,
    )
    if not published:
        raise RunCancelledError


def _publish_failed(run_id: int, message: str) -> None:
    """Make the run a draft again, saying why it could not be published."""
    MatchRun.objects.filter(pk=run_id, status=MatchRunStatus.PUBLISHING).update(
        status=MatchRunStatus.DRAFT,
        error=message[:2000],
        published_by=None,
        progress=100,
        progress_message="Draft ready for review",
        updated_at=_now(),
    )


def _notify_published(run: MatchRun, mentorships: list[tuple[Mentorship, User, list[str]]]) -> None:
    """Tell both people of every new mentorship, and the mentees left unmatched.

    The same notifications mentorship_start and notification_send would give one by one,
    stored in bulk: a few queries per thousand people instead of several per person. Each
    person's live event and email still go out on commit.
    """
    from trellis.mentorships.services import mentorship_url

    program = run.program
    notifications: list[Notification] = []
    emailed: set[int] = set()
    for mentorship, mentee, reasons in mentorships:
        mentor = mentorship.mentor
        body = "; ".join(reasons)
        url = mentorship_url(mentorship)
        if mentorship.is_group:
            titles = (
                (mentee, f"You are now in {mentor.display_name}'s group in {program.name}"),
                (mentor, f"{mentee.display_name} joined your group in {program.name}"),
            )
        else:
            titles = (
                (mentee, f"{mentor.display_name} is now your mentor in {program.name}"),
                (mentor, f"You are now mentoring {mentee.display_name} in {program.name}"),
            )
        for recipient, title in titles:
            notifications.append(
                Notification(
                    recipient=recipient,
                    kind="mentorship.started",
                    title=title[:200],
                    body=body,
                    url=url,
                )
            )
            emailed.add(len(notifications) - 1)
    unmatched_ids = [e["mentee_id"] for e in run.report.get("unmatched", []) if "mentee_id" in e]
    program_url = reverse("programs:detail", kwargs={"slug": program.slug})
    for start in range(0, len(unmatched_ids), BULK_BATCH):
        for mentee in User.objects.filter(
            pk__in=unmatched_ids[start : start + BULK_BATCH], is_active=True
        ):
            notifications.append(
                Notification(
                    recipient=mentee,
                    kind="matching.unmatched",
                    title=f"{program.name}: no mentor yet",
                    body=(
                        "The program matched its mentees, but could not find you a mentor "
                        "this time. The program's managers know and will keep looking."
                    ),
                    url=program_url,
                )
            )
    Notification.objects.bulk_create(notifications, batch_size=BULK_BATCH)
    unread = _unread_counts({n.recipient_id for n in notifications})
    for notification in notifications:
        realtime.publish(
            [notification.recipient_id],
            {
                "type": "notification.created",
                "id": notification.pk,
                "title": notification.title,
                "url": notification.url,
                "unread_count": unread.get(notification.recipient_id, 0),
            },
        )
    site_url = django_settings.SITE_URL.rstrip("/")
    for index in sorted(emailed):
        notification = notifications[index]
        recipient = notification.recipient
        if not recipient.is_active:
            continue
        context = {
            "notification": notification,
            "recipient": recipient,
            "absolute_url": site_url + notification.url if notification.url else "",
        }
        email_send_on_commit(
            to=[recipient.email],
            subject=f"[Trellis] {notification.title}",
            body=render_to_string("notifications/email.txt", context),
        )


def _unread_counts(recipient_ids: set[int]) -> dict[int, int]:
    """Each recipient's unread notifications, in one query per `BULK_BATCH` people."""
    ordered = sorted(recipient_ids)
    counts: dict[int, int] = {}
    for start in range(0, len(ordered), BULK_BATCH):
        rows = (
            Notification.objects.filter(
                recipient_id__in=ordered[start : start + BULK_BATCH], read_at__isnull=True
            )
            .values("recipient_id")
            .annotate(unread=Count("pk"))
            .values_list("recipient_id", "unread")
        )
        counts.update(dict(rows))
    return counts


@transaction.atomic
def matchrun_discard(*, run: MatchRun, by: User) -> MatchRun:
    """Throw a draft (or a failed or unfinished run) away; published runs stay.

    A run being published is stopped: the worker finds it discarded at its last step and
    rolls everything back, so nothing is published (and a worker that died mid-way
    leaves no run stuck in "publishing").
    """
    _require_manager(run.program, by)
    run = _locked_run(run)
    if run.status == MatchRunStatus.PUBLISHED:
        raise ValidationError("A published run cannot be discarded.")
    if run.status == MatchRunStatus.DISCARDED:
        raise ValidationError("This run was already discarded.")
    run.status = MatchRunStatus.DISCARDED
    run.finished_at = run.finished_at or _now()
    run.save(update_fields=["status", "finished_at", "updated_at"])
    return run

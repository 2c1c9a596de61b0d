"""REST endpoints for matching (program managers), mounted at /api/v1/.

Everything lives under /programs/{slug}/matching/; people who do not manage the program
get 404, as on the pages. Refusals answer 422 with {"detail", "errors": {field: [...]}}.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError
from trellis.matching import selectors, services
from trellis.matching.criteria import field_label
from trellis.matching.models import MatchingCriterion, MatchingSettings, MatchRun, MatchRunPair
from trellis.programs.models import IntakeQuestion, Program
from trellis.programs.selectors import program_for_manager

router = Router(tags=["matching"])

PAIRS_PAGE_SIZE = 100


class SettingsOut(Schema):
    automatch_enabled: bool
    mentee_requests_enabled: bool
    mentor_offers_enabled: bool
    objective: str = Field(description="“most_matched” or “best_score”.")
    request_expiry_days: int
    max_open_requests: int
    wish_weight: int


class SettingsIn(Schema):
    automatch_enabled: bool | None = None
    mentee_requests_enabled: bool | None = None
    mentor_offers_enabled: bool | None = None
    objective: str | None = None
    request_expiry_days: int | None = None
    max_open_requests: int | None = None
    wish_weight: int | None = None


class CriterionOut(Schema):
    id: int | None = Field(description="None for the defaults a program has not customised.")
    kind: str
    field: str
    label: str
    is_hard_rule: bool
    weight: int
    parameter: float | None
    position: int


class CriteriaOut(Schema):
    uses_defaults: bool
    criteria: list[CriterionOut]


class CriterionIn(Schema):
    field: str = Field(
        description="A profile field (languages, interests, values, skills, seniority, "
        "time_zone, availability, communication_modes, department_line, organisation, "
        "text) or intake:<question id>."
    )
    kind: str = Field(default="", description="Empty: the kind that fits the field.")
    is_hard_rule: bool = False
    weight: int = 5
    parameter: float | None = None


class CriterionPatchIn(Schema):
    field: str | None = None
    kind: str | None = None
    is_hard_rule: bool | None = None
    weight: int | None = None
    parameter: float | None = None


class OrderIn(Schema):
    criterion_ids: list[int]


class RunOut(Schema):
    id: int
    status: str
    objective: str
    progress: int
    progress_message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    published_at: dt.datetime | None
    total_score: float | None
    matched_count: int
    unmatched_count: int
    is_optimal: bool
    report: dict[str, Any]
    error: str


class PersonOut(Schema):
    id: int
    display_name: str


class PairOut(Schema):
    id: int
    mentee: PersonOut
    mentor: PersonOut
    score: float
    reasons: list[str]
    is_locked: bool


class PairPageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[PairOut]


class PageIn(Schema):
    page: int = Field(default=1, ge=1)


class SwapIn(Schema):
    pair_a: int
    pair_b: int


class AssignIn(Schema):
    mentee_id: int
    mentor_id: int


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _program(request: HttpRequest, slug: str) -> Program:
    return program_for_manager(slug=slug, user=_user(request))


def _settings_out(settings: MatchingSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in services.SETTINGS_FIELDS}


def _criterion_out(
    criterion: MatchingCriterion, questions: dict[int, IntakeQuestion]
) -> dict[str, Any]:
    return {
        "id": criterion.pk,
        "kind": criterion.kind,
        "field": criterion.field,
        "label": field_label(criterion.field, questions),
        "is_hard_rule": criterion.is_hard_rule,
        "weight": criterion.weight,
        "parameter": criterion.parameter,
        "position": criterion.position,
    }


def _questions(program: Program) -> dict[int, IntakeQuestion]:
    return {q.pk: q for q in IntakeQuestion.objects.filter(program=program)}


def _run_out(run: MatchRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "status": run.status,
        "objective": run.objective,
        "progress": run.progress,
        "progress_message": run.progress_message,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "published_at": run.published_at,
        "total_score": run.total_score,
        "matched_count": run.matched_count,
        "unmatched_count": run.unmatched_count,
        "is_optimal": run.is_optimal,
        "report": run.report or {},
        "error": run.error,
    }


def _pair_out(pair: MatchRunPair) -> dict[str, Any]:
    return {
        "id": pair.pk,
        "mentee": {"id": pair.mentee_id, "display_name": pair.mentee.display_name},
        "mentor": {"id": pair.mentor_id, "display_name": pair.mentor.display_name},
        "score": pair.score,
        "reasons": pair.reasons,
        "is_locked": pair.is_locked,
    }


def _run(request: HttpRequest, slug: str, run_id: int) -> MatchRun:
    return selectors.match_run_for(program=_program(request, slug), run_id=run_id)


def _pair(run: MatchRun, pair_id: int) -> MatchRunPair:
    return selectors.match_run_pair_for(run=run, pair_id=pair_id)


def _participant(user_id: int) -> User:
    user = User.objects.select_related("profile").filter(pk=user_id).first()
    if user is None:
        raise NotFoundError("No such person.")
    return user


# Settings and criteria --------------------------------------------------------------------


@router.get("/programs/{slug}/matching/settings", response=SettingsOut, summary="Matching settings")
def settings_get(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _settings_out(selectors.matching_settings_for(program=_program(request, slug)))


@router.patch(
    "/programs/{slug}/matching/settings", response=SettingsOut, summary="Change matching settings"
)
def settings_update(request: HttpRequest, slug: str, payload: SettingsIn) -> dict[str, Any]:
    program = _program(request, slug)
    data = payload.dict(exclude_unset=True)
    settings = services.matching_settings_update(program=program, by=_user(request), data=data)
    return _settings_out(settings)


@router.get("/programs/{slug}/matching/criteria", response=CriteriaOut, summary="Criteria")
def criteria_list(request: HttpRequest, slug: str) -> dict[str, Any]:
    program = _program(request, slug)
    own = selectors.criterion_list(program=program)
    criteria = own or selectors.effective_criteria(program=program)
    questions = _questions(program)
    return {
        "uses_defaults": not own,
        "criteria": [_criterion_out(c, questions) for c in criteria],
    }


@router.post(
    "/programs/{slug}/matching/criteria",
    response={201: CriterionOut},
    summary="Add a criterion (a program on the defaults keeps them and adds this one)",
)
def criterion_create(request: HttpRequest, slug: str, payload: CriterionIn) -> Status[Any]:
    program = _program(request, slug)
    criterion = services.matching_criterion_create(
        program=program, by=_user(request), **payload.dict()
    )
    return Status(201, _criterion_out(criterion, _questions(program)))


def _criterion(program: Program, criterion_id: int) -> MatchingCriterion:
    criterion = MatchingCriterion.objects.filter(program=program, pk=criterion_id).first()
    if criterion is None:
        raise NotFoundError("No such criterion.")
    criterion.program = program
    return criterion


@router.patch(
    "/programs/{slug}/matching/criteria/{criterion_id}",
    response=CriterionOut,
    summary="Change a criterion",
)
def criterion_update(
    request: HttpRequest, slug: str, criterion_id: int, payload: CriterionPatchIn
) -> dict[str, Any]:
    program = _program(request, slug)
    criterion = services.matching_criterion_update(
        criterion=_criterion(program, criterion_id),
        by=_user(request),
        data=payload.dict(exclude_unset=True),
    )
    return _criterion_out(criterion, _questions(program))


@router.delete(
    "/programs/{slug}/matching/criteria/{criterion_id}",
    response={204: None},
    summary="Delete a criterion",
)
def criterion_delete(request: HttpRequest, slug: str, criterion_id: int) -> Status[None]:
    program = _program(request, slug)
    services.matching_criterion_delete(
        criterion=_criterion(program, criterion_id), by=_user(request)
    )
    return Status(204, None)


@router.put(
    "/programs/{slug}/matching/criteria-order",
    response=CriteriaOut,
    summary="Put the criteria in this order (every criterion once)",
)
def criteria_reorder(request: HttpRequest, slug: str, payload: OrderIn) -> dict[str, Any]:
    program = _program(request, slug)
    services.matching_criteria_reorder(
        program=program, by=_user(request), criterion_ids=payload.criterion_ids
    )
    return criteria_list(request, slug)


# Runs ----------------------------------------------------------------------------------


@router.get("/programs/{slug}/matching/runs", response=list[RunOut], summary="Recent runs")
def run_list(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    return [_run_out(run) for run in selectors.match_run_list(program=_program(request, slug))]


@router.post(
    "/programs/{slug}/matching/runs",
    response={202: RunOut},
    summary="Start an automatch run; poll it until its status is draft or failed",
)
def run_start(request: HttpRequest, slug: str) -> Status[Any]:
    run = services.matchrun_start(program=_program(request, slug), by=_user(request))
    run.refresh_from_db()
    return Status(202, _run_out(run))


@router.get(
    "/programs/{slug}/matching/runs/{run_id}",
    response=RunOut,
    summary="A run: status, progress and report",
)
def run_get(request: HttpRequest, slug: str, run_id: int) -> dict[str, Any]:
    return _run_out(_run(request, slug, run_id))


@router.get(
    "/programs/{slug}/matching/runs/{run_id}/pairs",
    response=PairPageOut,
    summary="A run's pairs with their scores and reasons",
)
def run_pairs(request: HttpRequest, slug: str, run_id: int, query: Query[PageIn]) -> dict[str, Any]:
    run = _run(request, slug, run_id)
    paginator = Paginator(selectors.match_run_pairs(run=run), PAIRS_PAGE_SIZE)
    if query.page > max(paginator.num_pages, 1):
        raise NotFoundError("No such page.")
    page = paginator.page(query.page)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "results": [_pair_out(pair) for pair in page.object_list],
    }


@router.post(
    "/programs/{slug}/matching/runs/{run_id}/pairs/{pair_id}/lock",
    response=PairOut,
    summary="Lock a pair: re-solving keeps it",
)
def pair_lock(request: HttpRequest, slug: str, run_id: int, pair_id: int) -> dict[str, Any]:
    run = _run(request, slug, run_id)
    pair = services.matchrun_pair_lock(run=run, pair=_pair(run, pair_id), by=_user(request))
    return _pair_out(pair)


@router.delete(
    "/programs/{slug}/matching/runs/{run_id}/pairs/{pair_id}/lock",
    response=PairOut,
    summary="Unlock a pair",
)
def pair_unlock(request: HttpRequest, slug: str, run_id: int, pair_id: int) -> dict[str, Any]:
    run = _run(request, slug, run_id)
    pair = services.matchrun_pair_unlock(run=run, pair=_pair(run, pair_id), by=_user(request))
    return _pair_out(pair)


@router.post(
    "/programs/{slug}/matching/runs/{run_id}/swap",
    response=list[PairOut],
    summary="Swap the mentors of two pairs (both are then locked)",
)
def run_swap(request: HttpRequest, slug: str, run_id: int, payload: SwapIn) -> list[Any]:
    run = _run(request, slug, run_id)
    pairs = services.matchrun_swap(
        run=run,
        pair_a=_pair(run, payload.pair_a),
        pair_b=_pair(run, payload.pair_b),
        by=_user(request),
    )
    return [_pair_out(pair) for pair in pairs]


@router.post(
    "/programs/{slug}/matching/runs/{run_id}/assign",
    response=PairOut,
    summary="Give a mentee of the draft another (or a first) mentor",
)
def run_assign(request: HttpRequest, slug: str, run_id: int, payload: AssignIn) -> dict[str, Any]:
    run = _run(request, slug, run_id)
    pair = services.matchrun_assign(
        run=run,
        mentee=_participant(payload.mentee_id),
        mentor=_participant(payload.mentor_id),
        by=_user(request),
    )
    return _pair_out(pair)


@router.post(
    "/programs/{slug}/matching/runs/{run_id}/resolve",
    response={202: RunOut},
    summary="Solve the draft again around its locked pairs",
)
def run_resolve(request: HttpRequest, slug: str, run_id: int) -> Status[Any]:
    run = services.matchrun_resolve(run=_run(request, slug, run_id), by=_user(request))
    run.refresh_from_db()
    return Status(202, _run_out(run))


@router.post(
    "/programs/{slug}/matching/runs/{run_id}/publish",
    response={202: RunOut},
    summary="Publish the draft in the background: start every mentorship, notify everyone",
    description=(
        "The run's status becomes “publishing” and the worker starts every pair's "
        "mentorship, all or none; poll the run until it is “published”, or back to "
        "“draft” with an `error` saying why nothing was published."
    ),
)
def run_publish(request: HttpRequest, slug: str, run_id: int) -> Status[Any]:
    run = services.matchrun_publish(run=_run(request, slug, run_id), by=_user(request))
    run.refresh_from_db()
    return Status(202, _run_out(run))


@router.post(
    "/programs/{slug}/matching/runs/{run_id}/discard",
    response=RunOut,
    summary="Discard a draft, a failed run or one still running",
)
def run_discard(request: HttpRequest, slug: str, run_id: int) -> dict[str, Any]:
    run = services.matchrun_discard(run=_run(request, slug, run_id), by=_user(request))
    return _run_out(run)

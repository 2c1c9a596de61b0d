"""REST endpoints for connection plans (mounted at /api/v1/).

A mentorship's plan: its current participants read it and tick items; the program's
managers and staff read it (403 on ticking); anyone else gets 404. Templates: the
program's managers and staff; built-ins are read-only (403 on a change) and visible to
anyone who manages a program.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError
from trellis.plans import selectors, services
from trellis.plans.models import MentorshipPlanItem, PlanStep, PlanTemplate
from trellis.programs.selectors import program_for_manager

router = Router(tags=["plans"])


class ItemOut(Schema):
    id: int
    day: int
    week: int
    date: dt.date = Field(description="The item's day in your time zone.")
    kind: str
    title: str
    body: str
    url: str
    is_today: bool
    is_done: bool
    done_at: dt.datetime | None
    done_by_id: int | None
    goal_id: int | None


class PlanOut(Schema):
    id: int
    mentorship_id: int
    name: str
    template_id: int | None
    started_at: dt.datetime
    applied_at: dt.datetime
    time_zone: str = Field(description="Your zone, in which the dates are given.")
    items: list[ItemOut]


class DoneIn(Schema):
    done: bool


class GoalIn(Schema):
    owner_id: int | None = Field(
        None, description="In a group, the member whose goal it is (the mentor chooses)."
    )


class GoalAddedOut(Schema):
    goal_id: int
    item: ItemOut


class StepOut(Schema):
    id: int
    day: int
    kind: str
    title: str
    body: str
    url: str
    position: int


class TemplateOut(Schema):
    id: int
    program_id: int | None
    name: str
    description: str
    kind: str
    is_builtin: bool
    is_archived: bool


class TemplateDetailOut(TemplateOut):
    steps: list[StepOut]


class ProgramPlansOut(Schema):
    in_use_id: int | None = Field(description="The template new mentorships get; null: none.")
    is_chosen: bool = Field(description="False: the built-in that fits the program applies.")
    templates: list[TemplateOut]


class TemplateIn(Schema):
    name: str
    description: str = ""
    kind: Literal["standard", "reverse"] = "standard"


class TemplatePatchIn(Schema):
    name: str | None = None
    description: str | None = None
    kind: Literal["standard", "reverse"] | None = None
    is_archived: bool | None = None


class CopyIn(Schema):
    program: str | None = Field(
        None, description="The program (slug) to copy into; a program's own template: its own."
    )
    name: str | None = None


class StepIn(Schema):
    day: int
    kind: str
    title: str
    body: str = ""
    url: str = ""


class StepPatchIn(Schema):
    day: int | None = None
    kind: str | None = None
    title: str | None = None
    body: str | None = None
    url: str | None = None
    move: Literal["up", "down"] | None = Field(None, description="Among the steps of its day.")


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _item_out(entry: selectors.TimelineItem) -> dict[str, Any]:
    item = entry.item
    return {
        "id": item.pk,
        "day": item.day,
        "week": entry.week,
        "date": entry.date,
        "kind": item.kind,
        "title": item.title,
        "body": item.body,
        "url": item.url,
        "is_today": entry.is_today,
        "is_done": item.is_done,
        "done_at": item.done_at,
        "done_by_id": item.done_by_id,
        "goal_id": item.goal_id,
    }


def _step_out(step: PlanStep) -> dict[str, Any]:
    return {
        "id": step.pk,
        "day": step.day,
        "kind": step.kind,
        "title": step.title,
        "body": step.body,
        "url": step.url,
        "position": step.position,
    }


def _template_out(template: PlanTemplate, *, steps: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": template.pk,
        "program_id": template.program_id,
        "name": template.name,
        "description": template.description,
        "kind": template.kind,
        "is_builtin": template.is_builtin,
        "is_archived": template.is_archived,
    }
    if steps:
        out["steps"] = [_step_out(row.step) for row in selectors.template_steps(template=template)]
    return out


# A mentorship's plan ----------------------------------------------------------------------


@router.get(
    "/mentorships/{mentorship_id}/plan",
    response=PlanOut,
    summary="The mentorship's connection plan, item by item, dated in your zone",
)
def plan_detail(request: HttpRequest, mentorship_id: int) -> dict[str, Any]:
    user = _user(request)
    mentorship, _role = selectors.mentorship_for_plan(mentorship_id=mentorship_id, user=user)
    timeline = selectors.plan_timeline(mentorship=mentorship, viewer=user)
    if timeline is None:
        raise NotFoundError("This mentorship has no connection plan.")
    plan = timeline.plan
    return {
        "id": plan.pk,
        "mentorship_id": mentorship.pk,
        "name": plan.name,
        "template_id": plan.template_id,
        "started_at": plan.started_at,
        "applied_at": plan.applied_at,
        "time_zone": str(selectors.viewer_zone(user)),
        "items": [_item_out(entry) for week in timeline.weeks for entry in week.items],
    }


def _item_entry(item: MentorshipPlanItem, user: User) -> dict[str, Any]:
    fresh, _role = selectors.plan_item_for(item_id=item.pk, user=user)
    return _item_out(selectors.timeline_entry(item=fresh, viewer=user))


@router.patch("/plan-items/{item_id}", response=ItemOut, summary="Tick a plan item done or not")
def plan_item_update(request: HttpRequest, item_id: int, payload: DoneIn) -> dict[str, Any]:
    user = _user(request)
    item, _role = selectors.plan_item_for(item_id=item_id, user=user)
    item = services.plan_item_set_done(item=item, by=user, is_done=payload.done)
    return _item_entry(item, user)


@router.post(
    "/plan-items/{item_id}/goal",
    response={201: GoalAddedOut},
    summary="Add a suggested goal as a goal of the mentee (in a group: a member)",
)
def plan_item_goal(request: HttpRequest, item_id: int, payload: GoalIn) -> Status[Any]:
    user = _user(request)
    item, _role = selectors.plan_item_for(item_id=item_id, user=user)
    goal = services.plan_item_goal_add(item=item, by=user, owner_id=payload.owner_id)
    return Status(201, {"goal_id": goal.pk, "item": _item_entry(item, user)})


# Templates (managers) ---------------------------------------------------------------------


@router.get(
    "/programs/{slug}/plans",
    response=ProgramPlansOut,
    summary="The template in use, the built-ins and the program's own templates",
)
def program_plans(request: HttpRequest, slug: str) -> dict[str, Any]:
    program = program_for_manager(slug=slug, user=_user(request))
    plans = selectors.program_plans(program=program)
    templates = [*plans.builtins, *plans.own, *plans.archived]
    return {
        "in_use_id": plans.in_use.pk if plans.in_use else None,
        "is_chosen": plans.choice is not None,
        "templates": [_template_out(template) for template in templates],
    }


@router.post(
    "/programs/{slug}/plans",
    response={201: TemplateDetailOut},
    summary="Start an empty template of the program's",
)
def template_create(request: HttpRequest, slug: str, payload: TemplateIn) -> Status[Any]:
    user = _user(request)
    program = program_for_manager(slug=slug, user=user)
    template = services.plan_template_create(
        program=program,
        by=user,
        name=payload.name,
        description=payload.description,
        kind=payload.kind,
    )
    return Status(201, _template_out(template, steps=True))


@router.get("/plans/{template_id}", response=TemplateDetailOut, summary="A template and its steps")
def template_detail(request: HttpRequest, template_id: int) -> dict[str, Any]:
    template = selectors.template_visible_to(template_id=template_id, user=_user(request))
    return _template_out(template, steps=True)


@router.patch(
    "/plans/{template_id}",
    response=TemplateDetailOut,
    summary="Rename, describe, archive or restore one of the program's templates",
)
def template_update(
    request: HttpRequest, template_id: int, payload: TemplatePatchIn
) -> dict[str, Any]:
    user = _user(request)
    template = selectors.template_visible_to(template_id=template_id, user=user)
    data = payload.dict(exclude_unset=True)
    is_archived = data.pop("is_archived", None)
    data = {key: value for key, value in data.items() if value is not None}
    if is_archived is False:
        template = services.plan_template_archive(template=template, by=user, is_archived=False)
    if data or is_archived is None:
        # An empty change still answers who may change the template (403 for a built-in).
        template = services.plan_template_update(template=template, by=user, data=data)
    if is_archived:
        template = services.plan_template_archive(template=template, by=user, is_archived=True)
    return _template_out(template, steps=True)


@router.post(
    "/plans/{template_id}/copy",
    response={201: TemplateDetailOut},
    summary="Copy a built-in or a program's template into a program",
)
def template_copy(request: HttpRequest, template_id: int, payload: CopyIn) -> Status[Any]:
    user = _user(request)
    template = selectors.template_visible_to(template_id=template_id, user=user)
    if payload.program:
        program = program_for_manager(slug=payload.program, user=user)
    elif template.program is not None:
        program = template.program
    else:
        raise ValidationError({"program": ["Say which program to copy the template into."]})
    copy = services.plan_template_copy(
        template=template, program=program, by=user, name=payload.name
    )
    return Status(201, _template_out(copy, steps=True))


@router.post(
    "/programs/{slug}/plans/{template_id}/use",
    response=ProgramPlansOut,
    summary="Use the template for the program's new mentorships",
)
def template_use(request: HttpRequest, slug: str, template_id: int) -> dict[str, Any]:
    user = _user(request)
    program = program_for_manager(slug=slug, user=user)
    template = selectors.template_for_manager(program=program, template_id=template_id)
    services.program_plan_choose(program=program, by=user, template=template)
    return program_plans(request, slug)


@router.post(
    "/plans/{template_id}/steps",
    response={201: StepOut},
    summary="Add a step to one of the program's templates",
)
def step_create(request: HttpRequest, template_id: int, payload: StepIn) -> Status[Any]:
    user = _user(request)
    template = selectors.template_visible_to(template_id=template_id, user=user)
    step = services.plan_step_create(template=template, by=user, **payload.dict())
    return Status(201, _step_out(step))


@router.patch("/plan-steps/{step_id}", response=StepOut, summary="Change or move a step")
def step_update(request: HttpRequest, step_id: int, payload: StepPatchIn) -> dict[str, Any]:
    user = _user(request)
    step = selectors.step_visible_to(step_id=step_id, user=user)
    data = payload.dict(exclude_unset=True)
    move = data.pop("move", None)
    data = {key: value for key, value in data.items() if value is not None}
    if data or move is None:
        step = services.plan_step_update(step=step, by=user, data=data)
    if move is not None:
        step = services.plan_step_move(step=step, by=user, offset=-1 if move == "up" else 1)
    return _step_out(step)


@router.delete("/plan-steps/{step_id}", response={204: None}, summary="Delete a step")
def step_delete(request: HttpRequest, step_id: int) -> Status[None]:
    user = _user(request)
    step = selectors.step_visible_to(step_id=step_id, user=user)
    services.plan_step_delete(step=step, by=user)
    return Status(204, None)

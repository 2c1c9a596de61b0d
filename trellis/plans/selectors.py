"""Reads of connection plans: a mentorship's timeline, what is due, the managers' templates.

Who sees a mentorship's plan: its current participants (who also tick items) and the
program's managers and staff (who read it). Anyone else, a group's former member too, is
told it does not exist. Each page reads in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from trellis.core.errors import NotFoundError
from trellis.core.time import get_zone
from trellis.mentorships.models import ONGOING_STATUSES, Mentorship
from trellis.mentorships.selectors import mentorship_detail, mentorship_role
from trellis.plans.models import (
    MentorshipPlan,
    MentorshipPlanItem,
    PlanStep,
    PlanTemplate,
    ProgramPlan,
)
from trellis.programs.models import Program
from trellis.programs.selectors import program_for_manager, programs_managed_by

# The mentorship card shows at most this many items.
SECTION_ITEMS = 3
PARTICIPANT_ROLES = ("mentor", "mentee")


def viewer_zone(user: Any) -> dt.tzinfo:
    profile = getattr(user, "profile", None)
    return get_zone(getattr(profile, "time_zone", None))


def mentorship_for_plan(*, mentorship_id: int, user: Any) -> tuple[Mentorship, str]:
    """The mentorship and the viewer's role in it; NotFoundError for anyone else."""
    mentorship = mentorship_detail(mentorship_id=mentorship_id, user=user)
    role = mentorship_role(mentorship=mentorship, user=user)
    if role is None:  # a group's former member
        raise NotFoundError("No such mentorship.")
    return mentorship, role


def plan_of(*, mentorship: Mentorship) -> MentorshipPlan | None:
    """The mentorship's plan with its items (and goals made from them), in two queries."""
    return (
        MentorshipPlan.objects.filter(mentorship_id=mentorship.pk)
        .prefetch_related(
            Prefetch(
                "items",
                queryset=MentorshipPlanItem.objects.select_related(
                    "goal", "done_by__profile"
                ).order_by("day", "position", "pk"),
            )
        )
        .first()
    )


@dataclass
class TimelineItem:
    item: MentorshipPlanItem
    date: dt.date  # in the viewer's zone
    is_today: bool
    is_past: bool

    @property
    def week(self) -> int:
        return self.item.day // 7 + 1


@dataclass
class TimelineWeek:
    number: int
    items: list[TimelineItem] = field(default_factory=list)


@dataclass
class Timeline:
    plan: MentorshipPlan
    weeks: list[TimelineWeek]
    today: dt.date
    # Days since the start in the viewer's calendar (negative before the start).
    today_day: int
    # The item the "today" marker goes before; None: after the last one.
    marker_before: int | None
    done_count: int
    total: int


def _entry(item: MentorshipPlanItem, first_day: dt.date, today: dt.date) -> TimelineItem:
    date = first_day + dt.timedelta(days=item.day)
    return TimelineItem(item=item, date=date, is_today=date == today, is_past=date < today)


def _timeline_items(plan: MentorshipPlan, viewer: Any, now: dt.datetime) -> list[TimelineItem]:
    zone = viewer_zone(viewer)
    first_day = plan.started_at.astimezone(zone).date()
    today = now.astimezone(zone).date()
    return [_entry(item, first_day, today) for item in plan.items.all()]


def timeline_entry(
    *, item: MentorshipPlanItem, viewer: Any, now: dt.datetime | None = None
) -> TimelineItem:
    """One item on its date in the viewer's zone (for the item's own fragment)."""
    zone = viewer_zone(viewer)
    now = now or timezone.now()
    return _entry(item, item.plan.started_at.astimezone(zone).date(), now.astimezone(zone).date())


def plan_timeline(
    *, mentorship: Mentorship, viewer: Any, now: dt.datetime | None = None
) -> Timeline | None:
    """The plan by week, each item on its date in the viewer's zone; None without a plan."""
    plan = plan_of(mentorship=mentorship)
    if plan is None:
        return None
    now = now or timezone.now()
    items = _timeline_items(plan, viewer, now)
    zone = viewer_zone(viewer)
    today = now.astimezone(zone).date()
    today_day = (today - plan.started_at.astimezone(zone).date()).days
    weeks: list[TimelineWeek] = []
    for entry in items:
        if not weeks or weeks[-1].number != entry.week:
            weeks.append(TimelineWeek(number=entry.week))
        weeks[-1].items.append(entry)
    upcoming = next((entry for entry in items if entry.item.day >= today_day), None)
    return Timeline(
        plan=plan,
        weeks=weeks,
        today=today,
        today_day=today_day,
        marker_before=upcoming.item.pk if upcoming else None,
        done_count=sum(1 for entry in items if entry.item.is_done),
        total=len(items),
    )


@dataclass
class PlanSection:
    plan: MentorshipPlan | None
    due: list[TimelineItem]
    done_count: int
    total: int


def plan_section(
    *, mentorship: Mentorship, viewer: Any, now: dt.datetime | None = None
) -> PlanSection:
    """What is due now and next: the earliest open items up to today, then the next one.

    Two queries whatever the plan's size.
    """
    plan = plan_of(mentorship=mentorship)
    if plan is None:
        return PlanSection(plan=None, due=[], done_count=0, total=0)
    now = now or timezone.now()
    items = _timeline_items(plan, viewer, now)
    today = now.astimezone(viewer_zone(viewer)).date()
    open_now = [entry for entry in items if not entry.item.is_done and entry.date <= today]
    upcoming = [entry for entry in items if not entry.item.is_done and entry.date > today]
    # The earliest open items first (the kickoff before the reading), then the next one.
    due = open_now[: SECTION_ITEMS - 1] if upcoming else open_now[:SECTION_ITEMS]
    due += upcoming[: SECTION_ITEMS - len(due)]
    return PlanSection(
        plan=plan,
        due=due,
        done_count=sum(1 for entry in items if entry.item.is_done),
        total=len(items),
    )


def plan_item_for(*, item_id: int, user: Any) -> tuple[MentorshipPlanItem, str]:
    """A plan item and the viewer's role in its mentorship; NotFoundError for outsiders."""
    item = (
        MentorshipPlanItem.objects.select_related(
            "plan__mentorship__program",
            "plan__mentorship__mentor__profile",
            "plan__mentorship__mentee__profile",
            "goal",
            "done_by__profile",
        )
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise NotFoundError("No such plan item.")
    role = mentorship_role(mentorship=item.plan.mentorship, user=user)
    if role is None:
        raise NotFoundError("No such plan item.")
    return item, role


def may_tick(*, mentorship: Mentorship, role: str) -> bool:
    return role in PARTICIPANT_ROLES and mentorship.status in ONGOING_STATUSES


# Templates (managers) ---------------------------------------------------------------------


@dataclass
class ProgramPlans:
    program: Program
    choice: ProgramPlan | None
    in_use: PlanTemplate | None  # None: plans are off
    builtins: list[PlanTemplate]
    own: list[PlanTemplate]
    archived: list[PlanTemplate]


def _with_step_counts(queryset: QuerySet[PlanTemplate]) -> QuerySet[PlanTemplate]:
    return queryset.annotate(step_count=Count("steps"))


def program_plans(*, program: Program) -> ProgramPlans:
    """The template in use, the built-ins and the program's own templates."""
    from trellis.plans.services import plan_builtins_ensure, program_plan_template

    plan_builtins_ensure()
    templates = list(
        _with_step_counts(
            PlanTemplate.objects.filter(Q(program=None) | Q(program=program))
        ).order_by("name", "pk")
    )
    choice = ProgramPlan.objects.filter(program=program).first()
    return ProgramPlans(
        program=program,
        choice=choice,
        in_use=program_plan_template(program=program),
        builtins=[t for t in templates if t.program_id is None],
        own=[t for t in templates if t.program_id is not None and t.archived_at is None],
        archived=[t for t in templates if t.program_id is not None and t.archived_at is not None],
    )


def template_for_manager(*, program: Program, template_id: int) -> PlanTemplate:
    """A built-in or one of program's templates (the program already checked)."""
    template = (
        PlanTemplate.objects.filter(Q(program=None) | Q(program=program), pk=template_id)
        .select_related("program")
        .first()
    )
    if template is None:
        raise NotFoundError("No such template.")
    return template


@dataclass
class StepRow:
    step: PlanStep
    week: int
    # Steps move among the steps of their day only (the order is by day first).
    can_move_up: bool
    can_move_down: bool


def template_steps(*, template: PlanTemplate) -> list[StepRow]:
    steps = list(template.steps.order_by("day", "position", "pk"))
    return [
        StepRow(
            step=step,
            week=step.day // 7 + 1,
            can_move_up=index > 0 and steps[index - 1].day == step.day,
            can_move_down=index + 1 < len(steps) and steps[index + 1].day == step.day,
        )
        for index, step in enumerate(steps)
    ]


def template_visible_to(*, template_id: int, user: Any) -> PlanTemplate:
    """A template for a manager: their program's, or a built-in if they manage a program."""
    template = PlanTemplate.objects.select_related("program").filter(pk=template_id).first()
    if template is None:
        raise NotFoundError("No such template.")
    if template.program is None:
        if not programs_managed_by(user=user).exists():
            raise NotFoundError("No such template.")
        return template
    try:
        program_for_manager(slug=template.program.slug, user=user)
    except NotFoundError:
        raise NotFoundError("No such template.") from None
    return template


def step_visible_to(*, step_id: int, user: Any) -> PlanStep:
    step = PlanStep.objects.select_related("template").filter(pk=step_id).first()
    if step is None:
        raise NotFoundError("No such step.")
    step.template = template_visible_to(template_id=step.template_id, user=user)
    return step

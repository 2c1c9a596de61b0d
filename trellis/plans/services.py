"""Writes of connection plans: templates and their steps, applying a plan, its prompts.

A mentorship gets its program's plan when it starts (``plan_on_mentorship``, called by
mentorships.services inside the mentorship's transaction). That costs the transaction
no query, so the automatch can start thousands of mentorships in one: a task enqueued
on commit (tasks.plan_follow_task) copies the plan, a few bulk queries, and schedules
its prompts.

A prompt reaches each current participant on its day in their own zone: the first
moment at or after 09:00 local inside their contact hours; else the day's first
opening; else (a day they take no messages) 09:00 (``prompt_fire_at``). A reminder's key
is ``plan:<mentorship id>:<item id>``, so one prefix cancels a mentorship's prompts,
for everyone or for one member who left, and never touches another mentorship's.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.time import get_zone
from trellis.mentorships.models import ONGOING_STATUSES, Mentorship, MentorshipStatus
from trellis.mentorships.selectors import mentorship_role
from trellis.notifications.delivery import open_intervals
from trellis.notifications.services import (
    reminder_schedule,
    reminders_cancel,
    reminders_cancel_keys,
)
from trellis.plans.builtins import BUILTINS
from trellis.plans.models import (
    MAX_BODY_LENGTH,
    MAX_DAY,
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    MAX_STEPS,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    MentorshipPlan,
    MentorshipPlanItem,
    PlanStep,
    PlanTemplate,
    ProgramPlan,
    StepKind,
    TemplateKind,
    https_only,
)
from trellis.programs.models import Program, ProgramType
from trellis.programs.selectors import program_can_manage
from trellis.scheduling.zones import resolve_local_time

if TYPE_CHECKING:
    from trellis.accounts.models import User
    from trellis.agreements.selectors import PersonHours

logger = logging.getLogger(__name__)

PROMPT_TIME = dt.time(9)
KEY_PREFIX = "plan:"
EVENTS = ("started", "paused", "resumed", "extended", "finished", "member_joined", "member_left")


def plan_url(mentorship_id: int) -> str:
    return reverse("plans:timeline", kwargs={"mentorship_id": mentorship_id})


def prompt_key(*, mentorship_id: int, item_id: int) -> str:
    return f"{KEY_PREFIX}{mentorship_id}:{item_id}"


def _mentorship_prefix(mentorship_id: int) -> str:
    # The trailing colon keeps mentorship 1's prefix from matching mentorship 12's keys.
    return f"{KEY_PREFIX}{mentorship_id}:"


# Built-in templates -------------------------------------------------------------------


def _builtin_kind_for(program: Program) -> str:
    if program.program_type == ProgramType.REVERSE:
        return TemplateKind.REVERSE
    return TemplateKind.STANDARD


def _builtin_create(kind: str) -> PlanTemplate:
    builtin = BUILTINS[kind]
    template = PlanTemplate.objects.create(
        program=None, kind=kind, name=builtin["name"], description=builtin["description"]
    )
    PlanStep.objects.bulk_create(
        PlanStep(
            template=template,
            day=step["day"],
            kind=step["kind"],
            title=step["title"],
            body=step["body"],
            url=step.get("url", ""),
            position=position,
        )
        for position, step in enumerate(builtin["steps"])
    )
    return template


@transaction.atomic
def plan_builtins_ensure() -> list[PlanTemplate]:
    """The built-in templates, putting back any that is missing (the data migration's)."""
    have = {template.kind: template for template in PlanTemplate.objects.filter(program=None)}
    for kind in BUILTINS:
        if kind not in have:
            have[kind] = _builtin_create(kind)
    return [have[kind] for kind in BUILTINS]


def _builtin(kind: str) -> PlanTemplate:
    template = PlanTemplate.objects.filter(program=None, kind=kind).first()
    if template is None:
        template = next(t for t in plan_builtins_ensure() if t.kind == kind)
    return template


def program_plan_template(*, program: Program) -> PlanTemplate | None:
    """The template new mentorships of program get: its choice, else the fitting built-in.

    None when the program turned connection plans off.
    """
    choice = ProgramPlan.objects.select_related("template").filter(program=program).first()
    if choice is not None and not choice.is_enabled:
        return None
    if choice is not None and choice.template is not None:
        return choice.template
    return _builtin(_builtin_kind_for(program))


# Templates and steps (managers) ---------------------------------------------------------


def _require_manager(program: Program, by: User) -> None:
    if not program_can_manage(program=program, user=by):
        raise PermissionDeniedError("Only the program's managers may change its plans.")


def _require_editable(template: PlanTemplate, by: User) -> None:
    if template.program is None:
        raise PermissionDeniedError("Built-in templates are read-only; copy one to change it.")
    _require_manager(template.program, by)
    if template.archived_at is not None:
        raise ValidationError("This template is archived; restore it to change it.")


def _text(value: Any, *, field: str, label: str, max_length: int, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: [f"Give the {label} as text."]})
    # Paragraphs stay; Windows line ends do not.
    text = value.replace("\r\n", "\n").strip()
    if required and not text:
        raise ValidationError({field: [f"Give the {label}."]})
    if len(text) > max_length:
        raise ValidationError(
            {field: [f"Keep the {label} to {max_length} characters (it has {len(text)})."]}
        )
    return text


def _clean_template_data(data: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "name" in data:
        cleaned["name"] = _text(
            data["name"], field="name", label="name", max_length=MAX_NAME_LENGTH, required=True
        )
    if "description" in data:
        cleaned["description"] = _text(
            data["description"],
            field="description",
            label="description",
            max_length=MAX_DESCRIPTION_LENGTH,
            required=False,
        )
    if "kind" in data:
        if data["kind"] not in TemplateKind.values:
            raise ValidationError({"kind": ["Choose what the template is for."]})
        cleaned["kind"] = data["kind"]
    return cleaned


def _name_taken(program: Program, name: str, *, exclude_pk: int | None = None) -> bool:
    names = PlanTemplate.objects.filter(program=program, name=name, archived_at__isnull=True)
    if exclude_pk is not None:
        names = names.exclude(pk=exclude_pk)
    return names.exists()


def _require_free_name(program: Program, name: str, *, exclude_pk: int | None = None) -> None:
    if _name_taken(program, name, exclude_pk=exclude_pk):
        raise ValidationError({"name": ["The program already has a template by this name."]})


@transaction.atomic
def plan_template_create(
    *, program: Program, by: User, name: str, description: str = "", kind: str = "standard"
) -> PlanTemplate:
    """A new, empty template of the program's; add steps with plan_step_create."""
    _require_manager(program, by)
    data = _clean_template_data({"name": name, "description": description, "kind": kind})
    # Lock the program's templates' parent so two managers cannot both take a name.
    Program.objects.select_for_update().filter(pk=program.pk).first()
    _require_free_name(program, data["name"])
    template = PlanTemplate(program=program, created_by=by, **data)
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def plan_template_update(*, template: PlanTemplate, by: User, data: dict[str, Any]) -> PlanTemplate:
    """Rename the template or change its description or kind (running plans keep theirs)."""
    locked = _locked_template(template)
    _require_editable(locked, by)
    cleaned = _clean_template_data(data)
    if "name" in cleaned:
        assert locked.program is not None  # noqa: S101 - _require_editable said so
        _require_free_name(locked.program, cleaned["name"], exclude_pk=locked.pk)
    for field, value in cleaned.items():
        setattr(locked, field, value)
    locked.full_clean()
    locked.save()
    return locked


def _step_fields(step: PlanStep) -> dict[str, Any]:
    """What a copy of a step keeps: into another template, or into a mentorship's plan."""
    return {
        "day": step.day,
        "kind": step.kind,
        "title": step.title,
        "body": step.body,
        "url": step.url,
        "position": step.position,
    }


def _copy_name(program: Program, name: str) -> str:
    number = 1
    while True:
        suffix = " (copy)" if number == 1 else f" (copy {number})"
        candidate = name[: MAX_NAME_LENGTH - len(suffix)] + suffix
        if not _name_taken(program, candidate):
            return candidate
        number += 1


@transaction.atomic
def plan_template_copy(
    *, template: PlanTemplate, program: Program, by: User, name: str | None = None
) -> PlanTemplate:
    """Copy a built-in or one of the program's templates, steps and all, into the program."""
    _require_manager(program, by)
    if template.program_id is not None and template.program_id != program.pk:
        raise NotFoundError("No such template.")
    Program.objects.select_for_update().filter(pk=program.pk).first()
    if name is None:
        new_name = _copy_name(program, template.name)
    else:
        new_name = _text(
            name, field="name", label="name", max_length=MAX_NAME_LENGTH, required=True
        )
        _require_free_name(program, new_name)
    copy = PlanTemplate(
        program=program,
        name=new_name,
        description=template.description,
        kind=template.kind,
        created_by=by,
        copied_from=template,
    )
    copy.full_clean()
    copy.save()
    PlanStep.objects.bulk_create(
        PlanStep(template=copy, **_step_fields(step)) for step in template.steps.all()
    )
    return copy


def _locked_template(template: PlanTemplate) -> PlanTemplate:
    locked = (
        PlanTemplate.objects.select_for_update(of=("self",))
        .select_related("program")
        .filter(pk=template.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError("No such template.")
    return locked


@transaction.atomic
def plan_template_archive(
    *, template: PlanTemplate, by: User, is_archived: bool = True
) -> PlanTemplate:
    """Archive a template (hidden from choices; running plans keep their copy) or restore it."""
    locked = _locked_template(template)
    if locked.program is None:
        raise PermissionDeniedError("Built-in templates cannot be archived.")
    _require_manager(locked.program, by)
    if is_archived == locked.is_archived:
        return locked
    if is_archived:
        in_use = ProgramPlan.objects.filter(program=locked.program, template=locked)
        if in_use.exists():
            raise ValidationError(
                "New mentorships use this template; choose another one before archiving it."
            )
        locked.archived_at = timezone.now()
    else:
        _require_free_name(locked.program, locked.name, exclude_pk=locked.pk)
        locked.archived_at = None
    locked.save(update_fields=["archived_at", "updated_at"])
    return locked


@transaction.atomic
def program_plan_choose(
    *, program: Program, by: User, template: PlanTemplate | None, is_enabled: bool = True
) -> ProgramPlan:
    """Choose the template for new mentorships (None: the built-in that fits) or turn off.

    Running mentorships keep the plan they got.
    """
    _require_manager(program, by)
    if template is not None:
        if template.program_id is not None and template.program_id != program.pk:
            raise NotFoundError("No such template.")
        if template.archived_at is not None:
            raise ValidationError({"template": ["Restore this template before using it."]})
    choice, _created = ProgramPlan.objects.select_for_update().get_or_create(program=program)
    choice.template = template
    choice.is_enabled = is_enabled
    choice.updated_by = by
    choice.save()
    return choice


def _clean_step_data(data: dict[str, Any], *, current: PlanStep | None) -> dict[str, Any]:
    """Check the step's fields, each with its own message; the model checks again."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}

    def take(field: str, clean: Any) -> None:
        if field not in data:
            return
        try:
            cleaned[field] = clean(data[field])
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)

    def clean_day(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                value = int(str(value).strip())
            except ValueError:
                raise ValidationError("Give the day as a whole number.") from None
        if not 0 <= value <= MAX_DAY:
            raise ValidationError(
                f"The day is counted from the start: 0 (the first day) to {MAX_DAY}."
            )
        return int(value)

    def clean_kind(value: Any) -> str:
        if value not in StepKind.values:
            raise ValidationError("Choose the kind of step.")
        return str(value)

    def clean_url(value: Any) -> str:
        url = _text(
            value, field="url", label="web address", max_length=MAX_URL_LENGTH, required=False
        )
        if url:
            https_only(url)
        return url

    take("day", clean_day)
    take("kind", clean_kind)
    take(
        "title",
        lambda value: _text(
            value, field="title", label="title", max_length=MAX_TITLE_LENGTH, required=True
        ),
    )
    take(
        "body",
        lambda value: _text(
            value, field="body", label="text", max_length=MAX_BODY_LENGTH, required=False
        ),
    )
    take("url", clean_url)
    if errors:
        raise ValidationError(errors)

    def final(field: str) -> Any:
        return cleaned.get(field, getattr(current, field, "") if current else "")

    kind = final("kind")
    if kind == StepKind.RESOURCE and not final("url"):
        errors["url"] = ["A resource needs its web address (https://…)."]
    if kind in (StepKind.AGENDA, StepKind.GUIDE) and not final("body"):
        errors["body"] = [f"{StepKind(kind).label}: write the text the pair will read."]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def plan_step_create(
    *,
    template: PlanTemplate,
    by: User,
    day: Any,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
) -> PlanStep:
    """Add a step to one of the program's templates, last among the steps of its day."""
    locked = _locked_template(template)
    _require_editable(locked, by)
    data = _clean_step_data(
        {"day": day, "kind": kind, "title": title, "body": body, "url": url}, current=None
    )
    if locked.steps.count() >= MAX_STEPS:
        raise ValidationError(f"A template holds at most {MAX_STEPS} steps.")
    last = locked.steps.filter(day=data["day"]).aggregate(last=Max("position"))["last"]
    step = PlanStep(template=locked, position=0 if last is None else last + 1, **data)
    step.full_clean()
    step.save()
    return step


def _locked_step(step: PlanStep, by: User) -> PlanStep:
    template = _locked_template(step.template)
    _require_editable(template, by)
    locked = PlanStep.objects.select_for_update().filter(pk=step.pk, template=template).first()
    if locked is None:
        raise NotFoundError("No such step.")
    locked.template = template
    return locked


@transaction.atomic
def plan_step_update(*, step: PlanStep, by: User, data: dict[str, Any]) -> PlanStep:
    """Change a step's day, kind, title, text or address; a new day puts it last that day."""
    locked = _locked_step(step, by)
    fields: dict[str, Any] = {
        key: data[key] for key in ("day", "kind", "title", "body", "url") if key in data
    }
    cleaned = _clean_step_data(fields, current=locked)
    if "day" in cleaned and cleaned["day"] != locked.day:
        last = (
            PlanStep.objects.filter(template_id=locked.template_id, day=cleaned["day"])
            .aggregate(last=Max("position"))
            .get("last")
        )
        locked.position = 0 if last is None else last + 1
    for field, value in cleaned.items():
        setattr(locked, field, value)
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def plan_step_delete(*, step: PlanStep, by: User) -> None:
    locked = _locked_step(step, by)
    locked.delete()


@transaction.atomic
def plan_step_move(*, step: PlanStep, by: User, offset: int) -> PlanStep:
    """Move a step up (-1) or down (+1) among the steps of its day.

    Steps are in day order; moving one to another day is changing its day.
    """
    if offset not in (-1, 1):
        raise ValidationError({"direction": ["Move a step up or down."]})
    locked = _locked_step(step, by)
    same_day = list(
        PlanStep.objects.filter(template_id=locked.template_id, day=locked.day).order_by(
            "position", "pk"
        )
    )
    index = next(i for i, other in enumerate(same_day) if other.pk == locked.pk)
    target = index + offset
    if not 0 <= target < len(same_day):
        where = "first" if offset < 0 else "last"
        raise ValidationError(
            {
                "direction": [
                    f"This is the {where} step of day {locked.day}; change its day instead."
                ]
            }
        )
    same_day[index], same_day[target] = same_day[target], same_day[index]
    for position, other in enumerate(same_day):
        other.position = position
    PlanStep.objects.bulk_update(same_day, ["position"])
    locked.position = target
    return locked


# A mentorship's plan ----------------------------------------------------------------------


def plan_apply(*, mentorship: Mentorship) -> MentorshipPlan | None:
    """Copy the program's plan into the mentorship, once; None if it has one or none applies.

    Five or six queries whatever the template's size. Two workers applying at once: the
    one-plan-per-mentorship constraint lets one through, the other returns None.
    """
    if mentorship.status == MentorshipStatus.PROPOSED:
        return None
    if MentorshipPlan.objects.filter(mentorship_id=mentorship.pk).exists():
        return None
    template = program_plan_template(program=mentorship.program)
    if template is None:
        return None
    steps = list(template.steps.all())
    first_day = mentorship.started_at.astimezone(dt.UTC).date()
    try:
        with transaction.atomic():
            plan = MentorshipPlan.objects.create(
                mentorship=mentorship,
                template=template,
                name=template.name,
                started_at=mentorship.started_at,
                applied_at=timezone.now(),
            )
            MentorshipPlanItem.objects.bulk_create(
                MentorshipPlanItem(
                    plan=plan, due_on=first_day + dt.timedelta(days=step.day), **_step_fields(step)
                )
                for step in steps
            )
    except IntegrityError:
        return None
    return plan


def plan_follow(*, mentorship: Mentorship, user: User | None = None, apply: bool = False) -> int:
    """Apply the plan if asked (and missing), then schedule the prompts still ahead.

    The work of ``plan_on_mentorship``'s task, after the mentorship's commit. Returns how
    many reminders were scheduled.
    """
    if apply:
        plan_apply(mentorship=mentorship)
    return plan_prompts_schedule(mentorship=mentorship, user=user)


def _follow_on_commit(
    mentorship_id: int, *, user_id: int | None = None, apply: bool = False
) -> None:
    def enqueue() -> None:
        from trellis.plans.tasks import plan_follow_task

        try:
            plan_follow_task.enqueue(mentorship_id=mentorship_id, user_id=user_id, apply=apply)
        except Exception:  # the mentorship stands even if its plan could not be queued
            logger.exception("Queueing the plan of mentorship %s failed", mentorship_id)

    transaction.on_commit(enqueue)


def plan_on_mentorship(*, mentorship: Mentorship, event: str, user: User | None = None) -> None:
    """Follow a mentorship's life (see mentorships.services._lifecycle for the events).

    No query for a start, a resume or a newcomer: the automatch starts thousands of
    mentorships in one transaction, so the plan is applied and its prompts scheduled by
    a task after commit (tasks.plan_follow_task). Stopping prompts is one update.
    """
    if event == "started":
        _follow_on_commit(mentorship.pk, apply=True)
    elif event == "resumed":
        _follow_on_commit(mentorship.pk)
    elif event == "member_joined" and user is not None:
        _follow_on_commit(mentorship.pk, user_id=user.pk)
    elif event in ("paused", "finished"):
        reminders_cancel(key_prefix=_mentorship_prefix(mentorship.pk))
    elif event == "member_left" and user is not None:
        reminders_cancel(key_prefix=_mentorship_prefix(mentorship.pk), recipient=user)
    # "extended": the plan counts from the start, so a later end changes none of it.


def prompt_fire_at(*, day: dt.date, time_zone: str, hours: PersonHours | None) -> dt.datetime:
    """When a prompt of that local day reaches a person (UTC).

    The first moment at or after 09:00 local that is inside their contact hours (and
    outside quiet hours); if none that day after 09:00, the day's first opening; if the
    day has none at all (a day off), 09:00.
    """
    zone = get_zone(time_zone)
    nine = resolve_local_time(day, PROMPT_TIME, zone)
    if hours is None:
        return nine
    intervals = open_intervals(
        start_day=day,
        days=1,
        zone=zone,
        contact_hours=hours.contact_hours,
        quiet_start=hours.quiet_start,
        quiet_end=hours.quiet_end,
    )
    for start, end in intervals:
        if end > nine:
            return max(start, nine).astimezone(dt.UTC)
    if intervals:
        return intervals[0][0].astimezone(dt.UTC)
    return nine


def _person_zone_and_hours(person: User) -> tuple[str, PersonHours | None]:
    from trellis.agreements.selectors import person_hours_for

    hours = person_hours_for(user=person)
    if hours is not None:
        # The hours are local to the zone they were given in (the profile's, or the
        # agreement part's, which starts as the profile's).
        return hours.time_zone, hours
    profile = getattr(person, "profile", None)
    return str(get_zone(getattr(profile, "time_zone", None)).key), None


def plan_prompts_schedule(
    *, mentorship: Mentorship, user: User | None = None, now: dt.datetime | None = None
) -> int:
    """Schedule the plan's prompts still ahead for each current participant (or one).

    Only for an active mentorship; a prompt already done or whose moment has passed is
    not sent. Scheduling again moves a pending reminder instead of adding one.
    Returns how many reminders were scheduled.
    """
    if mentorship.status != MentorshipStatus.ACTIVE:
        return 0
    plan = MentorshipPlan.objects.filter(mentorship_id=mentorship.pk).first()
    if plan is None:
        return 0
    prompts = list(plan.items.filter(kind=StepKind.PROMPT, done_at__isnull=True))
    if not prompts:
        return 0
    people = mentorship.participants()
    if user is not None:
        people = [person for person in people if person.pk == user.pk]
    now = now or timezone.now()
    url = plan_url(mentorship.pk)
    count = 0
    for person in people:
        time_zone, hours = _person_zone_and_hours(person)
        first_day = plan.started_at.astimezone(get_zone(time_zone)).date()
        for item in prompts:
            fire_at = prompt_fire_at(
                day=first_day + dt.timedelta(days=item.day), time_zone=time_zone, hours=hours
            )
            if fire_at <= now:
                continue
            reminder_schedule(
                key=prompt_key(mentorship_id=mentorship.pk, item_id=item.pk),
                recipient=person,
                fire_at=fire_at,
                title=f"Connection plan: {item.title}",
                body=item.body,
                url=url,
            )
            count += 1
    return count


# The pair's actions --------------------------------------------------------------------


def _locked_item(item: MentorshipPlanItem, by: User) -> tuple[MentorshipPlanItem, str]:
    """The item, locked, and the actor's role; participants only, while it is ongoing."""
    locked = (
        MentorshipPlanItem.objects.select_for_update(of=("self",))
        .select_related("plan__mentorship__program")
        .filter(pk=item.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError("No such plan item.")
    mentorship = locked.plan.mentorship
    role = mentorship_role(mentorship=mentorship, user=by)
    if role is None:
        raise NotFoundError("No such plan item.")
    if role not in ("mentor", "mentee"):
        raise PermissionDeniedError("Only the mentorship's participants work through its plan.")
    if mentorship.status not in ONGOING_STATUSES:
        raise ValidationError("The mentorship has finished; its plan is kept as it was.")
    return locked, role


@transaction.atomic
def plan_item_set_done(*, item: MentorshipPlanItem, by: User, is_done: bool) -> MentorshipPlanItem:
    """Tick an item done (or not done); a prompt ticked early is no longer sent."""
    if not isinstance(is_done, bool):
        raise ValidationError({"done": ["Say true or false."]})
    locked, _role = _locked_item(item, by)
    if locked.is_done == is_done:
        return locked
    mentorship_id = locked.plan.mentorship_id
    if is_done:
        locked.done_at = timezone.now()
        locked.done_by = by
    else:
        locked.done_at = None
        locked.done_by = None
    locked.save(update_fields=["done_at", "done_by", "updated_at"])
    if locked.is_prompt and is_done:
        reminders_cancel_keys(keys=[prompt_key(mentorship_id=mentorship_id, item_id=locked.pk)])
    elif locked.is_prompt:
        _follow_on_commit(mentorship_id)
    return locked


def _goal_owner(mentorship: Mentorship, by: User, role: str, owner_id: int | None) -> Any:
    if not mentorship.is_group:
        return mentorship.pair_mentee
    if role == "mentee":
        if owner_id not in (None, by.pk):
            raise ValidationError({"owner": ["A member adds a goal for themself."]})
        return by
    members = {member.pk: member for member in mentorship.mentees()}
    if owner_id is None or owner_id not in members:
        raise ValidationError({"owner": ["Choose the member whose goal it is."]})
    return members[owner_id]


@transaction.atomic
def plan_item_goal_add(*, item: MentorshipPlanItem, by: User, owner_id: int | None = None) -> Any:
    """Make a suggested goal a real goal of the mentee's (in a group: a member's).

    The goal is created by goals.services.goal_create; the item remembers it, once.
    """
    from trellis.goals.models import MAX_WHY_LENGTH
    from trellis.goals.services import goal_create

    locked, role = _locked_item(item, by)
    if locked.kind != StepKind.GOAL:
        raise ValidationError("Only a suggested goal can be added as a goal.")
    if locked.goal_id is not None:
        raise ValidationError("This suggestion was already added as a goal.")
    mentorship = locked.plan.mentorship
    owner = _goal_owner(mentorship, by, role, owner_id)
    goal = goal_create(
        mentorship=mentorship,
        owner=owner,
        by=by,
        title=locked.title,
        why=locked.body[:MAX_WHY_LENGTH],
    )
    locked.goal = goal
    locked.save(update_fields=["goal", "updated_at"])
    return goal

"""REST endpoints for goals, milestones, check-ins and meeting agendas (mounted at /api/v1/).

The mentorship's people read everything; the program's managers and staff read goals,
milestones, progress and check-in statuses, never check-in notes (null for them); anyone
else gets 404. A goal's owner and the mentor change it (403 for other readers) while the
mentorship is active or paused (422 once it has finished).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from trellis.goals import selectors, services
from trellis.goals.models import AgendaItem, CheckIn, Goal, Milestone
from trellis.mentorships.models import Mentorship
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.selectors import occurrence_of, series_for

router = Router(tags=["goals"])


class MilestoneOut(Schema):
    id: int
    goal_id: int
    title: str
    due_date: dt.date | None
    owner_id: int | None
    position: int
    is_done: bool
    done_at: dt.datetime | None
    done_by_id: int | None
    series_id: int | None = Field(description="The meeting it was finished in, if any.")
    recurrence_id: str


class GoalOut(Schema):
    id: int
    mentorship_id: int
    owner_id: int
    owner_name: str
    title: str
    why: str
    measure: str
    target_date: dt.date | None
    value: str
    status: str
    progress_mode: str
    manual_progress: int
    progress: int = Field(description="0-100: from the milestones, set by hand, or 100 achieved.")
    position: int
    created_by_id: int | None
    achieved_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    milestones: list[MilestoneOut]


class GoalIn(Schema):
    owner_id: int | None = Field(
        None, description="The mentee whose goal it is; a pair's mentee or yourself by default."
    )
    title: str
    why: str = ""
    measure: str = ""
    target_date: dt.date | None = None
    value: str = Field("", description="One of the program's values, or empty.")


class GoalPatch(Schema):
    title: str | None = None
    why: str | None = None
    measure: str | None = None
    target_date: dt.date | None = None
    value: str | None = None
    progress_mode: str | None = Field(None, description="milestones or manual.")
    manual_progress: int | None = None


class MilestoneIn(Schema):
    title: str
    due_date: dt.date | None = None
    owner_id: int | None = Field(None, description="Who does it: one of the mentorship's people.")


class MilestonePatch(Schema):
    title: str | None = None
    due_date: dt.date | None = None
    owner_id: int | None = None
    position: int | None = Field(None, description="Its place in the goal's list, 0 first.")


class MeetingIn(Schema):
    series_id: int | None = Field(None, description="The meeting it happened in, if any.")
    recurrence_id: str = ""


class CheckInIn(MeetingIn):
    status: str = Field(description="on_track, at_risk or off_track.")
    note: str = ""
    progress: int | None = Field(None, description="Manual-progress goals only: 0-100.")


class CheckInOut(Schema):
    id: int
    goal_id: int
    author_id: int | None
    status: str
    note: str | None = Field(description="Only for the mentorship's people; null otherwise.")
    progress: int = Field(description="The goal's progress when the check-in was made.")
    series_id: int | None
    recurrence_id: str
    created_at: dt.datetime


class AgendaIn(Schema):
    goal_id: int
    milestone_id: int | None = None


class AgendaItemOut(Schema):
    id: int
    series_id: int
    recurrence_id: str
    goal_id: int
    goal_title: str
    goal_progress: int
    milestone_id: int | None
    milestone_title: str | None
    added_by_id: int | None
    reviewed_at: dt.datetime | None
    created_at: dt.datetime


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _milestone_out(milestone: Milestone) -> dict[str, Any]:
    return {
        "id": milestone.pk,
        "goal_id": milestone.goal_id,
        "title": milestone.title,
        "due_date": milestone.due_date,
        "owner_id": milestone.owner_id,
        "position": milestone.position,
        "is_done": milestone.is_done,
        "done_at": milestone.done_at,
        "done_by_id": milestone.done_by_id,
        "series_id": milestone.meeting_series_id,
        "recurrence_id": milestone.recurrence_id,
    }


def _goal_out(goal: Goal) -> dict[str, Any]:
    return {
        "id": goal.pk,
        "mentorship_id": goal.mentorship_id,
        "owner_id": goal.owner_id,
        "owner_name": str(goal.owner.display_name or ""),
        "title": goal.title,
        "why": goal.why,
        "measure": goal.measure,
        "target_date": goal.target_date,
        "value": goal.value,
        "status": goal.status,
        "progress_mode": goal.progress_mode,
        "manual_progress": goal.manual_progress,
        "progress": goal.progress,
        "position": goal.position,
        "created_by_id": goal.created_by_id,
        "achieved_at": goal.achieved_at,
        "created_at": goal.created_at,
        "updated_at": goal.updated_at,
        "milestones": [_milestone_out(milestone) for milestone in goal.milestones.all()],
    }


def _check_in_out(view: selectors.CheckInView) -> dict[str, Any]:
    check_in: CheckIn = view.check_in
    return {
        "id": check_in.pk,
        "goal_id": check_in.goal_id,
        "author_id": check_in.author_id,
        "status": check_in.status,
        "note": view.note,
        "progress": check_in.progress,
        "series_id": check_in.meeting_series_id,
        "recurrence_id": check_in.recurrence_id,
        "created_at": check_in.created_at,
    }


def _item_out(item: AgendaItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "series_id": item.meeting_series_id,
        "recurrence_id": item.recurrence_id,
        "goal_id": item.goal_id,
        "goal_title": item.goal.title,
        "goal_progress": item.goal.progress,
        "milestone_id": item.milestone_id,
        "milestone_title": item.milestone.title if item.milestone else None,
        "added_by_id": item.added_by_id,
        "reviewed_at": item.reviewed_at,
        "created_at": item.created_at,
    }


def _goal(request: HttpRequest, goal_id: int) -> tuple[Goal, str]:
    return selectors.goal_for(goal_id=goal_id, user=_user(request))


def _writable_goal(request: HttpRequest, goal_id: int) -> Goal:
    """The goal if the user may change it; 404 for outsiders, 403 for readers."""
    goal, _role = _goal(request, goal_id)
    if not selectors.may_write_goal(goal=goal, user=_user(request)):
        raise PermissionDeniedError("Only the goal's owner and the mentor change it.")
    return goal


def _fresh(request: HttpRequest, goal: Goal) -> dict[str, Any]:
    reloaded, _role = _goal(request, goal.pk)
    return _goal_out(reloaded)


def _person(mentorship: Mentorship, user_id: int | None, field: str) -> User | None:
    """One of the mentorship's people by id (None for None); a field error otherwise."""
    if user_id is None:
        return None
    person = next((p for p in mentorship.participants() if p.pk == user_id), None)
    if person is None:
        raise ValidationError({field: "Pick one of the mentorship's people."})
    return person


def _meeting(goal: Goal, payload: MeetingIn) -> tuple[MeetingSeries | None, str]:
    if payload.series_id is None:
        return None, payload.recurrence_id
    series = selectors.series_of_mentorship(mentorship=goal.mentorship, series_id=payload.series_id)
    if series is None:
        raise ValidationError({"series_id": "That meeting is not one of this mentorship's."})
    return series, payload.recurrence_id


# Goals ------------------------------------------------------------------------------------


@router.get(
    "/mentorships/{mentorship_id}/goals",
    response=list[GoalOut],
    summary="The mentorship's goals with milestones and progress (active first)",
)
def goal_list(request: HttpRequest, mentorship_id: int) -> list[dict[str, Any]]:
    mentorship, _role = selectors.mentorship_for_goals(
        mentorship_id=mentorship_id, user=_user(request)
    )
    return [_goal_out(goal) for goal in selectors.goals_for_mentorship(mentorship=mentorship)]


@router.post(
    "/mentorships/{mentorship_id}/goals",
    response={201: GoalOut},
    summary="Set a goal (a mentee their own; the mentor any mentee's)",
)
def goal_create(request: HttpRequest, mentorship_id: int, payload: GoalIn) -> Status[Any]:
    user = _user(request)
    mentorship, _role = selectors.mentorship_for_goals(mentorship_id=mentorship_id, user=user)
    owners = selectors.owners_for(mentorship=mentorship, user=user)
    if not owners:
        raise PermissionDeniedError("Only the mentorship's people set its goals.")
    if payload.owner_id is None:
        if len(owners) > 1:
            raise ValidationError({"owner_id": "Say whose goal it is."})
        owner = owners[0]
    else:
        owner = next((person for person in owners if person.pk == payload.owner_id), None)
        if owner is None:
            raise ValidationError({"owner_id": "Pick a mentee of this mentorship (yourself)."})
    goal = services.goal_create(
        mentorship=mentorship,
        owner=owner,
        by=user,
        title=payload.title,
        why=payload.why,
        measure=payload.measure,
        target_date=payload.target_date,
        value=payload.value,
    )
    return Status(201, _fresh(request, goal))


@router.get("/goals/{goal_id}", response=GoalOut, summary="One goal with its milestones")
def goal_detail(request: HttpRequest, goal_id: int) -> dict[str, Any]:
    goal, _role = _goal(request, goal_id)
    return _goal_out(goal)


@router.patch(
    "/goals/{goal_id}",
    response=GoalOut,
    summary="Change a goal's words, target date, value or progress mode (active goals)",
)
def goal_update(request: HttpRequest, goal_id: int, payload: GoalPatch) -> dict[str, Any]:
    goal = _writable_goal(request, goal_id)
    data = payload.model_dump(exclude_unset=True)
    for field in ("title", "why", "measure", "value", "progress_mode", "manual_progress"):
        if field in data and data[field] is None:
            raise ValidationError({field: "Give a value (it cannot be null)."})
    services.goal_update(goal=goal, by=_user(request), data=data)
    return _fresh(request, goal)


def _status_change(request: HttpRequest, goal_id: int, action: str) -> dict[str, Any]:
    goal = _writable_goal(request, goal_id)
    getattr(services, f"goal_{action}")(goal=goal, by=_user(request))
    return _fresh(request, goal)


@router.post(
    "/goals/{goal_id}/achieve",
    response=GoalOut,
    summary="Mark the goal achieved (proposes a win to its owner)",
)
def goal_achieve(request: HttpRequest, goal_id: int) -> dict[str, Any]:
    return _status_change(request, goal_id, "achieve")


@router.post("/goals/{goal_id}/drop", response=GoalOut, summary="Set the goal aside")
def goal_drop(request: HttpRequest, goal_id: int) -> dict[str, Any]:
    return _status_change(request, goal_id, "drop")


@router.post(
    "/goals/{goal_id}/reopen", response=GoalOut, summary="Make an achieved or dropped goal active"
)
def goal_reopen(request: HttpRequest, goal_id: int) -> dict[str, Any]:
    return _status_change(request, goal_id, "reopen")


# Milestones -------------------------------------------------------------------------------


@router.post(
    "/goals/{goal_id}/milestones",
    response={201: MilestoneOut},
    summary="Add a milestone at the end of the goal's list",
)
def milestone_add(request: HttpRequest, goal_id: int, payload: MilestoneIn) -> Status[Any]:
    goal = _writable_goal(request, goal_id)
    milestone = services.milestone_add(
        goal=goal,
        by=_user(request),
        title=payload.title,
        due_date=payload.due_date,
        owner=_person(goal.mentorship, payload.owner_id, "owner_id"),
    )
    return Status(201, _milestone_out(milestone))


def _writable_milestone(request: HttpRequest, milestone_id: int) -> Milestone:
    milestone, _role = selectors.milestone_for(milestone_id=milestone_id, user=_user(request))
    if not selectors.may_write_goal(goal=milestone.goal, user=_user(request)):
        raise PermissionDeniedError("Only the goal's owner and the mentor change it.")
    return milestone


@router.patch(
    "/milestones/{milestone_id}",
    response=MilestoneOut,
    summary="Change a milestone's title, due date, owner or place",
)
def milestone_update(
    request: HttpRequest, milestone_id: int, payload: MilestonePatch
) -> dict[str, Any]:
    milestone = _writable_milestone(request, milestone_id)
    data = payload.model_dump(exclude_unset=True)
    if "title" in data and data["title"] is None:
        raise ValidationError({"title": "Give it a title."})
    position = data.pop("position", None)
    if "owner_id" in data:
        data["owner"] = _person(milestone.goal.mentorship, data.pop("owner_id"), "owner_id")
    user = _user(request)
    if data:
        services.milestone_update(milestone=milestone, by=user, data=data)
    if position is not None:
        services.milestone_move(milestone=milestone, by=user, position=position)
    return _milestone_out(milestone)


@router.delete("/milestones/{milestone_id}", response={204: None}, summary="Delete a milestone")
def milestone_delete(request: HttpRequest, milestone_id: int) -> Status[None]:
    services.milestone_delete(
        milestone=_writable_milestone(request, milestone_id), by=_user(request)
    )
    return Status(204, None)


@router.post(
    "/milestones/{milestone_id}/finish",
    response=MilestoneOut,
    summary="Mark a milestone done, in a meeting if given (proposes a win to the goal's owner)",
)
def milestone_finish(
    request: HttpRequest, milestone_id: int, payload: MeetingIn | None = None
) -> dict[str, Any]:
    milestone = _writable_milestone(request, milestone_id)
    series, recurrence_id = _meeting(milestone.goal, payload or MeetingIn(series_id=None))
    services.milestone_finish(
        milestone=milestone, by=_user(request), series=series, recurrence_id=recurrence_id
    )
    return _milestone_out(milestone)


@router.post("/milestones/{milestone_id}/reopen", response=MilestoneOut, summary="Reopen")
def milestone_reopen(request: HttpRequest, milestone_id: int) -> dict[str, Any]:
    milestone = _writable_milestone(request, milestone_id)
    services.milestone_reopen(milestone=milestone, by=_user(request))
    return _milestone_out(milestone)


# Check-ins --------------------------------------------------------------------------------


@router.get(
    "/goals/{goal_id}/check-ins",
    response=list[CheckInOut],
    summary="The goal's check-ins, newest first (notes only for the mentorship's people)",
)
def check_in_list(request: HttpRequest, goal_id: int) -> list[dict[str, Any]]:
    goal, role = _goal(request, goal_id)
    return [_check_in_out(view) for view in selectors.check_ins_for(goal=goal, role=role)]


@router.post(
    "/goals/{goal_id}/check-ins",
    response={201: CheckInOut},
    summary="Say how the goal goes (its progress is recorded with it)",
)
def check_in_add(request: HttpRequest, goal_id: int, payload: CheckInIn) -> Status[Any]:
    goal = _writable_goal(request, goal_id)
    series, recurrence_id = _meeting(goal, payload)
    check_in = services.check_in_add(
        goal=goal,
        by=_user(request),
        status=payload.status,
        note=payload.note,
        progress=payload.progress,
        series=series,
        recurrence_id=recurrence_id,
    )
    return Status(201, _check_in_out(selectors.CheckInView(check_in, check_in.note)))


# Meeting agendas ----------------------------------------------------------------------------


def _occurrence(request: HttpRequest, series_id: int, recurrence_id: str) -> MeetingSeries:
    series = series_for(series_id=series_id, user=_user(request))
    if occurrence_of(series=series, recurrence_id=recurrence_id) is None:
        raise NotFoundError("No such meeting: it may have been cancelled.")
    return series


@router.get(
    "/meetings/{series_id}/{recurrence_id}/agenda",
    response=list[AgendaItemOut],
    summary="The goals and milestones on one meeting's agenda",
)
def agenda_list(request: HttpRequest, series_id: int, recurrence_id: str) -> list[dict[str, Any]]:
    series = _occurrence(request, series_id, recurrence_id)
    items = selectors.goal_agenda_for(series=series, recurrence_id=recurrence_id)
    return [_item_out(item) for item in items]


@router.post(
    "/meetings/{series_id}/{recurrence_id}/agenda",
    response={201: AgendaItemOut},
    summary="Put a goal, or one of its open milestones, on a meeting's agenda",
)
def agenda_add(
    request: HttpRequest, series_id: int, recurrence_id: str, payload: AgendaIn
) -> Status[Any]:
    user = _user(request)
    series = _occurrence(request, series_id, recurrence_id)
    try:
        goal, _role = selectors.goal_for(goal_id=payload.goal_id, user=user)
    except NotFoundError as error:
        raise ValidationError({"goal_id": "No such goal."}) from error
    if goal.mentorship_id != series.mentorship_id:
        raise ValidationError({"goal_id": "That goal is not one of this meeting's mentorship."})
    milestone = None
    if payload.milestone_id is not None:
        milestone = next((m for m in goal.milestones.all() if m.pk == payload.milestone_id), None)
        if milestone is None:
            raise ValidationError({"milestone_id": "That milestone is not one of this goal's."})
    if not selectors.may_write_goal(goal=goal, user=user):
        raise PermissionDeniedError("Only the goal's owner and the mentor put it on an agenda.")
    item = services.agenda_item_add(
        series=series, recurrence_id=recurrence_id, goal=goal, milestone=milestone, by=user
    )
    return Status(201, _item_out(item))


@router.delete(
    "/agenda-items/{item_id}", response={204: None}, summary="Take an item off a meeting's agenda"
)
def agenda_remove(request: HttpRequest, item_id: int) -> Status[None]:
    user = _user(request)
    item, _role = selectors.agenda_item_for(item_id=item_id, user=user)
    if not selectors.may_write_goal(goal=item.goal, user=user):
        raise PermissionDeniedError("Only the goal's owner and the mentor change its agenda.")
    services.agenda_item_remove(item=item, by=user)
    return Status(204, None)

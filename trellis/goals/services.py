"""Writes of goals, milestones, check-ins and meeting agenda items.

Every write checks who (the goal's owner or the mentor, see selectors.may_write_goal)
and when (the mentorship is active or paused: a finished one keeps its goals as they
were). A milestone finished or a goal achieved proposes a win (trellis.wins), which the
mentee then shares or not. A check-in or a milestone finished in a meeting marks the
matching items of that meeting's agenda reviewed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from trellis.core.errors import PermissionDeniedError
from trellis.core.services import model_update
from trellis.goals import selectors
from trellis.goals.models import (
    AgendaItem,
    CheckIn,
    CheckInStatus,
    Goal,
    GoalStatus,
    Milestone,
    ProgressMode,
)
from trellis.mentorships.models import MentorshipStatus
from trellis.notifications.services import notification_send
from trellis.scheduling.selectors import occurrence_of

if TYPE_CHECKING:
    from trellis.accounts.models import User
    from trellis.mentorships.models import Mentorship
    from trellis.scheduling.models import MeetingSeries

# What goal_update and milestone_update change.
GOAL_FIELDS = (
    "title",
    "why",
    "measure",
    "target_date",
    "value",
    "progress_mode",
    "manual_progress",
)
MILESTONE_FIELDS = ("title", "due_date", "owner")
TEXT_FIELDS = ("title", "why", "measure", "value")


def goal_url(goal: Goal) -> str:
    return reverse("goals:detail", args=[goal.pk])


# Checks ---------------------------------------------------------------------------------


def _check_open(mentorship: Mentorship) -> None:
    if mentorship.status == MentorshipStatus.PROPOSED:
        raise ValidationError("Goals can be set once the mentorship has started.")
    if not selectors.is_open(mentorship):
        raise ValidationError(
            "This mentorship has finished: its goals are kept as they were and can no "
            "longer change."
        )


def _check_writer(goal: Goal, by: User) -> None:
    if not selectors.may_write_goal(goal=goal, user=by):
        raise PermissionDeniedError("Only the goal's owner and the mentor change it.")
    _check_open(goal.mentorship)


def _check_active(goal: Goal) -> None:
    if goal.status != GoalStatus.ACTIVE:
        raise ValidationError(
            f"This goal is {goal.get_status_display().lower()}: reopen it to change it."
        )


def _check_value(mentorship: Mentorship, value: str) -> None:
    if value and value not in (mentorship.program.values or []):
        raise ValidationError({"value": "Pick one of the program's values."})


def _check_title(title: str) -> None:
    if not title:
        raise ValidationError({"title": "Give it a title."})


def _participant(mentorship: Mentorship, user: User | None, field: str = "owner") -> None:
    if user is not None and user.pk not in mentorship.participant_ids():
        raise ValidationError({field: "Pick one of the mentorship's people."})


def _meeting(
    goal: Goal, series: MeetingSeries | None, recurrence_id: str
) -> tuple[MeetingSeries | None, str]:
    """The meeting given for a change, checked: one of the goal's mentorship, taking place."""
    recurrence_id = (recurrence_id or "").strip()
    if series is None:
        if recurrence_id:
            raise ValidationError({"meeting": "Say which meeting series this was in."})
        return None, ""
    if series.mentorship_id != goal.mentorship_id:
        raise ValidationError({"meeting": "That meeting is not one of this mentorship's."})
    if not series.is_active or occurrence_of(series=series, recurrence_id=recurrence_id) is None:
        raise ValidationError({"meeting": "No such meeting: it may have been cancelled."})
    return series, recurrence_id


def _mark_reviewed(
    series: MeetingSeries | None, recurrence_id: str, *, goal: Goal, milestone: Milestone | None
) -> None:
    """Mark the meeting's agenda items reviewed: the milestone's, and the whole goal's
    (a milestone finished in the meeting is the goal reviewed there too)."""
    if series is None:
        return
    which = Q(milestone__isnull=True)
    if milestone is not None:
        which |= Q(milestone=milestone)
    AgendaItem.objects.filter(
        which,
        meeting_series=series,
        recurrence_id=recurrence_id,
        goal=goal,
        reviewed_at__isnull=True,
    ).update(reviewed_at=timezone.now())


def _locked_goal(goal: Goal) -> Goal:
    """The goal's row locked for this transaction, with the caller's loaded mentorship."""
    locked = Goal.objects.select_for_update().get(pk=goal.pk)
    locked.mentorship = goal.mentorship
    return locked


def _propose_win(*, goal: Goal, milestone: Milestone | None = None) -> None:
    # Imported here: the wins app reads goals, and its service is looked up at call time.
    from trellis.wins import services as wins_services

    if milestone is None:
        wins_services.win_propose(goal=goal)
    else:
        wins_services.win_propose(goal=goal, milestone=milestone)


def _name(user: User) -> str:
    return str(user.display_name or user.email)


# Goals ----------------------------------------------------------------------------------


@transaction.atomic
def goal_create(
    *,
    mentorship: Mentorship,
    owner: User,
    by: User,
    title: str,
    why: str = "",
    measure: str = "",
    target_date: dt.date | None = None,
    value: str = "",
) -> Goal:
    """Create a goal of ``owner`` (a mentee of the mentorship); ``by`` is one of its people.

    A mentee sets their own goals; the mentor sets any mentee's, and the owner is told.
    """
    if not selectors.may_set_goal(mentorship=mentorship, user=by, owner=owner):
        if by.pk in mentorship.participant_ids():
            raise PermissionDeniedError("A mentee sets their own goals; the mentor anyone's.")
        raise PermissionDeniedError("Only the mentorship's people set its goals.")
    _check_open(mentorship)
    title, value = (title or "").strip(), (value or "").strip()
    _check_title(title)
    _check_value(mentorship, value)
    last = Goal.objects.filter(mentorship=mentorship).aggregate(last=Max("position"))["last"]
    goal = Goal(
        mentorship=mentorship,
        owner=owner,
        title=title,
        why=(why or "").strip(),
        measure=(measure or "").strip(),
        target_date=target_date,
        value=value,
        position=(last or 0) + 1,
        created_by=by,
    )
    goal.full_clean()
    goal.save()
    if by.pk != owner.pk:
        notification_send(
            recipient=owner,
            kind="goal_set",
            title=f"{_name(by)} set a goal with you: {title}",
            body="Add milestones, or change it, on the goal's page.",
            url=goal_url(goal),
        )
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, by: User, data: dict[str, Any]) -> Goal:
    """Change the goal's words, target date, value or how its progress is counted.

    ``data`` holds some of GOAL_FIELDS; manual_progress counts in "manual" mode only.
    """
    unknown = set(data) - set(GOAL_FIELDS)
    if unknown:
        raise ValueError(f"goal_update does not change {sorted(unknown)}.")
    _check_writer(goal, by)
    locked = _locked_goal(goal)
    _check_active(locked)
    changes = {
        key: (value or "").strip() if key in TEXT_FIELDS else value for key, value in data.items()
    }
    if "title" in changes:
        _check_title(changes["title"])
    if "value" in changes:
        _check_value(goal.mentorship, changes["value"])
    if "manual_progress" in changes and not isinstance(changes["manual_progress"], int):
        raise ValidationError({"manual_progress": "Give a whole percentage from 0 to 100."})
    if changes.get("progress_mode", ProgressMode.MILESTONES) not in ProgressMode.values:
        raise ValidationError({"progress_mode": "Pick from the milestones or by hand."})
    model_update(instance=locked, fields=GOAL_FIELDS, data=changes)
    _copy(locked, goal)
    return goal


def _copy(source: Goal, target: Goal) -> None:
    """Bring the caller's goal up to date with the locked row that was saved."""
    for field in (*GOAL_FIELDS, "status", "achieved_at", "updated_at"):
        setattr(target, field, getattr(source, field))


@transaction.atomic
def goal_achieve(*, goal: Goal, by: User) -> Goal:
    """Mark the goal achieved (its progress shows 100) and propose a win for it."""
    _check_writer(goal, by)
    locked = _locked_goal(goal)
    if locked.status != GoalStatus.ACTIVE:
        raise ValidationError(f"This goal is already {locked.get_status_display().lower()}.")
    locked.status = GoalStatus.ACHIEVED
    locked.achieved_at = timezone.now()
    locked.save(update_fields=["status", "achieved_at", "updated_at"])
    _copy(locked, goal)
    _propose_win(goal=goal)
    return goal


@transaction.atomic
def goal_drop(*, goal: Goal, by: User) -> Goal:
    """Set the goal aside; it keeps its milestones, check-ins and progress so far."""
    _check_writer(goal, by)
    locked = _locked_goal(goal)
    if locked.status != GoalStatus.ACTIVE:
        raise ValidationError(f"This goal is already {locked.get_status_display().lower()}.")
    locked.status = GoalStatus.DROPPED
    locked.save(update_fields=["status", "updated_at"])
    _copy(locked, goal)
    return goal


@transaction.atomic
def goal_reopen(*, goal: Goal, by: User) -> Goal:
    """Make an achieved or dropped goal active again."""
    _check_writer(goal, by)
    locked = _locked_goal(goal)
    if locked.status == GoalStatus.ACTIVE:
        raise ValidationError("This goal is already active.")
    locked.status = GoalStatus.ACTIVE
    locked.achieved_at = None
    locked.save(update_fields=["status", "achieved_at", "updated_at"])
    _copy(locked, goal)
    return goal


# Milestones -------------------------------------------------------------------------------


@transaction.atomic
def milestone_add(
    *,
    goal: Goal,
    by: User,
    title: str,
    due_date: dt.date | None = None,
    owner: User | None = None,
) -> Milestone:
    """Add a milestone at the end of the goal's list; ``owner`` is who does it."""
    _check_writer(goal, by)
    locked = _locked_goal(goal)
    _check_active(locked)
    title = (title or "").strip()
    _check_title(title)
    _participant(goal.mentorship, owner)
    last = Milestone.objects.filter(goal=goal).aggregate(last=Max("position"))["last"]
    milestone = Milestone(
        goal=goal, title=title, due_date=due_date, owner=owner, position=(last or 0) + 1
    )
    milestone.full_clean()
    milestone.save()
    return milestone


def _writable_milestone(milestone: Milestone, by: User) -> Milestone:
    """Check by may change the milestone's goal now; the milestone's row, locked."""
    goal = milestone.goal
    _check_writer(goal, by)
    _check_active(goal)
    locked = Milestone.objects.select_for_update().filter(pk=milestone.pk).first()
    if locked is None:
        raise ValidationError("This milestone was deleted meanwhile.")
    locked.goal = goal
    return locked


@transaction.atomic
def milestone_update(*, milestone: Milestone, by: User, data: dict[str, Any]) -> Milestone:
    """Change some of MILESTONE_FIELDS (title, due_date, owner: a participant or None)."""
    unknown = set(data) - set(MILESTONE_FIELDS)
    if unknown:
        raise ValueError(f"milestone_update does not change {sorted(unknown)}.")
    locked = _writable_milestone(milestone, by)
    changes = dict(data)
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
        _check_title(changes["title"])
    if "owner" in changes:
        _participant(milestone.goal.mentorship, changes["owner"])
    model_update(instance=locked, fields=MILESTONE_FIELDS, data=changes)
    for field in (*MILESTONE_FIELDS, "updated_at"):
        setattr(milestone, field, getattr(locked, field))
    return milestone


@transaction.atomic
def milestone_move(*, milestone: Milestone, by: User, position: int) -> Milestone:
    """Put the milestone at ``position`` (0 first) in its goal's list; the others follow."""
    _writable_milestone(milestone, by)
    _locked_goal(milestone.goal)
    siblings = list(Milestone.objects.filter(goal_id=milestone.goal_id).order_by("position", "pk"))
    moving = next(item for item in siblings if item.pk == milestone.pk)
    siblings.remove(moving)
    siblings.insert(max(0, min(position, len(siblings))), moving)
    changed = []
    for index, item in enumerate(siblings, start=1):
        if item.position != index:
            item.position = index
            changed.append(item)
    Milestone.objects.bulk_update(changed, ["position"])
    milestone.position = moving.position
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone, by: User) -> None:
    locked = _writable_milestone(milestone, by)
    locked.delete()


@transaction.atomic
def milestone_finish(
    *,
    milestone: Milestone,
    by: User,
    series: MeetingSeries | None = None,
    recurrence_id: str = "",
) -> Milestone:
    """Mark the milestone done (in a meeting, when given) and propose a win for it.

    The goal is not achieved by its last milestone: its people say so themselves.
    """
    goal = milestone.goal
    locked = _writable_milestone(milestone, by)
    series, recurrence_id = _meeting(goal, series, recurrence_id)
    if locked.is_done:
        raise ValidationError("This milestone is already done.")
    locked.done_at = timezone.now()
    locked.done_by = by
    locked.meeting_series = series
    locked.recurrence_id = recurrence_id
    locked.save(
        update_fields=["done_at", "done_by", "meeting_series", "recurrence_id", "updated_at"]
    )
    for field in ("done_at", "done_by", "meeting_series", "recurrence_id", "updated_at"):
        setattr(milestone, field, getattr(locked, field))
    _mark_reviewed(series, recurrence_id, goal=goal, milestone=milestone)
    _propose_win(goal=goal, milestone=milestone)
    mentorship = goal.mentorship
    people = {person.pk: person for person in mentorship.participants()}
    for user_id in dict.fromkeys((goal.owner_id, mentorship.mentor_id)):
        if user_id != by.pk and user_id in people:
            notification_send(
                recipient=people[user_id],
                kind="milestone_done",
                title=f"{_name(by)} finished a milestone: {milestone.title}",
                body=f"Goal: {goal.title}",
                url=goal_url(goal),
            )
    return milestone


@transaction.atomic
def milestone_reopen(*, milestone: Milestone, by: User) -> Milestone:
    """Mark a done milestone open again (where and by whom it was done are cleared)."""
    locked = _writable_milestone(milestone, by)
    if not locked.is_done:
        raise ValidationError("This milestone is not done yet.")
    locked.done_at = None
    locked.done_by = None
    locked.meeting_series = None
    locked.recurrence_id = ""
    locked.save(
        update_fields=["done_at", "done_by", "meeting_series", "recurrence_id", "updated_at"]
    )
    for field in ("done_at", "done_by", "meeting_series", "recurrence_id", "updated_at"):
        setattr(milestone, field, getattr(locked, field))
    return milestone


# Check-ins --------------------------------------------------------------------------------


@transaction.atomic
def check_in_add(
    *,
    goal: Goal,
    by: User,
    status: str,
    note: str = "",
    progress: int | None = None,
    series: MeetingSeries | None = None,
    recurrence_id: str = "",
) -> CheckIn:
    """Record how the goal goes, with its progress now (set here for a manual goal)."""
    _check_writer(goal, by)
    series, recurrence_id = _meeting(goal, series, recurrence_id)
    locked = _locked_goal(goal)
    _check_active(locked)
    if status not in CheckInStatus.values:
        raise ValidationError({"status": "Say whether it is on track, at risk or off track."})
    if progress is not None:
        if locked.progress_mode != ProgressMode.MANUAL:
            raise ValidationError({"progress": "This goal's progress comes from its milestones."})
        if not isinstance(progress, int) or not 0 <= progress <= 100:
            raise ValidationError({"progress": "Give a whole percentage from 0 to 100."})
        locked.manual_progress = progress
        locked.save(update_fields=["manual_progress", "updated_at"])
        _copy(locked, goal)
    # Counted afresh (not from a prefetch the caller may hold from before this change).
    snapshot = selectors.with_progress(Goal.objects.filter(pk=goal.pk)).get()
    check_in = CheckIn(
        goal=goal,
        author=by,
        status=status,
        note=(note or "").strip(),
        progress=snapshot.progress,
        meeting_series=series,
        recurrence_id=recurrence_id,
    )
    check_in.full_clean()
    check_in.save()
    _mark_reviewed(series, recurrence_id, goal=goal, milestone=None)
    return check_in


# Meeting agendas ----------------------------------------------------------------------------


@transaction.atomic
def agenda_item_add(
    *,
    series: MeetingSeries,
    recurrence_id: str,
    goal: Goal,
    milestone: Milestone | None = None,
    by: User,
) -> AgendaItem:
    """Put an active goal, or one of its open milestones, on one meeting's agenda."""
    _check_writer(goal, by)
    series_checked, recurrence_id = _meeting(goal, series, recurrence_id)
    _check_active(goal)
    if milestone is not None:
        if milestone.goal_id != goal.pk:
            raise ValidationError({"milestone": "That milestone is not one of this goal's."})
        if milestone.is_done:
            raise ValidationError({"milestone": "That milestone is already done."})
    item = AgendaItem(
        meeting_series=series_checked,
        recurrence_id=recurrence_id,
        goal=goal,
        milestone=milestone,
        added_by=by,
    )
    item.full_clean()
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as error:
        # Someone put it there at the same moment.
        what = "milestone" if milestone is not None else "goal"
        raise ValidationError(f"This {what} is already on the meeting's agenda.") from error
    return item


@transaction.atomic
def agenda_item_remove(*, item: AgendaItem, by: User) -> None:
    """Take a goal or milestone off a meeting's agenda."""
    _check_writer(item.goal, by)
    AgendaItem.objects.filter(pk=item.pk).delete()

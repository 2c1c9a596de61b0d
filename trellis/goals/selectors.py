"""Reads for goals: who sees and writes them, lists with progress, a meeting's agenda.

Who sees a mentorship's goals: its people now (a pair, or a group's mentor and current
members) read everything; the program's managers and staff read goals, milestones and
progress but never check-in notes; anyone else (a member who left, too) is told nothing
exists. Who writes a goal: its owner and the mentor, while the mentorship is active or
paused. Every list here is read in a fixed number of queries, whatever its length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from trellis.core.errors import NotFoundError
from trellis.goals.models import AgendaItem, CheckIn, Goal, GoalStatus, Milestone
from trellis.mentorships.models import Mentorship, MentorshipStatus
from trellis.mentorships.selectors import current_members_prefetch, mentorship_role
from trellis.scheduling.models import MeetingSeries

PARTICIPANT_ROLES = ("mentor", "mentee")
# Goals change only while the mentorship goes on; a finished one keeps them as they were.
OPEN_STATUSES = (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)
# Primary keys are 64-bit: a larger id is no row (and must not reach the database).
MAX_ID = 2**63 - 1


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


# Who is who ------------------------------------------------------------------------------


def goals_role(*, mentorship: Mentorship, user: Any) -> str | None:
    """ "mentor", "mentee" (a pair's or a current member), "manager" (managers, staff) or None."""
    return mentorship_role(mentorship=mentorship, user=user)


def sees_notes(role: str | None) -> bool:
    """Check-in notes are for the mentorship's people only, never its managers."""
    return role in PARTICIPANT_ROLES


def is_open(mentorship: Mentorship) -> bool:
    return mentorship.status in OPEN_STATUSES


def may_write_goal(*, goal: Goal, user: Any) -> bool:
    """The goal's owner and the mentor, while they take part (in a pair: both of them)."""
    user_id = getattr(user, "pk", None)
    if not user_id or not getattr(user, "is_active", False):
        return False
    mentorship = goal.mentorship
    if user_id not in mentorship.participant_ids():
        return False
    return user_id in (mentorship.mentor_id, goal.owner_id)


def owners_for(*, mentorship: Mentorship, user: Any) -> list[Any]:
    """Whose goals user may set: the mentor any mentee's, a mentee their own."""
    user_id = getattr(user, "pk", None)
    if not user_id or not getattr(user, "is_active", False):
        return []
    mentees = mentorship.mentees()
    if user_id == mentorship.mentor_id:
        return mentees
    return [mentee for mentee in mentees if mentee.pk == user_id]


def may_set_goal(*, mentorship: Mentorship, user: Any, owner: Any) -> bool:
    return any(person.pk == owner.pk for person in owners_for(mentorship=mentorship, user=user))


# Loading what a person may see --------------------------------------------------------


def _mentorships() -> QuerySet[Mentorship]:
    return Mentorship.objects.select_related(
        "program", "program__organisation", "mentor__profile", "mentee__profile"
    ).prefetch_related(current_members_prefetch())


def mentorship_for_goals(*, mentorship_id: int, user: Any) -> tuple[Mentorship, str]:
    """The mentorship and user's role in it; NotFoundError for anyone who may not see it."""
    mentorship = _mentorships().filter(pk=mentorship_id).first() if _is_id(mentorship_id) else None
    role = mentorship_role(mentorship=mentorship, user=user) if mentorship else None
    if mentorship is None or role is None:
        raise NotFoundError("No such mentorship.")
    return mentorship, role


def _milestones() -> QuerySet[Milestone]:
    return Milestone.objects.select_related(
        "owner__profile", "done_by__profile", "meeting_series"
    ).order_by("position", "pk")


def with_progress(goals: QuerySet[Goal]) -> QuerySet[Goal]:
    """Annotate the milestone counts that ``Goal.progress`` reads in lists."""
    return goals.annotate(
        milestone_total=Count("milestones", distinct=True),
        milestone_done=Count(
            "milestones", filter=Q(milestones__done_at__isnull=False), distinct=True
        ),
    )


def _goals() -> QuerySet[Goal]:
    return Goal.objects.select_related("owner__profile", "created_by__profile")


def goal_for(*, goal_id: int, user: Any) -> tuple[Goal, str]:
    """The goal (its mentorship and milestones loaded) and user's role; else NotFoundError."""
    goal = None
    if _is_id(goal_id):
        goal = (
            _goals()
            .select_related(
                "mentorship__program",
                "mentorship__program__organisation",
                "mentorship__mentor__profile",
                "mentorship__mentee__profile",
            )
            .prefetch_related(
                current_members_prefetch("mentorship__"), Prefetch("milestones", _milestones())
            )
            .filter(pk=goal_id)
            .first()
        )
    role = mentorship_role(mentorship=goal.mentorship, user=user) if goal else None
    if goal is None or role is None:
        raise NotFoundError("No such goal.")
    return goal, role


def milestone_for(*, milestone_id: int, user: Any) -> tuple[Milestone, str]:
    """The milestone with its goal (as goal_for loads it) and user's role; else NotFoundError."""
    goal_id = None
    if _is_id(milestone_id):
        goal_id = (
            Milestone.objects.filter(pk=milestone_id).values_list("goal_id", flat=True).first()
        )
    if goal_id is None:
        raise NotFoundError("No such milestone.")
    try:
        goal, role = goal_for(goal_id=goal_id, user=user)
    except NotFoundError as error:
        raise NotFoundError("No such milestone.") from error
    milestone = next(m for m in goal.milestones.all() if m.pk == milestone_id)
    milestone.goal = goal
    return milestone, role


def agenda_item_for(*, item_id: int, user: Any) -> tuple[AgendaItem, str]:
    """An agenda item with its goal and series, and user's role; else NotFoundError."""
    item: AgendaItem | None = None
    if _is_id(item_id):
        found = AgendaItem.objects.select_related("milestone", "meeting_series")
        item = found.filter(pk=item_id).first()
    if item is None:
        raise NotFoundError("No such agenda item.")
    try:
        goal, role = goal_for(goal_id=item.goal_id, user=user)
    except NotFoundError as error:
        raise NotFoundError("No such agenda item.") from error
    item.goal = goal
    return item, role


# Lists -------------------------------------------------------------------------------------

# Active goals first, then achieved, then dropped; each by position.
STATUS_ORDER = Case(
    When(status=GoalStatus.ACTIVE, then=Value(0)),
    When(status=GoalStatus.ACHIEVED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def goals_for_mentorship(*, mentorship: Mentorship) -> list[Goal]:
    """The mentorship's goals with progress and milestones, in three queries.

    Active goals first; each carries ``milestone_total``/``milestone_done`` and its
    milestones in order (for the next one due).
    """
    goals = with_progress(_goals().filter(mentorship=mentorship))
    goals = goals.prefetch_related(Prefetch("milestones", _milestones()))
    for_list = goals.annotate(status_order=STATUS_ORDER).order_by("status_order", "position", "pk")
    found: list[Goal] = list(for_list)
    for goal in found:
        # Already loaded with the mentorship's people: no query per goal for who writes.
        goal.mentorship = mentorship
    return found


@dataclass(frozen=True)
class CheckInView:
    """A check-in as one viewer sees it: the note is None for managers and staff."""

    check_in: CheckIn
    note: str | None

    @property
    def author_name(self) -> str:
        author = self.check_in.author
        return str(getattr(author, "display_name", "") or "Someone who left")


def _check_in_views(check_ins: Iterable[CheckIn], role: str | None) -> list[CheckInView]:
    shown = sees_notes(role)
    return [CheckInView(check_in, check_in.note if shown else None) for check_in in check_ins]


def _check_ins() -> QuerySet[CheckIn]:
    return CheckIn.objects.select_related("author__profile", "meeting_series", "goal")


def check_ins_for(*, goal: Goal, role: str | None) -> list[CheckInView]:
    """The goal's check-ins, newest first; their notes only for the mentorship's people."""
    return _check_in_views(_check_ins().filter(goal=goal).order_by("-created_at", "-pk"), role)


# Meetings -----------------------------------------------------------------------------


def goal_agenda_for(series: MeetingSeries, recurrence_id: str) -> list[AgendaItem]:
    """The goals and milestones on one meeting's agenda, in the order they were added.

    Each item's goal carries its milestones, so its progress costs no query.
    """
    return list(
        AgendaItem.objects.filter(meeting_series=series, recurrence_id=recurrence_id)
        .select_related("goal__owner__profile", "milestone__owner__profile", "added_by__profile")
        .prefetch_related(Prefetch("goal__milestones", _milestones()))
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class MeetingMoves:
    """What moved in one meeting: check-ins made and milestones finished there."""

    check_ins: list[CheckInView]
    milestones: list[Milestone]

    @property
    def is_empty(self) -> bool:
        return not self.check_ins and not self.milestones


def meeting_moves_for(
    *, series: MeetingSeries, recurrence_id: str, role: str | None
) -> MeetingMoves:
    check_ins = _check_ins().filter(meeting_series=series, recurrence_id=recurrence_id)
    milestones = (
        Milestone.objects.filter(meeting_series=series, recurrence_id=recurrence_id)
        .select_related("goal", "done_by__profile")
        .order_by("done_at", "pk")
    )
    return MeetingMoves(
        check_ins=_check_in_views(check_ins.order_by("created_at", "pk"), role),
        milestones=list(milestones),
    )


def series_of_mentorship(*, mentorship: Mentorship, series_id: Any) -> MeetingSeries | None:
    """One of the mentorship's meeting series (with its changes), or None."""
    if not _is_id(series_id):
        return None
    return (
        MeetingSeries.objects.filter(pk=series_id, mentorship=mentorship)
        .prefetch_related("changes")
        .first()
    )

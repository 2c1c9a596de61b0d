"""Goals with milestones and meetings to put them in, as the tests need them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from trellis.goals import services
from trellis.goals.models import Goal
from trellis.goals.selectors import goal_for
from trellis.scheduling.tests.helpers import meeting_in


def goal_of(mentorship: Any, *, owner: Any = None, milestones: int = 0, **fields: Any) -> Goal:
    """A goal set by its owner (a pair's mentee by default), with ``milestones`` open ones."""
    owner = owner or mentorship.mentees()[0]
    fields.setdefault("title", "Give a conference talk")
    goal = services.goal_create(mentorship=mentorship, owner=owner, by=owner, **fields)
    for number in range(milestones):
        services.milestone_add(goal=goal, by=owner, title=f"Step {number + 1}")
    return reload(goal)


def reload(goal: Goal) -> Goal:
    found, _role = goal_for(goal_id=goal.pk, user=goal.mentorship.mentor)
    return found


def meeting_of(mentorship: Any, days: int = 1) -> tuple[Any, str]:
    return meeting_in(mentorship, dt.timedelta(days=days))

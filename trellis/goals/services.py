"""Writes of goals, milestones, check-ins and meeting agenda items (to be built, issue #7)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trellis.accounts.models import User
    from trellis.mentorships.models import Mentorship


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
) -> Any:
    """Create a goal of ``owner`` (a mentee of the mentorship); ``by`` is one of its people."""
    raise NotImplementedError

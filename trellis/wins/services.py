"""Writes of wins, their reactions and comments (to be built, issue #7)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trellis.goals.models import Goal, Milestone


def win_propose(*, goal: Goal, milestone: Milestone | None = None) -> Any:
    """Propose a win to the goal's owner for a finished milestone (or the goal itself)."""
    return None

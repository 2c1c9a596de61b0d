"""Writes of connection plans (to be built, issue #7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trellis.accounts.models import User
    from trellis.mentorships.models import Mentorship


def plan_on_mentorship(*, mentorship: Mentorship, event: str, user: User | None = None) -> None:
    """Follow a mentorship's life (see mentorships.services._lifecycle for the events)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from trellis.accounts.models import User
from trellis.mentorships import selectors as mentorship_selectors
from trellis.messaging import selectors as messaging_selectors
from trellis.programs import selectors as program_selectors
from trellis.programs.models import Enrollment, EnrollmentStatus
from trellis.scheduling import selectors as scheduling_selectors


@dataclass
class Dashboard:
    has_profile: bool
    enrollments: list[Any] = field(default_factory=list)
    managed_programs: list[Any] = field(default_factory=list)
    mentorships: list[Any] = field(default_factory=list)
    upcoming_meetings: list[Any] = field(default_factory=list)
    # Conversations with unread messages, latest first (at most DASHBOARD_CONVERSATIONS);
    # called by the template only when the navigation's unread count is not zero, so a
    # person with nothing unread pays no query for it.
    unread_conversations: Callable[[], list[Any]] = list


DASHBOARD_CONVERSATIONS = 3


def dashboard_for_user(*, user: User) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries."""
    enrollments = list(program_selectors.enrollment_list_for_user(user=user))
    # A subquery, not a join: the "managed by" filter may itself join and multiply rows.
    pending = (
        Enrollment.objects.filter(program=OuterRef("pk"), status=EnrollmentStatus.PENDING)
        .order_by()
        .values("program")
        .annotate(count=Count("pk"))
        .values("count")
    )
    managed = list(
        program_selectors.programs_managed_by(user=user)
        .annotate(pending_count=Coalesce(Subquery(pending), 0))
        .order_by("name")
    )

    @cache
    def unread_conversations() -> list[Any]:
        summaries = messaging_selectors.conversation_list_for(user=user)
        return [summary for summary in summaries if summary.unread][:DASHBOARD_CONVERSATIONS]

    return Dashboard(
        has_profile=hasattr(user, "profile"),
        enrollments=enrollments,
        managed_programs=managed,
        mentorships=mentorship_selectors.mentorship_list_for_user(user=user),
        upcoming_meetings=scheduling_selectors.upcoming_meetings(user=user, limit=3),
        unread_conversations=unread_conversations,
    )

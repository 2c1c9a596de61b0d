"""Background work for connection plans: a mentorship's plan and prompts, after commit."""

from __future__ import annotations

from django_tasks import task

from trellis.accounts.models import User
from trellis.mentorships.models import Mentorship
from trellis.mentorships.selectors import current_members_prefetch
from trellis.plans.services import plan_follow


@task()
def plan_follow_task(*, mentorship_id: int, user_id: int | None = None, apply: bool = False) -> int:
    """Apply the plan if asked, then schedule its future prompts for everyone (or one).

    Returns how many reminders were scheduled.
    """
    mentorship = (
        Mentorship.objects.select_related("program", "mentor__profile", "mentee__profile")
        .prefetch_related(current_members_prefetch())
        .filter(pk=mentorship_id)
        .first()
    )
    if mentorship is None:
        return 0
    user = None
    if user_id is not None:
        user = User.objects.select_related("profile").filter(pk=user_id).first()
        if user is None:
            return 0
    return plan_follow(mentorship=mentorship, user=user, apply=apply)

"""Background work for meetings: the daily reminder sweep, and re-planning one person's.

django-tasks has no scheduler; `manage.py meetings_remind` (daily, e.g. `30 6 * * *`;
`--enqueue` hands it to the worker) starts services.meeting_reminders_top_up, which keeps
every meeting of the next 14 days reminded and cancels reminders matching no meeting.
"""

from __future__ import annotations

from django_tasks import task

from trellis.accounts.models import User
from trellis.scheduling.services import meeting_reminders_replan, meeting_reminders_top_up


@task()
def meeting_reminders_top_up_task() -> int:
    """Top up the meeting reminders; return how many were scheduled, moved or cancelled."""
    result = meeting_reminders_top_up()
    return result.scheduled + result.cancelled


@task()
def meeting_reminders_replan_task(*, user_id: int) -> int:
    """Re-plan a person's meeting reminders at their new offsets; return how many changed."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return 0
    result = meeting_reminders_replan(user=user)
    return result.scheduled + result.cancelled

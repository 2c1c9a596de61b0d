"""Background work for surveys: arranging the opening notices of a mentorship's copies.

Queued on commit by services.surveys_on_mentorship, so the automatch starting thousands
of mentorships in one transaction only stores the copies; the notices follow.
"""

from __future__ import annotations

from django_tasks import task

from trellis.feedback.services import survey_reminders_arrange


@task()
def survey_reminders_task(*, mentorship_id: int) -> int:
    """Arrange the notices of the mentorship's survey copies that have none; return how many."""
    return survey_reminders_arrange(mentorship_id=mentorship_id)

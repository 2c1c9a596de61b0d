from __future__ import annotations

from django_tasks import task

from trellis.calendars import services
from trellis.calendars.models import ExternalCalendar


@task()
def external_calendar_refresh_task(*, external_calendar_id: int) -> bool:
    """Refresh one subscribed calendar's busy cache; False if it was removed meanwhile."""
    external_calendar = (
        ExternalCalendar.objects.select_related("user__profile")
        .filter(pk=external_calendar_id)
        .first()
    )
    if external_calendar is None:
        return False
    services.external_calendar_refresh(external_calendar=external_calendar)
    return not external_calendar.error

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("feedback/_mentorship_section.html", takes_context=True)
def feedback_mentorship_section(context: Any, mentorship: Any) -> dict[str, Any]:
    """The feedback part of the mentorship page (to be built, issue #7)."""
    return {"mentorship": mentorship, "user": context["user"]}


@register.inclusion_tag("feedback/_pulse.html", takes_context=True)
def meeting_pulse(context: Any, series: Any, recurrence_id: str) -> dict[str, Any]:
    """The one-tap "how useful was it" of one meeting occurrence (to be built, issue #7)."""
    return {"series": series, "recurrence_id": recurrence_id, "user": context["user"]}

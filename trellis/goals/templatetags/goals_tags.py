from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("goals/_mentorship_section.html", takes_context=True)
def goals_mentorship_section(context: Any, mentorship: Any) -> dict[str, Any]:
    """The goals part of the mentorship page (to be built, issue #7)."""
    return {"mentorship": mentorship, "user": context["user"]}


@register.inclusion_tag("goals/_meeting_goals.html", takes_context=True)
def meeting_goals(context: Any, series: Any, recurrence_id: str) -> dict[str, Any]:
    """The goals on one meeting's agenda, reviewed there (to be built, issue #7)."""
    return {"series": series, "recurrence_id": recurrence_id, "user": context["user"]}

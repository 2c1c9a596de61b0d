from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("wins/_mentorship_section.html", takes_context=True)
def wins_mentorship_section(context: Any, mentorship: Any) -> dict[str, Any]:
    """The wins part of the mentorship page (to be built, issue #7)."""
    return {"mentorship": mentorship, "user": context["user"]}

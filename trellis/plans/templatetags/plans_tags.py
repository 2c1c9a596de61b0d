from __future__ import annotations

from typing import Any

from django import template

from trellis.plans.selectors import plan_section

register = template.Library()


@register.inclusion_tag("plans/_mentorship_section.html", takes_context=True)
def plans_mentorship_section(context: Any, mentorship: Any) -> dict[str, Any]:
    """The "Connection plan" card of the mentorship page: what is due now and next."""
    user = context["user"]
    return {
        "mentorship": mentorship,
        "user": user,
        "section": plan_section(mentorship=mentorship, viewer=user),
    }

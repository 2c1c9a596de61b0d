"""The resources part of other apps' pages: the card on the mentorship page."""

from __future__ import annotations

from typing import Any

from django import template

from trellis.resources import selectors

register = template.Library()

# The card lists this many of the newest recommendations; the page lists them all.
SECTION_LIMIT = 5


@register.inclusion_tag("resources/_mentorship_section.html", takes_context=True)
def resources_mentorship_section(context: Any, mentorship: Any) -> dict[str, Any]:
    """The card "Resources" of the mentorship page, in two queries whatever their number.

    Nothing for people who may not see the mentorship's recommendations.
    """
    user = context.get("user")
    role = context.get("role", False)
    if role is False:
        role = selectors.resources_role(mentorship=mentorship, user=user)
    if not role:
        return {"role": None}
    return {
        "role": role,
        "mentorship": mentorship,
        "recommendations": selectors.recommendations_for(
            mentorship=mentorship, limit=SECTION_LIMIT
        ),
        "counts": selectors.recommendation_counts(mentorship=mentorship),
        "can_recommend": selectors.may_recommend(mentorship=mentorship, user=user),
    }

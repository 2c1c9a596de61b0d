"""The introductions parts of other apps' pages: the mentorship page and the dashboard."""

from __future__ import annotations

from typing import Any

from django import template

from trellis.introductions import selectors

register = template.Library()


@register.inclusion_tag("introductions/_mentorship_section.html", takes_context=True)
def introductions_mentorship_section(context: Any, mentorship: Any) -> dict[str, Any]:
    """The card "Introductions" of the mentorship page, in one query (none for others).

    The mentor sees the introductions they made in it and "Introduce … to someone"; a
    mentee sees the introductions of them still waiting for answers; nobody else sees it.
    """
    user = context["user"]
    user_id = getattr(user, "pk", None)
    role = None
    if user_id is not None and user_id == mentorship.mentor_id:
        role = "mentor"
    elif user_id is not None and user_id in mentorship.mentee_ids():
        role = "mentee"
    if role is None:
        return {"role": None}
    return {
        "mentorship": mentorship,
        "user": user,
        "role": role,
        "views": selectors.introductions_in_mentorship(mentorship=mentorship, user=user),
        "may_introduce": selectors.may_introduce(mentorship=mentorship, user=user),
        "mentee_label": (
            "a member of your group"
            if mentorship.is_group
            else str(mentorship.pair_mentee.display_name)
        ),
    }


@register.inclusion_tag("introductions/_dashboard.html", takes_context=True)
def introductions_dashboard(context: Any) -> dict[str, Any]:
    """The dashboard's "Introductions waiting for your answer", when any (one query)."""
    return {"views": selectors.introductions_waiting_for(user=context["user"])}

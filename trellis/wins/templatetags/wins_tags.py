from __future__ import annotations

from typing import Any

from django import template

from trellis.wins import selectors
from trellis.wins.forms import WinCreateForm
from trellis.wins.models import WinState

register = template.Library()


@register.inclusion_tag("wins/_mentorship_section.html", takes_context=True)
def wins_mentorship_section(context: Any, mentorship: Any) -> dict[str, Any]:
    """The mentorship page's "Wins" card: choices awaiting the owner, the pair's wins."""
    user = context["user"]
    wins = selectors.mentorship_wins(mentorship=mentorship, user=user)
    may_celebrate = selectors.may_celebrate(mentorship=mentorship, user=user)
    return {
        "mentorship": mentorship,
        "user": user,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "proposed": [win for win in wins if win.state == WinState.PROPOSED],
        "celebrated": [win for win in wins if win.state != WinState.PROPOSED],
        "may_celebrate": may_celebrate,
        "form": WinCreateForm(auto_id="win_%s") if may_celebrate else None,
    }


@register.simple_tag(takes_context=True)
def back_path(context: Any) -> str:
    """The path of the page a form is on, for a plain post to return to.

    An HTMX answer is rendered for the page that asked (HX-Current-URL), not for the
    address the fragment came from.
    """
    request = context.get("request")
    if request is None:
        return ""
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.current_url_abs_path:
        return str(htmx.current_url_abs_path)
    return str(request.get_full_path())

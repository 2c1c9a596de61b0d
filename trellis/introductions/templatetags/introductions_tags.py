"""Template tags of the introductions app (stubs until the app fills them in)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def introductions_mentorship_section(context: Any, mentorship: Any) -> str:
    return ""


@register.simple_tag(takes_context=True)
def introductions_dashboard(context: Any) -> str:
    return ""

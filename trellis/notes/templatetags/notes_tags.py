"""Template tags of the notes app (stubs until the app fills them in)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def notes_mentorship_section(context: Any, mentorship: Any) -> str:
    return ""


@register.simple_tag(takes_context=True)
def meeting_notes_link(context: Any, series: Any, recurrence_id: Any) -> str:
    return ""

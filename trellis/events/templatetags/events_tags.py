"""Template tags of the events app (stubs until the app fills them in)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def events_dashboard(context: Any) -> str:
    return ""

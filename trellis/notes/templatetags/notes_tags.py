"""The notes parts of other apps' pages: the mentorship page and a meeting's page."""

from __future__ import annotations

from typing import Any

from django import template

from trellis.notes import selectors

register = template.Library()


@register.inclusion_tag("notes/_mentorship_section.html", takes_context=True)
def notes_mentorship_section(context: Any, mentorship: Any) -> dict[str, Any]:
    """The card "Shared notes" for the mentorship's people (nothing for anyone else).

    One query (the document, with who last edited it); none for anyone else.
    """
    access = selectors.notes_access(mentorship=mentorship, user=context.get("user"))
    if access is None:
        return {"access": None}
    return {
        "access": access,
        "is_editable": access == selectors.EDIT,
        "mentorship": mentorship,
        "document": selectors.document_for_mentorship(mentorship),
    }


@register.inclusion_tag("notes/_meeting_link.html", takes_context=True)
def meeting_notes_link(context: Any, series: Any, recurrence_id: Any) -> dict[str, Any]:
    """A link "Meeting notes" for the people of the meeting's mentorship."""
    access = selectors.notes_access(mentorship=series.mentorship, user=context.get("user"))
    if access is None:
        return {"access": None}
    return {
        "access": access,
        "series": series,
        "recurrence_id": str(recurrence_id),
        "document": selectors.document_for_meeting(series, str(recurrence_id)),
    }

"""How a mentorship is named to the person looking at it: a partner, or a group."""

from __future__ import annotations

from typing import Any

from django import template

from trellis.mentorships.models import Mentorship
from trellis.programs.models import ProgramType

register = template.Library()


@register.filter
def mentorship_title(mentorship: Mentorship, user: Any) -> str:
    """The partner's name for one of a pair, the group's name for a group, both names else."""
    user_id = getattr(user, "pk", None)
    if mentorship.is_group:
        if user_id == mentorship.mentor_id:
            return "Your group"
        return f"{mentorship.mentor.display_name}'s group"
    if user_id == mentorship.mentor_id:
        return str(mentorship.pair_mentee.display_name)
    if user_id == mentorship.mentee_id:
        return str(mentorship.mentor.display_name)
    return f"{mentorship.mentor.display_name} and {mentorship.pair_mentee.display_name}"


@register.filter
def mentorship_relation(mentorship: Mentorship, user: Any) -> str:
    """ "your mentor", "your mentee", "your group (3 members)", "the group you are in"."""
    user_id = getattr(user, "pk", None)
    if mentorship.is_group:
        count = len(mentorship.mentee_ids())
        members = f"{count} member{'' if count == 1 else 's'}"
        if user_id == mentorship.mentor_id:
            return f"the group you lead ({members})"
        return f"your group ({members})"
    if mentorship.program.program_type == ProgramType.PEER and user_id in (
        mentorship.mentor_id,
        mentorship.mentee_id,
    ):
        return "your peer"
    if user_id == mentorship.mentee_id:
        return "your mentor"
    return "your mentee"

"""The goals parts of other apps' pages: the mentorship page and a meeting's page."""

from __future__ import annotations

from typing import Any

from django import template

from trellis.goals import selectors
from trellis.goals.models import CheckInStatus, GoalStatus

register = template.Library()


@register.inclusion_tag("goals/_mentorship_section.html", takes_context=True)
def goals_mentorship_section(context: Any, mentorship: Any) -> dict[str, Any]:
    """The card "Goals" of the mentorship page, in two queries whatever the goals' number."""
    user = context["user"]
    role = context.get("role") or selectors.goals_role(mentorship=mentorship, user=user)
    is_open = selectors.is_open(mentorship)
    return {
        "mentorship": mentorship,
        "user": user,
        "role": role,
        "goals": selectors.goals_for_mentorship(mentorship=mentorship) if role else [],
        "can_set": is_open and bool(selectors.owners_for(mentorship=mentorship, user=user)),
    }


@register.inclusion_tag("goals/_meeting_goals.html", takes_context=True)
def meeting_goals(context: Any, series: Any, recurrence_id: str) -> dict[str, Any]:
    """The goals on one meeting's agenda, reviewed there, and what moved in the meeting.

    Writers (a goal's owner and the mentor) tick milestones done and add check-ins, all
    recorded with this meeting, and put goals or milestones on the agenda. The program's
    managers see the agenda and what moved, without check-in notes.
    """
    user = context["user"]
    request = context.get("request")
    mentorship = series.mentorship
    role = selectors.goals_role(mentorship=mentorship, user=user)
    if role is None:
        return {"role": None}
    is_open = selectors.is_open(mentorship)
    items = selectors.goal_agenda_for(series=series, recurrence_id=recurrence_id)
    on_agenda_goals = {item.goal_id for item in items if item.milestone_id is None}
    on_agenda_milestones = {item.milestone_id for item in items if item.milestone_id}
    entries = []
    for item in items:
        item.goal.mentorship = mentorship
        can_review = (
            is_open
            and item.goal.status == GoalStatus.ACTIVE
            and selectors.may_write_goal(goal=item.goal, user=user)
        )
        entries.append(
            {
                "item": item,
                "goal": item.goal,
                "can_review": can_review,
                # Those on the agenda by themselves are reviewed there.
                "open_milestones": [
                    milestone
                    for milestone in item.goal.milestones.all()
                    if not milestone.is_done and milestone.pk not in on_agenda_milestones
                ],
            }
        )
    options = []
    if is_open and role in selectors.PARTICIPANT_ROLES:
        for goal in selectors.goals_for_mentorship(mentorship=mentorship):
            if goal.status != GoalStatus.ACTIVE or not selectors.may_write_goal(
                goal=goal, user=user
            ):
                continue
            choices = []
            if goal.pk not in on_agenda_goals:
                choices.append((f"goal:{goal.pk}", "The whole goal"))
            choices += [
                (f"milestone:{milestone.pk}", milestone.title)
                for milestone in goal.milestones.all()
                if not milestone.is_done and milestone.pk not in on_agenda_milestones
            ]
            if choices:
                options.append({"goal": goal, "choices": choices})
    return {
        "role": role,
        "user": user,
        "series": series,
        "recurrence_id": recurrence_id,
        "mentorship": mentorship,
        "entries": entries,
        "options": options,
        "moves": selectors.meeting_moves_for(series=series, recurrence_id=recurrence_id, role=role),
        "sees_notes": selectors.sees_notes(role),
        "statuses": CheckInStatus.choices,
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }

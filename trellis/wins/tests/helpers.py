"""A group program with two groups, its managers and outsiders, and wins in every state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from trellis.accounts.tests.factories import StaffFactory
from trellis.goals.models import Goal, Milestone
from trellis.mentorships.models import GroupMember, Mentorship, MentorshipSource
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.tests.helpers import group_program
from trellis.wins.models import Win, WinSource, WinState

ROLES = [
    "anonymous",
    "owner",
    "mentor",
    "co_member",
    "other_mentee",
    "manager",
    "other_manager",
    "staff",
    "outsider",
]
# Every state a win can be seen in; "hidden" is a shared win a manager took off the wall.
STATES = ["proposed", "pair", "program", "dismissed", "hidden"]
SEES = {
    "proposed": {"owner"},
    "dismissed": {"owner"},
    "pair": {"owner", "mentor"},
    "program": {"owner", "mentor", "co_member", "other_mentee", "manager", "staff"},
    "hidden": {"owner", "mentor", "manager", "staff"},
}
# Reactions and comments: on a win kept by the pair or on the wall.
OPEN_STATES = {"pair", "program"}
# Who reaches the program's wins wall at all.
WALL_READERS = {"owner", "mentor", "co_member", "other_mentee", "manager", "staff"}
# Who sees the mentorship (its page and its API).
MENTORSHIP_READERS = {"owner", "mentor", "co_member", "manager", "staff"}


def group_of(program: Any, mentor: Any, mentees: list[Any]) -> Mentorship:
    """An active group of mentor's with mentees, stored as the services leave it."""
    group = MentorshipFactory(program=program, mentor=mentor, mentee=None, is_group=True)
    for mentee in mentees:
        GroupMember.objects.create(
            mentorship=group, program=program, mentee=mentee, source=MentorshipSource.MANAGER
        )
    return group


def wins_world() -> dict[str, Any]:
    """Mara's group (Noah, whose wins they are, and Kenji), Olga's group (Omar), and more."""
    program = group_program()
    mentor = mentor_in(program, display_name="Mara")
    owner = mentee_in(program, display_name="Noah")
    co_member = mentee_in(program, display_name="Kenji")
    group = group_of(program, mentor, [owner, co_member])
    other_mentor = mentor_in(program, display_name="Olga")
    other_mentee = mentee_in(program, display_name="Omar")
    other_group = group_of(program, other_mentor, [other_mentee])
    manager = ProfileFactory(display_name="Mia").user
    program.managers.add(manager)
    other_manager = ProfileFactory(display_name="Otto").user
    ProgramFactory().managers.add(other_manager)
    return {
        "program": program,
        "group": group,
        "other_group": other_group,
        "anonymous": None,
        "owner": owner,
        "mentor": mentor,
        "co_member": co_member,
        "other_mentor": other_mentor,
        "other_mentee": other_mentee,
        "manager": manager,
        "other_manager": other_manager,
        "staff": StaffFactory(),
        "outsider": ProfileFactory(display_name="Olive").user,
    }


def make_win(world: dict[str, Any], state: str, *, title: str = "", **fields: Any) -> Win:
    """A win of the owner's in state (one of STATES), stored as it would be."""
    now = timezone.now()
    hidden = state == "hidden"
    real_state = WinState.PROGRAM if hidden else state
    if "source" not in fields:
        if fields.get("milestone") is not None:
            fields["source"] = WinSource.MILESTONE
        elif fields.get("goal") is not None:
            fields["source"] = WinSource.GOAL
    win = Win.objects.create(
        mentorship=fields.pop("mentorship", world["group"]),
        owner=fields.pop("owner", world["owner"]),
        title=title or f"A {state} win",
        story=fields.pop("story", "It took a while."),
        state=real_state,
        decided_at=None if state == "proposed" else now,
        shared_at=now if real_state == WinState.PROGRAM else None,
        hidden_at=now if hidden else None,
        hidden_by=world["manager"] if hidden else None,
        **fields,
    )
    if real_state == WinState.PROGRAM:
        # Keep the wall's order stable: each later win is shared a moment later.
        Win.objects.filter(pk=win.pk).update(shared_at=now + dt.timedelta(microseconds=win.pk))
        win.refresh_from_db()
    return win


def goal_with_milestones(world: dict[str, Any], *titles: str) -> tuple[Goal, list[Milestone]]:
    goal = Goal.objects.create(
        mentorship=world["group"], owner=world["owner"], title="Speak at a meetup"
    )
    milestones = [
        Milestone.objects.create(goal=goal, title=title, position=index)
        for index, title in enumerate(titles)
    ]
    return goal, milestones


def sign_in(client: Any, user: Any) -> None:
    if user is not None:
        client.force_login(user)


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.url.startswith("/accounts/login/")

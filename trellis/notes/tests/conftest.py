"""Worlds for the notes tests: a pair with its neighbours, a group with a former member."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.accounts.tests.factories import StaffFactory
from trellis.mentorships.models import GroupLeaveReason
from trellis.mentorships.services import group_leave
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.tests.helpers import (
    berlin_new_york_pair,
    berlin_new_york_tokyo_group,
    group_people,
)


@pytest.fixture
def world() -> dict[str, Any]:
    """Mara mentors Noah (a pair); another pair in the same program; managers and staff."""
    pair = berlin_new_york_pair()
    other_pair = berlin_new_york_pair(program=pair.program)
    manager = ProfileFactory(display_name="Manon Manager").user
    pair.program.managers.add(manager)
    other_manager = ProfileFactory().user
    ProgramFactory().managers.add(other_manager)
    return {
        "pair": pair,
        "other_pair": other_pair,
        "anonymous": None,
        "mentor": pair.mentor,
        "mentee": pair.mentee,
        "other_mentor": other_pair.mentor,
        "other_mentee": other_pair.mentee,
        "manager": manager,
        "other_manager": other_manager,
        "staff": StaffFactory(),
    }


@pytest.fixture
def group_world() -> dict[str, Any]:
    """Mara's group: Noah and Kenji are members, and so was Lena, who left."""
    group = berlin_new_york_tokyo_group(extra_members=1)
    people = group_people(group)
    lena = people.pop("member 1")
    group_leave(mentorship=group, by=lena, reason=GroupLeaveReason.OTHER, note="Bye")
    group.refresh_from_db()
    return {"group": group, "lena": lena, **people}

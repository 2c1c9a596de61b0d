"""Worlds for the introductions tests: Mara mentors Noah; Kim takes part in the same program."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.accounts.tests.factories import StaffFactory
from trellis.mentorships.tests.factories import mentor_in
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.tests.helpers import berlin_new_york_pair

NOAH_EMAIL = "noah@example.org"
KIM_EMAIL = "kim@example.org"
OUTSIDE_EMAIL = "olga.outside@example.com"


@pytest.fixture
def world() -> dict[str, Any]:
    """Mara mentors Noah (a pair); Kim is another participant of the program; the other
    pair of the program; the program's manager, another program's manager, staff."""
    pair = berlin_new_york_pair()
    pair.mentee.email = NOAH_EMAIL
    pair.mentee.save(update_fields=["email"])
    program = pair.program
    kim = mentor_in(program, display_name="Kim", headline="Data engineer at Acme")
    kim.email = KIM_EMAIL
    kim.save(update_fields=["email"])
    other_pair = berlin_new_york_pair(program=program)
    manager = ProfileFactory(display_name="Manon Manager").user
    program.managers.add(manager)
    other_manager = ProfileFactory().user
    ProgramFactory().managers.add(other_manager)
    return {
        "pair": pair,
        "program": program,
        "anonymous": None,
        "mentor": pair.mentor,
        "mentee": pair.mentee,
        "contact": kim,
        "other_mentor": other_pair.mentor,
        "other_mentee": other_pair.mentee,
        "manager": manager,
        "other_manager": other_manager,
        "staff": StaffFactory(),
    }

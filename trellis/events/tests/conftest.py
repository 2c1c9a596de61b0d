"""Worlds for the events tests: a program with two pairs, its managers, staff, outsiders."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.accounts.tests.factories import StaffFactory
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.models import EnrollmentStatus, Role
from trellis.programs.tests.factories import EnrollmentFactory, ProgramFactory
from trellis.scheduling.tests.helpers import berlin_new_york_pair


@pytest.fixture
def world() -> dict[str, Any]:
    """Mara (Berlin) mentors Noah (New York); another pair in the same program; its
    manager, another program's manager, someone still waiting for approval, and staff."""
    pair = berlin_new_york_pair()
    other_pair = berlin_new_york_pair(program=pair.program)
    manager = ProfileFactory(display_name="Manon Manager").user
    pair.program.managers.add(manager)
    other_manager = ProfileFactory().user
    ProgramFactory().managers.add(other_manager)
    pending = ProfileFactory(display_name="Pia Pending").user
    EnrollmentFactory(
        program=pair.program, user=pending, role=Role.MENTEE, status=EnrollmentStatus.PENDING
    )
    return {
        "pair": pair,
        "program": pair.program,
        "other_pair": other_pair,
        "anonymous": None,
        "mentor": pair.mentor,
        "mentee": pair.mentee,
        "other_mentor": other_pair.mentor,
        "other_mentee": other_pair.mentee,
        "manager": manager,
        "other_manager": other_manager,
        "pending": pending,
        "staff": StaffFactory(),
    }

"""Worlds for the resources tests: a pair with its neighbours, a group, private files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trellis.accounts.tests.factories import StaffFactory
from trellis.mentorships.models import GroupLeaveReason
from trellis.mentorships.services import group_leave
from trellis.mentorships.tests.factories import mentee_in
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.resources.services import resource_builtins_ensure
from trellis.scheduling.tests.helpers import (
    berlin_new_york_pair,
    berlin_new_york_tokyo_group,
    group_people,
)


@pytest.fixture(autouse=True)
def resource_root(settings: Any, tmp_path: Path) -> Path:
    """Point the private storage at a fresh folder (never var/private); return the folder."""
    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


@pytest.fixture
def builtins(db: None) -> list[Any]:
    """The built-in guides (the data migration's; put back if a flush took them)."""
    return resource_builtins_ensure()


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    """Mara mentors Noah (a pair); another pair in the same program; managers and staff.

    ``outsider`` takes part in another program only.
    """
    pair = berlin_new_york_pair()
    pair.program.slug = "bridges"
    pair.program.name = "Bridges"
    pair.program.save(update_fields=["slug", "name"])
    other_pair = berlin_new_york_pair(program=pair.program)
    manager = ProfileFactory(display_name="Manon Manager").user
    pair.program.managers.add(manager)
    other_program = ProgramFactory(slug="elsewhere", name="Elsewhere")
    other_manager = ProfileFactory(display_name="Otto Other").user
    other_program.managers.add(other_manager)
    outsider = mentee_in(other_program, display_name="Olga Outsider")
    return {
        "pair": pair,
        "program": pair.program,
        "other_program": other_program,
        "anonymous": None,
        "mentor": pair.mentor,
        "mentee": pair.mentee,
        "other_mentor": other_pair.mentor,
        "other_mentee": other_pair.mentee,
        "manager": manager,
        "other_manager": other_manager,
        "outsider": outsider,
        "staff": StaffFactory(),
    }


@pytest.fixture
def group_world(db: None) -> dict[str, Any]:
    """Mara's group: Noah and Kenji are members, and so was Lena, who left."""
    group = berlin_new_york_tokyo_group(extra_members=1)
    people = group_people(group)
    lena = people.pop("member 1")
    group_leave(mentorship=group, by=lena, reason=GroupLeaveReason.OTHER, note="Bye")
    group.refresh_from_db()
    manager = ProfileFactory(display_name="Manon Manager").user
    group.program.managers.add(manager)
    return {"group": group, "lena": lena, "manager": manager, **people}

"""Shared messaging fixtures: a program, a pair mentorship and its conversation.

Attachments go to a temporary folder in every messaging test (never var/private).
Tests using these need the database (``pytestmark = pytest.mark.django_db``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trellis.mentorships.models import MentorshipSource
from trellis.mentorships.services import mentorship_start
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.messaging import services
from trellis.programs.tests.factories import ProgramFactory


@pytest.fixture(autouse=True)
def attachment_root(settings: Any, tmp_path: Path) -> Path:
    """Point the "attachments" storage at a fresh folder; return the folder."""
    root = tmp_path / "attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


@pytest.fixture
def program():
    return ProgramFactory(slug="talk", name="Talk", default_mentor_capacity=3)


@pytest.fixture
def mentor(program):
    return mentor_in(program, display_name="Maria Mentor")


@pytest.fixture
def mentee(program):
    return mentee_in(program, display_name="Ada Mentee")


@pytest.fixture
def mentorship(program, mentor, mentee):
    return mentorship_start(
        program=program,
        mentor=mentor,
        mentee=mentee,
        source=MentorshipSource.MANAGER,
        score=None,
        reasons=[],
        by=None,
        notify=False,
    )


@pytest.fixture
def conversation(mentorship):
    """The pair's conversation (both may write)."""
    return services.conversation_for_mentorship(mentorship=mentorship)

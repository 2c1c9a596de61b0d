from __future__ import annotations

from pathlib import Path

import pytest

from trellis.accounts.tests.factories import UserFactory
from trellis.profiles.tests.factories import ProfileFactory


@pytest.fixture
def profile(db):
    return ProfileFactory(user=UserFactory(email="ana@example.org"), display_name="Ana")


@pytest.fixture
def media_files(settings):
    """Return a function listing every file stored under MEDIA_ROOT."""

    def files() -> list[Path]:
        root = Path(settings.MEDIA_ROOT)
        return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []

    return files

"""Searching and filtering a program's library."""

from __future__ import annotations

import pytest

from trellis.resources import services
from trellis.resources.selectors import library_tags, resources_in_library
from trellis.resources.tests.helpers import file_in, guide_in, link_in

pytestmark = pytest.mark.django_db


def titles(program, **filters) -> list[str]:
    return [resource.title for resource in resources_in_library(program=program, **filters)]


@pytest.fixture
def library(world, builtins):
    program = world["program"]
    link_in(
        program, title="Time zone converter", summary="Clocks in parallel columns", tags="tools"
    )
    guide_in(program, title="Mentoring across cultures", body="Ask about FESTIVALS and holidays.")
    file_in(program, title="Listening checklist", summary="", tags="Listening, printable")
    link_in(world["other_program"], title="Other program's link", tags="tools")
    archived = link_in(program, title="Old tools page", tags="tools")
    services.resource_archive(resource=archived, by=world["manager"])
    return program


def test_the_library_shows_its_own_and_the_built_in_guides_by_title(library, builtins):
    found = titles(library)

    assert len(found) == 3 + len(builtins)
    assert found == sorted(found, key=str.lower)
    assert "Other program's link" not in found
    assert "Old tools page" not in found


def test_search_is_case_insensitive_over_title_summary_text_and_tags(library):
    assert titles(library, search="TIME ZONE CONVERTER") == ["Time zone converter"]
    assert titles(library, search="PARALLEL columns") == ["Time zone converter"]
    assert titles(library, search="festivals HOLIDAYS") == ["Mentoring across cultures"]
    assert titles(library, search="printable") == ["Listening checklist"]


def test_every_word_must_match(library):
    assert titles(library, search="listening checklist") == ["Listening checklist"]
    assert "Listening well over video, phone and chat" in titles(library, search="listening")
    assert titles(library, search="listening nowhere-to-be-found") == []


def test_tag_and_kind_filters(library):
    assert titles(library, tag="tools") == ["Time zone converter"]
    assert titles(library, kind="file") == ["Listening checklist"]
    assert titles(library, kind="guide", search="festivals") == ["Mentoring across cultures"]
    assert "Checking in at a distance" in titles(library, tag="checking-in")
    assert titles(library, kind="podcast") == titles(library)


def test_hidden_built_ins_leave_the_library_and_its_tags(world, library, builtins):
    guide = builtins[0]
    before = {tag.name: tag.count for tag in library_tags(program=library)}
    services.resource_hide(program=library, resource=guide, by=world["manager"])

    assert guide.title not in titles(library)
    after = {tag.name: tag.count for tag in library_tags(program=library)}
    assert "routine" in before
    assert "routine" not in after
    assert after["tools"] == 1
    assert guide.title in titles(world["other_program"])

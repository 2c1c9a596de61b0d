"""Property tests for the tag normalizer: whatever people type, tags come out clean."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trellis.profiles.services import normalize_tags

tag_lists = st.lists(st.text(max_size=60), max_size=20)


@given(tag_lists)
def test_normalizing_twice_changes_nothing(values):
    once = normalize_tags(values)

    assert normalize_tags(once) == once


@given(tag_lists)
def test_tags_are_unique_lower_case_trimmed_and_non_empty(values):
    tags = normalize_tags(values)

    assert len(tags) == len(set(tags))
    for tag in tags:
        assert tag
        assert tag == tag.lower()
        assert tag == tag.strip()
        assert "," not in tag
        assert "  " not in tag
        assert all(ord(character) >= 0x20 for character in tag)


@given(tag_lists)
def test_every_word_typed_is_kept(values):
    tags = normalize_tags(values)

    for value in values:
        for part in value.split(","):
            normalized = normalize_tags([part])
            assert all(tag in tags for tag in normalized)

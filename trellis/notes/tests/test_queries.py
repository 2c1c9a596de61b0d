"""The notes pages, the history and the mentorship card read in fixed queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from trellis.notes import services
from trellis.notes.selectors import NotesContext
from trellis.notes.tests.helpers import document_of, meeting_of, write

pytestmark = pytest.mark.django_db


def queries(action: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def grow(world: dict[str, Any], count: int) -> None:
    """More edits, versions and private notes, here and in the meetings."""
    pair = world["pair"]
    document = document_of(pair)
    for number in range(count):
        write(document, world["mentee"], f"Line {number}\n")
        services.version_save(document=document, by=world["mentor"], label=f"Version {number}")
        series, recurrence_id = meeting_of(pair, days=number + 1)
        write(document_of(pair, series, recurrence_id), world["mentor"], "Meeting")
        services.private_note_save(
            owner=world["mentor"], where=NotesContext(pair, series, recurrence_id), body="Mine"
        )


@pytest.mark.parametrize("path", ["/mentorships/{m}/notes/", "/notes/{d}/history/"])
def test_the_notes_pages_read_in_the_same_queries_for_2_and_8_versions(client, world, path):
    pair = world["pair"]
    client.force_login(world["mentee"])
    grow(world, 2)
    url = path.format(m=pair.pk, d=document_of(pair).pk)

    def page() -> None:
        assert client.get(url).status_code == 200

    page()
    few = queries(page)
    grow(world, 6)

    assert queries(page) == few


def test_the_mentorship_card_takes_one_query_however_much_was_written(world):
    pair = world["pair"]
    template = Template("{% load notes_tags %}{% notes_mentorship_section mentorship %}")
    context = {"mentorship": pair, "user": world["mentee"]}
    pair.mentees()
    grow(world, 2)

    few = queries(lambda: template.render(Context(context)))
    grow(world, 6)
    many = queries(lambda: template.render(Context(context)))

    assert few == many == 1
    assert "Line 0" in template.render(Context(context))


def test_the_card_is_empty_for_a_manager_and_reads_no_document(world):
    template = Template("{% load notes_tags %}{% notes_mentorship_section mentorship %}")
    context = {"mentorship": world["pair"], "user": world["manager"]}
    grow(world, 2)

    with CaptureQueriesContext(connection) as captured:
        html = template.render(Context(context))

    assert html.strip() == ""
    assert "notes_" not in " ".join(query["sql"] for query in captured.captured_queries)

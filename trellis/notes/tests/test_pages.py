"""The notes pages: the private note saved by htmx or a plain form, history, and the cards
other pages show."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from trellis.notes import services
from trellis.notes.models import NoteVersion, PrivateNote
from trellis.notes.selectors import NotesContext
from trellis.notes.tests.helpers import document_of, meeting_of, write
from trellis.scheduling.recurrence import parse_recurrence_id

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_notes_page_holds_the_editor_and_the_private_note(client, world):
    pair = world["pair"]
    client.force_login(world["mentee"])

    page = client.get(f"/mentorships/{pair.pk}/notes/").content.decode()

    document = document_of(pair)
    assert "<h1>Notes with Mara</h1>" in page
    assert f'data-document-id="{document.pk}"' in page
    assert 'data-socket-path="/ws/notes"' in page
    assert 'data-editable="true"' in page
    assert 'data-user-name="Noah"' in page
    assert "Private notes — only you can see these" in page
    assert 'name="body"' in page


def test_a_private_note_is_saved_in_place_by_htmx(client, world):
    pair = world["pair"]
    client.force_login(world["mentee"])

    response = client.post(
        f"/mentorships/{pair.pk}/notes/", {"body": "Ask about the budget"}, **HTMX
    )

    fragment = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in fragment
    assert "Saved" in fragment
    assert "Ask about the budget" in fragment
    assert PrivateNote.objects.get().body == "Ask about the budget"


def test_a_private_note_too_long_comes_back_with_what_was_typed(client, world):
    pair = world["pair"]
    client.force_login(world["mentee"])
    services.private_note_save(owner=world["mentee"], where=NotesContext(pair), body="Before")
    typed = "A long thought. " * 1300

    in_place = client.post(f"/mentorships/{pair.pk}/notes/", {"body": typed}, **HTMX)
    whole_page = client.post(f"/mentorships/{pair.pk}/notes/", {"body": typed})

    assert in_place.status_code == 200  # htmx swaps 2xx answers only
    assert whole_page.status_code == 422
    for response in (in_place, whole_page):
        html = response.content.decode()
        assert typed.strip() in html
        assert "Not saved" in html
        assert "at most 20000 characters" in html
    assert PrivateNote.objects.get().body == "Before"


def test_a_private_note_saved_without_htmx_goes_back_to_the_page(client, world):
    pair = world["pair"]
    series, recurrence_id = meeting_of(pair)
    client.force_login(world["mentor"])
    path = f"/meetings/{series.pk}/{recurrence_id}/notes/"

    response = client.post(path, {"body": "Bring the slides"})

    assert (response.status_code, response.url) == (302, path)
    note = PrivateNote.objects.get()
    assert (note.series_id, note.recurrence_id, note.body) == (
        series.pk,
        recurrence_id,
        "Bring the slides",
    )
    assert "Bring the slides" in client.get(path).content.decode()


def test_the_meeting_notes_say_which_meeting_in_the_viewers_zone(client, world):
    pair = world["pair"]
    series, recurrence_id = meeting_of(pair, days=3)
    start = parse_recurrence_id(recurrence_id, ZoneInfo("Europe/Berlin"))
    in_new_york = start.astimezone(ZoneInfo("America/New_York"))
    client.force_login(world["mentee"])

    page = client.get(f"/meetings/{series.pk}/{recurrence_id}/notes/").content.decode()

    expected = f"{in_new_york:%a} {in_new_york.day} {in_new_york:%b %Y, %H:%M}"
    assert f"<h1>Notes of the meeting with Mara, {expected}</h1>" in page


def test_the_history_lists_versions_newest_first_with_a_rendered_preview(client, world):
    document = document_of(world["pair"])
    write(document, world["mentee"], "# Heading\n\n**bold** <script>alert(1)</script>")
    services.version_save(document=document, by=world["mentee"], label="Older")
    write(document, world["mentor"], "\nMore")
    services.version_save(document=document, by=world["mentor"], label="Newer")
    client.force_login(world["mentor"])

    page = client.get(f"/notes/{document.pk}/history/").content.decode()

    assert page.index("Newer") < page.index("Older")
    assert "<strong>bold</strong>" in page
    assert "<script>alert(1)" not in page
    assert "Restore “Older”" in page


def test_a_version_without_a_name_is_refused_with_a_message(client, world):
    document = document_of(world["pair"])
    client.force_login(world["mentor"])

    response = client.post(f"/notes/{document.pk}/history/", {"label": ""})

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert NoteVersion.objects.count() == 0


def test_restoring_goes_back_to_the_notes_with_the_old_text(client, world):
    document = document_of(world["pair"])
    write(document, world["mentee"], "Old")
    version = services.version_save(document=document, by=world["mentee"], label="Old one")
    write(document, world["mentee"], " and new")
    client.force_login(world["mentee"])

    response = client.post(f"/notes/{document.pk}/versions/{version.pk}/restore/")

    assert (response.status_code, response.url) == (302, f"/mentorships/{world['pair'].pk}/notes/")
    document.refresh_from_db()
    assert document.text == "Old"
    followed = client.get(response.url).content.decode()
    assert "The version is back" in followed
    assert "Before restoring Old one" in followed


def test_a_version_of_another_document_is_not_found(client, world):
    document = document_of(world["pair"])
    other = document_of(world["other_pair"])
    version = services.version_save(document=other, by=world["other_mentor"], label="Theirs")
    client.force_login(world["mentee"])

    assert client.post(f"/notes/{document.pk}/versions/{version.pk}/restore/").status_code == 404


# The cards on other pages ---------------------------------------------------------------


def render(template: str, **context: object) -> str:
    return Template("{% load notes_tags %}" + template).render(Context(context))


def test_the_mentorship_card_shows_the_last_edit_to_the_pair_only(world):
    pair = world["pair"]
    document = document_of(pair)
    write(document, world["mentee"], "Our plan")
    card = "{% notes_mentorship_section mentorship %}"

    for_mentor = render(card, mentorship=pair, user=world["mentor"])
    for_manager = render(card, mentorship=pair, user=world["manager"])

    assert "Shared notes" in for_mentor
    assert "Our plan" in for_mentor
    assert "by Noah" in for_mentor
    assert f'href="/mentorships/{pair.pk}/notes/"' in for_mentor
    assert for_manager.strip() == ""


def test_the_mentorship_page_shows_the_card(client, world):
    client.force_login(world["mentee"])

    page = client.get(f"/mentorships/{world['pair'].pk}/").content.decode()

    assert "data-notes-section" in page
    assert "Nothing written yet." in page


def test_the_meeting_page_links_to_its_notes_for_the_pair_only(client, world):
    pair = world["pair"]
    series, recurrence_id = meeting_of(pair)
    path = f"/meetings/{series.pk}/{recurrence_id}/"

    client.force_login(world["mentor"])
    for_mentor = client.get(path).content.decode()
    client.force_login(world["manager"])
    for_manager = client.get(path)

    assert f'href="{path}notes/"' in for_mentor
    assert "Meeting notes" in for_mentor
    assert for_manager.status_code == 200
    assert "Meeting notes" not in for_manager.content.decode()


def test_the_last_edit_is_shown_in_the_viewers_zone(world):
    document = document_of(world["pair"])
    write(document, world["mentee"], "Hi")
    moment = dt.datetime(2030, 1, 15, 12, 0, tzinfo=dt.UTC)
    type(document).objects.filter(pk=document.pk).update(updated_at=moment)
    from django.utils import timezone

    with timezone.override(ZoneInfo("America/New_York")):
        card = render(
            "{% notes_mentorship_section mentorship %}",
            mentorship=world["pair"],
            user=world["mentee"],
        )

    assert "15 Jan 2030, 07:00" in card

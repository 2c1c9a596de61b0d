"""Who reaches notes, over roles: every page and every endpoint at /api/v1/.

The pair read and write while the mentorship goes on; once it has finished they read
and every write is refused (403). Anyone else (the other pair, the program's managers,
managers of other programs, staff, a member who left a group) gets 404, as for notes that
do not exist. A refused write changes nothing. A private note is its author's alone:
its text never reaches anyone else, in a page, the API, the history or the admin.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib import admin

from trellis.mentorships.services import mentorship_end
from trellis.notes import services
from trellis.notes.models import NoteDocument, NoteUpdate, NoteVersion, PrivateNote
from trellis.notes.selectors import NotesContext
from trellis.notes.tests.helpers import document_of, meeting_of, write
from trellis.scheduling.models import OccurrenceChange

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "mentor",
    "mentee",
    "other_mentor",
    "other_mentee",
    "manager",
    "other_manager",
    "staff",
]
PAIR = {"mentor", "mentee"}
SHARED = "Shared plan: a talk in May"
SECRET = "Secretly thinking of quitting"


@pytest.fixture
def things(world) -> dict[str, Any]:
    """The pair's notes, a meeting's notes, a version, and Noah's private notes."""
    pair = world["pair"]
    series, recurrence_id = meeting_of(pair)
    document = document_of(pair)
    write(document, world["mentor"], SHARED)
    meeting_document = document_of(pair, series, recurrence_id)
    write(meeting_document, world["mentee"], "Meeting agenda")
    version = services.version_save(document=document, by=world["mentor"], label="First")
    for where in (NotesContext(pair), NotesContext(pair, series, recurrence_id)):
        services.private_note_save(owner=world["mentee"], where=where, body=SECRET)
    return {
        "m": pair.pk,
        "s": series.pk,
        "r": recurrence_id,
        "d": document.pk,
        "md": meeting_document.pk,
        "v": version.pk,
        "series": series,
    }


def snapshot() -> tuple[list[Any], ...]:
    return (
        list(NoteDocument.objects.order_by("pk").values("pk", "text", "state", "updated_by")),
        list(NoteUpdate.objects.order_by("pk").values_list("pk", flat=True)),
        list(NoteVersion.objects.order_by("pk").values("pk", "text", "label")),
        list(PrivateNote.objects.order_by("pk").values("pk", "owner", "body")),
    )


def sign_in(client: Any, user: Any) -> None:
    if user is not None:
        client.force_login(user)


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.url.startswith("/accounts/login/")


def fill(template: str, things: dict[str, Any]) -> str:
    return template.format(**things)


def send(client: Any, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


# Pages -------------------------------------------------------------------------------------

READ_PAGES = [
    ("/mentorships/{m}/notes/", SHARED),
    ("/meetings/{s}/{r}/notes/", "Meeting agenda"),
    ("/notes/{d}/history/", "First"),
]
WRITE_PAGES = [
    ("/mentorships/{m}/notes/", {"body": "Changed"}),
    ("/meetings/{s}/{r}/notes/", {"body": "Changed"}),
    ("/notes/{d}/history/", {"label": "Second"}),
    ("/notes/{d}/versions/{v}/restore/", {}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "shown"), READ_PAGES)
def test_reading_pages_by_role(client, world, things, role, path, shown):
    sign_in(client, world[role])

    response = client.get(fill(path, things))

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in PAIR:
        assert response.status_code == 200
        assert shown in response.content.decode()
    else:
        assert response.status_code == 404
        assert shown not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "data"), WRITE_PAGES)
def test_writing_pages_by_role(client, world, things, role, path, data):
    sign_in(client, world[role])
    before = snapshot()

    response = client.post(fill(path, things), data)

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in PAIR:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert snapshot() != before
        return
    else:
        assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(("path", "data"), WRITE_PAGES)
def test_once_finished_the_pair_reads_and_writes_nothing(client, world, things, path, data):
    pair = world["pair"]
    mentorship_end(mentorship=pair, by=pair.mentor, reason="no_time")
    client.force_login(world["mentee"])
    before = snapshot()

    for read_path, shown in READ_PAGES:
        page = client.get(fill(read_path, things))
        assert page.status_code == 200
        assert shown in page.content.decode()
    response = client.post(fill(path, things), data)

    assert response.status_code == 403
    assert snapshot() == before


def test_a_reader_gets_no_controls(client, world, things):
    pair = world["pair"]
    mentorship_end(mentorship=pair, by=pair.mentor, reason="no_time")
    client.force_login(world["mentee"])

    notes = client.get(fill("/mentorships/{m}/notes/", things)).content.decode()
    history = client.get(fill("/notes/{d}/history/", things)).content.decode()

    assert 'data-editable="false"' in notes
    assert "<textarea" not in notes
    assert SECRET in notes  # his own, to read
    assert "Save a version" not in history
    assert "Restore" not in history


def test_a_cancelled_meeting_has_no_notes(client, world, things):
    OccurrenceChange.objects.create(
        series=things["series"], recurrence_id=things["r"], is_cancelled=True
    )
    client.force_login(world["mentee"])

    for path in ("/meetings/{s}/{r}/notes/", "/notes/{md}/history/"):
        assert client.get(fill(path, things)).status_code == 404
    assert client.get(fill("/api/v1/meetings/{s}/{r}/notes", things)).status_code == 404


def test_a_meeting_that_never_was_has_no_notes(client, world, things):
    client.force_login(world["mentee"])

    for recurrence_id in ("20200101T090000", "nonsense"):
        path = f"/meetings/{things['s']}/{recurrence_id}/notes/"
        assert client.get(path).status_code == 404
    assert NoteDocument.objects.count() == 2


def test_in_a_group_members_edit_and_a_former_member_sees_nothing(client, group_world):
    group = group_world["group"]
    document = document_of(group)
    write(document, group_world["noah"], SHARED)
    services.private_note_save(owner=group_world["noah"], where=NotesContext(group), body=SECRET)
    before = snapshot()

    client.force_login(group_world["kenji"])
    page = client.get(f"/mentorships/{group.pk}/notes/").content.decode()
    assert SHARED in page
    assert SECRET not in page

    client.force_login(group_world["lena"])
    assert client.get(f"/mentorships/{group.pk}/notes/").status_code == 404
    assert client.get(f"/notes/{document.pk}/history/").status_code == 404
    assert client.post(f"/mentorships/{group.pk}/notes/", {"body": "x"}).status_code == 404
    assert client.get(f"/api/v1/notes/{document.pk}/versions").status_code == 404
    assert snapshot() == before


# API ---------------------------------------------------------------------------------------

API_READS = [
    "/api/v1/mentorships/{m}/notes",
    "/api/v1/meetings/{s}/{r}/notes",
    "/api/v1/notes/{d}/versions",
    "/api/v1/mentorships/{m}/notes/private",
    "/api/v1/meetings/{s}/{r}/notes/private",
]
API_WRITES = [
    ("put", "/api/v1/notes/{d}/text", {"text": "Replaced"}, 200),
    ("post", "/api/v1/notes/{d}/versions", {"label": "Second"}, 201),
    ("post", "/api/v1/notes/{d}/versions/{v}/restore", None, 200),
    ("put", "/api/v1/mentorships/{m}/notes/private", {"body": "Changed"}, 200),
    ("put", "/api/v1/meetings/{s}/{r}/notes/private", {"body": "Changed"}, 200),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", API_READS)
def test_api_reads_by_role(client, world, things, role, path):
    sign_in(client, world[role])

    response = client.get(fill(path, things))

    body = response.content.decode()
    if role == "anonymous":
        assert response.status_code == 401
    elif role in PAIR:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert SHARED not in body
    assert (SECRET in body) == (role == "mentee" and path.endswith("private"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "success"), API_WRITES)
def test_api_writes_by_role(client, world, things, role, method, path, body, success):
    sign_in(client, world[role])
    before = snapshot()

    response = send(client, method, fill(path, things), body)

    if role in PAIR:
        assert response.status_code == success, response.content
        assert snapshot() != before
        return
    assert response.status_code == (401 if role == "anonymous" else 404)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body", "success"), API_WRITES)
def test_api_writes_once_finished_are_refused(client, world, things, method, path, body, success):
    pair = world["pair"]
    mentorship_end(mentorship=pair, by=pair.mentor, reason="no_time")
    client.force_login(world["mentor"])
    before = snapshot()

    response = send(client, method, fill(path, things), body)

    assert response.status_code == 403
    assert snapshot() == before
    document = client.get(fill("/api/v1/mentorships/{m}/notes", things)).json()
    assert (document["text"], document["editable"]) == (SHARED, False)


# Private notes, above all ----------------------------------------------------------------

EVERY_PAGE = [
    "/mentorships/{m}/notes/",
    "/meetings/{s}/{r}/notes/",
    "/notes/{d}/history/",
    "/notes/{md}/history/",
    "/mentorships/{m}/",
    "/meetings/{s}/{r}/",
    "/api/v1/mentorships/{m}/notes",
    "/api/v1/meetings/{s}/{r}/notes",
    "/api/v1/notes/{d}/versions",
    "/api/v1/mentorships/{m}/notes/private",
    "/api/v1/meetings/{s}/{r}/notes/private",
]


@pytest.mark.parametrize("role", [role for role in ROLES if role != "mentee"])
def test_a_private_note_is_never_shown_to_anyone_but_its_author(client, world, things, role):
    sign_in(client, world[role])

    for path in EVERY_PAGE:
        response = client.get(fill(path, things))
        assert SECRET not in response.content.decode(), path


def test_the_author_sees_their_private_note_and_the_partner_their_own(client, world, things):
    services.private_note_save(
        owner=world["mentor"], where=NotesContext(world["pair"]), body="Thoughts of Mara"
    )

    client.force_login(world["mentee"])
    mine = client.get(fill("/mentorships/{m}/notes/", things)).content.decode()
    client.force_login(world["mentor"])
    theirs = client.get(fill("/mentorships/{m}/notes/", things)).content.decode()
    api = client.get(fill("/api/v1/mentorships/{m}/notes/private", things)).json()

    assert SECRET in mine
    assert "Thoughts of Mara" not in mine
    assert SECRET not in theirs
    assert "Thoughts of Mara" in theirs
    assert api["body"] == "Thoughts of Mara"


def test_the_partner_saving_a_private_note_does_not_touch_the_authors(client, world, things):
    client.force_login(world["mentor"])

    response = client.put(
        fill("/api/v1/mentorships/{m}/notes/private", things),
        data=json.dumps({"body": "Overwrite?"}),
        content_type="application/json",
    )

    assert response.json()["body"] == "Overwrite?"
    assert PrivateNote.objects.filter(owner=world["mentee"], body=SECRET).count() == 2


def test_private_notes_are_not_in_the_admin():
    assert PrivateNote not in admin.site._registry

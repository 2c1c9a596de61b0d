"""The notes API: what it answers, and 422 field errors (never a 500) for bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trellis.notes import live
from trellis.notes.models import NoteDocument, NoteVersion
from trellis.notes.tests.helpers import Client, meeting_of

pytestmark = pytest.mark.django_db


def send(client: Any, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bytes]]:
    calls: list[tuple[int, bytes]] = []
    monkeypatch.setattr(live, "send_update_now", lambda *args: calls.append(args))
    return calls


def test_the_shared_notes_their_versions_and_a_restore(
    client, world, sent, django_capture_on_commit_callbacks
):
    pair = world["pair"]
    client.force_login(world["mentee"])

    document = send(client, "get", f"/api/v1/mentorships/{pair.pk}/notes").json()
    assert document["text"] == ""
    assert document["editable"] is True
    assert document["websocket_path"] == f"/ws/notes/{document['id']}"
    assert (document["series_id"], document["recurrence_id"]) == (None, "")
    base = f"/api/v1/notes/{document['id']}"

    with django_capture_on_commit_callbacks(execute=True):
        replaced = send(client, "put", f"{base}/text", {"text": "# Plan\n- one\n"})
    assert replaced.status_code == 200
    assert (replaced.json()["text"], replaced.json()["updated_by_id"]) == (
        "# Plan\n- one\n",
        world["mentee"].pk,
    )
    editor = Client()
    editor.receive(sent[0][1])
    assert editor.text == "# Plan\n- one\n"

    version = send(client, "post", f"{base}/versions", {"label": "Plan one"})
    assert version.status_code == 201
    assert (version.json()["label"], version.json()["text"]) == ("Plan one", "# Plan\n- one\n")

    send(client, "put", f"{base}/text", {"text": "# Plan\n- two\n"})
    restored = send(client, "post", f"{base}/versions/{version.json()['id']}/restore")
    assert restored.status_code == 200
    assert restored.json()["text"] == "# Plan\n- one\n"

    versions = send(client, "get", f"{base}/versions").json()
    assert [item["label"] for item in versions] == ["Before restoring Plan one", "Plan one"]
    assert versions[0]["text"] == "# Plan\n- two\n"


def test_a_meetings_notes_are_their_own(client, world):
    pair = world["pair"]
    series, recurrence_id = meeting_of(pair)
    client.force_login(world["mentor"])

    meeting = send(client, "get", f"/api/v1/meetings/{series.pk}/{recurrence_id}/notes").json()
    again = send(client, "get", f"/api/v1/meetings/{series.pk}/{recurrence_id}/notes").json()

    assert meeting["id"] == again["id"]
    assert (meeting["series_id"], meeting["recurrence_id"]) == (series.pk, recurrence_id)
    assert NoteDocument.objects.count() == 1


def test_private_notes_of_both_places(client, world):
    pair = world["pair"]
    series, recurrence_id = meeting_of(pair)
    client.force_login(world["mentee"])
    here = f"/api/v1/mentorships/{pair.pk}/notes/private"
    meeting = f"/api/v1/meetings/{series.pk}/{recurrence_id}/notes/private"

    assert send(client, "get", here).json() == {"body": "", "updated_at": None}
    assert send(client, "put", here, {"body": "Mine"}).json()["body"] == "Mine"
    assert send(client, "put", meeting, {"body": "For the meeting"}).status_code == 200

    assert send(client, "get", here).json()["body"] == "Mine"
    assert send(client, "get", meeting).json()["body"] == "For the meeting"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/versions", {"label": ""}, "label"),
        ("post", "/versions", {"label": "x" * 121}, "label"),
        ("post", "/versions", {}, "label"),
        ("put", "/text", {"text": 5}, "text"),
        ("put", "/text", {"text": "x" * 100_001}, "text"),
    ],
)
def test_bad_input_is_a_422_with_the_field(client, world, method, path, body, field):
    client.force_login(world["mentor"])
    document = send(client, "get", f"/api/v1/mentorships/{world['pair'].pk}/notes").json()

    response = send(client, method, f"/api/v1/notes/{document['id']}{path}", body)

    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert NoteVersion.objects.count() == 0
    assert NoteDocument.objects.get().text == ""


def test_a_private_note_too_long_is_a_422(client, world):
    client.force_login(world["mentee"])

    response = send(
        client,
        "put",
        f"/api/v1/mentorships/{world['pair'].pk}/notes/private",
        {"body": "x" * 20_001},
    )

    assert response.status_code == 422
    assert "body" in response.json()["errors"]


@pytest.mark.parametrize(
    "path", ["/api/v1/notes/99999999999999999999/versions", "/api/v1/notes/0/versions"]
)
def test_ids_out_of_range_are_not_found(client, world, path):
    client.force_login(world["mentor"])

    assert send(client, "get", path).status_code in (404, 422)

"""The resources API: what it answers, and 422 field errors (never a 500) for bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trellis.mentorships.models import MentorshipEvent
from trellis.resources.models import Recommendation, Resource
from trellis.resources.tests.helpers import PDF_BYTES, html_file, link_in, pdf, png

pytestmark = pytest.mark.django_db


def send(client: Any, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def test_a_manager_keeps_the_library_and_a_mentor_recommends(client, world, builtins):
    pair = world["pair"]
    client.force_login(world["manager"])

    created = send(
        client,
        "post",
        "/api/v1/programs/bridges/resources",
        {
            "kind": "guide",
            "title": "Kanban board tips",
            "summary": "How we meet",
            "body": "Meet **often**.",
            "tags": ["Rhythm", "meetings"],
        },
    )
    assert created.status_code == 201, created.json()
    guide = created.json()
    assert (guide["kind"], guide["tags"], guide["body_html"]) == (
        "guide",
        ["meetings", "rhythm"],
        "<p>Meet <strong>often</strong>.</p>",
    )
    assert guide["program_slug"] == "bridges"
    patched = send(client, "patch", f"/api/v1/resources/{guide['id']}", {"tags": ["calm"]})
    assert patched.json()["tags"] == ["calm"]
    listed = client.get("/api/v1/programs/bridges/resources?q=KANBAN").json()
    assert [item["title"] for item in listed["results"]] == ["Kanban board tips"]
    assert listed["count"] == 1
    everything = client.get("/api/v1/programs/bridges/resources").json()
    assert everything["count"] == 1 + len(builtins)
    assert client.get("/api/v1/programs/bridges/resources?kind=link").json()["count"] == 0
    assert client.get("/api/v1/programs/bridges/resources?page=2").status_code == 404

    client.force_login(world["mentor"])
    recommended = send(
        client,
        "post",
        f"/api/v1/mentorships/{pair.pk}/recommendations",
        {"resource_id": guide["id"], "note": "Read before Monday"},
    )
    assert recommended.status_code == 201, recommended.json()
    item = recommended.json()
    assert (item["resource"]["title"], item["note"], item["is_done"]) == (
        "Kanban board tips",
        "Read before Monday",
        False,
    )

    client.force_login(world["mentee"])
    done = client.post(f"/api/v1/recommendations/{item['id']}/done")
    assert done.status_code == 200
    assert done.json()["is_done"] is True
    assert done.json()["completed_by_id"] == world["mentee"].pk
    undone = client.delete(f"/api/v1/recommendations/{item['id']}/done")
    assert undone.json()["is_done"] is False
    assert [e.action for e in MentorshipEvent.objects.filter(mentorship=pair)] == [
        "recommend",
        "resource_done",
    ]


def test_files_are_uploaded_replaced_and_downloaded(client, world):
    client.force_login(world["manager"])

    uploaded = client.post(
        "/api/v1/programs/bridges/resources/files",
        {"title": "Checklist", "tags": "listening, print", "file": pdf()},
    )
    assert uploaded.status_code == 201, uploaded.json()
    resource = uploaded.json()
    assert (resource["file_type"], resource["file_name"], resource["tags"]) == (
        "application/pdf",
        "Listening checklist.pdf",
        ["listening", "print"],
    )
    download = client.get(resource["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == PDF_BYTES

    replaced = client.post(f"/api/v1/resources/{resource['id']}/file", {"file": png()})
    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["file_type"] == "image/png"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "link", "title": "T", "url": "http://example.org"}, "url"),
        ({"kind": "link", "title": "T"}, "url"),
        ({"kind": "guide", "title": "T", "body": ""}, "body"),
        ({"kind": "guide", "title": "", "body": "B"}, "title"),
        ({"kind": "file", "title": "T"}, "kind"),
        ({"kind": "video", "title": "T"}, "kind"),
        ({"kind": "link", "title": "T" * 201, "url": "https://example.org"}, "title"),
        ({"kind": "link", "title": "T", "url": "https://example.org", "tags": [1]}, "tags.0"),
        ({"kind": "link", "title": "T", "url": "https://example.org", "tags": ["x" * 41]}, "tags"),
    ],
)
def test_bad_resources_answer_422_with_the_field(client, world, body, field):
    client.force_login(world["manager"])

    response = send(client, "post", "/api/v1/programs/bridges/resources", body)

    assert response.status_code == 422
    assert field in response.json()["errors"], response.json()
    assert not Resource.objects.filter(program=world["program"]).exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (None, "Choose a file to upload."),
        ("html", "cannot be added to the library"),
        ("big", "larger than 1 MB"),
    ],
)
def test_bad_files_answer_422(client, world, settings, upload, message):
    settings.RESOURCES_MAX_FILE_MB = 1
    client.force_login(world["manager"])
    data: dict[str, Any] = {"title": "Checklist"}
    if upload == "html":
        data["file"] = html_file()
    elif upload == "big":
        data["file"] = pdf(content=b"%PDF-1.4\n" + b"0" * (1024 * 1024))

    response = client.post("/api/v1/programs/bridges/resources/files", data)

    assert response.status_code == 422
    assert message in " ".join(response.json()["errors"]["file"])
    assert not Resource.objects.filter(program=world["program"]).exists()


def test_bad_recommendations_answer_422(client, world):
    pair = world["pair"]
    foreign = link_in(world["other_program"])
    client.force_login(world["mentor"])
    path = f"/api/v1/mentorships/{pair.pk}/recommendations"

    for body, field in (
        ({"resource_id": foreign.pk}, "resource_id"),
        ({"resource_id": 2**70}, "resource_id"),
        ({"resource_id": "x"}, "resource_id"),
        ({"resource_id": link_in(world["program"]).pk, "note": "x" * 2001}, "note"),
    ):
        response = send(client, "post", path, body)
        assert response.status_code == 422, body
        assert field in response.json()["errors"], response.json()

    assert not Recommendation.objects.exists()


def test_unknown_ids_are_404_not_500(client, world):
    client.force_login(world["staff"])

    for path in (
        f"/api/v1/resources/{2**63}",
        "/api/v1/resources/0",
        f"/api/v1/mentorships/{2**63}/recommendations",
        "/api/v1/programs/nowhere/resources",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/api/v1/recommendations/{2**63}/done").status_code == 404


def test_built_ins_are_hidden_and_shown_but_not_edited(client, world, builtins):
    client.force_login(world["manager"])
    guide = builtins[0]

    assert send(client, "patch", f"/api/v1/resources/{guide.pk}", {"title": "X"}).status_code == 403
    assert client.post(f"/api/v1/programs/bridges/resources/{guide.pk}/hide").status_code == 204
    again = client.post(f"/api/v1/programs/bridges/resources/{guide.pk}/hide")
    assert again.status_code == 422
    listed = client.get("/api/v1/programs/bridges/resources").json()
    assert guide.title not in [item["title"] for item in listed["results"]]
    assert client.post(f"/api/v1/programs/bridges/resources/{guide.pk}/show").status_code == 204

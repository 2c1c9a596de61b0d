"""Uploading attachments through /api/v1/conversations/{id}/attachments."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from trellis.accounts.tests.factories import UserFactory
from trellis.messaging.models import Attachment, ConversationMember
from trellis.messaging.tests.test_files import PDF_BYTES, WEBM_HEAD, image_bytes

pytestmark = pytest.mark.django_db


def endpoint(conversation) -> str:
    return f"/api/v1/conversations/{conversation.pk}/attachments"


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_upload_then_send(client, conversation, mentee, attachment_root):
    client.force_login(mentee)

    response = client.post(
        endpoint(conversation),
        {"file": SimpleUploadedFile("me.png", image_bytes("PNG", (5, 4)), "image/png")},
    )

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert response.json() == {
        "id": attachment.pk,
        "name": "me.png",
        "content_type": "image/png",
        "size": len(image_bytes("PNG", (5, 4))),
        "duration_seconds": None,
        "width": 5,
        "height": 4,
        "is_image": True,
        "url": f"/messages/files/{attachment.pk}/",
    }
    assert len(stored_files(attachment_root)) == 1

    sent = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        {"client_key": "k1", "body": "", "attachment_ids": [attachment.pk]},
        content_type="application/json",
    )
    assert sent.status_code == 201
    assert [a["id"] for a in sent.json()["attachments"]] == [attachment.pk]


def test_a_voice_message_with_its_duration(client, conversation, mentor):
    client.force_login(mentor)

    response = client.post(
        endpoint(conversation),
        {
            "file": SimpleUploadedFile("voice.webm", WEBM_HEAD, "audio/webm;codecs=opus"),
            "duration_seconds": "7.5",
        },
    )

    assert response.status_code == 201
    assert (response.json()["content_type"], response.json()["duration_seconds"]) == (
        "audio/webm",
        7.5,
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extra"),
    [
        ("cat.png", b"<html><script>alert(1)</script></html>", "image/png", {}),
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "application/pdf", {}),
        ("logo.svg", b"<svg onload='alert(1)'/>", "image/svg+xml", {}),
        ("a.pdf", PDF_BYTES, "application/pdf", {"duration_seconds": "5"}),
        ("voice.webm", WEBM_HEAD, "audio/webm", {"duration_seconds": "7200"}),
    ],
)
def test_a_refused_file_changes_nothing(
    client, conversation, mentee, attachment_root, name, content, content_type, extra
):
    client.force_login(mentee)

    response = client.post(
        endpoint(conversation),
        {"file": SimpleUploadedFile(name, content, content_type), **extra},
    )

    assert response.status_code == 422
    assert response.json()["detail"] == "Invalid input."
    assert set(response.json()["errors"]) <= {"file", "duration_seconds"}
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_root) == []


def test_too_large_is_refused_with_the_limit(client, conversation, mentee, settings):
    settings.MESSAGING_MAX_ATTACHMENT_MB = 1
    client.force_login(mentee)

    response = client.post(
        endpoint(conversation),
        {"file": SimpleUploadedFile("a.pdf", PDF_BYTES + b"0" * 1024 * 1024, "application/pdf")},
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "file": ["The file is larger than 1 MB; files up to 1 MB are accepted."]
    }
    assert Attachment.objects.count() == 0


def test_without_a_file_is_422(client, conversation, mentee):
    client.force_login(mentee)
    assert client.post(endpoint(conversation), {}).status_code == 422


@pytest.mark.parametrize("who", ["anonymous", "outsider", "reader"])
def test_non_writers_cannot_upload(client, conversation, mentor, who, attachment_root):
    if who == "outsider":
        client.force_login(UserFactory())
    elif who == "reader":
        ConversationMember.objects.filter(conversation=conversation, user=mentor).update(
            can_write=False
        )
        client.force_login(mentor)

    response = client.post(
        endpoint(conversation),
        {"file": SimpleUploadedFile("a.pdf", PDF_BYTES, "application/pdf")},
    )

    assert response.status_code == {"anonymous": 401, "outsider": 404, "reader": 403}[who]
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_root) == []

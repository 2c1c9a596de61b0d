"""Attachments over the REST API: upload a file or recording, then send it with a message.

POST /api/v1/conversations/{id}/attachments (multipart: "file", optional
"duration_seconds") stores the file unsent and answers 201 with its data; its "id" goes
into the next send's attachment_ids. The type is decided from the bytes; a refused file
answers 422 and leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from trellis.messaging import selectors
from trellis.messaging.api import AttachmentOut
from trellis.messaging.files import attachment_upload

router = Router(tags=["messaging"])


class FileErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


@router.post(
    "/conversations/{int:conversation_id}/attachments",
    response={201: AttachmentOut, 403: FileErrorOut, 404: FileErrorOut, 422: FileErrorOut},
    summary="Upload a file or a voice/video recording into a conversation",
    description=(
        "Accepted: PDF; Word, Excel, PowerPoint and OpenDocument files; PNG, JPEG, GIF and "
        "WebP images; .txt, .md and .csv text in UTF-8; WebM, Ogg, MP4, WAV and MP3 "
        "recordings (give duration_seconds, 0 to 3600). Up to MESSAGING_MAX_ATTACHMENT_MB. "
        "The file is not sent yet: pass its id in attachment_ids when sending a message."
    ),
)
def attachment_create(
    request: HttpRequest,
    conversation_id: int,
    file: File[UploadedFile],
    duration_seconds: Form[float | None] = None,
) -> Status[dict[str, Any]]:
    conversation = selectors.conversation_for(conversation_id=conversation_id, user=request.auth)  # type: ignore[attr-defined]
    attachment = attachment_upload(
        conversation=conversation,
        user=request.auth,  # type: ignore[attr-defined]
        upload=file,
        duration_seconds=duration_seconds,
    )
    return Status(201, selectors.attachment_data(attachment))

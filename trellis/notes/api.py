"""REST endpoints for shared notes, their versions, and private notes (mounted at /api/v1/).

Only the mentorship's people reach them: while it goes on they read and write; once it
has finished those in it at its end read (403 for a write); anyone else gets 404. The
shared text is edited live over the websocket (``websocket_path``, y-websocket's
protocol); ``PUT /notes/{id}/text`` replaces it from an integration as an edit the
open editors see live. A private note is its owner's alone: nobody else can read it here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from trellis.accounts.models import User
from trellis.core.errors import PermissionDeniedError
from trellis.notes import live, selectors, services
from trellis.notes.models import MAX_LABEL_LENGTH, NoteDocument, NoteVersion
from trellis.notes.selectors import NotesContext

router = Router(tags=["notes"])

FINISHED = "This mentorship has finished: its notes are kept as they were."


class DocumentOut(Schema):
    id: int
    mentorship_id: int
    series_id: int | None
    recurrence_id: str
    text: str = Field(description="The shared text (Markdown) as last stored.")
    updated_at: dt.datetime
    updated_by_id: int | None
    editable: bool = Field(description="Whether you may change it now.")
    websocket_path: str = Field(description="Where editors connect (y-websocket protocol).")


class TextIn(Schema):
    text: str = Field(description="The whole new text; applied as the smallest edit.")


class VersionIn(Schema):
    label: str = Field(max_length=MAX_LABEL_LENGTH)


class VersionOut(Schema):
    id: int
    document_id: int
    label: str = Field(description="Its name; empty for one saved automatically.")
    text: str
    created_at: dt.datetime
    created_by_id: int | None


class PrivateNoteIn(Schema):
    body: str


class PrivateNoteOut(Schema):
    body: str = Field(description="Yours alone; empty when you wrote none.")
    updated_at: dt.datetime | None


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _document_out(document: NoteDocument, access: str) -> dict[str, Any]:
    return {
        "id": document.pk,
        "mentorship_id": document.mentorship_id,
        "series_id": document.series_id,
        "recurrence_id": document.recurrence_id,
        "text": document.text,
        "updated_at": document.updated_at,
        "updated_by_id": document.updated_by_id,
        "editable": access == selectors.EDIT,
        "websocket_path": f"{live.SOCKET_PATH}/{document.pk}",
    }


def _version_out(version: NoteVersion) -> dict[str, Any]:
    return {
        "id": version.pk,
        "document_id": version.document_id,
        "label": version.label,
        "text": version.text,
        "created_at": version.created_at,
        "created_by_id": version.created_by_id,
    }


def _mentorship(request: HttpRequest, mentorship_id: int) -> tuple[NotesContext, str]:
    mentorship, access = selectors.mentorship_for_notes(
        mentorship_id=mentorship_id, user=_user(request)
    )
    return NotesContext(mentorship), access


def _meeting(request: HttpRequest, series_id: int, recurrence_id: str) -> tuple[NotesContext, str]:
    occurrence, access = selectors.meeting_for_notes(
        series_id=series_id, recurrence_id=recurrence_id, user=_user(request)
    )
    series = occurrence.series
    return NotesContext(series.mentorship, series, recurrence_id), access


def _document(request: HttpRequest, document_id: int) -> tuple[NoteDocument, str]:
    return selectors.document_for(document_id=document_id, user=_user(request))


def _writable(request: HttpRequest, document_id: int) -> NoteDocument:
    document, access = _document(request, document_id)
    if access != selectors.EDIT:
        raise PermissionDeniedError(FINISHED)
    return document


def _private_out(request: HttpRequest, where: NotesContext) -> dict[str, Any]:
    note = selectors.private_note_for(owner=_user(request), where=where)
    return {"body": note.body if note else "", "updated_at": note.updated_at if note else None}


def _private_put(request: HttpRequest, where: NotesContext, access: str, body: str) -> Any:
    if access != selectors.EDIT:
        raise PermissionDeniedError(FINISHED)
    note = services.private_note_save(owner=_user(request), where=where, body=body)
    return {"body": note.body, "updated_at": note.updated_at}


# Shared documents ------------------------------------------------------------------------


@router.get(
    "/mentorships/{mentorship_id}/notes",
    response=DocumentOut,
    summary="The mentorship's shared notes",
)
def mentorship_document(request: HttpRequest, mentorship_id: int) -> dict[str, Any]:
    where, access = _mentorship(request, mentorship_id)
    return _document_out(services.document_get_or_create(where=where), access)


@router.get(
    "/meetings/{series_id}/{recurrence_id}/notes",
    response=DocumentOut,
    summary="One meeting's shared notes",
)
def meeting_document(request: HttpRequest, series_id: int, recurrence_id: str) -> dict[str, Any]:
    where, access = _meeting(request, series_id, recurrence_id)
    return _document_out(services.document_get_or_create(where=where), access)


@router.put(
    "/notes/{document_id}/text",
    response=DocumentOut,
    summary="Replace the shared text (open editors see the change live)",
)
def document_text(request: HttpRequest, document_id: int, payload: TextIn) -> dict[str, Any]:
    document = _writable(request, document_id)
    updated = services.document_text_replace(
        document=document, by=_user(request), text=payload.text
    )
    return _document_out(updated, selectors.EDIT)


@router.get(
    "/notes/{document_id}/versions",
    response=list[VersionOut],
    summary="The document's versions, newest first",
)
def version_list(request: HttpRequest, document_id: int) -> list[dict[str, Any]]:
    document, _access = _document(request, document_id)
    return [_version_out(version) for version in selectors.versions_of(document)]


@router.post(
    "/notes/{document_id}/versions",
    response={201: VersionOut},
    summary="Save the document as it is now, under a name",
)
def version_create(request: HttpRequest, document_id: int, payload: VersionIn) -> Status[Any]:
    document = _writable(request, document_id)
    version = services.version_save(document=document, by=_user(request), label=payload.label)
    return Status(201, _version_out(version))


@router.post(
    "/notes/{document_id}/versions/{version_id}/restore",
    response=DocumentOut,
    summary="Bring a version's text back (the text as it was is kept as a version)",
)
def version_restore(request: HttpRequest, document_id: int, version_id: int) -> dict[str, Any]:
    document, access = _document(request, document_id)
    version = selectors.version_of(document, version_id)
    if access != selectors.EDIT:
        raise PermissionDeniedError(FINISHED)
    services.version_restore(document=document, version=version, by=_user(request))
    document, access = _document(request, document_id)
    return _document_out(document, access)


# Private notes ---------------------------------------------------------------------------


@router.get(
    "/mentorships/{mentorship_id}/notes/private",
    response=PrivateNoteOut,
    summary="Your private note beside the mentorship's notes",
)
def mentorship_private_note(request: HttpRequest, mentorship_id: int) -> dict[str, Any]:
    where, _access = _mentorship(request, mentorship_id)
    return _private_out(request, where)


@router.put(
    "/mentorships/{mentorship_id}/notes/private",
    response=PrivateNoteOut,
    summary="Save your private note beside the mentorship's notes",
)
def mentorship_private_note_put(
    request: HttpRequest, mentorship_id: int, payload: PrivateNoteIn
) -> Any:
    where, access = _mentorship(request, mentorship_id)
    return _private_put(request, where, access, payload.body)


@router.get(
    "/meetings/{series_id}/{recurrence_id}/notes/private",
    response=PrivateNoteOut,
    summary="Your private note beside a meeting's notes",
)
def meeting_private_note(request: HttpRequest, series_id: int, recurrence_id: str) -> Any:
    where, _access = _meeting(request, series_id, recurrence_id)
    return _private_out(request, where)


@router.put(
    "/meetings/{series_id}/{recurrence_id}/notes/private",
    response=PrivateNoteOut,
    summary="Save your private note beside a meeting's notes",
)
def meeting_private_note_put(
    request: HttpRequest, series_id: int, recurrence_id: str, payload: PrivateNoteIn
) -> Any:
    where, access = _meeting(request, series_id, recurrence_id)
    return _private_put(request, where, access, payload.body)

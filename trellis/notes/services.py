"""Writes of shared notes (documents, updates, versions) and private notes.

A document's writes are serialised by locking its row: an update from a browser, a
version saved, a restore. Each update is checked by applying it to the document as
stored (bytes that are no Yjs update are refused, nothing stored), logged, and the
plain text refreshed. The log is compacted into the document's state now and then.

A version is saved by itself when an edit comes ten minutes or more after the last
version (or the document's start): the document as it was before that edit. Versions
are also saved by hand, with a name. Restoring one is an edit like any other,
computed here: the text is changed back by the smallest diff, so people typing at the
same time keep their cursors and their own concurrent edits merge.

Only the people of a going mentorship edit (selectors.notes_access); the check is made
here too, for the socket, the pages and the API alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.notes import crdt, live, selectors
from trellis.notes.models import (
    MAX_LABEL_LENGTH,
    MAX_PRIVATE_NOTE_LENGTH,
    NoteDocument,
    NoteUpdate,
    NoteVersion,
    PrivateNote,
)
from trellis.notes.selectors import NotesContext

if TYPE_CHECKING:
    from trellis.accounts.models import User

# Compact the log into the document's state once it holds more rows than this.
COMPACT_AFTER = 100
# An edit this long after the last version first saves the document as it was.
AUTOMATIC_VERSION_AFTER = dt.timedelta(minutes=10)
# The shared text's longest (about 50 pages).
MAX_TEXT_LENGTH = 100_000


def _check_editor(mentorship: Any, by: Any) -> None:
    access = selectors.notes_access(mentorship=mentorship, user=by)
    if access is None:
        raise NotFoundError("No such notes.")
    if access != selectors.EDIT:
        raise PermissionDeniedError(
            "This mentorship has finished: its notes are kept as they were."
        )


def _check_where(where: NotesContext) -> None:
    if where.series is None:
        if where.recurrence_id:
            raise ValidationError("Say which meeting series the notes are for.")
        return
    if where.series.mentorship_id != where.mentorship.pk or not where.recurrence_id:
        raise ValidationError("That meeting is not one of this mentorship's.")


# Documents -------------------------------------------------------------------------------


def document_get_or_create(*, where: NotesContext) -> NoteDocument:
    """The shared document of a mentorship or a meeting, made the first time it is opened."""
    _check_where(where)
    lookup = {
        "mentorship": where.mentorship,
        "series": where.series,
        "recurrence_id": where.recurrence_id,
    }
    found = NoteDocument.objects.filter(**lookup).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return NoteDocument.objects.create(**lookup)
    except IntegrityError:
        # Both people opened it at once: the other request made it.
        return NoteDocument.objects.get(**lookup)


def _locked(document_id: int) -> NoteDocument:
    document = NoteDocument.objects.select_for_update().filter(pk=document_id).first()
    if document is None:
        # Gone with its mentorship or meeting while an editor was open.
        raise NotFoundError("No such notes.")
    return document


def _stored(document: NoteDocument) -> tuple[list[int], list[bytes]]:
    """The pks of the logged updates and [state, *their data], in order."""
    rows = list(
        NoteUpdate.objects.filter(document=document).order_by("pk").values_list("pk", "data")
    )
    return [pk for pk, _ in rows], [bytes(document.state or b""), *(bytes(d) for _, d in rows)]


def _compact(document: NoteDocument, logged_pks: list[int], updates: list[bytes]) -> None:
    """Fold the logged updates into the document's state and drop them from the log."""
    if not logged_pks:
        return
    document.state = crdt.merged(updates)
    document.save(update_fields=["state"])
    NoteUpdate.objects.filter(document=document, pk__lte=max(logged_pks)).delete()


def _version(
    document: NoteDocument, updates: list[bytes], text: str, *, by: Any, label: str
) -> NoteVersion:
    return NoteVersion.objects.create(
        document=document, state=crdt.merged(updates), text=text, label=label, created_by=by
    )


def _check_text(text: str) -> None:
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(
            {"text": f"The notes may be at most {MAX_TEXT_LENGTH:,} characters long."}
        )


@dataclass(frozen=True)
class StoredUpdate:
    update: bytes
    text: str


@transaction.atomic
def document_update_store(*, document_id: int, by: User, update: bytes) -> StoredUpdate | None:
    """Store one Yjs update a browser sent; None when it changed nothing.

    ValidationError (nothing stored) when the bytes are no Yjs update, or the text would
    grow past MAX_TEXT_LENGTH; PermissionDeniedError for a reader, NotFoundError for
    anyone else.
    """
    document = _locked(document_id)
    mentorship = selectors.mentorship_for_notes(mentorship_id=document.mentorship_id, user=by)[0]
    _check_editor(mentorship, by)
    if update == crdt.EMPTY_UPDATE:
        return None
    logged_pks, updates = _stored(document)
    full = crdt.merged(updates)
    doc = crdt.doc_from([full])
    before = crdt.text_of(doc)
    vector = doc.get_state()
    try:
        crdt.apply(doc, update)
        text = crdt.text_of(doc)
        grown = crdt.merged([full, update])
        is_news = crdt.is_news(update, vector)
    except crdt.ProtocolError as error:
        raise ValidationError(str(error)) from error
    if text == before and not is_news:
        # Nothing new (a resend after a reconnect): nothing to store.
        return None
    _check_text(text)
    now = timezone.now()
    newest = NoteVersion.objects.filter(document=document).order_by("-created_at", "-pk").first()
    since = newest.created_at if newest is not None else document.created_at
    if before and now - since >= AUTOMATIC_VERSION_AFTER:
        # Ten minutes on from the last version: keep the document as it was before this edit.
        _version(document, [full], before, by=None, label="")
    stored = NoteUpdate.objects.create(document=document, data=update, author=by, created_at=now)
    document.text = text
    document.updated_at = now
    document.updated_by = by
    fields = ["text", "updated_at", "updated_by"]
    if len(logged_pks) + 1 > COMPACT_AFTER:
        document.state = grown
        fields.append("state")
    document.save(update_fields=fields)
    if "state" in fields:
        NoteUpdate.objects.filter(document=document, pk__lte=stored.pk).delete()
    return StoredUpdate(update, text)


def _server_edit(document: NoteDocument, updates: list[bytes], text: str, by: Any) -> bytes:
    """Edit the stored document's text into text; store, and send the edit live on commit."""
    doc = crdt.doc_from(updates)
    update = crdt.edit_to(doc, text)
    if update == crdt.EMPTY_UPDATE:
        return update
    now = timezone.now()
    NoteUpdate.objects.create(document=document, data=update, author=by, created_at=now)
    document.text = crdt.text_of(doc)
    document.updated_at = now
    document.updated_by = by
    document.save(update_fields=["text", "updated_at", "updated_by"])
    live.send_update_on_commit(document.pk, update)
    return update


@transaction.atomic
def document_text_replace(*, document: NoteDocument, by: User, text: str) -> NoteDocument:
    """Make the shared text this (from an integration), as an edit open editors see live."""
    _check_editor(document.mentorship, by)
    _check_text(text)
    locked = _locked(document.pk)
    _, updates = _stored(locked)
    _server_edit(locked, updates, text, by)
    return locked


# Versions --------------------------------------------------------------------------------


def _clean_label(label: str) -> str:
    label = " ".join((label or "").split())
    if len(label) > MAX_LABEL_LENGTH:
        raise ValidationError(
            {"label": f"A version's name may be at most {MAX_LABEL_LENGTH} characters long."}
        )
    return label


@transaction.atomic
def version_save(*, document: NoteDocument, by: User, label: str) -> NoteVersion:
    """Save the document as it is now, under a name, and compact its log."""
    _check_editor(document.mentorship, by)
    label = _clean_label(label)
    if not label:
        raise ValidationError({"label": "Give the version a name."})
    locked = _locked(document.pk)
    logged_pks, updates = _stored(locked)
    text = crdt.text_of(crdt.doc_from(updates))
    version = _version(locked, updates, text, by=by, label=label)
    _compact(locked, logged_pks, updates)
    return version


def _when(moment: dt.datetime) -> str:
    return str(date_format(timezone.localtime(moment), "j M Y, H:i"))


@transaction.atomic
def version_restore(*, document: NoteDocument, version: NoteVersion, by: User) -> NoteVersion:
    """Bring the text of version back; the text as it was is kept as a version first.

    Returns that version ("Before restoring …"). Open editors change live.
    """
    _check_editor(document.mentorship, by)
    if version.document_id != document.pk:
        raise NotFoundError("No such version.")
    locked = _locked(document.pk)
    logged_pks, updates = _stored(locked)
    current = crdt.text_of(crdt.doc_from(updates))
    name = version.label or f"the version of {_when(version.created_at)}"
    label = f"Before restoring {name}"[:MAX_LABEL_LENGTH]
    kept = _version(locked, updates, current, by=by, label=label)
    _compact(locked, logged_pks, updates)
    _server_edit(locked, [bytes(locked.state)], version.text, by)
    return kept


# Private notes ---------------------------------------------------------------------------


@transaction.atomic
def private_note_save(*, owner: User, where: NotesContext, body: str) -> PrivateNote:
    """Save owner's private note there (one per person and place); theirs alone."""
    _check_where(where)
    _check_editor(where.mentorship, owner)
    body = (body or "").replace("\r\n", "\n")
    if len(body) > MAX_PRIVATE_NOTE_LENGTH:
        raise ValidationError(
            {"body": f"A private note may be at most {MAX_PRIVATE_NOTE_LENGTH:,} characters long."}
        )
    lookup = {
        "owner": owner,
        "mentorship": where.mentorship,
        "series": where.series,
        "recurrence_id": where.recurrence_id,
    }
    note = PrivateNote.objects.select_for_update().filter(**lookup).first()
    if note is None:
        note = PrivateNote(**lookup)
    note.body = body
    note.updated_at = timezone.now()
    note.full_clean(exclude=["owner", "mentorship", "series"])
    try:
        with transaction.atomic():
            note.save()
    except IntegrityError:
        # Saved from two tabs at once: the other one made the row; this one updates it.
        note = PrivateNote.objects.select_for_update().get(**lookup)
        note.body = body
        note.updated_at = timezone.now()
        note.save(update_fields=["body", "updated_at"])
    return note

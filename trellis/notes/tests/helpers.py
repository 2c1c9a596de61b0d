"""Shared documents edited as browsers do: pycrdt documents standing in for Yjs clients."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pycrdt import Doc

from trellis.notes import crdt, selectors, services
from trellis.notes.models import NoteDocument
from trellis.notes.selectors import NotesContext
from trellis.scheduling.tests.helpers import meeting_in


def document_of(mentorship: Any, series: Any = None, recurrence_id: str = "") -> NoteDocument:
    return services.document_get_or_create(where=NotesContext(mentorship, series, recurrence_id))


def meeting_of(mentorship: Any, days: int = 1) -> tuple[Any, str]:
    return meeting_in(mentorship, dt.timedelta(days=days))


class Client:
    """A browser's Yjs document: it edits locally and says what changed, as an update."""

    def __init__(self, document: NoteDocument | None = None) -> None:
        self.doc: Doc = Doc()
        if document is not None:
            self.receive(selectors.document_full_update(document.pk))

    @property
    def text(self) -> str:
        return crdt.text_of(self.doc)

    def type(self, index: int, words: str) -> bytes:
        """Insert words at a character index; return the update (as y-websocket sends it)."""
        before = self.doc.get_state()
        offset = len(self.text[:index].encode("utf-8"))
        crdt.body_of(self.doc).insert(offset, words)
        return self.doc.get_update(before)

    def append(self, words: str) -> bytes:
        return self.type(len(self.text), words)

    def receive(self, update: bytes) -> None:
        crdt.apply(self.doc, update)


def write(document: NoteDocument, user: Any, words: str) -> bytes:
    """A client who has the stored document appends words, and the server stores them."""
    client = Client(document)
    update = client.append(words)
    services.document_update_store(document_id=document.pk, by=user, update=update)
    return update

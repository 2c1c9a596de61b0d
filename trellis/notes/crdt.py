"""The Yjs side of shared notes: documents, text edits and the y-websocket wire format.

Everything here is pure (no database): pycrdt does the CRDT work, this module frames it.
Indices into a pycrdt Text count UTF-8 bytes, so text edits computed on Python strings
are translated before they reach the document.

The wire format is y-websocket's: a frame is a message type (varuint) and its payload.
Type 0 is sync (step 1: a state vector, step 2 and update: a Yjs update), type 1 is
awareness (who is here and where their cursor is). See y-protocols' sync.js and
awareness.js; pycrdt implements the same encoding.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pycrdt import (
    Doc,
    Text,
    YMessageType,
    YSyncMessageType,
    create_update_message,
    get_state,
    get_update,
    merge_updates,
    write_var_uint,
)

from trellis.notes.models import BODY

# An update that changes nothing (no structs, no deletions).
EMPTY_UPDATE = b"\x00\x00"
# An awareness state larger than this (a name, a colour, a cursor) is not a cursor.
MAX_AWARENESS_STATE_BYTES = 16 * 1024
MESSAGE_QUERY_AWARENESS = 3
MESSAGE_AUTH = 2


class ProtocolError(ValueError):
    """A frame or an update that is not what the protocol allows."""


# Documents ---------------------------------------------------------------------------------


def merged(updates: Iterable[bytes]) -> bytes:
    """One update holding all of these (empty ones skipped); EMPTY_UPDATE for none."""
    parts = [bytes(update) for update in updates if update and bytes(update) != EMPTY_UPDATE]
    if not parts:
        return EMPTY_UPDATE
    if len(parts) == 1:
        return parts[0]
    try:
        return merge_updates(*parts)
    except ValueError as error:
        raise ProtocolError("Those updates do not merge.") from error


def doc_from(updates: Iterable[bytes]) -> Doc:
    """A pycrdt document with these updates applied in order."""
    doc: Doc = Doc()
    for update in updates:
        apply(doc, bytes(update))
    return doc


def apply(doc: Doc, update: bytes) -> None:
    """Apply update to doc; ProtocolError when it is not a Yjs update."""
    if not update or update == EMPTY_UPDATE:
        return
    try:
        doc.apply_update(update)
    except Exception as error:  # pycrdt raises ValueError, and Rust panics as others
        raise ProtocolError("That is not a Yjs update.") from error


def body_of(doc: Doc) -> Text:
    return doc.get(BODY, type=Text)


def text_of(doc: Doc) -> str:
    """The shared body as plain text; ProtocolError if "body" was made something else."""
    try:
        return str(body_of(doc))
    except Exception as error:
        raise ProtocolError("The document's body is not a text.") from error


def state_vector(update: bytes) -> bytes:
    """The state vector (what is known of each client) of an update."""
    try:
        return get_state(update)
    except Exception as error:
        raise ProtocolError("That is not a Yjs update.") from error


def missing_from(update: bytes, vector: bytes) -> bytes:
    """What update holds that a peer with this state vector has not seen."""
    try:
        return get_update(update, vector)
    except Exception as error:
        raise ProtocolError("That is not a state vector.") from error


def is_news(update: bytes, vector: bytes) -> bool:
    """Whether update holds an insertion a peer with this state vector has not seen.

    A Yjs update (v1) begins with the number of clients it has insertions of; deletions
    come after, and every update repeats them, so they tell nothing new.
    """
    return _Reader(missing_from(update, vector)).var_uint() > 0


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def edit_to(doc: Doc, new_text: str) -> bytes:
    """Edit doc's body into new_text by the smallest diff; return the update it made.

    Only the changed runs are deleted and inserted, so other people's cursors and
    concurrent edits elsewhere in the text survive. EMPTY_UPDATE when nothing changed.
    """
    body = body_of(doc)
    old_text = str(body)
    if old_text == new_text:
        return EMPTY_UPDATE
    before = doc.get_state()
    matcher = difflib.SequenceMatcher(a=old_text, b=new_text, autojunk=False)
    with doc.transaction():
        # From the end backwards: an edit never shifts the places still to edit.
        for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
            if tag == "equal":
                continue
            start = _byte_offset(old_text, i1)
            if i2 > i1:
                del body[start : _byte_offset(old_text, i2)]
            if j2 > j1:
                body.insert(start, new_text[j1:j2])
    return doc.get_update(before)


# Frames ------------------------------------------------------------------------------------


class _Reader:
    """lib0 decoding with bounds checks: anything short or malformed is a ProtocolError."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def var_uint(self) -> int:
        number = 0
        shift = 0
        while True:
            if self.position >= len(self.data) or shift > 63:
                raise ProtocolError("A number ends early.")
            byte = self.data[self.position]
            self.position += 1
            number |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return number

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self.position + length
        if end > len(self.data):
            raise ProtocolError("A payload ends early.")
        payload = self.data[self.position : end]
        self.position = end
        return payload

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            raise ProtocolError("A string is not UTF-8.") from error

    def is_done(self) -> bool:
        return self.position == len(self.data)


def _var_bytes(payload: bytes) -> bytes:
    return write_var_uint(len(payload)) + payload


def _var_string(text: str) -> bytes:
    return _var_bytes(text.encode("utf-8"))


@dataclass(frozen=True)
class SyncFrame:
    """A sync message: step 1 carries a state vector, step 2 and update a Yjs update."""

    step: int
    payload: bytes

    @property
    def is_step1(self) -> bool:
        return self.step == YSyncMessageType.SYNC_STEP1

    @property
    def carries_update(self) -> bool:
        return self.step in (YSyncMessageType.SYNC_STEP2, YSyncMessageType.SYNC_UPDATE)


@dataclass(frozen=True)
class AwarenessEntry:
    client_id: int
    clock: int
    # None: the client has gone.
    state: dict[str, Any] | None


@dataclass(frozen=True)
class AwarenessFrame:
    entries: list[AwarenessEntry]


@dataclass(frozen=True)
class IgnoredFrame:
    """A frame of the protocol the server has nothing to do with (auth, awareness query)."""


Frame = SyncFrame | AwarenessFrame | IgnoredFrame


def parse_frame(data: bytes) -> Frame:
    """Read one client frame; ProtocolError for anything the protocol does not allow."""
    reader = _Reader(data)
    message_type = reader.var_uint()
    if message_type == YMessageType.SYNC:
        step = reader.var_uint()
        if step not in tuple(YSyncMessageType):
            raise ProtocolError("Unknown sync step.")
        payload = reader.var_bytes()
        if not reader.is_done():
            raise ProtocolError("Bytes after the sync message.")
        return SyncFrame(step, payload)
    if message_type == YMessageType.AWARENESS:
        return AwarenessFrame(_awareness_entries(reader.var_bytes()))
    if message_type in (MESSAGE_AUTH, MESSAGE_QUERY_AWARENESS):
        return IgnoredFrame()
    raise ProtocolError("Unknown message type.")


def _awareness_entries(update: bytes) -> list[AwarenessEntry]:
    reader = _Reader(update)
    entries = []
    for _ in range(reader.var_uint()):
        client_id = reader.var_uint()
        clock = reader.var_uint()
        raw = reader.var_string()
        if len(raw) > MAX_AWARENESS_STATE_BYTES:
            raise ProtocolError("An awareness state is too large.")
        try:
            state = json.loads(raw) if raw else None
        except ValueError as error:
            raise ProtocolError("An awareness state is not JSON.") from error
        if state is not None and not isinstance(state, dict):
            raise ProtocolError("An awareness state is a JSON object or null.")
        entries.append(AwarenessEntry(client_id, clock, state))
    if not reader.is_done():
        raise ProtocolError("Bytes after the awareness update.")
    return entries


def sync_step1(update: bytes) -> bytes:
    """The server's "this is what I have" (the state vector of its update)."""
    return bytes([YMessageType.SYNC, YSyncMessageType.SYNC_STEP1]) + _var_bytes(
        state_vector(update)
    )


def sync_step2(update: bytes) -> bytes:
    return bytes([YMessageType.SYNC, YSyncMessageType.SYNC_STEP2]) + _var_bytes(update)


def update_frame(update: bytes) -> bytes:
    return bytes(create_update_message(update))


def awareness_frame(entries: Iterable[AwarenessEntry]) -> bytes:
    listed = list(entries)
    body = write_var_uint(len(listed))
    for entry in listed:
        state = "null" if entry.state is None else json.dumps(entry.state, separators=(",", ":"))
        body += write_var_uint(entry.client_id) + write_var_uint(entry.clock) + _var_string(state)
    return bytes([YMessageType.AWARENESS]) + _var_bytes(body)

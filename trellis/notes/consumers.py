"""The websocket of one shared document, speaking y-websocket's protocol.

The stock y-websocket client (WebsocketProvider) connects to /ws/notes/<document id>.
On connect the server sends its sync step 1 (what it has); the client answers with
step 2, which carries every edit the server lacks, those made offline included. The
client's own step 1 is answered with the stored document. Each edit is checked and
stored (services.document_update_store) before it goes to the other open editors
through the document's channel-layer group, so nothing lives in this process's memory
that another worker would need.

Awareness (who is here, where their cursor is) is relayed and never stored. A socket
speaks for one client (the first it announces): the server stamps its state with the
person's real name and colour, drops what it says about other clients, and tells the
others it has gone when it closes.

Close codes: 4401 not signed in, 4404 no such notes (or not theirs), 4403 an edit from
someone who may only read now (the mentorship finished while the page was open), 4400 a
frame that is not the protocol, 4413 a frame or a text too large. The client stops at
those; 4529 (too many frames) is transient and the client reconnects.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import ValidationError
from django.utils.functional import LazyObject, empty

from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.notes import crdt, live, selectors, services

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 512 * 1024
# A token bucket per socket: typing and moving the cursor stay far below it.
BURST_FRAMES = 300
FRAMES_PER_SECOND = 40.0

NOT_SIGNED_IN = 4401
NOT_FOUND = 4404
READ_ONLY = 4403
BAD_FRAME = 4400
TOO_LARGE = 4413
TOO_MANY = 4529


@database_sync_to_async
def _access(document_id: int, user: Any) -> tuple[str | None, dict[str, str]]:
    """user's access to the document, and how others see them (their name reads the profile)."""
    try:
        access: str | None = selectors.document_for(document_id=document_id, user=user)[1]
    except NotFoundError:
        access = None
    return access, selectors.person_of(user) if access else {}


@database_sync_to_async
def _stored_update(document_id: int) -> bytes:
    return selectors.document_full_update(document_id)


@database_sync_to_async
def _store(document_id: int, user: Any, update: bytes) -> services.StoredUpdate | None:
    return services.document_update_store(document_id=document_id, by=user, update=update)


class NoteDocumentConsumer(AsyncWebsocketConsumer):
    """One browser tab editing (or reading) one shared document."""

    document_id: int = 0
    group_name: str | None = None
    user: Any = None
    access: str | None = None
    person: dict[str, str]
    # The client this socket speaks for, its last clock and stamped state.
    client_id: int | None = None
    client_clock: int = 0
    client_state: dict[str, Any] | None = None
    tokens: float = BURST_FRAMES
    refilled_at: float = 0.0

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=NOT_SIGNED_IN)
            return
        # The auth middleware wraps the user lazily; the services want the model itself.
        if isinstance(user, LazyObject) and user._wrapped is not empty:
            user = user._wrapped
        self.user = user
        document_id = self.scope["url_route"]["kwargs"]["document_id"]
        self.access, self.person = await _access(document_id, user)
        if self.access is None:
            await self.close(code=NOT_FOUND)
            return
        self.document_id = document_id
        self.group_name = live.document_group(document_id)
        self.refilled_at = time.monotonic()
        # Join first, then read: an edit stored in between arrives twice, never not at all.
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self.send(bytes_data=crdt.sync_step1(await _stored_update(document_id)))
        # Whoever is here already says so to the newcomer.
        await self.channel_layer.group_send(
            self.group_name, {"type": live.JOINED, "sender": self.channel_name}
        )

    async def disconnect(self, code: int) -> None:
        if self.group_name is None:
            return
        await self.channel_layer.group_discard(self.group_name, self.channel_name)
        if self.client_id is not None:
            gone = crdt.AwarenessEntry(self.client_id, self.client_clock, None)
            await self._to_group(live.AWARENESS, crdt.awareness_frame([gone]))

    # From the browser --------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.group_name is None:
            return
        if bytes_data is None:
            await self.close(code=BAD_FRAME)
            return
        if len(bytes_data) > MAX_FRAME_BYTES:
            await self.close(code=TOO_LARGE)
            return
        if not self._take_token():
            await self.close(code=TOO_MANY)
            return
        try:
            frame = crdt.parse_frame(bytes_data)
            if isinstance(frame, crdt.SyncFrame):
                await self._on_sync(frame)
            elif isinstance(frame, crdt.AwarenessFrame):
                await self._on_awareness(frame)
        except crdt.ProtocolError:
            await self.close(code=BAD_FRAME)

    def _take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(BURST_FRAMES, self.tokens + (now - self.refilled_at) * FRAMES_PER_SECOND)
        self.refilled_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def _on_sync(self, frame: crdt.SyncFrame) -> None:
        if frame.is_step1:
            stored = await _stored_update(self.document_id)
            await self.send(bytes_data=crdt.sync_step2(crdt.missing_from(stored, frame.payload)))
            return
        if not frame.carries_update or self.access != selectors.EDIT:
            # A reader's edits (there should be none: their editor is read-only) are dropped.
            return
        try:
            stored_update = await _store(self.document_id, self.user, frame.payload)
        except ValidationError as error:
            # A text grown too long is said on the field "text"; anything else is junk.
            too_long = "text" in getattr(error, "error_dict", {})
            await self.close(code=TOO_LARGE if too_long else BAD_FRAME)
            return
        except PermissionDeniedError:
            # The mentorship finished while the editor was open: the page, reloaded,
            # shows the notes read only.
            await self.close(code=READ_ONLY)
            return
        except NotFoundError:
            await self.close(code=NOT_FOUND)
            return
        if stored_update is not None:
            await self.channel_layer.group_send(
                self.group_name, live.update_message(stored_update.update, sender=self.channel_name)
            )

    async def _on_awareness(self, frame: crdt.AwarenessFrame) -> None:
        if not frame.entries:
            return
        if self.client_id is None:
            self.client_id = frame.entries[0].client_id
        own = [entry for entry in frame.entries if entry.client_id == self.client_id]
        if not own:
            return
        entry = own[-1]
        state = None
        if entry.state is not None:
            state = {**entry.state, "user": self.person}
        self.client_clock = entry.clock
        self.client_state = state
        stamped = crdt.AwarenessEntry(entry.client_id, entry.clock, state)
        # To everyone, the sender too: y-websocket's client counts its own awareness coming
        # back as the sign that the connection is alive.
        await self._to_group(live.AWARENESS, crdt.awareness_frame([stamped]), sender="")

    async def _to_group(self, kind: str, frame: bytes, *, sender: str | None = None) -> None:
        if self.group_name is None:
            return
        message = {
            "type": kind,
            "frame": frame,
            "sender": self.channel_name if sender is None else sender,
        }
        await self.channel_layer.group_send(self.group_name, message)

    # From the group ----------------------------------------------------------------------

    async def notes_update(self, message: dict[str, Any]) -> None:
        if message.get("sender") != self.channel_name:
            await self.send(bytes_data=message["frame"])

    async def notes_awareness(self, message: dict[str, Any]) -> None:
        if message.get("sender") != self.channel_name:
            await self.send(bytes_data=message["frame"])

    async def notes_joined(self, message: dict[str, Any]) -> None:
        """Tell a newcomer where this socket's person is (awareness lives nowhere else)."""
        newcomer = message.get("sender")
        if newcomer == self.channel_name or self.client_id is None or self.client_state is None:
            return
        entry = crdt.AwarenessEntry(self.client_id, self.client_clock, self.client_state)
        await self.channel_layer.send(
            newcomer, {"type": live.AWARENESS, "frame": crdt.awareness_frame([entry]), "sender": ""}
        )

"""The one live socket per browser tab: events out, and the few frames clients may send.

Events (realtime.publish) reach the user's sockets through their channel-layer group.
Frames from the client are JSON objects with a "type": "ping" is answered here, the
messaging frames go to trellis.messaging.consumers. Anything else, anything that is not a
JSON object, and anything larger than MAX_FRAME_BYTES is answered with a "malformed"
error and changes nothing; the socket stays open.
"""

from __future__ import annotations

import json
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.functional import LazyObject, empty

from trellis.calls import consumers as calls
from trellis.core import presence
from trellis.core.realtime import user_group
from trellis.messaging import consumers as messaging

# A client frame is a short command; a message body is at most 10,000 characters.
MAX_FRAME_BYTES = 64 * 1024


def malformed(message: str) -> dict[str, Any]:
    return {"type": "error", "client_key": None, "code": "malformed", "message": message}


def _frame_size(text: str) -> int:
    # Each character takes at least one byte and at most four in UTF-8.
    if len(text) > MAX_FRAME_BYTES or len(text) * 4 <= MAX_FRAME_BYTES:
        return len(text)
    return len(text.encode("utf-8", errors="replace"))


class UserEventsConsumer(AsyncJsonWebsocketConsumer):
    """One socket per signed-in browser tab; receives that user's events only."""

    group_name: str | None = None
    user: Any = None
    calls: calls.CallSockets
    seen_at: float = 0.0

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # 4401: the application's own "not signed in" close code.
            await self.close(code=4401)
            return
        # The auth middleware wraps the user lazily; the services want the model itself.
        if isinstance(user, LazyObject) and user._wrapped is not empty:
            user = user._wrapped
        self.user = user
        self.group_name = user_group(user.pk)
        self.calls = calls.CallSockets()
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await database_sync_to_async(presence.socket_opened)(
            user_id=user.pk, channel_name=self.channel_name
        )
        self.seen_at = time.monotonic()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group_name is None:
            return
        await self.channel_layer.group_discard(self.group_name, self.channel_name)
        await calls.socket_closed(channel_name=self.channel_name, sockets=self.calls)
        await database_sync_to_async(presence.socket_closed)(channel_name=self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self.send_json(malformed("Send frames as JSON text."))
            return
        if _frame_size(text_data) > MAX_FRAME_BYTES:
            await self.send_json(malformed(f"A frame may be at most {MAX_FRAME_BYTES} bytes."))
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_json(malformed("A frame is a JSON object."))
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        frame_type = content.get("type") if isinstance(content, dict) else None
        if not isinstance(content, dict) or not isinstance(frame_type, str):
            await self.send_json(malformed('A frame is a JSON object with a "type".'))
            return
        if frame_type == "ping":
            # A ping keeps proxies from closing an idle socket, and the person online.
            if time.monotonic() - self.seen_at > presence.REFRESH.total_seconds():
                self.seen_at = time.monotonic()
                await database_sync_to_async(presence.socket_seen)(channel_name=self.channel_name)
            await self.send_json({"type": "pong"})
            return
        if frame_type in calls.FRAME_TYPES:
            reply = await calls.handle_frame(
                user=self.user, channel_name=self.channel_name, sockets=self.calls, content=content
            )
            if reply is not None:
                await self.send_json(reply)
            return
        if frame_type in messaging.FRAME_TYPES:
            reply = await messaging.handle_frame(self.user, content)
            if reply is not None:
                await self.send_json(reply)
            return
        await self.send_json(malformed(f"Unknown frame type {frame_type[:40]!r}."))

    async def event_message(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

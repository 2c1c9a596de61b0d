from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from trellis.core.realtime import user_group


class UserEventsConsumer(AsyncJsonWebsocketConsumer):
    """One socket per signed-in browser tab; receives that user's events only."""

    group_name: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # 4401: the application's own "not signed in" close code.
            await self.close(code=4401)
            return
        self.group_name = user_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group_name is not None:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # Clients only listen on this socket; a ping keeps proxies from closing it.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def event_message(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

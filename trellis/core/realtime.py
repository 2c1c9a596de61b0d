"""The one way to push an event to people's open browser tabs.

Call `publish` only from services. The recipient list is computed by the caller and is
the security boundary: an event goes to exactly those users' sockets and nowhere else.
Events are sent when the current transaction commits, so nothing that was rolled back
is ever announced.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """Name of the channel-layer group every socket of one user joins."""
    return f"user.{user_id}"


def send_now(recipient_ids: Iterable[int], event: dict[str, Any]) -> None:
    """Send event to the recipients' sockets immediately (no transaction wait).

    One trip to the event loop for all recipients: the group sends run together.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    recipients = sorted(set(recipient_ids))
    if not recipients:
        return
    message = {"type": "event.message", "event": event}

    async def send_all() -> list[BaseException | None]:
        return await asyncio.gather(
            *(layer.group_send(user_group(user_id), message) for user_id in recipients),
            return_exceptions=True,
        )

    try:
        results = async_to_sync(send_all)()
    except Exception:
        logger.exception("realtime publish to users %s failed", recipients)
        return
    for user_id, result in zip(recipients, results, strict=True):
        if isinstance(result, BaseException):
            # A real-time push is a courtesy: the data is already stored and will be
            # shown on the next page load (or caught up by seq), so a broken layer must
            # not fail the request.
            logger.error("realtime publish to user %s failed: %r", user_id, result)


def publish(recipient_ids: Iterable[int], event: dict[str, Any]) -> None:
    """Send event to the recipients' sockets once the current transaction commits."""
    recipients = list(recipient_ids)
    if "type" not in event:
        raise ValueError("A realtime event needs a 'type'.")
    transaction.on_commit(lambda: send_now(recipients, event))


# One browser tab rather than all of a person's tabs: a call's signalling goes to the
# tab that is in the call. The channel names come from the call's own records.


async def relay(channel_name: str, event: dict[str, Any]) -> None:
    """Send event to one socket now (from a consumer, already on the event loop)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.send(channel_name, {"type": "event.message", "event": event})
    except Exception:
        # The tab is gone or the layer is down: signalling is retried by the client.
        logger.exception("realtime relay to %s failed", channel_name)


def publish_to_sockets(channel_names: Iterable[str], event: dict[str, Any]) -> None:
    """Send event to these sockets once the current transaction commits."""
    names = sorted(set(channel_names))
    if "type" not in event:
        raise ValueError("A realtime event needs a 'type'.")
    if not names:
        return

    def send() -> None:
        async def send_all() -> None:
            await asyncio.gather(*(relay(name, event) for name in names))

        try:
            async_to_sync(send_all)()
        except Exception:
            logger.exception("realtime publish to sockets failed")

    transaction.on_commit(send)

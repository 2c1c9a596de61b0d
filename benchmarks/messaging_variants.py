"""config.asgi with changes tried out by the messaging benchmark, to measure before building.

Served by `benchmarks/messaging.py --variants NAME,NAME...` (it sets
MESSAGING_BENCH_VARIANTS and serves this module's `application`). Nothing here is used by
Trellis itself: each variant patches, in the server process only, what a change to the
real code would do, so its effect on latency can be measured first.

- batch: realtime.send_now makes one trip to the event loop per event, not one per
  recipient (the thread that runs the database work waits for each trip).
- noattach: message_data asks for no attachments of a text message (it has none).
- noemail: no unread-email task per message (as if it were scheduled once per unread run).
- membership: the socket frame's membership check joins nothing but the conversation.
- lean: a text message over the socket in four statements: the active members (the check
  and the recipients at once), UPDATE ... RETURNING for the next seq (the row lock and the
  number at once), the INSERT, the sender's cursor; the unique client_key makes a retry
  roll back and answer with the stored message.
- redis: the Redis channel layer with a socket timeout above channels_redis' 5 s blocking
  pop and a larger connection pool (redis-py 8 defaults: 5 s and 100; see
  django/channels_redis#422), and room for 2,000 undelivered events per server process
  instead of 100 (channels_redis keeps one inbox per process; past its capacity a
  group_send drops the event without a word).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from config.asgi import application
from trellis.core import realtime
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.messaging import consumers, selectors, services
from trellis.messaging.formatting import render_markdown
from trellis.messaging.models import Attachment, ConversationMember, Message, MessageKind

__all__ = ["application"]

logger = logging.getLogger("trellis.messaging")
VARIANTS = set(filter(None, os.environ.get("MESSAGING_BENCH_VARIANTS", "").split(",")))
KNOWN = {"batch", "noattach", "noemail", "membership", "lean", "redis"}
if VARIANTS - KNOWN:
    raise SystemExit(f"unknown variants: {sorted(VARIANTS - KNOWN)}; known: {sorted(KNOWN)}")


def _send_now_batched(recipient_ids: Any, event: dict[str, Any]) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    groups = [realtime.user_group(user_id) for user_id in sorted(set(recipient_ids))]

    async def send_all() -> None:
        results = await asyncio.gather(
            *(
                layer.group_send(group, {"type": "event.message", "event": event})
                for group in groups
            ),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, Exception):
                logger.error("realtime publish failed: %r", result)

    async_to_sync(send_all)()


_message_data = selectors.message_data


def _message_data_without_attachment_query(message: Message) -> dict[str, Any]:
    if (
        getattr(message, "_prefetched_objects_cache", None) is None
        and message.kind == MessageKind.TEXT
        and not message.is_deleted
    ):
        message._prefetched_objects_cache = {"attachments": Attachment.objects.none()}
    return _message_data(message)


def _lean_membership(*, conversation_id: int, user: Any) -> ConversationMember:
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        raise NotFoundError("No such conversation.")
    member = (
        ConversationMember.objects.select_related("conversation")
        .filter(conversation_id=conversation_id, user_id=user.pk, is_active=True)
        .first()
    )
    if member is None:
        raise NotFoundError("No such conversation.")
    return member


_handle = consumers._handle


def _lean_handle(user: Any, frame: consumers.Frame) -> dict[str, Any] | None:
    if frame.type != consumers.SEND or frame.attachment_ids or frame.card:
        return _handle(user, frame)
    key = services._clean_key(frame.client_key or "")
    text = services._clean_body(frame.body, required=True)
    members = list(
        ConversationMember.objects.filter(
            conversation_id=frame.conversation, is_active=True
        ).values_list("pk", "user_id", "can_write")
    )
    mine = [member for member in members if member[1] == user.pk]
    if not mine or not user.is_active:
        logger.warning(
            "socket frame refused: user %s, conversation %s", user.pk, frame.conversation
        )
        raise NotFoundError("No such conversation.")
    if not mine[0][2]:
        raise PermissionDeniedError("You may read this conversation but not write in it.")
    services._rate_check(user)
    html = render_markdown(text)
    now = timezone.now()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE messaging_conversation SET last_seq = last_seq + 1, "
                    "last_message_at = %s, updated_at = %s WHERE id = %s RETURNING last_seq",
                    [now, now, frame.conversation],
                )
                seq = cursor.fetchone()[0]
            message = Message(
                conversation_id=frame.conversation,
                seq=seq,
                sender=user,
                kind=MessageKind.TEXT,
                client_key=key,
                body=text,
                body_html=html,
                card={},
                created_at=now,
            )
            message.save(force_insert=True)
            ConversationMember.objects.filter(pk=mine[0][0]).update(
                last_read_seq=seq, last_delivered_seq=seq, updated_at=now
            )
            message._prefetched_objects_cache = {"attachments": Attachment.objects.none()}
            data = selectors.message_data(message)
            realtime.publish(
                [member[1] for member in members], {"type": "message.created", "message": data}
            )
    except IntegrityError:
        # The same client_key again: the seq taken above is rolled back with the insert.
        stored = (
            Message.objects.select_related("sender__profile")
            .filter(sender_id=user.pk, client_key=key, conversation_id=frame.conversation)
            .first()
        )
        if stored is None:
            raise
        data = selectors.message_data(stored)
    return {"type": "message.ack", "client_key": key, "message": data}


if "batch" in VARIANTS:
    realtime.send_now = _send_now_batched
if "noattach" in VARIANTS:
    selectors.message_data = _message_data_without_attachment_query  # type: ignore[assignment]
if "noemail" in VARIANTS:
    services._schedule_unread_email = lambda conversation, message: None  # type: ignore[assignment]
if "membership" in VARIANTS:
    selectors.membership_of = _lean_membership  # type: ignore[assignment]
if "lean" in VARIANTS:
    consumers._handle = _lean_handle
if "redis" in VARIANTS and "CONFIG" in settings.CHANNEL_LAYERS["default"]:
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    config["capacity"] = 2000
    config["hosts"] = [
        {"address": host, "socket_timeout": 15, "max_connections": 1000}
        if isinstance(host, str)
        else host
        for host in config["hosts"]
    ]

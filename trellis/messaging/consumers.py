"""Messaging frames on the live socket (/ws/events/, trellis.core.consumers).

Each frame is checked for shape first (a wrong type of field is "malformed" and touches
nothing), then handled in one database call: the person's active membership, then one
service or selector. The reply (an ack, a page of messages or an error) goes back only
after the service returned, that is after its transaction committed, so an acknowledged
message is stored. A frame naming a conversation the person is not an active member of
is answered "not_found", like one that does not exist, and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.db import DatabaseError

from trellis.core.errors import NotFoundError, PermissionDeniedError, RateLimitedError
from trellis.messaging import selectors, services

logger = logging.getLogger("trellis.messaging")

SEND = "message.send"
SYNC = "conversation.sync"
READ = "conversation.read"
DELIVERED = "conversation.delivered"
TYPING = "conversation.typing"
FRAME_TYPES = frozenset({SEND, SYNC, READ, DELIVERED, TYPING})


class MalformedFrameError(Exception):
    """The frame's fields are missing or of the wrong type."""


@dataclass
class Frame:
    type: str
    conversation: int
    client_key: str | None = None
    body: str = ""
    attachment_ids: list[int] = field(default_factory=list)
    card: dict[str, Any] | None = None
    after: int = 0
    limit: int = selectors.PAGE_SIZE
    seq: int = 0


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _count(content: dict[str, Any], name: str, *, default: int | None = None) -> int:
    value = content.get(name, default)
    if not _is_int(value) or value < 0:
        raise MalformedFrameError(f'"{name}" is a whole number, 0 or more.')
    return int(value)


def parse_frame(content: dict[str, Any]) -> Frame:
    """The frame's fields, type-checked; MalformedFrameError when one is wrong."""
    frame_type = content["type"]
    conversation = content.get("conversation")
    if not _is_int(conversation) or conversation < 1:
        raise MalformedFrameError('"conversation" is a conversation id.')
    frame = Frame(type=frame_type, conversation=conversation)
    if frame_type == SEND:
        client_key = content.get("client_key")
        if not isinstance(client_key, str):
            raise MalformedFrameError('"client_key" is a string.')
        frame.client_key = client_key
        body = content.get("body", "")
        if not isinstance(body, str):
            raise MalformedFrameError('"body" is a string.')
        frame.body = body
        attachment_ids = content.get("attachment_ids") or []
        if not isinstance(attachment_ids, list) or not all(_is_int(i) for i in attachment_ids):
            raise MalformedFrameError('"attachment_ids" is a list of ids.')
        frame.attachment_ids = attachment_ids
        card = content.get("card")
        if card is not None and not isinstance(card, dict):
            raise MalformedFrameError('"card" is an object.')
        frame.card = card or None
    elif frame_type == SYNC:
        frame.after = _count(content, "after", default=0)
        limit = _count(content, "limit", default=selectors.PAGE_SIZE)
        frame.limit = max(1, min(limit, selectors.MAX_PAGE_SIZE))
    elif frame_type in (READ, DELIVERED):
        frame.seq = _count(content, "seq")
    return frame


def error(
    code: str, message: str, *, client_key: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "error",
        "client_key": client_key,
        "code": code,
        "message": message,
        **extra,
    }


# The handlers: each runs in a worker thread and makes one membership check and one call.


def _send(user: Any, frame: Frame, member: Any) -> dict[str, Any]:
    message, _created = services.message_send(
        conversation=member.conversation,
        sender=user,
        client_key=frame.client_key or "",
        body=frame.body,
        attachment_ids=frame.attachment_ids,
        card=frame.card,
    )
    return {
        "type": "message.ack",
        "client_key": message.client_key,
        "message": selectors.message_data(message),
    }


def _sync(user: Any, frame: Frame, member: Any) -> dict[str, Any]:
    # One more than asked tells whether there are more after this page.
    messages = selectors.messages_after(
        conversation=member.conversation, after_seq=frame.after, limit=frame.limit + 1
    )
    return {
        "type": "conversation.messages",
        "conversation": member.conversation_id,
        "messages": [selectors.message_data(m) for m in messages[: frame.limit]],
        "has_more": len(messages) > frame.limit,
    }


def _read(user: Any, frame: Frame, member: Any) -> None:
    services.conversation_mark(
        conversation=member.conversation, user=user, seq=frame.seq, read=True
    )


def _delivered(user: Any, frame: Frame, member: Any) -> None:
    services.conversation_mark(
        conversation=member.conversation, user=user, seq=frame.seq, read=False
    )


def _typing(user: Any, frame: Frame, member: Any) -> None:
    services.conversation_typing(conversation=member.conversation, user=user)


HANDLERS: dict[str, Callable[[Any, Frame, Any], dict[str, Any] | None]] = {
    SEND: _send,
    SYNC: _sync,
    READ: _read,
    DELIVERED: _delivered,
    TYPING: _typing,
}


def _handle(user: Any, frame: Frame) -> dict[str, Any] | None:
    try:
        member = selectors.membership_for_socket(conversation_id=frame.conversation, user=user)
    except NotFoundError:
        logger.warning(
            "socket frame %s refused: user %s is not a member of conversation %s",
            frame.type,
            user.pk,
            frame.conversation,
        )
        raise
    return HANDLERS[frame.type](user, frame, member)


async def handle_frame(user: Any, content: dict[str, Any]) -> dict[str, Any] | None:
    """Handle one messaging frame from user's socket; return the reply to send, if any."""
    raw_key = content.get("client_key")
    client_key = raw_key if isinstance(raw_key, str) else None
    try:
        frame = parse_frame(content)
    except MalformedFrameError as problem:
        return error("malformed", str(problem), client_key=client_key)
    try:
        return await database_sync_to_async(_handle)(user, frame)
    except NotFoundError:
        return error("not_found", "No such conversation.", client_key=client_key)
    except PermissionDeniedError as problem:
        return error("forbidden", str(problem), client_key=client_key)
    except RateLimitedError as problem:
        return error(
            "rate_limited", str(problem), client_key=client_key, retry_after=problem.retry_after
        )
    except ValidationError as problem:
        fields = problem.message_dict if hasattr(problem, "error_dict") else {}
        return error("invalid", " ".join(problem.messages), client_key=client_key, fields=fields)
    except DatabaseError:
        # A busy or restarting database: the client keeps the message and sends it again.
        logger.exception("socket frame %s failed for user %s", frame.type, user.pk)
        return error("unavailable", "Could not save just now; retrying.", client_key=client_key)

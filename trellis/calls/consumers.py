"""Call signalling on the live socket (/ws/events/, trellis.core.consumers).

The server never touches media: it relays offers, answers, ICE candidates and mute
state between the tabs in one call, and keeps the record of who was there. A tab must
join a room (``call.join``) before anything it sends is relayed, and only to a peer
that is in the same call now; the join itself is refused for anyone but the
mentorship's current participants (logged, nothing relayed). Frames are shape-checked
first: only the fields a browser needs go through, never arbitrary data.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError

from trellis.calls import selectors, services
from trellis.calls.ice import ice_servers_for
from trellis.core import realtime
from trellis.core.errors import NotFoundError

logger = logging.getLogger("trellis.calls")

JOIN = "call.join"
LEAVE = "call.leave"
SIGNAL = "call.signal"
STATE = "call.state"
FRAME_TYPES = frozenset({JOIN, LEAVE, SIGNAL, STATE})

MAX_SDP_LENGTH = 60_000
MAX_CANDIDATE_LENGTH = 2_000
STATE_FLAGS = ("muted", "camera_off", "audio_only", "screen")
# Frames relayed per socket per window: a call's setup sends a few dozen.
RELAY_LIMIT = 400
RELAY_WINDOW_SECONDS = 10.0


class MalformedFrameError(Exception):
    pass


@dataclass
class CallSockets:
    """What one socket is in: room → (call id, peer id); and its relay budget."""

    rooms: dict[str, tuple[int, str]] = field(default_factory=dict)
    window_started: float = 0.0
    relayed: int = 0

    def spend(self) -> bool:
        now = time.monotonic()
        if now - self.window_started > RELAY_WINDOW_SECONDS:
            self.window_started = now
            self.relayed = 0
        self.relayed += 1
        return self.relayed <= RELAY_LIMIT


def error(code: str, message: str, *, room: Any = None) -> dict[str, Any]:
    return {"type": "error", "client_key": None, "code": code, "message": message, "room": room}


def _string(content: dict[str, Any], name: str, *, max_length: int) -> str:
    value = content.get(name)
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise MalformedFrameError(f'"{name}" is a string of at most {max_length} characters.')
    return value


def _description(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise MalformedFrameError('"description" is an object with "type" and "sdp".')
    kind = value.get("type")
    sdp = value.get("sdp")
    if kind not in ("offer", "answer") or not isinstance(sdp, str) or len(sdp) > MAX_SDP_LENGTH:
        raise MalformedFrameError('"description" is an offer or answer with its "sdp".')
    return {"type": kind, "sdp": sdp}


def _candidate(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedFrameError('"candidate" is an ICE candidate object.')
    text = value.get("candidate", "")
    mid = value.get("sdpMid")
    index = value.get("sdpMLineIndex")
    fragment = value.get("usernameFragment")
    if not isinstance(text, str) or len(text) > MAX_CANDIDATE_LENGTH:
        raise MalformedFrameError('"candidate.candidate" is a candidate line.')
    if mid is not None and (not isinstance(mid, str) or len(mid) > 64):
        raise MalformedFrameError('"candidate.sdpMid" is a short string.')
    if index is not None and (
        not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 256
    ):
        raise MalformedFrameError('"candidate.sdpMLineIndex" is a small number.')
    if fragment is not None and (not isinstance(fragment, str) or len(fragment) > 256):
        raise MalformedFrameError('"candidate.usernameFragment" is a short string.')
    return {"candidate": text, "sdpMid": mid, "sdpMLineIndex": index, "usernameFragment": fragment}


def _state(value: Any) -> dict[str, bool]:
    if not isinstance(value, dict) or not all(
        isinstance(value.get(flag, False), bool) for flag in STATE_FLAGS
    ):
        raise MalformedFrameError('"state" is an object of true/false flags.')
    return {flag: bool(value.get(flag, False)) for flag in STATE_FLAGS}


# Database steps, each one call in a worker thread.


def _join(user: Any, room: str, peer: str, channel_name: str) -> dict[str, Any]:
    joined = services.call_join(room=room, user=user, peer=peer, channel_name=channel_name)
    return {
        "type": "call.joined",
        "room": room,
        "peer": peer,
        "call": joined.call.pk,
        "peers": [
            {"peer": other.peer, "user": other.user_id, "name": other.name}
            for other in joined.peers
        ],
        **ice_servers_for(user_id=user.pk),
    }


def _channels(call_id: int, exclude_peer: str) -> list[str]:
    return [
        peer.channel_name
        for peer in selectors.open_peers(call_id=call_id, exclude_peer=exclude_peer)
    ]


async def handle_frame(
    *, user: Any, channel_name: str, sockets: CallSockets, content: dict[str, Any]
) -> dict[str, Any] | None:
    """Handle one call frame; return the reply for this socket, if any."""
    frame_type = content["type"]
    room = content.get("room")
    try:
        if not isinstance(room, str) or not room or len(room) > 64:
            raise MalformedFrameError('"room" is the call\'s room id.')
        if frame_type == JOIN:
            peer = _string(content, "peer", max_length=64)
            if not services.PEER_PATTERN.match(peer):
                raise MalformedFrameError('"peer" is 8 to 64 letters, digits, - or _.')
            return await _handle_join(user, channel_name, sockets, room, peer)
        if room not in sockets.rooms:
            return error("not_in_call", "Join the call first.", room=room)
        call_id, peer = sockets.rooms[room]
        if frame_type == LEAVE:
            sockets.rooms.pop(room, None)
            await database_sync_to_async(services.call_leave)(
                call_id=call_id, peer=peer, user_id=user.pk
            )
            return {"type": "call.left", "room": room}
        if not sockets.spend():
            return error("rate_limited", "Too many call frames; slow down.", room=room)
        if frame_type == SIGNAL:
            return await _handle_signal(content, room, call_id, peer)
        state = _state(content.get("state"))
        for target in await database_sync_to_async(_channels)(call_id, peer):
            await realtime.relay(
                target, {"type": "call.state", "room": room, "peer": peer, "state": state}
            )
        return None
    except MalformedFrameError as exc:
        valid_room = isinstance(room, str) and 0 < len(room) <= 64
        return error("malformed", str(exc), room=room if valid_room else None)


async def _handle_join(
    user: Any, channel_name: str, sockets: CallSockets, room: str, peer: str
) -> dict[str, Any]:
    try:
        reply = await database_sync_to_async(_join)(user, room, peer, channel_name)
    except NotFoundError:
        logger.warning("call join refused: user %s is not in room %s", user.pk, room[:64])
        return error("call_refused", "You are not one of the people in this call.", room=room)
    except services.CallFullError as exc:
        return error("call_full", str(exc), room=room)
    except ValidationError as exc:
        return error("call_closed", " ".join(exc.messages), room=room)
    sockets.rooms[room] = (reply["call"], peer)
    return reply


async def _handle_signal(
    content: dict[str, Any], room: str, call_id: int, peer: str
) -> dict[str, Any] | None:
    target = _string(content, "to", max_length=64)
    event: dict[str, Any] = {"type": "call.signal", "room": room, "from": peer}
    if "description" in content:
        event["description"] = _description(content["description"])
    elif "candidate" in content:
        event["candidate"] = _candidate(content["candidate"])
    else:
        raise MalformedFrameError('A signal carries a "description" or a "candidate".')
    channel = await database_sync_to_async(selectors.channel_of_peer)(call_id=call_id, peer=target)
    if channel is None or target == peer:
        return error("peer_gone", "That person is no longer in the call.", room=room)
    await realtime.relay(channel, event)
    return None


async def socket_closed(*, channel_name: str, sockets: CallSockets) -> None:
    """The socket closed: every call it was in hears its tab disconnected."""
    if not sockets.rooms:
        return
    sockets.rooms.clear()
    await database_sync_to_async(services.calls_leave_socket)(channel_name=channel_name)

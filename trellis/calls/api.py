"""REST endpoints for calls (mounted at /api/v1/).

Only the mentorship's current participants see its calls: a manager, staff or a
member who left a group gets 404, as for a call that does not exist. The media itself
never reaches the server; these are the records and the means to start a call.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from trellis.calls import selectors, services
from trellis.calls.ice import ice_servers_for
from trellis.calls.models import Call, CallJoin
from trellis.core.errors import NotFoundError
from trellis.scheduling import selectors as scheduling_selectors

router = Router(tags=["calls"])


class IceServerOut(Schema):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class IceServersOut(Schema):
    ice_servers: list[IceServerOut]
    expires_at: int | None = None


class JoinOut(Schema):
    user_id: int
    name: str
    joined_at: dt.datetime
    left_at: dt.datetime | None
    seconds: int


class CallOut(Schema):
    room: str
    url: str
    kind: str
    mentorship_id: int
    meeting_id: int | None
    recurrence_id: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    held_seconds: int
    joins: list[JoinOut]


def _join_out(join: CallJoin) -> dict[str, Any]:
    end = join.left_at
    return {
        "user_id": join.user_id,
        "name": join.user.display_name or join.user.email,
        "joined_at": join.joined_at,
        "left_at": end,
        "seconds": int((end - join.joined_at).total_seconds()) if end else 0,
    }


def _call_out(call: Call, joins: list[CallJoin]) -> dict[str, Any]:
    return {
        "room": call.room,
        "url": services.room_url(call),
        "kind": call.kind,
        "mentorship_id": call.mentorship_id,
        "meeting_id": call.series_id,
        "recurrence_id": call.recurrence_id,
        "started_at": call.started_at,
        "ended_at": call.ended_at,
        "held_seconds": call.held_seconds,
        "joins": [_join_out(join) for join in joins],
    }


@router.get(
    "/calls/ice-servers",
    response=IceServersOut,
    summary="STUN and TURN servers for your browser, with a short-lived TURN credential",
)
def ice_servers(request: HttpRequest) -> dict[str, Any]:
    # The API signs everyone in first (api_auth): pk is set.
    return ice_servers_for(user_id=int(request.user.pk or 0))


@router.get("/calls/{room}", response=CallOut, summary="A call's record: who joined, how long")
def call_detail(request: HttpRequest, room: str) -> dict[str, Any]:
    call = selectors.call_for_room(room=room, user=request.user)
    return _call_out(call, selectors.call_records(call=call))


@router.get(
    "/mentorships/{mentorship_id}/calls",
    response=list[CallOut],
    summary="The mentorship's recent calls, newest first",
)
def call_list(request: HttpRequest, mentorship_id: int) -> list[dict[str, Any]]:
    mentorship = scheduling_selectors.mentorship_for_scheduling(
        mentorship_id=mentorship_id, user=request.user
    )
    if not selectors.is_participant(mentorship=mentorship, user=request.user):
        raise NotFoundError("No such mentorship.")
    calls = selectors.calls_of(mentorship=mentorship)
    return [_call_out(call, list(call.joins.all())) for call in calls]


@router.post(
    "/mentorships/{mentorship_id}/call-now",
    response={201: CallOut},
    summary="Ring the others who are online and inside their contact hours (422 if none)",
)
def call_now(request: HttpRequest, mentorship_id: int) -> Status[Any]:
    mentorship = scheduling_selectors.mentorship_for_scheduling(
        mentorship_id=mentorship_id, user=request.user
    )
    if not selectors.is_participant(mentorship=mentorship, user=request.user):
        raise NotFoundError("No such mentorship.")
    call = services.call_start_now(mentorship=mentorship, by=request.user)
    return Status(201, _call_out(call, selectors.call_records(call=call)))

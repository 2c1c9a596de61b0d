"""Writes for calls: opening a meeting's room, "call now", joining and leaving, the record.

Every join and leave locks the call's row, so the six-peer limit and the held time hold
under parallel joins. The others in the room hear of a join or a leave when the
transaction commits (realtime.publish_to_sockets, to the tabs in the call only).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from trellis.calls import selectors
from trellis.calls.models import MAX_PEERS, Call, CallJoin, CallKind
from trellis.core import realtime
from trellis.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from trellis.core.ratelimit import rate_limit_check
from trellis.mentorships.models import Mentorship
from trellis.mentorships.selectors import current_members_prefetch
from trellis.scheduling import selectors as scheduling_selectors
from trellis.scheduling import services as scheduling_services
from trellis.scheduling.models import MeetingSeries, Modality, SeriesStatus

logger = logging.getLogger("trellis.calls")

PEER_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# "Call now" rings people; a few tries in a few minutes is plenty.
CALL_NOW_LIMIT = 5
CALL_NOW_WINDOW_SECONDS = 300
# A meeting counts as held once two people were in its call together this long.
HELD_AFTER_SECONDS = 60
# A "call now" nobody has joined yet: someone pressing the button meanwhile meets the
# caller in that room rather than ringing back into another.
RINGS_FOR = dt.timedelta(minutes=2)


class CallFullError(Exception):
    """The room already holds MAX_PEERS tabs."""


def room_url(call: Call) -> str:
    return reverse("calls:room", args=[call.room])


def _name(user: Any) -> str:
    return str(user.display_name or user.email)


# Opening a room --------------------------------------------------------------------------


def _require_open_meeting(series: MeetingSeries, recurrence_id: str, now: dt.datetime) -> None:
    if series.status != SeriesStatus.ACTIVE:
        raise ValidationError("This meeting was cancelled.")
    if series.modality != Modality.VIDEO:
        raise ValidationError("This meeting is not a Trellis video call.")
    item = scheduling_selectors.occurrence_of(series=series, recurrence_id=recurrence_id)
    if item is None:
        raise ValidationError("This meeting was cancelled or does not exist.")
    opens = item.start - selectors.OPENS_BEFORE
    closes = item.end + selectors.CLOSES_AFTER
    if now < opens:
        raise ValidationError(
            "The room opens an hour before the meeting starts.", code="not_open_yet"
        )
    if now > closes:
        raise ValidationError("This meeting is over; its room has closed.", code="closed")


def meeting_call_open(
    *, series: MeetingSeries, recurrence_id: str, by: Any, now: dt.datetime | None = None
) -> Call:
    """The call of one meeting occurrence, created the first time someone opens it."""
    now = now or timezone.now()
    if not selectors.may_call(mentorship=series.mentorship, user=by):
        raise PermissionDeniedError("Only the people meeting join its call.")
    _require_open_meeting(series, recurrence_id, now)
    call, _created = Call.objects.get_or_create(
        series=series,
        recurrence_id=recurrence_id,
        defaults={"mentorship": series.mentorship, "kind": CallKind.MEETING, "started_by": by},
    )
    return call


def call_start_now(*, mentorship: Mentorship, by: Any, now: dt.datetime | None = None) -> Call:
    """Ring the others who can take a call now, and open the room.

    If a "call now" of this mentorship is going on, this joins it instead of ringing
    again: two people pressing the button at once meet in one room.
    """
    now = now or timezone.now()
    if not selectors.may_call(mentorship=mentorship, user=by):
        raise PermissionDeniedError("Calls are open to the people in an active mentorship.")
    with transaction.atomic():
        # One caller at a time per mentorship: the check for a call in progress holds.
        Mentorship.objects.select_for_update().filter(pk=mentorship.pk).first()
        # In progress: someone is in it, or nobody has joined it yet and it still rings.
        # (A bare joins__left_at__isnull also matches a call nobody ever joined, however
        # old: every later "call now" would reopen that room and ring nobody.)
        someone_in = CallJoin.objects.filter(call=OuterRef("pk"), left_at__isnull=True)
        ongoing = (
            Call.objects.filter(mentorship=mentorship, kind=CallKind.INSTANT)
            .filter(
                Exists(someone_in) | Q(started_at__isnull=True, created_at__gte=now - RINGS_FOR)
            )
            .order_by("-pk")
            .first()
        )
        if ongoing is not None:
            return ongoing
        status = selectors.call_now_status(mentorship=mentorship, user=by, now=now)
        if not status.is_available:
            raise ValidationError(status.note, code="unavailable")
        rate_limit_check(
            key=f"calls:now:{by.pk}",
            limit=CALL_NOW_LIMIT,
            window_seconds=CALL_NOW_WINDOW_SECONDS,
            message="You have started several calls just now; wait a few minutes.",
        )
        call = Call.objects.create(mentorship=mentorship, kind=CallKind.INSTANT, started_by=by)
        realtime.publish(
            [person.pk for person in status.reachable],
            {
                "type": "call.ringing",
                "room": call.room,
                "url": room_url(call),
                "caller": _name(by),
                "mentorship": mentorship.pk,
            },
        )
    return call


def call_decline(*, call: Call, by: Any) -> None:
    """Say "not now" to a ringing call: the caller learns that, and nothing more."""
    if not selectors.is_participant(mentorship=call.mentorship, user=by):
        raise NotFoundError("No such call.")
    if call.kind != CallKind.INSTANT or call.started_by_id is None or call.started_by_id == by.pk:
        raise ValidationError("There is no call to decline.")
    realtime.publish(
        [call.started_by_id], {"type": "call.declined", "room": call.room, "name": _name(by)}
    )


# Joining and leaving ------------------------------------------------------------------------


@dataclass(frozen=True)
class Joined:
    call: Call
    join: CallJoin
    peers: list[selectors.Peer]


def _peer_event(join: CallJoin, user: Any) -> dict[str, Any]:
    return {"peer": join.peer, "user": join.user_id, "name": _name(user)}


def call_join(
    *, room: str, user: Any, peer: str, channel_name: str, now: dt.datetime | None = None
) -> Joined:
    """Put this tab in the call; the others in the room are told.

    Refused (NotFoundError, and nothing changes) for anyone but the mentorship's current
    participants while it is active, and for a meeting whose room is not open;
    CallFullError past MAX_PEERS tabs. A tab that rejoins with its peer id (after its
    socket dropped) replaces its earlier join.
    """
    now = now or timezone.now()
    if not isinstance(peer, str) or not PEER_PATTERN.match(peer):
        raise ValidationError("A peer id is 8 to 64 letters, digits, - or _.")
    with transaction.atomic():
        call = selectors.call_for_socket(room=room)
        if call is None or not selectors.may_call(mentorship=call.mentorship, user=user):
            raise NotFoundError("No such call.")
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.series_id is not None:
            series = MeetingSeries.objects.prefetch_related("changes").get(pk=call.series_id)
            _require_open_meeting(series, call.recurrence_id, now)
        open_joins = list(CallJoin.objects.filter(call=call, left_at__isnull=True))
        same_peer = [join for join in open_joins if join.peer == peer]
        if any(join.user_id != user.pk for join in same_peer):
            raise ValidationError("That peer id is taken.")
        for join in same_peer:
            join.left_at = max(now, join.joined_at)
            join.save(update_fields=["left_at"])
        if len(open_joins) - len(same_peer) >= MAX_PEERS:
            raise CallFullError(f"A call holds at most {MAX_PEERS} people.")
        join = CallJoin.objects.create(
            call=call, user=user, peer=peer, channel_name=channel_name, joined_at=now
        )
        fields = ["ended_at", "updated_at"]
        if call.started_at is None:
            call.started_at = now
            fields.append("started_at")
        call.ended_at = None
        call.save(update_fields=fields)
        peers = selectors.open_peers(call_id=call.pk, exclude_peer=peer)
        realtime.publish_to_sockets(
            [other.channel_name for other in peers],
            {
                "type": "call.peer_joined",
                "room": call.room,
                "peer": _peer_event(join, user),
                "rejoined": bool(same_peer),
            },
        )
    return Joined(call=call, join=join, peers=peers)


def _close_join(join: CallJoin, now: dt.datetime) -> None:
    join.left_at = max(now, join.joined_at)
    join.save(update_fields=["left_at"])


def _record(call: Call, now: dt.datetime) -> None:
    """Recompute the time held together; when the room empties, end and log the call."""
    joins = list(CallJoin.objects.filter(call=call))
    by_user: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for join in joins:
        by_user.setdefault(join.user_id, []).append((join.joined_at, join.left_at or now))
    call.held_seconds = int(selectors.time_together(by_user))
    is_empty = all(join.left_at is not None for join in joins)
    fields = ["held_seconds", "updated_at"]
    if is_empty:
        call.ended_at = now
        fields.append("ended_at")
    call.save(update_fields=fields)
    if not is_empty:
        return
    if call.series_id is not None and call.held_seconds >= HELD_AFTER_SECONDS:
        series = MeetingSeries.objects.get(pk=call.series_id)
        scheduling_services.log_from_call(
            series=series,
            recurrence_id=call.recurrence_id,
            minutes=max(1, round(call.held_seconds / 60)),
        )
    # Whoever is still being rung stops ringing.
    mentorship = Mentorship.objects.prefetch_related(current_members_prefetch()).get(
        pk=call.mentorship_id
    )
    realtime.publish(mentorship.participant_ids(), {"type": "call.ended", "room": call.room})


def call_leave(
    *,
    call_id: int,
    peer: str,
    user_id: int,
    reason: str = "left",
    now: dt.datetime | None = None,
) -> bool:
    """Take the tab out of the call; the others hear why ("left" or "disconnected")."""
    now = now or timezone.now()
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(pk=call_id).first()
        if call is None:
            return False
        join = CallJoin.objects.filter(
            call=call, peer=peer, user_id=user_id, left_at__isnull=True
        ).first()
        if join is None:
            return False
        _close_join(join, now)
        _record(call, now)
        others = selectors.open_peers(call_id=call.pk)
        realtime.publish_to_sockets(
            [other.channel_name for other in others],
            {"type": "call.peer_left", "room": call.room, "peer": peer, "reason": reason},
        )
    return True


def calls_leave_socket(*, channel_name: str, now: dt.datetime | None = None) -> int:
    """A socket closed: each call it was in hears that its tab disconnected."""
    joins = list(
        CallJoin.objects.filter(channel_name=channel_name, left_at__isnull=True).values_list(
            "call_id", "peer", "user_id"
        )
    )
    for call_id, peer, user_id in joins:
        call_leave(call_id=call_id, peer=peer, user_id=user_id, reason="disconnected", now=now)
    return len(joins)

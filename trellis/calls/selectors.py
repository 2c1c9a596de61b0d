"""Reads for calls: who may be in a room, who is there, and whether "call now" makes sense.

Only the mentorship's current participants (a pair, or a group's mentor and current
members) ever see a call: program managers and staff see the records in aggregate
elsewhere, never a room. An outsider asking for a room gets NotFoundError, as for a room
that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from trellis.calls.models import Call, CallJoin
from trellis.core.errors import NotFoundError
from trellis.core.presence import online_user_ids
from trellis.mentorships.models import Mentorship, MentorshipStatus
from trellis.mentorships.selectors import current_members_prefetch
from trellis.notifications.delivery import held_until

# A meeting's room opens this long before it starts and stays open this long after it ends.
OPENS_BEFORE = dt.timedelta(hours=1)
CLOSES_AFTER = dt.timedelta(hours=2)


def is_participant(*, mentorship: Mentorship, user: Any) -> bool:
    """One of the pair, or the group's mentor or a current member (not a manager)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.pk in mentorship.participant_ids()


def may_call(*, mentorship: Mentorship, user: Any) -> bool:
    """Whether user may be in a call of this mentorship now: a participant, while active."""
    return mentorship.status == MentorshipStatus.ACTIVE and is_participant(
        mentorship=mentorship, user=user
    )


def _calls() -> Any:
    return Call.objects.select_related(
        "mentorship__program",
        "mentorship__mentor__profile",
        "mentorship__mentee__profile",
        "series",
        "started_by",
    ).prefetch_related(current_members_prefetch("mentorship__"))


def call_for_room(*, room: str, user: Any) -> Call:
    """The call if user takes part in its mentorship now; NotFoundError otherwise."""
    call = _calls().filter(room=room).first() if isinstance(room, str) and room else None
    if call is None or not is_participant(mentorship=call.mentorship, user=user):
        raise NotFoundError("No such call.")
    return call


def call_for_socket(*, room: str) -> Call | None:
    """The call with its mentorship and people, for the signalling layer's own checks."""
    return _calls().filter(room=room).first()


@dataclass(frozen=True)
class Peer:
    peer: str
    user_id: int
    name: str
    channel_name: str


def open_peers(*, call_id: int, exclude_peer: str = "") -> list[Peer]:
    """The tabs in the call now (each person's every tab), in joining order."""
    joins = (
        CallJoin.objects.filter(call_id=call_id, left_at__isnull=True)
        .exclude(peer=exclude_peer)
        .select_related("user")
        .order_by("joined_at", "pk")
    )
    return [
        Peer(
            peer=join.peer,
            user_id=join.user_id,
            name=join.user.display_name or join.user.email,
            channel_name=join.channel_name,
        )
        for join in joins
    ]


def channel_of_peer(*, call_id: int, peer: str) -> str | None:
    """Where to relay to a peer in the call, or None when it is not in the call now."""
    return (
        CallJoin.objects.filter(call_id=call_id, peer=peer, left_at__isnull=True)
        .values_list("channel_name", flat=True)
        .first()
    )


@dataclass(frozen=True)
class CallNow:
    """Whether "call now" is offered, whom it would ring, and if not, why not."""

    is_available: bool
    reachable: list[Any] = field(default_factory=list)
    note: str = ""


def _name(user: Any) -> str:
    return str(user.display_name or user.email)


def call_now_status(
    *, mentorship: Mentorship, user: Any, now: dt.datetime | None = None
) -> CallNow:
    """ "Call now" rings the others who are online and inside their contact hours.

    In a pair it needs the partner to be both; in a group at least one other person.
    """
    if not may_call(mentorship=mentorship, user=user):
        return CallNow(False, note="Calls are open while the mentorship is active.")
    now = now or timezone.now()
    others = [person for person in mentorship.participants() if person.pk != user.pk]
    online = online_user_ids(user_ids=[person.pk for person in others], now=now)
    reachable = []
    outside_hours = []
    for person in others:
        if person.pk not in online:
            continue
        if held_until(recipient=person, now=now) is None:
            reachable.append(person)
        else:
            outside_hours.append(person)
    if reachable:
        return CallNow(True, reachable=reachable)
    if outside_hours:
        names = ", ".join(_name(person) for person in outside_hours)
        note = (
            f"{names} {'is' if len(outside_hours) == 1 else 'are'} online but outside the "
            "hours agreed for calls. Send a message or propose a time instead."
        )
    elif len(others) == 1:
        note = (
            f"{_name(others[0])} is not online right now. Send a message or propose a time instead."
        )
    else:
        note = "Nobody else in the group is online right now. Send a message or propose a time."
    return CallNow(False, note=note)


def time_together(intervals_by_user: dict[int, list[tuple[dt.datetime, dt.datetime]]]) -> float:
    """Seconds during which at least two different people were in the call.

    Each person's own intervals are merged first (two tabs of one person are one person).
    """
    events: list[tuple[dt.datetime, int]] = []
    for intervals in intervals_by_user.values():
        merged: list[list[dt.datetime]] = []
        for start, end in sorted(intervals):
            if end <= start:
                continue
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in merged:
            events += [(start, 1), (end, -1)]
    # Leaves before joins at the same instant: touching intervals do not overlap.
    events.sort(key=lambda item: (item[0], item[1]))
    together = 0.0
    present = 0
    since: dt.datetime | None = None
    for instant, change in events:
        if present >= 2 and since is not None:
            together += (instant - since).total_seconds()
        present += change
        since = instant
    return together


def call_records(*, call: Call) -> list[CallJoin]:
    """Who joined the call, when, and for how long, in joining order."""
    return list(call.joins.select_related("user").order_by("joined_at", "pk"))


def calls_of(*, mentorship: Mentorship, limit: int = 50) -> list[Call]:
    """The mentorship's latest calls with their joins (two queries whatever their number)."""
    return list(
        Call.objects.filter(mentorship=mentorship)
        .prefetch_related(
            Prefetch("joins", queryset=CallJoin.objects.select_related("user").order_by("pk"))
        )
        .order_by("-created_at", "-pk")[:limit]
    )

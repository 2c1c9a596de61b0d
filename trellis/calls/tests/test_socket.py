"""Call signalling on the live socket: joins, relays, refusals, disconnects, presence.

Sockets go through the real ASGI application (origin check, session cookie, auth) with
Channels' WebsocketCommunicator; each scenario runs on a fresh event loop in a thread of
its own with a fresh channel layer (trellis.messaging.tests.test_socket.run_scenario).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from trellis.accounts.tests.factories import StaffFactory
from trellis.calls import consumers as call_consumers
from trellis.calls.models import Call, CallJoin, CallKind
from trellis.core.models import OpenSocket
from trellis.mentorships.models import GroupLeaveReason, Mentorship, MentorshipStatus
from trellis.mentorships.services import group_leave
from trellis.messaging.tests.test_socket import cookie_for, opened, run_scenario
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.recurrence import format_recurrence_id
from trellis.scheduling.tests.helpers import (
    berlin_new_york_pair,
    berlin_new_york_tokyo_group,
    group_people,
)

pytestmark = pytest.mark.django_db(transaction=True)

MENTOR_PEER = "mentor-tab-0001"
MENTEE_PEER = "mentee-tab-0001"
STUN = ["stun:stun.example.org:3478"]
TURN = ["turns:turn.example.org:5349"]
OFFER = {"type": "offer", "sdp": "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"}
CANDIDATE = {
    "candidate": "candidate:842163049 1 udp 1677729535 192.0.2.3 46154 typ srflx",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "EsEw",
}
QUIET = 0.3  # seconds to wait for a frame that must not come


@pytest.fixture(autouse=True)
def ice_settings(settings: Any) -> None:
    settings.CALLS_STUN_URLS = STUN
    settings.CALLS_TURN_URLS = TURN
    settings.CALLS_TURN_SECRET = "socket-test-secret"
    settings.CALLS_TURN_TTL_SECONDS = 3600


@pytest.fixture
def world() -> dict[str, Any]:
    """Mara and Noah's call; the other pair's mentor, managers and staff around it."""
    pair = berlin_new_york_pair()
    other_pair = berlin_new_york_pair(program=pair.program)
    manager = ProfileFactory().user
    pair.program.managers.add(manager)
    other_manager = ProfileFactory().user
    ProgramFactory().managers.add(other_manager)
    people = {
        "mentor": pair.mentor,
        "mentee": pair.mentee,
        "other_mentor": other_pair.mentor,
        "manager": manager,
        "other_manager": other_manager,
        "staff": StaffFactory(),
    }
    call = Call.objects.create(mentorship=pair, kind=CallKind.INSTANT, started_by=pair.mentor)
    return {
        "pair": pair,
        "call": call,
        "room": call.room,
        "people": people,
        "cookies": {role: cookie_for(person) for role, person in people.items()},
    }


async def join(
    communicator: WebsocketCommunicator, room: str, peer: str, **extra: Any
) -> dict[str, Any]:
    await communicator.send_json_to({"type": "call.join", "room": room, "peer": peer, **extra})
    reply = await communicator.receive_json_from(timeout=5)
    assert reply["type"] == "call.joined", reply
    return reply


async def both_in(world: dict[str, Any]) -> tuple[WebsocketCommunicator, WebsocketCommunicator]:
    """Mara's and Noah's sockets, both in the room, with the join news read."""
    mentor = await opened(world["cookies"]["mentor"])
    mentee = await opened(world["cookies"]["mentee"])
    await join(mentor, world["room"], MENTOR_PEER)
    await join(mentee, world["room"], MENTEE_PEER)
    assert (await mentor.receive_json_from(timeout=5))["type"] == "call.peer_joined"
    return mentor, mentee


def refusal(code: str, room: Any) -> dict[str, Any]:
    """An error frame without its human message (asserted on where it matters)."""
    return {"type": "error", "client_key": None, "code": code, "room": room}


def without_message(frame: dict[str, Any]) -> dict[str, Any]:
    assert isinstance(frame.get("message"), str)
    assert frame["message"]
    return {key: value for key, value in frame.items() if key != "message"}


def open_joins(call: Call) -> list[tuple[int, str]]:
    return list(
        CallJoin.objects.filter(call=call, left_at__isnull=True)
        .order_by("pk")
        .values_list("user_id", "peer")
    )


# --- Joining ----------------------------------------------------------------------------------


def test_two_people_join_and_hear_of_each_other(world):
    mentor_user, mentee_user = world["people"]["mentor"], world["people"]["mentee"]
    room = world["room"]

    async def scenario() -> None:
        mentor = await opened(world["cookies"]["mentor"])
        mentee = await opened(world["cookies"]["mentee"])
        try:
            first = await join(mentor, room, MENTOR_PEER)
            assert (first["room"], first["peer"], first["call"], first["peers"]) == (
                room,
                MENTOR_PEER,
                world["call"].pk,
                [],
            )
            stun, turn = first["ice_servers"]
            assert stun == {"urls": STUN}
            assert turn["urls"] == TURN
            assert turn["username"] == f"{first['expires_at']}:{mentor_user.pk}"
            assert turn["credential"]

            second = await join(mentee, room, MENTEE_PEER)
            assert second["peers"] == [
                {"peer": MENTOR_PEER, "user": mentor_user.pk, "name": "Mara"}
            ]
            assert second["ice_servers"][1]["username"].endswith(f":{mentee_user.pk}")

            assert await mentor.receive_json_from(timeout=5) == {
                "type": "call.peer_joined",
                "room": room,
                "peer": {"peer": MENTEE_PEER, "user": mentee_user.pk, "name": "Noah"},
                "rejoined": False,
            }
            assert await mentor.receive_nothing(timeout=QUIET) is True
            assert await mentee.receive_nothing(timeout=0.1) is True
        finally:
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)

    # Both sockets closed: both tabs left, and the call ended.
    call = Call.objects.get()
    assert open_joins(call) == []
    assert sorted(CallJoin.objects.values_list("user_id", "peer")) == sorted(
        [(mentor_user.pk, MENTOR_PEER), (mentee_user.pk, MENTEE_PEER)]
    )
    assert call.ended_at is not None


# --- Relaying ---------------------------------------------------------------------------------


def test_an_offer_an_answer_and_candidates_reach_the_named_peer_only_with_known_fields(world):
    room = world["room"]

    async def scenario() -> None:
        mentor, mentee = await both_in(world)
        try:
            await mentee.send_json_to(
                {
                    "type": "call.signal",
                    "room": room,
                    "to": MENTOR_PEER,
                    "from": "spoofed-peer-id",
                    "description": {**OFFER, "script": "<img src=x onerror=alert(1)>"},
                    "html": "<b>not relayed</b>",
                    "user": 999,
                }
            )
            assert await mentor.receive_json_from(timeout=5) == {
                "type": "call.signal",
                "room": room,
                "from": MENTEE_PEER,
                "description": OFFER,
            }
            assert await mentee.receive_nothing(timeout=QUIET) is True

            answer = {"type": "answer", "sdp": "v=0\r\nanswer\r\n"}
            await mentor.send_json_to(
                {"type": "call.signal", "room": room, "to": MENTEE_PEER, "description": answer}
            )
            assert await mentee.receive_json_from(timeout=5) == {
                "type": "call.signal",
                "room": room,
                "from": MENTOR_PEER,
                "description": answer,
            }

            await mentor.send_json_to(
                {
                    "type": "call.signal",
                    "room": room,
                    "to": MENTEE_PEER,
                    "candidate": {**CANDIDATE, "relayProtocol": "udp", "extra": [1, 2]},
                }
            )
            assert await mentee.receive_json_from(timeout=5) == {
                "type": "call.signal",
                "room": room,
                "from": MENTOR_PEER,
                "candidate": CANDIDATE,
            }
            # The end of candidates: an empty candidate line with nothing else.
            await mentee.send_json_to(
                {"type": "call.signal", "room": room, "to": MENTOR_PEER, "candidate": {}}
            )
            assert await mentor.receive_json_from(timeout=5) == {
                "type": "call.signal",
                "room": room,
                "from": MENTEE_PEER,
                "candidate": {
                    "candidate": "",
                    "sdpMid": None,
                    "sdpMLineIndex": None,
                    "usernameFragment": None,
                },
            }
            assert await mentor.receive_nothing(timeout=QUIET) is True
            assert await mentee.receive_nothing(timeout=0.1) is True
        finally:
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)


def test_a_signal_to_a_peer_not_in_the_call_or_to_oneself_is_peer_gone(world):
    room = world["room"]

    async def scenario() -> None:
        mentor, mentee = await both_in(world)
        try:
            for target in ("nobody-here-1", MENTEE_PEER):
                await mentee.send_json_to(
                    {"type": "call.signal", "room": room, "to": target, "description": OFFER}
                )
                assert without_message(await mentee.receive_json_from(timeout=5)) == refusal(
                    "peer_gone", room
                )
            assert await mentor.receive_nothing(timeout=QUIET) is True
        finally:
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)


def test_mute_and_camera_state_reach_the_others_with_the_four_flags_only(world):
    room = world["room"]

    async def scenario() -> None:
        mentor, mentee = await both_in(world)
        try:
            await mentee.send_json_to(
                {
                    "type": "call.state",
                    "room": room,
                    "state": {"muted": True, "screen": True, "name": "Evil", "volume": 11},
                    "extra": "dropped",
                }
            )
            assert await mentor.receive_json_from(timeout=5) == {
                "type": "call.state",
                "room": room,
                "peer": MENTEE_PEER,
                "state": {"muted": True, "camera_off": False, "audio_only": False, "screen": True},
            }
            assert await mentee.receive_nothing(timeout=QUIET) is True
        finally:
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)


def test_a_socket_relaying_too_much_is_slowed_down(world, monkeypatch):
    monkeypatch.setattr(call_consumers, "RELAY_LIMIT", 3)
    room = world["room"]
    state = {"type": "call.state", "room": room, "state": {"muted": True}}

    async def scenario() -> None:
        mentor, mentee = await both_in(world)
        try:
            for _ in range(3):
                await mentee.send_json_to(state)
                assert (await mentor.receive_json_from(timeout=5))["type"] == "call.state"
            await mentee.send_json_to(state)
            assert without_message(await mentee.receive_json_from(timeout=5)) == refusal(
                "rate_limited", room
            )
            assert await mentor.receive_nothing(timeout=QUIET) is True
            # Leaving is never held back.
            await mentee.send_json_to({"type": "call.leave", "room": room})
            assert (await mentee.receive_json_from(timeout=5))["type"] == "call.left"
        finally:
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)


# --- Refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["other_mentor", "manager", "other_manager", "staff"])
def test_a_join_by_anyone_else_is_refused_logged_and_reaches_nobody(world, role, caplog):
    room = world["room"]
    intruder_user = world["people"][role]

    async def scenario() -> None:
        mentor, mentee = await both_in(world)
        intruder = await opened(world["cookies"][role])
        try:
            await intruder.send_json_to({"type": "call.join", "room": room, "peer": "intruder-01"})
            answer = await intruder.receive_json_from(timeout=5)
            assert answer == {
                "type": "error",
                "client_key": None,
                "code": "call_refused",
                "message": "You are not one of the people in this call.",
                "room": room,
            }
            # Having been refused, it is not in the call: nothing it sends is relayed.
            await intruder.send_json_to(
                {"type": "call.signal", "room": room, "to": MENTOR_PEER, "description": OFFER}
            )
            assert without_message(await intruder.receive_json_from(timeout=5)) == refusal(
                "not_in_call", room
            )
            assert await mentor.receive_nothing(timeout=QUIET) is True
            assert await mentee.receive_nothing(timeout=0.1) is True
        finally:
            await intruder.disconnect()
            await mentor.disconnect()
            await mentee.disconnect()

    with caplog.at_level(logging.WARNING, logger="trellis.calls"):
        run_scenario(scenario)

    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.name == "trellis.calls" and record.levelno == logging.WARNING
    ]
    assert warnings == [f"call join refused: user {intruder_user.pk} is not in room {room}"]
    assert not CallJoin.objects.filter(user=intruder_user).exists()


def test_an_outsider_naming_the_room_without_joining_gets_not_in_call(world):
    room = world["room"]

    async def scenario() -> None:
        mentor, mentee = await both_in(world)
        outsider = await opened(world["cookies"]["other_mentor"])
        try:
            for frame in (
                {"type": "call.signal", "room": room, "to": MENTOR_PEER, "description": OFFER},
                {"type": "call.signal", "room": room, "to": MENTEE_PEER, "candidate": CANDIDATE},
                {"type": "call.state", "room": room, "state": {"muted": True}},
                {"type": "call.leave", "room": room},
            ):
                await outsider.send_json_to(frame)
                assert without_message(await outsider.receive_json_from(timeout=5)) == refusal(
                    "not_in_call", room
                )
            assert await mentor.receive_nothing(timeout=QUIET) is True
            assert await mentee.receive_nothing(timeout=0.1) is True
        finally:
            await outsider.disconnect()
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)


def test_a_room_that_does_not_exist_is_refused_like_someone_elses(world):
    async def scenario() -> None:
        mentee = await opened(world["cookies"]["mentee"])
        try:
            await mentee.send_json_to({"type": "call.join", "room": "f" * 32, "peer": MENTEE_PEER})
            assert without_message(await mentee.receive_json_from(timeout=5)) == refusal(
                "call_refused", "f" * 32
            )
        finally:
            await mentee.disconnect()

    run_scenario(scenario)

    assert CallJoin.objects.count() == 0


def test_a_paused_mentorship_refuses_its_own_people(world):
    Mentorship.objects.filter(pk=world["pair"].pk).update(status=MentorshipStatus.PAUSED)
    room = world["room"]

    async def scenario() -> None:
        mentor = await opened(world["cookies"]["mentor"])
        try:
            await mentor.send_json_to({"type": "call.join", "room": room, "peer": MENTOR_PEER})
            assert without_message(await mentor.receive_json_from(timeout=5)) == refusal(
                "call_refused", room
            )
        finally:
            await mentor.disconnect()

    run_scenario(scenario)

    assert CallJoin.objects.count() == 0


def test_a_member_who_left_the_group_is_refused():
    group = berlin_new_york_tokyo_group()
    people = group_people(group)
    group_leave(mentorship=group, by=people["kenji"], reason=GroupLeaveReason.OTHER, note="Bye")
    call = Call.objects.create(mentorship=group, kind=CallKind.INSTANT, started_by=group.mentor)
    noah_cookie, kenji_cookie = cookie_for(people["noah"]), cookie_for(people["kenji"])

    async def scenario() -> None:
        noah = await opened(noah_cookie)
        kenji = await opened(kenji_cookie)
        try:
            await join(noah, call.room, "noah-tab-0001")
            await kenji.send_json_to(
                {"type": "call.join", "room": call.room, "peer": "kenji-tab-1"}
            )
            assert without_message(await kenji.receive_json_from(timeout=5)) == refusal(
                "call_refused", call.room
            )
            assert await noah.receive_nothing(timeout=QUIET) is True
        finally:
            await noah.disconnect()
            await kenji.disconnect()

    run_scenario(scenario)

    assert list(CallJoin.objects.values_list("user_id", flat=True)) == [people["noah"].pk]


def test_a_meetings_room_that_has_closed_refuses_the_join(world):
    pair = world["pair"]
    # Yesterday's meeting (in UTC): its room closed two hours after it ended.
    start = (timezone.now() - dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    series = MeetingSeries.objects.create(
        mentorship=pair,
        organiser=pair.mentor,
        time_zone="UTC",
        start_date=start.date(),
        start_time=start.time(),
        duration_minutes=60,
    )
    call = Call.objects.create(
        mentorship=pair,
        kind=CallKind.MEETING,
        series=series,
        recurrence_id=format_recurrence_id(start),
        started_by=pair.mentor,
    )

    async def scenario() -> None:
        mentor = await opened(world["cookies"]["mentor"])
        try:
            await mentor.send_json_to({"type": "call.join", "room": call.room, "peer": MENTOR_PEER})
            answer = await mentor.receive_json_from(timeout=5)
            assert without_message(answer) == refusal("call_closed", call.room)
            assert answer["message"] == "This meeting is over; its room has closed."
        finally:
            await mentor.disconnect()

    run_scenario(scenario)

    assert CallJoin.objects.count() == 0


MALFORMED = [
    pytest.param({"type": "call.join", "peer": "mentee-tab-0002"}, None, id="join-no-room"),
    pytest.param({"type": "call.join", "room": 7, "peer": "mentee-tab-0002"}, None, id="room-int"),
    # Not a room id: the error does not echo back what is too long to be one.
    pytest.param({"type": "call.join", "room": "R" * 65, "peer": "x" * 8}, None, id="room-long"),
    pytest.param({"type": "call.join", "room": "ROOM"}, "ROOM", id="join-no-peer"),
    pytest.param({"type": "call.join", "room": "ROOM", "peer": "short"}, "ROOM", id="peer-short"),
    pytest.param(
        {"type": "call.join", "room": "ROOM", "peer": "a b/c;d e"}, "ROOM", id="peer-chars"
    ),
    pytest.param(
        {"type": "call.signal", "to": MENTOR_PEER, "description": OFFER}, None, id="no-room"
    ),
    pytest.param({"type": "call.signal", "room": "ROOM", "description": OFFER}, "ROOM", id="no-to"),
    pytest.param(
        {"type": "call.signal", "room": "ROOM", "to": MENTOR_PEER}, "ROOM", id="nothing-to-relay"
    ),
    pytest.param(
        {
            "type": "call.signal",
            "room": "ROOM",
            "to": MENTOR_PEER,
            "description": {"type": "pranswer", "sdp": "v=0"},
        },
        "ROOM",
        id="pranswer",
    ),
    pytest.param(
        {
            "type": "call.signal",
            "room": "ROOM",
            "to": MENTOR_PEER,
            "description": {"type": "offer", "sdp": 12},
        },
        "ROOM",
        id="sdp-not-a-string",
    ),
    pytest.param(
        {"type": "call.signal", "room": "ROOM", "to": MENTOR_PEER, "description": "v=0"},
        "ROOM",
        id="description-string",
    ),
    pytest.param(
        {
            "type": "call.signal",
            "room": "ROOM",
            "to": MENTOR_PEER,
            "description": {"type": "offer", "sdp": "x" * 60_001},
        },
        "ROOM",
        id="sdp-too-long",
    ),
    pytest.param(
        {
            "type": "call.signal",
            "room": "ROOM",
            "to": MENTOR_PEER,
            "candidate": {**CANDIDATE, "sdpMLineIndex": True},
        },
        "ROOM",
        id="index-bool",
    ),
    pytest.param(
        {
            "type": "call.signal",
            "room": "ROOM",
            "to": MENTOR_PEER,
            "candidate": {**CANDIDATE, "sdpMLineIndex": 256},
        },
        "ROOM",
        id="index-too-big",
    ),
    pytest.param(
        {
            "type": "call.signal",
            "room": "ROOM",
            "to": MENTOR_PEER,
            "candidate": {**CANDIDATE, "sdpMid": 0},
        },
        "ROOM",
        id="mid-number",
    ),
    pytest.param(
        {"type": "call.signal", "room": "ROOM", "to": MENTOR_PEER, "candidate": ["a"]},
        "ROOM",
        id="candidate-list",
    ),
    pytest.param(
        {"type": "call.state", "room": "ROOM", "state": {"muted": "yes"}},
        "ROOM",
        id="flag-not-bool",
    ),
    pytest.param(
        {"type": "call.state", "room": "ROOM", "state": {"camera_off": 1}},
        "ROOM",
        id="flag-number",
    ),
    pytest.param({"type": "call.state", "room": "ROOM", "state": True}, "ROOM", id="state-bool"),
    pytest.param({"type": "call.state", "room": "ROOM"}, "ROOM", id="no-state"),
]


@pytest.mark.parametrize(("frame", "room_in_error"), MALFORMED)
def test_a_malformed_call_frame_is_refused_and_relays_nothing(world, frame, room_in_error):
    room = world["room"]
    frame = {key: room if value == "ROOM" else value for key, value in frame.items()}
    expected_room = room if room_in_error == "ROOM" else room_in_error

    async def scenario() -> None:
        mentor, mentee = await both_in(world)
        try:
            await mentee.send_json_to(frame)
            answer = await mentee.receive_json_from(timeout=5)
            assert without_message(answer) == refusal("malformed", expected_room)
            assert await mentor.receive_nothing(timeout=QUIET) is True
            # The socket stays open and in the call.
            await mentee.send_json_to(
                {"type": "call.state", "room": room, "state": {"muted": True}}
            )
            assert (await mentor.receive_json_from(timeout=5))["state"]["muted"] is True
        finally:
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)

    assert sorted(CallJoin.objects.values_list("peer", flat=True)) == [MENTEE_PEER, MENTOR_PEER]


# --- Leaving, dropping and coming back -----------------------------------------------------------


def test_leaving_tells_the_others_and_ends_relaying(world):
    room = world["room"]
    call = world["call"]
    mentee_user = world["people"]["mentee"]

    async def scenario() -> None:
        mentor, mentee = await both_in(world)
        try:
            await mentee.send_json_to({"type": "call.leave", "room": room})
            assert await mentee.receive_json_from(timeout=5) == {"type": "call.left", "room": room}
            assert await mentor.receive_json_from(timeout=5) == {
                "type": "call.peer_left",
                "room": room,
                "peer": MENTEE_PEER,
                "reason": "left",
            }
            assert await database_sync_to_async(open_joins)(call) == [
                (world["people"]["mentor"].pk, MENTOR_PEER)
            ]
            # Out of the call, nothing it sends is relayed any more.
            await mentee.send_json_to(
                {"type": "call.signal", "room": room, "to": MENTOR_PEER, "description": OFFER}
            )
            assert without_message(await mentee.receive_json_from(timeout=5)) == refusal(
                "not_in_call", room
            )
            # Nor is anything sent to it.
            await mentor.send_json_to(
                {"type": "call.signal", "room": room, "to": MENTEE_PEER, "description": OFFER}
            )
            assert without_message(await mentor.receive_json_from(timeout=5)) == refusal(
                "peer_gone", room
            )
            assert await mentee.receive_nothing(timeout=QUIET) is True
        finally:
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)

    left = CallJoin.objects.get(user=mentee_user)
    assert left.left_at is not None


def test_a_dropped_socket_is_announced_and_the_tab_comes_back_with_its_peer_id(world):
    room = world["room"]
    call = world["call"]
    mentor_id, mentee_id = world["people"]["mentor"].pk, world["people"]["mentee"].pk

    async def scenario() -> None:
        mentor, mentee = await both_in(world)
        try:
            await mentee.disconnect()
            assert await mentor.receive_json_from(timeout=5) == {
                "type": "call.peer_left",
                "room": room,
                "peer": MENTEE_PEER,
                "reason": "disconnected",
            }
            assert await database_sync_to_async(open_joins)(call) == [(mentor_id, MENTOR_PEER)]

            mentee = await opened(world["cookies"]["mentee"])
            back = await join(mentee, room, MENTEE_PEER)
            assert back["peers"] == [{"peer": MENTOR_PEER, "user": mentor_id, "name": "Mara"}]
            assert await mentor.receive_json_from(timeout=5) == {
                "type": "call.peer_joined",
                "room": room,
                "peer": {"peer": MENTEE_PEER, "user": mentee_id, "name": "Noah"},
                "rejoined": False,
            }
            # The new socket is the one relayed to.
            await mentor.send_json_to(
                {"type": "call.signal", "room": room, "to": MENTEE_PEER, "description": OFFER}
            )
            assert (await mentee.receive_json_from(timeout=5))["from"] == MENTOR_PEER
        finally:
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)

    assert list(
        CallJoin.objects.filter(user_id=mentee_id).order_by("pk").values_list("peer", flat=True)
    ) == [MENTEE_PEER, MENTEE_PEER]
    assert not CallJoin.objects.filter(left_at__isnull=True).exists()


def test_a_tab_back_before_its_old_socket_closed_replaces_it_quietly(world):
    room = world["room"]
    call = world["call"]
    mentee_id = world["people"]["mentee"].pk

    async def scenario() -> None:
        mentor, old = await both_in(world)
        new = await opened(world["cookies"]["mentee"])
        try:
            await join(new, room, MENTEE_PEER)
            announced = await mentor.receive_json_from(timeout=5)
            assert (announced["type"], announced["rejoined"]) == ("call.peer_joined", True)
            # The old socket's close finds its join already replaced: no "left" for it.
            await old.disconnect()
            assert await mentor.receive_nothing(timeout=QUIET) is True
            joins = await database_sync_to_async(open_joins)(call)
            assert (mentee_id, MENTEE_PEER) in joins
            await mentor.send_json_to(
                {"type": "call.signal", "room": room, "to": MENTEE_PEER, "description": OFFER}
            )
            assert (await new.receive_json_from(timeout=5))["from"] == MENTOR_PEER
        finally:
            await mentor.disconnect()
            await new.disconnect()

    run_scenario(scenario)


# --- Presence -----------------------------------------------------------------------------------


def test_an_open_socket_makes_a_person_online_until_it_closes(world):
    mentee_id = world["people"]["mentee"].pk

    def rows() -> list[int]:
        return list(OpenSocket.objects.values_list("user_id", flat=True))

    async def scenario() -> None:
        first = await opened(world["cookies"]["mentee"])
        second = await opened(world["cookies"]["mentee"])
        assert await database_sync_to_async(rows)() == [mentee_id, mentee_id]
        await first.disconnect()
        assert await database_sync_to_async(rows)() == [mentee_id]
        await second.disconnect()
        assert await database_sync_to_async(rows)() == []

    run_scenario(scenario)

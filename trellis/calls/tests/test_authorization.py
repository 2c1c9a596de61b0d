"""Who reaches a call, over roles: the pages, and the API at /api/v1/.

Only the mentorship's current participants ever see a room or its record. Everyone else
gets 404 as for a room that does not exist; a program's manager or staff, who may see the
mentorship's meetings, get 403 where they reach a meeting, and never a call. A refusal
creates nothing and rings nobody.
"""

from __future__ import annotations

import datetime as dt
import json
import types
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from trellis.accounts.tests.factories import StaffFactory
from trellis.calls import services
from trellis.calls.models import Call, CallJoin, CallKind
from trellis.core import presence, realtime
from trellis.mentorships.models import GroupLeaveReason, Mentorship, MentorshipStatus
from trellis.mentorships.services import group_leave
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.tests.helpers import (
    berlin_new_york_pair,
    berlin_new_york_tokyo_group,
    group_people,
    meeting_in,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "mentor", "mentee", "other_mentor", "manager", "other_manager", "staff"]
PARTICIPANTS = {"mentor", "mentee"}
# Managers of this program and staff see the mentorship's meetings, never its calls.
MEETING_READERS = {"manager", "staff"}


@pytest.fixture
def world() -> dict[str, Any]:
    pair = berlin_new_york_pair()
    other_pair = berlin_new_york_pair(program=pair.program)
    manager = ProfileFactory().user
    pair.program.managers.add(manager)
    other_manager = ProfileFactory().user
    ProgramFactory().managers.add(other_manager)
    return {
        "pair": pair,
        "anonymous": None,
        "mentor": pair.mentor,
        "mentee": pair.mentee,
        "other_mentor": other_pair.mentor,
        "manager": manager,
        "other_manager": other_manager,
        "staff": StaffFactory(),
    }


@pytest.fixture
def group_world() -> dict[str, Any]:
    """Mara's group: Noah is a member, Kenji has left it."""
    group = berlin_new_york_tokyo_group()
    people = group_people(group)
    group_leave(mentorship=group, by=people["kenji"], reason=GroupLeaveReason.OTHER, note="Bye")
    group.refresh_from_db()
    return {"group": group, **people}


def sign_in(client: Any, user: Any) -> None:
    if user is not None:
        client.force_login(user)


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.fixture
def sent(monkeypatch) -> list[tuple[list[int], dict[str, Any]]]:
    events: list[tuple[list[int], dict[str, Any]]] = []
    monkeypatch.setattr(
        realtime, "send_now", lambda ids, event: events.append((sorted(ids), event))
    )
    return events


def instant_call(mentorship: Mentorship, **fields: Any) -> Call:
    return Call.objects.create(
        mentorship=mentorship, kind=CallKind.INSTANT, started_by=mentorship.mentor, **fields
    )


def online(*users: Any) -> None:
    for user in users:
        presence.socket_opened(user_id=user.pk, channel_name=f"test.socket.{user.pk}")


def snapshot() -> tuple[list[Any], list[Any]]:
    calls = list(Call.objects.order_by("pk").values_list("pk", "started_at", "ended_at"))
    joins = list(CallJoin.objects.order_by("pk").values_list("pk", "left_at"))
    return calls, joins


# --- The room page --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_room_page_by_role(client, world, role):
    call = instant_call(world["pair"])
    sign_in(client, world[role])

    response = client.get(f"/calls/{call.room}/")

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in PARTICIPANTS:
        assert response.status_code == 200
        assert response.context["call"].pk == call.pk
    else:
        assert response.status_code == 404
        assert call.room not in response.content.decode()


def test_the_room_page_of_a_group_is_for_its_current_members(client, group_world):
    call = instant_call(group_world["group"])

    client.force_login(group_world["noah"])
    assert client.get(f"/calls/{call.room}/").status_code == 200
    client.force_login(group_world["kenji"])
    assert client.get(f"/calls/{call.room}/").status_code == 404


def test_a_room_that_does_not_exist_is_not_found(client, world):
    client.force_login(world["mentor"])

    assert client.get(f"/calls/{'0' * 32}/").status_code == 404


def test_the_room_of_a_paused_mentorship_sends_its_people_back_to_it(client, world):
    pair = world["pair"]
    call = instant_call(pair)
    Mentorship.objects.filter(pk=pair.pk).update(status=MentorshipStatus.PAUSED)
    client.force_login(world["mentee"])

    response = client.get(f"/calls/{call.room}/")

    assert (response.status_code, response.url) == (302, f"/mentorships/{pair.pk}/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Calls are open while the mentorship is active."
    ]


# --- A meeting's room -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_opening_a_meetings_room_by_role(client, world, role):
    series, recurrence_id = meeting_in(world["pair"], dt.timedelta(minutes=30))
    sign_in(client, world[role])

    response = client.get(f"/meetings/{series.pk}/{recurrence_id}/call/")

    if role in PARTICIPANTS:
        call = Call.objects.get()
        assert (response.status_code, response.url) == (302, f"/calls/{call.room}/")
        assert (call.series_id, call.recurrence_id) == (series.pk, recurrence_id)
        return
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in MEETING_READERS:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    assert Call.objects.count() == 0


def test_both_people_are_sent_to_the_same_room(client, world):
    series, recurrence_id = meeting_in(world["pair"], dt.timedelta(minutes=-10))
    url = f"/meetings/{series.pk}/{recurrence_id}/call/"

    client.force_login(world["mentee"])
    first = client.get(url)
    client.force_login(world["mentor"])
    second = client.get(url)

    assert first.url == second.url == f"/calls/{Call.objects.get().room}/"


@pytest.mark.parametrize(
    ("starts_in", "reason"),
    [
        pytest.param(
            dt.timedelta(hours=3), "The room opens an hour before the meeting starts.", id="early"
        ),
        pytest.param(
            dt.timedelta(hours=-4), "This meeting is over; its room has closed.", id="late"
        ),
    ],
)
def test_a_meetings_room_that_is_not_open_says_why(client, world, starts_in, reason):
    series, recurrence_id = meeting_in(world["pair"], starts_in)
    client.force_login(world["mentor"])

    response = client.get(f"/meetings/{series.pk}/{recurrence_id}/call/")

    assert response.status_code == 409
    assert response.context["reasons"] == [reason]
    assert Call.objects.count() == 0


def test_a_member_who_left_the_group_cannot_open_its_meetings_room(client, group_world):
    series, recurrence_id = meeting_in(group_world["group"], dt.timedelta(minutes=5))
    url = f"/meetings/{series.pk}/{recurrence_id}/call/"

    client.force_login(group_world["kenji"])
    assert client.get(url).status_code == 404
    assert Call.objects.count() == 0

    client.force_login(group_world["noah"])
    assert client.get(url).status_code == 302
    assert Call.objects.count() == 1


# --- Call now (page) --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_call_now_by_role(client, world, role, sent, django_capture_on_commit_callbacks):
    pair = world["pair"]
    online(world["mentor"], world["mentee"])
    sign_in(client, world[role])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/mentorships/{pair.pk}/call-now/")

    if role in PARTICIPANTS:
        call = Call.objects.get()
        assert (response.status_code, response.url) == (302, f"/calls/{call.room}/")
        partner = world["mentee" if role == "mentor" else "mentor"]
        assert [(ids, event["type"]) for ids, event in sent] == [([partner.pk], "call.ringing")]
        return
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in MEETING_READERS:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    assert Call.objects.count() == 0
    assert sent == []


def test_call_now_when_the_partner_is_offline_says_so_and_creates_nothing(client, world, sent):
    pair = world["pair"]
    client.force_login(world["mentor"])

    response = client.post(f"/mentorships/{pair.pk}/call-now/")

    assert (response.status_code, response.url) == (302, f"/mentorships/{pair.pk}/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Noah is not online right now. Send a message or propose a time instead."
    ]
    assert Call.objects.count() == 0
    assert sent == []


def test_call_now_is_a_post(client, world):
    online(world["mentee"])
    client.force_login(world["mentor"])

    assert client.get(f"/mentorships/{world['pair'].pk}/call-now/").status_code == 405
    assert Call.objects.count() == 0


def test_a_member_who_left_the_group_cannot_ring_it(client, group_world):
    online(group_world["mentor"], group_world["noah"])
    client.force_login(group_world["kenji"])

    response = client.post(f"/mentorships/{group_world['group'].pk}/call-now/")

    assert response.status_code == 404
    assert Call.objects.count() == 0


# --- Not now -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_declining_by_role(client, world, role, sent, django_capture_on_commit_callbacks):
    pair = world["pair"]
    call = instant_call(pair)
    sign_in(client, world[role])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/calls/{call.room}/decline/", headers={"X-Requested-With": "fetch"}
        )

    if role == "mentee":
        assert response.status_code == 204
        assert sent == [
            ([pair.mentor_id], {"type": "call.declined", "room": call.room, "name": "Noah"})
        ]
        return
    if role == "mentor":
        # The caller has nothing to decline: nothing is said.
        assert response.status_code == 204
    elif role == "anonymous":
        assert is_login_redirect(response)
    else:
        assert response.status_code == 404
    assert sent == []


def test_declining_from_a_form_goes_back_to_the_mentorship(client, world, sent):
    call = instant_call(world["pair"])
    client.force_login(world["mentee"])

    response = client.post(f"/calls/{call.room}/decline/")

    assert (response.status_code, response.url) == (302, f"/mentorships/{world['pair'].pk}/")


def test_a_member_who_left_cannot_decline(client, group_world, sent):
    call = instant_call(group_world["group"])
    client.force_login(group_world["kenji"])

    assert client.post(f"/calls/{call.room}/decline/").status_code == 404
    assert sent == []


# --- API: a call's record ---------------------------------------------------------------------


API_READ = {
    "anonymous": 401,
    "mentor": 200,
    "mentee": 200,
    "other_mentor": 404,
    "manager": 404,
    "other_manager": 404,
    "staff": 404,
}


@pytest.fixture
def held_call(world) -> Call:
    """Mara and Noah talked for ten minutes; Mara's tab reconnected once."""
    pair = world["pair"]
    start = timezone.now() - dt.timedelta(hours=1)
    call = instant_call(pair)

    def join(user: Any, peer: str, minute: int) -> None:
        services.call_join(
            room=call.room,
            user=user,
            peer=peer,
            channel_name=f"c.{peer}.{minute}",
            now=start + dt.timedelta(minutes=minute),
        )

    def leave(user: Any, peer: str, minute: int) -> None:
        services.call_leave(
            call_id=call.pk, peer=peer, user_id=user.pk, now=start + dt.timedelta(minutes=minute)
        )

    join(pair.mentor, "mentor-tab-1", 0)
    join(pair.mentee, "mentee-tab-1", 1)
    join(pair.mentor, "mentor-tab-1", 2)  # the same tab, back after its socket dropped
    leave(pair.mentee, "mentee-tab-1", 11)
    leave(pair.mentor, "mentor-tab-1", 11)
    call.refresh_from_db()
    return call


@pytest.mark.parametrize("role", list(API_READ))
def test_a_calls_record_by_role(client, world, held_call, role):
    sign_in(client, world[role])

    response = client.get(f"/api/v1/calls/{held_call.room}")

    assert response.status_code == API_READ[role]
    if response.status_code != 200:
        assert held_call.room not in response.content.decode()
        return
    body = response.json()
    assert {key: body[key] for key in ("room", "url", "kind", "mentorship_id", "meeting_id")} == {
        "room": held_call.room,
        "url": f"/calls/{held_call.room}/",
        "kind": "instant",
        "mentorship_id": world["pair"].pk,
        "meeting_id": None,
    }
    assert body["held_seconds"] == held_call.held_seconds == 600
    assert [(join["user_id"], join["name"], join["seconds"]) for join in body["joins"]] == [
        (world["mentor"].pk, "Mara", 120),
        (world["mentee"].pk, "Noah", 600),
        (world["mentor"].pk, "Mara", 540),
    ]


def test_a_member_who_left_no_longer_reads_the_groups_calls(client, group_world):
    call = instant_call(group_world["group"])
    group = group_world["group"]

    client.force_login(group_world["kenji"])
    assert client.get(f"/api/v1/calls/{call.room}").status_code == 404
    assert client.get(f"/api/v1/mentorships/{group.pk}/calls").status_code == 404

    client.force_login(group_world["noah"])
    assert client.get(f"/api/v1/calls/{call.room}").status_code == 200
    assert [c["room"] for c in client.get(f"/api/v1/mentorships/{group.pk}/calls").json()] == [
        call.room
    ]


@pytest.mark.parametrize("role", list(API_READ))
def test_a_mentorships_calls_by_role(client, world, held_call, role):
    newer = instant_call(world["pair"])
    sign_in(client, world[role])

    response = client.get(f"/api/v1/mentorships/{world['pair'].pk}/calls")

    assert response.status_code == API_READ[role]
    if response.status_code == 200:
        assert [(c["room"], len(c["joins"])) for c in response.json()] == [
            (newer.room, 0),
            (held_call.room, 3),
        ]


# --- API: call now ----------------------------------------------------------------------------


API_CALL_NOW = {
    "anonymous": 401,
    "mentor": 201,
    "mentee": 201,
    "other_mentor": 404,
    "manager": 404,
    "other_manager": 404,
    "staff": 404,
}


def post(client: Any, path: str) -> Any:
    return client.post(path, data=json.dumps({}), content_type="application/json")


@pytest.mark.parametrize("role", list(API_CALL_NOW))
def test_call_now_through_the_api_by_role(
    client, world, role, sent, django_capture_on_commit_callbacks
):
    pair = world["pair"]
    online(world["mentor"], world["mentee"])
    sign_in(client, world[role])

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, f"/api/v1/mentorships/{pair.pk}/call-now")

    assert response.status_code == API_CALL_NOW[role]
    if response.status_code == 201:
        call = Call.objects.get()
        body = response.json()
        assert (body["room"], body["kind"], body["url"], body["joins"]) == (
            call.room,
            "instant",
            f"/calls/{call.room}/",
            [],
        )
        assert len(sent) == 1
        return
    assert Call.objects.count() == 0
    assert sent == []


def test_call_now_through_the_api_outside_the_partners_hours_is_422_with_the_note(
    client, world, sent
):
    pair = world["pair"]
    profile = world["mentee"].profile
    # Noah takes calls for half an hour of the day, about twelve hours from now.
    hour = (timezone.now().astimezone(ZoneInfo(profile.time_zone)).hour + 12) % 24
    profile.contact_hours_start = dt.time(hour, 0)
    profile.contact_hours_end = dt.time(hour, 30)
    profile.save()
    online(world["mentee"])
    client.force_login(world["mentor"])

    response = post(client, f"/api/v1/mentorships/{pair.pk}/call-now")

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {
            "__all__": [
                "Noah is online but outside the hours agreed for calls. "
                "Send a message or propose a time instead."
            ]
        },
    }
    assert Call.objects.count() == 0
    assert sent == []


def test_call_now_through_the_api_when_the_partner_is_offline_is_422(client, world, sent):
    client.force_login(world["mentee"])

    response = post(client, f"/api/v1/mentorships/{world['pair'].pk}/call-now")

    assert response.status_code == 422
    assert response.json()["errors"]["__all__"] == [
        "Mara is not online right now. Send a message or propose a time instead."
    ]
    assert Call.objects.count() == 0


def test_call_now_through_the_api_in_a_paused_mentorship_is_refused(client, world, sent):
    pair = world["pair"]
    online(world["mentee"])
    Mentorship.objects.filter(pk=pair.pk).update(status=MentorshipStatus.PAUSED)
    client.force_login(world["mentor"])

    response = post(client, f"/api/v1/mentorships/{pair.pk}/call-now")

    assert response.status_code == 403
    assert Call.objects.count() == 0
    assert sent == []


def test_call_now_through_the_api_is_rate_limited(client, world, monkeypatch):
    pair = world["pair"]
    # The limiter's clock stays inside one five-minute window, whatever the wall clock says.
    instant = timezone.now().replace(minute=0, second=1)
    monkeypatch.setattr(
        "trellis.core.ratelimit.timezone", types.SimpleNamespace(now=lambda: instant)
    )
    online(world["mentee"])
    client.force_login(world["mentor"])
    for _ in range(services.CALL_NOW_LIMIT):
        assert post(client, f"/api/v1/mentorships/{pair.pk}/call-now").status_code == 201
        # Nobody answered; the call stopped ringing.
        Call.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))

    response = post(client, f"/api/v1/mentorships/{pair.pk}/call-now")

    assert response.status_code == 429
    assert response.json()["retry_after"] == int(response["Retry-After"]) == 299
    assert Call.objects.count() == services.CALL_NOW_LIMIT


def test_a_member_who_left_cannot_call_now_through_the_api(client, group_world):
    online(group_world["mentor"], group_world["noah"])
    client.force_login(group_world["kenji"])

    response = post(client, f"/api/v1/mentorships/{group_world['group'].pk}/call-now")

    assert response.status_code == 404
    assert Call.objects.count() == 0


def test_nothing_changes_when_outsiders_try_every_endpoint(client, world, held_call):
    pair = world["pair"]
    online(world["mentor"], world["mentee"])
    before = snapshot()
    for role in ("other_mentor", "manager", "other_manager", "staff"):
        client.force_login(world[role])
        client.get(f"/calls/{held_call.room}/")
        client.post(f"/calls/{held_call.room}/decline/")
        client.post(f"/mentorships/{pair.pk}/call-now/")
        client.get(f"/api/v1/calls/{held_call.room}")
        post(client, f"/api/v1/mentorships/{pair.pk}/call-now")

    assert snapshot() == before

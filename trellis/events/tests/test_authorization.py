"""Who reaches events, over roles: every page and every endpoint at /api/v1/.

The program's approved participants, its managers and staff read its events, post new
ones and answer them; the event's creator and the program's managers (and staff) change
and cancel it (403 for the other readers); anyone else, someone still waiting for
approval too, gets 404, as for an event that does not exist. A refused action changes
nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from trellis.events import services
from trellis.events.models import RSVP, Event
from trellis.events.tests.helpers import event_in
from trellis.messaging.models import Message

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "mentor",
    "mentee",
    "other_mentor",
    "other_mentee",
    "manager",
    "other_manager",
    "pending",
    "staff",
]
READERS = {"mentor", "mentee", "other_mentor", "other_mentee", "manager", "staff"}
# Noah posted the event.
EDITORS = {"mentee", "manager", "staff"}
# The pair's own conversation.
SHARERS = {"mentor", "mentee"}
TITLE = "Founders' breakfast"


@pytest.fixture
def things(world) -> dict[str, Any]:
    event = event_in(world["program"], by=world["mentee"], capacity=5)
    return {"e": event.pk, "slug": world["program"].slug, "m": world["pair"].pk, "event": event}


def snapshot() -> tuple[list[Any], ...]:
    return (
        list(Event.objects.order_by("pk").values()),
        list(RSVP.objects.order_by("pk").values()),
        list(Message.objects.order_by("pk").values()),
    )


def sign_in(client: Any, user: Any) -> None:
    if user is not None:
        client.force_login(user)


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.url.startswith("/accounts/login/")


def fill(template: str, things: dict[str, Any]) -> str:
    return template.format(**things)


def event_form(things: dict[str, Any], title: str = "Evening walk") -> dict[str, str]:
    day = things["event"].starts_at.date().isoformat()
    return {
        "title": title,
        "date": day,
        "start_time": "18:00",
        "end_time": "19:00",
        "time_zone": "Europe/Berlin",
        "place": "The park",
        "capacity": "",
    }


# Pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "path", ["/programs/{slug}/events/", "/events/{e}/", "/programs/{slug}/events/new/"]
)
def test_reading_pages_by_role(client, world, things, role, path):
    sign_in(client, world[role])

    response = client.get(fill(path, things))

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in READERS:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert "breakfast" not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_the_ics_by_role(client, world, things, role):
    sign_in(client, world[role])

    response = client.get(fill("/events/{e}/event.ics", things))

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in READERS:
        assert response.status_code == 200
        assert b"SUMMARY:Founders' breakfast" in response.content
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_edit_page_by_role(client, world, things, role):
    sign_in(client, world[role])

    response = client.get(fill("/events/{e}/edit/", things))

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in EDITORS:
        assert response.status_code == 200
    elif role in READERS:
        assert response.status_code == 403
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/programs/{slug}/events/new/", READERS),
        ("/events/{e}/edit/", EDITORS),
        ("/events/{e}/cancel/", EDITORS),
        ("/events/{e}/rsvp/", READERS),
        ("/events/{e}/share/", SHARERS),
    ],
)
def test_writing_pages_by_role(client, world, things, role, path, allowed):
    sign_in(client, world[role])
    before = snapshot()
    data: dict[str, Any] = {}
    if "new" in path or "edit" in path:
        data = event_form(things)
    elif "share" in path:
        data = {"mentorship": things["m"], "client_key": "key-1"}

    response = client.post(fill(path, things), data)

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in allowed:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert snapshot() != before
        return
    elif role in READERS and "share" in path:
        # Not one of their mentorships: the form says so, nothing is posted.
        assert response.status_code == 422
    elif role in READERS and path in ("/events/{e}/edit/", "/events/{e}/cancel/"):
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_cancelling_ones_place_by_role(client, world, things, role):
    if role in READERS:
        services.rsvp_attend(event=things["event"], by=world[role])
    sign_in(client, world[role])
    before = snapshot()

    response = client.post(fill("/events/{e}/rsvp/cancel/", things))

    if role in READERS:
        assert response.status_code == 302
        assert RSVP.objects.get().status == "cancelled"
        return
    if role == "anonymous":
        assert is_login_redirect(response)
    else:
        assert response.status_code == 404
    assert snapshot() == before


def test_readers_see_no_organiser_controls(client, world, things):
    client.force_login(world["other_mentee"])
    page = client.get(fill("/events/{e}/", things)).content.decode()
    assert "Edit the event" not in page
    assert "Yes, cancel the event" not in page

    client.force_login(world["manager"])
    page = client.get(fill("/events/{e}/", things)).content.decode()
    assert "Edit the event" in page
    assert "Yes, cancel the event" in page


# The API -----------------------------------------------------------------------------------


def api(client: Any, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def api_event(things: dict[str, Any]) -> dict[str, Any]:
    starts_at = things["event"].starts_at
    return {
        "title": "Evening walk",
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + dt.timedelta(hours=1)).isoformat(),
        "place": "The park",
    }


ENDPOINTS = [
    ("get", "/api/v1/programs/{slug}/events", None, READERS, 200),
    ("get", "/api/v1/events/{e}", None, READERS, 200),
    ("get", "/api/v1/events/{e}/event.ics", None, READERS, 200),
    ("get", "/api/v1/events/{e}/rsvps", None, EDITORS, 200),
    ("post", "/api/v1/programs/{slug}/events", "event", READERS, 201),
    ("patch", "/api/v1/events/{e}", {"title": "Renamed"}, EDITORS, 200),
    ("post", "/api/v1/events/{e}/cancel", None, EDITORS, 200),
    ("post", "/api/v1/events/{e}/rsvp", None, READERS, 200),
    ("post", "/api/v1/events/{e}/share", {"mentorship_id": "m", "client_key": "k"}, SHARERS, 201),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "allowed", "success"), ENDPOINTS)
def test_endpoints_by_role(client, world, things, role, method, path, body, allowed, success):
    sign_in(client, world[role])
    before = snapshot()
    if body == "event":
        body = api_event(things)
    elif isinstance(body, dict) and body.get("mentorship_id") == "m":
        body = {**body, "mentorship_id": things["m"]}

    response = api(client, method, fill(path, things), body)

    if role == "anonymous":
        assert response.status_code == 401
    elif role in allowed:
        assert response.status_code == success, response.content.decode()[:2000]
        if method != "get":
            assert snapshot() != before
        return
    elif role in READERS and "share" in path:
        assert response.status_code == 422
    elif role in READERS:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
        assert b"breakfast" not in response.content
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_cancelling_ones_place_through_the_api_by_role(client, world, things, role):
    if role in READERS:
        services.rsvp_attend(event=things["event"], by=world[role])
    sign_in(client, world[role])
    before = snapshot()

    response = api(client, "delete", fill("/api/v1/events/{e}/rsvp", things))

    if role in READERS:
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        return
    assert response.status_code == (401 if role == "anonymous" else 404)
    assert snapshot() == before

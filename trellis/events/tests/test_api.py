"""The events API: what it answers, and 422 field errors (never a 500) for bad input."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from icalendar import Calendar

from trellis.events.models import RSVP, Event
from trellis.events.tests.helpers import event_in, move_to_the_past, soon
from trellis.messaging.models import Message

pytestmark = pytest.mark.django_db


def send(client: Any, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def new_event(**changes: Any) -> dict[str, Any]:
    starts_at = soon()
    body = {
        "title": "Demo night",
        "description": "Show what you *built*.",
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + dt.timedelta(hours=2)).isoformat(),
        "time_zone": "Europe/Berlin",
        "place": "Factory, Berlin",
        "online_url": "https://meet.example/demo",
        "capacity": 2,
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


def test_an_event_its_places_and_its_waiting_line(client, world):
    slug = world["program"].slug
    client.force_login(world["manager"])

    created = send(client, "post", f"/api/v1/programs/{slug}/events", new_event())

    assert created.status_code == 201, created.json()
    event = created.json()
    assert (event["program"], event["capacity"], event["places_left"]) == (slug, 2, 2)
    assert event["description_html"] == "<p>Show what you <em>built</em>.</p>"
    assert (event["can_edit"], event["my_status"], event["sequence"]) == (True, None, 0)
    assert event["url"] == f"/events/{event['id']}/"
    event_id = event["id"]

    answers = []
    for person in ("mentor", "mentee", "other_mentee"):
        client.force_login(world[person])
        answers.append(send(client, "post", f"/api/v1/events/{event_id}/rsvp").json())
    assert [(a["status"], a["waiting_position"]) for a in answers] == [
        ("going", None),
        ("going", None),
        ("waiting", 1),
    ]
    seen = send(client, "get", f"/api/v1/events/{event_id}").json()
    assert (seen["my_status"], seen["places_left"], seen["waiting_count"]) == ("waiting", 0, 1)
    assert seen["can_edit"] is False

    client.force_login(world["mentor"])
    cancelled = send(client, "delete", f"/api/v1/events/{event_id}/rsvp")
    assert cancelled.json()["status"] == "cancelled"

    client.force_login(world["manager"])
    rsvps = send(client, "get", f"/api/v1/events/{event_id}/rsvps").json()
    assert [(r["user_id"], r["status"]) for r in rsvps] == [
        (world["mentee"].pk, "going"),
        (world["other_mentee"].pk, "going"),
    ]
    listed = send(client, "get", f"/api/v1/programs/{slug}/events").json()
    assert [(e["id"], e["going_count"]) for e in listed] == [(event_id, 2)]
    assert send(client, "get", f"/api/v1/programs/{slug}/events?past=true").json() == []

    changed = send(client, "patch", f"/api/v1/events/{event_id}", {"capacity": None})
    assert (changed.json()["capacity"], changed.json()["places_left"]) == (None, None)
    assert changed.json()["sequence"] == 0  # the number of places is no calendar news
    moved = send(client, "patch", f"/api/v1/events/{event_id}", {"place": "Other hall"})
    assert moved.json()["sequence"] == 1

    gone = send(client, "post", f"/api/v1/events/{event_id}/cancel")
    assert (gone.json()["is_cancelled"], gone.json()["sequence"]) == (True, 2)
    assert send(client, "post", f"/api/v1/events/{event_id}/cancel").status_code == 422


def test_the_ics_endpoint(client, world):
    event = event_in(world["program"], by=world["mentor"])
    client.force_login(world["mentee"])

    response = client.get(f"/api/v1/events/{event.pk}/event.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    (vevent,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(vevent["UID"]) == f"event-{event.pk}@trellis"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": soon(1).isoformat()}, "ends_at"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"online_url": "http://meet.example/demo"}, "online_url"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "many"}, "capacity"),
        ({"title": ...}, "title"),
        ({"title": "   "}, "title"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"starts_at": "2031-05-01T18:00:00"}, "starts_at"),
        ({"place": "", "online_url": ""}, "place"),
    ],
)
def test_bad_input_is_422_with_the_field(client, world, changes, field):
    client.force_login(world["mentee"])

    response = send(
        client, "post", f"/api/v1/programs/{world['program'].slug}/events", new_event(**changes)
    )

    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": None}, "title"),
        ({"capacity": -1}, "capacity"),
        ({"online_url": "ftp://x.example"}, "online_url"),
        ({"ends_at": "2001-01-01T00:00:00+00:00"}, "ends_at"),
    ],
)
def test_bad_changes_are_422_and_change_nothing(client, world, body, field):
    event = event_in(world["program"], by=world["mentee"])
    client.force_login(world["mentee"])
    before = list(Event.objects.values())

    response = send(client, "patch", f"/api/v1/events/{event.pk}", body)

    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert list(Event.objects.values()) == before


def test_no_answer_to_a_past_or_cancelled_event(client, world):
    past = move_to_the_past(event_in(world["program"], by=world["mentor"]))
    client.force_login(world["mentee"])

    assert send(client, "post", f"/api/v1/events/{past.pk}/rsvp").status_code == 422
    assert send(client, "delete", f"/api/v1/events/{past.pk}/rsvp").status_code == 422
    assert send(client, "get", "/api/v1/events/99999999999").status_code == 404
    assert send(client, "get", f"/api/v1/events/{2**70}").status_code in (404, 422)
    assert not RSVP.objects.exists()


def test_sharing_through_the_api(client, world, settings):
    settings.SITE_URL = "https://trellis.example.org"
    event = event_in(world["program"], by=world["manager"])
    client.force_login(world["mentee"])
    path = f"/api/v1/events/{event.pk}/share"

    shared = send(client, "post", path, {"mentorship_id": world["pair"].pk, "client_key": "a1"})
    again = send(client, "post", path, {"mentorship_id": world["pair"].pk, "client_key": "a1"})
    refused = send(client, "post", path, {"mentorship_id": world["other_pair"].pk})

    assert shared.status_code == 201
    assert again.json() == shared.json()
    message = Message.objects.get()
    assert message.conversation.mentorship == world["pair"]
    assert message.card["url"] == f"https://trellis.example.org/events/{event.pk}/"
    assert refused.status_code == 422
    assert "mentorship_id" in refused.json()["errors"]
    assert Message.objects.count() == 1

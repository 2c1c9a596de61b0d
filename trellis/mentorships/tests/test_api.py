"""The mentorships REST API: shapes, the request and offer flows, and bad input."""

import json

import pytest

from trellis.mentorships.models import Mentorship, MentorshipRequest, RequestStatus
from trellis.mentorships.tests.factories import mentor_in
from trellis.mentorships.tests.helpers import settings_of, snapshot
from trellis.programs.models import Enrollment

pytestmark = pytest.mark.django_db


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def test_request_flow(client, world):
    client.force_login(world["mentee"])
    mentors = client.get("/api/v1/programs/garden/mentors").json()
    names = {m["mentor"]["display_name"] for m in mentors}
    assert names == {"Maria Mentor", "Olga Mentor"}
    assert all(0 <= m["score"] <= 100 and isinstance(m["reasons"], list) for m in mentors)
    response = post(
        client,
        "/api/v1/programs/garden/mentorship-requests",
        {"mentor_id": world["mentor"].pk, "message": "Please"},
    )
    assert response.status_code == 201
    sent = response.json()
    assert sent["status"] == "open"
    assert sent["mentor"] == {"id": world["mentor"].pk, "display_name": "Maria Mentor"}
    assert sent["program"]["slug"] == "garden"

    client.force_login(world["mentor"])
    incoming = client.get("/api/v1/mentorship-requests?role=mentor").json()
    assert [r["id"] for r in incoming] == [sent["id"]]
    assert client.get("/api/v1/mentorship-requests?role=mentee").json() == []
    asked = post(client, f"/api/v1/mentorship-requests/{sent['id']}/ask-info", {"question": "Q?"})
    assert asked.json()["status"] == "info_requested"

    client.force_login(world["mentee"])
    replied = post(client, f"/api/v1/mentorship-requests/{sent['id']}/reply", {"message": "A."})
    assert replied.json()["info_reply"] == "A."

    client.force_login(world["mentor"])
    accepted = post(client, f"/api/v1/mentorship-requests/{sent['id']}/accept")
    assert accepted.status_code == 200
    mentorship = accepted.json()
    assert mentorship["source"] == "request"
    assert mentorship["mentee"]["display_name"] == "Ada Mentee"
    assert mentorship["status"] == "active"

    client.force_login(world["mentee"])
    mine = client.get("/api/v1/mentorships").json()
    assert [m["id"] for m in mine] == [mentorship["id"]]
    assert (
        client.get(f"/api/v1/mentorships/{mentorship['id']}").json()["reasons"]
        == (mentorship["reasons"])
    )


def test_offer_flow(client, world):
    client.force_login(world["mentor"])
    response = post(
        client,
        "/api/v1/programs/garden/mentorship-offers",
        {"mentee_id": world["mentee"].pk, "message": "Let me help"},
    )
    assert response.status_code == 201
    offer = response.json()
    client.force_login(world["mentee"])
    received = client.get("/api/v1/mentorship-offers?role=mentee&program=garden").json()
    assert [o["id"] for o in received] == [offer["id"]]
    accepted = post(client, f"/api/v1/mentorship-offers/{offer['id']}/accept")
    assert accepted.json()["source"] == "offer"
    assert Mentorship.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"mentor_id": "{mentor}", "message": ""}, "message", "Write a message."),
        ({"mentor_id": "{mentor}", "message": "x" * 2001}, "message", "under 2000"),
        ({"mentor_id": 999999, "message": "Hi"}, "mentor_id", "No such person."),
        ({"mentor_id": "{other_mentee}", "message": "Hi"}, "mentor", "not a mentor"),
        ({"message": "Hi"}, "mentor_id", "Field required"),
    ],
)
def test_bad_request_input_is_422_with_field_errors(client, world, body, field, message):
    client.force_login(world["mentee"])
    body = {
        key: world[value[1:-1]].pk if isinstance(value, str) and value.startswith("{") else value
        for key, value in body.items()
    }
    before = snapshot()
    response = post(client, "/api/v1/programs/garden/mentorship-requests", body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(message in text for text in errors[field]), errors
    assert snapshot() == before


def test_full_mentor_and_limit_are_422(client, world):
    Enrollment.objects.filter(user=world["mentor"]).update(mentor_capacity=1)
    client.force_login(world["mentor"])
    post(
        client,
        "/api/v1/programs/garden/mentorship-offers",
        {"mentee_id": world["other_mentee"].pk, "message": "Hi"},
    )
    client.force_login(world["other_mentee"])
    offer_id = client.get("/api/v1/mentorship-offers").json()[0]["id"]
    post(client, f"/api/v1/mentorship-offers/{offer_id}/accept")
    client.force_login(world["mentee"])
    response = post(
        client,
        "/api/v1/programs/garden/mentorship-requests",
        {"mentor_id": world["mentor"].pk, "message": "Hi"},
    )
    assert response.status_code == 422
    assert response.json()["errors"]["__all__"] == [
        "Maria Mentor has no places left in this program."
    ]
    settings_of(world["program"], max_open_requests=1)
    post(
        client,
        "/api/v1/programs/garden/mentorship-requests",
        {"mentor_id": world["other_mentor"].pk, "message": "Hi"},
    )
    third = mentor_in(world["program"])
    response = post(
        client,
        "/api/v1/programs/garden/mentorship-requests",
        {"mentor_id": third.pk, "message": "Hi"},
    )
    assert response.status_code == 422
    assert "at most 1 open requests" in response.json()["errors"]["__all__"][0]
    assert MentorshipRequest.objects.filter(mentee=world["mentee"]).count() == 1


def test_accepting_twice_is_a_clear_422(client, world):
    client.force_login(world["mentee"])
    sent = post(
        client,
        "/api/v1/programs/garden/mentorship-requests",
        {"mentor_id": world["mentor"].pk, "message": "Hi"},
    ).json()
    client.force_login(world["mentor"])
    assert post(client, f"/api/v1/mentorship-requests/{sent['id']}/accept").status_code == 200
    again = post(client, f"/api/v1/mentorship-requests/{sent['id']}/accept")
    assert again.status_code == 422
    assert "it is accepted" in again.json()["errors"]["__all__"][0]
    assert MentorshipRequest.objects.get().status == RequestStatus.ACCEPTED

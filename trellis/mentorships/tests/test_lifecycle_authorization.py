"""Who may take each lifecycle step, on the pages and through the API; refusals change nothing."""

import json

import pytest

from trellis.mentorships import services
from trellis.mentorships.models import Mentorship, MentorshipSource
from trellis.mentorships.tests.helpers import snapshot

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "mentee",
    "mentor",
    "other_mentor",  # mentor of another pair in the same program
    "other_manager",  # manages another program
    "manager",
    "staff",
]
ALLOWED = {"mentee", "mentor", "manager", "staff"}


@pytest.fixture
def pair(world):
    mentorship = services.mentorship_start(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["mentee"],
        source=MentorshipSource.MANAGER,
        score=70,
        reasons=["You both speak English"],
        by=world["manager"],
        notify=False,
    )
    services.mentorship_start(
        program=world["program"],
        mentor=world["other_mentor"],
        mentee=world["other_mentee"],
        source=MentorshipSource.MANAGER,
        score=60,
        reasons=[],
        by=world["manager"],
        notify=False,
    )
    return mentorship


def sign_in(client, world, role):
    if role != "anonymous":
        client.force_login(world[role])


@pytest.mark.parametrize("role", ROLES)
def test_pause_page_action(client, world, pair, role):
    sign_in(client, world, role)
    before = snapshot()
    response = client.post(f"/mentorships/{pair.pk}/pause/", {"note": "Busy month"})
    pair.refresh_from_db()
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif role in ALLOWED:
        assert response.status_code == 302
        assert response["Location"] == f"/mentorships/{pair.pk}/"
        assert pair.status == "paused"
        return
    else:
        assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_detail_page_offers_actions_to_those_who_may(client, world, pair, role):
    sign_in(client, world, role)
    response = client.get(f"/mentorships/{pair.pk}/")
    if role == "anonymous":
        assert response.status_code == 302
    elif role in ALLOWED:
        content = response.content.decode()
        assert response.status_code == 200
        for label in ("Pause the mentorship", "End the mentorship early", "Extend the mentorship"):
            assert label in content
        assert "Confirm the mentorship" not in content
        assert 'name="csrfmiddlewaretoken"' in content
    else:
        assert response.status_code == 404


def api(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


ENDPOINTS = [
    ("pause", {}),
    ("end", {"reason": "no_time"}),
    ("extend", {"until": "2999-01-01"}),
    ("rematch", {}),
    ("complete", {}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("action", "body"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_api_transitions(client, world, pair, role, action, body):
    sign_in(client, world, role)
    before = snapshot()
    response = api(client, f"/api/v1/mentorships/{pair.pk}/{action}", body)
    if role in ALLOWED:
        assert response.status_code == 200, response.content
        return
    assert response.status_code == (401 if role == "anonymous" else 404)
    assert snapshot() == before


@pytest.mark.parametrize("role", ["mentee", "mentor", "manager"])
def test_api_managers_cannot_confirm(client, world, role):
    mentorship = services.mentorship_propose(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["mentee"],
        by=world["manager"],
    )
    sign_in(client, world, role)
    before = snapshot()
    response = api(client, f"/api/v1/mentorships/{mentorship.pk}/confirm")
    if role == "manager":
        assert response.status_code == 403
        assert snapshot() == before
    else:
        assert response.status_code == 200
        assert response.json()[f"confirmed_by_{role}"] is True


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("mentor", 404), ("other_manager", 404), ("manager", 201), ("staff", 201)],
)
def test_api_propose(client, world, role, expected):
    sign_in(client, world, role)
    before = snapshot()
    response = api(
        client,
        "/api/v1/programs/garden/mentorships",
        {"mentor_id": world["mentor"].pk, "mentee_id": world["mentee"].pk},
    )
    assert response.status_code == expected
    if expected == 201:
        assert response.json()["status"] == "proposed"
    else:
        assert snapshot() == before


def test_api_field_errors_are_422(client, world, pair):
    client.force_login(world["mentee"])
    before = snapshot()
    response = api(client, f"/api/v1/mentorships/{pair.pk}/end", {"reason": "other"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"note": ["Say why, in a few words."]}
    response = api(client, f"/api/v1/mentorships/{pair.pk}/extend", {"until": "2000-01-01"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"until": ["Choose a date after today."]}
    response = api(client, f"/api/v1/mentorships/{pair.pk}/resume")
    assert response.status_code == 422
    assert "cannot be resumed" in response.json()["errors"]["__all__"][0]
    assert snapshot() == before


def test_page_refusal_shows_the_field_error(client, world, pair):
    client.force_login(world["mentor"])
    before = snapshot()
    response = client.post(f"/mentorships/{pair.pk}/end/", {"reason": "other", "note": ""})
    assert response.status_code == 422
    assert "Say why, in a few words." in response.content.decode()
    response = client.post(f"/mentorships/{pair.pk}/end/", {"reason": ""})
    assert response.status_code == 422
    assert "Choose why the mentorship ends." in response.content.decode()
    response = client.post(f"/mentorships/{pair.pk}/resume/")
    assert response.status_code == 422
    assert "cannot be resumed" in response.content.decode()
    assert client.post(f"/mentorships/{pair.pk}/fly/").status_code == 404
    assert snapshot() == before


def test_my_mentorships_shows_the_state(client, world, pair):
    Mentorship.objects.filter(pk=pair.pk).update(status="paused")
    client.force_login(world["mentee"])
    content = client.get("/mentorships/").content.decode()
    assert 'data-status="paused"' in content
    assert ">Paused<" in content

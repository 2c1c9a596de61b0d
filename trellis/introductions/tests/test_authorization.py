"""Who reaches introductions, over roles: every page and every endpoint at /api/v1/.

An introduction is its three people's only: the program's managers and staff get 404 as
anyone else does (it is private). Only the mentor introduces; only the two people asked
answer; only the introducer cancels. A refused action changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from trellis.introductions.models import Introduction
from trellis.introductions.tests.helpers import MESSAGE, introduce
from trellis.messaging.models import Conversation
from trellis.notifications.models import Notification

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "mentor",
    "mentee",
    "contact",
    "other_mentor",
    "other_mentee",
    "manager",
    "other_manager",
    "staff",
]
PARTIES = {"mentor", "mentee", "contact"}
ASKED = {"mentee", "contact"}
# Those who may see the mentorship but not introduce: refused with 403, not 404.
MENTORSHIP_READERS = {"mentee", "manager", "staff"}


def snapshot() -> tuple[list[Any], ...]:
    return (
        list(Introduction.objects.order_by("pk").values()),
        list(Conversation.objects.order_by("pk").values()),
        list(Notification.objects.order_by("pk").values("pk", "recipient_id", "title")),
    )


def sign_in(client: Any, user: Any) -> None:
    if user is not None:
        client.force_login(user)


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.fixture
def introduction(world) -> Introduction:
    return introduce(world)


# Reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["page", "api"])
def test_reading_an_introduction_by_role(client, world, introduction, role, kind):
    sign_in(client, world[role])

    if kind == "page":
        response = client.get(f"/introductions/{introduction.pk}/")
    else:
        response = client.get(f"/api/v1/introductions/{introduction.pk}")

    if role == "anonymous":
        assert is_login_redirect(response) if kind == "page" else response.status_code == 401
    elif role in PARTIES:
        assert response.status_code == 200
        assert MESSAGE in response.content.decode().replace("&#x27;", "'")
    else:
        assert response.status_code == 404
        assert MESSAGE not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_the_lists_hold_ones_own_introductions_only(client, world, introduction, role):
    sign_in(client, world[role])

    page = client.get("/introductions/")
    api = client.get("/api/v1/introductions")

    if role == "anonymous":
        assert is_login_redirect(page)
        assert api.status_code == 401
        return
    assert page.status_code == 200
    listed = [item["id"] for item in api.json()]
    if role in PARTIES:
        assert listed == [introduction.pk]
        assert f"/introductions/{introduction.pk}/" in page.content.decode()
    else:
        assert listed == []
        assert f"/introductions/{introduction.pk}/" not in page.content.decode()


# Answering and cancelling ------------------------------------------------------------------

ACTIONS = {"accept": ASKED, "not-now": ASKED, "cancel": {"mentor"}}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("kind", ["page", "api"])
def test_answering_and_cancelling_by_role(client, world, introduction, role, action, kind):
    sign_in(client, world[role])
    before = snapshot()

    if kind == "page":
        response = client.post(f"/introductions/{introduction.pk}/{action}/")
        success = 302
    else:
        response = client.post(f"/api/v1/introductions/{introduction.pk}/{action}")
        success = 200

    if role in ACTIONS[action]:
        assert response.status_code == success, response.content.decode()[:2000]
        assert snapshot() != before
        return
    if role == "anonymous":
        assert is_login_redirect(response) if kind == "page" else response.status_code == 401
    elif role in PARTIES:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    assert snapshot() == before


# Making one ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_new_introduction_page_by_role(client, world, role):
    sign_in(client, world[role])

    response = client.get(f"/mentorships/{world['pair'].pk}/introduce/")

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role == "mentor":
        assert response.status_code == 200
        assert "Introduce Noah to someone" in response.content.decode()
    elif role in MENTORSHIP_READERS:
        assert response.status_code == 403
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["page", "api"])
def test_making_an_introduction_by_role(client, world, role, kind):
    sign_in(client, world[role])
    before = snapshot()
    pair = world["pair"]

    if kind == "page":
        response = client.post(
            f"/mentorships/{pair.pk}/introduce/",
            {"who": "participant", "contact": world["contact"].pk, "message": MESSAGE},
        )
        success = 302
    else:
        response = client.post(
            f"/api/v1/mentorships/{pair.pk}/introductions",
            {"contact_id": world["contact"].pk, "message": MESSAGE},
            content_type="application/json",
        )
        success = 201

    if role == "mentor":
        assert response.status_code == success, response.content.decode()[:2000]
        assert Introduction.objects.count() == 1
        return
    if role == "anonymous":
        assert is_login_redirect(response) if kind == "page" else response.status_code == 401
    elif role in MENTORSHIP_READERS:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_the_participants_to_choose_from_are_for_the_mentor(client, world, role):
    sign_in(client, world[role])

    response = client.get(f"/api/v1/mentorships/{world['pair'].pk}/introductions/contacts")

    if role == "mentor":
        assert response.status_code == 200
        listed = {item["id"] for item in response.json()}
        assert world["contact"].pk in listed
        assert world["mentee"].pk not in listed
        assert world["mentor"].pk not in listed
    elif role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code == (403 if role in MENTORSHIP_READERS else 404)


def test_a_former_mentor_of_a_finished_mentorship_cannot_introduce(client, world):
    pair = world["pair"]
    pair.status = "completed"
    pair.save(update_fields=["status"])
    client.force_login(world["mentor"])

    page = client.post(
        f"/mentorships/{pair.pk}/introduce/",
        {"who": "participant", "contact": world["contact"].pk, "message": MESSAGE},
    )
    api = client.post(
        f"/api/v1/mentorships/{pair.pk}/introductions",
        {"contact_id": world["contact"].pk, "message": MESSAGE},
        content_type="application/json",
    )

    assert page.status_code == 302
    assert page.url == f"/mentorships/{pair.pk}/"
    assert api.status_code == 422
    assert Introduction.objects.count() == 0

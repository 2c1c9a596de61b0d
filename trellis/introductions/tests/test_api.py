"""The REST endpoints: make, list, read, answer, cancel; the outside person's token."""

from __future__ import annotations

from typing import Any

import pytest

from trellis.introductions.models import Introduction
from trellis.introductions.tests.conftest import KIM_EMAIL, NOAH_EMAIL, OUTSIDE_EMAIL
from trellis.introductions.tests.helpers import MESSAGE, introduce, introduce_outside

pytestmark = pytest.mark.django_db


def post(client: Any, path: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(f"/api/v1{path}", data or {}, content_type="application/json")


def test_the_mentor_introduces_through_the_api(client, world):
    client.force_login(world["mentor"])

    response = post(
        client,
        f"/mentorships/{world['pair'].pk}/introductions",
        {"contact_id": world["contact"].pk, "message": MESSAGE},
    )

    assert response.status_code == 201
    body = response.json()
    introduction = Introduction.objects.get()
    assert body["id"] == introduction.pk
    assert body["role"] == "introducer"
    assert (body["state"], body["state_label"]) == ("waiting", "Waiting for answers")
    assert body["can_cancel"] is True
    assert body["mentee"] == {"id": world["mentee"].pk, "name": "Noah", "headline": ""}
    assert body["contact"] == {
        "id": world["contact"].pk,
        "name": "Kim",
        "headline": "Data engineer at Acme",
        "is_outside": False,
        "email": None,
    }
    assert body["message"] == MESSAGE
    assert body["conversation_id"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"message": MESSAGE}, "contact"),
        ({"contact_id": 10**6, "message": MESSAGE}, "contact_id"),
        ({"contact_id": "KIM", "message": ""}, "message"),
        ({"contact_name": "Olga", "contact_email": "nope", "message": MESSAGE}, "contact_email"),
        ({"contact_name": "", "contact_email": OUTSIDE_EMAIL, "message": MESSAGE}, "contact_name"),
        ({"contact_id": "KIM", "mentee_id": "KIM", "message": MESSAGE}, "mentee_id"),
        ({"contact_id": "KIM"}, "message"),
    ],
)
def test_a_refused_introduction_says_which_field(client, world, payload, field):
    client.force_login(world["mentor"])
    payload = {k: (world["contact"].pk if v == "KIM" else v) for k, v in payload.items()}

    response = post(client, f"/mentorships/{world['pair'].pk}/introductions", payload)

    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert Introduction.objects.count() == 0


def test_both_answer_through_the_api_and_get_the_conversation(client, world):
    introduction = introduce(world)
    client.force_login(world["contact"])

    waiting = client.get(f"/api/v1/introductions/{introduction.pk}").json()
    accepted_once = post(client, f"/introductions/{introduction.pk}/accept").json()
    client.force_login(world["mentee"])
    both = post(client, f"/introductions/{introduction.pk}/accept").json()

    assert (waiting["state"], waiting["can_answer"], waiting["my_answer"]) == (
        "waiting_for_you",
        True,
        "pending",
    )
    assert waiting["mentorship_id"] is None  # the contact is not in the mentorship
    assert waiting["mentee"]["name"] == "Noah"
    assert NOAH_EMAIL not in str(waiting)
    assert (accepted_once["state"], accepted_once["can_answer"]) == ("you_accepted", False)
    introduction.refresh_from_db()
    assert both["state"] == "accepted"
    assert both["conversation_id"] == introduction.conversation_id
    assert both["accepted_at"] is not None
    assert KIM_EMAIL not in str(both)
    assert both["mentorship_id"] == world["pair"].pk


def test_not_now_and_cancel_through_the_api(client, world):
    first = introduce(world)
    client.force_login(world["mentee"])

    declined = post(client, f"/introductions/{first.pk}/not-now").json()
    again = post(client, f"/introductions/{first.pk}/accept")

    assert (declined["state"], declined["state_label"]) == ("you_said_not_now", "You said not now")
    assert again.status_code == 422
    assert again.json()["errors"] == {
        "__all__": ["This introduction is no longer waiting for answers."]
    }

    second = introduce(world)
    client.force_login(world["mentor"])
    cancelled = post(client, f"/introductions/{second.pk}/cancel").json()
    listed = client.get("/api/v1/introductions").json()

    assert (cancelled["state"], cancelled["can_cancel"]) == ("cancelled", False)
    assert [(item["id"], item["state"]) for item in listed] == [
        (second.pk, "cancelled"),
        (first.pk, "not_now"),
    ]


def test_the_outside_person_answers_with_the_token_and_no_account(
    client, world, django_capture_on_commit_callbacks
):
    introduction, token = introduce_outside(world, django_capture_on_commit_callbacks)

    asked = client.get(f"/api/v1/introduction-answers/{token}")
    answered = post(client, f"/introduction-answers/{token}", {"answer": "accept"})
    used = client.get(f"/api/v1/introduction-answers/{token}")

    assert asked.status_code == 200
    assert asked.json() == {
        "introducer_name": "Mara",
        "mentee_name": "Noah",
        "contact_name": "Olga Outside",
        "program_name": world["program"].name,
        "message": MESSAGE,
        "expires_at": asked.json()["expires_at"],
    }
    assert answered.status_code == 200
    assert answered.json() == {"answer": "accept", "is_accepted": False}
    assert used.status_code == 404
    introduction.refresh_from_db()
    assert introduction.contact_answer == "accepted"


@pytest.mark.parametrize("answer", ["maybe", ""])
def test_the_outside_answer_is_accept_or_not_now(
    client, world, django_capture_on_commit_callbacks, answer
):
    introduction, token = introduce_outside(world, django_capture_on_commit_callbacks)

    response = post(client, f"/introduction-answers/{token}", {"answer": answer})

    assert response.status_code == 422
    introduction.refresh_from_db()
    assert introduction.contact_answer == "pending"


def test_a_wrong_token_is_404_and_guessing_is_rate_limited(client, world):
    statuses = [
        post(client, f"/introduction-answers/guess{n}", {"answer": "accept"}).status_code
        for n in range(31)
    ]

    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429


def test_the_contacts_to_choose_from_are_searched(client, world):
    client.force_login(world["mentor"])

    found = client.get(
        f"/api/v1/mentorships/{world['pair'].pk}/introductions/contacts?q=acme"
    ).json()

    assert found == [
        {"id": world["contact"].pk, "name": "Kim", "headline": "Data engineer at Acme"}
    ]

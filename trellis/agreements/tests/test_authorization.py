"""Who sees and changes the agreement, on the page and through the API."""

import json

import pytest

from trellis.agreements import services
from trellis.agreements.models import Agreement, AgreementConfirmation, AgreementPart

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "mentee", "mentor", "other_mentor", "other_manager", "manager", "staff"]
# role → (page GET status, sees private fields, may write)
EXPECTED = {
    "anonymous": (302, False, False),
    "mentee": (200, True, True),
    "mentor": (200, True, True),
    "other_mentor": (404, False, False),
    "other_manager": (404, False, False),
    "manager": (200, False, False),
    "staff": (200, False, False),
}


@pytest.fixture
def private(world):
    """The mentor's handle and the pair's aims, which only the pair may read."""
    services.agreement_update_part(
        agreement=world["agreement"], by=world["mentor"], handle_kind="work", handle="+49 30 555"
    )
    services.agreement_update_shared(
        agreement=world["agreement"], by=world["mentee"], aims="Secret ambition"
    )
    return world


def login(client, world, role):
    if role != "anonymous":
        client.force_login(world[role])


def snapshot(agreement):
    rows = [Agreement.objects.filter(pk=agreement.pk).values().get()]
    rows += list(AgreementPart.objects.filter(agreement=agreement).values())
    rows += list(AgreementConfirmation.objects.filter(agreement=agreement).values())
    return rows


@pytest.mark.parametrize("role", ROLES)
def test_page(client, private, role):
    world = private
    status, sees_private, _ = EXPECTED[role]
    login(client, world, role)

    response = client.get(f"/mentorships/{world['mentorship'].pk}/agreement/")

    assert response.status_code == status
    text = response.content.decode() if status == 200 else ""
    if status == 200:
        assert 'data-agreement-status="draft"' in text
    assert ("Secret ambition" in text) is sees_private
    # The mentor's handle: in the mentor's own form, and shown to the mentee only.
    assert ("+49 30 555" in text) is sees_private
    assert ("data-partner-handle>+49 30 555" in text) is (role == "mentee")


@pytest.mark.parametrize("role", ROLES)
def test_page_writes(client, private, role):
    world = private
    _, _, may_write = EXPECTED[role]
    login(client, world, role)
    before = snapshot(world["agreement"])

    response = client.post(
        f"/mentorships/{world['mentorship'].pk}/agreement/", {"section": "confirm"}
    )

    if may_write:
        assert response.status_code == 302
        assert AgreementConfirmation.objects.filter(user=world[role]).count() == 1
    else:
        assert response.status_code in (302, 403, 404)
        if role == "anonymous":
            assert "/accounts/login/" in response["Location"]
        assert snapshot(world["agreement"]) == before


@pytest.mark.parametrize("role", ROLES)
def test_api(client, private, role):
    world = private
    status, sees_private, may_write = EXPECTED[role]
    login(client, world, role)
    base = f"/api/v1/mentorships/{world['mentorship'].pk}/agreement"
    before = snapshot(world["agreement"])

    read = client.get(base)
    shared = client.patch(base, json.dumps({"meeting_length_minutes": 30}), "application/json")
    part = client.patch(
        f"{base}/part",
        json.dumps({"handle": "mine", "handle_kind": "personal"}),
        "application/json",
    )

    if role == "anonymous":
        assert {read.status_code, shared.status_code, part.status_code} == {401}
    elif status == 404:
        assert {read.status_code, shared.status_code, part.status_code} == {404}
    else:
        assert read.status_code == 200
        body = read.json()
        assert body["status"] == "draft"
        assert ("Secret ambition" in json.dumps(body)) is sees_private
        assert ("+49 30 555" in json.dumps(body)) is sees_private
    if may_write:
        assert shared.status_code == part.status_code == 200
        assert shared.json()["meeting_length_minutes"] == 30
        mine = next(p for p in part.json()["parts"] if p["user_id"] == world[role].pk)
        assert mine["handle"] == "mine"
    else:
        if status == 200:
            assert shared.status_code == part.status_code == 403
        assert snapshot(world["agreement"]) == before


def test_api_confirm_and_bad_input(client, world):
    base = f"/api/v1/mentorships/{world['mentorship'].pk}/agreement"
    client.force_login(world["mentor"])
    before = snapshot(world["agreement"])

    bad = client.patch(base, json.dumps({"meeting_cadence": "daily"}), "application/json")

    assert bad.status_code == 422
    assert "meeting_cadence" in bad.json()["errors"]
    assert snapshot(world["agreement"]) == before
    confirmed = client.post(f"{base}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "waiting"
    client.force_login(world["mentee"])
    assert client.post(f"{base}/confirm").json()["status"] == "agreed"


def test_page_saves_a_part_and_shows_field_errors(client, world):
    client.force_login(world["mentee"])
    url = f"/mentorships/{world['mentorship'].pk}/agreement/"

    bad = client.post(
        url,
        {
            "section": "part",
            "time_zone": "America/New_York",
            "contact_hours_start": "18:00",
            "contact_hours_end": "09:00",
        },
    )

    assert bad.status_code == 422
    assert "Contact hours must end after they start." in bad.content.decode()
    good = client.post(
        url,
        {
            "section": "part",
            "modes": ["video", "email"],
            "time_zone": "America/New_York",
            "contact_weekdays": ["0", "2"],
            "contact_hours_start": "09:00",
            "contact_hours_end": "17:00",
            "handle_kind": "personal",
            "handle": "@ada",
        },
    )
    assert good.status_code == 302
    part = AgreementPart.objects.get(user=world["mentee"])
    assert part.modes == ["video", "email"]
    assert part.contact_weekdays == [0, 2]


def test_the_mentorship_page_links_to_the_agreement(client, world):
    client.force_login(world["mentee"])

    response = client.get(f"/mentorships/{world['mentorship'].pk}/")

    assert f"/mentorships/{world['mentorship'].pk}/agreement/" in response.content.decode()

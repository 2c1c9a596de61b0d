"""Odd API input gets a clear 422 or a sensible reading, never a 500, and loses nothing."""

import json

import pytest

from trellis.agreements.models import Agreement, AgreementPart

pytestmark = pytest.mark.django_db

NULL_PART = {
    "modes": None,
    "time_zone": None,
    "contact_weekdays": None,
    "contact_hours_start": None,
    "contact_hours_end": None,
    "quiet_hours_start": None,
    "quiet_hours_end": None,
    "handle_kind": None,
    "handle": None,
}
NULL_SHARED = {
    "meeting_cadence": None,
    "meeting_length_minutes": None,
    "is_first_meeting_in_person": None,
    "aims": None,
}


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/part", NULL_PART),
        ("", NULL_SHARED),
        ("/part", {"modes": ["carrier pigeon"]}),
        ("/part", {"contact_weekdays": [9]}),
        ("/part", {"time_zone": "Mars/Olympus"}),
        ("", {"meeting_length_minutes": 100000}),
        ("", {"meeting_cadence": "hourly"}),
    ],
)
def test_odd_input_is_answered_without_a_server_error(client, world, path, payload):
    client.force_login(world["mentor"])
    base = f"/api/v1/mentorships/{world['mentorship'].pk}/agreement"
    before = (
        list(Agreement.objects.values()),
        list(AgreementPart.objects.order_by("pk").values()),
    )

    response = client.patch(base + path, json.dumps(payload), content_type="application/json")

    assert response.status_code in (200, 422), response.content
    if response.status_code == 422:
        assert response.json()["detail"]
        assert before == (
            list(Agreement.objects.values()),
            list(AgreementPart.objects.order_by("pk").values()),
        )

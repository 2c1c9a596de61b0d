"""/api/v1/profile: read and change your own profile, read others' public profiles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms.models import model_to_dict

from trellis.accounts.services import personal_access_token_create
from trellis.accounts.tests.factories import UserFactory
from trellis.profiles.models import AvailabilityWindow, Profile
from trellis.profiles.tests.factories import AvailabilityWindowFactory, ProfileFactory
from trellis.profiles.tests.images import image_bytes, upload

pytestmark = pytest.mark.django_db

PUBLIC_KEYS = {
    "user_id",
    "display_name",
    "pronouns",
    "headline",
    "bio",
    "photo_url",
    "time_zone",
    "languages",
    "city",
    "country",
    "organisation",
    "department",
    "seniority",
    "skills_offered",
    "skills_sought",
    "interests",
    "values",
    "goals",
    "communication_modes",
    "meeting_frequency",
    "availability",
}
PRIVATE_KEYS = {
    "email",
    "manager_email",
    "contact_hours_start",
    "contact_hours_end",
    "quiet_hours_start",
    "quiet_hours_end",
    "updated_at",
}


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def state(profile: Profile) -> tuple[dict, list]:
    return (
        model_to_dict(Profile.objects.get(pk=profile.pk)),
        list(AvailabilityWindow.objects.filter(profile=profile).values_list()),
    )


@pytest.fixture
def api(client, profile):
    client.force_login(profile.user)
    return client


def patch(client, body, **extra):
    return client.patch("/api/v1/profile", body, content_type="application/json", **extra)


def put_windows(client, body, **extra):
    return client.put(
        "/api/v1/profile/availability", body, content_type="application/json", **extra
    )


# --- Reading -----------------------------------------------------------------------------


def test_get_own_profile(api, profile):
    boss = UserFactory(email="boss@example.org")
    Profile.objects.filter(pk=profile.pk).update(
        manager=boss, contact_hours_start=dt.time(9), contact_hours_end=dt.time(17)
    )
    AvailabilityWindowFactory(profile=profile, weekday=4, start_time="08:00", end_time="09:30")

    response = api.get("/api/v1/profile")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == PUBLIC_KEYS | PRIVATE_KEYS
    assert body["user_id"] == profile.user_id
    assert body["email"] == "ana@example.org"
    assert body["display_name"] == "Ana"
    assert body["time_zone"] == "Europe/Berlin"
    assert body["manager_email"] == "boss@example.org"
    assert body["contact_hours_start"] == "09:00:00"
    assert body["quiet_hours_start"] is None
    assert body["photo_url"] is None
    assert body["country"] == ""
    assert body["availability"] == [
        {"weekday": 4, "start_time": "08:00:00", "end_time": "09:30:00"}
    ]


def test_get_own_profile_creates_it_on_first_use(client):
    user = UserFactory(email="new.person@example.org")
    client.force_login(user)

    response = client.get("/api/v1/profile")

    assert response.status_code == 200
    assert response.json()["display_name"] == "new.person"
    assert response.json()["time_zone"] == "UTC"
    assert Profile.objects.filter(user=user).count() == 1


def test_get_someone_elses_profile_shows_only_public_fields(api):
    other = ProfileFactory(
        display_name="Ben",
        contact_hours_start=dt.time(7),
        contact_hours_end=dt.time(8),
        manager=UserFactory(email="benboss@example.org"),
    )
    AvailabilityWindowFactory(profile=other)

    response = api.get(f"/api/v1/profile/{other.user_id}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == PUBLIC_KEYS
    assert body["display_name"] == "Ben"
    assert body["availability"] == [
        {"weekday": 0, "start_time": "09:00:00", "end_time": "11:00:00"}
    ]
    assert "benboss" not in response.content.decode()


@pytest.mark.parametrize("user_id", ["999999", "inactive", "no-profile"])
def test_unknown_profiles_are_not_found(api, user_id):
    if user_id == "inactive":
        user_id = str(ProfileFactory(user=UserFactory(is_active=False)).user_id)
    elif user_id == "no-profile":
        user_id = str(UserFactory().pk)

    response = api.get(f"/api/v1/profile/{user_id}")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such profile."}


# --- Changing ----------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields_and_normalizes(api, profile):
    response = patch(
        api,
        {
            "headline": "  Mentor in data  ",
            "skills_offered": ["Python", "python ", "Go"],
            "languages": ["EN", "pt-BR"],
            "contact_hours_start": "09:00",
            "contact_hours_end": "17:30",
            "country": "pt",
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["headline"] == "Mentor in data"
    assert body["skills_offered"] == ["python", "go"]
    assert body["languages"] == ["en", "pt"]
    assert body["contact_hours_end"] == "17:30:00"
    assert body["country"] == "PT"
    profile.refresh_from_db()
    assert profile.display_name == "Ana"
    assert profile.skills_offered == ["python", "go"]
    assert profile.interests == ["hiking"]


def test_patch_can_clear_optional_fields(api, profile):
    Profile.objects.filter(pk=profile.pk).update(pronouns="she/her", seniority=3)

    response = patch(api, {"pronouns": None, "seniority": None, "interests": []})

    assert response.status_code == 200
    profile.refresh_from_db()
    assert (profile.pronouns, profile.seniority, profile.interests) == ("", None, [])


def test_patch_keeps_html_as_plain_text(api, profile):
    response = patch(api, {"bio": "<script>alert(1)</script>"})

    assert response.status_code == 200
    assert response.json()["bio"] == "<script>alert(1)</script>"
    assert response["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"display_name": 5}, "display_name", "Input should be a valid string"),
        ({"languages": "en"}, "languages", "Input should be a valid list"),
        ({"skills_offered": [1]}, "skills_offered.0", "Input should be a valid string"),
        ({"seniority": "high"}, "seniority", "Input should be a valid integer"),
        ({"seniority": True}, "seniority", "Input should be a valid integer"),
        ({"seniority": "3"}, "seniority", "Input should be a valid integer"),
        ({"contact_hours_start": "25:00"}, "contact_hours_start", "valid time"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "is not a known time zone"),
        ({"time_zone": None}, "time_zone", "Choose your time zone."),
        ({"time_zone": ""}, "time_zone", "Choose your time zone."),
        ({"display_name": None}, "display_name", "Enter the name others should see."),
        ({"bio": "x" * 3001}, "bio", "at most 3000 characters (it has 3001)"),
        ({"headline": "x" * 10_000}, "headline", "at most 140 characters"),
        ({"interests": ["x" * 41]}, "interests", "is longer than 40 characters"),
        ({"languages": ["tlh"]}, "languages", "is not a language code we know"),
        ({"communication_modes": ["fax"]}, "communication_modes", "is not a way to talk"),
        ({"seniority": 0}, "seniority", "Choose a level from 1"),
        ({"contact_hours_start": "10:00"}, "contact_hours_end", "Give an end time too"),
        (
            {"contact_hours_start": "10:00", "contact_hours_end": "09:00"},
            "contact_hours_end",
            "must end after they start",
        ),
        (
            {"contact_hours_start": "09:00+02:00", "contact_hours_end": "10:00"},
            "contact_hours_start",
            "without a time zone offset",
        ),
        ({"manager_email": "ana@example.org"}, "manager_email", "your own line manager"),
        ({"goals": "a\u0000b"}, "goals", "Remove the null character"),
        ({"user_id": 2}, "user_id", "Extra inputs are not permitted"),
        ({"photo": "x.png"}, "photo", "Extra inputs are not permitted"),
    ],
)
def test_patch_bad_input_is_a_422_with_field_errors_and_changes_nothing(
    api, profile, body, field, message
):
    before = state(profile)

    response = patch(api, {"city": "Lisbon", **body})

    assert response.status_code == 422
    payload = response.json()
    assert payload["detail"] == "Invalid input."
    assert list(payload["errors"]) == [field], payload
    assert any(message in text for text in payload["errors"][field]), payload
    assert state(profile) == before


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ("not json", 400, "Cannot parse request body"),
        ("[1, 2]", 422, "Invalid input."),
        ("null", 422, "Invalid input."),
    ],
)
def test_patch_with_a_body_that_is_not_an_object_is_refused(api, profile, body, status, detail):
    before = state(profile)

    response = api.patch("/api/v1/profile", body, content_type="application/json")

    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert state(profile) == before


# --- Availability ------------------------------------------------------------------------


def test_put_availability_replaces_the_windows(api, profile):
    AvailabilityWindowFactory(profile=profile, weekday=6)

    response = put_windows(
        api,
        {
            "windows": [
                {"weekday": 2, "start_time": "14:00", "end_time": "15:00"},
                {"weekday": 0, "start_time": "09:00", "end_time": "10:00"},
            ]
        },
    )

    assert response.status_code == 200
    assert response.json() == {
        "windows": [
            {"weekday": 0, "start_time": "09:00:00", "end_time": "10:00:00"},
            {"weekday": 2, "start_time": "14:00:00", "end_time": "15:00:00"},
        ]
    }
    assert list(
        AvailabilityWindow.objects.filter(profile=profile).values_list("weekday", flat=True)
    ) == [0, 2]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {
                "windows": [
                    {"weekday": 0, "start_time": "09:00", "end_time": "11:00"},
                    {"weekday": 0, "start_time": "10:00", "end_time": "12:00"},
                ]
            },
            "availability",
            "overlaps",
        ),
        (
            {"windows": [{"weekday": 0, "start_time": "11:00", "end_time": "10:00"}]},
            "availability",
            "the end must be after the start",
        ),
        (
            {"windows": [{"weekday": 8, "start_time": "09:00", "end_time": "10:00"}]},
            "availability",
            "from 0 (Monday) to 6 (Sunday)",
        ),
        (
            {"windows": [{"weekday": "Monday", "start_time": "09:00", "end_time": "10:00"}]},
            "windows.0.weekday",
            "valid integer",
        ),
        (
            {"windows": [{"weekday": True, "start_time": "09:00", "end_time": "10:00"}]},
            "windows.0.weekday",
            "valid integer",
        ),
        (
            {"windows": [{"weekday": 1, "start_time": "09:00", "end_time": "10:00", "x": 1}]},
            "windows.0.x",
            "Extra inputs are not permitted",
        ),
        (
            {"windows": [{"weekday": 1, "start_time": "09:00"}]},
            "windows.0.end_time",
            "Field required",
        ),
        ({"windows": "all week"}, "windows", "valid list"),
        ({}, "windows", "Field required"),
        (
            {
                "windows": [
                    {
                        "weekday": n % 7,
                        "start_time": f"{n // 7:02d}:00",
                        "end_time": f"{n // 7:02d}:30",
                    }
                    for n in range(51)
                ]
            },
            "availability",
            "at most 50",
        ),
    ],
)
def test_put_availability_bad_input_changes_nothing(api, profile, body, field, message):
    AvailabilityWindowFactory(profile=profile, weekday=6)
    before = state(profile)

    response = put_windows(api, body)

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert list(errors) == [field], errors
    assert any(message in text for text in errors[field]), errors
    assert state(profile) == before


# --- Photo -------------------------------------------------------------------------------


def test_photo_upload_and_removal(api, profile, media_files, django_capture_on_commit_callbacks):
    response = api.post(
        "/api/v1/profile/photo", {"photo": upload("me.png", image_bytes("PNG", (900, 600)))}
    )

    assert response.status_code == 200
    profile.refresh_from_db()
    assert response.json()["photo_url"] == f"/media/{profile.photo.name}"

    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete("/api/v1/profile/photo")

    assert response.status_code == 200
    assert response.json()["photo_url"] is None
    assert media_files() == []


def test_photo_upload_refuses_a_file_that_is_not_an_image(api, profile, media_files):
    response = api.post("/api/v1/profile/photo", {"photo": upload("me.png", b"plain text")})

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "photo": ["Upload a JPEG, PNG or WebP photo; this file is not one we can read."]
    }
    profile.refresh_from_db()
    assert not profile.photo
    assert media_files() == []


# --- Authentication ----------------------------------------------------------------------


def test_a_personal_token_reads_and_changes_the_profile(client, profile):
    _, raw = personal_access_token_create(user=profile.user, name="script")

    read = client.get("/api/v1/profile", **bearer(raw))
    changed = patch(client, {"city": "Porto"}, **bearer(raw))
    windows = put_windows(
        client,
        {"windows": [{"weekday": 3, "start_time": "12:00", "end_time": "13:00"}]},
        **bearer(raw),
    )

    assert read.status_code == 200
    assert read.json()["user_id"] == profile.user_id
    assert changed.status_code == 200
    assert windows.status_code == 200
    profile.refresh_from_db()
    assert profile.city == "Porto"
    assert profile.availability.count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/profile"),
        ("patch", "/api/v1/profile"),
        ("put", "/api/v1/profile/availability"),
        ("post", "/api/v1/profile/photo"),
        ("delete", "/api/v1/profile/photo"),
        ("get", "/api/v1/profile/{user_id}"),
    ],
)
@pytest.mark.parametrize("auth", [None, "Bearer trl_not-a-real-token"])
def test_anonymous_and_bad_tokens_get_401_and_change_nothing(client, profile, method, path, auth):
    before = state(profile)
    extra = {"HTTP_AUTHORIZATION": auth} if auth else {}

    response = getattr(client, method)(
        path.format(user_id=profile.user_id),
        {"display_name": "Hacked", "windows": []},
        content_type="application/json",
        **extra,
    )

    assert response.status_code == 401
    assert state(profile) == before


def test_session_without_csrf_cannot_patch(profile):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(profile.user)
    before = state(profile)

    response = strict.patch(
        "/api/v1/profile", {"display_name": "Forged"}, content_type="application/json"
    )

    assert response.status_code in (401, 403)
    assert state(profile) == before


def test_openapi_lists_the_profile_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert set(paths["/api/v1/profile"]) == {"get", "patch"}
    assert set(paths["/api/v1/profile/availability"]) == {"put"}
    assert set(paths["/api/v1/profile/photo"]) == {"post", "delete"}
    assert set(paths["/api/v1/profile/{user_id}"]) == {"get"}

"""Personal access tokens, the /me endpoint and the OpenAPI document."""

import datetime as dt

import pytest
from django.utils import timezone

from trellis.accounts.models import PersonalAccessToken
from trellis.accounts.services import personal_access_token_create
from trellis.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_me_with_session(client):
    user = UserFactory(email="me@example.org")
    client.force_login(user)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": "me@example.org",
        "display_name": "me",
        "is_staff": False,
        "has_profile": False,
    }


def test_me_with_personal_token_records_last_use(client):
    user = UserFactory()
    token, raw = personal_access_token_create(user=user, name="script")
    response = client.get("/api/v1/me", **bearer(raw))
    assert response.status_code == 200
    assert response.json()["id"] == user.pk
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [None, "Bearer ", "Bearer trl_not-a-real-token", "Bearer " + "x" * 500, "Basic abc"],
)
def test_me_refuses_anonymous_and_bad_tokens(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/api/v1/me", **extra)
    assert response.status_code == 401


def test_revoked_expired_and_inactive_tokens_are_refused(client):
    user = UserFactory()
    revoked, raw_revoked = personal_access_token_create(user=user, name="old")
    revoked.revoked_at = timezone.now()
    revoked.save()
    expired, raw_expired = personal_access_token_create(
        user=user, name="short", expires_at=timezone.now() + dt.timedelta(seconds=30)
    )
    PersonalAccessToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    inactive = UserFactory(is_active=False)
    _, raw_inactive = personal_access_token_create(user=inactive, name="x")
    for raw in (raw_revoked, raw_expired, raw_inactive):
        assert client.get("/api/v1/me", **bearer(raw)).status_code == 401


def test_token_page_creates_a_token_shown_once(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/account/tokens/", {"name": "calendar sync"})
    assert response.status_code == 200
    raw = response.context["new_token"]
    assert raw.startswith("trl_")
    assert raw.encode() in response.content
    token = PersonalAccessToken.objects.get(user=user)
    assert token.name == "calendar sync"
    assert token.token_hash != raw
    # The list afterwards shows only the prefix.
    again = client.get("/account/tokens/")
    assert raw.encode() not in again.content
    assert token.prefix.encode() in again.content


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "ok", "expires_at": "2001-01-01"}, "expires_at"),
        ({"name": "ok", "expires_at": "not-a-date"}, "expires_at"),
    ],
)
def test_token_page_bad_input(client, data, field):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/account/tokens/", data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert PersonalAccessToken.objects.count() == 0


def test_token_name_with_html_is_rendered_inert(client):
    user = UserFactory()
    client.force_login(user)
    client.post("/account/tokens/", {"name": "<script>alert(1)</script>"})
    response = client.get("/account/tokens/")
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_revoke_own_token(client):
    user = UserFactory()
    token, raw = personal_access_token_create(user=user, name="x")
    client.force_login(user)
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 401


def test_cannot_revoke_someone_elses_token(client):
    owner = UserFactory()
    token, _ = personal_access_token_create(user=owner, name="x")
    client.force_login(UserFactory())
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("path", ["/account/tokens/", "/"])
def test_pages_redirect_anonymous_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_anonymous_revoke_changes_nothing(client):
    token, _ = personal_access_token_create(user=UserFactory(), name="x")
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None


def test_openapi_document_lists_the_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Trellis API"
    assert "/api/v1/me" in document["paths"]


def test_session_auth_requires_csrf_on_unsafe_methods():
    from django.test import Client

    user = UserFactory()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    # Any unsafe method through the session without a CSRF token is refused.
    response = strict.patch("/api/v1/profile", {}, content_type="application/json")
    assert response.status_code in (401, 403)

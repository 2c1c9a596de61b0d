"""Sign-up, verification, login, rate limiting, password reset and email change."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import IntegrityError

from trellis.accounts.models import User
from trellis.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-longer-passphrase-42"


def _link(message_body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", message_body)
    assert match, message_body
    return match.group(1)


def test_signup_sends_verification_on_commit_and_blocks_login_until_verified(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "New.Person@Example.org",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "new.person@example.org"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.org"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body

    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "new.person@example.org", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == "/accounts/confirm-email/"  # told to verify first

    confirm_path = _link(mail.outbox[0].body)
    assert client.get(confirm_path).status_code == 200
    response = client.post(confirm_path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified is True


def test_signup_bad_input_shows_field_errors_and_creates_nothing(client):
    UserFactory(email="taken@example.org")
    cases = [
        {"email": "not-an-email", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        {"email": "", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        {"email": "ok@example.org", "password1": "short", "password2": "short"},
        {"email": "ok@example.org", "password1": NEW_PASSWORD, "password2": "different-one-99"},
        {"email": "x" * 400 + "@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    ]
    for data in cases:
        response = client.post("/accounts/signup/", data)
        assert response.status_code == 200, data
        assert b"errorlist" in response.content, data
    assert User.objects.count() == 1
    assert mail.outbox == []


def test_signup_with_a_taken_address_reveals_nothing_and_warns_its_owner(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {"email": "TAKEN@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    # Same answer as a real sign-up, so addresses cannot be probed...
    assert response.status_code == 302
    assert response.url == "/accounts/confirm-email/"
    assert User.objects.count() == 1
    # ...and the owner hears that someone tried.
    assert [m.to for m in mail.outbox] == [["taken@example.org"]]
    assert "already" in mail.outbox[0].body.lower()


def test_login_is_rate_limited_per_account(client):
    UserFactory(email="target@example.org")
    for _ in range(5):
        response = client.post(
            "/accounts/login/", {"login": "target@example.org", "password": "wrong-password"}
        )
        assert response.status_code == 200
    response = client.post(
        "/accounts/login/", {"login": "target@example.org", "password": PASSWORD}
    )
    assert response.status_code in (200, 429)
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_login_with_right_password_signs_in(client):
    user = UserFactory(email="someone@example.org")
    response = client.post(
        "/accounts/login/", {"login": "SOMEONE@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_password_reset_by_email_link(client, django_capture_on_commit_callbacks):
    user = UserFactory(email="forgot@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "forgot@example.org"})
    assert len(mail.outbox) == 1
    reset_path = _link(mail.outbox[0].body)
    response = client.get(reset_path, follow=True)
    form_path = response.redirect_chain[-1][0] if response.redirect_chain else reset_path
    response = client.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_for_unknown_address_reveals_nothing(client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert User.objects.count() == 0


def test_change_email_adds_an_unverified_address_and_sends_verification(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(email="old@example.org")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/email/", {"action_add": "", "email": "new@example.org"})
    assert response.status_code == 302
    new = EmailAddress.objects.get(user=user, email="new@example.org")
    assert new.verified is False
    assert [m.to for m in mail.outbox] == [["new@example.org"]]


def test_email_is_unique_regardless_of_case():
    UserFactory(email="case@example.org")
    with pytest.raises(IntegrityError):
        User.objects.create(email="CASE@example.org")


def test_user_manager_normalises_email_and_requires_it():
    user = User.objects.create_user("Mixed@Example.ORG", "pw-123456789")
    assert user.email == "mixed@example.org"
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user("", "pw")


def test_logout_requires_post(client):
    user = UserFactory()
    client.force_login(user)
    client.get("/accounts/logout/")
    assert "_auth_user_id" in client.session
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session

"""ICE servers: STUN as configured, TURN with coturn's shared-secret credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from trellis.accounts.tests.factories import UserFactory
from trellis.calls.ice import ice_servers_for, turn_credential, turn_credential_is_valid

SECRET = "coturn-static-auth-secret"
NOW = 1_900_000_000.75  # a fixed instant; the fraction is dropped as coturn does
TTL = 3600
STUN = ["stun:stun.example.org:3478"]
TURN = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]


def coturn_password(secret: str, username: str) -> str:
    """What coturn computes with use-auth-secret: base64(HMAC-SHA1(secret, username))."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


# --- The credential ---------------------------------------------------------------------------


def test_a_credential_follows_the_coturn_shared_secret_scheme():
    credential = turn_credential(user_id=42, secret=SECRET, ttl_seconds=TTL, now=NOW)

    assert credential.expires_at == 1_900_000_000 + TTL
    assert credential.username == f"{1_900_000_000 + TTL}:42"
    assert credential.credential == coturn_password(SECRET, f"{1_900_000_000 + TTL}:42")
    # A SHA-1 digest is 20 bytes: 28 characters of base64.
    assert len(base64.b64decode(credential.credential)) == 20


def test_a_credential_is_valid_until_it_expires():
    credential = turn_credential(user_id=7, secret=SECRET, ttl_seconds=TTL, now=NOW)

    def is_valid(now: float) -> bool:
        return turn_credential_is_valid(
            username=credential.username,
            credential=credential.credential,
            secret=SECRET,
            now=now,
        )

    assert is_valid(NOW) is True
    assert is_valid(credential.expires_at - 1) is True
    assert is_valid(credential.expires_at) is False
    assert is_valid(credential.expires_at + 3600) is False


@pytest.mark.parametrize(
    ("username", "secret"),
    [
        pytest.param(None, "another-secret", id="wrong-secret"),
        pytest.param("{expiry}:8", SECRET, id="other-user"),
        pytest.param("{later}:7", SECRET, id="longer-expiry"),
        pytest.param("forever:7", SECRET, id="expiry-not-a-number"),
        pytest.param("", SECRET, id="empty-username"),
    ],
)
def test_a_tampered_credential_or_another_secret_is_not_valid(username, secret):
    credential = turn_credential(user_id=7, secret=SECRET, ttl_seconds=TTL, now=NOW)
    if username is None:
        username = credential.username
    username = username.format(expiry=credential.expires_at, later=credential.expires_at + 86400)

    assert (
        turn_credential_is_valid(
            username=username, credential=credential.credential, secret=secret, now=NOW
        )
        is False
    )


def test_a_credential_needs_a_secret_and_a_positive_lifetime():
    with pytest.raises(ValueError, match="shared secret"):
        turn_credential(user_id=1, secret="", ttl_seconds=TTL, now=NOW)
    with pytest.raises(ValueError, match="positive lifetime"):
        turn_credential(user_id=1, secret=SECRET, ttl_seconds=0, now=NOW)


# --- The servers a browser gets -----------------------------------------------------------------


@pytest.fixture
def no_servers(settings):
    settings.CALLS_STUN_URLS = []
    settings.CALLS_TURN_URLS = []
    settings.CALLS_TURN_SECRET = ""
    settings.CALLS_TURN_TTL_SECONDS = TTL
    return settings


def test_no_settings_give_no_servers(no_servers):
    assert ice_servers_for(user_id=1, now=NOW) == {"ice_servers": [], "expires_at": None}


def test_stun_only(no_servers):
    no_servers.CALLS_STUN_URLS = STUN

    assert ice_servers_for(user_id=1, now=NOW) == {
        "ice_servers": [{"urls": STUN}],
        "expires_at": None,
    }


def test_stun_and_turn_carry_a_credential_for_the_person(no_servers):
    no_servers.CALLS_STUN_URLS = STUN
    no_servers.CALLS_TURN_URLS = TURN
    no_servers.CALLS_TURN_SECRET = SECRET

    servers = ice_servers_for(user_id=5, now=NOW)

    username = f"{1_900_000_000 + TTL}:5"
    assert servers == {
        "ice_servers": [
            {"urls": STUN},
            {"urls": TURN, "username": username, "credential": coturn_password(SECRET, username)},
        ],
        "expires_at": 1_900_000_000 + TTL,
    }


def test_turn_urls_without_a_secret_give_no_turn_server(no_servers):
    no_servers.CALLS_STUN_URLS = STUN
    no_servers.CALLS_TURN_URLS = TURN

    assert ice_servers_for(user_id=5, now=NOW) == {
        "ice_servers": [{"urls": STUN}],
        "expires_at": None,
    }


# --- The API ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_gives_a_signed_in_person_their_own_credential(client, no_servers):
    no_servers.CALLS_STUN_URLS = STUN
    no_servers.CALLS_TURN_URLS = TURN
    no_servers.CALLS_TURN_SECRET = SECRET
    person = UserFactory()
    client.force_login(person)

    response = client.get("/api/v1/calls/ice-servers")

    assert response.status_code == 200
    body = response.json()
    stun, turn = body["ice_servers"]
    assert stun == {"urls": STUN, "username": None, "credential": None}
    assert turn["urls"] == TURN
    expiry, user_id = turn["username"].split(":")
    assert (int(expiry), int(user_id)) == (body["expires_at"], person.pk)
    assert turn["credential"] == coturn_password(SECRET, turn["username"])
    assert (
        turn_credential_is_valid(
            username=turn["username"], credential=turn["credential"], secret=SECRET
        )
        is True
    )


@pytest.mark.django_db
def test_the_api_without_settings_gives_an_empty_list(client, no_servers):
    client.force_login(UserFactory())

    response = client.get("/api/v1/calls/ice-servers")

    assert (response.status_code, response.json()) == (
        200,
        {"ice_servers": [], "expires_at": None},
    )


@pytest.mark.django_db
def test_the_api_refuses_an_anonymous_visitor(client, no_servers):
    no_servers.CALLS_TURN_URLS = TURN
    no_servers.CALLS_TURN_SECRET = SECRET

    response = client.get("/api/v1/calls/ice-servers")

    assert response.status_code == 401
    assert "credential" not in response.content.decode()

"""ICE servers for a person's browser: STUN, and TURN with short-lived credentials.

TURN credentials follow the shared-secret scheme coturn implements (``use-auth-secret``,
the "TURN REST API"): the username is "<expiry unix time>:<user id>" and the password
is base64(HMAC-SHA1(secret, username)). coturn recomputes the HMAC with the same
secret and refuses a username whose time has passed, so nothing is stored and a leaked
credential dies on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class TurnCredential:
    username: str
    credential: str
    expires_at: int  # unix time


def turn_credential(
    *, user_id: int, secret: str, ttl_seconds: int, now: float | None = None
) -> TurnCredential:
    """A credential for user_id valid for ttl_seconds from now (coturn's scheme)."""
    if not secret:
        raise ValueError("A TURN credential needs the shared secret.")
    if ttl_seconds <= 0:
        raise ValueError("A TURN credential needs a positive lifetime.")
    expires_at = int(now if now is not None else time.time()) + ttl_seconds
    username = f"{expires_at}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(
        username=username,
        credential=base64.b64encode(digest).decode("ascii"),
        expires_at=expires_at,
    )


def turn_credential_is_valid(
    *, username: str, credential: str, secret: str, now: float | None = None
) -> bool:
    """What a TURN server checks: the HMAC matches and the expiry has not passed."""
    expiry, _, _user = username.partition(":")
    if not expiry.isdigit() or int(expiry) <= int(now if now is not None else time.time()):
        return False
    expected = base64.b64encode(
        hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    ).decode("ascii")
    return hmac.compare_digest(expected, credential)


def ice_servers_for(*, user_id: int, now: float | None = None) -> dict[str, Any]:
    """The RTCPeerConnection iceServers for this person, and when they must be renewed.

    No settings: an empty list, and browsers connect on their own network only.
    """
    servers: list[dict[str, Any]] = []
    if settings.CALLS_STUN_URLS:
        servers.append({"urls": list(settings.CALLS_STUN_URLS)})
    expires_at = None
    if settings.CALLS_TURN_URLS and settings.CALLS_TURN_SECRET:
        credential = turn_credential(
            user_id=user_id,
            secret=settings.CALLS_TURN_SECRET,
            ttl_seconds=settings.CALLS_TURN_TTL_SECONDS,
            now=now,
        )
        servers.append(
            {
                "urls": list(settings.CALLS_TURN_URLS),
                "username": credential.username,
                "credential": credential.credential,
            }
        )
        expires_at = credential.expires_at
    return {"ice_servers": servers, "expires_at": expires_at}

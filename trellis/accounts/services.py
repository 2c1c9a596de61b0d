from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from trellis.accounts.models import PersonalAccessToken, User
from trellis.core.errors import PermissionDeniedError

TOKEN_PREFIX = "trl_"  # noqa: S105 (a public marker, not a secret)
MAX_ACTIVE_TOKENS = 20


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def personal_access_token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[PersonalAccessToken, str]:
    """Create a token for user; return it with the raw secret, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Give the token a name."]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    active = PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            {"name": [f"You already have {MAX_ACTIVE_TOKENS} tokens; revoke one."]}
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PersonalAccessToken(
        user=user,
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(raw),
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, raw


def personal_access_token_revoke(*, token: PersonalAccessToken, by: User) -> PersonalAccessToken:
    if token.user_id != by.pk:
        raise PermissionDeniedError("This is not your token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    return token


def personal_access_token_authenticate(*, raw_token: str) -> User | None:
    """Return the active user a usable token belongs to, recording its use."""
    if not raw_token.startswith(TOKEN_PREFIX) or len(raw_token) > 200:
        return None
    token = (
        PersonalAccessToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw_token))
        .first()
    )
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    # Record use at most once a minute to keep reads cheap.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user

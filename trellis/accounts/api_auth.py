from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from trellis.accounts.services import personal_access_token_authenticate


class PersonalTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = personal_access_token_authenticate(raw_token=token)
        if user is None:
            return None
        request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The browser session (CSRF checked on unsafe methods), for active users only."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or not user.is_active:
            return None
        return user


api_auth = [ActiveSessionAuth(), PersonalTokenAuth()]

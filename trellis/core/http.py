"""Small helpers shared by the pages of every app."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str = "") -> str:
    """The ``next`` the form or link gave, if it is a page of this site; else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return str(target)
    return fallback


def error_text(error: ValidationError) -> str:
    """A service's ValidationError as one sentence or a few, for a message or an alert."""
    return " ".join(str(message) for message in error.messages)

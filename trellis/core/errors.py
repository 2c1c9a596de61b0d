"""Errors services raise; views and the API turn them into 4xx answers."""

from django.core.exceptions import ValidationError


class PermissionDeniedError(Exception):
    """The actor may not do this."""


class NotFoundError(Exception):
    """The thing does not exist, or the actor may not know it exists."""


class RateLimitedError(Exception):
    """The actor did this too often; retry_after says in how many seconds they may again."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


__all__ = ["NotFoundError", "PermissionDeniedError", "RateLimitedError", "ValidationError"]

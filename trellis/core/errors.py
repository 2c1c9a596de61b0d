"""Errors services raise; views and the API turn them into 4xx answers."""

from django.core.exceptions import ValidationError


class PermissionDeniedError(Exception):
    """The actor may not do this."""


class NotFoundError(Exception):
    """The thing does not exist, or the actor may not know it exists."""


__all__ = ["NotFoundError", "PermissionDeniedError", "ValidationError"]

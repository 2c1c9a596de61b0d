"""Reads for profiles; each loads the windows with the profile in a fixed number of queries."""

from __future__ import annotations

from django.db.models import QuerySet

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError
from trellis.profiles.models import Profile


def _profiles() -> QuerySet[Profile]:
    return Profile.objects.select_related("user", "manager", "manager__profile").prefetch_related(
        "availability"
    )


def profile_for_user(*, user: User) -> Profile | None:
    """Return the person's own profile with their windows, or None before they have one."""
    return _profiles().filter(user=user).first()


def profile_detail(*, profile_id: int) -> Profile:
    """Return an active person's profile by its id; raise NotFoundError otherwise."""
    profile = _profiles().filter(pk=profile_id, user__is_active=True).first()
    if profile is None:
        raise NotFoundError("No such profile.")
    return profile


def profile_detail_for_user(*, user_id: int) -> Profile:
    """Return an active person's profile by their user id; raise NotFoundError otherwise."""
    profile = _profiles().filter(user_id=user_id, user__is_active=True).first()
    if profile is None:
        raise NotFoundError("No such profile.")
    return profile

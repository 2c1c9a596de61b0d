"""Time zone helpers: IANA names only, validated against the zone database."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError


@lru_cache(maxsize=1)
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_time_zones())]


def validate_time_zone(value: str) -> None:
    if value not in available_time_zones():
        raise ValidationError(
            "“%(value)s” is not a known time zone; pick one such as Europe/Berlin.",
            code="invalid_time_zone",
            params={"value": value},
        )


def get_zone(name: str | None) -> zoneinfo.ZoneInfo:
    """Return the zone for name, falling back to UTC for an empty or unknown one."""
    if name and name in available_time_zones():
        return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo("UTC")

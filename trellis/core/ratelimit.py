"""Fixed-window rate limits counted in the cache.

The counter lives in the cache: Redis when REDIS_URL is set, so every server process
counts together; a process's own memory otherwise.
"""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone

from trellis.core.errors import RateLimitedError


def rate_limit_check(*, key: str, limit: int, window_seconds: int, message: str) -> None:
    """Count one more under key; RateLimitedError once the window holds more than limit."""
    now = int(timezone.now().timestamp())
    bucket = now // window_seconds
    bucket_key = f"rate:{key}:{bucket}"
    cache.add(bucket_key, 0, timeout=window_seconds * 2)
    try:
        count = cache.incr(bucket_key)
    except ValueError:  # expired between add and incr
        cache.set(bucket_key, 1, timeout=window_seconds * 2)
        count = 1
    if count > limit:
        raise RateLimitedError(message, retry_after=(bucket + 1) * window_seconds - now)

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from trellis.core.time import get_zone


class TimezoneMiddleware:
    """Show times in the signed-in person's own zone (stored UTC, shown local)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone_name = None
        if user is not None and user.is_authenticated:
            profile = getattr(user, "profile", None)
            zone_name = getattr(profile, "time_zone", None)
        timezone.activate(get_zone(zone_name))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

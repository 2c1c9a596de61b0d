from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from trellis.accounts.models import User
from trellis.calendars import ics, selectors, services
from trellis.calendars.forms import ExternalCalendarForm, ReminderPreferenceForm
from trellis.calendars.models import ExternalCalendar
from trellis.notifications import selectors as notification_selectors
from trellis.notifications import services as notification_services

# Calendar apps poll every few minutes at most; a leaked URL hammered harder is throttled.
FEED_REQUESTS_PER_MINUTE = 30
FEED_MAX_AGE_SECONDS = 300


def _render_settings(
    request: HttpRequest,
    *,
    form: ExternalCalendarForm | None = None,
    new_feed_token: str | None = None,
    reminder_form: ReminderPreferenceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = {
        "feed_token": selectors.calendar_feed_token_active(user=user),
        "feed_urls": _feed_urls(new_feed_token) if new_feed_token else None,
        "external_calendars": selectors.external_calendar_list(user=user),
        "form": form or ExternalCalendarForm(),
        "reminder_form": reminder_form
        or ReminderPreferenceForm(
            initial={"offsets": notification_selectors.reminder_minutes_for(user=user)}
        ),
    }
    return render(request, "calendars/settings.html", context, status=status)


def _feed_urls(raw_token: str) -> dict[str, str]:
    https_url = settings.SITE_URL.rstrip("/") + reverse("calendars:feed", args=[raw_token])
    webcal_url = "webcal://" + https_url.split("://", 1)[1]
    return {"https": https_url, "webcal": webcal_url}


@login_required
@require_GET
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The person's calendar feed and the calendars they subscribe for busy time."""
    return _render_settings(request)


@login_required
@require_POST
def feed_token_create(request: HttpRequest) -> HttpResponse:
    try:
        _, raw = services.calendar_feed_token_create(user=request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("calendars:settings")
    # The secret is shown in this answer only; it is never stored.
    return _render_settings(request, new_feed_token=raw)


@login_required
@require_POST
def feed_token_revoke(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    token = selectors.calendar_feed_token_active(user=user)
    if token is not None:
        services.calendar_feed_token_revoke(token=token, by=user)
        messages.success(request, "Your calendar feed is off; its address no longer works.")
    return redirect("calendars:settings")


@login_required
@require_POST
def external_calendar_add(request: HttpRequest) -> HttpResponse:
    form = ExternalCalendarForm(request.POST)
    if form.is_valid():
        try:
            calendar = services.external_calendar_add(
                user=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            messages.success(request, f"Subscribed to “{calendar.name}”; it is read shortly.")
            return redirect("calendars:settings")
    return _render_settings(request, form=form, status=422)


@login_required
@require_POST
def external_calendar_remove(request: HttpRequest, calendar_id: int) -> HttpResponse:
    calendar = get_object_or_404(ExternalCalendar, pk=calendar_id, user=request.user)
    services.external_calendar_remove(external_calendar=calendar, by=request.user)  # type: ignore[arg-type]
    messages.success(request, f"Removed “{calendar.name}”.")
    return redirect("calendars:settings")


@login_required
@require_POST
def reminder_preference_save(request: HttpRequest) -> HttpResponse:
    """When the person wants reminding of meetings; their pending reminders follow."""
    form = ReminderPreferenceForm(request.POST)
    if form.is_valid():
        try:
            notification_services.reminder_preference_update(
                user=request.user,  # type: ignore[arg-type]
                offsets=form.cleaned_data["offsets"],
            )
        except ValidationError as error:
            form.add_error("offsets", error.messages)
        else:
            messages.success(request, "Saved: your meeting reminders follow the new times.")
            return redirect("calendars:settings")
    return _render_settings(request, reminder_form=form, status=422)


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret webcal feed: no session, the token in the URL is the key."""
    token_row = selectors.calendar_feed_token_lookup(raw_token=token)
    if token_row is None:
        raise Http404("No such calendar.")
    if not _within_rate_limit(token_row.token_hash):
        response = HttpResponse("Too many requests for this calendar.", status=429)
        response["Retry-After"] = "60"
        return response
    services.calendar_feed_token_record_use(token=token_row)
    user = token_row.user
    profile = getattr(user, "profile", None)
    body = ics.feed(
        selectors.calendar_events_for_feed(user=user),
        name=f"Trellis: {user.display_name}",
        time_zone=getattr(profile, "time_zone", None),
    )
    etag = '"' + hashlib.sha256(_without_stamps(body)).hexdigest()[:32] + '"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="trellis.ics"'
    response["ETag"] = etag
    # Private: the URL is a secret, shared caches must not keep it.
    response["Cache-Control"] = f"private, max-age={FEED_MAX_AGE_SECONDS}"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _without_stamps(body: bytes) -> bytes:
    """Drop DTSTAMP lines, which change on every request, so the ETag tracks content."""
    return b"\n".join(line for line in body.split(b"\n") if not line.startswith(b"DTSTAMP"))


def _within_rate_limit(token_hash: str) -> bool:
    key = f"calendars:feed-rate:{token_hash}"
    if cache.add(key, 1, timeout=60):
        return True
    try:
        return cache.incr(key) <= FEED_REQUESTS_PER_MINUTE
    except ValueError:  # expired between add and incr
        return True

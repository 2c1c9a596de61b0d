"""Call pages: a meeting's room, "call now", "not now", and the room itself.

The room page is a lobby (camera and microphone preview, device choice) and then the
call; static/calls/call.js does the WebRTC and talks to the server over the page's live
socket. The meeting's external link and the agreed numbers are on the same page, for
when a call in the browser will not do.
"""

from __future__ import annotations

import contextlib
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from trellis.agreements.selectors import agreement_for, handles_visible_to
from trellis.calls import selectors, services
from trellis.calls.models import Call
from trellis.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ValidationError,
)
from trellis.mentorships.templatetags.mentorship_labels import mentorship_title
from trellis.scheduling import selectors as scheduling_selectors


def _call(request: HttpRequest, room: str) -> Call:
    try:
        return selectors.call_for_room(room=room, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _fallbacks(call: Call, user: Any) -> dict[str, Any]:
    """The meeting's own link and number, and the handles the others gave in the agreement."""
    mentorship = call.mentorship
    agreement = agreement_for(mentorship=mentorship)
    handles = handles_visible_to(agreement=agreement, viewer=user) if agreement else {}
    people = {person.pk: person for person in mentorship.participants()}
    return {
        "link_url": call.series.link_url if call.series else "",
        "phone_number": call.series.phone_number if call.series else "",
        "handles": [
            {"name": people[user_id].display_name, "kind": handle.kind, "value": handle.value}
            for user_id, handle in handles.items()
            if user_id in people
        ],
    }


@login_required
@require_GET
def room(request: HttpRequest, room: str) -> HttpResponse:
    call = _call(request, room)
    user = request.user
    if not selectors.may_call(mentorship=call.mentorship, user=user):
        messages.info(request, "Calls are open while the mentorship is active.")
        return redirect("mentorships:detail", call.mentorship_id)
    occurrence = None
    if call.series is not None:
        occurrence = scheduling_selectors.occurrence_of(
            series=call.series, recurrence_id=call.recurrence_id
        )
    zone = ZoneInfo(scheduling_selectors.user_zone(user))
    context = {
        "call": call,
        "mentorship": call.mentorship,
        # "Call with your group" for its mentor, else the partner's or the group's name.
        "title": mentorship_title(call.mentorship, user).replace("Your group", "your group"),
        "local_start": occurrence.start.astimezone(zone) if occurrence else None,
        "local_end": occurrence.end.astimezone(zone) if occurrence else None,
        "viewer_zone": zone.key,
        "records": selectors.call_records(call=call),
        **_fallbacks(call, user),
    }
    return render(request, "calls/room.html", context)


@login_required
@require_GET
def meeting_room(request: HttpRequest, series_id: int, recurrence_id: str) -> HttpResponse:
    """Open a meeting's room (made the first time), or say why it is not open."""
    try:
        series = scheduling_selectors.series_for(series_id=series_id, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    try:
        call = services.meeting_call_open(
            series=series, recurrence_id=recurrence_id, by=request.user
        )
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    except ValidationError as error:
        return render(
            request,
            "calls/not_open.html",
            {"series": series, "reasons": error.messages, "mentorship": series.mentorship},
            status=409,
        )
    return redirect("calls:room", call.room)


@login_required
@require_POST
def call_now(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    try:
        mentorship = scheduling_selectors.mentorship_for_scheduling(
            mentorship_id=mentorship_id, user=request.user
        )
    except NotFoundError as error:
        raise Http404(str(error)) from error
    try:
        call = services.call_start_now(mentorship=mentorship, by=request.user)
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    except (ValidationError, RateLimitedError) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.info(request, text)
        return redirect("mentorships:detail", mentorship.pk)
    return redirect("calls:room", call.room)


@login_required
@require_POST
def decline(request: HttpRequest, room: str) -> HttpResponse:
    call = _call(request, room)
    # A call that is over, or that was never theirs to decline: nothing to say.
    with contextlib.suppress(ValidationError):
        services.call_decline(call=call, by=request.user)
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    return redirect("mentorships:detail", call.mentorship_id)

"""Pages: "Find a time", proposals to answer, and the pair's upcoming meetings."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.scheduling import selectors, services
from trellis.scheduling.recurrence import Frequency

DURATIONS = (30, 45, 60, 90)
FREQUENCY_LABELS = (
    (Frequency.ONCE, "Once"),
    (Frequency.WEEKLY, "Every week"),
    (Frequency.EVERY_TWO_WEEKS, "Every two weeks"),
    (Frequency.MONTHLY_BY_WEEKDAY, "Every month (same weekday)"),
)
SHOWN_SLOTS = 24
UPCOMING_DAYS = 42


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _int(value: Any, default: int, allowed: tuple[int, ...] | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    if allowed is not None and number not in allowed:
        return default
    return number


def _parse_start(value: str) -> dt.datetime:
    try:
        start = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise ValidationError("Pick a time from the list.") from error
    if start.tzinfo is None:
        raise ValidationError("Pick a time from the list.")
    return start


def _error_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def _mentorship(request: HttpRequest, mentorship_id: int) -> Any:
    try:
        return selectors.mentorship_for_scheduling(mentorship_id=mentorship_id, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error


@login_required
@require_GET
def schedule(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    """Find a time (for the pair), open proposals and the upcoming meetings."""
    mentorship = _mentorship(request, mentorship_id)
    user = _user(request)
    is_pair = selectors.is_participant(mentorship=mentorship, user=user)
    duration = _int(request.GET.get("duration"), 60, DURATIONS)
    weeks = _int(request.GET.get("weeks"), selectors.DEFAULT_SEARCH_WEEKS, (1, 2, 3, 4, 6, 8))
    context: dict[str, Any] = {
        "mentorship": mentorship,
        "is_pair": is_pair,
        "durations": DURATIONS,
        "duration": duration,
        "weeks": weeks,
        "frequencies": FREQUENCY_LABELS,
        "viewer_zone": selectors.user_zone(user),
    }
    if is_pair:
        partner = selectors.partner_of(mentorship, user)
        search = selectors.find_times(
            mentorship=mentorship, viewer=user, duration=dt.timedelta(minutes=duration), weeks=weeks
        )
        context.update(
            partner=partner,
            partner_zone=selectors.user_zone(partner),
            search=search,
            slots=search.slots[:SHOWN_SLOTS],
        )
    zone = ZoneInfo(context["viewer_zone"])
    proposals = selectors.open_proposals_for(mentorship=mentorship)
    context["proposals"] = [
        {
            "proposal": proposal,
            "is_mine": proposal.proposer_id == user.pk,
            "options": [
                {"value": start.isoformat(), "local": start.astimezone(zone)}
                for start in proposal.option_starts()
            ],
        }
        for proposal in proposals
    ]
    now = timezone.now()
    context["meetings"] = [
        {
            "item": item,
            "local_start": item.start.astimezone(zone),
            "local_end": item.end.astimezone(zone),
        }
        for item in selectors.meetings_for_mentorship(
            mentorship=mentorship, start=now, end=now + dt.timedelta(days=UPCOMING_DAYS)
        )
    ]
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "slots":
        return render(request, "scheduling/_slots.html", context)
    return render(request, "scheduling/schedule.html", context)


@login_required
@require_POST
def propose(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    mentorship = _mentorship(request, mentorship_id)
    duration = _int(request.POST.get("duration"), 60, DURATIONS)
    try:
        options = [_parse_start(value) for value in request.POST.getlist("options")]
        services.proposal_create(
            mentorship=mentorship,
            by=_user(request),
            options=options,
            duration_minutes=duration,
            agenda=request.POST.get("agenda", "")[:2000],
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDeniedError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your proposed times were sent.")
    return redirect("scheduling:schedule", mentorship.pk)


@login_required
@require_POST
def proposal_act(request: HttpRequest, proposal_id: int, action: str) -> HttpResponse:
    try:
        proposal = selectors.proposal_for(proposal_id=proposal_id, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    user = _user(request)
    done = {
        "accept": "Booked. The meeting is in your list below.",
        "counter": "Your other times were sent.",
        "decline": "You declined the proposal.",
        "withdraw": "You withdrew your proposal.",
    }
    if action not in done:
        raise Http404("No such action.")
    try:
        if action == "accept":
            services.proposal_accept(
                proposal=proposal,
                by=user,
                start=_parse_start(request.POST.get("start", "")),
                frequency=request.POST.get("frequency", Frequency.ONCE),
            )
        elif action == "counter":
            services.proposal_counter(
                proposal=proposal,
                by=user,
                options=[_parse_start(value) for value in request.POST.getlist("options")],
            )
        elif action == "decline":
            services.proposal_decline(proposal=proposal, by=user)
        else:
            services.proposal_withdraw(proposal=proposal, by=user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDeniedError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done[action])
    return redirect("scheduling:schedule", proposal.mentorship_id)


@login_required
@require_POST
def occurrence_act(
    request: HttpRequest, series_id: int, recurrence_id: str, action: str
) -> HttpResponse:
    try:
        series = selectors.series_for(series_id=series_id, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    user = _user(request)
    try:
        if action == "cancel":
            services.occurrence_cancel(series=series, recurrence_id=recurrence_id, by=user)
        elif action == "cancel-rest":
            services.series_cancel_rest(series=series, recurrence_id=recurrence_id, by=user)
        elif action == "reschedule":
            services.occurrence_reschedule(
                series=series,
                recurrence_id=recurrence_id,
                by=user,
                start=_parse_start(request.POST.get("start", "")),
            )
        else:
            raise Http404("No such action.")
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDeniedError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The meeting was changed.")
    return redirect("scheduling:schedule", series.mentorship_id)

"""Pages: "Find a time", proposals to answer, and the upcoming meetings of a pair or group.

In a group the mentor books a time that suits everyone and changes the meetings; the
members propose times to the mentor (see services). Each slot shows the viewer's time
and every other person's local time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.scheduling import selectors, services
from trellis.scheduling.forms import MeetingLogForm
from trellis.scheduling.recurrence import Frequency, parse_recurrence_id
from trellis.scheduling.zones import resolve_local_time

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


def _mentorship(request: HttpRequest, mentorship_id: int) -> Any:
    try:
        return selectors.mentorship_for_scheduling(mentorship_id=mentorship_id, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _parse_local(date_value: str, time_value: str, zone_name: str) -> dt.datetime:
    """A date and a wall time from the form, read in the viewer's zone."""
    try:
        day = dt.date.fromisoformat(date_value)
        wall = dt.time.fromisoformat(time_value)
    except (TypeError, ValueError) as error:
        raise ValidationError({"start": "Give a date and a time."}) from error
    return resolve_local_time(day, wall.replace(tzinfo=None), ZoneInfo(zone_name))


def _meeting_entry(item: selectors.MeetingOccurrence, zone: ZoneInfo) -> dict[str, Any]:
    original = parse_recurrence_id(item.recurrence_id, ZoneInfo(item.series.time_zone))
    return {
        "item": item,
        "key": f"{item.series.pk}:{item.recurrence_id}",
        "local_start": item.start.astimezone(zone),
        "local_end": item.end.astimezone(zone),
        # The day "this and following" keeps, as the viewer's calendar shows it.
        "original_local_date": original.astimezone(zone).date(),
        "durations": sorted({*DURATIONS, item.series.duration_minutes}),
    }


def _render_schedule(
    request: HttpRequest,
    mentorship: Any,
    *,
    errors: list[str] | None = None,
    failed: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The schedule page; after a refusal, with its errors and the refused form as sent."""
    user = _user(request)
    is_pair = selectors.is_participant(mentorship=mentorship, user=user)
    is_group = mentorship.is_group
    can_lead = selectors.leads_meetings(mentorship=mentorship, user=user)
    duration = _int(request.GET.get("duration"), 60, DURATIONS)
    weeks = _int(request.GET.get("weeks"), selectors.DEFAULT_SEARCH_WEEKS, (1, 2, 3, 4, 6, 8))
    context: dict[str, Any] = {
        "mentorship": mentorship,
        # Taking part now (one of the pair, the group's mentor or a current member).
        "is_pair": is_pair,
        "is_group": is_group,
        # Books and changes the meetings: either of a pair, a group's mentor.
        "can_lead": can_lead,
        # Offers times: either of a pair, a group's members (to the mentor).
        "can_propose": is_pair and (not is_group or not can_lead),
        "group_name": selectors.group_name(mentorship) if is_group else "",
        "everyone": "everyone in the group" if is_group else "you both",
        "participants": [
            {
                "person": person,
                "zone": selectors.user_zone(person),
                "is_mentor": person.pk == mentorship.mentor_id,
            }
            for person in mentorship.participants()
        ],
        "durations": DURATIONS,
        "duration": duration,
        "weeks": weeks,
        "frequencies": FREQUENCY_LABELS,
        "viewer_zone": selectors.user_zone(user),
        "errors": errors or [],
        "failed": failed or {},
    }
    zone = ZoneInfo(context["viewer_zone"])
    searches: dict[int, Any] = {}

    def search_for(minutes: int) -> Any:
        if minutes not in searches:
            searches[minutes] = selectors.find_times(
                mentorship=mentorship,
                viewer=user,
                duration=dt.timedelta(minutes=minutes),
                weeks=weeks,
            )
        return searches[minutes]

    if is_pair:
        others = [
            {"person": person, "zone": selectors.user_zone(person)}
            for person in selectors.others_of(mentorship, user)
        ]
        search = search_for(duration)
        slots = search.slots[:SHOWN_SLOTS]
        context.update(
            others=others,
            search=search,
            slots=slots,
            # Each slot with every other person's local start, in others' order.
            slot_rows=[
                {
                    "slot": slot,
                    "others": [
                        {**other, "local_start": span.start}
                        for other, span in zip(others, slot.for_others, strict=True)
                    ],
                }
                for slot in slots
            ],
        )
        if not is_group:
            partner = selectors.partner_of(mentorship, user)
            context.update(partner=partner, partner_zone=selectors.user_zone(partner))
    proposals = selectors.open_proposals_for(mentorship=mentorship)
    entries = []
    for proposal in proposals:
        is_mine = proposal.proposer_id == user.pk
        # A pair's partner answers; in a group only the mentor, who books instead of
        # countering.
        can_answer = is_pair and not is_mine and (not is_group or can_lead)
        entry: dict[str, Any] = {
            "proposal": proposal,
            "is_mine": is_mine,
            "can_answer": can_answer,
            "can_counter": can_answer and not is_group,
            "options": [
                {"value": start.isoformat(), "local": start.astimezone(zone)}
                for start in proposal.option_starts()
            ],
        }
        if failed and failed.get("proposal") == proposal.pk:
            entry["failed"] = failed
        if entry["can_counter"]:
            offered = set(proposal.option_starts())
            entry["counter_slots"] = [
                slot
                for slot in search_for(proposal.duration_minutes).slots
                if slot.start not in offered
            ][:SHOWN_SLOTS]
        entries.append(entry)
    context["proposals"] = entries
    now = timezone.now()
    context["meetings"] = [
        _meeting_entry(item, zone)
        for item in selectors.meetings_for_mentorship(
            mentorship=mentorship, start=now, end=now + dt.timedelta(days=UPCOMING_DAYS)
        )
    ]
    for meeting in context["meetings"]:
        if failed and failed.get("meeting") == meeting["key"]:
            meeting["failed"] = failed
    logged = selectors.logged_occurrences(mentorship=mentorship)
    context["recent_meetings"] = [
        {**_meeting_entry(item, zone), "is_logged": (item.series.pk, item.recurrence_id) in logged}
        for item in selectors.recent_meetings_for(mentorship=mentorship, now=now)
    ]
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "slots":
        return render(request, "scheduling/_slots.html", context)
    return render(request, "scheduling/schedule.html", context, status=status)


@login_required
@require_GET
def schedule(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    """Find a time (for the pair), open proposals and the upcoming meetings."""
    return _render_schedule(request, _mentorship(request, mentorship_id))


def _refused(
    request: HttpRequest, mentorship_id: int, error: ValidationError, failed: dict[str, Any]
) -> HttpResponse:
    """The page again, status 422, with the reasons and the refused form kept open."""
    mentorship = _mentorship(request, mentorship_id)
    return _render_schedule(
        request, mentorship, errors=list(error.messages), failed=failed, status=422
    )


@login_required
@require_POST
def book(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    """Book one found time (once or repeating): a group's mentor books for the group."""
    mentorship = _mentorship(request, mentorship_id)
    duration = _int(request.POST.get("duration"), 60, DURATIONS)
    try:
        services.series_book(
            mentorship=mentorship,
            by=_user(request),
            start=_parse_start(request.POST.get("start", "")),
            duration_minutes=duration,
            frequency=request.POST.get("frequency", Frequency.ONCE),
            agenda=request.POST.get("agenda", "")[:2000],
        )
    except ValidationError as error:
        return _refused(request, mentorship.pk, error, {"action": "book"})
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, "Booked. Everyone is invited; the meeting is in the list below.")
    return redirect("scheduling:schedule", mentorship.pk)


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
        return _refused(request, mentorship.pk, error, {"action": "propose"})
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, "Your proposed times were sent.")
    return redirect("scheduling:schedule", mentorship.pk)


PROPOSAL_DONE = {
    "accept": "Booked. The meeting is in your list below.",
    "counter": "Your other times were sent.",
    "decline": "You declined the proposal.",
    "withdraw": "You withdrew your proposal.",
}


@login_required
@require_POST
def proposal_act(request: HttpRequest, proposal_id: int, action: str) -> HttpResponse:
    try:
        proposal = selectors.proposal_for(proposal_id=proposal_id, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    if action not in PROPOSAL_DONE:
        raise Http404("No such action.")
    user = _user(request)
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
        failed = {"proposal": proposal.pk, "action": action}
        return _refused(request, proposal.mentorship_id, error, failed)
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, PROPOSAL_DONE[action])
    return redirect("scheduling:schedule", proposal.mentorship_id)


MEETING_DONE = {
    "cancel": "The meeting was cancelled.",
    "cancel-rest": "This and the following meetings were cancelled.",
    "reschedule": "The meeting was moved.",
    "reschedule-following": "This and the following meetings were moved.",
}


@login_required
@require_POST
def occurrence_act(
    request: HttpRequest, series_id: int, recurrence_id: str, action: str
) -> HttpResponse:
    try:
        series = selectors.series_for(series_id=series_id, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    if action not in MEETING_DONE:
        raise Http404("No such action.")
    user = _user(request)
    zone_name = selectors.user_zone(user)
    date_value = request.POST.get("date", "")
    time_value = request.POST.get("time", "")
    duration = request.POST.get("duration", "")
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
                start=_parse_local(date_value, time_value, zone_name),
            )
        else:
            services.series_split_reschedule(
                series=series,
                recurrence_id=recurrence_id,
                by=user,
                start=_parse_local(date_value, time_value, zone_name),
                duration_minutes=_int(duration, series.duration_minutes),
            )
    except ValidationError as error:
        failed = {
            "meeting": f"{series.pk}:{recurrence_id}",
            "action": action,
            "date": date_value,
            "time": time_value,
            "duration": _int(duration, series.duration_minutes),
        }
        return _refused(request, series.mentorship_id, error, failed)
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, MEETING_DONE[action])
    return redirect("scheduling:schedule", series.mentorship_id)


def _meeting_or_404(request: HttpRequest, series_id: int, recurrence_id: str) -> Any:
    try:
        return selectors.meeting_for(
            series_id=series_id, recurrence_id=recurrence_id, user=request.user
        )
    except NotFoundError as error:
        raise Http404(str(error)) from error


@login_required
@require_http_methods(["GET", "POST"])
def meeting(request: HttpRequest, series_id: int, recurrence_id: str) -> HttpResponse:
    """One meeting: when and how, its agenda with the goals to review, its log and pulse.

    Everyone taking part writes the shared log (and a private note of their own); the
    program's managers and staff see when it was and whether it happened, nothing more.
    """
    item = _meeting_or_404(request, series_id, recurrence_id)
    series, user = item.series, _user(request)
    mentorship = series.mentorship
    is_pair = selectors.is_participant(mentorship=mentorship, user=user)
    now = timezone.now()
    has_begun = item.start <= now
    log = selectors.log_for(series=series, recurrence_id=recurrence_id, user=user)
    status = 200
    if request.method == "POST":
        if not is_pair:
            raise PermissionDenied("Only the people in the meeting write its log.")
        form = MeetingLogForm(request.POST)
        if form.is_valid():
            try:
                services.log_write(
                    series=series, recurrence_id=recurrence_id, by=user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_service_errors(error)
            except PermissionDeniedError as error:
                raise PermissionDenied(str(error)) from error
            else:
                messages.success(request, "The meeting's log is saved.")
                return redirect("scheduling:meeting", series.pk, recurrence_id)
        status = 422
    elif log is not None:
        form = MeetingLogForm(
            initial={
                "outcome": log.log.outcome,
                "minutes": log.log.minutes,
                "shared_notes": log.shared_notes or "",
                "next_steps": log.next_steps or "",
                "private_note": log.private_note or "",
            }
        )
    else:
        form = MeetingLogForm(initial={"minutes": series.duration_minutes})
    zone = ZoneInfo(selectors.user_zone(user))
    context = {
        "mentorship": mentorship,
        "item": item,
        "series": series,
        "recurrence_id": recurrence_id,
        "local_start": item.start.astimezone(zone),
        "local_end": item.end.astimezone(zone),
        "viewer_zone": selectors.user_zone(user),
        "with_label": selectors.with_label(mentorship, user) if is_pair else "",
        "is_pair": is_pair,
        "has_begun": has_begun,
        # log_write takes a log from an hour before the start on.
        "can_log": is_pair and item.start <= now + dt.timedelta(hours=1),
        "log": log,
        "form": form,
    }
    return render(request, "scheduling/meeting.html", context, status=status)

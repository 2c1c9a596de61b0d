"""Pages: a program's events, posting and changing one, its page (RSVP, share, .ics).

A program's approved participants, its managers and staff see its events and post new
ones; anyone else gets 404 (and an anonymous visitor the sign-in page). The event's
creator and the program's managers change or cancel it (403 for the other readers). A
refused form comes back with what was typed and says why, answered 422.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError, RateLimitedError
from trellis.core.http import error_text, safe_next
from trellis.events import ics, selectors, services
from trellis.events.forms import EventForm, ShareForm
from trellis.events.models import Event, RSVPStatus
from trellis.messaging.formatting import render_markdown
from trellis.programs.models import Program
from trellis.scheduling.selectors import user_zone, with_label


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _or_404(loader: Any, **kwargs: Any) -> Any:
    try:
        return loader(**kwargs)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _detail_url(event: Event) -> str:
    return reverse("events:detail", args=[event.pk])


# A program's events ---------------------------------------------------------------------


@login_required
@require_GET
def event_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, role = _or_404(selectors.program_for_events, slug=slug, user=request.user)
    past = request.GET.get("past") == "1"
    return render(
        request,
        "events/list.html",
        {
            "program": program,
            "role": role,
            "past": past,
            "events": selectors.events_for_program(program=program, user=request.user, past=past),
            "viewer_zone": user_zone(request.user),
        },
    )


def _render_form(
    request: HttpRequest,
    form: EventForm,
    *,
    program: Program,
    event: Event | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "events/form.html",
        {"form": form, "program": program, "event": event},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_new(request: HttpRequest, slug: str) -> HttpResponse:
    program, _role = _or_404(selectors.program_for_events, slug=slug, user=request.user)
    zone = user_zone(request.user)
    if request.method != "POST":
        return _render_form(request, EventForm(zone=zone, auto_id="event_%s"), program=program)
    form = EventForm(request.POST, zone=zone, auto_id="event_%s")
    if form.is_valid():
        try:
            event = services.event_create(program=program, by=_user(request), **form.event_data())
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, "Your event is posted.")
            return redirect(_detail_url(event))
    return _render_form(request, form, program=program, status=422)


# One event -------------------------------------------------------------------------------


def _share_targets(event: Event, user: User) -> list[tuple[int, str]]:
    targets = selectors.share_targets(program=event.program, user=user)
    return [(mentorship.pk, with_label(mentorship, user)) for mentorship in targets]


def _render_detail(
    request: HttpRequest,
    event: Event,
    role: str,
    *,
    share_form: ShareForm | None = None,
    error: str = "",
    done: str = "",
    status: int = 200,
    fragment: bool = False,
) -> HttpResponse:
    user = _user(request)
    attendance = selectors.attendance_for(event=event)
    mine = next(
        (rsvp for rsvp in [*attendance.going, *attendance.waiting] if rsvp.user_id == user.pk),
        None,
    )
    is_open = not event.is_cancelled and not event.has_started
    targets = _share_targets(event, user) if is_open else []
    if share_form is None and targets:
        share_form = ShareForm(
            targets=targets,
            initial={"client_key": uuid.uuid4().hex},
            auto_id="share_%s",
        )
    going = len(attendance.going)
    context = {
        "event": event,
        "role": role,
        "attendance": attendance,
        "going_count": going,
        "places_left": None if event.capacity is None else max(0, event.capacity - going),
        "my_status": mine.status if mine else None,
        "position": attendance.position_of(user),
        "is_open": is_open,
        "can_edit": selectors.may_edit(event=event, user=user, role=role),
        "sees_waiting": selectors.sees_waiting_list(event=event, user=user, role=role),
        "share_form": share_form,
        "description_html": render_markdown(event.description) if event.description else "",
        "viewer_zone": user_zone(user),
        "error": error,
        "done": done,
    }
    template = "events/_event.html" if fragment else "events/detail.html"
    return render(request, template, context, status=status)


@login_required
@require_GET
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event, role = _or_404(selectors.event_for, event_id=event_id, user=request.user)
    return _render_detail(request, event, role)


def _editable(request: HttpRequest, event_id: int) -> tuple[Event, str]:
    event, role = _or_404(selectors.event_for, event_id=event_id, user=request.user)
    if not selectors.may_edit(event=event, user=request.user, role=role):
        raise PermissionDenied(services.EDITORS_ONLY)
    return event, role


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    event, _role = _editable(request, event_id)
    if request.method != "POST":
        form = EventForm.for_event(event, auto_id="event_%s")
        return _render_form(request, form, program=event.program, event=event)
    form = EventForm(request.POST, zone=event.time_zone, auto_id="event_%s")
    if form.is_valid():
        try:
            services.event_update(event=event, by=_user(request), data=form.event_data())
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, "The event was saved.")
            return redirect(_detail_url(event))
    return _render_form(request, form, program=event.program, event=event, status=422)


@login_required
@require_POST
def event_cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    event, role = _editable(request, event_id)
    try:
        services.event_cancel(event=event, by=_user(request))
    except ValidationError as error:
        return _render_detail(request, event, role, error=error_text(error), status=422)
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, "The event is cancelled; everyone who answered was told.")
    return redirect(_detail_url(event))


def _rsvp_done(request: HttpRequest, event: Event, role: str, done: str) -> HttpResponse:
    if _is_htmx(request):
        fresh, role = _or_404(selectors.event_for, event_id=event.pk, user=request.user)
        return _render_detail(request, fresh, role, done=done, fragment=True)
    messages.success(request, done)
    return redirect(safe_next(request) or _detail_url(event))


def _rsvp_refused(request: HttpRequest, event: Event, role: str, error: str) -> HttpResponse:
    if _is_htmx(request):
        # htmx swaps 2xx answers only: the error shows in place of the buttons.
        return _render_detail(request, event, role, error=error, fragment=True)
    return _render_detail(request, event, role, error=error, status=422)


@login_required
@require_POST
def rsvp(request: HttpRequest, event_id: int) -> HttpResponse:
    """Say I'm going: a place if one is free, else a place in the waiting line."""
    event, role = _or_404(selectors.event_for, event_id=event_id, user=request.user)
    try:
        answer = services.rsvp_attend(event=event, by=_user(request))
    except ValidationError as error:
        return _rsvp_refused(request, event, role, error_text(error))
    if answer.status == RSVPStatus.GOING:
        done = f"You are going to {event.title}."
    else:
        position = selectors.waiting_position(event=event, user=request.user)
        done = f"{event.title} is full: you are number {position} on the waiting list."
    return _rsvp_done(request, event, role, done)


@login_required
@require_POST
def rsvp_cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    event, role = _or_404(selectors.event_for, event_id=event_id, user=request.user)
    try:
        services.rsvp_cancel(event=event, by=_user(request))
    except ValidationError as error:
        return _rsvp_refused(request, event, role, error_text(error))
    return _rsvp_done(request, event, role, "Your place is cancelled.")


@login_required
@require_POST
def share(request: HttpRequest, event_id: int) -> HttpResponse:
    """Post the event as a card into one of the viewer's mentorship conversations."""
    event, role = _or_404(selectors.event_for, event_id=event_id, user=request.user)
    user = _user(request)
    targets = selectors.share_targets(program=event.program, user=user)
    labels = [(mentorship.pk, with_label(mentorship, user)) for mentorship in targets]
    form = ShareForm(request.POST, targets=labels, auto_id="share_%s")
    if form.is_valid():
        chosen = next(m for m in targets if m.pk == form.cleaned_data["mentorship"])
        try:
            services.event_share(
                event=event,
                by=user,
                mentorship=chosen,
                client_key=form.cleaned_data["client_key"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except RateLimitedError as error:
            form.add_error(None, str(error))
        except (NotFoundError, PermissionDeniedError):
            form.add_error("mentorship", "You cannot write in that conversation.")
        else:
            messages.success(request, f"Shared with {with_label(chosen, user)}.")
            return redirect(_detail_url(event))
    return _render_detail(request, event, role, share_form=form, status=422)


@login_required
@require_GET
def event_ics(request: HttpRequest, event_id: int) -> HttpResponse:
    event, _role = _or_404(selectors.event_for, event_id=event_id, user=request.user)
    response = HttpResponse(ics.event_ics(event), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ics.ics_filename(event)}"'
    return response

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from trellis.core.errors import NotFoundError
from trellis.core.time import get_zone
from trellis.profiles import selectors, services
from trellis.profiles.forms import (
    AVAILABILITY_PREFIX,
    EXCEPTION_FIRST_ROWS,
    MAX_EXCEPTION_WINDOWS,
    AvailabilityExceptionForm,
    AvailabilityFormSet,
    AvailabilityWindowForm,
    ProfileForm,
    availability_initial,
)
from trellis.profiles.models import Profile
from trellis.profiles.services import MAX_WINDOWS
from trellis.scheduling import availability
from trellis.scheduling.models import AvailabilityException


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@login_required
def profile_edit(request: HtmxHttpRequest) -> HttpResponse:
    """The person's own profile page: every field, the photo and the weekly windows.

    An HTMX request for `add_window` gets only the next empty window row.
    """
    if request.method == "GET" and request.htmx and "add_window" in request.GET:
        return _availability_row(request)
    profile = services.profile_get_or_create(user=request.user)  # type: ignore[arg-type]
    if request.method != "POST":
        form = ProfileForm(profile=profile)
        formset = AvailabilityFormSet(
            initial=availability_initial(profile), prefix=AVAILABILITY_PREFIX
        )
        return _render_edit(request, profile, form, formset)

    if "add_window" in request.POST:
        # Without JavaScript, "Add a window" posts the page back with one more empty row.
        data = request.POST.copy()
        total_key = f"{AVAILABILITY_PREFIX}-TOTAL_FORMS"
        data[total_key] = str(min(_int(data.get(total_key)) + 1, MAX_WINDOWS))
        form = ProfileForm(data, profile=profile)
        formset = AvailabilityFormSet(data, prefix=AVAILABILITY_PREFIX)
        return _render_edit(request, profile, form, formset)

    form = ProfileForm(request.POST, request.FILES, profile=profile)
    formset = AvailabilityFormSet(request.POST, prefix=AVAILABILITY_PREFIX)
    availability_errors: list[str] = []
    form_is_valid = form.is_valid()
    if formset.is_valid() and form_is_valid:
        try:
            services.profile_save(
                profile=profile,
                data=form.profile_data(),
                windows=formset.windows(),
                photo=form.cleaned_data["photo"],
                remove_photo=form.cleaned_data["remove_photo"],
            )
        except ValidationError as error:
            availability_errors = form.add_service_errors(error)
        else:
            messages.success(request, "Profile saved.")
            return redirect("profiles:edit")
    return _render_edit(
        request, profile, form, formset, availability_errors=availability_errors, status=422
    )


def _render_edit(
    request: HttpRequest,
    profile: Profile,
    form: ProfileForm,
    formset: Any,
    *,
    availability_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "profiles/edit.html",
        {
            "profile": profile,
            "form": form,
            "formset": formset,
            "availability_errors": availability_errors or [],
            "max_windows": MAX_WINDOWS,
        },
        status=status,
    )


def _availability_row(request: HttpRequest) -> HttpResponse:
    index = _int(request.GET.get(f"{AVAILABILITY_PREFIX}-TOTAL_FORMS"))
    if index >= MAX_WINDOWS:
        return render(request, "profiles/_availability_full.html", {"max_windows": MAX_WINDOWS})
    row = AvailabilityWindowForm(
        prefix=f"{AVAILABILITY_PREFIX}-{index}", empty_permitted=True, use_required_attribute=False
    )
    formset = AvailabilityFormSet(prefix=AVAILABILITY_PREFIX)
    formset.add_fields(row, index)
    # Keyboard and screen-reader users land on the row they just added.
    row.fields["weekday"].widget.attrs["autofocus"] = True
    return render(
        request,
        "profiles/_availability_row.html",
        {"row": row, "number": index + 1, "total_forms": index + 1},
    )


def _int(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


@login_required
def profile_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    """A person's profile as other signed-in people see it; the owner also sees private parts."""
    try:
        profile = selectors.profile_detail_for_user(user_id=user_id)
    except NotFoundError:
        raise Http404("No such profile.") from None
    zone = get_zone(profile.time_zone)
    return render(
        request,
        "profiles/detail.html",
        {
            "profile": profile,
            "is_owner": profile.user_id == request.user.pk,
            "their_now": timezone.localtime(timezone=zone),
            "windows": list(profile.availability.all()),
        },
    )


# --- Days that differ ------------------------------------------------------------------


@login_required
def availability_exceptions(request: HtmxHttpRequest) -> HttpResponse:
    """List the person's upcoming days that differ from their weekly windows; add one.

    An HTMX request for `add_window` gets only the next empty window row.
    """
    if request.method == "GET" and request.htmx and "add_window" in request.GET:
        return _exception_window_row(request)
    user = request.user
    # The person's zone decides which day is "today"; a first visit gets a profile.
    services.profile_get_or_create(user=user)  # type: ignore[arg-type]
    rows = _int(request.POST.get("rows")) or EXCEPTION_FIRST_ROWS
    if request.method != "POST":
        return _render_exceptions(request, AvailabilityExceptionForm())
    if "add_window" in request.POST:
        # Without JavaScript, "Add a window" posts the form back with one more empty row.
        form = AvailabilityExceptionForm(initial=request.POST.dict(), rows=rows + 1)
        return _render_exceptions(request, form)

    form = AvailabilityExceptionForm(request.POST, rows=rows)
    window_errors: list[str] = []
    if form.is_valid():
        try:
            exception = availability.availability_exception_set(
                user=user,  # type: ignore[arg-type]
                day=form.cleaned_data["date"],
                windows=form.service_windows(),
                note=form.cleaned_data["note"],
                by=user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            window_errors = form.add_service_errors(error)
        else:
            messages.success(request, f"Saved: {describe_exception(exception)}.")
            return redirect("profiles:availability_exceptions")
    return _render_exceptions(request, form, window_errors=window_errors, status=422)


@login_required
def availability_exception_delete(request: HtmxHttpRequest, day: str) -> HttpResponse:
    """Remove one of the person's own exceptions; anyone else's is not found."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        exception = availability.availability_exception_for(
            user=request.user,  # type: ignore[arg-type]
            day=datetime.date.fromisoformat(day),
        )
    except (ValueError, NotFoundError):
        raise Http404("You have no exception on that day.") from None
    description = describe_exception(exception)
    is_removed = False
    try:
        availability.availability_exception_delete(
            exception=exception,
            by=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as error:
        outcome = " ".join(error.messages)
    else:
        is_removed = True
        outcome = f"Removed: {description}."
    if request.htmx:
        # Only the list changes; the outcome is announced in its status line.
        return render(
            request,
            "profiles/_availability_exception_list.html",
            {"exceptions": _upcoming(request), "outcome": outcome},
        )
    if is_removed:
        messages.success(request, outcome)
    else:
        messages.error(request, outcome)
    return redirect("profiles:availability_exceptions")


def describe_exception(exception: AvailabilityException) -> str:
    day = f"{exception.date:%A %-d %B %Y}"
    if exception.is_day_off:
        return f"{day}, day off"
    times = ", ".join(
        f"{start:%H:%M}\N{EN DASH}{end:%H:%M}"
        for start, end in availability.window_times(exception)
    )
    return f"{day}, available {times}"


def _upcoming(request: HttpRequest) -> list[AvailabilityException]:
    return availability.upcoming_availability_exceptions(user=request.user)  # type: ignore[arg-type]


def _render_exceptions(
    request: HttpRequest,
    form: AvailabilityExceptionForm,
    *,
    window_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "profiles/availability_exceptions.html",
        {
            "profile": request.user.profile,  # type: ignore[union-attr]
            "form": form,
            "exceptions": _upcoming(request),
            "window_errors": window_errors or [],
            "max_windows": MAX_EXCEPTION_WINDOWS,
            "max_days_ahead": availability.MAX_DAYS_AHEAD,
        },
        status=status,
    )


def _exception_window_row(request: HttpRequest) -> HttpResponse:
    rows = _int(request.GET.get("rows")) or EXCEPTION_FIRST_ROWS
    if rows >= MAX_EXCEPTION_WINDOWS:
        return render(
            request, "profiles/_availability_full.html", {"max_windows": MAX_EXCEPTION_WINDOWS}
        )
    form = AvailabilityExceptionForm(rows=rows + 1)
    number, start, end = form.window_rows()[rows]
    # Keyboard and screen-reader users land on the row they just added.
    start.field.widget.attrs["autofocus"] = True
    return render(
        request,
        "profiles/_availability_exception_row.html",
        {"number": number, "start": start, "end": end, "rows": rows + 1},
    )

"""Days that differ: a person's date-specific availability exceptions (holidays).

Status (issue #4): done and tested (``tests/test_availability_exceptions.py``; page and
API in trellis/profiles). A person marks one local date as a day off or gives the
windows that replace that day's weekly windows; ``selectors.person_schedule`` reads them
and slot finding (``slots._windows_on``) applies them, in the person's own zone.

Rules:
- Only your own exceptions; ``by`` must be the person (the page and API only ever
  address the signed-in person's, so another's is simply not found there).
- The date is a local date in the person's profile zone: not before their today, at most
  ``MAX_DAYS_AHEAD`` days after it. A day that has passed can no longer change.
- Up to ``MAX_WINDOWS`` windows of local wall times to the minute; each ends after it
  starts (an end of 00:00 means midnight at the day's end); they may touch, not overlap.
- One exception per person and date (database constraint); setting a date again replaces
  it. Every refusal raises ``ValidationError`` with field errors ("date", "windows",
  "note") and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.time import get_zone
from trellis.scheduling.models import AvailabilityException

MAX_WINDOWS = 6
MAX_DAYS_AHEAD = 365
MAX_NOTE_LENGTH = AvailabilityException._meta.get_field("note").max_length or 200
MIDNIGHT = dt.time(0)

WindowInput = Sequence[Any]
Errors = dict[str, list[str]]


# Reads ---------------------------------------------------------------------------------


def person_today(*, user: User, now: dt.datetime | None = None) -> dt.date:
    """The date on the person's own clock (their profile zone; UTC without a profile)."""
    profile = getattr(user, "profile", None)
    zone = get_zone(getattr(profile, "time_zone", None))
    return (now or timezone.now()).astimezone(zone).date()


def availability_exceptions_for(
    *, user: User, start: dt.date, end: dt.date
) -> list[AvailabilityException]:
    """The person's exceptions dated from start to end (both included), earliest first."""
    return list(
        AvailabilityException.objects.filter(user=user, date__range=(start, end)).order_by("date")
    )


def upcoming_availability_exceptions(
    *, user: User, now: dt.datetime | None = None
) -> list[AvailabilityException]:
    """The person's exceptions from their today on, as far ahead as one may set them."""
    today = person_today(user=user, now=now)
    return availability_exceptions_for(
        user=user, start=today, end=today + dt.timedelta(days=MAX_DAYS_AHEAD)
    )


def availability_exception_for(*, user: User, day: dt.date) -> AvailabilityException:
    """The person's own exception on day; NotFoundError when they have none."""
    exception = AvailabilityException.objects.filter(user=user, date=day).first()
    if exception is None:
        raise NotFoundError("You have no exception on that day.")
    return exception


def window_times(exception: AvailabilityException) -> list[tuple[dt.time, dt.time]]:
    """The exception's windows as local times (an end of 00:00 is midnight)."""
    return [
        (dt.time.fromisoformat(start), dt.time.fromisoformat(end))
        for start, end in exception.windows
    ]


# Writes --------------------------------------------------------------------------------


def availability_exception_set(
    *,
    user: User,
    day: dt.date,
    windows: Sequence[WindowInput] | None,
    by: User,
    note: str = "",
    now: dt.datetime | None = None,
) -> AvailabilityException:
    """Make day differ from the person's weekly availability: a day off (windows None) or
    only the given (start, end) local windows. Replaces an exception already on that day.
    """
    _check_is_owner(user=user, by=by)
    errors: Errors = {}
    try:
        _check_day(day, today=person_today(user=user, now=now))
    except ValidationError as error:
        errors["date"] = list(error.messages)
    stored_windows: list[list[str]] = []
    if windows is not None:
        try:
            stored_windows = _clean_windows(windows)
        except ValidationError as error:
            errors["windows"] = list(error.messages)
    try:
        clean_note = _clean_note(note)
    except ValidationError as error:
        errors["note"] = list(error.messages)
    if errors:
        raise ValidationError(errors)

    values = {"windows": stored_windows, "note": clean_note}
    with transaction.atomic():
        exception = (
            AvailabilityException.objects.select_for_update().filter(user=user, date=day).first()
        )
        if exception is None:
            try:
                # A savepoint: when the same day is being created at the same moment, the
                # unique constraint decides and the loser updates the winner's row.
                with transaction.atomic():
                    return AvailabilityException.objects.create(user=user, date=day, **values)
            except IntegrityError:
                exception = AvailabilityException.objects.select_for_update().get(
                    user=user, date=day
                )
        for field, value in values.items():
            setattr(exception, field, value)
        exception.save(update_fields=list(values))
    return exception


def availability_exception_delete(
    *, exception: AvailabilityException, by: User, now: dt.datetime | None = None
) -> None:
    """Remove the exception so the weekly windows apply on its day again."""
    _check_is_owner(user=exception.user, by=by)
    if exception.date < person_today(user=exception.user, now=now):
        raise ValidationError({"date": ["This day has passed; it can no longer change."]})
    exception.delete()


# Checks --------------------------------------------------------------------------------


def _check_is_owner(*, user: User, by: User) -> None:
    if by is None or by.pk is None or by.pk != user.pk:
        raise PermissionDeniedError("You can only change your own availability.")


def _check_day(day: Any, *, today: dt.date) -> None:
    # A datetime is a date too; its time of day would be silently lost.
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise ValidationError("Give a date such as 2025-12-24.")
    if day < today:
        raise ValidationError("Choose today or a later day; this one has passed.")
    if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError("Choose a day within the next year.")


def _clean_time(value: Any, *, name: str) -> dt.time:
    if isinstance(value, str):
        try:
            value = dt.time.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(f"the {name} is not a time such as 09:30.") from None
    if not isinstance(value, dt.time):
        raise ValidationError(f"give the {name} as a time such as 09:30.")
    if value.tzinfo is not None:
        raise ValidationError(f"give the {name} as a local time, without a zone offset.")
    # Kept to the minute: people plan in minutes, and seconds would hide overlaps.
    return value.replace(second=0, microsecond=0)


def _minutes(start: dt.time, end: dt.time) -> tuple[int, int]:
    """Minutes since midnight; an end of 00:00 is the day's end (1440)."""
    end_minutes = end.hour * 60 + end.minute
    return start.hour * 60 + start.minute, end_minutes or 24 * 60


def _clean_windows(windows: Any) -> list[list[str]]:
    if isinstance(windows, str | bytes) or not isinstance(windows, Sequence):
        raise ValidationError("Give a list of windows, each a start and an end time.")
    if not windows:
        raise ValidationError("Give at least one window, or make it a day off.")
    if len(windows) > MAX_WINDOWS:
        raise ValidationError(f"Give at most {MAX_WINDOWS} windows; there are {len(windows)}.")
    messages: list[str] = []
    cleaned: list[tuple[int, int, dt.time, dt.time]] = []
    for number, window in enumerate(windows, start=1):
        try:
            if isinstance(window, str | bytes) or not isinstance(window, Sequence):
                raise ValidationError("give a start and an end time.")
            if len(window) != 2:
                raise ValidationError("give a start and an end time.")
            start = _clean_time(window[0], name="start")
            end = _clean_time(window[1], name="end")
            start_minutes, end_minutes = _minutes(start, end)
            if end_minutes <= start_minutes:
                raise ValidationError("the end must be after the start.")
        except ValidationError as error:
            messages.extend(f"Window {number}: {message}" for message in error.messages)
        else:
            cleaned.append((start_minutes, end_minutes, start, end))
    latest: tuple[int, int, dt.time, dt.time] | None = None  # the latest end so far
    for window in sorted(cleaned):
        if latest is not None and window[0] < latest[1]:
            messages.append(f"{_describe(latest)} overlaps {_describe(window)}.")
        if latest is None or window[1] > latest[1]:
            latest = window
    if messages:
        raise ValidationError(messages)
    return [[f"{start:%H:%M}", f"{end:%H:%M}"] for _, _, start, end in sorted(cleaned)]


def _describe(window: tuple[int, int, dt.time, dt.time]) -> str:
    return f"{window[2]:%H:%M}\N{EN DASH}{window[3]:%H:%M}"


def _clean_note(note: Any) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise ValidationError("Enter text.")
    note = " ".join(note.split())
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError(f"Keep the note to {MAX_NOTE_LENGTH} characters.")
    return note

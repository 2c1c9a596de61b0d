"""Writes for calendars: feed tokens, invitations by email, subscribed calendars.

Status (issue #4, calendars wave 2):
- Done: secret revocable feed (CalendarFeedToken, hash only; /account/calendar/ page;
  /calendar/<token>.ics with ETag, private caching, a per-token rate limit), events from
  scheduling.selectors.calendar_events_for (imported lazily; empty feed without it);
  ``invitation_send`` (one email per recipient through notifications' prepared-email task,
  on commit); subscribed ICS calendars (ExternalCalendar; SSRF-guarded fetch in
  calendars.fetch, 15 s / 2 MB limits; busy cache for 8 weeks; ``calendars_refresh``
  command for cron; ``selectors.busy_intervals_for`` reads the cache only).
  Durable reminders live in trellis.notifications (Reminder, reminder_schedule,
  reminders_cancel, ``reminders_send_due``).
- Next: per-person reminder offsets on the profile (REMINDER_OFFSETS for now); a browser
  test of the calendar page; ical.js parsing of the served feed with real meetings.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from trellis.accounts.models import User
from trellis.accounts.services import hash_token
from trellis.calendars import fetch, ics
from trellis.calendars.models import CalendarFeedToken, ExternalCalendar
from trellis.core.errors import PermissionDeniedError
from trellis.core.time import get_zone

logger = logging.getLogger(__name__)

FEED_TOKEN_PREFIX = "cal_"  # noqa: S105 (a public marker, not a secret)
MAX_EXTERNAL_CALENDARS = 10
# Busy time is cached for this long ahead; slot finding looks no further.
BUSY_HORIZON = timedelta(weeks=8)


# --- Feed tokens -------------------------------------------------------------------------


def calendar_feed_token_create(*, user: User) -> tuple[CalendarFeedToken, str]:
    """Give user a new feed URL secret, revoking the previous one; return it with the secret.

    The secret is never stored: only its hash, as for personal API tokens.
    """
    raw = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    try:
        with transaction.atomic():
            CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(
                revoked_at=now, updated_at=now
            )
            token = CalendarFeedToken(
                user=user, prefix=raw[: len(FEED_TOKEN_PREFIX) + 6], token_hash=hash_token(raw)
            )
            token.full_clean(validate_constraints=False)
            token.save()
    except IntegrityError as error:  # two resets at once: one wins, the other retries
        raise ValidationError("Your feed was changed at the same moment; try again.") from error
    return token, raw


def calendar_feed_token_revoke(*, token: CalendarFeedToken, by: User) -> CalendarFeedToken:
    if token.user_id != by.pk:
        raise PermissionDeniedError("This is not your calendar feed.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    return token


def calendar_feed_token_record_use(*, token: CalendarFeedToken) -> None:
    """Record that a calendar app read the feed, at most once a minute."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        CalendarFeedToken.objects.filter(pk=token.pk).update(last_used_at=now)


# --- Invitations ---------------------------------------------------------------------------


def invitation_send(
    *,
    event: ics.CalendarEvent,
    method: ics.InvitationMethod,
    recipients: Iterable[User | str],
    recurrence_id: datetime | None = None,
    note: str = "",
) -> int:
    """Email the iCalendar invitation (or cancellation) of ``event`` to each recipient.

    Each recipient gets their own message, with times in their own zone when they are a
    user, queued on commit through the email task; return how many were queued. ``note``
    opens the text when the event alone does not say why it comes (someone who left a
    group gets its meetings cancelled, while they go on for the others).
    """
    count = 0
    for recipient in recipients:
        address, zone_name = _address_and_zone(recipient)
        if not address:
            continue
        subject, body = _invitation_text(
            event, method=method, recurrence_id=recurrence_id, zone_name=zone_name
        )
        if note:
            body = f"{note}\n\n{body}"
        message = ics.invitation_email(
            event,
            method=method,
            subject=subject,
            body=body,
            to=[address],
            from_email=settings.DEFAULT_FROM_EMAIL,
            recurrence_id=recurrence_id,
        )
        # Imported here: notifications imports nothing from calendars, keep it that way.
        from trellis.notifications.services import email_message_send_on_commit

        email_message_send_on_commit(message=message)
        count += 1
    return count


def _address_and_zone(recipient: User | str) -> tuple[str, str | None]:
    if isinstance(recipient, str):
        return recipient, None
    if not recipient.is_active:
        return "", None
    profile = getattr(recipient, "profile", None)
    return recipient.email, getattr(profile, "time_zone", None)


def _invitation_text(
    event: ics.CalendarEvent,
    *,
    method: ics.InvitationMethod,
    recurrence_id: datetime | None,
    zone_name: str | None,
) -> tuple[str, str]:
    zone = get_zone(zone_name) if zone_name else event.time_zone
    start = (recurrence_id or event.start).astimezone(zone)
    when = f"{start:%A %d %B %Y, %H:%M} ({zone.key})"
    if method == "CANCEL":
        scope = "This occurrence" if recurrence_id is not None else "This meeting"
        subject = f"Cancelled: {event.summary}"
        lines = [f"{scope} was cancelled: {event.summary}, {when}."]
    else:
        subject = (
            f"Updated invitation: {event.summary}"
            if event.sequence
            else f"Invitation: {event.summary}"
        )
        lines = [f"{event.organizer.name} invites you to {event.summary}.", f"When: {when}"]
        if event.rrule:
            lines.append("It repeats; your calendar app shows the series.")
    if event.location:
        lines.append(f"Where: {event.location}")
    if event.url:
        lines.append(f"Join: {event.url}")
    if event.description:
        lines += ["", event.description]
    lines += ["", "The attached invitation adds it to your calendar."]
    return subject, "\n".join(lines)


# --- Subscribed calendars (free/busy) -----------------------------------------------------


def external_calendar_add(*, user: User, name: str, url: str) -> ExternalCalendar:
    """Subscribe user to a calendar by URL and fetch it in the background, on commit."""
    name = (name or "").strip()
    url = fetch.normalize_url(url)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the calendar a name."]
    try:
        fetch.check_url(url)
    except fetch.CalendarURLError as error:
        errors["url"] = [str(error)]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Lock the person's row so two adds at once cannot pass the limit together.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if ExternalCalendar.objects.filter(user=user).count() >= MAX_EXTERNAL_CALENDARS:
            raise ValidationError(
                {"url": [f"You can subscribe to {MAX_EXTERNAL_CALENDARS} calendars; remove one."]}
            )
        if ExternalCalendar.objects.filter(user=user, url=url).exists():
            raise ValidationError({"url": ["You already subscribe to this calendar."]})
        calendar = ExternalCalendar(user=user, name=name[:80], url=url)
        calendar.full_clean()
        calendar.save()
    _refresh_on_commit(calendar.pk)
    return calendar


def external_calendar_remove(*, external_calendar: ExternalCalendar, by: User) -> None:
    if external_calendar.user_id != by.pk:
        raise PermissionDeniedError("This is not your calendar.")
    external_calendar.delete()


def external_calendars_refresh_all() -> int:
    """Queue a refresh of every subscribed calendar (cron); return how many."""
    ids = list(ExternalCalendar.objects.values_list("pk", flat=True))
    for calendar_id in ids:
        _refresh_on_commit(calendar_id)
    return len(ids)


def _refresh_on_commit(calendar_id: int) -> None:
    from trellis.calendars.tasks import external_calendar_refresh_task

    transaction.on_commit(
        lambda: external_calendar_refresh_task.enqueue(external_calendar_id=calendar_id)
    )


def external_calendar_refresh(*, external_calendar: ExternalCalendar) -> ExternalCalendar:
    """Fetch the calendar and cache its busy time for the next weeks, or record the error.

    On an error the previous busy cache stays: a calendar that is down for an hour still
    blocks its owner's meetings.
    """
    now = timezone.now()
    profile = getattr(external_calendar.user, "profile", None)
    zone_name = getattr(profile, "time_zone", None)
    try:
        body = fetch.fetch_calendar(external_calendar.url)
        intervals = ics.busy_intervals(
            body, start=now, end=now + BUSY_HORIZON, time_zone=zone_name or None
        )
    except (fetch.CalendarURLError, fetch.CalendarFetchError, ics.CalendarParseError) as error:
        external_calendar.error = str(error)[:1000]
        logger.info("Calendar %s not refreshed: %s", external_calendar.pk, error)
    else:
        external_calendar.busy = [
            [interval.start.isoformat(), interval.end.isoformat()] for interval in intervals
        ]
        external_calendar.error = ""
    external_calendar.fetched_at = now
    external_calendar.save(update_fields=["busy", "error", "fetched_at", "updated_at"])
    return external_calendar

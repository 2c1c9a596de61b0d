"""Writes of events: post, change, cancel; RSVPs with a waiting line; share into a chat.

Places are counted under the event's row lock (``select_for_update``): every change of
an event's RSVPs takes it first, so parallel answers queue up and never take more places
than there are. Someone going who cancels, or a larger capacity, moves the first in line
up in the same transaction, and they are told. People going get reminders before the
event at their own reminder times (notifications' ReminderPreference), keyed
``event:<event>:<person>:<minutes>``; they are cancelled with the place or the event and
planned again when the time moves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.time import available_time_zones
from trellis.events import selectors
from trellis.events.models import (
    MAX_CAPACITY,
    MAX_DESCRIPTION_LENGTH,
    MAX_EVENT_LENGTH,
    MAX_PLACE_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    RSVP,
    Event,
    RSVPStatus,
)
from trellis.notifications.selectors import reminder_offsets_for_users
from trellis.notifications.services import (
    notification_send,
    reminder_schedule,
    reminders_cancel,
)
from trellis.scheduling.selectors import display_name, is_participant, user_zone

if TYPE_CHECKING:
    from trellis.accounts.models import User
    from trellis.mentorships.models import Mentorship
    from trellis.messaging.models import Message
    from trellis.programs.models import Program

# What event_update changes.
EVENT_FIELDS = (
    "title",
    "description",
    "starts_at",
    "ends_at",
    "time_zone",
    "place",
    "online_url",
    "capacity",
)
# A change of these is news to calendars (SEQUENCE) ...
CALENDAR_FIELDS = frozenset(EVENT_FIELDS) - {"capacity"}
# ... and to the people who answered.
NEWS_FIELDS = frozenset({"starts_at", "ends_at", "place", "online_url"})
EVENT_KEY_PREFIX = "event:"
ANSWERED = (RSVPStatus.GOING, RSVPStatus.WAITING)
EDITORS_ONLY = "Only the event's organiser and the program's managers do this."

_https = URLValidator(schemes=["https"])


def event_url(event: Event) -> str:
    return reverse("events:detail", args=[event.pk])


def event_absolute_url(event: Event) -> str:
    return str(settings.SITE_URL).rstrip("/") + event_url(event)


def reminder_prefix(event_id: int, user_id: int | None = None) -> str:
    """The key prefix of an event's reminders (one person's, when given)."""
    prefix = f"{EVENT_KEY_PREFIX}{event_id}:"
    return f"{prefix}{user_id}:" if user_id is not None else prefix


def local_time(moment: dt.datetime, zone: str) -> str:
    """A moment as people read it, e.g. "Tue 3 Dec 18:00" (in the zone given)."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %H:%M}"


# Checks ----------------------------------------------------------------------------------


def _one_line(value: Any) -> str:
    text = str(value or "")
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _clean(values: Mapping[str, Any], *, now: dt.datetime, must_be_future: bool) -> dict[str, Any]:
    """The event's fields, tidied and checked; ValidationError with every field's problem."""
    errors: dict[str, str] = {}
    title = _one_line(values.get("title"))
    if not title:
        errors["title"] = "Give the event a title."
    elif len(title) > MAX_TITLE_LENGTH:
        errors["title"] = f"Keep the title under {MAX_TITLE_LENGTH} characters."
    description = str(values.get("description") or "").replace("\r\n", "\n").strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        errors["description"] = (
            f"Keep the description under {MAX_DESCRIPTION_LENGTH} characters "
            f"(this has {len(description)})."
        )
    place = _one_line(values.get("place"))
    if len(place) > MAX_PLACE_LENGTH:
        errors["place"] = f"Keep the place under {MAX_PLACE_LENGTH} characters."
    online_url = str(values.get("online_url") or "").strip()
    if online_url:
        if len(online_url) > MAX_URL_LENGTH:
            errors["online_url"] = f"Keep the link under {MAX_URL_LENGTH} characters."
        else:
            try:
                _https(online_url)
            except ValidationError:
                errors["online_url"] = "Give a link starting with https://."
    if not place and not online_url and "place" not in errors and "online_url" not in errors:
        errors["place"] = "Say where it happens: a place, an online link, or both."
    time_zone = str(values.get("time_zone") or "").strip()
    if time_zone not in available_time_zones():
        errors["time_zone"] = "Pick a time zone from the list, such as Europe/Berlin."
    instants: dict[str, dt.datetime] = {}
    for field in ("starts_at", "ends_at"):
        moment = values.get(field)
        if not isinstance(moment, dt.datetime) or timezone.is_naive(moment):
            errors[field] = "Give a date and time with its time zone."
        else:
            instants[field] = moment.astimezone(dt.UTC).replace(microsecond=0)
    starts_at, ends_at = instants.get("starts_at"), instants.get("ends_at")
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            errors["ends_at"] = "The event must end after it starts."
        elif ends_at - starts_at > MAX_EVENT_LENGTH:
            errors["ends_at"] = "An event lasts at most 7 days."
        if must_be_future and starts_at <= now:
            errors["starts_at"] = "Pick a time in the future."
    capacity = values.get("capacity")
    if capacity is not None and (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or not 1 <= capacity <= MAX_CAPACITY
    ):
        errors["capacity"] = (
            f"Give a number of places from 1 to {MAX_CAPACITY}, or leave it empty for no limit."
        )
    if errors or starts_at is None or ends_at is None:
        raise ValidationError(errors)
    return {
        "title": title,
        "description": description,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "time_zone": time_zone,
        "place": place,
        "online_url": online_url,
        "capacity": capacity,
    }


def _role_or_404(event: Event, user: User) -> str:
    role = selectors.program_role(program=event.program, user=user)
    if role is None:
        raise NotFoundError("No such event.")
    return role


def _check_editor(event: Event, by: User) -> None:
    role = _role_or_404(event, by)
    if not selectors.may_edit(event=event, user=by, role=role):
        raise PermissionDeniedError(EDITORS_ONLY)


def _locked(event: Event) -> Event:
    """The event's row, locked until the commit: every change of its places takes it."""
    locked = Event.objects.select_for_update().get(pk=event.pk)
    locked.program = event.program
    return locked


def _copy(source: Event, target: Event) -> None:
    """Bring the caller's event up to date with the locked row that was saved."""
    for field in (*EVENT_FIELDS, "is_cancelled", "cancelled_at", "sequence", "updated_at"):
        setattr(target, field, getattr(source, field))


def _check_open(event: Event) -> None:
    if event.is_cancelled:
        raise ValidationError("This event was cancelled.")
    if event.has_started:
        raise ValidationError("This event has already started: places are no longer given out.")


# Reminders -------------------------------------------------------------------------------


def _plan_reminders(
    event: Event, people: Iterable[User], offsets_by_user: Mapping[int, Any] | None = None
) -> None:
    """Schedule each person's reminders of the event, at their own reminder times."""
    people = list(people)
    if not people:
        return
    if offsets_by_user is None:
        offsets_by_user = reminder_offsets_for_users(user_ids=[person.pk for person in people])
    now = timezone.now()
    where = event.place or event.online_url
    for person in people:
        title = f"Soon: {event.title}, {local_time(event.starts_at, user_zone(person))}"
        for offset in offsets_by_user.get(person.pk, ()):
            fire_at = event.starts_at - offset
            if fire_at <= now:
                continue
            minutes = int(offset.total_seconds() // 60)
            reminder_schedule(
                key=f"{reminder_prefix(event.pk, person.pk)}{minutes}",
                recipient=person,
                fire_at=fire_at,
                title=title[:200],
                body=where,
                url=event_url(event),
            )


def _replan_reminders(event: Event) -> None:
    """Cancel the event's reminders and plan those of everyone going afresh."""
    reminders_cancel(key_prefix=reminder_prefix(event.pk))
    going = RSVP.objects.filter(event=event, status=RSVPStatus.GOING).select_related(
        "user__profile"
    )
    _plan_reminders(event, [rsvp.user for rsvp in going])


# Places ----------------------------------------------------------------------------------


def _going_count(event: Event) -> int:
    return RSVP.objects.filter(event=event, status=RSVPStatus.GOING).count()


def _promote(event: Event) -> list[RSVP]:
    """Move the first in line up into the free places (the caller holds the event's lock)."""
    waiting = (
        RSVP.objects.filter(event=event, status=RSVPStatus.WAITING)
        .select_related("user__profile")
        .order_by("queued_at", "pk")
    )
    if event.capacity is not None:
        free = event.capacity - _going_count(event)
        if free <= 0:
            return []
        waiting = waiting[:free]
    promoted = list(waiting)
    if not promoted:
        return []
    RSVP.objects.filter(pk__in=[rsvp.pk for rsvp in promoted]).update(
        status=RSVPStatus.GOING, updated_at=timezone.now()
    )
    _plan_reminders(event, [rsvp.user for rsvp in promoted])
    for rsvp in promoted:
        rsvp.status = RSVPStatus.GOING
        notification_send(
            recipient=rsvp.user,
            kind="event_place",
            title=f"A place opened: you are going to {event.title}",
            body=f"It starts {local_time(event.starts_at, user_zone(rsvp.user))} (your time).",
            url=event_url(event),
        )
    return promoted


# Events ----------------------------------------------------------------------------------


@transaction.atomic
def event_create(
    *,
    program: Program,
    by: User,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    time_zone: str = "",
    description: str = "",
    place: str = "",
    online_url: str = "",
    capacity: int | None = None,
) -> Event:
    """Post an event in the program (its approved participants, managers and staff).

    ``time_zone`` is the zone it is planned in: the poster's own when not given.
    """
    if selectors.program_role(program=program, user=by) is None:
        raise PermissionDeniedError("Only the program's participants and managers post events.")
    cleaned = _clean(
        {
            "title": title,
            "description": description,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "time_zone": time_zone or user_zone(by),
            "place": place,
            "online_url": online_url,
            "capacity": capacity,
        },
        now=timezone.now(),
        must_be_future=True,
    )
    event = Event(program=program, created_by=by, **cleaned)
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def event_update(*, event: Event, by: User, data: dict[str, Any]) -> Event:
    """Change some of EVENT_FIELDS (organiser and managers; not once cancelled or over).

    A larger capacity moves people up from the waiting line; a smaller one never takes a
    place from someone going (new answers wait until enough cancel). A new time re-plans
    the reminders; a new time or place is news to everyone who answered.
    """
    unknown = set(data) - set(EVENT_FIELDS)
    if unknown:
        raise ValueError(f"event_update does not change {sorted(unknown)}.")
    _check_editor(event, by)
    locked = _locked(event)
    if locked.is_cancelled:
        raise ValidationError("This event was cancelled: it can no longer change.")
    if locked.has_ended:
        raise ValidationError("This event is over: it can no longer change.")
    merged = {field: data.get(field, getattr(locked, field)) for field in EVENT_FIELDS}
    moves = any(
        field in data and data[field] != getattr(locked, field)
        for field in ("starts_at", "ends_at")
    )
    cleaned = _clean(merged, now=timezone.now(), must_be_future=moves)
    changed = {field for field in EVENT_FIELDS if cleaned[field] != getattr(locked, field)}
    if not changed:
        return event
    for field in changed:
        setattr(locked, field, cleaned[field])
    if changed & CALENDAR_FIELDS:
        locked.sequence += 1
    locked.full_clean()
    locked.save()
    _copy(locked, event)
    promoted = _promote(locked) if "capacity" in changed else []
    if changed & {"starts_at", "title"}:
        _replan_reminders(locked)
    if changed & NEWS_FIELDS:
        moved = {rsvp.pk for rsvp in promoted}
        answered = RSVP.objects.filter(event=locked, status__in=ANSWERED).select_related(
            "user__profile"
        )
        for rsvp in answered:
            if rsvp.user_id == by.pk or rsvp.pk in moved:
                continue
            where = locked.place or locked.online_url
            notification_send(
                recipient=rsvp.user,
                kind="event_changed",
                title=f"Changed: {locked.title}",
                body=f"It is now {local_time(locked.starts_at, user_zone(rsvp.user))} "
                f"(your time), {where}.",
                url=event_url(locked),
            )
    return event


@transaction.atomic
def event_cancel(*, event: Event, by: User) -> Event:
    """Call the event off (organiser and managers): its reminders stop, people are told."""
    _check_editor(event, by)
    locked = _locked(event)
    if locked.is_cancelled:
        raise ValidationError("This event is already cancelled.")
    if locked.has_ended:
        raise ValidationError("This event is over: there is nothing to cancel.")
    locked.is_cancelled = True
    locked.cancelled_at = timezone.now()
    locked.sequence += 1
    locked.save(update_fields=["is_cancelled", "cancelled_at", "sequence", "updated_at"])
    _copy(locked, event)
    reminders_cancel(key_prefix=reminder_prefix(locked.pk))
    answered = RSVP.objects.filter(event=locked, status__in=ANSWERED).select_related(
        "user__profile"
    )
    for rsvp in answered:
        if rsvp.user_id == by.pk:
            continue
        notification_send(
            recipient=rsvp.user,
            kind="event_cancelled",
            title=f"Cancelled: {locked.title}",
            body=f"{display_name(by)} cancelled the event planned for "
            f"{local_time(locked.starts_at, user_zone(rsvp.user))} (your time).",
            url=event_url(locked),
        )
    return event


# RSVPs -----------------------------------------------------------------------------------


@transaction.atomic
def rsvp_attend(*, event: Event, by: User) -> RSVP:
    """Say ``by`` is going: a place if one is free, else the end of the waiting line.

    Answering again while going or waiting changes nothing and returns the same answer.
    """
    _role_or_404(event, by)
    locked = _locked(event)
    _check_open(locked)
    rsvp = RSVP.objects.filter(event=locked, user_id=by.pk).first()
    if rsvp is not None and rsvp.status in ANSWERED:
        return rsvp
    has_room = locked.capacity is None or _going_count(locked) < locked.capacity
    status = RSVPStatus.GOING if has_room else RSVPStatus.WAITING
    now = timezone.now()
    if rsvp is None:
        rsvp = RSVP(event=locked, user=by, status=status, created_at=now, queued_at=now)
    else:
        rsvp.status, rsvp.queued_at = status, now
    rsvp.full_clean(validate_constraints=False)  # the unique constraint is the database's
    rsvp.save()
    if status == RSVPStatus.GOING:
        _plan_reminders(locked, [by])
    return rsvp


@transaction.atomic
def rsvp_cancel(*, event: Event, by: User) -> RSVP:
    """Give up one's place (or place in line); the first in line takes a freed place."""
    _role_or_404(event, by)
    locked = _locked(event)
    if locked.is_cancelled:
        raise ValidationError("This event was cancelled.")
    if locked.has_started:
        raise ValidationError("This event has already started.")
    rsvp = RSVP.objects.filter(event=locked, user_id=by.pk, status__in=ANSWERED).first()
    if rsvp is None:
        raise ValidationError("You have no place to cancel.")
    was_going = rsvp.status == RSVPStatus.GOING
    rsvp.status = RSVPStatus.CANCELLED
    rsvp.save(update_fields=["status", "updated_at"])
    reminders_cancel(key_prefix=reminder_prefix(locked.pk, by.pk))
    if was_going:
        _promote(locked)
    return rsvp


# Sharing ---------------------------------------------------------------------------------


def event_card(event: Event) -> tuple[dict[str, Any], str]:
    """The event card for a conversation, and what the message must say besides.

    A card's link must be https: the event's page when the site is served over https;
    otherwise the page's link goes in the message and the card keeps the online link.
    """
    link = event_absolute_url(event)
    card = {
        "title": event.title,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "place": event.place,
        "url": event.online_url,
    }
    if link.startswith("https://"):
        card["url"] = link
        return card, ""
    return card, f"[See the event on Trellis]({link})"


@transaction.atomic
def event_share(
    *, event: Event, by: User, mentorship: Mentorship, client_key: str, note: str = ""
) -> Message:
    """Post the event as a card into the conversation of one of ``by``'s mentorships.

    The mentorship must be an ongoing one of the event's program that ``by`` takes part
    in now. A retry with the same ``client_key`` posts nothing new.
    """
    # Imported here: messaging is a large app that events only calls into when sharing.
    from trellis.messaging.services import conversation_for_mentorship, message_send

    _role_or_404(event, by)
    if event.is_cancelled:
        raise ValidationError("This event was cancelled: there is nothing to share.")
    if event.has_ended:
        raise ValidationError("This event is over.")
    if (
        mentorship.program_id != event.program_id
        or not mentorship.is_ongoing
        or not is_participant(mentorship=mentorship, user=by)
    ):
        raise ValidationError({"mentorship": "Pick one of your mentorships in this program."})
    card, extra = event_card(event)
    body = "\n\n".join(part for part in (str(note or "").strip(), extra) if part)
    conversation = conversation_for_mentorship(mentorship=mentorship)
    message, _created = message_send(
        conversation=conversation, sender=by, client_key=client_key, body=body, card=card
    )
    return message

"""Event cards: a networking event shared into a conversation, and its .ics file.

A card is ``{"title", "starts_at", "ends_at", "place", "url"}``. ``clean_event_card``
checks what a client sent and returns the stored form: instants in UTC ISO 8601
(``2026-12-01T17:00:00+00:00``), whole seconds, empty strings for what was not given.
Errors are one ValidationError whose keys are ``card.<field>`` (``card.title``,
``card.starts_at``, ``card.ends_at``, ``card.place``, ``card.url``), or ``card`` for the
card as a whole (not an object, unknown fields), so the API answers 422 with them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from icalendar import Calendar, Event

from trellis.calendars.ics import PRODID
from trellis.messaging.models import Message

MAX_TITLE_LENGTH = 200
MAX_PLACE_LENGTH = 200
MAX_URL_LENGTH = 500
MAX_EVENT_LENGTH = dt.timedelta(days=7)
FIELDS = ("title", "starts_at", "ends_at", "place", "url")

_https = URLValidator(schemes=["https"])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError
    # One line: a title or place never carries newlines or other control characters.
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


def _instant(value: Any) -> dt.datetime:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("Give a date and time.")
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            "Give an ISO 8601 date and time with its offset, e.g. 2026-12-01T18:00:00+01:00."
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Give the time with its offset from UTC, e.g. +01:00 or Z.")
    try:
        return moment.astimezone(dt.UTC).replace(microsecond=0)
    except OverflowError:
        raise ValueError("This date is out of range.") from None


def clean_event_card(card: dict[str, Any]) -> dict[str, Any]:
    """The card as stored; raise ValidationError with "card.<field>" keys if it is wrong."""
    if not isinstance(card, dict):
        raise ValidationError({"card": ["An event card is an object with a title and times."]})
    unknown = sorted(str(key) for key in card if key not in FIELDS)
    if unknown:
        raise ValidationError({"card": [f"Unknown fields: {', '.join(unknown)}."]})
    errors: dict[str, list[str]] = {}
    texts: dict[str, str] = {}
    for field in ("title", "place", "url"):
        try:
            texts[field] = _text(card.get(field))
        except TypeError:
            errors[f"card.{field}"] = ["Give text."]
            texts[field] = ""
    title, place, url = texts["title"], texts["place"], texts["url"]
    if not title and "card.title" not in errors:
        errors["card.title"] = ["Give the event a title."]
    elif len(title) > MAX_TITLE_LENGTH:
        errors["card.title"] = [f"Keep the title under {MAX_TITLE_LENGTH} characters."]
    if len(place) > MAX_PLACE_LENGTH:
        errors["card.place"] = [f"Keep the place under {MAX_PLACE_LENGTH} characters."]
    if url:
        if len(url) > MAX_URL_LENGTH:
            errors["card.url"] = [f"Keep the link under {MAX_URL_LENGTH} characters."]
        else:
            try:
                _https(url)
            except ValidationError:
                errors["card.url"] = ["Give a link starting with https://."]
    instants: dict[str, dt.datetime] = {}
    for field in ("starts_at", "ends_at"):
        try:
            instants[field] = _instant(card.get(field))
        except ValueError as error:
            errors[f"card.{field}"] = [str(error)]
    starts_at, ends_at = instants.get("starts_at"), instants.get("ends_at")
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            errors["card.ends_at"] = ["The event must end after it starts."]
        elif ends_at - starts_at > MAX_EVENT_LENGTH:
            errors["card.ends_at"] = ["An event lasts at most 7 days."]
    if errors or starts_at is None or ends_at is None:
        raise ValidationError(errors)
    return {
        "title": title,
        "starts_at": starts_at.isoformat(),
        "ends_at": ends_at.isoformat(),
        "place": place,
        "url": url,
    }


def event_ics(message: Message) -> bytes:
    """A METHOD:PUBLISH calendar with the message's event, for "add to calendar"."""
    card = message.card
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    event = Event()
    event.add("UID", f"message-{message.pk}@trellis")
    event.add("SEQUENCE", 0)
    event.add("DTSTAMP", message.created_at.astimezone(dt.UTC))
    event.add("DTSTART", dt.datetime.fromisoformat(card["starts_at"]).astimezone(dt.UTC))
    event.add("DTEND", dt.datetime.fromisoformat(card["ends_at"]).astimezone(dt.UTC))
    event.add("SUMMARY", card["title"])
    if card.get("place") or card.get("url"):
        event.add("LOCATION", card.get("place") or card["url"])
    if card.get("url"):
        event.add("URL", card["url"])
    description = f"Shared by {message.sender.display_name} on Trellis."
    if message.body:
        description = f"{message.body}\n\n{description}"
    if card.get("url"):
        description = f"{description}\n\n{card['url']}"
    event.add("DESCRIPTION", description)
    calendar.add_component(event)
    return calendar.to_ical()

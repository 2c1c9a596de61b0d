"""Event cards: validation, the stored form, the .ics file and who may download it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from icalendar import Calendar

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.messaging import services
from trellis.messaging.cards import clean_event_card, event_ics
from trellis.messaging.models import Message

GOOD = {
    "title": "Women in Tech meetup",
    "starts_at": "2026-12-03T18:30:00+01:00",
    "ends_at": "2026-12-03T21:00:00+01:00",
    "place": "Factory Berlin, Rheinsberger Str. 76",
    "url": "https://example.org/meetup?id=3&lang=en",
}

ISO_HELP = "Give an ISO 8601 date and time with its offset, e.g. 2026-12-01T18:00:00+01:00."


def test_a_card_is_stored_with_utc_instants():
    assert clean_event_card({**GOOD, "title": "  Women in\nTech   meetup "}) == {
        "title": "Women in Tech meetup",
        "starts_at": "2026-12-03T17:30:00+00:00",
        "ends_at": "2026-12-03T20:00:00+00:00",
        "place": "Factory Berlin, Rheinsberger Str. 76",
        "url": "https://example.org/meetup?id=3&lang=en",
    }


def test_place_and_link_are_optional_and_z_is_utc():
    card = clean_event_card(
        {"title": "Call", "starts_at": "2026-12-03T09:00:00.123Z", "ends_at": "2026-12-03T10:00Z"}
    )
    assert card == {
        "title": "Call",
        "starts_at": "2026-12-03T09:00:00+00:00",
        "ends_at": "2026-12-03T10:00:00+00:00",
        "place": "",
        "url": "",
    }


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"title": ""}, {"card.title": ["Give the event a title."]}),
        ({"title": None}, {"card.title": ["Give the event a title."]}),
        ({"title": 5}, {"card.title": ["Give text."]}),
        ({"title": "x" * 201}, {"card.title": ["Keep the title under 200 characters."]}),
        ({"place": "x" * 201}, {"card.place": ["Keep the place under 200 characters."]}),
        ({"url": "http://example.org/"}, {"card.url": ["Give a link starting with https://."]}),
        ({"url": "javascript:alert(1)"}, {"card.url": ["Give a link starting with https://."]}),
        ({"url": "https://"}, {"card.url": ["Give a link starting with https://."]}),
        (
            {"starts_at": "2026-12-03T18:30:00"},
            {"card.starts_at": ["Give the time with its offset from UTC, e.g. +01:00 or Z."]},
        ),
        ({"starts_at": None}, {"card.starts_at": ["Give a date and time."]}),
        ({"starts_at": 1764783000}, {"card.starts_at": ["Give a date and time."]}),
        (
            {"ends_at": "tomorrow"},
            {"card.ends_at": [ISO_HELP]},
        ),
        (
            {"ends_at": "2026-12-03T18:30:00+01:00"},
            {"card.ends_at": ["The event must end after it starts."]},
        ),
        (
            # The same instant written in another offset is not after it either.
            {"ends_at": "2026-12-03T17:30:00+00:00"},
            {"card.ends_at": ["The event must end after it starts."]},
        ),
        (
            {"ends_at": "2026-12-10T18:30:01+01:00"},
            {"card.ends_at": ["An event lasts at most 7 days."]},
        ),
        (
            {"title": "", "url": "ftp://x.org/"},
            {
                "card.title": ["Give the event a title."],
                "card.url": ["Give a link starting with https://."],
            },
        ),
        ({"colour": "red"}, {"card": ["Unknown fields: colour."]}),
    ],
)
def test_bad_cards_are_refused_field_by_field(changes, errors):
    with pytest.raises(ValidationError) as caught:
        clean_event_card({**GOOD, **changes})
    assert caught.value.message_dict == errors


def test_a_card_that_is_not_an_object_is_refused():
    with pytest.raises(ValidationError) as caught:
        clean_event_card(["title"])  # type: ignore[arg-type]
    assert list(caught.value.message_dict) == ["card"]


def test_exactly_seven_days_is_allowed():
    card = clean_event_card({**GOOD, "ends_at": "2026-12-10T18:30:00+01:00"})
    assert card["ends_at"] == "2026-12-10T17:30:00+00:00"


# Sending a card and its .ics -----------------------------------------------------------------

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(conversation, mentor):
    message, _ = services.message_send(
        conversation=conversation,
        sender=mentor,
        client_key="card-1",
        body="Shall we go together?",
        card=GOOD,
    )
    return message


def test_a_shared_card_makes_an_event_message(shared):
    stored = Message.objects.get(pk=shared.pk)
    assert stored.kind == "event"
    assert stored.card["starts_at"] == "2026-12-03T17:30:00+00:00"


def test_a_bad_card_sends_nothing(conversation, mentor):
    with pytest.raises(ValidationError) as caught:
        services.message_send(
            conversation=conversation,
            sender=mentor,
            client_key="card-2",
            card={**GOOD, "url": "javascript:alert(1)"},
        )
    assert list(caught.value.message_dict) == ["card.url"]
    assert Message.objects.count() == 0


def test_the_ics_has_the_event_in_utc(shared):
    parsed = Calendar.from_ical(event_ics(shared))

    assert str(parsed["METHOD"]) == "PUBLISH"
    (event,) = parsed.walk("VEVENT")
    assert str(event["UID"]) == f"message-{shared.pk}@trellis"
    assert event.decoded("DTSTART") == dt.datetime(2026, 12, 3, 17, 30, tzinfo=dt.UTC)
    assert event.decoded("DTEND") == dt.datetime(2026, 12, 3, 20, 0, tzinfo=dt.UTC)
    assert event.decoded("DTSTAMP") == shared.created_at.replace(microsecond=0)
    assert str(event["SUMMARY"]) == "Women in Tech meetup"
    assert str(event["LOCATION"]) == "Factory Berlin, Rheinsberger Str. 76"
    assert str(event["URL"]) == "https://example.org/meetup?id=3&lang=en"
    description = str(event["DESCRIPTION"])
    assert description.startswith("Shall we go together?")
    assert "Shared by Maria Mentor on Trellis." in description


def test_without_a_place_the_link_is_the_location(conversation, mentor):
    card = {**GOOD, "place": ""}
    message, _ = services.message_send(
        conversation=conversation, sender=mentor, client_key="card-3", card=card
    )
    (event,) = Calendar.from_ical(event_ics(message)).walk("VEVENT")
    assert str(event["LOCATION"]) == GOOD["url"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 404),
        ("mentor", 200),
        ("mentee", 200),
        ("manager", 404),
        ("staff", 404),
        ("outsider", 404),
    ],
)
def test_the_ics_download_is_for_members(client, shared, program, mentor, mentee, who, status):
    manager = UserFactory()
    program.managers.add(manager)
    people = {
        "anonymous": None,
        "mentor": mentor,
        "mentee": mentee,
        "manager": manager,
        "staff": StaffFactory(),
        "outsider": UserFactory(),
    }
    if people[who] is not None:
        client.force_login(people[who])

    response = client.get(reverse("messaging:card_ics", args=[shared.pk]))

    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Content-Disposition"].startswith(
            'attachment; filename="Women in Tech meetup.ics"'
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert Calendar.from_ical(response.content).walk("VEVENT")


def test_no_ics_for_a_text_or_deleted_message(client, conversation, mentor, shared):
    text, _ = services.message_send(
        conversation=conversation, sender=mentor, client_key="t", body="hi"
    )
    client.force_login(mentor)
    assert client.get(reverse("messaging:card_ics", args=[text.pk])).status_code == 404

    services.message_delete(message=shared, by=mentor)
    assert client.get(reverse("messaging:card_ics", args=[shared.pk])).status_code == 404

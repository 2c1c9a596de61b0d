"""A group's meetings in calendars: one invitation each through SMTP, feeds, a leaver's CANCEL.

Mara (Berlin) leads Noah (New York) and Kenji (Tokyo); the invitations go through the
email task to a real local SMTP server and are parsed back with icalendar.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from icalendar import Calendar

from trellis.calendars.services import calendar_feed_token_create
from trellis.calendars.tests.servers import SMTPInbox, smtp_server, smtp_settings

scheduling_selectors = pytest.importorskip("trellis.scheduling.selectors")
scheduling_services = pytest.importorskip("trellis.scheduling.services")
helpers = pytest.importorskip("trellis.scheduling.tests.helpers")

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp() -> Iterator[SMTPInbox]:
    with smtp_server() as (inbox, port), override_settings(**smtp_settings(port)):
        yield inbox


def _invitations(inbox: SMTPInbox) -> list[tuple[list[str], EmailMessage, Calendar]]:
    """The messages that carry a calendar part, with their recipients and parsed part."""
    found = []
    for _, recipients, content in inbox.messages:
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        parts = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
        if parts:
            found.append((recipients, parsed, Calendar.from_ical(parts[0].get_content())))
    return found


def _addresses(event: Any, name: str) -> set[str]:
    values = event.get(name)
    values = values if isinstance(values, list) else [values]
    return {str(value).removeprefix("mailto:") for value in values if value is not None}


def _book_weekly(group: Any) -> Any:
    search = scheduling_selectors.find_times(
        mentorship=group, viewer=group.mentor, duration=dt.timedelta(hours=1)
    )
    return scheduling_services.series_book(
        mentorship=group, by=group.mentor, start=search.slots[0].start, frequency="weekly"
    )


def _feed_uids(client: Client, person: Any) -> list[str]:
    _, raw = calendar_feed_token_create(user=person)
    response = client.get(reverse("calendars:feed", args=[raw]))
    assert response.status_code == 200
    return [str(event["UID"]) for event in Calendar.from_ical(response.content).walk("VEVENT")]


def test_a_group_booking_invites_everyone_once_with_every_attendee(
    smtp: SMTPInbox, django_capture_on_commit_callbacks: Any
) -> None:
    group = helpers.berlin_new_york_tokyo_group()
    people = helpers.group_people(group)
    with django_capture_on_commit_callbacks(execute=True):
        series = _book_weekly(group)

    invitations = _invitations(smtp)
    everyone = {person.email for person in people.values()}
    assert sorted(address for recipients, _, _ in invitations for address in recipients) == sorted(
        everyone
    )
    for recipients, message, calendar in invitations:
        assert str(calendar["METHOD"]) == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == series.uid
        assert str(event["SUMMARY"]) == "Mentoring: Mara's group"
        assert _addresses(event, "ORGANIZER") == {people["mentor"].email}
        assert _addresses(event, "ATTENDEE") == everyone
        assert event["RRULE"]["FREQ"] == ["WEEKLY"]
        assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
        # Each reads the time in their own zone.
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        zone = {
            people["mentor"].email: "Europe/Berlin",
            people["noah"].email: "America/New_York",
            people["kenji"].email: "Asia/Tokyo",
        }[recipients[0]]
        assert f"({zone})" in body.get_content()


def test_everyone_in_the_group_has_the_series_in_their_feed(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    group = helpers.berlin_new_york_tokyo_group()
    with django_capture_on_commit_callbacks(execute=True):
        series = _book_weekly(group)
    for person in helpers.group_people(group).values():
        assert _feed_uids(client, person) == [series.uid]


def test_a_leaver_gets_a_cancel_of_each_series_and_drops_out_of_the_feed(
    client: Client, smtp: SMTPInbox, django_capture_on_commit_callbacks: Any
) -> None:
    group = helpers.berlin_new_york_tokyo_group()
    people = helpers.group_people(group)
    with django_capture_on_commit_callbacks(execute=True):
        weekly = _book_weekly(group)
        once = scheduling_services.series_book(
            mentorship=group,
            by=group.mentor,
            start=scheduling_selectors.find_times(
                mentorship=group, viewer=group.mentor, duration=dt.timedelta(hours=1)
            )
            .slots[0]
            .start,
        )
    smtp.messages.clear()
    kenji = people["kenji"]

    from trellis.mentorships.services import group_leave

    with django_capture_on_commit_callbacks(execute=True):
        group_leave(mentorship=group, by=kenji, reason="no_time")

    invitations = _invitations(smtp)
    # Only Kenji gets calendar mail: one CANCEL per active series, for him alone.
    assert [recipients for recipients, _, _ in invitations] == [[kenji.email], [kenji.email]]
    cancelled = {}
    for _, message, calendar in invitations:
        assert str(calendar["METHOD"]) == "CANCEL"
        (event,) = calendar.walk("VEVENT")
        assert str(event["STATUS"]) == "CANCELLED"
        assert _addresses(event, "ATTENDEE") == {kenji.email}
        assert _addresses(event, "ORGANIZER") == {people["mentor"].email}
        assert "RECURRENCE-ID" not in event  # the whole series leaves his calendar
        cancelled[str(event["UID"])] = event["SEQUENCE"]
        assert "You are no longer in Mara's group" in str(message.get_body(("plain",)))
    # Each cancellation is newer than the invitation he holds (SEQUENCE 0).
    assert cancelled == {weekly.uid: 1, once.uid: 1}

    assert _feed_uids(client, kenji) == []
    assert sorted(_feed_uids(client, people["noah"])) == sorted([weekly.uid, once.uid])

"""Invitations leave through the email task and a real SMTP server, and parse back."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import pytest
from django.test import override_settings
from icalendar import Calendar

from trellis.calendars.services import invitation_send
from trellis.calendars.tests.samples import BERLIN, JOIN_URL, weekly_berlin_series
from trellis.calendars.tests.servers import SMTPInbox, smtp_server, smtp_settings
from trellis.profiles.tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp() -> Iterator[SMTPInbox]:
    with smtp_server() as (inbox, port), override_settings(**smtp_settings(port)):
        yield inbox


def _parsed(content: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _calendar_parts(message: EmailMessage) -> tuple[Any, Calendar, Calendar]:
    (inline,) = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    (attached,) = [part for part in message.walk() if part.get_content_type() == "application/ics"]
    return (
        inline,
        Calendar.from_ical(inline.get_content()),
        Calendar.from_ical(attached.get_content()),
    )


def test_a_request_goes_through_the_task_and_smtp_to_each_recipient(
    smtp: SMTPInbox, django_capture_on_commit_callbacks: Any
) -> None:
    mentee = ProfileFactory(time_zone="America/New_York").user
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        count = invitation_send(
            event=weekly_berlin_series(sequence=0),
            method="REQUEST",
            recipients=[mentee, "guest@example.org"],
        )
        assert smtp.messages == []  # nothing leaves before the commit

    assert count == 2
    assert len(callbacks) == 2
    assert [recipients for _, recipients, _ in smtp.messages] == [
        [mentee.email],
        ["guest@example.org"],
    ]
    received = _parsed(smtp.messages[0][2])
    assert received["Subject"] == "Invitation: Mentoring: Mia & Max"
    inline, calendar, attached = _calendar_parts(received)
    assert inline.get_param("method") == "REQUEST"
    assert calendar.to_ical() == attached.to_ical()
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "meeting-series-42@trellis.test"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == datetime(2026, 3, 16, 9, tzinfo=BERLIN)
    body = received.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    # The mentee reads the time in New York: 09:00 Berlin is 04:00 there on 16 March.
    assert "Monday 16 March 2026, 04:00 (America/New_York)" in text
    assert f"Join: {JOIN_URL}" in text
    guest_text = _parsed(smtp.messages[1][2]).get_body(preferencelist=("plain",))
    assert guest_text is not None
    assert "Monday 16 March 2026, 09:00 (Europe/Berlin)" in guest_text.get_content()


def test_an_update_carries_a_higher_sequence_and_the_same_uid(
    smtp: SMTPInbox, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation_send(
            event=weekly_berlin_series(
                sequence=3,
                start=datetime(2026, 3, 16, 10, tzinfo=BERLIN),
                end=datetime(2026, 3, 16, 11, tzinfo=BERLIN),
            ),
            method="REQUEST",
            recipients=["max@example.org"],
        )

    (message,) = smtp.messages
    received = _parsed(message[2])
    assert received["Subject"] == "Updated invitation: Mentoring: Mia & Max"
    _, calendar, _ = _calendar_parts(received)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "meeting-series-42@trellis.test"
    assert event["SEQUENCE"] == 3
    assert event.decoded("DTSTART") == datetime(2026, 3, 16, 10, tzinfo=BERLIN)


def test_a_cancelled_occurrence_arrives_as_method_cancel(
    smtp: SMTPInbox, django_capture_on_commit_callbacks: Any
) -> None:
    occurrence = datetime(2026, 3, 30, 9, tzinfo=BERLIN)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_send(
            event=weekly_berlin_series(sequence=4),
            method="CANCEL",
            recipients=["max@example.org"],
            recurrence_id=occurrence,
        )

    (message,) = smtp.messages
    received = _parsed(message[2])
    assert received["Subject"] == "Cancelled: Mentoring: Mia & Max"
    inline, calendar, _ = _calendar_parts(received)
    assert inline.get_param("method") == "CANCEL"
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("RECURRENCE-ID") == occurrence
    assert event["SEQUENCE"] == 4
    assert str(event["STATUS"]) == "CANCELLED"


def test_a_cancelled_series_and_an_inactive_user_get_what_they_should(
    smtp: SMTPInbox, django_capture_on_commit_callbacks: Any
) -> None:
    gone = ProfileFactory().user
    gone.is_active = False
    gone.save()
    with django_capture_on_commit_callbacks(execute=True):
        count = invitation_send(
            event=weekly_berlin_series(sequence=5),
            method="CANCEL",
            recipients=[gone, "max@example.org"],
        )

    assert count == 1
    (message,) = smtp.messages
    _, calendar, _ = _calendar_parts(_parsed(message[2]))
    (event,) = calendar.walk("VEVENT")
    assert "RECURRENCE-ID" not in event
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 5


def test_nothing_is_sent_when_the_transaction_rolls_back(smtp: SMTPInbox) -> None:
    # pytest-django's transaction is rolled back: on-commit callbacks never run.
    invitation_send(event=weekly_berlin_series(), method="REQUEST", recipients=["max@example.org"])

    assert smtp.messages == []

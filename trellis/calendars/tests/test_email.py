"""Invitation emails sent through Django's SMTP backend to a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from icalendar import Calendar

from trellis.calendars.ics import invitation_email
from trellis.calendars.tests.samples import BERLIN, weekly_berlin_series


class _Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _send_through(port: int, message: Any) -> None:
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_TIMEOUT=10,
    ):
        assert message.send() == 1


def _received(inbox: _Inbox) -> tuple[str, list[str], EmailMessage]:
    ((sender, recipients, content),) = inbox.messages
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return sender, recipients, parsed


def test_a_request_arrives_with_a_calendar_part_and_an_ics_attachment(
    smtp_inbox: tuple[_Inbox, int],
) -> None:
    inbox, port = smtp_inbox
    message = invitation_email(
        weekly_berlin_series(sequence=1),
        method="REQUEST",
        subject="Invitation: Mentoring: Mia & Max",
        body="Mia invites you to a weekly mentoring meeting.",
        html_body="<p>Mia invites you to a weekly mentoring meeting.</p>",
        from_email="Trellis <no-reply@trellis.test>",
        to=["max@example.org"],
        stamp=datetime(2026, 3, 5, tzinfo=UTC),
    )

    _send_through(port, message)

    sender, recipients, received = _received(inbox)
    assert sender == "no-reply@trellis.test"
    assert recipients == ["max@example.org"]
    assert received["Subject"] == "Invitation: Mentoring: Mia & Max"
    assert received.get_content_type() == "multipart/mixed"
    alternative, attachment = received.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    calendar_part = list(alternative.iter_parts())[2]
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_content_charset() == "utf-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"

    inline = Calendar.from_ical(calendar_part.get_content())
    attached = Calendar.from_ical(attachment.get_content())
    assert inline.to_ical() == attached.to_ical()
    assert str(inline["METHOD"]) == "REQUEST"
    (event,) = inline.walk("VEVENT")
    assert str(event["UID"]) == "meeting-series-42@trellis.test"
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == datetime(2026, 3, 16, 9, tzinfo=BERLIN)
    assert [str(zone["TZID"]) for zone in inline.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_a_cancelled_occurrence_arrives_as_method_cancel(smtp_inbox: tuple[_Inbox, int]) -> None:
    inbox, port = smtp_inbox
    occurrence = datetime(2026, 3, 30, 9, tzinfo=BERLIN)
    message = invitation_email(
        weekly_berlin_series(sequence=2),
        method="CANCEL",
        recurrence_id=occurrence,
        subject="Cancelled: Mentoring on 30 March",
        body="Mia cancelled the meeting on 30 March.",
        to=["max@example.org"],
    )

    _send_through(port, message)

    _, _, received = _received(inbox)
    (calendar_part,) = [
        part for part in received.walk() if part.get_content_type() == "text/calendar"
    ]
    assert calendar_part.get_param("method") == "CANCEL"
    calendar = Calendar.from_ical(calendar_part.get_content())
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("RECURRENCE-ID") == occurrence
    assert event["SEQUENCE"] == 2
    assert str(event["STATUS"]) == "CANCELLED"

"""The calendar pieces with real meetings booked through scheduling (issue #4, wave 2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from trellis.calendars.services import calendar_feed_token_create
from trellis.notifications.models import Reminder

scheduling_selectors = pytest.importorskip("trellis.scheduling.selectors")
scheduling_services = pytest.importorskip("trellis.scheduling.services")
helpers = pytest.importorskip("trellis.scheduling.tests.helpers")

pytestmark = pytest.mark.django_db


def _book_weekly(pair: Any) -> Any:
    search = scheduling_selectors.find_times(
        mentorship=pair, viewer=pair.mentor, duration=dt.timedelta(hours=1)
    )
    start = search.slots[0].start
    return scheduling_services.series_book(
        mentorship=pair, by=pair.mentor, start=start, frequency="weekly", count=4
    )


def test_both_people_see_the_booked_series_in_their_feed_at_the_same_instant(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    pair = helpers.berlin_new_york_pair()
    with django_capture_on_commit_callbacks(execute=True):
        series = _book_weekly(pair)

    starts = []
    for person in (pair.mentor, pair.mentee):
        _, raw = calendar_feed_token_create(user=person)
        response = client.get(reverse("calendars:feed", args=[raw]))
        assert response.status_code == 200
        (event,) = Calendar.from_ical(response.content).walk("VEVENT")
        starts.append((str(event["UID"]), event.decoded("DTSTART")))
    assert starts[0] == starts[1]
    assert starts[0][1] == series.rule().first_start


def test_booking_emails_invitations_and_schedules_reminders_for_both(
    django_capture_on_commit_callbacks: Any,
) -> None:
    pair = helpers.berlin_new_york_pair()
    with django_capture_on_commit_callbacks(execute=True):
        _book_weekly(pair)

    invitations = [
        message
        for message in mail.outbox
        if any("text/calendar" in mimetype for _, mimetype in message.alternatives)
    ]
    assert sorted(address for message in invitations for address in message.to) == sorted(
        [pair.mentor.email, pair.mentee.email]
    )
    recipients = set(Reminder.objects.values_list("recipient", flat=True))
    assert recipients == {pair.mentor.pk, pair.mentee.pk}

"""Non-urgent notifications wait for the recipient's contact hours, across DST too."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from trellis.agreements.services import agreement_get_or_create, agreement_update_part
from trellis.mentorships.tests.factories import MentorshipFactory
from trellis.notifications.delivery import deliver_held_notification, held_until, next_opening
from trellis.notifications.models import Notification
from trellis.notifications.services import notification_send
from trellis.profiles.tests.factories import ProfileFactory
from trellis.scheduling.slots import ContactHours

BERLIN = "Europe/Berlin"
WEEKDAYS_9_TO_18 = ContactHours(
    start=dt.time(9), end=dt.time(18), weekdays=frozenset({0, 1, 2, 3, 4})
)


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(BERLIN))  # type: ignore[misc]


def opening(now: dt.datetime, **hours: Any) -> dt.datetime | None:
    return next_opening(now=now, time_zone=BERLIN, **hours)


def test_inside_contact_hours_delivers_now():
    assert opening(berlin(2025, 3, 12, 10, 0), contact_hours=WEEKDAYS_9_TO_18) is None


def test_in_the_evening_waits_for_the_next_morning():
    held = opening(berlin(2025, 3, 12, 20, 0), contact_hours=WEEKDAYS_9_TO_18)
    assert held == berlin(2025, 3, 13, 9, 0)


def test_on_friday_evening_waits_for_monday():
    held = opening(berlin(2025, 3, 14, 18, 0), contact_hours=WEEKDAYS_9_TO_18)
    assert held == berlin(2025, 3, 17, 9, 0)


def test_across_spring_forward_the_opening_stays_at_nine_local():
    # Berlin moves from UTC+1 to UTC+2 on Sunday 30 March 2025.
    held = opening(berlin(2025, 3, 28, 19, 0), contact_hours=WEEKDAYS_9_TO_18)
    assert held == berlin(2025, 3, 31, 9, 0)
    assert held == dt.datetime(2025, 3, 31, 7, 0, tzinfo=dt.UTC)


def test_across_fall_back_the_opening_stays_at_nine_local():
    # Berlin moves from UTC+2 to UTC+1 on Sunday 26 October 2025.
    held = opening(berlin(2025, 10, 24, 19, 0), contact_hours=WEEKDAYS_9_TO_18)
    assert held == dt.datetime(2025, 10, 27, 8, 0, tzinfo=dt.UTC)


def test_quiet_hours_past_midnight_hold_until_they_end():
    quiet = {"contact_hours": None, "quiet_start": dt.time(22), "quiet_end": dt.time(7)}
    assert opening(berlin(2025, 3, 12, 23, 30), **quiet) == berlin(2025, 3, 13, 7, 0)
    assert opening(berlin(2025, 3, 13, 6, 0), **quiet) == berlin(2025, 3, 13, 7, 0)
    assert opening(berlin(2025, 3, 13, 12, 0), **quiet) is None


def test_quiet_hours_inside_contact_hours_are_skipped():
    held = opening(
        berlin(2025, 3, 12, 12, 15),
        contact_hours=WEEKDAYS_9_TO_18,
        quiet_start=dt.time(12),
        quiet_end=dt.time(13),
    )
    assert held == berlin(2025, 3, 12, 13, 0)


def test_hours_that_never_open_do_not_hold_for_ever():
    held = opening(
        berlin(2025, 3, 12, 20, 0),
        contact_hours=WEEKDAYS_9_TO_18,
        quiet_start=dt.time(8),
        quiet_end=dt.time(19),
    )
    assert held is None


def test_nobody_without_hours_is_held():
    assert opening(berlin(2025, 3, 12, 3, 0), contact_hours=None) is None


@pytest.fixture
def database_queue(settings: Any) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }


def closed_today_part(user):
    """Give user an agreement whose contact days exclude today (in their zone)."""
    zone = ZoneInfo(user.profile.time_zone)
    other_day = (timezone.now().astimezone(zone).weekday() + 3) % 7
    mentorship = MentorshipFactory(mentor=user)
    agreement_update_part(
        agreement=agreement_get_or_create(mentorship),
        by=user,
        contact_weekdays=[other_day],
        contact_hours_start=dt.time(9),
        contact_hours_end=dt.time(17),
    )


@pytest.mark.django_db(transaction=True)
def test_a_held_notification_is_shown_at_once_and_emailed_when_hours_open(database_queue):
    person = ProfileFactory(time_zone=BERLIN).user
    closed_today_part(person)
    opens = held_until(recipient=person)
    assert opens is not None

    notification = notification_send(
        recipient=person, kind="test", title="Your mentor replied", url="/x/"
    )

    assert Notification.objects.filter(pk=notification.pk, read_at__isnull=True).exists()
    row = DBTaskResult.objects.get()
    assert row.task_path.endswith("deliver_held_notification")
    assert row.run_after == opens
    assert opens.astimezone(ZoneInfo(BERLIN)).time() == dt.time(9)
    assert mail.outbox == []
    # What the worker runs at 09:00: the push and the email go out then.
    assert deliver_held_notification.call(notification_id=notification.pk, send_email=True)
    email_rows = DBTaskResult.objects.filter(task_path__endswith="deliver_email")
    assert email_rows.count() == 1


@pytest.mark.django_db(transaction=True)
def test_urgent_and_unset_hours_are_not_held(database_queue):
    held_person = ProfileFactory(time_zone=BERLIN).user
    closed_today_part(held_person)
    free_person = ProfileFactory().user

    notification_send(recipient=held_person, kind="test", title="Meeting now", is_urgent=True)
    notification_send(recipient=free_person, kind="test", title="Hello")

    paths = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert [path.rsplit(".", 1)[1] for path in paths] == ["deliver_email", "deliver_email"]


@pytest.mark.django_db
def test_a_held_notification_read_meanwhile_is_not_pushed_again():
    person = ProfileFactory().user
    notification = notification_send(recipient=person, kind="test", title="Old news")
    mail.outbox.clear()
    notification.read_at = timezone.now()
    notification.save()

    assert deliver_held_notification.call(notification_id=notification.pk, send_email=True) is False
    assert mail.outbox == []

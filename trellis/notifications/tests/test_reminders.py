"""Reminders are rows plus queued tasks: durable, sent once, silent once moved or cancelled."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from trellis.accounts.tests.factories import UserFactory
from trellis.notifications.models import Notification, Reminder
from trellis.notifications.services import (
    REMINDER_OFFSETS,
    reminder_fire,
    reminder_schedule,
    reminders_cancel,
    reminders_send_due,
)

NOW = datetime.datetime(2026, 3, 16, 8, 0, tzinfo=datetime.UTC)
MEETING_KEY = "meeting:12:20260317T090000"


def _schedule(recipient: Any, *, fire_at: datetime.datetime, offset: int = 1440) -> Reminder:
    return reminder_schedule(
        key=f"{MEETING_KEY}:{offset}",
        recipient=recipient,
        fire_at=fire_at,
        title="Mentoring with Mia tomorrow at 10:00",
        body="Agenda: career goals",
        url="/meetings/12/",
    )


def _at(moment: datetime.datetime) -> Any:
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_offsets_default_to_a_day_and_a_quarter_hour_before():
    day, quarter_hour = REMINDER_OFFSETS
    assert (day, quarter_hour) == (datetime.timedelta(hours=24), datetime.timedelta(minutes=15))


@pytest.mark.django_db
def test_the_guard_sends_a_due_reminder_once():
    recipient = UserFactory()
    with _at(NOW):
        reminder = _schedule(recipient, fire_at=NOW + datetime.timedelta(hours=1))

    with _at(NOW + datetime.timedelta(minutes=59)):
        assert reminder_fire(reminder_id=reminder.pk) is False  # not yet
    with _at(NOW + datetime.timedelta(hours=1)):
        assert reminder_fire(reminder_id=reminder.pk) is True
        assert reminder_fire(reminder_id=reminder.pk) is False  # never twice

    reminder.refresh_from_db()
    assert reminder.sent_at == NOW + datetime.timedelta(hours=1)
    notification = Notification.objects.get()
    assert notification.recipient == recipient
    assert notification.kind == "reminder"
    assert notification.title == "Mentoring with Mia tomorrow at 10:00"
    assert notification.url == "/meetings/12/"


@pytest.mark.django_db
def test_a_cancelled_reminder_never_fires():
    recipient = UserFactory()
    other = UserFactory()
    with _at(NOW):
        reminder = _schedule(recipient, fire_at=NOW + datetime.timedelta(hours=1))
        kept = reminder_schedule(
            key="meeting:13:20260317T090000:1440",
            recipient=other,
            fire_at=NOW + datetime.timedelta(hours=1),
            title="Another meeting",
        )

    assert reminders_cancel(key_prefix="meeting:12:") == 1

    with _at(NOW + datetime.timedelta(hours=2)):
        assert reminder_fire(reminder_id=reminder.pk) is False
        assert reminders_send_due() == 1  # only the other meeting's
    reminder.refresh_from_db()
    kept.refresh_from_db()
    assert reminder.sent_at is None
    assert reminder.cancelled_at is not None
    assert kept.sent_at is not None
    assert list(Notification.objects.values_list("recipient", flat=True)) == [other.pk]


def test_cancelling_needs_a_prefix():
    with pytest.raises(ValueError, match="prefix"):
        reminders_cancel(key_prefix="")


@pytest.mark.django_db
def test_a_rescheduled_meeting_fires_only_the_new_reminder():
    recipient = UserFactory()
    old_time = NOW + datetime.timedelta(hours=1)
    new_time = NOW + datetime.timedelta(hours=5)
    with _at(NOW):
        old = _schedule(recipient, fire_at=old_time)
        reminders_cancel(key_prefix=MEETING_KEY)
        new = reminder_schedule(
            key="meeting:12:20260317T130000:1440",
            recipient=recipient,
            fire_at=new_time,
            title="Mentoring with Mia tomorrow at 14:00",
        )

    with _at(old_time):  # the old task runs at its time
        assert reminder_fire(reminder_id=old.pk) is False
        assert reminder_fire(reminder_id=new.pk) is False
    with _at(new_time):
        assert reminder_fire(reminder_id=new.pk) is True
        assert reminder_fire(reminder_id=old.pk) is False

    assert list(Notification.objects.values_list("title", flat=True)) == [
        "Mentoring with Mia tomorrow at 14:00"
    ]


@pytest.mark.django_db
def test_scheduling_the_same_key_again_moves_the_pending_reminder():
    recipient = UserFactory()
    with _at(NOW):
        first = _schedule(recipient, fire_at=NOW + datetime.timedelta(hours=1))
        moved = _schedule(recipient, fire_at=NOW + datetime.timedelta(hours=3))

    assert moved.pk == first.pk
    assert Reminder.objects.get().fire_at == NOW + datetime.timedelta(hours=3)
    with _at(NOW + datetime.timedelta(hours=1)):  # the first task finds it not due
        assert reminder_fire(reminder_id=first.pk) is False


@pytest.mark.django_db
def test_the_command_sends_overdue_reminders_once():
    recipient = UserFactory()
    with _at(NOW):
        due = _schedule(recipient, fire_at=NOW - datetime.timedelta(minutes=1), offset=15)
        later = _schedule(recipient, fire_at=NOW + datetime.timedelta(days=1))

    with _at(NOW):
        call_command("reminders_send_due", stdout=mock.Mock())
        call_command("reminders_send_due", stdout=mock.Mock())

    due.refresh_from_db()
    later.refresh_from_db()
    assert due.sent_at == NOW
    assert later.sent_at is None
    assert Notification.objects.count() == 1


# --- Through the durable database queue -----------------------------------------------


@pytest.fixture
def database_queue(settings: Any) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "email"],
        }
    }


def _run_worker() -> None:
    call_command(
        "db_worker",
        "--batch",
        "--no-startup-delay",
        "--no-reload",
        "--queue-name",
        "*",
        verbosity=0,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_queue")
def test_a_scheduled_reminder_waits_in_the_queue_and_fires_once_at_its_time():
    recipient = UserFactory()
    now = timezone.now()
    fire_at = now + datetime.timedelta(hours=1)
    reminder = _schedule(recipient, fire_at=fire_at)

    row = DBTaskResult.objects.get(task_path="trellis.notifications.tasks.send_reminder")
    assert row.run_after == fire_at
    assert row.args_kwargs == {"args": [], "kwargs": {"reminder_id": reminder.pk}}

    _run_worker()  # not due: nothing runs
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY
    assert Notification.objects.count() == 0

    with _at(fire_at + datetime.timedelta(seconds=1)):
        _run_worker()
        _run_worker()

    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value is True
    assert Notification.objects.filter(kind="reminder").count() == 1
    assert [message.subject for message in mail.outbox] == [
        "[Trellis] Mentoring with Mia tomorrow at 10:00"
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_queue")
def test_a_queued_reminder_of_a_cancelled_meeting_runs_and_stays_silent():
    recipient = UserFactory()
    fire_at = timezone.now() + datetime.timedelta(minutes=5)
    _schedule(recipient, fire_at=fire_at)
    reminders_cancel(key_prefix=MEETING_KEY)

    with _at(fire_at + datetime.timedelta(seconds=1)):
        _run_worker()

    row = DBTaskResult.objects.get(task_path="trellis.notifications.tasks.send_reminder")
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value is False
    assert Notification.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_with_a_queue_that_cannot_delay_a_future_reminder_waits_for_the_command(
    django_capture_on_commit_callbacks: Any,
):
    # The test settings' ImmediateBackend runs tasks at once and refuses run_after.
    recipient = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        future = _schedule(recipient, fire_at=timezone.now() + datetime.timedelta(hours=1))
        due = _schedule(
            recipient, fire_at=timezone.now() - datetime.timedelta(seconds=1), offset=15
        )

    future.refresh_from_db()
    due.refresh_from_db()
    assert future.sent_at is None
    assert due.sent_at is not None


@pytest.mark.django_db
def test_cancelling_one_recipients_reminders_leaves_the_others_pending():
    leaver, staying = UserFactory(), UserFactory()
    with _at(NOW):
        for person in (leaver, staying):
            reminder_schedule(
                key=f"meeting:12:20260317T130000:{person.pk}:15",
                recipient=person,
                fire_at=NOW + datetime.timedelta(hours=1),
                title="Meeting with Mara's group at Tue 17 Mar 14:00",
            )
        assert reminders_cancel(key_prefix="meeting:12:", recipient=leaver) == 1

    pending = Reminder.objects.filter(cancelled_at__isnull=True)
    assert list(pending.values_list("recipient", flat=True)) == [staying.pk]

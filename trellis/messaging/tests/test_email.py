"""Email when away: after the delay, inside contact hours, once for the same messages."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from trellis.messaging import services
from trellis.messaging.models import ConversationMember, Message
from trellis.messaging.tasks import (
    _member_email_send,
    conversation_unread_emails_send,
    email_unread_messages,
    unread_emails_send_due,
)

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
# A Tuesday afternoon in Berlin (UTC+1 in March before the change).
SENT_AT = dt.datetime(2026, 3, 10, 14, 5, tzinfo=dt.UTC)


def minutes(count: float) -> dt.timedelta:
    return dt.timedelta(minutes=count)


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the cron sweep at ``now`` with on-commit callbacks (the email) executed."""

    def run(now: dt.datetime) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return unread_emails_send_due(now=now)

    return run


@pytest.fixture
def say(conversation, django_capture_on_commit_callbacks):
    """Send a message and pretend it was sent at ``at``."""
    count = iter(range(1, 1000))

    def send(sender, body="Hello", *, at: dt.datetime = SENT_AT, **extra: Any) -> Message:
        with django_capture_on_commit_callbacks(execute=True):
            message, _ = services.message_send(
                conversation=conversation,
                sender=sender,
                client_key=f"k{next(count)}",
                body=body,
                **extra,
            )
        Message.objects.filter(pk=message.pk).update(created_at=at)
        message.refresh_from_db()
        return message

    return send


def member(conversation, user) -> ConversationMember:
    return ConversationMember.objects.get(conversation=conversation, user=user)


def test_one_email_after_the_delay_and_never_twice(conversation, mentor, mentee, say, sweep):
    say(mentor, "Did you read **the draft**? <script>alert(1)</script>")
    say(mentor, "See [the notes](https://example.org/notes)", at=SENT_AT + minutes(2))

    assert sweep(SENT_AT + minutes(29)) == 0
    assert mail.outbox == []

    assert sweep(SENT_AT + minutes(30)) == 1
    assert sweep(SENT_AT + minutes(31)) == 0
    assert sweep(SENT_AT + minutes(600)) == 0

    (email,) = mail.outbox
    assert email.to == [mentee.email]
    assert email.subject == "[Trellis] 2 unread messages from Maria Mentor"
    assert "Maria Mentor, Tue 10 Mar, 15:05:" in email.body
    assert "Did you read **the draft**? <script>alert(1)</script>" in email.body
    assert "Maria Mentor, Tue 10 Mar, 15:07:" in email.body
    assert f"http://127.0.0.1:8000/messages/{conversation.pk}/" in email.body
    assert "Times are in Europe/Berlin." in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "<strong>the draft</strong>" in html
    assert "<script>" not in html
    assert '<a href="https://example.org/notes"' in html
    assert f'href="http://127.0.0.1:8000/messages/{conversation.pk}/"' in html
    assert member(conversation, mentee).emailed_seq == 2
    assert member(conversation, mentor).emailed_seq == 0  # their own messages: no email


def test_new_messages_after_an_email_get_a_new_one(conversation, mentor, mentee, say, sweep):
    say(mentor, "First")
    assert sweep(SENT_AT + minutes(30)) == 1
    say(mentor, "Second", at=SENT_AT + minutes(40))

    assert sweep(SENT_AT + minutes(69)) == 0
    assert sweep(SENT_AT + minutes(70)) == 1

    assert len(mail.outbox) == 2
    assert "Second" in mail.outbox[1].body
    assert "First" not in mail.outbox[1].body


def test_read_messages_are_not_emailed(conversation, mentor, mentee, say, sweep):
    first = say(mentor, "Read this one")
    say(mentor, "Read this too")
    services.conversation_mark(conversation=conversation, user=mentee, seq=first.seq + 1, read=True)

    assert sweep(SENT_AT + minutes(60)) == 0
    assert mail.outbox == []


def test_only_the_unread_part_is_emailed(conversation, mentor, mentee, say, sweep):
    first = say(mentor, "Already read")
    say(mentor, "Not read yet", at=SENT_AT + minutes(5))
    services.conversation_mark(conversation=conversation, user=mentee, seq=first.seq, read=True)

    assert sweep(SENT_AT + minutes(34)) == 0  # the unread one is 29 minutes old
    assert sweep(SENT_AT + minutes(35)) == 1

    (email,) = mail.outbox
    assert email.subject == "[Trellis] 1 unread message from Maria Mentor"
    assert "Not read yet" in email.body
    assert "Already read" not in email.body


def test_deleted_messages_are_left_out(conversation, mentor, mentee, say, sweep):
    gone = say(mentor, "Oops, wrong person")
    say(mentor, "Hello!")
    services.message_delete(message=gone, by=mentor)

    assert sweep(SENT_AT + minutes(30)) == 1
    (email,) = mail.outbox
    assert "Oops" not in email.body
    assert "Hello!" in email.body


def test_only_deleted_messages_send_nothing(conversation, mentor, mentee, say, sweep):
    gone = say(mentor, "Oops")
    services.message_delete(message=gone, by=mentor)

    assert sweep(SENT_AT + minutes(30)) == 0
    assert mail.outbox == []


def test_at_most_twenty_are_listed(conversation, mentor, mentee, say, sweep, settings):
    settings.MESSAGING_RATE_LIMIT = 100
    for number in range(1, 24):
        say(mentor, f"Message number {number}.", at=SENT_AT + minutes(number / 10))

    assert sweep(SENT_AT + minutes(31)) == 1

    (email,) = mail.outbox
    assert email.subject == "[Trellis] 23 unread messages from Maria Mentor"
    assert "Message number 20." in email.body
    assert "Message number 21." not in email.body
    assert "...and 3 more." in email.body
    assert member(conversation, mentee).emailed_seq == 23


def test_files_and_events_are_described(conversation, mentor, mentee, say, sweep):
    say(
        mentor,
        "",
        card={
            "title": "Career fair",
            "starts_at": "2026-04-01T10:00:00+02:00",
            "ends_at": "2026-04-01T16:00:00+02:00",
        },
    )

    assert sweep(SENT_AT + minutes(30)) == 1
    assert "Shared an event: Career fair" in mail.outbox[0].body


def test_people_who_left_get_nothing(conversation, mentor, mentee, say, sweep):
    say(mentor, "Anyone there?")
    ConversationMember.objects.filter(conversation=conversation, user=mentee).update(
        is_active=False
    )

    assert sweep(SENT_AT + minutes(30)) == 0
    assert mail.outbox == []


def test_two_workers_never_both_send(
    conversation, mentor, mentee, say, django_capture_on_commit_callbacks
):
    say(mentor, "Only once")
    conversation.refresh_from_db()
    # Both read the member's row before either claimed it.
    first_view, second_view = member(conversation, mentee), member(conversation, mentee)
    now = SENT_AT + minutes(31)

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [
            _member_email_send(conversation, first_view, now),
            _member_email_send(conversation, second_view, now),
        ]

    assert outcomes == [True, False]
    assert len(mail.outbox) == 1


# Contact hours --------------------------------------------------------------------------------


@pytest.fixture
def office_hours(mentee):
    """The mentee takes messages 09:00-17:00 Berlin time, every day."""
    profile = mentee.profile
    profile.time_zone = "Europe/Berlin"
    profile.contact_hours_start = dt.time(9)
    profile.contact_hours_end = dt.time(17)
    profile.save()


def test_held_outside_contact_hours_and_sent_at_the_opening(
    conversation, mentor, mentee, say, sweep, office_hours
):
    evening = dt.datetime(2026, 3, 10, 19, 0, tzinfo=BERLIN)
    say(mentor, "Late thought", at=evening)

    assert sweep(evening + minutes(45)) == 0
    assert sweep(dt.datetime(2026, 3, 11, 8, 59, tzinfo=BERLIN)) == 0
    assert mail.outbox == []

    assert sweep(dt.datetime(2026, 3, 11, 9, 0, tzinfo=BERLIN)) == 1
    assert sweep(dt.datetime(2026, 3, 11, 9, 1, tzinfo=BERLIN)) == 0
    (email,) = mail.outbox
    assert "Maria Mentor, Tue 10 Mar, 19:00:" in email.body


def test_read_before_the_opening_is_not_emailed(
    conversation, mentor, mentee, say, sweep, office_hours
):
    evening = dt.datetime(2026, 3, 10, 19, 0, tzinfo=BERLIN)
    message = say(mentor, "Late thought", at=evening)
    assert sweep(evening + minutes(45)) == 0
    services.conversation_mark(conversation=conversation, user=mentee, seq=message.seq, read=True)

    assert sweep(dt.datetime(2026, 3, 11, 9, 0, tzinfo=BERLIN)) == 0
    assert mail.outbox == []


# The queued task (a queue that can delay) -------------------------------------------------------


@pytest.fixture
def database_queue(settings: Any) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }


def queued(path: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith=path).order_by("run_after"))


def test_a_send_queues_the_task_for_after_the_delay(
    conversation, mentor, database_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = services.message_send(
            conversation=conversation, sender=mentor, client_key="q1", body="Hi"
        )

    (row,) = queued("email_unread_messages")
    assert row.run_after == message.created_at + minutes(30)
    assert row.args_kwargs == {"args": [], "kwargs": {"conversation_id": conversation.pk}}


def test_the_task_sends_when_due(
    conversation, mentor, mentee, say, database_queue, django_capture_on_commit_callbacks
):
    say(mentor, "Hi", at=SENT_AT)
    DBTaskResult.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        assert email_unread_messages.call(conversation_id=conversation.pk) == 1
        assert email_unread_messages.call(conversation_id=conversation.pk) == 0

    (row,) = queued("deliver_email")
    assert row.args_kwargs["kwargs"]["to"] == [mentee.email]
    assert queued("email_unread_messages") == []


def test_a_held_task_is_queued_again_for_the_opening(
    conversation,
    mentor,
    mentee,
    say,
    office_hours,
    database_queue,
    django_capture_on_commit_callbacks,
):
    evening = dt.datetime(2026, 3, 10, 19, 0, tzinfo=BERLIN)
    say(mentor, "Late thought", at=evening)
    DBTaskResult.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        sent = conversation_unread_emails_send(
            conversation_id=conversation.pk, now=evening + minutes(30), reschedule=True
        )

    assert sent == 0
    (row,) = queued("email_unread_messages")
    assert row.run_after == dt.datetime(2026, 3, 11, 9, 0, tzinfo=BERLIN)
    assert queued("deliver_email") == []


def test_a_task_that_runs_early_comes_back_when_due(
    conversation, mentor, say, database_queue, django_capture_on_commit_callbacks
):
    say(mentor, "Hi", at=SENT_AT)
    DBTaskResult.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        sent = conversation_unread_emails_send(
            conversation_id=conversation.pk, now=SENT_AT + minutes(10), reschedule=True
        )

    assert sent == 0
    (row,) = queued("email_unread_messages")
    assert row.run_after == SENT_AT + minutes(30)


def test_the_sweep_command(conversation, mentor, mentee, say, django_capture_on_commit_callbacks):
    say(mentor, "Hi", at=SENT_AT)
    output = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("messaging_email_unread", stdout=output)

    assert output.getvalue() == "Sent 1 unread-messages email(s).\n"
    assert len(mail.outbox) == 1

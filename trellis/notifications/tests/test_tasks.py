"""Email goes through the database task queue: stored, delayed, durable, transactional."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from trellis.notifications.services import email_send_on_commit
from trellis.notifications.tasks import deliver_email

# The worker takes an exclusive lock of its own, so tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = {"to": ["ada@example.org"], "subject": "Your mentor replied", "body": "Hello Ada."}


class Rollback(Exception):
    """Raised inside a transaction to roll it back on purpose."""


@pytest.fixture(autouse=True)
def database_queue(settings: Any) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "email"],
        }
    }


def run_worker() -> None:
    """Run every task that is due, then stop (what `make run`'s worker does forever)."""
    call_command(
        "db_worker",
        "--batch",
        "--no-startup-delay",
        "--no-reload",
        "--queue-name",
        "*",
        verbosity=0,
    )


def test_enqueued_email_is_a_stored_row_and_is_not_sent_yet():
    result = deliver_email.enqueue(**EMAIL)

    row = DBTaskResult.objects.get()
    assert str(row.id) == result.id
    assert row.status == TaskResultStatus.READY
    assert row.queue_name == "email"
    assert row.task_path == "trellis.notifications.tasks.deliver_email"
    assert row.args_kwargs == {"args": [], "kwargs": EMAIL}
    assert mail.outbox == []


def test_delayed_email_waits_until_it_is_due():
    now = timezone.now()
    deliver_email.using(run_after=now + datetime.timedelta(hours=1)).enqueue(**EMAIL)

    run_worker()

    row = DBTaskResult.objects.get()
    assert row.status == TaskResultStatus.READY
    assert row.run_after == now + datetime.timedelta(hours=1)
    assert mail.outbox == []

    an_hour_later = now + datetime.timedelta(hours=1, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=an_hour_later):
        run_worker()

    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == 1
    assert [message.subject for message in mail.outbox] == ["Your mentor replied"]
    assert mail.outbox[0].to == ["ada@example.org"]
    assert mail.outbox[0].from_email == settings.DEFAULT_FROM_EMAIL


def test_queued_email_waits_in_the_database_until_a_worker_sends_it_once():
    deliver_email.enqueue(**EMAIL)

    run_worker()

    row = DBTaskResult.objects.get()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert len(mail.outbox) == 1
    assert mail.outbox[0].body == "Hello Ada."

    run_worker()  # nothing left: the email is not sent twice

    assert len(mail.outbox) == 1


def _database_url_of_this_test_run() -> str:
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    credentials = database["USER"] or ""
    if database["PASSWORD"]:
        credentials += f":{database['PASSWORD']}"
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{database['NAME']}"


def test_a_worker_in_a_fresh_process_sends_what_this_process_queued():
    result = deliver_email.enqueue(**EMAIL)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url_of_this_test_run(),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_URL": "consolemail://",
        "SECRET_KEY": "test-only-secret-key-for-the-worker-process",
        "DEBUG": "false",
    }

    completed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",
            "--no-startup-delay",
            "--no-reload",
            "--queue-name",
            "*",
        ],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert "Subject: Your mentor replied" in completed.stdout  # the console email backend
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == 1
    assert mail.outbox == []  # sent by the other process, not this one


def test_email_queued_in_a_rolled_back_transaction_is_never_stored():
    def queue_then_fail() -> None:
        with transaction.atomic():
            email_send_on_commit(to=["ada@example.org"], subject="Never", body="Rolled back.")
            raise Rollback

    with pytest.raises(Rollback):
        queue_then_fail()

    assert DBTaskResult.objects.count() == 0
    run_worker()
    assert mail.outbox == []


def test_email_queued_in_a_committed_transaction_is_stored_once_and_sent_by_the_worker():
    with transaction.atomic():
        email_send_on_commit(
            to=["ada@example.org"],
            subject="Committed",
            body="Plain text.",
            html_body="<p>Rich text.</p>",
        )
        assert DBTaskResult.objects.count() == 0  # not before the commit

    assert DBTaskResult.objects.count() == 1
    assert mail.outbox == []

    run_worker()

    assert [message.subject for message in mail.outbox] == ["Committed"]
    assert mail.outbox[0].alternatives[0][0] == "<p>Rich text.</p>"

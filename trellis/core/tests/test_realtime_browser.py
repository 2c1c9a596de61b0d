"""The notification bell counts up live, without a reload."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection, transaction
from playwright.sync_api import expect

from trellis.accounts.models import User
from trellis.accounts.tests.factories import UserFactory
from trellis.core.tests.browser import sign_in
from trellis.notifications.services import notification_send

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # The test server runs in a thread with its own event loop; only a real message bus
    # carries an event from this thread to it. The in-memory layer is a single-loop
    # structure, so in-process delivery is covered by test_realtime.py instead.
    pytest.mark.redis,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL)"),
]


def notify_from_elsewhere(recipient: User, title: str) -> None:
    """Send a notification from a thread of its own, as a request or task would."""
    failures: list[BaseException] = []

    def send() -> None:
        try:
            with transaction.atomic():
                notification_send(recipient=recipient, kind="test", title=title)
        except BaseException as error:  # handed to the test thread below
            failures.append(error)
        finally:
            connection.close()

    # Playwright keeps an event loop in the test thread; async_to_sync needs a thread
    # without one.
    worker = threading.Thread(target=send)
    worker.start()
    worker.join(timeout=30)
    assert failures == []


def test_bell_counts_a_new_notification_without_reload(page, assert_accessible):
    user = UserFactory(email="bell@example.org")
    sign_in(page, user.email)
    bell_count = page.locator("[data-bell-count]")
    expect(bell_count).to_be_hidden()
    expect(page.locator("body[data-events-connected='true']")).to_have_count(1)
    page.evaluate("window.trellisTestMarker = true")  # a reload would drop it

    notify_from_elsewhere(user, "Your application was approved")

    expect(bell_count).to_be_visible()
    expect(bell_count).to_have_text("1")
    expect(page.locator("[data-bell-label]")).to_have_text("1 unread")
    assert page.evaluate("window.trellisTestMarker") is True

    notify_from_elsewhere(user, "A second one")

    expect(bell_count).to_have_text("2")
    assert_accessible(page)

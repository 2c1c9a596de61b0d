"""In-app notifications: stored, emailed on commit, listed, opened, marked read."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.notifications.models import Notification
from trellis.notifications.services import notification_send
from trellis.notifications.tests.factories import NotificationFactory
from trellis.profiles.tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/notifications/"
READ_ALL_URL = "/notifications/read-all/"


class Rollback(Exception):
    """Raised inside a transaction to roll it back on purpose."""


def open_url(notification: Notification) -> str:
    return f"/notifications/{notification.pk}/open/"


def read_state() -> list[tuple[Any, ...]]:
    return sorted(Notification.objects.values_list("pk", "read_at", "updated_at"))


# --- The service -----------------------------------------------------------------------


def test_notification_is_stored_at_once_and_emailed_only_on_commit(
    django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://mentoring.example.org/"
    profile = ProfileFactory(display_name="Ada Lovelace", user__email="ada@example.org")

    with django_capture_on_commit_callbacks() as callbacks:
        notification = notification_send(
            recipient=profile.user,
            kind="enrollment.approved",
            title="You are in",
            body="Welcome to the program.",
            url="/programs/x/",
        )
        assert mail.outbox == []

    stored = Notification.objects.get()
    assert stored == notification
    assert (stored.recipient, stored.kind, stored.title, stored.url, stored.read_at) == (
        profile.user,
        "enrollment.approved",
        "You are in",
        "/programs/x/",
        None,
    )
    assert len(callbacks) == 2  # the live push and the email
    assert mail.outbox == []

    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert message.subject == "[Trellis] You are in"
    assert "Hello Ada Lovelace," in message.body
    assert "Welcome to the program." in message.body
    assert "https://mentoring.example.org/programs/x/" in message.body


def test_notification_in_a_rolled_back_transaction_leaves_nothing(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()

    def send_then_fail() -> None:
        with transaction.atomic():
            notification_send(recipient=user, kind="test", title="Never happened")
            raise Rollback

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Rollback):
        send_then_fail()

    assert Notification.objects.count() == 0
    assert callbacks == []
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("send_email", "is_active", "emails"), [(False, True, 0), (True, False, 0), (True, True, 1)]
)
def test_email_only_when_asked_and_the_recipient_is_active(
    django_capture_on_commit_callbacks, send_email, is_active, emails
):
    user = UserFactory(is_active=is_active)

    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipient=user, kind="test", title="Hello", send_email=send_email)

    assert Notification.objects.filter(recipient=user).count() == 1
    assert len(mail.outbox) == emails


def test_overlong_title_is_shortened_to_fit():
    user = UserFactory()

    notification = notification_send(recipient=user, kind="test", title="x" * 500, send_email=False)

    assert Notification.objects.get().title == "x" * 200
    assert notification.title == "x" * 200


# --- The list page and the bell ---------------------------------------------------------


def test_list_shows_my_notifications_newest_first_with_html_made_harmless(client):
    me = UserFactory()
    NotificationFactory(recipient=me, title="Older one")
    NotificationFactory(
        recipient=me,
        title="<script>alert('title')</script>",
        body="<img src=x onerror=alert('body')>",
    )
    NotificationFactory(title="Someone else's secret")
    client.force_login(me)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in html
    assert "<script>alert(" not in html
    assert "&lt;img src=x onerror=alert(&#x27;body&#x27;)&gt;" in html
    assert "<img src=x" not in html
    assert "Someone else" not in html
    assert html.index("alert(&#x27;title") < html.index("Older one")


def test_empty_list_says_so(client):
    client.force_login(UserFactory())

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert "Nothing yet." in response.content.decode()


def test_header_bell_shows_my_unread_count(client):
    me = UserFactory()
    NotificationFactory.create_batch(2, recipient=me)
    NotificationFactory(recipient=me, read_at=timezone.now())
    NotificationFactory.create_batch(3)  # other people's
    client.force_login(me)

    html = client.get(LIST_URL).content.decode()

    assert '<span class="bell__count" data-bell-count>2</span>' in html
    assert '<span class="visually-hidden" data-bell-label>2 unread</span>' in html

    client.post(READ_ALL_URL)
    html = client.get(LIST_URL).content.decode()

    assert '<span class="bell__count" data-bell-count hidden>0</span>' in html


def test_list_page_query_count_does_not_grow_with_notifications(
    client, django_assert_max_num_queries
):
    me = UserFactory()
    client.force_login(me)
    NotificationFactory(recipient=me)
    with django_assert_max_num_queries(8) as few:
        client.get(LIST_URL)

    NotificationFactory.create_batch(30, recipient=me)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST_URL)

    assert response.content.decode().count("notifications/") >= 31


# --- Opening and marking read ----------------------------------------------------------


def test_opening_marks_read_and_goes_to_the_local_page(client):
    notification = NotificationFactory(url="/programs/global/")
    client.force_login(notification.recipient)

    response = client.post(open_url(notification))

    assert response.status_code == 302
    assert response.url == "/programs/global/"
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
        "",
    ],
)
def test_opening_never_leaves_the_site(client, url):
    notification = NotificationFactory(url=url)
    client.force_login(notification.recipient)

    response = client.post(open_url(notification))

    assert response.status_code == 302
    assert response.url == LIST_URL
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_an_already_read_notification_keeps_its_read_time(client):
    read_at = timezone.now() - datetime.timedelta(days=2)
    notification = NotificationFactory(read_at=read_at, url="/")
    client.force_login(notification.recipient)

    response = client.post(open_url(notification))

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at == read_at


@pytest.fixture(params=["other participant", "staff"])
def someone_else(request: Any) -> Any:
    return UserFactory() if request.param == "other participant" else StaffFactory()


def test_nobody_else_can_open_my_notification(client, someone_else):
    notification = NotificationFactory(url="/programs/")
    before = read_state()
    client.force_login(someone_else)

    response = client.post(open_url(notification))

    assert response.status_code == 404
    assert read_state() == before


def test_opening_an_unknown_notification_is_not_found(client):
    client.force_login(UserFactory())

    assert client.post("/notifications/999999/open/").status_code == 404


def test_opening_needs_a_post(client):
    notification = NotificationFactory()
    client.force_login(notification.recipient)

    response = client.get(open_url(notification))

    assert response.status_code == 405
    assert Notification.objects.get().read_at is None


def test_read_all_marks_only_my_notifications(client):
    me = UserFactory()
    mine = NotificationFactory.create_batch(3, recipient=me)
    theirs = NotificationFactory()
    client.force_login(me)

    response = client.post(READ_ALL_URL)

    assert response.status_code == 302
    assert response.url == LIST_URL
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at=None).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_needs_a_post(client):
    notification = NotificationFactory()
    client.force_login(notification.recipient)

    assert client.get(READ_ALL_URL).status_code == 405
    assert Notification.objects.get().read_at is None


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(client, method):
    notification = NotificationFactory()
    before = read_state()

    for url in (LIST_URL, open_url(notification), READ_ALL_URL):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/login/?next="), url

    assert read_state() == before

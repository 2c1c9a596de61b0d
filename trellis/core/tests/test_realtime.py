"""The live event socket: who may connect, when events go out, and to whom.

Sockets are driven with Channels' WebsocketCommunicator against the real ASGI stack
(origin check, cookie session, auth). The channel layer is whatever the settings say:
in-memory on the first test run, Redis on the second.

Each test is a plain function that runs its async scenario with `run_scenario`, on a
fresh event loop in a thread of its own. The session-wide Playwright browser leaves an
event loop marked as running in the main thread once any browser test has run, and
pytest-asyncio cannot start its loop there; a thread of our own has no such loop.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection, transaction

from config.asgi import application
from trellis.accounts.models import User
from trellis.accounts.tests.factories import UserFactory
from trellis.core import realtime
from trellis.core.consumers import UserEventsConsumer
from trellis.notifications.models import Notification
from trellis.notifications.services import notification_send

EVENTS_PATH = "/ws/events/"
SAME_ORIGIN = (b"origin", b"http://testserver")
NOT_SIGNED_IN = 4401


class Rollback(Exception):
    """Raised inside a transaction to roll it back on purpose."""


def run_scenario(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run scenario on a new event loop in a new thread, between two emptied layers."""

    async def with_clean_layer() -> None:
        # A fresh layer object per scenario: the Redis layer keeps a receive lock bound to
        # the event loop that last received, and every scenario runs on a new loop.
        channel_layers.backends.clear()
        layer = get_channel_layer()
        assert layer is not None
        await layer.flush()  # on Redis: only this run's key prefix
        try:
            await scenario()
        finally:
            await layer.flush()
            if hasattr(layer, "close_pools"):
                await layer.close_pools()
            channel_layers.backends.clear()

    failures: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(with_clean_layer())
        except BaseException as error:  # re-raised in the test's own thread below
            failures.append(error)

    thread = threading.Thread(target=target, name="realtime-scenario")
    thread.start()
    thread.join(timeout=90)
    assert not thread.is_alive(), "the scenario did not finish in 90 seconds"
    if failures:
        raise failures[0]


@pytest.fixture
def alice(transactional_db: None) -> User:
    return UserFactory(email="alice@example.org")


@pytest.fixture
def bob(transactional_db: None) -> User:
    return UserFactory(email="bob@example.org")


@pytest.fixture
def session_cookie(client: Any) -> Callable[[User], bytes]:
    """Sign a user in through Django's session and return the Cookie header value."""

    def sign_in(user: User) -> bytes:
        client.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        return f"{name}={client.cookies[name].value}".encode()

    return sign_in


def through_the_stack(*, cookie: bytes | None = None, origin: bytes | None = None) -> Any:
    headers = [(b"origin", origin) if origin else SAME_ORIGIN]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, EVENTS_PATH, headers=headers)


def as_user(user: User) -> Any:
    """A socket whose scope already carries the user (what the auth middleware provides)."""
    communicator = WebsocketCommunicator(UserEventsConsumer.as_asgi(), EVENTS_PATH)
    communicator.scope["user"] = user
    return communicator


def close_this_threads_connection() -> None:
    connection.close()


async def connected(communicator: Any) -> Any:
    is_connected, _ = await communicator.connect(timeout=5)
    assert is_connected is True
    return communicator


# --- Who may connect -------------------------------------------------------------------


def test_anonymous_socket_is_closed_as_not_signed_in():
    async def scenario() -> None:
        communicator = through_the_stack()

        is_connected, close_code = await communicator.connect(timeout=5)

        assert (is_connected, close_code) == (False, NOT_SIGNED_IN)
        await communicator.disconnect()

    run_scenario(scenario)


def test_signed_in_socket_is_accepted_and_answers_pings(alice, session_cookie):
    cookie = session_cookie(alice)

    async def scenario() -> None:
        communicator = await connected(through_the_stack(cookie=cookie))
        try:
            await communicator.send_json_to({"type": "ping"})
            assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}

            await sync_to_async(realtime.send_now)([alice.pk], {"type": "hello", "n": 1})
            assert await communicator.receive_json_from(timeout=5) == {"type": "hello", "n": 1}
        finally:
            await communicator.disconnect()

    run_scenario(scenario)


def test_socket_with_a_forged_session_cookie_is_closed_as_not_signed_in(alice):
    async def scenario() -> None:
        communicator = through_the_stack(cookie=b"sessionid=not-a-real-session-key")

        is_connected, close_code = await communicator.connect(timeout=5)

        assert (is_connected, close_code) == (False, NOT_SIGNED_IN)
        await communicator.disconnect()

    run_scenario(scenario)


def test_socket_opened_from_another_site_is_refused(alice, session_cookie):
    cookie = session_cookie(alice)

    async def scenario() -> None:
        communicator = through_the_stack(cookie=cookie, origin=b"https://evil.example")

        is_connected, _ = await communicator.connect(timeout=5)

        assert is_connected is False
        await communicator.disconnect()

    run_scenario(scenario)


def test_deactivated_user_is_closed_as_not_signed_in():
    user = User(pk=987_654, email="gone@example.org", is_active=False)

    async def scenario() -> None:
        communicator = as_user(user)

        is_connected, close_code = await communicator.connect(timeout=5)

        assert (is_connected, close_code) == (False, NOT_SIGNED_IN)
        await communicator.disconnect()

    run_scenario(scenario)


# --- When events go out ----------------------------------------------------------------


def test_event_published_in_a_transaction_arrives_only_after_commit(alice):
    event = {"type": "test.event", "value": "after commit"}

    async def scenario() -> None:
        communicator = await connected(as_user(alice))
        # sync_to_async runs every call below in one thread, which holds the transaction
        # open across the awaits in between.
        atomic = transaction.atomic()
        try:
            await sync_to_async(atomic.__enter__)()
            await sync_to_async(realtime.publish)([alice.pk], event)

            assert await communicator.receive_nothing(timeout=0.3) is True

            await sync_to_async(atomic.__exit__)(None, None, None)
            assert await communicator.receive_json_from(timeout=5) == event
            assert await communicator.receive_nothing(timeout=0.2) is True
        finally:
            await communicator.disconnect()
            await sync_to_async(close_this_threads_connection)()

    run_scenario(scenario)


def test_event_published_in_a_rolled_back_transaction_never_arrives(alice):
    @database_sync_to_async
    def notify_then_fail() -> None:
        with transaction.atomic():
            notification_send(recipient=alice, kind="test", title="Rolled back", send_email=False)
            raise Rollback

    async def scenario() -> None:
        communicator = await connected(as_user(alice))
        try:
            with pytest.raises(Rollback):
                await notify_then_fail()

            assert await communicator.receive_nothing(timeout=0.5) is True
        finally:
            await communicator.disconnect()

    run_scenario(scenario)

    assert Notification.objects.count() == 0


def test_notification_pushes_its_title_and_the_unread_count_on_commit(alice):
    @database_sync_to_async
    def notify() -> Notification:
        with transaction.atomic():
            notification_send(recipient=alice, kind="test", title="First", send_email=False)
            return notification_send(
                recipient=alice, kind="test", title="Second", url="/programs/", send_email=False
            )

    async def scenario() -> None:
        communicator = await connected(as_user(alice))
        try:
            second = await notify()

            first_event = await communicator.receive_json_from(timeout=5)
            second_event = await communicator.receive_json_from(timeout=5)
            assert (first_event["title"], first_event["unread_count"]) == ("First", 1)
            assert second_event == {
                "type": "notification.created",
                "id": second.pk,
                "title": "Second",
                "url": "/programs/",
                "unread_count": 2,
            }
        finally:
            await communicator.disconnect()

    run_scenario(scenario)


def test_an_event_without_a_type_is_refused():
    with pytest.raises(ValueError, match="type"):
        realtime.publish([1], {"title": "no type"})


# --- To whom ---------------------------------------------------------------------------


def test_events_reach_only_the_listed_recipients(alice, bob):
    async def scenario() -> None:
        alice_tab = await connected(as_user(alice))
        alice_other_tab = await connected(as_user(alice))
        bob_tab = await connected(as_user(bob))
        try:
            await sync_to_async(realtime.send_now)([alice.pk], {"type": "for.alice"})

            assert await alice_tab.receive_json_from(timeout=5) == {"type": "for.alice"}
            assert await alice_other_tab.receive_json_from(timeout=5) == {"type": "for.alice"}
            assert await bob_tab.receive_nothing(timeout=0.3) is True

            await sync_to_async(realtime.send_now)([bob.pk, bob.pk], {"type": "for.bob"})

            assert await bob_tab.receive_json_from(timeout=5) == {"type": "for.bob"}
            assert await bob_tab.receive_nothing(timeout=0.2) is True  # duplicates sent once
            assert await alice_tab.receive_nothing(timeout=0.2) is True
        finally:
            for communicator in (alice_tab, alice_other_tab, bob_tab):
                await communicator.disconnect()

    run_scenario(scenario)


def test_a_closed_socket_leaves_the_group(alice):
    async def scenario() -> None:
        first_tab = await connected(as_user(alice))
        second_tab = await connected(as_user(alice))
        await first_tab.disconnect()
        try:
            await sync_to_async(realtime.send_now)([alice.pk], {"type": "still.here"})

            assert await second_tab.receive_json_from(timeout=5) == {"type": "still.here"}
            layer = get_channel_layer()
            if hasattr(layer, "groups"):  # the in-memory layer can be looked into
                assert len(layer.groups[realtime.user_group(alice.pk)]) == 1
        finally:
            await second_tab.disconnect()

    run_scenario(scenario)


# --- Across processes ------------------------------------------------------------------

PUBLISH_FROM_ANOTHER_PROCESS = """
import sys
import django

django.setup()
from trellis.core.realtime import send_now

send_now([int(sys.argv[1])], {"type": "from.another.process", "pid": int(sys.argv[2])})
"""


@pytest.mark.redis
@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL)")
@pytest.mark.django_db(transaction=True)
def test_event_published_in_another_process_reaches_this_process_through_redis():
    # A stored user: an open socket is recorded (presence) against its person.
    user = UserFactory(email="far-away@example.org")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
    }

    async def scenario() -> None:
        communicator = await connected(as_user(user))
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                PUBLISH_FROM_ANOTHER_PROCESS,
                str(user.pk),
                "7",
                env=environment,
                cwd=str(settings.BASE_DIR),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            _stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
            assert process.returncode == 0, stderr.decode()
            assert b"failed" not in stderr, stderr.decode()

            assert await communicator.receive_json_from(timeout=10) == {
                "type": "from.another.process",
                "pid": 7,
            }
        finally:
            await communicator.disconnect()

    run_scenario(scenario)

"""Messaging over the live socket: send and ack, retries, catching up, cursors, refusals.

Sockets go through the real ASGI application (origin check, session cookie, auth) with
Channels' WebsocketCommunicator. As in trellis/core/tests/test_realtime.py, each scenario
runs on a fresh event loop in a thread of its own, with a fresh channel layer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from trellis.accounts.models import User
from trellis.accounts.tests.factories import UserFactory
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.messaging import services
from trellis.messaging.models import Conversation, ConversationMember, Message
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS_PATH = "/ws/events/"
NOT_SIGNED_IN = 4401


def run_scenario(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run scenario on a new event loop in a new thread, between two emptied layers."""

    async def with_clean_layer() -> None:
        channel_layers.backends.clear()
        layer = get_channel_layer()
        assert layer is not None
        await layer.flush()
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

    thread = threading.Thread(target=target, name="messaging-socket-scenario")
    thread.start()
    thread.join(timeout=90)
    assert not thread.is_alive(), "the scenario did not finish in 90 seconds"
    if failures:
        raise failures[0]


def cookie_for(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def socket(cookie: bytes | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, EVENTS_PATH, headers=headers)


async def opened(cookie: bytes) -> WebsocketCommunicator:
    communicator = socket(cookie)
    is_connected, _ = await communicator.connect(timeout=5)
    assert is_connected is True
    return communicator


async def frames(communicator: WebsocketCommunicator, count: int) -> list[dict[str, Any]]:
    return [await communicator.receive_json_from(timeout=5) for _ in range(count)]


def by_type(received: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    indexed = {frame["type"]: frame for frame in received}
    assert len(indexed) == len(received), received
    return indexed


@pytest.fixture
def pair() -> dict[str, Any]:
    program = ProgramFactory(slug="talk")
    mentor = mentor_in(program, display_name="Maria Mentor")
    mentee = mentee_in(program, display_name="Ada Mentee")
    mentorship = MentorshipFactory(program=program, mentor=mentor, mentee=mentee)
    conversation = services.conversation_for_mentorship(mentorship=mentorship)
    return {
        "program": program,
        "mentor": mentor,
        "mentee": mentee,
        "conversation": conversation,
        "mentor_cookie": cookie_for(mentor),
        "mentee_cookie": cookie_for(mentee),
    }


def send_frame(conversation: Conversation, key: str, body: str = "Hello") -> dict[str, Any]:
    return {
        "type": "message.send",
        "conversation": conversation.pk,
        "client_key": key,
        "body": body,
    }


def stored(conversation: Conversation) -> list[tuple[int, str, str]]:
    return list(
        Message.objects.filter(conversation=conversation)
        .order_by("seq")
        .values_list("seq", "client_key", "body")
    )


# --- Who may connect ----------------------------------------------------------------------


def test_an_anonymous_socket_is_closed_as_not_signed_in():
    async def scenario() -> None:
        communicator = socket(None)

        assert await communicator.connect(timeout=5) == (False, NOT_SIGNED_IN)
        await communicator.disconnect()

    run_scenario(scenario)


# --- Sending --------------------------------------------------------------------------------


def test_a_sent_message_is_stored_before_the_ack_and_reaches_the_other_member(pair):
    conversation = pair["conversation"]

    async def scenario() -> None:
        mentor = await opened(pair["mentor_cookie"])
        mentee = await opened(pair["mentee_cookie"])
        try:
            await mentee.send_json_to(send_frame(conversation, "k-1", "Hello **Maria**"))

            sender_frames = by_type(await frames(mentee, 2))
            ack = sender_frames["message.ack"]
            assert ack["client_key"] == "k-1"
            # Acknowledged means committed: another connection already sees it.
            assert await sync_to_async(stored)(conversation) == [(1, "k-1", "Hello **Maria**")]
            message = ack["message"]
            assert (message["seq"], message["body"], message["kind"]) == (
                1,
                "Hello **Maria**",
                "text",
            )
            assert message["html"] == "<p>Hello <strong>Maria</strong></p>"
            assert message["sender"] == {"id": pair["mentee"].pk, "display_name": "Ada Mentee"}
            assert sender_frames["message.created"] == {
                "type": "message.created",
                "message": message,
            }

            assert await mentor.receive_json_from(timeout=5) == {
                "type": "message.created",
                "message": message,
            }
            assert await mentor.receive_nothing(timeout=0.2) is True
            assert await mentee.receive_nothing(timeout=0.2) is True
        finally:
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)


def test_a_retried_send_stores_one_message_and_both_acks_carry_it(pair):
    conversation = pair["conversation"]

    async def scenario() -> None:
        mentor = await opened(pair["mentor_cookie"])
        mentee = await opened(pair["mentee_cookie"])
        try:
            await mentee.send_json_to(send_frame(conversation, "same-key", "Once"))
            first = by_type(await frames(mentee, 2))["message.ack"]
            # The client did not see the ack (a dropped connection) and sends it again.
            await mentee.send_json_to(send_frame(conversation, "same-key", "Once"))
            second = await mentee.receive_json_from(timeout=5)

            assert second == first
            assert await mentee.receive_nothing(timeout=0.2) is True
            # The other member is told of it once.
            assert (await mentor.receive_json_from(timeout=5))["message"]["id"] == first["message"][
                "id"
            ]
            assert await mentor.receive_nothing(timeout=0.3) is True
        finally:
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)

    assert stored(conversation) == [(1, "same-key", "Once")]


def test_a_retry_on_a_second_socket_of_the_sender_returns_the_same_message(pair):
    conversation = pair["conversation"]

    async def scenario() -> None:
        first_tab = await opened(pair["mentee_cookie"])
        try:
            await first_tab.send_json_to(send_frame(conversation, "tab-key"))
            first = by_type(await frames(first_tab, 2))["message.ack"]
        finally:
            await first_tab.disconnect()
        second_tab = await opened(pair["mentee_cookie"])
        try:
            await second_tab.send_json_to(send_frame(conversation, "tab-key"))
            assert await second_tab.receive_json_from(timeout=5) == first
        finally:
            await second_tab.disconnect()

    run_scenario(scenario)

    assert Message.objects.count() == 1


# --- Refusals -------------------------------------------------------------------------------


def test_a_frame_for_someone_elses_conversation_is_refused_logged_and_changes_nothing(pair, caplog):
    conversation = pair["conversation"]
    outsider = UserFactory(email="outsider@example.org")
    cookie = cookie_for(outsider)

    async def scenario() -> None:
        intruder = await opened(cookie)
        mentee = await opened(pair["mentee_cookie"])
        try:
            for frame in (
                send_frame(conversation, "sneaky", "Let me in"),
                {"type": "conversation.sync", "conversation": conversation.pk, "after": 0},
                {"type": "conversation.read", "conversation": conversation.pk, "seq": 0},
                {"type": "conversation.typing", "conversation": conversation.pk},
            ):
                await intruder.send_json_to(frame)
                answer = await intruder.receive_json_from(timeout=5)
                assert answer == {
                    "type": "error",
                    "client_key": frame.get("client_key"),
                    "code": "not_found",
                    "message": "No such conversation.",
                }
            assert await mentee.receive_nothing(timeout=0.3) is True
        finally:
            await intruder.disconnect()
            await mentee.disconnect()

    with caplog.at_level(logging.WARNING, logger="trellis.messaging"):
        run_scenario(scenario)

    assert stored(conversation) == []
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "trellis.messaging" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 4
    assert all(
        f"user {outsider.pk} " in w and f"conversation {conversation.pk}" in w for w in warnings
    )


def test_a_conversation_that_does_not_exist_is_not_found(pair):
    async def scenario() -> None:
        mentee = await opened(pair["mentee_cookie"])
        try:
            await mentee.send_json_to(
                {"type": "message.send", "conversation": 999_999, "client_key": "k", "body": "?"}
            )
            answer = await mentee.receive_json_from(timeout=5)
            assert (answer["code"], answer["client_key"]) == ("not_found", "k")
        finally:
            await mentee.disconnect()

    run_scenario(scenario)

    assert Message.objects.count() == 0


def test_a_member_who_left_is_refused(pair):
    conversation = pair["conversation"]
    ConversationMember.objects.filter(user=pair["mentee"]).update(is_active=False)

    async def scenario() -> None:
        mentee = await opened(pair["mentee_cookie"])
        try:
            await mentee.send_json_to(send_frame(conversation, "late"))
            assert (await mentee.receive_json_from(timeout=5))["code"] == "not_found"
        finally:
            await mentee.disconnect()

    run_scenario(scenario)

    assert stored(conversation) == []


MALFORMED = [
    pytest.param("not json at all", id="not-json"),
    pytest.param("[1, 2, 3]", id="array"),
    pytest.param('"message.send"', id="string"),
    pytest.param("{}", id="no-type"),
    pytest.param('{"type": 7}', id="type-not-a-string"),
    pytest.param('{"type": "message.explode", "conversation": 1}', id="unknown-type"),
    pytest.param(
        '{"type": "message.send", "conversation": "1", "client_key": "k"}', id="id-string"
    ),
    pytest.param('{"type": "message.send", "conversation": true, "client_key": "k"}', id="id-bool"),
    pytest.param('{"type": "message.send", "client_key": "k", "body": "x"}', id="no-conversation"),
    pytest.param('{"type": "message.send", "conversation": CID, "client_key": 5}', id="key-number"),
    pytest.param('{"type": "message.send", "conversation": CID, "body": "x"}', id="no-key"),
    pytest.param(
        '{"type": "message.send", "conversation": CID, "client_key": "k", "body": ["x"]}',
        id="body-list",
    ),
    pytest.param(
        '{"type": "message.send", "conversation": CID, "client_key": "k", "attachment_ids": "1"}',
        id="attachments-string",
    ),
    pytest.param(
        '{"type": "message.send", "conversation": CID, "client_key": "k", "card": "party"}',
        id="card-string",
    ),
    pytest.param('{"type": "conversation.sync", "conversation": CID, "after": -1}', id="after-neg"),
    pytest.param(
        '{"type": "conversation.sync", "conversation": CID, "after": 1.5}', id="after-float"
    ),
    pytest.param('{"type": "conversation.read", "conversation": CID}', id="read-no-seq"),
    pytest.param(
        '{"type": "conversation.delivered", "conversation": CID, "seq": "3"}', id="seq-str"
    ),
]


@pytest.mark.parametrize("text", MALFORMED)
def test_a_malformed_frame_gets_an_error_and_changes_nothing(pair, text):
    conversation = pair["conversation"]
    services.message_send(
        conversation=conversation, sender=pair["mentor"], client_key="m1", body="Hi"
    )
    before = list(
        ConversationMember.objects.values_list("pk", "last_read_seq", "last_delivered_seq")
    )
    text = text.replace("CID", str(conversation.pk))

    async def scenario() -> None:
        mentee = await opened(pair["mentee_cookie"])
        mentor = await opened(pair["mentor_cookie"])
        try:
            await mentee.send_to(text_data=text)
            answer = await mentee.receive_json_from(timeout=5)
            assert (answer["type"], answer["code"]) == ("error", "malformed")
            assert answer["message"]
            assert await mentor.receive_nothing(timeout=0.2) is True
            # The socket stays open and keeps working.
            await mentee.send_json_to({"type": "ping"})
            assert await mentee.receive_json_from(timeout=5) == {"type": "pong"}
        finally:
            await mentee.disconnect()
            await mentor.disconnect()

    run_scenario(scenario)

    assert stored(conversation) == [(1, "m1", "Hi")]
    assert (
        list(ConversationMember.objects.values_list("pk", "last_read_seq", "last_delivered_seq"))
        == before
    )


def test_an_oversized_frame_is_refused_even_with_a_valid_message(pair):
    conversation = pair["conversation"]
    frame = json.dumps(send_frame(conversation, "big", "x" * 9_000 + " " + "é" * 30_000))
    assert len(frame.encode()) > 64 * 1024

    async def scenario() -> None:
        mentee = await opened(pair["mentee_cookie"])
        try:
            await mentee.send_to(text_data=frame)
            answer = await mentee.receive_json_from(timeout=5)
            assert (answer["code"], answer["client_key"]) == ("malformed", None)
            await mentee.send_to(bytes_data=b'{"type": "ping"}')
            assert (await mentee.receive_json_from(timeout=5))["code"] == "malformed"
        finally:
            await mentee.disconnect()

    run_scenario(scenario)

    assert stored(conversation) == []


def test_an_empty_or_too_long_message_is_invalid_with_the_field(pair):
    conversation = pair["conversation"]

    async def scenario() -> None:
        mentee = await opened(pair["mentee_cookie"])
        try:
            await mentee.send_json_to(send_frame(conversation, "empty", "   "))
            answer = await mentee.receive_json_from(timeout=5)
            assert answer == {
                "type": "error",
                "client_key": "empty",
                "code": "invalid",
                "message": "Write a message.",
                "fields": {"body": ["Write a message."]},
            }
            await mentee.send_json_to(send_frame(conversation, "long", "x" * 10_001))
            answer = await mentee.receive_json_from(timeout=5)
            assert (answer["code"], list(answer["fields"])) == ("invalid", ["body"])
            await mentee.send_json_to(send_frame(conversation, "", "no key"))
            answer = await mentee.receive_json_from(timeout=5)
            assert (answer["code"], list(answer["fields"])) == ("invalid", ["client_key"])
        finally:
            await mentee.disconnect()

    run_scenario(scenario)

    assert stored(conversation) == []


def test_a_reader_of_announcements_may_not_write(pair):
    program = pair["program"]
    manager = UserFactory(email="manager@example.org")
    program.managers.add(manager)
    announcements = services.conversation_announcements(program=program)

    async def scenario() -> None:
        mentee = await opened(pair["mentee_cookie"])
        try:
            await mentee.send_json_to(send_frame(announcements, "reader", "Can I post?"))
            answer = await mentee.receive_json_from(timeout=5)
            assert (answer["code"], answer["client_key"]) == ("forbidden", "reader")
            await mentee.send_json_to(
                {"type": "conversation.typing", "conversation": announcements.pk}
            )
            assert (await mentee.receive_json_from(timeout=5))["code"] == "forbidden"
        finally:
            await mentee.disconnect()

    run_scenario(scenario)

    assert stored(announcements) == []


def test_a_flood_is_rate_limited_with_the_time_to_wait(pair, settings):
    settings.MESSAGING_RATE_LIMIT = 3
    settings.MESSAGING_RATE_WINDOW_SECONDS = 60
    conversation = pair["conversation"]

    async def scenario() -> None:
        mentee = await opened(pair["mentee_cookie"])
        try:
            for number in range(3):
                await mentee.send_json_to(send_frame(conversation, f"flood-{number}"))
                assert "message.ack" in by_type(await frames(mentee, 2))
            await mentee.send_json_to(send_frame(conversation, "flood-3"))
            answer = await mentee.receive_json_from(timeout=5)
            assert (answer["code"], answer["client_key"]) == ("rate_limited", "flood-3")
            assert 0 < answer["retry_after"] <= 60
        finally:
            await mentee.disconnect()

    run_scenario(scenario)

    assert [key for _seq, key, _body in stored(conversation)] == ["flood-0", "flood-1", "flood-2"]


# --- Catching up -----------------------------------------------------------------------------


def test_sync_returns_exactly_the_missing_messages_in_order(pair):
    conversation = pair["conversation"]
    for number in range(1, 8):
        sender = pair["mentor"] if number % 2 else pair["mentee"]
        services.message_send(
            conversation=conversation,
            sender=sender,
            client_key=f"s{number}",
            body=f"Message {number}",
        )

    async def scenario() -> None:
        mentee = await opened(pair["mentee_cookie"])
        try:
            await mentee.send_json_to(
                {"type": "conversation.sync", "conversation": conversation.pk, "after": 4}
            )
            answer = await mentee.receive_json_from(timeout=5)
            assert (answer["type"], answer["conversation"], answer["has_more"]) == (
                "conversation.messages",
                conversation.pk,
                False,
            )
            assert [(m["seq"], m["body"]) for m in answer["messages"]] == [
                (5, "Message 5"),
                (6, "Message 6"),
                (7, "Message 7"),
            ]

            # A page at a time: the client loops while has_more.
            seen: list[int] = []
            after, has_more = 0, True
            while has_more:
                await mentee.send_json_to(
                    {
                        "type": "conversation.sync",
                        "conversation": conversation.pk,
                        "after": after,
                        "limit": 3,
                    }
                )
                page = await mentee.receive_json_from(timeout=5)
                seen += [m["seq"] for m in page["messages"]]
                after, has_more = seen[-1], page["has_more"]
            assert seen == [1, 2, 3, 4, 5, 6, 7]

            await mentee.send_json_to(
                {"type": "conversation.sync", "conversation": conversation.pk, "after": 7}
            )
            assert await mentee.receive_json_from(timeout=5) == {
                "type": "conversation.messages",
                "conversation": conversation.pk,
                "messages": [],
                "has_more": False,
            }
        finally:
            await mentee.disconnect()

    run_scenario(scenario)


# --- Cursors and typing -----------------------------------------------------------------------


def test_delivered_and_read_cursors_move_and_are_broadcast(pair):
    conversation = pair["conversation"]
    for number in (1, 2, 3):
        services.message_send(
            conversation=conversation, sender=pair["mentor"], client_key=f"c{number}", body="Hi"
        )
    mentee_id = pair["mentee"].pk

    def state(delivered: int, read: int) -> dict[str, Any]:
        return {
            "type": "conversation.state",
            "conversation": conversation.pk,
            "user": mentee_id,
            "delivered": delivered,
            "read": read,
        }

    async def scenario() -> None:
        mentor = await opened(pair["mentor_cookie"])
        mentee = await opened(pair["mentee_cookie"])
        try:
            await mentee.send_json_to(
                {"type": "conversation.delivered", "conversation": conversation.pk, "seq": 3}
            )
            assert await mentor.receive_json_from(timeout=5) == state(3, 0)
            assert await mentee.receive_json_from(timeout=5) == state(3, 0)

            await mentee.send_json_to(
                {"type": "conversation.read", "conversation": conversation.pk, "seq": 2}
            )
            assert await mentor.receive_json_from(timeout=5) == state(3, 2)
            assert await mentee.receive_json_from(timeout=5) == state(3, 2)

            # A cursor never moves back, and a mark that moves nothing is not announced.
            await mentee.send_json_to(
                {"type": "conversation.read", "conversation": conversation.pk, "seq": 1}
            )
            assert await mentor.receive_nothing(timeout=0.3) is True
            assert await mentee.receive_nothing(timeout=0.1) is True
        finally:
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)

    member = ConversationMember.objects.get(conversation=conversation, user_id=mentee_id)
    assert (member.last_delivered_seq, member.last_read_seq) == (3, 2)


def test_typing_reaches_the_others_only(pair):
    conversation = pair["conversation"]

    async def scenario() -> None:
        mentor = await opened(pair["mentor_cookie"])
        mentee = await opened(pair["mentee_cookie"])
        try:
            await mentee.send_json_to(
                {"type": "conversation.typing", "conversation": conversation.pk}
            )

            assert await mentor.receive_json_from(timeout=5) == {
                "type": "conversation.typing",
                "conversation": conversation.pk,
                "user": pair["mentee"].pk,
                "name": "Ada Mentee",
            }
            assert await mentee.receive_nothing(timeout=0.3) is True
        finally:
            await mentor.disconnect()
            await mentee.disconnect()

    run_scenario(scenario)


def test_ping_is_still_answered(pair):
    async def scenario() -> None:
        mentee = await opened(pair["mentee_cookie"])
        try:
            await mentee.send_json_to({"type": "ping"})
            assert await mentee.receive_json_from(timeout=5) == {"type": "pong"}
        finally:
            await mentee.disconnect()

    run_scenario(scenario)


def test_an_event_card_is_sent_and_a_wrong_one_is_invalid_by_field(pair):
    conversation = pair["conversation"]
    card = {
        "title": "Meetup",
        "starts_at": "2031-05-06T18:00:00+02:00",
        "ends_at": "2031-05-06T20:00:00+02:00",
        "place": "Town hall",
        "url": "https://example.org/meetup",
    }

    async def scenario() -> None:
        mentee = await opened(pair["mentee_cookie"])
        try:
            await mentee.send_json_to({**send_frame(conversation, "card", ""), "card": card})
            ack = by_type(await frames(mentee, 2))["message.ack"]
            assert ack["message"]["kind"] == "event"
            assert ack["message"]["card"]["starts_at"] == "2031-05-06T16:00:00+00:00"

            wrong = {**card, "url": "javascript:alert(1)"}
            await mentee.send_json_to({**send_frame(conversation, "bad-card", ""), "card": wrong})
            answer = await mentee.receive_json_from(timeout=5)
            assert (answer["code"], list(answer["fields"])) == ("invalid", ["card.url"])
        finally:
            await mentee.disconnect()

    run_scenario(scenario)

    assert [key for _seq, key, _body in stored(conversation)] == ["card"]


def test_someone_elses_upload_cannot_be_sent(pair):
    from django.core.files.base import ContentFile

    from trellis.messaging.models import Attachment

    conversation = pair["conversation"]
    upload = Attachment(
        conversation=conversation,
        uploaded_by=pair["mentor"],
        name="notes.pdf",
        content_type="application/pdf",
        size=5,
    )
    upload.file.save("notes", ContentFile(b"%PDF-"), save=False)
    upload.save()

    async def scenario() -> None:
        mentee = await opened(pair["mentee_cookie"])
        try:
            frame = {**send_frame(conversation, "steal", ""), "attachment_ids": [upload.pk]}
            await mentee.send_json_to(frame)
            answer = await mentee.receive_json_from(timeout=5)
            assert (answer["code"], list(answer["fields"])) == ("invalid", ["attachment_ids"])
        finally:
            await mentee.disconnect()

    run_scenario(scenario)

    upload.refresh_from_db()
    assert upload.message_id is None
    assert stored(conversation) == []

"""The notes socket through the real ASGI stack (origin check, cookie session, auth).

Each scenario runs on its own event loop in a thread (see core's test_realtime), against
the channel layer the settings give: in memory, or Redis on the second run. The browser
side is played by pycrdt documents speaking y-websocket's frames.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client as DjangoClient
from pycrdt import Doc

from config.asgi import application
from trellis.core.tests import test_realtime
from trellis.core.tests.test_realtime import SAME_ORIGIN
from trellis.mentorships.services import mentorship_end
from trellis.notes import consumers, crdt, selectors
from trellis.notes.consumers import (
    BAD_FRAME,
    NOT_FOUND,
    NOT_SIGNED_IN,
    READ_ONLY,
    TOO_LARGE,
    TOO_MANY,
)
from trellis.notes.models import NoteDocument, NoteUpdate
from trellis.notes.tests.helpers import Client, document_of, write

pytestmark = pytest.mark.django_db(transaction=True)

OUTSIDERS = ["other_mentor", "other_mentee", "manager", "other_manager", "staff"]


def run_scenario(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Core's run_scenario, closing the database connections the sockets opened after it."""

    async def then_close() -> None:
        try:
            await scenario()
        finally:
            await sync_to_async(connections.close_all)()

    test_realtime.run_scenario(then_close)


@pytest.fixture
def session_cookie() -> Callable[[Any], bytes]:
    """A session cookie per person (each signs in with a client of their own)."""

    def sign_in(user: Any) -> bytes:
        client = DjangoClient()
        client.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        return f"{name}={client.cookies[name].value}".encode()

    return sign_in


@pytest.fixture
def document(world) -> NoteDocument:
    found = document_of(world["pair"])
    write(found, world["mentor"], "Agenda\n")
    return found


def socket(document_id: int, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [SAME_ORIGIN]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, f"/ws/notes/{document_id}", headers=headers)


async def closed_with(communicator: WebsocketCommunicator) -> int:
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close"
    return int(output["code"])


class Browser:
    """One open editor: its socket and its Yjs document, synced as y-websocket does."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.socket = communicator
        self.client = Client()

    @property
    def text(self) -> str:
        return self.client.text

    async def open(self) -> Browser:
        is_connected, code = await self.socket.connect(timeout=5)
        assert is_connected, code
        server_step1 = crdt.parse_frame(await self.socket.receive_from(timeout=5))
        assert isinstance(server_step1, crdt.SyncFrame)
        assert server_step1.is_step1
        # Answer the server's step 1 with what it lacks (offline edits), then ask for its.
        mine = self.client.doc.get_update(server_step1.payload)
        await self.socket.send_to(bytes_data=crdt.sync_step2(mine))
        await self.socket.send_to(bytes_data=sync_step1_of(self.client.doc))
        step2 = crdt.parse_frame(await self.socket.receive_from(timeout=5))
        assert isinstance(step2, crdt.SyncFrame)
        assert not step2.is_step1
        self.client.receive(step2.payload)
        return self

    async def type(self, words: str) -> None:
        update = self.client.append(words)
        await self.socket.send_to(bytes_data=crdt.update_frame(update))

    async def receive(self) -> crdt.Frame:
        frame = crdt.parse_frame(await self.socket.receive_from(timeout=5))
        if isinstance(frame, crdt.SyncFrame) and frame.carries_update:
            self.client.receive(frame.payload)
        return frame

    async def say_here(self, client_id: int, clock: int, name: str) -> None:
        state = {"user": {"name": name, "color": "red"}, "cursor": None}
        frame = crdt.awareness_frame([crdt.AwarenessEntry(client_id, clock, state)])
        await self.socket.send_to(bytes_data=frame)

    async def close(self) -> None:
        await self.socket.disconnect()


def sync_step1_of(doc: Doc) -> bytes:
    return crdt.sync_step1(doc.get_update())


@database_sync_to_async
def stored_text(document_id: int) -> str:
    return NoteDocument.objects.get(pk=document_id).text


@database_sync_to_async
def update_count() -> int:
    return NoteUpdate.objects.count()


# Who may connect -----------------------------------------------------------------------------


def test_anonymous_is_closed_as_not_signed_in(document):
    async def scenario() -> None:
        communicator = socket(document.pk)
        is_connected, code = await communicator.connect(timeout=5)
        assert (is_connected, code) == (False, NOT_SIGNED_IN)
        await communicator.disconnect()

    run_scenario(scenario)


@pytest.mark.parametrize("role", OUTSIDERS)
def test_anyone_but_the_pair_is_closed_as_not_found(world, document, session_cookie, role):
    cookie = session_cookie(world[role])

    async def scenario() -> None:
        communicator = socket(document.pk, cookie)
        is_connected, code = await communicator.connect(timeout=5)
        assert (is_connected, code) == (False, NOT_FOUND)
        await communicator.disconnect()

    run_scenario(scenario)


def test_a_document_that_does_not_exist_is_not_found(world, document, session_cookie):
    cookie = session_cookie(world["mentee"])

    async def scenario() -> None:
        communicator = socket(document.pk + 1000, cookie)
        assert (await communicator.connect(timeout=5)) == (False, NOT_FOUND)
        await communicator.disconnect()

    run_scenario(scenario)


def test_a_member_who_left_the_group_is_not_found(group_world, session_cookie):
    group_document = document_of(group_world["group"])
    cookie = session_cookie(group_world["lena"])

    async def scenario() -> None:
        communicator = socket(group_document.pk, cookie)
        assert (await communicator.connect(timeout=5)) == (False, NOT_FOUND)
        await communicator.disconnect()

    run_scenario(scenario)


# Editing together ----------------------------------------------------------------------------


def test_a_newcomer_gets_the_stored_document(world, document, session_cookie):
    cookie = session_cookie(world["mentee"])

    async def scenario() -> None:
        noah = await Browser(socket(document.pk, cookie)).open()
        try:
            assert noah.text == "Agenda\n"
        finally:
            await noah.close()

    run_scenario(scenario)


def test_an_edit_reaches_the_other_editor_and_is_stored(world, document, session_cookie):
    mentor_cookie = session_cookie(world["mentor"])
    mentee_cookie = session_cookie(world["mentee"])

    async def scenario() -> None:
        mara = await Browser(socket(document.pk, mentor_cookie)).open()
        noah = await Browser(socket(document.pk, mentee_cookie)).open()
        try:
            await noah.type("- Noah's point\n")
            frame = await mara.receive()
            assert isinstance(frame, crdt.SyncFrame)
            assert frame.carries_update
            assert mara.text == noah.text == "Agenda\n- Noah's point\n"
            assert await noah.socket.receive_nothing(timeout=0.3)  # no echo of one's own edit

            await mara.type("- Mara's point\n")
            await noah.receive()
            assert noah.text == mara.text == "Agenda\n- Noah's point\n- Mara's point\n"
            assert await stored_text(document.pk) == noah.text
        finally:
            await mara.close()
            await noah.close()

    run_scenario(scenario)


def test_edits_made_offline_come_in_with_the_sync_and_reach_the_others(
    world, document, session_cookie
):
    mentor_cookie = session_cookie(world["mentor"])
    mentee_cookie = session_cookie(world["mentee"])
    # Noah had the document, went offline and wrote on.
    offline = Client(document)
    offline.append("Written on the train\n")

    async def scenario() -> None:
        mara = await Browser(socket(document.pk, mentor_cookie)).open()
        noah = Browser(socket(document.pk, mentee_cookie))
        noah.client = offline
        try:
            await noah.open()
            await mara.receive()
            assert mara.text == noah.text == "Agenda\nWritten on the train\n"
            assert await stored_text(document.pk) == "Agenda\nWritten on the train\n"
        finally:
            await mara.close()
            await noah.close()

    run_scenario(scenario)


def test_a_past_participant_reads_but_their_edits_are_dropped(world, document, session_cookie):
    pair = world["pair"]
    mentorship_end(mentorship=pair, by=pair.mentor, reason="no_time")
    assert selectors.notes_access(mentorship=pair, user=world["mentee"]) == "read"
    mentee_cookie = session_cookie(world["mentee"])
    mentor_cookie = session_cookie(world["mentor"])

    async def scenario() -> None:
        mara = await Browser(socket(document.pk, mentor_cookie)).open()
        noah = await Browser(socket(document.pk, mentee_cookie)).open()
        try:
            assert noah.text == "Agenda\n"
            before = await update_count()
            await noah.type("Too late")
            assert await mara.socket.receive_nothing(timeout=0.5)
            assert await update_count() == before
            assert await stored_text(document.pk) == "Agenda\n"
        finally:
            await mara.close()
            await noah.close()

    run_scenario(scenario)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\x00\x02\x05junk!", BAD_FRAME),  # an update that is not one
        (b"\x07\x00", BAD_FRAME),  # an unknown message type
        (b"\x00\x01\x40ab", BAD_FRAME),  # a payload shorter than it says
        (b"\x01\x05", BAD_FRAME),  # awareness cut short
        (b"\x00\x02" + b"\xff" * (600 * 1024), TOO_LARGE),
    ],
)
def test_a_frame_outside_the_protocol_closes_the_socket_and_stores_nothing(
    world, document, session_cookie, frame, code
):
    cookie = session_cookie(world["mentee"])

    async def scenario() -> None:
        noah = await Browser(socket(document.pk, cookie)).open()
        before = await update_count()
        await noah.socket.send_to(bytes_data=frame)
        assert await closed_with(noah.socket) == code
        assert await update_count() == before
        await noah.close()

    run_scenario(scenario)


def test_a_text_frame_is_not_the_protocol(world, document, session_cookie):
    cookie = session_cookie(world["mentee"])

    async def scenario() -> None:
        noah = await Browser(socket(document.pk, cookie)).open()
        await noah.socket.send_to(text_data="hello")
        assert await closed_with(noah.socket) == BAD_FRAME
        await noah.close()

    run_scenario(scenario)


# Who is here -----------------------------------------------------------------------------


def awareness_of(frame: crdt.Frame) -> list[crdt.AwarenessEntry]:
    assert isinstance(frame, crdt.AwarenessFrame)
    return frame.entries


def test_cursors_carry_the_real_name_and_vanish_when_the_socket_closes(
    world, document, session_cookie
):
    mentor_cookie = session_cookie(world["mentor"])
    mentee_cookie = session_cookie(world["mentee"])

    async def scenario() -> None:
        mara = await Browser(socket(document.pk, mentor_cookie)).open()
        noah = await Browser(socket(document.pk, mentee_cookie)).open()
        try:
            await mara.say_here(111, 1, "Mara")
            [own] = awareness_of(await mara.receive())  # back to the sender: the link lives
            [seen] = awareness_of(await noah.receive())
            assert (seen.client_id, seen.clock) == (own.client_id, own.clock) == (111, 1)
            assert seen.state["user"]["name"] == "Mara"

            # Noah claims to be someone else, and speaks for Mara's client too.
            await noah.say_here(222, 4, "The Director")
            await noah.socket.send_to(
                bytes_data=crdt.awareness_frame(
                    [crdt.AwarenessEntry(111, 9, None), crdt.AwarenessEntry(222, 5, {"x": 1})]
                )
            )
            [first] = awareness_of(await mara.receive())
            [second] = awareness_of(await mara.receive())
            assert (first.client_id, first.state["user"]["name"]) == (222, "Noah")
            assert (second.client_id, second.clock, second.state["user"]["name"]) == (
                222,
                5,
                "Noah",
            )

            await noah.close()
            [gone] = awareness_of(await mara.receive())
            assert (gone.client_id, gone.clock, gone.state) == (222, 5, None)
        finally:
            await mara.close()

    run_scenario(scenario)


def test_a_newcomer_is_told_who_is_already_here(world, document, session_cookie):
    mentor_cookie = session_cookie(world["mentor"])
    mentee_cookie = session_cookie(world["mentee"])

    async def scenario() -> None:
        mara = await Browser(socket(document.pk, mentor_cookie)).open()
        await mara.say_here(111, 3, "Mara")
        await mara.receive()
        noah = Browser(socket(document.pk, mentee_cookie))
        try:
            is_connected, _ = await noah.socket.connect(timeout=5)
            assert is_connected
            frames = [await noah.receive(), await noah.receive()]
            entries = [
                entry
                for frame in frames
                if isinstance(frame, crdt.AwarenessFrame)
                for entry in frame.entries
            ]
            assert [
                (entry.client_id, entry.clock, entry.state["user"]["name"]) for entry in entries
            ] == [(111, 3, "Mara")]
        finally:
            await mara.close()
            await noah.close()

    run_scenario(scenario)


def test_awareness_is_never_stored(world, document, session_cookie):
    cookie = session_cookie(world["mentee"])

    async def scenario() -> None:
        noah = await Browser(socket(document.pk, cookie)).open()
        before = await update_count()
        await noah.say_here(5, 1, "Noah")
        await noah.receive()
        assert await update_count() == before
        await noah.close()

    run_scenario(scenario)
    assert json.dumps(NoteDocument.objects.get(pk=document.pk).text) == json.dumps("Agenda\n")


def test_a_socket_sending_too_many_frames_is_closed_to_reconnect_later(
    world, document, session_cookie, monkeypatch
):
    monkeypatch.setattr(consumers, "FRAMES_PER_SECOND", 0.0)
    monkeypatch.setattr(consumers.NoteDocumentConsumer, "tokens", 5.0)
    cookie = session_cookie(world["mentee"])

    async def scenario() -> None:
        noah = await Browser(socket(document.pk, cookie)).open()  # two frames
        for clock in range(3):
            await noah.say_here(7, clock + 1, "Noah")
            await noah.receive()
        await noah.say_here(7, 9, "Noah")
        assert await closed_with(noah.socket) == TOO_MANY
        await noah.close()

    run_scenario(scenario)


def test_an_edit_after_the_mentorship_finished_under_an_open_editor_closes_it(
    world, document, session_cookie
):
    cookie = session_cookie(world["mentee"])
    pair = world["pair"]

    @database_sync_to_async
    def finish() -> None:
        mentorship_end(mentorship=pair, by=pair.mentor, reason="no_time")

    async def scenario() -> None:
        noah = await Browser(socket(document.pk, cookie)).open()
        await finish()
        before = await update_count()
        await noah.type("Still here?")
        assert await closed_with(noah.socket) == READ_ONLY
        assert await update_count() == before
        await noah.close()

    run_scenario(scenario)

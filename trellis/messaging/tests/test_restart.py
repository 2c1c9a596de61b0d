"""Kill the server (SIGKILL) between sends and start it again: nothing lost, nothing twice.

A real uvicorn process serves Trellis on a SQLite file of the test's own (the embedded
defaults), set up by a child process (migrations, two people in a mentorship, their
conversation, a signed-in session each). Two websocket clients, written like the page's
(trellis/messaging/static): every message has a client_key; a message without an ack is
sent again with the same key after a reconnect; a reconnected client asks for everything
after the last seq it has. Between rounds the server is killed at the worst moments:

- right after a message was committed but before its ack was read (the retry must get
  the stored message back, not store it again);
- in the middle of a burst of unacknowledged sends (some stored, some never arrived);
- with a frame sent into a dying server.

At the end, each key is stored exactly once, the seqs run 1..n without a gap, every ack
names the stored seq, and each person's view (live events plus sync) holds every
message of the other once.

The server-process helpers here are also used by test_two_servers.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

EVENTS_PATH = "/ws/events/"
START_TIMEOUT = 60.0
REPLY_TIMEOUT = 15.0
# Variables of the test process that must not leak into a server's environment.
_NOT_INHERITED = {
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_KEY_PREFIX",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "CONN_MAX_AGE",
}

SETUP_SCRIPT = """
import json, sys
import django

django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command

from trellis.accounts.models import User
from trellis.mentorships.models import Mentorship, MentorshipSource, MentorshipStatus
from trellis.messaging.services import conversation_for_mentorship
from trellis.programs.models import Organisation, Program

call_command("migrate", interactive=False, verbosity=0)
organisation = Organisation.objects.create(name="Restart", slug="restart")
program = Program.objects.create(organisation=organisation, name="Restart", slug="restart")
people = {}
for name in ("alice", "bob"):
    user = User.objects.create_user(email=f"{name}@example.org", password=None)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    people[name] = {"id": user.pk, "session": session.session_key}
mentorship = Mentorship.objects.create(
    program=program,
    mentor_id=people["alice"]["id"],
    mentee_id=people["bob"]["id"],
    source=MentorshipSource.MANAGER,
    status=MentorshipStatus.ACTIVE,
)
conversation = conversation_for_mentorship(mentorship=mentorship)
json.dump(
    {"cookie": settings.SESSION_COOKIE_NAME, "conversation": conversation.pk, **people},
    sys.stdout,
)
"""


# --- Server processes (also used by test_two_servers.py) ------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(folder: Path, **variables: str) -> dict[str, str]:
    """A server's environment: production settings, this test's own stores and secrets."""
    environment = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": "restart-test-secret-key-used-by-these-server-processes-only",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_COOKIES": "false",
            "EMAIL_URL": "consolemail://",
            "LOG_LEVEL": "WARNING",
            "MEDIA_ROOT": str(folder / "media"),
            "PRIVATE_MEDIA_ROOT": str(folder / "private"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    environment.update(variables)
    return environment


def run_setup(environment: dict[str, str]) -> dict[str, Any]:
    """Migrate the server's database and make alice, bob and their conversation in it."""
    completed = subprocess.run(
        [sys.executable, "-c", SETUP_SCRIPT],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return dict(json.loads(completed.stdout))


class ServerProcess:
    """uvicorn serving config.asgi in a process group of its own."""

    def __init__(self, environment: dict[str, str], log_path: Path) -> None:
        self.environment = environment
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{EVENTS_PATH}"

    def start(self) -> None:
        """Start (again, on the same port) and wait until a request is answered."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "config.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--lifespan",
                    "off",
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                cwd=settings.BASE_DIR,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not self.answers():
            assert self.process.poll() is None, f"the server exited:\n{self.log_tail()}"
            assert time.monotonic() < deadline, f"the server did not start:\n{self.log_tail()}"
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as connection:
                connection.sendall(b"GET /accounts/login/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                return connection.recv(12).startswith(b"HTTP/1.")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flushing, as a crash or an OOM kill would do."""
        self._signal(signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def _signal(self, number: int) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, number)

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def tracebacks(self) -> str:
        """The server log if it holds a traceback (else ""), to assert on."""
        with contextlib.suppress(OSError):
            text = self.log_path.read_text(errors="replace")
            if "Traceback (most recent call last)" in text:
                return text
        return ""


@contextlib.contextmanager
def running(server: ServerProcess) -> Iterator[ServerProcess]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Person:
    """A websocket client that behaves like the conversation page."""

    name: str
    user_id: int
    session_key: str
    cookie_name: str
    conversation_id: int
    socket: ClientConnection | None = None
    # Every message this person has seen, by seq (live events, acks and sync pages).
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)
    # How many times a message.created event brought each seq (live duplicates).
    live_counts: dict[int, int] = field(default_factory=dict)
    # Sent, not yet acknowledged: client_key -> body.
    pending: dict[str, str] = field(default_factory=dict)
    acks: dict[str, int] = field(default_factory=dict)
    closer: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def connect(self, server: ServerProcess) -> None:
        connection = connect(
            server.events_url,
            additional_headers={
                "Cookie": f"{self.cookie_name}={self.session_key}",
                "Origin": server.base_url,
            },
            proxy=None,
            open_timeout=REPLY_TIMEOUT,
            close_timeout=2,
        )
        # Entered as a context manager, so drop() closes it (and websockets asks for that).
        self.socket = self.closer.enter_context(connection)

    def send(self, key: str, body: str) -> bool:
        """Send a message frame; False when the socket is already gone."""
        self.pending[key] = body
        assert self.socket is not None
        try:
            self.socket.send(
                json.dumps(
                    {
                        "type": "message.send",
                        "conversation": self.conversation_id,
                        "client_key": key,
                        "body": body,
                    }
                )
            )
        except (ConnectionClosed, OSError):
            return False
        return True

    def receive(self, timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
        assert self.socket is not None
        event = json.loads(self.socket.recv(timeout=timeout))
        kind = event.get("type")
        if kind == "message.created":
            message = event["message"]
            self.seen[message["seq"]] = message
            self.live_counts[message["seq"]] = self.live_counts.get(message["seq"], 0) + 1
        elif kind == "message.ack":
            message = event["message"]
            self.seen[message["seq"]] = message
            self.acks[event["client_key"]] = message["seq"]
            self.pending.pop(event["client_key"], None)
        elif kind == "conversation.messages":
            for message in event["messages"]:
                self.seen[message["seq"]] = message
        else:
            assert kind != "error", event
        return event

    def wait_for(self, condition: Any, timeout: float = REPLY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{self.name} waited in vain; seen {sorted(self.seen)}"
            self.receive(timeout=remaining)

    def wait_for_acks(self) -> None:
        self.wait_for(lambda: not self.pending)

    def drop(self) -> None:
        """Forget the socket (the server is gone); what was not acked stays pending."""
        with contextlib.suppress(Exception):
            self.closer.close()
        self.socket = None

    def reconnect(self, server: ServerProcess) -> None:
        """What the page does after a reconnect: resend the unacked, then catch up."""
        self.connect(server)
        for key, body in list(self.pending.items()):
            assert self.send(key, body)
        self.wait_for_acks()
        self.sync()

    def sync(self) -> None:
        """Fetch every message after the last contiguous seq this person has."""
        while True:
            after = self.contiguous_seq()
            assert self.socket is not None
            self.socket.send(
                json.dumps(
                    {
                        "type": "conversation.sync",
                        "conversation": self.conversation_id,
                        "after": after,
                    }
                )
            )
            while True:
                event = self.receive()
                if event.get("type") == "conversation.messages":
                    break
            if not event["has_more"]:
                return

    def contiguous_seq(self) -> int:
        seq = 0
        while seq + 1 in self.seen:
            seq += 1
        return seq


def stored_messages(database: Path, conversation_id: int) -> list[tuple[int, int, str, str]]:
    """(seq, sender, client_key, body) of the conversation's rows, read from the file."""
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as connection:
        return list(
            connection.execute(
                "SELECT seq, sender_id, client_key, body FROM messaging_message "
                "WHERE conversation_id = ? ORDER BY seq",
                (conversation_id,),
            )
        )


def wait_until_stored(database: Path, conversation_id: int, key: str) -> None:
    deadline = time.monotonic() + REPLY_TIMEOUT
    while not any(row[2] == key for row in stored_messages(database, conversation_id)):
        assert time.monotonic() < deadline, f"{key} was never stored"
        time.sleep(0.005)


# --- The test -------------------------------------------------------------------------------


def test_killing_the_server_between_sends_loses_and_duplicates_nothing(tmp_path):
    database = tmp_path / "restart.sqlite3"
    environment = server_environment(tmp_path, DATABASE_URL=f"sqlite:///{database}")
    setup = run_setup(environment)
    conversation_id = setup["conversation"]
    alice, bob = (
        Person(
            name=name,
            user_id=setup[name]["id"],
            session_key=setup[name]["session"],
            cookie_name=setup["cookie"],
            conversation_id=conversation_id,
        )
        for name in ("alice", "bob")
    )
    server = ServerProcess(environment, tmp_path / "server.log")
    attempted: dict[str, tuple[int, str]] = {}

    def send(person: Person, key: str) -> bool:
        body = f"{person.name} says {key}"
        attempted[key] = (person.user_id, body)
        return person.send(key, body)

    try:
        server.start()
        alice.connect(server)
        bob.connect(server)

        # Given a conversation going on normally.
        for number in range(3):
            send(alice, f"a{number}")
        alice.wait_for_acks()
        send(bob, "b0")
        bob.wait_for_acks()

        # When the server dies right after committing a message, before its ack is read.
        send(alice, "a3")
        wait_until_stored(database, conversation_id, "a3")
        server.kill()
        # ... and a frame goes into the dead server.
        send(alice, "a4")
        alice.drop()
        bob.drop()
        server.start()
        alice.reconnect(server)
        bob.reconnect(server)

        # When it dies in the middle of a burst of sends from both.
        for number in range(5, 15):
            send(alice, f"a{number}")
            send(bob, f"b{number}")
        alice.wait_for(lambda: any(key in alice.acks for key in ("a5", "a6")))
        server.kill()
        alice.drop()
        bob.drop()
        # Sent again while the server is down, then after it is back (the page's retries).
        server.start()
        bob.reconnect(server)
        alice.reconnect(server)

        # When an acknowledged message is sent again (an ack the page did not record).
        assert alice.send("a0", attempted["a0"][1])
        alice.wait_for_acks()
        send(bob, "b-last")
        bob.wait_for_acks()
        alice.wait_for(lambda: bob.acks["b-last"] in alice.seen)
        bob.sync()
        alice.sync()
    finally:
        for person in (alice, bob):
            person.drop()
        server.stop()

    # Then every attempted key is stored once, in seqs 1..n without a gap.
    rows = stored_messages(database, conversation_id)
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
    assert sorted(row[2] for row in rows) == sorted(attempted)
    assert {row[2]: (row[1], row[3]) for row in rows} == attempted
    stored_seq = {row[2]: row[0] for row in rows}
    # Every ack named the stored message (the retry of a0 included).
    assert {key: stored_seq[key] for key in alice.acks} == alice.acks
    assert {key: stored_seq[key] for key in bob.acks} == bob.acks
    assert set(alice.acks) | set(bob.acks) == set(attempted)
    # Each person has every message, once, in order, whatever came live or by sync.
    for person in (alice, bob):
        assert sorted(person.seen) == list(range(1, len(rows) + 1))
        assert [person.seen[seq]["client_key"] for seq in sorted(person.seen)] == [
            row[2] for row in rows
        ]
        assert all(count == 1 for count in person.live_counts.values()), person.live_counts
    assert server.tracebacks() == ""

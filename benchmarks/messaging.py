"""Benchmark real-time messaging: N websocket clients in pairs, send-to-receive latency.

Run:  .venv/bin/python benchmarks/messaging.py --clients 500 --rate 200 --seconds 20 --json
      .venv/bin/python benchmarks/messaging.py --clients 500 --rate 200 --seconds 20 --json \
          --services [--workers 2]

What it does, start to end:

1. Starts its own server: uvicorn serving config.asgi (as `manage.py serve --no-worker`
   does) on a free port of 127.0.0.1. Embedded defaults: a fresh SQLite file in a temporary
   folder and the in-memory channel layer. With --services: PostgreSQL (the database of
   --database-url, trellis_bench by default, dropped and created afresh; never one named
   test_*) and the Redis channel layer and cache (--redis-url, under a key prefix of this
   run's own, deleted at the end). The server runs with MESSAGING_RATE_LIMIT raised, so
   the per-person flood limit does not refuse the benchmark's traffic.
2. Prepares the database in a process of its own (benchmarks/messaging_setup.py): the
   migrations, N people in N/2 mentorships with their conversations, a signed-in session
   per person.
3. Opens N websockets on /ws/events/ with the session cookies (the `websockets` package,
   one asyncio process), then sends `--rate` messages per second in total for `--seconds`,
   round-robin over the pairs, each pair's two people in turn: a `message.send` frame with
   a unique client_key and the send time in the body. A short warm-up at the same rate
   comes first and is not counted.
4. Measures, at the partner's socket, the time from the send to the `message.created`
   event (p50, p99). After the last send it waits while messages still arrive (an
   overloaded server works through its backlog); `lost` counts messages acknowledged to
   the sender that the partner had not received once nothing moved for --grace seconds;
   `duplicated` counts second receipts; `messages_per_s` is messages received by partners
   per second, from the first send to the last receipt (below --rate: the server fell
   behind).

Prints one JSON object with --json: {"clients", "rate", "sent", "received", "lost",
"duplicated", "p50_ms", "p99_ms", "messages_per_s", ...}; extra keys say what else was
seen (acks and their latency, errors by code, the backend, CPU seconds of the server and of
the client process). The client process shares the machine's cores with the server, as a
second load generator on the same machine would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPOSITORY = Path(__file__).resolve().parent.parent
VENV_PYTHON = REPOSITORY / ".venv" / "bin" / "python"

try:
    import websockets
    from websockets.asyncio.client import ClientConnection, connect
except ImportError:  # started with a Python outside the project's virtualenv
    if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])  # noqa: S606
    raise

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/trellis_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
EVENTS_PATH = "/ws/events/"
# Sockets opened at once while connecting (each one is a session lookup on the server).
CONNECT_CONCURRENCY = 50
SERVER_START_TIMEOUT = 90.0
# Longest wait for a backlogged server to deliver what it was sent.
SETTLE_LIMIT = 300.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- The server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """uvicorn serving Trellis in a process group of its own (its workers included)."""

    def __init__(
        self, *, environment: dict[str, str], workers: int, log_path: Path, app: str
    ) -> None:
        self.environment = environment
        self.workers = workers
        self.app = app
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            self.app,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command,
                cwd=REPOSITORY,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer in time:\n{self.log_tail()}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        """True once an HTTP request gets a status line (a worker has the app loaded)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as connection:
                connection.sendall(b"GET /accounts/login/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                return connection.recv(12).startswith(b"HTTP/1.")
        except OSError:
            return False

    def cpu_seconds(self) -> float:
        """User plus system CPU time of every process of the server's group so far."""
        if self.process is None:
            return 0.0
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # Fields after the command: state, ppid, pgrp, ..., utime (12th), stime (13th).
            if int(fields[2]) == self.process.pid:
                total += int(fields[11]) + int(fields[12])
        return total / CLOCK_TICKS

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def logged_errors(self) -> int:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return 0
        return text.count("Traceback (most recent call last)")


# --- Services: a database and a Redis key prefix of this run's own ---------------------------


def recreate_database(database_url: str) -> None:
    """Drop and create the database named in database_url (PostgreSQL)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or name.startswith("test"):
        raise SystemExit(f"refusing to recreate database {name!r}: name one of the benchmark's")
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def delete_redis_keys(redis_url: str, prefix: str) -> None:
    import redis

    connection = redis.Redis.from_url(redis_url)
    try:
        batch = []
        for key in connection.scan_iter(f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                connection.delete(*batch)
                batch = []
        if batch:
            connection.delete(*batch)
    finally:
        connection.close()


# --- Clients ----------------------------------------------------------------------------------


@dataclass
class Person:
    user_id: int
    session_key: str
    conversation_id: int
    partner: Person | None = None
    socket: ClientConnection | None = None
    reader: asyncio.Task[None] | None = None
    # Set while this person waits for a conversation.messages page (see catch_up).
    page: asyncio.Future[dict[str, Any]] | None = None


@dataclass
class Sent:
    sender: int
    receiver: int
    is_warmup: bool
    sent_at: float
    acked_at: float | None = None
    error: str | None = None
    received_at: float | None = None


@dataclass
class Tally:
    sent: dict[str, Sent] = field(default_factory=dict)
    receipts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    close_codes: Counter[str] = field(default_factory=Counter)
    echoes: int = 0
    closed_sockets: int = 0
    send_failures: int = 0
    max_send_lag: float = 0.0
    unknown_receipts: int = 0
    sync_failures: int = 0


class Benchmark:
    def __init__(
        self,
        *,
        base_url: str,
        cookie_name: str,
        pairs: list[Any],
        mark_delivered: bool,
    ) -> None:
        self.ws_url = base_url.replace("http://", "ws://", 1) + EVENTS_PATH
        self.origin = base_url
        self.cookie_name = cookie_name
        self.mark_delivered = mark_delivered
        self.tally = Tally()
        self.pairs: list[tuple[Person, Person]] = []
        for conversation_id, (first_id, first_key), (second_id, second_key) in pairs:
            first = Person(first_id, first_key, conversation_id)
            second = Person(second_id, second_key, conversation_id)
            first.partner, second.partner = second, first
            self.pairs.append((first, second))
        self.people = [person for pair in self.pairs for person in pair]
        self.run_id = secrets.token_hex(3)
        # Set while the benchmark closes its own sockets: those closures are not failures.
        self.closing = False

    # Connecting and reading ------------------------------------------------------------------

    async def connect_all(self) -> None:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def open_one(person: Person) -> None:
            async with gate:
                person.socket = await connect(
                    self.ws_url,
                    additional_headers={
                        "Cookie": f"{self.cookie_name}={person.session_key}",
                        "Origin": self.origin,
                    },
                    proxy=None,
                    open_timeout=60,
                    ping_interval=None,
                    close_timeout=5,
                    max_queue=None,
                )
                person.reader = asyncio.create_task(self.read(person))

        await asyncio.gather(*(open_one(person) for person in self.people))

    async def read(self, person: Person) -> None:
        assert person.socket is not None
        tally = self.tally
        try:
            async for raw in person.socket:
                now = time.perf_counter()
                event = json.loads(raw)
                kind = event.get("type")
                if kind == "message.created":
                    message = event["message"]
                    if message["sender"]["id"] == person.user_id:
                        tally.echoes += 1
                        continue
                    key = message["client_key"]
                    record = tally.sent.get(key)
                    if record is None or record.receiver != person.user_id:
                        tally.unknown_receipts += 1
                        continue
                    tally.receipts[key] += 1
                    if record.received_at is None:
                        # The send time travels in the body, as the brief of the benchmark says.
                        record.received_at = now
                        record.sent_at = float(message["body"].rsplit(" ", 1)[1])
                    if self.mark_delivered:
                        await person.socket.send(
                            json.dumps(
                                {
                                    "type": "conversation.delivered",
                                    "conversation": person.conversation_id,
                                    "seq": message["seq"],
                                }
                            )
                        )
                elif kind == "conversation.messages":
                    if person.page is not None and not person.page.done():
                        person.page.set_result(event)
                elif kind == "message.ack":
                    record = tally.sent.get(event.get("client_key", ""))
                    if record is not None and record.acked_at is None:
                        record.acked_at = now
                elif kind == "error":
                    code = str(event.get("code"))
                    record = tally.sent.get(event.get("client_key") or "")
                    if record is not None:
                        record.error = code
                    if record is None or not record.is_warmup:
                        tally.errors[code] += 1
        except websockets.ConnectionClosed as closed:
            if not self.closing:
                tally.close_codes[str(closed.rcvd.code if closed.rcvd else "no close frame")] += 1
        finally:
            if not self.closing:
                tally.closed_sockets += 1

    async def catch_up(self) -> set[str]:
        """Keys of the lost messages that a sync finds stored after all (as a page would).

        Only the people who missed something ask, for everything after seq 0.
        """
        missed = {
            record.receiver
            for record in self.tally.sent.values()
            if record.acked_at is not None and record.received_at is None
        }
        found: set[str] = set()
        gate = asyncio.Semaphore(20)

        async def sync(person: Person) -> None:
            assert person.socket is not None
            after = 0
            async with gate:
                while True:
                    person.page = asyncio.get_running_loop().create_future()
                    await person.socket.send(
                        json.dumps(
                            {
                                "type": "conversation.sync",
                                "conversation": person.conversation_id,
                                "after": after,
                                "limit": 200,
                            }
                        )
                    )
                    page = await asyncio.wait_for(person.page, timeout=60)
                    found.update(message["client_key"] for message in page["messages"])
                    if not page["messages"] or not page.get("has_more"):
                        return
                    after = page["messages"][-1]["seq"]

        people = [person for person in self.people if person.user_id in missed]
        results = await asyncio.gather(*(sync(p) for p in people), return_exceptions=True)
        # A socket the server closed cannot ask: what it missed stays unverified.
        self.tally.sync_failures = sum(isinstance(r, BaseException) for r in results)
        return found

    async def close_all(self) -> None:
        self.closing = True
        sockets = [person.socket for person in self.people if person.socket is not None]
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
        readers = [person.reader for person in self.people if person.reader is not None]
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)

    # Sending --------------------------------------------------------------------------------

    async def drive(self, *, rate: float, seconds: float, is_warmup: bool) -> tuple[float, float]:
        """Send rate messages a second for seconds (open loop); return start and end times."""
        total = max(1, round(rate * seconds))
        interval = 1.0 / rate
        pairs = self.pairs
        label = "w" if is_warmup else "m"
        tally = self.tally
        started = time.perf_counter()
        for index in range(total):
            due = started + index * interval
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif not is_warmup:
                tally.max_send_lag = max(tally.max_send_lag, -delay)
            pair = pairs[index % len(pairs)]
            sender = pair[(index // len(pairs)) % 2]
            assert sender.partner is not None
            assert sender.socket is not None
            key = f"{self.run_id}-{label}{index}"
            sent_at = time.perf_counter()
            tally.sent[key] = Sent(
                sender=sender.user_id,
                receiver=sender.partner.user_id,
                is_warmup=is_warmup,
                sent_at=sent_at,
            )
            frame = {
                "type": "message.send",
                "conversation": sender.conversation_id,
                "client_key": key,
                "body": f"bench {label}{index} {sent_at!r}",
            }
            try:
                await sender.socket.send(json.dumps(frame))
            except websockets.ConnectionClosed:
                if not is_warmup:
                    tally.send_failures += 1
                tally.sent[key].error = "closed"
        return started, time.perf_counter()

    async def settle(self, *, is_warmup: bool, grace: float) -> None:
        """Wait until every sent message is acked and received, or nothing moves for grace.

        An overloaded server still works through its backlog after the last send: waiting
        while it makes progress (up to SETTLE_LIMIT) tells a slow message from a lost one.
        """
        started = last_progress = time.perf_counter()
        last_outstanding = -1
        while True:
            outstanding = sum(
                1
                for record in self.tally.sent.values()
                if record.is_warmup == is_warmup
                and record.error is None
                and (record.acked_at is None or record.received_at is None)
            )
            now = time.perf_counter()
            if outstanding == 0:
                return
            if outstanding != last_outstanding:
                last_outstanding, last_progress = outstanding, now
            if now - last_progress > grace or now - started > SETTLE_LIMIT:
                return
            await asyncio.sleep(0.05)


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of values (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def milliseconds(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


async def measure(
    *,
    base_url: str,
    setup: dict[str, Any],
    rate: float,
    seconds: float,
    warmup: float,
    grace: float,
    mark_delivered: bool,
    server: Server,
) -> dict[str, Any]:
    benchmark = Benchmark(
        base_url=base_url,
        cookie_name=setup["cookie"],
        pairs=setup["pairs"],
        mark_delivered=mark_delivered,
    )
    connect_started = time.perf_counter()
    try:
        await benchmark.connect_all()
        connect_seconds = time.perf_counter() - connect_started
        if warmup > 0:
            await benchmark.drive(rate=rate, seconds=warmup, is_warmup=True)
            await benchmark.settle(is_warmup=True, grace=grace)
        server_cpu_before = server.cpu_seconds()
        client_cpu_before = time.process_time()
        started, finished_sending = await benchmark.drive(
            rate=rate, seconds=seconds, is_warmup=False
        )
        server_cpu = server.cpu_seconds() - server_cpu_before
        client_cpu = time.process_time() - client_cpu_before
        await benchmark.settle(is_warmup=False, grace=grace)
        stored_after_all = await benchmark.catch_up()
    finally:
        await benchmark.close_all()

    tally = benchmark.tally
    records = [record for record in tally.sent.values() if not record.is_warmup]
    received = [record for record in records if record.received_at is not None]
    acked = [record for record in records if record.acked_at is not None]
    latencies = [record.received_at - record.sent_at for record in received]  # type: ignore[operator]
    ack_latencies = [record.acked_at - record.sent_at for record in acked]  # type: ignore[operator]
    measured_keys = {key for key, record in tally.sent.items() if not record.is_warmup}
    last_receipt = max((record.received_at for record in received), default=finished_sending)
    span = max(last_receipt, finished_sending) - started  # type: ignore[type-var]
    return {
        "sent": len(records),
        "received": len(received),
        "lost": sum(1 for record in acked if record.received_at is None),
        "duplicated": sum(
            count - 1 for key, count in tally.receipts.items() if key in measured_keys and count > 1
        ),
        "p50_ms": milliseconds(percentile(latencies, 0.50)),
        "p99_ms": milliseconds(percentile(latencies, 0.99)),
        "messages_per_s": round(len(received) / span, 1) if span > 0 else None,
        # Lost live but there when the partner's page syncs (acked means stored): a
        # message truly lost would be missing from the sync too.
        "lost_then_found_by_sync": sum(
            1
            for key, record in tally.sent.items()
            if not record.is_warmup
            and record.acked_at is not None
            and record.received_at is None
            and key in stored_after_all
        ),
        "sync_failures": tally.sync_failures,
        "p90_ms": milliseconds(percentile(latencies, 0.90)),
        "max_ms": milliseconds(max(latencies, default=None)),
        "acked": len(acked),
        "unacked": sum(1 for r in records if r.acked_at is None and r.error is None),
        "ack_p50_ms": milliseconds(percentile(ack_latencies, 0.50)),
        "ack_p99_ms": milliseconds(percentile(ack_latencies, 0.99)),
        "errors": dict(tally.errors),
        "send_failures": tally.send_failures,
        "sockets_closed_early": tally.closed_sockets,
        "close_codes": dict(tally.close_codes),
        "unknown_receipts": tally.unknown_receipts,
        "send_lag_max_ms": milliseconds(tally.max_send_lag),
        "connect_s": round(connect_seconds, 2),
        "server_cpu_s": round(server_cpu, 2),
        "client_cpu_s": round(client_cpu, 2),
    }


# --- The run ---------------------------------------------------------------------------------


def server_environment(
    arguments: argparse.Namespace, folder: Path, redis_prefix: str
) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX", "CONN_MAX_AGE"}
    }
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_COOKIES": "false",
            "EMAIL_URL": "consolemail://",
            "LOG_LEVEL": "WARNING",
            "MEDIA_ROOT": str(folder / "media"),
            "PRIVATE_MEDIA_ROOT": str(folder / "private"),
            # The benchmark is one flood on purpose: lift the per-person limit.
            "MESSAGING_RATE_LIMIT": "1000000",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if arguments.services:
        environment["DATABASE_URL"] = arguments.database_url
        environment["REDIS_URL"] = arguments.redis_url
        environment["REDIS_KEY_PREFIX"] = redis_prefix
    else:
        environment["DATABASE_URL"] = f"sqlite:///{folder / 'benchmark.sqlite3'}"
    if arguments.conn_max_age is not None:
        environment["CONN_MAX_AGE"] = str(arguments.conn_max_age)
    if arguments.variants:
        environment["MESSAGING_BENCH_VARIANTS"] = arguments.variants
    return environment


def prepare(environment: dict[str, str], clients: int) -> dict[str, Any]:
    completed = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(REPOSITORY / "benchmarks" / "messaging_setup.py"),
            "--clients",
            str(clients),
        ],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"setting up the database failed:\n{completed.stderr[-4000:]}")
    return dict(json.loads(completed.stdout))


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="trellis-messaging-benchmark-"))
    redis_prefix = f"trellis-bench-{os.getpid()}-{secrets.token_hex(3)}"
    environment = server_environment(arguments, folder, redis_prefix)
    server = Server(
        environment=environment,
        workers=arguments.workers,
        log_path=folder / "server.log",
        app=(
            "benchmarks.messaging_variants:application"
            if arguments.variants
            else "config.asgi:application"
        ),
    )
    try:
        if arguments.services:
            recreate_database(arguments.database_url)
        setup = prepare(environment, arguments.clients)
        server.start()
        if not arguments.json:
            print(f"server pid {server.process.pid if server.process else '?'}", file=sys.stderr)
        runner = asyncio.run
        with contextlib.suppress(ImportError):
            import uvloop

            runner = uvloop.run
        figures = runner(
            measure(
                base_url=server.base_url,
                setup=setup,
                rate=arguments.rate,
                seconds=arguments.seconds,
                warmup=arguments.warmup,
                grace=arguments.grace,
                mark_delivered=arguments.mark_delivered,
                server=server,
            )
        )
        if server.process is not None and server.process.poll() is not None:
            figures["server_exited"] = server.process.returncode
        figures["server_tracebacks"] = server.logged_errors()
        if figures["server_tracebacks"] and not arguments.json:
            print(server.log_tail(), file=sys.stderr)
        return {
            "clients": arguments.clients,
            "rate": arguments.rate,
            **figures,
            "seconds": arguments.seconds,
            "backend": "postgresql+redis" if arguments.services else "sqlite+in-memory",
            "workers": arguments.workers,
            "mark_delivered": arguments.mark_delivered,
            "conn_max_age": arguments.conn_max_age,
            "variants": arguments.variants,
            "setup_s": setup.get("setup_s"),
        }
    finally:
        server.stop()
        if arguments.services:
            with contextlib.suppress(Exception):
                delete_redis_keys(arguments.redis_url, redis_prefix)
            if not arguments.keep:
                with contextlib.suppress(Exception):
                    drop_database(arguments.database_url)
        if arguments.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Messaging latency over websockets: N clients in pairs.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--clients", type=int, default=100, help="sockets, two per pair (even)")
    parser.add_argument("--rate", type=float, default=50, help="messages per second in all")
    parser.add_argument("--seconds", type=float, default=10, help="how long to send")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--services", action="store_true", help="PostgreSQL + Redis instead of SQLite + memory"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=600,
        help="the server's CONN_MAX_AGE (default 600, as `make run` serves)",
    )
    parser.add_argument(
        "--mark-delivered",
        action="store_true",
        help="answer every message with conversation.delivered, as the page does",
    )
    parser.add_argument(
        "--variants",
        default="",
        help="comma-separated changes to try out (see benchmarks/messaging_variants.py)",
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="uncounted seconds first")
    parser.add_argument(
        "--grace",
        type=float,
        default=10.0,
        help="a message not delivered after this long without any progress counts as lost",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder and database")
    arguments = parser.parse_args()
    if arguments.clients < 2 or arguments.clients % 2:
        parser.error("--clients must be an even number of at least 2")
    if arguments.rate <= 0 or arguments.seconds <= 0:
        parser.error("--rate and --seconds must be positive")
    if arguments.workers > 1 and not arguments.services:
        parser.error("several server processes need the Redis channel layer: add --services")
    # Two file descriptors per pair of sockets on each side, and more for the server.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, arguments.clients * 4 + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))

    result = run(arguments)
    if arguments.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()

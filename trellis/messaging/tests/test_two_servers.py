"""Two server processes on one PostgreSQL database and the Redis channel layer.

A message sent through a socket on server 1 reaches a socket on server 2 (and the other
way round), and server 2's HTTP API lists it. Each server is a real uvicorn process; the
database is one of this test's own (`<test database>_two_servers`, created, migrated and
dropped here, never the suite's) and the Redis keys are under a prefix of its own.

Runs where the suite runs on PostgreSQL with REDIS_URL set (CI's second run); skipped on
the embedded defaults, which have neither.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from trellis.messaging.tests.test_restart import (
    Person,
    ServerProcess,
    run_setup,
    server_environment,
)

IS_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not (IS_POSTGRESQL and settings.REDIS_URL),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL), as in CI's second run",
    ),
]


def _maintenance_connection() -> Any:
    import psycopg

    database = settings.DATABASES["default"]
    return psycopg.connect(
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


def _drop(name: str) -> None:
    from psycopg import sql

    with _maintenance_connection() as maintenance:
        maintenance.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def own_database(django_db_setup: None) -> Iterator[str]:
    """The URL of an empty database named after the suite's test database; dropped after."""
    from psycopg import sql

    # After django_db_setup the connection's NAME is the test database's (test_...).
    name = f"{connection.settings_dict['NAME']}_two_servers"
    _drop(name)  # left over from an interrupted run
    with _maintenance_connection() as maintenance:
        maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    database = settings.DATABASES["default"]
    credentials = quote(database.get("USER") or "", safe="")
    if database.get("PASSWORD"):
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = database.get("HOST") or "localhost"
    port = database.get("PORT") or 5432
    try:
        yield f"postgres://{credentials}@{host}:{port}/{name}"
    finally:
        _drop(name)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own; its keys are deleted after."""
    import redis

    prefix = f"{settings.REDIS_KEY_PREFIX}-two-servers"
    yield prefix
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def api_get(server: ServerProcess, person: Person, path: str) -> Any:
    request = urllib.request.Request(  # noqa: S310 (a URL of the test's own server)
        server.base_url + path,
        headers={"Cookie": f"{person.cookie_name}={person.session_key}"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
        assert response.status == 200
        return json.load(response)


def test_a_message_sent_through_one_server_reaches_a_socket_on_the_other(
    tmp_path, own_database, redis_prefix
):
    environment = server_environment(
        tmp_path,
        DATABASE_URL=own_database,
        REDIS_URL=settings.REDIS_URL,
        REDIS_KEY_PREFIX=redis_prefix,
    )
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
    first = ServerProcess(environment, tmp_path / "first.log")
    second = ServerProcess(environment, tmp_path / "second.log")
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(first.stop)
        cleanup.callback(second.stop)
        first.start()
        second.start()
        cleanup.callback(alice.drop)
        cleanup.callback(bob.drop)
        alice.connect(first)
        bob.connect(second)

        # When alice sends through server 1.
        alice.send("hello-1", "Hello from server 1")
        alice.wait_for_acks()
        seq = alice.acks["hello-1"]

        # Then bob's socket on server 2 gets it live.
        bob.wait_for(lambda: seq in bob.seen)
        assert bob.seen[seq]["body"] == "Hello from server 1"
        assert bob.seen[seq]["sender"]["id"] == alice.user_id
        assert bob.live_counts == {seq: 1}

        # And server 2's API lists it.
        page = api_get(second, bob, f"/api/v1/conversations/{conversation_id}/messages?after=0")
        assert [(m["seq"], m["client_key"], m["body"]) for m in page["messages"]] == [
            (seq, "hello-1", "Hello from server 1")
        ]

        # And the other way round: bob on server 2 to alice on server 1.
        bob.send("hello-2", "Hello back from server 2")
        bob.wait_for_acks()
        reply_seq = bob.acks["hello-2"]
        alice.wait_for(lambda: reply_seq in alice.seen)
        assert alice.seen[reply_seq]["body"] == "Hello back from server 2"
        assert reply_seq == seq + 1
        page = api_get(first, alice, f"/api/v1/conversations/{conversation_id}/messages?after=0")
        assert [m["client_key"] for m in page["messages"]] == ["hello-1", "hello-2"]

    assert first.tracebacks() == ""
    assert second.tracebacks() == ""

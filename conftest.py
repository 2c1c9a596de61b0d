"""Fixtures shared by every app's tests: a real ASGI server and a real browser."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trellis.core.tests.browser import collect_console_errors

# Playwright's sync API keeps an event loop alive in the test thread; Django would then
# refuse the test's own (synchronous) database calls. Only the test process is affected.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_SOURCE = Path(__file__).parent / "trellis" / "core" / "tests" / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Rate-limit counters live in the cache; start every test from zero."""
    from django.conf import settings
    from django.core.cache import cache

    if settings.REDIS_URL:
        # Only this run's cache keys: FLUSHDB would also wipe the channel layer's groups.
        import redis

        connection = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(connection.scan_iter(f"{settings.REDIS_KEY_PREFIX}:1:*"))
        if keys:
            connection.delete(*keys)
    else:
        cache.clear()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _ServerThread(threading.Thread):
    def __init__(self, port: int) -> None:
        super().__init__(daemon=True, name="asgi-test-server")
        import uvicorn

        from config.asgi import application

        config = uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
        self.server = uvicorn.Server(config)

    def run(self) -> None:
        self.server.run()

    def stop(self) -> None:
        self.server.should_exit = True
        self.join(timeout=10)


@pytest.fixture
def live_server_url(transactional_db: None) -> Iterator[str]:
    """A uvicorn server in a thread serving the real ASGI app (HTTP and websockets)."""
    port = _free_port()
    server = _ServerThread(port)
    server.start()
    deadline = time.monotonic() + 15
    while not server.server.started:
        if time.monotonic() > deadline or not server.is_alive():
            raise RuntimeError("The test ASGI server did not start.")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        from django.db import connections

        connections.close_all()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs it.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server_url: str) -> Iterator[Any]:
    """A fresh browser page; the test fails if the page logged any console error."""
    context = browser.new_context(base_url=live_server_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    browser_page = context.new_page()
    errors = collect_console_errors(browser_page)
    yield browser_page
    context.close()
    assert errors == [], f"console errors: {errors}"


@pytest.fixture
def open_page(browser: Any, live_server_url: str) -> Iterator[Any]:
    """Open pages each in a browser context of its own (one per person, or per visit).

    ``time_zone`` sets the device clock's zone, ``media`` grants camera and microphone,
    ``init_script`` runs before each page's own scripts. The test fails if any page
    logged a console error; contexts the test closed itself ("went offline") are fine.
    """
    opened: list[tuple[Any, list[str]]] = []

    def open_page(
        time_zone: str | None = None,
        *,
        width: int = 1280,
        height: int = 900,
        media: bool = False,
        init_script: str = "",
        timeout_ms: int = 10_000,
    ) -> Any:
        options: dict[str, Any] = {
            "base_url": live_server_url,
            "viewport": {"width": width, "height": height},
            "permissions": ["microphone", "camera"] if media else [],
        }
        if time_zone:
            options["timezone_id"] = time_zone
        context = browser.new_context(**options)
        context.set_default_timeout(timeout_ms)
        if init_script:
            context.add_init_script(init_script)
        browser_page = context.new_page()
        opened.append((context, collect_console_errors(browser_page)))
        return browser_page

    yield open_page
    for context, _errors in opened:
        with contextlib.suppress(Exception):
            context.close()
    assert [errors for _context, errors in opened] == [[] for _ in opened], "console errors"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page; return its serious and critical violations."""
    page.add_script_tag(content=AXE_SOURCE.read_text())
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))})); }"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


@pytest.fixture
def assert_accessible() -> Any:
    def check(page: Any) -> None:
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=2)

    return check


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Run browser tests last: Playwright's loop stays alive for the rest of the session."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)

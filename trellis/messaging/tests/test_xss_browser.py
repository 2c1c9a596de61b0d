"""No XSS payload runs in the browser: as message text, file name, event card or name.

Every payload of xss_payloads.txt goes into one conversation in each way a person can put
text there: as a message's text, as an attachment's file name, as an event card's title,
place and link (a link that is not https is refused, which the test checks), and two as
the people's display names. Half of it is stored before the page opens (the server's
template renders it); the other half arrives while the page is open, over the socket and
the upload API (the page's script renders it). Then, in both people's pages:

- window.__xss (what every payload calls), alert, confirm, prompt and print are traps,
  set before any script of the page runs, and Playwright records any dialog;
- every element of the messages gets mouse, focus and click events (links to http,
  https and mailto are kept from navigating; any other link would be followed, and so
  caught), so handlers that wait for a person run too;
- the DOM of the messages holds only the elements the page itself makes, no on*
  attribute, and links the browser reads as http, https or mailto only (or same-page);
- the search results and the inbox show the payloads as text too;
- no console error (none is expected: no payload makes the page load anything).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from channels.layers import channel_layers
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from trellis.core.tests.browser import collect_console_errors, sign_in
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.messaging import services
from trellis.messaging.files import attachment_upload
from trellis.messaging.models import Message
from trellis.messaging.tests.test_xss import PAYLOADS
from trellis.programs.tests.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MENTOR_EMAIL = "xss-mentor@example.org"
MENTEE_EMAIL = "xss-mentee@example.org"
MENTOR_NAME = "<img src=x onerror=window.__xss()>"
MENTEE_NAME = '"><svg onload=window.__xss()>'
# A message may carry 10 files.
FILES_PER_MESSAGE = 10

# Set before any script of the page runs: every way a payload could show it ran.
TRAPS = """
(() => {
  window.__xssHits = [];
  const hit = (what) => function () { window.__xssHits.push(what + " " + location.pathname); };
  window.__xss = hit("__xss");
  for (const name of ["alert", "confirm", "prompt", "print"]) window[name] = hit(name);
})();
"""

# What the page itself puts inside the message list (messaging.js, _message.html) and the
# Markdown allow-list: anything else came from a payload.
PAGE_ELEMENTS = [
    "li", "p", "span", "time", "div", "a", "img", "audio", "video", "button", "form",
    "label", "input", "textarea", "strong", "em", "ul", "ol", "code", "pre", "br",
]  # fmt: skip

POKE_AND_INSPECT = """
({ allowedElements }) => {
  const allowed = new Set(allowedElements.map((name) => name.toUpperCase()));
  const problems = [];
  // Links that stay in the page or open the web are not followed; any other link is.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    if (link && ["http:", "https:", "mailto:"].includes(link.protocol)) event.preventDefault();
  }, true);
  const root = document.querySelector("[data-messages]");
  for (const node of root.querySelectorAll("*")) {
    if (!allowed.has(node.tagName)) problems.push("element " + node.tagName);
    for (const attribute of node.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on") || ["srcdoc", "style", "formaction", "xlink:href"].includes(name))
        problems.push("attribute " + name + " on " + node.tagName);
    }
    if (node.tagName === "A" && node.hasAttribute("href")
        && !["http:", "https:", "mailto:"].includes(node.protocol))
      problems.push("link to " + node.getAttribute("href"));
    if (["IMG", "AUDIO", "VIDEO"].includes(node.tagName)
        && !new URL(node.src, location.href).pathname.startsWith("/messages/files/"))
      problems.push("media from " + node.getAttribute("src"));
    if (node.closest("form, button, [data-receipt]")) continue;  // the page's own controls
    for (const type of ["mouseover", "mouseenter", "mousemove", "focusin"])
      node.dispatchEvent(new MouseEvent(type, { bubbles: true }));
    if (typeof node.focus === "function") node.focus();
    node.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
  }
  return problems;
}
"""

SEND_OVER_SOCKET = """
async ({ frames }) => {
  const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://")
                               + location.host + "/ws/events/");
  await new Promise((opened, failed) => { socket.onopen = opened; socket.onerror = failed; });
  const waiting = new Map();
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if ((data.type === "message.ack" || data.type === "error") && waiting.has(data.client_key)) {
      waiting.get(data.client_key)(data);
      waiting.delete(data.client_key);
    }
  };
  const replies = [];
  for (const frame of frames) {
    const reply = new Promise((answered) => waiting.set(frame.client_key, answered));
    socket.send(JSON.stringify(frame));
    const data = await reply;
    replies.push({ key: frame.client_key, type: data.type, code: data.code || null });
  }
  socket.close();
  return replies;
}
"""


def in_another_thread(work: Callable[[], Any]) -> Any:
    """Run work (services that announce events) outside Playwright's event loop."""
    results: list[Any] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            results.append(work())
        except BaseException as error:  # handed to the test thread below
            failures.append(error)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the work did not finish in time"
    if failures:
        raise failures[0]
    return results[0]


def card_for(payload: str) -> dict[str, Any]:
    starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    return {
        "title": payload[:200],
        "place": payload[:200],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=1)).isoformat(),
        "url": payload,
    }


def https_link_to(payload: str) -> str:
    """A valid https link that carries the payload in its query."""
    return "https://example.org/search?q=" + quote(payload, safe="")


def file_name(payload: str) -> str:
    return f"{payload[:200]}.txt"


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    # The server thread builds its layer on its own event loop.
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def trapped_page(browser: Any, live_server_url: str) -> Iterator[Callable[[], Any]]:
    """Pages with the traps set, each in a context of its own; no console error allowed."""
    opened: list[tuple[Any, Any, list[str], list[str]]] = []

    def open_page() -> Any:
        context = browser.new_context(
            base_url=live_server_url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        context.add_init_script(TRAPS)
        page = context.new_page()
        dialogs: list[str] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        opened.append((context, page, collect_console_errors(page), dialogs))
        return page

    yield open_page
    for context, _page, _errors, _dialogs in opened:
        context.close()
    assert [dialogs for *_rest, dialogs in opened] == [[] for _ in opened], "dialogs opened"
    assert [errors for _c, _p, errors, _d in opened] == [[] for _ in opened], "console errors"


@pytest.fixture
def conversation_setup(settings: Any) -> dict[str, Any]:
    # Hundreds of messages in a minute: lift the per-person flood limit for this test.
    settings.MESSAGING_RATE_LIMIT = 100_000
    program = ProgramFactory(name="Safety", slug="safety")
    mentor = mentor_in(program, display_name=MENTOR_NAME, user__email=MENTOR_EMAIL)
    mentee = mentee_in(program, display_name=MENTEE_NAME, user__email=MENTEE_EMAIL)
    mentorship = MentorshipFactory(program=program, mentor=mentor, mentee=mentee)
    conversation = in_another_thread(
        lambda: services.conversation_for_mentorship(mentorship=mentorship)
    )
    return {"mentor": mentor, "mentee": mentee, "conversation": conversation}


def store_before_the_page_opens(
    setup: dict[str, Any], payloads: list[str]
) -> tuple[int, list[set[str]]]:
    """Send every payload as text, file names and a card through the services.

    Return the number of messages stored and the fields of each refused card.
    """
    conversation, mentor = setup["conversation"], setup["mentor"]
    refusals: list[set[str]] = []

    def work() -> int:
        for number, payload in enumerate(payloads):
            services.message_send(
                conversation=conversation, sender=mentor, client_key=f"text-{number}", body=payload
            )
        for number, group in enumerate(chunks(payloads, FILES_PER_MESSAGE)):
            ids = [
                attachment_upload(
                    conversation=conversation,
                    user=mentor,
                    upload=SimpleUploadedFile(file_name(p), b"plain text\n", "text/plain"),
                    duration_seconds=None,
                ).pk
                for p in group
            ]
            services.message_send(
                conversation=conversation,
                sender=mentor,
                client_key=f"files-{number}",
                body="",
                attachment_ids=ids,
            )
        for number, payload in enumerate(payloads):
            card = card_for(payload)
            try:
                services.message_send(
                    conversation=conversation,
                    sender=mentor,
                    client_key=f"card-{number}",
                    card=card,
                )
            except ValidationError as refusal:
                refusals.append(set(refusal.message_dict))
                services.message_send(
                    conversation=conversation,
                    sender=mentor,
                    client_key=f"card-{number}",
                    card={**card, "url": https_link_to(payload)},
                )
        return Message.objects.filter(conversation=conversation).count()

    return int(in_another_thread(work)), refusals


def send_while_the_page_is_open(page: Any, conversation_id: int, payloads: list[str]) -> int:
    """From the sender's page: upload through the API, send over a socket of its own."""
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    frames: list[dict[str, Any]] = [
        {"type": "message.send", "conversation": conversation_id, "client_key": f"live-text-{n}",
         "body": payload}
        for n, payload in enumerate(payloads)
    ]  # fmt: skip
    for number, group in enumerate(chunks(payloads, FILES_PER_MESSAGE)):
        ids = []
        for payload in group:
            response = page.request.post(
                f"/api/v1/conversations/{conversation_id}/attachments",
                headers={"X-CSRFToken": csrf},
                multipart={
                    "file": {
                        "name": file_name(payload),
                        "mimeType": "text/plain",
                        "buffer": b"plain text\n",
                    }
                },
            )
            assert response.status == 201, response.text()
            ids.append(response.json()["id"])
        frames.append(
            {
                "type": "message.send",
                "conversation": conversation_id,
                "client_key": f"live-files-{number}",
                "attachment_ids": ids,
            }
        )
    for number, payload in enumerate(payloads):
        frames.append(
            {
                "type": "message.send",
                "conversation": conversation_id,
                "client_key": f"live-card-{number}",
                "card": card_for(payload),
            }
        )
    replies = page.evaluate(SEND_OVER_SOCKET, {"frames": frames})
    refused = [reply for reply in replies if reply["type"] == "error"]
    # Only cards whose link is not https may be refused, and as invalid.
    assert all(r["key"].startswith("live-card-") and r["code"] == "invalid" for r in refused)
    # None of the payloads is an https link: each card is refused once, then sent with one.
    assert len(refused) == len(payloads)
    retries = [
        {**frame, "card": {**frame["card"], "url": https_link_to(frame["card"]["title"])}}
        for frame in frames
        if frame["client_key"] in {r["key"] for r in refused}
    ]
    replies = page.evaluate(SEND_OVER_SOCKET, {"frames": retries})
    assert all(reply["type"] == "message.ack" for reply in replies), replies
    return len(frames)


def show_everything(page: Any, total: int) -> None:
    """Load earlier pages until every message of the conversation is in the list."""
    messages = page.locator("[data-messages] li[data-seq]")
    earlier = page.locator("[data-load-earlier]")
    for _ in range(total // 10 + 5):
        if messages.count() >= total or not earlier.is_visible():
            break
        earlier.click()
        page.wait_for_timeout(200)
    expect(messages).to_have_count(total)


def assert_nothing_ran(page: Any) -> None:
    problems = page.evaluate(POKE_AND_INSPECT, {"allowedElements": PAGE_ELEMENTS})
    # Give an error or load handler of anything that slipped through the time to fire.
    page.wait_for_timeout(500)
    assert problems == []
    assert page.evaluate("window.__xssHits") == []
    assert page.evaluate("typeof window.__xss") == "function"


def test_no_payload_runs_as_text_file_name_card_or_name(conversation_setup, trapped_page):
    setup = conversation_setup
    conversation_id = setup["conversation"].pk
    url = f"/messages/{conversation_id}/"
    half = len(PAYLOADS) // 2
    stored, refusals = store_before_the_page_opens(setup, PAYLOADS[:half])
    # None of the payloads is an https link: every card's link was refused, nothing else.
    assert refusals == [{"card.url"}] * half

    mentee = trapped_page()
    sign_in(mentee, MENTEE_EMAIL)
    mentee.goto(url)
    expect(mentee.locator("body[data-messaging-mode='socket']")).to_have_count(1)
    show_everything(mentee, stored)
    mentor = trapped_page()
    sign_in(mentor, MENTOR_EMAIL)
    mentor.goto(url)
    expect(mentor.locator("body[data-messaging-mode='socket']")).to_have_count(1)

    sent_live = send_while_the_page_is_open(mentor, conversation_id, PAYLOADS[half:])

    total = stored + sent_live
    expect(mentee.locator("[data-messages] li[data-seq]")).to_have_count(total, timeout=60_000)
    show_everything(mentor, total)
    # The payloads are there, as text (a file name keeps what follows its last slash).
    sample = next(payload for payload in PAYLOADS[half:] if "/" not in payload)
    expect(mentee.get_by_text(PAYLOADS[0], exact=True).first).to_be_visible()
    expect(mentee.get_by_text(sample, exact=True).first).to_be_attached()
    expect(mentee.get_by_text(f"Place: {sample}").first).to_be_attached()
    expect(mentee.get_by_text(file_name(sample)).first).to_be_attached()
    expect(mentee.get_by_text(MENTOR_NAME).first).to_be_attached()
    assert_nothing_ran(mentee)
    assert_nothing_ran(mentor)

    # A reload renders the live half from the template too; a search lists every text.
    mentee.reload()
    show_everything(mentee, total)
    assert_nothing_ran(mentee)
    mentee.goto(f"{url}?q={quote('__xss')}")
    expect(mentee.locator("[data-search-list] li").first).to_be_visible()
    assert mentee.evaluate("window.__xssHits") == []
    mentee.goto("/messages/")
    expect(mentee.get_by_text(MENTOR_NAME).first).to_be_visible()
    assert mentee.evaluate("window.__xssHits") == []

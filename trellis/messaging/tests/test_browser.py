"""Two people write to each other in two browsers, as they would in any chat app.

Each person has a browser context of their own (their own cookies, storage and socket)
against the real ASGI server. Messages travel over the live socket, or over HTTP with
polling when the page cannot open one. Every page must finish without a console error.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from channels.layers import channel_layers
from django.db import connection
from django.test import override_settings
from PIL import Image
from playwright.sync_api import expect

from trellis.core.tests.browser import sign_in
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.messaging import services
from trellis.messaging.models import Message
from trellis.programs.tests.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MENTOR_EMAIL = "maria@example.org"
MENTEE_EMAIL = "ada@example.org"

# Stands in for a proxy that refuses websockets: every socket fails at once, as a
# refused upgrade would, but without a network error in the console.
BLOCK_WEBSOCKETS = """
(() => {
  class BlockedWebSocket extends EventTarget {
    constructor(url) {
      super();
      this.url = url;
      this.readyState = 0;
      setTimeout(() => {
        this.readyState = 3;
        this.dispatchEvent(new Event("error"));
        this.dispatchEvent(new CloseEvent("close", { code: 1006 }));
      }, 20);
    }
    send() { throw new Error("This socket never opened."); }
    close() {}
  }
  window.WebSocket = BlockedWebSocket;
})();
"""

# A socket that never opens nor fails: a connection stuck behind a slow proxy.
HANG_WEBSOCKETS = """
(() => {
  class HangingWebSocket extends EventTarget {
    constructor(url) { super(); this.url = url; this.readyState = 0; }
    send() { throw new Error("This socket never opened."); }
    close() {}
  }
  window.WebSocket = HangingWebSocket;
})();
"""


def in_another_thread(work: Callable[[], Any]) -> None:
    """Run work (services that announce events) outside Playwright's event loop."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # handed to the test thread below
            failures.append(error)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=60)
    assert failures == []


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    # The server thread builds its layer on its own event loop.
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def pair() -> dict[str, Any]:
    program = ProgramFactory(name="Women in Engineering", slug="wie")
    mentor = mentor_in(program, display_name="Maria Mentor", user__email=MENTOR_EMAIL)
    mentee = mentee_in(program, display_name="Ada Mentee", user__email=MENTEE_EMAIL)
    mentorship = MentorshipFactory(program=program, mentor=mentor, mentee=mentee)
    conversation = services.conversation_for_mentorship(mentorship=mentorship)
    return {
        "program": program,
        "mentor": mentor,
        "mentee": mentee,
        "mentorship": mentorship,
        "conversation": conversation,
        "url": f"/messages/{conversation.pk}/",
    }


def open_conversation(page: Any, url: str, *, mode: str = "socket") -> None:
    page.goto(url)
    expect(page.locator(f"body[data-messaging-mode='{mode}']")).to_have_count(1)


def write(page: Any, text: str) -> None:
    """Type a message and press Enter, as a person would."""
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def bodies(page: Any) -> Any:
    return page.locator("[data-messages] li[data-seq] .chat-message__body")


def message(page: Any, text: str) -> Any:
    return page.locator("[data-messages] li[data-seq]").filter(has_text=text)


def receipt_of(page: Any, text: str) -> Any:
    return message(page, text).locator("[data-receipt]")


def nav_badge(page: Any) -> Any:
    return page.locator("[data-messages-link] [data-messages-unread]")


def test_two_people_chat_in_real_time_with_read_state_and_unread_counts(
    pair, open_page, assert_accessible
):
    maria = open_page()
    ada = open_page()
    sign_in(maria, MENTOR_EMAIL)
    sign_in(ada, MENTEE_EMAIL)
    expect(ada.locator("body[data-events-connected='true']")).to_have_count(1)
    expect(nav_badge(ada)).to_be_hidden()
    expect(ada.get_by_text("0 unread messages")).to_be_visible()

    # Maria opens the conversation from the mentorship's way in.
    maria.goto(f"/mentorships/{pair['mentorship'].pk}/messages/")
    expect(maria).to_have_url(re.compile(re.escape(pair["url"]) + "$"))
    expect(maria.locator("body[data-messaging-mode='socket']")).to_have_count(1)
    expect(maria.get_by_role("heading", name="Ada Mentee", level=1)).to_be_visible()
    expect(maria.get_by_text("No messages yet. Say hello!")).to_be_visible()
    assert_accessible(maria)

    write(maria, "Hello **Ada**, how did the presentation go?")
    expect(receipt_of(maria, "how did the presentation go")).to_have_text("Sent")
    expect(maria.get_by_label("Message", exact=True)).to_have_value("")
    # Ada, on her dashboard, sees the count rise without reloading.
    expect(nav_badge(ada)).to_have_text("1")
    expect(ada.get_by_text("1 unread message", exact=True)).to_be_visible()
    write(maria, "Take your time.")
    expect(nav_badge(ada)).to_have_text("2")
    expect(ada.get_by_text("2 unread messages")).to_be_visible()

    # Ada opens her inbox, then the conversation.
    ada.get_by_role("link", name=re.compile(r"^Messages")).click()
    expect(ada.get_by_role("heading", name="Messages", level=1)).to_be_visible()
    row = ada.locator("[data-inbox] li").filter(has_text="Maria Mentor")
    expect(row.locator("[data-inbox-unread]")).to_have_text("2")
    expect(row.locator("[data-inbox-preview]")).to_have_text("Maria Mentor: Take your time.")
    assert_accessible(ada)
    ada.get_by_role("link", name=re.compile(r"^Maria Mentor")).click()
    expect(ada.locator("body[data-messaging-mode='socket']")).to_have_count(1)
    expect(bodies(ada)).to_have_text(["Hello Ada, how did the presentation go?", "Take your time."])
    expect(message(ada, "Hello Ada").locator("strong")).to_have_text("Ada")

    # Having seen them, Ada's count drops and Maria sees "Read".
    expect(receipt_of(maria, "Take your time.")).to_have_text("Read")
    expect(receipt_of(maria, "how did the presentation go")).to_have_text("Read")
    expect(nav_badge(ada)).to_be_hidden()

    # Ada types: Maria sees it; then Ada answers on two lines (Shift+Enter).
    box = ada.get_by_label("Message", exact=True)
    box.press_sequentially("It went")
    expect(maria.locator("[data-typing]")).to_have_text("Ada Mentee is typing…")
    box.press("Shift+Enter")
    box.press_sequentially("really well!")
    box.press("Enter")
    answer = message(maria, "really well")
    expect(answer.locator(".chat-message__body")).to_have_text("It went\nreally well!")
    expect(answer.locator(".chat-message__sender")).to_have_text("Ada Mentee")
    expect(maria.locator("[data-typing]")).to_have_text("")
    expect(receipt_of(ada, "really well")).to_have_text("Read")
    assert_accessible(ada)

    stored = list(Message.objects.order_by("seq").values_list("seq", "body"))
    assert stored == [
        (1, "Hello **Ada**, how did the presentation go?"),
        (2, "Take your time."),
        (3, "It went\nreally well!"),
    ]


def test_messages_sent_while_someone_is_away_arrive_once_and_in_order(pair, open_page):
    maria = open_page()
    sign_in(maria, MENTOR_EMAIL)
    open_conversation(maria, pair["url"])
    write(maria, "Before you left")

    ada = open_page()
    sign_in(ada, MENTEE_EMAIL)
    open_conversation(ada, pair["url"])
    expect(bodies(ada)).to_have_text(["Before you left"])
    expect(receipt_of(maria, "Before you left")).to_have_text("Read")
    ada.context.close()  # Ada goes offline.

    for text in ("One", "Two", "Three"):
        write(maria, text)
        expect(receipt_of(maria, text)).to_have_text("Sent")

    # Ada comes back on another device.
    ada = open_page()
    sign_in(ada, MENTEE_EMAIL)
    expect(nav_badge(ada)).to_have_text("3")
    open_conversation(ada, pair["url"])

    expect(bodies(ada)).to_have_text(["Before you left", "One", "Two", "Three"])
    expect(receipt_of(maria, "Three")).to_have_text("Read")
    assert list(Message.objects.order_by("seq").values_list("seq", "body")) == [
        (1, "Before you left"),
        (2, "One"),
        (3, "Two"),
        (4, "Three"),
    ]


def test_without_websockets_the_page_sends_over_http_and_polls(pair, open_page):
    maria = open_page()
    sign_in(maria, MENTOR_EMAIL)
    open_conversation(maria, pair["url"])
    ada = open_page(init_script=BLOCK_WEBSOCKETS)
    sign_in(ada, MENTEE_EMAIL)

    open_conversation(ada, pair["url"], mode="http")
    expect(ada.get_by_role("status").filter(has_text="checking for new messages")).to_be_visible()

    write(ada, "Sent over plain HTTP")
    expect(message(maria, "Sent over plain HTTP")).to_have_count(1)
    expect(receipt_of(ada, "Sent over plain HTTP")).to_have_text("Read")

    write(maria, "And polled back")
    expect(bodies(ada)).to_have_text(["Sent over plain HTTP", "And polled back"])
    expect(receipt_of(maria, "And polled back")).to_have_text("Read")
    assert Message.objects.count() == 2


def test_an_unsent_message_survives_a_reload_and_is_sent_once(pair, open_page):
    ada = open_page(init_script=HANG_WEBSOCKETS)
    sign_in(ada, MENTEE_EMAIL)
    # The socket hangs: for its first five seconds the page waits for it, and the
    # message waits in the outbox.
    ada.goto(pair["url"])
    expect(ada.locator("body[data-messaging-mode='connecting']")).to_have_count(1)
    write(ada, "Written on a train")
    expect(ada.locator("li[data-pending]").filter(has_text="Sending…")).to_have_count(1)
    assert Message.objects.count() == 0

    ada.reload()

    # Kept across the reload, then sent once the page gives up on the socket (HTTP).
    expect(ada.locator("li[data-pending]")).to_have_count(1)
    expect(ada.locator("body[data-messaging-mode='http']")).to_have_count(1, timeout=10_000)
    expect(message(ada, "Written on a train")).to_have_count(1)
    expect(ada.locator("li[data-pending]")).to_have_count(0)
    assert list(Message.objects.values_list("body", flat=True)) == ["Written on a train"]
    ada.reload()
    expect(message(ada, "Written on a train")).to_have_count(1)
    expect(ada.locator("li[data-pending]")).to_have_count(0)


def test_a_voice_message_is_recorded_sent_and_played_inline(pair, open_page):
    maria = open_page()
    sign_in(maria, MENTOR_EMAIL)
    open_conversation(maria, pair["url"])
    ada = open_page(media=True)
    sign_in(ada, MENTEE_EMAIL)
    open_conversation(ada, pair["url"])

    ada.get_by_role("button", name="Record voice message").click()
    expect(ada.get_by_text("Recording a voice message")).to_be_visible()
    expect(ada.locator("[data-recorder-timer]")).to_have_text("0:02", timeout=6_000)
    ada.get_by_role("button", name="Stop and send").click()

    for page in (ada, maria):
        voice = page.locator("li[data-seq] audio[controls]")
        expect(voice).to_have_count(1)
        expect(voice).to_have_attribute("aria-label", re.compile(r"^Voice message, 0:0[2-4]$"))
        expect(page.locator("li[data-seq] [data-duration]")).to_have_text(re.compile(r"^0:0[2-4]$"))
    stored = Message.objects.get()
    attachment = stored.attachments.get()
    assert stored.kind == "voice"
    assert attachment.content_type == "audio/webm"
    assert attachment.duration_seconds is not None
    assert 2 <= attachment.duration_seconds < 5
    # The player can load it: the download answers the member.
    duration = maria.locator("li[data-seq] audio").evaluate(
        "audio => new Promise(resolve => {"
        " if (audio.readyState >= 1) return resolve(audio.duration);"
        " audio.addEventListener('loadedmetadata', () => resolve(audio.duration)); })"
    )
    assert duration > 0


def test_edits_and_deletions_show_to_the_other_person_live(pair, open_page):
    maria = open_page()
    sign_in(maria, MENTOR_EMAIL)
    open_conversation(maria, pair["url"])
    ada = open_page()
    sign_in(ada, MENTEE_EMAIL)
    open_conversation(ada, pair["url"])
    write(ada, "See you on Thursdya")
    write(ada, "Oops, wrong chat")
    expect(bodies(maria)).to_have_text(["See you on Thursdya", "Oops, wrong chat"])

    ada.get_by_role("button", name="Edit message 1").click()
    ada.get_by_label("Edit message", exact=True).fill("See you on *Thursday*")
    ada.get_by_role("button", name="Save").click()

    edited = message(maria, "See you on Thursday")
    expect(edited.locator(".chat-message__body em")).to_have_text("Thursday")
    expect(edited.locator("[data-edited]")).to_have_text("edited")
    expect(message(ada, "See you on Thursday").locator("[data-edited]")).to_be_visible()

    ada.get_by_role("button", name="Delete message 2").click()
    ada.get_by_role("button", name="Yes, delete").click()

    expect(maria.locator("#message-2 [data-deleted]")).to_have_text("This message was deleted.")
    expect(maria.get_by_text("Oops, wrong chat")).to_have_count(0)
    expect(ada.locator("#message-2 [data-deleted]")).to_be_visible()
    assert Message.objects.get(seq=2).is_deleted


def test_files_event_cards_search_and_history(pair, open_page, assert_accessible, tmp_path):
    conversation = pair["conversation"]

    def history() -> None:
        for number in range(1, 56):
            services.message_send(
                conversation=conversation,
                sender=pair["mentor"] if number % 2 else pair["mentee"],
                client_key=f"old-{number}",
                body=f"Old message {number}" + (" about the *budget*" if number == 3 else ""),
            )

    with override_settings(MESSAGING_RATE_LIMIT=100):
        in_another_thread(history)
    maria = open_page()
    sign_in(maria, MENTOR_EMAIL)
    open_conversation(maria, pair["url"])
    ada = open_page()
    sign_in(ada, MENTEE_EMAIL)
    open_conversation(ada, pair["url"])
    expect(ada.locator("[data-messages] li[data-seq]")).to_have_count(50)

    # Search finds an old message; "jump" loads the history up to it.
    ada.get_by_label("Search this conversation").fill("budget")
    ada.get_by_role("button", name="Search").click()
    expect(ada.get_by_text("1 message found")).to_be_visible()
    result = ada.locator("[data-search-list] a")
    expect(result.locator("mark")).to_have_text("budget")
    result.click()
    expect(ada.locator("#message-3")).to_be_in_viewport()
    expect(ada.locator("[data-messages] li[data-seq]")).to_have_count(55)
    expect(ada.get_by_role("button", name="Load earlier messages")).to_be_hidden()

    # An image and a document, picked from the disk.
    image = tmp_path / "slide.png"
    Image.new("RGB", (40, 30), "teal").save(image)
    document = tmp_path / "notes.pdf"
    document.write_bytes(b"%PDF-1.4\n% notes\n" + b"0" * 2048 + b"\n%%EOF\n")
    ada.locator("[data-file-input]").set_input_files([str(image), str(document)])
    uploads = ada.locator("[data-uploads] li")
    expect(uploads).to_have_count(2)
    expect(uploads.filter(has_text="notes.pdf")).to_have_text(
        re.compile(r"notes\.pdf \(2\.\d KB\)")
    )
    expect(uploads.filter(has_text="slide.png")).to_contain_text("slide.png (")
    write(ada, "The slides and my notes")

    sent = message(maria, "The slides and my notes")
    expect(sent.locator("img")).to_have_attribute("alt", "slide.png")
    expect(sent.get_by_role("link", name="notes.pdf")).to_have_attribute("download", "")
    expect(sent).to_contain_text(re.compile(r"notes\.pdf \(2\.\d KB\)"))

    # An event card, shared from the small form.
    maria.get_by_text("Share an event").click()
    maria.get_by_label("Title").fill("Women in Tech meetup")
    maria.get_by_label("Starts").fill("2031-05-06T18:00")
    maria.get_by_label("Ends").fill("2031-05-06T20:30")
    maria.get_by_label("Place (optional)").fill("Town hall")
    maria.get_by_label("Link (optional, https://)").fill("https://example.org/meetup")
    maria.get_by_role("button", name="Share the event").click()

    card = ada.locator("li[data-seq] [data-card]")
    expect(card.locator(".chat-card__title")).to_have_text("Women in Tech meetup")
    expect(card).to_contain_text("Place: Town hall")
    expect(card.get_by_role("link", name="https://example.org/meetup")).to_have_attribute(
        "rel", "noopener noreferrer nofollow"
    )
    event_message = Message.objects.get(kind="event")
    expect(card.get_by_role("link", name="Add to calendar")).to_have_attribute(
        "href", f"/messages/cards/{event_message.pk}.ics"
    )
    assert_accessible(ada)
    assert_accessible(maria)

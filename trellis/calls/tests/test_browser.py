"""Two people meet by video in their browsers, as they would in any call app.

Each person has a browser context of their own against the real ASGI server; Chromium's
fake camera and microphone (``--use-fake-device-for-media-stream``) stand in for real
ones, and its fake picker for the screen to share. The media goes browser to browser
on this machine with no STUN or TURN server; the server only relays signalling. What
is checked is what WebRTC itself reports (``getStats``): frames decoded from the other.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from channels.layers import channel_layers
from django.utils import timezone
from playwright.sync_api import expect

from trellis.accounts.tests.factories import UserFactory
from trellis.calls.models import Call, CallJoin
from trellis.core.tests.browser import sign_in
from trellis.mentorships.models import Mentorship, MentorshipStatus
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.models import MeetingSeries, Modality
from trellis.scheduling.recurrence import format_recurrence_id
from trellis.scheduling.tests.helpers import group_of, group_program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MENTOR_EMAIL = "maria@example.org"
MENTEE_EMAIL = "ada@example.org"
OUTSIDER_EMAIL = "olga@example.org"

# Frames decoded from everyone else, summed over the page's connections.
FRAMES_DECODED = """async () => {
  let total = 0;
  for (const pc of window.TrellisCall.connections()) {
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") total += s.framesDecoded || 0;
    });
  }
  return total;
}"""

# Video streams coming in that have decoded at least one frame (camera, screen...).
VIDEO_STREAMS_DECODING = """async () => {
  let streams = 0;
  for (const pc of window.TrellisCall.connections()) {
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video" && s.framesDecoded > 0) streams += 1;
    });
  }
  return streams;
}"""

FRAMES_ENCODED = """async () => {
  let total = 0;
  for (const pc of window.TrellisCall.connections()) {
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === "outbound-rtp" && s.kind === "video") total += s.framesEncoded || 0;
    });
  }
  return total;
}"""

CONNECTION_STATES = "() => window.TrellisCall.connections().map((pc) => pc.connectionState)"

# Every call.* event the page's socket hands on, to show that nothing was relayed.
RECORD_CALL_EVENTS = """() => {
  window.callEvents = [];
  document.addEventListener("trellis:event", (e) => {
    if (e.detail && String(e.detail.type).startsWith("call.")) window.callEvents.push(e.detail);
  });
}"""

DENY_MEDIA = """
(() => {
  const deny = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
  navigator.mediaDevices.getUserMedia = deny;
})();
"""


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def call_page(open_page: Callable[..., Any]) -> Callable[..., Any]:
    """A person's page with camera and microphone allowed (Chromium's fake ones)."""

    def call_page(*, width: int = 1280, height: int = 900, deny_media: bool = False) -> Any:
        return open_page(
            width=width,
            height=height,
            media=True,
            init_script=DENY_MEDIA if deny_media else "",
            timeout_ms=15_000,
        )

    return call_page


@pytest.fixture
def pair() -> dict[str, Any]:
    program = ProgramFactory(name="Women in Engineering", slug="wie")
    mentor = mentor_in(program, display_name="Maria Mentor", user__email=MENTOR_EMAIL)
    mentee = mentee_in(program, display_name="Ada Mentee", user__email=MENTEE_EMAIL)
    outsider = mentee_in(program, display_name="Olga Outsider", user__email=OUTSIDER_EMAIL)
    mentorship = MentorshipFactory(program=program, mentor=mentor, mentee=mentee)
    start = timezone.now().astimezone(dt.UTC).replace(second=0, microsecond=0)
    series = MeetingSeries.objects.create(
        mentorship=mentorship,
        organiser=mentor,
        time_zone="UTC",
        start_date=start.date(),
        start_time=start.time(),
        duration_minutes=60,
        modality=Modality.VIDEO,
        link_url="https://meet.example.org/maria-ada",
    )
    recurrence_id = format_recurrence_id(start.replace(tzinfo=None))
    return {
        "mentor": mentor,
        "mentee": mentee,
        "outsider": outsider,
        "mentorship": mentorship,
        "series": series,
        "meeting_url": f"/meetings/{series.pk}/{recurrence_id}/call/",
    }


def wait_until(check: Callable[[], bool], *, seconds: float = 20, message: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(message or "condition not met in time")


def frames_grow(page: Any, script: str = FRAMES_DECODED) -> bool:
    """Whether the count the script reports grows within a few seconds."""
    before = page.evaluate(script)
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if page.evaluate(script) > before:
            return True
    return False


def frames_stand_still(page: Any, script: str) -> bool:
    """Whether the count stays put over two seconds (after a second to settle)."""
    time.sleep(1)
    before = page.evaluate(script)
    time.sleep(2)
    return page.evaluate(script) == before


def enter_room(page: Any, *, audio_only: bool = False) -> None:
    expect(page.locator("body[data-events-connected='true']")).to_have_count(1)
    join = page.get_by_role("button", name="Join the call")
    expect(join).to_be_enabled()
    if audio_only:
        page.get_by_label(re.compile("^Audio only")).check()
    join.click()
    expect(page.locator("[data-in-call]")).to_be_visible()


def connected(page: Any, count: int = 1) -> None:
    wait_until(
        lambda: page.evaluate(CONNECTION_STATES) == ["connected"] * count,
        message=f"not connected: {page.evaluate(CONNECTION_STATES)}",
    )


def test_two_people_meet_by_video_share_a_screen_and_go_audio_only(
    pair, call_page, assert_accessible
):
    maria = call_page()
    ada = call_page()
    sign_in(maria, MENTOR_EMAIL)
    sign_in(ada, MENTEE_EMAIL)

    # Maria joins from the meeting on the schedule; Ada from the link she was sent.
    maria.goto(f"/mentorships/{pair['mentorship'].pk}/schedule/")
    maria.get_by_role("link", name="Join the call").first.click()
    expect(maria.get_by_role("heading", name="Call with Ada Mentee")).to_be_visible()
    expect(maria.get_by_text("Camera and microphone are ready")).to_be_visible()
    expect(maria.get_by_label("Camera", exact=True)).to_contain_text("fake")
    # The fallbacks are on the same page.
    expect(maria.get_by_role("link", name="https://meet.example.org/maria-ada")).to_be_visible()
    assert_accessible(maria)
    enter_room(maria)
    expect(maria.get_by_text("Waiting for the others to join")).to_be_visible()

    ada.goto(pair["meeting_url"])
    enter_room(ada)
    connected(maria)
    connected(ada)
    # Each decodes the other's camera.
    assert frames_grow(maria)
    assert frames_grow(ada)
    expect(maria.locator(".call-tile__name").filter(has_text="Ada Mentee")).to_be_visible()
    expect(maria.locator("[data-quality]").first).to_have_text(
        re.compile("^Connection (good|fair|poor)")
    )
    assert_accessible(maria)

    # Ada mutes: Maria sees it on Ada's tile.
    ada.get_by_role("button", name="Mute").click()
    expect(ada.get_by_role("button", name="Unmute")).to_have_attribute("aria-pressed", "true")
    expect(maria.locator(".call-tile__name").filter(has_text="Ada Mentee (muted)")).to_be_visible()

    # Maria shares her screen: Ada receives a second video, the screen, and decodes it.
    maria.get_by_role("button", name="Share screen").click()
    expect(maria.get_by_role("button", name="Stop sharing")).to_be_visible()
    expect(ada.locator("[data-screen-of]")).to_have_count(1)
    expect(ada.get_by_text("Maria Mentor's screen")).to_be_visible()
    wait_until(lambda: ada.evaluate(VIDEO_STREAMS_DECODING) == 2, message="screen not decoded")
    maria.get_by_role("button", name="Stop sharing").click()
    expect(ada.locator("[data-screen-of]")).to_have_count(0)

    # Ada's line is weak: audio only. No video goes out from her, none comes in.
    ada.get_by_role("button", name="Audio only").click()
    expect(ada.get_by_text("Audio only: no video is sent or received.")).to_be_visible()
    assert frames_stand_still(ada, FRAMES_ENCODED)
    assert frames_stand_still(maria, FRAMES_DECODED)
    assert frames_stand_still(ada, FRAMES_DECODED)
    assert ada.evaluate(CONNECTION_STATES) == ["connected"]
    # And back to video.
    ada.get_by_role("button", name="Audio only").click()
    assert frames_grow(maria)

    # Both leave; the call is on record with each person's join.
    ada.get_by_role("button", name="Leave").click()
    expect(ada.get_by_role("heading", name="You left the call")).to_be_visible()
    expect(maria.get_by_text("Ada Mentee left the call.")).to_be_visible()
    # The meeting's page, to log it and rate it, is one click away.
    expect(ada.get_by_role("link", name="How was it? Log the meeting")).to_have_attribute(
        "href", pair["meeting_url"].removesuffix("call/")
    )
    maria.get_by_role("button", name="Leave").click()
    expect(maria.get_by_role("heading", name="You left the call")).to_be_visible()
    call = Call.objects.get(series=pair["series"])
    wait_until(lambda: Call.objects.get(pk=call.pk).ended_at is not None)
    joins = CallJoin.objects.filter(call=call)
    assert {join.user_id for join in joins} == {pair["mentor"].pk, pair["mentee"].pk}
    assert all(join.left_at is not None for join in joins)
    assert Call.objects.get(pk=call.pk).held_seconds > 0


def test_someone_outside_the_mentorship_cannot_join_nor_signal(pair, call_page):
    maria = call_page()
    ada = call_page()
    olga = call_page()
    sign_in(maria, MENTOR_EMAIL)
    sign_in(ada, MENTEE_EMAIL)
    sign_in(olga, OUTSIDER_EMAIL)
    maria.goto(pair["meeting_url"])
    enter_room(maria)
    ada.goto(pair["meeting_url"])
    enter_room(ada)
    connected(maria)
    room = Call.objects.get(series=pair["series"]).room
    maria_peer = maria.evaluate("window.TrellisCall.peerId()")
    maria.evaluate(RECORD_CALL_EVENTS)
    ada.evaluate(RECORD_CALL_EVENTS)

    # The room's page is not there for Olga.
    # (Asked for without rendering: a 404 page would log a failed load in the console.)
    assert olga.request.get(f"/calls/{room}/").status == 404

    # Over her own live socket the join is refused, and what she sends goes nowhere.
    olga.goto("/")
    expect(olga.locator("body[data-events-connected='true']")).to_have_count(1)
    olga.evaluate(
        """(room) => {
          window.replies = [];
          document.addEventListener("trellis:event", (e) => window.replies.push(e.detail));
          window.Trellis.send({type: "call.join", room: room, peer: "olga0000peer"});
        }""",
        room,
    )
    wait_until(lambda: len(olga.evaluate("window.replies")) >= 1)
    assert olga.evaluate("window.replies[0].code") == "call_refused"
    olga.evaluate(
        """([room, to]) => window.Trellis.send({type: "call.signal", room: room, to: to,
              description: {type: "offer", sdp: "v=0"}})""",
        [room, maria_peer],
    )
    wait_until(lambda: len(olga.evaluate("window.replies")) >= 2)
    assert olga.evaluate("window.replies[1].code") == "not_in_call"
    time.sleep(1)
    assert maria.evaluate("window.callEvents") == []
    assert ada.evaluate("window.callEvents") == []
    assert CallJoin.objects.filter(user=pair["outsider"]).count() == 0
    assert maria.evaluate(CONNECTION_STATES) == ["connected"]


def test_the_call_recovers_when_a_socket_drops(pair, call_page):
    maria = call_page()
    ada = call_page()
    sign_in(maria, MENTOR_EMAIL)
    sign_in(ada, MENTEE_EMAIL)
    maria.goto(pair["meeting_url"])
    enter_room(maria)
    ada.goto(pair["meeting_url"])
    enter_room(ada)
    connected(maria)
    connected(ada)
    ada_peer = ada.evaluate("window.TrellisCall.peerId()")

    # Ada's socket drops (a proxy hiccup); her page reconnects and rejoins by itself.
    ada.evaluate("window.Trellis.dropSocket()")
    expect(ada.locator("body[data-events-connected='false']")).to_have_count(1)
    expect(ada.locator("body[data-events-connected='true']")).to_have_count(1, timeout=20_000)
    wait_until(
        lambda: CallJoin.objects.filter(peer=ada_peer, left_at__isnull=True).count() == 1,
        message="Ada did not rejoin",
    )
    expect(maria.locator(".call-tile__name").filter(has_text="Ada Mentee")).not_to_contain_text(
        "reconnecting"
    )
    # The media never stopped, and signalling works again: a new screen share arrives.
    assert maria.evaluate(CONNECTION_STATES) == ["connected"]
    assert frames_grow(maria)
    ada.get_by_role("button", name="Share screen").click()
    expect(maria.get_by_text("Ada Mentee's screen")).to_be_visible()
    wait_until(lambda: maria.evaluate(VIDEO_STREAMS_DECODING) == 2, message="no screen")


def test_call_now_at_a_phone_width(pair, call_page, assert_accessible):
    ada = call_page(width=390, height=844)
    sign_in(ada, MENTEE_EMAIL)
    mentorship_url = f"/mentorships/{pair['mentorship'].pk}/"

    # Maria is not online: a polite note instead of the button.
    ada.goto(mentorship_url)
    expect(ada.get_by_text("Maria Mentor is not online right now.")).to_be_visible()
    expect(ada.get_by_role("button", name="Call now")).to_have_count(0)

    maria = call_page()
    sign_in(maria, MENTOR_EMAIL)
    expect(maria.locator("body[data-events-connected='true']")).to_have_count(1)
    ada.goto(mentorship_url)
    ada.get_by_role("button", name="Call now").click()
    expect(ada.get_by_role("heading", name="Call with Maria Mentor")).to_be_visible()
    expect(ada.get_by_text("Camera and microphone are ready")).to_be_visible()
    assert ada.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(ada)
    enter_room(ada)
    assert ada.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Maria, on her dashboard, is rung and joins.
    banner = maria.get_by_role("alert").filter(has_text="Ada Mentee is calling you.")
    expect(banner).to_be_visible()
    banner.get_by_role("link", name="Join the call").click()
    enter_room(maria)
    connected(ada)
    connected(maria)
    assert frames_grow(ada)
    assert_accessible(ada)
    assert Call.objects.get(mentorship=pair["mentorship"]).kind == "instant"


def test_blocked_camera_explains_what_to_do_and_still_lets_one_listen(pair, call_page):
    ada = call_page(deny_media=True)
    sign_in(ada, MENTEE_EMAIL)
    ada.goto(pair["meeting_url"])
    expect(
        ada.get_by_role("heading", name="Your browser blocked the camera and microphone")
    ).to_be_visible()
    expect(ada.get_by_text("You can still join to listen and watch.").first).to_be_visible()
    enter_room(ada)
    expect(ada.get_by_text("Waiting for the others to join")).to_be_visible()


def test_a_user_from_another_program_gets_not_found(pair, call_page):
    stranger = UserFactory(email="sam@example.org")
    page = call_page()
    sign_in(page, stranger.email)
    assert page.request.get(pair["meeting_url"]).status == 404


def test_not_now_tells_the_caller_and_nothing_more(pair, call_page):
    maria = call_page()
    ada = call_page()
    sign_in(maria, MENTOR_EMAIL)
    sign_in(ada, MENTEE_EMAIL)
    expect(maria.locator("body[data-events-connected='true']")).to_have_count(1)
    ada.goto(f"/mentorships/{pair['mentorship'].pk}/")
    ada.get_by_role("button", name="Call now").click()
    expect(ada.get_by_role("heading", name="Call with Maria Mentor")).to_be_visible()
    expect(ada.locator("body[data-events-connected='true']")).to_have_count(1)

    banner = maria.get_by_role("alert").filter(has_text="Ada Mentee is calling you.")
    banner.get_by_role("button", name="Not now").click()
    expect(banner).to_have_count(0)
    declined = ada.get_by_role("status").filter(has_text="Maria Mentor can't take the call now.")
    expect(declined).to_be_visible()
    assert CallJoin.objects.filter(user=pair["mentor"]).count() == 0


def test_a_group_of_three_meets_as_a_mesh(call_page):
    program = group_program(name="Leadership Circles")
    mentor = mentor_in(program, display_name="Mara Lead", user__email=MENTOR_EMAIL)
    noah = mentee_in(program, display_name="Noah Member", user__email="noah@example.org")
    kenji = mentee_in(program, display_name="Kenji Member", user__email="kenji@example.org")
    group = group_of(program, mentor, [noah, kenji])
    Mentorship.objects.filter(pk=group.pk).update(status=MentorshipStatus.ACTIVE)

    pages = []
    for email in (MENTOR_EMAIL, "noah@example.org", "kenji@example.org"):
        page = call_page()
        sign_in(page, email)
        pages.append(page)
    mara, noah_page, kenji_page = pages
    mara.goto(f"/mentorships/{group.pk}/")
    mara.get_by_role("button", name="Call now").click()
    expect(mara.get_by_role("heading", name="Call with your group")).to_be_visible()
    enter_room(mara)
    for page in (noah_page, kenji_page):
        banner = page.get_by_role("alert").filter(has_text="Mara Lead is calling you.")
        banner.get_by_role("link", name="Join the call").click()
        enter_room(page)
    # Everyone is connected to both others, and sees both.
    for page in pages:
        connected(page, count=2)
        wait_until(lambda page=page: page.evaluate(VIDEO_STREAMS_DECODING) == 2)

"""Two introductions in a real browser, each person in their own window.

Mara introduces Noah to Kim; both say yes and the three talk in their new conversation.
Mara introduces Noah to Olga, outside Trellis; Noah says yes, Olga says not now through
her emailed link, and nobody learns more than "Not now": no address shows anywhere.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from trellis.core.tests.browser import sign_in
from trellis.introductions.models import Introduction
from trellis.introductions.tests.helpers import token_from_outbox
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.programs.tests.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARA_EMAIL = "mara@example.org"
NOAH_EMAIL = "noah@example.org"
KIM_EMAIL = "kim@example.org"
OLGA_EMAIL = "olga.outside@example.com"
WHY = "Kim ran the data team Noah wants to join; an hour together would help Noah a lot."


@pytest.fixture
def people() -> dict[str, Any]:
    program = ProgramFactory(name="Women in Data")
    mara = mentor_in(program, display_name="Mara", user__email=MARA_EMAIL)
    noah = mentee_in(
        program, display_name="Noah", headline="Junior analyst", user__email=NOAH_EMAIL
    )
    kim = mentor_in(
        program, display_name="Kim", headline="Data engineer at Acme", user__email=KIM_EMAIL
    )
    pair = MentorshipFactory(program=program, mentor=mara, mentee=noah)
    return {"program": program, "pair": pair, "mara": mara, "noah": noah, "kim": kim}


def person(open_page: Any, email: str) -> Any:
    page = open_page()
    sign_in(page, email)
    return page


def start_introduction(page: Any, pair: Any, assert_accessible: Any) -> None:
    page.goto(f"/mentorships/{pair.pk}/")
    page.get_by_role("link", name="Introduce Noah to someone").click()
    expect(page.get_by_role("heading", name="Introduce Noah to someone")).to_be_visible()
    assert_accessible(page)


def test_both_say_yes_and_the_three_talk(open_page, people, assert_accessible):
    mara = person(open_page, MARA_EMAIL)
    start_introduction(mara, people["pair"], assert_accessible)
    # Choosing "outside" shows the name and address instead of the participants; back again.
    mara.get_by_label("Someone outside Trellis").check()
    expect(mara.get_by_label("Their email address")).to_be_visible()
    expect(mara.get_by_role("combobox", name="Participant")).to_be_hidden()
    mara.get_by_label("A participant of the program").check()
    mara.get_by_role("combobox", name="Participant").select_option(
        label="Kim · Data engineer at Acme"
    )
    mara.get_by_label("Why they should meet").fill(WHY)
    mara.get_by_role("button", name="Send the introduction").click()
    expect(mara.get_by_role("heading", name="Your introduction of Noah and Kim")).to_be_visible()
    expect(mara.locator("[data-introduction-state]")).to_have_text("Waiting for answers")
    assert_accessible(mara)

    # Noah finds it on his dashboard and says yes.
    noah = person(open_page, NOAH_EMAIL)
    card = noah.locator("[data-dashboard-introductions]")
    expect(card).to_contain_text("Introductions waiting for your answer")
    card.get_by_role("link", name="Mara introduces you to Kim").click()
    expect(noah.get_by_role("heading", name="Mara introduces you to Kim")).to_be_visible()
    expect(noah.locator("[data-introduction-message]")).to_have_text(WHY)
    expect(noah.locator("[data-other]")).to_contain_text("Data engineer at Acme")
    assert_accessible(noah)
    noah.get_by_role("button", name="Yes, I would like to meet").click()
    expect(noah.locator("[data-introduction-state]")).to_have_text(
        "You accepted; waiting for the other answer"
    )
    assert KIM_EMAIL not in noah.content()

    # Kim finds it in her introductions and says yes too: the conversation opens.
    kim = person(open_page, KIM_EMAIL)
    kim.goto("/introductions/")
    expect(kim.get_by_role("heading", name="Introductions", level=1)).to_be_visible()
    assert_accessible(kim)
    waiting = kim.locator("[data-waiting]")
    waiting.get_by_role("link", name=re.compile("Mara introduces you to Noah")).click()
    assert NOAH_EMAIL not in kim.content()
    kim.get_by_role("button", name="Yes, I would like to meet").click()
    expect(kim.get_by_text("You both said yes.")).to_be_visible()
    expect(kim.locator("[data-introduction-state]")).to_have_text("Accepted: you can meet")
    kim.get_by_role("link", name="Open the conversation of the three of you").click()
    expect(kim.get_by_role("heading", name="Mara, Noah and you", level=1)).to_be_visible()
    expect(kim.locator("body[data-messaging-mode='socket']")).to_have_count(1)
    messages = kim.locator("[data-messages] li[data-seq]")
    expect(messages.first).to_contain_text("Noah, meet Kim. Kim, meet Noah.")
    expect(messages.first).to_contain_text(WHY)
    box = kim.get_by_label("Message", exact=True)
    box.fill("Hello both, glad to meet you!")
    box.press("Enter")
    expect(messages.filter(has_text="Hello both, glad to meet you!")).to_have_count(1)

    # Noah and Mara read it in the same conversation.
    noah.reload()
    expect(noah.locator("[data-introduction-state]")).to_have_text("Accepted: you can meet")
    noah.get_by_role("link", name="Open the conversation of the three of you").click()
    expect(noah.get_by_role("heading", name="Kim, Mara and you", level=1)).to_be_visible()
    expect(noah.locator("[data-messages] li[data-seq]")).to_have_count(2)
    expect(
        noah.locator("[data-messages] li[data-seq]").filter(has_text="glad to meet you")
    ).to_contain_text("Kim")
    mara.goto("/messages/")
    mara.get_by_role("link", name=re.compile("^Kim, Noah and you")).click()
    expect(mara.get_by_text("Hello both, glad to meet you!")).to_be_visible()

    introduction = Introduction.objects.get()
    assert introduction.status == "accepted"
    assert introduction.conversation is not None


def test_a_not_now_reveals_nothing(open_page, people, assert_accessible):
    mara = person(open_page, MARA_EMAIL)
    start_introduction(mara, people["pair"], assert_accessible)
    mara.get_by_label("Someone outside Trellis").check()
    mara.get_by_label("Their name").fill("Olga Outside")
    mara.get_by_label("Their email address").fill(OLGA_EMAIL)
    mara.get_by_label("Why they should meet").fill(WHY)
    mara.get_by_role("button", name="Send the introduction").click()
    expect(
        mara.get_by_role("heading", name="Your introduction of Noah and Olga Outside")
    ).to_be_visible()

    # Noah says yes; he reads Olga's name, never her address.
    noah = person(open_page, NOAH_EMAIL)
    noah.goto("/introductions/")
    noah.get_by_role("link", name=re.compile("Mara introduces you to Olga Outside")).click()
    expect(noah.locator("[data-other]")).to_contain_text("someone outside Trellis")
    noah.get_by_role("button", name="Yes, I would like to meet").click()
    expect(noah.locator("[data-introduction-state]")).to_have_text(
        "You accepted; waiting for the other answer"
    )
    assert OLGA_EMAIL not in noah.content()

    # Olga, without an account, opens her emailed link and says not now.
    olga = open_page()
    link = f"/introductions/answer/{token_from_outbox(OLGA_EMAIL)}/"
    olga.goto(link)
    expect(
        olga.get_by_role("heading", name="Mara would like to introduce you to Noah")
    ).to_be_visible()
    expect(olga.get_by_text(WHY)).to_be_visible()
    assert NOAH_EMAIL not in olga.content()
    assert_accessible(olga)
    olga.get_by_role("button", name="Not now").click()
    expect(olga.get_by_text("You said not now. Nobody is told who said it")).to_be_visible()
    assert_accessible(olga)
    # The used link is a friendly 404. Chromium logs any 404 document as a console error,
    # so the status is asserted on the response and the page is then shown as served.
    used = olga.request.get(link)
    assert used.status == 404
    assert "This link no longer works" in used.text()
    olga.route(
        re.compile(r".*/introductions/answer/.*"),
        lambda route: route.fulfill(response=route.fetch(), status=200),
    )
    olga.goto(link)
    expect(olga.get_by_role("heading", name="This link no longer works")).to_be_visible()
    assert_accessible(olga)

    # Noah and Mara read "Not now", and nothing more.
    noah.reload()
    expect(noah.locator("[data-introduction-state]")).to_have_text("Not now")
    expect(noah.get_by_role("button", name="Yes, I would like to meet")).to_have_count(0)
    assert OLGA_EMAIL not in noah.content()
    assert "said not now" not in noah.content()
    noah.goto("/introductions/")
    expect(noah.locator("[data-of-you] [data-introduction-state]")).to_have_text("Not now")
    assert OLGA_EMAIL not in noah.content()
    mara.goto("/introductions/")
    expect(mara.locator("[data-made] [data-introduction-state]")).to_have_text("Not now")
    mara.get_by_role("link", name=re.compile("Noah and Olga Outside")).click()
    expect(mara.locator("[data-introduction-state]")).to_have_text("Not now")
    assert "said not now" not in mara.content()

    to_noah = "\n".join(m.body for m in mail.outbox if NOAH_EMAIL in m.to)
    assert OLGA_EMAIL not in to_noah
    assert not any(NOAH_EMAIL in m.body for m in mail.outbox if OLGA_EMAIL in m.to)

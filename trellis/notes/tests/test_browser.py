"""Two people write the shared notes together in real browsers, one of them offline a while.

Both type at the same time and end with the same text holding both edits; Noah goes
offline and writes on (Mara does not see it), comes back and both edits merge; a reload
shows the stored document. Then a version is saved and restored from the history page,
and Noah's open editor changes live.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from trellis.core.tests.browser import sign_in
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.notes.models import NoteDocument, NoteVersion
from trellis.programs.tests.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MENTOR_EMAIL = "mara@example.org"
MENTEE_EMAIL = "noah@example.org"
CONNECTED = "Connected — changes are saved as you type"
OFFLINE = "Offline — keep writing; your edits merge when you are back"


@pytest.fixture
def pair() -> Any:
    program = ProgramFactory(name="Women in Engineering")
    mentor = mentor_in(
        program, display_name="Mara Mentor", time_zone="Europe/Berlin", user__email=MENTOR_EMAIL
    )
    mentee = mentee_in(
        program, display_name="Noah Mentee", time_zone="America/New_York", user__email=MENTEE_EMAIL
    )
    return MentorshipFactory(program=program, mentor=mentor, mentee=mentee)


def notes_page(open_page: Any, email: str, mentorship_id: int) -> Any:
    page = open_page()
    sign_in(page, email)
    page.goto(f"/mentorships/{mentorship_id}/notes/")
    expect(page.get_by_role("status").filter(has_text="Connected")).to_have_text(CONNECTED)
    return page


def editor(page: Any) -> Any:
    return page.get_by_role("textbox", name="Shared notes, written together")


def type_at_end(page: Any, words: str) -> None:
    editor(page).click()
    page.keyboard.press("Control+End")
    page.keyboard.type(words)


# The editor's lines without the other people's cursors drawn into them.
READ_TEXT = """() => [...document.querySelectorAll('[data-notes-mount] .cm-line')].map((line) => {
  const copy = line.cloneNode(true);
  copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer').forEach((node) => node.remove());
  return copy.textContent;
}).join('\\n')"""


def text_of(page: Any) -> str:
    return str(page.evaluate(READ_TEXT))


def wait_for_text(page: Any, is_right: Any, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = text_of(page)
        if is_right(text) or time.monotonic() > deadline:
            return text
        page.wait_for_timeout(100)


def expect_text(page: Any, expected: str) -> None:
    assert wait_for_text(page, lambda text: text == expected) == expected


def expect_same_text(first: Any, second: Any, *parts: str) -> str:
    def has_all(text: str) -> bool:
        return all(part in text for part in parts)

    text = wait_for_text(first, has_all)
    assert has_all(text), text
    expect_text(second, text)
    return text


def test_two_people_write_together_and_offline_edits_merge(open_page, pair, assert_accessible):
    mara = notes_page(open_page, MENTOR_EMAIL, pair.pk)
    noah = notes_page(open_page, MENTEE_EMAIL, pair.pk)
    expect(mara.get_by_role("heading", name="Notes with Noah Mentee")).to_be_visible()
    expect(
        mara.get_by_role("heading", name="Private notes — only you can see these")
    ).to_be_visible()
    assert_accessible(mara)

    # Both type at the same time, each into their own editor.
    editor(mara).click()
    editor(noah).click()
    mara.keyboard.type("Mara: agenda for Monday. ")
    noah.keyboard.type("Noah: questions about the talk.")
    expect_same_text(mara, noah, "Mara: agenda for Monday.", "Noah: questions about the talk.")
    # Each sees where the other is, by name.
    expect(mara.locator(".cm-ySelectionInfo", has_text="Noah Mentee")).to_be_visible()
    expect(noah.locator(".cm-ySelectionInfo", has_text="Mara Mentor")).to_be_visible()
    expect(mara.get_by_text("Also here: Noah Mentee")).to_be_visible()

    # Noah goes offline and writes on; Mara writes too, and does not see Noah's words yet.
    noah.context.set_offline(True)
    expect(noah.get_by_role("status").filter(has_text="Offline")).to_have_text(OFFLINE)
    type_at_end(noah, " Written offline.")
    type_at_end(mara, " Mara, meanwhile.")
    mara.wait_for_timeout(1000)
    assert "Written offline." not in text_of(mara)
    assert "Mara, meanwhile." not in text_of(noah)

    # Back online: both edits merge, on both sides and in the database.
    noah.context.set_offline(False)
    expect(noah.get_by_role("status").filter(has_text="Connected")).to_have_text(CONNECTED)
    merged = expect_same_text(mara, noah, "Written offline.", "Mara, meanwhile.")
    for part in ("Mara: agenda for Monday.", "Noah: questions about the talk."):
        assert part in merged
    document = NoteDocument.objects.get(mentorship=pair)
    expect(mara.get_by_text("Also here: Noah Mentee")).to_be_visible()

    # A reload shows the stored document.
    mara.reload()
    expect_text(mara, merged)
    document.refresh_from_db()
    assert document.text == merged

    mara.get_by_role("link", name="Version history").click()
    expect(mara.get_by_role("heading", name="Version history")).to_be_visible()
    assert_accessible(mara)


def test_a_version_saved_and_restored_changes_the_open_editors_live(
    open_page, pair, assert_accessible
):
    mara = notes_page(open_page, MENTOR_EMAIL, pair.pk)
    noah = notes_page(open_page, MENTEE_EMAIL, pair.pk)
    type_at_end(mara, "Plan A: write the abstract.")
    expect_text(noah, "Plan A: write the abstract.")

    # Noah keeps a private note: only he sees it.
    noah.get_by_label("Your private notes").fill("I am nervous about the talk.")
    noah.get_by_role("button", name="Save").click()
    expect(noah.locator("[data-private-note-status]")).to_have_text("Saved")

    history = open_page()
    sign_in(history, MENTOR_EMAIL)
    history.goto(f"/mentorships/{pair.pk}/notes/")
    history.get_by_role("link", name="Version history").click()
    history.get_by_label("Name of the version").fill("Plan A")
    history.get_by_role("button", name="Save a version").click()
    expect(history.get_by_text("The version is saved.")).to_be_visible()
    expect(history.get_by_role("heading", name="Plan A", exact=True)).to_be_visible()

    type_at_end(noah, " Plan B: skip the abstract.")
    expect_text(mara, "Plan A: write the abstract. Plan B: skip the abstract.")

    history.reload()
    history.get_by_role("button", name="Restore “Plan A”").click()
    expect(history.get_by_text(re.compile("The version is back"))).to_be_visible()
    assert_accessible(history)

    # Both open editors change without a reload.
    expect_text(noah, "Plan A: write the abstract.")
    expect_text(mara, "Plan A: write the abstract.")
    assert NoteVersion.objects.filter(label="Before restoring Plan A").count() == 1
    assert "nervous" not in mara.content()
    assert "nervous" not in history.content()

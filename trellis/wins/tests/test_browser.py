"""A mentee shares a win with the program; another participant cheers it on the wall.

Each person has a browser context of their own against the real ASGI server. The
owner chooses on the win's page; the other participant reacts and comments on the wall
through HTMX, without a page load. Pages must finish without a console error and pass
axe-core.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from trellis.core.tests.browser import sign_in
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.programs.tests.factories import ProgramFactory
from trellis.wins.models import Win, WinComment, WinReaction, WinState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWNER_EMAIL = "ada@example.org"
FAN_EMAIL = "omar@example.org"


def test_a_shared_win_is_cheered_on_the_wall(open_page, assert_accessible):
    program = ProgramFactory(name="Women in Tech")
    mentor = mentor_in(program, display_name="Maria")
    owner = mentee_in(program, display_name="Ada", user__email=OWNER_EMAIL)
    MentorshipFactory(program=program, mentor=mentor, mentee=owner)
    fan = mentee_in(program, display_name="Omar", user__email=FAN_EMAIL)
    MentorshipFactory(program=program, mentor=mentor_in(program), mentee=fan)
    pair = owner.mentorships_as_mentee.get()
    win = Win.objects.create(
        mentorship=pair, owner=owner, title="Finished: Give the talk", story="It went well."
    )

    # Ada opens her proposed win and shares it with the program.
    ada = open_page()
    sign_in(ada, OWNER_EMAIL)
    ada.goto(f"/wins/{win.pk}/")
    expect(ada.get_by_text("Only you see it until you choose.")).to_be_visible()
    assert_accessible(ada)
    ada.get_by_role("button", name="Share with the program").click()
    expect(ada.get_by_role("status")).to_contain_text("Shared with the program")
    expect(ada.locator("[data-state-label]")).to_have_text("Shared with the program")
    assert Win.objects.get(pk=win.pk).state == WinState.PROGRAM
    assert_accessible(ada)

    # Omar, in another pair of the program, finds it on the wall.
    omar = open_page()
    sign_in(omar, FAN_EMAIL)
    omar.goto(f"/programs/{program.slug}/")
    omar.get_by_role("link", name="Wins wall").click()
    card = omar.locator(f"#win-{win.pk}")
    expect(card.get_by_role("heading", name="Finished: Give the talk")).to_be_visible()
    expect(card).to_contain_text("Ada, with their mentor Maria")
    assert_accessible(omar)

    celebrate = card.get_by_role("button", name="Celebrate, 0")
    expect(celebrate).to_have_attribute("aria-pressed", "false")
    celebrate.click()
    expect(card.get_by_role("button", name="Celebrate, 1")).to_have_attribute(
        "aria-pressed", "true"
    )

    card.get_by_label("Your comment on “Finished: Give the talk”").fill("Brilliant, well done!")
    card.get_by_role("button", name="Comment").click()
    expect(card.locator("[data-comment]")).to_contain_text("Brilliant, well done!")
    expect(card.get_by_role("heading", name="Comments (1)")).to_be_visible()
    expect(card.get_by_label("Your comment on “Finished: Give the talk”")).to_have_value("")
    assert omar.url.endswith(f"/programs/{program.slug}/wins/")  # no page load
    assert_accessible(omar)

    assert list(WinReaction.objects.values_list("user__email", "emoji")) == [(FAN_EMAIL, "🎉")]
    assert list(WinComment.objects.values_list("author__email", "text")) == [
        (FAN_EMAIL, "Brilliant, well done!")
    ]

    # Ada sees the cheer on her win's page.
    ada.reload()
    expect(ada.get_by_role("button", name="Celebrate, 1")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(ada.locator("[data-comment]")).to_contain_text("Omar")

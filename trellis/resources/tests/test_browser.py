"""A manager adds a link; the mentor finds it and recommends it; the mentee marks it done."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from trellis.core.tests.browser import sign_in
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.resources.models import Recommendation
from trellis.resources.services import resource_builtins_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MANAGER_EMAIL = "manon@example.org"
MENTOR_EMAIL = "maria@example.org"
MENTEE_EMAIL = "ada@example.org"


@pytest.fixture
def pair() -> Any:
    resource_builtins_ensure()
    program = ProgramFactory(name="Women in Engineering", slug="wie")
    manager = ProfileFactory(display_name="Manon Manager", user__email=MANAGER_EMAIL).user
    program.managers.add(manager)
    mentor = mentor_in(
        program, display_name="Maria Mentor", time_zone="Europe/Berlin", user__email=MENTOR_EMAIL
    )
    mentee = mentee_in(
        program,
        display_name="Ada Mentee",
        time_zone="America/New_York",
        user__email=MENTEE_EMAIL,
    )
    return MentorshipFactory(program=program, mentor=mentor, mentee=mentee)


def test_a_link_is_added_recommended_and_done(open_page, pair, assert_accessible):
    # The manager adds a link with tags; only the link's field shows for a link.
    manager = open_page("Europe/Berlin")
    sign_in(manager, MANAGER_EMAIL)
    manager.goto("/programs/wie/manage/resources/")
    expect(manager.get_by_role("heading", name="Built-in guides")).to_be_visible()
    assert_accessible(manager)
    manager.get_by_role("link", name="Add a resource").click()
    expect(manager.get_by_label("Link")).to_be_checked()
    expect(manager.get_by_label("Guide text")).to_be_hidden()
    manager.get_by_label("Title").fill("Time zone converter")
    manager.get_by_label("Web address").fill("http://example.org/time")
    manager.get_by_label("Tags").fill("Time zones, tools")
    manager.get_by_role("button", name="Add to the library").click()
    # An insecure address comes back with the reason and what was typed.
    expect(manager.get_by_text("starting with https://").first).to_be_visible()
    expect(manager.get_by_label("Title")).to_have_value("Time zone converter")
    assert_accessible(manager)
    manager.get_by_label("Web address").fill("https://example.org/time")
    manager.get_by_role("button", name="Add to the library").click()
    expect(manager.get_by_text("“Time zone converter” is in the library.")).to_be_visible()

    # The mentor searches the library and recommends the link with a note.
    mentor = open_page("Europe/Berlin")
    sign_in(mentor, MENTOR_EMAIL)
    mentor.goto("/programs/wie/resources/")
    expect(mentor.get_by_role("link", name="Checking in at a distance")).to_be_visible()
    assert_accessible(mentor)
    mentor.get_by_role("searchbox", name="Search").fill("converter")
    expect(mentor.get_by_text("1 resource matching “converter”")).to_be_visible()
    expect(mentor.get_by_role("link", name="Checking in at a distance")).to_have_count(0)
    mentor.get_by_role("link", name="time-zones").click()
    expect(
        mentor.get_by_text("1 resource tagged “time-zones” matching “converter”")
    ).to_be_visible()
    mentor.get_by_role("link", name="Time zone converter").click()
    expect(mentor.get_by_role("heading", name="Time zone converter")).to_be_visible()
    assert_accessible(mentor)
    expect(mentor.get_by_label("Recommend to")).to_have_value(str(pair.pk))
    mentor.get_by_label("Note").fill("Use it before we pick our meeting time.")
    mentor.get_by_role("button", name="Recommend").click()
    expect(mentor.get_by_text("You recommended “Time zone converter”.")).to_be_visible()
    expect(mentor.get_by_role("heading", name="Recommend a resource")).to_be_visible()
    assert_accessible(mentor)

    # The mentee sees it on the mentorship page and marks it done.
    mentee = open_page("America/New_York")
    sign_in(mentee, MENTEE_EMAIL)
    mentee.goto(f"/mentorships/{pair.pk}/")
    card = mentee.locator("[data-resources-section]")
    expect(card).to_contain_text("Time zone converter")
    expect(card).to_contain_text("To do")
    card.get_by_role("link", name="All recommendations").click()
    item = mentee.locator("[data-recommendation]")
    expect(item).to_contain_text("Use it before we pick our meeting time.")
    assert_accessible(mentee)
    mentee.get_by_role("button", name=re.compile("^Mark as done")).click()
    expect(item).to_have_attribute("data-done", "true")
    expect(mentee.get_by_role("button", name=re.compile("^Not done yet"))).to_be_visible()
    assert_accessible(mentee)

    mentee.goto(f"/mentorships/{pair.pk}/")
    expect(mentee.locator("[data-resources-section]")).to_contain_text("Done")
    history = mentee.locator("[data-history]")
    expect(history).to_contain_text("Maria Mentor recommended “Time zone converter”")
    expect(history).to_contain_text("Ada Mentee finished “Time zone converter”")
    recommendation = Recommendation.objects.get()
    assert (recommendation.note, recommendation.completed_by) == (
        "Use it before we pick our meeting time.",
        pair.mentee,
    )

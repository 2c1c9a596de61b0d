"""A mentee asks a mentor, the mentor accepts, the mentee sees why they were matched."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from trellis.accounts.tests.factories import UserFactory
from trellis.core.tests.browser import sign_in
from trellis.mentorships.models import Mentorship, MentorshipRequest
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.programs.tests.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mentee_requests_a_mentor_who_accepts(page, assert_accessible):
    program = ProgramFactory(name="Women in Engineering", slug="wie", managers=[UserFactory()])
    mentee = mentee_in(
        program,
        display_name="Ada Lovelace",
        languages=["es", "en"],
        skills_sought=["python"],
        user__email="ada@example.org",
    )
    mentor_in(
        program,
        display_name="Grace Hopper",
        languages=["es"],
        skills_offered=["python"],
        user__email="grace@example.org",
    )
    mentor_in(program, display_name="Alan Turing", languages=["en"])

    # The mentee finds the directory from the dashboard.
    sign_in(page, mentee.email)
    page.get_by_role("link", name="Mentorships, requests and offers").click()
    page.get_by_role("link", name="Find a mentor in Women in Engineering").click()
    expect(page.get_by_role("heading", name="Find a mentor", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Grace Hopper", exact=True)).to_be_visible()
    expect(page.get_by_text("0 of 3")).to_be_visible()
    assert_accessible(page)

    # Filtering by language narrows the list without a page load.
    page.get_by_label("Language").select_option("es")
    expect(page.get_by_role("heading", name="Alan Turing", exact=True)).to_be_hidden()
    expect(page.get_by_role("heading", name="Grace Hopper", exact=True)).to_be_visible()
    favourite = page.get_by_role("button", name="Favourite Grace Hopper")
    favourite.click()
    expect(page.get_by_role("button", name="Favourite Grace Hopper")).to_have_attribute(
        "aria-pressed", "true"
    )

    page.get_by_role("link", name="Request Grace Hopper").click()
    expect(page.get_by_role("heading", name="Ask Grace Hopper to mentor you")).to_be_visible()
    assert_accessible(page)
    # An empty message is refused with a clear word, not an error page.
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Write a message.")).to_be_visible()
    page.get_by_label("Your message to Grace Hopper").fill("I would love to learn Python with you.")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Your request was sent to Grace Hopper.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your requests")).to_be_visible()
    assert_accessible(page)
    assert MentorshipRequest.objects.get().message == "I would love to learn Python with you."

    # The mentor signs in, reads the request and accepts it.
    page.context.clear_cookies()
    sign_in(page, "grace@example.org")
    page.goto("/programs/wie/requests/")
    expect(page.get_by_text("I would love to learn Python with you.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Accept Ada Lovelace").click()
    expect(page.get_by_text("You are now mentoring Ada Lovelace.")).to_be_visible()
    expect(page.get_by_role("heading", name="Ada Lovelace, your mentee")).to_be_visible()

    # The mentee sees the mentorship on the dashboard, with its explanation.
    page.context.clear_cookies()
    sign_in(page, mentee.email)
    page.get_by_role("link", name="Grace Hopper").click()
    expect(page).to_have_url(re.compile(r"/mentorships/\d+/$"))
    expect(page.get_by_role("heading", name="Grace Hopper, your mentor")).to_be_visible()
    expect(page.get_by_role("heading", name="Why you were matched")).to_be_visible()
    reasons = Mentorship.objects.get().reasons
    assert reasons
    for reason in reasons:
        expect(page.get_by_text(reason, exact=True)).to_be_visible()
    assert_accessible(page)

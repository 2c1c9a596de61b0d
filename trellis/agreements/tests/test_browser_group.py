"""A mentor and two members of a group each confirm their agreement; it is agreed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from trellis.agreements.tests.helpers import group_of, group_program
from trellis.core.tests.browser import sign_in
from trellis.mentorships.tests.factories import mentee_in, mentor_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_group_agrees_how_they_talk(page, assert_accessible):
    program = group_program(name="Leadership Circle", slug="circle")
    berlin = {"time_zone": "Europe/Berlin", "city": "Berlin", "country": "DE"}
    mentor = mentor_in(
        program, display_name="Grace Hopper", user__email="grace@example.org", **berlin
    )
    ada = mentee_in(program, display_name="Ada Lovelace", user__email="ada@example.org", **berlin)
    joan = mentee_in(program, display_name="Joan Clarke", user__email="joan@example.org", **berlin)
    group = group_of(program, mentor, [ada, joan])

    sign_in(page, "grace@example.org")
    page.goto(f"/mentorships/{group.pk}/")
    page.get_by_role("link", name="Open the agreement").click()
    expect(page.get_by_role("heading", name="Communication agreement")).to_be_visible()
    expect(page.get_by_text("Draft", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Ada Lovelace's part")).to_be_visible()
    expect(page.get_by_role("heading", name="Joan Clarke's part")).to_be_visible()
    # All three live in Berlin: meeting in person first is suggested.
    expect(page.get_by_label("Meet in person the first time")).to_be_checked()
    assert_accessible(page)
    page.get_by_label("Number or handle is").select_option(label="Work")
    page.get_by_label("Number or handle for the others").fill("+49 30 1234567")
    page.get_by_role("button", name="Save your part").click()
    expect(page.get_by_text("Your part of the agreement is saved.")).to_be_visible()
    page.get_by_role("button", name="Confirm the agreement").click()
    expect(page.get_by_text("Waiting for the others", exact=True)).to_be_visible()
    expect(page.get_by_text("waiting for Ada Lovelace and Joan Clarke")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, "ada@example.org")
    page.goto(f"/mentorships/{group.pk}/agreement/")
    expect(page.get_by_text("Waiting for you", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Grace Hopper's part (mentor)")).to_be_visible()
    expect(page.get_by_text("+49 30 1234567 (work)")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm the agreement").click()
    expect(page.get_by_text("Waiting for the others", exact=True)).to_be_visible()
    expect(page.get_by_text("waiting for Joan Clarke")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, "joan@example.org")
    page.goto(f"/mentorships/{group.pk}/agreement/")
    expect(page.get_by_text("Waiting for you", exact=True)).to_be_visible()
    page.get_by_role("button", name="Confirm the agreement").click()
    expect(page.get_by_text("Agreed", exact=True)).to_be_visible()
    expect(
        page.get_by_text("confirmed by Grace Hopper, Ada Lovelace and Joan Clarke")
    ).to_be_visible()
    expect(page.locator("[data-confirmations] li")).to_have_count(3)
    assert_accessible(page)

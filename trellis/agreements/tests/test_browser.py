"""The mentor fills in and confirms the agreement; the mentee confirms; it is agreed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from trellis.agreements.models import AgreementPart
from trellis.core.tests.browser import sign_in
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.programs.tests.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_pair_agree_how_they_talk(page, assert_accessible):
    program = ProgramFactory(name="Women in Engineering", slug="wie")
    mentor = mentor_in(
        program,
        display_name="Grace Hopper",
        user__email="grace@example.org",
        time_zone="Europe/Berlin",
        city="Berlin",
        country="DE",
    )
    mentee = mentee_in(
        program,
        display_name="Ada Lovelace",
        user__email="ada@example.org",
        time_zone="Europe/Berlin",
        city="Berlin",
        country="DE",
    )
    mentorship = MentorshipFactory(program=program, mentor=mentor, mentee=mentee)

    sign_in(page, "grace@example.org")
    page.goto(f"/mentorships/{mentorship.pk}/")
    page.get_by_role("link", name="Open the agreement").click()
    expect(page.get_by_role("heading", name="Communication agreement")).to_be_visible()
    expect(page.get_by_text("Draft", exact=True)).to_be_visible()
    # Both live in Berlin: meeting in person first is suggested.
    expect(page.get_by_label("Meet in person the first time")).to_be_checked()
    assert_accessible(page)
    page.locator("#part_contact_hours_start").fill("09:00")
    page.locator("#part_contact_hours_end").fill("18:00")
    page.get_by_label("Number or handle is").select_option(label="Work")
    page.get_by_label("Number or handle for your partner").fill("+49 30 1234567")
    page.get_by_role("button", name="Save your part").click()
    expect(page.get_by_text("Your part of the agreement is saved.")).to_be_visible()
    page.get_by_role("button", name="Confirm the agreement").click()
    expect(page.get_by_text("Waiting for your partner")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, "ada@example.org")
    page.goto(f"/mentorships/{mentorship.pk}/agreement/")
    expect(page.get_by_text("Waiting for you", exact=True)).to_be_visible()
    expect(page.get_by_text("+49 30 1234567 (work)")).to_be_visible()
    page.get_by_role("button", name="Confirm the agreement").click()
    expect(page.get_by_text("Agreed", exact=True)).to_be_visible()
    assert_accessible(page)
    mentor_part = AgreementPart.objects.get(user=mentor)
    assert str(mentor_part.contact_hours_start) == "09:00:00"

"""A mentor pauses and resumes the mentorship; the mentee then ends it early with a reason."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from trellis.accounts.tests.factories import UserFactory
from trellis.core.tests.browser import sign_in
from trellis.mentorships import services
from trellis.mentorships.models import Mentorship, MentorshipSource
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.programs.tests.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pause_resume_then_end_early(page, assert_accessible):
    manager = UserFactory()
    program = ProgramFactory(name="Women in Engineering", slug="wie", managers=[manager])
    mentee = mentee_in(program, display_name="Ada Lovelace", user__email="ada@example.org")
    mentor = mentor_in(program, display_name="Grace Hopper", user__email="grace@example.org")
    mentorship = services.mentorship_start(
        program=program,
        mentor=mentor,
        mentee=mentee,
        source=MentorshipSource.MANAGER,
        score=80,
        reasons=["You both speak English"],
        by=manager,
        notify=False,
    )

    # The mentor pauses for a busy month, then takes it up again.
    sign_in(page, "grace@example.org")
    page.goto(f"/mentorships/{mentorship.pk}/")
    expect(page.get_by_role("heading", name="Ada Lovelace, your mentee")).to_be_visible()
    expect(page.get_by_text("Active", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_text("Pause the mentorship").click()
    page.locator("#pause_note").fill("A busy month at work")
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_text("The mentorship is paused.")).to_be_visible()
    expect(page.get_by_text("Paused", exact=True)).to_be_visible()
    expect(page.get_by_text("A busy month at work")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Resume the mentorship").click()
    expect(page.get_by_text("The mentorship is active again.")).to_be_visible()

    # The mentee ends it early; without a reason it is refused with a clear word.
    page.context.clear_cookies()
    sign_in(page, "ada@example.org")
    page.goto("/mentorships/")
    expect(page.get_by_text("Active", exact=True)).to_be_visible()
    page.get_by_role("link", name="Grace Hopper").click()
    page.get_by_text("End the mentorship early").click()
    page.get_by_role("button", name="End the mentorship").click()
    expect(page.get_by_text("Choose why the mentorship ends.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Why does it end?").select_option(label="No time")
    page.get_by_label("A few words").fill("New job, no evenings free")
    page.get_by_role("button", name="End the mentorship").click()
    expect(page.get_by_text("The mentorship has ended.")).to_be_visible()
    expect(page.get_by_text("Ended early", exact=True)).to_be_visible()
    expect(page.get_by_text("Reason: No time — New job, no evenings free")).to_be_visible()
    assert_accessible(page)

    mentorship.refresh_from_db()
    assert (mentorship.status, mentorship.ended_reason) == ("ended", "no_time")
    assert [e.action for e in mentorship.events.all()] == ["pause", "resume", "end"]
    assert Mentorship.objects.filter(status="ended").count() == 1

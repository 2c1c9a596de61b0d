"""A manager adapts a built-in plan and uses it; a new pair works through its timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from trellis.core.tests.browser import sign_in
from trellis.mentorships.models import MentorshipSource
from trellis.mentorships.services import mentorship_start
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.notifications.models import Reminder
from trellis.plans.models import MentorshipPlanItem
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MANAGER_EMAIL = "manon@example.org"
MENTEE_EMAIL = "leo@example.org"


def test_a_manager_adds_a_prompt_and_the_pair_works_through_it(
    open_page: Any, assert_accessible: Any
) -> None:
    program = ProgramFactory(slug="bridges", name="Bridges")
    manager = ProfileFactory(display_name="Manon Manager", user__email=MANAGER_EMAIL).user
    program.managers.add(manager)
    mentor = mentor_in(
        program,
        display_name="Priya",
        time_zone="Asia/Kolkata",
        contact_hours_start=dt.time(18),
        contact_hours_end=dt.time(21),
    )
    mentee = mentee_in(
        program, display_name="Leo", time_zone="America/Los_Angeles", user__email=MENTEE_EMAIL
    )

    # The manager copies the built-in plan, adds a prompt and uses the copy.
    page = open_page("Europe/Berlin")
    sign_in(page, MANAGER_EMAIL)
    page.goto("/programs/bridges/manage/")
    page.get_by_role("link", name="Connection plan").click()
    expect(page.get_by_role("heading", name="Connection plan", level=1)).to_be_visible()
    assert_accessible(page)
    page.locator("[data-builtin='standard']").get_by_role(
        "button", name="Copy into the program"
    ).click()
    expect(
        page.get_by_role("heading", name="Distance mentoring: the first six months (copy)")
    ).to_be_visible()

    form = page.locator("#add-step")
    form.get_by_label("Day").fill("0")
    form.get_by_label("Kind").select_option("prompt")
    form.get_by_label("Title").fill("Share one photo of where you work")
    form.get_by_label("Web address").fill("http://example.org")
    form.get_by_role("button", name="Add step").click()
    # Bad input is explained, and nothing typed is lost.
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(form.get_by_label("Title")).to_have_value("Share one photo of where you work")
    form.get_by_label("Web address").fill("")
    form.get_by_role("button", name="Add step").click()
    expect(page.get_by_text("added on day 0")).to_be_visible()
    expect(page.get_by_role("heading", name="Share one photo of where you work")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Use for new mentorships").click()
    expect(page.locator("[data-plan-in-use]")).to_contain_text(
        "Distance mentoring: the first six months (copy)"
    )

    # A pair starts: the plan is applied and its prompts are scheduled for both.
    mentorship = mentorship_start(
        program=program,
        mentor=mentor,
        mentee=mentee,
        source=MentorshipSource.MANAGER,
        score=None,
        reasons=[],
        by=manager,
    )
    item = MentorshipPlanItem.objects.get(
        plan__mentorship=mentorship, title="Share one photo of where you work"
    )
    assert Reminder.objects.filter(key__startswith=f"plan:{mentorship.pk}:").exists()

    # The mentee finds it on the mentorship page, opens the timeline and ticks it done.
    leo = open_page("America/Los_Angeles")
    sign_in(leo, MENTEE_EMAIL)
    leo.goto(f"/mentorships/{mentorship.pk}/")
    card = leo.locator("[data-plan-section]")
    expect(card).to_contain_text("Distance mentoring: the first six months (copy)")
    card.get_by_role("link", name="See the whole plan").click()
    expect(leo.get_by_role("heading", name="Week 1", exact=True)).to_be_visible()
    entry = leo.locator(f"[data-plan-item='{item.pk}']")
    expect(entry).to_contain_text("Share one photo of where you work")
    expect(entry).to_contain_text("Prompt")
    expect(leo.locator("[data-today-marker]")).to_be_visible()
    assert_accessible(leo)

    entry.get_by_role("button", name="Done").click()
    expect(leo.locator(f"[data-plan-item='{item.pk}'] [data-done-button]")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(leo.locator(f"[data-plan-item='{item.pk}']")).to_contain_text("by Leo")
    item.refresh_from_db()
    assert item.done_by == mentee
    leo.reload()
    expect(leo.locator(f"[data-plan-item='{item.pk}'] [data-done-button]")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert_accessible(leo)

"""A mentee sets a goal with two milestones, finishes one and checks in, in a real browser."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from trellis.core.tests.browser import sign_in
from trellis.goals.models import CheckIn, Goal
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.programs.tests.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MENTEE_EMAIL = "ada@example.org"


@pytest.fixture
def pair() -> Any:
    program = ProgramFactory(name="Women in Engineering", values=["Courage", "Curiosity"])
    mentor = mentor_in(program, display_name="Maria Mentor", time_zone="Europe/Berlin")
    mentee = mentee_in(
        program,
        display_name="Ada Mentee",
        time_zone="America/New_York",
        user__email=MENTEE_EMAIL,
    )
    return MentorshipFactory(program=program, mentor=mentor, mentee=mentee)


def add_milestone(page: Any, title: str) -> None:
    details = page.locator("[data-add-milestone]")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    page.locator("#milestone_title").fill(title)
    page.get_by_role("button", name="Add the milestone").click()
    expect(page.locator("[data-milestone]", has_text=title)).to_be_visible()


def test_a_mentee_sets_a_goal_finishes_a_milestone_and_checks_in(page, pair, assert_accessible):
    sign_in(page, MENTEE_EMAIL)
    page.goto(f"/mentorships/{pair.pk}/goals/")
    expect(page.get_by_role("heading", name="Goals", exact=True)).to_be_visible()
    assert_accessible(page)

    # A title left out: the form comes back with what was typed and says what is missing.
    page.get_by_label("Why it matters").fill("To be seen as an engineer who leads.")
    page.get_by_role("button", name="Set the goal").click()
    expect(page.get_by_label("Why it matters")).to_have_value(
        "To be seen as an engineer who leads."
    )
    expect(page.get_by_text("This field is required.")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Goal:", exact=True).fill("Give a talk at a conference")
    page.get_by_label("Measure of success").fill("A talk accepted and given")
    page.get_by_label("Program value it serves").select_option("Courage")
    page.get_by_role("button", name="Set the goal").click()
    expect(page.get_by_role("heading", name="Give a talk at a conference")).to_be_visible()

    add_milestone(page, "Write the abstract")
    add_milestone(page, "Make the slides")
    progress = page.get_by_role("progressbar", name="Progress of Give a talk at a conference")
    expect(progress.first).to_have_attribute("value", "0")

    page.get_by_role("button", name=re.compile("^Mark done “Write the abstract”")).click()
    expect(page.get_by_text("Milestone done.")).to_be_visible()
    expect(page.locator("[data-milestone][data-done='true']")).to_have_count(1)
    expect(progress.first).to_have_attribute("value", "50")

    page.get_by_label("At risk").check()
    page.get_by_label("Note").fill("The slides need a second pair of eyes.")
    page.get_by_role("button", name="Add the check-in").click()
    check_in = page.locator("[data-check-in]").first
    expect(check_in).to_contain_text("At risk")
    expect(check_in).to_contain_text("50%")
    expect(check_in).to_contain_text("The slides need a second pair of eyes.")
    # Created times in the viewer's zone (New York).
    expect(check_in).to_contain_text(re.compile(r"E[SD]T"))
    assert_accessible(page)

    page.goto(f"/mentorships/{pair.pk}/goals/")
    expect(page.locator("[data-goal]")).to_contain_text("Next: Make the slides")
    assert_accessible(page)

    goal = Goal.objects.get()
    assert (goal.owner, goal.value, goal.progress) == (pair.mentee, "Courage", 50)
    assert CheckIn.objects.get().progress == 50

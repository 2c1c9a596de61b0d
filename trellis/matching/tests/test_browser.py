"""A manager automatches the demo program, swaps a pair, publishes; a mentee sees why."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from trellis.core.tests.browser import sign_in
from trellis.demo.services import DEMO_PASSWORD, MANAGER_EMAIL, demo_build
from trellis.matching import selectors
from trellis.matching.models import MatchRun
from trellis.matching.services import matchrun_execute_now, matchrun_publish_now
from trellis.mentorships.models import Mentorship
from trellis.programs.models import Program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAIRS_ON_FIRST_PAGE = 50


def swappable_pairs(run):
    """Two pairs of the draft's first page whose mentors can be swapped (hard rules hold)."""
    pairs = list(selectors.match_run_pairs(run=run)[:PAIRS_ON_FIRST_PAGE])
    for index, first in enumerate(pairs):
        for second in pairs[index + 1 : index + 6]:
            crossed = [
                selectors.pair_explanation(program=run.program, mentor=b.mentor, mentee=a.mentee)
                for a, b in ((first, second), (second, first))
            ]
            if all(score is not None for score, _ in crossed):
                return first, second
    raise AssertionError("No two pairs of the demo draft can be swapped.")


def test_manager_automatches_swaps_publishes_and_a_mentee_sees_why(
    page, assert_accessible, settings
):
    demo_build()
    program = Program.objects.get(slug="global-engineering-mentoring")
    # Leave the run queued, as a real worker would find it, to watch the progress page.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "email"],
        }
    }
    sign_in(page, MANAGER_EMAIL, DEMO_PASSWORD)

    page.goto(f"/programs/{program.slug}/manage/")
    page.get_by_role("navigation", name="Program management").get_by_role(
        "link", name="Matching"
    ).click()
    expect(page.get_by_role("heading", name="Matching", level=1)).to_be_visible()
    expect(
        page.get_by_role("cell", name="Intake: Which track suits you best?", exact=True)
    ).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Run automatch").click()
    expect(page.get_by_role("heading", name="Automatch run")).to_be_visible()
    expect(page.get_by_text("Waiting to start: Waiting for the worker to start")).to_be_visible()
    assert_accessible(page)

    # The worker solves the run; the page notices by itself and shows the draft.
    run = MatchRun.objects.get(program=program)
    matchrun_execute_now(run_id=run.pk)
    expect(page.get_by_role("heading", name="Review the draft")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Proven optimal")).to_be_visible()
    expect(page.get_by_text("which the mentee wants to learn").first).to_be_visible()
    expect(page.get_by_role("heading", name="Not matched")).to_be_visible()
    assert_accessible(page)

    first, second = swappable_pairs(run)
    mentee, new_mentor = first.mentee.display_name, second.mentor.display_name
    page.get_by_label(f"Tick {mentee} for a swap").check()
    page.get_by_label(f"Tick {second.mentee.display_name} for a swap").check()
    page.get_by_role("button", name="Swap the mentors of the two ticked pairs").click()
    expect(page.get_by_text(f"Swapped: {mentee} now has {new_mentor}")).to_be_visible()
    row = page.locator("tr", has=page.get_by_label(f"Tick {mentee} for a swap"))
    expect(row.get_by_text("locked")).to_be_visible()
    expect(row.get_by_role("cell", name=new_mentor)).to_be_visible()

    page.get_by_role("button", name=re.compile(r"^Publish \d+ pairs$")).click()
    # The worker publishes in the background; meanwhile the page shows the progress.
    expect(page.get_by_text("Publishing: Waiting for the worker to start")).to_be_visible()
    assert_accessible(page)
    matchrun_publish_now(run_id=run.pk)
    expect(
        page.get_by_text(re.compile(r"\d+ mentorships started; everyone was notified\."))
    ).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Published", exact=True)).to_be_visible()
    mentorship = Mentorship.objects.get(program=program, mentee=first.mentee)
    assert (mentorship.mentor, mentorship.source) == (second.mentor, "automatch")
    assert mentorship.reasons

    # The mentee signs in and sees the mentorship, with why they were matched.
    page.locator("details.user-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, first.mentee.email, DEMO_PASSWORD)
    expect(page.locator("[data-bell-count]")).to_have_text(re.compile(r"[1-9]"))
    page.goto("/mentorships/")
    expect(page.get_by_role("heading", name=new_mentor)).to_be_visible()
    expect(page.get_by_text(mentorship.reasons[0])).to_be_visible()
    assert_accessible(page)

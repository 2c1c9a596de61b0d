"""The journey of issue 7, as people click through it: a goal set, reviewed in a meeting,
a milestone finished, the win shared with the program and cheered by someone else; a win
kept between the pair is seen by nobody else.

Ada (mentee, New York) and Maria (mentor, Berlin) met two hours ago. Omar is in another
pair of the same program; Paul manages the program.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from trellis.core.tests.browser import sign_in
from trellis.goals.models import AgendaItem, Goal, Milestone
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.tests.helpers import meeting_in
from trellis.wins.models import Win, WinReaction, WinState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADA = "ada@example.org"
MARIA = "maria@example.org"
OMAR = "omar@example.org"
PAUL = "paul@example.org"


@pytest.fixture
def world() -> dict[str, Any]:
    program = ProgramFactory(name="Women in Engineering", values=["Courage", "Curiosity"])
    maria = mentor_in(
        program, display_name="Maria Mentor", time_zone="Europe/Berlin", user__email=MARIA
    )
    ada = mentee_in(
        program, display_name="Ada Mentee", time_zone="America/New_York", user__email=ADA
    )
    pair = MentorshipFactory(program=program, mentor=maria, mentee=ada)
    omar = mentee_in(program, display_name="Omar Other", user__email=OMAR)
    MentorshipFactory(program=program, mentor=mentor_in(program), mentee=omar)
    paul = ProfileFactory(user__email=PAUL, display_name="Paul Manager").user
    program.managers.add(paul)
    series, recurrence_id = meeting_in(pair, -dt.timedelta(hours=2))
    return {
        "program": program,
        "pair": pair,
        "meeting_url": f"/meetings/{series.pk}/{recurrence_id}/",
    }


def add_milestone(page: Any, title: str) -> None:
    details = page.locator("[data-add-milestone]")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    page.locator("#milestone_title").fill(title)
    page.get_by_role("button", name="Add the milestone").click()
    expect(page.locator("[data-milestone]", has_text=title)).to_be_visible()


def test_a_goal_reviewed_in_a_meeting_becomes_a_win_the_program_cheers(
    open_page, world, assert_accessible
):
    program, pair = world["program"], world["pair"]

    # Ada sets a goal with two milestones from her mentorship's page.
    ada = open_page()
    sign_in(ada, ADA)
    ada.goto(f"/mentorships/{pair.pk}/")
    ada.get_by_role("link", name=re.compile("Set a goal")).click()
    ada.get_by_label("Goal:", exact=True).fill("Give a talk at a conference")
    ada.get_by_label("Why it matters").fill("To be seen as an engineer who leads.")
    ada.get_by_label("Measure of success").fill("A talk accepted and given")
    ada.get_by_label("Program value it serves").select_option("Courage")
    ada.get_by_role("button", name="Set the goal").click()
    expect(ada.get_by_role("heading", name="Give a talk at a conference")).to_be_visible()
    add_milestone(ada, "Write the abstract")
    add_milestone(ada, "Make the slides")
    goal = Goal.objects.get()
    assert [m.title for m in goal.milestones.order_by("position")] == [
        "Write the abstract",
        "Make the slides",
    ]

    # Maria puts the goal on the agenda of the meeting they just had.
    maria = open_page()
    sign_in(maria, MARIA)
    maria.goto(f"/mentorships/{pair.pk}/schedule/")
    maria.locator("[data-recent-meetings]").get_by_role("link").first.click()
    expect(maria.get_by_role("heading", name="Goals on the agenda")).to_be_visible()
    maria.get_by_label("Put on the agenda").select_option(label="The whole goal")
    maria.get_by_role("button", name="Add to the agenda").click()
    expect(maria.locator("[data-agenda-item]")).to_contain_text("Give a talk at a conference")
    assert_accessible(maria)
    assert AgendaItem.objects.filter(goal=goal, milestone__isnull=True).count() == 1

    # Ada reviews it in the meeting: the abstract is written.
    ada.goto(world["meeting_url"])
    item = ada.locator("[data-agenda-item]")
    item.get_by_role("button", name=re.compile("^Mark done “Write the abstract”")).click()
    expect(ada.locator("[data-moves]")).to_contain_text("Milestone done: Write the abstract")
    expect(ada.locator("[data-agenda-item][data-reviewed]")).to_have_count(1)
    assert_accessible(ada)
    abstract = Milestone.objects.get(title="Write the abstract")
    assert abstract.done_at is not None
    assert abstract.meeting_series_id is not None

    # Finishing it proposed a win; Ada shares it with the program.
    ada.goto(f"/mentorships/{pair.pk}/")
    proposed = ada.locator("[data-proposed-wins] [data-win]")
    expect(proposed).to_contain_text("Finished: Write the abstract")
    shared = Win.objects.get(milestone=abstract)
    proposed.get_by_role("button", name="Share with the program").click()
    expect(ada.locator(f"#section-win-{shared.pk}")).to_contain_text("Shared with the program")
    shared.refresh_from_db()
    assert shared.state == WinState.PROGRAM

    # Omar, in another pair of the program, sees it on the wall and cheers.
    omar = open_page()
    sign_in(omar, OMAR)
    omar.goto(f"/programs/{program.slug}/")
    omar.get_by_role("link", name="Wins wall").click()
    card = omar.locator(f"#win-{shared.pk}")
    expect(card.get_by_role("heading", name="Finished: Write the abstract")).to_be_visible()
    card.get_by_role("button", name="Celebrate, 0").click()
    expect(card.get_by_role("button", name="Celebrate, 1")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert_accessible(omar)
    assert list(WinReaction.objects.values_list("win_id", "user__email")) == [(shared.pk, OMAR)]

    # The slides are done too; this win Ada keeps between her and Maria.
    ada.goto(f"/goals/{goal.pk}/")
    ada.get_by_role("button", name=re.compile("^Mark done “Make the slides”")).click()
    expect(ada.locator("[data-milestone][data-done='true']")).to_have_count(2)
    ada.goto(f"/mentorships/{pair.pk}/")
    proposed = ada.locator("[data-proposed-wins] [data-win]")
    expect(proposed).to_contain_text("Finished: Make the slides")
    private = Win.objects.get(milestone__title="Make the slides")
    proposed.get_by_role("button", name="Keep it between us").click()
    expect(ada.locator(f"#section-win-{private.pk}")).to_contain_text("Just us")
    private.refresh_from_db()
    assert private.state == WinState.PAIR

    # Maria sees both; nobody else sees the private one, anywhere.
    maria.goto(f"/mentorships/{pair.pk}/")
    expect(maria.locator("[data-wins-section]")).to_contain_text("Finished: Make the slides")
    omar.goto(f"/programs/{program.slug}/wins/")
    expect(omar.locator(f"#win-{shared.pk}")).to_be_visible()
    expect(omar.get_by_text("Finished: Make the slides")).to_have_count(0)
    # (Asked without a page load: a page showing a 404 logs a console error.)
    assert omar.request.get(f"/wins/{private.pk}/").status == 404
    paul = open_page()
    sign_in(paul, PAUL)
    paul.goto(f"/programs/{program.slug}/wins/")
    expect(paul.locator(f"#win-{shared.pk}")).to_be_visible()
    expect(paul.get_by_text("Finished: Make the slides")).to_have_count(0)
    assert paul.request.get(f"/wins/{private.pk}/").status == 404
    paul.goto(f"/mentorships/{pair.pk}/")
    expect(paul.locator("[data-wins-section]")).to_contain_text("Finished: Write the abstract")
    expect(paul.get_by_text("Finished: Make the slides")).to_have_count(0)
    # The open_page fixture fails the test on any console error of these pages.

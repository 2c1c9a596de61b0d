"""A mentee rates a meeting in one tap and answers a survey; the program's manager sees
the totals, never who said what.

Two other pairs answered the mid-point survey before, so the mentee's answers make the
three that let the totals show.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from trellis.accounts.tests.factories import UserFactory
from trellis.core.tests.browser import sign_in
from trellis.feedback.models import MeetingPulse, SurveyAnswer, SurveyAssignment
from trellis.feedback.tests.helpers import questions, survey_in
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.tests.helpers import berlin_new_york_pair, meeting_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MENTEE_EMAIL = "noah@example.org"
MANAGER_EMAIL = "mia@example.org"
SCALE_LABEL = "How useful was this meeting? 1 not useful \u2013 5 very useful"


def person(email: str, name: str, time_zone: str = "Europe/Berlin"):
    return ProfileFactory(
        user=UserFactory(email=email), display_name=name, time_zone=time_zone
    ).user


def test_a_mentee_gives_feedback_and_the_manager_sees_the_totals(open_page, assert_accessible):
    program = ProgramFactory(name="Bridges")
    manager = person(MANAGER_EMAIL, "Mia")
    program.managers.add(manager)
    pair = berlin_new_york_pair(program=program)
    mentee = pair.mentee
    mentee.email = MENTEE_EMAIL
    mentee.save()
    mentee.emailaddress_set.update(email=MENTEE_EMAIL)
    meeting_in(pair, -dt.timedelta(hours=2))
    survey = survey_in(program, title="Halfway there")
    asked = questions(survey)
    now = timezone.now()
    mine = SurveyAssignment.objects.create(
        survey=survey, mentorship=pair, user=mentee, role="mentee", opens_at=now
    )
    for score in (3, 4):
        other = berlin_new_york_pair(program=program)
        done = SurveyAssignment.objects.create(
            survey=survey,
            mentorship=other,
            user=other.mentee,
            role="mentee",
            opens_at=now,
            submitted_at=now,
        )
        SurveyAnswer.objects.create(assignment=done, question=asked["scale"], value=score)

    # The mentee taps the pulse on the mentorship page.
    page = open_page("America/New_York")
    sign_in(page, MENTEE_EMAIL)
    page.goto(f"/mentorships/{pair.pk}/")
    card = page.locator("[data-feedback-section]")
    expect(card.get_by_role("heading", name="Feedback")).to_be_visible()
    scale = card.get_by_role("group", name=SCALE_LABEL)
    expect(scale.get_by_role("button")).to_have_text(["1", "2", "3", "4", "5"])
    assert_accessible(page)
    card.get_by_label("For the program team, shared without your name").fill("Clear next steps")
    scale.get_by_role("button", name="4").click()

    expect(card.locator("[data-pulse-saved]")).to_contain_text("you rated it 4 of 5")
    expect(scale.get_by_role("button", name="4")).to_have_attribute("aria-pressed", "true")
    expect(scale.get_by_role("button", name="5")).to_have_attribute("aria-pressed", "false")
    assert list(MeetingPulse.objects.values_list("usefulness", "comment")) == [
        (4, "Clear next steps")
    ]
    assert page.url.endswith(f"/mentorships/{pair.pk}/")  # swapped in place, no reload
    assert_accessible(page)

    # Changing one's mind is another tap.
    scale.get_by_role("button", name="5").click()
    expect(scale.get_by_role("button", name="5")).to_have_attribute("aria-pressed", "true")
    assert MeetingPulse.objects.get().usefulness == 5

    # The open survey, from the same card.
    card.get_by_role("link", name="Halfway there").click()
    expect(page.get_by_role("heading", name="Halfway there", level=1)).to_be_visible()
    expect(page.locator("[data-privacy]")).to_contain_text("seen only in aggregate")
    expect(page.get_by_text("What would you change?")).to_have_count(0)  # mentors only
    assert_accessible(page)
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("This question needs an answer.")).to_be_visible()
    page.get_by_role("group", name="What helps most?").get_by_label("Advice").check()
    page.get_by_role("group", name="How is it going? (required):").get_by_label("5").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("[data-survey-answered]")).to_contain_text("Thanks, answered on")
    assert_accessible(page)
    mine.refresh_from_db()
    assert mine.submitted_at is not None

    # The manager sees the totals and no names.
    desk = open_page("Europe/Berlin")
    sign_in(desk, MANAGER_EMAIL)
    desk.goto(f"/programs/{program.slug}/manage/")
    desk.get_by_role("link", name="Surveys and feedback").click()
    expect(desk.get_by_role("heading", name="Surveys and feedback", level=1)).to_be_visible()
    expect(desk.locator("[data-pulse-overview]")).to_contain_text(
        "Shown when 3 or more have answered."
    )
    assert_accessible(desk)
    desk.get_by_role("link", name="3 answers to “Halfway there”: results").click()
    expect(desk.locator("[data-answered]")).to_have_text("3 of 3 answered")
    scale_result = desk.locator(f"[data-question-result='{asked['scale'].pk}']")
    expect(scale_result.locator("[data-average]")).to_have_text("Average: 4.0 of 5")
    expect(
        desk.locator(f"[data-question-result='{asked['choice'].pk}'] [data-withheld]")
    ).to_be_visible()
    expect(desk.get_by_text(mentee.display_name)).to_have_count(0)
    assert_accessible(desk)

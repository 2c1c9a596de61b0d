"""The goals list, the mentorship page's card and the API list read in fixed queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from trellis.goals import services
from trellis.goals.tests.helpers import goal_of

pytestmark = pytest.mark.django_db


def goals_with_milestones(mentorship: Any, count: int) -> None:
    for number in range(count):
        goal = goal_of(mentorship, title=f"Goal {number}", milestones=3)
        services.milestone_finish(milestone=goal.milestones.all()[0], by=goal.owner)


def queries(action: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


@pytest.mark.parametrize("role", ["mentee", "manager"])
def test_the_goals_page_reads_in_the_same_queries_for_2_and_8_goals(
    client, world, wins_proposed, role
):
    pair = world["pair"]
    client.force_login(world[role])
    goals_with_milestones(pair, 2)

    def page() -> None:
        response = client.get(f"/mentorships/{pair.pk}/goals/")
        assert response.status_code == 200

    few = queries(page)
    goals_with_milestones(pair, 6)
    many = queries(page)

    assert many == few
    assert client.get(f"/mentorships/{pair.pk}/goals/").content.decode().count("<progress") == 8


def test_the_mentorship_card_adds_two_queries_for_2_and_8_goals(world, wins_proposed):
    pair = world["pair"]
    template = Template("{% load goals_tags %}{% goals_mentorship_section mentorship %}")
    context = {"mentorship": pair, "user": world["mentee"], "role": "mentee"}
    pair.mentees()
    goals_with_milestones(pair, 2)

    few = queries(lambda: template.render(Context(context)))
    goals_with_milestones(pair, 6)
    many = queries(lambda: template.render(Context(context)))

    assert few == many == 2
    html = template.render(Context(context))
    assert html.count("<progress") == 8
    assert "Next milestone: Step 2" in html


def test_the_mentorship_page_does_not_grow_with_goals(client, world, wins_proposed):
    pair = world["pair"]
    client.force_login(world["mentor"])
    goals_with_milestones(pair, 2)

    def page() -> None:
        assert client.get(f"/mentorships/{pair.pk}/").status_code == 200

    few = queries(page)
    goals_with_milestones(pair, 6)

    assert queries(page) == few


def test_the_goal_page_and_the_api_list_do_not_grow_with_milestones(client, world, wins_proposed):
    pair = world["pair"]
    client.force_login(world["mentee"])
    goal = goal_of(pair, milestones=2)
    services.check_in_add(goal=goal, by=world["mentee"], status="on_track", note="Fine")

    def goal_page() -> None:
        assert client.get(f"/goals/{goal.pk}/").status_code == 200

    def api_list() -> None:
        assert client.get(f"/api/v1/mentorships/{pair.pk}/goals").status_code == 200

    few_page, few_api = queries(goal_page), queries(api_list)
    for number in range(6):
        services.milestone_add(goal=goal, by=world["mentee"], title=f"More {number}")
        services.check_in_add(goal=goal, by=world["mentor"], status="at_risk", note="Hm")
    goals_with_milestones(pair, 3)

    assert queries(goal_page) == few_page
    assert queries(api_list) == few_api

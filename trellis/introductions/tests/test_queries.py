"""Pages, cards and the API list read in fixed queries, whatever the introductions' number."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from trellis.introductions import services
from trellis.introductions.tests.helpers import introduce
from trellis.mentorships.tests.factories import mentee_in, mentor_in

pytestmark = pytest.mark.django_db


def queries(action: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


@pytest.fixture
def more_introductions(world: dict[str, Any]) -> Any:
    """Make ``count`` more introductions of Noah: half to new participants, half to outside
    people; some answered, some declined, so every state shows."""
    made = itertools.count()

    def make(count: int) -> None:
        for _ in range(count):
            number = next(made)
            if number % 2:
                person = mentor_in(world["program"], display_name=f"Person {number}", headline="H")
                introduction = introduce(world, contact=person)
                if number % 3 == 0:
                    services.introduction_accept(introduction=introduction, by=person)
                if number % 5 == 0:
                    services.introduction_decline(introduction=introduction, by=world["mentee"])
            else:
                introduce(
                    world,
                    contact_name=f"Outside {number}",
                    contact_email=f"o{number}@example.com",
                )

    return make


@pytest.mark.parametrize("role", ["mentor", "mentee"])
@pytest.mark.parametrize(
    "path", ["/introductions/", "/api/v1/introductions", "/", "/mentorships/{m}/"]
)
def test_pages_read_in_the_same_queries_for_2_and_8_introductions(
    client, world, more_introductions, role, path
):
    client.force_login(world[role])
    url = path.format(m=world["pair"].pk)
    more_introductions(2)

    def page() -> None:
        assert client.get(url).status_code == 200

    few = queries(page)
    more_introductions(6)

    assert queries(page) == few


def test_an_introduction_and_the_new_form_do_not_grow(client, world, more_introductions):
    introduction = introduce(world)
    client.force_login(world["mentor"])

    def detail() -> None:
        assert client.get(f"/introductions/{introduction.pk}/").status_code == 200

    def new() -> None:
        assert client.get(f"/mentorships/{world['pair'].pk}/introduce/").status_code == 200

    few = queries(detail), queries(new)
    for number in range(6):
        mentee_in(world["program"], display_name=f"More {number}", headline="Something")
    more_introductions(4)

    assert (queries(detail), queries(new)) == few


@pytest.mark.parametrize(("role", "expected"), [("mentor", 1), ("mentee", 1), ("manager", 0)])
def test_the_mentorship_card_costs_one_query_and_none_for_others(
    world, more_introductions, role, expected
):
    pair = world["pair"]
    template = Template("{% load introductions_tags %}{% introductions_mentorship_section m %}")
    context = {"m": pair, "user": world[role]}
    more_introductions(2)
    pair.mentees()

    few = queries(lambda: template.render(Context(context)))
    more_introductions(6)
    many = queries(lambda: template.render(Context(context)))

    assert few == many == expected


@pytest.mark.parametrize("role", ["contact", "mentee", "manager"])
def test_the_dashboard_card_costs_one_query_at_most(world, role):
    template = Template("{% load introductions_tags %}{% introductions_dashboard %}")
    introduce(world)
    introduce(world, contact_name="Olga", contact_email="olga@example.com")

    html = ""

    def render() -> None:
        nonlocal html
        html = template.render(Context({"user": world[role]}))

    assert queries(render) == 1
    shown = "Introductions waiting for your answer" in html
    assert shown == (role != "manager")

"""The library, the mentorship's resources page and card read in fixed queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from trellis.resources.tests.helpers import guide_in, link_in, recommend

pytestmark = pytest.mark.django_db


def queries(action: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def add_resources(program: Any, start: int, count: int) -> list[Any]:
    return [
        link_in(program, title=f"Link {number}", tags=f"tag-{number}, shared")
        for number in range(start, start + count)
    ]


@pytest.mark.parametrize("role", ["mentee", "manager"])
def test_the_library_reads_in_the_same_queries_for_2_and_12_resources(
    client, world, builtins, role
):
    client.force_login(world[role])
    add_resources(world["program"], 0, 2)

    def page() -> None:
        assert client.get("/programs/bridges/resources/?q=link&kind=link").status_code == 200

    few = queries(page)
    add_resources(world["program"], 2, 10)
    many = queries(page)

    assert many == few
    assert (
        client.get("/programs/bridges/resources/?q=link&kind=link")
        .content.decode()
        .count("data-resource=")
        == 12
    )


def recommend_some(pair: Any, start: int, count: int) -> None:
    for resource in add_resources(pair.program, start, count):
        recommend(pair, resource)


@pytest.mark.parametrize("role", ["mentor", "mentee", "manager"])
def test_the_mentorships_resources_page_does_not_grow(client, world, builtins, role):
    pair = world["pair"]
    client.force_login(world[role])
    recommend_some(pair, 0, 2)

    def page() -> None:
        assert client.get(f"/mentorships/{pair.pk}/resources/").status_code == 200

    few = queries(page)
    recommend_some(pair, 2, 8)

    assert queries(page) == few


def test_the_card_adds_two_queries_for_2_and_10_recommendations(world):
    pair = world["pair"]
    template = Template("{% load resources_tags %}{% resources_mentorship_section mentorship %}")
    context = {"mentorship": pair, "user": world["mentee"], "role": "mentee"}
    pair.mentees()
    recommend_some(pair, 0, 2)

    few = queries(lambda: template.render(Context(context)))
    recommend_some(pair, 2, 8)
    many = queries(lambda: template.render(Context(context)))

    assert few == many == 2
    html = template.render(Context(context))
    assert html.count("data-recommendation=") == 5
    assert "0 of 10 recommended resources done" in html


def test_the_mentorship_page_does_not_grow_with_recommendations(client, world):
    pair = world["pair"]
    client.force_login(world["mentor"])
    recommend_some(pair, 0, 2)

    def page() -> None:
        assert client.get(f"/mentorships/{pair.pk}/").status_code == 200

    few = queries(page)
    recommend_some(pair, 2, 8)

    assert queries(page) == few


def test_a_guide_page_reads_in_few_queries(client, world):
    guide = guide_in(world["program"])
    client.force_login(world["mentor"])

    count = queries(lambda: client.get(f"/resources/{guide.pk}/"))

    assert count <= 12

"""The events pages, the API list and the dashboard card read in fixed queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from trellis.events import services
from trellis.events.tests.helpers import event_in
from trellis.mentorships.tests.factories import mentee_in

pytestmark = pytest.mark.django_db


def queries(action: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def events_with_answers(world: dict[str, Any], count: int, *, hours: float = 24 * 7) -> None:
    program = world["program"]
    for number in range(count):
        event = event_in(program, by=world["manager"], title=f"Event {number}", hours=hours)
        for person in ("mentor", "other_mentee"):
            services.rsvp_attend(event=event, by=world[person])


@pytest.mark.parametrize("role", ["mentee", "manager"])
def test_the_list_page_and_the_api_list_do_not_grow_with_events(client, world, role):
    client.force_login(world[role])
    slug = world["program"].slug
    events_with_answers(world, 2)

    def page() -> None:
        assert client.get(f"/programs/{slug}/events/").status_code == 200

    def api_list() -> None:
        assert client.get(f"/api/v1/programs/{slug}/events").status_code == 200

    few_page, few_api = queries(page), queries(api_list)
    events_with_answers(world, 6)

    assert queries(page) == few_page
    assert queries(api_list) == few_api
    assert client.get(f"/programs/{slug}/events/").content.decode().count("data-event=") == 8


def test_the_event_page_does_not_grow_with_answers(client, world):
    event = event_in(world["program"], by=world["manager"], capacity=3)
    client.force_login(world["manager"])
    for person in ("mentor", "mentee"):
        services.rsvp_attend(event=event, by=world[person])

    def page() -> None:
        assert client.get(f"/events/{event.pk}/").status_code == 200

    few = queries(page)
    for number in range(6):
        services.rsvp_attend(event=event, by=mentee_in(world["program"], display_name=f"P{number}"))

    assert queries(page) == few


def render_card(user: Any) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load events_tags %}{% events_dashboard %}")
    return template.render(RequestContext(request, {"user": user}))


def test_the_dashboard_card_reads_in_one_query_for_1_and_5_invitations(world):
    user = world["mentee"]
    user.profile  # noqa: B018 - the middleware has loaded it on every page
    events_with_answers(world, 1, hours=5)

    few = queries(lambda: render_card(user))
    events_with_answers(world, 4, hours=6)
    many = queries(lambda: render_card(user))

    assert few == many == 1
    assert render_card(user).count("data-invitation=") == 5


def test_the_dashboard_does_not_grow_with_invitations(client, world):
    client.force_login(world["mentee"])
    events_with_answers(world, 1, hours=5)

    def page() -> None:
        assert client.get("/").status_code == 200

    few = queries(page)
    events_with_answers(world, 4, hours=6)

    assert queries(page) == few
    assert client.get("/").content.decode().count("data-invitation=") == 5

"""The events journey of issue 8, as people click through it.

Paul manages the program and posts a breakfast with two places. Maria (mentor, Berlin)
and Ada (her mentee, New York) say they are going; Omar, from another pair, lands on the
waiting list. Maria cancels: Omar is going. Maria shares the breakfast with Ada, who
finds it as a card in their conversation. An event starting in a few hours shows on
Ada's dashboard as a last-minute invitation, and one click gets her a place.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from trellis.core.tests.browser import sign_in
from trellis.events.models import RSVP, Event
from trellis.events.tests.helpers import event_in
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.messaging.models import Message
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADA = "ada@example.org"
MARIA = "maria@example.org"
OMAR = "omar@example.org"
PAUL = "paul@example.org"


@pytest.fixture
def world() -> dict[str, Any]:
    program = ProgramFactory(name="Women in Engineering")
    maria = mentor_in(
        program, display_name="Maria Mentor", time_zone="Europe/Berlin", user__email=MARIA
    )
    ada = mentee_in(
        program, display_name="Ada Mentee", time_zone="America/New_York", user__email=ADA
    )
    pair = MentorshipFactory(program=program, mentor=maria, mentee=ada)
    omar = mentee_in(program, display_name="Omar Other", user__email=OMAR)
    MentorshipFactory(program=program, mentor=mentor_in(program), mentee=omar)
    paul = ProfileFactory(
        user__email=PAUL, display_name="Paul Manager", time_zone="Europe/Berlin"
    ).user
    program.managers.add(paul)
    return {"program": program, "pair": pair, "paul": paul}


def person(open_page: Any, email: str, zone: str) -> Any:
    page = open_page(zone)
    sign_in(page, email)
    return page


def test_post_answer_wait_move_up_share_and_a_last_minute_invitation(
    open_page, world, assert_accessible
):
    slug = world["program"].slug
    day = (timezone.now() + dt.timedelta(days=10)).date()

    # Paul posts the breakfast: two places.
    paul = person(open_page, PAUL, "Europe/Berlin")
    paul.goto(f"/programs/{slug}/events/")
    expect(paul.get_by_role("heading", name="Events", exact=True)).to_be_visible()
    assert_accessible(paul)
    paul.get_by_role("link", name="Post an event").click()
    expect(paul.get_by_role("heading", name="Post an event")).to_be_visible()
    assert_accessible(paul)
    paul.get_by_label("Title:", exact=True).fill("Founders' breakfast")
    paul.get_by_label("Description:", exact=True).fill("Coffee and **introductions**.")
    paul.get_by_label("Date:", exact=True).fill(day.isoformat())
    paul.get_by_label("Start time").fill("08:30")
    paul.get_by_label("End time").fill("10:00")
    expect(paul.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    paul.get_by_label("Place:", exact=True).fill("Café Lotte, Berlin")
    paul.get_by_label("Number of places").fill("2")
    paul.get_by_role("button", name="Post the event").click()
    expect(paul.get_by_text("Your event is posted.")).to_be_visible()
    expect(paul.locator("[data-places]")).to_contain_text("2 of 2 left")
    assert_accessible(paul)
    event = Event.objects.get()
    event_url = f"/events/{event.pk}/"

    # Maria and Ada go; Omar waits.
    maria = person(open_page, MARIA, "Europe/Berlin")
    maria.goto(event_url)
    maria.get_by_role("button", name="I'm going").click()
    expect(maria.locator("[data-my-status]")).to_have_text("You are going.")
    ada = person(open_page, ADA, "America/New_York")
    ada.goto(event_url)
    # Ada reads it in her own time, 02:30 in New York, with Berlin's time beside it.
    expect(ada.locator("[data-when]")).to_contain_text(re.compile(r"0[23]:30"))
    expect(ada.locator("[data-event-zone]")).to_contain_text("08:30")
    ada.get_by_role("button", name="I'm going").click()
    expect(ada.locator("[data-my-status]")).to_have_text("You are going.")
    omar = person(open_page, OMAR, "Europe/Berlin")
    omar.goto(event_url)
    expect(omar.locator("[data-places]")).to_contain_text("0 of 2 left")
    omar.get_by_role("button", name="Join the waiting list").click()
    expect(omar.locator("[data-my-status]")).to_contain_text("You are number 1 on the waiting list")
    assert_accessible(omar)

    # Maria cancels: her place goes to Omar.
    maria.get_by_role("button", name="Cancel my place").click()
    expect(maria.get_by_text("Your place is cancelled.")).to_be_visible()
    # Omar took it at once: the breakfast is full again.
    expect(maria.get_by_role("button", name="Join the waiting list")).to_be_visible()
    omar.reload()
    expect(omar.locator("[data-my-status]")).to_have_text("You are going.")
    assert sorted(RSVP.objects.values_list("status", flat=True)) == ["cancelled", "going", "going"]

    # Maria shares it with Ada; it shows as a card in their conversation.
    maria.reload()
    maria.get_by_label("Share with:", exact=True).select_option(label="Ada Mentee")
    maria.get_by_label("A note with it").fill("Shall we go together?")
    maria.get_by_role("button", name="Share the event").click()
    expect(maria.get_by_text("Shared with Ada Mentee.")).to_be_visible()
    assert Message.objects.get().conversation.mentorship == world["pair"]
    ada.goto(f"/mentorships/{world['pair'].pk}/messages/")
    card = ada.locator("[data-card]")
    expect(card).to_contain_text("Founders' breakfast")
    expect(card).to_contain_text("Café Lotte, Berlin")
    expect(ada.get_by_text("Shall we go together?")).to_be_visible()

    # A talk tonight: a last-minute invitation on Ada's dashboard.
    event_in(world["program"], by=world["paul"], hours=4, title="Tonight's lightning talks")
    ada.goto("/")
    invitations = ada.locator("[data-last-minute]")
    expect(invitations).to_contain_text("Tonight's lightning talks")
    assert_accessible(ada)
    invitations.get_by_role("button", name="I'm going to Tonight's lightning talks").click()
    expect(ada.get_by_text("You are going to Tonight's lightning talks.")).to_be_visible()
    expect(ada.locator("[data-last-minute]")).to_have_count(0)

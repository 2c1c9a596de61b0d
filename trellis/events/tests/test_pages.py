"""The events pages: lists in the viewer's zone, the forms (422 keeps what was typed), the
event's page (places, waiting line, share), .ics, and the dashboard's invitations."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.utils import timezone
from icalendar import Calendar

from trellis.events import services
from trellis.events.models import RSVP, Event
from trellis.events.tests.helpers import berlin, event_in, move_to_the_past
from trellis.messaging.models import Message

pytestmark = pytest.mark.django_db


def next_year_day(month: int, day: int) -> dt.date:
    return dt.date(timezone.now().year + 1, month, day)


def spring_forward() -> dt.date:
    """Next year's last Sunday of March, when Berlin's clocks skip 02:00-03:00."""
    last = next_year_day(3, 31)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def winter_event(world, **fields) -> Event:
    """Tue 3 Dec next year (or so), 18:00-20:00 in Berlin: 12:00-14:00 in New York."""
    day = next_year_day(12, 3)
    starts_at = berlin(day.year, day.month, day.day, 18, 0)
    return event_in(
        world["program"],
        by=world["mentor"],
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        **fields,
    )


def form_data(**changes: str) -> dict[str, str]:
    day = next_year_day(6, 12)
    data = {
        "title": "Summer meetup",
        "description": "Drinks and **talks**.",
        "date": day.isoformat(),
        "start_time": "18:00",
        "end_time": "21:00",
        "time_zone": "Europe/Berlin",
        "place": "Tempelhofer Feld",
        "online_url": "",
        "capacity": "30",
    }
    data.update(changes)
    return data


# Lists and times ------------------------------------------------------------------------------


def test_the_list_shows_times_in_the_viewers_zone_and_the_events_own(client, world):
    event = winter_event(world)
    client.force_login(world["mentee"])  # New York

    page = client.get(f"/programs/{world['program'].slug}/events/").content.decode()

    assert "Founders&#x27; breakfast" in page
    assert "12:00\u201314:00 EST" in page
    assert "18:00\u201320:00 CET" in page
    assert "Europe/Berlin" in page
    assert f"/events/{event.pk}/" in page

    client.force_login(world["mentor"])  # Berlin: no second zone shown
    page = client.get(f"/programs/{world['program'].slug}/events/").content.decode()
    assert "18:00\u201320:00 CET" in page
    assert "EST" not in page
    assert "data-event-zone" not in page


def test_the_event_page_shows_both_zones_across_daylight_saving(client, world):
    # 29 March: Berlin is on summer time, New York has been for weeks (6 hours apart).
    day = next_year_day(3, 29)
    event = event_in(
        world["program"],
        by=world["mentor"],
        starts_at=berlin(day.year, 3, 29, 18, 0),
        ends_at=berlin(day.year, 3, 29, 19, 0),
    )
    client.force_login(world["mentee"])
    page = client.get(f"/events/{event.pk}/").content.decode()
    local = event.starts_at.astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%H:%M}\u2013" in page
    assert "18:00\u201319:00" in page
    assert "in Europe/Berlin, where it is planned" in page


def test_past_events_are_behind_the_toggle(client, world):
    upcoming = event_in(world["program"], by=world["mentor"], title="Coming up")
    past = move_to_the_past(event_in(world["program"], by=world["mentor"], title="Long ago"))
    client.force_login(world["mentee"])
    slug = world["program"].slug

    now_page = client.get(f"/programs/{slug}/events/").content.decode()
    past_page = client.get(f"/programs/{slug}/events/?past=1").content.decode()

    assert "Coming up" in now_page
    assert "Long ago" not in now_page
    assert "Long ago" in past_page
    assert "Coming up" not in past_page
    assert f"/events/{upcoming.pk}/" in now_page
    assert f"/events/{past.pk}/" in past_page


# Posting and editing ----------------------------------------------------------------------------


def test_posting_an_event(client, world):
    client.force_login(world["mentee"])
    slug = world["program"].slug

    form = client.get(f"/programs/{slug}/events/new/").content.decode()
    assert '<option value="America/New_York" selected>' in form
    response = client.post(f"/programs/{slug}/events/new/", form_data())

    event = Event.objects.get()
    assert response.status_code == 302
    assert response.url == f"/events/{event.pk}/"
    assert (event.title, event.capacity, event.time_zone) == ("Summer meetup", 30, "Europe/Berlin")
    assert event.starts_at == berlin(event.starts_at.year, 6, 12, 18, 0)
    assert event.created_by == world["mentee"]
    page = client.get(response.url).content.decode()
    assert "<strong>talks</strong>" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_time": "17:00"}, "The event must end after it starts."),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice."),
        ({"online_url": "http://example.org/call", "place": ""}, "Give a link starting with https"),
        ({"capacity": "0"}, "Give a number of places from 1"),
        ({"title": ""}, "This field is required."),
        ({"place": "", "online_url": ""}, "Say where it happens"),
        ({"date": "2001-01-01"}, "Pick a time in the future."),
        ({"start_time": "02:30", "end_time": "04:00", "date": "spring"}, "clocks change"),
    ],
)
def test_bad_input_comes_back_422_with_what_was_typed(client, world, changes, message):
    client.force_login(world["mentee"])
    if changes.get("date") == "spring":
        changes["date"] = spring_forward().isoformat()

    response = client.post(
        f"/programs/{world['program'].slug}/events/new/",
        form_data(description="Keep me", **changes),
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    assert "Keep me" in page
    assert not Event.objects.exists()


def test_editing_keeps_the_events_zone_and_raises_its_sequence(client, world):
    event = winter_event(world, capacity=10)
    client.force_login(world["mentor"])

    form = client.get(f"/events/{event.pk}/edit/").content.decode()
    assert 'value="18:00"' in form
    response = client.post(
        f"/events/{event.pk}/edit/",
        form_data(
            title="Winter breakfast",
            date=event.starts_at.astimezone(ZoneInfo("Europe/Berlin")).date().isoformat(),
            start_time="19:00",
            end_time="21:00",
            capacity="",
        ),
    )

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.title, event.capacity, event.sequence) == ("Winter breakfast", None, 1)
    assert event.starts_at.astimezone(ZoneInfo("Europe/Berlin")).hour == 19


def test_cancelling_from_the_page(client, world):
    event = winter_event(world)
    client.force_login(world["mentor"])

    response = client.post(f"/events/{event.pk}/cancel/")

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.is_cancelled
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "This event was cancelled." in page
    assert "I&#x27;m going" not in page
    assert client.post(f"/events/{event.pk}/cancel/").status_code == 422


# RSVP on the page ---------------------------------------------------------------------------------


def test_going_waiting_and_cancelling_on_the_page(client, world):
    event = winter_event(world, capacity=1)
    services.rsvp_attend(event=event, by=world["mentor"])
    client.force_login(world["mentee"])

    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "0 of 1 left" in page
    assert "Join the waiting list" in page
    response = client.post(f"/events/{event.pk}/rsvp/", follow=True)
    page = response.content.decode()
    assert "You are number 1 on the waiting list." in page
    assert "is full: you are number 1 on the waiting list." in page
    assert "Leave the waiting list" in page

    client.force_login(world["mentor"])
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "You are going." in page
    assert "Cancel my place" in page
    assert "data-waiting-list" in page  # the organiser sees who waits
    client.post(f"/events/{event.pk}/rsvp/cancel/")

    client.force_login(world["mentee"])
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "You are going." in page


def test_participants_see_who_goes_but_not_who_waits(client, world):
    event = winter_event(world, capacity=1)
    services.rsvp_attend(event=event, by=world["other_mentor"])
    services.rsvp_attend(event=event, by=world["other_mentee"])
    client.force_login(world["mentee"])

    page = client.get(f"/events/{event.pk}/").content.decode()

    assert world["other_mentor"].display_name in page
    assert "1 on the waiting list." in page
    assert "data-waiting-list" not in page


def test_htmx_answers_with_the_event_part_only(client, world):
    event = winter_event(world)
    client.force_login(world["mentee"])

    response = client.post(f"/events/{event.pk}/rsvp/", HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert "You are going to Founders&#x27; breakfast." in page
    assert "You are going." in page


def test_a_past_event_takes_no_answer(client, world):
    event = move_to_the_past(winter_event(world))
    client.force_login(world["mentee"])

    response = client.post(f"/events/{event.pk}/rsvp/")

    assert response.status_code == 422
    assert "already started" in response.content.decode()
    assert not RSVP.objects.exists()
    assert "This event is over." in client.get(f"/events/{event.pk}/").content.decode()


def test_the_dashboard_rsvp_returns_to_the_dashboard(client, world):
    event = winter_event(world)
    client.force_login(world["mentee"])

    response = client.post(f"/events/{event.pk}/rsvp/", {"next": "/"})

    assert (response.status_code, response.url) == (302, "/")
    assert RSVP.objects.get().status == "going"


# Sharing --------------------------------------------------------------------------------------


def test_a_mentor_shares_with_their_mentee_and_the_card_shows_in_the_conversation(client, world):
    event = winter_event(world, online_url="https://meet.example/breakfast")
    pair = world["pair"]
    client.force_login(world["mentor"])

    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "Share with your mentorship" in page
    assert f'<option value="{pair.pk}">Noah</option>' in page
    response = client.post(
        f"/events/{event.pk}/share/",
        {"mentorship": pair.pk, "note": "Come along!", "client_key": "abc"},
    )

    assert response.status_code == 302
    message = Message.objects.get()
    assert message.conversation.mentorship == pair
    client.force_login(world["mentee"])
    conversation = client.get(f"/mentorships/{pair.pk}/messages/", follow=True).content.decode()
    assert "data-card" in conversation
    assert "Founders&#x27; breakfast" in conversation
    assert "Come along!" in conversation


def test_sharing_into_another_pairs_mentorship_is_refused(client, world):
    event = winter_event(world)
    client.force_login(world["mentor"])

    response = client.post(
        f"/events/{event.pk}/share/",
        {"mentorship": world["other_pair"].pk, "client_key": "abc"},
    )

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Message.objects.exists()


def test_people_without_a_mentorship_get_no_share_form(client, world):
    event = winter_event(world)
    client.force_login(world["manager"])
    assert "Share with your mentorship" not in client.get(f"/events/{event.pk}/").content.decode()


# .ics -------------------------------------------------------------------------------------


def test_the_ics_is_one_vevent_in_the_events_zone(client, world, settings):
    settings.SITE_URL = "https://trellis.example.org"
    event = winter_event(world, online_url="https://meet.example/b", description="Bring a card")
    client.force_login(world["mentee"])

    response = client.get(f"/events/{event.pk}/event.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="event-{event.pk}.ics"' in response["Content-Disposition"]
    calendar = Calendar.from_ical(response.content)
    assert [zone["TZID"] for zone in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == f"event-{event.pk}@trellis"
    assert vevent["SEQUENCE"] == 0
    start = vevent.decoded("DTSTART")
    assert (start.hour, str(start.tzinfo)) == (18, "Europe/Berlin")
    assert vevent["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert vevent.decoded("DTEND") == event.ends_at
    assert str(vevent["SUMMARY"]) == "Founders' breakfast"
    assert str(vevent["LOCATION"]) == "Café Lotte, Berlin"
    assert str(vevent["URL"]) == "https://meet.example/b"
    description = str(vevent["DESCRIPTION"])
    assert "Bring a card" in description
    assert f"https://trellis.example.org/events/{event.pk}/" in description
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert "mailto:" in str(vevent["ORGANIZER"])
    assert world["mentor"].email not in response.content.decode()

    services.event_update(event=event, by=world["mentor"], data={"place": "Café Zwei"})
    services.event_cancel(event=event, by=world["mentor"])
    (vevent,) = Calendar.from_ical(client.get(f"/events/{event.pk}/event.ics").content).walk(
        "VEVENT"
    )
    assert (str(vevent["UID"]), vevent["SEQUENCE"]) == (f"event-{event.pk}@trellis", 2)
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["LOCATION"]) == "Café Zwei"


# The dashboard's last-minute invitations ---------------------------------------------------


def render_dashboard_tag(user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load events_tags %}{% events_dashboard %}")
    return template.render(RequestContext(request, {"user": user}))


def test_last_minute_invitations(client, world):
    program = world["program"]
    soon_one = event_in(program, by=world["manager"], hours=5, title="Tonight's talk", capacity=3)
    event_in(program, by=world["manager"], hours=72, title="Later this week")
    full = event_in(program, by=world["manager"], hours=6, title="Full one", capacity=1)
    services.rsvp_attend(event=full, by=world["other_mentee"])
    answered = event_in(program, by=world["manager"], hours=7, title="Already answered")
    services.rsvp_attend(event=answered, by=world["mentee"])
    cancelled = event_in(program, by=world["manager"], hours=8, title="Called off")
    services.event_cancel(event=cancelled, by=world["manager"])
    event_in(program, by=world["mentee"], hours=9, title="My own")
    services.rsvp_attend(event=soon_one, by=world["mentor"])

    html = render_dashboard_tag(world["mentee"])

    assert "Last-minute invitations" in html
    assert "Tonight&#x27;s talk" in html
    assert "2 places left" in html
    for title in ("Later this week", "Full one", "Already answered", "Called off", "My own"):
        assert title not in html
    assert f'action="/events/{soon_one.pk}/rsvp/"' in html
    assert 'name="csrfmiddlewaretoken"' in html

    assert render_dashboard_tag(world["other_manager"]).strip() == ""
    page = client.get("/")  # anonymous: the dashboard asks to sign in
    assert page.status_code == 302
    client.force_login(world["mentee"])
    assert "Tonight&#x27;s talk" in client.get("/").content.decode()

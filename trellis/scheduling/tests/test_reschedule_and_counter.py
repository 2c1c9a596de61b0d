"""Pages and API: move "this and following", counter a proposal; refusals change nothing."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from icalendar import Calendar

from trellis.accounts.tests.factories import StaffFactory
from trellis.notifications.models import Notification
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling import selectors, services
from trellis.scheduling.models import (
    MeetingProposal,
    MeetingSeries,
    OccurrenceChange,
    ProposalStatus,
)
from trellis.scheduling.tests.helpers import berlin_new_york_pair

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = dt.timedelta(hours=1)
DASH = "\u2013"  # how the pages write a range of times


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def snapshot():
    return (
        list(MeetingSeries.objects.order_by("pk").values()),
        list(MeetingProposal.objects.order_by("pk").values()),
        list(OccurrenceChange.objects.order_by("pk").values()),
        Notification.objects.count(),
    )


@pytest.fixture
def world():
    pair = berlin_new_york_pair()
    other_pair = berlin_new_york_pair()
    manager = ProfileFactory().user
    pair.program.managers.add(manager)
    other_manager = ProfileFactory().user
    ProgramFactory().managers.add(other_manager)
    return {
        "pair": pair,
        "anonymous": None,
        "mentor": pair.mentor,
        "mentee": pair.mentee,
        "other_mentor": other_pair.mentor,
        "other_manager": other_manager,
        "manager": manager,
        "staff": StaffFactory(),
    }


def as_(client, world, role):
    if world[role] is not None:
        client.force_login(world[role])


def free_slots(pair, minutes=60):
    search = selectors.find_times(
        mentorship=pair, viewer=pair.mentor, duration=dt.timedelta(minutes=minutes)
    )
    return search.slots


def weekly(pair):
    """Open-ended, weekly at the first 15:00 Berlin slot (16:00 is free for both too)."""
    start = next(
        slot.start
        for slot in free_slots(pair)
        if slot.start.astimezone(BERLIN).time() == dt.time(15)
    )
    return services.series_book(mentorship=pair, by=pair.mentor, start=start, frequency="weekly")


def starts(pair):
    now = dt.datetime.now(dt.UTC)
    return [
        item.start
        for item in selectors.meetings_for_mentorship(
            mentorship=pair, start=now, end=now + dt.timedelta(days=41)
        )
    ]


def occurrences(series):
    now = dt.datetime.now(dt.UTC)
    return selectors.expand(
        [selectors.series_for_system(series_pk=series.pk)],
        start=now,
        end=now + dt.timedelta(days=41),
    )


def meeting_url(series, item, action):
    return f"/meetings/{series.pk}/{item.recurrence_id}/{action}/"


def api_url(series, item, action):
    return f"/api/v1/meetings/{series.pk}/occurrences/{item.recurrence_id}/{action}"


# This and following ---------------------------------------------------------------------


def test_api_split_both_see_new_times_from_the_chosen_meeting_and_old_ones_before(client, world):
    pair = world["pair"]
    series = weekly(pair)
    items = occurrences(series)
    before = [item.start for item in items]
    client.force_login(pair.mentee)

    response = post(
        client,
        api_url(series, items[2], "reschedule-following"),
        {"start": (items[2].start + HOUR).isoformat(), "duration_minutes": 45},
    )

    assert response.status_code == 200, response.json()
    continuation = MeetingSeries.objects.get(pk=response.json()["series_id"])
    assert continuation.split_from_id == series.pk
    expected = before[:2] + [start + HOUR for start in before[2:]]
    for person, zone in ((pair.mentor, BERLIN), (pair.mentee, NEW_YORK)):
        client.force_login(person)
        meetings = client.get(f"/api/v1/mentorships/{pair.pk}/meetings").json()
        assert [dt.datetime.fromisoformat(m["start"]) for m in meetings] == expected
        assert [m["series_id"] for m in meetings] == [series.pk] * 2 + [continuation.pk] * (
            len(expected) - 2
        )
        lengths = [
            dt.datetime.fromisoformat(m["end"]) - dt.datetime.fromisoformat(m["start"])
            for m in meetings
        ]
        assert lengths == [HOUR] * 2 + [dt.timedelta(minutes=45)] * (len(expected) - 2)
        assert dt.datetime.fromisoformat(meetings[2]["local_start"]).utcoffset() == (
            expected[2].astimezone(zone).utcoffset()
        )
    # The organiser's wall time moved by an hour from the chosen meeting on.
    assert [start.astimezone(BERLIN).time() for start in expected] == [dt.time(15)] * 2 + [
        dt.time(16)
    ] * (len(expected) - 2)


def test_page_split_reads_the_time_in_the_viewers_zone_and_both_pages_show_it(client, world):
    pair = world["pair"]
    series = weekly(pair)
    items = occurrences(series)
    new_start = items[1].start + HOUR
    in_new_york = new_start.astimezone(NEW_YORK)
    client.force_login(pair.mentee)
    page = client.get(f"/mentorships/{pair.pk}/schedule/").content.decode()
    assert "Reschedule this and following" in page
    assert 'type="time"' in page
    assert "your zone, America/New_York" in page

    response = client.post(
        meeting_url(series, items[1], "reschedule-following"),
        {"date": f"{in_new_york:%Y-%m-%d}", "time": f"{in_new_york:%H:%M}", "duration": "60"},
    )

    assert response.status_code == 302
    assert starts(pair) == [items[0].start] + [item.start + HOUR for item in items[1:]]
    client.force_login(pair.mentor)
    page = client.get(f"/mentorships/{pair.pk}/schedule/").content.decode()
    first = items[0].start.astimezone(BERLIN)
    moved = new_start.astimezone(BERLIN)
    assert f"{first:%a} {first.day} {first:%b} {first.year}, 15:00{DASH}16:00" in page
    assert f"{moved:%a} {moved.day} {moved:%b} {moved.year}, 16:00{DASH}17:00" in page


def test_page_reschedule_one_with_date_and_time_inputs(client, world):
    pair = world["pair"]
    series = weekly(pair)
    items = occurrences(series)
    new_start = items[1].start + HOUR
    local = new_start.astimezone(NEW_YORK)
    client.force_login(pair.mentee)
    page = client.get(f"/mentorships/{pair.pk}/schedule/").content.decode()
    assert 'type="date"' in page

    response = client.post(
        meeting_url(series, items[1], "reschedule"),
        {"date": f"{local:%Y-%m-%d}", "time": f"{local:%H:%M}"},
    )

    assert response.status_code == 302
    assert starts(pair) == [items[0].start, new_start] + [item.start for item in items[2:]]


def bad_inputs(items):
    """(action, form fields in New York, expected words) the page must refuse with 422."""
    taken = items[2].start.astimezone(NEW_YORK)  # the series' own next meeting
    past = (dt.datetime.now(dt.UTC) - HOUR).astimezone(NEW_YORK)
    evening = items[1].start.astimezone(BERLIN).replace(hour=20).astimezone(NEW_YORK)
    second = items[1].start.astimezone(NEW_YORK)
    return [
        ("reschedule", {"date": f"{past:%Y-%m-%d}", "time": f"{past:%H:%M}"}, "future"),
        ("reschedule", {"date": f"{evening:%Y-%m-%d}", "time": f"{evening:%H:%M}"}, "not free"),
        (
            "reschedule",
            {"date": f"{taken:%Y-%m-%d}", "time": f"{taken:%H:%M}"},
            "already has a meeting",
        ),
        ("reschedule", {"date": "someday", "time": "soon"}, "Give a date and a time"),
        (
            "reschedule-following",
            {"date": f"{second:%Y-%m-%d}", "time": f"{evening:%H:%M}", "duration": "60"},
            "not free",
        ),
        (
            "reschedule-following",
            {"date": f"{second:%Y-%m-%d}", "time": f"{second:%H:%M}", "duration": "60"},
            "new time or a new length",
        ),
    ]


@pytest.mark.parametrize("case", range(6))
def test_page_refusals_are_422_with_the_reason_and_change_nothing(client, world, case):
    pair = world["pair"]
    series = weekly(pair)
    items = occurrences(series)
    action, fields, words = bad_inputs(items)[case]
    client.force_login(pair.mentee)
    before = snapshot()

    response = client.post(meeting_url(series, items[1], action), fields)

    assert response.status_code == 422
    text = response.content.decode()
    assert words in text
    assert "Nothing was changed." in text
    # The refused form stays open, with what was typed and marked invalid.
    marker = (
        "data-reschedule-one open" if action == "reschedule" else "data-reschedule-following open"
    )
    assert text.count(marker) == 1
    assert 'aria-invalid="true"' in text
    assert f'value="{fields["time"]}"' in text
    assert snapshot() == before


def test_api_refusals_are_422_per_field_and_change_nothing(client, world):
    pair = world["pair"]
    series = weekly(pair)
    items = occurrences(series)
    client.force_login(pair.mentor)
    before = snapshot()
    berlin_second = items[1].start.astimezone(BERLIN)
    cases = [
        ("reschedule", {"start": (dt.datetime.now(dt.UTC) - HOUR).isoformat()}, "future"),
        ("reschedule", {"start": berlin_second.replace(hour=20).isoformat()}, "not free"),
        ("reschedule", {"start": items[2].start.isoformat()}, "already has a meeting"),
        ("reschedule", {"start": "2030-01-07T16:00:00"}, "time zone"),
        ("reschedule-following", {"start": berlin_second.replace(hour=20).isoformat()}, "not free"),
        (
            "reschedule-following",
            {"start": (items[1].start + dt.timedelta(days=1)).isoformat()},
            "keep their day",
        ),
        ("reschedule-following", {"duration_minutes": 2}, "5 minutes to 8 hours"),
    ]
    for action, body, words in cases:
        response = post(client, api_url(series, items[1], action), body)
        assert response.status_code == 422, (action, body)
        assert words in json.dumps(response.json()), (action, body, response.json())
    assert snapshot() == before


def test_a_split_sends_the_old_series_with_until_and_the_new_one_as_a_request(
    world, django_capture_on_commit_callbacks
):
    pair = world["pair"]
    with django_capture_on_commit_callbacks(execute=True):
        series = weekly(pair)
    items = occurrences(series)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        continuation = services.series_split_reschedule(
            series=series,
            recurrence_id=items[2].recurrence_id,
            by=pair.mentor,
            start=items[2].start + HOUR,
        )

    sent: dict[str, list[tuple[str, object]]] = {}
    for message in mail.outbox:
        (content,) = [body for body, kind in message.alternatives if "text/calendar" in kind]
        calendar = Calendar.from_ical(content)
        (event,) = calendar.walk("VEVENT")
        for address in message.to:
            sent.setdefault(str(event["UID"]), []).append((address, (calendar, event)))
    series.refresh_from_db()
    people = sorted([pair.mentor.email, pair.mentee.email])
    assert set(sent) == {series.uid, continuation.uid}
    assert sorted(address for address, _ in sent[series.uid]) == people
    assert sorted(address for address, _ in sent[continuation.uid]) == people
    for _, (calendar, event) in sent[series.uid]:
        assert str(calendar["METHOD"]) == "REQUEST"
        assert event["SEQUENCE"] == series.sequence == 1
        until = event["RRULE"]["UNTIL"][0]
        assert items[1].start <= until < items[2].start
        assert event.decoded("DTSTART") == items[0].start
    for _, (calendar, event) in sent[continuation.uid]:
        assert str(calendar["METHOD"]) == "REQUEST"
        assert event.decoded("DTSTART") == items[2].start + HOUR
        assert "UNTIL" not in event["RRULE"]


SPLIT_STATUS = {
    "anonymous": 401,
    "mentor": 200,
    "mentee": 200,
    "other_mentor": 404,
    "other_manager": 404,
    "manager": 403,
    "staff": 403,
}


@pytest.mark.parametrize("role", list(SPLIT_STATUS))
def test_split_by_role_and_refusals_change_nothing(client, world, role):
    pair = world["pair"]
    series = weekly(pair)
    items = occurrences(series)
    before = snapshot()
    as_(client, world, role)
    response = post(
        client,
        api_url(series, items[1], "reschedule-following"),
        {"start": (items[1].start + HOUR).isoformat()},
    )
    assert response.status_code == SPLIT_STATUS[role]
    if SPLIT_STATUS[role] == 200:
        assert MeetingSeries.objects.count() == 2
    else:
        assert snapshot() == before


PAGE_SPLIT_STATUS = {
    "anonymous": 302,  # to the sign-in page
    "mentor": 302,
    "mentee": 302,
    "other_mentor": 404,
    "other_manager": 404,
    "manager": 403,
    "staff": 403,
}


@pytest.mark.parametrize("role", list(PAGE_SPLIT_STATUS))
def test_page_split_by_role(client, world, role):
    pair = world["pair"]
    series = weekly(pair)
    items = occurrences(series)
    before = snapshot()
    as_(client, world, role)
    # Each reads the form in their own zone: give the new time as their clock shows it.
    user = world[role]
    zone = ZoneInfo(selectors.user_zone(user)) if user is not None else BERLIN
    local = (items[1].start + HOUR).astimezone(zone)
    response = client.post(
        meeting_url(series, items[1], "reschedule-following"),
        {"date": f"{local:%Y-%m-%d}", "time": f"{local:%H:%M}"},
    )
    assert response.status_code == PAGE_SPLIT_STATUS[role]
    if role in ("mentor", "mentee"):
        assert MeetingSeries.objects.count() == 2
    else:
        assert snapshot() == before


# Counter-proposals ----------------------------------------------------------------------


def test_counter_on_the_page_and_the_proposer_accepts_it(client, world):
    pair = world["pair"]
    slots = free_slots(pair)
    offered = [slots[0].start]
    proposal = services.proposal_create(mentorship=pair, by=pair.mentor, options=offered)
    client.force_login(pair.mentee)
    page = client.get(f"/mentorships/{pair.pk}/schedule/").content.decode()
    assert "None fits? Propose other times" in page
    assert "data-counter-slots" in page
    other = [slot.start for slot in slots[1:3]]
    for start in other:
        assert f'value="{start.isoformat()}"' in page.split("data-counter-slots")[1]

    response = client.post(
        f"/meetings/proposals/{proposal.pk}/counter/",
        {"options": [start.isoformat() for start in other]},
    )

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.COUNTERED
    counter = MeetingProposal.objects.get(counter_of=proposal)
    assert (counter.proposer, counter.option_starts()) == (pair.mentee, other)
    client.force_login(pair.mentor)
    page = client.get(f"/mentorships/{pair.pk}/schedule/").content.decode()
    assert "Noah proposed other times" in page
    response = client.post(
        f"/meetings/proposals/{counter.pk}/accept/",
        {"start": other[1].isoformat(), "frequency": "weekly"},
    )
    assert response.status_code == 302
    series = MeetingSeries.objects.get()
    assert (series.organiser, series.rule().first_start) == (pair.mentee, other[1])
    client.force_login(pair.mentee)
    assert starts(pair)[0] == other[1]


def test_a_counter_outside_the_free_slots_is_422_and_changes_nothing(client, world):
    pair = world["pair"]
    slots = free_slots(pair)
    proposal = services.proposal_create(mentorship=pair, by=pair.mentor, options=[slots[0].start])
    not_free = slots[0].start.astimezone(BERLIN).replace(hour=21)
    before = snapshot()
    client.force_login(pair.mentee)
    response = client.post(
        f"/meetings/proposals/{proposal.pk}/counter/", {"options": [not_free.isoformat()]}
    )
    assert response.status_code == 422
    assert "not free for you both" in response.content.decode()
    assert snapshot() == before


COUNTER_STATUS = {
    "anonymous": 401,
    "mentor": 403,  # the proposer does not answer their own proposal
    "mentee": 201,
    "other_mentor": 404,
    "other_manager": 404,
    "manager": 403,
    "staff": 403,
}


@pytest.mark.parametrize("role", list(COUNTER_STATUS))
def test_counter_by_role_over_the_api(client, world, role):
    pair = world["pair"]
    slots = free_slots(pair)
    proposal = services.proposal_create(mentorship=pair, by=pair.mentor, options=[slots[0].start])
    before = snapshot()
    as_(client, world, role)
    response = post(
        client,
        f"/api/v1/meeting-proposals/{proposal.pk}/counter",
        {"options": [slots[1].start.isoformat()]},
    )
    assert response.status_code == COUNTER_STATUS[role]
    if COUNTER_STATUS[role] == 201:
        assert response.json()["counter_of_id"] == proposal.pk
        client.force_login(pair.mentor)
        accepted = post(
            client,
            f"/api/v1/meeting-proposals/{response.json()['id']}/accept",
            {"start": slots[1].start.isoformat()},
        )
        assert accepted.status_code == 200, accepted.json()
    else:
        assert snapshot() == before

"""The scheduling API over roles: only the pair arrange; managers read times, never notes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from trellis.accounts.tests.factories import StaffFactory
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling import selectors, services
from trellis.scheduling.models import MeetingLog, MeetingPrivateNote, MeetingProposal
from trellis.scheduling.tests.helpers import berlin_new_york_pair

pytestmark = pytest.mark.django_db


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


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


def test_propose_accept_and_list_in_the_viewers_local_time(client, world):
    pair = world["pair"]
    client.force_login(pair.mentor)
    found = client.get(f"/api/v1/mentorships/{pair.pk}/slots?duration_minutes=60").json()
    assert found["outcome"] == "found"
    first = found["slots"][0]
    assert first["yours"]["time_zone"] == "Europe/Berlin"
    assert first["partners"]["time_zone"] == "America/New_York"
    options = [slot["start"] for slot in found["slots"][:2]]
    created = post(client, f"/api/v1/mentorships/{pair.pk}/meeting-proposals", {"options": options})
    assert created.status_code == 201, created.json()
    client.force_login(pair.mentee)
    accepted = post(
        client,
        f"/api/v1/meeting-proposals/{created.json()['id']}/accept",
        {"start": options[0], "frequency": "weekly"},
    )
    assert accepted.status_code == 200, accepted.json()
    meetings = client.get(f"/api/v1/mentorships/{pair.pk}/meetings").json()
    assert len(meetings) == 6
    assert meetings[0]["time_zone"] == "America/New_York"
    assert meetings[0]["series_time_zone"] == "Europe/Berlin"
    assert dt.datetime.fromisoformat(meetings[0]["local_start"]) == dt.datetime.fromisoformat(
        options[0]
    )


def test_no_overlap_gives_the_reason_and_no_slot(client, world):
    pair = world["pair"]
    pair.mentee.profile.availability.all().delete()
    client.force_login(pair.mentee)
    found = client.get(f"/api/v1/mentorships/{pair.pk}/slots").json()
    assert found["slots"] == []
    assert found["outcome"] == "no_availability"
    assert "You have no availability" in found["reason"]


READ_STATUS = {
    "anonymous": 401,
    "mentor": 200,
    "mentee": 200,
    "other_mentor": 404,
    "other_manager": 404,
    "manager": 200,
    "staff": 200,
}
PROPOSE_STATUS = {
    "anonymous": 401,
    "mentor": 201,
    "mentee": 201,
    "other_mentor": 404,
    "other_manager": 404,
    "manager": 403,
    "staff": 403,
}


@pytest.mark.parametrize("role", list(READ_STATUS))
def test_reading_meetings_by_role(client, world, role):
    pair = world["pair"]
    as_(client, world, role)
    response = client.get(f"/api/v1/mentorships/{pair.pk}/meetings")
    assert response.status_code == READ_STATUS[role]


@pytest.mark.parametrize("role", list(PROPOSE_STATUS))
def test_proposing_by_role_and_refusals_change_nothing(client, world, role):
    pair = world["pair"]
    start = (
        selectors.find_times(mentorship=pair, viewer=pair.mentor, duration=dt.timedelta(hours=1))
        .slots[0]
        .start
    )
    as_(client, world, role)
    response = post(
        client, f"/api/v1/mentorships/{pair.pk}/meeting-proposals", {"options": [start.isoformat()]}
    )
    assert response.status_code == PROPOSE_STATUS[role]
    expected = 1 if PROPOSE_STATUS[role] == 201 else 0
    assert MeetingProposal.objects.count() == expected


@pytest.mark.parametrize("role", ["mentor", "mentee", "manager", "staff"])
def test_managers_see_the_log_outcome_never_notes(client, world, role):
    pair = world["pair"]
    start = (
        selectors.find_times(mentorship=pair, viewer=pair.mentor, duration=dt.timedelta(hours=1))
        .slots[0]
        .start
    )
    series = services.series_book(mentorship=pair, by=pair.mentor, start=start)
    log = MeetingLog.objects.create(
        series=series,
        recurrence_id="20250303T090000",
        outcome="happened",
        minutes=50,
        shared_notes="Shared",
    )
    MeetingPrivateNote.objects.create(log=log, author=pair.mentor, text="Mine only")
    as_(client, world, role)
    (entry,) = client.get(f"/api/v1/mentorships/{pair.pk}/meeting-logs").json()
    assert entry["outcome"] == "happened"
    assert entry["private_note"] == ("Mine only" if role == "mentor" else None)
    assert entry["shared_notes"] == ("Shared" if role in ("mentor", "mentee") else None)
    assert (
        b"Mine only" not in client.get(f"/api/v1/mentorships/{pair.pk}/meeting-logs").content
        or role == "mentor"
    )

"""The page of one meeting, over roles: the people in it log it, managers see that it
happened and nothing of what was said, everyone else is told it does not exist."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trellis.accounts.tests.factories import StaffFactory
from trellis.mentorships.models import GroupLeaveReason
from trellis.mentorships.services import group_leave
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.models import MeetingLog, MeetingPrivateNote, OccurrenceChange
from trellis.scheduling.tests.helpers import (
    berlin_new_york_pair,
    berlin_new_york_tokyo_group,
    group_people,
    meeting_in,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "mentor", "mentee", "other_mentor", "manager", "other_manager", "staff"]
PARTICIPANTS = {"mentor", "mentee"}
READERS = {"mentor", "mentee", "manager", "staff"}


@pytest.fixture
def world() -> dict[str, Any]:
    pair = berlin_new_york_pair()
    other_pair = berlin_new_york_pair(program=pair.program)
    manager = ProfileFactory().user
    pair.program.managers.add(manager)
    other_manager = ProfileFactory().user
    ProgramFactory().managers.add(other_manager)
    series, recurrence_id = meeting_in(pair, -dt.timedelta(hours=2))
    return {
        "pair": pair,
        "series": series,
        "recurrence_id": recurrence_id,
        "url": f"/meetings/{series.pk}/{recurrence_id}/",
        "anonymous": None,
        "mentor": pair.mentor,
        "mentee": pair.mentee,
        "other_mentor": other_pair.mentor,
        "manager": manager,
        "other_manager": other_manager,
        "staff": StaffFactory(),
    }


def log_form(**fields: Any) -> dict[str, Any]:
    return {
        "outcome": "happened",
        "minutes": "50",
        "shared_notes": "Talked about the move to data science.",
        "next_steps": "Ada drafts her learning plan.",
        "private_note": "",
        **fields,
    }


def logs() -> list[tuple[Any, ...]]:
    return list(
        MeetingLog.objects.order_by("pk").values_list(
            "pk", "outcome", "minutes", "shared_notes", "next_steps", "written_by_id"
        )
    )


@pytest.mark.parametrize("role", ROLES)
def test_the_meeting_page_by_role(client, world, role):
    MeetingLog.objects.create(
        series=world["series"],
        recurrence_id=world["recurrence_id"],
        outcome="happened",
        minutes=45,
        shared_notes="Career path: from physics to data science.",
        written_by=world["mentor"],
    )
    if world[role] is not None:
        client.force_login(world[role])
    response = client.get(world["url"])
    if role == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")
        return
    if role not in READERS:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert "It happened" in body or "Career path" in body
    if role in PARTICIPANTS:
        assert "Career path: from physics to data science." in body
        assert "Save the log" in body
    else:
        assert "It happened, 45 min" in body
        assert "Career path" not in body
        assert "Save the log" not in body


@pytest.mark.parametrize("role", ROLES)
def test_writing_the_log_by_role(client, world, role):
    if world[role] is not None:
        client.force_login(world[role])
    before = logs()
    response = client.post(world["url"], log_form(private_note="Ada seems tired."))
    if role in PARTICIPANTS:
        assert response.status_code == 302
        assert response.url == world["url"]
        log = MeetingLog.objects.get()
        assert (log.outcome, log.minutes, log.written_by) == ("happened", 50, world[role])
        assert log.next_steps == "Ada drafts her learning plan."
        note = MeetingPrivateNote.objects.get()
        assert (note.author, note.text) == (world[role], "Ada seems tired.")
        return
    assert response.status_code in {302, 403, 404}
    if role == "anonymous":
        assert response.url.startswith("/accounts/login/")
    assert logs() == before
    assert not MeetingPrivateNote.objects.exists()


def test_a_private_note_is_its_authors_alone(client, world):
    client.force_login(world["mentor"])
    client.post(world["url"], log_form(private_note="Ada seems tired."))
    client.force_login(world["mentee"])
    body = client.get(world["url"]).content.decode()
    assert "Talked about the move to data science." in body
    assert "Ada seems tired." not in body


def test_bad_input_is_refused_with_a_message_and_keeps_what_was_written(client, world):
    client.force_login(world["mentee"])
    response = client.post(
        world["url"], log_form(outcome="brilliant", minutes="-3", shared_notes="Keep me")
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Select a valid choice" in body
    assert "greater than or equal to 1" in body
    assert "Keep me" in body
    assert logs() == []


def test_a_meeting_is_not_logged_before_it_begins(client, world):
    series, recurrence_id = meeting_in(world["pair"], dt.timedelta(days=2))
    client.force_login(world["mentee"])
    url = f"/meetings/{series.pk}/{recurrence_id}/"
    assert (
        "Write down what came of the meeting once it has begun." in client.get(url).content.decode()
    )
    response = client.post(url, log_form())
    assert response.status_code == 422
    assert "A meeting is logged once it has taken place." in response.content.decode()
    assert logs() == []


def test_a_cancelled_or_unknown_meeting_is_not_found(client, world):
    OccurrenceChange.objects.create(
        series=world["series"], recurrence_id=world["recurrence_id"], is_cancelled=True
    )
    client.force_login(world["mentee"])
    assert client.get(world["url"]).status_code == 404
    assert client.get(f"/meetings/{world['series'].pk}/20200101T090000/").status_code == 404
    assert client.get(f"/meetings/{world['series'].pk}/not-a-date/").status_code == 404
    assert client.get("/meetings/999999/20200101T090000/").status_code == 404


def test_a_member_who_left_the_group_no_longer_sees_its_meetings():
    group = berlin_new_york_tokyo_group()
    people = group_people(group)
    series, recurrence_id = meeting_in(group, -dt.timedelta(hours=3))
    group_leave(mentorship=group, by=people["kenji"], reason=GroupLeaveReason.OTHER, note="Bye")
    from django.test import Client

    url = f"/meetings/{series.pk}/{recurrence_id}/"
    for name, status in (("kenji", 404), ("noah", 200), ("mentor", 200)):
        client = Client()
        client.force_login(people[name])
        assert client.get(url).status_code == status, name


def test_the_schedule_lists_recent_meetings_with_their_page(client, world):
    client.force_login(world["mentee"])
    body = client.get(f"/mentorships/{world['pair'].pk}/schedule/").content.decode()
    assert "Recent meetings" in body
    assert world["url"] in body
    assert "not logged yet" in body


def test_recent_meetings_do_not_add_queries_as_they_grow(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world["mentee"])
    url = f"/mentorships/{world['pair'].pk}/schedule/"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    one = count()
    for days in range(1, 6):
        series, _ = meeting_in(world["pair"], -dt.timedelta(days=days))
        client.post(f"/meetings/{series.pk}/{_}/", log_form())
    body = client.get(url).content.decode()
    assert body.count("data-recent-meeting=") == 6
    assert count() == one

"""The goals API: what it answers, and 422 field errors (never a 500) for bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trellis.goals.models import AgendaItem, CheckIn, Goal
from trellis.goals.tests.helpers import goal_of, meeting_of
from trellis.mentorships.services import mentorship_complete
from trellis.scheduling.tests.helpers import berlin_new_york_pair

pytestmark = pytest.mark.django_db


def send(client: Any, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def test_a_goal_its_milestones_a_meeting_and_a_check_in(client, world, wins_proposed):
    pair = world["pair"]
    client.force_login(pair.mentee)

    created = send(
        client,
        "post",
        f"/api/v1/mentorships/{pair.pk}/goals",
        {"title": "Give a talk", "why": "Be seen", "target_date": "2031-05-01", "value": "Courage"},
    )
    assert created.status_code == 201, created.json()
    goal = created.json()
    assert (goal["owner_id"], goal["progress"], goal["status"]) == (pair.mentee.pk, 0, "active")
    first = send(client, "post", f"/api/v1/goals/{goal['id']}/milestones", {"title": "Abstract"})
    second = send(
        client,
        "post",
        f"/api/v1/goals/{goal['id']}/milestones",
        {"title": "Slides", "due_date": "2031-04-01", "owner_id": pair.mentor.pk},
    )
    assert (first.status_code, second.status_code) == (201, 201)
    series, recurrence_id = meeting_of(pair)
    agenda = f"/api/v1/meetings/{series.pk}/{recurrence_id}/agenda"
    added = send(client, "post", agenda, {"goal_id": goal["id"]})
    assert added.status_code == 201, added.json()

    client.force_login(pair.mentor)
    finished = send(
        client,
        "post",
        f"/api/v1/milestones/{first.json()['id']}/finish",
        {"series_id": series.pk, "recurrence_id": recurrence_id},
    )
    assert finished.status_code == 200, finished.json()
    assert finished.json()["series_id"] == series.pk
    check_in = send(
        client,
        "post",
        f"/api/v1/goals/{goal['id']}/check-ins",
        {
            "status": "on_track",
            "note": "Good",
            "series_id": series.pk,
            "recurrence_id": recurrence_id,
        },
    )
    assert check_in.status_code == 201, check_in.json()
    assert check_in.json()["progress"] == 50

    detail = client.get(f"/api/v1/goals/{goal['id']}").json()
    assert detail["progress"] == 50
    assert [m["title"] for m in detail["milestones"]] == ["Abstract", "Slides"]
    assert [m["is_done"] for m in detail["milestones"]] == [True, False]
    items = client.get(agenda).json()
    assert [(i["goal_title"], i["reviewed_at"] is not None) for i in items] == [
        ("Give a talk", True)
    ]
    assert len(wins_proposed) == 1

    achieved = send(client, "post", f"/api/v1/goals/{goal['id']}/achieve")
    assert (achieved.json()["status"], achieved.json()["progress"]) == ("achieved", 100)


def test_patch_changes_only_what_is_sent_and_null_clears_the_target_date(client, world):
    goal = goal_of(world["pair"], target_date=None, why="Because")
    client.force_login(world["mentor"])

    moved = send(client, "patch", f"/api/v1/goals/{goal.pk}", {"target_date": "2031-01-31"})
    assert moved.json()["target_date"] == "2031-01-31"
    assert moved.json()["why"] == "Because"
    cleared = send(client, "patch", f"/api/v1/goals/{goal.pk}", {"target_date": None})
    assert cleared.json()["target_date"] is None
    manual = send(
        client,
        "patch",
        f"/api/v1/goals/{goal.pk}",
        {"progress_mode": "manual", "manual_progress": 35},
    )
    assert manual.json()["progress"] == 35


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"why": "x" * 2001}, "why"),
        ({"measure": "x" * 1001}, "measure"),
        ({"value": "Greed"}, "value"),
        ({"value": "x" * 500}, "value"),
        ({"manual_progress": 101}, "manual_progress"),
        ({"manual_progress": -1}, "manual_progress"),
        ({"manual_progress": "lots"}, "manual_progress"),
        ({"progress_mode": "vibes"}, "progress_mode"),
        ({"target_date": "soon"}, "target_date"),
        ({"title": ["a", "list"]}, "title"),
    ],
)
def test_bad_goal_changes_get_field_errors(client, world, body, field):
    goal = goal_of(world["pair"])
    client.force_login(world["mentee"])
    before = list(Goal.objects.values())

    response = send(client, "patch", f"/api/v1/goals/{goal.pk}", body)

    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert list(Goal.objects.values()) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "Talk", "owner_id": "me"}, "owner_id"),
        ({"title": "Talk", "target_date": "2031-02-30"}, "target_date"),
    ],
)
def test_bad_new_goals_get_field_errors(client, world, body, field):
    client.force_login(world["mentee"])

    response = send(client, "post", f"/api/v1/mentorships/{world['pair'].pk}/goals", body)

    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert Goal.objects.count() == 0


def test_a_goal_for_someone_else_is_refused(client, world, group_world):
    client.force_login(world["mentee"])
    response = send(
        client,
        "post",
        f"/api/v1/mentorships/{world['pair'].pk}/goals",
        {"title": "Talk", "owner_id": world["mentor"].pk},
    )
    assert response.status_code == 422
    assert "owner_id" in response.json()["errors"]

    group = group_world["group"]
    client.force_login(group.mentor)
    response = send(client, "post", f"/api/v1/mentorships/{group.pk}/goals", {"title": "Talk"})
    assert response.status_code == 422
    assert "owner_id" in response.json()["errors"]
    response = send(
        client,
        "post",
        f"/api/v1/mentorships/{group.pk}/goals",
        {"title": "Talk", "owner_id": group_world["kenji"].pk},
    )
    assert response.status_code == 201
    assert Goal.objects.get().owner == group_world["kenji"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/goals/999999",
        "/api/v1/goals/0",
        "/api/v1/goals/99999999999999999999999999",
        "/api/v1/mentorships/99999999999999999999999999/goals",
        "/api/v1/goals/99999999999999999999999999/check-ins",
        "/api/v1/meetings/99999999999999999999999999/20250317T090000/agenda",
    ],
)
def test_unknown_ids_are_404(client, world, path):
    client.force_login(world["mentee"])

    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "method_and_path",
    [
        ("patch", "/api/v1/milestones/99999999999999999999999999"),
        ("delete", "/api/v1/milestones/0"),
        ("post", "/api/v1/milestones/99999999999999999999999999/finish"),
        ("delete", "/api/v1/agenda-items/99999999999999999999999999"),
    ],
)
def test_unknown_ids_in_writes_are_404(client, world, method_and_path):
    method, path = method_and_path
    client.force_login(world["mentee"])

    assert send(client, method, path, {}).status_code == 404


def test_bad_meetings_and_milestones_get_field_errors(client, world, wins_proposed):
    pair = world["pair"]
    goal = goal_of(pair, milestones=1)
    milestone = goal.milestones.all()[0]
    other_goal = goal_of(berlin_new_york_pair(program=pair.program), milestones=1)
    series, recurrence_id = meeting_of(pair)
    other_series, _other_recurrence_id = meeting_of(other_goal.mentorship)
    client.force_login(pair.mentee)
    agenda = f"/api/v1/meetings/{series.pk}/{recurrence_id}/agenda"

    cases = [
        (
            "post",
            f"/api/v1/milestones/{milestone.pk}/finish",
            {"series_id": other_series.pk},
            "series_id",
        ),
        (
            "post",
            f"/api/v1/milestones/{milestone.pk}/finish",
            {"series_id": series.pk, "recurrence_id": "19990101T090000"},
            "meeting",
        ),
        ("post", f"/api/v1/milestones/{milestone.pk}/finish", {"series_id": "x"}, "series_id"),
        ("post", f"/api/v1/goals/{goal.pk}/check-ins", {}, "status"),
        ("post", f"/api/v1/goals/{goal.pk}/check-ins", {"status": "fine"}, "status"),
        (
            "post",
            f"/api/v1/goals/{goal.pk}/check-ins",
            {"status": "on_track", "progress": 20},
            "progress",
        ),
        (
            "post",
            f"/api/v1/goals/{goal.pk}/check-ins",
            {"status": "on_track", "note": "x" * 2001},
            "note",
        ),
        ("post", f"/api/v1/goals/{goal.pk}/milestones", {"title": ""}, "title"),
        (
            "post",
            f"/api/v1/goals/{goal.pk}/milestones",
            {"title": "A", "owner_id": 424242},
            "owner_id",
        ),
        (
            "post",
            f"/api/v1/goals/{goal.pk}/milestones",
            {"title": "A", "due_date": "tomorrow"},
            "due_date",
        ),
        ("patch", f"/api/v1/milestones/{milestone.pk}", {"title": None}, "title"),
        (
            "patch",
            f"/api/v1/milestones/{milestone.pk}",
            {"owner_id": other_goal.owner_id},
            "owner_id",
        ),
        ("post", agenda, {"goal_id": other_goal.pk}, "goal_id"),
        ("post", agenda, {"goal_id": 99999999999999999999999}, "goal_id"),
        (
            "post",
            agenda,
            {"goal_id": goal.pk, "milestone_id": other_goal.milestones.all()[0].pk},
            "milestone_id",
        ),
        ("post", agenda, {}, "goal_id"),
        ("post", agenda, ["not", "an", "object"], None),
    ]
    for method, path, body, field in cases:
        response = send(client, method, path, body)
        assert response.status_code == 422, (path, body, response.content)
        if field is not None:
            assert field in response.json()["errors"], (path, body, response.json())
    assert CheckIn.objects.count() == 0
    assert AgendaItem.objects.count() == 0
    assert wins_proposed == []


def test_agenda_of_a_cancelled_or_unknown_meeting_is_404_and_duplicates_422(client, world):
    pair = world["pair"]
    goal = goal_of(pair)
    series, recurrence_id = meeting_of(pair)
    client.force_login(pair.mentee)

    assert client.get(f"/api/v1/meetings/{series.pk}/garbage/agenda").status_code == 404
    assert client.get(f"/api/v1/meetings/{series.pk}/19990101T090000/agenda").status_code == 404
    agenda = f"/api/v1/meetings/{series.pk}/{recurrence_id}/agenda"
    assert send(client, "post", agenda, {"goal_id": goal.pk}).status_code == 201
    again = send(client, "post", agenda, {"goal_id": goal.pk})
    assert again.status_code == 422
    assert "already on the meeting's agenda" in json.dumps(again.json())
    item = AgendaItem.objects.get()
    assert send(client, "delete", f"/api/v1/agenda-items/{item.pk}").status_code == 204
    assert client.get(agenda).json() == []


def test_a_finished_mentorship_answers_422_with_the_reason(client, world, wins_proposed):
    pair = world["pair"]
    goal = goal_of(pair, milestones=1)
    mentorship_complete(mentorship=pair, by=pair.mentor)
    client.force_login(pair.mentee)

    response = send(client, "post", f"/api/v1/goals/{goal.pk}/check-ins", {"status": "on_track"})

    assert response.status_code == 422
    assert "This mentorship has finished" in json.dumps(response.json())
    assert client.get(f"/api/v1/goals/{goal.pk}").status_code == 200
    assert CheckIn.objects.count() == 0


def test_milestones_move_by_position(client, world):
    goal = goal_of(world["pair"], milestones=3)
    last = goal.milestones.all()[2]
    client.force_login(world["mentee"])

    response = send(client, "patch", f"/api/v1/milestones/{last.pk}", {"position": 0})

    assert response.status_code == 200
    titles = [m["title"] for m in client.get(f"/api/v1/goals/{goal.pk}").json()["milestones"]]
    assert titles == ["Step 3", "Step 1", "Step 2"]


def test_the_finish_body_is_optional(client, world, wins_proposed):
    goal = goal_of(world["pair"], milestones=1)
    client.force_login(world["mentee"])

    response = client.post(
        f"/api/v1/milestones/{goal.milestones.all()[0].pk}/finish", content_type="application/json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["is_done"] is True
    assert response.json()["series_id"] is None

"""Who reaches goals, over roles: every page and every endpoint at /api/v1/.

The pair read and write; the program's managers and staff read goals, milestones and
progress (never check-in notes) and write nothing (403); anyone else gets 404, as for
a goal that does not exist. A refused write changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.template import Context, RequestContext, Template
from django.test import RequestFactory

from trellis.goals import services
from trellis.goals.models import AgendaItem, CheckIn, Goal, Milestone
from trellis.goals.tests.helpers import goal_of, meeting_of

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "mentor",
    "mentee",
    "other_mentor",
    "other_mentee",
    "manager",
    "other_manager",
    "staff",
]
WRITERS = {"mentor", "mentee"}
READERS = {"mentor", "mentee", "manager", "staff"}
SECRET = "Worried about the deadline"


@pytest.fixture
def things(world, wins_proposed) -> dict[str, Any]:
    """Noah's goal: one milestone done, one open; a check-in with a note; a meeting agenda."""
    pair = world["pair"]
    goal = goal_of(pair, milestones=2)
    done, open_ = goal.milestones.all()
    services.milestone_finish(milestone=done, by=pair.mentee)
    services.check_in_add(goal=goal, by=pair.mentee, status="at_risk", note=SECRET)
    series, recurrence_id = meeting_of(pair)
    item = services.agenda_item_add(
        series=series, recurrence_id=recurrence_id, goal=goal, by=pair.mentee
    )
    return {
        "m": pair.pk,
        "g": goal.pk,
        "done": done.pk,
        "open": open_.pk,
        "s": series.pk,
        "r": recurrence_id,
        "i": item.pk,
        "series": series,
    }


def snapshot() -> tuple[list[Any], ...]:
    return (
        list(Goal.objects.order_by("pk").values()),
        list(Milestone.objects.order_by("pk").values()),
        list(CheckIn.objects.order_by("pk").values()),
        list(AgendaItem.objects.order_by("pk").values()),
    )


def sign_in(client: Any, user: Any) -> None:
    if user is not None:
        client.force_login(user)


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.url.startswith("/accounts/login/")


# Pages ------------------------------------------------------------------------------------

READ_PAGES = ["/mentorships/{m}/goals/", "/goals/{g}/"]
WRITE_PAGES = [
    ("/mentorships/{m}/goals/", {"title": "Write a blog post"}),
    ("/goals/{g}/edit/", {"title": "Renamed", "progress_mode": "milestones"}),
    ("/goals/{g}/achieve/", {}),
    ("/goals/{g}/drop/", {}),
    ("/goals/{g}/milestones/", {"title": "One more step"}),
    ("/goals/milestones/{open}/edit/", {"title": "Renamed step"}),
    ("/goals/milestones/{open}/finish/", {}),
    ("/goals/milestones/{done}/reopen/", {}),
    ("/goals/milestones/{open}/up/", {}),
    ("/goals/milestones/{done}/down/", {}),
    ("/goals/milestones/{open}/delete/", {}),
    ("/goals/{g}/check-ins/", {"status": "on_track", "note": "Going well"}),
    ("/goals/meetings/{s}/{r}/agenda/", {"item": "milestone:{open}"}),
    ("/goals/agenda-items/{i}/remove/", {}),
]


def fill(template: str, things: dict[str, Any]) -> str:
    return template.format(**things)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", READ_PAGES)
def test_reading_pages_by_role(client, world, things, role, path):
    sign_in(client, world[role])

    response = client.get(fill(path, things))

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in READERS:
        assert response.status_code == 200
        assert "Give a conference talk" in response.content.decode()
    else:
        assert response.status_code == 404
        assert "Give a conference talk" not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_check_in_notes_are_for_the_pair_only(client, world, things, role):
    sign_in(client, world[role])

    response = client.get(fill("/goals/{g}/", things))

    if role in WRITERS:
        assert SECRET in response.content.decode()
    elif role in READERS:
        page = response.content.decode()
        assert SECRET not in page
        assert "At risk" in page
        assert "Step 1" in page


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "data"), WRITE_PAGES)
def test_writing_pages_by_role(client, world, things, role, path, data):
    sign_in(client, world[role])
    before = snapshot()
    form = {key: fill(value, things) for key, value in data.items()}

    response = client.post(fill(path, things), form)

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in WRITERS:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert snapshot() != before
        return
    elif role in READERS:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["page", "api"])
def test_reopening_an_achieved_goal_by_role(client, world, things, role, kind):
    services.goal_achieve(goal=Goal.objects.get(), by=world["mentee"])
    sign_in(client, world[role])
    before = snapshot()

    if kind == "page":
        response = client.post(fill("/goals/{g}/reopen/", things))
        success = 302
    else:
        response = client.post(fill("/api/v1/goals/{g}/reopen", things))
        success = 200

    if role in WRITERS:
        assert response.status_code == success
        assert Goal.objects.get().status == "active"
        return
    if role == "anonymous":
        assert is_login_redirect(response) if kind == "page" else response.status_code == 401
    else:
        assert response.status_code == (403 if role in READERS else 404)
    assert snapshot() == before


def test_readers_see_no_controls(client, world, things):
    client.force_login(world["manager"])

    list_page = client.get(fill("/mentorships/{m}/goals/", things)).content.decode()
    goal_page = client.get(fill("/goals/{g}/", things)).content.decode()

    assert "Set the goal" not in list_page
    for control in ("Mark done", "Add the check-in", "Add the milestone", "Edit the goal"):
        assert control not in goal_page


def test_in_a_group_other_members_read_and_a_former_member_sees_nothing(
    client, group_world, wins_proposed
):
    group = group_world["group"]
    goal = goal_of(group, owner=group_world["noah"], milestones=1)
    services.check_in_add(goal=goal, by=group_world["noah"], status="on_track", note=SECRET)
    milestone = goal.milestones.all()[0]
    before = snapshot()

    client.force_login(group_world["kenji"])
    page = client.get(f"/goals/{goal.pk}/")
    assert page.status_code == 200
    assert SECRET in page.content.decode()
    assert "Mark done" not in page.content.decode()
    assert client.post(f"/goals/milestones/{milestone.pk}/finish/").status_code == 403
    assert client.post(f"/goals/{goal.pk}/edit/", {"title": "Kenji's"}).status_code == 403
    assert client.post(f"/goals/{goal.pk}/check-ins/", {"status": "off_track"}).status_code == 403
    # A member sets their own goals only: the form has no "Whose goal".
    response = client.post(
        f"/mentorships/{group.pk}/goals/", {"title": "Mine", "owner": goal.owner_id}
    )
    assert response.status_code == 302
    assert Goal.objects.latest("pk").owner == group_world["kenji"]
    Goal.objects.filter(owner=group_world["kenji"]).delete()

    client.force_login(group_world["lena"])
    assert client.get(f"/goals/{goal.pk}/").status_code == 404
    assert client.get(f"/mentorships/{group.pk}/goals/").status_code == 404
    assert client.post(f"/goals/milestones/{milestone.pk}/finish/").status_code == 404
    assert snapshot() == before


def test_the_groups_mentor_sets_a_goal_for_a_member(client, group_world):
    group = group_world["group"]
    client.force_login(group_world["mentor"])

    response = client.post(
        f"/mentorships/{group.pk}/goals/",
        {"title": "Lead the demo", "owner": group_world["kenji"].pk},
    )

    assert response.status_code == 302
    assert Goal.objects.get().owner == group_world["kenji"]


# The meeting page's part ------------------------------------------------------------------


def render_meeting_goals(user: Any, series: Any, recurrence_id: str) -> str:
    request = RequestFactory().get(f"/meetings/{series.pk}/{recurrence_id}/")
    request.user = user
    template = Template("{% load goals_tags %}{% meeting_goals series recurrence_id %}")
    context = RequestContext(request, {"series": series, "recurrence_id": recurrence_id})
    context.update({"user": user})
    return template.render(context)


@pytest.mark.parametrize("role", ["mentor", "mentee", "manager", "staff", "other_mentor"])
def test_the_meeting_goals_by_role(world, things, role):
    services.check_in_add(
        goal=Goal.objects.get(),
        by=world["mentee"],
        status="on_track",
        note="Said in the meeting",
        series=things["series"],
        recurrence_id=things["r"],
    )

    html = render_meeting_goals(world[role], things["series"], things["r"])

    if role == "other_mentor":
        assert "Give a conference talk" not in html
        return
    assert "Give a conference talk" in html
    assert "What moved in this meeting" in html
    assert ("Said in the meeting" in html) == (role in WRITERS)
    assert ("Add the check-in" in html) == (role in WRITERS)
    assert ("Add to the agenda" in html) == (role in WRITERS)


def test_the_mentorship_section_offers_to_set_a_goal_to_writers_only(world, things):
    template = Template("{% load goals_tags %}{% goals_mentorship_section mentorship %}")
    pair = world["pair"]
    for role, offered in (("mentee", True), ("mentor", True), ("manager", False)):
        html = template.render(Context({"mentorship": pair, "user": world[role]}))
        assert "Give a conference talk" in html
        assert 'role="progressbar"' in html or "<progress" in html
        assert ("Set a goal" in html) == offered


# API --------------------------------------------------------------------------------------

READ_ENDPOINTS = [
    "/api/v1/mentorships/{m}/goals",
    "/api/v1/goals/{g}",
    "/api/v1/goals/{g}/check-ins",
    "/api/v1/meetings/{s}/{r}/agenda",
]
WRITE_ENDPOINTS = [
    ("post", "/api/v1/mentorships/{m}/goals", {"title": "Write a blog post"}, 201),
    ("patch", "/api/v1/goals/{g}", {"title": "Renamed"}, 200),
    ("post", "/api/v1/goals/{g}/achieve", None, 200),
    ("post", "/api/v1/goals/{g}/drop", None, 200),
    ("post", "/api/v1/goals/{g}/milestones", {"title": "More"}, 201),
    ("patch", "/api/v1/milestones/{open}", {"title": "Renamed", "position": 0}, 200),
    ("delete", "/api/v1/milestones/{open}", None, 204),
    ("post", "/api/v1/milestones/{open}/finish", {}, 200),
    ("post", "/api/v1/milestones/{done}/reopen", None, 200),
    ("post", "/api/v1/goals/{g}/check-ins", {"status": "on_track", "note": "Fine"}, 201),
    ("post", "/api/v1/meetings/{s}/{r}/agenda", {"goal_id": "{g}", "milestone_id": "{open}"}, 201),
    ("delete", "/api/v1/agenda-items/{i}", None, 204),
]


def call(client: Any, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def fill_body(body: Any, things: dict[str, Any]) -> Any:
    if body is None:
        return None
    return {
        key: int(fill(value, things)) if isinstance(value, str) and value.startswith("{") else value
        for key, value in body.items()
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", READ_ENDPOINTS)
def test_reading_endpoints_by_role(client, world, things, role, path):
    sign_in(client, world[role])

    response = client.get(fill(path, things))

    expected = 401 if role == "anonymous" else 200 if role in READERS else 404
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "success"), WRITE_ENDPOINTS)
def test_writing_endpoints_by_role(client, world, things, role, method, path, body, success):
    sign_in(client, world[role])
    before = snapshot()

    response = call(client, method, fill(path, things), fill_body(body, things))

    if role in WRITERS:
        assert response.status_code == success, response.content
        assert snapshot() != before
        return
    expected = 401 if role == "anonymous" else 403 if role in READERS else 404
    assert response.status_code == expected, response.content
    assert snapshot() == before


@pytest.mark.parametrize("role", ["mentor", "mentee", "manager", "staff"])
def test_check_in_notes_in_the_api_are_for_the_pair_only(client, world, things, role):
    client.force_login(world[role])

    check_ins = client.get(fill("/api/v1/goals/{g}/check-ins", things)).json()

    assert [c["status"] for c in check_ins] == ["at_risk"]
    assert check_ins[0]["note"] == (SECRET if role in WRITERS else None)
    assert check_ins[0]["progress"] == 50


def test_in_a_group_another_member_is_refused_writes_by_the_api(client, group_world):
    goal = goal_of(group_world["group"], owner=group_world["noah"], milestones=1)
    before = snapshot()
    client.force_login(group_world["kenji"])

    assert client.get(f"/api/v1/goals/{goal.pk}").status_code == 200
    assert call(client, "patch", f"/api/v1/goals/{goal.pk}", {"title": "x"}).status_code == 403
    response = call(client, "post", f"/api/v1/goals/{goal.pk}/check-ins", {"status": "on_track"})
    assert response.status_code == 403
    client.force_login(group_world["lena"])
    assert client.get(f"/api/v1/goals/{goal.pk}").status_code == 404
    assert snapshot() == before

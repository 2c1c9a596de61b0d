"""Who reaches a plan, over roles: the pages and the API at /api/v1/.

A mentorship's plan: the pair read and tick it; the program's managers and staff read it
(403 on ticking); everyone else gets 404. Templates: the program's managers and staff;
everyone else 404. A refused write changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from trellis.mentorships.models import GroupLeaveReason
from trellis.mentorships.services import group_leave
from trellis.plans import services
from trellis.plans.models import (
    MentorshipPlanItem,
    PlanStep,
    PlanTemplate,
    ProgramPlan,
    StepKind,
)
from trellis.plans.tests.conftest import start_plan
from trellis.scheduling.tests.helpers import berlin_new_york_tokyo_group, group_people

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
PARTICIPANTS = {"mentor", "mentee"}
READERS = {"manager", "staff"}
MANAGERS = {"manager", "staff"}


def sign_in(client: Any, user: Any) -> None:
    if user is not None:
        client.force_login(user)


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.url.startswith("/accounts/login/")


def api(client: Any, method: str, path: str, body: Any = None) -> Any:
    call = getattr(client, method)
    if body is None:
        return call(f"/api/v1{path}")
    return call(f"/api/v1{path}", data=json.dumps(body), content_type="application/json")


def items_state(mentorship) -> list[tuple[Any, ...]]:
    return list(
        MentorshipPlanItem.objects.filter(plan__mentorship=mentorship)
        .order_by("pk")
        .values_list("pk", "done_at", "done_by", "goal")
    )


def templates_state() -> list[tuple[Any, ...]]:
    templates = list(
        PlanTemplate.objects.order_by("pk").values_list("pk", "name", "description", "archived_at")
    )
    steps = list(
        PlanStep.objects.order_by("pk").values_list("pk", "template", "day", "title", "position")
    )
    choices = list(ProgramPlan.objects.order_by("pk").values_list("pk", "template", "is_enabled"))
    return [templates, steps, choices]


@pytest.fixture
def planned(world) -> dict[str, Any]:
    start_plan(world["pair"])
    start_plan(world["other_pair"])
    plan = world["pair"].connection_plan
    return {
        **world,
        "plan": plan,
        "prompt": plan.items.get(kind=StepKind.PROMPT, day=14),
        "goal_item": plan.items.get(kind=StepKind.GOAL),
    }


# The timeline and the mentorship page -------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_timeline_page_by_role(client, planned, role):
    sign_in(client, planned[role])

    response = client.get(f"/mentorships/{planned['pair'].pk}/plan/")

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in PARTICIPANTS | READERS:
        assert response.status_code == 200
        page = response.content.decode()
        assert "Talk about the career path" in page
        assert ("data-done-button" in page) == (role in PARTICIPANTS)
    else:
        assert response.status_code == 404
        assert "Talk about the career path" not in response.content.decode()


@pytest.mark.parametrize("role", ["mentor", "mentee", "manager", "staff"])
def test_the_mentorship_page_shows_the_plan_card(client, planned, role):
    sign_in(client, planned[role])

    response = client.get(f"/mentorships/{planned['pair'].pk}/")

    page = response.content.decode()
    assert "data-plan-section" in page
    assert f"/mentorships/{planned['pair'].pk}/plan/" in page


@pytest.mark.parametrize("role", ROLES)
def test_ticking_by_role(client, planned, role):
    item = planned["prompt"]
    sign_in(client, planned[role])
    before = items_state(planned["pair"])

    response = client.post(
        f"/mentorships/{planned['pair'].pk}/plan/items/{item.pk}/done/", {"done": "true"}
    )

    if role in PARTICIPANTS:
        assert response.status_code == 302
        item.refresh_from_db()
        assert item.done_by == planned[role]
        return
    assert items_state(planned["pair"]) == before
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in READERS:
        assert response.status_code == 403
    else:
        assert response.status_code == 404


def test_ticking_with_htmx_answers_the_item(client, planned):
    item = planned["prompt"]
    client.force_login(planned["mentee"])

    response = client.post(
        f"/mentorships/{planned['pair'].pk}/plan/items/{item.pk}/done/",
        {"done": "true"},
        headers={"HX-Request": "true", "HX-Target": f"item-{item.pk}"},
    )

    assert response.status_code == 200
    assert response.templates[0].name == "plans/_item.html"
    assert 'aria-pressed="true"' in response.content.decode()
    response = client.post(
        f"/mentorships/{planned['pair'].pk}/plan/items/{item.pk}/done/",
        {"done": "false"},
        headers={"HX-Request": "true"},
    )
    item.refresh_from_db()
    assert item.done_at is None
    assert item.done_by is None


def test_an_item_of_another_mentorship_is_not_found_through_this_one(client, planned):
    other_item = planned["other_pair"].connection_plan.items.first()
    client.force_login(planned["mentor"])

    response = client.post(
        f"/mentorships/{planned['pair'].pk}/plan/items/{other_item.pk}/done/", {"done": "true"}
    )

    assert response.status_code == 404
    other_item.refresh_from_db()
    assert other_item.done_at is None


@pytest.mark.parametrize("role", ROLES)
def test_adding_a_suggested_goal_by_role(client, planned, role):
    from trellis.goals.models import Goal

    item = planned["goal_item"]
    sign_in(client, planned[role])

    response = client.post(f"/mentorships/{planned['pair'].pk}/plan/items/{item.pk}/goal/")

    if role in PARTICIPANTS:
        assert response.status_code == 302
        goal = Goal.objects.get()
        assert (goal.owner, goal.title) == (planned["mentee"], item.title)
        item.refresh_from_db()
        assert item.goal == goal
        return
    assert not Goal.objects.exists()
    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in READERS:
        assert response.status_code == 403
    else:
        assert response.status_code == 404


def test_a_suggested_goal_is_added_once(client, planned):
    from trellis.goals.models import Goal

    item = planned["goal_item"]
    client.force_login(planned["mentee"])
    url = f"/mentorships/{planned['pair'].pk}/plan/items/{item.pk}/goal/"
    client.post(url)

    response = client.post(url, follow=True)

    assert Goal.objects.count() == 1
    assert "already added" in response.content.decode()


def test_a_finished_mentorships_plan_is_read_only(client, planned):
    pair = planned["pair"]
    pair.status = "completed"
    pair.save()
    client.force_login(planned["mentee"])

    page = client.get(f"/mentorships/{pair.pk}/plan/").content.decode()
    response = client.post(
        f"/mentorships/{pair.pk}/plan/items/{planned['prompt'].pk}/done/",
        {"done": "true"},
        follow=True,
    )

    assert "data-done-button" not in page
    assert "kept as it was" in response.content.decode()
    htmx = client.post(
        f"/mentorships/{pair.pk}/plan/items/{planned['prompt'].pk}/done/",
        {"done": "true"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 200  # htmx swaps it in: the reason shows in an alert
    assert 'role="alert"' in htmx.content.decode()
    assert "data-done-button" not in htmx.content.decode()
    planned["prompt"].refresh_from_db()
    assert planned["prompt"].done_at is None


# Groups -----------------------------------------------------------------------------------


@pytest.fixture
def group_world():
    group = berlin_new_york_tokyo_group()
    people = group_people(group)
    start_plan(group)
    group_leave(mentorship=group, by=people["kenji"], reason=GroupLeaveReason.OTHER, note="Bye")
    group.refresh_from_db()
    return {"group": group, **people}


def test_a_member_who_left_no_longer_sees_the_plan(client, group_world):
    group = group_world["group"]

    client.force_login(group_world["noah"])
    assert client.get(f"/mentorships/{group.pk}/plan/").status_code == 200
    client.force_login(group_world["kenji"])
    assert client.get(f"/mentorships/{group.pk}/plan/").status_code == 404
    assert api(client, "get", f"/mentorships/{group.pk}/plan").status_code == 404


def test_in_a_group_the_mentor_chooses_whose_goal_and_a_member_adds_their_own(client, group_world):
    from trellis.goals.models import Goal

    group, mentor, noah = group_world["group"], group_world["mentor"], group_world["noah"]
    item = group.connection_plan.items.filter(kind=StepKind.GOAL).first()
    url = f"/mentorships/{group.pk}/plan/items/{item.pk}/goal/"
    client.force_login(mentor)

    page = client.get(f"/mentorships/{group.pk}/plan/").content.decode()
    assert f'<option value="{noah.pk}">' in page
    response = client.post(url, follow=True)  # no member chosen
    assert "Choose the member" in response.content.decode()
    assert not Goal.objects.exists()

    client.post(url, {"owner": noah.pk})
    assert Goal.objects.get().owner == noah

    second = group.connection_plan.items.filter(kind=StepKind.GOAL)[1]
    client.force_login(noah)
    response = client.post(
        f"/api/v1/plan-items/{second.pk}/goal",
        data=json.dumps({"owner_id": mentor.pk}),
        content_type="application/json",
    )
    assert response.status_code == 422
    response = api(client, "post", f"/plan-items/{second.pk}/goal", {})
    assert response.status_code == 201
    assert Goal.objects.get(pk=response.json()["goal_id"]).owner == noah


# The API: a mentorship's plan ------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_api_plan_by_role(client, planned, role):
    sign_in(client, planned[role])

    response = api(client, "get", f"/mentorships/{planned['pair'].pk}/plan")

    if role == "anonymous":
        assert response.status_code == 401
    elif role in PARTICIPANTS | READERS:
        assert response.status_code == 200
        body = response.json()
        assert body["name"] == "Our plan"
        assert [item["day"] for item in body["items"]] == [0, 0, 7, 14, 60]
    else:
        assert response.status_code == 404


def test_api_plan_dates_are_in_the_viewers_zone(client, planned):
    client.force_login(planned["mentor"])
    mentor_items = api(client, "get", f"/mentorships/{planned['pair'].pk}/plan").json()["items"]
    client.force_login(planned["mentee"])
    body = api(client, "get", f"/mentorships/{planned['pair'].pk}/plan").json()

    assert body["time_zone"] == "America/Los_Angeles"
    assert mentor_items[3]["date"] == "2031-03-18"  # Kolkata
    assert body["items"][3]["date"] == "2031-03-17"  # Los Angeles
    assert body["items"][3]["week"] == 3


@pytest.mark.parametrize("role", ROLES)
def test_api_tick_by_role(client, planned, role):
    item = planned["prompt"]
    sign_in(client, planned[role])
    before = items_state(planned["pair"])

    response = api(client, "patch", f"/plan-items/{item.pk}", {"done": True})

    if role in PARTICIPANTS:
        assert response.status_code == 200
        assert response.json()["is_done"] is True
        assert response.json()["done_by_id"] == planned[role].pk
        return
    assert items_state(planned["pair"]) == before
    expected = {"anonymous": 401, "manager": 403, "staff": 403}.get(role, 404)
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_api_goal_by_role(client, planned, role):
    from trellis.goals.models import Goal

    sign_in(client, planned[role])

    response = api(client, "post", f"/plan-items/{planned['goal_item'].pk}/goal", {})

    if role in PARTICIPANTS:
        assert response.status_code == 201
        assert Goal.objects.get().owner == planned["mentee"]
        return
    assert not Goal.objects.exists()
    expected = {"anonymous": 401, "manager": 403, "staff": 403}.get(role, 404)
    assert response.status_code == expected


@pytest.mark.parametrize(
    "body",
    [{}, {"done": "maybe"}, {"done": None}, {"done": [1]}, "nonsense"],
)
def test_api_tick_bad_input(client, planned, body):
    client.force_login(planned["mentee"])
    before = items_state(planned["pair"])

    if body == "nonsense":
        response = client.patch(
            f"/api/v1/plan-items/{planned['prompt'].pk}", data="{", content_type="application/json"
        )
    else:
        response = api(client, "patch", f"/plan-items/{planned['prompt'].pk}", body)

    assert response.status_code in (400, 422)
    assert items_state(planned["pair"]) == before


def test_api_unknown_ids_are_not_found(client, planned):
    client.force_login(planned["staff"])

    assert api(client, "get", "/mentorships/999999/plan").status_code == 404
    assert api(client, "patch", "/plan-items/999999", {"done": True}).status_code == 404
    assert api(client, "post", "/plan-items/999999/goal", {}).status_code == 404
    assert api(client, "get", "/plans/999999").status_code == 404
    assert api(client, "patch", "/plan-steps/999999", {"title": "x"}).status_code == 404
    assert api(client, "delete", "/plan-steps/999999").status_code == 404
    assert api(client, "get", "/programs/nope/plans").status_code == 404


def test_api_suggested_goal_only_on_goal_items(client, planned):
    client.force_login(planned["mentee"])

    response = api(client, "post", f"/plan-items/{planned['prompt'].pk}/goal", {})

    assert response.status_code == 422


# The managers' pages -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_managers_page_by_role(client, world, role):
    sign_in(client, world[role])

    response = client.get("/programs/bridges/manage/plans/")

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in MANAGERS:
        assert response.status_code == 200
        page = response.content.decode()
        assert "Distance mentoring: the first six months" in page
        assert "Our plan" in page
    else:
        assert response.status_code == 404


def _manager_posts(world) -> list[tuple[str, dict[str, Any]]]:
    template = world["template"]
    step = template.steps.first()
    builtin = PlanTemplate.objects.get(program=None, kind="standard")
    base = "/programs/bridges/manage/plans/"
    return [
        (base, {"name": "New one", "description": "", "kind": "standard"}),
        (f"{base}use/", {"template": builtin.pk}),
        (f"{base}use/", {"template": "off"}),
        (f"{base}{builtin.pk}/copy/", {}),
        (f"{base}{template.pk}/", {"action": "rename", "name": "Renamed", "kind": "standard"}),
        (
            f"{base}{template.pk}/",
            {"action": "add_step", "day": 3, "kind": "prompt", "title": "Hello"},
        ),
        (
            f"{base}{template.pk}/steps/{step.pk}/",
            {"day": 1, "kind": "agenda", "title": "T", "body": "B"},
        ),
        (f"{base}{template.pk}/steps/{step.pk}/move/", {"direction": "down"}),
        (f"{base}{template.pk}/steps/{step.pk}/delete/", {}),
        (f"{base}{template.pk}/archive/", {"archive": "true"}),
    ]


@pytest.mark.parametrize("role", [r for r in ROLES if r not in MANAGERS])
def test_managers_writes_refused_to_others_change_nothing(client, world, role):
    sign_in(client, world[role])
    before = templates_state()

    for url, data in _manager_posts(world):
        response = client.post(url, data)
        if role == "anonymous":
            assert is_login_redirect(response), url
        else:
            assert response.status_code == 404, url

    assert templates_state() == before


@pytest.mark.parametrize("role", sorted(MANAGERS))
def test_managers_writes_work_for_managers(client, world, role):
    sign_in(client, world[role])

    for url, data in _manager_posts(world):
        response = client.post(url, data)
        assert response.status_code == 302, (url, response.content.decode()[:2000])

    assert PlanTemplate.objects.filter(program=world["program"], name="New one").exists()


def test_a_built_in_cannot_be_changed_through_the_pages(client, world):
    builtin = PlanTemplate.objects.get(program=None, kind="standard")
    step = builtin.steps.first()
    client.force_login(world["manager"])
    before = templates_state()
    base = f"/programs/bridges/manage/plans/{builtin.pk}/"

    assert (
        client.post(base, {"action": "rename", "name": "Mine", "kind": "standard"}).status_code
        == 403
    )
    assert client.post(base, {"day": 1, "kind": "prompt", "title": "Hi"}).status_code == 403
    assert client.get(f"{base}steps/{step.pk}/").status_code == 404
    client.post(f"{base}steps/{step.pk}/delete/")
    client.post(f"{base}archive/")
    assert templates_state() == before


def test_another_programs_template_is_not_found(client, world):
    from trellis.programs.models import Program

    elsewhere = Program.objects.get(slug="elsewhere")
    theirs = PlanTemplate.objects.create(program=elsewhere, name="Theirs")
    client.force_login(world["manager"])
    before = templates_state()

    assert client.get(f"/programs/bridges/manage/plans/{theirs.pk}/").status_code == 404
    assert client.post(f"/programs/bridges/manage/plans/{theirs.pk}/copy/").status_code == 404
    assert (
        client.post("/programs/bridges/manage/plans/use/", {"template": theirs.pk}).status_code
        == 404
    )
    assert api(client, "get", f"/plans/{theirs.pk}").status_code == 404
    assert api(client, "post", f"/programs/bridges/plans/{theirs.pk}/use").status_code == 404
    assert (
        api(client, "post", f"/plans/{theirs.pk}/copy", {"program": "bridges"}).status_code == 404
    )
    assert templates_state() == before


# The API: templates --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_api_templates_by_role(client, world, role):
    sign_in(client, world[role])
    template = world["template"]
    step = template.steps.first()
    builtin = PlanTemplate.objects.get(program=None, kind="reverse")
    before = templates_state()

    calls = [
        ("get", "/programs/bridges/plans", None, 200),
        ("post", "/programs/bridges/plans", {"name": "Via API"}, 201),
        ("get", f"/plans/{template.pk}", None, 200),
        ("patch", f"/plans/{template.pk}", {"description": "New words"}, 200),
        ("post", f"/plans/{builtin.pk}/copy", {"program": "bridges"}, 201),
        ("post", f"/programs/bridges/plans/{builtin.pk}/use", None, 200),
        ("post", f"/plans/{template.pk}/steps", {"day": 2, "kind": "prompt", "title": "Hi"}, 201),
        ("patch", f"/plan-steps/{step.pk}", {"title": "Better"}, 200),
        ("delete", f"/plan-steps/{step.pk}", None, 204),
    ]
    for method, path, body, success in calls:
        response = api(
            client, method, path, body if body is not None else ({} if method == "post" else None)
        )
        if role == "anonymous":
            assert response.status_code == 401, path
        elif role in MANAGERS:
            assert response.status_code == success, (path, response.content)
        else:
            assert response.status_code == 404, path
    if role not in MANAGERS:
        assert templates_state() == before


def test_api_built_ins_are_read_only(client, world):
    builtin = PlanTemplate.objects.get(program=None, kind="standard")
    step = builtin.steps.first()
    client.force_login(world["manager"])
    before = templates_state()

    assert api(client, "get", f"/plans/{builtin.pk}").status_code == 200
    assert api(client, "patch", f"/plans/{builtin.pk}", {"name": "Mine"}).status_code == 403
    assert api(client, "patch", f"/plans/{builtin.pk}", {"is_archived": True}).status_code == 403
    assert (
        api(
            client, "post", f"/plans/{builtin.pk}/steps", {"day": 1, "kind": "prompt", "title": "x"}
        ).status_code
        == 403
    )
    assert api(client, "patch", f"/plan-steps/{step.pk}", {"title": "x"}).status_code == 403
    assert api(client, "delete", f"/plan-steps/{step.pk}").status_code == 403
    assert api(client, "post", f"/plans/{builtin.pk}/copy", {}).status_code == 422
    assert templates_state() == before


def test_api_built_ins_are_hidden_from_people_who_manage_nothing(client, world):
    builtin = PlanTemplate.objects.get(program=None, kind="standard")
    client.force_login(world["mentor"])

    assert api(client, "get", f"/plans/{builtin.pk}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"day": 1, "kind": "prompt", "title": ""}, "title"),
        ({"day": 1, "kind": "prompt", "title": "x" * 201}, "title"),
        ({"day": -1, "kind": "prompt", "title": "x"}, "day"),
        ({"day": 731, "kind": "prompt", "title": "x"}, "day"),
        ({"day": "soon", "kind": "prompt", "title": "x"}, "day"),
        ({"day": 1, "kind": "poem", "title": "x"}, "kind"),
        ({"day": 1, "kind": "resource", "title": "x"}, "url"),
        ({"day": 1, "kind": "resource", "title": "x", "url": "http://example.org"}, "url"),
        ({"day": 1, "kind": "resource", "title": "x", "url": "javascript:alert(1)"}, "url"),
        ({"day": 1, "kind": "guide", "title": "x", "body": "  "}, "body"),
        ({"day": 1, "kind": "prompt", "title": "x", "body": "y" * 4001}, "body"),
        ({"day": 1, "kind": "prompt", "title": None}, "title"),
        ({"kind": "prompt", "title": "x"}, "day"),
    ],
)
def test_api_step_bad_input_is_422_with_the_field(client, world, body, field):
    client.force_login(world["manager"])
    before = templates_state()

    response = api(client, "post", f"/plans/{world['template'].pk}/steps", body)

    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert templates_state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "n" * 121}, "name"),
        ({"name": "Our plan"}, "name"),  # taken
        ({"name": "Fine", "kind": "sideways"}, "kind"),
        ({"name": "Fine", "description": "d" * 1001}, "description"),
        ({}, "name"),
    ],
)
def test_api_template_bad_input_is_422_with_the_field(client, world, body, field):
    client.force_login(world["manager"])
    before = templates_state()

    response = api(client, "post", "/programs/bridges/plans", body)

    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert templates_state() == before


def test_api_archiving_the_template_in_use_is_refused(client, world):
    client.force_login(world["manager"])

    response = api(client, "patch", f"/plans/{world['template'].pk}", {"is_archived": True})

    assert response.status_code == 422
    world["template"].refresh_from_db()
    assert world["template"].archived_at is None


def test_api_move_a_step_among_its_day(client, world):
    template = world["template"]
    client.force_login(world["manager"])
    kickoff, goal = template.steps.filter(day=0).order_by("position")

    response = api(client, "patch", f"/plan-steps/{goal.pk}", {"move": "up"})

    assert response.status_code == 200
    assert list(template.steps.filter(day=0).order_by("position").values_list("pk", flat=True)) == [
        goal.pk,
        kickoff.pk,
    ]
    response = api(client, "patch", f"/plan-steps/{goal.pk}", {"move": "up"})
    assert response.status_code == 422
    assert "first step of day 0" in response.json()["errors"]["direction"][0]


def test_services_refuse_people_who_do_not_manage(world):
    from trellis.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        services.plan_template_create(program=world["program"], by=world["mentor"], name="Mine")
    with pytest.raises(PermissionDeniedError):
        services.program_plan_choose(
            program=world["program"], by=world["other_manager"], template=None
        )
    assert templates_state()[0][-1][1] == "Our plan"

"""The timeline, the mentorship card and the managers' pages: content, validation, queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trellis.plans import selectors, services
from trellis.plans.models import MentorshipPlanItem, PlanStep, PlanTemplate, StepKind
from trellis.plans.tests.conftest import START, start_plan

pytestmark = pytest.mark.django_db


def grow(plan, count: int, *, done_by=None) -> None:
    """Add count more items, every other one done (by someone) to load them too."""
    MentorshipPlanItem.objects.bulk_create(
        MentorshipPlanItem(
            plan=plan,
            day=100 + number,
            kind=StepKind.RESOURCE if number % 3 else StepKind.GUIDE,
            title=f"Item {number}",
            body="Read it.\n\nThen talk.",
            url="https://example.org/x",
            due_on=dt.date(2031, 6, 1),
            done_at=timezone.now() if number % 2 else None,
            done_by=done_by if number % 2 else None,
        )
        for number in range(count)
    )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["mentee", "manager"])
def test_the_timeline_costs_the_same_queries_however_long_the_plan(client, world, role):
    pair = world["pair"]
    plan = start_plan(pair)
    client.force_login(world[role])
    url = f"/mentorships/{pair.pk}/plan/"
    few = queries_for(client, url)

    grow(plan, 30, done_by=world["mentor"])
    many = queries_for(client, url)

    assert many == few


def test_the_mentorship_card_costs_the_same_queries_however_long_the_plan(client, world):
    pair = world["pair"]
    plan = start_plan(pair)
    client.force_login(world["mentor"])
    url = f"/mentorships/{pair.pk}/"
    few = queries_for(client, url)

    grow(plan, 30, done_by=world["mentee"])
    many = queries_for(client, url)

    assert many == few
    with CaptureQueriesContext(connection) as queries:
        selectors.plan_section(mentorship=pair, viewer=world["mentor"])
    assert len(queries) == 2


def test_the_timeline_groups_by_week_and_marks_today(client, world):
    pair = world["pair"]
    start_plan(pair)
    client.force_login(world["mentee"])

    now = START + dt.timedelta(days=9)  # day 9 in Los Angeles: week 2
    timeline = selectors.plan_timeline(mentorship=pair, viewer=world["mentee"], now=now)

    assert [week.number for week in timeline.weeks] == [1, 2, 3, 9]
    assert timeline.today_day == 9
    prompt = pair.connection_plan.items.get(day=14)
    assert timeline.marker_before == prompt.pk
    page = client.get(f"/mentorships/{pair.pk}/plan/").content.decode()
    assert "Week 1" in page
    assert "Week 3" in page
    assert "Week 9" in page
    # Before the start (in 2031), the marker stands before the first item.
    assert page.index("data-today-marker") < page.index("Kickoff")


def test_item_text_is_escaped_and_kept_in_paragraphs(client, world):
    pair = world["pair"]
    template = world["template"]
    services.plan_step_create(
        template=template,
        by=world["manager"],
        day=1,
        kind=StepKind.GUIDE,
        title="<b>Bold</b> claims",
        body="First <script>alert(1)</script>\n\nSecond paragraph",
    )
    start_plan(pair)
    client.force_login(world["mentee"])

    page = client.get(f"/mentorships/{pair.pk}/plan/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;Bold&lt;/b&gt; claims" in page
    assert "<p>Second paragraph</p>" in page


def test_the_card_shows_what_is_due_now_and_next(world):
    pair, mentee = world["pair"], world["mentee"]
    plan = start_plan(pair)
    now = START + dt.timedelta(days=9)

    section = selectors.plan_section(mentorship=pair, viewer=mentee, now=now)

    # The earliest open items up to today, then the next one.
    assert [entry.item.title for entry in section.due] == [
        "Kickoff",
        "Know where I want to be",
        "Talk about the career path",
    ]
    services.plan_item_set_done(item=plan.items.get(title="Kickoff"), by=mentee, is_done=True)
    section = selectors.plan_section(mentorship=pair, viewer=mentee, now=now)
    assert [entry.item.title for entry in section.due] == [
        "Know where I want to be",
        "Read this",
        "Talk about the career path",
    ]
    assert (section.done_count, section.total) == (1, 5)


def test_a_mentorship_without_a_plan_says_so(client, world):
    client.force_login(world["mentor"])

    page = client.get(f"/mentorships/{world['pair'].pk}/plan/").content.decode()
    card = client.get(f"/mentorships/{world['pair'].pk}/").content.decode()

    assert "has no connection plan" in page
    assert "has no connection plan" in card


# Managers -------------------------------------------------------------------------------------


def test_the_managers_page_lists_the_template_in_use_and_the_built_ins(client, world):
    client.force_login(world["manager"])

    response = client.get("/programs/bridges/manage/plans/")

    page = response.content.decode()
    assert response.context["plans"].in_use == world["template"]
    assert "Reverse mentoring: the junior person teaches" in page
    assert 'aria-current="page">Connection plan</a>' in page


def test_bad_step_input_is_explained_and_loses_nothing(client, world):
    template = world["template"]
    client.force_login(world["manager"])
    before = PlanStep.objects.count()

    response = client.post(
        f"/programs/bridges/manage/plans/{template.pk}/",
        {
            "action": "add_step",
            "day": "12",
            "kind": "resource",
            "title": "A reading",
            "body": "Long careful text\n\nwith paragraphs",
            "url": "http://insecure.example.org",
        },
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "https://" in page
    assert 'role="alert"' in page
    form = response.context["step_form"]
    assert "url" in form.errors
    assert form["title"].value() == "A reading"
    assert "Long careful text" in page
    assert PlanStep.objects.count() == before


def test_a_resource_without_an_address_and_a_guide_without_text_are_refused(client, world):
    template = world["template"]
    client.force_login(world["manager"])
    url = f"/programs/bridges/manage/plans/{template.pk}/"

    resource = client.post(url, {"day": 2, "kind": "resource", "title": "Read"})
    guide = client.post(url, {"day": 2, "kind": "guide", "title": "Talk"})
    late = client.post(url, {"day": 999, "kind": "prompt", "title": "Late"})

    assert resource.context["step_form"].errors["url"] == [
        "A resource needs its web address (https://…)."
    ]
    assert "body" in guide.context["step_form"].errors
    assert "day" in late.context["step_form"].errors
    assert not template.steps.filter(day__in=[2, 999]).exists()


def test_copy_edit_and_use_a_built_in(client, world):
    builtin = PlanTemplate.objects.get(program=None, kind="standard")
    client.force_login(world["manager"])

    response = client.post(f"/programs/bridges/manage/plans/{builtin.pk}/copy/")
    copy = PlanTemplate.objects.get(program=world["program"], copied_from=builtin)
    assert response.url == f"/programs/bridges/manage/plans/{copy.pk}/"
    assert copy.name == "Distance mentoring: the first six months (copy)"
    assert copy.steps.count() == builtin.steps.count()

    client.post(f"/programs/bridges/manage/plans/{builtin.pk}/copy/")
    assert PlanTemplate.objects.filter(
        program=world["program"], name="Distance mentoring: the first six months (copy 2)"
    ).exists()

    client.post(
        f"/programs/bridges/manage/plans/{copy.pk}/",
        {"action": "add_step", "day": 3, "kind": "prompt", "title": "Say hello"},
    )
    client.post("/programs/bridges/manage/plans/use/", {"template": copy.pk})
    assert services.program_plan_template(program=world["program"]) == copy
    assert copy.steps.filter(title="Say hello").exists()
    assert builtin.steps.filter(title="Say hello").exists() is False


def test_step_moves_stay_within_their_day(world):
    template, manager = world["template"], world["manager"]
    kickoff, goal = template.steps.filter(day=0).order_by("position")
    resource = template.steps.get(day=7)

    services.plan_step_move(step=kickoff, by=manager, offset=1)

    assert list(template.steps.filter(day=0).order_by("position")) == [goal, kickoff]
    with pytest.raises(Exception, match="first step of day 7"):
        services.plan_step_move(step=resource, by=manager, offset=-1)
    page_rows = selectors.template_steps(template=template)
    assert [(row.can_move_up, row.can_move_down) for row in page_rows[:3]] == [
        (False, True),
        (True, False),
        (False, False),
    ]


def test_archive_and_restore(client, world):
    manager, program = world["manager"], world["program"]
    spare = services.plan_template_create(program=program, by=manager, name="Spare")
    client.force_login(manager)

    client.post(f"/programs/bridges/manage/plans/{spare.pk}/archive/", {"archive": "true"})
    spare.refresh_from_db()
    assert spare.is_archived
    assert client.get("/programs/bridges/manage/plans/").context["plans"].archived == [spare]

    # An archived template cannot be chosen nor changed, and the name is free again.
    response = client.post(
        "/programs/bridges/manage/plans/use/", {"template": spare.pk}, follow=True
    )
    assert "Restore this template" in response.content.decode()
    services.plan_template_create(program=program, by=manager, name="Spare")

    client.post(
        f"/programs/bridges/manage/plans/{spare.pk}/archive/", {"archive": "false"}, follow=True
    )
    spare.refresh_from_db()
    assert spare.is_archived  # the name is taken by the new one
    assert (
        client.post(f"/programs/bridges/manage/plans/{world['template'].pk}/archive/").status_code
        == 302
    )
    world["template"].refresh_from_db()
    assert not world["template"].is_archived  # in use


def test_the_managers_pages_cost_flat_queries(client, world):
    client.force_login(world["manager"])
    template = world["template"]
    url = f"/programs/bridges/manage/plans/{template.pk}/"
    few_home = queries_for(client, "/programs/bridges/manage/plans/")
    few = queries_for(client, url)

    for number in range(20):
        PlanStep.objects.create(
            template=template, day=number, kind=StepKind.PROMPT, title=f"P{number}"
        )
        PlanTemplate.objects.create(program=world["program"], name=f"T{number}")

    assert queries_for(client, url) == few
    assert queries_for(client, "/programs/bridges/manage/plans/") == few_home

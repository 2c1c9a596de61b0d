"""Plan timelines: which plan a mentorship gets, and when each prompt reaches each person."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.agreements.selectors import PersonHours
from trellis.mentorships.models import GroupLeaveReason, MentorshipSource, MentorshipStatus
from trellis.mentorships.services import (
    group_leave,
    mentorship_complete,
    mentorship_pause,
    mentorship_resume,
    mentorship_start,
)
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.notifications.models import Reminder
from trellis.plans import services
from trellis.plans.builtins import BUILTINS, REVERSE_STEPS, STANDARD_STEPS
from trellis.plans.models import MentorshipPlan, MentorshipPlanItem, PlanStep, StepKind
from trellis.plans.tests.conftest import START, STEPS, plan_template, start_plan
from trellis.programs.models import ProgramType
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.slots import ContactHours

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def prompt(plan, title):
    return plan.items.get(kind=StepKind.PROMPT, title=title)


def pending(mentorship) -> dict[tuple[str, int], dt.datetime]:
    """(item title, recipient id) → fire_at of the mentorship's pending plan reminders."""
    reminders = Reminder.objects.filter(
        key__startswith=f"plan:{mentorship.pk}:", sent_at__isnull=True, cancelled_at__isnull=True
    )
    titles = {
        f"plan:{mentorship.pk}:{item.pk}": item.title
        for item in MentorshipPlanItem.objects.filter(plan__mentorship=mentorship)
    }
    return {(titles[r.key], r.recipient_id): r.fire_at for r in reminders}


# When a prompt fires -----------------------------------------------------------------------


def test_a_day_14_prompt_reaches_each_person_on_their_own_day_inside_their_hours(world):
    pair, mentor, mentee = world["pair"], world["mentor"], world["mentee"]
    start_plan(pair)

    count = services.plan_prompts_schedule(mentorship=pair, now=START)

    assert count == 4  # two prompts, two people
    assert pending(pair) == {
        # Kolkata: day 0 is Tuesday 4 March (01:30 local at the start), so day 14 is
        # Tuesday 18 March; her hours open at 18:00 IST = 12:30 UTC.
        ("Talk about the career path", mentor.pk): utc(2031, 3, 18, 12, 30),
        # Los Angeles: day 0 is Monday 3 March, day 14 Monday 17 March; his hours are
        # 07:00-10:00 on weekdays, so 09:00 PDT (summer time since 9 March) = 16:00 UTC.
        ("Talk about the career path", mentee.pk): utc(2031, 3, 17, 16, 0),
        # Day 60: Saturday 3 May in Kolkata (her hours hold every day), Friday 2 May in LA.
        ("Mid-point review", mentor.pk): utc(2031, 5, 3, 12, 30),
        ("Mid-point review", mentee.pk): utc(2031, 5, 2, 16, 0),
    }
    reminder = Reminder.objects.get(
        recipient=mentee,
        key__endswith=":" + str(prompt(pair.connection_plan, "Talk about the career path").pk),
    )
    assert reminder.title == "Connection plan: Talk about the career path"
    assert reminder.url == f"/mentorships/{pair.pk}/plan/"


def test_a_prompt_on_a_day_off_comes_at_nine_and_early_hours_at_their_opening(world):
    pair, mentee = world["pair"], world["mentee"]
    template = world["template"]
    # Day 19 is Saturday 22 March in Los Angeles: no contact hours that day.
    template.steps.create(day=19, kind=StepKind.PROMPT, title="Weekend thought", position=9)
    start_plan(pair)

    services.plan_prompts_schedule(mentorship=pair, user=mentee, now=START)

    assert pending(pair)[("Weekend thought", mentee.pk)] == utc(2031, 3, 22, 16, 0)


@pytest.mark.parametrize(
    ("hours", "expected_local"),
    [
        (None, dt.time(9)),  # nobody said when: 09:00
        (ContactHours(start=dt.time(12), end=dt.time(14)), dt.time(12)),  # later opening
        (ContactHours(start=dt.time(8), end=dt.time(17)), dt.time(9)),  # open at nine
        (ContactHours(start=dt.time(6), end=dt.time(8, 30)), dt.time(6)),  # only before nine
        (ContactHours(start=dt.time(9), end=dt.time(17), weekdays=frozenset({5})), dt.time(9)),
    ],
)
def test_prompt_fire_at(hours, expected_local):
    day = dt.date(2031, 3, 17)  # a Monday
    person = None if hours is None else PersonHours("Asia/Kolkata", hours, None, None)

    fired = services.prompt_fire_at(day=day, time_zone="Asia/Kolkata", hours=person)

    expected = dt.datetime.combine(day, expected_local, tzinfo=dt.timezone(dt.timedelta(hours=5.5)))
    assert fired == expected.astimezone(UTC)


def test_quiet_hours_push_a_prompt_past_them():
    hours = PersonHours("America/Los_Angeles", None, dt.time(22), dt.time(11))

    fired = services.prompt_fire_at(
        day=dt.date(2031, 3, 17), time_zone="America/Los_Angeles", hours=hours
    )

    assert fired == utc(2031, 3, 17, 18, 0)  # 11:00 PDT


def test_prompts_whose_moment_has_passed_are_not_sent(world):
    pair = world["pair"]
    start_plan(pair)

    count = services.plan_prompts_schedule(mentorship=pair, now=START + dt.timedelta(days=30))

    assert count == 2
    assert {title for title, _ in pending(pair)} == {"Mid-point review"}


def test_scheduling_twice_moves_instead_of_adding(world):
    pair = world["pair"]
    start_plan(pair)
    services.plan_prompts_schedule(mentorship=pair, now=START)
    services.plan_prompts_schedule(mentorship=pair, now=START)

    assert Reminder.objects.filter(key__startswith=f"plan:{pair.pk}:").count() == 4


def test_a_prompt_ticked_done_is_no_longer_sent(world):
    pair, mentee = world["pair"], world["mentee"]
    plan = start_plan(pair)
    services.plan_prompts_schedule(mentorship=pair, now=START)
    item = prompt(plan, "Talk about the career path")

    services.plan_item_set_done(item=item, by=mentee, is_done=True)

    assert {title for title, _ in pending(pair)} == {"Mid-point review"}
    assert services.plan_prompts_schedule(mentorship=pair, now=START) == 2


# The mentorship's life -------------------------------------------------------------------


def test_pause_cancels_the_prompts_and_resume_schedules_those_ahead(
    world, django_capture_on_commit_callbacks
):
    pair, mentor = world["pair"], world["mentor"]
    start_plan(pair)
    services.plan_prompts_schedule(mentorship=pair, now=START)

    with django_capture_on_commit_callbacks(execute=True):
        mentorship_pause(mentorship=pair, by=mentor)
    assert pending(pair) == {}
    assert Reminder.objects.filter(cancelled_at__isnull=False).count() == 4

    # The start is in 2031: every prompt is still ahead, so all four come back.
    with django_capture_on_commit_callbacks(execute=True):
        mentorship_resume(mentorship=pair, by=mentor)
    assert len(pending(pair)) == 4
    assert pending(pair)[("Talk about the career path", mentor.pk)] == utc(2031, 3, 18, 12, 30)


def test_a_paused_mentorship_schedules_nothing(world):
    pair = world["pair"]
    start_plan(pair)
    pair.status = MentorshipStatus.PAUSED
    pair.save()

    assert services.plan_prompts_schedule(mentorship=pair, now=START) == 0


def test_finishing_cancels_the_pending_prompts_and_no_other_mentorships(
    world, django_capture_on_commit_callbacks
):
    pair, other = world["pair"], world["other_pair"]
    for mentorship in (pair, other):
        start_plan(mentorship)
        services.plan_prompts_schedule(mentorship=mentorship, now=START)

    with django_capture_on_commit_callbacks(execute=True):
        mentorship_complete(mentorship=pair, by=world["mentor"])

    assert pending(pair) == {}
    assert len(pending(other)) == 4


def test_starting_through_the_service_applies_the_plan_and_schedules_after_commit(
    world, django_capture_on_commit_callbacks
):
    program = world["program"]
    mentor = mentor_in(program, time_zone="Asia/Kolkata")
    mentee = mentee_in(program, time_zone="America/Los_Angeles")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        mentorship = mentorship_start(
            program=program,
            mentor=mentor,
            mentee=mentee,
            source=MentorshipSource.MANAGER,
            score=None,
            reasons=[],
            by=world["manager"],
        )

    assert callbacks
    plan = MentorshipPlan.objects.get(mentorship=mentorship)
    assert plan.template == world["template"]
    assert [item.title for item in plan.items.order_by("day", "position")] == [
        title for _day, _kind, title in STEPS
    ]
    assert len(pending(mentorship)) == 4


def test_group_members_who_join_get_the_prompts_and_those_who_leave_lose_theirs(
    django_capture_on_commit_callbacks,
):
    program = ProgramFactory(program_type=ProgramType.GROUP, default_mentor_capacity=6)
    manager = mentor_in(ProgramFactory())
    program.managers.add(manager)
    template = plan_template(program, steps=STEPS)
    services.program_plan_choose(program=program, by=manager, template=template)
    mentor = mentor_in(program, capacity=6, time_zone="Asia/Kolkata")
    first = mentee_in(program, time_zone="America/Los_Angeles")
    second = mentee_in(program, time_zone="Europe/Berlin")

    def join(mentee):
        with django_capture_on_commit_callbacks(execute=True):
            return mentorship_start(
                program=program,
                mentor=mentor,
                mentee=mentee,
                source=MentorshipSource.MANAGER,
                score=None,
                reasons=[],
                by=None,
            )

    group = join(first)
    assert {recipient for _title, recipient in pending(group)} == {mentor.pk, first.pk}

    join(second)
    assert MentorshipPlan.objects.filter(mentorship=group).count() == 1
    assert {recipient for _title, recipient in pending(group)} == {
        mentor.pk,
        first.pk,
        second.pk,
    }

    with django_capture_on_commit_callbacks(execute=True):
        group_leave(mentorship=group, by=second, reason=GroupLeaveReason.OTHER, note="Moving")
    assert {recipient for _title, recipient in pending(group)} == {mentor.pk, first.pk}
    assert len(pending(group)) == 4


# Which plan, once ---------------------------------------------------------------------------


def test_starting_twice_keeps_one_plan(world, django_capture_on_commit_callbacks):
    pair = world["pair"]
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.plan_on_mentorship(mentorship=pair, event="started")

    assert MentorshipPlan.objects.filter(mentorship=pair).count() == 1
    assert MentorshipPlanItem.objects.filter(plan__mentorship=pair).count() == len(STEPS)
    assert len(pending(pair)) == 4
    assert Reminder.objects.filter(key__startswith=f"plan:{pair.pk}:").count() == 4


def test_a_proposed_mentorship_gets_no_plan_until_it_starts(world):
    pair = world["pair"]
    pair.status = MentorshipStatus.PROPOSED
    pair.save()

    assert services.plan_apply(mentorship=pair) is None
    assert not MentorshipPlan.objects.filter(mentorship=pair).exists()


def test_editing_the_template_later_changes_no_running_plan(world):
    pair, template, manager = world["pair"], world["template"], world["manager"]
    plan = start_plan(pair)
    before = list(plan.items.values_list("day", "kind", "title", "body"))

    step = template.steps.get(title="Talk about the career path")
    services.plan_step_update(step=step, by=manager, data={"title": "Something else", "day": 3})
    services.plan_step_delete(step=template.steps.get(title="Kickoff"), by=manager)
    services.plan_step_create(
        template=template, by=manager, day=5, kind=StepKind.PROMPT, title="New"
    )
    services.plan_template_update(template=template, by=manager, data={"name": "Renamed"})

    plan.refresh_from_db()
    assert list(plan.items.values_list("day", "kind", "title", "body")) == before
    assert plan.name == "Our plan"


def test_a_program_without_a_choice_gets_the_standard_built_in(world):
    program = ProgramFactory()
    mentorship = MentorshipFactory(program=program)

    plan = start_plan(mentorship)

    assert plan.name == BUILTINS["standard"]["name"]
    assert plan.template.program is None
    assert plan.items.count() == len(STANDARD_STEPS)
    career = plan.items.get(title="Week 2: talk about the career path")
    assert (career.kind, career.day) == (StepKind.PROMPT, 10)


def test_a_reverse_mentoring_program_gets_the_reverse_variant(world):
    program = ProgramFactory(program_type=ProgramType.REVERSE)
    mentorship = MentorshipFactory(program=program)

    plan = start_plan(mentorship)

    assert plan.name == BUILTINS["reverse"]["name"]
    assert plan.items.count() == len(REVERSE_STEPS)


def test_a_program_that_turned_plans_off_gets_none(world):
    program, manager = world["program"], world["manager"]
    services.program_plan_choose(program=program, by=manager, template=None, is_enabled=False)

    services.plan_on_mentorship(mentorship=world["pair"], event="started")

    assert not MentorshipPlan.objects.filter(mentorship=world["pair"]).exists()


def test_a_missing_built_in_is_put_back(world):
    from trellis.plans.models import PlanTemplate

    PlanTemplate.objects.filter(program=None).delete()
    mentorship = MentorshipFactory(program=ProgramFactory())

    plan = start_plan(mentorship)

    assert plan.items.count() == len(STANDARD_STEPS)
    assert PlanTemplate.objects.filter(program=None).count() == 2


def test_a_start_costs_its_transaction_no_query_and_the_task_a_fixed_few(
    world, django_capture_on_commit_callbacks
):
    template = world["template"]
    for number in range(40):
        PlanStep.objects.create(
            template=template, day=number, kind=StepKind.GOAL, title=f"Goal {number}"
        )
    mentorships = [MentorshipFactory(program=world["program"]) for _ in range(3)]

    with (
        django_capture_on_commit_callbacks() as callbacks,
        CaptureQueriesContext(connection) as in_transaction,
    ):
        for mentorship in mentorships:
            services.plan_on_mentorship(mentorship=mentorship, event="started")
    assert len(in_transaction) == 0

    with CaptureQueriesContext(connection) as applying:
        for mentorship in mentorships:
            services.plan_apply(mentorship=mentorship)
    assert len(applying) <= 3 * 7  # savepoints included
    assert MentorshipPlanItem.objects.filter(plan__mentorship__in=mentorships).count() == 3 * 45
    assert len(callbacks) == 3


def test_the_built_ins_are_real_text():
    for builtin in BUILTINS.values():
        kinds = {step["kind"] for step in builtin["steps"]}
        assert kinds == {"agenda", "guide", "prompt", "goal", "resource"}
        for step in builtin["steps"]:
            assert 0 <= step["day"] <= 730
            assert len(step["title"]) <= 200
            assert len(step["body"]) <= 4000
            assert len(step["body"]) >= 40, step["title"]
            assert step.get("url", "https://").startswith("https://")

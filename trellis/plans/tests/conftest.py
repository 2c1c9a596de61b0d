"""Worlds for the plans tests: a pair across India and California, neighbours, a group."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trellis.accounts.tests.factories import StaffFactory
from trellis.agreements.models import Agreement, AgreementPart
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.plans import services
from trellis.plans.models import PlanTemplate, StepKind
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory

# Monday 3 March 2031, 20:00 UTC: already Tuesday 01:30 in Kolkata, Monday noon in Los
# Angeles. Los Angeles moves to summer time on Sunday 9 March, before day 14.
START = dt.datetime(2031, 3, 3, 20, 0, tzinfo=dt.UTC)


def plan_template(program, *, by=None, name="Our plan", steps=()) -> PlanTemplate:
    """A template of program's with steps given as (day, kind, title) tuples."""
    template = PlanTemplate.objects.create(program=program, name=name, created_by=by)
    for position, (day, kind, title) in enumerate(steps):
        template.steps.create(
            day=day,
            kind=kind,
            title=title,
            body="Some text." if kind in (StepKind.AGENDA, StepKind.GUIDE) else "",
            url="https://example.org/read" if kind == StepKind.RESOURCE else "",
            position=position,
        )
    return template


STEPS = (
    (0, StepKind.AGENDA, "Kickoff"),
    (0, StepKind.GOAL, "Know where I want to be"),
    (7, StepKind.RESOURCE, "Read this"),
    (14, StepKind.PROMPT, "Talk about the career path"),
    (60, StepKind.PROMPT, "Mid-point review"),
)


def hours_in_agreement(mentorship, user, *, time_zone, start, end, weekdays=(0, 1, 2, 3, 4)):
    agreement, _ = Agreement.objects.get_or_create(mentorship=mentorship)
    AgreementPart.objects.create(
        agreement=agreement,
        user=user,
        time_zone=time_zone,
        contact_weekdays=list(weekdays),
        contact_hours_start=start,
        contact_hours_end=end,
    )


def start_plan(mentorship) -> Any:
    """What the task after a mentorship's start does first: apply the program's plan.

    The prompts are scheduled by each test (plan_prompts_schedule with its own now).
    """
    services.plan_apply(mentorship=mentorship)
    return mentorship.connection_plan


@pytest.fixture
def world(db) -> dict[str, Any]:
    """Priya mentors Leo: she in Kolkata (evenings), he in Los Angeles (weekday mornings).

    The program uses its own template with a day-14 prompt; another pair in the same
    program; a manager of it, one of another program, staff.
    """
    program = ProgramFactory(slug="bridges", name="Bridges")
    manager = ProfileFactory(display_name="Manon Manager").user
    program.managers.add(manager)
    other_manager = ProfileFactory().user
    ProgramFactory(slug="elsewhere").managers.add(other_manager)
    mentor = mentor_in(
        program,
        display_name="Priya",
        time_zone="Asia/Kolkata",
        contact_hours_start=dt.time(18),
        contact_hours_end=dt.time(21),
    )
    mentee = mentee_in(program, display_name="Leo", time_zone="America/Los_Angeles")
    pair = MentorshipFactory(program=program, mentor=mentor, mentee=mentee, started_at=START)
    hours_in_agreement(
        pair, mentee, time_zone="America/Los_Angeles", start=dt.time(7), end=dt.time(10)
    )
    template = plan_template(program, by=manager, steps=STEPS)
    services.program_plan_choose(program=program, by=manager, template=template)
    other_pair = MentorshipFactory(
        program=program,
        mentor=mentor_in(program, display_name="Olga"),
        mentee=mentee_in(program, display_name="Ben"),
        started_at=START,
    )
    return {
        "program": program,
        "template": template,
        "pair": pair,
        "other_pair": other_pair,
        "anonymous": None,
        "mentor": mentor,
        "mentee": mentee,
        "other_mentor": other_pair.mentor,
        "other_mentee": other_pair.mentee,
        "manager": manager,
        "other_manager": other_manager,
        "staff": StaffFactory(),
    }

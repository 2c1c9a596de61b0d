import pytest

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.agreements.services import agreement_get_or_create
from trellis.agreements.tests.helpers import group_of, group_program
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.notifications.models import Notification
from trellis.programs.tests.factories import ProgramFactory


@pytest.fixture
def world():
    """A pair with their agreement, another pair, managers of both programs, staff."""
    program = ProgramFactory(slug="garden", name="Garden")
    manager = UserFactory()
    program.managers.add(manager)
    other_manager = UserFactory()
    ProgramFactory(slug="elsewhere", managers=[other_manager])
    mentor = mentor_in(
        program,
        display_name="Maria Mentor",
        time_zone="Europe/Berlin",
        city="Berlin",
        country="DE",
    )
    mentee = mentee_in(
        program,
        display_name="Ada Mentee",
        time_zone="America/New_York",
        city="New York",
        country="US",
        goals="<p>Learn to lead a team</p><script>alert(1)</script>",
    )
    mentorship = MentorshipFactory(program=program, mentor=mentor, mentee=mentee)
    other_mentor = mentor_in(program, display_name="Olga Mentor")
    other_mentee = mentee_in(program, display_name="Ben Mentee")
    other_mentorship = MentorshipFactory(program=program, mentor=other_mentor, mentee=other_mentee)
    return {
        "program": program,
        "mentorship": mentorship,
        "agreement": agreement_get_or_create(mentorship),
        "mentor": mentor,
        "mentee": mentee,
        "other_mentor": other_mentor,
        "other_mentorship": other_mentorship,
        "manager": manager,
        "other_manager": other_manager,
        "staff": StaffFactory(),
        "outsider": UserFactory(),
    }


@pytest.fixture
def group_world():
    """A mentor's group of three in Berlin, another group, managers of two programs, staff."""
    program = group_program(slug="circle", name="Circle")
    manager = UserFactory()
    program.managers.add(manager)
    other_manager = UserFactory()
    ProgramFactory(slug="elsewhere", managers=[other_manager])
    berlin = {"time_zone": "Europe/Berlin", "city": "Berlin", "country": "DE"}
    mentor = mentor_in(program, display_name="Maria Mentor", **berlin)
    ada = mentee_in(program, display_name="Ada Member", goals="<p>Lead a team</p>", **berlin)
    ben = mentee_in(program, display_name="Ben Member", goals="<p>Give a talk</p>", **berlin)
    cy = mentee_in(program, display_name="Cy Member", **berlin)
    group = group_of(program, mentor, [ada, ben, cy])
    other_mentor = mentor_in(program, display_name="Olga Mentor")
    other_member = mentee_in(program, display_name="Otto Member")
    other_group = group_of(program, other_mentor, [other_member])
    Notification.objects.all().delete()
    return {
        "program": program,
        "group": group,
        "agreement": agreement_get_or_create(group),
        "mentor": mentor,
        "ada": ada,
        "ben": ben,
        "cy": cy,
        "other_mentor": other_mentor,
        "other_member": other_member,
        "other_group": other_group,
        "manager": manager,
        "other_manager": other_manager,
        "staff": StaffFactory(),
        "outsider": UserFactory(),
    }

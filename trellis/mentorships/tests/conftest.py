import pytest

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.programs.models import EnrollmentStatus, Role
from trellis.programs.tests.factories import EnrollmentFactory, ProgramFactory


@pytest.fixture
def program():
    return ProgramFactory(slug="garden", name="Garden", default_mentor_capacity=2)


@pytest.fixture
def world(program):
    """A program with a manager, two mentors, three mentees, outsiders and staff."""
    manager = UserFactory()
    program.managers.add(manager)
    other_manager = UserFactory()
    ProgramFactory(slug="elsewhere", managers=[other_manager])
    pending = UserFactory()
    EnrollmentFactory(
        program=program, user=pending, role=Role.MENTEE, status=EnrollmentStatus.PENDING
    )
    return {
        "program": program,
        "manager": manager,
        "other_manager": other_manager,
        "mentor": mentor_in(program, display_name="Maria Mentor"),
        "other_mentor": mentor_in(program, display_name="Olga Mentor"),
        "mentee": mentee_in(program, display_name="Ada Mentee"),
        "other_mentee": mentee_in(program, display_name="Ben Mentee"),
        "third_mentee": mentee_in(program, display_name="Cy Mentee"),
        "pending": pending,
        "outsider": UserFactory(),
        "staff": StaffFactory(),
    }

import pytest

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.models import EnrollmentStatus, Role
from trellis.programs.tests.factories import EnrollmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/"


def test_new_person_is_asked_to_complete_their_profile(client):
    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 200
    assert b"Complete your profile" in response.content
    assert b"You have not joined a program yet." in response.content


def test_participant_sees_their_programs_and_status(client):
    profile = ProfileFactory()
    approved = EnrollmentFactory(user=profile.user, program__name="Alpha Mentoring")
    EnrollmentFactory(
        user=profile.user, program__name="Beta <b>Circle</b>", status=EnrollmentStatus.PENDING
    )
    EnrollmentFactory(user=profile.user, program__name="Gone", status=EnrollmentStatus.LEFT)
    client.force_login(profile.user)
    content = client.get("/").content.decode()
    assert "Complete your profile" not in content
    assert "Alpha Mentoring" in content
    assert f"/programs/{approved.program.slug}/" in content
    assert "Beta &lt;b&gt;Circle&lt;/b&gt;" in content
    assert "Waiting for approval" in content
    assert "Gone" not in content
    assert "Programs I manage" not in content


def test_manager_sees_the_review_queue_of_their_programs_only(client):
    manager = UserFactory()
    mine = ProgramFactory(name="Mine", managers=[manager])
    other = ProgramFactory(name="Someone else's")
    for _ in range(3):
        EnrollmentFactory(program=mine, status=EnrollmentStatus.PENDING)
    EnrollmentFactory(program=mine, status=EnrollmentStatus.APPROVED)
    EnrollmentFactory(program=other, status=EnrollmentStatus.PENDING)
    client.force_login(manager)
    content = client.get("/").content.decode()
    assert "Programs I manage" in content
    assert "3 waiting for review" in content
    assert "Someone else&#x27;s" not in content


def test_staff_sees_every_program_to_manage(client):
    ProgramFactory(name="First")
    ProgramFactory(name="Second")
    client.force_login(StaffFactory())
    content = client.get("/").content.decode()
    assert "First" in content
    assert "Second" in content


@pytest.mark.parametrize("size", [2, 20])
def test_dashboard_query_count_is_flat(client, django_assert_max_num_queries, size):
    manager = UserFactory()
    profile = ProfileFactory()
    for _ in range(size):
        program = ProgramFactory(managers=[manager])
        EnrollmentFactory(user=profile.user, program=program, role=Role.MENTEE)
        EnrollmentFactory(program=program, status=EnrollmentStatus.PENDING)
    for user in (profile.user, manager):
        client.force_login(user)
        # Issue 8 added one query each for introductions and last-minute events.
        with django_assert_max_num_queries(12):
            assert client.get("/").status_code == 200

"""Page and endpoint query counts stay flat as mentors, mentees, requests and offers grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.mentorships import services
from trellis.mentorships.models import MentorshipSource
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.programs.models import Enrollment

pytestmark = pytest.mark.django_db


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def grow(world, size):
    """More mentors and mentees, requests and offers each way, and mentorships."""
    program = world["program"]
    for index in range(size):
        mentor = mentor_in(program, capacity=3, skills_offered=["python"])
        mentee = mentee_in(program, skills_sought=["python"])
        if index == 0:  # the mentee's open requests stay under the limit
            services.request_send(
                program=program, mentee=world["mentee"], mentor=mentor, message="Hello"
            )
        services.request_send(
            program=program, mentee=mentee, mentor=world["mentor"], message="Hello"
        )
        services.offer_send(program=program, mentor=mentor, mentee=world["mentee"], message="Hi")
        services.offer_send(program=program, mentor=world["mentor"], mentee=mentee, message="Hi")
        services.mentorship_start(
            program=program,
            mentor=mentor,
            mentee=mentee_in(program),
            source=MentorshipSource.MANAGER,
            score=50,
            reasons=["A reason"],
            by=None,
        )


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("mentee", "/programs/garden/mentors/"),
        ("mentee", "/programs/garden/mentors/?skill=python&has_places=on"),
        ("mentor", "/programs/garden/mentees/"),
        ("mentee", "/programs/garden/requests/"),
        ("mentor", "/programs/garden/requests/"),
        ("mentee", "/api/v1/mentorship-requests"),
        ("mentor", "/api/v1/mentorship-offers"),
        ("mentee", "/api/v1/programs/garden/mentors"),
    ],
)
def test_program_pages_queries_do_not_grow(client, world, who, url):
    client.force_login(world[who])
    grow(world, 2)
    few = count_queries(client, url)
    grow(world, 12)
    assert count_queries(client, url) == few


@pytest.mark.parametrize("url", ["/mentorships/", "/", "/api/v1/mentorships"])
def test_my_mentorships_queries_do_not_grow(client, world, url):
    program = world["program"]
    client.force_login(world["mentor"])
    services.mentorship_start(
        program=program,
        mentor=world["mentor"],
        mentee=world["mentee"],
        source=MentorshipSource.MANAGER,
        score=50,
        reasons=["A reason"],
        by=None,
    )
    few = count_queries(client, url)
    Enrollment.objects.filter(user=world["mentor"]).update(mentor_capacity=20)
    for _ in range(10):
        services.mentorship_start(
            program=program,
            mentor=world["mentor"],
            mentee=mentee_in(program),
            source=MentorshipSource.MANAGER,
            score=50,
            reasons=["A reason"],
            by=None,
        )
    assert count_queries(client, url) == few

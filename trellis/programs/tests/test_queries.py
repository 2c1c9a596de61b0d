"""Page and endpoint query counts stay flat as programs and participants grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.accounts.tests.factories import UserFactory
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.models import EnrollmentStatus, QuestionKind
from trellis.programs.tests.factories import (
    EnrollmentFactory,
    IntakeQuestionFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def add_programs(user, count):
    for index in range(count):
        program = ProgramFactory()
        if index % 3 == 0:
            EnrollmentFactory(program=program, user=user)
        elif index % 3 == 1:
            program.managers.add(user)


@pytest.mark.parametrize("url", ["/programs/", "/api/v1/programs", "/api/v1/enrollments"])
def test_program_list_queries_do_not_grow(client, url):
    user = UserFactory()
    client.force_login(user)
    add_programs(user, 3)
    few = count_queries(client, url)
    add_programs(user, 27)
    assert count_queries(client, url) == few


def add_participants(program, count):
    question = program.intake_questions.first()
    for index in range(count):
        user = UserFactory()
        if index % 2:
            ProfileFactory(user=user)
        enrollment = EnrollmentFactory(program=program, user=user, status=EnrollmentStatus.PENDING)
        enrollment.answers.create(question=question, value="Because")


@pytest.mark.parametrize(
    "url",
    [
        "/programs/garden/manage/participants/",
        "/programs/garden/manage/participants/?status=pending&search=example",
        "/api/v1/programs/garden/participants",
    ],
)
def test_participants_queries_do_not_grow(client, url):
    manager = UserFactory()
    program = ProgramFactory(slug="garden", managers=[manager])
    IntakeQuestionFactory(program=program, kind=QuestionKind.TEXT)
    client.force_login(manager)
    add_participants(program, 3)
    few = count_queries(client, url)
    add_participants(program, 27)
    assert count_queries(client, url) == few

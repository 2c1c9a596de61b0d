"""The matching pages and endpoints take the same number of queries for any cohort size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.accounts.tests.factories import UserFactory
from trellis.matching.tests.factories import (
    MatchingCriterionFactory,
    MatchRunFactory,
    MatchRunPairFactory,
    mentee_in,
    mentor_in,
    settings_of,
)
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def count_queries(client, url, **headers):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.fixture
def world(client):
    manager = UserFactory()
    program = ProgramFactory(slug="garden", managers=[manager])
    settings_of(program)
    client.force_login(manager)
    run = MatchRunFactory(program=program, created_by=manager)
    return program, run


def add_pairs(run, count):
    for index in range(count):
        mentee = ProfileFactory().user
        mentor = ProfileFactory().user if index % 2 else UserFactory()
        MatchRunPairFactory(run=run, mentee=mentee, mentor=mentor, reasons=["A", "B"])
    unmatched = list(run.report.get("unmatched", []))
    unmatched += [
        {"mentee_id": 0, "name": f"N{i}", "reason": "-", "blocked_by": ["X"]} for i in range(count)
    ]
    run.report = {"unmatched": unmatched}
    run.save()


@pytest.mark.parametrize("status", ["draft", "published"])
def test_run_page_queries_do_not_grow(client, world, status):
    _, run = world
    run.status = status
    run.save()
    url = f"/programs/garden/manage/matching/runs/{run.pk}/"
    add_pairs(run, 3)
    few = count_queries(client, url)
    add_pairs(run, 40)
    assert count_queries(client, url) == few


def test_progress_polling_is_cheap(client, world):
    _, run = world
    run.status = "running"
    run.save()
    url = f"/programs/garden/manage/matching/runs/{run.pk}/"

    assert count_queries(client, url, HX_Request="true", HX_Target="run-progress") <= 8


def test_pairs_endpoint_queries_do_not_grow(client, world):
    _, run = world
    url = f"/api/v1/programs/garden/matching/runs/{run.pk}/pairs"
    add_pairs(run, 3)
    few = count_queries(client, url)
    add_pairs(run, 40)
    assert count_queries(client, url) == few


def test_home_queries_do_not_grow(client, world):
    program, _ = world
    url = "/programs/garden/manage/matching/"
    MatchingCriterionFactory(program=program, field="languages")
    few = count_queries(client, url)
    for field in ("interests", "values", "communication_modes", "skills"):
        MatchingCriterionFactory(
            program=program, field=field, kind="overlap" if field != "skills" else "complement"
        )
    for _ in range(5):
        MatchRunFactory(program=program, status="discarded")
    assert count_queries(client, url) == few


def test_assign_options_queries_do_not_grow(client, world):
    program, run = world
    mentee = mentee_in(program)
    run.report = {
        "unmatched": [{"mentee_id": mentee.pk, "name": "M", "reason": "-", "blocked_by": []}]
    }
    run.save()
    url = f"/programs/garden/manage/matching/runs/{run.pk}/mentees/{mentee.pk}/mentor/"
    mentor_in(program)
    few = count_queries(client, url, HX_Request="true")
    for _ in range(10):
        mentor_in(program)
    assert count_queries(client, url, HX_Request="true") == few

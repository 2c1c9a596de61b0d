"""Page query counts stay flat as answers and meetings grow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trellis.feedback.models import MeetingPulse, SurveyAnswer, SurveyAssignment
from trellis.feedback.tests.helpers import questions, survey_in
from trellis.profiles.tests.factories import ProfileFactory
from trellis.scheduling.tests.helpers import berlin_new_york_pair, meeting_in

pytestmark = pytest.mark.django_db


def answered(pair, survey, count: int) -> None:
    asked = questions(survey)
    now = timezone.now()
    for _ in range(count):
        person = ProfileFactory().user
        assignment = SurveyAssignment.objects.create(
            survey=survey,
            mentorship=pair,
            user=person,
            role="mentee",
            opens_at=now,
            submitted_at=now,
        )
        SurveyAnswer.objects.bulk_create(
            [
                SurveyAnswer(assignment=assignment, question=asked["scale"], value=4),
                SurveyAnswer(assignment=assignment, question=asked["choice"], value="Advice"),
                SurveyAnswer(assignment=assignment, question=asked["text"], value="Fine"),
            ]
        )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("shows_names", [False, True])
def test_the_results_page_is_flat(client, shows_names):
    pair = berlin_new_york_pair()
    manager = ProfileFactory().user
    pair.program.managers.add(manager)
    survey = survey_in(pair.program, shows_names=shows_names)
    client.force_login(manager)
    url = f"/programs/{pair.program.slug}/manage/feedback/surveys/{survey.pk}/results/"
    api = f"/api/v1/program-surveys/{survey.pk}/results"

    answered(pair, survey, 3)
    few, few_api = count_queries(client, url), count_queries(client, api)
    answered(pair, survey, 12)
    many, many_api = count_queries(client, url), count_queries(client, api)

    assert (many, many_api) == (few, few_api)


def test_the_managers_home_is_flat(client):
    pair = berlin_new_york_pair()
    manager = ProfileFactory().user
    pair.program.managers.add(manager)
    client.force_login(manager)
    url = f"/programs/{pair.program.slug}/manage/feedback/"
    survey_in(pair.program)
    series, recurrence_id = meeting_in(pair, -dt.timedelta(hours=1))

    def rated(count: int) -> None:
        for _ in range(count):
            MeetingPulse.objects.create(
                meeting_series=series,
                recurrence_id=recurrence_id,
                user=ProfileFactory().user,
                usefulness=3,
                comment="Fine",
            )

    rated(3)
    few = count_queries(client, url)
    for _ in range(4):
        survey_in(pair.program, is_active=False)
    rated(9)

    assert count_queries(client, url) == few


def test_the_mentorship_section_is_flat(client):
    pair = berlin_new_york_pair()
    client.force_login(pair.mentee)
    url = f"/mentorships/{pair.pk}/"
    survey = survey_in(pair.program)
    SurveyAssignment.objects.create(
        survey=survey, mentorship=pair, user=pair.mentee, role="mentee", opens_at=timezone.now()
    )
    series, recurrence_id = meeting_in(pair, -dt.timedelta(hours=2))
    MeetingPulse.objects.create(
        meeting_series=series, recurrence_id=recurrence_id, user=pair.mentee, usefulness=4
    )
    meeting_in(pair, -dt.timedelta(days=3))

    few = count_queries(client, url)
    for days in range(4, 14):
        other, other_id = meeting_in(pair, -dt.timedelta(days=days))
        MeetingPulse.objects.create(
            meeting_series=other, recurrence_id=other_id, user=pair.mentee, usefulness=2
        )
    SurveyAssignment.objects.create(
        survey=survey_in(pair.program, "end"),
        mentorship=pair,
        user=pair.mentee,
        role="mentee",
        opens_at=timezone.now(),
    )

    assert count_queries(client, url) == few
    html = client.get(url).content.decode()
    assert "data-feedback-section" in html
    assert html.count("data-pulse ") + html.count("data-pulse>") == 1

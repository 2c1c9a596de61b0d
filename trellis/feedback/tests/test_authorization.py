"""Who reaches what, over roles: the pages, and the API at /api/v1/.

Pulse: only the meeting's current participants rate it; the program's managers and staff,
who may see the meeting, get 403; anyone else 404. Surveys: a person sees and answers
only their own copy (the other of the pair, managers and staff get 404). The managers'
pages and endpoints: the program's managers and staff; anyone else 404. A refusal
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from trellis.accounts.tests.factories import StaffFactory
from trellis.feedback.models import (
    MeetingPulse,
    Survey,
    SurveyAnswer,
    SurveyAssignment,
    SurveyKind,
    SurveyQuestion,
)
from trellis.feedback.tests.helpers import questions, survey_in
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.tests.helpers import berlin_new_york_pair, meeting_in

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "mentor", "mentee", "other_mentor", "manager", "other_manager", "staff"]
MANAGERS = {"manager", "staff"}
# The pulse: participants write, managers and staff are refused, outsiders find nothing.
PULSE = {
    "anonymous": 401,
    "mentor": 200,
    "mentee": 200,
    "other_mentor": 404,
    "manager": 403,
    "other_manager": 404,
    "staff": 403,
}


@pytest.fixture
def world() -> dict[str, Any]:
    pair = berlin_new_york_pair()
    other_pair = berlin_new_york_pair(program=pair.program)
    manager = ProfileFactory().user
    pair.program.managers.add(manager)
    other_manager = ProfileFactory().user
    ProgramFactory().managers.add(other_manager)
    survey = survey_in(pair.program, SurveyKind.MIDPOINT)
    assignment = SurveyAssignment.objects.create(
        survey=survey,
        mentorship=pair,
        user=pair.mentee,
        role="mentee",
        opens_at=timezone.now() - dt.timedelta(days=1),
    )
    series, recurrence_id = meeting_in(pair, -dt.timedelta(hours=1))
    return {
        "pair": pair,
        "program": pair.program,
        "survey": survey,
        "assignment": assignment,
        "series": series,
        "recurrence_id": recurrence_id,
        "anonymous": None,
        "mentor": pair.mentor,
        "mentee": pair.mentee,
        "other_mentor": other_pair.mentor,
        "manager": manager,
        "other_manager": other_manager,
        "staff": StaffFactory(),
    }


def sign_in(client: Any, user: Any) -> None:
    if user is not None:
        client.force_login(user)


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.url.startswith("/accounts/login/")


def snapshot() -> list[Any]:
    """Everything a refused request could have changed."""
    return [
        list(MeetingPulse.objects.order_by("pk").values_list("pk", "usefulness", "comment")),
        list(Survey.objects.order_by("pk").values_list("pk", "title", "is_active", "shows_names")),
        list(SurveyQuestion.objects.order_by("pk").values_list("pk", "label", "position")),
        list(SurveyAssignment.objects.order_by("pk").values_list("pk", "submitted_at")),
        list(SurveyAnswer.objects.order_by("pk").values_list("pk", "value")),
    ]


def put_json(client: Any, url: str, data: Any) -> Any:
    return client.put(url, json.dumps(data), content_type="application/json")


def patch_json(client: Any, url: str, data: Any) -> Any:
    return client.patch(url, json.dumps(data), content_type="application/json")


# The pulse ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_pulse_page_post_by_role(client, world, role):
    sign_in(client, world[role])
    before = snapshot()
    url = f"/meetings/{world['series'].pk}/{world['recurrence_id']}/pulse/"

    response = client.post(url, {"usefulness": "4", "next": "/mentorships/"})

    if role == "anonymous":
        assert is_login_redirect(response)
    elif PULSE[role] == 200:
        assert (response.status_code, response.url) == (302, "/mentorships/")
        assert MeetingPulse.objects.get().user == world[role]
        return
    else:
        assert response.status_code == PULSE[role]
    assert snapshot() == before


def test_the_pulse_goes_back_only_to_this_site(client, world):
    client.force_login(world["mentee"])
    url = f"/meetings/{world['series'].pk}/{world['recurrence_id']}/pulse/"

    response = client.post(url, {"usefulness": "4", "next": "https://evil.example/"})

    assert response.url == f"/meetings/{world['series'].pk}/{world['recurrence_id']}/"


def test_the_pulse_answers_htmx_with_its_fragment(client, world):
    client.force_login(world["mentee"])
    url = f"/meetings/{world['series'].pk}/{world['recurrence_id']}/pulse/"

    response = client.post(url, {"usefulness": "5", "comment": "Great"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="5" aria-pressed="true" class="button--secondary">5</button>' in html
    assert "you rated it 5 of 5" in html
    assert "<html" not in html
    bad = client.post(url, {"usefulness": "9", "comment": "Keep me"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200
    assert 'role="alert"' in bad.content.decode()
    assert "Keep me" in bad.content.decode()
    assert MeetingPulse.objects.get().usefulness == 5


@pytest.mark.parametrize("role", ROLES)
def test_the_pulse_api_by_role(client, world, role):
    sign_in(client, world[role])
    before = snapshot()
    url = f"/api/v1/meetings/{world['series'].pk}/{world['recurrence_id']}/pulse"

    read = client.get(url)
    write = put_json(client, url, {"usefulness": 3, "comment": "Fine"})

    assert (read.status_code, write.status_code) == (PULSE[role], PULSE[role])
    if PULSE[role] == 200:
        assert read.json()["usefulness"] is None
        assert read.json()["can_answer"] is True
        assert (write.json()["usefulness"], write.json()["comment"]) == (3, "Fine")
        assert client.get(url).json()["usefulness"] == 3
    else:
        assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"usefulness": 0},
        {"usefulness": 6},
        {"usefulness": "many"},
        {"usefulness": None},
        {"usefulness": 3, "comment": "x" * 501},
        {"usefulness": 3, "comment": 5},
        [],
    ],
)
def test_the_pulse_api_refuses_bad_input(client, world, body):
    client.force_login(world["mentee"])
    url = f"/api/v1/meetings/{world['series'].pk}/{world['recurrence_id']}/pulse"

    response = put_json(client, url, body)

    assert response.status_code == 422
    assert "errors" in response.json()
    assert not MeetingPulse.objects.exists()


def test_the_pulse_api_for_unknown_meetings(client, world):
    client.force_login(world["mentee"])
    series = world["series"].pk

    for url in (
        f"/api/v1/meetings/{series}/20200101T090000/pulse",
        f"/api/v1/meetings/{series}/nonsense/pulse",
        "/api/v1/meetings/999999/20200101T090000/pulse",
        "/api/v1/meetings/99999999999999999999/20200101T090000/pulse",
    ):
        assert client.get(url).status_code in (404, 422), url
        assert put_json(client, url, {"usefulness": 3}).status_code in (404, 422), url
    assert not MeetingPulse.objects.exists()


# My surveys --------------------------------------------------------------------------------


SURVEY_OWNER = {"mentee"}


@pytest.mark.parametrize("role", ROLES)
def test_the_survey_pages_by_role(client, world, role):
    sign_in(client, world[role])
    assignment = world["assignment"]
    scale = questions(world["survey"])["scale"]
    before = snapshot()

    listing = client.get("/surveys/")
    page = client.get(f"/surveys/{assignment.pk}/")
    answer = client.post(f"/surveys/{assignment.pk}/", {f"question_{scale.pk}": "4"})

    if role == "anonymous":
        assert all(is_login_redirect(r) for r in (listing, page, answer))
        assert snapshot() == before
        return
    assert listing.status_code == 200
    if role in SURVEY_OWNER:
        assert world["survey"].title in listing.content.decode()
        assert page.status_code == 200
        assert answer.status_code == 302
        assert SurveyAnswer.objects.get().value == 4
    else:
        assert world["survey"].title not in listing.content.decode()
        assert (page.status_code, answer.status_code) == (404, 404)
        assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_the_survey_api_by_role(client, world, role):
    sign_in(client, world[role])
    assignment = world["assignment"]
    scale = questions(world["survey"])["scale"]
    before = snapshot()

    listing = client.get("/api/v1/surveys")
    detail = client.get(f"/api/v1/surveys/{assignment.pk}")
    answer = client.post(
        f"/api/v1/surveys/{assignment.pk}/answers",
        json.dumps({"answers": {str(scale.pk): 2}}),
        content_type="application/json",
    )

    if role == "anonymous":
        assert {listing.status_code, detail.status_code, answer.status_code} == {401}
        assert snapshot() == before
        return
    assert listing.status_code == 200
    if role in SURVEY_OWNER:
        assert [item["id"] for item in listing.json()] == [assignment.pk]
        assert detail.status_code == 200
        # A mentee is asked the questions for everyone and for mentees, not the mentors'.
        assert [q["label"] for q in detail.json()["questions"]] == [
            "How is it going?",
            "What helps most?",
        ]
        assert answer.status_code == 201
        assert answer.json()["answers"] == {str(scale.pk): 2}
        assert answer.json()["status"] == "answered"
    else:
        assert listing.json() == []
        assert (detail.status_code, answer.status_code) == (404, 404)
        assert snapshot() == before


def test_a_survey_before_it_opens_does_not_exist_yet(client, world):
    later = SurveyAssignment.objects.create(
        survey=survey_in(world["program"], SurveyKind.END),
        mentorship=world["pair"],
        user=world["mentee"],
        role="mentee",
        opens_at=timezone.now() + dt.timedelta(days=3),
    )
    client.force_login(world["mentee"])

    assert client.get(f"/surveys/{later.pk}/").status_code == 404
    assert client.get(f"/api/v1/surveys/{later.pk}").status_code == 404
    assert [item["id"] for item in client.get("/api/v1/surveys").json()] == [world["assignment"].pk]


def test_an_answered_survey_thanks_and_refuses_a_second_answer(client, world):
    client.force_login(world["mentee"])
    scale = questions(world["survey"])["scale"]
    url = f"/surveys/{world['assignment'].pk}/"
    client.post(url, {f"question_{scale.pk}": "4"})
    before = snapshot()

    page = client.get(url)
    again = client.post(
        f"/api/v1/surveys/{world['assignment'].pk}/answers",
        json.dumps({"answers": {str(scale.pk): 1}}),
        content_type="application/json",
    )

    assert "Thanks, answered on" in page.content.decode()
    assert '<form method="post" novalidate class="card">' not in page.content.decode()
    assert again.status_code == 422
    assert snapshot() == before


def test_bad_answers_re_render_with_the_values_kept(client, world):
    client.force_login(world["mentee"])
    choice = questions(world["survey"])["choice"]

    response = client.post(
        f"/surveys/{world['assignment'].pk}/", {f"question_{choice.pk}": "Advice"}
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "This question needs an answer." in html
    assert f'value="Advice" id="id_question_{choice.pk}_1" checked' in html
    assert not SurveyAnswer.objects.exists()


@pytest.mark.parametrize(
    "answers",
    [
        {"answers": []},
        {"answers": {"nope": 1}},
        {"answers": {"999999": 1}},
        {"answers": {"question_x": 1}},
        {},
        {"answers": {"1": {"nested": True}}},
    ],
)
def test_the_answers_api_refuses_bad_input(client, world, answers):
    client.force_login(world["mentee"])

    response = client.post(
        f"/api/v1/surveys/{world['assignment'].pk}/answers",
        json.dumps(answers),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert not SurveyAnswer.objects.exists()


# The managers' pages ----------------------------------------------------------------------


def manager_pages(world: dict[str, Any]) -> list[str]:
    slug, survey = world["program"].slug, world["survey"]
    question = questions(survey)["scale"]
    base = f"/programs/{slug}/manage/feedback/"
    return [
        base,
        f"{base}surveys/{survey.pk}/",
        f"{base}surveys/{survey.pk}/results/",
        f"{base}surveys/{survey.pk}/questions/{question.pk}/",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_the_managers_pages_by_role(client, world, role):
    sign_in(client, world[role])

    for url in manager_pages(world):
        response = client.get(url)
        if role == "anonymous":
            assert is_login_redirect(response), url
        else:
            assert response.status_code == (200 if role in MANAGERS else 404), url


@pytest.mark.parametrize("role", ROLES)
def test_the_managers_writes_by_role(client, world, role):
    sign_in(client, world[role])
    slug, survey = world["program"].slug, world["survey"]
    question = questions(survey)["scale"]
    base = f"/programs/{slug}/manage/feedback/"
    before = snapshot()

    responses = [
        client.post(base, {"kind": "end", "title": "At the end"}),
        client.post(f"{base}surveys/{survey.pk}/", {"kind": "midpoint", "title": "Renamed"}),
        client.post(f"{base}surveys/{survey.pk}/activate/", {"is_active": "false"}),
        client.post(
            f"{base}surveys/{survey.pk}/questions/",
            {"question-label": "New?", "question-kind": "text", "question-audience": "everyone"},
        ),
        client.post(
            f"{base}surveys/{survey.pk}/questions/{question.pk}/",
            {"label": "Changed?", "kind": "scale", "audience": "everyone"},
        ),
        client.post(
            f"{base}surveys/{survey.pk}/questions/{question.pk}/move/", {"direction": "down"}
        ),
        client.post(f"{base}surveys/{survey.pk}/questions/{question.pk}/delete/"),
    ]

    if role in MANAGERS:
        assert [r.status_code for r in responses] == [302] * 7
        survey.refresh_from_db()
        assert (survey.title, survey.is_active) == ("Renamed", False)
        assert Survey.objects.filter(title="At the end", is_active=False).exists()
        assert list(survey.questions.values_list("label", flat=True)) == [
            "What helps most?",
            "What would you change?",
            "New?",
        ]
        return
    if role == "anonymous":
        assert all(is_login_redirect(r) for r in responses)
    else:
        assert [r.status_code for r in responses] == [404] * 7
    assert snapshot() == before


# The managers' API ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_managers_api_by_role(client, world, role):
    sign_in(client, world[role])
    slug, survey = world["program"].slug, world["survey"]
    question = questions(survey)["text"]
    before = snapshot()

    reads = [
        client.get(f"/api/v1/programs/{slug}/surveys"),
        client.get(f"/api/v1/program-surveys/{survey.pk}"),
        client.get(f"/api/v1/program-surveys/{survey.pk}/results"),
        client.get(f"/api/v1/programs/{slug}/pulse"),
    ]
    writes = [
        client.post(
            f"/api/v1/programs/{slug}/surveys",
            json.dumps({"kind": "end", "title": "At the end"}),
            content_type="application/json",
        ),
        patch_json(client, f"/api/v1/program-surveys/{survey.pk}", {"title": "Renamed"}),
        client.post(
            f"/api/v1/program-surveys/{survey.pk}/questions",
            json.dumps({"kind": "text", "label": "New?"}),
            content_type="application/json",
        ),
        patch_json(client, f"/api/v1/survey-questions/{question.pk}", {"position": 0}),
        client.delete(f"/api/v1/survey-questions/{question.pk}"),
    ]

    if role == "anonymous":
        assert {r.status_code for r in reads + writes} == {401}
    elif role in MANAGERS:
        assert [r.status_code for r in reads] == [200] * 4
        assert [r.status_code for r in writes] == [201, 200, 201, 200, 204]
        assert writes[3].json()["position"] == 0
        return
    else:
        assert {r.status_code for r in reads + writes} == {404}
    assert snapshot() == before


def test_managers_api_activation_and_its_errors(client, world):
    client.force_login(world["manager"])
    slug = world["program"].slug
    created = client.post(
        f"/api/v1/programs/{slug}/surveys",
        json.dumps({"kind": "midpoint", "title": "Second"}),
        content_type="application/json",
    ).json()

    empty = patch_json(client, f"/api/v1/program-surveys/{created['id']}", {"is_active": True})
    client.post(
        f"/api/v1/program-surveys/{created['id']}/questions",
        json.dumps({"kind": "scale", "label": "Useful?"}),
        content_type="application/json",
    )
    clash = patch_json(client, f"/api/v1/program-surveys/{created['id']}", {"is_active": True})
    off = patch_json(client, f"/api/v1/program-surveys/{world['survey'].pk}", {"is_active": False})
    on = patch_json(
        client, f"/api/v1/program-surveys/{created['id']}", {"is_active": True, "title": "Now"}
    )

    assert (empty.status_code, clash.status_code) == (422, 422)
    assert (off.status_code, on.status_code) == (200, 200)
    assert (on.json()["is_active"], on.json()["title"]) == (True, "Now")


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "weekly", "title": "T"},
        {"kind": "end", "title": ""},
        {"kind": "end", "title": "x" * 121},
        {"kind": "end"},
        {"title": "T"},
        {"kind": "end", "title": "T", "shows_names": "perhaps"},
        {"kind": "end", "title": "T", "intro": ["a"]},
    ],
)
def test_the_survey_api_refuses_bad_input(client, world, body):
    client.force_login(world["manager"])

    response = client.post(
        f"/api/v1/programs/{world['program'].slug}/surveys",
        json.dumps(body),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert Survey.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "single_choice", "label": "Pick", "choices": ["Only one"]},
        {"kind": "text", "label": "Say", "choices": ["A", "B"]},
        {"kind": "dance", "label": "Dance"},
        {"kind": "text", "label": ""},
        {"kind": "text", "label": "x" * 201},
        {"kind": "text", "label": "Say", "audience": "managers"},
        {"kind": "text", "label": "Say", "choices": "A"},
        {"label": "No kind"},
    ],
)
def test_the_question_api_refuses_bad_input(client, world, body):
    client.force_login(world["manager"])

    response = client.post(
        f"/api/v1/program-surveys/{world['survey'].pk}/questions",
        json.dumps(body),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert SurveyQuestion.objects.count() == 3


def test_the_results_api_names_people_only_where_the_survey_says(client, world):
    scale = questions(world["survey"])["scale"]
    client.force_login(world["mentee"])
    client.post(
        f"/api/v1/surveys/{world['assignment'].pk}/answers",
        json.dumps({"answers": {str(scale.pk): 4}}),
        content_type="application/json",
    )
    client.force_login(world["manager"])
    url = f"/api/v1/program-surveys/{world['survey'].pk}/results"

    hidden = client.get(url).json()
    Survey.objects.filter(pk=world["survey"].pk).update(shows_names=True)
    named = client.get(url).json()

    assert (hidden["answered"], hidden["people"], hidden["questions"][0]["is_withheld"]) == (
        1,
        [],
        True,
    )
    assert hidden["questions"][0]["average"] is None
    assert [(p["user_id"], p["answers"]) for p in named["people"]] == [
        (world["mentee"].pk, {str(scale.pk): "4"})
    ]
    page = client.get(
        f"/programs/{world['program'].slug}/manage/feedback/surveys/{world['survey'].pk}/results/"
    )
    assert world["mentee"].display_name in page.content.decode()


@pytest.mark.parametrize("role", ["mentor", "mentee", "manager", "staff"])
def test_the_meeting_page_shows_the_pulse_to_participants_only(client, world, role):
    client.force_login(world[role])

    response = client.get(f"/meetings/{world['series'].pk}/{world['recurrence_id']}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert ("How useful was this meeting?" in html) is (role in ("mentor", "mentee"))

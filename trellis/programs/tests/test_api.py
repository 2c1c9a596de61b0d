"""The programs REST API: shapes, bad input and errors."""

import json

import pytest

from trellis.accounts.tests.factories import UserFactory
from trellis.programs.models import (
    Enrollment,
    EnrollmentMode,
    EnrollmentStatus,
    QuestionAudience,
    QuestionKind,
    Role,
)
from trellis.programs.tests.factories import (
    EnrollmentFactory,
    IntakeQuestionFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db


def post_json(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def program():
    program = ProgramFactory(
        slug="garden", name="Garden", enrollment_mode=EnrollmentMode.APPLICATION
    )
    IntakeQuestionFactory(
        program=program,
        kind=QuestionKind.SINGLE_CHOICE,
        choices=["Backend", "Frontend"],
        is_required=True,
        label="Track",
    )
    IntakeQuestionFactory(
        program=program, kind=QuestionKind.TEXT, audience=QuestionAudience.MENTORS, label="Why"
    )
    return program


def test_program_list_and_detail(client, program):
    user = UserFactory()
    EnrollmentFactory(program=program, user=user, status=EnrollmentStatus.PENDING)
    client.force_login(user)
    listing = client.get("/api/v1/programs").json()
    assert [(p["slug"], p["my_status"], p["can_manage"]) for p in listing] == [
        ("garden", "pending", False)
    ]
    assert listing[0]["organisation"]["name"] == program.organisation.name
    detail = client.get("/api/v1/programs/garden?role=mentee").json()
    assert [q["label"] for q in detail["intake_questions"]] == ["Track"]
    assert detail["intake_questions"][0]["choices"] == ["Backend", "Frontend"]
    every = client.get("/api/v1/programs/garden").json()
    assert [q["label"] for q in every["intake_questions"]] == ["Track", "Why"]
    assert client.get("/api/v1/programs/garden?role=boss").status_code == 422
    assert client.get("/api/v1/programs/nope").status_code == 404


def test_join_and_leave(client, program):
    user = UserFactory()
    client.force_login(user)
    track = program.intake_questions.get(label="Track")
    response = post_json(
        client,
        "/api/v1/programs/garden/enrollments",
        {"role": "mentee", "answers": {str(track.pk): "Backend"}},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["role"], body["program"]["slug"]) == (
        "pending",
        "mentee",
        "garden",
    )
    assert [e["id"] for e in client.get("/api/v1/enrollments").json()] == [body["id"]]
    left = client.delete(f"/api/v1/enrollments/{body['id']}")
    assert left.status_code == 200
    assert left.json()["status"] == "left"
    assert client.get("/api/v1/enrollments").json() == []


@pytest.mark.parametrize(
    ("body", "error_key"),
    [
        ({}, "role"),
        ({"role": "boss"}, "role"),
        ({"role": "mentee", "answers": []}, "answers"),
        ({"role": "mentee", "answers": "x"}, "answers"),
        ({"role": "mentee", "answers": {}}, "question_{track}"),
        ({"role": "mentee", "answers": {"{track}": "Cobol"}}, "question_{track}"),
        ({"role": "mentee", "answers": {"{track}": ["Backend"]}}, "question_{track}"),
        ({"role": "mentee", "answers": {"{track}": 1}}, "question_{track}"),
        ({"role": "mentee", "answers": {"{track}": "Backend", "{why}": "x"}}, "question_{why}"),
        (
            {"role": "mentor", "answers": {"{track}": "Backend", "{why}": "x" * 2001}},
            "question_{why}",
        ),
        ({"role": "mentee", "answers": {"nope": "x"}}, "answers"),
        ({"role": "both", "answers": {}}, "role"),
    ],
)
def test_join_bad_input_is_422_with_field_errors(client, program, body, error_key):
    client.force_login(UserFactory())
    ids = {
        "track": program.intake_questions.get(label="Track").pk,
        "why": program.intake_questions.get(label="Why").pk,
    }
    raw = json.dumps(body).replace("{track}", str(ids["track"])).replace("{why}", str(ids["why"]))
    response = client.post(
        "/api/v1/programs/garden/enrollments", data=raw, content_type="application/json"
    )
    assert response.status_code == 422
    payload = response.json()
    assert payload["detail"] == "Invalid input."
    assert error_key.format(**ids) in payload["errors"]
    assert Enrollment.objects.count() == 0


def test_join_with_broken_json_is_422_not_500(client, program):
    client.force_login(UserFactory())
    response = client.post(
        "/api/v1/programs/garden/enrollments", data="{nope", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert Enrollment.objects.count() == 0


def test_join_invite_only_is_403(client):
    ProgramFactory(slug="closed", enrollment_mode=EnrollmentMode.INVITE_ONLY)
    client.force_login(UserFactory())
    response = post_json(client, "/api/v1/programs/closed/enrollments", {"role": "mentee"})
    assert response.status_code == 403
    assert Enrollment.objects.count() == 0


def test_manager_approves_and_lists_participants(client, program):
    manager = UserFactory()
    program.managers.add(manager)
    pending = EnrollmentFactory(
        program=program, status=EnrollmentStatus.PENDING, user=UserFactory(email="ada@x.org")
    )
    EnrollmentFactory(program=program, role=Role.MENTOR, user=UserFactory(email="bob@x.org"))
    client.force_login(manager)
    listing = client.get("/api/v1/programs/garden/participants?status=pending").json()
    assert listing["count"] == 1
    assert listing["results"][0]["email"] == "ada@x.org"
    assert listing["results"][0]["display_name"] == "ada"
    searched = client.get("/api/v1/programs/garden/participants?search=BOB&role=mentor").json()
    assert [p["email"] for p in searched["results"]] == ["bob@x.org"]
    response = post_json(client, f"/api/v1/enrollments/{pending.pk}/approve", {})
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    again = post_json(client, f"/api/v1/enrollments/{pending.pk}/decline", {})
    assert again.status_code == 422


@pytest.mark.parametrize(
    "query", ["status=bogus", "role=boss", "page=0", "page=abc", "page=2", "search=" + "x" * 101]
)
def test_participants_bad_query_is_refused(client, program, query):
    manager = UserFactory()
    program.managers.add(manager)
    client.force_login(manager)
    response = client.get(f"/api/v1/programs/garden/participants?{query}")
    assert response.status_code in (404, 422)
    assert "detail" in response.json()


def test_decline_note_too_long_is_422(client, program):
    manager = UserFactory()
    program.managers.add(manager)
    pending = EnrollmentFactory(program=program, status=EnrollmentStatus.PENDING)
    client.force_login(manager)
    response = post_json(client, f"/api/v1/enrollments/{pending.pk}/decline", {"note": "x" * 501})
    assert response.status_code == 422
    pending.refresh_from_db()
    assert pending.status == EnrollmentStatus.PENDING


def test_description_in_api_is_the_sanitized_html(client):
    program = ProgramFactory(slug="garden")
    program.description = "<p>Hi</p>"
    program.save()
    client.force_login(UserFactory())
    assert client.get("/api/v1/programs/garden").json()["description"] == "<p>Hi</p>"

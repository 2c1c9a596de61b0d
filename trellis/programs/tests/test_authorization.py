"""Who may do what, for every program page and endpoint; denied actions change nothing."""

import json

import pytest

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.programs.models import (
    Enrollment,
    EnrollmentMode,
    EnrollmentStatus,
    IntakeQuestion,
    Invitation,
    Program,
    QuestionKind,
    Role,
)
from trellis.programs.tests.factories import (
    EnrollmentFactory,
    IntakeQuestionFactory,
    InvitationFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "mentee", "mentor", "other_manager", "manager", "staff"]


@pytest.fixture
def world():
    manager = UserFactory()
    program = ProgramFactory(
        slug="garden", enrollment_mode=EnrollmentMode.APPLICATION, managers=[manager]
    )
    other_manager = UserFactory()
    ProgramFactory(slug="elsewhere", managers=[other_manager])
    mentee = EnrollmentFactory(program=program, role=Role.MENTEE)
    mentor = EnrollmentFactory(program=program, role=Role.MENTOR)
    pending = EnrollmentFactory(program=program, status=EnrollmentStatus.PENDING)
    question = IntakeQuestionFactory(program=program, kind=QuestionKind.TEXT, label="Why?")
    second = IntakeQuestionFactory(program=program, kind=QuestionKind.TEXT, label="How?")
    invitation = InvitationFactory(program=program)
    users = {
        "anonymous": None,
        "mentee": mentee.user,
        "mentor": mentor.user,
        "other_manager": other_manager,
        "manager": manager,
        "staff": StaffFactory(),
    }
    return {
        "program": program,
        "users": users,
        "mentee_enrollment": mentee,
        "pending": pending,
        "question": question,
        "second": second,
        "invitation": invitation,
    }


def snapshot():
    """Everything a program action could change."""
    return {
        "programs": sorted(Program.objects.values_list("pk", "name", "slug")),
        "enrollments": sorted(
            Enrollment.objects.values_list("pk", "status", "role", "decided_by_id")
        ),
        "questions": sorted(IntakeQuestion.objects.values_list("pk", "label", "position")),
        "invitations": sorted(
            Invitation.objects.values_list("pk", "email", "revoked_at", "accepted_at")
        ),
    }


def sign_in(client, world, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    return user


OK = "ok"
LOGIN = "login"

# (name, method, url template, data, {role: expected}); expected is a status code, OK
# (200 for GET, a redirect for POST) or LOGIN (redirect to sign in).
MANAGER_ONLY = {
    "anonymous": LOGIN,
    "mentee": 404,
    "mentor": 404,
    "other_manager": 404,
    "manager": OK,
    "staff": OK,
}
SIGNED_IN = dict.fromkeys(ROLES, OK) | {"anonymous": LOGIN}

PAGES = [
    ("list", "get", "/programs/", None, SIGNED_IN),
    ("detail", "get", "/programs/garden/", None, SIGNED_IN),
    (
        "join form",
        "get",
        "/programs/garden/join/",
        None,
        SIGNED_IN | {"mentee": 302, "mentor": 302},
    ),
    ("settings", "get", "/programs/garden/manage/", None, MANAGER_ONLY),
    ("questions", "get", "/programs/garden/manage/questions/", None, MANAGER_ONLY),
    ("question", "get", "/programs/garden/manage/questions/{question}/", None, MANAGER_ONLY),
    ("participants", "get", "/programs/garden/manage/participants/", None, MANAGER_ONLY),
    ("invitations", "get", "/programs/garden/manage/invitations/", None, MANAGER_ONLY),
    (
        "create form",
        "get",
        "/programs/manage/new/",
        None,
        dict.fromkeys(ROLES, 404) | {"anonymous": LOGIN, "staff": OK},
    ),
    (
        "invitation page",
        "get",
        "/programs/invitations/{token}/",
        None,
        dict.fromkeys(ROLES, OK),
    ),
]

ACTIONS = [
    (
        "save settings",
        "/programs/garden/manage/",
        {
            "name": "Renamed",
            "slug": "garden",
            "program_type": "one_to_one",
            "enrollment_mode": "open",
            "meeting_frequency": "weekly",
            "default_mentor_capacity": "2",
            "expected_length_weeks": "10",
        },
        MANAGER_ONLY,
    ),
    (
        "add question",
        "/programs/garden/manage/questions/",
        {"label": "New?", "kind": "text", "audience": "everyone"},
        MANAGER_ONLY,
    ),
    (
        "edit question",
        "/programs/garden/manage/questions/{question}/",
        {"label": "Changed?", "kind": "text", "audience": "everyone"},
        MANAGER_ONLY,
    ),
    (
        "delete question",
        "/programs/garden/manage/questions/{question}/delete/",
        {},
        MANAGER_ONLY,
    ),
    (
        "move question",
        "/programs/garden/manage/questions/{question}/move/",
        {"direction": "down"},
        MANAGER_ONLY,
    ),
    (
        "bulk approve",
        "/programs/garden/manage/participants/bulk/",
        {"enrollment_ids": ["{pending}"], "decision": "approve"},
        MANAGER_ONLY,
    ),
    (
        "decide",
        "/programs/garden/manage/participants/{pending}/decide/",
        {"decision": "decline"},
        MANAGER_ONLY,
    ),
    (
        "invite",
        "/programs/garden/manage/invitations/",
        {"email": "new@example.org", "role": "mentee"},
        MANAGER_ONLY,
    ),
    (
        "revoke invitation",
        "/programs/garden/manage/invitations/{invitation}/revoke/",
        {},
        MANAGER_ONLY,
    ),
    (
        "create program",
        "/programs/manage/new/",
        {
            "organisation": "{organisation}",
            "name": "New",
            "slug": "brand-new",
            "program_type": "one_to_one",
            "enrollment_mode": "open",
            "meeting_frequency": "weekly",
            "default_mentor_capacity": "2",
            "expected_length_weeks": "10",
        },
        dict.fromkeys(ROLES, 404) | {"anonymous": LOGIN, "staff": OK},
    ),
    (
        "leave",
        "/programs/garden/leave/",
        {},
        dict.fromkeys(ROLES, 404) | {"anonymous": LOGIN, "mentee": OK, "mentor": OK},
    ),
]


def fill(template, world):
    values = {
        "question": world["question"].pk,
        "pending": world["pending"].pk,
        "invitation": world["invitation"].pk,
        "token": world["invitation"].token,
        "organisation": world["program"].organisation_id,
    }
    return template.format(**values)


def fill_data(data, world):
    return {
        key: [fill(v, world) for v in value] if isinstance(value, list) else fill(value, world)
        for key, value in data.items()
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "url", "data", "expected"), PAGES, ids=[p[0] for p in PAGES]
)
def test_pages(client, world, role, name, method, url, data, expected):
    sign_in(client, world, role)
    before = snapshot()
    response = client.get(fill(url, world))
    outcome = expected[role]
    if outcome == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif outcome == OK:
        assert response.status_code == 200
    else:
        assert response.status_code == outcome
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url", "data", "expected"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_actions(client, world, role, name, url, data, expected):
    sign_in(client, world, role)
    before = snapshot()
    response = client.post(fill(url, world), fill_data(data, world))
    outcome = expected[role]
    if outcome == OK:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert not response["Location"].startswith("/accounts/login/")
        assert snapshot() != before
        return
    if outcome == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == outcome
    assert snapshot() == before


# API -----------------------------------------------------------------------------------

API = [
    ("list", "get", "/api/v1/programs", None, dict.fromkeys(ROLES, 200)),
    ("detail", "get", "/api/v1/programs/garden", None, dict.fromkeys(ROLES, 200)),
    ("mine", "get", "/api/v1/enrollments", None, dict.fromkeys(ROLES, 200)),
    (
        "join",
        "post",
        "/api/v1/programs/garden/enrollments",
        {"role": "mentee", "answers": {}},
        dict.fromkeys(ROLES, 201) | {"mentee": 422, "mentor": 422},
    ),
    (
        "leave",
        "delete",
        "/api/v1/enrollments/{mentee_enrollment}",
        None,
        {"mentee": 200, "mentor": 404, "other_manager": 404, "manager": 403, "staff": 403},
    ),
    (
        "approve",
        "post",
        "/api/v1/enrollments/{pending}/approve",
        {},
        {"mentee": 404, "mentor": 404, "other_manager": 404, "manager": 200, "staff": 200},
    ),
    (
        "decline",
        "post",
        "/api/v1/enrollments/{pending}/decline",
        {"note": "Sorry"},
        {"mentee": 404, "mentor": 404, "other_manager": 404, "manager": 200, "staff": 200},
    ),
    (
        "participants",
        "get",
        "/api/v1/programs/garden/participants",
        None,
        {"mentee": 403, "mentor": 403, "other_manager": 403, "manager": 200, "staff": 200},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "url", "body", "expected"), API, ids=[a[0] for a in API]
)
def test_api(client, world, role, name, method, url, body, expected):
    sign_in(client, world, role)
    before = snapshot()
    path = url.format(mentee_enrollment=world["mentee_enrollment"].pk, pending=world["pending"].pk)
    kwargs = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    response = getattr(client, method)(path, **kwargs)
    status = 401 if role == "anonymous" else expected[role]
    assert response.status_code == status, response.content
    if method != "get" and status >= 400:
        assert snapshot() == before

"""Who may do what, for every mentorship page and endpoint; denied actions change nothing."""

import json

import pytest

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.mentorships import services
from trellis.mentorships.models import MentorshipSource
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.mentorships.tests.helpers import snapshot
from trellis.programs.models import EnrollmentStatus, Role
from trellis.programs.tests.factories import EnrollmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "mentee",  # Ada, in a mentorship with Maria
    "mentor",  # Maria, Ada's mentor; Ben asked her
    "other_mentor",  # Olga, the other pair's side: she offered to mentor Ben
    "other_mentee",  # Ben, looking for a mentor
    "pending",  # applied, not approved yet
    "outsider",  # signed in, not in the program
    "other_manager",  # manages another program
    "manager",
    "staff",
]
OK = "ok"
LOGIN = "login"


@pytest.fixture
def world():
    manager = UserFactory()
    program = ProgramFactory(slug="garden", name="Garden", managers=[manager])
    other_manager = UserFactory()
    ProgramFactory(slug="elsewhere", managers=[other_manager])
    people = {
        "mentee": mentee_in(program, display_name="Ada"),
        "mentor": mentor_in(program, display_name="Maria"),
        "other_mentor": mentor_in(program, display_name="Olga"),
        "other_mentee": mentee_in(program, display_name="Ben"),
    }
    pending = UserFactory()
    EnrollmentFactory(
        program=program, user=pending, role=Role.MENTEE, status=EnrollmentStatus.PENDING
    )
    mentorship = services.mentorship_start(
        program=program,
        mentor=people["mentor"],
        mentee=people["mentee"],
        source=MentorshipSource.MANAGER,
        score=70,
        reasons=["You both speak English"],
        by=manager,
    )
    request = services.request_send(
        program=program, mentee=people["other_mentee"], mentor=people["mentor"], message="Hi"
    )
    offer = services.offer_send(
        program=program,
        mentor=people["other_mentor"],
        mentee=people["other_mentee"],
        message="Hello",
    )
    users = {
        "anonymous": None,
        **people,
        "pending": pending,
        "outsider": UserFactory(),
        "other_manager": other_manager,
        "manager": manager,
        "staff": StaffFactory(),
    }
    ids = {
        "mentorship": mentorship.pk,
        "request": request.pk,
        "offer": offer.pk,
        "maria": people["mentor"].pk,
        "olga": people["other_mentor"].pk,
        "ada": people["mentee"].pk,
        "ben": people["other_mentee"].pk,
    }
    return {"users": users, "ids": ids}


def sign_in(client, world, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)


def only(*roles, otherwise=404, anonymous=LOGIN, **special):
    return (
        dict.fromkeys(ROLES, otherwise)
        | dict.fromkeys(roles, OK)
        | {"anonymous": anonymous}
        | special
    )


SIGNED_IN = only(*ROLES)
PAIR_AND_MANAGERS = only("mentee", "mentor", "manager", "staff")
MENTEES = only("mentee", "other_mentee")
MENTORS = only("mentor", "other_mentor")
PARTICIPANTS = only("mentee", "mentor", "other_mentor", "other_mentee")

PAGES = [
    ("my mentorships", "/mentorships/", SIGNED_IN),
    ("mentorship", "/mentorships/{mentorship}/", PAIR_AND_MANAGERS),
    ("mentor directory", "/programs/garden/mentors/", MENTEES),
    ("mentees", "/programs/garden/mentees/", MENTORS),
    ("requests", "/programs/garden/requests/", PARTICIPANTS),
    # Ada may open the form; sending is refused, she already has a mentor.
    ("request form", "/programs/garden/mentors/{olga}/request/", MENTEES),
    ("offer form", "/programs/garden/mentees/{ben}/offer/", only("mentor", "other_mentor")),
    ("a non-mentor cannot be requested", "/programs/garden/mentors/{ben}/request/", only()),
]

ACTIONS = [
    (
        "accept request",
        "/programs/garden/requests/{request}/accept/",
        {},
        only("mentor", other_mentee=403),
    ),
    (
        "decline request",
        "/programs/garden/requests/{request}/decline/",
        {"note": "No"},
        only("mentor", other_mentee=403),
    ),
    (
        "ask about request",
        "/programs/garden/requests/{request}/ask/",
        {"question": "Why?"},
        only("mentor", other_mentee=403),
    ),
    (
        "withdraw request",
        "/programs/garden/requests/{request}/withdraw/",
        {},
        only("other_mentee", mentor=403),
    ),
    (
        "accept offer",
        "/programs/garden/offers/{offer}/accept/",
        {},
        only("other_mentee", other_mentor=403),
    ),
    (
        "decline offer",
        "/programs/garden/offers/{offer}/decline/",
        {},
        only("other_mentee", other_mentor=403),
    ),
    (
        "withdraw offer",
        "/programs/garden/offers/{offer}/withdraw/",
        {},
        only("other_mentor", other_mentee=403),
    ),
    (
        "send request",
        "/programs/garden/mentors/{olga}/request/",
        {"message": "Hi"},
        only("other_mentee", mentee=422),
    ),
    (
        "make offer",
        "/programs/garden/mentees/{ben}/offer/",
        {"message": "Hi"},
        # Olga has an open offer to Ben already.
        only("mentor", other_mentor=422),
    ),
    ("favourite", "/programs/garden/mentors/{olga}/favourite/", {"is_favourite": "true"}, MENTEES),
    ("mark mentee", "/programs/garden/mentees/{ben}/mark/", {"stance": "prefer"}, MENTORS),
]


def fill(template, world):
    return template.format(**world["ids"])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_pages(client, world, role, name, url, expected):
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
    response = client.post(fill(url, world), data)
    outcome = expected[role]
    if outcome == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif outcome == OK:
        assert response.status_code == 302
        assert not response["Location"].startswith("/accounts/login/")
        assert snapshot() != before
        return
    else:
        assert response.status_code == outcome
    assert snapshot() == before


def api(client, method, url, body=None):
    if method == "get":
        return client.get(url)
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


API_SIGNED_IN = only(*ROLES, anonymous=401)


def api_only(*roles, **special):
    return only(*roles, anonymous=401, **special)


ENDPOINTS = [
    ("my mentorships", "get", "/api/v1/mentorships", None, API_SIGNED_IN),
    (
        "mentorship",
        "get",
        "/api/v1/mentorships/{mentorship}",
        None,
        api_only("mentee", "mentor", "manager", "staff"),
    ),
    ("my requests", "get", "/api/v1/mentorship-requests", None, API_SIGNED_IN),
    (
        "my requests in the program",
        "get",
        "/api/v1/mentorship-requests?program=garden",
        None,
        api_only("mentee", "mentor", "other_mentor", "other_mentee"),
    ),
    ("my offers", "get", "/api/v1/mentorship-offers", None, API_SIGNED_IN),
    (
        "mentors to ask",
        "get",
        "/api/v1/programs/garden/mentors",
        None,
        api_only("mentee", "other_mentee", mentor=403, other_mentor=403),
    ),
    (
        "send request",
        "post",
        "/api/v1/programs/garden/mentorship-requests",
        {"mentor_id": "{olga}", "message": "Hi"},
        api_only("other_mentee", mentee=422, mentor=403, other_mentor=403),
    ),
    (
        "accept request",
        "post",
        "/api/v1/mentorship-requests/{request}/accept",
        None,
        api_only("mentor", other_mentee=403),
    ),
    (
        "decline request",
        "post",
        "/api/v1/mentorship-requests/{request}/decline",
        {"note": ""},
        api_only("mentor", other_mentee=403),
    ),
    (
        "ask about request",
        "post",
        "/api/v1/mentorship-requests/{request}/ask-info",
        {"question": "Why?"},
        api_only("mentor", other_mentee=403),
    ),
    (
        "reply to request",
        "post",
        "/api/v1/mentorship-requests/{request}/reply",
        # Nobody asked Ben anything: he gets a clear refusal, Maria may not reply for him.
        {"message": "Because"},
        api_only(other_mentee=422, mentor=403),
    ),
    (
        "withdraw request",
        "post",
        "/api/v1/mentorship-requests/{request}/withdraw",
        None,
        api_only("other_mentee", mentor=403),
    ),
    (
        "make offer",
        "post",
        "/api/v1/programs/garden/mentorship-offers",
        {"mentee_id": "{ben}", "message": "Hi"},
        api_only("mentor", other_mentor=422, mentee=403, other_mentee=403),
    ),
    (
        "accept offer",
        "post",
        "/api/v1/mentorship-offers/{offer}/accept",
        None,
        api_only("other_mentee", other_mentor=403),
    ),
    (
        "decline offer",
        "post",
        "/api/v1/mentorship-offers/{offer}/decline",
        None,
        api_only("other_mentee", other_mentor=403),
    ),
    (
        "withdraw offer",
        "post",
        "/api/v1/mentorship-offers/{offer}/withdraw",
        None,
        api_only("other_mentor", other_mentee=403),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "url", "body", "expected"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
def test_endpoints(client, world, role, name, method, url, body, expected):
    sign_in(client, world, role)
    before = snapshot()
    if body is not None:
        body = {
            key: int(fill(value, world)) if value.startswith("{") else value
            for key, value in body.items()
        }
    response = api(client, method, fill(url, world), body)
    outcome = expected[role]
    if outcome == OK:
        assert response.status_code in (200, 201), response.content
        if method == "post":
            assert snapshot() != before
            return
    else:
        assert response.status_code == outcome, response.content
    assert snapshot() == before

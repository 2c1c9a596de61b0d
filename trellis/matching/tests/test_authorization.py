"""Who may see and do what on every matching page and endpoint; denials change nothing."""

import json

import pytest

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.matching.models import MatchRunPair
from trellis.matching.tests.factories import (
    MatchingCriterionFactory,
    MatchRunFactory,
    MatchRunPairFactory,
    mentee_in,
    mentor_in,
    settings_of,
    snapshot,
)
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "mentee", "mentor", "other_manager", "manager", "staff"]
OK, LOGIN = "ok", "login"
MANAGERS = {
    "anonymous": LOGIN,
    "mentee": 404,
    "mentor": 404,
    "other_manager": 404,
    "manager": OK,
    "staff": OK,
}


@pytest.fixture
def world():
    manager = UserFactory()
    program = ProgramFactory(slug="garden", managers=[manager])
    settings_of(program)  # read pages would otherwise create them
    other_manager = UserFactory()
    ProgramFactory(slug="elsewhere", managers=[other_manager])
    ada = mentor_in(program, capacity=2)
    grace = mentor_in(program, capacity=2)
    ana = mentee_in(program)
    bo = mentee_in(program)
    zoe = mentee_in(program, languages=["fr"])
    criterion = MatchingCriterionFactory(program=program, field="languages", is_hard_rule=True)
    MatchingCriterionFactory(program=program, field="interests")
    run = MatchRunFactory(
        program=program,
        created_by=manager,
        report={
            "unmatched": [{"mentee_id": zoe.pk, "name": "Zoé", "reason": "-", "blocked_by": []}]
        },
        matched_count=2,
    )
    pair = MatchRunPairFactory(run=run, mentee=ana, mentor=ada)
    other_pair = MatchRunPairFactory(run=run, mentee=bo, mentor=grace)
    return {
        "users": {
            "anonymous": None,
            "mentee": ana,
            "mentor": ada,
            "other_manager": other_manager,
            "manager": manager,
            "staff": StaffFactory(),
        },
        "ids": {
            "criterion": criterion.pk,
            "run": run.pk,
            "pair": pair.pk,
            "other_pair": other_pair.pk,
            "mentee": bo.pk,
            "grace": grace.pk,
            "ada": ada.pk,
        },
    }


def sign_in(client, world, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)


def fill(value, world):
    if isinstance(value, list):
        return [fill(item, world) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, world) for key, item in value.items()}
    if isinstance(value, str):
        filled = value.format(**world["ids"])
        return int(filled) if filled.isdigit() and value.startswith("{") else filled
    return value


BASE = "/programs/garden/manage/matching/"
PAGES = [
    ("home", f"{BASE}"),
    ("criterion", f"{BASE}criteria/{{criterion}}/"),
    ("run", f"{BASE}runs/{{run}}/"),
    ("assign form", f"{BASE}runs/{{run}}/mentees/{{mentee}}/mentor/"),
]
ACTIONS = [
    (
        "settings",
        f"{BASE}",
        {
            "objective": "best_score",
            "request_expiry_days": "9",
            "max_open_requests": "2",
            "wish_weight": "1",
        },
    ),
    ("add criterion", f"{BASE}criteria/", {"field": "values", "rule": "preference", "weight": "3"}),
    (
        "edit criterion",
        f"{BASE}criteria/{{criterion}}/",
        {"field": "languages", "rule": "hard", "weight": "3", "parameter": "2"},
    ),
    ("move criterion", f"{BASE}criteria/{{criterion}}/move/", {"direction": "down"}),
    ("delete criterion", f"{BASE}criteria/{{criterion}}/delete/", {}),
    ("start run", f"{BASE}runs/", {}),
    ("lock", f"{BASE}runs/{{run}}/pairs/{{pair}}/lock/", {"lock": "1"}),
    ("swap", f"{BASE}runs/{{run}}/swap/", {"pair_ids": ["{pair}", "{other_pair}"]}),
    ("assign", f"{BASE}runs/{{run}}/mentees/{{mentee}}/mentor/", {"mentor": "{ada}"}),
    ("resolve", f"{BASE}runs/{{run}}/resolve/", {}),
    ("publish", f"{BASE}runs/{{run}}/publish/", {}),
    ("discard", f"{BASE}runs/{{run}}/discard/", {}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url"), PAGES, ids=[p[0] for p in PAGES])
def test_pages(client, world, role, name, url):
    sign_in(client, world, role)
    before = snapshot()

    response = client.get(fill(url, world))

    expected = MANAGERS[role]
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif expected == OK:
        assert response.status_code == 200
    else:
        assert response.status_code == expected
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url", "data"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_actions(client, world, role, name, url, data, django_capture_on_commit_callbacks):
    sign_in(client, world, role)
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(fill(url, world), fill(data, world))

    expected = MANAGERS[role]
    if expected == OK:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert snapshot() != before
        return
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == expected
    assert snapshot() == before


API = "/api/v1/programs/garden/matching"
ENDPOINTS = [
    ("settings", "get", f"{API}/settings", None, 200),
    ("change settings", "patch", f"{API}/settings", {"wish_weight": 2}, 200),
    ("criteria", "get", f"{API}/criteria", None, 200),
    ("add criterion", "post", f"{API}/criteria", {"field": "values"}, 201),
    ("change criterion", "patch", f"{API}/criteria/{{criterion}}", {"weight": 9}, 200),
    ("delete criterion", "delete", f"{API}/criteria/{{criterion}}", None, 204),
    ("runs", "get", f"{API}/runs", None, 200),
    ("start", "post", f"{API}/runs", {}, 202),
    ("run", "get", f"{API}/runs/{{run}}", None, 200),
    ("pairs", "get", f"{API}/runs/{{run}}/pairs", None, 200),
    ("lock", "post", f"{API}/runs/{{run}}/pairs/{{pair}}/lock", {}, 200),
    (
        "swap",
        "post",
        f"{API}/runs/{{run}}/swap",
        {"pair_a": "{pair}", "pair_b": "{other_pair}"},
        200,
    ),
    (
        "assign",
        "post",
        f"{API}/runs/{{run}}/assign",
        {"mentee_id": "{mentee}", "mentor_id": "{ada}"},
        200,
    ),
    ("resolve", "post", f"{API}/runs/{{run}}/resolve", {}, 202),
    ("publish", "post", f"{API}/runs/{{run}}/publish", {}, 202),
    ("discard", "post", f"{API}/runs/{{run}}/discard", {}, 200),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "url", "body", "status"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
def test_api(
    client, world, role, name, method, url, body, status, django_capture_on_commit_callbacks
):
    sign_in(client, world, role)
    before = snapshot()
    kwargs = {}
    if body is not None:
        kwargs = {"data": json.dumps(fill(body, world)), "content_type": "application/json"}

    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method)(fill(url, world), **kwargs)

    expected = {"anonymous": 401, "manager": status, "staff": status}.get(role, 404)
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert snapshot() == before


def test_the_pairs_stay_with_their_run(world):
    assert MatchRunPair.objects.count() == 2

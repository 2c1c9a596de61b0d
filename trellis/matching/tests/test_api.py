"""The matching REST API: settings, criteria, runs, review and publishing; 422 with fields."""

import json

import pytest

from trellis.accounts.tests.factories import UserFactory
from trellis.matching.models import MatchingCriterion, MatchRun, MatchRunPair
from trellis.matching.tests.factories import criteria, mentee_in, mentor_in, snapshot
from trellis.mentorships.models import Mentorship
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/programs/garden/matching"


def send(client, method, path, body=None):
    return getattr(client, method)(
        path, data=json.dumps(body or {}), content_type="application/json"
    )


@pytest.fixture
def manager(client):
    manager = UserFactory()
    client.force_login(manager)
    return manager


@pytest.fixture
def program(manager):
    program = ProgramFactory(slug="garden", managers=[manager])
    criteria(program, ("languages", "overlap", True, 5, 1), ("skills", "complement", False, 8, 1))
    return program


@pytest.fixture
def cohort(program):
    return {
        "ada": mentor_in(program, display_name="Ada", skills_offered=["python"], capacity=1),
        "grace": mentor_in(program, display_name="Grace", skills_offered=["go"], capacity=1),
        "ana": mentee_in(program, display_name="Ana", skills_sought=["python"]),
        "bo": mentee_in(program, display_name="Bo", skills_sought=["go"]),
        "zoe": mentee_in(program, display_name="Zoé", languages=["fr"]),
    }


def test_settings_read_and_change(client, program):
    assert client.get(f"{BASE}/settings").json() == {
        "automatch_enabled": True,
        "mentee_requests_enabled": True,
        "mentor_offers_enabled": True,
        "objective": "most_matched",
        "request_expiry_days": 7,
        "max_open_requests": 3,
        "wish_weight": 5,
    }

    response = send(
        client, "patch", f"{BASE}/settings", {"objective": "best_score", "wish_weight": 2}
    )

    assert response.status_code == 200
    assert (response.json()["objective"], response.json()["wish_weight"]) == ("best_score", 2)


def test_settings_out_of_range_answer_422_with_fields(client, program):
    client.get(f"{BASE}/settings")
    before = snapshot()

    response = send(
        client, "patch", f"{BASE}/settings", {"request_expiry_days": 90, "wish_weight": 3}
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {"request_expiry_days": ["Give a whole number from 1 to 60."]},
    }
    assert snapshot() == before


def test_criteria_list_create_update_reorder_delete(client, program):
    listing = client.get(f"{BASE}/criteria").json()
    assert listing["uses_defaults"] is False
    assert [(c["field"], c["label"]) for c in listing["criteria"]] == [
        ("languages", "Languages"),
        ("skills", "Skills (offered by the mentor, sought by the mentee)"),
    ]

    created = send(
        client,
        "post",
        f"{BASE}/criteria",
        {"field": "time_zone", "is_hard_rule": True, "parameter": 3},
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["kind"], body["is_hard_rule"], body["parameter"], body["position"]) == (
        "time_zone",
        True,
        3.0,
        2,
    )

    updated = send(client, "patch", f"{BASE}/criteria/{body['id']}", {"weight": 9})
    assert updated.json()["weight"] == 9

    ids = [c["id"] for c in listing["criteria"]]
    order = send(client, "put", f"{BASE}/criteria-order", {"criterion_ids": [body["id"], *ids]})
    assert [c["field"] for c in order.json()["criteria"]] == ["time_zone", "languages", "skills"]

    assert client.delete(f"{BASE}/criteria/{body['id']}").status_code == 204
    assert not MatchingCriterion.objects.filter(pk=body["id"]).exists()


def test_defaults_are_listed_without_ids(client, manager):
    ProgramFactory(slug="garden", managers=[manager])

    listing = client.get(f"{BASE}/criteria").json()

    assert listing["uses_defaults"] is True
    assert {c["id"] for c in listing["criteria"]} == {None}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"field": "languages", "weight": 0}, {"weight": ["Give a weight from 1 to 10."]}),
        (
            {"field": "languages", "kind": "complement"},
            {
                "kind": [
                    "“Mentor offers what the mentee seeks” does not fit Languages; use "
                    "“Something in common”."
                ]
            },
        ),
        ({"field": "intake:4242"}, {"field": ["This program has no such intake question."]}),
        ({"weight": 3}, {"field": ["Field required"]}),
    ],
)
def test_invalid_criteria_answer_422_with_fields(client, program, body, errors):
    before = snapshot()

    response = send(client, "post", f"{BASE}/criteria", body)

    assert response.status_code == 422
    assert response.json()["errors"] == errors
    assert snapshot() == before


def test_run_review_and_publish(client, program, cohort, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"{BASE}/runs")
    assert started.status_code == 202
    run_id = started.json()["id"]

    run = client.get(f"{BASE}/runs/{run_id}").json()
    assert (run["status"], run["progress"], run["matched_count"], run["unmatched_count"]) == (
        "draft",
        100,
        2,
        1,
    )
    assert run["report"]["unmatched"][0]["blocked_by"] == ["Languages"]
    assert [r["id"] for r in client.get(f"{BASE}/runs").json()] == [run_id]

    pairs = client.get(f"{BASE}/runs/{run_id}/pairs").json()
    assert pairs["count"] == 2
    by_mentee = {p["mentee"]["display_name"]: p for p in pairs["results"]}
    assert by_mentee["Ana"]["mentor"]["display_name"] == "Ada"
    assert (
        by_mentee["Ana"]["reasons"][0]
        == "The mentor offers python, which the mentee wants to learn"
    )

    locked = client.post(f"{BASE}/runs/{run_id}/pairs/{by_mentee['Ana']['id']}/lock")
    assert locked.json()["is_locked"] is True
    unlocked = client.delete(f"{BASE}/runs/{run_id}/pairs/{by_mentee['Ana']['id']}/lock")
    assert unlocked.json()["is_locked"] is False

    swapped = send(
        client,
        "post",
        f"{BASE}/runs/{run_id}/swap",
        {"pair_a": by_mentee["Ana"]["id"], "pair_b": by_mentee["Bo"]["id"]},
    )
    assert [(p["mentee"]["display_name"], p["mentor"]["display_name"]) for p in swapped.json()] == [
        ("Ana", "Grace"),
        ("Bo", "Ada"),
    ]

    paul = mentor_in(program, display_name="Paul", languages=["fr"], capacity=1)
    assigned = send(
        client,
        "post",
        f"{BASE}/runs/{run_id}/assign",
        {"mentee_id": cohort["zoe"].pk, "mentor_id": paul.pk},
    )
    assert assigned.status_code == 200
    assert assigned.json()["mentor"]["display_name"] == "Paul"

    with django_capture_on_commit_callbacks(execute=True):
        published = client.post(f"{BASE}/runs/{run_id}/publish")
    # Accepted: the worker publishes in the background (here, as soon as this commits).
    assert published.status_code == 202
    assert (published.json()["status"], published.json()["progress"]) == ("publishing", 0)
    run = client.get(f"{BASE}/runs/{run_id}").json()
    assert (run["status"], run["progress"], run["error"]) == ("published", 100, "")
    assert run["published_at"] is not None
    assert Mentorship.objects.count() == 3

    again = client.post(f"{BASE}/runs/{run_id}/publish")
    assert again.status_code == 422
    assert again.json()["errors"] == {
        "__all__": ["This run was already published; start a new run to match again."]
    }


def test_refusals_answer_422_and_change_nothing(
    client, program, cohort, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = client.post(f"{BASE}/runs").json()["id"]
    pairs = {
        p.mentee.profile.display_name: p
        for p in MatchRunPair.objects.select_related("mentee__profile")
    }
    extra = mentor_in(program, display_name="Ivo", languages=["de"], capacity=2)
    before = snapshot()

    response = send(
        client,
        "post",
        f"{BASE}/runs/{run_id}/assign",
        {"mentee_id": cohort["zoe"].pk, "mentor_id": extra.pk},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "__all__": ["Ivo cannot mentor Zoé: the hard rule “Languages” does not hold."]
    }
    response = send(
        client,
        "post",
        f"{BASE}/runs/{run_id}/swap",
        {"pair_a": pairs["Ana"].pk, "pair_b": pairs["Ana"].pk},
    )
    assert response.status_code == 422
    assert snapshot() == before

    response = client.post(f"{BASE}/runs")
    assert response.status_code == 202  # a new run discards the draft
    assert MatchRun.objects.get(pk=run_id).status == "discarded"


def test_an_empty_cohort_answers_422_with_the_reasons(client, program):
    response = client.post(f"{BASE}/runs")

    assert response.status_code == 422
    assert response.json()["errors"]["__all__"] == [
        "No approved mentee is waiting for a mentor: approve some applications.",
        "No approved mentor has a place left: approve mentors or raise their capacity.",
    ]
    assert not MatchRun.objects.exists()


def test_missing_things_answer_404(client, program):
    assert client.get(f"{BASE}/runs/999").status_code == 404
    assert client.delete(f"{BASE}/criteria/999").status_code == 404
    assert client.get("/api/v1/programs/nowhere/matching/settings").status_code == 404

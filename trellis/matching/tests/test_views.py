"""The managers' matching pages: settings, criteria, runs, progress and draft review."""

import pytest
from django.urls import reverse

from trellis.accounts.tests.factories import UserFactory
from trellis.matching.models import MatchingCriterion, MatchingSettings, MatchRun, MatchRunPair
from trellis.matching.tests.factories import (
    MatchingCriterionFactory,
    MatchRunFactory,
    criteria,
    mentee_in,
    mentor_in,
)
from trellis.programs.tests.factories import IntakeQuestionFactory, ProgramFactory

pytestmark = pytest.mark.django_db

HOME = "/programs/garden/manage/matching/"


@pytest.fixture
def manager(client):
    manager = UserFactory()
    client.force_login(manager)
    return manager


@pytest.fixture
def program(manager):
    program = ProgramFactory(slug="garden", name="Garden", managers=[manager])
    criteria(
        program,
        ("languages", "overlap", True, 5, 1),
        ("skills", "complement", False, 8, 1),
    )
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


@pytest.fixture
def draft(client, program, cohort, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{HOME}runs/")
    run = MatchRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{HOME}runs/{run.pk}/"
    return run


def pair_of(run, mentee):
    return MatchRunPair.objects.get(run=run, mentee=mentee)


def text(response):
    return response.content.decode()


def test_home_shows_defaults_settings_and_the_run_button(client, manager):
    ProgramFactory(slug="garden", managers=[manager])

    response = client.get(HOME)

    assert response.status_code == 200
    page = text(response)
    assert "This program uses the default criteria." in page
    assert "Run automatch" in page
    assert "Department and reporting line" in page
    assert 'aria-current="page">Matching</a>' in page


def test_settings_are_saved_or_refused_with_field_errors(client, program):
    data = {
        "automatch_enabled": "on",
        "objective": "best_score",
        "request_expiry_days": "10",
        "max_open_requests": "2",
        "wish_weight": "0",
    }

    response = client.post(HOME, data)

    assert response.status_code == 302
    settings = MatchingSettings.objects.get(program=program)
    assert (settings.objective, settings.request_expiry_days, settings.wish_weight) == (
        "best_score",
        10,
        0,
    )
    assert not settings.mentee_requests_enabled

    response = client.post(HOME, data | {"request_expiry_days": "61"})

    assert response.status_code == 422
    assert "Ensure this value is less than or equal to 60." in text(response)
    assert MatchingSettings.objects.get(program=program).request_expiry_days == 10


def test_criteria_are_added_edited_moved_and_deleted(client, program):
    question = IntakeQuestionFactory(program=program, kind="scale", label="Comfort?")

    response = client.post(
        f"{HOME}criteria/",
        {"field": f"intake:{question.pk}", "kind": "", "rule": "preference", "weight": "4"},
    )
    assert response.status_code == 302
    added = MatchingCriterion.objects.get(field=f"intake:{question.pk}")
    assert (added.kind, added.weight, added.parameter) == ("closeness", 4, 1.0)

    page = text(client.get(HOME))
    assert "Intake: Comfort?" in page
    assert "At most this far apart on the scale" not in page  # a preference has none

    edit = f"{HOME}criteria/{added.pk}/"
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {
            "field": f"intake:{question.pk}",
            "kind": "closeness",
            "rule": "hard",
            "weight": "4",
            "parameter": "2",
        },
    )
    assert response.status_code == 302
    added.refresh_from_db()
    assert (added.is_hard_rule, added.parameter) == (True, 2.0)
    assert "At most this far apart on the scale: 2" in text(client.get(HOME))

    client.post(f"{edit}move/", {"direction": "up"})
    assert [c.field for c in MatchingCriterion.objects.order_by("position")] == [
        "languages",
        f"intake:{question.pk}",
        "skills",
    ]
    client.post(f"{edit}delete/")
    assert not MatchingCriterion.objects.filter(pk=added.pk).exists()


def test_invalid_criteria_answer_422_with_the_reason(client, program):
    before = list(MatchingCriterion.objects.values_list("pk", "weight"))

    response = client.post(
        f"{HOME}criteria/",
        {"field": "languages", "kind": "complement", "rule": "preference", "weight": "5"},
    )
    assert response.status_code == 422
    assert "does not fit Languages" in text(response)

    response = client.post(
        f"{HOME}criteria/", {"field": "values", "rule": "preference", "weight": "11"}
    )
    assert response.status_code == 422
    assert "Ensure this value is less than or equal to 10." in text(response)

    response = client.post(
        f"{HOME}criteria/",
        {"field": "time_zone", "rule": "hard", "weight": "5", "parameter": "30"},
    )
    assert response.status_code == 422
    assert "At most this many hours apart: give a number from 0 to 12." in text(response)
    assert list(MatchingCriterion.objects.values_list("pk", "weight")) == before


def test_customise_makes_the_defaults_editable(client, manager):
    ProgramFactory(slug="garden", managers=[manager])

    client.post(f"{HOME}criteria/customise/")

    assert MatchingCriterion.objects.count() == 8
    assert "This program uses the default criteria." not in text(client.get(HOME))


def test_start_is_refused_with_a_message_when_nobody_waits(client, program):
    response = client.post(f"{HOME}runs/", follow=True)

    assert "No approved mentee is waiting for a mentor" in text(response)
    assert not MatchRun.objects.exists()


def test_run_page_polls_progress_until_the_draft_is_ready(client, program):
    run = MatchRunFactory(
        program=program, status="running", progress=42, progress_message="Solving"
    )
    url = f"{HOME}runs/{run.pk}/"

    page = text(client.get(url))
    assert 'hx-trigger="every 1s"' in page
    assert "Solving" in page
    assert 'value="42"' in page

    partial = client.get(url, headers={"HX-Request": "true", "HX-Target": "run-progress"})
    assert partial.status_code == 200
    assert text(partial).startswith('<div id="run-progress"')
    assert "<html" not in text(partial)

    MatchRun.objects.filter(pk=run.pk).update(status="draft", progress=100)
    done = client.get(url, headers={"HX-Request": "true", "HX-Target": "run-progress"})
    assert done["HX-Refresh"] == "true"


def test_draft_page_shows_pairs_reasons_and_the_report(client, draft, cohort):
    page = text(client.get(f"{HOME}runs/{draft.pk}/"))

    assert "Review the draft" in page
    assert "The mentor offers python, which the mentee wants to learn" in page
    assert "Zoé" in page
    assert "No mentor meets the rule “Languages”." in page
    assert "Publish 2 pairs" in page
    assert "Proven optimal" in page


def test_swap_lock_assign_and_publish_from_the_page(
    client, draft, cohort, program, django_capture_on_commit_callbacks
):
    url = f"{HOME}runs/{draft.pk}/"
    ana, bo = pair_of(draft, cohort["ana"]), pair_of(draft, cohort["bo"])

    response = client.post(f"{url}swap/", {"pair_ids": [ana.pk, bo.pk]}, follow=True)
    assert "Swapped: Ana now has Grace and Bo has Ada. Both pairs are locked." in text(response)
    assert pair_of(draft, cohort["ana"]).mentor == cohort["grace"]

    response = client.post(f"{url}pairs/{ana.pk}/lock/", {"lock": "0"}, follow=True)
    assert "Unlocked the pair of Ana." in text(response)
    assert not pair_of(draft, cohort["ana"]).is_locked

    response = client.post(f"{url}swap/", {"pair_ids": [ana.pk]}, follow=True)
    assert "Tick exactly two pairs to swap their mentors." in text(response)

    fragment = client.get(
        f"{url}mentees/{cohort['zoe'].pk}/mentor/", headers={"HX-Request": "true"}
    )
    assert "No other eligible mentor has a place left in this draft" in text(fragment)
    paul = mentor_in(program, display_name="Paul", languages=["fr"], capacity=1)
    fragment = client.get(
        f"{url}mentees/{cohort['zoe'].pk}/mentor/", headers={"HX-Request": "true"}
    )
    assert "Paul · score" in text(fragment)
    assert "<html" not in text(fragment)
    assert client.get(f"{url}mentees/{cohort['zoe'].pk}/mentor/").status_code == 200
    response = client.post(
        f"{url}mentees/{cohort['zoe'].pk}/mentor/", {"mentor": paul.pk}, follow=True
    )
    assert "Zoé now has Paul as mentor; the pair is locked." in text(response)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{url}publish/", follow=True)
        # Until the worker has started every mentorship, the page shows its progress.
        page = text(response)
        assert "<strong>Publishing</strong>: Waiting for the worker to start" in page
        assert 'id="run-progress"' in page
        assert "Stop publishing and discard the draft" in page
        assert "Review the draft" not in page
    page = text(client.get(url))
    assert "Published " in page
    assert ": 3 mentorships started; everyone was notified." in page
    assert "Review the draft" not in page
    draft.refresh_from_db()
    assert draft.status == "published"

    response = client.post(f"{url}publish/", follow=True)
    assert "This run was already published" in text(response)


def test_refused_swap_explains_the_broken_rule(client, draft, cohort, program):
    url = f"{HOME}runs/{draft.pk}/"
    response = client.post(
        f"{url}mentees/{cohort['zoe'].pk}/mentor/", {"mentor": cohort["ada"].pk}, follow=True
    )
    assert "Ada has no place left in this draft; swap two pairs instead." in text(response)


def test_a_failed_run_shows_why(client, program):
    run = MatchRunFactory(program=program, status="failed", error="The solver stopped.")

    page = text(client.get(f"{HOME}runs/{run.pk}/"))

    assert "The run failed." in page
    assert "The solver stopped." in page


def test_discard_returns_to_matching(client, draft):
    response = client.post(f"{HOME}runs/{draft.pk}/discard/")

    assert response.status_code == 302
    assert response["Location"] == HOME
    draft.refresh_from_db()
    assert draft.status == "discarded"


def test_a_run_of_another_program_is_not_found(client, manager, program):
    other = MatchRunFactory(program=ProgramFactory(managers=[manager]))

    assert client.get(f"{HOME}runs/{other.pk}/").status_code == 404
    assert client.post(f"{HOME}runs/{other.pk}/discard/").status_code == 404
    assert MatchingCriterionFactory(program=other.program).pk
    criterion = MatchingCriterion.objects.filter(program=other.program).get()
    assert client.get(f"{HOME}criteria/{criterion.pk}/").status_code == 404


def test_program_nav_links_to_matching(client, program):
    page = text(client.get(reverse("programs:manage", kwargs={"slug": "garden"})))

    assert f'href="{HOME}"' in page

"""Automatch runs: start, solve in the task, review (lock, swap, assign), re-solve, publish."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.core.errors import PermissionDeniedError
from trellis.matching import services
from trellis.matching.models import MatchRun, MatchRunPair, MatchRunStatus, MentorWish
from trellis.matching.tests.factories import (
    MatchRunFactory,
    active_mentorship,
    criteria,
    mentee_in,
    mentor_in,
    participant,
    settings_of,
    snapshot,
)
from trellis.mentorships.models import Mentorship
from trellis.notifications.models import Notification
from trellis.programs.models import ProgramType, Role
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two mentors with one place each, three mentees; Zoé speaks no shared language."""
    manager = UserFactory(email="manager@example.org")
    program = ProgramFactory(slug="garden", managers=[manager], default_mentor_capacity=1)
    criteria(
        program,
        ("languages", "overlap", True, 5, 1),
        ("skills", "complement", False, 8, 1),
        ("time_zone", "time_zone", False, 4, 8),
    )
    ada = mentor_in(program, display_name="Ada", skills_offered=["python"])
    grace = mentor_in(
        program, display_name="Grace", skills_offered=["cobol"], time_zone="America/New_York"
    )
    ana = mentee_in(program, display_name="Ana", skills_sought=["python"])
    bo = mentee_in(program, display_name="Bo", skills_sought=["cobol"])
    zoe = mentee_in(program, display_name="Zoé", languages=["fr"])
    return {
        "manager": manager,
        "program": program,
        "ada": ada,
        "grace": grace,
        "ana": ana,
        "bo": bo,
        "zoe": zoe,
    }


@pytest.fixture
def run_now(django_capture_on_commit_callbacks):
    """Start a run and let the (immediate) task solve it, as the worker would."""

    def start(program, by):
        with django_capture_on_commit_callbacks(execute=True):
            run = services.matchrun_start(program=program, by=by)
        run.refresh_from_db()
        return run

    return start


def pairs_of(run):
    return {
        (pair.mentee.display_name, pair.mentor.display_name): pair
        for pair in MatchRunPair.objects.filter(run=run).select_related(
            "mentee__profile", "mentor__profile"
        )
    }


def test_a_run_solves_to_an_explained_draft_with_a_report(world, run_now):
    run = run_now(world["program"], world["manager"])

    assert (run.status, run.progress, run.progress_message) == (
        "draft",
        100,
        "Draft ready for review",
    )
    assert (run.matched_count, run.unmatched_count, run.is_optimal) == (2, 1, True)
    pairs = pairs_of(run)
    assert set(pairs) == {("Ana", "Ada"), ("Bo", "Grace")}
    assert pairs[("Ana", "Ada")].score == 100.0
    assert pairs[("Ana", "Ada")].reasons == [
        "The mentor offers python, which the mentee wants to learn",
        "Same time zone",
        "Both speak English",
    ]
    assert pairs[("Bo", "Grace")].reasons == [
        "The mentor offers cobol, which the mentee wants to learn",
        "6 hours apart",
        "Both speak English",
    ]
    assert run.total_score == pytest.approx(sum(p.score for p in pairs.values()))
    assert run.report["unmatched"] == [
        {
            "mentee_id": world["zoe"].pk,
            "name": "Zoé",
            "reason": "No mentor meets the rule “Languages”.",
            "blocked_by": ["Languages"],
            "eligible_mentors": 0,
            "eligible_with_places": 0,
        }
    ]
    assert (run.report["mentee_count"], run.report["mentor_count"], run.report["places"]) == (
        3,
        2,
        2,
    )
    assert run.started_at <= run.finished_at
    # Nothing is announced before the draft is published.
    assert not Mentorship.objects.exists()
    assert not Notification.objects.exists()


def test_a_hard_rule_nobody_meets_is_reported_for_everyone(world, run_now):
    criteria(world["program"], ("time_zone", "time_zone", True, 5, 0))
    for person in ("ada", "ana", "bo", "zoe"):
        profile = world[person].profile
        profile.time_zone = "Asia/Tokyo"
        profile.save()
    world["grace"].profile.time_zone = "Asia/Tokyo"
    world["grace"].profile.save()
    criteria(
        world["program"],
        ("time_zone", "time_zone", True, 5, 0),
        ("seniority", "seniority_gap", True, 5, 1),
    )

    run = run_now(world["program"], world["manager"])

    assert (run.status, run.matched_count, run.unmatched_count) == ("draft", 0, 3)
    assert {entry["reason"] for entry in run.report["unmatched"]} == {
        "No mentor meets the rule “Seniority”."
    }
    assert {tuple(entry["blocked_by"]) for entry in run.report["unmatched"]} == {("Seniority",)}


def test_mentees_with_a_mentor_and_full_mentors_are_left_out(world, run_now):
    active_mentorship(world["program"], mentor=world["ada"], mentee=world["ana"])

    run = run_now(world["program"], world["manager"])

    assert set(pairs_of(run)) == {("Bo", "Grace")}
    assert [e["name"] for e in run.report["unmatched"]] == ["Zoé"]
    assert run.report["places"] == 1


# Refusals --------------------------------------------------------------------------------


def refused(action):
    before = snapshot()
    with pytest.raises(ValidationError) as raised:
        action()
    assert snapshot() == before
    return raised.value.messages


def test_start_refuses_while_another_run_is_under_way(world):
    MatchRunFactory(program=world["program"], status=MatchRunStatus.RUNNING)

    assert refused(
        lambda: services.matchrun_start(program=world["program"], by=world["manager"])
    ) == ["A matching run is already under way for this program."]


def test_start_refuses_when_automatch_is_off(world):
    settings_of(world["program"], automatch_enabled=False)

    assert refused(
        lambda: services.matchrun_start(program=world["program"], by=world["manager"])
    ) == ["Automatch is off for this program; turn it on in the matching settings."]


def test_start_refuses_an_empty_cohort_with_clear_messages():
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    settings_of(program)

    assert refused(lambda: services.matchrun_start(program=program, by=manager)) == [
        "No approved mentee is waiting for a mentor: approve some applications.",
        "No approved mentor has a place left: approve mentors or raise their capacity.",
    ]

    mentor = mentor_in(program, capacity=1)
    mentee_in(program)
    active_mentorship(program, mentor=mentor, mentee=mentee_in(program))
    assert refused(lambda: services.matchrun_start(program=program, by=manager)) == [
        "No approved mentor has a place left: approve mentors or raise their capacity."
    ]


@pytest.mark.parametrize("who", ["mentee", "mentor", "other_manager"])
def test_only_managers_start_runs(world, who):
    person = {"mentee": world["ana"], "mentor": world["ada"], "other_manager": UserFactory()}[who]
    if who == "other_manager":
        ProgramFactory(managers=[person])
    before = snapshot()

    with pytest.raises(PermissionDeniedError):
        services.matchrun_start(program=world["program"], by=person)

    assert snapshot() == before


def test_staff_may_run_automatch(world, run_now):
    assert run_now(world["program"], StaffFactory()).status == "draft"


def test_the_database_allows_one_active_run_per_program(world):
    MatchRunFactory(program=world["program"], status=MatchRunStatus.QUEUED)

    with pytest.raises(IntegrityError), transaction.atomic():
        MatchRunFactory(program=world["program"], status=MatchRunStatus.RUNNING)


def test_a_new_run_discards_older_drafts(world, run_now):
    first = run_now(world["program"], world["manager"])
    second = run_now(world["program"], world["manager"])

    first.refresh_from_db()
    assert (first.status, second.status) == ("discarded", "draft")


# The task ---------------------------------------------------------------------------------


def test_a_failing_solver_marks_the_run_failed(world, run_now, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(services.engine, "solve", explode)

    run = run_now(world["program"], world["manager"])

    assert (run.status, run.error, run.progress_message) == (
        "failed",
        "The solver stopped with an error: out of memory",
        "Failed",
    )
    assert not MatchRunPair.objects.exists()


def test_the_task_ignores_a_run_that_is_not_queued(world):
    run = MatchRunFactory(program=world["program"], status=MatchRunStatus.DISCARDED)

    services.matchrun_execute_now(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == "discarded"
    assert not MatchRunPair.objects.exists()


def test_a_run_discarded_while_solving_keeps_no_result(world, monkeypatch):
    run = MatchRunFactory(program=world["program"], status=MatchRunStatus.QUEUED)
    real_solve = services.engine.solve

    def solve_then_discard(*args, **kwargs):
        MatchRun.objects.filter(pk=run.pk).update(status=MatchRunStatus.DISCARDED)
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(services.engine, "solve", solve_then_discard)

    services.matchrun_execute_now(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == "discarded"
    assert not MatchRunPair.objects.exists()


def test_progress_is_written_at_most_twice_a_second(world):
    run = MatchRunFactory(program=world["program"], status=MatchRunStatus.RUNNING)
    ticks = iter([0.0, 0.1, 0.2, 0.3, 0.7, 0.8, 1.3])
    writer = services._ProgressWriter(run.pk, low=10, high=90, clock=lambda: next(ticks))

    with CaptureQueriesContext(connection) as context:
        for step in range(7):
            writer(step / 10, f"Scored {step}")

    assert len(context.captured_queries) == 3
    run.refresh_from_db()
    assert (run.progress, run.progress_message) == (58, "Scored 6")


def test_progress_to_a_discarded_run_stops_the_solve(world):
    run = MatchRunFactory(program=world["program"], status=MatchRunStatus.DISCARDED)
    writer = services._ProgressWriter(run.pk, low=10, high=90)

    with pytest.raises(services.RunCancelledError):
        writer.write(50, "Solving")


# Review -----------------------------------------------------------------------------------


def test_lock_and_unlock(world, run_now):
    run = run_now(world["program"], world["manager"])
    pair = pairs_of(run)[("Ana", "Ada")]

    services.matchrun_pair_lock(run=run, pair=pair, by=world["manager"])
    assert MatchRunPair.objects.get(pk=pair.pk).is_locked
    services.matchrun_pair_unlock(run=run, pair=pair, by=world["manager"])
    assert not MatchRunPair.objects.get(pk=pair.pk).is_locked


def test_swap_exchanges_mentors_rescores_and_locks(world, run_now):
    run = run_now(world["program"], world["manager"])
    pairs = pairs_of(run)

    services.matchrun_swap(
        run=run, pair_a=pairs[("Ana", "Ada")], pair_b=pairs[("Bo", "Grace")], by=world["manager"]
    )

    swapped = pairs_of(run)
    assert set(swapped) == {("Ana", "Grace"), ("Bo", "Ada")}
    assert swapped[("Ana", "Grace")].reasons == ["6 hours apart", "Both speak English"]
    # Skills count 8 (none offered), time zones 4 (half, at six hours apart): 2 of 12.
    assert swapped[("Ana", "Grace")].score == 16.67
    assert all(pair.is_locked for pair in swapped.values())
    run.refresh_from_db()
    assert run.total_score == pytest.approx(16.67 + swapped[("Bo", "Ada")].score)
    assert not run.is_optimal


def test_swap_refuses_to_break_a_hard_rule(world, run_now):
    zoe_mentor = mentor_in(world["program"], display_name="Zed", languages=["fr"], capacity=1)
    run = run_now(world["program"], world["manager"])
    pairs = pairs_of(run)
    assert ("Zoé", "Zed") in pairs

    messages = refused(
        lambda: services.matchrun_swap(
            run=run,
            pair_a=pairs[("Zoé", "Zed")],
            pair_b=pairs[("Ana", "Ada")],
            by=world["manager"],
        )
    )

    assert messages == ["Ada cannot mentor Zoé: the hard rule “Languages” does not hold."]
    assert zoe_mentor


def test_assign_gives_an_unmatched_mentee_a_mentor_with_a_place(world, run_now):
    paul = mentor_in(world["program"], display_name="Paul", languages=["fr", "en"], capacity=2)
    run = run_now(world["program"], world["manager"])
    assert ("Zoé", "Paul") in pairs_of(run)
    # Move Ana to Paul, who has a second place; Ada's place is then free.
    services.matchrun_assign(run=run, mentee=world["ana"], mentor=paul, by=world["manager"])

    pairs = pairs_of(run)
    assert ("Ana", "Paul") in pairs
    assert pairs[("Ana", "Paul")].is_locked
    run.refresh_from_db()
    assert (run.matched_count, run.unmatched_count) == (3, 0)


def test_assign_refuses_a_full_mentor_or_a_broken_rule(world, run_now):
    run = run_now(world["program"], world["manager"])

    assert refused(
        lambda: services.matchrun_assign(
            run=run, mentee=world["ana"], mentor=world["grace"], by=world["manager"]
        )
    ) == ["Grace has no place left in this draft; swap two pairs instead."]
    extra = mentor_in(world["program"], display_name="Ivo", languages=["de"], capacity=3)
    assert refused(
        lambda: services.matchrun_assign(
            run=run, mentee=world["zoe"], mentor=extra, by=world["manager"]
        )
    ) == ["Ivo cannot mentor Zoé: the hard rule “Languages” does not hold."]
    assert refused(
        lambda: services.matchrun_assign(
            run=run, mentee=UserFactory(), mentor=extra, by=world["manager"]
        )
    ) == ["This mentee is not part of this run."]


def test_resolve_keeps_locked_pairs_and_solves_the_rest(
    world, run_now, django_capture_on_commit_callbacks
):
    run = run_now(world["program"], world["manager"])
    pairs = pairs_of(run)
    services.matchrun_swap(
        run=run, pair_a=pairs[("Ana", "Ada")], pair_b=pairs[("Bo", "Grace")], by=world["manager"]
    )
    services.matchrun_pair_unlock(run=run, pair=pairs_of(run)[("Bo", "Ada")], by=world["manager"])
    newcomer = mentor_in(world["program"], display_name="Cleo", skills_offered=["cobol"])

    with django_capture_on_commit_callbacks(execute=True):
        services.matchrun_resolve(run=run, by=world["manager"])

    run.refresh_from_db()
    assert run.status == "draft"
    pairs = pairs_of(run)
    assert set(pairs) == {("Ana", "Grace"), ("Bo", "Cleo")}
    assert pairs[("Ana", "Grace")].is_locked
    assert not pairs[("Bo", "Cleo")].is_locked
    assert newcomer


def test_changes_are_refused_once_published_or_discarded(world, run_now):
    run = run_now(world["program"], world["manager"])
    pair = pairs_of(run)[("Ana", "Ada")]
    services.matchrun_discard(run=run, by=world["manager"])

    for action in (
        lambda: services.matchrun_pair_lock(run=run, pair=pair, by=world["manager"]),
        lambda: services.matchrun_resolve(run=run, by=world["manager"]),
        lambda: services.matchrun_publish(run=run, by=world["manager"]),
        lambda: services.matchrun_discard(run=run, by=world["manager"]),
    ):
        refused(action)


@pytest.mark.parametrize("action", ["lock", "swap", "assign", "resolve", "publish", "discard"])
def test_only_managers_review_runs(world, run_now, action):
    run = run_now(world["program"], world["manager"])
    pairs = list(pairs_of(run).values())
    outsider = world["ada"]
    calls = {
        "lock": lambda: services.matchrun_pair_lock(run=run, pair=pairs[0], by=outsider),
        "swap": lambda: services.matchrun_swap(
            run=run, pair_a=pairs[0], pair_b=pairs[1], by=outsider
        ),
        "assign": lambda: services.matchrun_assign(
            run=run, mentee=world["zoe"], mentor=world["ada"], by=outsider
        ),
        "resolve": lambda: services.matchrun_resolve(run=run, by=outsider),
        "publish": lambda: services.matchrun_publish(run=run, by=outsider),
        "discard": lambda: services.matchrun_discard(run=run, by=outsider),
    }
    before = snapshot()

    with pytest.raises(PermissionDeniedError):
        calls[action]()

    assert snapshot() == before


# Publishing -------------------------------------------------------------------------------


def test_publish_starts_every_mentorship_and_tells_everyone(
    world, run_now, django_capture_on_commit_callbacks
):
    run = run_now(world["program"], world["manager"])
    pairs = pairs_of(run)

    with django_capture_on_commit_callbacks(execute=True):
        services.matchrun_publish(run=run, by=world["manager"])

    run.refresh_from_db()
    assert (run.status, run.published_by) == ("published", world["manager"])
    assert (run.progress, run.progress_message, run.error) == (100, "Published", "")
    assert run.published_at is not None
    stored = {
        (m.mentee.display_name, m.mentor.display_name): m
        for m in Mentorship.objects.select_related("mentee__profile", "mentor__profile")
    }
    assert set(stored) == {("Ana", "Ada"), ("Bo", "Grace")}
    ana = stored[("Ana", "Ada")]
    assert (ana.source, ana.score, ana.reasons, ana.status) == (
        "automatch",
        pairs[("Ana", "Ada")].score,
        pairs[("Ana", "Ada")].reasons,
        "active",
    )
    notified = sorted(Notification.objects.values_list("recipient__email", "kind"))
    assert notified == sorted(
        [(world[name].email, "mentorship.started") for name in ("ada", "grace", "ana", "bo")]
        + [(world["zoe"].email, "matching.unmatched")]
    )
    assert len(mail.outbox) == 4


def test_publishing_twice_is_refused(world, run_now, django_capture_on_commit_callbacks):
    run = run_now(world["program"], world["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        services.matchrun_publish(run=run, by=world["manager"])

    assert refused(lambda: services.matchrun_publish(run=run, by=world["manager"])) == [
        "This run was already published; start a new run to match again."
    ]


def test_publish_is_all_or_nothing(world, run_now, django_capture_on_commit_callbacks):
    run = run_now(world["program"], world["manager"])
    # Meanwhile Grace took a mentee through a request: her only place is gone.
    active_mentorship(world["program"], mentor=world["grace"], mentee=mentee_in(world["program"]))
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        services.matchrun_publish(run=run, by=world["manager"])

    assert snapshot() == before
    run.refresh_from_db()
    assert (run.status, run.published_by, run.published_at) == ("draft", None, None)
    assert run.error == (
        "Bo and Grace cannot be paired any more: Grace has no places left in "
        f"{world['program'].name}: all 1 are taken. Nothing was published; solve again or "
        "change the pair."
    )


def test_discard_a_running_run(world):
    run = MatchRunFactory(program=world["program"], status=MatchRunStatus.RUNNING)

    services.matchrun_discard(run=run, by=world["manager"])

    run.refresh_from_db()
    assert run.status == "discarded"
    assert run.finished_at is not None


def test_swap_respects_a_mentors_avoid(world, run_now):
    run = run_now(world["program"], world["manager"])
    pairs = pairs_of(run)
    MentorWish.objects.create(
        program=world["program"], mentor=world["grace"], mentee=world["ana"], stance="avoid"
    )

    assert refused(
        lambda: services.matchrun_swap(
            run=run,
            pair_a=pairs[("Ana", "Ada")],
            pair_b=pairs[("Bo", "Grace")],
            by=world["manager"],
        )
    ) == ["Grace asked not to be matched with Ana."]


def test_peers_are_paired_with_others_only(run_now):
    manager = UserFactory()
    program = ProgramFactory(program_type=ProgramType.PEER, managers=[manager])
    criteria(program, ("languages", "overlap", True, 5, 1))
    people = [participant(program, Role.BOTH, capacity=1) for _ in range(3)]

    run = run_now(program, manager)

    pairs = list(MatchRunPair.objects.filter(run=run).values_list("mentee_id", "mentor_id"))
    assert len(pairs) == 3
    assert all(mentee != mentor for mentee, mentor in pairs)
    assert {mentee for mentee, _ in pairs} == {person.pk for person in people}

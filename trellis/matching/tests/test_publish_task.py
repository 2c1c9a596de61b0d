"""Publishing a run in the background: the publishing state, the task, progress, failure."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.accounts.tests.factories import UserFactory
from trellis.core import realtime
from trellis.matching import services
from trellis.matching.models import MatchRun, MatchRunPair, MatchRunStatus
from trellis.matching.tests.factories import (
    MatchRunFactory,
    MatchRunPairFactory,
    criteria,
    mentee_in,
    mentor_in,
    snapshot,
)
from trellis.mentorships.models import Mentorship
from trellis.notifications.models import Notification
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a second writer during a transaction"
)


def draft_of(program, count, *, manager=None, capacity=1):
    """A draft run of `count` pairs, each mentor with `capacity` places; one mentee unmatched."""
    run = MatchRunFactory(program=program, created_by=manager, status=MatchRunStatus.DRAFT)
    for index in range(count):
        mentor = mentor_in(program, display_name=f"Mentor {index}", capacity=capacity)
        mentee = mentee_in(program, display_name=f"Mentee {index}")
        MatchRunPairFactory(
            run=run, mentee=mentee, mentor=mentor, score=80.0, reasons=["Both speak English"]
        )
    waiting = mentee_in(program, display_name="Still waiting")
    run.report = {
        "unmatched": [{"mentee_id": waiting.pk, "name": "Still waiting", "reason": "-"}],
    }
    run.matched_count = count
    run.save()
    return run


@pytest.fixture
def manager():
    return UserFactory(email="manager@example.org")


@pytest.fixture
def program(manager):
    program = ProgramFactory(slug="garden", name="Garden", managers=[manager])
    criteria(program, ("languages", "overlap", True, 5, 1))
    return program


def refused(action):
    before = snapshot()
    with pytest.raises(ValidationError) as raised:
        action()
    assert snapshot() == before
    return raised.value.messages


# Asking to publish --------------------------------------------------------------------------


def test_publish_marks_the_run_publishing_and_queues_the_task(
    program, manager, django_capture_on_commit_callbacks
):
    run = draft_of(program, 2, manager=manager)

    with django_capture_on_commit_callbacks() as callbacks:
        returned = services.matchrun_publish(run=run, by=manager)

    run.refresh_from_db()
    assert returned.pk == run.pk
    assert (run.status, run.progress, run.progress_message, run.published_by) == (
        "publishing",
        0,
        "Waiting for the worker to start",
        manager,
    )
    assert run.published_at is None
    assert run.is_active
    # Nothing happens before the worker takes the task, queued once the request commits.
    assert not Mentorship.objects.exists()
    assert not Notification.objects.exists()
    assert len(callbacks) == 1


def test_a_run_being_published_cannot_change_or_be_published_again(program, manager):
    run = draft_of(program, 2, manager=manager)
    pairs = list(MatchRunPair.objects.filter(run=run))
    services.matchrun_publish(run=run, by=manager)
    extra_mentor = mentor_in(program, capacity=2)

    assert refused(lambda: services.matchrun_publish(run=run, by=manager)) == [
        "This run is being published; wait until it is done."
    ]
    for action in (
        lambda: services.matchrun_pair_lock(run=run, pair=pairs[0], by=manager),
        lambda: services.matchrun_swap(run=run, pair_a=pairs[0], pair_b=pairs[1], by=manager),
        lambda: services.matchrun_assign(
            run=run, mentee=pairs[0].mentee, mentor=extra_mentor, by=manager
        ),
        lambda: services.matchrun_resolve(run=run, by=manager),
    ):
        assert refused(action) == ["This run is being published; wait until it is done."]
    # No new run may solve a cohort whose mentorships are being started.
    assert refused(lambda: services.matchrun_start(program=program, by=manager)) == [
        "A matching run is already under way for this program."
    ]


def test_an_empty_draft_is_not_published(program, manager):
    run = MatchRunFactory(program=program, status=MatchRunStatus.DRAFT)

    assert refused(lambda: services.matchrun_publish(run=run, by=manager)) == [
        "The draft has no pairs to publish."
    ]


# The task -------------------------------------------------------------------------------------


def test_the_task_publishes_everything_reports_progress_and_tells_everyone(
    program, manager, monkeypatch, django_capture_on_commit_callbacks
):
    run = draft_of(program, 3, manager=manager)
    services.matchrun_publish(run=run, by=manager)
    written = []
    store = services._store_publish_progress

    def record(run_id, percent, message):
        written.append((percent, message))
        store(run_id, percent, message)

    monkeypatch.setattr(services, "_store_publish_progress", record)
    monkeypatch.setattr(services._PublishProgressWriter, "INTERVAL", 0)
    sent = []
    monkeypatch.setattr(realtime, "send_now", lambda ids, event: sent.append((ids, event)))

    with django_capture_on_commit_callbacks(execute=True):
        services.matchrun_publish_now(run_id=run.pk)

    assert written == [
        (1, "Reading the pairs"),
        (31, "Started 1 of 3 mentorships"),
        (61, "Started 2 of 3 mentorships"),
        (90, "Started 3 of 3 mentorships"),
        (92, "Telling everyone"),
    ]
    run.refresh_from_db()
    assert (run.status, run.progress, run.progress_message, run.error) == (
        "published",
        100,
        "Published",
        "",
    )
    assert (run.published_by, run.published_at is not None) == (manager, True)
    mentorships = list(Mentorship.objects.order_by("pk"))
    assert [(m.mentee.display_name, m.mentor.display_name) for m in mentorships] == [
        ("Mentee 0", "Mentor 0"),
        ("Mentee 1", "Mentor 1"),
        ("Mentee 2", "Mentor 2"),
    ]
    assert {(m.source, m.score, tuple(m.reasons)) for m in mentorships} == {
        ("automatch", 80.0, ("Both speak English",))
    }
    ana_mentorship = mentorships[0]
    assert set(
        Notification.objects.filter(recipient=ana_mentorship.mentee).values_list(
            "kind", "title", "body", "url"
        )
    ) == {
        (
            "mentorship.started",
            "Mentor 0 is now your mentor in Garden",
            "Both speak English",
            f"/mentorships/{ana_mentorship.pk}/",
        )
    }
    assert Notification.objects.get(recipient=ana_mentorship.mentor).title == (
        "You are now mentoring Mentee 0 in Garden"
    )
    assert Notification.objects.filter(kind="matching.unmatched").count() == 1
    # One live event per notification, to its recipient alone, with their unread count.
    assert sorted((ids[0], event["id"]) for ids, event in sent) == sorted(
        Notification.objects.values_list("recipient_id", "pk")
    )
    assert {event["unread_count"] for _, event in sent} == {1}
    # Both people of each pair get an email; the unmatched mentee only the notification.
    assert len(mail.outbox) == 6
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [m.mentee.email for m in mentorships] + [m.mentor.email for m in mentorships]
    )
    assert "Open it in Trellis: http" in mail.outbox[0].body


def test_nothing_is_announced_before_the_publishing_commits(
    program, manager, monkeypatch, django_capture_on_commit_callbacks
):
    run = draft_of(program, 2, manager=manager)
    services.matchrun_publish(run=run, by=manager)
    sent = []
    monkeypatch.setattr(realtime, "send_now", lambda ids, event: sent.append(ids))

    with django_capture_on_commit_callbacks() as callbacks:
        services.matchrun_publish_now(run_id=run.pk)

    assert sent == []
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert len(sent) == 5  # two pairs of two people, and the mentee left waiting


def test_a_mentor_with_several_mentees_sees_the_whole_count(
    program, manager, monkeypatch, django_capture_on_commit_callbacks
):
    run = draft_of(program, 1, manager=manager, capacity=3)
    mentor = MatchRunPair.objects.get(run=run).mentor
    for index in range(2):
        MatchRunPairFactory(
            run=run, mentee=mentee_in(program, display_name=f"Extra {index}"), mentor=mentor
        )
    services.matchrun_publish(run=run, by=manager)
    sent = []
    monkeypatch.setattr(realtime, "send_now", lambda ids, event: sent.append((ids, event)))

    with django_capture_on_commit_callbacks(execute=True):
        services.matchrun_publish_now(run_id=run.pk)

    to_mentor = [event for ids, event in sent if ids == [mentor.pk]]
    assert [event["unread_count"] for event in to_mentor] == [3, 3, 3]
    assert Notification.objects.filter(recipient=mentor).count() == 3


def test_a_pair_that_cannot_start_any_more_publishes_nothing(
    program, manager, django_capture_on_commit_callbacks
):
    run = draft_of(program, 3, manager=manager)
    last = MatchRunPair.objects.filter(run=run).order_by("pk").last()
    # Meanwhile the last mentee found a mentor through a request.
    Mentorship.objects.create(
        program=program, mentor=mentor_in(program), mentee=last.mentee, source="request"
    )
    services.matchrun_publish(run=run, by=manager)
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        services.matchrun_publish_now(run_id=run.pk)

    assert snapshot() == {
        **before,
        "runs": [(run.pk, "draft", 3, 0, None, False)],
    }
    run.refresh_from_db()
    assert (run.status, run.published_by, run.published_at, run.progress) == (
        "draft",
        None,
        None,
        100,
    )
    assert run.error == (
        "Mentee 2 and Mentor 2 cannot be paired any more: Mentee 2 already has a mentor in "
        "Garden. Nothing was published; solve again or change the pair."
    )
    assert mail.outbox == []


def test_an_unexpected_error_returns_the_run_to_draft_and_it_can_be_published_again(
    program, manager, monkeypatch, django_capture_on_commit_callbacks
):
    run = draft_of(program, 2, manager=manager)
    from trellis.mentorships import services as mentorship_services

    real_start = mentorship_services.mentorship_start
    calls = []

    def start_then_break(**kwargs):
        calls.append(kwargs["mentee"])
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return real_start(**kwargs)

    monkeypatch.setattr(mentorship_services, "mentorship_start", start_then_break)
    with django_capture_on_commit_callbacks(execute=True):
        services.matchrun_publish(run=run, by=manager)

    run.refresh_from_db()
    assert (run.status, run.error) == (
        "draft",
        "Publishing stopped with an error: the disk is full",
    )
    assert not Mentorship.objects.exists()
    assert not Notification.objects.exists()

    monkeypatch.setattr(mentorship_services, "mentorship_start", real_start)
    with django_capture_on_commit_callbacks(execute=True):
        services.matchrun_publish(run=run, by=manager)

    run.refresh_from_db()
    assert (run.status, run.error) == ("published", "")
    assert Mentorship.objects.count() == 2


def test_discarding_a_run_being_published(program, manager):
    run = draft_of(program, 2, manager=manager)
    services.matchrun_publish(run=run, by=manager)

    services.matchrun_discard(run=run, by=manager)

    run.refresh_from_db()
    assert run.status == "discarded"
    services.matchrun_publish_now(run_id=run.pk)
    assert not Mentorship.objects.exists()


def test_the_task_ignores_a_run_that_is_not_being_published(program, manager):
    run = draft_of(program, 2, manager=manager)

    services.matchrun_publish_now(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == "draft"
    assert not Mentorship.objects.exists()


def test_publishing_takes_a_fixed_number_of_queries_per_pair(
    program, manager, django_capture_on_commit_callbacks
):
    def queries(count):
        run = draft_of(ProgramFactory(managers=[manager]), count, manager=manager)
        services.matchrun_publish(run=run, by=manager)
        with CaptureQueriesContext(connection) as context:
            services.matchrun_publish_now(run_id=run.pk)
        MatchRun.objects.filter(pk=run.pk).update(status=MatchRunStatus.DISCARDED)
        assert Mentorship.objects.filter(program=run.program).count() == count
        return len(context.captured_queries)

    few, many = queries(2), queries(12)

    # Only mentorship_start's own per pair (its savepoints, row lock, checks, insert, and
    # closing open requests and offers): notifications are stored in bulk, a few queries
    # per thousand people, where notifying one by one added four per pair.
    assert (many - few) / 10 <= 10


# The run page -------------------------------------------------------------------------------


def test_the_page_polls_while_publishing_then_shows_the_result(
    client, program, manager, django_capture_on_commit_callbacks
):
    run = draft_of(program, 2, manager=manager)
    services.matchrun_publish(run=run, by=manager)
    MatchRun.objects.filter(pk=run.pk).update(progress=46, progress_message="Started 1 of 2")
    client.force_login(manager)
    url = f"/programs/garden/manage/matching/runs/{run.pk}/"

    fragment = client.get(url, headers={"HX-Request": "true", "HX-Target": "run-progress"})

    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<strong>Publishing</strong>: Started 1 of 2" in body
    assert 'value="46"' in body
    assert "Nobody is told anything until every mentorship has started." in body

    with django_capture_on_commit_callbacks(execute=True):
        services.matchrun_publish_now(run_id=run.pk)
    done = client.get(url, headers={"HX-Request": "true", "HX-Target": "run-progress"})
    assert done.headers["HX-Refresh"] == "true"
    page = client.get(url).content.decode()
    assert "2 mentorships started; everyone was notified." in page
    assert f"by {manager.display_name}" in page


def test_the_page_says_why_publishing_failed(client, program, manager):
    run = draft_of(program, 1, manager=manager)
    MatchRun.objects.filter(pk=run.pk).update(error="Mentee 0 already has a mentor in Garden.")
    client.force_login(manager)

    page = client.get(f"/programs/garden/manage/matching/runs/{run.pk}/").content.decode()

    assert "Publishing failed; nothing was published." in page
    assert "Mentee 0 already has a mentor in Garden." in page
    assert "Review the draft" in page


# PostgreSQL: progress is visible before the publishing commits -------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_other_connections_while_publishing(monkeypatch, manager):
    program = ProgramFactory(slug="garden", managers=[manager])
    run = draft_of(program, 4, manager=manager)
    monkeypatch.setattr(services._PublishProgressWriter, "INTERVAL", 0)
    from trellis.mentorships import services as mentorship_services

    real_start = mentorship_services.mentorship_start
    seen = []

    def look_from_elsewhere():
        try:
            stored = MatchRun.objects.get(pk=run.pk)
            seen.append(
                (
                    stored.status,
                    stored.progress_message,
                    Mentorship.objects.filter(program=program).count(),
                )
            )
        finally:
            connection.close()

    def start_and_look(**kwargs):
        mentorship = real_start(**kwargs)
        if kwargs["mentee"].display_name == "Mentee 2":
            # Another connection (the web server's, say) reads the run meanwhile.
            viewer = threading.Thread(target=look_from_elsewhere)
            viewer.start()
            viewer.join()
        return mentorship

    monkeypatch.setattr(mentorship_services, "mentorship_start", start_and_look)

    # Nothing wraps this in a transaction: it commits, and the immediate task backend
    # publishes right away, as a worker would.
    services.matchrun_publish(run=run, by=manager)

    # The third pair is started but not committed: nobody sees the mentorships yet, only
    # the progress, written through the writer's own connection.
    assert seen == [("publishing", "Started 2 of 4 mentorships", 0)]
    run.refresh_from_db()
    assert run.status == "published"
    assert Mentorship.objects.filter(program=program).count() == 4


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_run_stopped_while_publishing_publishes_nothing(monkeypatch, manager):
    program = ProgramFactory(slug="garden", managers=[manager])
    run = draft_of(program, 3, manager=manager)
    real_notify = services._notify_published

    def stop_from_elsewhere():
        try:
            services.matchrun_discard(run=MatchRun.objects.get(pk=run.pk), by=manager)
        finally:
            connection.close()

    def stopped_meanwhile(published_run, mentorships):
        # The manager stops it from the run page while the worker is at work.
        stopper = threading.Thread(target=stop_from_elsewhere)
        stopper.start()
        stopper.join()
        real_notify(published_run, mentorships)

    monkeypatch.setattr(services, "_notify_published", stopped_meanwhile)

    services.matchrun_publish(run=run, by=manager)  # commits; the task runs at once

    run.refresh_from_db()
    assert run.status == "discarded"
    assert not Mentorship.objects.exists()
    assert not Notification.objects.exists()
    assert mail.outbox == []

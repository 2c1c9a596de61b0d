"""Capacity and "one open request per pair" hold when people act at the same moment.

On PostgreSQL the actions run in real parallel transactions: one thread each, with its
own connection, released together by a barrier. SQLite serialises writers (every
transaction takes the write lock when it begins), so there the same scenarios run one
after the other and must give the same outcome.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from trellis.mentorships import services
from trellis.mentorships.models import (
    Mentorship,
    MentorshipOffer,
    MentorshipRequest,
    MentorshipStatus,
    RequestStatus,
)
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db(transaction=True)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real parallel transactions need PostgreSQL"
)
# Races are timing-dependent: each scenario runs a few times.
ATTEMPTS = 3


def run_together(*actions: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run the actions in threads released at the same moment; return (outcome, value)."""
    barrier = threading.Barrier(len(actions))
    results: list[tuple[str, Any]] = [("missing", None)] * len(actions)

    def work(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", action())
        except ValidationError as error:
            results[index] = ("refused", error)
        except Exception as error:
            results[index] = ("crashed", error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(index, action)) for index, action in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a transaction hung"
    return results


def run_one_after_the_other(*actions: Callable[[], Any]) -> list[tuple[str, Any]]:
    results: list[tuple[str, Any]] = []
    for action in actions:
        try:
            results.append(("ok", action()))
        except ValidationError as error:
            results.append(("refused", error))
    return results


RUNNERS = [
    pytest.param(run_together, id="parallel", marks=on_postgresql),
    pytest.param(run_one_after_the_other, id="sequential"),
]


def outcomes(results: list[tuple[str, Any]]) -> list[str]:
    assert [kind for kind, _ in results if kind == "crashed"] == [], results
    return sorted(kind for kind, _ in results)


def message(results: list[tuple[str, Any]]) -> str:
    return " ".join(str(m) for kind, error in results if kind == "refused" for m in error.messages)


def last_place_scenario():
    """A mentor with one place left and two mentees' open requests."""
    program = ProgramFactory(default_mentor_capacity=2)
    mentor = mentor_in(program)
    MentorshipFactory(program=program, mentor=mentor, mentee=mentee_in(program))
    requests = [
        services.request_send(
            program=program, mentee=mentee_in(program), mentor=mentor, message="Please mentor me."
        )
        for _ in range(2)
    ]
    return program, mentor, requests


@pytest.mark.parametrize("attempt", range(ATTEMPTS))
@pytest.mark.parametrize("run", RUNNERS)
def test_two_accepts_for_the_last_place_give_one_mentorship(run, attempt):
    program, mentor, requests = last_place_scenario()
    results = run(*[lambda r=r: services.request_accept(request=r, by=mentor) for r in requests])
    assert outcomes(results) == ["ok", "refused"]
    assert "You have no places left" in message(results)
    assert (
        Mentorship.objects.filter(
            program=program, mentor=mentor, status=MentorshipStatus.ACTIVE
        ).count()
        == 2
    )
    statuses = sorted(
        MentorshipRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list(
            "status", flat=True
        )
    )
    # The refused one is untouched: still open, for the mentor to decline or keep.
    assert statuses == [RequestStatus.ACCEPTED, RequestStatus.OPEN]


@pytest.mark.parametrize("attempt", range(ATTEMPTS))
@pytest.mark.parametrize("run", RUNNERS)
def test_two_identical_requests_at_once_give_one_request(run, attempt):
    program = ProgramFactory()
    mentor, mentee = mentor_in(program), mentee_in(program)
    results = run(
        *[
            lambda: services.request_send(
                program=program, mentee=mentee, mentor=mentor, message="Hello"
            )
            for _ in range(2)
        ]
    )
    assert outcomes(results) == ["ok", "refused"]
    assert "already asked" in message(results)
    assert MentorshipRequest.objects.filter(program=program, mentee=mentee).count() == 1


@pytest.mark.parametrize("attempt", range(ATTEMPTS))
@pytest.mark.parametrize("run", RUNNERS)
def test_two_mentors_accepting_one_mentee_at_once_give_one_mentorship(run, attempt):
    program = ProgramFactory()
    mentee = mentee_in(program)
    mentors = [mentor_in(program), mentor_in(program)]
    requests = [
        services.request_send(program=program, mentee=mentee, mentor=m, message="Hi")
        for m in mentors
    ]
    results = run(
        *[
            lambda r=r, m=m: services.request_accept(request=r, by=m)
            for r, m in zip(requests, mentors, strict=True)
        ]
    )
    kinds = outcomes(results)
    assert kinds == ["ok", "refused"]
    assert Mentorship.objects.filter(program=program, mentee=mentee).count() == 1
    # The other request was closed by the winner, or refused as no longer open.
    assert (
        MentorshipRequest.objects.filter(
            program=program, status__in=["open", "info_requested"]
        ).count()
        == 0
    )


@pytest.mark.parametrize("attempt", range(ATTEMPTS))
@pytest.mark.parametrize("run", RUNNERS)
def test_an_offer_and_a_request_accepted_at_once_give_one_mentorship(run, attempt):
    program = ProgramFactory()
    mentee = mentee_in(program)
    asked, offering = mentor_in(program), mentor_in(program)
    request = services.request_send(program=program, mentee=mentee, mentor=asked, message="Hi")
    offer = services.offer_send(program=program, mentor=offering, mentee=mentee, message="Hi")
    results = run(
        lambda: services.request_accept(request=request, by=asked),
        lambda: services.offer_accept(offer=offer, by=mentee),
    )
    assert outcomes(results) == ["ok", "refused"]
    assert Mentorship.objects.filter(program=program, mentee=mentee).count() == 1
    assert not MentorshipOffer.objects.filter(program=program, status="open").exists()


@pytest.mark.parametrize("run", RUNNERS)
def test_requests_over_the_limit_at_once_stop_at_the_limit(run):
    program = ProgramFactory()
    mentee = mentee_in(program)
    mentors = [mentor_in(program) for _ in range(4)]
    results = run(
        *[
            lambda m=m: services.request_send(
                program=program, mentee=mentee, mentor=m, message="Hello"
            )
            for m in mentors
        ]
    )
    assert outcomes(results) == ["ok", "ok", "ok", "refused"]
    assert "at most 3 open requests" in message(results)
    assert MentorshipRequest.objects.filter(program=program, mentee=mentee).count() == 3

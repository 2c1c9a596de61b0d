"""Places under parallel answers: the event's row lock queues them (PostgreSQL).

SQLite has no row locks and serialises writers on its own; the sequential tests of the
same rules (test_services) run there.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from trellis.events import services
from trellis.events.models import RSVP, Event, RSVPStatus
from trellis.events.tests.helpers import event_in
from trellis.mentorships.tests.factories import mentee_in

IS_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not IS_POSTGRESQL,
        reason="Needs PostgreSQL's row locks; on SQLite the sequential tests cover the rules.",
    ),
]

PEOPLE = 8


def in_parallel(action: Any, people: list[Any]) -> list[BaseException]:
    """Run action(person) in one thread per person, each on its own database connection,
    all released at once; return the errors they raised."""
    barrier = threading.Barrier(len(people))
    errors: list[BaseException] = []

    def run(person: Any) -> None:
        try:
            barrier.wait(timeout=20)
            action(person)
        except BaseException as error:  # reported by the test, whatever it is
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_eight_people_at_once_for_two_places_two_go_six_wait_in_order(world):
    event = event_in(world["program"], by=world["manager"], capacity=2)
    people = [mentee_in(world["program"], display_name=f"Runner {n}") for n in range(PEOPLE)]

    def answer(person: Any) -> None:
        services.rsvp_attend(event=Event.objects.get(pk=event.pk), by=person)

    errors = in_parallel(answer, people)

    assert errors == []
    rsvps = list(RSVP.objects.filter(event=event).order_by("queued_at", "pk"))
    assert len(rsvps) == PEOPLE
    assert [rsvp.status for rsvp in rsvps] == [RSVPStatus.GOING] * 2 + [RSVPStatus.WAITING] * 6
    # Each asked after the one before had committed: a strict order, no two at once.
    moments = [rsvp.queued_at for rsvp in rsvps]
    assert moments == sorted(set(moments))
    assert [rsvp.pk for rsvp in rsvps] == sorted(rsvp.pk for rsvp in rsvps)


def test_parallel_cancellations_move_exactly_as_many_up(world):
    event = event_in(world["program"], by=world["manager"], capacity=2)
    people = [mentee_in(world["program"], display_name=f"Runner {n}") for n in range(6)]
    for person in people:
        services.rsvp_attend(event=event, by=person)
    leaving = people[:2]

    def cancel(person: Any) -> None:
        services.rsvp_cancel(event=Event.objects.get(pk=event.pk), by=person)

    errors = in_parallel(cancel, leaving)

    assert errors == []
    statuses = dict(RSVP.objects.filter(event=event).values_list("user_id", "status"))
    assert [statuses[person.pk] for person in people] == [
        "cancelled",
        "cancelled",
        "going",
        "going",
        "waiting",
        "waiting",
    ]

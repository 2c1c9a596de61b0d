"""Two people booking the same slot of the same person at once: one meeting, one refusal.

On PostgreSQL the bookings run in real parallel transactions (threads released by a
barrier); SQLite serialises writers, so there they run one after the other.
"""

from __future__ import annotations

import datetime as dt

import pytest

from trellis.mentorships.tests.test_concurrency import RUNNERS, message, outcomes
from trellis.scheduling import selectors, services
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.tests.helpers import berlin_new_york_pair

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.parametrize("run", RUNNERS)
def test_two_mentees_booking_the_same_slot_of_their_mentor_get_one_meeting(run, attempt):
    first = berlin_new_york_pair()
    second = berlin_new_york_pair(program=first.program, mentor=first.mentor)
    start = (
        selectors.find_times(mentorship=first, viewer=first.mentee, duration=dt.timedelta(hours=1))
        .slots[0]
        .start
    )
    results = run(
        *[
            lambda pair=pair: services.series_book(
                mentorship=pair, by=pair.mentee, start=start, frequency="weekly"
            )
            for pair in (first, second)
        ]
    )
    assert outcomes(results) == ["ok", "refused"]
    assert "free" in message(results)
    assert MeetingSeries.objects.filter(mentorship__mentor=first.mentor).count() == 1

"""Two people booking the same slot of the same person at once: one meeting, one refusal.

The same holds when one of the bookings is a group's and the person is shared: a group's
booking locks every participant's row (in pk order) before it checks for overlaps.

On PostgreSQL the bookings run in real parallel transactions (threads released by a
barrier); SQLite serialises writers, so there they run one after the other.
"""

from __future__ import annotations

import datetime as dt

import pytest

from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.mentorships.tests.test_concurrency import RUNNERS, message, outcomes
from trellis.programs.models import Role
from trellis.programs.tests.factories import EnrollmentFactory, ProgramFactory
from trellis.scheduling import selectors, services
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.tests.helpers import (
    available,
    berlin_new_york_pair,
    berlin_new_york_tokyo_group,
    group_people,
)

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


@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize("shared", ["mentor", "member"])
def test_a_group_and_a_pair_booking_the_same_slot_of_a_shared_person_get_one_meeting(
    run, attempt, shared
):
    """The group's mentor also mentors a pair elsewhere, or a member is a pair's mentee."""
    group = berlin_new_york_tokyo_group()
    people = group_people(group)
    elsewhere = ProgramFactory()
    if shared == "mentor":
        EnrollmentFactory(program=elsewhere, user=people["mentor"], role=Role.MENTOR)
        mentee = mentee_in(elsewhere, time_zone="America/New_York", display_name="Ola")
        available(mentee, "07:00", "11:00")
        pair = MentorshipFactory(program=elsewhere, mentor=people["mentor"], mentee=mentee)
        pair_booker = mentee
    else:
        EnrollmentFactory(program=elsewhere, user=people["noah"], role=Role.MENTEE)
        other_mentor = mentor_in(elsewhere, time_zone="Europe/Berlin", display_name="Zoe")
        available(other_mentor, "13:00", "17:00")
        pair = MentorshipFactory(program=elsewhere, mentor=other_mentor, mentee=people["noah"])
        pair_booker = other_mentor
    group_slots = selectors.find_times(
        mentorship=group, viewer=group.mentor, duration=dt.timedelta(hours=1)
    ).slots
    pair_slots = {
        slot.start
        for slot in selectors.find_times(
            mentorship=pair, viewer=pair_booker, duration=dt.timedelta(hours=1)
        ).slots
    }
    start = next(slot.start for slot in group_slots if slot.start in pair_slots)
    results = run(
        lambda: services.series_book(
            mentorship=group, by=group.mentor, start=start, frequency="weekly"
        ),
        lambda: services.series_book(
            mentorship=pair, by=pair_booker, start=start, frequency="weekly"
        ),
    )
    assert sorted(outcome for outcome, _ in results) == ["ok", "refused"]
    assert "free" in message(results)
    assert MeetingSeries.objects.count() == 1

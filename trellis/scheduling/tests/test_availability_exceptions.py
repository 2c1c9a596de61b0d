"""Days that differ: setting and removing exceptions, and what they do to mutual slots."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from trellis.core.errors import PermissionDeniedError
from trellis.profiles.tests.factories import ProfileFactory
from trellis.scheduling import selectors
from trellis.scheduling.availability import (
    availability_exception_delete,
    availability_exception_set,
    availability_exceptions_for,
)
from trellis.scheduling.models import AvailabilityException
from trellis.scheduling.tests.helpers import berlin_new_york_pair, hour

pytestmark = pytest.mark.django_db

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Saturday 1 March 2025, noon UTC: the same date in Berlin and New York.
NOW = dt.datetime(2025, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def person():
    return ProfileFactory(time_zone="America/New_York").user


def state():
    return sorted(AvailabilityException.objects.values_list("user_id", "date", "windows", "note"))


def set_exception(user, day, windows=None, **extra):
    return availability_exception_set(
        user=user, day=day, windows=windows, by=user, now=NOW, **extra
    )


# --- Setting ------------------------------------------------------------------------------


def test_a_day_off_is_stored_without_windows(person):
    exception = set_exception(person, dt.date(2025, 3, 5), note="  Public   holiday ")

    assert exception.is_day_off
    assert state() == [(person.pk, dt.date(2025, 3, 5), [], "Public holiday")]


def test_windows_are_stored_sorted_to_the_minute(person):
    set_exception(
        person,
        dt.date(2025, 3, 5),
        [("14:00", "16:30"), (dt.time(9, 0, 41), dt.time(11)), ("22:00", "00:00")],
    )

    assert state() == [
        (
            person.pk,
            dt.date(2025, 3, 5),
            [["09:00", "11:00"], ["14:00", "16:30"], ["22:00", "00:00"]],
            "",
        )
    ]


def test_setting_the_same_day_again_replaces_it(person):
    set_exception(person, dt.date(2025, 3, 5), [("09:00", "10:00")], note="Dentist")
    set_exception(person, dt.date(2025, 3, 5))

    assert state() == [(person.pk, dt.date(2025, 3, 5), [], "")]


def test_today_and_a_year_ahead_are_allowed(person):
    set_exception(person, dt.date(2025, 3, 1))
    set_exception(person, dt.date(2026, 3, 1))

    assert [row[1] for row in state()] == [dt.date(2025, 3, 1), dt.date(2026, 3, 1)]


def test_today_is_the_persons_own_date():
    # 03:00 UTC on 2 March is still the evening of 1 March in New York.
    now = dt.datetime(2025, 3, 2, 3, tzinfo=UTC)
    new_yorker = ProfileFactory(time_zone="America/New_York").user
    berliner = ProfileFactory(time_zone="Europe/Berlin").user

    availability_exception_set(
        user=new_yorker, day=dt.date(2025, 3, 1), windows=None, by=new_yorker, now=now
    )
    with pytest.raises(ValidationError) as error:
        availability_exception_set(
            user=berliner, day=dt.date(2025, 3, 1), windows=None, by=berliner, now=now
        )

    assert error.value.message_dict == {
        "date": ["Choose today or a later day; this one has passed."]
    }
    assert state() == [(new_yorker.pk, dt.date(2025, 3, 1), [], "")]


REFUSALS = [
    pytest.param(
        dt.date(2025, 2, 28),
        None,
        {"date": ["Choose today or a later day; this one has passed."]},
        id="past",
    ),
    pytest.param(
        dt.date(2026, 3, 2), None, {"date": ["Choose a day within the next year."]}, id="too-far"
    ),
    pytest.param(
        dt.datetime(2025, 3, 5, 9, tzinfo=UTC),
        None,
        {"date": ["Give a date such as 2025-12-24."]},
        id="datetime",
    ),
    pytest.param(
        dt.date(2025, 3, 5),
        [("10:00", "09:00")],
        {"windows": ["Window 1: the end must be after the start."]},
        id="end-before-start",
    ),
    pytest.param(
        dt.date(2025, 3, 5),
        [("10:00", "10:00")],
        {"windows": ["Window 1: the end must be after the start."]},
        id="empty-window",
    ),
    pytest.param(
        dt.date(2025, 3, 5),
        [("09:00", "17:00"), ("10:00", "11:00"), ("12:00", "13:00")],
        {
            "windows": [
                "09:00\u201317:00 overlaps 10:00\u201311:00.",
                "09:00\u201317:00 overlaps 12:00\u201313:00.",
            ]
        },
        id="overlap",
    ),
    pytest.param(
        dt.date(2025, 3, 5),
        [(f"{hour:02}:00", f"{hour:02}:30") for hour in range(7)],
        {"windows": ["Give at most 6 windows; there are 7."]},
        id="too-many",
    ),
    pytest.param(
        dt.date(2025, 3, 5),
        [],
        {"windows": ["Give at least one window, or make it a day off."]},
        id="no-windows",
    ),
    pytest.param(
        dt.date(2025, 3, 5),
        [("9 am", "10:00"), ("11:00",)],
        {
            "windows": [
                "Window 1: the start is not a time such as 09:30.",
                "Window 2: give a start and an end time.",
            ]
        },
        id="not-times",
    ),
    pytest.param(
        dt.date(2025, 3, 5),
        [(dt.time(9, tzinfo=UTC), dt.time(10))],
        {"windows": ["Window 1: give the start as a local time, without a zone offset."]},
        id="zone-offset",
    ),
]


@pytest.mark.parametrize(("day", "windows", "errors"), REFUSALS)
def test_bad_input_is_refused_and_changes_nothing(person, day, windows, errors):
    set_exception(person, dt.date(2025, 3, 5), [("09:00", "10:00")], note="Kept")
    before = state()

    with pytest.raises(ValidationError) as error:
        set_exception(person, day, windows)

    assert error.value.message_dict == errors
    assert state() == before


def test_every_problem_is_reported_at_once(person):
    with pytest.raises(ValidationError) as error:
        set_exception(person, dt.date(2020, 1, 1), [("10:00", "09:00")], note="x" * 201)

    assert set(error.value.message_dict) == {"date", "windows", "note"}
    assert state() == []


def test_nobody_sets_anothers_exceptions(person):
    intruder = ProfileFactory().user
    set_exception(person, dt.date(2025, 3, 5), [("09:00", "10:00")])
    before = state()

    with pytest.raises(PermissionDeniedError):
        availability_exception_set(
            user=person, day=dt.date(2025, 3, 5), windows=None, by=intruder, now=NOW
        )
    with pytest.raises(PermissionDeniedError):
        availability_exception_set(
            user=person, day=dt.date(2025, 3, 6), windows=None, by=intruder, now=NOW
        )

    assert state() == before


def test_the_database_keeps_one_exception_per_person_and_date(person):
    set_exception(person, dt.date(2025, 3, 5))

    with pytest.raises(IntegrityError), transaction.atomic():
        AvailabilityException.objects.create(user=person, date=dt.date(2025, 3, 5))


# --- Removing and reading -----------------------------------------------------------------


def test_removing_an_exception(person):
    exception = set_exception(person, dt.date(2025, 3, 5))

    availability_exception_delete(exception=exception, by=person, now=NOW)

    assert state() == []


def test_nobody_removes_anothers_exception(person):
    exception = set_exception(person, dt.date(2025, 3, 5))
    before = state()

    with pytest.raises(PermissionDeniedError):
        availability_exception_delete(exception=exception, by=ProfileFactory().user, now=NOW)

    assert state() == before


def test_a_past_exception_no_longer_changes(person):
    exception = set_exception(person, dt.date(2025, 3, 5))
    before = state()

    with pytest.raises(ValidationError) as error:
        availability_exception_delete(
            exception=exception, by=person, now=dt.datetime(2025, 3, 7, tzinfo=UTC)
        )

    assert error.value.message_dict == {"date": ["This day has passed; it can no longer change."]}
    assert state() == before


def test_exceptions_for_a_range_are_the_persons_own_both_ends_included(person):
    for day in (4, 5, 8, 9):
        set_exception(person, dt.date(2025, 3, day))
    other = ProfileFactory().user
    availability_exception_set(user=other, day=dt.date(2025, 3, 6), windows=None, by=other, now=NOW)

    found = availability_exceptions_for(
        user=person, start=dt.date(2025, 3, 5), end=dt.date(2025, 3, 8)
    )

    assert [exception.date for exception in found] == [dt.date(2025, 3, 5), dt.date(2025, 3, 8)]


# --- What they do to "Find a time" --------------------------------------------------------
# Mentor in Berlin free 15:00-19:00, mentee in New York free 09:00-13:00 on weekdays.


def slots_by_day(pair, *, viewer, now, weeks=1):
    search = selectors.find_times(
        mentorship=pair, viewer=viewer, duration=hour(), weeks=weeks, now=now
    )
    days: dict[dt.date, list[dt.datetime]] = {}
    for slot in search.slots:
        days.setdefault(slot.for_a.start.date(), []).append(slot.for_a.start)
    return days


def test_a_day_off_removes_that_days_slots():
    pair = berlin_new_york_pair()
    now = dt.datetime(2025, 3, 3, tzinfo=UTC)  # Monday
    before = slots_by_day(pair, viewer=pair.mentee, now=now)
    assert dt.date(2025, 3, 5) in before

    availability_exception_set(
        user=pair.mentee, day=dt.date(2025, 3, 5), windows=None, by=pair.mentee, now=now
    )
    after = slots_by_day(pair, viewer=pair.mentee, now=now)

    assert dt.date(2025, 3, 5) not in after
    assert {day: starts for day, starts in before.items() if day != dt.date(2025, 3, 5)} == after


def test_replacement_windows_replace_that_days_windows():
    pair = berlin_new_york_pair()
    now = dt.datetime(2025, 3, 3, tzinfo=UTC)

    availability_exception_set(
        user=pair.mentor,
        day=dt.date(2025, 3, 5),
        windows=[("16:00", "17:00"), ("21:00", "22:00")],
        by=pair.mentor,
        now=now,
    )
    days = slots_by_day(pair, viewer=pair.mentor, now=now)

    # 21:00 Berlin is 15:00 in New York, after the mentee's day: only 16:00 is mutual.
    assert [start.time() for start in days[dt.date(2025, 3, 5)]] == [dt.time(16)]
    assert days[dt.date(2025, 3, 5)][0].tzinfo == BERLIN
    # The other days keep the weekly 15:00-19:00 (four one-hour starts on the quarter hour).
    assert days[dt.date(2025, 3, 4)][0].time() == dt.time(15)


def test_exception_windows_are_in_the_persons_zone_across_dst():
    pair = berlin_new_york_pair()
    now = dt.datetime(2025, 3, 3, tzinfo=UTC)
    # New York moves to summer time on Sunday 9 March; Berlin only on 30 March.
    for day in (dt.date(2025, 3, 7), dt.date(2025, 3, 10)):
        availability_exception_set(
            user=pair.mentee, day=day, windows=[("10:00", "11:00")], by=pair.mentee, now=now
        )

    search = selectors.find_times(
        mentorship=pair, viewer=pair.mentee, duration=hour(), weeks=2, now=now
    )
    by_day = {
        slot.for_a.start.date(): slot
        for slot in search.slots
        if slot.for_a.start.date() in (dt.date(2025, 3, 7), dt.date(2025, 3, 10))
    }

    friday, monday = by_day[dt.date(2025, 3, 7)], by_day[dt.date(2025, 3, 10)]
    # 10:00 on the mentee's clock both days: 15:00 UTC in EST, 14:00 UTC in EDT.
    assert (friday.start, monday.start) == (
        dt.datetime(2025, 3, 7, 15, tzinfo=UTC),
        dt.datetime(2025, 3, 10, 14, tzinfo=UTC),
    )
    assert friday.for_a.start.time() == monday.for_a.start.time() == dt.time(10)
    assert (friday.for_b.start.time(), monday.for_b.start.time()) == (dt.time(16), dt.time(15))
    assert [
        slot.start for slot in search.slots if slot.for_a.start.date() == dt.date(2025, 3, 10)
    ] == [dt.datetime(2025, 3, 10, 14, tzinfo=UTC)]

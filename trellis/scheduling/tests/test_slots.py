"""Mutual free slots of two people in different zones, and of a group."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from trellis.scheduling.slots import (
    ContactHours,
    DateException,
    PersonSchedule,
    SlotOutcome,
    TimeWindow,
    WeeklyWindow,
    common_slots,
    mutual_slots,
    propose_options,
)
from trellis.scheduling.zones import local_window_instants

HOUR = timedelta(hours=1)
WEEKDAYS = range(5)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekdays(start: time, end: time) -> tuple[WeeklyWindow, ...]:
    return tuple(WeeklyWindow(weekday, start, end) for weekday in WEEKDAYS)


def mentor(**kwargs) -> PersonSchedule:
    """Mara in Berlin: available weekdays 15:00-19:00, takes contact 09:00-18:00."""
    kwargs.setdefault("weekly_windows", weekdays(time(15), time(19)))
    kwargs.setdefault("contact_hours", ContactHours(time(9), time(18), frozenset(WEEKDAYS)))
    return PersonSchedule("Mara", "Europe/Berlin", **kwargs)


def mentee(**kwargs) -> PersonSchedule:
    """Ana in New York: available weekdays 09:00-13:00, takes contact 10:00-12:00."""
    kwargs.setdefault("weekly_windows", weekdays(time(9), time(13)))
    kwargs.setdefault("contact_hours", ContactHours(time(10), time(12)))
    return PersonSchedule("Ana", "America/New_York", **kwargs)


def week_of(monday: date) -> dict[str, datetime]:
    start = datetime.combine(monday, time(0), tzinfo=UTC)
    return {"horizon_start": start, "horizon_end": start + timedelta(days=5)}


def test_berlin_mentor_and_new_york_mentee_while_only_the_us_has_switched():
    # Given the week of 10 March 2025: New York is on summer time (UTC-4), Berlin is not
    # (UTC+1), so they are 5 hours apart. Mara's 15:00-19:00 is 14:00-18:00 UTC, Ana's
    # 09:00-13:00 is 13:00-17:00 UTC: they overlap 14:00-17:00 UTC.
    search = mutual_slots(mentor(), mentee(), duration=HOUR, **week_of(date(2025, 3, 10)))

    # Then the first slots are inside both contact hours (Mara until 17:00 UTC, Ana
    # 14:00-16:00 UTC), earliest first.
    assert search.outcome == SlotOutcome.FOUND
    assert search.reason is None
    assert [slot.start for slot in search.slots[:6]] == [
        utc(2025, 3, 10, 14),
        utc(2025, 3, 10, 14, 15),
        utc(2025, 3, 10, 14, 30),
        utc(2025, 3, 10, 14, 45),
        utc(2025, 3, 10, 15),
        utc(2025, 3, 11, 14),
    ]
    first = search.slots[0]
    assert first.end == utc(2025, 3, 10, 15)
    assert first.is_within_contact_hours
    assert first.for_a.start == datetime(2025, 3, 10, 15, tzinfo=ZoneInfo("Europe/Berlin"))
    assert first.for_b.start == datetime(2025, 3, 10, 10, tzinfo=ZoneInfo("America/New_York"))
    assert first.for_b.end.hour == 11
    # 5 days x 5 contact slots first, then 5 days x 4 others (15:15-16:00 UTC starts).
    assert len(search.slots) == 45
    assert [slot.is_within_contact_hours for slot in search.slots] == [True] * 25 + [False] * 20
    assert search.slots[25].start == utc(2025, 3, 10, 15, 15)


def test_berlin_mentor_and_new_york_mentee_when_both_or_neither_have_switched():
    before = mutual_slots(mentor(), mentee(), duration=HOUR, **week_of(date(2025, 3, 3)))
    after = mutual_slots(mentor(), mentee(), duration=HOUR, **week_of(date(2025, 3, 31)))

    # Six hours apart both times: the overlap is exactly Mara's 15:00-19:00 = Ana's 09:00-13:00.
    assert before.slots[0].start == utc(2025, 3, 3, 15)  # 16:00 Berlin, 10:00 New York
    assert (before.slots[0].for_a.start.hour, before.slots[0].for_b.start.hour) == (16, 10)
    assert after.slots[0].start == utc(2025, 3, 31, 14)  # 16:00 Berlin, 10:00 New York
    assert (after.slots[0].for_a.start.hour, after.slots[0].for_b.start.hour) == (16, 10)
    # Outside contact hours, the very first mutual time is 15:00 Berlin = 09:00 New York.
    assert min(slot.start for slot in after.slots) == utc(2025, 3, 31, 13)


def test_half_hour_zone():
    # Kolkata is UTC+5:30 all year; London is UTC in January.
    kolkata = PersonSchedule("Ravi", "Asia/Kolkata", weekdays(time(18), time(21)))
    london = PersonSchedule("Ana", "Europe/London", weekdays(time(13), time(17)))

    search = mutual_slots(
        kolkata,
        london,
        duration=HOUR,
        horizon_start=utc(2025, 1, 6),
        horizon_end=utc(2025, 1, 7),
        step=timedelta(minutes=30),
    )

    # 18:00-21:00 Kolkata is 12:30-15:30 UTC; with London that is 13:00-15:30 UTC.
    assert [(slot.start, slot.for_a.start.time()) for slot in search.slots] == [
        (utc(2025, 1, 6, 13), time(18, 30)),
        (utc(2025, 1, 6, 13, 30), time(19)),
        (utc(2025, 1, 6, 14), time(19, 30)),
        (utc(2025, 1, 6, 14, 30), time(20)),
    ]
    assert search.slots[-1].for_b.end.time() == time(15, 30)


def test_date_exceptions_take_a_day_off_and_replace_windows():
    mara = mentor(
        date_exceptions=(
            DateException(date(2025, 3, 10)),  # Monday off
            DateException(date(2025, 3, 11), (TimeWindow(time(17), time(18, 30)),)),
        )
    )

    search = mutual_slots(mara, mentee(), duration=HOUR, **week_of(date(2025, 3, 10)))

    starts = sorted(slot.start for slot in search.slots)
    assert not [start for start in starts if start.date() == date(2025, 3, 10)]
    # Tuesday: 17:00-18:30 Berlin = 16:00-17:30 UTC, cut by Ana's 17:00 UTC end.
    assert [start for start in starts if start.date() == date(2025, 3, 11)] == [
        utc(2025, 3, 11, 16)
    ]
    assert utc(2025, 3, 12, 14) in starts


def test_busy_intervals_are_removed():
    ana = mentee(busy=((utc(2025, 3, 10, 14, 30), utc(2025, 3, 10, 15, 30)),))
    mara = mentor(
        busy=(
            (
                datetime(2025, 3, 10, 17, tzinfo=ZoneInfo("Europe/Berlin")),
                datetime(2025, 3, 11, 0, tzinfo=ZoneInfo("Europe/Berlin")),
            ),
        )
    )

    search = mutual_slots(mara, ana, duration=HOUR, **week_of(date(2025, 3, 10)))

    monday = sorted(slot.start for slot in search.slots if slot.start.day == 10)
    # Free on Monday: 14:00-14:30 (too short) and 15:30-16:00 UTC (Mara busy from 16:00 UTC).
    assert monday == []
    assert sorted(slot.start for slot in search.slots)[0] == utc(2025, 3, 11, 14)


def test_no_overlap_at_all_gives_no_slot_and_says_why():
    mara = PersonSchedule("Mara", "Europe/Berlin", weekdays(time(9), time(12)))
    ana = PersonSchedule("Ana", "America/Los_Angeles", weekdays(time(9), time(12)))

    search = mutual_slots(
        mara, ana, duration=HOUR, horizon_start=utc(2025, 6, 2), horizon_end=utc(2025, 6, 30)
    )

    assert search.slots == ()
    assert search.outcome == SlotOutcome.NO_OVERLAP
    # Ranges are written with an en dash.
    assert search.reason == (
        "Your availability and Ana's never overlap between 2 Jun 2025 and 30 Jun 2025: "
        "yours is Mon-Fri 09:00-12:00 (Europe/Berlin); Ana's is Mon-Fri 09:00-12:00 "
        "(America/Los_Angeles), which is Mon-Fri 18:00-21:00 your time. "
        "Widen your availability or ask them to widen theirs."
    ).replace("-", "\N{EN DASH}")


def test_overlap_shorter_than_the_meeting():
    mara = PersonSchedule("Mara", "Europe/Berlin", weekdays(time(9), time(12)))
    ana = PersonSchedule("Ana", "Europe/London", weekdays(time(10, 30), time(13)))

    search = mutual_slots(
        mara, ana, duration=HOUR, horizon_start=utc(2025, 6, 2), horizon_end=utc(2025, 6, 9)
    )

    assert search.slots == ()
    assert search.outcome == SlotOutcome.OVERLAP_TOO_SHORT
    assert "at most 30 min at a time, shorter than the 1 h meeting" in (search.reason or "")


def test_overlap_filled_by_meetings():
    ana = mentee(busy=((utc(2025, 3, 1), utc(2025, 4, 1)),))

    search = mutual_slots(mentor(), ana, duration=HOUR, **week_of(date(2025, 3, 10)))

    assert search.slots == ()
    assert search.outcome == SlotOutcome.ALL_BUSY
    assert search.reason == (
        "You and Ana are both available for 15 h between 10 Mar 2025 and 15 Mar 2025, "
        "but existing meetings and calendar events leave no free 1 h. "
        "Look further ahead or free some time."
    )


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("a", "You have no availability between 10 Mar 2025 and 15 Mar 2025;"),
        ("b", "Ana has no availability between 10 Mar 2025 and 15 Mar 2025."),
    ],
)
def test_no_availability(who, reason):
    mara = mentor(weekly_windows=()) if who == "a" else mentor()
    ana = mentee(weekly_windows=()) if who == "b" else mentee()

    search = mutual_slots(mara, ana, duration=HOUR, **week_of(date(2025, 3, 10)))

    assert search.outcome == SlotOutcome.NO_AVAILABILITY
    assert (search.reason or "").startswith(reason)


def test_naive_input_is_refused():
    with pytest.raises(ValueError, match="aware"):
        mutual_slots(
            mentor(),
            mentee(),
            duration=HOUR,
            horizon_start=datetime(2025, 3, 10),  # noqa: DTZ001
            horizon_end=utc(2025, 3, 11),
        )
    with pytest.raises(ValueError, match="aware"):
        mentee(busy=((datetime(2025, 3, 10), datetime(2025, 3, 11)),))  # noqa: DTZ001


def test_windows_must_end_after_they_start():
    with pytest.raises(ValueError, match="midnight"):
        WeeklyWindow(0, time(22), time(2))
    assert WeeklyWindow(0, time(22), time(0)).end == time(0)


def test_window_ending_at_midnight():
    mara = PersonSchedule("Mara", "UTC", (WeeklyWindow(0, time(22), time(0)),))
    ana = PersonSchedule("Ana", "UTC", (WeeklyWindow(0, time(0), time(0)),))

    search = mutual_slots(
        mara, ana, duration=HOUR, horizon_start=utc(2025, 3, 10), horizon_end=utc(2025, 3, 12)
    )

    assert search.slots[-1].end == utc(2025, 3, 11)
    assert len(search.slots) == 5


def test_window_in_the_spring_forward_gap_is_empty_and_repeated_hour_counts_twice():
    berlin = ZoneInfo("Europe/Berlin")

    assert local_window_instants(date(2025, 3, 30), time(2, 15), time(2, 45), berlin) == []
    assert local_window_instants(date(2025, 3, 30), time(1), time(4), berlin) == [
        (utc(2025, 3, 30, 0), utc(2025, 3, 30, 2))
    ]
    # 02:30-04:00 on 26 October: 02:30-03:00 CEST, then 02:30-04:00 CET.
    assert local_window_instants(date(2025, 10, 26), time(2, 30), time(4), berlin) == [
        (utc(2025, 10, 26, 0, 30), utc(2025, 10, 26, 1)),
        (utc(2025, 10, 26, 1, 30), utc(2025, 10, 26, 3)),
    ]


def test_proposals_are_on_different_days():
    search = mutual_slots(mentor(), mentee(), duration=HOUR, **week_of(date(2025, 3, 10)))

    options = propose_options(search.slots)

    assert [option.start for option in options] == [
        utc(2025, 3, 10, 14),
        utc(2025, 3, 11, 14),
        utc(2025, 3, 12, 14),
    ]


def test_proposals_fall_back_to_one_day_without_overlapping():
    search = mutual_slots(
        mentor(),
        mentee(),
        duration=HOUR,
        horizon_start=utc(2025, 3, 10),
        horizon_end=utc(2025, 3, 11),
    )

    options = propose_options(search.slots)

    assert [option.start for option in options] == [
        utc(2025, 3, 10, 14),
        utc(2025, 3, 10, 15),
        utc(2025, 3, 10, 16),
    ]
    assert propose_options((), count=3) == []
    assert len(propose_options(search.slots, count=1)) == 1


# Property: whatever the zones, windows, exceptions and busy time, every slot has the
# requested length, lies in the horizon, inside both people's availability (checked
# minute by minute against the wall clock, independently of the interval code) and
# outside all busy time; and every such grid start that is free is offered.

PROPERTY_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "UTC",
]
# Horizons near the 2025 DST changes of these zones, and one quiet week.
PROPERTY_STARTS = [
    utc(2025, 3, 8),
    utc(2025, 3, 29),
    utc(2025, 4, 5),
    utc(2025, 6, 10),
    utc(2025, 10, 4),
    utc(2025, 10, 25),
    utc(2025, 11, 1),
]
MINUTE = timedelta(minutes=1)


@st.composite
def local_windows(draw) -> tuple[time, time]:
    start = draw(st.integers(0, 24 * 60 - 1))
    end = draw(st.integers(start + 1, 24 * 60))
    return time(*divmod(start, 60)), time(*divmod(end % (24 * 60), 60))


@st.composite
def people(draw, name: str, horizon_start: datetime) -> PersonSchedule:
    zone = draw(st.sampled_from(PROPERTY_ZONES))
    # A shared daily window (the common case) plus a few odd ones.
    daily = draw(local_windows())
    weekly = tuple(WeeklyWindow(weekday, *daily) for weekday in range(7)) + tuple(
        WeeklyWindow(draw(st.integers(0, 6)), *draw(local_windows()))
        for _ in range(draw(st.integers(0, 4)))
    )
    exceptions = tuple(
        DateException(
            horizon_start.date() + timedelta(days=draw(st.integers(-1, 4))),
            tuple(TimeWindow(*draw(local_windows())) for _ in range(draw(st.integers(0, 2)))),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    busy = []
    for _ in range(draw(st.integers(0, 4))):
        busy_start = horizon_start + timedelta(minutes=draw(st.integers(-600, 4 * 1440)))
        busy.append((busy_start, busy_start + timedelta(minutes=draw(st.integers(1, 600)))))
    return PersonSchedule(name, zone, weekly, exceptions, busy=tuple(busy))


def is_available(person: PersonSchedule, instant: datetime) -> bool:
    local = instant.astimezone(person.zone)
    day_exceptions = [item for item in person.date_exceptions if item.day == local.date()]
    if day_exceptions:
        windows = [(w.start, w.end) for item in day_exceptions for w in item.windows]
    else:
        windows = [(w.start, w.end) for w in person.weekly_windows if w.weekday == local.weekday()]
    wall = local.time()
    return any(start <= wall and (end == time(0) or wall < end) for start, end in windows)


def is_busy(person: PersonSchedule, instant: datetime) -> bool:
    return any(start <= instant < end for start, end in person.busy)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_slots_respect_availability_and_busy_time(data):
    horizon_start = data.draw(st.sampled_from(PROPERTY_STARTS)) + timedelta(
        minutes=data.draw(st.integers(0, 1440))
    )
    horizon_end = horizon_start + timedelta(minutes=data.draw(st.integers(60, 4 * 1440)))
    person_a = data.draw(people("A", horizon_start))
    person_b = data.draw(people("B", horizon_start))
    duration = timedelta(minutes=data.draw(st.integers(1, 12)) * 15)

    search = mutual_slots(
        person_a,
        person_b,
        duration=duration,
        horizon_start=horizon_start,
        horizon_end=horizon_end,
    )

    event(search.outcome)
    minutes = int((horizon_end - horizon_start) / MINUTE)
    free = [
        all(
            is_available(person, instant) and not is_busy(person, instant)
            for person in (person_a, person_b)
        )
        for instant in (horizon_start + index * MINUTE for index in range(minutes))
    ]
    starts = {slot.start for slot in search.slots}
    assert len(starts) == len(search.slots)
    for slot in search.slots:
        assert slot.end - slot.start == duration
        assert horizon_start <= slot.start
        assert slot.end <= horizon_end
        first = int((slot.start - horizon_start) / MINUTE)
        assert all(free[first : first + int(duration / MINUTE)])
    # Completeness: every free quarter hour start (on the UTC grid) is offered.
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for index in range(minutes - int(duration / MINUTE) + 1):
        instant = horizon_start + index * MINUTE
        if (instant - epoch) % timedelta(minutes=15) == timedelta(0) and all(
            free[index : index + int(duration / MINUTE)]
        ):
            assert instant in starts
    if search.slots:
        assert search.outcome == SlotOutcome.FOUND
        ranks = [not slot.is_within_contact_hours for slot in search.slots]
        assert ranks == sorted(ranks)
    else:
        assert search.reason
    instants = [horizon_start + index * MINUTE for index in range(minutes)]
    if search.outcome == SlotOutcome.NO_AVAILABILITY:
        assert not all(
            any(is_available(person, instant) for instant in instants)
            for person in (person_a, person_b)
        )
    elif search.outcome == SlotOutcome.NO_OVERLAP:
        assert not any(
            is_available(person_a, instant) and is_available(person_b, instant)
            for instant in instants
        )


# Groups ---------------------------------------------------------------------------------


def tokyo(**kwargs) -> PersonSchedule:
    """Kenji in Tokyo: available weekdays 20:00-23:00 (11:00-14:00 UTC)."""
    kwargs.setdefault("weekly_windows", weekdays(time(20), time(23)))
    return PersonSchedule("Kenji", "Asia/Tokyo", **kwargs)


def new_york_mornings(**kwargs) -> PersonSchedule:
    kwargs.setdefault("weekly_windows", weekdays(time(7), time(11)))
    return PersonSchedule("Ana", "America/New_York", **kwargs)


def berlin_afternoons(**kwargs) -> PersonSchedule:
    kwargs.setdefault("weekly_windows", weekdays(time(13), time(17)))
    return PersonSchedule("Mara", "Europe/Berlin", **kwargs)


def test_a_group_is_free_when_all_are_and_each_sees_it_in_their_zone():
    # Week of 10 March 2025: Berlin UTC+1, New York UTC-4, Tokyo UTC+9. Mara 12-16 UTC,
    # Ana 11-15 UTC, Kenji 11-14 UTC: all three 12:00-14:00 UTC.
    search = common_slots(
        (berlin_afternoons(), new_york_mornings(), tokyo()),
        duration=HOUR,
        **week_of(date(2025, 3, 10)),
    )

    assert search.outcome == SlotOutcome.FOUND
    assert {(slot.start.hour, slot.start.minute) for slot in search.slots} == {
        (12, 0),
        (12, 15),
        (12, 30),
        (12, 45),
        (13, 0),
    }
    first = search.slots[0]
    assert first.for_a.start == datetime(2025, 3, 10, 13, tzinfo=ZoneInfo("Europe/Berlin"))
    assert [span.start for span in first.for_others] == [
        datetime(2025, 3, 10, 8, tzinfo=ZoneInfo("America/New_York")),
        datetime(2025, 3, 10, 21, tzinfo=ZoneInfo("Asia/Tokyo")),
    ]
    assert first.for_b == first.for_others[0]


def test_a_pair_through_common_slots_is_the_pair_search():
    pair = common_slots((mentor(), mentee()), duration=HOUR, **week_of(date(2025, 3, 10)))
    assert pair == mutual_slots(mentor(), mentee(), duration=HOUR, **week_of(date(2025, 3, 10)))
    assert all(slot.for_others == (slot.for_b,) for slot in pair.slots)


def test_a_group_ranks_slots_inside_everyones_contact_hours_first():
    kenji = tokyo(contact_hours=ContactHours(time(22), time(23)))
    search = common_slots(
        (berlin_afternoons(), new_york_mornings(), kenji),
        duration=HOUR,
        **week_of(date(2025, 3, 10)),
    )
    inside = [slot for slot in search.slots if slot.is_within_contact_hours]
    assert {(slot.start.hour, slot.start.minute) for slot in inside} == {(13, 0)}
    assert list(search.slots[: len(inside)]) == inside


@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ("a", "You have no availability between 10 Mar 2025 and 15 Mar 2025;"),
        ("c", "Kenji has no availability between 10 Mar 2025 and 15 Mar 2025, so your group"),
        ("bc", "Ana and Kenji have no availability between 10 Mar 2025 and 15 Mar 2025,"),
    ],
)
def test_a_group_without_availability_names_who(missing, reason):
    people = (
        berlin_afternoons(weekly_windows=() if "a" in missing else weekdays(time(13), time(17))),
        new_york_mornings(weekly_windows=() if "b" in missing else weekdays(time(7), time(11))),
        tokyo(weekly_windows=() if "c" in missing else weekdays(time(20), time(23))),
    )
    search = common_slots(people, duration=HOUR, **week_of(date(2025, 3, 10)))
    assert search.outcome == SlotOutcome.NO_AVAILABILITY
    assert (search.reason or "").startswith(reason)


def test_a_group_without_common_time_is_told_who_never_overlaps():
    mara = berlin_afternoons(weekly_windows=weekdays(time(13), time(15)))  # 12-14 UTC
    ana = new_york_mornings(weekly_windows=weekdays(time(8), time(11)))  # 12-15 UTC
    kenji = tokyo(weekly_windows=weekdays(time(23), time(0)))  # 14-15 UTC
    # Mara and Ana overlap 12-14, Ana and Kenji 14-15, Mara and Kenji never.
    search = common_slots((ana, mara, kenji), duration=HOUR, **week_of(date(2025, 3, 10)))
    assert search.outcome == SlotOutcome.NO_OVERLAP
    assert (search.reason or "").startswith(
        # Ana looks from New York, where the week began on Sunday evening.
        "Your group has no common time between 9 Mar 2025 and 14 Mar 2025: there is no "
        "moment when all 3 of you are available. Never available at the same time: "
        "Mara and Kenji. In your time (America/New_York): yours is Mon-Fri 08:00-11:00; "
        "Mara's (Europe/Berlin) is Mon-Fri 08:00-10:00; ".replace("-", "\N{EN DASH}")
    )


def test_a_group_whose_pairs_overlap_but_never_all_at_once():
    a = PersonSchedule("A", "UTC", weekdays(time(12), time(14)))
    b = PersonSchedule("B", "UTC", weekdays(time(13), time(15)))
    c = PersonSchedule(
        "C", "UTC", weekdays(time(11), time(12, 30)) + weekdays(time(14, 30), time(16))
    )
    search = common_slots((a, b, c), duration=HOUR, **week_of(date(2025, 3, 10)))
    assert search.outcome == SlotOutcome.NO_OVERLAP
    assert "Each two of you overlap at some point, but never all at once." in (search.reason or "")


def test_a_group_overlap_too_short_or_filled_by_meetings():
    short = common_slots(
        (
            berlin_afternoons(weekly_windows=weekdays(time(13), time(13, 30))),
            new_york_mornings(),
            tokyo(),
        ),
        duration=HOUR,
        **week_of(date(2025, 3, 10)),
    )
    assert short.outcome == SlotOutcome.OVERLAP_TOO_SHORT
    assert (short.reason or "").startswith(
        "Everyone in your group is available together between 10 Mar 2025 and 15 Mar 2025, "
        "but for at most 30 min at a time, shorter than the 1 h meeting."
    )
    busy = common_slots(
        (
            berlin_afternoons(),
            new_york_mornings(),
            tokyo(busy=((utc(2025, 3, 1), utc(2025, 4, 1)),)),
        ),
        duration=HOUR,
        **week_of(date(2025, 3, 10)),
    )
    assert busy.outcome == SlotOutcome.ALL_BUSY
    assert busy.reason == (
        "Everyone in your group is available together for 10 h between 10 Mar 2025 and "
        "15 Mar 2025, but existing meetings and calendar events leave no free 1 h. "
        "Look further ahead or free some time."
    )


def test_one_person_is_not_a_search():
    with pytest.raises(ValueError, match="two"):
        common_slots((mentor(),), duration=HOUR, **week_of(date(2025, 3, 10)))

"""Recurring series in the organiser's zone, seen from another zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trellis.scheduling.recurrence import (
    LAST_WEEK,
    Frequency,
    OccurrenceCancelled,
    OccurrenceMoved,
    SeriesRule,
    occurrences,
    split_series,
)
from trellis.scheduling.zones import LocalTimeKind, local_time_kind, resolve_local_time

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
HOUR = timedelta(hours=1)
ALL_TIME = {"start": datetime(2000, 1, 1, tzinfo=UTC), "end": datetime(2100, 1, 1, tzinfo=UTC)}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekly(start_date: date, **kwargs) -> SeriesRule:
    kwargs.setdefault("frequency", Frequency.WEEKLY)
    return SeriesRule(BERLIN, start_date, time(9), HOUR, **kwargs)


def test_weekly_berlin_series_across_march_changes_keeps_local_time_and_moves_in_new_york():
    # Given a weekly Monday 09:00 Berlin series from 3 March 2025; the US switches to
    # summer time on 9 March, the EU on 30 March.
    rule = weekly(date(2025, 3, 3), count=6)

    # When it is expanded
    found = occurrences(rule, **ALL_TIME)

    # Then Berlin always sees 09:00, the UTC instant moves on 30 March, and New York sees
    # 03:00, then 04:00 for the three weeks only the US has switched, then 03:00 again.
    assert [occurrence.start for occurrence in found] == [
        utc(2025, 3, 3, 8),
        utc(2025, 3, 10, 8),
        utc(2025, 3, 17, 8),
        utc(2025, 3, 24, 8),
        utc(2025, 3, 31, 7),
        utc(2025, 4, 7, 7),
    ]
    assert {occurrence.local_start(BERLIN).time() for occurrence in found} == {time(9)}
    assert [occurrence.local_start(NEW_YORK).hour for occurrence in found] == [3, 4, 4, 4, 3, 3]
    assert all(occurrence.end - occurrence.start == HOUR for occurrence in found)
    assert [occurrence.recurrence_id for occurrence in found][:2] == [
        "20250303T090000",
        "20250310T090000",
    ]


def test_weekly_berlin_series_across_october_changes():
    # The EU falls back on 26 October 2025, the US on 2 November.
    rule = weekly(date(2025, 10, 20), count=3)

    found = occurrences(rule, **ALL_TIME)

    assert [occurrence.start for occurrence in found] == [
        utc(2025, 10, 20, 7),
        utc(2025, 10, 27, 8),
        utc(2025, 11, 3, 8),
    ]
    assert {occurrence.local_start(BERLIN).time() for occurrence in found} == {time(9)}
    assert [occurrence.local_start(NEW_YORK).hour for occurrence in found] == [3, 4, 3]


def test_every_two_weeks_until_includes_the_until_date():
    rule = weekly(date(2025, 3, 17), frequency=Frequency.EVERY_TWO_WEEKS, until=date(2025, 4, 28))

    found = occurrences(rule, **ALL_TIME)

    assert [occurrence.start for occurrence in found] == [
        utc(2025, 3, 17, 8),
        utc(2025, 3, 31, 7),
        utc(2025, 4, 14, 7),
        utc(2025, 4, 28, 7),
    ]
    assert rule.to_rrule() == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;UNTIL=20250428T070000Z"


def test_monthly_second_tuesday():
    rule = SeriesRule(
        BERLIN, date(2025, 1, 14), time(18, 30), HOUR, Frequency.MONTHLY_BY_WEEKDAY, week=2, count=4
    )

    found = occurrences(rule, **ALL_TIME)

    assert [occurrence.local_start(BERLIN) for occurrence in found] == [
        datetime(2025, 1, 14, 18, 30, tzinfo=ZoneInfo(BERLIN)),
        datetime(2025, 2, 11, 18, 30, tzinfo=ZoneInfo(BERLIN)),
        datetime(2025, 3, 11, 18, 30, tzinfo=ZoneInfo(BERLIN)),
        datetime(2025, 4, 8, 18, 30, tzinfo=ZoneInfo(BERLIN)),
    ]
    assert found[-1].start == utc(2025, 4, 8, 16, 30)
    assert rule.to_rrule() == "FREQ=MONTHLY;BYDAY=2TU;COUNT=4"


def test_monthly_last_friday():
    rule = SeriesRule(
        NEW_YORK,
        date(2025, 1, 31),
        time(12),
        HOUR,
        Frequency.MONTHLY_BY_WEEKDAY,
        week=LAST_WEEK,
        until=date(2025, 5, 30),
    )

    found = occurrences(rule, **ALL_TIME)

    assert [occurrence.local_start(NEW_YORK).date() for occurrence in found] == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 28),
        date(2025, 4, 25),
        date(2025, 5, 30),
    ]
    assert [occurrence.start for occurrence in found][1:3] == [
        utc(2025, 2, 28, 17),
        utc(2025, 3, 28, 16),
    ]
    assert rule.to_rrule() == "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20250530T160000Z"


def test_single_meeting():
    rule = SeriesRule(BERLIN, date(2025, 6, 2), time(9), HOUR)

    assert rule.to_rrule() == ""
    assert [occurrence.start for occurrence in occurrences(rule, **ALL_TIME)] == [
        utc(2025, 6, 2, 7)
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frequency": Frequency.WEEKLY, "count": 2, "until": date(2025, 4, 1)}, "not both"),
        ({"frequency": Frequency.ONCE, "count": 2}, "single meeting"),
        ({"frequency": Frequency.WEEKLY, "count": 0}, "at least one"),
        ({"frequency": Frequency.WEEKLY, "until": date(2025, 3, 2)}, "before its first"),
        ({"frequency": Frequency.MONTHLY_BY_WEEKDAY, "week": 2}, "that week"),
        ({"frequency": Frequency.MONTHLY_BY_WEEKDAY, "week": LAST_WEEK}, "last such"),
        ({"frequency": Frequency.MONTHLY_BY_WEEKDAY, "week": 5}, "1st-4th"),
        ({"frequency": Frequency.WEEKLY, "week": 1}, "Only monthly"),
        ({"duration": timedelta(0)}, "longer than zero"),
    ],
)
def test_invalid_rules_are_refused(kwargs, message):
    # 3 March 2025 is the first Monday of its month.
    arguments = {"duration": HOUR} | kwargs
    with pytest.raises(ValueError, match=message):
        SeriesRule(BERLIN, date(2025, 3, 3), time(9), **arguments)


def test_unknown_zone_is_refused():
    with pytest.raises(Exception, match="Mars"):
        SeriesRule("Mars/Olympus", date(2025, 3, 3), time(9), HOUR)


ROUND_TRIP_RULES = [
    weekly(date(2025, 3, 3)),
    weekly(date(2025, 3, 3), count=6),
    weekly(date(2025, 3, 3), until=date(2025, 10, 27)),
    weekly(date(2025, 3, 3), frequency=Frequency.EVERY_TWO_WEEKS, until=date(2025, 3, 31)),
    SeriesRule(BERLIN, date(2025, 3, 3), time(9), HOUR, Frequency.MONTHLY_BY_WEEKDAY, week=1),
    SeriesRule(
        BERLIN, date(2025, 3, 31), time(9), HOUR, Frequency.MONTHLY_BY_WEEKDAY, week=-1, count=3
    ),
    SeriesRule(BERLIN, date(2025, 3, 3), time(9), HOUR),
]


@pytest.mark.parametrize("rule", ROUND_TRIP_RULES)
def test_rrule_round_trip(rule):
    parsed = SeriesRule.from_rrule(
        rule.to_rrule(),
        time_zone=rule.time_zone,
        start_date=rule.start_date,
        start_time=rule.start_time,
        duration=rule.duration,
    )

    assert parsed == rule


ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]


@st.composite
def series_rules(draw) -> SeriesRule:
    frequency = draw(st.sampled_from(list(Frequency)))
    start_date = draw(st.dates(date(2024, 1, 1), date(2027, 12, 31)))
    start_time = draw(st.times().map(lambda value: value.replace(second=0, microsecond=0)))
    week = None
    if frequency == Frequency.MONTHLY_BY_WEEKDAY:
        week = (start_date.day - 1) // 7 + 1
        if week == 5:
            week = LAST_WEEK
        elif draw(st.booleans()) and start_date.day + 7 > 28:
            # Use "last" when the date happens to be the last such weekday too.
            last = (start_date + timedelta(days=7)).month != start_date.month
            week = LAST_WEEK if last else week
    until = count = None
    if frequency != Frequency.ONCE:
        ending = draw(st.sampled_from(["never", "until", "count"]))
        if ending == "until":
            until = start_date + timedelta(days=draw(st.integers(0, 800)))
        elif ending == "count":
            count = draw(st.integers(1, 60))
    return SeriesRule(
        draw(st.sampled_from(ZONES)),
        start_date,
        start_time,
        timedelta(minutes=draw(st.integers(5, 240))),
        frequency,
        week,
        until,
        count,
    )


@given(series_rules())
def test_rrule_round_trip_property(rule):
    parsed = SeriesRule.from_rrule(
        rule.to_rrule(),
        time_zone=rule.time_zone,
        start_date=rule.start_date,
        start_time=rule.start_time,
        duration=rule.duration,
    )

    assert parsed == rule


def test_from_rrule_reads_other_clients_forms():
    kwargs = {"time_zone": BERLIN, "start_date": date(2025, 3, 3), "start_time": time(9)}
    kwargs |= {"duration": HOUR}

    # UNTIL before 09:00 Berlin on 28 April leaves that day's meeting out.
    early_until = SeriesRule.from_rrule("RRULE:FREQ=WEEKLY;UNTIL=20250428T000000Z", **kwargs)
    date_until = SeriesRule.from_rrule("FREQ=WEEKLY;UNTIL=20250428;WKST=MO", **kwargs)
    local_until = SeriesRule.from_rrule("FREQ=WEEKLY;BYDAY=MO;UNTIL=20250428T090000", **kwargs)
    monthly = SeriesRule.from_rrule("FREQ=MONTHLY;BYDAY=+1MO", **kwargs)

    assert early_until.until == date(2025, 4, 27)
    assert date_until.until == date(2025, 4, 28)
    assert local_until.until == date(2025, 4, 28)
    assert (monthly.frequency, monthly.week) == (Frequency.MONTHLY_BY_WEEKDAY, 1)


@pytest.mark.parametrize(
    "value",
    [
        "FREQ=DAILY",
        "FREQ=WEEKLY;BYMONTHDAY=3",
        "FREQ=WEEKLY;INTERVAL=3",
        "FREQ=WEEKLY;BYDAY=TU",
        "FREQ=MONTHLY;BYDAY=2TU",
        "FREQ=WEEKLY;FREQ=WEEKLY",
        "FREQ",
        "FREQ=WEEKLY;UNTIL=2025-04-28",
    ],
)
def test_from_rrule_refuses_what_it_cannot_express(value):
    with pytest.raises(ValueError):  # noqa: PT011 - several messages, one kind of refusal
        SeriesRule.from_rrule(
            value, time_zone=BERLIN, start_date=date(2025, 3, 3), start_time=time(9), duration=HOUR
        )


def test_occurrences_overlapping_the_window_edges_are_included():
    rule = weekly(date(2025, 3, 3), count=6)

    # The 10 March meeting runs 08:00-09:00 UTC; the window starts in the middle of it and
    # ends exactly when the 24 March one starts.
    found = occurrences(rule, start=utc(2025, 3, 10, 8, 30), end=utc(2025, 3, 24, 8))

    assert [occurrence.recurrence_id for occurrence in found] == [
        "20250310T090000",
        "20250317T090000",
    ]


def test_naive_window_is_refused():
    with pytest.raises(ValueError, match="aware"):
        occurrences(weekly(date(2025, 3, 3)), start=datetime(2025, 3, 3), end=utc(2025, 4, 1))  # noqa: DTZ001


def test_cancel_one_occurrence():
    rule = weekly(date(2025, 3, 3), count=4)

    found = occurrences(rule, **ALL_TIME, exceptions=[OccurrenceCancelled("20250317T090000")])

    assert [occurrence.recurrence_id for occurrence in found] == [
        "20250303T090000",
        "20250310T090000",
        "20250324T090000",
    ]


def test_move_one_occurrence_keeps_its_recurrence_id():
    rule = weekly(date(2025, 3, 3), count=4)
    moved = OccurrenceMoved(
        "20250310T090000",
        start=datetime(2025, 3, 12, 14, tzinfo=ZoneInfo(NEW_YORK)),
        duration=timedelta(minutes=30),
    )

    found = occurrences(rule, **ALL_TIME, exceptions=[moved])

    moved_occurrence = found[1]
    assert moved_occurrence.start == utc(2025, 3, 12, 18)
    assert moved_occurrence.end == utc(2025, 3, 12, 18, 30)
    assert moved_occurrence.is_moved
    assert moved_occurrence.recurrence_id == "20250310T090000"
    assert moved_occurrence.original_start == datetime(2025, 3, 10, 9, tzinfo=ZoneInfo(BERLIN))
    assert len(found) == 4


def test_moved_occurrence_is_windowed_by_its_new_time():
    rule = weekly(date(2025, 3, 3), count=4)
    # The 24 March meeting moves back into the first week; the 3 March one moves out.
    exceptions = [
        OccurrenceMoved("20250324T090000", start=utc(2025, 3, 5, 8)),
        OccurrenceMoved("20250303T090000", start=utc(2025, 4, 30, 8)),
    ]

    found = occurrences(rule, start=utc(2025, 3, 3), end=utc(2025, 3, 8), exceptions=exceptions)

    assert [(occurrence.recurrence_id, occurrence.start) for occurrence in found] == [
        ("20250324T090000", utc(2025, 3, 5, 8))
    ]


def test_exceptions_for_meetings_the_series_does_not_have_are_ignored():
    rule = weekly(date(2025, 3, 3), count=2)
    exceptions = [
        OccurrenceMoved("20250311T090000", start=utc(2025, 3, 5, 8)),  # a Tuesday
        OccurrenceMoved("20250317T090000", start=utc(2025, 3, 5, 8)),  # after the count
    ]

    found = occurrences(rule, **ALL_TIME, exceptions=exceptions)

    assert [occurrence.start for occurrence in found] == [utc(2025, 3, 3, 8), utc(2025, 3, 10, 8)]


def test_naive_move_is_refused():
    with pytest.raises(ValueError, match="aware"):
        OccurrenceMoved("20250303T090000", start=datetime(2025, 3, 5, 8))  # noqa: DTZ001


def test_split_this_and_following_with_until():
    rule = weekly(date(2025, 3, 3), until=date(2025, 4, 28))

    old_rule, new_rule = split_series(rule, recurrence_id="20250331T090000", start_time=time(10))

    assert old_rule == weekly(date(2025, 3, 3), until=date(2025, 3, 30))
    assert new_rule == SeriesRule(
        BERLIN, date(2025, 3, 31), time(10), HOUR, Frequency.WEEKLY, until=date(2025, 4, 28)
    )
    old_starts = [occurrence.start for occurrence in occurrences(old_rule, **ALL_TIME)]
    new_starts = [occurrence.start for occurrence in occurrences(new_rule, **ALL_TIME)]
    assert old_starts[-1] == utc(2025, 3, 24, 8)
    assert new_starts[:2] == [utc(2025, 3, 31, 8), utc(2025, 4, 7, 8)]  # 10:00 Berlin


def test_split_shares_out_the_count():
    rule = weekly(date(2025, 3, 3), frequency=Frequency.EVERY_TWO_WEEKS, count=5)

    old_rule, new_rule = split_series(rule, recurrence_id="20250331T090000")

    assert old_rule is not None
    assert (old_rule.count, new_rule.count) == (2, 3)
    before = [occurrence.start for occurrence in occurrences(rule, **ALL_TIME)]
    after = [
        occurrence.start
        for part in (old_rule, new_rule)
        for occurrence in occurrences(part, **ALL_TIME)
    ]
    assert after == before


def test_split_monthly_keeps_the_weekday_rule():
    rule = SeriesRule(
        BERLIN, date(2025, 1, 31), time(9), HOUR, Frequency.MONTHLY_BY_WEEKDAY, week=LAST_WEEK
    )

    old_rule, new_rule = split_series(
        rule, recurrence_id="20250328T090000", duration=timedelta(minutes=45)
    )

    assert old_rule is not None
    assert old_rule.until == date(2025, 3, 27)
    assert (new_rule.start_date, new_rule.week, new_rule.duration) == (
        date(2025, 3, 28),
        LAST_WEEK,
        timedelta(minutes=45),
    )


def test_split_at_the_first_meeting_replaces_the_whole_series():
    rule = weekly(date(2025, 3, 3), count=3)

    old_rule, new_rule = split_series(rule, recurrence_id="20250303T090000")

    assert old_rule is None
    assert new_rule == rule


def test_split_at_a_meeting_the_series_does_not_have_is_refused():
    with pytest.raises(ValueError, match="not a meeting"):
        split_series(weekly(date(2025, 3, 3)), recurrence_id="20250304T090000")


def test_start_in_the_spring_forward_gap_shifts_forward_by_the_gap():
    # 02:30 does not exist in Berlin on 30 March 2025 (02:00 -> 03:00).
    rule = SeriesRule(BERLIN, date(2025, 3, 23), time(2, 30), HOUR, Frequency.WEEKLY, count=3)

    found = occurrences(rule, **ALL_TIME)

    assert [occurrence.start for occurrence in found] == [
        utc(2025, 3, 23, 1, 30),
        utc(2025, 3, 30, 1, 30),  # 03:30 CEST
        utc(2025, 4, 6, 0, 30),
    ]
    assert found[1].local_start(BERLIN).time() == time(3, 30)
    assert found[1].recurrence_id == "20250330T023000"
    assert local_time_kind(date(2025, 3, 30), time(2, 30), ZoneInfo(BERLIN)) == (
        LocalTimeKind.NONEXISTENT
    )


def test_start_in_the_repeated_hour_means_the_first_one():
    # 02:30 happens twice in Berlin on 26 October 2025 (03:00 CEST -> 02:00 CET).
    rule = SeriesRule(BERLIN, date(2025, 10, 19), time(2, 30), HOUR, Frequency.WEEKLY, count=3)

    found = occurrences(rule, **ALL_TIME)

    assert [occurrence.start for occurrence in found] == [
        utc(2025, 10, 19, 0, 30),
        utc(2025, 10, 26, 0, 30),  # 02:30 CEST, the first pass
        utc(2025, 11, 2, 1, 30),
    ]
    assert local_time_kind(date(2025, 10, 26), time(2, 30), ZoneInfo(BERLIN)) == (
        LocalTimeKind.AMBIGUOUS
    )


@pytest.mark.parametrize(
    ("zone", "day", "wall_time", "expected"),
    [
        ("Europe/Berlin", date(2025, 6, 1), time(9), utc(2025, 6, 1, 7)),
        ("America/New_York", date(2025, 3, 9), time(2, 15), utc(2025, 3, 9, 7, 15)),
        ("America/New_York", date(2025, 11, 2), time(1, 30), utc(2025, 11, 2, 5, 30)),
        ("Asia/Kolkata", date(2025, 3, 30), time(9), utc(2025, 3, 30, 3, 30)),
        # Lord Howe shifts by half an hour: 02:00 -> 02:30 on 5 October 2025.
        ("Australia/Lord_Howe", date(2025, 10, 5), time(2, 10), utc(2025, 10, 4, 15, 40)),
    ],
)
def test_resolve_local_time(zone, day, wall_time, expected):
    assert resolve_local_time(day, wall_time, ZoneInfo(zone)) == expected


def test_until_for_a_meeting_starting_in_the_gap_round_trips():
    rule = SeriesRule(
        BERLIN, date(2025, 3, 2), time(2, 30), HOUR, Frequency.WEEKLY, until=date(2025, 3, 30)
    )

    assert rule.to_rrule() == "FREQ=WEEKLY;BYDAY=SU;UNTIL=20250330T013000Z"
    assert len(occurrences(rule, **ALL_TIME)) == 5

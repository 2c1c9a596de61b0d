"""Turn local wall-clock times into instants, including on daylight-saving days.

Two rules, one for points in time and one for stretches of time:

- A meeting starts at a point. ``resolve_local_time`` maps a local date and wall time
  to one UTC instant: a time that does not exist (the spring-forward gap, 02:30 in
  Berlin on the last Sunday of March) moves forward by the length of the gap (03:30),
  and a time that happens twice (the fall-back hour) means its first occurrence
  (``fold=0``, still summer time). These are the PEP 495 ``fold=0`` semantics, and the
  rule RFC 5545 gives for DTSTART in a gap.
- Availability and contact hours are stretches. ``local_window_instants`` returns
  exactly the instants at which the person's clock reads a time inside the window on
  that date: a window lying wholly in a gap is empty that day, and a window covering
  the repeated hour covers it twice.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]

# No zone in the database changes its offset twice within six hours, so sampling the
# offset every six hours finds every transition, which bisection then pins to the second.
_SAMPLE_STEP = timedelta(hours=6)


class LocalTimeKind(enum.StrEnum):
    NORMAL = "normal"
    NONEXISTENT = "nonexistent"  # in the spring-forward gap
    AMBIGUOUS = "ambiguous"  # in the repeated fall-back hour


def local_time_kind(day: date, wall_time: time, zone: ZoneInfo) -> LocalTimeKind:
    """Say whether a local wall time exists once, never, or twice on that date."""
    earlier = datetime.combine(day, wall_time, tzinfo=zone)
    later = earlier.replace(fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return LocalTimeKind.NORMAL
    # The round trip through UTC lands on another wall time only for a nonexistent one.
    if earlier.astimezone(UTC).astimezone(zone).time() != wall_time:
        return LocalTimeKind.NONEXISTENT
    return LocalTimeKind.AMBIGUOUS


def resolve_local_time(day: date, wall_time: time, zone: ZoneInfo) -> datetime:
    """Return the UTC instant of a local wall time (gap: shift forward; repeated: first)."""
    # fold=0 takes the offset in force before the transition: for a gap that pushes the
    # instant forward by the gap's length, for the repeated hour it picks the first pass.
    return datetime.combine(day, wall_time.replace(fold=0), tzinfo=zone).astimezone(UTC)


def _offset_at(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # noqa: S101 - a ZoneInfo always has an offset
    return offset


def _transition(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """Return the first instant in (before, after] with the offset in force at after."""
    offset_before = _offset_at(zone, before)
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        middle = middle.replace(microsecond=0)
        if _offset_at(zone, middle) == offset_before:
            before = middle
        else:
            after = middle
    return after


def _offset_pieces(
    zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[Interval, timedelta]]:
    """Split [start, end) into pieces of constant UTC offset."""
    pieces: list[tuple[Interval, timedelta]] = []
    piece_start = start
    offset = _offset_at(zone, start)
    sample = start
    while sample < end:
        next_sample = min(sample + _SAMPLE_STEP, end)
        next_offset = _offset_at(zone, next_sample)
        if next_offset != offset:
            change = _transition(zone, sample, next_sample)
            pieces.append(((piece_start, change), offset))
            piece_start, offset = change, next_offset
        sample = next_sample
    pieces.append(((piece_start, end), offset))
    return pieces


def local_window_instants(day: date, start: time, end: time, zone: ZoneInfo) -> list[Interval]:
    """Return the UTC intervals during which the local clock reads [start, end) on day.

    ``end == time(0)`` means midnight at the end of the day (24:00). Usually one interval;
    none when the window lies wholly in a spring-forward gap; two when it covers part of
    a repeated fall-back hour.
    """
    end_day = day + timedelta(days=1) if end == time(0) else day
    # Wall-clock readings carried as UTC-tagged values purely for arithmetic:
    # instant = wall reading - offset, piece by piece of constant offset.
    wall_start = datetime.combine(day, start, tzinfo=UTC)
    wall_end = datetime.combine(end_day, end, tzinfo=UTC)
    if wall_end <= wall_start:
        return []
    # Every instant whose wall reading falls on day lies within a day either side of it.
    search_start = wall_start - timedelta(days=1)
    search_end = wall_end + timedelta(days=1)
    intervals: list[Interval] = []
    for (piece_start, piece_end), offset in _offset_pieces(zone, search_start, search_end):
        interval_start = max(piece_start, wall_start - offset)
        interval_end = min(piece_end, wall_end - offset)
        if interval_start < interval_end:
            intervals.append((interval_start, interval_end))
    return merge_intervals(intervals)


def merge_intervals(intervals: list[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def intersect_intervals(first: list[Interval], second: list[Interval]) -> list[Interval]:
    """Intersect two sorted, merged interval lists."""
    result: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            result.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract_intervals(intervals: list[Interval], removed: list[Interval]) -> list[Interval]:
    """Remove the (sorted, merged) removed intervals from sorted, merged intervals."""
    result: list[Interval] = []
    for start, end in intervals:
        cursor = start
        for removed_start, removed_end in removed:
            if removed_end <= cursor:
                continue
            if removed_start >= end:
                break
            if removed_start > cursor:
                result.append((cursor, removed_start))
            cursor = max(cursor, removed_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result

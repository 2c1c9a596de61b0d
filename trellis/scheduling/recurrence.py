"""Recurring meeting series: rules, RRULE strings, occurrences and their exceptions.

Status (issue #4, foundations): pure functions only, no models yet; tested in
``tests/test_recurrence.py``. Done: ``SeriesRule`` (once, weekly, every two weeks,
monthly by weekday such as "2nd Tuesday" or "last Friday"; until date or count),
``to_rrule``/``from_rrule`` round trip, ``occurrences`` expanded in the organiser's zone,
cancel/move one occurrence, ``split_series`` ("this and the following"). Left for the
next session: the Meeting/Series models storing ``rrule`` + ``time_zone`` +
``start_date``/``start_time`` + duration and one row per exception keyed by
``recurrence_id``; iCalendar export (RECURRENCE-ID;TZID=<zone>:<recurrence_id>).

Time rules (see ``zones``): a series is kept as a local date and wall time in the
organiser's IANA zone, so a weekly 09:00 meeting stays at 09:00 there across daylight
saving while its UTC instant moves. A start in the spring-forward gap shifts forward by
the gap (02:30 -> 03:30); a start in the repeated fall-back hour means the first one.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from dateutil import rrule as dateutil_rrule

from trellis.scheduling.zones import resolve_local_time

RECURRENCE_ID_FORMAT = "%Y%m%dT%H%M%S"
_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DATEUTIL_WEEKDAYS = (
    dateutil_rrule.MO,
    dateutil_rrule.TU,
    dateutil_rrule.WE,
    dateutil_rrule.TH,
    dateutil_rrule.FR,
    dateutil_rrule.SA,
    dateutil_rrule.SU,
)
LAST_WEEK = -1


class Frequency(enum.StrEnum):
    ONCE = "once"
    WEEKLY = "weekly"
    EVERY_TWO_WEEKS = "every_two_weeks"
    MONTHLY_BY_WEEKDAY = "monthly_by_weekday"


def week_of_month(day: date) -> int:
    """Return which occurrence of its weekday day is in its month (1-5)."""
    return (day.day - 1) // 7 + 1


def is_last_weekday_of_month(day: date) -> bool:
    return day.day + 7 > calendar.monthrange(day.year, day.month)[1]


@dataclass(frozen=True)
class SeriesRule:
    """A meeting series as the organiser set it up, in the organiser's zone.

    ``start_date``/``start_time`` are the first occurrence's local date and wall time.
    For ``MONTHLY_BY_WEEKDAY``, ``week`` is 1-4 or ``LAST_WEEK`` (-1), and start_date must
    be that weekday of its month ("2nd Tuesday": a Tuesday with week_of_month 2). ``until``
    is the last local date an occurrence may fall on (inclusive); at most one of until
    and count.
    """

    time_zone: str
    start_date: date
    start_time: time
    duration: timedelta
    frequency: Frequency = Frequency.ONCE
    week: int | None = None
    until: date | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # raises for an unknown zone
        if self.start_time.tzinfo is not None:
            raise ValueError("start_time is a wall time; the zone goes in time_zone.")
        if self.duration <= timedelta(0):
            raise ValueError("A meeting must last longer than zero minutes.")
        if self.until is not None and self.count is not None:
            raise ValueError("A series ends on a date or after a number of meetings, not both.")
        if self.until is not None and self.until < self.start_date:
            raise ValueError("A series cannot end before its first meeting.")
        if self.count is not None and self.count < 1:
            raise ValueError("A series has at least one meeting.")
        if self.frequency == Frequency.MONTHLY_BY_WEEKDAY:
            if self.week not in (1, 2, 3, 4, LAST_WEEK):
                raise ValueError("Monthly meetings fall on the 1st-4th or the last weekday.")
            if self.week == LAST_WEEK:
                if not is_last_weekday_of_month(self.start_date):
                    raise ValueError("The first meeting must be on the last such weekday.")
            elif week_of_month(self.start_date) != self.week:
                raise ValueError("The first meeting must be on that week's weekday.")
        elif self.week is not None:
            raise ValueError("Only monthly series have a week of the month.")
        if self.frequency == Frequency.ONCE and (self.until is not None or self.count is not None):
            raise ValueError("A single meeting has no end date or count.")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def first_start(self) -> datetime:
        """Return the first occurrence's UTC instant."""
        return resolve_local_time(self.start_date, self.start_time, self.zone)

    def to_rrule(self) -> str:
        """Return the RFC 5545 RRULE value ("" for a single meeting).

        DTSTART is the local start in ``time_zone`` (DTSTART;TZID=...). UNTIL is given in
        UTC as RFC 5545 requires with a zoned DTSTART: the instant of start_time on the
        until date, so the meeting on that date is included.
        """
        if self.frequency == Frequency.ONCE:
            return ""
        weekday = _WEEKDAY_CODES[self.start_date.weekday()]
        if self.frequency == Frequency.MONTHLY_BY_WEEKDAY:
            parts = ["FREQ=MONTHLY", f"BYDAY={self.week}{weekday}"]
        elif self.frequency == Frequency.EVERY_TWO_WEEKS:
            parts = ["FREQ=WEEKLY", "INTERVAL=2", f"BYDAY={weekday}"]
        else:
            parts = ["FREQ=WEEKLY", f"BYDAY={weekday}"]
        if self.until is not None:
            until = resolve_local_time(self.until, self.start_time, self.zone)
            parts.append(f"UNTIL={until.strftime(RECURRENCE_ID_FORMAT)}Z")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        return ";".join(parts)

    @classmethod
    def from_rrule(
        cls,
        value: str,
        *,
        time_zone: str,
        start_date: date,
        start_time: time,
        duration: timedelta,
    ) -> SeriesRule:
        """Parse an RRULE this module can express; raise ValueError for anything else."""
        value = value.strip().removeprefix("RRULE:")
        if not value:
            return cls(time_zone, start_date, start_time, duration)
        parts: dict[str, str] = {}
        for part in value.split(";"):
            key, separator, part_value = part.partition("=")
            if not separator or key.upper() in parts:
                raise ValueError(f"Malformed RRULE part {part!r}.")
            parts[key.upper()] = part_value.upper()
        supported = {"FREQ", "INTERVAL", "BYDAY", "UNTIL", "COUNT", "WKST"}
        if unsupported := set(parts) - supported:
            raise ValueError(f"Unsupported RRULE parts: {', '.join(sorted(unsupported))}.")
        interval = int(parts.get("INTERVAL", "1"))
        by_day = parts.get("BYDAY", "")
        weekday = _WEEKDAY_CODES[start_date.weekday()]
        week: int | None = None
        if parts.get("FREQ") == "WEEKLY" and interval in (1, 2):
            if by_day not in ("", weekday):
                raise ValueError("Weekly series repeat on the first meeting's weekday only.")
            frequency = Frequency.WEEKLY if interval == 1 else Frequency.EVERY_TWO_WEEKS
        elif parts.get("FREQ") == "MONTHLY" and interval == 1 and by_day.endswith(weekday):
            frequency = Frequency.MONTHLY_BY_WEEKDAY
            week = int(by_day.removesuffix(weekday).removeprefix("+") or "0")
        else:
            raise ValueError(f"Unsupported recurrence {value!r}.")
        until = (
            _parse_until(parts["UNTIL"], start_time, ZoneInfo(time_zone))
            if "UNTIL" in parts
            else None
        )
        count = int(parts["COUNT"]) if "COUNT" in parts else None
        return cls(time_zone, start_date, start_time, duration, frequency, week, until, count)

    def _dateutil_rule(self) -> dateutil_rrule.rrule:
        # Expanded on wall-clock readings (dtstart carries the zone, and dateutil keeps the
        # wall time and the tzinfo of dtstart), so 09:00 stays 09:00 in the organiser's zone.
        local_start = datetime.combine(self.start_date, self.start_time, tzinfo=self.zone)
        until = (
            datetime.combine(self.until, self.start_time, tzinfo=self.zone)
            if self.until is not None
            else None
        )
        count = 1 if self.frequency == Frequency.ONCE else self.count
        if self.frequency == Frequency.MONTHLY_BY_WEEKDAY:
            assert self.week is not None  # noqa: S101 - checked in __post_init__
            weekday = _DATEUTIL_WEEKDAYS[self.start_date.weekday()](self.week)
            return dateutil_rrule.rrule(
                dateutil_rrule.MONTHLY,
                dtstart=local_start,
                byweekday=weekday,
                until=until,
                count=count,
            )
        interval = 2 if self.frequency == Frequency.EVERY_TWO_WEEKS else 1
        return dateutil_rrule.rrule(
            dateutil_rrule.WEEKLY, dtstart=local_start, interval=interval, until=until, count=count
        )

    def local_starts(self) -> Iterator[datetime]:
        """Yield each occurrence's original local start (aware, in the organiser's zone)."""
        yield from self._dateutil_rule()

    def has_occurrence(self, recurrence_id: str) -> bool:
        local_start = parse_recurrence_id(recurrence_id, self.zone)
        found = self._dateutil_rule().after(local_start - timedelta(seconds=1))
        return found is not None and found.replace(tzinfo=None) == local_start.replace(tzinfo=None)


def _parse_until(value: str, start_time: time, zone: ZoneInfo) -> date:
    """Return the last local date whose meeting at start_time is not after UNTIL."""
    if len(value) == 8:  # a DATE value
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    # Without "Z" the value is a local time in the series' zone (RFC 5545 floating form).
    if value.endswith("Z"):
        local = _parse_date_time(value.removesuffix("Z"), UTC).astimezone(zone)
    else:
        local = _parse_date_time(value, zone)
    last_date = local.date()
    if resolve_local_time(last_date, start_time, zone) > local:
        last_date -= timedelta(days=1)
    return last_date


def format_recurrence_id(local_start: datetime) -> str:
    """Return the RECURRENCE-ID value (local wall time, used with TZID=<series zone>)."""
    return local_start.strftime(RECURRENCE_ID_FORMAT)


def parse_recurrence_id(recurrence_id: str, zone: ZoneInfo) -> datetime:
    return _parse_date_time(recurrence_id, zone)


def _parse_date_time(value: str, zone: tzinfo) -> datetime:
    """Parse an RFC 5545 basic-format date-time ("20250317T090000") in zone."""
    if len(value) != 15 or value[8] != "T" or not (value[:8] + value[9:]).isdigit():
        raise ValueError(f"Malformed date-time {value!r}.")
    day = date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    wall_time = time(int(value[9:11]), int(value[11:13]), int(value[13:15]))
    return datetime.combine(day, wall_time, tzinfo=zone)


@dataclass(frozen=True)
class Occurrence:
    """One meeting of a series; start and end are UTC.

    ``recurrence_id`` is the original local start in the organiser's zone
    ("20250317T090000"), stable across moves: store exceptions against it.
    """

    start: datetime
    end: datetime
    original_start: datetime
    recurrence_id: str
    is_moved: bool = False

    def local_start(self, time_zone: str) -> datetime:
        return self.start.astimezone(ZoneInfo(time_zone))

    def local_end(self, time_zone: str) -> datetime:
        return self.end.astimezone(ZoneInfo(time_zone))


@dataclass(frozen=True)
class OccurrenceCancelled:
    recurrence_id: str


@dataclass(frozen=True)
class OccurrenceMoved:
    """One occurrence moved to a new aware start, optionally with a new length."""

    recurrence_id: str
    start: datetime
    duration: timedelta | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("A moved meeting needs an aware start.")


SeriesException = OccurrenceCancelled | OccurrenceMoved


def occurrences(
    rule: SeriesRule,
    *,
    start: datetime,
    end: datetime,
    exceptions: Iterable[SeriesException] = (),
) -> list[Occurrence]:
    """Return the occurrences that overlap [start, end), sorted by start.

    Like calendar APIs, an occurrence counts when any part of it lies in the window (a
    meeting running across ``start`` is included). Cancelled occurrences are left out;
    moved ones appear at their new time (and are included or not by their new time).
    Exceptions naming no occurrence of the rule (for example after a split) are ignored;
    for one recurrence id the last exception given wins.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("The window needs aware datetimes.")
    zone = rule.zone
    by_id: dict[str, SeriesException] = {}
    for exception in exceptions:
        by_id[exception.recurrence_id] = exception
    found: list[Occurrence] = []
    for local_start in rule.local_starts():
        occurrence_start = resolve_local_time(local_start.date(), local_start.time(), zone)
        if occurrence_start >= end:
            break  # later originals start later still; moves are handled below
        recurrence_id = format_recurrence_id(local_start)
        if recurrence_id in by_id:
            continue
        occurrence_end = occurrence_start + rule.duration
        if occurrence_end > start:
            found.append(Occurrence(occurrence_start, occurrence_end, local_start, recurrence_id))
    for recurrence_id, exception in by_id.items():
        if not isinstance(exception, OccurrenceMoved) or not rule.has_occurrence(recurrence_id):
            continue
        moved_start = exception.start.astimezone(UTC)
        moved_end = moved_start + (exception.duration or rule.duration)
        if moved_start < end and moved_end > start:
            original = parse_recurrence_id(recurrence_id, zone)
            found.append(Occurrence(moved_start, moved_end, original, recurrence_id, True))
    return sorted(found, key=lambda occurrence: (occurrence.start, occurrence.recurrence_id))


def split_series(
    rule: SeriesRule,
    *,
    recurrence_id: str,
    start_time: time | None = None,
    duration: timedelta | None = None,
) -> tuple[SeriesRule | None, SeriesRule]:
    """Split at one occurrence for an edit of "this and the following meetings".

    Return (the old rule ending before that occurrence, or None when it was the first;
    the new rule starting on that occurrence's date with the optional new wall time or
    length). A count is shared out so the two series together keep the same number of
    meetings; an until date stays on the new rule. The caller re-keys or drops exceptions
    from the split date on: with a new start_time their recurrence ids no longer match.
    """
    if not rule.has_occurrence(recurrence_id):
        raise ValueError(f"{recurrence_id} is not a meeting of this series.")
    split_date = parse_recurrence_id(recurrence_id, rule.zone).date()
    remaining_count: int | None = None
    if rule.count is not None:
        earlier = sum(1 for local_start in rule.local_starts() if local_start.date() < split_date)
        remaining_count = rule.count - earlier
    new_rule = replace(
        rule,
        start_date=split_date,
        start_time=start_time or rule.start_time,
        duration=duration or rule.duration,
        count=remaining_count,
    )
    if split_date == rule.start_date:
        return None, new_rule
    if rule.count is not None:
        assert remaining_count is not None  # noqa: S101 - set above when count is
        old_rule = replace(rule, count=rule.count - remaining_count)
    else:
        old_rule = replace(rule, until=split_date - timedelta(days=1))
    return old_rule, new_rule

"""Find a time: the common free slots of two or more people in different time zones.

Status (issue #4, foundations): pure functions, no models yet; tested in
``tests/test_slots.py``. Done: availability from weekly windows and date exceptions,
busy time removed, contact-hours ranking, a human reason when nothing fits, up to three
spread-out proposals. Left for the next session: build ``PersonSchedule`` from
profiles.AvailabilityWindow, the communication agreement's contact hours, an
availability-exception model, Trellis meetings (``recurrence.occurrences``) and cached
ICS free/busy; the "Find a time" page and API; "by preference" ranking beyond contact
hours once preferences exist.

Rules:
- A window is exactly the instants at which the person's clock reads a time inside it
  on that date (``zones.local_window_instants``); a window lying in the spring-forward
  gap is empty that day. ``end == time(0)`` means 24:00; a window cannot cross midnight
  (split it in two).
- A date exception replaces that date's weekly windows; no windows means a day off.
- Slot starts lie on a grid of ``step`` counted from midnight UTC (every quarter hour by
  default, which is a quarter hour in every zone in use today), inside the horizon.
- Ranking: slots inside everyone's contact hours first (someone without contact
  hours accepts any time), then earlier first; slots never share a start, so the order
  is total.
- A group (``common_slots`` with more than two people) is free when all of them are:
  everyone's availability intersected, everyone's busy time removed. When nothing
  fits, the reason names who has no availability or which of them never overlap.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from trellis.core.text import join_names
from trellis.scheduling.zones import (
    Interval,
    intersect_intervals,
    local_window_instants,
    merge_intervals,
    subtract_intervals,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_WEEKDAYS = frozenset(range(7))
_DASH = "\N{EN DASH}"


def _check_window(start: time, end: time) -> None:
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("Windows are local wall times; the zone belongs to the person.")
    if end != time(0) and end <= start:
        raise ValueError("A window ends after it starts (split one that crosses midnight).")


@dataclass(frozen=True)
class TimeWindow:
    """A local window on some day; ``end == time(0)`` means midnight at the day's end."""

    start: time
    end: time

    def __post_init__(self) -> None:
        _check_window(self.start, self.end)


@dataclass(frozen=True)
class WeeklyWindow:
    """A weekly availability window; weekday 0 is Monday, as in profiles."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.weekday not in ALL_WEEKDAYS:
            raise ValueError("weekday is 0 (Monday) to 6 (Sunday).")
        _check_window(self.start, self.end)


@dataclass(frozen=True)
class DateException:
    """Replace one local date's weekly windows; no windows means a day off."""

    day: date
    windows: tuple[TimeWindow, ...] = ()


@dataclass(frozen=True)
class ContactHours:
    """When a person takes messages and calls, e.g. weekdays 09:00-18:00."""

    start: time
    end: time
    weekdays: frozenset[int] = ALL_WEEKDAYS

    def __post_init__(self) -> None:
        _check_window(self.start, self.end)


@dataclass(frozen=True)
class PersonSchedule:
    """What slot finding knows about one person; ``busy`` holds aware datetimes."""

    name: str
    time_zone: str
    weekly_windows: tuple[WeeklyWindow, ...]
    date_exceptions: tuple[DateException, ...] = ()
    contact_hours: ContactHours | None = None
    busy: tuple[Interval, ...] = ()

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # raises for an unknown zone
        for busy_start, busy_end in self.busy:
            if busy_start.tzinfo is None or busy_end.tzinfo is None:
                raise ValueError("Busy intervals need aware datetimes.")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class LocalSpan:
    """A slot as one person sees it: aware datetimes in their zone."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC
    is_within_contact_hours: bool
    for_a: LocalSpan
    for_b: LocalSpan  # the second person (a pair's partner; a group's next person)
    # Everyone but person a, in the order given, each in their own zone (for_b first).
    for_others: tuple[LocalSpan, ...] = ()


class SlotOutcome(enum.StrEnum):
    FOUND = "found"
    NO_AVAILABILITY = "no_availability"  # someone has no availability in the horizon
    NO_OVERLAP = "no_overlap"  # everyone has some, but never all at the same time
    OVERLAP_TOO_SHORT = "overlap_too_short"  # they overlap, never for the whole meeting
    ALL_BUSY = "all_busy"  # long enough overlaps exist, but meetings/events fill them


@dataclass(frozen=True)
class SlotSearch:
    """Ranked slots, best first; when there are none, ``reason`` says why (to person a)."""

    slots: tuple[Slot, ...]
    outcome: SlotOutcome
    reason: str | None = None


def _windows_on(person: PersonSchedule, day: date) -> Iterable[TimeWindow]:
    exceptions = [exception for exception in person.date_exceptions if exception.day == day]
    if exceptions:
        return [window for exception in exceptions for window in exception.windows]
    return [
        TimeWindow(window.start, window.end)
        for window in person.weekly_windows
        if window.weekday == day.weekday()
    ]


def _local_days(zone: ZoneInfo, start: datetime, end: datetime) -> Iterable[date]:
    # A day's window can reach an instant a day either side of its local date.
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last_day:
        yield day
        day += timedelta(days=1)


def _clip(intervals: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    return intersect_intervals(merge_intervals(intervals), [(start, end)])


def availability_intervals(
    person: PersonSchedule, *, start: datetime, end: datetime
) -> list[Interval]:
    """Return the person's available time in [start, end) as sorted UTC intervals."""
    zone = person.zone
    intervals = [
        interval
        for day in _local_days(zone, start, end)
        for window in _windows_on(person, day)
        for interval in local_window_instants(day, window.start, window.end, zone)
    ]
    return _clip(intervals, start, end)


def contact_intervals(
    person: PersonSchedule, *, start: datetime, end: datetime
) -> list[Interval] | None:
    """Return the person's contact hours in [start, end), or None when they set none."""
    hours = person.contact_hours
    if hours is None:
        return None
    zone = person.zone
    intervals = [
        interval
        for day in _local_days(zone, start, end)
        if day.weekday() in hours.weekdays
        for interval in local_window_instants(day, hours.start, hours.end, zone)
    ]
    return _clip(intervals, start, end)


def busy_intervals(person: PersonSchedule) -> list[Interval]:
    return merge_intervals(
        [(start.astimezone(UTC), end.astimezone(UTC)) for start, end in person.busy]
    )


def _ceil_to_grid(instant: datetime, step: timedelta) -> datetime:
    grid_point = _EPOCH + ((instant - _EPOCH) // step) * step
    return grid_point if grid_point >= instant else grid_point + step


def _is_inside(slot: Interval, intervals: list[Interval] | None) -> bool:
    if intervals is None:
        return True
    return any(start <= slot[0] and slot[1] <= end for start, end in intervals)


def mutual_slots(
    person_a: PersonSchedule,
    person_b: PersonSchedule,
    *,
    duration: timedelta,
    horizon_start: datetime,
    horizon_end: datetime,
    step: timedelta = timedelta(minutes=15),
) -> SlotSearch:
    """Return the ranked slots of ``duration`` when both are available and not busy.

    ``person_a`` is the one looking: the reason, when there is one, is written to them.
    """
    return common_slots(
        (person_a, person_b),
        duration=duration,
        horizon_start=horizon_start,
        horizon_end=horizon_end,
        step=step,
    )


def common_slots(
    people: Sequence[PersonSchedule],
    *,
    duration: timedelta,
    horizon_start: datetime,
    horizon_end: datetime,
    step: timedelta = timedelta(minutes=15),
) -> SlotSearch:
    """Return the ranked slots of ``duration`` when all the people are available, not busy.

    ``people[0]`` is the one looking (person a): the reason, when there is one, is written
    to them. Two people get a pair's wording; more get a group's.
    """
    if len(people) < 2:
        raise ValueError("Finding a common time needs at least two people.")
    if horizon_start.tzinfo is None or horizon_end.tzinfo is None:
        raise ValueError("The horizon needs aware datetimes.")
    if duration <= timedelta(0) or step <= timedelta(0):
        raise ValueError("Duration and step must be positive.")
    horizon_start = horizon_start.astimezone(UTC)
    horizon_end = horizon_end.astimezone(UTC)
    person_a, others = people[0], tuple(people[1:])
    available = [
        availability_intervals(person, start=horizon_start, end=horizon_end) for person in people
    ]
    describe: _Reasons | _GroupReasons
    if len(people) == 2:
        describe = _Reasons(person_a, others[0], horizon_start, horizon_end, duration)
    else:
        describe = _GroupReasons(people, available, horizon_start, horizon_end, duration)
    missing = [person for person, intervals in zip(people, available, strict=True) if not intervals]
    if missing:
        return SlotSearch((), SlotOutcome.NO_AVAILABILITY, describe.no_availability(missing))
    overlap = available[0]
    for intervals in available[1:]:
        overlap = intersect_intervals(overlap, intervals)
    if not overlap:
        return SlotSearch((), SlotOutcome.NO_OVERLAP, describe.no_overlap())
    longest = max(end - _ceil_to_grid(start, step) for start, end in overlap)
    if longest < duration:
        return SlotSearch((), SlotOutcome.OVERLAP_TOO_SHORT, describe.too_short(longest))
    busy = merge_intervals([interval for person in people for interval in busy_intervals(person)])
    free = subtract_intervals(overlap, busy)
    contacts = [
        contact_intervals(person, start=horizon_start, end=horizon_end) for person in people
    ]
    slots: list[Slot] = []
    for free_start, free_end in free:
        slot_start = _ceil_to_grid(free_start, step)
        while slot_start + duration <= free_end:
            slot_end = slot_start + duration
            spans = tuple(
                LocalSpan(slot_start.astimezone(person.zone), slot_end.astimezone(person.zone))
                for person in people
            )
            slots.append(
                Slot(
                    start=slot_start,
                    end=slot_end,
                    is_within_contact_hours=all(
                        _is_inside((slot_start, slot_end), contact) for contact in contacts
                    ),
                    for_a=spans[0],
                    for_b=spans[1],
                    for_others=spans[1:],
                )
            )
            slot_start += step
    if not slots:
        return SlotSearch((), SlotOutcome.ALL_BUSY, describe.all_busy(overlap))
    slots.sort(key=lambda slot: (not slot.is_within_contact_hours, slot.start))
    return SlotSearch(tuple(slots), SlotOutcome.FOUND)


def propose_options(slots: Sequence[Slot], *, count: int = 3) -> list[Slot]:
    """Pick up to count well-spread options from ranked slots, returned by start time.

    Best-ranked first, one per day (person a's local date) where possible; when there
    are fewer days than options, further ones come from used days without overlapping
    the options already picked.
    """
    chosen: list[Slot] = []
    days: set[date] = set()
    for slot in slots:
        if len(chosen) == count:
            break
        if slot.for_a.start.date() not in days:
            chosen.append(slot)
            days.add(slot.for_a.start.date())
    for slot in slots:
        if len(chosen) >= count:
            break
        if all(slot.end <= other.start or other.end <= slot.start for other in chosen):
            chosen.append(slot)
    return sorted(chosen, key=lambda slot: slot.start)


def format_duration(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _format_time(value: time) -> str:
    return value.strftime("%H:%M")


def _describe_windows(windows: Iterable[tuple[int, time, time]]) -> str:
    """Describe (weekday, start, end) windows compactly, such as "Mon-Fri 09:00-12:00"."""
    weekdays_by_time: dict[tuple[time, time], set[int]] = {}
    for weekday, start, end in windows:
        weekdays_by_time.setdefault((start, end), set()).add(weekday)
    parts = []
    for (start, end), weekdays in sorted(
        weekdays_by_time.items(), key=lambda item: (min(item[1]), item[0])
    ):
        end_label = "24:00" if end == time(0) else _format_time(end)
        parts.append(f"{_describe_weekdays(weekdays)} {_format_time(start)}{_DASH}{end_label}")
    return ", ".join(parts)


def _describe_weekdays(weekdays: set[int]) -> str:
    ordered = sorted(weekdays)
    runs: list[list[int]] = []
    for weekday in ordered:
        if runs and weekday == runs[-1][-1] + 1:
            runs[-1].append(weekday)
        else:
            runs.append([weekday])
    labels = []
    for run in runs:
        if len(run) >= 3:
            labels.append(f"{_WEEKDAY_NAMES[run[0]]}{_DASH}{_WEEKDAY_NAMES[run[-1]]}")
        else:
            labels.extend(_WEEKDAY_NAMES[weekday] for weekday in run)
    return ", ".join(labels)


class _Reasons:
    """The human reasons a page shows when no slot fits, addressed to person a."""

    def __init__(
        self,
        person_a: PersonSchedule,
        person_b: PersonSchedule,
        horizon_start: datetime,
        horizon_end: datetime,
        duration: timedelta,
    ) -> None:
        self.person_a = person_a
        self.person_b = person_b
        self.horizon_start = horizon_start
        self.duration = duration
        zone = person_a.zone
        first_day = horizon_start.astimezone(zone).date()
        last_day = (horizon_end - timedelta(microseconds=1)).astimezone(zone).date()
        self.period = f"between {_format_date(first_day)} and {_format_date(last_day)}"

    def no_availability(self, missing: Sequence[PersonSchedule]) -> str:
        person = missing[0]
        if person is self.person_a:
            return f"You have no availability {self.period}; add some to find a time."
        return f"{person.name} has no availability {self.period}."

    def no_overlap(self) -> str:
        person_a, person_b = self.person_a, self.person_b
        own = _describe_windows(
            (window.weekday, window.start, window.end) for window in person_a.weekly_windows
        )
        theirs = _describe_windows(
            (window.weekday, window.start, window.end) for window in person_b.weekly_windows
        )
        theirs_for_a = _describe_windows(self._windows_in_zone_of_a(person_b))
        return (
            f"Your availability and {person_b.name}'s never overlap {self.period}: "
            f"yours is {own} ({person_a.time_zone}); {person_b.name}'s is {theirs} "
            f"({person_b.time_zone}), which is {theirs_for_a} your time. "
            "Widen your availability or ask them to widen theirs."
        )

    def too_short(self, longest: timedelta) -> str:
        return (
            f"Your availability and {self.person_b.name}'s overlap {self.period}, but for "
            f"at most {format_duration(longest)} at a time, shorter than the "
            f"{format_duration(self.duration)} meeting. Try a shorter meeting or widen "
            "your availability."
        )

    def all_busy(self, overlap: list[Interval]) -> str:
        total = sum((end - start for start, end in overlap), timedelta(0))
        return (
            f"You and {self.person_b.name} are both available for {format_duration(total)} "
            f"{self.period}, but existing meetings and calendar events leave no free "
            f"{format_duration(self.duration)}. Look further ahead or free some time."
        )

    def _windows_in_zone_of_a(self, person: PersonSchedule) -> list[tuple[int, time, time]]:
        """Return person's weekly windows as person a's clock shows them, in the horizon."""
        zone_a = self.person_a.zone
        first_day = self.horizon_start.astimezone(person.zone).date()
        converted = []
        for window in person.weekly_windows:
            day = first_day + timedelta(days=(window.weekday - first_day.weekday()) % 7)
            for start, end in local_window_instants(day, window.start, window.end, person.zone):
                local_start = start.astimezone(zone_a)
                converted.append(
                    (local_start.weekday(), local_start.time(), end.astimezone(zone_a).time())
                )
        return converted


class _GroupReasons(_Reasons):
    """The reasons for a group of three or more, addressed to person a (people[0])."""

    def __init__(
        self,
        people: Sequence[PersonSchedule],
        available: Sequence[list[Interval]],
        horizon_start: datetime,
        horizon_end: datetime,
        duration: timedelta,
    ) -> None:
        super().__init__(people[0], people[1], horizon_start, horizon_end, duration)
        self.people = tuple(people)
        self.available = tuple(available)

    def no_availability(self, missing: Sequence[PersonSchedule]) -> str:
        if self.person_a in missing:
            return f"You have no availability {self.period}; add some to find a time."
        verb = "has" if len(missing) == 1 else "have"
        names = join_names([person.name for person in missing])
        return (
            f"{names} {verb} no availability {self.period}, so your group has no common "
            "time. Ask them to add some."
        )

    def no_overlap(self) -> str:
        """Say who never overlaps whom, and everyone's hours on person a's clock."""
        people, available = self.people, self.available
        never = [
            self._both(first, second)
            for first, second in itertools.combinations(range(len(people)), 2)
            if not intersect_intervals(available[first], available[second])
        ]
        if never:
            cause = f"Never available at the same time: {'; '.join(never)}."
        else:
            cause = "Each two of you overlap at some point, but never all at once."
        hours = [f"yours is {self._hours_of(self.person_a)}"] + [
            f"{person.name}'s ({person.time_zone}) is {self._hours_of(person)}"
            for person in people[1:]
        ]
        return (
            f"Your group has no common time {self.period}: there is no moment when all "
            f"{len(people)} of you are available. {cause} In your time "
            f"({self.person_a.time_zone}): {'; '.join(hours)}. "
            "Widen your availability or ask the others to widen theirs."
        )

    def too_short(self, longest: timedelta) -> str:
        return (
            f"Everyone in your group is available together {self.period}, but for at most "
            f"{format_duration(longest)} at a time, shorter than the "
            f"{format_duration(self.duration)} meeting. Try a shorter meeting or ask the "
            "group to widen their availability."
        )

    def all_busy(self, overlap: list[Interval]) -> str:
        total = sum((end - start for start, end in overlap), timedelta(0))
        return (
            f"Everyone in your group is available together for {format_duration(total)} "
            f"{self.period}, but existing meetings and calendar events leave no free "
            f"{format_duration(self.duration)}. Look further ahead or free some time."
        )

    def _both(self, first: int, second: int) -> str:
        if first == 0:
            return f"you and {self.people[second].name}"
        return f"{self.people[first].name} and {self.people[second].name}"

    def _hours_of(self, person: PersonSchedule) -> str:
        return _describe_windows(self._windows_in_zone_of_a(person)) or "no weekly hours"


def _format_date(day: date) -> str:
    return f"{day.day} {day.strftime('%b')} {day.year}"

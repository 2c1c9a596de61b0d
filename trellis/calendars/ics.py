"""Write and read iCalendar (RFC 5545): invitations, subscription feeds and free/busy time.

Status (issue #4, calendars foundation):
- Done: pure functions on plain dataclasses, no models. ``invitation`` (METHOD:REQUEST /
  METHOD:CANCEL of a series or one occurrence), ``feed`` (METHOD:PUBLISH webcal feed),
  ``busy_intervals`` (busy time of a subscribed ICS calendar) and ``invitation_email``
  (a Django email carrying the invitation). VTIMEZONEs are built here from zoneinfo's
  transitions (icalendar's own builder puts spring-forward onsets an hour late).
  Tested with icalendar, with ical.js in Chromium, and through a real SMTP server.
- Next: map the meeting models onto ``CalendarEvent`` (UID from the series id, SEQUENCE
  bumped on every change the attendees should see), send invitations from services on
  commit, serve the feed at a secret revocable webcal URL, fetch subscribed calendars in a
  background task (size and time limits, caching) and feed ``busy_intervals`` into slot
  finding.
"""

from __future__ import annotations

import calendar
import functools
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rruleset, rrulestr
from django.core.mail import EmailMultiAlternatives
from icalendar import (
    Calendar,
    Component,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDuration,
    vRecur,
)

logger = logging.getLogger(__name__)

PRODID = "-//Trellis//Trellis mentoring//EN"
# How often subscribers should fetch the feed again (Outlook/Apple read X-PUBLISHED-TTL,
# RFC 7986 clients REFRESH-INTERVAL; Google ignores both and polls on its own schedule).
FEED_REFRESH_INTERVAL = timedelta(hours=1)
# An open-ended series still needs a bounded VTIMEZONE window; its yearly rules run on.
OPEN_SERIES_HORIZON = timedelta(days=366)
# Expanding someone else's calendar must stay cheap whatever it contains.
MAX_OCCURRENCES_PER_EVENT = 20_000

InvitationMethod = Literal["REQUEST", "CANCEL"]
PARTICIPATION_STATUSES = frozenset({"NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE"})
EVENT_STATUSES = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
BUSY_TYPES = frozenset({"BUSY", "BUSY-TENTATIVE", "BUSY-UNAVAILABLE"})


class CalendarParseError(ValueError):
    """The bytes are not an iCalendar document this module can read."""


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Attendee:
    name: str
    email: str
    partstat: str = "NEEDS-ACTION"

    def __post_init__(self) -> None:
        if self.partstat not in PARTICIPATION_STATUSES:
            raise ValueError(f"Unknown participation status {self.partstat!r}.")


@dataclass(frozen=True, slots=True)
class Override:
    """One occurrence of a series that was moved (``start``/``end``) or cancelled.

    ``recurrence_id`` is the occurrence's original start, as the series rule produced it.
    """

    recurrence_id: datetime
    start: datetime | None = None
    end: datetime | None = None
    is_cancelled: bool = False

    def __post_init__(self) -> None:
        _require_aware(self.recurrence_id, "recurrence_id")
        if self.is_cancelled:
            return
        if self.start is None or self.end is None:
            raise ValueError("A moved occurrence needs a start and an end.")
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError("A moved occurrence must end after it starts.")


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """A single meeting or a recurring series, in the series' own IANA zone.

    ``rrule`` is the rule's value without the ``RRULE:`` prefix, e.g.
    ``"FREQ=WEEKLY;BYDAY=MO"``; it is expanded in the zone of ``start``.
    """

    uid: str
    sequence: int
    summary: str
    start: datetime
    end: datetime
    organizer: Person
    attendees: tuple[Attendee, ...] = ()
    description: str = ""
    rrule: str | None = None
    exdates: tuple[datetime, ...] = ()
    overrides: tuple[Override, ...] = ()
    location: str = ""
    url: str = ""
    status: str = "CONFIRMED"
    created: datetime | None = None
    last_modified: datetime | None = None

    def __post_init__(self) -> None:
        if not self.uid or any(character in self.uid for character in "\r\n"):
            raise ValueError("A calendar event needs a one-line UID.")
        if self.sequence < 0:
            raise ValueError("SEQUENCE cannot be negative.")
        if not isinstance(self.start.tzinfo, ZoneInfo):
            raise ValueError("start must be an aware datetime in an IANA zone (ZoneInfo).")
        _require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError("An event must end after it starts.")
        if self.status not in EVENT_STATUSES:
            raise ValueError(f"Unknown event status {self.status!r}.")
        for stamp in (*self.exdates, self.created, self.last_modified):
            if stamp is not None:
                _require_aware(stamp, "exdates/created/last_modified")
        if self.rrule is not None:
            self.occurrence_starts(limit=1)  # raises ValueError on a rule dateutil rejects

    @property
    def time_zone(self) -> ZoneInfo:
        zone = self.start.tzinfo
        if not isinstance(zone, ZoneInfo):  # unreachable after __post_init__; for mypy
            raise TypeError("start is not in an IANA zone.")
        return zone

    def occurrence_starts(self, *, limit: int) -> list[datetime]:
        """Return the first ``limit`` starts of the series, expanded in its zone."""
        if self.rrule is None:
            return [self.start]
        # dateutil keeps the wall-clock time of an aware start: 09:00 stays 09:00 after DST.
        rule = rrulestr(self.rrule, dtstart=self.start)
        starts: list[datetime] = []
        for occurrence in rule:
            starts.append(occurrence)
            if len(starts) >= limit:
                break
        return starts

    def span(self) -> tuple[datetime, datetime]:
        """Return the first start and last end the calendar must describe."""
        first, last = self.start, self.end
        if self.rrule is not None:
            starts = self.occurrence_starts(limit=MAX_OCCURRENCES_PER_EVENT)
            horizon = self.start + OPEN_SERIES_HORIZON
            if len(starts) >= MAX_OCCURRENCES_PER_EVENT or not _is_bounded(self.rrule):
                last = max(last, horizon)
            else:
                last = max(last, starts[-1] + (self.end - self.start))
        for override in self.overrides:
            first = min(first, override.recurrence_id)
            last = max(last, override.recurrence_id)
            if override.start is not None and override.end is not None:
                first, last = min(first, override.start), max(last, override.end)
        return first, last


@dataclass(frozen=True, slots=True, order=True)
class BusyInterval:
    start: datetime
    end: datetime


# --- Writing -------------------------------------------------------------------------------


def invitation(
    event: CalendarEvent,
    *,
    method: InvitationMethod,
    recurrence_id: datetime | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """Return the iTIP (RFC 5546) invitation for ``event`` as iCalendar bytes.

    REQUEST sends a new or updated event: the caller raises ``event.sequence`` for every
    update. CANCEL cancels the whole series, or only the occurrence that originally started
    at ``recurrence_id``; a cancellation also needs a higher sequence.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"Unsupported iTIP method {method!r}.")
    if recurrence_id is not None and method != "CANCEL":
        raise ValueError("recurrence_id only selects the occurrence to cancel.")
    stamp = _now() if stamp is None else stamp
    calendar_component = _new_calendar(method)
    calendar_component.add_component(_timezone_for([event]))
    if method == "REQUEST":
        for component in _event_components(event, stamp=stamp, with_attendees=True):
            calendar_component.add_component(component)
    elif recurrence_id is None:
        master = _master_component(event, stamp=stamp, with_attendees=True)
        _set(master, "STATUS", "CANCELLED")
        calendar_component.add_component(master)
    else:
        calendar_component.add_component(_cancelled_occurrence(event, recurrence_id, stamp))
    return calendar_component.to_ical()


def feed(
    events: Iterable[CalendarEvent],
    *,
    name: str,
    time_zone: str | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """Return a subscription (webcal) calendar with ``events`` and the VTIMEZONEs they use.

    ``time_zone`` is the subscriber's zone, a display hint for Google and Apple.
    """
    stamp = _now() if stamp is None else stamp
    events = list(events)
    calendar_component = _new_calendar("PUBLISH")
    calendar_component.add("NAME", name)
    calendar_component.add("X-WR-CALNAME", name)
    if time_zone:
        calendar_component.add("X-WR-TIMEZONE", time_zone)
    calendar_component.add(
        "REFRESH-INTERVAL", FEED_REFRESH_INTERVAL, parameters={"VALUE": "DURATION"}
    )
    # An unknown X- property is text to icalendar: give it the duration spelled out.
    calendar_component.add("X-PUBLISHED-TTL", vDuration(FEED_REFRESH_INTERVAL).to_ical().decode())
    by_zone: dict[str, list[CalendarEvent]] = defaultdict(list)
    for event in events:
        by_zone[event.time_zone.key].append(event)
    for key in sorted(by_zone):
        calendar_component.add_component(_timezone_for(by_zone[key]))
    for event in events:
        # RFC 5546 PUBLISH carries no ATTENDEE; the organizer stays.
        for component in _event_components(event, stamp=stamp, with_attendees=False):
            calendar_component.add_component(component)
    return calendar_component.to_ical()


def invitation_email(
    event: CalendarEvent,
    *,
    method: InvitationMethod,
    subject: str,
    body: str,
    to: Sequence[str],
    from_email: str | None = None,
    html_body: str | None = None,
    recurrence_id: datetime | None = None,
    stamp: datetime | None = None,
) -> EmailMultiAlternatives:
    """Build the email that carries ``invitation(event, method=...)``.

    Calendar clients look for a ``text/calendar; method=...`` part inside
    multipart/alternative (Outlook, Gmail and Apple Mail show their accept/decline
    buttons from it) and an ``invite.ics`` attachment for everyone else.
    """
    ics = invitation(event, method=method, recurrence_id=recurrence_id, stamp=stamp)
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=from_email, to=to)
    if html_body is not None:
        message.attach_alternative(html_body, "text/html")
    # Django builds the part's Content-Type from this string, parameters included.
    message.attach_alternative(ics.decode(), f"text/calendar; method={method}")
    message.attach("invite.ics", ics, "application/ics")
    return message


def vtimezone(zone: ZoneInfo, *, first: datetime, last: datetime) -> Timezone:
    """Return a VTIMEZONE for ``zone`` valid from ``first`` to ``last`` (and beyond).

    Built from zoneinfo's own transitions. Each kind of yearly change becomes one
    STANDARD/DAYLIGHT observance with a yearly RRULE, so an open-ended series keeps the
    right offsets after the window; rules that stopped inside the window get an UNTIL.
    """
    window_start = datetime(first.year - 1, 1, 1, tzinfo=UTC)
    window_end = datetime(last.year + 2, 1, 1, tzinfo=UTC)
    component = Timezone()
    component.add("TZID", zone.key)
    offset = _offset(zone, window_start)
    component.add_component(
        _observance(
            is_daylight=_is_daylight(zone, window_start),
            onset=(window_start + offset).replace(tzinfo=None),
            offset_from=offset,
            offset_to=offset,
            name=window_start.astimezone(zone).tzname() or zone.key,
        )
    )
    groups: list[list[_Transition]] = []
    for transition in _transitions(zone, window_start, window_end):
        for group in groups:
            previous = group[-1]
            if previous.rule_key == transition.rule_key and (
                previous.onset.year + 1 == transition.onset.year
            ):
                group.append(transition)
                break
        else:
            groups.append([transition])
    for group in groups:
        head = group[0]
        observance = _observance(
            is_daylight=head.is_daylight,
            onset=head.onset,
            offset_from=head.offset_from,
            offset_to=head.offset_to,
            name=head.name,
        )
        if len(group) > 1:
            month, weekday, ordinal, _ = head.rule_key[4:]
            rule: dict[str, Any] = {
                "FREQ": "YEARLY",
                "BYMONTH": month,
                "BYDAY": f"{ordinal}{_WEEKDAYS[weekday]}",
            }
            if group[-1].onset.year < window_end.year - 1:
                # The rule stopped (a zone dropped or changed its DST rule) inside the window.
                rule["UNTIL"] = group[-1].instant
            observance.add("RRULE", rule)
        component.add_component(observance)
    return component


_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True, slots=True)
class _Transition:
    instant: datetime  # UTC
    onset: datetime  # naive local time in the offset before the change (RFC 5545 3.6.5)
    offset_from: timedelta
    offset_to: timedelta
    is_daylight: bool
    name: str

    @property
    def rule_key(self) -> tuple[Any, ...]:
        days_in_month = calendar.monthrange(self.onset.year, self.onset.month)[1]
        is_last = self.onset.day + 7 > days_in_month
        ordinal = -1 if is_last else (self.onset.day - 1) // 7 + 1
        return (
            self.is_daylight,
            self.offset_from,
            self.offset_to,
            self.name,
            self.onset.month,
            self.onset.weekday(),
            ordinal,
            self.onset.time(),
        )


@functools.lru_cache(maxsize=256)
def _transitions(zone: ZoneInfo, start: datetime, end: datetime) -> tuple[_Transition, ...]:
    """Find the zone's offset changes between two UTC instants, to the second."""
    found = []
    step = timedelta(hours=12)
    cursor = start
    while cursor < end:
        following = cursor + step
        if _state(zone, cursor) != _state(zone, following):
            low, high = cursor, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _state(zone, middle) == _state(zone, low):
                    low = middle
                else:
                    high = middle
            high = high.replace(microsecond=0)
            offset_from, offset_to = _offset(zone, low), _offset(zone, high)
            if offset_from != offset_to:  # a change of name or DST flag alone is no onset
                found.append(
                    _Transition(
                        instant=high,
                        onset=(high + offset_from).replace(tzinfo=None),
                        offset_from=offset_from,
                        offset_to=offset_to,
                        is_daylight=_is_daylight(zone, high),
                        name=high.astimezone(zone).tzname() or zone.key,
                    )
                )
        cursor = following
    return tuple(found)


def _state(zone: ZoneInfo, instant: datetime) -> tuple[Any, ...]:
    local = instant.astimezone(zone)
    return (local.utcoffset(), local.dst(), local.tzname())


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta(0)


def _is_daylight(zone: ZoneInfo, instant: datetime) -> bool:
    return bool(instant.astimezone(zone).dst())


def _observance(
    *,
    is_daylight: bool,
    onset: datetime,
    offset_from: timedelta,
    offset_to: timedelta,
    name: str,
) -> Component:
    observance = TimezoneDaylight() if is_daylight else TimezoneStandard()
    observance.add("DTSTART", onset)
    observance.add("TZOFFSETFROM", offset_from)
    observance.add("TZOFFSETTO", offset_to)
    observance.add("TZNAME", name)
    return observance


def _timezone_for(events: Sequence[CalendarEvent]) -> Timezone:
    spans = [event.span() for event in events]
    first = min(start for start, _ in spans)
    last = max(end for _, end in spans)
    return vtimezone(events[0].time_zone, first=first, last=last)


def _new_calendar(method: str) -> Calendar:
    calendar_component = Calendar()
    calendar_component.add("PRODID", PRODID)
    calendar_component.add("VERSION", "2.0")
    calendar_component.add("CALSCALE", "GREGORIAN")
    calendar_component.add("METHOD", method)
    return calendar_component


def _event_components(
    event: CalendarEvent, *, stamp: datetime, with_attendees: bool
) -> list[Event]:
    components = [_master_component(event, stamp=stamp, with_attendees=with_attendees)]
    for override in event.overrides:
        if override.is_cancelled or override.start is None or override.end is None:
            continue  # cancelled: listed in the master's EXDATE, which every client reads
        component = _base_component(event, stamp=stamp, with_attendees=with_attendees)
        _set(component, "RECURRENCE-ID", _in_zone(override.recurrence_id, event))
        _set(component, "DTSTART", _in_zone(override.start, event))
        _set(component, "DTEND", _in_zone(override.end, event))
        components.append(component)
    return components


def _master_component(event: CalendarEvent, *, stamp: datetime, with_attendees: bool) -> Event:
    component = _base_component(event, stamp=stamp, with_attendees=with_attendees)
    _set(component, "DTSTART", event.start)
    _set(component, "DTEND", _in_zone(event.end, event))
    if event.rrule is not None:
        component.add("RRULE", vRecur.from_ical(event.rrule))
        excluded = [*event.exdates]
        excluded += [
            override.recurrence_id for override in event.overrides if override.is_cancelled
        ]
        if excluded:
            component.add("EXDATE", sorted({_in_zone(moment, event) for moment in excluded}))
    return component


def _cancelled_occurrence(event: CalendarEvent, recurrence_id: datetime, stamp: datetime) -> Event:
    _require_aware(recurrence_id, "recurrence_id")
    component = _base_component(event, stamp=stamp, with_attendees=True)
    original = _in_zone(recurrence_id, event)
    start, end = original, original + (event.end - event.start)
    for override in event.overrides:
        if override.recurrence_id == recurrence_id and override.start and override.end:
            start, end = _in_zone(override.start, event), _in_zone(override.end, event)
    _set(component, "RECURRENCE-ID", original)
    _set(component, "DTSTART", start)
    _set(component, "DTEND", end)
    _set(component, "STATUS", "CANCELLED")
    return component


def _base_component(event: CalendarEvent, *, stamp: datetime, with_attendees: bool) -> Event:
    component = Event()
    component.add("UID", event.uid)
    component.add("SEQUENCE", event.sequence)
    component.add("DTSTAMP", stamp.astimezone(UTC))
    component.add("SUMMARY", event.summary)
    description = event.description
    if event.url:
        description = f"{description}\n\nJoin: {event.url}".strip()
        component.add("URL", event.url)
    if description:
        component.add("DESCRIPTION", description)
    location = event.location or event.url
    if location:
        component.add("LOCATION", location)
    component.add("STATUS", event.status)
    component.add("TRANSP", "OPAQUE")
    if event.created is not None:
        component.add("CREATED", event.created.astimezone(UTC))
    if event.last_modified is not None:
        component.add("LAST-MODIFIED", event.last_modified.astimezone(UTC))
    organizer = vCalAddress(f"mailto:{event.organizer.email}")
    organizer.params["CN"] = event.organizer.name
    component.add("ORGANIZER", organizer)
    if with_attendees:
        for attendee in event.attendees:
            address = vCalAddress(f"mailto:{attendee.email}")
            address.params.update(
                {
                    "CN": attendee.name,
                    "CUTYPE": "INDIVIDUAL",
                    "ROLE": "REQ-PARTICIPANT",
                    "PARTSTAT": attendee.partstat,
                    "RSVP": "TRUE" if attendee.partstat == "NEEDS-ACTION" else "FALSE",
                }
            )
            component.add("ATTENDEE", address)
    return component


def _set(component: Component, name: str, value: Any) -> None:
    component.pop(name, None)
    component.add(name, value)


def _in_zone(moment: datetime, event: CalendarEvent) -> datetime:
    return moment.astimezone(event.time_zone)


def _is_bounded(rule: str) -> bool:
    parts = vRecur.from_ical(rule)
    return "COUNT" in parts or "UNTIL" in parts


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime.")


def _now() -> datetime:
    return datetime.now(tz=UTC)


# --- Reading -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Series:
    master: Component | None = None
    overrides: list[Component] = field(default_factory=list)


def busy_intervals(
    ics: bytes | str,
    *,
    start: datetime,
    end: datetime,
    time_zone: str | None = None,
) -> list[BusyInterval]:
    """Return the merged busy intervals (UTC) of a calendar between ``start`` and ``end``.

    Reads VEVENTs (recurrences expanded in their own zone, EXDATE and RECURRENCE-ID
    overrides applied; TRANSP:TRANSPARENT and STATUS:CANCELLED are free) and VFREEBUSY
    periods. All-day and floating times are read in ``time_zone``, else the calendar's
    X-WR-TIMEZONE, else UTC. A document that is not iCalendar raises
    ``CalendarParseError``; a single unreadable component is skipped and logged.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise ValueError("The window must end after it starts.")
    try:
        parsed = Calendar.from_ical(ics)
    except Exception as error:  # the parser raises many types on hostile input
        raise CalendarParseError(f"Not an iCalendar document: {error}") from error
    if not isinstance(parsed, Calendar) or parsed.name != "VCALENDAR":
        raise CalendarParseError("The document has no VCALENDAR.")
    default_zone = _default_zone(parsed, time_zone)

    intervals: list[tuple[datetime, datetime]] = []
    series: dict[str, _Series] = defaultdict(_Series)
    for component in parsed.walk("VEVENT"):
        uid = str(component.get("UID", "")) or f"no-uid-{id(component)}"
        if "RECURRENCE-ID" in component:
            series[uid].overrides.append(component)
        else:
            series[uid].master = component
    for uid, members in series.items():
        try:
            intervals += _series_intervals(members, start, end, default_zone)
        except Exception:  # one broken event must not hide the others' busy time
            logger.warning("Skipped an unreadable calendar event %s.", uid, exc_info=True)
    for component in parsed.walk("VFREEBUSY"):
        try:
            intervals += _free_busy_intervals(component, default_zone)
        except Exception:
            logger.warning("Skipped an unreadable VFREEBUSY.", exc_info=True)
    return _merge(intervals, start, end)


def _default_zone(parsed: Calendar, time_zone: str | None) -> tzinfo:
    for candidate in (time_zone, str(parsed.get("X-WR-TIMEZONE", "")) or None):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                if candidate is time_zone:
                    raise
    return UTC


def _series_intervals(
    members: _Series, start: datetime, end: datetime, zone: tzinfo
) -> list[tuple[datetime, datetime]]:
    intervals = []
    replaced: set[date | datetime] = set()
    for override in members.overrides:
        replaced.add(_key(_value(override, "RECURRENCE-ID"), zone))
        if _is_busy(override):
            intervals.append(_instance(override, _value(override, "DTSTART"), zone))
    master = members.master
    if master is None or not _is_busy(master):
        return intervals
    first = _value(master, "DTSTART")
    duration = _duration(master, first, zone)
    excluded = set(replaced)
    for exdate_property in _as_list(master.get("EXDATE")):
        excluded.update(_key(item.dt, zone) for item in exdate_property.dts)
    for occurrence in _expand(master, first, zone):
        occurrence_start, occurrence_end = _bounds(occurrence, duration, zone)
        if occurrence_start >= end:
            break
        if occurrence_end <= start or _key(occurrence, zone) in excluded:
            continue
        intervals.append((occurrence_start, occurrence_end))
    return intervals


def _expand(master: Component, first: date | datetime, zone: tzinfo) -> Iterable[date | datetime]:
    rules = _as_list(master.get("RRULE"))
    rdates = _as_list(master.get("RDATE"))
    if not rules and not rdates:
        return [first]
    is_all_day = not isinstance(first, datetime)
    # dateutil expands wall-clock times: an aware start keeps 09:00 across DST changes.
    dtstart = first if isinstance(first, datetime) else datetime.combine(first, time())
    recurrence = rruleset()
    recurrence.rdate(dtstart)
    for rule in rules:
        parts = dict(rule)
        if parts.get("FREQ", [""])[0] in ("SECONDLY", "MINUTELY"):
            raise ValueError("Sub-hourly recurrences are not busy time we can expand.")
        if "UNTIL" in parts:
            parts["UNTIL"] = [_until_like(parts["UNTIL"][0], dtstart, zone)]
        parsed_rule = rrulestr(vRecur(parts).to_ical().decode(), dtstart=dtstart)
        if not isinstance(parsed_rule, rrule):
            raise ValueError("An RRULE value held more than one rule.")
        recurrence.rrule(parsed_rule)
    for rdate_property in rdates:
        for item in rdate_property.dts:
            moment = item.dt
            if isinstance(moment, tuple):  # an RDATE period: its start is what recurs
                moment = moment[0]
            recurrence.rdate(_like(moment, dtstart, zone))
    occurrences: list[date | datetime] = []
    for count, occurrence in enumerate(recurrence):
        if count >= MAX_OCCURRENCES_PER_EVENT:
            break
        occurrences.append(occurrence.date() if is_all_day else occurrence)
    return occurrences


def _until_like(until: date | datetime, dtstart: datetime, zone: tzinfo) -> datetime:
    """Give UNTIL the form dateutil requires: UTC for an aware start, naive otherwise."""
    if not isinstance(until, datetime):
        until = datetime.combine(until, time(23, 59, 59))
    if dtstart.tzinfo is None:
        if until.tzinfo is not None:
            until = until.astimezone(zone).replace(tzinfo=None)
        return until
    if until.tzinfo is None:
        until = until.replace(tzinfo=dtstart.tzinfo)
    return until.astimezone(UTC)


def _like(moment: date | datetime, dtstart: datetime, zone: tzinfo) -> datetime:
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, dtstart.time())
    if dtstart.tzinfo is None:
        return moment.astimezone(zone).replace(tzinfo=None) if moment.tzinfo else moment
    return moment.astimezone(dtstart.tzinfo) if moment.tzinfo else moment.replace(tzinfo=zone)


def _instance(
    component: Component, moment: date | datetime, zone: tzinfo
) -> tuple[datetime, datetime]:
    return _bounds(moment, _duration(component, moment, zone), zone)


def _duration(component: Component, first: date | datetime, zone: tzinfo) -> timedelta:
    if "DTEND" in component:
        last = _value(component, "DTEND")
        if isinstance(first, datetime) and isinstance(last, datetime):
            return _utc(last, zone) - _utc(first, zone)
        if not isinstance(first, datetime) and not isinstance(last, datetime):
            return last - first
        raise ValueError("DTSTART and DTEND are of different types.")
    if "DURATION" in component:
        duration = component.decoded("DURATION")
        if not isinstance(duration, timedelta):
            raise ValueError("DURATION is not a duration.")
        return duration
    return timedelta(days=1) if not isinstance(first, datetime) else timedelta(0)


def _bounds(
    moment: date | datetime, duration: timedelta, zone: tzinfo
) -> tuple[datetime, datetime]:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        begin = moment.astimezone(UTC)
        return begin, begin + duration
    # An all-day event covers whole local days, 23 or 25 hours long across a DST change.
    return _utc(moment, zone), _utc(moment + duration, zone)


def _key(moment: date | datetime, zone: tzinfo) -> date | datetime:
    return _utc(moment, zone) if isinstance(moment, datetime) else moment


def _utc(moment: date | datetime, zone: tzinfo) -> datetime:
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _value(component: Component, name: str) -> date | datetime:
    value = component.decoded(name)
    if not isinstance(value, date):
        raise ValueError(f"{name} is not a date or date-time: {value!r}")
    return value


def _is_busy(component: Component) -> bool:
    status = str(component.get("STATUS", "CONFIRMED")).upper()
    transparency = str(component.get("TRANSP", "OPAQUE")).upper()
    return status != "CANCELLED" and transparency != "TRANSPARENT"


def _free_busy_intervals(component: Component, zone: tzinfo) -> list[tuple[datetime, datetime]]:
    intervals = []
    for free_busy in _as_list(component.get("FREEBUSY")):
        if str(free_busy.params.get("FBTYPE", "BUSY")).upper() not in BUSY_TYPES:
            continue
        begin, finish = free_busy.dt
        if not isinstance(begin, datetime):
            raise ValueError("A FREEBUSY period does not start with a date-time.")
        begin_utc = _utc(begin, zone)
        if isinstance(finish, timedelta):
            intervals.append((begin_utc, begin_utc + finish))
        elif isinstance(finish, datetime):
            intervals.append((begin_utc, _utc(finish, zone)))
        else:
            raise ValueError("A FREEBUSY period has no end.")
    return intervals


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _merge(
    intervals: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[BusyInterval]:
    merged: list[BusyInterval] = []
    for begin, finish in sorted(intervals):
        begin, finish = max(begin, start), min(finish, end)
        if finish <= begin:
            continue
        if merged and begin <= merged[-1].end:
            if finish > merged[-1].end:
                merged[-1] = BusyInterval(merged[-1].start, finish)
            continue
        merged.append(BusyInterval(begin, finish))
    return merged

"""Reads for scheduling: each person's schedule, mutual slots, occurrences, calendar events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError
from trellis.core.time import get_zone
from trellis.mentorships.models import ONGOING_STATUSES, Mentorship
from trellis.mentorships.selectors import mentorship_role
from trellis.profiles.models import AvailabilityWindow
from trellis.scheduling.models import (
    AvailabilityException,
    MeetingLog,
    MeetingOutcome,
    MeetingPrivateNote,
    MeetingProposal,
    MeetingSeries,
    OccurrenceChange,
    ProposalStatus,
    SeriesStatus,
)
from trellis.scheduling.recurrence import Occurrence, occurrences, parse_recurrence_id
from trellis.scheduling.slots import (
    ContactHours,
    DateException,
    PersonSchedule,
    SlotSearch,
    TimeWindow,
    WeeklyWindow,
    mutual_slots,
)
from trellis.scheduling.zones import Interval

DEFAULT_SEARCH_WEEKS = 3
MAX_SEARCH_WEEKS = 8
MIDNIGHT = dt.time(0)


# Who may see what ---------------------------------------------------------------------


def scheduling_role(*, mentorship: Mentorship, user: Any) -> str | None:
    """ "mentor", "mentee", "manager" (the program's managers and staff) or None."""
    return mentorship_role(mentorship=mentorship, user=user)


def is_participant(*, mentorship: Mentorship, user: Any) -> bool:
    return scheduling_role(mentorship=mentorship, user=user) in ("mentor", "mentee")


def mentorship_for_scheduling(*, mentorship_id: int, user: Any) -> Mentorship:
    """The mentorship if user is one of the pair or may manage it; NotFoundError otherwise."""
    mentorship = (
        Mentorship.objects.select_related(
            "program", "mentor__profile", "mentee__profile", "program__organisation"
        )
        .filter(pk=mentorship_id)
        .first()
    )
    if mentorship is None or scheduling_role(mentorship=mentorship, user=user) is None:
        raise NotFoundError("No such mentorship.")
    return mentorship


def partner_of(mentorship: Mentorship, user: Any) -> User:
    return mentorship.mentee if user.pk == mentorship.mentor_id else mentorship.mentor


def user_zone(user: Any) -> str:
    profile = getattr(user, "profile", None)
    return str(get_zone(getattr(profile, "time_zone", None)).key)


def display_name(user: Any) -> str:
    return str(getattr(user, "display_name", "") or getattr(user, "email", ""))


# Occurrences ----------------------------------------------------------------------------


def _series() -> QuerySet[MeetingSeries]:
    return MeetingSeries.objects.select_related(
        "mentorship__program",
        "mentorship__mentor__profile",
        "mentorship__mentee__profile",
        "organiser__profile",
    ).prefetch_related(Prefetch("changes", queryset=OccurrenceChange.objects.order_by("pk")))


def series_of_users(
    *, user_ids: Iterable[int], exclude_pk: int | None = None
) -> list[MeetingSeries]:
    """The active series any of the users takes part in, with their changes, in two queries."""
    ids = list(user_ids)
    series = _series().filter(
        Q(mentorship__mentor_id__in=ids) | Q(mentorship__mentee_id__in=ids),
        status=SeriesStatus.ACTIVE,
    )
    if exclude_pk is not None:
        series = series.exclude(pk=exclude_pk)
    return list(series.order_by("pk"))


@dataclass(frozen=True)
class MeetingOccurrence:
    series: MeetingSeries
    occurrence: Occurrence

    @property
    def start(self) -> dt.datetime:
        return self.occurrence.start

    @property
    def end(self) -> dt.datetime:
        return self.occurrence.end

    @property
    def recurrence_id(self) -> str:
        return self.occurrence.recurrence_id


def expand(
    series_list: Iterable[MeetingSeries], *, start: dt.datetime, end: dt.datetime
) -> list[MeetingOccurrence]:
    """Every occurrence of the series overlapping [start, end), sorted by start."""
    found = [
        MeetingOccurrence(series, occurrence)
        for series in series_list
        for occurrence in occurrences(
            series.rule(), start=start, end=end, exceptions=series.exceptions()
        )
    ]
    return sorted(found, key=lambda item: (item.start, item.series.pk))


def busy_from_meetings(
    *, user: User, start: dt.datetime, end: dt.datetime, exclude_pk: int | None = None
) -> list[Interval]:
    series = series_of_users(user_ids=[user.pk], exclude_pk=exclude_pk)
    return [(item.start, item.end) for item in expand(series, start=start, end=end)]


def _calendar_busy(user: User, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """Busy time from the person's subscribed calendar, once the calendars app offers it."""
    try:
        from trellis.calendars import selectors as calendar_selectors
    except ImportError:
        return []
    busy_intervals_for = getattr(calendar_selectors, "busy_intervals_for", None)
    if busy_intervals_for is None:
        return []
    return list(busy_intervals_for(user=user, start=start, end=end))


def _contact_hours(mentorship: Mentorship, user: User) -> ContactHours | None:
    try:
        from trellis.agreements import selectors as agreement_selectors
    except ImportError:
        agreement_selectors = None  # type: ignore[assignment]
    contact_hours_for = getattr(agreement_selectors, "contact_hours_for", None)
    if contact_hours_for is not None:
        hours = contact_hours_for(mentorship=mentorship, user=user)
        if hours is not None:
            return hours
    profile = getattr(user, "profile", None)
    start = getattr(profile, "contact_hours_start", None)
    end = getattr(profile, "contact_hours_end", None)
    if start is None or end is None or end <= start:
        return None
    return ContactHours(start, end)


def _split_at_midnight(weekday: int, start: dt.time, end: dt.time) -> list[WeeklyWindow]:
    """A window that crosses midnight becomes one to 24:00 and one from 00:00 next day."""
    if end == MIDNIGHT or end > start:
        return [WeeklyWindow(weekday, start, end)]
    windows = [WeeklyWindow(weekday, start, MIDNIGHT)]
    if end != MIDNIGHT:
        windows.append(WeeklyWindow((weekday + 1) % 7, MIDNIGHT, end))
    return windows


def _parse_time(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


def person_schedule(
    *,
    user: User,
    mentorship: Mentorship,
    start: dt.datetime,
    end: dt.datetime,
    exclude_series_pk: int | None = None,
) -> PersonSchedule:
    """What slot finding knows about user between start and end, in three or four queries."""
    profile = getattr(user, "profile", None)
    windows: list[WeeklyWindow] = []
    if profile is not None:
        for window in AvailabilityWindow.objects.filter(profile=profile).order_by(
            "weekday", "start_time"
        ):
            windows.extend(_split_at_midnight(window.weekday, window.start_time, window.end_time))
    zone = get_zone(getattr(profile, "time_zone", None))
    first_day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last_day = end.astimezone(zone).date() + dt.timedelta(days=1)
    exceptions = tuple(
        DateException(
            exception.date,
            tuple(TimeWindow(_parse_time(a), _parse_time(b)) for a, b in exception.windows),
        )
        for exception in AvailabilityException.objects.filter(
            user=user, date__range=(first_day, last_day)
        )
    )
    busy = busy_from_meetings(user=user, start=start, end=end, exclude_pk=exclude_series_pk)
    busy += _calendar_busy(user, start, end)
    return PersonSchedule(
        name=display_name(user),
        time_zone=str(zone.key),
        weekly_windows=tuple(windows),
        date_exceptions=exceptions,
        contact_hours=_contact_hours(mentorship, user),
        busy=tuple(busy),
    )


def search_horizon(
    *, weeks: int = DEFAULT_SEARCH_WEEKS, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """From the next quarter hour (at least an hour ahead) for the given number of weeks."""
    now = now or timezone.now()
    weeks = max(1, min(weeks, MAX_SEARCH_WEEKS))
    start = (now + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    return start, start + dt.timedelta(weeks=weeks)


def find_times(
    *,
    mentorship: Mentorship,
    viewer: User,
    duration: dt.timedelta,
    weeks: int = DEFAULT_SEARCH_WEEKS,
    now: dt.datetime | None = None,
    exclude_series_pk: int | None = None,
) -> SlotSearch:
    """The pair's mutual free slots, ranked, seen by viewer (person a), or why there are none."""
    start, end = search_horizon(weeks=weeks, now=now)
    partner = partner_of(mentorship, viewer)
    schedules = [
        person_schedule(
            user=person,
            mentorship=mentorship,
            start=start,
            end=end,
            exclude_series_pk=exclude_series_pk,
        )
        for person in (viewer, partner)
    ]
    return mutual_slots(
        schedules[0], schedules[1], duration=duration, horizon_start=start, horizon_end=end
    )


# Meetings as people see them ------------------------------------------------------------


def meetings_for_mentorship(
    *, mentorship: Mentorship, start: dt.datetime, end: dt.datetime
) -> list[MeetingOccurrence]:
    series = _series().filter(mentorship=mentorship, status=SeriesStatus.ACTIVE).order_by("pk")
    return expand(series, start=start, end=end)


@dataclass(frozen=True)
class UpcomingMeeting:
    item: MeetingOccurrence
    partner: User
    local_start: dt.datetime
    local_end: dt.datetime


UPCOMING_HORIZON = dt.timedelta(days=60)


def upcoming_meetings(
    *, user: User, limit: int = 5, now: dt.datetime | None = None
) -> list[UpcomingMeeting]:
    """The person's next meetings in their own zone, in two queries whatever their number."""
    now = now or timezone.now()
    series = [
        s for s in series_of_users(user_ids=[user.pk]) if s.mentorship.status in ONGOING_STATUSES
    ]
    zone = ZoneInfo(user_zone(user))
    return [
        UpcomingMeeting(
            item=item,
            partner=partner_of(item.series.mentorship, user),
            local_start=item.start.astimezone(zone),
            local_end=item.end.astimezone(zone),
        )
        for item in expand(series, start=now, end=now + UPCOMING_HORIZON)[:limit]
    ]


def proposals_for(*, mentorship: Mentorship) -> list[MeetingProposal]:
    return list(
        MeetingProposal.objects.filter(mentorship=mentorship)
        .select_related("proposer__profile")
        .order_by("-created_at", "-pk")[:20]
    )


def open_proposals_for(*, mentorship: Mentorship) -> list[MeetingProposal]:
    return [p for p in proposals_for(mentorship=mentorship) if p.status == ProposalStatus.OPEN]


def series_for(*, series_id: int, user: Any) -> MeetingSeries:
    """The series if user is one of the pair or may manage it; NotFoundError otherwise."""
    series = _series().filter(pk=series_id).first()
    if series is None or scheduling_role(mentorship=series.mentorship, user=user) is None:
        raise NotFoundError("No such meeting.")
    return series


def series_for_system(*, series_pk: int) -> MeetingSeries:
    """The series with what invitations and reminders need (no permission check)."""
    return _series().get(pk=series_pk)


def proposal_for(*, proposal_id: int, user: Any) -> MeetingProposal:
    proposal = (
        MeetingProposal.objects.select_related("mentorship__program", "proposer__profile")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None or scheduling_role(mentorship=proposal.mentorship, user=user) is None:
        raise NotFoundError("No such proposal.")
    return proposal


@dataclass(frozen=True)
class LogView:
    """A meeting log as one viewer may see it: managers get outcome and length only."""

    log: MeetingLog
    shared_notes: str | None
    next_steps: str | None
    private_note: str | None


def logs_for(*, mentorship: Mentorship, user: Any) -> list[LogView]:
    role = scheduling_role(mentorship=mentorship, user=user)
    if role is None:
        raise NotFoundError("No such mentorship.")
    logs = list(
        MeetingLog.objects.filter(series__mentorship=mentorship).order_by("recurrence_id", "pk")
    )
    is_pair = role in ("mentor", "mentee")
    own_notes: dict[int, str] = {}
    if is_pair:
        own_notes = dict(
            MeetingPrivateNote.objects.filter(log__in=logs, author_id=user.pk).values_list(
                "log_id", "text"
            )
        )
    return [
        LogView(
            log=log,
            shared_notes=log.shared_notes if is_pair else None,
            next_steps=log.next_steps if is_pair else None,
            private_note=own_notes.get(log.pk) if is_pair else None,
        )
        for log in logs
    ]


# A pair's rhythm and the reminder sweep ------------------------------------------------

# Logged outcomes that mean the pair did not meet after all.
MISSED_OUTCOMES = frozenset({MeetingOutcome.NO_SHOW, MeetingOutcome.CANCELLED_LATE})


@dataclass(frozen=True)
class MeetingActivity:
    """When a pair last met (in a look-back window) and next meet (in a look-ahead one)."""

    last_met_at: dt.datetime | None = None
    next_meeting_at: dt.datetime | None = None


def meeting_activity_for(
    *, mentorship_ids: Iterable[int], start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[int, MeetingActivity]:
    """Each mentorship's last meeting in [start, now] and next in (now, end), in three queries.

    An occurrence of an active series that has begun counts as a meeting unless its log
    says no-show or cancelled late; cancelled occurrences never count. A log saying it
    happened counts even when its series was cancelled since. Mentorships without either
    are left out of the answer.
    """
    series_list = MeetingSeries.objects.filter(mentorship_id__in=list(mentorship_ids))
    series_list = series_list.prefetch_related(
        Prefetch("changes", queryset=OccurrenceChange.objects.order_by("pk")),
        Prefetch("logs", queryset=MeetingLog.objects.only("series", "recurrence_id", "outcome")),
    )
    last: dict[int, dt.datetime] = {}
    upcoming: dict[int, dt.datetime] = {}

    def met(mentorship_id: int, at: dt.datetime) -> None:
        if start <= at <= now and (mentorship_id not in last or at > last[mentorship_id]):
            last[mentorship_id] = at

    for series in series_list.order_by("pk"):
        mentorship_id = series.mentorship_id
        outcomes = {log.recurrence_id: log.outcome for log in series.logs.all()}
        if series.is_active:
            for occurrence in occurrences(
                series.rule(), start=start, end=end, exceptions=series.exceptions()
            ):
                if occurrence.start > now:
                    if mentorship_id not in upcoming or occurrence.start < upcoming[mentorship_id]:
                        upcoming[mentorship_id] = occurrence.start
                elif outcomes.get(occurrence.recurrence_id) not in MISSED_OUTCOMES:
                    met(mentorship_id, occurrence.start)
        moved_to = {
            change.recurrence_id: change.start
            for change in series.changes.all()
            if not change.is_cancelled and change.start is not None
        }
        zone = ZoneInfo(series.time_zone)
        for recurrence_id, outcome in outcomes.items():
            if outcome == MeetingOutcome.HAPPENED:
                held_at = moved_to.get(recurrence_id) or parse_recurrence_id(recurrence_id, zone)
                met(mentorship_id, held_at)
    return {
        mentorship_id: MeetingActivity(last.get(mentorship_id), upcoming.get(mentorship_id))
        for mentorship_id in last.keys() | upcoming.keys()
    }


def series_for_reminders(*, after_pk: int = 0, limit: int = 500) -> list[MeetingSeries]:
    """Active series of ongoing mentorships (what the dashboard shows), by pk, in two queries."""
    return list(
        _series()
        .filter(
            pk__gt=after_pk,
            status=SeriesStatus.ACTIVE,
            mentorship__status__in=ONGOING_STATUSES,
        )
        .order_by("pk")[:limit]
    )


# Calendar events (contract for trellis.calendars) ---------------------------------------


def calendar_event_for(series: MeetingSeries, *, url: str = "") -> Any:
    """The series as a calendars.ics.CalendarEvent, overrides included."""
    from trellis.calendars.ics import Attendee, CalendarEvent, Override, Person

    zone = ZoneInfo(series.time_zone)
    rule = series.rule()
    local_start = rule.first_start.astimezone(zone)
    mentorship = series.mentorship
    organiser = series.organiser
    people = [mentorship.mentor, mentorship.mentee]
    overrides = []
    for change in series.changes.all():
        recurrence_id = parse_recurrence_id(change.recurrence_id, zone)
        if change.is_cancelled or change.start is None:
            overrides.append(Override(recurrence_id=recurrence_id, is_cancelled=True))
        else:
            minutes = change.duration_minutes or series.duration_minutes
            overrides.append(
                Override(
                    recurrence_id=recurrence_id,
                    start=change.start.astimezone(zone),
                    end=change.start.astimezone(zone) + dt.timedelta(minutes=minutes),
                )
            )
    return CalendarEvent(
        uid=series.uid,
        sequence=series.sequence,
        summary=f"Mentoring: {display_name(mentorship.mentor)} and "
        f"{display_name(mentorship.mentee)}",
        start=local_start,
        end=local_start + series.duration,
        organizer=Person(display_name(organiser), organiser.email),
        attendees=tuple(
            Attendee(display_name(person), person.email, "ACCEPTED") for person in people
        ),
        description=series.agenda,
        rrule=series.rrule or None,
        overrides=tuple(overrides),
        location=series.location_text,
        url=url or (series.link_url if series.link_url else ""),
        status="CONFIRMED" if series.is_active else "CANCELLED",
        created=series.created_at,
        last_modified=series.updated_at,
    )


def calendar_events_for(*, user: User) -> list[Any]:
    """Every series the user takes part in (cancelled ones too, so clients drop them)."""
    series = _series().filter(Q(mentorship__mentor_id=user.pk) | Q(mentorship__mentee_id=user.pk))
    return [calendar_event_for(item) for item in series.order_by("pk")]

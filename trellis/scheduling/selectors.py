"""Reads for scheduling: each person's schedule, common slots, occurrences, calendar events.

A mentorship's people are a pair (mentor and mentee) or a group (the mentor and the
current members); everything here asks ``participants()``/``participant_ids()`` or
filters with ``participant_filter``, and loads a group's members with
``current_members_prefetch`` so a page's queries do not grow with the group. A member who
left is an outsider to the group's meetings from then on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError
from trellis.core.time import get_zone
from trellis.mentorships.models import (
    ONGOING_STATUSES,
    GroupMember,
    Mentorship,
    participant_filter,
)
from trellis.mentorships.selectors import current_members_prefetch, mentorship_role
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
    ALL_WEEKDAYS,
    ContactHours,
    DateException,
    PersonSchedule,
    SlotSearch,
    TimeWindow,
    WeeklyWindow,
    common_slots,
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
    """One of the pair, or the group's mentor or a current member."""
    return scheduling_role(mentorship=mentorship, user=user) in ("mentor", "mentee")


def leads_meetings(*, mentorship: Mentorship, user: Any) -> bool:
    """Whether user books and changes the meetings: either of a pair; a group's mentor."""
    if mentorship.is_group:
        return bool(getattr(user, "pk", None)) and user.pk == mentorship.mentor_id
    return is_participant(mentorship=mentorship, user=user)


def mentorship_for_scheduling(*, mentorship_id: int, user: Any) -> Mentorship:
    """The mentorship if user takes part in it now or may manage it; NotFoundError otherwise.

    A member who left a group gets NotFoundError, as an outsider does.
    """
    mentorship = (
        Mentorship.objects.select_related(
            "program", "mentor__profile", "mentee__profile", "program__organisation"
        )
        .prefetch_related(current_members_prefetch())
        .filter(pk=mentorship_id)
        .first()
    )
    if mentorship is None or scheduling_role(mentorship=mentorship, user=user) is None:
        raise NotFoundError("No such mentorship.")
    return mentorship


def partner_of(mentorship: Mentorship, user: Any) -> User:
    """A pair's other person (in a group: the mentor, or for the mentor the first member)."""
    others = others_of(mentorship, user)
    return others[0] if others else mentorship.mentor


def others_of(mentorship: Mentorship, user: Any) -> list[User]:
    """Everyone in the mentorship now but user: a pair's partner, a group's other people."""
    return list(mentorship.others_than(user.pk))


def with_label(mentorship: Mentorship, user: Any) -> str:
    """Who user meets: the partner's name, "your group" for its mentor, else "Mara's group"."""
    if not mentorship.is_group:
        return display_name(partner_of(mentorship, user))
    if getattr(user, "pk", None) == mentorship.mentor_id:
        return "your group"
    return group_name(mentorship)


def group_name(mentorship: Mentorship) -> str:
    return f"{display_name(mentorship.mentor)}'s group"


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
    ).prefetch_related(
        Prefetch("changes", queryset=OccurrenceChange.objects.order_by("pk")),
        current_members_prefetch("mentorship__"),
    )


def _taking_part(user_ids: list[int]) -> Q:
    """Series of mentorships in which any of the users takes part now (no duplicate rows)."""
    member = GroupMember.objects.filter(
        mentorship_id=OuterRef("mentorship_id"), mentee_id__in=user_ids, left_at__isnull=True
    )
    return (
        Q(mentorship__mentor_id__in=user_ids)
        | Q(mentorship__mentee_id__in=user_ids)
        | Q(Exists(member))
    )


def series_of_users(
    *, user_ids: Iterable[int], exclude_pk: int | None = None
) -> list[MeetingSeries]:
    """The active series any of the users takes part in, with their changes, in three queries.

    A group's series count for its mentor and current members; a member who left is free
    of them.
    """
    ids = list(user_ids)
    series = _series().filter(_taking_part(ids), status=SeriesStatus.ACTIVE)
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


def occurrence_of(*, series: MeetingSeries, recurrence_id: str) -> MeetingOccurrence | None:
    """One occurrence of the series where it takes place now (moved or not); None when it
    was cancelled or the series has no such occurrence."""
    rule = series.rule()
    try:
        if not rule.has_occurrence(recurrence_id):
            return None
        original = parse_recurrence_id(recurrence_id, rule.zone)
    except ValueError:
        return None
    change = next((c for c in series.changes.all() if c.recurrence_id == recurrence_id), None)
    if change is not None and (change.is_cancelled or change.start is None):
        return None
    if change is not None and change.start is not None:
        start = change.start.astimezone(dt.UTC)
        length = dt.timedelta(minutes=change.duration_minutes or series.duration_minutes)
        moved = True
    else:
        start = original.astimezone(dt.UTC)
        length = series.duration
        moved = False
    return MeetingOccurrence(
        series, Occurrence(start, start + length, original, recurrence_id, moved)
    )


def busy_from_meetings(
    *, user: User, start: dt.datetime, end: dt.datetime, exclude_pk: int | None = None
) -> list[Interval]:
    series = series_of_users(user_ids=[user.pk], exclude_pk=exclude_pk)
    return [(item.start, item.end) for item in expand(series, start=start, end=end)]


def _meeting_busy_by_user(
    user_ids: list[int], start: dt.datetime, end: dt.datetime, exclude_pk: int | None
) -> dict[int, list[Interval]]:
    """Each user's busy time from Trellis meetings, every series read and expanded once."""
    busy: dict[int, list[Interval]] = {user_id: [] for user_id in user_ids}
    for series in series_of_users(user_ids=user_ids, exclude_pk=exclude_pk):
        people = [pk for pk in series.mentorship.participant_ids() if pk in busy]
        if not people:
            continue
        for occurrence in occurrences(
            series.rule(), start=start, end=end, exceptions=series.exceptions()
        ):
            for person_id in people:
                busy[person_id].append((occurrence.start, occurrence.end))
    return busy


def _calendar_busy_by_user(
    user_ids: list[int], start: dt.datetime, end: dt.datetime
) -> dict[int, list[Interval]]:
    """Busy time from the people's subscribed calendars, once the calendars app offers it."""
    try:
        from trellis.calendars import selectors as calendar_selectors
    except ImportError:
        return {}
    for_users = getattr(calendar_selectors, "busy_intervals_for_users", None)
    if for_users is not None:
        return dict(for_users(user_ids=user_ids, start=start, end=end))
    return {}


def _contact_hours_by_user(
    mentorship: Mentorship, users: list[User]
) -> dict[int, ContactHours | None]:
    """Each person's contact hours for the mentorship, in one query whatever their number.

    The agreements app decides them: the person's agreement part when it says so, else
    their profile's (every day), else None (any time). Its ``contact_hours_for_people``
    reads a group at once when it offers one; until then the same rule is applied here to
    the parts read in one query, as ``agreements.selectors.contact_hours_for`` applies it
    to one person (that costs a query per person, which a group page cannot afford).
    """
    try:
        from trellis.agreements import selectors as agreement_selectors
        from trellis.agreements.models import AgreementPart
    except ImportError:
        return {user.pk: _profile_contact_hours(user) for user in users}
    for_people = getattr(agreement_selectors, "contact_hours_for_people", None)
    if for_people is not None:
        return dict(for_people(mentorship=mentorship, users=users))
    parts = {
        part.user_id: part
        for part in AgreementPart.objects.filter(
            agreement__mentorship=mentorship, user_id__in=[user.pk for user in users]
        )
    }
    hours: dict[int, ContactHours | None] = {}
    for user in users:
        part = parts.get(user.pk)
        if part is not None and part.contact_hours_start and part.contact_hours_end:
            weekdays = frozenset(part.contact_weekdays) or ALL_WEEKDAYS
            hours[user.pk] = ContactHours(
                part.contact_hours_start, part.contact_hours_end, weekdays=weekdays
            )
        else:
            hours[user.pk] = _profile_contact_hours(user)
    return hours


def _profile_contact_hours(user: User) -> ContactHours | None:
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
    """What slot finding knows about user between start and end."""
    (schedule,) = people_schedules(
        users=[user],
        mentorship=mentorship,
        start=start,
        end=end,
        exclude_series_pk=exclude_series_pk,
    )
    return schedule


def people_schedules(
    *,
    users: Iterable[User],
    mentorship: Mentorship,
    start: dt.datetime,
    end: dt.datetime,
    exclude_series_pk: int | None = None,
) -> list[PersonSchedule]:
    """What slot finding knows about each of the users, in a fixed number of queries.

    Weekly windows, date exceptions, busy time from Trellis meetings and subscribed
    calendars, and contact hours: each read once for everybody, so finding a time for a
    group costs what it costs for a pair. The users need their profiles loaded.
    """
    people = list(users)
    ids = [person.pk for person in people]
    profiles = {
        person.pk: profile
        for person in people
        if (profile := getattr(person, "profile", None)) is not None
    }
    windows: dict[int, list[WeeklyWindow]] = {pk: [] for pk in ids}
    profile_owner = {profile.pk: user_id for user_id, profile in profiles.items()}
    for window in AvailabilityWindow.objects.filter(profile_id__in=list(profile_owner)).order_by(
        "profile_id", "weekday", "start_time"
    ):
        windows[profile_owner[window.profile_id]].extend(
            _split_at_midnight(window.weekday, window.start_time, window.end_time)
        )
    zones = {pk: get_zone(getattr(profiles.get(pk), "time_zone", None)) for pk in ids}
    days = {
        pk: (
            start.astimezone(zone).date() - dt.timedelta(days=1),
            end.astimezone(zone).date() + dt.timedelta(days=1),
        )
        for pk, zone in zones.items()
    }
    exceptions: dict[int, list[DateException]] = {pk: [] for pk in ids}
    if ids:
        first_day = min(first for first, _ in days.values())
        last_day = max(last for _, last in days.values())
        for exception in AvailabilityException.objects.filter(
            user_id__in=ids, date__range=(first_day, last_day)
        ).order_by("user_id", "date"):
            first, last = days[exception.user_id]
            if first <= exception.date <= last:
                exceptions[exception.user_id].append(
                    DateException(
                        exception.date,
                        tuple(
                            TimeWindow(_parse_time(a), _parse_time(b)) for a, b in exception.windows
                        ),
                    )
                )
    meetings = _meeting_busy_by_user(ids, start, end, exclude_series_pk) if ids else {}
    calendars = _calendar_busy_by_user(ids, start, end) if ids else {}
    contact_hours = _contact_hours_by_user(mentorship, people) if ids else {}
    return [
        PersonSchedule(
            name=display_name(person),
            time_zone=str(zones[person.pk].key),
            weekly_windows=tuple(windows[person.pk]),
            date_exceptions=tuple(exceptions[person.pk]),
            contact_hours=contact_hours.get(person.pk),
            busy=tuple(meetings.get(person.pk, [])) + tuple(calendars.get(person.pk, [])),
        )
        for person in people
    ]


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
    """The common free slots of everyone in the mentorship, ranked, seen by viewer.

    Person a is the viewer; ``Slot.for_others`` follows ``others_of(mentorship, viewer)``
    (a pair's partner; a group's mentor, then its members by joining order). Without a
    slot, ``reason`` says why, to the viewer.
    """
    start, end = search_horizon(weeks=weeks, now=now)
    schedules = people_schedules(
        users=[viewer, *others_of(mentorship, viewer)],
        mentorship=mentorship,
        start=start,
        end=end,
        exclude_series_pk=exclude_series_pk,
    )
    return common_slots(schedules, duration=duration, horizon_start=start, horizon_end=end)


# Meetings as people see them ------------------------------------------------------------


def meetings_for_mentorship(
    *, mentorship: Mentorship, start: dt.datetime, end: dt.datetime
) -> list[MeetingOccurrence]:
    series = _series().filter(mentorship=mentorship, status=SeriesStatus.ACTIVE).order_by("pk")
    return expand(series, start=start, end=end)


@dataclass(frozen=True)
class UpcomingMeeting:
    """One of the person's next meetings in their zone, and whom it is with.

    ``partner`` is a pair's other person; in a group the mentor (for a member) or None
    (for the mentor). ``with_label`` names it for both: the partner, "your group" or
    "Mara's group"; ``others`` lists everyone else in it.
    """

    item: MeetingOccurrence
    partner: User | None
    local_start: dt.datetime
    local_end: dt.datetime
    with_label: str = ""
    others: tuple[User, ...] = ()


UPCOMING_HORIZON = dt.timedelta(days=60)


def upcoming_meetings(
    *, user: User, limit: int = 5, now: dt.datetime | None = None
) -> list[UpcomingMeeting]:
    """The person's next meetings in their own zone, in fixed queries whatever their number.

    Pairs' and groups' alike (a group's for its mentor and current members).
    """
    now = now or timezone.now()
    series = [
        s for s in series_of_users(user_ids=[user.pk]) if s.mentorship.status in ONGOING_STATUSES
    ]
    zone = ZoneInfo(user_zone(user))
    upcoming = []
    for item in expand(series, start=now, end=now + UPCOMING_HORIZON)[:limit]:
        mentorship = item.series.mentorship
        others = tuple(others_of(mentorship, user))
        if not mentorship.is_group:
            partner: User | None = partner_of(mentorship, user)
        else:
            partner = None if user.pk == mentorship.mentor_id else mentorship.mentor
        upcoming.append(
            UpcomingMeeting(
                item=item,
                partner=partner,
                local_start=item.start.astimezone(zone),
                local_end=item.end.astimezone(zone),
                with_label=with_label(mentorship, user),
                others=others,
            )
        )
    return upcoming


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
        .prefetch_related(current_members_prefetch("mentorship__"))
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None or scheduling_role(mentorship=proposal.mentorship, user=user) is None:
        raise NotFoundError("No such proposal.")
    return proposal


RECENT_DAYS = 30


def recent_meetings_for(
    *, mentorship: Mentorship, now: dt.datetime | None = None, limit: int = 10
) -> list[MeetingOccurrence]:
    """The mentorship's meetings that began in the last 30 days, latest first.

    They are the ones a person logs, reviews and rates; two queries whatever their number.
    """
    now = now or timezone.now()
    found = meetings_for_mentorship(
        mentorship=mentorship, start=now - dt.timedelta(days=RECENT_DAYS), end=now
    )
    return [item for item in reversed(found) if item.start <= now][:limit]


def logged_occurrences(*, mentorship: Mentorship) -> set[tuple[int, str]]:
    """(series id, recurrence id) of every logged meeting of the mentorship."""
    return set(
        MeetingLog.objects.filter(series__mentorship=mentorship).values_list(
            "series_id", "recurrence_id"
        )
    )


def meeting_for(*, series_id: int, recurrence_id: str, user: Any) -> MeetingOccurrence:
    """One meeting as it takes place, if user may see its mentorship; NotFoundError if it
    does not exist, was cancelled, or is not theirs to see."""
    series = series_for(series_id=series_id, user=user)
    item = occurrence_of(series=series, recurrence_id=recurrence_id)
    if item is None:
        raise NotFoundError("No such meeting: it may have been cancelled.")
    return item


def log_for(*, series: MeetingSeries, recurrence_id: str, user: Any) -> LogView | None:
    """The meeting's log as user may see it (see LogView), or None before one is written."""
    role = scheduling_role(mentorship=series.mentorship, user=user)
    if role is None:
        raise NotFoundError("No such meeting.")
    log = MeetingLog.objects.filter(series=series, recurrence_id=recurrence_id).first()
    if log is None:
        return None
    if role not in ("mentor", "mentee"):
        return LogView(log=log, shared_notes=None, next_steps=None, private_note=None)
    note = MeetingPrivateNote.objects.filter(log=log, author_id=user.pk).first()
    return LogView(
        log=log,
        shared_notes=log.shared_notes,
        next_steps=log.next_steps,
        private_note=note.text if note else None,
    )


@dataclass(frozen=True)
class LogView:
    """A meeting log as one viewer may see it: managers get outcome and length only.

    The shared notes and next steps are for everyone taking part now (a pair, a group's
    mentor and current members); a private note is its author's alone.
    """

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
    people = mentorship.participants()
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
        summary=_summary(mentorship),
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


def _summary(mentorship: Mentorship) -> str:
    """The event's title: the pair's names, or the group's (which outlives its members)."""
    if mentorship.is_group:
        return f"Mentoring: {group_name(mentorship)}"
    return f"Mentoring: {display_name(mentorship.mentor)} and {display_name(mentorship.mentee)}"


def calendar_events_for(*, user: User) -> list[Any]:
    """Every series the user takes part in now (cancelled ones too, so clients drop them).

    A group's series are in its mentor's and current members' feeds; a member who left
    no longer finds them there (they were sent a cancellation when they left). In fixed
    queries whatever the number of series or of people in them.
    """
    series = _series().filter(participant_filter(user.pk, path="mentorship__"))
    return [calendar_event_for(item) for item in series.order_by("pk")]

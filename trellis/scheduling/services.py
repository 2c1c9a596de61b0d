"""Writes for scheduling: proposals, booking, one-off and "this and following" changes, logs.

Status (issue #4): models, services, selectors, API and pages done and tested (see
tests/). Reminders: booking or changing a series schedules its next few occurrences' at each
person's own times (notifications.ReminderPreference; 24 h and 15 min by default); the daily
sweep `meeting_reminders_top_up` (`manage.py meetings_remind`) keeps every occurrence of the
next 14 days reminded, so open-ended series go on being reminded, and cancels reminders that
no longer match a meeting. Moving one meeting or "this and following" (page: date/time
inputs in the viewer's zone; API: reschedule-following) needs a time free for both, in the
future, overlapping nothing; a proposal can be countered from the mutual free slots on the
page and the API. Date-specific availability exceptions are edited in availability.py (the
profile's "Days that differ" page and API). Not done: using the agreement's "first meeting
in person" to pre-fill the first proposal's modality.

Groups (a mentor and the current members of their group, see mentorships.models): a
group meets as one; every time offered must be free for all of them, every member is
invited and reminded. The mentor leads: in a group only the mentor books, answers
proposals and changes or cancels the group's meetings (they are organised in the
mentor's zone); a member proposes times to the mentor, withdraws their own proposal and
writes meeting logs. A member who leaves is taken out (``meetings_participant_left``):
their reminders are cancelled and each active series is cancelled in their calendar.

Rules every service keeps:
- Only the people of the mentorship change its meetings (in a group, its mentor);
  managers only read. A member who left is an outsider.
- A refusal raises (ValidationError, PermissionDeniedError or NotFoundError) and changes
  nothing: every service runs in one transaction.
- Locks are taken in one order: the mentorship row, then the series or proposal, then
  the people's user rows (in pk order), so two services never deadlock. Booking and
  moving lock every participant's row and then check their other meetings for an
  overlap: two people booking the same slot of the same person at once get one meeting
  and one clear refusal, whether the slot is a pair's or a group's.
- Invitations, reminders and notifications go out on commit only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from trellis.accounts.models import User
from trellis.core.errors import PermissionDeniedError
from trellis.mentorships.models import ONGOING_STATUSES, Mentorship, MentorshipStatus
from trellis.mentorships.selectors import current_members_prefetch
from trellis.notifications.models import Reminder
from trellis.notifications.selectors import reminder_offsets_for_users, reminders_pending
from trellis.notifications.services import (
    LONGEST_REMINDER_OFFSET,
    REMINDER_OFFSETS,
    notification_send,
    reminder_schedule,
    reminders_cancel,
    reminders_cancel_keys,
)
from trellis.scheduling import selectors
from trellis.scheduling.models import (
    MAX_DURATION_MINUTES,
    MAX_OPTIONS,
    MeetingLog,
    MeetingOutcome,
    MeetingPrivateNote,
    MeetingProposal,
    MeetingSeries,
    Modality,
    OccurrenceChange,
    ProposalStatus,
    SeriesStatus,
)
from trellis.scheduling.recurrence import (
    LAST_WEEK,
    Frequency,
    SeriesRule,
    is_last_weekday_of_month,
    occurrences,
    parse_recurrence_id,
    split_series,
    week_of_month,
)
from trellis.scheduling.zones import Interval

logger = logging.getLogger(__name__)

# How far ahead a new or moved meeting is checked against the people's other meetings.
CONFLICT_HORIZON = dt.timedelta(days=366)
# Booking or changing a series reminds its next few occurrences; the daily sweep
# (meeting_reminders_top_up) keeps every occurrence within REMINDER_HORIZON reminded.
REMINDED_OCCURRENCES = 4
REMINDER_HORIZON = dt.timedelta(days=14)
MEETING_KEY_PREFIX = "meeting:"
SLOT_TAKEN = "This time is no longer free: {name} already has a meeting then. Pick another time."
NOT_FREE = (
    "That time is not free for you both: pick a time inside both people's availability "
    "(as “Find a time” lists them)."
)
NOT_FREE_FOR_GROUP = (
    "That time is not free for everyone in the group: pick a time inside everyone's "
    "availability (as “Find a time” lists them)."
)
GROUP_MENTOR_LEADS = (
    "In a group the mentor books, accepts and changes the meetings; you may propose times to them."
)


def meetings_url(mentorship: Mentorship) -> str:
    return reverse("scheduling:schedule", args=[mentorship.pk])


# Checks ---------------------------------------------------------------------------------


def _require_pair(mentorship: Mentorship, by: User) -> None:
    """by takes part in the mentorship now: one of the pair, a group's mentor or member."""
    if not selectors.is_participant(mentorship=mentorship, user=by):
        if mentorship.is_group:
            raise PermissionDeniedError(
                "Only the group's mentor and members arrange the group's meetings."
            )
        raise PermissionDeniedError("Only the mentor and the mentee arrange their meetings.")


def _require_lead(mentorship: Mentorship, by: User) -> None:
    """by may book and change the meetings: either of a pair, only a group's mentor."""
    _require_pair(mentorship, by)
    if not selectors.leads_meetings(mentorship=mentorship, user=by):
        raise PermissionDeniedError(GROUP_MENTOR_LEADS)


def _require_active(mentorship: Mentorship) -> None:
    if mentorship.status != MentorshipStatus.ACTIVE:
        raise ValidationError("Meetings can be arranged only while the mentorship is active.")


def _require_aware(value: dt.datetime, field: str) -> dt.datetime:
    if value.tzinfo is None:
        raise ValidationError({field: "Give the time with its time zone."})
    return value.astimezone(dt.UTC)


def _clean_duration(minutes: int) -> int:
    if not isinstance(minutes, int) or not 5 <= minutes <= 8 * 60:
        raise ValidationError({"duration_minutes": "A meeting lasts 5 minutes to 8 hours."})
    return minutes


def _lock_people(mentorship: Mentorship) -> None:
    """Lock every participant's user row in pk order: bookings touching a person queue up.

    The fixed order means two bookings sharing people (a pair and a group with the same
    mentor, two groups with a common member) wait for each other and never deadlock.
    """
    ids = sorted(set(mentorship.participant_ids()))
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def _overlap_name(
    mentorship: Mentorship,
    intervals: list[Interval],
    *,
    exclude_pk: int | None = None,
    exclude_recurrence_id: str | None = None,
) -> str | None:
    """The name of whoever of the people has another meeting overlapping the intervals."""
    if not intervals:
        return None
    start = min(a for a, _ in intervals)
    end = max(b for _, b in intervals)
    people = {person.pk: person for person in mentorship.participants()}
    others = selectors.series_of_users(user_ids=list(people))
    for item in selectors.expand(others, start=start, end=end):
        if item.series.pk == exclude_pk and (
            exclude_recurrence_id is None or item.recurrence_id == exclude_recurrence_id
        ):
            continue
        if any(item.start < b and a < item.end for a, b in intervals):
            for person_id in item.series.mentorship.participant_ids():
                if person_id in people:
                    return selectors.display_name(people[person_id])
    return None


def _rule_intervals(rule: SeriesRule, exceptions: Iterable[Any] = ()) -> list[Interval]:
    start = rule.first_start
    return [
        (occurrence.start, occurrence.end)
        for occurrence in occurrences(
            rule, start=start, end=start + CONFLICT_HORIZON, exceptions=exceptions
        )
    ]


def _rule_for(
    *,
    time_zone: str,
    start: dt.datetime,
    duration_minutes: int,
    frequency: str,
    count: int | None = None,
    until: dt.date | None = None,
) -> SeriesRule:
    """The series rule of a first meeting at start, expressed in the organiser's zone."""
    try:
        repeat = Frequency(frequency)
    except ValueError as error:
        raise ValidationError(
            {"frequency": "Choose once, weekly, every two weeks or monthly."}
        ) from error
    local = start.astimezone(ZoneInfo(time_zone))
    week: int | None = None
    if repeat == Frequency.MONTHLY_BY_WEEKDAY:
        # A fifth weekday exists only in some months: such a series runs on the last one.
        week = week_of_month(local.date())
        if week == 5 and is_last_weekday_of_month(local.date()):
            week = LAST_WEEK
    if repeat == Frequency.ONCE:
        count = until = None
    try:
        return SeriesRule(
            time_zone=time_zone,
            start_date=local.date(),
            start_time=local.time().replace(tzinfo=None, fold=0),
            duration=dt.timedelta(minutes=duration_minutes),
            frequency=repeat,
            week=week,
            until=until,
            count=count,
        )
    except ValueError as error:
        raise ValidationError(str(error)) from error


def _require_mutual_slot(
    mentorship: Mentorship,
    by: User,
    starts: list[dt.datetime],
    duration_minutes: int,
    *,
    exclude_series_pk: int | None = None,
    field: str = "options",
) -> None:
    """Each start must be one of the people's common free slots (as "Find a time" shows)."""
    now = timezone.now()
    latest = max(starts)
    weeks = max(1, -(-(latest - now).days // 7) + 1)
    if latest - now > dt.timedelta(weeks=selectors.MAX_SEARCH_WEEKS):
        raise ValidationError(
            {field: f"Pick times within the next {selectors.MAX_SEARCH_WEEKS} weeks."}
        )
    search = selectors.find_times(
        mentorship=mentorship,
        viewer=by,
        duration=dt.timedelta(minutes=duration_minutes),
        weeks=weeks,
        now=now,
        exclude_series_pk=exclude_series_pk,
    )
    free = {slot.start for slot in search.slots}
    for start in starts:
        if start not in free:
            raise ValidationError({field: NOT_FREE_FOR_GROUP if mentorship.is_group else NOT_FREE})


# Side effects, on commit ----------------------------------------------------------------


def _people(series: MeetingSeries) -> list[User]:
    """Everyone the series is for now: the pair, or the group's mentor and current members."""
    return list(series.mentorship.participants())


def _invitation_sender() -> Any:
    try:
        from trellis.calendars import services as calendar_services
    except ImportError:
        return None
    return getattr(calendar_services, "invitation_send", None)


def _send_invitation(series: MeetingSeries, method: str, recurrence_id: str | None) -> None:
    invitation_send = _invitation_sender()
    if invitation_send is None:
        return
    fresh = selectors.series_for_system(series_pk=series.pk)
    event = selectors.calendar_event_for(fresh)
    recurrence = (
        parse_recurrence_id(recurrence_id, ZoneInfo(series.time_zone)) if recurrence_id else None
    )
    invitation_send(event=event, method=method, recipients=_people(fresh), recurrence_id=recurrence)


@dataclass(frozen=True)
class PlannedReminder:
    """A reminder one occurrence of a series should have for one of the pair."""

    key: str
    recipient: User
    fire_at: dt.datetime
    title: str
    body: str
    url: str
    occurrence_start: dt.datetime

    def differs_from(self, reminder: Reminder) -> bool:
        return (reminder.fire_at, reminder.title, reminder.body, reminder.url) != (
            self.fire_at,
            self.title,
            self.body,
            self.url,
        )


def _planned_reminders(
    series: MeetingSeries,
    items: Iterable[selectors.MeetingOccurrence],
    now: dt.datetime,
    offsets_by_user: Mapping[int, tuple[dt.timedelta, ...]] | None = None,
) -> list[PlannedReminder]:
    """The reminders of the occurrences that still lie ahead, for everyone taking part.

    Each person is reminded at their own offsets (notifications' ReminderPreference; read
    here in one query unless the caller passes ``offsets_by_user`` for a whole batch).
    Keyed ``meeting:{series}:{recurrence_id}:{person}:{minutes before}``: the recurrence id
    stays with a moved occurrence, so scheduling the key again moves its reminder.
    """
    items = list(items)
    people = _people(series)
    if offsets_by_user is None and items:
        offsets_by_user = reminder_offsets_for_users(user_ids=[person.pk for person in people])
    url = meetings_url(series.mentorship)
    planned = []
    for item in items:
        for person in people:
            with_whom = selectors.with_label(series.mentorship, person)
            local = item.start.astimezone(ZoneInfo(selectors.user_zone(person)))
            title = f"Meeting with {with_whom} at {local:%a %d %b %H:%M}"
            for offset in (offsets_by_user or {}).get(person.pk, REMINDER_OFFSETS):
                fire_at = item.start - offset
                if fire_at <= now:
                    continue
                minutes = int(offset.total_seconds() // 60)
                planned.append(
                    PlannedReminder(
                        key=f"{MEETING_KEY_PREFIX}{series.pk}:{item.recurrence_id}:"
                        f"{person.pk}:{minutes}",
                        recipient=person,
                        fire_at=fire_at,
                        title=title[:200],  # as the Reminder stores it
                        body=series.agenda,
                        url=url,
                        occurrence_start=item.start,
                    )
                )
    return planned


def _schedule_reminder(plan: PlannedReminder) -> None:
    reminder_schedule(
        key=plan.key,
        recipient=plan.recipient,
        fire_at=plan.fire_at,
        title=plan.title,
        body=plan.body,
        url=plan.url,
    )


def _reschedule_reminders(series: MeetingSeries) -> None:
    """Cancel the series' reminders, then schedule the next few (none once cancelled)."""
    reminders_cancel(key_prefix=f"{MEETING_KEY_PREFIX}{series.pk}:")
    fresh = selectors.series_for_system(series_pk=series.pk)
    if not fresh.is_active:
        return
    now = timezone.now()
    upcoming = selectors.expand([fresh], start=now, end=now + CONFLICT_HORIZON)
    for plan in _planned_reminders(fresh, upcoming[:REMINDED_OCCURRENCES], now):
        _schedule_reminder(plan)


def _announce(
    series: MeetingSeries,
    *,
    by: User,
    title: str,
    group_title: str | None = None,
    method: str = "REQUEST",
    recurrence_id: str | None = None,
) -> None:
    """Tell the others in the app now (stored with the change), the rest on commit.

    The partner of a pair reads ``title``; a group's other people ``group_title`` when
    given (a title addressed to one person reads wrong to a group).
    """
    mentorship = series.mentorship
    text = group_title if mentorship.is_group and group_title else title
    for person in selectors.others_of(mentorship, by):
        notification_send(
            recipient=person,
            kind="meeting",
            title=text,
            url=meetings_url(mentorship),
            send_email=False,
        )
    series_pk = series.pk

    def after_commit() -> None:
        fresh = MeetingSeries.objects.get(pk=series_pk)
        try:
            _send_invitation(fresh, method, recurrence_id)
        except Exception:  # an unreachable mail server must not undo the booking
            logger.exception("Sending the invitation of series %s failed", series_pk)
        try:
            _reschedule_reminders(fresh)
        except Exception:
            logger.exception("Scheduling the reminders of series %s failed", series_pk)

    transaction.on_commit(after_commit)


def _bump(series: MeetingSeries, fields: Iterable[str]) -> None:
    series.sequence += 1
    series.full_clean()
    series.save(update_fields=[*fields, "sequence", "updated_at"])


# Booking --------------------------------------------------------------------------------


def _locked_mentorship(mentorship: Mentorship) -> Mentorship:
    """The mentorship row locked, with the group's members as they are now.

    Members join and leave under this lock (mentorships.services), so a booking never
    invites someone who has just left nor misses someone who has just joined.
    """
    locked = (
        Mentorship.objects.select_related("program", "mentor__profile", "mentee__profile")
        .prefetch_related(current_members_prefetch())
        .select_for_update(of=("self",))
        .get(pk=mentorship.pk)
    )
    return locked


def _create_series(
    *,
    mentorship: Mentorship,
    by: User,
    organiser: User,
    start: dt.datetime,
    duration_minutes: int,
    frequency: str,
    count: int | None,
    until: dt.date | None,
    modality: str,
    phone_number: str,
    place: str,
    link_url: str,
    agenda: str,
) -> MeetingSeries:
    rule = _rule_for(
        time_zone=selectors.user_zone(organiser),
        start=start,
        duration_minutes=duration_minutes,
        frequency=frequency,
        count=count,
        until=until,
    )
    series = MeetingSeries(
        mentorship=mentorship,
        organiser=organiser,
        time_zone=rule.time_zone,
        start_date=rule.start_date,
        start_time=rule.start_time,
        duration_minutes=duration_minutes,
        rrule=rule.to_rrule(),
        modality=modality,
        phone_number=phone_number,
        place=place,
        link_url=link_url,
        agenda=agenda,
        created_by=by,
    )
    series.full_clean()
    _lock_people(mentorship)
    name = _overlap_name(mentorship, _rule_intervals(rule))
    if name is not None:
        raise ValidationError(SLOT_TAKEN.format(name=name))
    series.save()
    return series


@transaction.atomic
def series_book(
    *,
    mentorship: Mentorship,
    by: User,
    start: dt.datetime,
    duration_minutes: int = 60,
    frequency: str = Frequency.ONCE,
    count: int | None = None,
    until: dt.date | None = None,
    modality: str = Modality.VIDEO,
    phone_number: str = "",
    place: str = "",
    link_url: str = "",
    agenda: str = "",
) -> MeetingSeries:
    """Book a meeting (or a series from it) at a found slot; by organises it in their zone.

    Either of a pair books; in a group only the mentor does (PermissionDeniedError for a
    member, who proposes times instead), for everyone in it: the slot must be free for
    all of them, and each is invited and reminded.
    """
    _require_pair(mentorship, by)
    mentorship = _locked_mentorship(mentorship)
    _require_lead(mentorship, by)
    _require_active(mentorship)
    start = _require_aware(start, "start")
    duration_minutes = _clean_duration(duration_minutes)
    if start <= timezone.now():
        raise ValidationError({"start": "Pick a time in the future."})
    _require_mutual_slot(mentorship, by, [start], duration_minutes)
    series = _create_series(
        mentorship=mentorship,
        by=by,
        organiser=by,
        start=start,
        duration_minutes=duration_minutes,
        frequency=frequency,
        count=count,
        until=until,
        modality=modality,
        phone_number=phone_number,
        place=place,
        link_url=link_url,
        agenda=agenda,
    )
    _announce(
        series,
        by=by,
        title=f"{selectors.display_name(by)} booked a meeting with you",
        group_title=f"{selectors.display_name(by)} booked a meeting of "
        f"{selectors.group_name(mentorship)}",
    )
    return series


# Proposals ------------------------------------------------------------------------------


def _clean_options(options: Iterable[dt.datetime]) -> list[dt.datetime]:
    starts = sorted({_require_aware(option, "options") for option in options})
    if not 1 <= len(starts) <= MAX_OPTIONS:
        raise ValidationError({"options": f"Offer one to {MAX_OPTIONS} different times."})
    if starts[0] <= timezone.now():
        raise ValidationError({"options": "Offer times in the future."})
    return starts


def _new_proposal(
    mentorship: Mentorship,
    by: User,
    options: Iterable[dt.datetime],
    duration_minutes: int,
    agenda: str,
    counter_of: MeetingProposal | None = None,
) -> MeetingProposal:
    duration_minutes = _clean_duration(duration_minutes)
    starts = _clean_options(options)
    _require_mutual_slot(mentorship, by, starts, duration_minutes)
    proposal = MeetingProposal(
        mentorship=mentorship,
        proposer=by,
        duration_minutes=duration_minutes,
        options=[start.isoformat() for start in starts],
        agenda=agenda,
        counter_of=counter_of,
    )
    proposal.full_clean()
    proposal.save()
    # A pair's partner answers; in a group the mentor does.
    answerer = mentorship.mentor if mentorship.is_group else selectors.partner_of(mentorship, by)
    notification_send(
        recipient=answerer,
        kind="meeting_proposal",
        title=f"{selectors.display_name(by)} proposed times "
        + ("for the group to meet" if mentorship.is_group else "to meet"),
        url=meetings_url(mentorship),
        send_email=False,
    )
    return proposal


@transaction.atomic
def proposal_create(
    *,
    mentorship: Mentorship,
    by: User,
    options: Iterable[dt.datetime],
    duration_minutes: int = 60,
    agenda: str = "",
) -> MeetingProposal:
    """Offer one to three common free slots: to the partner, or in a group to its mentor.

    In a pair either person proposes and the other picks one, counters or declines. In a
    group a member proposes and only the mentor answers (accepting books the meeting for
    the whole group); the mentor does not propose but books a time that suits everyone
    (``series_book``), so a mentor's proposal raises PermissionDeniedError.
    """
    _require_pair(mentorship, by)
    mentorship = _locked_mentorship(mentorship)
    _require_pair(mentorship, by)
    if mentorship.is_group and by.pk == mentorship.mentor_id:
        raise PermissionDeniedError(
            "In a group you book a time that suits everyone; the members propose times to you."
        )
    _require_active(mentorship)
    return _new_proposal(mentorship, by, options, duration_minutes, agenda)


def _locked_open_proposal(proposal: MeetingProposal, by: User) -> MeetingProposal:
    """The open proposal locked after its mentorship (the services' lock order)."""
    _require_pair(proposal.mentorship, by)
    mentorship = _locked_mentorship(proposal.mentorship)
    _require_pair(mentorship, by)
    locked = (
        MeetingProposal.objects.select_for_update(of=("self",))
        .select_related("proposer")
        .get(pk=proposal.pk)
    )
    locked.mentorship = mentorship
    if locked.status != ProposalStatus.OPEN:
        raise ValidationError("This proposal was already answered.")
    return locked


def _answer(proposal: MeetingProposal, by: User) -> MeetingProposal:
    """The proposal, if by may answer it: a pair's partner, a group's mentor."""
    locked = _locked_open_proposal(proposal, by)
    if locked.proposer_id == by.pk:
        if locked.mentorship.is_group:
            raise PermissionDeniedError("The group's mentor answers your proposal.")
        raise PermissionDeniedError("Your partner answers your proposal.")
    if locked.mentorship.is_group and by.pk != locked.mentorship.mentor_id:
        raise PermissionDeniedError("The group's mentor answers the members' proposals.")
    _require_active(locked.mentorship)
    return locked


def _close(proposal: MeetingProposal, status: str, **fields: Any) -> MeetingProposal:
    proposal.status = status
    proposal.decided_at = timezone.now()
    for name, value in fields.items():
        setattr(proposal, name, value)
    proposal.save(update_fields=["status", "decided_at", "updated_at", *fields])
    return proposal


@transaction.atomic
def proposal_accept(
    *,
    proposal: MeetingProposal,
    by: User,
    start: dt.datetime,
    frequency: str = Frequency.ONCE,
    count: int | None = None,
    until: dt.date | None = None,
    modality: str = Modality.VIDEO,
    phone_number: str = "",
    place: str = "",
    link_url: str = "",
) -> MeetingSeries:
    """Pick one of the offered times; books a series organised by the proposer.

    In a group only the mentor accepts (a member's proposal), and the series is the
    group's, organised by the mentor in their zone like every group meeting.
    """
    locked = _answer(proposal, by)
    start = _require_aware(start, "start")
    if start not in locked.option_starts():
        raise ValidationError({"start": "Pick one of the offered times."})
    if start <= timezone.now():
        raise ValidationError({"start": "That time has passed; ask for new times."})
    mentorship = locked.mentorship
    series = _create_series(
        mentorship=mentorship,
        by=by,
        organiser=mentorship.mentor if mentorship.is_group else locked.proposer,
        start=start,
        duration_minutes=locked.duration_minutes,
        frequency=frequency,
        count=count,
        until=until,
        modality=modality,
        phone_number=phone_number,
        place=place,
        link_url=link_url,
        agenda=locked.agenda,
    )
    _close(locked, ProposalStatus.ACCEPTED, chosen_start=start, series=series)
    _announce(
        series,
        by=by,
        title=f"{selectors.display_name(by)} accepted your proposed time",
        group_title=f"{selectors.display_name(by)} booked a meeting of "
        f"{selectors.group_name(mentorship)} at a time "
        f"{selectors.display_name(locked.proposer)} proposed",
    )
    return series


@transaction.atomic
def proposal_counter(
    *,
    proposal: MeetingProposal,
    by: User,
    options: Iterable[dt.datetime],
    duration_minutes: int | None = None,
) -> MeetingProposal:
    """Answer a proposal with other times; the proposer then picks one.

    Not in a group: its mentor books one of everyone's free times instead (the members
    could not accept the mentor's times), so it raises PermissionDeniedError there.
    """
    locked = _answer(proposal, by)
    if locked.mentorship.is_group:
        raise PermissionDeniedError(
            "In a group you book a time that suits everyone instead of proposing others."
        )
    counter = _new_proposal(
        locked.mentorship,
        by,
        options,
        duration_minutes or locked.duration_minutes,
        locked.agenda,
        counter_of=locked,
    )
    _close(locked, ProposalStatus.COUNTERED)
    return counter


@transaction.atomic
def proposal_decline(*, proposal: MeetingProposal, by: User) -> MeetingProposal:
    """Decline a proposal: a pair's partner, or in a group its mentor."""
    return _close(_answer(proposal, by), ProposalStatus.DECLINED)


@transaction.atomic
def proposal_withdraw(*, proposal: MeetingProposal, by: User) -> MeetingProposal:
    locked = _locked_open_proposal(proposal, by)
    if locked.proposer_id != by.pk:
        raise PermissionDeniedError("Only who proposed the times can withdraw them.")
    return _close(locked, ProposalStatus.WITHDRAWN)


# Changes to a series --------------------------------------------------------------------


def _locked_series(series: MeetingSeries, by: User) -> MeetingSeries:
    """The series locked after its mentorship, if by may change it (a group's: its mentor)."""
    _require_pair(series.mentorship, by)
    mentorship = _locked_mentorship(series.mentorship)
    _require_lead(mentorship, by)
    locked = MeetingSeries.objects.select_for_update(of=("self",)).get(pk=series.pk)
    locked.mentorship = mentorship
    if not locked.is_active:
        raise ValidationError("This meeting was cancelled.")
    return locked


def _require_occurrence(series: MeetingSeries, recurrence_id: str) -> SeriesRule:
    rule = series.rule()
    try:
        exists = rule.has_occurrence(recurrence_id)
    except ValueError:
        exists = False
    if not exists:
        raise ValidationError({"recurrence_id": "That is not a meeting of this series."})
    return rule


@transaction.atomic
def occurrence_reschedule(
    *,
    series: MeetingSeries,
    recurrence_id: str,
    by: User,
    start: dt.datetime,
    duration_minutes: int | None = None,
) -> MeetingSeries:
    """Move one occurrence to another start (and optionally length).

    The new time must be free for both (their availability, less their other meetings);
    the series' other occurrences count as taken.
    """
    locked = _locked_series(series, by)
    _require_occurrence(locked, recurrence_id)
    start = _require_aware(start, "start")
    if start <= timezone.now():
        raise ValidationError({"start": "Pick a time in the future."})
    minutes = _clean_duration(duration_minutes or locked.duration_minutes)
    _require_mutual_slot(
        locked.mentorship, by, [start], minutes, exclude_series_pk=locked.pk, field="start"
    )
    _lock_people(locked.mentorship)
    name = _overlap_name(
        locked.mentorship,
        [(start, start + dt.timedelta(minutes=minutes))],
        exclude_pk=locked.pk,
        exclude_recurrence_id=recurrence_id,
    )
    if name is not None:
        raise ValidationError(SLOT_TAKEN.format(name=name))
    OccurrenceChange.objects.update_or_create(
        series=locked,
        recurrence_id=recurrence_id,
        defaults={
            "is_cancelled": False,
            "start": start,
            "duration_minutes": duration_minutes and minutes,
        },
    )
    _bump(locked, [])
    _announce(
        locked,
        by=by,
        title=f"{selectors.display_name(by)} moved a meeting",
        recurrence_id=recurrence_id,
    )
    return locked


@transaction.atomic
def occurrence_cancel(*, series: MeetingSeries, recurrence_id: str, by: User) -> MeetingSeries:
    """Cancel one occurrence of the series."""
    locked = _locked_series(series, by)
    _require_occurrence(locked, recurrence_id)
    OccurrenceChange.objects.update_or_create(
        series=locked,
        recurrence_id=recurrence_id,
        defaults={"is_cancelled": True, "start": None, "duration_minutes": None},
    )
    _bump(locked, [])
    _announce(
        locked,
        by=by,
        title=f"{selectors.display_name(by)} cancelled a meeting",
        method="CANCEL",
        recurrence_id=recurrence_id,
    )
    return locked


def _apply_rule(series: MeetingSeries, rule: SeriesRule) -> None:
    series.start_date = rule.start_date
    series.start_time = rule.start_time
    series.duration_minutes = int(rule.duration.total_seconds() // 60)
    series.rrule = rule.to_rrule()


@transaction.atomic
def series_split_reschedule(
    *,
    series: MeetingSeries,
    recurrence_id: str,
    by: User,
    start: dt.datetime | None = None,
    start_time: dt.time | None = None,
    duration_minutes: int | None = None,
) -> MeetingSeries:
    """Move this and the following occurrences to a new wall time in the series' zone.

    Give the chosen occurrence's new ``start`` (an aware instant, on the same day in the
    series' zone: the following meetings keep their weekday) or the new wall time
    ``start_time`` in the series' zone, and/or a new length. The chosen occurrence's new
    time must be in the future and free for both; none of the moved ones may overlap
    another meeting of either person.

    The earlier part keeps its uid; the rest becomes a new series (a new uid) that
    continues it. Changes to the moved occurrences are carried over: cancellations stay
    cancelled, moved ones stay where they were moved.
    """
    locked = _locked_series(series, by)
    rule = _require_occurrence(locked, recurrence_id)
    minutes = _clean_duration(duration_minutes or locked.duration_minutes)
    original = parse_recurrence_id(recurrence_id, rule.zone)
    if start is not None:
        local = _require_aware(start, "start").astimezone(rule.zone)
        if local.date() != original.date():
            raise ValidationError(
                {
                    "start": f"The following meetings keep their day in the organiser's zone "
                    f"({rule.time_zone}): pick a time on {original:%A} {original.day} "
                    f"{original:%B} there, or move single meetings instead."
                }
            )
        start_time = local.time().replace(tzinfo=None, fold=0)
    wall_time = (start_time or rule.start_time).replace(tzinfo=None)
    if wall_time == rule.start_time and minutes == locked.duration_minutes:
        raise ValidationError({"start": "Pick a new time or a new length."})
    old_rule, new_rule = split_series(
        rule,
        recurrence_id=recurrence_id,
        start_time=wall_time,
        duration=dt.timedelta(minutes=minutes),
    )
    first_start = new_rule.first_start
    if first_start <= timezone.now():
        raise ValidationError({"start": "Pick a time in the future."})
    _require_mutual_slot(
        locked.mentorship, by, [first_start], minutes, exclude_series_pk=locked.pk, field="start"
    )
    split_date = new_rule.start_date
    later_changes = [
        change
        for change in locked.changes.all()
        if parse_recurrence_id(change.recurrence_id, rule.zone).date() >= split_date
    ]
    _lock_people(locked.mentorship)
    new_intervals = [
        interval for interval in _rule_intervals(new_rule) if interval[0] > timezone.now()
    ]
    name = _overlap_name(locked.mentorship, new_intervals, exclude_pk=locked.pk)
    if name is not None:
        raise ValidationError(SLOT_TAKEN.format(name=name))
    if old_rule is None:
        # The first occurrence: the whole series moves, under its own uid.
        for change in later_changes:
            change.delete()
        _apply_rule(locked, new_rule)
        _bump(locked, ["start_date", "start_time", "duration_minutes", "rrule"])
        _carry_changes(locked, later_changes, rule, new_rule)
        _announce(locked, by=by, title=f"{selectors.display_name(by)} moved your meetings")
        return locked
    _apply_rule(locked, old_rule)
    for change in later_changes:
        change.delete()
    _bump(locked, ["start_date", "start_time", "duration_minutes", "rrule"])
    continuation = MeetingSeries(
        mentorship=locked.mentorship,
        organiser_id=locked.organiser_id,
        time_zone=locked.time_zone,
        modality=locked.modality,
        room_id=locked.room_id,
        phone_number=locked.phone_number,
        place=locked.place,
        link_url=locked.link_url,
        agenda=locked.agenda,
        split_from=locked,
        created_by=by,
    )
    _apply_rule(continuation, new_rule)
    continuation.full_clean()
    continuation.save()
    _carry_changes(continuation, later_changes, rule, new_rule)
    _announce(locked, by=by, title=f"{selectors.display_name(by)} moved your meetings")
    _announce_quietly(continuation)
    return continuation


def _carry_changes(
    series: MeetingSeries,
    changes: list[OccurrenceChange],
    old_rule: SeriesRule,
    new_rule: SeriesRule,
) -> None:
    """Re-key changes of the old occurrences to the new rule's occurrence on the same date."""
    zone = old_rule.zone
    for change in changes:
        day = parse_recurrence_id(change.recurrence_id, zone).date()
        new_id = dt.datetime.combine(day, new_rule.start_time).strftime("%Y%m%dT%H%M%S")
        if not new_rule.has_occurrence(new_id):
            continue
        OccurrenceChange.objects.create(
            series=series,
            recurrence_id=new_id,
            is_cancelled=change.is_cancelled,
            start=change.start,
            duration_minutes=change.duration_minutes,
        )


def _announce_quietly(series: MeetingSeries) -> None:
    """Invitations and reminders for a series, without another in-app notification."""
    series_pk = series.pk

    def after_commit() -> None:
        fresh = MeetingSeries.objects.get(pk=series_pk)
        try:
            _send_invitation(fresh, "REQUEST", None)
            _reschedule_reminders(fresh)
        except Exception:
            logger.exception("Announcing series %s failed", series_pk)

    transaction.on_commit(after_commit)


@transaction.atomic
def series_cancel_rest(*, series: MeetingSeries, recurrence_id: str, by: User) -> MeetingSeries:
    """Cancel this and the following occurrences (from the first: the whole series)."""
    locked = _locked_series(series, by)
    rule = _require_occurrence(locked, recurrence_id)
    old_rule, _ = split_series(rule, recurrence_id=recurrence_id)
    if old_rule is None:
        locked.status = SeriesStatus.CANCELLED
        _bump(locked, ["status"])
        _announce(
            locked,
            by=by,
            title=f"{selectors.display_name(by)} cancelled your meetings",
            method="CANCEL",
        )
        return locked
    _apply_rule(locked, old_rule)
    split_date = parse_recurrence_id(recurrence_id, rule.zone).date()
    for change in locked.changes.all():
        if parse_recurrence_id(change.recurrence_id, rule.zone).date() >= split_date:
            change.delete()
    _bump(locked, ["rrule"])
    _announce(
        locked, by=by, title=f"{selectors.display_name(by)} cancelled your remaining meetings"
    )
    return locked


SERIES_EDITABLE_FIELDS = ("agenda", "modality", "phone_number", "place", "link_url")


@transaction.atomic
def series_update(*, series: MeetingSeries, by: User, **data: Any) -> MeetingSeries:
    """Change the agenda or how the pair meets; attendees get an updated invitation."""
    unknown = set(data) - set(SERIES_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    locked = _locked_series(series, by)
    changed = [name for name, value in data.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, data[name])
    _bump(locked, changed)
    _announce(locked, by=by, title=f"{selectors.display_name(by)} updated a meeting")
    return locked


# Logs -----------------------------------------------------------------------------------


def log_from_call(*, series: MeetingSeries, recurrence_id: str, minutes: int) -> MeetingLog | None:
    """Log a meeting held as a Trellis call: it happened, for as long as the call lasted.

    A log a person wrote stays theirs (their outcome and length win); a log the calls
    wrote before (an earlier part of the same meeting) takes the new length.
    """
    if minutes < 1:
        return None
    minutes = min(minutes, MAX_DURATION_MINUTES)
    with transaction.atomic():
        log = (
            MeetingLog.objects.select_for_update()
            .filter(series=series, recurrence_id=recurrence_id)
            .first()
        )
        if log is not None and log.written_by_id is not None:
            return log
        if log is None:
            log = MeetingLog(series=series, recurrence_id=recurrence_id)
        log.outcome = MeetingOutcome.HAPPENED
        log.minutes = minutes
        # Nobody wrote this log: written_by stays empty (the field is nullable, not blank).
        log.full_clean(exclude=["written_by"])
        log.save()
    return log


@transaction.atomic
def log_write(
    *,
    series: MeetingSeries,
    recurrence_id: str,
    by: User,
    outcome: str,
    minutes: int | None = None,
    shared_notes: str = "",
    next_steps: str = "",
    private_note: str | None = None,
) -> MeetingLog:
    """Record how a meeting went (anyone taking part; the last writer's shared text wins).

    In a group the mentor and every current member may write the shared log; each keeps
    their own private note, which nobody else ever reads.
    """
    _require_pair(series.mentorship, by)
    _require_occurrence(series, recurrence_id)
    if outcome not in MeetingOutcome.values:
        raise ValidationError({"outcome": "Choose happened, no-show or cancelled late."})
    zone = ZoneInfo(series.time_zone)
    original = parse_recurrence_id(recurrence_id, zone)
    if original.astimezone(dt.UTC) > timezone.now() + dt.timedelta(hours=1):
        raise ValidationError("A meeting is logged once it has taken place.")
    log = MeetingLog.objects.select_for_update().filter(
        series=series, recurrence_id=recurrence_id
    ).first() or MeetingLog(series=series, recurrence_id=recurrence_id)
    log.outcome = outcome
    log.minutes = minutes
    log.shared_notes = shared_notes
    log.next_steps = next_steps
    log.written_by = by
    log.full_clean()
    log.save()
    if private_note is not None:
        if private_note.strip():
            MeetingPrivateNote.objects.update_or_create(
                log=log, author=by, defaults={"text": private_note.strip()}
            )
        else:
            MeetingPrivateNote.objects.filter(log=log, author=by).delete()
    return log


# People joining and leaving a group ----------------------------------------------------


def meetings_participant_left(*, mentorship: Mentorship, user: User) -> None:
    """Take someone who left a group out of its meetings; the others' stay as they are.

    Called by mentorships.services (group_leave, group_member_remove) inside their
    transaction, with the mentorship row locked and the person's GroupMember row already
    left. Their pending reminders of the group's meetings are cancelled and their open
    proposals withdrawn now; on commit each active series of the group is cancelled in
    their calendar (METHOD:CANCEL with a raised SEQUENCE, addressed to them alone). From
    then on the group's meetings are neither in their feed nor busy time for them.
    Nobody else is notified and nobody else's invitation or reminder changes.
    """
    series_list = list(
        MeetingSeries.objects.filter(mentorship_id=mentorship.pk)
        .order_by("pk")
        .only("pk", "status")
    )
    for series in series_list:
        # Keys end in ":{person}:{minutes}", so this touches only their own reminders.
        reminders_cancel(key_prefix=f"{MEETING_KEY_PREFIX}{series.pk}:", recipient=user)
    now = timezone.now()
    MeetingProposal.objects.filter(
        mentorship_id=mentorship.pk, proposer_id=user.pk, status=ProposalStatus.OPEN
    ).update(status=ProposalStatus.WITHDRAWN, decided_at=now, updated_at=now)
    active = [series.pk for series in series_list if series.is_active]
    if not active:
        return
    # A cancellation must be newer than the invitation their calendar holds.
    MeetingSeries.objects.filter(pk__in=active).update(sequence=F("sequence") + 1, updated_at=now)
    user_pk = user.pk

    def after_commit() -> None:
        leaver = User.objects.select_related("profile").get(pk=user_pk)
        for series_pk in active:
            try:
                _send_cancellation_to(series_pk, leaver)
            except Exception:  # an unreachable mail server must not stop the others
                logger.exception("Cancelling series %s for user %s failed", series_pk, user_pk)

    transaction.on_commit(after_commit)


def _send_cancellation_to(series_pk: int, person: User) -> None:
    """Email person a METHOD:CANCEL of the whole series, naming them as the attendee."""
    invitation_send = _invitation_sender()
    if invitation_send is None:
        return
    from trellis.calendars.ics import Attendee

    fresh = selectors.series_for_system(series_pk=series_pk)
    event = replace(
        selectors.calendar_event_for(fresh),
        attendees=(Attendee(selectors.display_name(person), person.email, "ACCEPTED"),),
    )
    invitation_send(
        event=event,
        method="CANCEL",
        recipients=[person],
        note=f"You are no longer in {selectors.group_name(fresh.mentorship)}, so its "
        "meetings leave your calendar.",
    )


def meetings_participant_joined(*, mentorship: Mentorship, user: User) -> None:
    """Bring someone who joined a group into its meetings: invitations and reminders.

    For mentorships.services to call inside its transaction once the GroupMember row is
    saved. On commit each active series of the group is sent to them (METHOD:REQUEST,
    to them alone) and its reminders are brought up to date, which schedules theirs;
    nobody else hears of it.
    """
    active = list(
        MeetingSeries.objects.filter(
            mentorship_id=mentorship.pk, status=SeriesStatus.ACTIVE
        ).values_list("pk", flat=True)
    )
    if not active:
        return
    user_pk = user.pk

    def after_commit() -> None:
        newcomer = User.objects.select_related("profile").get(pk=user_pk)
        invitation_send = _invitation_sender()
        now = timezone.now()
        for series_pk in active:
            try:
                if invitation_send is not None:
                    fresh = selectors.series_for_system(series_pk=series_pk)
                    invitation_send(
                        event=selectors.calendar_event_for(fresh),
                        method="REQUEST",
                        recipients=[newcomer],
                    )
                _series_reminders_sync(series_pk=series_pk, now=now, horizon=REMINDER_HORIZON)
            except Exception:
                logger.exception("Inviting user %s to series %s failed", user_pk, series_pk)

    transaction.on_commit(after_commit)


# The reminder sweep ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderTopUp:
    scheduled: int = 0  # new reminders, and pending ones moved to a meeting's new time
    cancelled: int = 0  # pending reminders that no longer match a meeting


def _occurrence_of(key: str) -> str:
    """``meeting:{series}:{recurrence_id}`` of a meeting reminder's key."""
    return key.rsplit(":", 2)[0]


def _series_pk_of(key: str) -> int | None:
    parts = key.split(":")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None


def _reminder_changes(
    series: MeetingSeries,
    pending: list[Reminder],
    now: dt.datetime,
    horizon: dt.timedelta,
    offsets_by_user: Mapping[int, tuple[dt.timedelta, ...]] | None = None,
) -> tuple[list[PlannedReminder], list[str]]:
    """What an active series' reminders lack: plans to schedule, and pending keys to cancel.

    Every occurrence starting within the horizon gets its reminders; pending reminders
    beyond it (booking reminds the next few occurrences) stay while they still match an
    occurrence, move with a moved one and are cancelled with a cancelled one. An
    occurrence that has reminders gets all its planned ones, so a person who changes
    their offsets (or turns reminders back on) is reminded of it at the new ones, and
    reminders at offsets nobody wants any more are cancelled.
    """
    latest = max((reminder.fire_at for reminder in pending), default=now)
    end = max(now + horizon, latest + LONGEST_REMINDER_OFFSET + dt.timedelta(minutes=1))
    planned = {
        plan.key: plan
        for plan in _planned_reminders(
            series, selectors.expand([series], start=now, end=end), now, offsets_by_user
        )
    }
    current = {reminder.key: reminder for reminder in pending}
    reminded = {_occurrence_of(key) for key in current}
    to_schedule = [
        plan
        for key, plan in planned.items()
        if (key in current and plan.differs_from(current[key]))
        or (
            key not in current
            and (plan.occurrence_start < now + horizon or _occurrence_of(key) in reminded)
        )
    ]
    stale = [key for key in current if key not in planned]
    return to_schedule, stale


@transaction.atomic
def _series_reminders_sync(
    *, series_pk: int, now: dt.datetime, horizon: dt.timedelta
) -> ReminderTopUp:
    """Bring one series' reminders up to date under its row lock.

    The services change a series under the same lock, so the sweep never schedules from a
    version of the series that a concurrent change has just replaced.
    """
    prefix = f"{MEETING_KEY_PREFIX}{series_pk}:"
    is_there = bool(
        list(MeetingSeries.objects.select_for_update().filter(pk=series_pk).values_list("pk"))
    )
    fresh = selectors.series_for_system(series_pk=series_pk) if is_there else None
    if fresh is None or not fresh.is_active or fresh.mentorship.status not in ONGOING_STATUSES:
        return ReminderTopUp(cancelled=reminders_cancel(key_prefix=prefix))
    pending = reminders_pending(key_prefix=prefix, fire_after=now)
    to_schedule, stale = _reminder_changes(fresh, pending, now, horizon)
    cancelled = reminders_cancel_keys(keys=stale)
    for plan in to_schedule:
        _schedule_reminder(plan)
    return ReminderTopUp(scheduled=len(to_schedule), cancelled=cancelled)


def meeting_reminders_top_up(
    *, now: dt.datetime | None = None, horizon: dt.timedelta = REMINDER_HORIZON
) -> ReminderTopUp:
    """Make every meeting of the next ``horizon`` reminded, and no other; idempotent.

    Active series of ongoing mentorships get the reminders of each occurrence starting
    within the horizon (open-ended series are reminded past the few that booking
    schedules); a pending reminder matching no occurrence any more (a cancelled or moved
    occurrence, a cancelled series, an ended mentorship) is cancelled. A re-run finds
    nothing to do and writes nothing, in a fixed number of queries. Run it daily
    (``manage.py meetings_remind``); overdue reminders are ``reminders_send_due``'s job.
    """
    now = now or timezone.now()
    pending_by_series: dict[int, list[Reminder]] = defaultdict(list)
    for reminder in reminders_pending(key_prefix=MEETING_KEY_PREFIX, fire_after=now):
        series_pk = _series_pk_of(reminder.key)
        if series_pk is not None:
            pending_by_series[series_pk].append(reminder)
    scheduled = cancelled = 0
    remindable: set[int] = set()
    after_pk = 0
    while batch := selectors.series_for_reminders(after_pk=after_pk):
        after_pk = batch[-1].pk
        offsets_by_user = reminder_offsets_for_users(  # one query per batch, not per series
            user_ids=[pk for series in batch for pk in _people_ids(series)]
        )
        for series in batch:
            remindable.add(series.pk)
            to_schedule, stale = _reminder_changes(
                series, pending_by_series.get(series.pk, []), now, horizon, offsets_by_user
            )
            if not to_schedule and not stale:
                continue
            try:
                result = _series_reminders_sync(series_pk=series.pk, now=now, horizon=horizon)
            except Exception:  # one broken series must not stop the others' reminders
                logger.exception("Topping up the reminders of series %s failed", series.pk)
                continue
            scheduled += result.scheduled
            cancelled += result.cancelled
    for series_pk in sorted(pending_by_series.keys() - remindable):
        result = _series_reminders_sync(series_pk=series_pk, now=now, horizon=horizon)
        scheduled += result.scheduled
        cancelled += result.cancelled
    return ReminderTopUp(scheduled=scheduled, cancelled=cancelled)


def _people_ids(series: MeetingSeries) -> list[int]:
    return series.mentorship.participant_ids()


def meeting_reminders_replan(
    *, user: User, now: dt.datetime | None = None, horizon: dt.timedelta = REMINDER_HORIZON
) -> ReminderTopUp:
    """Re-plan the meeting reminders of a person who changed when they want reminding.

    Each series they take part in is brought up to date as the sweep does it: pending
    reminders at offsets they no longer want are cancelled, the new ones scheduled for
    every occurrence that had reminders or starts within the horizon, none in the past.
    notifications.services.reminder_preference_update queues it (as a task) on commit.
    """
    now = now or timezone.now()
    scheduled = cancelled = 0
    for series in selectors.series_of_users(user_ids=[user.pk]):
        try:
            result = _series_reminders_sync(series_pk=series.pk, now=now, horizon=horizon)
        except Exception:  # one broken series must not keep the others on the old offsets
            logger.exception("Re-planning the reminders of series %s failed", series.pk)
            continue
        scheduled += result.scheduled
        cancelled += result.cancelled
    return ReminderTopUp(scheduled=scheduled, cancelled=cancelled)

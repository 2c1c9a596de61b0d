"""REST endpoints for finding a time, proposals and meetings (mounted at /api/v1/).

The pair (or a group's mentor and current members) arrange meetings; in a group only the
mentor books, answers proposals and changes meetings, members propose times to the
mentor. The program's managers (and staff) may read times and status, never notes
(private notes are their author's alone). A member who left a group is an outsider (404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from trellis.accounts.models import User
from trellis.core.errors import PermissionDeniedError
from trellis.scheduling import selectors, services
from trellis.scheduling.models import MeetingProposal
from trellis.scheduling.recurrence import Frequency

router = Router(tags=["scheduling"])
MAX_WINDOW = dt.timedelta(days=120)


class LocalTimeOut(Schema):
    start: dt.datetime
    end: dt.datetime
    time_zone: str


class PersonTimeOut(LocalTimeOut):
    user_id: int
    name: str


class SlotOut(Schema):
    start: dt.datetime = Field(description="UTC start.")
    end: dt.datetime
    is_within_contact_hours: bool = Field(description="Inside everyone's contact hours.")
    yours: LocalTimeOut
    partners: LocalTimeOut | None = Field(
        description="A pair's partner's local time; null for a group (see others)."
    )
    others: list[PersonTimeOut] = Field(
        description="Everyone else's local time: the partner, or the group's other people."
    )


class SlotSearchOut(Schema):
    outcome: str
    reason: str | None
    slots: list[SlotOut]


class ProposalIn(Schema):
    options: list[dt.datetime] = Field(description="One to three UTC starts from /slots.")
    duration_minutes: int = 60
    agenda: str = ""


class BookIn(Schema):
    start: dt.datetime = Field(description="A UTC start from /slots.")
    duration_minutes: int = 60
    frequency: Frequency = Frequency.ONCE
    count: int | None = None
    until: dt.date | None = None
    agenda: str = ""


class AcceptIn(Schema):
    start: dt.datetime
    frequency: Frequency = Frequency.ONCE


class CounterIn(Schema):
    options: list[dt.datetime]


class ProposalOut(Schema):
    id: int
    proposer_id: int
    duration_minutes: int
    options: list[dt.datetime]
    agenda: str
    status: str
    chosen_start: dt.datetime | None
    series_id: int | None
    counter_of_id: int | None


class MeetingOut(Schema):
    series_id: int
    recurrence_id: str
    start: dt.datetime = Field(description="UTC start.")
    end: dt.datetime
    local_start: dt.datetime = Field(description="In the viewer's zone.")
    local_end: dt.datetime
    time_zone: str = Field(description="The viewer's zone.")
    series_time_zone: str
    is_moved: bool
    is_recurring: bool
    modality: str
    status: str


class RescheduleIn(Schema):
    start: dt.datetime
    duration_minutes: int | None = None


class RescheduleFollowingIn(Schema):
    start: dt.datetime | None = Field(
        None,
        description="The chosen meeting's new start, with its offset; the following meetings "
        "keep that wall time in the series' zone, on their own days.",
    )
    duration_minutes: int | None = None


class SeriesIdOut(Schema):
    series_id: int = Field(description="The series that holds the moved meetings.")


class LogIn(Schema):
    outcome: str
    minutes: int | None = None
    shared_notes: str = ""
    next_steps: str = ""
    private_note: str | None = None


class LogOut(Schema):
    series_id: int
    recurrence_id: str
    outcome: str
    minutes: int | None
    shared_notes: str | None = Field(description="Only for the pair or the group's people.")
    next_steps: str | None = Field(description="Only for the pair or the group's people.")
    private_note: str | None = Field(description="Only your own.")


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _mentorship(request: HttpRequest, mentorship_id: int) -> Any:
    return selectors.mentorship_for_scheduling(mentorship_id=mentorship_id, user=_user(request))


def _pair_mentorship(request: HttpRequest, mentorship_id: int) -> Any:
    mentorship = _mentorship(request, mentorship_id)
    if not selectors.is_participant(mentorship=mentorship, user=_user(request)):
        if mentorship.is_group:
            raise PermissionDeniedError("Only the group's mentor and members find times to meet.")
        raise PermissionDeniedError("Only the mentor and the mentee find times to meet.")
    return mentorship


def _proposal_out(proposal: MeetingProposal) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "proposer_id": proposal.proposer_id,
        "duration_minutes": proposal.duration_minutes,
        "options": proposal.option_starts(),
        "agenda": proposal.agenda,
        "status": proposal.status,
        "chosen_start": proposal.chosen_start,
        "series_id": proposal.series_id,
        "counter_of_id": proposal.counter_of_id,
    }


@router.get(
    "/mentorships/{mentorship_id}/slots",
    response=SlotSearchOut,
    summary="Common free slots of the pair or group, ranked, or why there are none",
)
def slots(
    request: HttpRequest, mentorship_id: int, duration_minutes: int = 60, weeks: int = 3
) -> dict[str, Any]:
    mentorship = _pair_mentorship(request, mentorship_id)
    user = _user(request)
    minutes = max(5, min(duration_minutes, 8 * 60))
    search = selectors.find_times(
        mentorship=mentorship, viewer=user, duration=dt.timedelta(minutes=minutes), weeks=weeks
    )
    others = [
        (person, selectors.user_zone(person)) for person in selectors.others_of(mentorship, user)
    ]
    own_zone = selectors.user_zone(user)
    slots_out = []
    for slot in search.slots[:100]:
        times = [
            {
                "user_id": person.pk,
                "name": selectors.display_name(person),
                "start": span.start,
                "end": span.end,
                "time_zone": zone,
            }
            for (person, zone), span in zip(others, slot.for_others, strict=True)
        ]
        slots_out.append(
            {
                "start": slot.start,
                "end": slot.end,
                "is_within_contact_hours": slot.is_within_contact_hours,
                "yours": {"start": slot.for_a.start, "end": slot.for_a.end, "time_zone": own_zone},
                "partners": None if mentorship.is_group else times[0],
                "others": times,
            }
        )
    return {"outcome": search.outcome, "reason": search.reason, "slots": slots_out}


@router.get(
    "/mentorships/{mentorship_id}/meeting-proposals",
    response=list[ProposalOut],
    summary="The pair's or group's recent proposals",
)
def proposal_list(request: HttpRequest, mentorship_id: int) -> list[dict[str, Any]]:
    mentorship = _mentorship(request, mentorship_id)
    return [_proposal_out(p) for p in selectors.proposals_for(mentorship=mentorship)]


@router.post(
    "/mentorships/{mentorship_id}/meeting-proposals",
    response={201: ProposalOut},
    summary="Propose one to three times",
)
def proposal_create(request: HttpRequest, mentorship_id: int, payload: ProposalIn) -> Status[Any]:
    mentorship = _mentorship(request, mentorship_id)
    proposal = services.proposal_create(
        mentorship=mentorship,
        by=_user(request),
        options=payload.options,
        duration_minutes=payload.duration_minutes,
        agenda=payload.agenda,
    )
    return Status(201, _proposal_out(proposal))


@router.post(
    "/meeting-proposals/{proposal_id}/accept",
    response=MeetingOut,
    summary="Accept one offered time (once, weekly, every two weeks or monthly)",
)
def proposal_accept(request: HttpRequest, proposal_id: int, payload: AcceptIn) -> dict[str, Any]:
    user = _user(request)
    proposal = selectors.proposal_for(proposal_id=proposal_id, user=user)
    series = services.proposal_accept(
        proposal=proposal, by=user, start=payload.start, frequency=payload.frequency
    )
    now = timezone.now()
    first = selectors.expand(
        [selectors.series_for_system(series_pk=series.pk)], start=now, end=now + MAX_WINDOW
    )[0]
    return _meeting_out(first, selectors.user_zone(user))


@router.post(
    "/meeting-proposals/{proposal_id}/counter",
    response={201: ProposalOut},
    summary="Answer with other times",
)
def proposal_counter(request: HttpRequest, proposal_id: int, payload: CounterIn) -> Status[Any]:
    user = _user(request)
    proposal = selectors.proposal_for(proposal_id=proposal_id, user=user)
    counter = services.proposal_counter(proposal=proposal, by=user, options=payload.options)
    return Status(201, _proposal_out(counter))


def _meeting_out(item: selectors.MeetingOccurrence, zone_name: str) -> dict[str, Any]:
    zone = ZoneInfo(zone_name)
    return {
        "series_id": item.series.pk,
        "recurrence_id": item.recurrence_id,
        "start": item.start,
        "end": item.end,
        "local_start": item.start.astimezone(zone),
        "local_end": item.end.astimezone(zone),
        "time_zone": zone_name,
        "series_time_zone": item.series.time_zone,
        "is_moved": item.occurrence.is_moved,
        "is_recurring": item.series.is_recurring,
        "modality": item.series.modality,
        "status": item.series.status,
    }


@router.post(
    "/mentorships/{mentorship_id}/meetings",
    response={201: MeetingOut},
    summary="Book a found time, once or repeating (in a group: its mentor, for everyone)",
)
def meeting_book(request: HttpRequest, mentorship_id: int, payload: BookIn) -> Status[Any]:
    user = _user(request)
    series = services.series_book(
        mentorship=_mentorship(request, mentorship_id),
        by=user,
        start=payload.start,
        duration_minutes=payload.duration_minutes,
        frequency=payload.frequency,
        count=payload.count,
        until=payload.until,
        agenda=payload.agenda,
    )
    now = timezone.now()
    first = selectors.expand(
        [selectors.series_for_system(series_pk=series.pk)], start=now, end=now + MAX_WINDOW
    )[0]
    return Status(201, _meeting_out(first, selectors.user_zone(user)))


@router.get(
    "/mentorships/{mentorship_id}/meetings",
    response=list[MeetingOut],
    summary="The pair's or group's meetings in a window, in UTC and the viewer's local time",
)
def meeting_list(
    request: HttpRequest,
    mentorship_id: int,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    mentorship = _mentorship(request, mentorship_id)
    window_start = start or timezone.now()
    if window_start.tzinfo is None:
        window_start = window_start.replace(tzinfo=dt.UTC)
    window_end = end or window_start + dt.timedelta(days=42)
    if window_end.tzinfo is None:
        window_end = window_end.replace(tzinfo=dt.UTC)
    window_end = min(window_end, window_start + MAX_WINDOW)
    zone = selectors.user_zone(_user(request))
    return [
        _meeting_out(item, zone)
        for item in selectors.meetings_for_mentorship(
            mentorship=mentorship, start=window_start, end=window_end
        )
    ]


def _series(request: HttpRequest, series_id: int) -> Any:
    return selectors.series_for(series_id=series_id, user=_user(request))


@router.post(
    "/meetings/{series_id}/occurrences/{recurrence_id}/reschedule",
    response={204: None},
    summary="Move one meeting",
)
def occurrence_reschedule(
    request: HttpRequest, series_id: int, recurrence_id: str, payload: RescheduleIn
) -> Status[None]:
    services.occurrence_reschedule(
        series=_series(request, series_id),
        recurrence_id=recurrence_id,
        by=_user(request),
        start=payload.start,
        duration_minutes=payload.duration_minutes,
    )
    return Status(204, None)


@router.post(
    "/meetings/{series_id}/occurrences/{recurrence_id}/reschedule-following",
    response=SeriesIdOut,
    summary="Move this and the following meetings to a new time and/or length",
)
def series_split_reschedule(
    request: HttpRequest, series_id: int, recurrence_id: str, payload: RescheduleFollowingIn
) -> dict[str, Any]:
    moved = services.series_split_reschedule(
        series=_series(request, series_id),
        recurrence_id=recurrence_id,
        by=_user(request),
        start=payload.start,
        duration_minutes=payload.duration_minutes,
    )
    return {"series_id": moved.pk}


@router.post(
    "/meetings/{series_id}/occurrences/{recurrence_id}/cancel",
    response={204: None},
    summary="Cancel one meeting",
)
def occurrence_cancel(request: HttpRequest, series_id: int, recurrence_id: str) -> Status[None]:
    services.occurrence_cancel(
        series=_series(request, series_id), recurrence_id=recurrence_id, by=_user(request)
    )
    return Status(204, None)


@router.post(
    "/meetings/{series_id}/occurrences/{recurrence_id}/cancel-rest",
    response={204: None},
    summary="Cancel this and the following meetings",
)
def series_cancel_rest(request: HttpRequest, series_id: int, recurrence_id: str) -> Status[None]:
    services.series_cancel_rest(
        series=_series(request, series_id), recurrence_id=recurrence_id, by=_user(request)
    )
    return Status(204, None)


@router.get(
    "/mentorships/{mentorship_id}/meeting-logs",
    response=list[LogOut],
    summary="Meeting logs (managers: outcome and length only)",
)
def log_list(request: HttpRequest, mentorship_id: int) -> list[dict[str, Any]]:
    mentorship = _mentorship(request, mentorship_id)
    return [
        {
            "series_id": view.log.series_id,
            "recurrence_id": view.log.recurrence_id,
            "outcome": view.log.outcome,
            "minutes": view.log.minutes,
            "shared_notes": view.shared_notes,
            "next_steps": view.next_steps,
            "private_note": view.private_note,
        }
        for view in selectors.logs_for(mentorship=mentorship, user=_user(request))
    ]


@router.put(
    "/meetings/{series_id}/occurrences/{recurrence_id}/log",
    response={204: None},
    summary="Write the log of a meeting that took place",
)
def log_write(
    request: HttpRequest, series_id: int, recurrence_id: str, payload: LogIn
) -> Status[None]:
    services.log_write(
        series=_series(request, series_id),
        recurrence_id=recurrence_id,
        by=_user(request),
        **payload.dict(),
    )
    return Status(204, None)

"""REST endpoints for events, RSVPs and sharing (mounted at /api/v1/).

A program's approved participants, managers and staff read its events, post new ones and
answer them; anyone else gets 404. The event's creator and the program's managers change
or cancel it and read who answered (403 for the other readers). Bad input is 422 with
field errors.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from trellis.accounts.models import User
from trellis.core.errors import PermissionDeniedError, ValidationError
from trellis.events import ics, selectors, services
from trellis.events.models import RSVP, Event, RSVPStatus
from trellis.messaging.formatting import render_markdown
from trellis.messaging.models import Message

router = Router(tags=["events"])


class EventOut(Schema):
    id: int
    program: str = Field(description="The program's slug.")
    title: str
    description: str = Field(description="Markdown.")
    description_html: str = Field(description="The description rendered, sanitized.")
    starts_at: dt.datetime
    ends_at: dt.datetime
    time_zone: str = Field(description="The IANA zone it is planned in.")
    place: str
    online_url: str
    capacity: int | None = Field(description="Null: no limit.")
    going_count: int
    waiting_count: int
    places_left: int | None = Field(description="Null: no limit.")
    is_cancelled: bool
    cancelled_at: dt.datetime | None
    sequence: int
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    my_status: str | None = Field(description="going, waiting, cancelled, or null.")
    can_edit: bool
    url: str
    ics_url: str


class EventIn(Schema):
    title: str = ""
    description: str = ""
    starts_at: dt.datetime
    ends_at: dt.datetime
    time_zone: str = Field("", description="An IANA zone; yours when empty.")
    place: str = ""
    online_url: str = Field("", description="A https:// link to join online.")
    capacity: int | None = Field(None, description="Places; null for no limit.")


class EventPatch(Schema):
    title: str | None = None
    description: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    time_zone: str | None = None
    place: str | None = None
    online_url: str | None = None
    capacity: int | None = Field(None, description="Null (sent) removes the limit.")


class RSVPOut(Schema):
    event_id: int
    user_id: int
    user_name: str
    status: str
    waiting_position: int | None = Field(description="1 first; null unless waiting.")
    created_at: dt.datetime
    queued_at: dt.datetime
    updated_at: dt.datetime


class ShareIn(Schema):
    mentorship_id: int
    note: str = ""
    client_key: str = Field("", description="Makes a retry post nothing new; any when empty.")


class ShareOut(Schema):
    message_id: int
    conversation_id: int
    seq: int


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _event_out(event: Event, user: User, role: str) -> dict[str, Any]:
    return {
        "id": event.pk,
        "program": event.program.slug,
        "title": event.title,
        "description": event.description,
        "description_html": render_markdown(event.description) if event.description else "",
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "time_zone": event.time_zone,
        "place": event.place,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "going_count": getattr(event, "going_count", 0),
        "waiting_count": getattr(event, "waiting_count", 0),
        "places_left": selectors.places_left(event),
        "is_cancelled": event.is_cancelled,
        "cancelled_at": event.cancelled_at,
        "sequence": event.sequence,
        "created_by_id": event.created_by_id,
        "created_at": event.created_at,
        "updated_at": event.updated_at,
        "my_status": getattr(event, "my_status", None),
        "can_edit": selectors.may_edit(event=event, user=user, role=role),
        "url": services.event_url(event),
        "ics_url": f"/api/v1/events/{event.pk}/event.ics",
    }


def _rsvp_out(rsvp: RSVP, position: int | None) -> dict[str, Any]:
    return {
        "event_id": rsvp.event_id,
        "user_id": rsvp.user_id,
        "user_name": str(rsvp.user.display_name or ""),
        "status": rsvp.status,
        "waiting_position": position if rsvp.status == RSVPStatus.WAITING else None,
        "created_at": rsvp.created_at,
        "queued_at": rsvp.queued_at,
        "updated_at": rsvp.updated_at,
    }


def _event(request: HttpRequest, event_id: int) -> tuple[Event, str]:
    return selectors.event_for(event_id=event_id, user=_user(request))


def _fresh(request: HttpRequest, event_id: int) -> dict[str, Any]:
    event, role = _event(request, event_id)
    return _event_out(event, _user(request), role)


def _editable(request: HttpRequest, event_id: int) -> Event:
    """The event if the user may change it; 404 for outsiders, 403 for other readers."""
    event, role = _event(request, event_id)
    if not selectors.may_edit(event=event, user=_user(request), role=role):
        raise PermissionDeniedError(services.EDITORS_ONLY)
    return event


# Events -------------------------------------------------------------------------------------


@router.get(
    "/programs/{slug}/events",
    response=list[EventOut],
    summary="The program's upcoming events, soonest first (past=true: past ones, latest first)",
)
def event_list(request: HttpRequest, slug: str, past: bool = False) -> list[dict[str, Any]]:
    user = _user(request)
    program, role = selectors.program_for_events(slug=slug, user=user)
    events = selectors.events_for_program(program=program, user=user, past=past)
    return [_event_out(event, user, role) for event in events]


@router.post(
    "/programs/{slug}/events",
    response={201: EventOut},
    summary="Post an event in the program (its participants and managers)",
)
def event_create(request: HttpRequest, slug: str, payload: EventIn) -> Status[Any]:
    user = _user(request)
    program, _role = selectors.program_for_events(slug=slug, user=user)
    event = services.event_create(program=program, by=user, **payload.model_dump())
    return Status(201, _fresh(request, event.pk))


@router.get("/events/{event_id}", response=EventOut, summary="One event with its places")
def event_detail(request: HttpRequest, event_id: int) -> dict[str, Any]:
    return _fresh(request, event_id)


@router.patch(
    "/events/{event_id}",
    response=EventOut,
    summary="Change an event (its organiser and the program's managers)",
)
def event_update(request: HttpRequest, event_id: int, payload: EventPatch) -> dict[str, Any]:
    event = _editable(request, event_id)
    data = payload.model_dump(exclude_unset=True)
    for field, value in data.items():
        if value is None and field != "capacity":
            raise ValidationError({field: "Give a value (it cannot be null)."})
    services.event_update(event=event, by=_user(request), data=data)
    return _fresh(request, event_id)


@router.post(
    "/events/{event_id}/cancel",
    response=EventOut,
    summary="Cancel an event; everyone who answered is told",
)
def event_cancel(request: HttpRequest, event_id: int) -> dict[str, Any]:
    event = _editable(request, event_id)
    services.event_cancel(event=event, by=_user(request))
    return _fresh(request, event_id)


@router.get(
    "/events/{event_id}/event.ics",
    response={200: None},
    summary="The event as an iCalendar file (text/calendar)",
)
def event_ics(request: HttpRequest, event_id: int) -> HttpResponse:
    event, _role = _event(request, event_id)
    response = HttpResponse(ics.event_ics(event), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ics.ics_filename(event)}"'
    return response


# RSVPs --------------------------------------------------------------------------------------


@router.post(
    "/events/{event_id}/rsvp",
    response=RSVPOut,
    summary="Say you are going: a place if one is free, else the end of the waiting list",
)
def rsvp_attend(request: HttpRequest, event_id: int) -> dict[str, Any]:
    user = _user(request)
    event, _role = _event(request, event_id)
    answer = services.rsvp_attend(event=event, by=user)
    answer.user = user
    return _rsvp_out(answer, selectors.waiting_position(event=event, user=user))


@router.delete(
    "/events/{event_id}/rsvp",
    response=RSVPOut,
    summary="Give up your place (or place in line); the first in line takes a freed place",
)
def rsvp_cancel(request: HttpRequest, event_id: int) -> dict[str, Any]:
    user = _user(request)
    event, _role = _event(request, event_id)
    answer = services.rsvp_cancel(event=event, by=user)
    answer.user = user
    return _rsvp_out(answer, None)


@router.get(
    "/events/{event_id}/rsvps",
    response=list[RSVPOut],
    summary="Who is going, then who waits in line (the organiser and the program's managers)",
)
def rsvp_list(request: HttpRequest, event_id: int) -> list[dict[str, Any]]:
    event = _editable(request, event_id)
    attendance = selectors.attendance_for(event=event)
    going = [_rsvp_out(rsvp, None) for rsvp in attendance.going]
    waiting = [_rsvp_out(rsvp, number) for number, rsvp in enumerate(attendance.waiting, start=1)]
    return going + waiting


# Sharing ------------------------------------------------------------------------------------


@router.post(
    "/events/{event_id}/share",
    response={201: ShareOut},
    summary="Post the event as a card into one of your mentorship conversations",
)
def event_share(request: HttpRequest, event_id: int, payload: ShareIn) -> Status[Any]:
    user = _user(request)
    event, _role = _event(request, event_id)
    mentorship = next(
        (
            candidate
            for candidate in selectors.share_targets(program=event.program, user=user)
            if candidate.pk == payload.mentorship_id
        ),
        None,
    )
    if mentorship is None:
        raise ValidationError({"mentorship_id": "Pick one of your mentorships in this program."})
    message: Message = services.event_share(
        event=event,
        by=user,
        mentorship=mentorship,
        client_key=payload.client_key or uuid.uuid4().hex,
        note=payload.note,
    )
    return Status(
        201,
        {"message_id": message.pk, "conversation_id": message.conversation_id, "seq": message.seq},
    )

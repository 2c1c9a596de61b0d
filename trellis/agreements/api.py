"""REST endpoints for communication agreements (mounted at /api/v1/).

The current participants (a pair, or a group's mentor and current members) read every
current part and write their own and the shared part; the program's managers and staff
read the status and who confirmed only (no hours, handles or aims); everyone else, a
member who left a group included, gets 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.http import HttpRequest
from ninja import Field, Router, Schema

from trellis.accounts.models import User
from trellis.agreements import selectors, services
from trellis.agreements.models import Agreement, AgreementPart
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.mentorships.models import Mentorship
from trellis.mentorships.selectors import mentorship_detail, mentorship_role

router = Router(tags=["agreements"])


class PersonOut(Schema):
    user_id: int
    display_name: str


class PartOut(Schema):
    user_id: int
    display_name: str
    is_mentor: bool
    has_confirmed: bool
    confirmed_at: dt.datetime | None
    # The fields below are empty (null) for managers and staff.
    modes: list[str] | None = None
    time_zone: str | None = None
    contact_weekdays: list[int] | None = None
    contact_hours_start: dt.time | None = None
    contact_hours_end: dt.time | None = None
    quiet_hours_start: dt.time | None = None
    quiet_hours_end: dt.time | None = None
    handle_kind: str | None = Field(
        default=None, description="Only to the mentorship's current participants."
    )
    handle: str | None = Field(
        default=None, description="Only to the mentorship's current participants."
    )


class AgreementOut(Schema):
    mentorship_id: int
    status: str = Field(description="draft, waiting, agreed or revised.")
    revision: int
    agreed_at: dt.datetime | None
    is_group: bool
    parts: list[PartOut] = Field(
        description="One per current participant: the mentor first, then the mentee or members."
    )
    waiting_for: list[PersonOut] = Field(
        description="Current participants who have not confirmed the current revision."
    )
    # Null for managers and staff.
    meeting_cadence: str | None = None
    meeting_length_minutes: int | None = None
    is_first_meeting_in_person: bool | None = None
    aims: str | None = Field(default=None, description="Sanitized HTML.")


class PartIn(Schema):
    modes: list[str] | None = None
    time_zone: str | None = None
    contact_weekdays: list[int] | None = None
    contact_hours_start: dt.time | None = None
    contact_hours_end: dt.time | None = None
    quiet_hours_start: dt.time | None = None
    quiet_hours_end: dt.time | None = None
    handle_kind: str | None = None
    handle: str | None = None


class SharedIn(Schema):
    meeting_cadence: str | None = None
    meeting_length_minutes: int | None = None
    is_first_meeting_in_person: bool | None = None
    aims: str | None = None


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _mentorship(request: HttpRequest, mentorship_id: int) -> Mentorship:
    """The mentorship if the user may see its agreement; a member who left may not."""
    user = _user(request)
    mentorship = mentorship_detail(mentorship_id=mentorship_id, user=user)
    if not selectors.agreement_can_view(mentorship=mentorship, user=user):
        raise NotFoundError("No such mentorship.")
    return mentorship


def _part_out(part: AgreementPart, *, mentor_id: int, is_participant: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "user_id": part.user_id,
        "display_name": part.user.display_name,
        "is_mentor": part.user_id == mentor_id,
        "has_confirmed": part.has_confirmed,
        "confirmed_at": part.confirmed_at,
    }
    if is_participant:
        # Handles included: every current participant sees the others' (the rule of
        # selectors.handles_visible_to), and agreement_parts holds only current ones.
        out.update({field: getattr(part, field) for field in services.PART_FIELDS})
    return out


def _agreement_out(agreement: Agreement, viewer: User) -> dict[str, Any]:
    mentorship = agreement.mentorship
    is_participant = selectors.agreement_can_see_private(mentorship=mentorship, user=viewer)
    out: dict[str, Any] = {
        "mentorship_id": mentorship.pk,
        "status": selectors.agreement_status(agreement),
        "revision": agreement.revision,
        "agreed_at": agreement.agreed_at,
        "is_group": mentorship.is_group,
        "parts": [
            _part_out(part, mentor_id=mentorship.mentor_id, is_participant=is_participant)
            for part in selectors.agreement_parts(agreement)
        ],
        "waiting_for": [
            {"user_id": person.pk, "display_name": person.display_name}
            for person in selectors.agreement_waiting_for(agreement)
        ],
    }
    if is_participant:
        out.update({field: getattr(agreement, field) for field in services.SHARED_FIELDS})
    return out


def _agreement(mentorship: Mentorship, viewer: User) -> Agreement:
    """The agreement; a current participant's first look makes it (or their own part)."""
    agreement = selectors.agreement_for(mentorship=mentorship)
    is_participant = mentorship_role(mentorship=mentorship, user=viewer) in ("mentor", "mentee")
    if agreement is None:
        if not is_participant:
            raise NotFoundError(
                "The group has not started its agreement yet."
                if mentorship.is_group
                else "The pair have not started their agreement yet."
            )
        if not mentorship.is_ongoing:
            raise NotFoundError("This mentorship has no agreement.")
    needs_parts = agreement is None or selectors.agreement_missing_participant_ids(agreement)
    if is_participant and mentorship.is_ongoing and needs_parts:
        services.agreement_get_or_create(mentorship)
        agreement = selectors.agreement_for(mentorship=mentorship)
    assert agreement is not None  # noqa: S101 - created just above
    return agreement


def _reloaded(mentorship: Mentorship, viewer: User) -> dict[str, Any]:
    return _agreement_out(_agreement(mentorship, viewer), viewer)


def _require_participant(mentorship: Mentorship, viewer: User) -> None:
    if mentorship_role(mentorship=mentorship, user=viewer) not in ("mentor", "mentee"):
        who = "the group" if mentorship.is_group else "the pair"
        raise PermissionDeniedError(f"Only {who} can change their agreement.")


@router.get(
    "/mentorships/{mentorship_id}/agreement",
    response=AgreementOut,
    summary="The agreement of a pair or group (managers and staff: the status only)",
)
def agreement_get(request: HttpRequest, mentorship_id: int) -> dict[str, Any]:
    user = _user(request)
    return _reloaded(_mentorship(request, mentorship_id), user)


@router.patch(
    "/mentorships/{mentorship_id}/agreement/part",
    response=AgreementOut,
    summary="Change your own part (the mentor, the mentee or a current member)",
)
def agreement_part_update(request: HttpRequest, mentorship_id: int, payload: PartIn) -> Any:
    user = _user(request)
    mentorship = _mentorship(request, mentorship_id)
    _require_participant(mentorship, user)
    services.agreement_update_part(
        agreement=services.agreement_get_or_create(mentorship),
        by=user,
        **payload.dict(exclude_unset=True),
    )
    return _reloaded(mentorship, user)


@router.patch(
    "/mentorships/{mentorship_id}/agreement",
    response=AgreementOut,
    summary="Change the shared part: cadence, length, first meeting, aims (the participants)",
)
def agreement_shared_update(request: HttpRequest, mentorship_id: int, payload: SharedIn) -> Any:
    user = _user(request)
    mentorship = _mentorship(request, mentorship_id)
    _require_participant(mentorship, user)
    services.agreement_update_shared(
        agreement=services.agreement_get_or_create(mentorship),
        by=user,
        **payload.dict(exclude_unset=True),
    )
    return _reloaded(mentorship, user)


@router.post(
    "/mentorships/{mentorship_id}/agreement/confirm",
    response=AgreementOut,
    summary="Confirm the current revision (the mentor, the mentee or a current member)",
)
def agreement_confirm(request: HttpRequest, mentorship_id: int) -> Any:
    user = _user(request)
    mentorship = _mentorship(request, mentorship_id)
    _require_participant(mentorship, user)
    services.agreement_confirm(agreement=services.agreement_get_or_create(mentorship), by=user)
    return _reloaded(mentorship, user)

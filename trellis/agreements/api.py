"""REST endpoints for communication agreements (mounted at /api/v1/).

The pair read and write; the program's managers and staff read the status only (no
hours, handles or aims); everyone else gets 404.
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


class PartOut(Schema):
    user_id: int
    display_name: str
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
    handle_kind: str | None = Field(default=None, description="Only to the partner and its owner.")
    handle: str | None = Field(default=None, description="Only to the partner and its owner.")


class AgreementOut(Schema):
    mentorship_id: int
    status: str = Field(description="draft, waiting, agreed or revised.")
    revision: int
    agreed_at: dt.datetime | None
    parts: list[PartOut]
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
    return mentorship_detail(mentorship_id=mentorship_id, user=_user(request))


def _part_out(part: AgreementPart, *, viewer: User, is_pair: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "user_id": part.user_id,
        "display_name": part.user.display_name,
        "has_confirmed": part.has_confirmed,
        "confirmed_at": part.confirmed_at,
    }
    if is_pair:
        out.update({field: getattr(part, field) for field in services.PART_FIELDS})
    return out


def _agreement_out(agreement: Agreement, viewer: User) -> dict[str, Any]:
    mentorship = agreement.mentorship
    is_pair = selectors.agreement_can_see_private(mentorship=mentorship, user=viewer)
    out: dict[str, Any] = {
        "mentorship_id": mentorship.pk,
        "status": selectors.agreement_status(agreement),
        "revision": agreement.revision,
        "agreed_at": agreement.agreed_at,
        "parts": [
            _part_out(part, viewer=viewer, is_pair=is_pair)
            for part in selectors.agreement_parts(agreement)
        ],
    }
    if is_pair:
        out.update({field: getattr(agreement, field) for field in services.SHARED_FIELDS})
    return out


def _agreement(mentorship: Mentorship, viewer: User) -> Agreement:
    agreement = selectors.agreement_for(mentorship=mentorship)
    if agreement is None:
        if mentorship_role(mentorship=mentorship, user=viewer) not in ("mentor", "mentee"):
            raise NotFoundError("The pair have not started their agreement yet.")
        if not mentorship.is_ongoing:
            raise NotFoundError("This mentorship has no agreement.")
        services.agreement_get_or_create(mentorship)
        agreement = selectors.agreement_for(mentorship=mentorship)
    assert agreement is not None  # noqa: S101 - created just above
    return agreement


def _reloaded(mentorship: Mentorship, viewer: User) -> dict[str, Any]:
    return _agreement_out(_agreement(mentorship, viewer), viewer)


def _require_pair(mentorship: Mentorship, viewer: User) -> None:
    if mentorship_role(mentorship=mentorship, user=viewer) not in ("mentor", "mentee"):
        raise PermissionDeniedError("Only the pair can change their agreement.")


@router.get(
    "/mentorships/{mentorship_id}/agreement",
    response=AgreementOut,
    summary="The pair's agreement (managers and staff: the status only)",
)
def agreement_get(request: HttpRequest, mentorship_id: int) -> dict[str, Any]:
    user = _user(request)
    return _reloaded(_mentorship(request, mentorship_id), user)


@router.patch(
    "/mentorships/{mentorship_id}/agreement/part",
    response=AgreementOut,
    summary="Change your own part (the mentor or the mentee)",
)
def agreement_part_update(request: HttpRequest, mentorship_id: int, payload: PartIn) -> Any:
    user = _user(request)
    mentorship = _mentorship(request, mentorship_id)
    _require_pair(mentorship, user)
    services.agreement_update_part(
        agreement=services.agreement_get_or_create(mentorship),
        by=user,
        **payload.dict(exclude_unset=True),
    )
    return _reloaded(mentorship, user)


@router.patch(
    "/mentorships/{mentorship_id}/agreement",
    response=AgreementOut,
    summary="Change the shared part: cadence, length, first meeting, aims (the pair)",
)
def agreement_shared_update(request: HttpRequest, mentorship_id: int, payload: SharedIn) -> Any:
    user = _user(request)
    mentorship = _mentorship(request, mentorship_id)
    _require_pair(mentorship, user)
    services.agreement_update_shared(
        agreement=services.agreement_get_or_create(mentorship),
        by=user,
        **payload.dict(exclude_unset=True),
    )
    return _reloaded(mentorship, user)


@router.post(
    "/mentorships/{mentorship_id}/agreement/confirm",
    response=AgreementOut,
    summary="Confirm the current revision (the mentor or the mentee)",
)
def agreement_confirm(request: HttpRequest, mentorship_id: int) -> Any:
    user = _user(request)
    mentorship = _mentorship(request, mentorship_id)
    _require_pair(mentorship, user)
    services.agreement_confirm(agreement=services.agreement_get_or_create(mentorship), by=user)
    return _reloaded(mentorship, user)

"""Reads of communication agreements: status, contact hours, the others' handles.

A mentorship's people are its current participants (``Mentorship.participant_ids()``):
the mentor and the mentee of a pair, or the mentor and the current members of a group.
Only they count for the status, see each other's parts and handles, and write. A member
who left keeps their part's row, but it is no longer shown nor counted.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, prefetch_related_objects

from trellis.accounts.models import User
from trellis.agreements.models import (
    Agreement,
    AgreementConfirmation,
    AgreementPart,
    AgreementStatus,
)
from trellis.mentorships.models import ONGOING_STATUSES, Mentorship, participant_filter
from trellis.mentorships.selectors import current_members_prefetch, mentorship_role
from trellis.scheduling.slots import ALL_WEEKDAYS, ContactHours


@dataclass(frozen=True)
class Handle:
    kind: str  # "work", "personal" or "" when unsaid
    value: str


def agreement_for(*, mentorship: Mentorship) -> Agreement | None:
    """The mentorship's agreement with its parts and their people, or None.

    The agreement reads its people from the given mentorship (a group's current members
    prefetched once), so the status and the parts cost no query per person.
    """
    if mentorship.is_group and not hasattr(mentorship, "current_members"):
        # On a copy: the caller's instance keeps asking for the members, which may change.
        mentorship = copy.copy(mentorship)
        prefetch_related_objects([mentorship], current_members_prefetch())
    agreement = (
        Agreement.objects.prefetch_related("parts__user__profile")
        .filter(mentorship=mentorship)
        .first()
    )
    if agreement is not None:
        agreement.mentorship = mentorship
    return agreement


def agreement_parts(agreement: Agreement) -> list[AgreementPart]:
    """The current participants' parts, the mentor's first, then by joining order.

    A former member's part is left out. Uses the prefetched parts when there are some.
    """
    order = {user_id: index for index, user_id in enumerate(agreement.mentorship.participant_ids())}
    parts = [part for part in agreement.parts.all() if part.user_id in order]
    return sorted(parts, key=lambda part: order[part.user_id])


def part_of(agreement: Agreement, user: Any) -> AgreementPart | None:
    user_id = getattr(user, "pk", None)
    return next((part for part in agreement_parts(agreement) if part.user_id == user_id), None)


def _confirmed_user_ids(agreement: Agreement) -> set[int]:
    return {
        part.user_id
        for part in agreement.parts.all()
        if part.confirmed_revision == agreement.revision
    }


def agreement_missing_participant_ids(agreement: Agreement) -> list[int]:
    """Current participants who have no part yet (a member who joined since)."""
    have = {part.user_id for part in agreement.parts.all()}
    return [user_id for user_id in agreement.mentorship.participant_ids() if user_id not in have]


def agreement_waiting_for(agreement: Agreement) -> list[Any]:
    """The current participants (users) who have not confirmed the current revision."""
    confirmed = _confirmed_user_ids(agreement)
    return [person for person in agreement.mentorship.participants() if person.pk not in confirmed]


def agreement_status(agreement: Agreement) -> str:
    """draft, waiting, agreed (every current participant confirmed) or revised.

    Revised: agreed once, then changed, so everyone confirms again. Waiting: someone
    confirmed, or an agreed group has a newcomer who has not confirmed yet (the others
    keep their confirmation). A part missing (a newcomer's, before they open the
    agreement) counts as not confirmed.
    """
    participant_ids = set(agreement.mentorship.participant_ids())
    confirmed = _confirmed_user_ids(agreement) & participant_ids
    if participant_ids and confirmed == participant_ids:
        return AgreementStatus.AGREED
    last_agreed = agreement.last_agreed_revision
    if last_agreed is not None and last_agreed < agreement.revision:
        return AgreementStatus.REVISED
    if confirmed or last_agreed is not None:
        return AgreementStatus.WAITING
    return AgreementStatus.DRAFT


def meeting_cadence_for(*, mentorship: Mentorship) -> str:
    """How often the pair means to meet: their agreed cadence, else the program's.

    A cadence counts once both confirmed the current revision. Reads the agreement and
    its parts as loaded: ``select_related("program", "agreement")`` with
    ``prefetch_related("agreement__parts")`` keeps a list of mentorships at fixed queries.
    """
    try:
        agreement = mentorship.agreement
    except Agreement.DoesNotExist:
        agreement = None
    if agreement is not None and agreement_status(agreement) == AgreementStatus.AGREED:
        return agreement.meeting_cadence
    return mentorship.program.meeting_frequency


def agreement_confirmations(*, agreement: Agreement) -> list[AgreementConfirmation]:
    """Who confirmed which revision, oldest first."""
    return list(
        AgreementConfirmation.objects.filter(agreement=agreement)
        .select_related("user__profile")
        .order_by("confirmed_at", "pk")
    )


def _part_for(mentorship: Mentorship, user: User) -> AgreementPart | None:
    """The person's part while they take part in the mentorship (not a former member's)."""
    return (
        AgreementPart.objects.filter(agreement__mentorship=mentorship, user_id=user.pk)
        .filter(participant_filter(user.pk, path="agreement__mentorship__"))
        .first()
    )


def contact_hours_for(*, mentorship: Mentorship, user: User) -> ContactHours | None:
    """The person's contact hours for this mentorship, local to their own zone.

    Their agreement part when it says so, else their profile's contact hours (every
    day), else None (any time). The zone is the part's time_zone, or the profile's.
    Works for anyone in the mentorship: the mentor, a pair's mentee or a group's current
    member; a member who left is read from their profile only.
    """
    part = _part_for(mentorship, user)
    if part is not None and part.contact_hours_start and part.contact_hours_end:
        weekdays = frozenset(part.contact_weekdays) or ALL_WEEKDAYS
        return ContactHours(
            start=part.contact_hours_start, end=part.contact_hours_end, weekdays=weekdays
        )
    profile = getattr(user, "profile", None)
    if profile is not None and profile.contact_hours_start and profile.contact_hours_end:
        return ContactHours(start=profile.contact_hours_start, end=profile.contact_hours_end)
    return None


def _is_participant(mentorship: Mentorship, viewer: Any) -> bool:
    return mentorship_role(mentorship=mentorship, user=viewer) in ("mentor", "mentee")


def handles_visible_to(*, agreement: Agreement, viewer: Any) -> dict[int, Handle]:
    """The handles the other current participants gave (user id → handle), for the viewer.

    Only a current participant sees them: never the program's managers, staff or a
    member who left. The viewer's own handle is in their own part, not here.
    """
    if not _is_participant(agreement.mentorship, viewer):
        return {}
    return {
        part.user_id: Handle(kind=part.handle_kind, value=part.handle)
        for part in agreement_parts(agreement)
        if part.user_id != viewer.pk and part.handle
    }


def partner_handle_for(*, mentorship: Mentorship, viewer: Any) -> Handle | None:
    """The handle a pair's partner gave, for the other of the pair only; else None.

    A group has no single partner: ask handles_visible_to.
    """
    if mentorship.is_group or not _is_participant(mentorship, viewer):
        return None
    partner_id = next(pk for pk in mentorship.participant_ids() if pk != viewer.pk)
    part = AgreementPart.objects.filter(
        agreement__mentorship=mentorship, user_id=partner_id
    ).first()
    if part is None or not part.handle:
        return None
    return Handle(kind=part.handle_kind, value=part.handle)


@dataclass(frozen=True)
class PersonHours:
    """When a person takes messages, for holding their notifications."""

    time_zone: str
    contact_hours: ContactHours | None
    quiet_start: dt.time | None
    quiet_end: dt.time | None


def person_hours_for(*, user: User) -> PersonHours | None:
    """The person's own hours across their ongoing mentorships, or their profile's.

    The most recently saved agreement part with contact or quiet hours wins: the same
    person keeps one set of hours, and the latest statement is the one they meant. Only
    the mentorships they take part in now count: not a group they have left.
    """
    parts: QuerySet[AgreementPart] = (
        AgreementPart.objects.filter(
            user_id=user.pk, agreement__mentorship__status__in=ONGOING_STATUSES
        )
        .filter(participant_filter(user.pk, path="agreement__mentorship__"))
        .order_by("-updated_at", "-pk")
    )
    for part in parts:
        has_contact = part.contact_hours_start is not None and part.contact_hours_end is not None
        has_quiet = part.quiet_hours_start is not None and part.quiet_hours_end is not None
        if has_contact or has_quiet:
            contact = None
            if has_contact:
                contact = ContactHours(
                    start=part.contact_hours_start,  # type: ignore[arg-type]
                    end=part.contact_hours_end,  # type: ignore[arg-type]
                    weekdays=frozenset(part.contact_weekdays) or ALL_WEEKDAYS,
                )
            return PersonHours(
                part.time_zone, contact, part.quiet_hours_start, part.quiet_hours_end
            )
    profile = getattr(user, "profile", None)
    if profile is None:
        return None
    contact = None
    if profile.contact_hours_start is not None and profile.contact_hours_end is not None:
        contact = ContactHours(start=profile.contact_hours_start, end=profile.contact_hours_end)
    if contact is None and profile.quiet_hours_start is None:
        return None
    return PersonHours(
        profile.time_zone, contact, profile.quiet_hours_start, profile.quiet_hours_end
    )


def agreement_can_view(*, mentorship: Mentorship, user: Any) -> bool:
    """The current participants, the program's managers and staff; not a former member."""
    return mentorship_role(mentorship=mentorship, user=user) is not None


def agreement_can_see_private(*, mentorship: Mentorship, user: Any) -> bool:
    """Only the current participants see aims, handles and hours; managers the status."""
    return _is_participant(mentorship, user)

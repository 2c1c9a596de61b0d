"""Reads of communication agreements: status, contact hours, the partner's handle."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from trellis.accounts.models import User
from trellis.agreements.models import (
    Agreement,
    AgreementConfirmation,
    AgreementPart,
    AgreementStatus,
)
from trellis.mentorships.models import ONGOING_STATUSES, Mentorship
from trellis.mentorships.selectors import mentorship_role
from trellis.scheduling.slots import ALL_WEEKDAYS, ContactHours


@dataclass(frozen=True)
class Handle:
    kind: str  # "work", "personal" or "" when unsaid
    value: str


def agreement_for(*, mentorship: Mentorship) -> Agreement | None:
    """The mentorship's agreement with both parts and their people, or None."""
    return (
        Agreement.objects.select_related("mentorship")
        .prefetch_related("parts__user__profile")
        .filter(mentorship=mentorship)
        .first()
    )


def agreement_parts(agreement: Agreement) -> list[AgreementPart]:
    """The parts, mentor's first (uses the prefetched parts when there are some)."""
    parts = list(agreement.parts.all())
    mentor_id = agreement.mentorship.mentor_id
    return sorted(parts, key=lambda part: (part.user_id != mentor_id, part.pk))


def part_of(agreement: Agreement, user: Any) -> AgreementPart | None:
    user_id = getattr(user, "pk", None)
    return next((part for part in agreement_parts(agreement) if part.user_id == user_id), None)


def agreement_status(agreement: Agreement) -> str:
    """draft, waiting (someone confirmed), agreed (both did), revised (agreed once, changed)."""
    parts = agreement_parts(agreement)
    confirmed = [part for part in parts if part.confirmed_revision == agreement.revision]
    if len(parts) == 2 and len(confirmed) == 2:
        return AgreementStatus.AGREED
    if agreement.last_agreed_revision is not None:
        return AgreementStatus.REVISED
    if confirmed:
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
    return (
        AgreementPart.objects.select_related("agreement")
        .filter(agreement__mentorship=mentorship, user_id=user.pk)
        .first()
    )


def contact_hours_for(*, mentorship: Mentorship, user: User) -> ContactHours | None:
    """The person's contact hours for this mentorship, local to their own zone.

    Their agreement part when it says so, else their profile's contact hours (every
    day), else None (any time). The zone is the part's time_zone, or the profile's.
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


def partner_handle_for(*, mentorship: Mentorship, viewer: Any) -> Handle | None:
    """The handle the viewer's partner gave; None for anyone but the partner, or if unset."""
    role = mentorship_role(mentorship=mentorship, user=viewer)
    if role not in ("mentor", "mentee"):
        return None
    partner_id = mentorship.mentee_id if role == "mentor" else mentorship.mentor_id
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
    person keeps one set of hours, and the latest statement is the one they meant.
    """
    parts: QuerySet[AgreementPart] = AgreementPart.objects.filter(
        user_id=user.pk, agreement__mentorship__status__in=ONGOING_STATUSES
    ).order_by("-updated_at", "-pk")
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
    return mentorship_role(mentorship=mentorship, user=user) is not None


def agreement_can_see_private(*, mentorship: Mentorship, user: Any) -> bool:
    """Only the pair see aims, handles and hours; managers and staff see the status."""
    return mentorship_role(mentorship=mentorship, user=user) in ("mentor", "mentee")

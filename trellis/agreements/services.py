"""Writes of communication agreements.

Status (issue #4): done — the agreement and each person's part, revisions, confirmation
per revision with history, refusals for anyone but the pair, the same-city suggestion,
contact hours for slot finding (selectors.contact_hours_for), pages and API, and the
hours that hold a person's non-urgent notifications (selectors.person_hours_for, used by
notifications.delivery). Left: show the aims to the goals issue; a nicer weekday display.

Rules:
- Only the pair write: each their own part, either the shared fields. Managers and staff
  see that an agreement exists and its status, never handles, hours or aims.
- A change after anyone confirmed the current revision starts a new revision, which both
  must confirm again; AgreementConfirmation keeps who confirmed which revision.
- Writes on an ended or completed mentorship are refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from trellis.accounts.models import User
from trellis.agreements.models import (
    MAX_MEETING_MINUTES,
    MIN_MEETING_MINUTES,
    Agreement,
    AgreementConfirmation,
    AgreementPart,
    AgreementStatus,
    HandleKind,
)
from trellis.agreements.selectors import agreement_status
from trellis.core.errors import PermissionDeniedError
from trellis.core.sanitize import sanitize_html
from trellis.mentorships.models import ONGOING_STATUSES, Mentorship
from trellis.notifications.services import notification_send
from trellis.profiles.models import DEFAULT_TIME_ZONE, CommunicationMode, MeetingFrequency

WORKING_DAYS = [0, 1, 2, 3, 4]
PART_FIELDS = (
    "modes",
    "time_zone",
    "contact_weekdays",
    "contact_hours_start",
    "contact_hours_end",
    "quiet_hours_start",
    "quiet_hours_end",
    "handle_kind",
    "handle",
)
SHARED_FIELDS = ("meeting_cadence", "meeting_length_minutes", "is_first_meeting_in_person", "aims")
UNSET: Any = object()


def agreement_url(mentorship: Mentorship) -> str:
    return f"/mentorships/{mentorship.pk}/agreement/"


def _profile(user: User) -> Any:
    return getattr(user, "profile", None)


def first_meeting_in_person_suggested(mentorship: Mentorship) -> bool:
    """Both profiles name the same city in the same country."""
    mentor, mentee = _profile(mentorship.mentor), _profile(mentorship.mentee)
    if mentor is None or mentee is None:
        return False
    city_a, city_b = mentor.city.strip().casefold(), mentee.city.strip().casefold()
    return bool(city_a) and city_a == city_b and str(mentor.country) == str(mentee.country)


def _part_defaults(user: User) -> dict[str, Any]:
    profile = _profile(user)
    if profile is None:
        return {"time_zone": DEFAULT_TIME_ZONE, "contact_weekdays": WORKING_DAYS}
    modes = [mode for mode in profile.communication_modes if mode in CommunicationMode.values]
    return {
        "time_zone": profile.time_zone or DEFAULT_TIME_ZONE,
        "modes": modes,
        "contact_weekdays": WORKING_DAYS,
        "contact_hours_start": profile.contact_hours_start,
        "contact_hours_end": profile.contact_hours_end,
        "quiet_hours_start": profile.quiet_hours_start,
        "quiet_hours_end": profile.quiet_hours_end,
    }


def agreement_get_or_create(mentorship: Mentorship) -> Agreement:
    """The mentorship's agreement, created with both parts from the profiles if new."""
    existing = Agreement.objects.filter(mentorship=mentorship).first()
    if existing is not None:
        return existing
    mentee_profile = _profile(mentorship.mentee)
    cadence = getattr(mentee_profile, "meeting_frequency", "") or MeetingFrequency.FORTNIGHTLY
    try:
        with transaction.atomic():
            agreement = Agreement.objects.create(
                mentorship=mentorship,
                meeting_cadence=cadence,
                is_first_meeting_in_person=first_meeting_in_person_suggested(mentorship),
                aims=sanitize_html(getattr(mentee_profile, "goals", "") or ""),
            )
            for user in (mentorship.mentor, mentorship.mentee):
                part = AgreementPart(agreement=agreement, user=user, **_part_defaults(user))
                part.full_clean(exclude=["agreement", "user"])
                part.save()
    except IntegrityError:
        # Someone else created it at the same moment: theirs is the one.
        return Agreement.objects.get(mentorship=mentorship)
    return agreement


def _require_pair(agreement: Agreement, by: Any) -> str:
    mentorship = agreement.mentorship
    user_id = getattr(by, "pk", None)
    if not getattr(by, "is_active", False) or user_id not in (
        mentorship.mentor_id,
        mentorship.mentee_id,
    ):
        raise PermissionDeniedError("Only the pair can change their agreement.")
    if mentorship.status not in ONGOING_STATUSES:
        raise PermissionDeniedError("This mentorship has ended; its agreement is closed.")
    return "mentor" if user_id == mentorship.mentor_id else "mentee"


def _lock(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_for_update().select_related("mentorship").get(pk=agreement.pk)


def _start_new_revision_if_confirmed(agreement: Agreement) -> None:
    """A change to a text someone confirmed makes a new revision both confirm again."""
    if agreement.parts.filter(confirmed_revision=agreement.revision).exists():
        agreement.revision += 1
        agreement.save(update_fields=["revision", "updated_at"])


def _clean_modes(modes: Iterable[str]) -> list[str]:
    chosen = set(modes)
    unknown = chosen - set(CommunicationMode.values)
    if unknown:
        raise ValidationError({"modes": f"Unknown mode: {', '.join(sorted(unknown))}."})
    # Stored in the choices' order, so equal sets compare equal.
    return [mode for mode in CommunicationMode.values if mode in chosen]


def _clean_weekdays(weekdays: Iterable[int]) -> list[int]:
    days = sorted({int(day) for day in weekdays})
    if any(day < 0 or day > 6 for day in days):
        raise ValidationError({"contact_weekdays": "Weekdays run from 0 (Monday) to 6."})
    return days


def _check_hours(part: AgreementPart) -> None:
    errors: dict[str, str] = {}
    for prefix, label in (("contact_hours", "Contact hours"), ("quiet_hours", "Quiet hours")):
        start, end = getattr(part, f"{prefix}_start"), getattr(part, f"{prefix}_end")
        if (start is None) != (end is None):
            errors[f"{prefix}_end"] = f"{label} need both a start and an end, or neither."
        elif start is not None and prefix == "contact_hours" and end <= start:
            errors[f"{prefix}_end"] = "Contact hours must end after they start."
        elif start is not None and end == start:
            errors[f"{prefix}_end"] = "Quiet hours must end at a different time."
    if part.handle and not part.handle_kind:
        errors["handle_kind"] = "Say whether the handle is for work or personal."
    if errors:
        raise ValidationError(errors)


def agreement_update_part(
    *,
    agreement: Agreement,
    by: User,
    modes: Iterable[str] = UNSET,
    time_zone: str = UNSET,
    contact_weekdays: Iterable[int] = UNSET,
    contact_hours_start: dt.time | None = UNSET,
    contact_hours_end: dt.time | None = UNSET,
    quiet_hours_start: dt.time | None = UNSET,
    quiet_hours_end: dt.time | None = UNSET,
    handle_kind: str = UNSET,
    handle: str = UNSET,
) -> AgreementPart:
    """Change the signed-in person's own part; other people's parts cannot be named."""
    _require_pair(agreement, by)
    values: dict[str, Any] = {
        "modes": modes,
        "time_zone": time_zone,
        "contact_weekdays": contact_weekdays,
        "contact_hours_start": contact_hours_start,
        "contact_hours_end": contact_hours_end,
        "quiet_hours_start": quiet_hours_start,
        "quiet_hours_end": quiet_hours_end,
        "handle_kind": handle_kind,
        "handle": handle,
    }
    with transaction.atomic():
        agreement = _lock(agreement)
        part = AgreementPart.objects.get(agreement=agreement, user_id=by.pk)
        changed = []
        for field, value in values.items():
            if value is UNSET:
                continue
            if field == "modes":
                # An explicit null (from the API) means "none", like an empty list.
                value = _clean_modes(value or [])
            elif field == "contact_weekdays":
                value = _clean_weekdays(value or [])
            elif field in ("handle", "handle_kind", "time_zone"):
                value = (value or "").strip()
            if getattr(part, field) != value:
                setattr(part, field, value)
                changed.append(field)
        if part.handle_kind and part.handle_kind not in HandleKind.values:
            raise ValidationError({"handle_kind": "Choose work or personal."})
        _check_hours(part)
        part.full_clean(exclude=["agreement", "user"])
        if changed:
            _start_new_revision_if_confirmed(agreement)
            part.save()
        part.agreement = agreement
    return part


def agreement_update_shared(
    *,
    agreement: Agreement,
    by: User,
    meeting_cadence: str = UNSET,
    meeting_length_minutes: int = UNSET,
    is_first_meeting_in_person: bool = UNSET,
    aims: str = UNSET,
) -> Agreement:
    """Change what the pair share; either of the pair may."""
    _require_pair(agreement, by)
    values: dict[str, Any] = {
        "meeting_cadence": meeting_cadence,
        "meeting_length_minutes": meeting_length_minutes,
        "is_first_meeting_in_person": is_first_meeting_in_person,
        "aims": aims,
    }
    with transaction.atomic():
        agreement = _lock(agreement)
        changed = []
        for field, value in values.items():
            if value is UNSET:
                continue
            if field == "aims":
                value = sanitize_html(value or "").strip()
            if getattr(agreement, field) != value:
                setattr(agreement, field, value)
                changed.append(field)
        if agreement.meeting_cadence not in MeetingFrequency.values:
            raise ValidationError({"meeting_cadence": "Choose weekly, fortnightly or monthly."})
        length = agreement.meeting_length_minutes
        if not MIN_MEETING_MINUTES <= length <= MAX_MEETING_MINUTES:
            raise ValidationError(
                {
                    "meeting_length_minutes": (
                        f"A meeting lasts {MIN_MEETING_MINUTES} to {MAX_MEETING_MINUTES} minutes."
                    )
                }
            )
        agreement.full_clean(exclude=["mentorship"])
        if changed:
            _start_new_revision_if_confirmed(agreement)
            agreement.save()
    return agreement


def agreement_confirm(*, agreement: Agreement, by: User) -> Agreement:
    """Confirm the current revision; the second confirmation makes it agreed."""
    role = _require_pair(agreement, by)
    with transaction.atomic():
        agreement = _lock(agreement)
        part = AgreementPart.objects.get(agreement=agreement, user_id=by.pk)
        if part.confirmed_revision == agreement.revision:
            return agreement
        now = timezone.now()
        part.confirmed_revision = agreement.revision
        part.confirmed_at = now
        part.save(update_fields=["confirmed_revision", "confirmed_at", "updated_at"])
        AgreementConfirmation.objects.create(
            agreement=agreement, user=by, revision=agreement.revision, confirmed_at=now
        )
        mentorship = agreement.mentorship
        partner = mentorship.mentee if role == "mentor" else mentorship.mentor
        is_agreed = agreement_status(_reload(agreement)) == AgreementStatus.AGREED
        if is_agreed:
            agreement.agreed_at = now
            agreement.last_agreed_revision = agreement.revision
            agreement.save(update_fields=["agreed_at", "last_agreed_revision", "updated_at"])
            title = f"You and {by.display_name} agreed how you will work together"
        else:
            title = f"{by.display_name} confirmed your communication agreement"
        notification_send(
            recipient=partner,
            kind="agreement.agreed" if is_agreed else "agreement.confirmed",
            title=title,
            body="" if is_agreed else "Read it and confirm it too.",
            url=agreement_url(mentorship),
            send_email=not is_agreed,
        )
    return agreement


def _reload(agreement: Agreement) -> Agreement:
    return (
        Agreement.objects.select_related("mentorship")
        .prefetch_related("parts")
        .get(pk=agreement.pk)
    )

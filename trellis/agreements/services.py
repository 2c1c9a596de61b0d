"""Writes of communication agreements.

Status (issue #4): done — the agreement and each person's part, revisions, confirmation
per revision with history, refusals for anyone but the pair, the same-city suggestion,
contact hours for slot finding (selectors.contact_hours_for), pages and API, and the
hours that hold a person's non-urgent notifications (selectors.person_hours_for, used by
notifications.delivery). Groups: one part per current participant (the mentor and every
current member), created when a participant opens or edits the agreement. Left: show the
aims to the goals issue; a nicer weekday display.

Rules:
- Only the current participants write (a pair, or a group's mentor and current members):
  each their own part, any of them the shared fields. Managers and staff see that an
  agreement exists and its status, never handles, hours or aims. A member who left
  writes nothing and no longer counts.
- A change after anyone confirmed the current revision starts a new revision, which
  everyone must confirm again; AgreementConfirmation keeps who confirmed which revision.
  One exception, groups only: a newcomer filling in their own part of an agreed
  revision does not make the others confirm again (the shared part still does).
- The agreement is agreed once every current participant confirmed the current revision.
- Writes on an ended or completed mentorship are refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape

from trellis.accounts.models import User
from trellis.agreements.models import (
    MAX_AIMS_LENGTH,
    MAX_MEETING_MINUTES,
    MIN_MEETING_MINUTES,
    Agreement,
    AgreementConfirmation,
    AgreementPart,
    AgreementStatus,
    HandleKind,
)
from trellis.agreements.selectors import agreement_status, agreement_waiting_for
from trellis.core.errors import PermissionDeniedError
from trellis.core.sanitize import sanitize_html
from trellis.core.text import join_names
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


def _profile(user: Any) -> Any:
    return getattr(user, "profile", None)


def first_meeting_in_person_suggested(mentorship: Mentorship) -> bool:
    """Everyone's profile names the same city in the same country (a pair: both)."""
    places = set()
    people = mentorship.participants()
    for person in people:
        profile = _profile(person)
        if profile is None:
            return False
        places.add((profile.city.strip().casefold(), str(profile.country)))
    if len(people) < 2 or len(places) != 1:
        return False
    city, _country = places.pop()
    return bool(city)


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


def _new_part(agreement: Agreement, user: User) -> AgreementPart:
    part = AgreementPart(agreement=agreement, user=user, **_part_defaults(user))
    part.full_clean(exclude=["agreement", "user"])
    return part


def _initial_cadence(mentorship: Mentorship) -> str:
    if mentorship.is_group:
        # Members may each wish for another rhythm; the program's sets the group's start.
        return mentorship.program.meeting_frequency or MeetingFrequency.FORTNIGHTLY
    profile = _profile(mentorship.pair_mentee)
    return getattr(profile, "meeting_frequency", "") or MeetingFrequency.FORTNIGHTLY


def _initial_aims(mentorship: Mentorship) -> str:
    """The mentee's goals; in a group each member's under their name, as many as fit."""
    if not mentorship.is_group:
        return sanitize_html(getattr(_profile(mentorship.pair_mentee), "goals", "") or "")
    aims = ""
    for member in mentorship.mentees():
        goals = sanitize_html(getattr(_profile(member), "goals", "") or "").strip()
        if not goals:
            continue
        section = f"<h3>{escape(member.display_name)}</h3>{goals}"
        if len(aims) + len(section) > MAX_AIMS_LENGTH:
            break
        aims += section
    return aims


def _add_missing_parts(agreement: Agreement, mentorship: Mentorship) -> None:
    """Give every current participant without a part one, from their profile."""
    have = set(AgreementPart.objects.filter(agreement=agreement).values_list("user_id", flat=True))
    parts = [
        _new_part(agreement, person)
        for person in mentorship.participants()
        if person.pk not in have
    ]
    if parts:
        # Two first views at the same moment: the part already there is the one.
        AgreementPart.objects.bulk_create(parts, ignore_conflicts=True)


def agreement_get_or_create(mentorship: Mentorship) -> Agreement:
    """The mentorship's agreement, with a part for every current participant.

    New: created with the parts from the profiles. Existing: a member who joined since
    gets their part; a member who left keeps theirs (no longer shown nor counted).
    """
    existing = Agreement.objects.filter(mentorship=mentorship).first()
    if existing is not None:
        if mentorship.is_ongoing:
            _add_missing_parts(existing, mentorship)
        return existing
    try:
        with transaction.atomic():
            agreement = Agreement.objects.create(
                mentorship=mentorship,
                meeting_cadence=_initial_cadence(mentorship),
                is_first_meeting_in_person=first_meeting_in_person_suggested(mentorship),
                aims=_initial_aims(mentorship),
            )
            for person in mentorship.participants():
                _new_part(agreement, person).save()
    except IntegrityError:
        # Someone else created it at the same moment: theirs is the one.
        return Agreement.objects.get(mentorship=mentorship)
    return agreement


def _require_participant(agreement: Agreement, by: Any) -> None:
    """Refuse anyone but the current participants, and any write once it has ended."""
    mentorship = agreement.mentorship
    user_id = getattr(by, "pk", None)
    if not getattr(by, "is_active", False) or user_id not in mentorship.participant_ids():
        if mentorship.is_group:
            raise PermissionDeniedError(
                "Only the group's mentor and current members can change its agreement."
            )
        raise PermissionDeniedError("Only the pair can change their agreement.")
    if mentorship.status not in ONGOING_STATUSES:
        raise PermissionDeniedError("This mentorship has ended; its agreement is closed.")


def _lock(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_for_update().select_related("mentorship").get(pk=agreement.pk)


def _own_part(agreement: Agreement, by: User) -> AgreementPart:
    """The person's part, made from their profile if they joined after it was written."""
    part = AgreementPart.objects.filter(agreement=agreement, user_id=by.pk).first()
    if part is not None:
        return part
    part = _new_part(agreement, by)
    try:
        with transaction.atomic():
            part.save()
    except IntegrityError:
        return AgreementPart.objects.get(agreement=agreement, user_id=by.pk)
    return part


def _start_new_revision_if_confirmed(
    agreement: Agreement, *, by: User, part: AgreementPart | None = None
) -> bool:
    """A change to a text someone confirmed makes a new revision everyone confirms again.

    ``part`` is the changed part, if a part changed. A group's newcomer filling in their
    own part of an agreed revision changes nothing the others confirmed, so it stays.
    Returns whether a new revision started.
    """
    mentorship = agreement.mentorship
    participant_ids = set(mentorship.participant_ids())
    confirmed = set(
        agreement.parts.filter(
            confirmed_revision=agreement.revision, user_id__in=participant_ids
        ).values_list("user_id", flat=True)
    )
    if not confirmed:
        return False
    is_newcomer_part = (
        mentorship.is_group
        and part is not None
        and part.user_id not in confirmed
        and agreement.last_agreed_revision == agreement.revision
    )
    if is_newcomer_part:
        return False
    if confirmed == participant_ids:
        # Agreed without a last confirmation (whoever was missing left the group).
        agreement.last_agreed_revision = agreement.revision
    agreement.revision += 1
    agreement.save(update_fields=["revision", "last_agreed_revision", "updated_at"])
    _notify_revised(agreement, by=by, had_confirmed=confirmed)
    return True


def _notify_revised(agreement: Agreement, *, by: User, had_confirmed: set[int]) -> None:
    """Tell the other current participants; those who had confirmed must confirm again."""
    mentorship = agreement.mentorship
    what = "the group's" if mentorship.is_group else "your"
    for recipient in mentorship.others_than(by.pk):
        was_confirmed = recipient.pk in had_confirmed
        notification_send(
            recipient=recipient,
            kind="agreement.revised",
            title=f"{by.display_name} changed {what} communication agreement",
            body=(
                "Read the change and confirm the agreement again."
                if was_confirmed
                else "Read it and confirm it."
            ),
            url=agreement_url(mentorship),
            send_email=was_confirmed,
        )


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
        _require_participant(agreement, by)
        part = _own_part(agreement, by)
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
            _start_new_revision_if_confirmed(agreement, by=by, part=part)
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
    """Change what the participants share; any current participant may."""
    values: dict[str, Any] = {
        "meeting_cadence": meeting_cadence,
        "meeting_length_minutes": meeting_length_minutes,
        "is_first_meeting_in_person": is_first_meeting_in_person,
        "aims": aims,
    }
    with transaction.atomic():
        agreement = _lock(agreement)
        _require_participant(agreement, by)
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
            _start_new_revision_if_confirmed(agreement, by=by)
            agreement.save()
    return agreement


def agreement_confirm(*, agreement: Agreement, by: User) -> Agreement:
    """Confirm the current revision; the last current participant's makes it agreed."""
    with transaction.atomic():
        agreement = _lock(agreement)
        _require_participant(agreement, by)
        part = _own_part(agreement, by)
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
        reloaded = _reload(agreement)
        reloaded.mentorship = mentorship
        is_agreed = agreement_status(reloaded) == AgreementStatus.AGREED
        if is_agreed:
            agreement.agreed_at = now
            agreement.last_agreed_revision = agreement.revision
            agreement.save(update_fields=["agreed_at", "last_agreed_revision", "updated_at"])
        if mentorship.is_group:
            _notify_group_confirmed(reloaded, by=by, is_agreed=is_agreed)
        else:
            _notify_pair_confirmed(mentorship, by=by, is_agreed=is_agreed)
    return agreement


def _notify_pair_confirmed(mentorship: Mentorship, *, by: User, is_agreed: bool) -> None:
    if is_agreed:
        title = f"You and {by.display_name} agreed how you will work together"
    else:
        title = f"{by.display_name} confirmed your communication agreement"
    for partner in mentorship.others_than(by.pk):
        notification_send(
            recipient=partner,
            kind="agreement.agreed" if is_agreed else "agreement.confirmed",
            title=title,
            body="" if is_agreed else "Read it and confirm it too.",
            url=agreement_url(mentorship),
            send_email=not is_agreed,
        )


def _notify_group_confirmed(agreement: Agreement, *, by: User, is_agreed: bool) -> None:
    """Tell every other current member and the mentor; those still to confirm by email."""
    mentorship = agreement.mentorship
    url = agreement_url(mentorship)
    waiting = agreement_waiting_for(agreement)
    waiting_ids = {person.pk for person in waiting}
    for recipient in mentorship.others_than(by.pk):
        if is_agreed:
            notification_send(
                recipient=recipient,
                kind="agreement.agreed",
                title=f"{by.display_name} confirmed: your group agreed how you will work together",
                url=url,
                send_email=False,
            )
            continue
        must_confirm = recipient.pk in waiting_ids
        notification_send(
            recipient=recipient,
            kind="agreement.confirmed",
            title=f"{by.display_name} confirmed the group's communication agreement",
            body="Read it and confirm it too."
            if must_confirm
            else f"Waiting for {join_names([person.display_name for person in waiting])}.",
            url=url,
            send_email=must_confirm,
        )


def _reload(agreement: Agreement) -> Agreement:
    return (
        Agreement.objects.select_related("mentorship")
        .prefetch_related("parts")
        .get(pk=agreement.pk)
    )

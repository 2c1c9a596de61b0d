"""Writes for mentorships: starting one, its lifecycle, mentees' requests and mentors' offers.

Status (issue #4, the mentorship): done — states proposed → active ⇄ paused → completed,
or ended early with a reason; propose/confirm/decline, pause/resume, complete, end, extend,
rematch, each refused with a ValidationError (state) or PermissionDeniedError (who) and
recorded as a MentorshipEvent; program-driven reminders (`mentorships_remind`, below): the
end reminder, the wrap-up prompt and the "time to meet" nudge when a pair falls behind its
meeting cadence (`mentorships_nudge`).

`mentorship_start` is the only place a mentorship is created. Capacity is held by a row
lock on the mentor's enrollment; "one active mentorship per mentee", "one open request per
pair" and "one open offer per pair" are database constraints as well as checks here.

Lock order, everywhere: the people's Enrollment rows (by primary key), then the request or
offer row. With one order, two transactions never wait on each other in a circle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from trellis.accounts.models import User
from trellis.agreements.selectors import meeting_cadence_for
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.matching.models import MenteeWish
from trellis.matching.selectors import matching_settings_for, mentor_candidates, pair_explanation
from trellis.mentorships.models import (
    EARLY_END_REASONS,
    MAX_MESSAGE_LENGTH,
    ONGOING_STATUSES,
    OPEN_REQUEST_STATUSES,
    EndReason,
    GroupLeaveReason,
    GroupMember,
    Mentorship,
    MentorshipEvent,
    MentorshipOffer,
    MentorshipRequest,
    MentorshipSource,
    MentorshipStatus,
    OfferStatus,
    RequestStatus,
)
from trellis.mentorships.selectors import (
    GROUP_ONLY_ACTIONS,
    MENTEE_ROLES,
    MENTOR_ROLES,
    PAIR_ONLY_ACTIONS,
    TRANSITIONS,
    current_members_prefetch,
    mentor_capacity,
    mentorship_role,
    mentorships_for_nudge,
)
from trellis.notifications.services import notification_send
from trellis.profiles.models import MeetingFrequency
from trellis.programs.models import Enrollment, EnrollmentStatus, Program, ProgramType
from trellis.programs.selectors import program_can_manage
from trellis.scheduling.selectors import MeetingActivity, meeting_activity_for

MAX_REASONS = 20
MAX_REASON_LENGTH = 300
# How many next choices a rollover tries before it gives up (each may have filled up).
MAX_ROLLOVER_ATTEMPTS = 5
EXPIRY_BATCH = 500
# Relations are objects the caller handed us; full_clean need not query them again.
RELATIONS = ["program", "mentor", "mentee", "started_by", "rollover_of", "mentorship"]


# Links ---------------------------------------------------------------------------------


def mentorship_url(mentorship: Mentorship) -> str:
    return reverse("mentorships:detail", kwargs={"mentorship_id": mentorship.pk})


def requests_url(program: Program) -> str:
    return reverse("mentorships:requests", kwargs={"slug": program.slug})


def directory_url(program: Program) -> str:
    return reverse("mentorships:mentors", kwargs={"slug": program.slug})


# Helpers -------------------------------------------------------------------------------


def _clean_text(value: Any, *, field: str, required: bool, what: str = "a message") -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: [f"Write {what}."]})
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            {field: [f"Keep it under {MAX_MESSAGE_LENGTH} characters (this has {len(text)})."]}
        )
    return text


def _lock_enrollments(program: Program, user_ids: Iterable[int]) -> dict[int, Enrollment]:
    """Lock the people's enrollments in program, always in primary-key order."""
    rows = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(program=program, user_id__in=sorted(set(user_ids)))
        .order_by("pk")
    )
    return {enrollment.user_id: enrollment for enrollment in rows}


def _is_approved(enrollment: Enrollment | None, roles: Iterable[str]) -> bool:
    return (
        enrollment is not None
        and enrollment.status == EnrollmentStatus.APPROVED
        and enrollment.role in tuple(roles)
        and enrollment.user.is_active
    )


def _places_left(program: Program, enrollment: Enrollment) -> int:
    """The mentor's free places; exact only while their enrollment row is locked.

    A place is a pair mentorship or a current member of the mentor's group: in a group
    program the mentor's capacity is the size of their group. One query.
    """
    # Proposed and paused mentorships hold their place as active ones do.
    taken = Mentorship.objects.filter(
        program=program, mentor_id=enrollment.user_id, status__in=ONGOING_STATUSES
    ).aggregate(
        pairs=Count("pk", filter=Q(is_group=False), distinct=True),
        members=Count("members", filter=Q(members__left_at__isnull=True), distinct=True),
    )
    return mentor_capacity(program=program, enrollment=enrollment) - (
        taken["pairs"] + taken["members"]
    )


def _has_active_mentorship(program: Program, mentee: User) -> bool:
    """Whether the mentee has an ongoing mentorship or a current group in program (one query).

    A current member's group is ongoing: a finished group lets its members go.
    """
    return Mentorship.objects.filter(
        Q(mentee_id=mentee.pk)
        | Q(
            Exists(
                GroupMember.objects.filter(
                    mentorship_id=OuterRef("pk"), mentee_id=mentee.pk, left_at__isnull=True
                )
            )
        ),
        program=program,
        status__in=ONGOING_STATUSES,
    ).exists()


def _clean_reasons(reasons: Iterable[Any]) -> list[str]:
    return [str(reason)[:MAX_REASON_LENGTH] for reason in list(reasons or [])[:MAX_REASONS]]


def _copy_state(target: Any, source: Any, fields: Iterable[str]) -> None:
    """Give the caller's instance the stored values, so it shows what happened."""
    for name in fields:
        setattr(target, name, getattr(source, name))


def _pair_score(program: Program, *, mentor: User, mentee: User) -> tuple[float, list[str]]:
    """The pair's score and reasons; refuse a pair the program's hard rules forbid."""
    score, reasons = pair_explanation(program=program, mentor=mentor, mentee=mentee)
    if score is None:
        raise ValidationError(
            "The program's matching rules do not allow this pair"
            + (f": {'; '.join(reasons)}." if reasons else ".")
        )
    return score, reasons


# Mentorships ---------------------------------------------------------------------------


@transaction.atomic
def mentorship_start(
    *,
    program: Program,
    mentor: User,
    mentee: User,
    source: str,
    score: float | None,
    reasons: list[str],
    by: User | None,
    notify: bool = True,
    proposed: bool = False,
) -> Mentorship:
    """Start a mentorship: the only way one is created.

    Locks both people's enrollments (so the mentor's capacity cannot be overtaken), checks
    the mentor has a place and the mentee has no mentor yet, and closes the mentee's other
    open requests and offers in the program. `by` is None when the program's automatch
    publishes; otherwise it is one of the pair or a manager of the program. With
    `proposed` it waits for both to confirm (mentorship_confirm) and already holds the
    mentee and the mentor's place.

    In a group program the mentee joins the mentor's ongoing group instead (a new group
    when the mentor leads none; proposed, it waits for the mentor's confirmation only),
    and the group is returned.
    """
    if source not in MentorshipSource.values:
        raise ValidationError({"source": ["Unknown way to start a mentorship."]})
    if by is not None:
        # A mentor starts one by accepting a request, a mentee by taking up an offer;
        # any other pairing is the managers' (or, with by=None, the automatch's).
        deciding_party = {MentorshipSource.REQUEST: mentor.pk, MentorshipSource.OFFER: mentee.pk}
        if by.pk != deciding_party.get(MentorshipSource(source)) and not program_can_manage(
            program=program, user=by
        ):
            raise PermissionDeniedError("Only the program's managers may pair people.")
    if mentor.pk == mentee.pk:
        raise ValidationError("Nobody can mentor themself.")
    if score is not None and not 0 <= score <= 100:
        raise ValidationError({"score": ["A score is from 0 to 100."]})
    enrollments = _lock_enrollments(program, [mentor.pk, mentee.pk])
    mentor_enrollment = enrollments.get(mentor.pk)
    if mentor_enrollment is None or not _is_approved(mentor_enrollment, MENTOR_ROLES):
        raise ValidationError(f"{mentor.display_name} is not an approved mentor in {program.name}.")
    if not _is_approved(enrollments.get(mentee.pk), MENTEE_ROLES):
        raise ValidationError(f"{mentee.display_name} is not an approved mentee in {program.name}.")
    if _has_active_mentorship(program, mentee):
        raise ValidationError(f"{mentee.display_name} already has a mentor in {program.name}.")
    if _places_left(program, mentor_enrollment) < 1:
        raise ValidationError(
            f"{mentor.display_name} has no places left in {program.name}: "
            f"all {mentor_capacity(program=program, enrollment=mentor_enrollment)} are taken."
        )
    if program.program_type == ProgramType.GROUP:
        return _group_join(
            program=program,
            mentor=mentor,
            mentee=mentee,
            source=source,
            score=score,
            reasons=reasons,
            by=by,
            notify=notify,
            proposed=proposed,
        )
    mentorship = Mentorship(
        program=program,
        mentor=mentor,
        mentee=mentee,
        source=source,
        score=score,
        reasons=_clean_reasons(reasons),
        started_by=by,
    )
    # Someone else's mentorship for this mentee committed between our check and insert.
    _insert(
        mentorship,
        proposed=proposed,
        conflict=f"{mentee.display_name} already has a mentor in {program.name}.",
    )
    _close_open_items_of(program, mentee)
    if not proposed:
        _lifecycle(mentorship, "started")
    # No event for the start itself: the row's created_at and started_by tell it, and the
    # automatch publishes thousands at once, each insert counted.
    if notify and proposed:
        _notify_proposed(mentorship)
    elif notify:
        _notify_started(mentorship, by)
    return mentorship


def _insert(mentorship: Mentorship, *, proposed: bool, conflict: str) -> None:
    """Store a new mentorship or group, proposed or active; conflict says why it cannot be."""
    if proposed:
        mentorship.status = MentorshipStatus.PROPOSED
    else:
        mentorship.expected_end_on = _expected_end(mentorship.program, mentorship.started_at)
    mentorship.full_clean(exclude=RELATIONS, validate_constraints=False)
    try:
        with transaction.atomic():
            mentorship.save()
    except IntegrityError as error:
        raise ValidationError(conflict) from error


def _group_join(
    *,
    program: Program,
    mentor: User,
    mentee: User,
    source: str,
    score: float | None,
    reasons: list[str],
    by: User | None,
    notify: bool,
    proposed: bool,
) -> Mentorship:
    """Add the mentee to the mentor's ongoing group, starting one if there is none.

    Called by mentorship_start with both enrollments locked, so the place is still free.
    """
    group = (
        Mentorship.objects.select_for_update(of=("self",))
        .select_related("program", "mentor")
        .filter(program=program, mentor_id=mentor.pk, is_group=True, status__in=ONGOING_STATUSES)
        .first()
    )
    is_new = group is None
    if group is None:
        group = Mentorship(
            program=program,
            mentor=mentor,
            mentee=None,
            is_group=True,
            source=source,
            started_by=by,
            # The members do not confirm a proposed group; each may leave it.
            confirmed_by_mentee=True,
        )
        # The mentor's enrollment is locked, so only a group started outside
        # mentorship_start can race us here.
        _insert(
            group,
            proposed=proposed,
            conflict=f"{mentor.display_name} already leads a group in {program.name}.",
        )
    member = GroupMember(
        mentorship=group,
        program=program,
        mentee=mentee,
        source=source,
        score=score,
        reasons=_clean_reasons(reasons),
        added_by=by,
    )
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as error:
        raise ValidationError(
            f"{mentee.display_name} is already in a group in {program.name}."
        ) from error
    _close_open_items_of(program, mentee)
    if is_new and not proposed:
        _lifecycle(group, "started")
    elif not is_new:
        _lifecycle(group, "member_joined", user=mentee)
    if not is_new:
        from trellis.scheduling.services import meetings_participant_joined

        # The newcomer gets the group's invitations and reminders.
        meetings_participant_joined(mentorship=group, user=mentee)
        from trellis.messaging.services import mentorship_people_changed

        mentorship_people_changed(mentorship=group)
    _record(
        group,
        "join",
        by=by,
        from_status=group.status,
        details={"mentee_id": mentee.pk, "mentee": mentee.display_name},
    )
    if notify:
        _notify_joined(group, mentee, by=by, is_new=is_new)
    return group


def _notify_joined(group: Mentorship, mentee: User, *, by: User | None, is_new: bool) -> None:
    program, mentor = group.program, group.mentor
    url = mentorship_url(group)
    if group.status == MentorshipStatus.PROPOSED and is_new:
        notification_send(
            recipient=mentor,
            kind="mentorship.proposed",
            title=f"{program.name} proposes you lead a group, starting with {mentee.display_name}",
            body="Confirm or decline the proposal on the group's page.",
            url=url,
        )
    elif by is None or by.pk != mentor.pk:
        notification_send(
            recipient=mentor,
            kind="mentorship.joined",
            title=f"{mentee.display_name} joined your group in {program.name}",
            url=url,
        )
    if by is None or by.pk != mentee.pk:
        notification_send(
            recipient=mentee,
            kind="mentorship.started",
            title=f"You are now in {mentor.display_name}'s group in {program.name}",
            url=url,
        )
    for other in group.mentees():
        if other.pk != mentee.pk:
            notification_send(
                recipient=other,
                kind="mentorship.joined",
                title=f"{mentee.display_name} joined your group",
                url=url,
                send_email=False,
            )


def _expected_end(program: Program, start: dt.datetime) -> dt.date:
    return timezone.localdate(start) + dt.timedelta(weeks=program.expected_length_weeks)


def _record(
    mentorship: Mentorship,
    action: str,
    *,
    by: User | None,
    from_status: str,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    MentorshipEvent.objects.create(
        mentorship=mentorship,
        action=action,
        from_status=from_status,
        to_status=mentorship.status,
        by=by,
        note=note,
        details=details or {},
    )


def _notify_proposed(mentorship: Mentorship) -> None:
    program, mentor, mentee = mentorship.program, mentorship.mentor, mentorship.pair_mentee
    for recipient, other in ((mentor, mentee), (mentee, mentor)):
        notification_send(
            recipient=recipient,
            kind="mentorship.proposed",
            title=f"{program.name} proposes you work with {other.display_name}",
            body="Confirm or decline the proposal on the mentorship's page.",
            url=mentorship_url(mentorship),
        )


def _notify_started(mentorship: Mentorship, by: User | None) -> None:
    program, mentor, mentee = mentorship.program, mentorship.mentor, mentorship.pair_mentee
    url = mentorship_url(mentorship)
    if by is None or by.pk != mentee.pk:
        notification_send(
            recipient=mentee,
            kind="mentorship.started",
            title=f"{mentor.display_name} is now your mentor in {program.name}",
            body="; ".join(mentorship.reasons),
            url=url,
        )
    if by is None or by.pk != mentor.pk:
        notification_send(
            recipient=mentor,
            kind="mentorship.started",
            title=f"You are now mentoring {mentee.display_name} in {program.name}",
            body="; ".join(mentorship.reasons),
            url=url,
        )


def _close_open_items_of(program: Program, mentee: User) -> None:
    """The mentee has a mentor now: close their other open requests and offers, and say so."""
    now = timezone.now()
    requests = list(
        MentorshipRequest.objects.select_for_update(of=("self",))
        .select_related("mentor")
        .filter(program=program, mentee_id=mentee.pk, status__in=OPEN_REQUEST_STATUSES)
        .order_by("pk")
    )
    for request in requests:
        request.status = RequestStatus.CANCELLED
        request.decided_at = now
        request.save(update_fields=["status", "decided_at", "updated_at"])
        notification_send(
            recipient=request.mentor,
            kind="mentorship_request.cancelled",
            title=f"{mentee.display_name} found a mentor; their request to you is closed",
            url=requests_url(program),
            send_email=False,
        )
    offers = list(
        MentorshipOffer.objects.select_for_update(of=("self",))
        .select_related("mentor")
        .filter(program=program, mentee_id=mentee.pk, status=OfferStatus.OPEN)
        .order_by("pk")
    )
    for offer in offers:
        offer.status = OfferStatus.CANCELLED
        offer.decided_at = now
        offer.save(update_fields=["status", "decided_at", "updated_at"])
        notification_send(
            recipient=offer.mentor,
            kind="mentorship_offer.cancelled",
            title=f"{mentee.display_name} found a mentor; your offer is closed",
            url=requests_url(program),
            send_email=False,
        )


# Lifecycle --------------------------------------------------------------------------------
#
# Every transition: lock the mentorship row, check who may (the pair; the program's
# managers and staff too, except for answering a proposal) and the state (TRANSITIONS),
# change it, record a MentorshipEvent and tell the other side on commit. A refusal raises
# before anything is written.

MENTORSHIP_STATE = (
    "status",
    "started_at",
    "expected_end_on",
    "paused_at",
    "completed_at",
    "ended_at",
    "ended_reason",
    "ended_note",
    "confirmed_by_mentor",
    "confirmed_by_mentee",
    "end_reminder_sent_at",
    "wrap_up_sent_at",
    "updated_at",
)
ACTION_VERBS = {
    "confirm": "confirmed",
    "decline": "declined",
    "pause": "paused",
    "resume": "resumed",
    "complete": "completed",
    "end": "ended",
    "extend": "extended",
    "rematch": "ended (rematch)",
    "leave": "left",
    "remove": "changed",
}


def _locked_mentorship(mentorship: Mentorship, *, by: User, action: str) -> Mentorship:
    """The mentorship row, locked, once by may take action on it in its current state."""
    locked = (
        Mentorship.objects.select_for_update(of=("self",))
        .select_related("program", "mentor__profile", "mentee__profile")
        .prefetch_related(current_members_prefetch())
        .filter(pk=mentorship.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError("No such mentorship.")
    role = mentorship_role(mentorship=locked, user=by)
    if role is None:
        raise PermissionDeniedError("Only the pair and the program's managers may do this.")
    if locked.is_group:
        if action == "leave" and role != "mentee":
            raise PermissionDeniedError("Only a member leaves a group; a mentor ends it.")
        if role == "mentee" and action != "leave":
            raise PermissionDeniedError(
                "Only the group's mentor and the program's managers may do this; "
                "you may leave the group."
            )
        if action == "rematch":
            raise ValidationError("A group is not rematched; its members may leave it.")
    elif action in GROUP_ONLY_ACTIONS:
        raise ValidationError("Only a group's members leave it; a pair ends their mentorship.")
    if role == "manager" and action in PAIR_ONLY_ACTIONS:
        raise PermissionDeniedError("Only the mentor and the mentee answer a proposal.")
    if locked.status not in TRANSITIONS[action]:
        label = MentorshipStatus(locked.status).label.lower()
        raise ValidationError(f"A mentorship that is {label} cannot be {ACTION_VERBS[action]}.")
    return locked


def _save(locked: Mentorship, original: Mentorship, fields: Iterable[str]) -> None:
    locked.save(update_fields=[*fields, "updated_at"])
    _copy_state(original, locked, MENTORSHIP_STATE)


def _notify_others(
    mentorship: Mentorship,
    *,
    by: User,
    kind: str,
    title: str,
    body: str = "",
    include_managers: bool = False,
) -> None:
    """Tell the pair or group (but not whoever acted) and, if asked, the program's managers.

    A group's members are the ones prefetched with the locked row: those who were in it
    when the action began, even if it has just let them go.
    """
    recipients = list(mentorship.participants())
    if include_managers:
        recipients += list(mentorship.program.managers.filter(is_active=True).order_by("pk"))
    seen = {by.pk}
    for recipient in recipients:
        if recipient.pk in seen:
            continue
        seen.add(recipient.pk)
        notification_send(
            recipient=recipient,
            kind=kind,
            title=title,
            body=body,
            url=mentorship_url(mentorship),
        )


def _lifecycle(mentorship: Mentorship, event: str, *, user: User | None = None) -> None:
    """Tell the apps built on a mentorship what happened to it, inside its transaction.

    Events: "started" (it became active: started directly, confirmed, or a group began),
    "paused", "resumed", "extended" (expected_end_on moved), "finished" (completed or
    ended), "member_joined" and "member_left" (a group's member, given as ``user``).
    Connection plans time their prompts from it and feedback its surveys.
    """
    from trellis.feedback.services import surveys_on_mentorship
    from trellis.plans.services import plan_on_mentorship

    plan_on_mentorship(mentorship=mentorship, event=event, user=user)
    surveys_on_mentorship(mentorship=mentorship, event=event, user=user)


def _pair_label(mentorship: Mentorship) -> str:
    if mentorship.is_group:
        return f"{mentorship.mentor.display_name}'s group"
    return f"{mentorship.mentor.display_name} and {mentorship.pair_mentee.display_name}"


def _with(mentorship: Mentorship, recipient: User) -> str:
    """ "with …" for a recipient: the partner, "your group" or the mentor's group."""
    if not mentorship.is_group:
        other = (
            mentorship.pair_mentee if recipient.pk == mentorship.mentor_id else mentorship.mentor
        )
        return f"with {other.display_name}"
    if recipient.pk == mentorship.mentor_id:
        return "with your group"
    return f"with {mentorship.mentor.display_name}'s group"


@transaction.atomic
def mentorship_propose(*, program: Program, mentor: User, mentee: User, by: User) -> Mentorship:
    """A manager proposes a pair; it becomes active once both have confirmed.

    The proposal holds the mentee and a place of the mentor's from now on.
    """
    if not program_can_manage(program=program, user=by):
        raise PermissionDeniedError("Only the program's managers may propose a pair.")
    score, reasons = _pair_score(program, mentor=mentor, mentee=mentee)
    return mentorship_start(
        program=program,
        mentor=mentor,
        mentee=mentee,
        source=MentorshipSource.MANAGER,
        score=score,
        reasons=reasons,
        by=by,
        proposed=True,
    )


@transaction.atomic
def mentorship_confirm(*, mentorship: Mentorship, by: User) -> Mentorship:
    """One of the pair confirms a proposal; when both have, the mentorship starts."""
    locked = _locked_mentorship(mentorship, by=by, action="confirm")
    side = "mentor" if by.pk == locked.mentor_id else "mentee"
    field = f"confirmed_by_{side}"
    if getattr(locked, field):
        raise ValidationError("You have already confirmed; waiting for the other side.")
    setattr(locked, field, True)
    fields = [field]
    if locked.confirmed_by_mentor and locked.confirmed_by_mentee:
        now = timezone.now()
        locked.status = MentorshipStatus.ACTIVE
        locked.started_at = now
        locked.expected_end_on = _expected_end(locked.program, now)
        fields += ["status", "started_at", "expected_end_on"]
    _save(locked, mentorship, fields)
    _record(locked, "confirm", by=by, from_status=MentorshipStatus.PROPOSED)
    if locked.is_active:
        _lifecycle(locked, "started")
    if locked.is_active:
        _notify_others(
            locked,
            by=by,
            kind="mentorship.started",
            title=f"Your mentorship has started: {_pair_label(locked)}",
            include_managers=True,
        )
    else:
        _notify_others(
            locked,
            by=by,
            kind="mentorship.confirmed",
            title=f"{by.display_name} confirmed the proposed mentorship; please confirm too",
        )
    return locked


def _clean_reason(reason: str, note: str, *, allowed: Iterable[str]) -> tuple[str, str]:
    note = _clean_text(note, field="note", required=False)
    if reason not in tuple(allowed):
        raise ValidationError({"reason": ["Choose why the mentorship ends."]})
    if reason == EndReason.OTHER and not note:
        raise ValidationError({"note": ["Say why, in a few words."]})
    return reason, note


def _finish(
    locked: Mentorship,
    original: Mentorship,
    *,
    by: User,
    action: str,
    status: str,
    reason: str = "",
    note: str = "",
) -> None:
    """Take the mentorship to completed or ended, with the reason and note."""
    from_status = locked.status
    now = timezone.now()
    locked.status = status
    locked.ended_at = now
    fields = ["status", "ended_at"]
    if status == MentorshipStatus.COMPLETED:
        locked.completed_at = now
        fields.append("completed_at")
    if reason:
        locked.ended_reason = reason
        fields.append("ended_reason")
    if note:
        locked.ended_note = note
        fields.append("ended_note")
    _save(locked, original, fields)
    if locked.is_group:
        # Everyone still in the group leaves with it, free to join another.
        GroupMember.objects.filter(mentorship=locked, left_at__isnull=True).update(
            left_at=now, left_reason=GroupLeaveReason.GROUP_FINISHED, updated_at=now
        )
    # The conversation stays readable to its people and is no longer writable.
    from trellis.messaging.services import mentorship_people_changed

    mentorship_people_changed(mentorship=locked)
    _lifecycle(locked, "finished")
    _record(
        locked,
        action,
        by=by,
        from_status=from_status,
        note=note,
        details={"reason": reason} if reason else None,
    )


@transaction.atomic
def mentorship_decline(*, mentorship: Mentorship, by: User, note: str = "") -> Mentorship:
    """One of the pair declines a proposal: it ends, and the mentee is free to match again."""
    locked = _locked_mentorship(mentorship, by=by, action="decline")
    note = _clean_text(note, field="note", required=False)
    _finish(
        locked,
        mentorship,
        by=by,
        action="decline",
        status=MentorshipStatus.ENDED,
        reason=EndReason.DECLINED,
        note=note,
    )
    _notify_others(
        locked,
        by=by,
        kind="mentorship.declined",
        title=f"{by.display_name} declined the proposed mentorship ({_pair_label(locked)})",
        body=note,
        include_managers=True,
    )
    return locked


@transaction.atomic
def mentorship_pause(*, mentorship: Mentorship, by: User, note: str = "") -> Mentorship:
    """Put an active mentorship on hold; it keeps the mentor's place."""
    locked = _locked_mentorship(mentorship, by=by, action="pause")
    note = _clean_text(note, field="note", required=False)
    locked.status = MentorshipStatus.PAUSED
    locked.paused_at = timezone.now()
    _save(locked, mentorship, ["status", "paused_at"])
    _record(locked, "pause", by=by, from_status=MentorshipStatus.ACTIVE, note=note)
    _lifecycle(locked, "paused")
    _notify_others(
        locked,
        by=by,
        kind="mentorship.paused",
        title=f"{by.display_name} paused the mentorship ({_pair_label(locked)})",
        body=note,
    )
    return locked


@transaction.atomic
def mentorship_resume(*, mentorship: Mentorship, by: User) -> Mentorship:
    """Take a paused mentorship up again."""
    locked = _locked_mentorship(mentorship, by=by, action="resume")
    locked.status = MentorshipStatus.ACTIVE
    locked.paused_at = None
    _save(locked, mentorship, ["status", "paused_at"])
    _record(locked, "resume", by=by, from_status=MentorshipStatus.PAUSED)
    _lifecycle(locked, "resumed")
    _notify_others(
        locked,
        by=by,
        kind="mentorship.resumed",
        title=f"{by.display_name} resumed the mentorship ({_pair_label(locked)})",
    )
    return locked


@transaction.atomic
def mentorship_complete(*, mentorship: Mentorship, by: User, note: str = "") -> Mentorship:
    """Close the mentorship as done."""
    locked = _locked_mentorship(mentorship, by=by, action="complete")
    note = _clean_text(note, field="note", required=False)
    _finish(
        locked, mentorship, by=by, action="complete", status=MentorshipStatus.COMPLETED, note=note
    )
    _notify_others(
        locked,
        by=by,
        kind="mentorship.completed",
        title=f"{by.display_name} marked the mentorship completed ({_pair_label(locked)})",
        body=note,
    )
    return locked


@transaction.atomic
def mentorship_end(*, mentorship: Mentorship, by: User, reason: str, note: str = "") -> Mentorship:
    """End the mentorship early, with a reason (and a note; required for "other")."""
    locked = _locked_mentorship(mentorship, by=by, action="end")
    reason, note = _clean_reason(reason, note, allowed=EARLY_END_REASONS)
    _finish(
        locked,
        mentorship,
        by=by,
        action="end",
        status=MentorshipStatus.ENDED,
        reason=reason,
        note=note,
    )
    _notify_others(
        locked,
        by=by,
        kind="mentorship.ended",
        title=f"{by.display_name} ended the mentorship early ({_pair_label(locked)})",
        body=EndReason(reason).label + (f": {note}" if note else ""),
        include_managers=True,
    )
    return locked


@transaction.atomic
def mentorship_rematch(*, mentorship: Mentorship, by: User, note: str = "") -> Mentorship:
    """End the mentorship so the mentee can be matched with someone else.

    The managers are told, so they can find the mentee a new mentor; the mentee's
    enrollment stays approved and matching lists them again.
    """
    locked = _locked_mentorship(mentorship, by=by, action="rematch")
    note = _clean_text(note, field="note", required=False)
    _finish(
        locked,
        mentorship,
        by=by,
        action="rematch",
        status=MentorshipStatus.ENDED,
        reason=EndReason.REMATCH,
        note=note,
    )
    _notify_others(
        locked,
        by=by,
        kind="mentorship.rematch",
        title=f"{_pair_label(locked)}: ended for a rematch; the mentee looks for a new mentor",
        body=note,
        include_managers=True,
    )
    return locked


@transaction.atomic
def mentorship_extend(*, mentorship: Mentorship, by: User, until: dt.date) -> Mentorship:
    """Move the expected end to a later date.

    It must be after today and after the current end, and no later than the end of the
    program's cycle when the program has one (its only upper bound on a mentorship's
    length). The reminders start over for the new date.
    """
    locked = _locked_mentorship(mentorship, by=by, action="extend")
    today = timezone.localdate()
    if until <= today:
        raise ValidationError({"until": ["Choose a date after today."]})
    current = locked.expected_end_on
    if current is not None and until <= current:
        raise ValidationError(
            {"until": [f"Choose a date after the current end, {current:%d %b %Y}."]}
        )
    cycle_end = locked.program.cycle_end
    if cycle_end is not None and until > cycle_end:
        raise ValidationError(
            {
                "until": [
                    f"The program's cycle ends on {cycle_end:%d %b %Y}; choose that or earlier."
                ]
            }
        )
    locked.expected_end_on = until
    locked.end_reminder_sent_at = None
    locked.wrap_up_sent_at = None
    _save(locked, mentorship, ["expected_end_on", "end_reminder_sent_at", "wrap_up_sent_at"])
    _lifecycle(locked, "extended")
    _record(
        locked,
        "extend",
        by=by,
        from_status=locked.status,
        details={
            "from": current.isoformat() if current else None,
            "until": until.isoformat(),
        },
    )
    _notify_others(
        locked,
        by=by,
        kind="mentorship.extended",
        title=f"{by.display_name} extended the mentorship to {until:%d %b %Y}",
    )
    return locked


# Groups ---------------------------------------------------------------------------------

GROUP_LEAVE_REASONS = (
    GroupLeaveReason.GOALS_MET,
    GroupLeaveReason.NO_TIME,
    GroupLeaveReason.NOT_A_GOOD_FIT,
    GroupLeaveReason.LEFT_PROGRAM,
    GroupLeaveReason.OTHER,
)


def _member_leaves(
    locked: Mentorship, member: GroupMember, *, by: User, reason: str, note: str
) -> None:
    now = timezone.now()
    member.left_at = now
    member.left_reason = reason
    member.left_note = note
    member.save(update_fields=["left_at", "left_reason", "left_note", "updated_at"])
    _record(
        locked,
        "leave" if by.pk == member.mentee_id else "remove",
        by=by,
        from_status=locked.status,
        note=note,
        details={
            "mentee_id": member.mentee_id,
            "mentee": member.mentee.display_name,
            "reason": reason,
        },
    )
    # Their place in the group's meetings and conversation goes with them.
    from trellis.messaging.services import mentorship_people_changed
    from trellis.scheduling.services import meetings_participant_left

    meetings_participant_left(mentorship=locked, user=member.mentee)
    mentorship_people_changed(mentorship=locked)
    _lifecycle(locked, "member_left", user=member.mentee)


@transaction.atomic
def group_leave(*, mentorship: Mentorship, by: User, reason: str, note: str = "") -> Mentorship:
    """A member leaves the group, with a reason; the group goes on without them."""
    locked = _locked_mentorship(mentorship, by=by, action="leave")
    reason, note = _clean_reason(reason, note, allowed=GROUP_LEAVE_REASONS)
    member = next(m for m in locked.current_group_members() if m.mentee_id == by.pk)
    _member_leaves(locked, member, by=by, reason=reason, note=note)
    _notify_others(
        locked,
        by=by,
        kind="mentorship.left",
        title=f"{by.display_name} left {_pair_label(locked)}",
        body=GroupLeaveReason(reason).label + (f": {note}" if note else ""),
        include_managers=True,
    )
    _drop_member(locked, member)
    return locked


@transaction.atomic
def group_member_remove(
    *, mentorship: Mentorship, mentee: User, by: User, note: str = ""
) -> Mentorship:
    """The mentor or a manager takes a member out of the group; the member is told why."""
    locked = _locked_mentorship(mentorship, by=by, action="remove")
    note = _clean_text(note, field="note", required=True, what="why, in a few words")
    member = next((m for m in locked.current_group_members() if m.mentee_id == mentee.pk), None)
    if member is None:
        raise ValidationError(f"{mentee.display_name} is not in this group.")
    _member_leaves(locked, member, by=by, reason=GroupLeaveReason.REMOVED, note=note)
    _notify_others(
        locked,
        by=by,
        kind="mentorship.removed",
        title=f"{by.display_name} took {mentee.display_name} out of {_pair_label(locked)}",
        body=note,
        include_managers=True,
    )
    _drop_member(locked, member)
    return locked


def _drop_member(group: Mentorship, member: GroupMember) -> None:
    """The returned group lists its members without the one who just left."""
    # Kept until now on purpose: the leaver was among those told.
    group.current_members = [m for m in group.current_group_members() if m.pk != member.pk]  # type: ignore[attr-defined]


# Reminders ----------------------------------------------------------------------------------

# "Ends in 2 weeks" goes this long before the expected end; the wrap-up prompt on the day.
END_REMINDER_LEAD = dt.timedelta(weeks=2)
REMINDER_BATCH = 500


def mentorships_remind(*, today: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """Send the program-driven reminders that are due; return how many mentorships got one.

    "Ends in two weeks" in the two weeks before expected_end_on, and a wrap-up prompt from
    the end date on, each once per mentorship and end date: a sent marker is claimed with a
    conditional UPDATE, so a re-run (or two runs at once) never repeats one. When both are
    due (the sweep did not run for a while) only the wrap-up goes. Then the "time to meet"
    nudge for pairs behind their meeting cadence (`mentorships_nudge`).
    """
    today = today or timezone.localdate()
    sent = mentorships_nudge(now=now)
    ongoing = Q(status__in=(MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED))
    wrap_up_due = list(
        Mentorship.objects.filter(
            ongoing, wrap_up_sent_at__isnull=True, expected_end_on__lte=today
        ).values_list("pk", flat=True)[:REMINDER_BATCH]
    )
    for mentorship_id in wrap_up_due:
        sent += _remind(mentorship_id, wrap_up=True)
    end_soon_due = list(
        Mentorship.objects.filter(
            ongoing,
            end_reminder_sent_at__isnull=True,
            expected_end_on__gt=today,
            expected_end_on__lte=today + END_REMINDER_LEAD,
        ).values_list("pk", flat=True)[:REMINDER_BATCH]
    )
    for mentorship_id in end_soon_due:
        sent += _remind(mentorship_id, wrap_up=False)
    return sent


@transaction.atomic
def _remind(mentorship_id: int, *, wrap_up: bool) -> bool:
    now = timezone.now()
    marker = "wrap_up_sent_at" if wrap_up else "end_reminder_sent_at"
    changes: dict[str, Any] = {marker: now, "updated_at": now}
    if wrap_up:
        # Past the end there is no point in "ends in two weeks" any more.
        changes["end_reminder_sent_at"] = Coalesce(F("end_reminder_sent_at"), Value(now))
    claimed = Mentorship.objects.filter(pk=mentorship_id, **{f"{marker}__isnull": True}).update(
        **changes
    )
    if not claimed:
        return False
    mentorship = (
        Mentorship.objects.select_related("program", "mentor__profile", "mentee__profile")
        .prefetch_related(current_members_prefetch())
        .filter(pk=mentorship_id)
        .get()
    )
    end = mentorship.expected_end_on
    for recipient in mentorship.participants():
        if wrap_up:
            notification_send(
                recipient=recipient,
                kind="mentorship.wrap_up",
                title=f"Time to wrap up your mentorship {_with(mentorship, recipient)}",
                body=(
                    "It reached its expected end. Look back on what you achieved, then mark "
                    "it completed, or extend it if you want to go on."
                ),
                url=mentorship_url(mentorship),
            )
        else:
            notification_send(
                recipient=recipient,
                kind="mentorship.ending_soon",
                title=f"Your mentorship {_with(mentorship, recipient)} ends in two weeks",
                body=f"Its expected end is {end:%d %b %Y}. Plan your last meetings, or extend it.",
                url=mentorship_url(mentorship),
            )
    return True


@dataclass(frozen=True)
class Cadence:
    """How often a pair means to meet, and when they count as behind."""

    # Between meetings; also how far ahead a booked meeting counts, and the least time
    # between two nudges.
    interval: dt.timedelta
    # No meeting for this long (the interval and some grace) and the pair is behind.
    behind_after: dt.timedelta


CADENCES = {
    MeetingFrequency.WEEKLY: Cadence(dt.timedelta(days=7), dt.timedelta(days=10)),
    MeetingFrequency.FORTNIGHTLY: Cadence(dt.timedelta(days=14), dt.timedelta(days=18)),
    MeetingFrequency.MONTHLY: Cadence(dt.timedelta(days=30), dt.timedelta(days=35)),
}
# Mentorships are read this many at a time (a fixed number of queries each).
NUDGE_CHUNK = 200


def mentorships_nudge(*, now: dt.datetime | None = None, limit: int = REMINDER_BATCH) -> int:
    """Nudge active pairs who fell behind their meeting cadence; return how many were nudged.

    The cadence is the pair's agreed one, else the program's meeting frequency. A pair is
    behind when it has been active longer than ``behind_after`` (weekly: 10 days,
    fortnightly: 18, monthly: 35), has not met in that time (an occurrence of their
    meetings that began, not cancelled nor logged as a no-show; or a log saying it
    happened) and has nothing booked within the next interval. Both get an in-app
    notification (held until their contact hours) linking to the schedule page, at most
    once per interval: the marker is claimed with a conditional UPDATE, as the end
    reminders' are. Mentorships are read in chunks, five queries each however many.
    """
    now = now or timezone.now()
    shortest = min(CADENCES.values(), key=lambda cadence: cadence.behind_after)
    look_back = max(cadence.behind_after for cadence in CADENCES.values())
    look_ahead = max(cadence.interval for cadence in CADENCES.values())
    nudged = 0
    after_pk = 0
    while nudged < limit:
        chunk = mentorships_for_nudge(
            active_before=now - shortest.behind_after,
            nudged_before=now - min(cadence.interval for cadence in CADENCES.values()),
            after_pk=after_pk,
            limit=NUDGE_CHUNK,
        )
        if not chunk:
            break
        after_pk = chunk[-1].pk
        activity = meeting_activity_for(
            mentorship_ids=[mentorship.pk for mentorship in chunk],
            start=now - look_back,
            end=now + look_ahead,
            now=now,
        )
        for mentorship in chunk:
            frequency = meeting_cadence_for(mentorship=mentorship)
            cadence = CADENCES[MeetingFrequency(frequency)]
            pair_activity = activity.get(mentorship.pk, MeetingActivity())
            if not _is_behind(mentorship, cadence, pair_activity, now):
                continue
            if _nudge(mentorship, cadence, frequency, now):
                nudged += 1
                if nudged >= limit:
                    break
    return nudged


def _is_behind(
    mentorship: Mentorship, cadence: Cadence, activity: MeetingActivity, now: dt.datetime
) -> bool:
    active_since: dt.datetime = getattr(mentorship, "active_since", mentorship.started_at)
    if active_since > now - cadence.behind_after:
        return False  # too new (or just resumed) to be behind
    nudged_at = mentorship.meeting_nudge_sent_at
    if nudged_at is not None and nudged_at > now - cadence.interval:
        return False
    if activity.last_met_at is not None and activity.last_met_at >= now - cadence.behind_after:
        return False
    return activity.next_meeting_at is None or activity.next_meeting_at > now + cadence.interval


@transaction.atomic
def _nudge(mentorship: Mentorship, cadence: Cadence, frequency: str, now: dt.datetime) -> bool:
    claimed = (
        Mentorship.objects.filter(pk=mentorship.pk, status=MentorshipStatus.ACTIVE)
        .filter(
            Q(meeting_nudge_sent_at__isnull=True)
            | Q(meeting_nudge_sent_at__lte=now - cadence.interval)
        )
        .update(meeting_nudge_sent_at=now, updated_at=now)
    )
    if not claimed:
        return False
    if not mentorship.mentee_ids():
        return True  # a group with nobody in it yet: the marker is set, nobody to tell
    how_often = MeetingFrequency(frequency).label.lower()
    url = reverse("scheduling:schedule", args=[mentorship.pk])
    for recipient in mentorship.participants():
        notification_send(
            recipient=recipient,
            kind="mentorship.behind",
            title=f"Time to book your next meeting {_with(mentorship, recipient)}",
            body=(
                f"You planned to meet {how_often}, and you have not met for "
                f"{cadence.behind_after.days} days with nothing booked yet. "
                "Find a time that suits you both."
            ),
            url=url,
            send_email=False,
        )
    return True


# Requests (mentee-led) -------------------------------------------------------------------


@transaction.atomic
def request_send(
    *, program: Program, mentee: User, mentor: User, message: str
) -> MentorshipRequest:
    """A mentee asks a mentor to mentor them; the mentor is told."""
    return _request_create(program=program, mentee=mentee, mentor=mentor, message=message)


def _request_create(
    *,
    program: Program,
    mentee: User,
    mentor: User,
    message: str,
    rollover_of: MentorshipRequest | None = None,
) -> MentorshipRequest:
    settings = matching_settings_for(program=program)
    if not settings.mentee_requests_enabled:
        raise ValidationError(
            "This program does not take requests from mentees; its managers match people."
        )
    message = _clean_text(message, field="message", required=True)
    # The mentee's enrollment row serialises their requests: the open count stays exact.
    mentee_enrollment = _lock_enrollments(program, [mentee.pk]).get(mentee.pk)
    if not _is_approved(mentee_enrollment, MENTEE_ROLES):
        raise PermissionDeniedError("Only the program's approved mentees may send requests.")
    if mentor.pk == mentee.pk:
        raise ValidationError({"mentor": ["You cannot ask yourself."]})
    mentor_enrollment = (
        Enrollment.objects.select_related("user").filter(program=program, user_id=mentor.pk).first()
    )
    if mentor_enrollment is None or not _is_approved(mentor_enrollment, MENTOR_ROLES):
        raise ValidationError({"mentor": ["This person is not a mentor in this program."]})
    if _has_active_mentorship(program, mentee):
        raise ValidationError("You already have a mentor in this program.")
    open_mentor_ids = list(
        MentorshipRequest.objects.filter(
            program=program, mentee_id=mentee.pk, status__in=OPEN_REQUEST_STATUSES
        ).values_list("mentor_id", flat=True)
    )
    if mentor.pk in open_mentor_ids:
        raise ValidationError(
            f"You have already asked {mentor.display_name}; wait for their answer."
        )
    if len(open_mentor_ids) >= settings.max_open_requests:
        raise ValidationError(
            f"You may have at most {settings.max_open_requests} open requests at a time. "
            "Withdraw one or wait for an answer."
        )
    if _places_left(program, mentor_enrollment) < 1:
        raise ValidationError(f"{mentor.display_name} has no places left in this program.")
    # The matching's hard rules (a mentor's "avoid" among them) decide who may be asked.
    if pair_explanation(program=program, mentor=mentor, mentee=mentee)[0] is None:
        raise ValidationError(
            {"mentor": [f"{mentor.display_name} is not available to you in this program."]}
        )
    request = MentorshipRequest(
        program=program,
        mentee=mentee,
        mentor=mentor,
        message=message,
        expires_at=timezone.now() + dt.timedelta(days=settings.request_expiry_days),
        rollover_of=rollover_of,
    )
    request.full_clean(exclude=RELATIONS, validate_constraints=False)
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as error:
        raise ValidationError(
            f"You have already asked {mentor.display_name}; wait for their answer."
        ) from error
    notification_send(
        recipient=mentor,
        kind="mentorship_request.received",
        title=f"{mentee.display_name} asks you to be their mentor in {program.name}",
        body=message,
        url=requests_url(program),
    )
    return request


def _locked_request(request: MentorshipRequest) -> MentorshipRequest:
    locked = (
        MentorshipRequest.objects.select_for_update(of=("self",))
        .select_related("program", "mentee__profile", "mentor__profile")
        .filter(pk=request.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError("No such request.")
    return locked


def _require_open_request(request: MentorshipRequest, *, now: dt.datetime) -> None:
    if not request.is_open:
        label = RequestStatus(request.status).label.lower()
        raise ValidationError(f"This request can no longer be answered: it is {label}.")
    if request.expires_at <= now:
        raise ValidationError("This request has expired.")


REQUEST_STATE = (
    "status",
    "decided_at",
    "response_note",
    "info_question",
    "info_reply",
    "expires_at",
    "mentorship",
)


@transaction.atomic
def request_accept(*, request: MentorshipRequest, by: User) -> Mentorship:
    """The mentor accepts: the mentorship starts and the mentee's other requests close.

    When the mentor's last place went to someone else a moment earlier, nothing changes
    and the mentor is told why.
    """
    if by.pk != request.mentor_id:
        raise PermissionDeniedError("Only the mentor asked may accept a request.")
    program = request.program
    enrollments = _lock_enrollments(program, [request.mentor_id, request.mentee_id])
    locked = _locked_request(request)
    now = timezone.now()
    _require_open_request(locked, now=now)
    mentor_enrollment = enrollments.get(by.pk)
    if mentor_enrollment is not None and _places_left(program, mentor_enrollment) < 1:
        raise ValidationError(
            f"You have no places left in {program.name}: all "
            f"{mentor_capacity(program=program, enrollment=mentor_enrollment)} are taken."
        )
    if _has_active_mentorship(program, locked.mentee):
        raise ValidationError(f"{locked.mentee.display_name} already has a mentor.")
    # Marked first, so closing the mentee's other requests leaves this one alone.
    locked.status = RequestStatus.ACCEPTED
    locked.decided_at = now
    locked.save(update_fields=["status", "decided_at", "updated_at"])
    score, reasons = _pair_score(program, mentor=locked.mentor, mentee=locked.mentee)
    mentorship = mentorship_start(
        program=program,
        mentor=locked.mentor,
        mentee=locked.mentee,
        source=MentorshipSource.REQUEST,
        score=score,
        reasons=reasons,
        by=by,
    )
    locked.mentorship = mentorship
    locked.save(update_fields=["mentorship", "updated_at"])
    _copy_state(request, locked, REQUEST_STATE)
    return mentorship


def _mentor_answers(request: MentorshipRequest, by: User, verb: str) -> MentorshipRequest:
    if by.pk != request.mentor_id:
        raise PermissionDeniedError(f"Only the mentor asked may {verb} a request.")
    return _locked_request(request)


@transaction.atomic
def request_decline(*, request: MentorshipRequest, by: User, note: str = "") -> MentorshipRequest:
    """The mentor declines, optionally with a note for the mentee."""
    locked = _mentor_answers(request, by, "decline")
    note = _clean_text(note, field="note", required=False)
    now = timezone.now()
    _require_open_request(locked, now=now)
    locked.status = RequestStatus.DECLINED
    locked.decided_at = now
    locked.response_note = note
    locked.save(update_fields=["status", "decided_at", "response_note", "updated_at"])
    notification_send(
        recipient=locked.mentee,
        kind="mentorship_request.declined",
        title=f"{locked.mentor.display_name} declined your request",
        body=note,
        url=directory_url(locked.program),
    )
    _copy_state(request, locked, REQUEST_STATE)
    return locked


@transaction.atomic
def request_ask_info(*, request: MentorshipRequest, by: User, question: str) -> MentorshipRequest:
    """The mentor asks the mentee for more information before deciding.

    The mentee gets the program's full answering time to reply.
    """
    locked = _mentor_answers(request, by, "answer")
    question = _clean_text(question, field="question", required=True, what="your question")
    now = timezone.now()
    _require_open_request(locked, now=now)
    settings = matching_settings_for(program=locked.program)
    locked.status = RequestStatus.INFO_REQUESTED
    locked.info_question = question
    locked.info_reply = ""
    locked.expires_at = now + dt.timedelta(days=settings.request_expiry_days)
    locked.save(update_fields=["status", "info_question", "info_reply", "expires_at", "updated_at"])
    notification_send(
        recipient=locked.mentee,
        kind="mentorship_request.info_requested",
        title=f"{locked.mentor.display_name} would like to know more before deciding",
        body=question,
        url=requests_url(locked.program),
    )
    _copy_state(request, locked, REQUEST_STATE)
    return locked


@transaction.atomic
def request_reply_info(*, request: MentorshipRequest, by: User, message: str) -> MentorshipRequest:
    """The mentee answers the mentor's question; the request waits for the mentor again."""
    if by.pk != request.mentee_id:
        raise PermissionDeniedError("Only the mentee who asked may reply.")
    locked = _locked_request(request)
    message = _clean_text(message, field="message", required=True, what="your answer")
    now = timezone.now()
    _require_open_request(locked, now=now)
    if locked.status != RequestStatus.INFO_REQUESTED:
        raise ValidationError("The mentor has not asked you anything.")
    settings = matching_settings_for(program=locked.program)
    locked.status = RequestStatus.OPEN
    locked.info_reply = message
    locked.expires_at = now + dt.timedelta(days=settings.request_expiry_days)
    locked.save(update_fields=["status", "info_reply", "expires_at", "updated_at"])
    notification_send(
        recipient=locked.mentor,
        kind="mentorship_request.info_given",
        title=f"{locked.mentee.display_name} answered your question",
        body=message,
        url=requests_url(locked.program),
    )
    _copy_state(request, locked, REQUEST_STATE)
    return locked


@transaction.atomic
def request_withdraw(*, request: MentorshipRequest, by: User) -> MentorshipRequest:
    """The mentee takes the request back."""
    if by.pk != request.mentee_id:
        raise PermissionDeniedError("Only the mentee who asked may withdraw a request.")
    locked = _locked_request(request)
    if not locked.is_open:
        label = RequestStatus(locked.status).label.lower()
        raise ValidationError(f"This request can no longer be withdrawn: it is {label}.")
    locked.status = RequestStatus.WITHDRAWN
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_at", "updated_at"])
    notification_send(
        recipient=locked.mentor,
        kind="mentorship_request.withdrawn",
        title=f"{locked.mentee.display_name} withdrew their request",
        url=requests_url(locked.program),
        send_email=False,
    )
    _copy_state(request, locked, REQUEST_STATE)
    return locked


# Expiry and rollover ------------------------------------------------------------------------


def requests_expire(
    *, now: dt.datetime | None = None, program: Program | None = None, user: User | None = None
) -> int:
    """Expire requests and offers past their time; return how many expired.

    A request the mentor never answered rolls over: the mentee's next choice is asked
    with the same message. Each item expires in its own transaction, so one failure does
    not hold up the rest. `program` and `user` narrow the sweep (a page's lazy sweep).
    """
    now = now or timezone.now()
    scope = Q()
    if program is not None:
        scope &= Q(program=program)
    if user is not None:
        scope &= Q(mentee_id=user.pk) | Q(mentor_id=user.pk)
    due_requests = list(
        MentorshipRequest.objects.filter(
            scope, status__in=OPEN_REQUEST_STATUSES, expires_at__lte=now
        )
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:EXPIRY_BATCH]
    )
    due_offers = list(
        MentorshipOffer.objects.filter(scope, status=OfferStatus.OPEN, expires_at__lte=now)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:EXPIRY_BATCH]
    )
    expired = sum(_request_expire(request_id, now) for request_id in due_requests)
    expired += sum(_offer_expire(offer_id, now) for offer_id in due_offers)
    return expired


@transaction.atomic
def _request_expire(request_id: int, now: dt.datetime) -> bool:
    found = (
        MentorshipRequest.objects.select_related("program", "mentee__profile", "mentor__profile")
        .filter(pk=request_id)
        .first()
    )
    if found is None:
        return False
    _lock_enrollments(found.program, [found.mentee_id])
    locked = (
        MentorshipRequest.objects.select_for_update(of=("self",))
        .select_related("program", "mentee__profile", "mentor__profile")
        .filter(pk=request_id, status__in=OPEN_REQUEST_STATUSES, expires_at__lte=now)
        .first()
    )
    if locked is None:
        return False  # answered or withdrawn in the meantime
    mentor_never_answered = locked.status == RequestStatus.OPEN
    locked.status = RequestStatus.EXPIRED
    locked.decided_at = now
    locked.save(update_fields=["status", "decided_at", "updated_at"])
    program, mentor = locked.program, locked.mentor
    next_request = _rollover(locked) if mentor_never_answered else None
    if next_request is not None:
        title = (
            f"{mentor.display_name} did not answer in time; "
            f"we asked {next_request.mentor.display_name} for you"
        )
    else:
        title = f"Your request to {mentor.display_name} expired"
    notification_send(
        recipient=locked.mentee,
        kind="mentorship_request.expired",
        title=title,
        url=requests_url(program),
    )
    notification_send(
        recipient=mentor,
        kind="mentorship_request.expired",
        title=f"The request from {locked.mentee.display_name} expired",
        url=requests_url(program),
        send_email=False,
    )
    return True


def _rollover(expired: MentorshipRequest) -> MentorshipRequest | None:
    """Ask the mentee's next choice: their ranked and favourite mentors first, then by score.

    Only eligible mentors with a free place whom the mentee has never asked in the program.
    """
    program, mentee = expired.program, expired.mentee
    if not matching_settings_for(program=program).mentee_requests_enabled:
        return None
    if _has_active_mentorship(program, mentee):
        return None
    asked = set(
        MentorshipRequest.objects.filter(program=program, mentee_id=mentee.pk).values_list(
            "mentor_id", flat=True
        )
    )
    wishes = {
        wish.mentor_id: wish
        for wish in MenteeWish.objects.filter(program=program, mentee_id=mentee.pk)
    }

    def preference(position_and_candidate: tuple[int, Any]) -> tuple[int, int, int]:
        position, candidate = position_and_candidate
        wish = wishes.get(candidate.user.pk)
        rank = wish.rank if wish is not None and wish.rank is not None else 1_000
        favourite = 0 if wish is not None and wish.is_favourite else 1
        return (rank, favourite, position)

    candidates = [
        candidate
        for _, candidate in sorted(
            enumerate(mentor_candidates(program=program, mentee=mentee)), key=preference
        )
        if candidate.is_eligible and candidate.places_left > 0 and candidate.user.pk not in asked
    ]
    for candidate in candidates[:MAX_ROLLOVER_ATTEMPTS]:
        try:
            with transaction.atomic():
                return _request_create(
                    program=program,
                    mentee=mentee,
                    mentor=candidate.user,
                    message=expired.message,
                    rollover_of=expired,
                )
        except (ValidationError, PermissionDeniedError):
            continue
    return None


@transaction.atomic
def _offer_expire(offer_id: int, now: dt.datetime) -> bool:
    locked = (
        MentorshipOffer.objects.select_for_update(of=("self",))
        .select_related("program", "mentee__profile", "mentor__profile")
        .filter(pk=offer_id, status=OfferStatus.OPEN, expires_at__lte=now)
        .first()
    )
    if locked is None:
        return False
    locked.status = OfferStatus.EXPIRED
    locked.decided_at = now
    locked.save(update_fields=["status", "decided_at", "updated_at"])
    notification_send(
        recipient=locked.mentor,
        kind="mentorship_offer.expired",
        title=f"Your offer to {locked.mentee.display_name} expired",
        url=requests_url(locked.program),
        send_email=False,
    )
    return True


# Offers (mentor-led) --------------------------------------------------------------------------


@transaction.atomic
def offer_send(*, program: Program, mentor: User, mentee: User, message: str) -> MentorshipOffer:
    """A mentor offers to mentor a mentee; the mentee is told and decides."""
    settings = matching_settings_for(program=program)
    if not settings.mentor_offers_enabled:
        raise ValidationError("This program does not take offers from mentors.")
    message = _clean_text(message, field="message", required=True)
    mentor_enrollment = _lock_enrollments(program, [mentor.pk]).get(mentor.pk)
    if mentor_enrollment is None or not _is_approved(mentor_enrollment, MENTOR_ROLES):
        raise PermissionDeniedError("Only the program's approved mentors may make offers.")
    if mentor.pk == mentee.pk:
        raise ValidationError({"mentee": ["You cannot mentor yourself."]})
    mentee_enrollment = (
        Enrollment.objects.select_related("user").filter(program=program, user_id=mentee.pk).first()
    )
    if not _is_approved(mentee_enrollment, MENTEE_ROLES):
        raise ValidationError({"mentee": ["This person is not a mentee in this program."]})
    if _has_active_mentorship(program, mentee):
        raise ValidationError(f"{mentee.display_name} already has a mentor.")
    if MentorshipOffer.objects.filter(
        program=program, mentor_id=mentor.pk, mentee_id=mentee.pk, status=OfferStatus.OPEN
    ).exists():
        raise ValidationError(f"You have already made {mentee.display_name} an offer.")
    if _places_left(program, mentor_enrollment) < 1:
        raise ValidationError(f"You have no places left in {program.name}.")
    if pair_explanation(program=program, mentor=mentor, mentee=mentee)[0] is None:
        raise ValidationError(
            {"mentee": [f"{mentee.display_name} cannot be matched with you in this program."]}
        )
    offer = MentorshipOffer(
        program=program,
        mentor=mentor,
        mentee=mentee,
        message=message,
        expires_at=timezone.now() + dt.timedelta(days=settings.request_expiry_days),
    )
    offer.full_clean(exclude=RELATIONS, validate_constraints=False)
    try:
        with transaction.atomic():
            offer.save()
    except IntegrityError as error:
        raise ValidationError(f"You have already made {mentee.display_name} an offer.") from error
    notification_send(
        recipient=mentee,
        kind="mentorship_offer.received",
        title=f"{mentor.display_name} offers to mentor you in {program.name}",
        body=message,
        url=requests_url(program),
    )
    return offer


OFFER_STATE = ("status", "decided_at", "response_note", "mentorship")


def _locked_offer(offer: MentorshipOffer) -> MentorshipOffer:
    locked = (
        MentorshipOffer.objects.select_for_update(of=("self",))
        .select_related("program", "mentee__profile", "mentor__profile")
        .filter(pk=offer.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError("No such offer.")
    return locked


def _require_open_offer(offer: MentorshipOffer, *, now: dt.datetime) -> None:
    if not offer.is_open:
        label = OfferStatus(offer.status).label.lower()
        raise ValidationError(f"This offer is no longer open: it is {label}.")
    if offer.expires_at <= now:
        raise ValidationError("This offer has expired.")


@transaction.atomic
def offer_accept(*, offer: MentorshipOffer, by: User) -> Mentorship:
    """The mentee takes up the offer: the mentorship starts."""
    if by.pk != offer.mentee_id:
        raise PermissionDeniedError("Only the mentee offered may accept an offer.")
    program = offer.program
    enrollments = _lock_enrollments(program, [offer.mentor_id, offer.mentee_id])
    locked = _locked_offer(offer)
    now = timezone.now()
    _require_open_offer(locked, now=now)
    mentor_enrollment = enrollments.get(offer.mentor_id)
    if mentor_enrollment is not None and _places_left(program, mentor_enrollment) < 1:
        raise ValidationError(
            f"{locked.mentor.display_name} has no places left any more; "
            "the offer cannot be taken up."
        )
    locked.status = OfferStatus.ACCEPTED
    locked.decided_at = now
    locked.save(update_fields=["status", "decided_at", "updated_at"])
    score, reasons = _pair_score(program, mentor=locked.mentor, mentee=locked.mentee)
    mentorship = mentorship_start(
        program=program,
        mentor=locked.mentor,
        mentee=locked.mentee,
        source=MentorshipSource.OFFER,
        score=score,
        reasons=reasons,
        by=by,
    )
    locked.mentorship = mentorship
    locked.save(update_fields=["mentorship", "updated_at"])
    _copy_state(offer, locked, OFFER_STATE)
    return mentorship


@transaction.atomic
def offer_decline(*, offer: MentorshipOffer, by: User, note: str = "") -> MentorshipOffer:
    """The mentee declines the offer, optionally with a note."""
    if by.pk != offer.mentee_id:
        raise PermissionDeniedError("Only the mentee offered may decline an offer.")
    locked = _locked_offer(offer)
    note = _clean_text(note, field="note", required=False)
    now = timezone.now()
    _require_open_offer(locked, now=now)
    locked.status = OfferStatus.DECLINED
    locked.decided_at = now
    locked.response_note = note
    locked.save(update_fields=["status", "decided_at", "response_note", "updated_at"])
    notification_send(
        recipient=locked.mentor,
        kind="mentorship_offer.declined",
        title=f"{locked.mentee.display_name} declined your offer",
        body=note,
        url=requests_url(locked.program),
    )
    _copy_state(offer, locked, OFFER_STATE)
    return locked


@transaction.atomic
def offer_withdraw(*, offer: MentorshipOffer, by: User) -> MentorshipOffer:
    """The mentor takes the offer back."""
    if by.pk != offer.mentor_id:
        raise PermissionDeniedError("Only the mentor who offered may withdraw an offer.")
    locked = _locked_offer(offer)
    if not locked.is_open:
        label = OfferStatus(locked.status).label.lower()
        raise ValidationError(f"This offer can no longer be withdrawn: it is {label}.")
    locked.status = OfferStatus.WITHDRAWN
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_at", "updated_at"])
    notification_send(
        recipient=locked.mentee,
        kind="mentorship_offer.withdrawn",
        title=f"{locked.mentor.display_name} withdrew their offer",
        url=requests_url(locked.program),
        send_email=False,
    )
    _copy_state(offer, locked, OFFER_STATE)
    return locked

"""Mentorships, and the requests and offers that lead to them.

The invariants are held by the database as well as by the services: one ongoing
(proposed, active or paused) mentorship per mentee and program, one open request and one
open offer per pair, and nobody mentors themself. Capacity is held by a row lock on the
mentor's enrollment (see services.mentorship_start).

A mentorship's life: proposed → active ⇄ paused → completed, or ended early with a reason
(a declined proposal and a rematch end it too). Each change is a MentorshipEvent, so the
detail page shows the history.

In group programs a mentorship is a mentor's group: ``is_group`` is set, ``mentee`` is
empty and the mentees are its GroupMember rows. A mentor leads at most one ongoing group
per program and its size is the mentor's capacity; a mentee is in at most one group per
program at a time (a database constraint on the current members). A member may leave
while the group goes on; when the group finishes, every current member leaves with it.
Everything that needs "the people of this mentorship" asks ``participant_ids()`` or
filters with ``participant_filter``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from trellis.core.models import TimeStampedModel
from trellis.programs.models import Program

MAX_MESSAGE_LENGTH = 2000


class MentorshipStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    ENDED = "ended", "Ended early"


# A mentorship in one of these holds the mentee (one per program) and a mentor's place.
ONGOING_STATUSES = (MentorshipStatus.PROPOSED, MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)


class EndReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met early"
    NO_TIME = "no_time", "No time"
    NOT_A_GOOD_FIT = "not_a_good_fit", "Not a good fit"
    REMATCH = "rematch", "Rematch"
    LEFT_PROGRAM = "left_program", "Left the program"
    OTHER = "other", "Other"
    # Set by mentorship_decline only; not a choice in the "end early" form.
    DECLINED = "declined", "Proposal declined"


# The reasons a person picks when ending early (rematch and decline have their own action).
EARLY_END_REASONS = (
    EndReason.GOALS_MET,
    EndReason.NO_TIME,
    EndReason.NOT_A_GOOD_FIT,
    EndReason.LEFT_PROGRAM,
    EndReason.OTHER,
)


class MentorshipSource(models.TextChoices):
    AUTOMATCH = "automatch", "Matched by the program"
    REQUEST = "request", "Mentee's request"
    OFFER = "offer", "Mentor's offer"
    MANAGER = "manager", "Paired by a manager"


class Mentorship(TimeStampedModel):
    """A mentor and a mentee (or, in group programs, a mentor's group) in a program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="mentorships")
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentorships_as_mentor"
    )
    # Empty for a group: its mentees are its GroupMember rows.
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mentorships_as_mentee",
    )
    is_group = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=MentorshipStatus.choices, default=MentorshipStatus.ACTIVE
    )
    source = models.CharField(max_length=20, choices=MentorshipSource.choices)
    # The match score (0-100) and its explanation, as the pair was shown when they met.
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who started it; empty when the program's automatch did.",
    )
    # From the program's expected length when it becomes active; moved by an extension.
    expected_end_on = models.DateField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    ended_note = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    # A manager's proposal becomes active once both have confirmed it.
    confirmed_by_mentor = models.BooleanField(default=False)
    confirmed_by_mentee = models.BooleanField(default=False)
    # Sent markers of the program-driven reminders, so a re-run never repeats one.
    end_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    wrap_up_sent_at = models.DateTimeField(null=True, blank=True)
    # When the pair was last nudged for falling behind their meeting cadence (at most once
    # per cadence interval; see services.mentorships_nudge).
    meeting_nudge_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentee"],
                condition=Q(status__in=["proposed", "active", "paused"]),
                name="mentorship_one_ongoing_per_mentee",
                violation_error_message="This mentee already has a mentor in the program.",
            ),
            models.CheckConstraint(
                condition=~Q(mentor=F("mentee")),
                name="mentorship_mentor_not_mentee",
                violation_error_message="Nobody can mentor themself.",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="mentorship_score_range",
            ),
            models.CheckConstraint(
                condition=Q(is_group=True, mentee__isnull=True)
                | Q(is_group=False, mentee__isnull=False),
                name="mentorship_group_has_members_not_a_mentee",
            ),
            models.UniqueConstraint(
                fields=["program", "mentor"],
                condition=Q(is_group=True, status__in=["proposed", "active", "paused"]),
                name="mentorship_one_ongoing_group_per_mentor",
                violation_error_message="This mentor already leads a group in the program.",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "mentor", "status"], name="mentorship_mentor_status"),
            models.Index(fields=["mentee", "status"], name="mentorship_mentee_status"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor_id} mentors {self.mentee_id} in {self.program_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == MentorshipStatus.ACTIVE

    @property
    def is_ongoing(self) -> bool:
        return self.status in ONGOING_STATUSES

    @property
    def pair_mentee(self) -> Any:
        """The mentee of a pair; an error for a group, whose mentees are its members."""
        if self.mentee is None:
            raise ValueError(f"Mentorship {self.pk} is a group: ask mentees() instead.")
        return self.mentee

    def current_group_members(self) -> list[GroupMember]:
        """A group's current members by joining order; from the selectors' prefetch if any."""
        if not self.is_group:
            return []
        prefetched = getattr(self, "current_members", None)
        if prefetched is not None:
            return list(prefetched)
        return list(
            self.members.filter(left_at__isnull=True)
            .select_related("mentee__profile")
            .order_by("joined_at", "pk")
        )

    def mentees(self) -> list[Any]:
        """The mentee of a pair, or a group's current members (users)."""
        if not self.is_group:
            return [self.pair_mentee]
        return [member.mentee for member in self.current_group_members()]

    def mentee_ids(self) -> list[int]:
        if not self.is_group:
            return [self.mentee_id] if self.mentee_id is not None else []
        return [member.mentee_id for member in self.current_group_members()]

    def participants(self) -> list[Any]:
        """Everyone in the mentorship now: the mentor first, then the mentee or members."""
        return [self.mentor, *self.mentees()]

    def participant_ids(self) -> list[int]:
        return [self.mentor_id, *self.mentee_ids()]

    def others_than(self, user_id: int) -> list[Any]:
        """The participants other than user_id: a pair's partner, a group's other people."""
        return [person for person in self.participants() if person.pk != user_id]


def participant_filter(user_id: int, *, path: str = "") -> Q:
    """A Q for mentorships (at ``path``, e.g. "mentorship__") in which user_id takes part now.

    The mentor, a pair's mentee or a current member of a group. Membership is an EXISTS,
    so the rows are never repeated and no distinct() is needed.
    """
    member = GroupMember.objects.filter(
        mentorship_id=OuterRef(f"{path}pk"), mentee_id=user_id, left_at__isnull=True
    )
    return (
        Q(**{f"{path}mentor_id": user_id}) | Q(**{f"{path}mentee_id": user_id}) | Q(Exists(member))
    )


class GroupLeaveReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met early"
    NO_TIME = "no_time", "No time"
    NOT_A_GOOD_FIT = "not_a_good_fit", "Not a good fit"
    LEFT_PROGRAM = "left_program", "Left the program"
    REMOVED = "removed", "Removed by the mentor or a manager"
    OTHER = "other", "Other"
    # Set when the whole group completes or ends; not a choice in the "leave" form.
    GROUP_FINISHED = "group_finished", "The group finished"


class GroupMember(TimeStampedModel):
    """A mentee's place in a mentor's group; current while left_at is empty."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="members")
    # The group's program again, so "one current group per mentee and program" is a
    # database constraint.
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    source = models.CharField(max_length=20, choices=MentorshipSource.choices)
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    joined_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    left_at = models.DateTimeField(null=True, blank=True)
    left_reason = models.CharField(max_length=20, choices=GroupLeaveReason.choices, blank=True)
    left_note = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentee"],
                condition=Q(left_at__isnull=True),
                name="group_member_one_current_group_per_mentee",
                violation_error_message="This mentee is already in a group in the program.",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="group_member_score_range",
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True, left_reason="")
                | Q(left_at__isnull=False) & ~Q(left_reason=""),
                name="group_member_left_with_a_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["mentorship", "left_at"], name="group_member_current"),
            models.Index(fields=["mentee", "left_at"], name="group_member_mentee"),
        ]

    def __str__(self) -> str:
        return f"{self.mentee_id} in group {self.mentorship_id}"

    @property
    def is_current(self) -> bool:
        return self.left_at is None


class MentorshipEvent(models.Model):
    """One step in a mentorship's life, for its history (who, when, from what to what)."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=20, choices=MentorshipStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=MentorshipStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    # Action details: the end reason, the old and new end dates of an extension.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.mentorship_id}: {self.action} ({self.from_status} → {self.to_status})"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for the mentor"
    INFO_REQUESTED = "info_requested", "The mentor asked for more information"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CANCELLED = "cancelled", "Closed: the mentee found a mentor"


# A request is "open" while the mentor may still answer it.
OPEN_REQUEST_STATUSES = (RequestStatus.OPEN, RequestStatus.INFO_REQUESTED)


class MentorshipRequest(TimeStampedModel):
    """A mentee asks a mentor to mentor them; the mentor answers."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="mentorship_requests"
    )
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="requests_sent"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="requests_received"
    )
    message = models.TextField(max_length=MAX_MESSAGE_LENGTH)
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    # The mentor's note when declining.
    response_note = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    info_question = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    info_reply = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    # Set when the request was sent automatically after an earlier one expired.
    rollover_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="rollovers"
    )
    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentee", "mentor"],
                condition=Q(status__in=["open", "info_requested"]),
                name="mentorship_request_one_open_per_pair",
                violation_error_message="You already have an open request to this mentor.",
            ),
            models.CheckConstraint(
                condition=~Q(mentor=F("mentee")), name="mentorship_request_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="mentorship_request_due"),
            models.Index(fields=["program", "mentee", "status"], name="mentorship_request_mentee"),
            models.Index(fields=["program", "mentor", "status"], name="mentorship_request_mentor"),
        ]

    def __str__(self) -> str:
        return f"{self.mentee_id} asks {self.mentor_id} in {self.program_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


class OfferStatus(models.TextChoices):
    OPEN = "open", "Waiting for the mentee"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Closed: the mentee found a mentor"


class MentorshipOffer(TimeStampedModel):
    """A mentor offers to mentor a mentee; the mentee decides."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="mentorship_offers")
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offers_sent"
    )
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offers_received"
    )
    message = models.TextField(max_length=MAX_MESSAGE_LENGTH)
    status = models.CharField(max_length=20, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    response_note = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentor", "mentee"],
                condition=Q(status="open"),
                name="mentorship_offer_one_open_per_pair",
                violation_error_message="You already have an open offer to this mentee.",
            ),
            models.CheckConstraint(
                condition=~Q(mentor=F("mentee")), name="mentorship_offer_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="mentorship_offer_due"),
            models.Index(fields=["program", "mentee", "status"], name="mentorship_offer_mentee"),
            models.Index(fields=["program", "mentor", "status"], name="mentorship_offer_mentor"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor_id} offers {self.mentee_id} in {self.program_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == OfferStatus.OPEN

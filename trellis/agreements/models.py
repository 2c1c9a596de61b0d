"""The communication agreement: how and when a pair (or a group) talk.

One Agreement per mentorship holds what they share (cadence, meeting length, a first
meeting in person, the mentee's or members' aims); one AgreementPart per person holds
what is theirs (modes they accept, contact and quiet hours in their own zone, the handle
the others should use). In a group every current participant (the mentor and each
current member) has a part; a member who left keeps the row, no longer shown nor
counted. Each confirmation is stored per revision (AgreementConfirmation), so the
history says who agreed to which revision.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from trellis.core.models import TimeStampedModel
from trellis.core.time import validate_time_zone
from trellis.mentorships.models import Mentorship
from trellis.profiles.models import DEFAULT_TIME_ZONE, MeetingFrequency

MAX_AIMS_LENGTH = 3000
MIN_MEETING_MINUTES = 15
MAX_MEETING_MINUTES = 240


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    WAITING = "waiting", "Waiting for confirmation"
    AGREED = "agreed", "Agreed"
    REVISED = "revised", "Revised, to be confirmed again"


class HandleKind(models.TextChoices):
    WORK = "work", "Work"
    PERSONAL = "personal", "Personal"


class Agreement(TimeStampedModel):
    """What they agree on together; revision grows when a confirmed text changes."""

    mentorship = models.OneToOneField(
        Mentorship, on_delete=models.CASCADE, related_name="agreement"
    )
    revision = models.PositiveIntegerField(default=1)
    meeting_cadence = models.CharField(
        max_length=20, choices=MeetingFrequency.choices, default=MeetingFrequency.FORTNIGHTLY
    )
    meeting_length_minutes = models.PositiveSmallIntegerField(default=60)
    # Pre-ticked when everyone lives in the same city: one face-to-face start is advised.
    is_first_meeting_in_person = models.BooleanField(default=False)
    # What the mentee (a group: each member) wants to achieve; sanitized HTML.
    aims = models.TextField(max_length=MAX_AIMS_LENGTH, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    # The latest revision everyone confirmed: a later unconfirmed revision is "revised".
    last_agreed_revision = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting_cadence__in=MeetingFrequency.values),
                name="agreement_cadence_choices",
            ),
            models.CheckConstraint(
                condition=Q(
                    meeting_length_minutes__gte=MIN_MEETING_MINUTES,
                    meeting_length_minutes__lte=MAX_MEETING_MINUTES,
                ),
                name="agreement_meeting_length_range",
            ),
            models.CheckConstraint(
                condition=Q(revision__gte=1), name="agreement_revision_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Agreement of mentorship {self.mentorship_id} (revision {self.revision})"


class AgreementPart(TimeStampedModel):
    """One person's side of the agreement; times are local to time_zone."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="parts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agreement_parts"
    )
    # A subset of profiles.CommunicationMode values.
    modes = models.JSONField(default=list, blank=True)
    time_zone = models.CharField(
        max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone]
    )
    # Weekdays 0 (Monday) to 6 on which contact hours apply.
    contact_weekdays = models.JSONField(default=list, blank=True)
    contact_hours_start = models.TimeField(null=True, blank=True)
    contact_hours_end = models.TimeField(null=True, blank=True)
    # May run past midnight (22:00 to 07:00).
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    # Shown to the mentorship's other current participants only, never to managers.
    handle_kind = models.CharField(max_length=10, choices=HandleKind.choices, blank=True)
    handle = models.CharField(max_length=200, blank=True)
    confirmed_revision = models.PositiveIntegerField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "user"],
                name="agreement_part_one_per_person",
                violation_error_message="This person already has a part in the agreement.",
            ),
            models.CheckConstraint(
                condition=Q(contact_hours_start__isnull=True, contact_hours_end__isnull=True)
                | Q(contact_hours_start__isnull=False, contact_hours_end__isnull=False),
                name="agreement_part_contact_hours_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(contact_hours_start__isnull=True)
                | Q(contact_hours_end__gt=F("contact_hours_start")),
                name="agreement_part_contact_hours_end_after_start",
                violation_error_message="Contact hours must end after they start.",
            ),
            models.CheckConstraint(
                condition=Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="agreement_part_quiet_hours_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(quiet_hours_start__isnull=True)
                | ~Q(quiet_hours_end=F("quiet_hours_start")),
                name="agreement_part_quiet_hours_not_empty",
            ),
            models.CheckConstraint(
                condition=Q(handle_kind__in=["", *HandleKind.values]),
                name="agreement_part_handle_kind_choices",
            ),
        ]

    def __str__(self) -> str:
        return f"Part of {self.user_id} in agreement {self.agreement_id}"

    @property
    def has_confirmed(self) -> bool:
        """Whether the person confirmed the agreement's current revision."""
        return self.confirmed_revision == self.agreement.revision


class AgreementConfirmation(models.Model):
    """Who confirmed which revision, and when: the agreement's history."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="confirmations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    revision = models.PositiveIntegerField()
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["confirmed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "user", "revision"], name="agreement_confirmation_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} confirmed revision {self.revision} of {self.agreement_id}"

"""Introductions: a mentor introduces their mentee to another person, double opt-in.

The other person (the "contact") is an approved participant of the same program, or
someone outside Trellis known by name and email address. Both the mentee and the contact
are asked at once; neither sees the other's contact details until both have accepted.
Then a participant gets a conversation of the three (messaging), an outside person and
the mentee get each other's email address by email (the hand-over).

A "not now" ends the introduction quietly: nobody learns who said it, nor when, nor why.
The introducer may cancel while it waits; past ``expires_at`` it ends too, and both read
as "Not now" to the people asked. The outside person answers through a link with a
random token; only its SHA-256 is stored.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from trellis.core.models import TimeStampedModel

MAX_MESSAGE_LENGTH = 2000
MAX_NAME_LENGTH = 100
# An introduction waits this long for both answers.
EXPIRY_DAYS = 21


class IntroductionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for answers"
    ACCEPTED = "accepted", "Accepted"
    NOT_NOW = "not_now", "Not now"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class Answer(models.TextChoices):
    PENDING = "pending", "Not answered yet"
    ACCEPTED = "accepted", "Accepted"
    NOT_NOW = "not_now", "Not now"


_NO_ONE_DECLINED = ~Q(mentee_answer=Answer.NOT_NOW) & ~Q(contact_answer=Answer.NOT_NOW)
_BOTH_ACCEPTED = Q(mentee_answer=Answer.ACCEPTED, contact_answer=Answer.ACCEPTED)


class Introduction(TimeStampedModel):
    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="introductions"
    )
    # The mentorship it was made in: the introducer mentors the mentee there.
    mentorship = models.ForeignKey(
        "mentorships.Mentorship", on_delete=models.CASCADE, related_name="introductions"
    )
    introducer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="introductions_made"
    )
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="introductions_as_mentee"
    )
    # Either a participant of the program...
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="introductions_as_contact",
    )
    # ...or someone outside Trellis.
    contact_name = models.CharField(max_length=MAX_NAME_LENGTH, blank=True)
    contact_email = models.EmailField(blank=True)
    # Why they should meet (the introducer's words; both sides read them).
    message = models.TextField(
        max_length=MAX_MESSAGE_LENGTH, validators=[MaxLengthValidator(MAX_MESSAGE_LENGTH)]
    )
    status = models.CharField(
        max_length=20, choices=IntroductionStatus.choices, default=IntroductionStatus.PENDING
    )
    mentee_answer = models.CharField(max_length=20, choices=Answer.choices, default=Answer.PENDING)
    mentee_answered_at = models.DateTimeField(null=True, blank=True)
    contact_answer = models.CharField(max_length=20, choices=Answer.choices, default=Answer.PENDING)
    contact_answered_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 (hex) of the token emailed to an outside person; never the token itself.
    token_hash = models.CharField(max_length=64, blank=True)
    conversation = models.ForeignKey(
        "messaging.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False, contact_email="", contact_name="")
                | (Q(contact__isnull=True) & ~Q(contact_email="") & ~Q(contact_name="")),
                name="introduction_one_kind_of_contact",
                violation_error_message="Introduce a participant, or someone outside by name "
                "and email address.",
            ),
            models.CheckConstraint(
                condition=(Q(contact__isnull=True) & ~Q(token_hash=""))
                | Q(contact__isnull=False, token_hash=""),
                name="introduction_token_for_outside_only",
            ),
            models.CheckConstraint(
                condition=~Q(mentee=F("introducer"))
                & (
                    Q(contact__isnull=True)
                    | (~Q(contact=F("mentee")) & ~Q(contact=F("introducer")))
                ),
                name="introduction_three_people",
                violation_error_message="Introduce your mentee to someone else.",
            ),
            models.CheckConstraint(
                condition=(Q(mentee_answer=Answer.PENDING) & Q(mentee_answered_at__isnull=True))
                | (~Q(mentee_answer=Answer.PENDING) & Q(mentee_answered_at__isnull=False)),
                name="introduction_mentee_answered_when",
            ),
            models.CheckConstraint(
                condition=(Q(contact_answer=Answer.PENDING) & Q(contact_answered_at__isnull=True))
                | (~Q(contact_answer=Answer.PENDING) & Q(contact_answered_at__isnull=False)),
                name="introduction_contact_answered_when",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=IntroductionStatus.ACCEPTED, accepted_at__isnull=False)
                    & _BOTH_ACCEPTED
                )
                | (
                    Q(status=IntroductionStatus.NOT_NOW, accepted_at__isnull=True)
                    & ~_NO_ONE_DECLINED
                )
                | (
                    Q(
                        status__in=[
                            IntroductionStatus.PENDING,
                            IntroductionStatus.CANCELLED,
                            IntroductionStatus.EXPIRED,
                        ],
                        accepted_at__isnull=True,
                    )
                    & _NO_ONE_DECLINED
                    & ~_BOTH_ACCEPTED
                ),
                name="introduction_status_follows_answers",
            ),
            models.UniqueConstraint(
                fields=["mentee", "contact"],
                condition=Q(status=IntroductionStatus.PENDING, contact__isnull=False),
                name="introduction_one_pending_per_participant",
                violation_error_message="This introduction is already waiting for answers.",
            ),
            models.UniqueConstraint(
                "mentee",
                Lower("contact_email"),
                condition=Q(status=IntroductionStatus.PENDING, contact__isnull=True),
                name="introduction_one_pending_per_email",
                violation_error_message="This introduction is already waiting for answers.",
            ),
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=~Q(token_hash=""),
                name="introduction_token_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["mentee", "status"], name="introduction_mentee_status"),
            models.Index(fields=["contact", "status"], name="introduction_contact_status"),
            models.Index(fields=["introducer", "status"], name="introduction_introducer"),
            models.Index(fields=["status", "expires_at"], name="introduction_due"),
        ]

    def __str__(self) -> str:
        return f"Introduction {self.pk} of {self.mentee_id} ({self.status})"

    @property
    def is_outside(self) -> bool:
        """The contact is someone outside Trellis (by email), not a participant."""
        return self.contact_id is None

    @property
    def contact_display_name(self) -> str:
        if self.contact is not None:
            return str(self.contact.display_name)
        return self.contact_name

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from trellis.core.models import TimeStampedModel
from trellis.profiles.models import MeetingFrequency


class Organisation(TimeStampedModel):
    """An organisation that runs mentoring programs (a university, a company...)."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="administered_organisations", blank=True
    )

    def __str__(self) -> str:
        return self.name


class ProgramType(models.TextChoices):
    ONE_TO_ONE = "one_to_one", "One-to-one"
    PEER = "peer", "Peer"
    REVERSE = "reverse", "Reverse"
    GROUP = "group", "Group"


class EnrollmentMode(models.TextChoices):
    OPEN = "open", "Open: anyone may join"
    INVITE_ONLY = "invite_only", "Invite only"
    APPLICATION = "application", "Application, approved by a manager"


class Role(models.TextChoices):
    MENTOR = "mentor", "Mentor"
    MENTEE = "mentee", "Mentee"
    BOTH = "both", "Mentor and mentee"


class Program(TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="programs"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    # Sanitized HTML (see programs.services); rendered as is.
    description = models.TextField(blank=True)
    values = models.JSONField(default=list, blank=True)
    cycle_start = models.DateField(null=True, blank=True)
    cycle_end = models.DateField(null=True, blank=True)
    program_type = models.CharField(
        max_length=20, choices=ProgramType.choices, default=ProgramType.ONE_TO_ONE
    )
    enrollment_mode = models.CharField(
        max_length=20, choices=EnrollmentMode.choices, default=EnrollmentMode.APPLICATION
    )
    default_mentor_capacity = models.PositiveSmallIntegerField(default=2)
    expected_length_weeks = models.PositiveSmallIntegerField(default=26)
    meeting_frequency = models.CharField(
        max_length=20, choices=MeetingFrequency.choices, default=MeetingFrequency.FORTNIGHTLY
    )
    is_published = models.BooleanField(
        default=True, help_text="Published programs are listed to everyone signed in."
    )
    allows_direct_messages = models.BooleanField(
        default=True,
        help_text="Participants may write to each other directly, outside their mentorships.",
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="managed_programs", blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cycle_start__isnull=True)
                | Q(cycle_end__isnull=True)
                | Q(cycle_end__gte=F("cycle_start")),
                name="program_cycle_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(default_mentor_capacity__gte=1, default_mentor_capacity__lte=50),
                name="program_mentor_capacity_range",
            ),
            models.CheckConstraint(
                condition=Q(expected_length_weeks__gte=1, expected_length_weeks__lte=260),
                name="program_length_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class QuestionAudience(models.TextChoices):
    EVERYONE = "everyone", "Everyone"
    MENTORS = "mentors", "Mentors"
    MENTEES = "mentees", "Mentees"


class QuestionKind(models.TextChoices):
    SINGLE_CHOICE = "single_choice", "Single choice"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    TEXT = "text", "Free text"
    SCALE = "scale", "Scale from 1 to 5"


class IntakeQuestion(models.Model):
    """A question a program asks people who join, stored as data."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="intake_questions")
    audience = models.CharField(
        max_length=20, choices=QuestionAudience.choices, default=QuestionAudience.EVERYONE
    )
    kind = models.CharField(max_length=20, choices=QuestionKind.choices)
    label = models.CharField(max_length=200)
    help_text = models.CharField(max_length=300, blank=True)
    choices = models.JSONField(default=list, blank=True)
    is_required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class EnrollmentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    LEFT = "left", "Left the program"


class Enrollment(TimeStampedModel):
    """A person's place in a program, in one role; one row per person and program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="enrollments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    status = models.CharField(
        max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.PENDING
    )
    mentor_capacity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Overrides the program's default for this mentor."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="enrollment_one_per_program"),
        ]
        indexes = [models.Index(fields=["program", "status"], name="enrollment_program_status")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.program_id} as {self.role} ({self.status})"


class IntakeAnswer(models.Model):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(IntakeQuestion, on_delete=models.CASCADE, related_name="answers")
    # A string, a list of strings or an integer, by the question's kind.
    value = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "question"], name="answer_one_per_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value!r}"


class Invitation(TimeStampedModel):
    """A link that lets one email address join a program in a role."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices)
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.program_id}"

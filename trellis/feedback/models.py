"""Feedback: a one-tap pulse after each meeting, and the program's surveys.

A pulse is one person's "how useful was it" (1-5, an optional comment) for one
occurrence of a meeting series, keyed like the rest of scheduling by its recurrence id.

A survey is defined by the program (questions as in the intake form) and scheduled from
each mentorship's dates: every participant gets an assignment that opens at 09:00 in
their own zone (the middle of the mentorship for a mid-point survey, its expected end
for an end-of-relationship survey), is answered once, and then holds the answers.
Managers see the answers in aggregate; with names only where the survey says so
(``shows_names``), which the form tells people before they answer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.core.models import TimeStampedModel
from trellis.programs.models import Program, QuestionAudience, QuestionKind, Role
from trellis.scheduling.models import MeetingSeries

USEFULNESS_MIN, USEFULNESS_MAX = 1, 5
MAX_COMMENT_LENGTH = 500
MAX_TITLE_LENGTH = 120
MAX_INTRO_LENGTH = 2000


class MeetingPulse(TimeStampedModel):
    """How useful one person found one meeting; tapping again changes the answer."""

    meeting_series = models.ForeignKey(
        MeetingSeries, on_delete=models.CASCADE, related_name="pulses"
    )
    recurrence_id = models.CharField(max_length=15)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meeting_pulses"
    )
    usefulness = models.PositiveSmallIntegerField()
    # For the program team, shown without the person's name.
    comment = models.TextField(max_length=MAX_COMMENT_LENGTH, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting_series", "recurrence_id", "user"],
                name="meeting_pulse_one_per_person",
            ),
            models.CheckConstraint(
                condition=Q(usefulness__gte=USEFULNESS_MIN, usefulness__lte=USEFULNESS_MAX),
                name="meeting_pulse_usefulness_range",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="meeting_pulse_created")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.meeting_series_id}/{self.recurrence_id}: {self.usefulness}"


class SurveyKind(models.TextChoices):
    MIDPOINT = "midpoint", "Mid-point survey"
    END = "end", "End-of-relationship survey"


class Survey(TimeStampedModel):
    """A program's mid-point or end-of-relationship survey; one active of each kind."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="surveys")
    kind = models.CharField(max_length=20, choices=SurveyKind.choices)
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    intro = models.TextField(max_length=MAX_INTRO_LENGTH, blank=True)
    is_active = models.BooleanField(default=False)
    shows_names = models.BooleanField(
        default=False,
        help_text="Managers see each person's answers with their name; the form says so.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "kind"],
                condition=Q(is_active=True),
                name="survey_one_active_per_kind",
                violation_error_message="Another survey of this kind is active in the program.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.kind}, program {self.program_id})"


class SurveyQuestion(models.Model):
    """A question of a survey, asked of everyone, the mentors or the mentees."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
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


ASSIGNMENT_ROLES = [(Role.MENTOR.value, Role.MENTOR.label), (Role.MENTEE.value, Role.MENTEE.label)]


class SurveyAssignment(models.Model):
    """One person's copy of a survey in one mentorship: when it opens, when they answered.

    ``notified_at`` is when the opening notice was handed to the reminders (it goes out
    at ``opens_at``); empty while one is still to be arranged, e.g. after the opening moved.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="assignments")
    mentorship = models.ForeignKey(
        "mentorships.Mentorship", on_delete=models.CASCADE, related_name="survey_assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_assignments"
    )
    role = models.CharField(max_length=10, choices=ASSIGNMENT_ROLES)
    opens_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "mentorship", "user"], name="survey_assignment_one_per_person"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "opens_at"], name="survey_assignment_user"),
            models.Index(fields=["mentorship", "opens_at"], name="survey_assignment_mentorship"),
            models.Index(fields=["survey", "submitted_at"], name="survey_assignment_submitted"),
        ]

    def __str__(self) -> str:
        return f"Survey {self.survey_id} for {self.user_id} in {self.mentorship_id}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class SurveyAnswer(models.Model):
    assignment = models.ForeignKey(
        SurveyAssignment, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="answers")
    # A string, a list of strings or an integer, by the question's kind.
    value = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "question"], name="survey_answer_one_per_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value!r}"

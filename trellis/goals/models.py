"""Goals of a mentorship: milestones, check-ins, and the meeting agendas they are reviewed on.

A goal is a mentee's (its ``owner``; in a group one of its members). Its progress comes
from its milestones (done of all, rounded) or is set by hand; an achieved goal shows 100.
Check-ins record how it goes (status and note) with a snapshot of the progress at the
time, usually in a meeting. A goal or one of its milestones can be put on a meeting's
agenda (one occurrence of a series, by its recurrence id) and is reviewed there.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from trellis.core.models import TimeStampedModel
from trellis.mentorships.models import Mentorship

MAX_TITLE_LENGTH = 200
MAX_WHY_LENGTH = 2000
MAX_MEASURE_LENGTH = 1000
MAX_VALUE_LENGTH = 120
MAX_NOTE_LENGTH = 2000
# "20250317T090000": the occurrence key used across scheduling.
MAX_RECURRENCE_ID_LENGTH = 32


class GoalStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ACHIEVED = "achieved", "Achieved"
    DROPPED = "dropped", "Dropped"


class ProgressMode(models.TextChoices):
    MILESTONES = "milestones", "From the milestones"
    MANUAL = "manual", "Set by hand"


class CheckInStatus(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"


def _percent() -> list[Any]:
    return [MinValueValidator(0), MaxValueValidator(100)]


def progress_from_counts(*, done: int, total: int) -> int:
    """The share of milestones done, in whole percent (0 without milestones)."""
    return round(100 * done / total) if total else 0


class Goal(TimeStampedModel):
    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="goals")
    # The mentee whose goal it is (in a group, one of its members when it was set).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="goals_owned"
    )
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    # A TextField's max_length binds forms only: the validators bind the services too.
    why = models.TextField(
        "Why it matters",
        max_length=MAX_WHY_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(MAX_WHY_LENGTH)],
    )
    measure = models.TextField(
        "Measure of success",
        max_length=MAX_MEASURE_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(MAX_MEASURE_LENGTH)],
    )
    target_date = models.DateField(null=True, blank=True)
    # One of the program's values, when given (checked by the services).
    value = models.CharField(max_length=MAX_VALUE_LENGTH, blank=True)
    status = models.CharField(max_length=20, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    progress_mode = models.CharField(
        max_length=20, choices=ProgressMode.choices, default=ProgressMode.MILESTONES
    )
    manual_progress = models.PositiveSmallIntegerField(default=0, validators=_percent())
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    achieved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(manual_progress__gte=0, manual_progress__lte=100),
                name="goal_manual_progress_range",
                violation_error_message="Progress is a percentage from 0 to 100.",
            ),
            models.CheckConstraint(
                condition=Q(status=GoalStatus.ACHIEVED, achieved_at__isnull=False)
                | (~Q(status=GoalStatus.ACHIEVED) & Q(achieved_at__isnull=True)),
                name="goal_achieved_when",
            ),
        ]
        indexes = [models.Index(fields=["mentorship", "status"], name="goal_mentorship_status")]

    def __str__(self) -> str:
        return f"Goal {self.pk} of {self.owner_id} in mentorship {self.mentorship_id}"

    @property
    def is_active(self) -> bool:
        return self.status == GoalStatus.ACTIVE

    @property
    def progress(self) -> int:
        """Percent done: achieved 100, set by hand, or the share of milestones done.

        Lists annotate ``milestone_total``/``milestone_done`` (selectors.with_progress);
        otherwise the (prefetched) milestones are counted.
        """
        if self.status == GoalStatus.ACHIEVED:
            return 100
        if self.progress_mode == ProgressMode.MANUAL:
            return int(self.manual_progress)
        total = getattr(self, "milestone_total", None)
        done = getattr(self, "milestone_done", None)
        if total is None or done is None:
            milestones = list(self.milestones.all())
            total = len(milestones)
            done = sum(1 for milestone in milestones if milestone.is_done)
        return progress_from_counts(done=done, total=total)

    @property
    def next_milestone(self) -> Milestone | None:
        """The first open milestone in order (from the prefetched milestones)."""
        return next((item for item in self.milestones.all() if not item.is_done), None)


class Milestone(TimeStampedModel):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    due_date = models.DateField(null=True, blank=True)
    # Who does it: one of the mentorship's people.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The meeting it was finished in, if any.
    meeting_series = models.ForeignKey(
        "scheduling.MeetingSeries",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recurrence_id = models.CharField(max_length=MAX_RECURRENCE_ID_LENGTH, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=False)
                | Q(done_by__isnull=True, meeting_series__isnull=True, recurrence_id=""),
                name="milestone_open_has_no_finish",
            ),
        ]

    def __str__(self) -> str:
        return f"Milestone {self.pk} of goal {self.goal_id}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class CheckIn(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="check_ins")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=CheckInStatus.choices)
    note = models.TextField(
        max_length=MAX_NOTE_LENGTH, blank=True, validators=[MaxLengthValidator(MAX_NOTE_LENGTH)]
    )
    # The goal's progress when the check-in was made.
    progress = models.PositiveSmallIntegerField(validators=_percent())
    meeting_series = models.ForeignKey(
        "scheduling.MeetingSeries",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recurrence_id = models.CharField(max_length=MAX_RECURRENCE_ID_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="check_in_progress_range",
                violation_error_message="Progress is a percentage from 0 to 100.",
            ),
        ]
        indexes = [
            models.Index(fields=["meeting_series", "recurrence_id"], name="check_in_meeting"),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.pk} on goal {self.goal_id} ({self.status})"


class AgendaItem(models.Model):
    """A goal, or one of its milestones, to review in one meeting (an occurrence)."""

    meeting_series = models.ForeignKey(
        "scheduling.MeetingSeries", on_delete=models.CASCADE, related_name="goal_agenda_items"
    )
    recurrence_id = models.CharField(max_length=MAX_RECURRENCE_ID_LENGTH)
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="agenda_items")
    milestone = models.ForeignKey(
        Milestone,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting_series", "recurrence_id", "goal"],
                condition=Q(milestone__isnull=True),
                name="agenda_item_one_per_goal",
                violation_error_message="This goal is already on the meeting's agenda.",
            ),
            models.UniqueConstraint(
                fields=["meeting_series", "recurrence_id", "milestone"],
                condition=Q(milestone__isnull=False),
                name="agenda_item_one_per_milestone",
                violation_error_message="This milestone is already on the meeting's agenda.",
            ),
        ]

    def __str__(self) -> str:
        return f"Agenda item {self.pk}: goal {self.goal_id} in {self.meeting_series_id}"

"""Matching configuration per program, participants' wishes, and automatch runs."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from trellis.core.models import TimeStampedModel
from trellis.programs.models import Program

MIN_EXPIRY_DAYS, MAX_EXPIRY_DAYS = 1, 60
MIN_OPEN_REQUESTS, MAX_OPEN_REQUESTS = 1, 10
MIN_WISH_WEIGHT, MAX_WISH_WEIGHT = 0, 10
MIN_WEIGHT, MAX_WEIGHT = 1, 10
MIN_RANK, MAX_RANK = 1, 10


class Objective(models.TextChoices):
    MOST_MATCHED = "most_matched", "Most people matched first, then the best total score"
    BEST_SCORE = "best_score", "Best total score"


class MatchingSettings(TimeStampedModel):
    """How a program matches people; created with defaults the first time it is read."""

    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, related_name="matching_settings"
    )
    automatch_enabled = models.BooleanField(
        default=True, help_text="Managers may match the whole cohort at once."
    )
    mentee_requests_enabled = models.BooleanField(
        default=True, help_text="Mentees may browse mentors and send requests."
    )
    mentor_offers_enabled = models.BooleanField(
        default=True, help_text="Mentors may offer to mentor a mentee."
    )
    objective = models.CharField(
        max_length=20, choices=Objective.choices, default=Objective.MOST_MATCHED
    )
    request_expiry_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(MIN_EXPIRY_DAYS), MaxValueValidator(MAX_EXPIRY_DAYS)],
        help_text="A request nobody answers expires after this many days.",
    )
    max_open_requests = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(MIN_OPEN_REQUESTS), MaxValueValidator(MAX_OPEN_REQUESTS)],
        help_text="How many requests a mentee may have open at once.",
    )
    wish_weight = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(MIN_WISH_WEIGHT), MaxValueValidator(MAX_WISH_WEIGHT)],
        help_text="How much participants' favourites and preferences count (0: not at all).",
    )

    class Meta:
        verbose_name_plural = "matching settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    request_expiry_days__gte=MIN_EXPIRY_DAYS,
                    request_expiry_days__lte=MAX_EXPIRY_DAYS,
                ),
                name="matching_settings_expiry_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    max_open_requests__gte=MIN_OPEN_REQUESTS,
                    max_open_requests__lte=MAX_OPEN_REQUESTS,
                ),
                name="matching_settings_open_requests_range",
            ),
            models.CheckConstraint(
                condition=Q(wish_weight__gte=MIN_WISH_WEIGHT, wish_weight__lte=MAX_WISH_WEIGHT),
                name="matching_settings_wish_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Matching settings of {self.program_id}"


class CriterionKind(models.TextChoices):
    """How a criterion compares a mentor with a mentee: the engine's Kind values.

    The engine's "wishes" kind is not listed: participants' wishes always count, with the
    weight in MatchingSettings.
    """

    SAME_VALUE = "same_value", "Same answer"
    DIFFERENT_VALUE = "different_value", "Different values"
    OVERLAP = "overlap", "Something in common"
    COMPLEMENT = "complement", "Mentor offers what the mentee seeks"
    SENIORITY_GAP = "seniority_gap", "Mentor more senior"
    TIME_ZONE = "time_zone", "Time zones close"
    AVAILABILITY = "availability", "Shared weekly availability"
    NOT_SAME_LINE = "not_same_line", "Not in the same department or reporting line"
    TEXT = "text", "Similar words"
    CLOSENESS = "closeness", "Close answers on a scale"


class MatchingCriterion(TimeStampedModel):
    """One rule or weighted preference of a program's matching, in the managers' order."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="matching_criteria")
    kind = models.CharField(max_length=30, choices=CriterionKind.choices)
    # A profile field ("languages", "skills", ...) or "intake:<question id>".
    field = models.CharField(max_length=40)
    is_hard_rule = models.BooleanField(
        default=False, help_text="A hard rule must hold; a preference only adds to the score."
    )
    weight = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(MIN_WEIGHT), MaxValueValidator(MAX_WEIGHT)]
    )
    parameter = models.FloatField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "matching criteria"
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=MIN_WEIGHT, weight__lte=MAX_WEIGHT),
                name="matching_criterion_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.field}"


class MenteeWish(TimeStampedModel):
    """A mentee's favourite or ranked mentor."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="mentee_wishes")
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentee_wishes"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wished_by_mentees"
    )
    is_favourite = models.BooleanField(default=False)
    rank = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(MIN_RANK), MaxValueValidator(MAX_RANK)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentee", "mentor"], name="mentee_wish_one_per_pair"
            ),
            models.UniqueConstraint(
                fields=["program", "mentee", "rank"],
                condition=Q(rank__isnull=False),
                name="mentee_wish_rank_unique",
            ),
            models.CheckConstraint(
                condition=Q(rank__isnull=True) | Q(rank__gte=MIN_RANK, rank__lte=MAX_RANK),
                name="mentee_wish_rank_range",
            ),
            models.CheckConstraint(condition=~Q(mentee=F("mentor")), name="mentee_wish_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.mentee_id} wishes {self.mentor_id}"


class WishStance(models.TextChoices):
    PREFER = "prefer", "Prefer"
    AVOID = "avoid", "Avoid"


class MentorWish(TimeStampedModel):
    """A mentor's preference for a mentee, or a wish never to be matched with them."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="mentor_wishes")
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentor_wishes"
    )
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wished_by_mentors"
    )
    stance = models.CharField(max_length=10, choices=WishStance.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentor", "mentee"], name="mentor_wish_one_per_pair"
            ),
            models.CheckConstraint(condition=~Q(mentee=F("mentor")), name="mentor_wish_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor_id} {self.stance}s {self.mentee_id}"


class MatchRunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    DRAFT = "draft", "Draft, ready for review"
    FAILED = "failed", "Failed"
    # The manager published the draft; the worker is starting its mentorships.
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    DISCARDED = "discarded", "Discarded"


# The worker is busy with the program's run: no other run may start meanwhile.
ACTIVE_RUN_STATUSES = (MatchRunStatus.QUEUED, MatchRunStatus.RUNNING, MatchRunStatus.PUBLISHING)


class MatchRun(TimeStampedModel):
    """One automatch of a program's cohort: solved in the background, reviewed, published."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="match_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=MatchRunStatus.choices, default=MatchRunStatus.QUEUED
    )
    objective = models.CharField(max_length=20, choices=Objective.choices)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Who asked to publish (set when publishing starts; cleared if it fails).
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    total_score = models.FloatField(null=True, blank=True)
    matched_count = models.PositiveIntegerField(default=0)
    unmatched_count = models.PositiveIntegerField(default=0)
    is_optimal = models.BooleanField(default=False)
    # {"unmatched": [{"mentee_id", "name", "reason", "blocked_by": [...]}], "errors": [...],
    #  "mentor_count", "mentee_count", "seconds"}
    report = models.JSONField(default=dict, blank=True)
    # Why the solve failed (status failed), or why publishing failed (back to draft).
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="match_run_progress_range"
            ),
            # One run at a time per program: the worker and the managers never race.
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(status__in=["queued", "running", "publishing"]),
                name="match_run_one_active_per_program",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.program_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def is_draft(self) -> bool:
        return self.status == MatchRunStatus.DRAFT

    @property
    def is_publishing(self) -> bool:
        return self.status == MatchRunStatus.PUBLISHING


class MatchRunPair(models.Model):
    """A mentee and the mentor a run proposes for them, with the score's explanation."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="pairs")
    mentee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(default=0)
    reasons = models.JSONField(default=list, blank=True)
    is_locked = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "mentee"], name="match_run_pair_one_per_mentee"),
            models.CheckConstraint(
                condition=~Q(mentee=F("mentor")), name="match_run_pair_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentee_id} ↔ {self.mentor_id} ({self.score:.1f})"


class TextEmbedding(models.Model):
    """A text's embedding by a local sentence-embedding model, kept so that text which
    did not change is never encoded again (see trellis.matching.text).

    The text itself is not stored: its SHA-256 is the key, so goals and bios stay in
    the profiles only.
    """

    model_name = models.CharField(max_length=500)
    text_sha256 = models.CharField(max_length=64)
    dimensions = models.PositiveIntegerField()
    # float32 little-endian, `dimensions` values.
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model_name", "text_sha256"], name="text_embedding_one_per_text"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_name}: {self.text_sha256[:12]}"

"""Celebrated wins: a mentee's finished milestone or goal, shared as the mentee chooses.

Nothing is shared without the mentee's choice. A win starts "proposed" (seen by its owner
alone) when a milestone or goal is finished, or is made by hand by the mentee. Its owner
keeps it between the pair (the owner and the mentorship's mentor; in a group too, only
those two), shares it with the program (its wins wall: every approved participant, the
managers and staff), or sets it aside. A program manager may hide a shared win from the
wall; it then stays visible to its owner, the mentor and the managers only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.core.models import TimeStampedModel
from trellis.mentorships.models import Mentorship

MAX_TITLE_LENGTH = 200
MAX_STORY_LENGTH = 1000
MAX_COMMENT_LENGTH = 500


class WinState(models.TextChoices):
    PROPOSED = "proposed", "Waiting for your choice"
    PAIR = "pair", "Just us"
    PROGRAM = "program", "Shared with the program"
    DISMISSED = "dismissed", "Not now"


class WinSource(models.TextChoices):
    MILESTONE = "milestone", "A finished milestone"
    GOAL = "goal", "An achieved goal"
    BY_HAND = "by_hand", "Celebrated by hand"


# The reactions anyone who sees a win may add, with the words a screen reader says.
REACTIONS: dict[str, str] = {
    "🎉": "Celebrate",
    "👏": "Applause",
    "💪": "Strong work",
    "❤️": "Love it",
    "🚀": "Onwards",
}


class Win(TimeStampedModel):
    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="wins")
    # The mentee whose win it is: the only one who chooses who sees it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wins"
    )
    goal = models.ForeignKey(
        "goals.Goal", on_delete=models.SET_NULL, null=True, blank=True, related_name="wins"
    )
    milestone = models.ForeignKey(
        "goals.Milestone", on_delete=models.SET_NULL, null=True, blank=True, related_name="wins"
    )
    # What proposed it. Kept when the goal or milestone is deleted (the links become
    # empty), so a milestone's win never turns into a second win of its goal.
    source = models.CharField(max_length=20, choices=WinSource.choices, default=WinSource.BY_HAND)
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    story = models.TextField(max_length=MAX_STORY_LENGTH, blank=True)
    state = models.CharField(max_length=20, choices=WinState.choices, default=WinState.PROPOSED)
    # When it was last shared with the program (the wall's order), and last decided.
    shared_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Moderation: a program manager took it off the wall.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"],
                condition=Q(milestone__isnull=False),
                name="win_one_per_milestone",
                violation_error_message="This milestone already has a win.",
            ),
            models.UniqueConstraint(
                fields=["goal"],
                condition=Q(source=WinSource.GOAL, goal__isnull=False, milestone__isnull=True),
                name="win_one_per_goal",
                violation_error_message="This goal already has a win.",
            ),
            models.CheckConstraint(
                condition=Q(state__in=[state.value for state in WinState]),
                name="win_state_known",
            ),
            models.CheckConstraint(
                condition=~Q(state=WinState.PROGRAM) | Q(shared_at__isnull=False),
                name="win_shared_has_a_date",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="win_title_not_empty"),
        ]
        indexes = [
            models.Index(fields=["mentorship", "state"], name="win_mentorship_state"),
            models.Index(fields=["state", "shared_at"], name="win_state_shared"),
            models.Index(fields=["owner", "state"], name="win_owner_state"),
        ]

    def __str__(self) -> str:
        return f"Win {self.pk} of {self.owner_id}: {self.title} ({self.state})"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_on_wall(self) -> bool:
        return self.state == WinState.PROGRAM and self.hidden_at is None

    @property
    def is_open(self) -> bool:
        """Open to reactions and comments: kept by the pair, or on the wall."""
        return self.state == WinState.PAIR or self.is_on_wall


class WinReaction(models.Model):
    win = models.ForeignKey(Win, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=8, choices=list(REACTIONS.items()))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["win", "user", "emoji"], name="win_reaction_once_per_person"
            ),
            models.CheckConstraint(
                condition=Q(emoji__in=list(REACTIONS)), name="win_reaction_emoji_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user_id} on win {self.win_id}"

    @property
    def label(self) -> str:
        return REACTIONS.get(self.emoji, "")


class WinComment(models.Model):
    win = models.ForeignKey(Win, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Plain text, rendered escaped.
    text = models.TextField(max_length=MAX_COMMENT_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    # Soft delete: by its author or a program manager; never shown again.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="win_comment_not_empty"),
        ]
        indexes = [
            models.Index(fields=["win", "deleted_at", "created_at"], name="win_comment_live"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author_id} on win {self.win_id}"

"""Connection plans: templates of steps a program applies to every new mentorship.

A template (PlanTemplate) is a list of steps (PlanStep), each on a day counted from the
day the mentorship starts: a kickoff agenda, discussion guides, timed prompts, suggested
goals and resources. Built-in templates ship with Trellis (``program`` empty): read-only,
each program may copy one and edit the copy. A program says which template new
mentorships get (ProgramPlan); without a choice they get the built-in that fits.

Applying a template copies its steps into the mentorship (MentorshipPlan and its items),
so editing a template later never changes a running plan. Prompts notify each current
participant on the step's day in their own zone, inside their contact hours (see
services.prompt_fire_at).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q

from trellis.core.models import TimeStampedModel
from trellis.mentorships.models import Mentorship
from trellis.programs.models import Program

MAX_DAY = 730
MAX_TITLE_LENGTH = 200
MAX_BODY_LENGTH = 4000
MAX_URL_LENGTH = 500
MAX_NAME_LENGTH = 120
MAX_DESCRIPTION_LENGTH = 1000
# Enough for any real plan (the built-ins have about a dozen), few enough for one page.
MAX_STEPS = 100

https_only = URLValidator(
    schemes=["https"], message="Give a secure address, starting with https://."
)


class TemplateKind(models.TextChoices):
    STANDARD = "standard", "Mentoring"
    REVERSE = "reverse", "Reverse mentoring"


class StepKind(models.TextChoices):
    AGENDA = "agenda", "Agenda"
    GUIDE = "guide", "Discussion guide"
    PROMPT = "prompt", "Prompt"
    GOAL = "goal", "Suggested goal"
    RESOURCE = "resource", "Resource"


# Kinds whose text is the point of the step: an empty body is a mistake.
KINDS_WITH_BODY = (StepKind.AGENDA, StepKind.GUIDE)


def _step_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The same rules for a template's step and a mentorship's copy of it."""
    return [
        models.CheckConstraint(
            condition=Q(day__gte=0, day__lte=MAX_DAY),
            name=f"{prefix}_day_range",
            violation_error_message=f"A step's day is from 0 to {MAX_DAY}.",
        ),
        models.CheckConstraint(condition=Q(kind__in=StepKind.values), name=f"{prefix}_kind_known"),
        models.CheckConstraint(
            condition=~Q(kind=StepKind.RESOURCE) | ~Q(url=""),
            name=f"{prefix}_resource_has_url",
            violation_error_message="A resource needs its web address.",
        ),
        models.CheckConstraint(
            condition=Q(url="") | Q(url__startswith="https://"),
            name=f"{prefix}_url_https",
            violation_error_message="Give a secure address, starting with https://.",
        ),
        models.CheckConstraint(
            condition=~Q(kind__in=KINDS_WITH_BODY) | ~Q(body=""),
            name=f"{prefix}_text_has_body",
            violation_error_message="An agenda or a discussion guide needs its text.",
        ),
        models.CheckConstraint(condition=~Q(title=""), name=f"{prefix}_has_title"),
    ]


class PlanTemplate(TimeStampedModel):
    """A program's template of plan steps, or a built-in one (program empty)."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, null=True, blank=True, related_name="plan_templates"
    )
    name = models.CharField(max_length=MAX_NAME_LENGTH)
    description = models.TextField(max_length=MAX_DESCRIPTION_LENGTH, blank=True)
    # Which built-in a program without a choice gets; for a program's own, what it is for.
    kind = models.CharField(
        max_length=20, choices=TemplateKind.choices, default=TemplateKind.STANDARD
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(program__isnull=True),
                name="plan_template_one_builtin_per_kind",
            ),
            models.UniqueConstraint(
                fields=["program", "name"],
                condition=Q(archived_at__isnull=True),
                name="plan_template_unique_name_in_program",
                violation_error_message="The program already has a template by this name.",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="plan_template_has_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.program_id is None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class PlanStep(TimeStampedModel):
    """One step of a template, on a day counted from the mentorship's start (day 0)."""

    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="steps")
    day = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    # Plain text in paragraphs; for a suggested goal, why it matters.
    body = models.TextField(max_length=MAX_BODY_LENGTH, blank=True)
    url = models.URLField(max_length=MAX_URL_LENGTH, blank=True, validators=[https_only])
    # The order of the steps of one day.
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day", "position", "pk"]
        constraints = _step_constraints("plan_step")
        indexes = [models.Index(fields=["template", "day", "position"], name="plan_step_order")]

    def __str__(self) -> str:
        return f"Day {self.day}: {self.title}"


class ProgramPlan(TimeStampedModel):
    """Which template a program applies to its new mentorships (empty: the built-in)."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="plan_choice")
    template = models.ForeignKey(
        PlanTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_enabled = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Plan of program {self.program_id}: {self.template_id or 'built-in'}"


class MentorshipPlan(TimeStampedModel):
    """The plan a mentorship got when it started: a copy, not a link to the template."""

    mentorship = models.OneToOneField(
        Mentorship, on_delete=models.CASCADE, related_name="connection_plan"
    )
    template = models.ForeignKey(
        PlanTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=MAX_NAME_LENGTH)
    # Day 0 is the date of this instant in each person's own zone.
    started_at = models.DateTimeField()
    applied_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} for mentorship {self.mentorship_id}"


class MentorshipPlanItem(TimeStampedModel):
    """A step of a mentorship's plan, as the template had it when the plan was applied."""

    plan = models.ForeignKey(MentorshipPlan, on_delete=models.CASCADE, related_name="items")
    day = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    body = models.TextField(max_length=MAX_BODY_LENGTH, blank=True)
    url = models.URLField(max_length=MAX_URL_LENGTH, blank=True, validators=[https_only])
    position = models.PositiveIntegerField(default=0)
    # The step's day in UTC, for ordering and queries; each page shows the viewer's own.
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The goal made from a suggested goal ("Add this goal"), once.
    goal = models.ForeignKey(
        "goals.Goal", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["day", "position", "pk"]
        constraints = [
            *_step_constraints("plan_item"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=False) | Q(done_by__isnull=True),
                name="plan_item_done_by_only_when_done",
            ),
        ]
        indexes = [models.Index(fields=["plan", "day", "position"], name="plan_item_order")]

    def __str__(self) -> str:
        return f"Day {self.day}: {self.title} (plan {self.plan_id})"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_prompt(self) -> bool:
        return self.kind == StepKind.PROMPT

"""Scores and reasons in words for pairs of a program's cohort (engine explanations)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from trellis.matching import engine
from trellis.matching.cohort import ProgramCohort
from trellis.matching.criteria import INTAKE_PREFIX
from trellis.profiles.languages import language_name
from trellis.profiles.models import CommunicationMode

MODE_LABELS = {str(value): str(label).lower() for value, label in CommunicationMode.choices}
AVOIDED = "The mentor asked not to be matched with this mentee"
AVOID_LABEL = "Avoid"


@dataclass
class PairExplanation:
    """A pair's score (0-100 points) and what it rests on, in words."""

    score: float
    reasons: list[str] = field(default_factory=list)
    # Labels of the hard rules the pair fails ("Languages"), and "Avoid" for a mentor's wish.
    blocked_by: list[str] = field(default_factory=list)

    @property
    def is_eligible(self) -> bool:
        return not self.blocked_by


def item_label(feature: str, item: str) -> str:
    """How an item of a set is said: language names, ways to meet in words."""
    if feature == "languages":
        return language_name(item)
    if feature == "communication_modes":
        return MODE_LABELS.get(item, item)
    return item


def explain_pairs(
    cohort: ProgramCohort,
    mentee_rows: Sequence[int],
    mentor_rows: Sequence[int],
    *,
    audience: str = engine.MANAGER,
) -> list[PairExplanation]:
    """Score and explain (mentee row, mentor row) pairs of the cohort, by position."""
    if not len(mentee_rows):
        return []
    found = engine.explain_pairs(
        cohort.cohort,
        cohort.criteria,
        mentee_rows,
        mentor_rows,
        audience=audience,
        item_label=item_label,
    )
    return [_from_engine(explanation) for explanation in found]


def _sentence(reason: engine.Reason) -> str:
    """The engine's sentence, said for intake questions as people expect."""
    criterion = reason.criterion
    text = reason.text
    if not criterion.mentee_feature.startswith(INTAKE_PREFIX):
        return text
    question = criterion.label
    kind = criterion.kind
    if kind == engine.Kind.SAME_VALUE:
        if reason.is_met:
            return f"Same answer to “{question}”"
        return f"Different answers to “{question}”"
    if kind == engine.Kind.OVERLAP:
        shared = text.partition(" in common: ")[2]
        if shared:
            return f"Both chose {shared} for “{question}”"
        return f"No shared answer to “{question}”"
    if kind == engine.Kind.TEXT:
        if reason.value >= 0.2:
            return f"Similar answers to “{question}”"
        if reason.value > 0.05:
            return f"Some overlap in answers to “{question}”"
        return f"Little overlap in answers to “{question}”"
    return text


def _from_engine(explanation: engine.Explanation) -> PairExplanation:
    blocked = [reason.criterion.label for reason in explanation.blocked_by]
    if explanation.is_avoided:
        blocked.insert(0, AVOID_LABEL)
    if explanation.is_eligible:
        reasons = [_sentence(reason) for reason in explanation.reasons]
    else:
        reasons = [AVOIDED] if explanation.is_avoided else []
        reasons += [_sentence(reason) for reason in explanation.blocked_by]
    return PairExplanation(
        score=explanation.points if explanation.points is not None else 0.0,
        # Two criteria on one thing (a rule and a preference) say it once.
        reasons=list(dict.fromkeys(reasons)),
        blocked_by=blocked,
    )


def unmatched_entries(
    cohort: ProgramCohort, mentee_rows: Sequence[int], solution: engine.Solution | None = None
) -> list[dict[str, Any]]:
    """For the run's report: each unmatched mentee, why, and which rules blocked them."""
    if not len(mentee_rows):
        return []
    reports = engine.unmatched_report(
        cohort.cohort, cohort.criteria, mentee_rows, solution=solution
    )
    entries = []
    for report in reports:
        participant = cohort.mentees[report.mentee]
        entries.append(
            {
                "mentee_id": participant.user.pk,
                "name": participant.name,
                "reason": report.text,
                "blocked_by": list(report.rules_nobody_meets),
                "eligible_mentors": report.eligible_mentors,
                "eligible_with_places": report.eligible_with_places,
            }
        )
    return entries

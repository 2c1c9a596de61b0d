"""Words for criteria and scores on the matching pages."""

from __future__ import annotations

from django import template

from trellis.matching.criteria import PARAMETERS
from trellis.matching.models import CriterionKind, MatchingCriterion

register = template.Library()

# Kinds whose preference score is graded against the threshold (full score from it on).
GRADED_KINDS = frozenset({CriterionKind.AVAILABILITY, CriterionKind.SENIORITY_GAP})


@register.filter
def parameter_text(criterion: MatchingCriterion) -> str:
    """The criterion's threshold in words, e.g. “at most 8 hours apart”; "—" if it has none."""
    spec = PARAMETERS.get(criterion.kind)
    if spec is None or not (criterion.is_hard_rule or criterion.kind in GRADED_KINDS):
        # A preference's score does not depend on the threshold for these kinds.
        return "—"
    value = criterion.parameter if criterion.parameter is not None else spec.default(criterion.kind)
    return f"{spec.label}: {value:g}"


@register.filter
def points(score: float | None) -> str:
    """A 0-100 score as whole points."""
    return "—" if score is None else f"{score:.0f}"

"""What the engine is asked: criteria, the objective and the units of a score.

A criterion compares one feature of the mentee with one feature of the mentor. It is
either a hard rule (a pair that fails it can never be matched) or a weighted preference
(weight 1-10). A pair's score is the weighted mean of its preference values, each in
[0, 1], shown as 0-100 points and held as integer *units* (hundredths of a point) so
that totals, duals and optimality checks are exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum, StrEnum

# A score of 100 points is 10_000 units.
UNITS_PER_POINT = 100
MAX_SCORE_UNITS = 100 * UNITS_PER_POINT
MIN_WEIGHT, MAX_WEIGHT = 1, 10


class Kind(StrEnum):
    """How a criterion compares a pair; `parameter` means what the comment says."""

    # Equal category codes (country, an intake single choice). Unknown never matches.
    SAME_VALUE = "same_value"
    # Different category codes (e.g. not the same organisation). Unknown counts as different.
    DIFFERENT_VALUE = "different_value"
    # Shared items of two sets; value = shared / size of the smaller set.
    # parameter: at least this many shared items for a hard rule (default 1).
    OVERLAP = "overlap"
    # Items the mentor offers that the mentee seeks; value = covered share of what is sought.
    # parameter: at least this many covered items for a hard rule (default 1).
    COMPLEMENT = "complement"
    # Mentor's level minus mentee's level (reverse programs flip the sides before this).
    # parameter: k levels; value 1 when the gap is at least k, falling by 1/k per missing level.
    SENIORITY_GAP = "seniority_gap"
    # Hours between current UTC offsets (on a 24 h circle); parameter: at most h hours.
    # value = 1 - distance / 12.
    TIME_ZONE = "time_zone"
    # Shared half-hour slots of the weekly availability (UTC); parameter: at least this
    # many shared hours; value = min(1, shared hours / parameter).
    AVAILABILITY = "availability"
    # Not the same department and neither in the other's reporting line.
    NOT_SAME_LINE = "not_same_line"
    # Cosine similarity of text vectors; parameter: at least this similarity (hard rule).
    TEXT = "text"
    # Numbers on a scale (an intake 1-5 answer); parameter: at most this far apart.
    # value = 1 - distance / span of the scale.
    CLOSENESS = "closeness"
    # Participants' own wishes (favourites, ranks, "prefer"); no feature, parameter unused.
    WISHES = "wishes"


class Objective(StrEnum):
    # Most people matched first, then the best total score among those matchings.
    MOST_MATCHED = "most_matched"
    # The best total score, even if fewer people are matched.
    BEST_SCORE = "best_score"


class KernelKind(IntEnum):
    """Integer codes of Kind used inside the compiled kernels."""

    SAME_VALUE = 0
    DIFFERENT_VALUE = 1
    OVERLAP = 2
    COMPLEMENT = 3
    SENIORITY_GAP = 4
    TIME_ZONE = 5
    AVAILABILITY = 6
    NOT_SAME_LINE = 7
    TEXT = 8
    CLOSENESS = 9
    WISHES = 10


DEFAULT_PARAMETERS: dict[Kind, float] = {
    Kind.OVERLAP: 1.0,
    Kind.COMPLEMENT: 1.0,
    Kind.SENIORITY_GAP: 1.0,
    Kind.TIME_ZONE: 6.0,
    Kind.AVAILABILITY: 2.0,
    Kind.TEXT: 0.1,
    Kind.CLOSENESS: 1.0,
}
# (lowest, highest) accepted parameter by kind.
PARAMETER_RANGES: dict[Kind, tuple[float, float]] = {
    Kind.OVERLAP: (1, 50),
    Kind.COMPLEMENT: (1, 50),
    Kind.SENIORITY_GAP: (0, 6),
    Kind.TIME_ZONE: (0, 12),
    Kind.AVAILABILITY: (0.5, 40),
    Kind.TEXT: (0, 1),
    Kind.CLOSENESS: (0, 10),
}


class SpecError(ValueError):
    """A criterion that cannot be used, with a message for the person who configured it."""


@dataclass(frozen=True)
class Criterion:
    """One rule or preference.

    `mentee_feature` and `mentor_feature` name features of the cohort (see cohort.py);
    they differ only for COMPLEMENT (what is sought against what is offered) and TEXT
    (what the mentee looks for against what the mentor brings). `label` names the
    criterion in reports ("Languages", "Time zone").
    """

    kind: Kind
    label: str
    mentee_feature: str = ""
    mentor_feature: str = ""
    is_hard: bool = False
    weight: int = 5
    parameter: float | None = None

    @property
    def effective_parameter(self) -> float:
        if self.parameter is not None:
            return float(self.parameter)
        return DEFAULT_PARAMETERS.get(self.kind, 0.0)

    def validate(self) -> None:
        if not self.is_hard and not (MIN_WEIGHT <= self.weight <= MAX_WEIGHT):
            raise SpecError(
                f"{self.label}: the weight must be between {MIN_WEIGHT} and {MAX_WEIGHT}."
            )
        if self.kind == Kind.WISHES:
            if self.is_hard:
                raise SpecError(f"{self.label}: wishes are a preference, not a hard rule.")
            return
        if not self.mentee_feature or not self.mentor_feature:
            raise SpecError(f"{self.label}: choose what to compare.")
        if self.parameter is not None:
            if not math.isfinite(self.parameter):
                raise SpecError(f"{self.label}: the value must be a number.")
            low, high = PARAMETER_RANGES.get(self.kind, (-math.inf, math.inf))
            if not (low <= self.parameter <= high):
                raise SpecError(f"{self.label}: the value must be between {low:g} and {high:g}.")

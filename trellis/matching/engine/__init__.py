"""The matching engine: scoring, explanations and a provably optimal solver.

Pure NumPy, numba and OR-Tools; nothing here imports Django. `trellis.matching.cohort`
turns a program into a `Cohort`; benchmarks build one directly.
"""

from trellis.matching.engine.cohort import (
    AVAILABILITY,
    SLOTS_PER_WEEK,
    UTC_OFFSET,
    Cohort,
    CohortBuilder,
    Feature,
    vocabulary_of,
)
from trellis.matching.engine.explain import (
    MANAGER,
    MENTEE,
    MENTOR,
    Explanation,
    Reason,
    UnmatchedReason,
    explain_pair,
    explain_pairs,
    rank_mentees,
    rank_mentors,
    unmatched_report,
)
from trellis.matching.engine.solver import (
    Solution,
    big_weight,
    prepare,
    score_matrix,
    score_pairs,
    solve,
)
from trellis.matching.engine.spec import (
    MAX_SCORE_UNITS,
    UNITS_PER_POINT,
    Criterion,
    Kind,
    Objective,
    SpecError,
)

__all__ = [
    "AVAILABILITY",
    "MANAGER",
    "MAX_SCORE_UNITS",
    "MENTEE",
    "MENTOR",
    "SLOTS_PER_WEEK",
    "UNITS_PER_POINT",
    "UTC_OFFSET",
    "Cohort",
    "CohortBuilder",
    "Criterion",
    "Explanation",
    "Feature",
    "Kind",
    "Objective",
    "Reason",
    "Solution",
    "SpecError",
    "UnmatchedReason",
    "big_weight",
    "explain_pair",
    "explain_pairs",
    "prepare",
    "rank_mentees",
    "rank_mentors",
    "score_matrix",
    "score_pairs",
    "solve",
    "unmatched_report",
    "vocabulary_of",
]

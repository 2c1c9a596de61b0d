"""The kernels specialised to a program's criteria score exactly like the generic one."""

from __future__ import annotations

import numpy as np
import pytest

from trellis.matching.engine import (
    CohortBuilder,
    Criterion,
    Kind,
    Objective,
    score_pairs,
    solve,
)


def _cohort(seed: int, n: int = 70, m: int = 25):
    rng = np.random.default_rng(seed)
    builder = CohortBuilder(
        mentee_ids=np.arange(n), mentor_ids=np.arange(100, 100 + m), capacity=rng.integers(0, 4, m)
    )
    vocabulary = [f"item{k}" for k in range(70)]
    builder.add_set(
        "languages",
        mentees=rng.random((n, 5)) < 0.5,
        mentors=rng.random((m, 5)) < 0.5,
        vocabulary=vocabulary[:5],
    )
    builder.add_set(
        "skills_sought", mentees=rng.random((n, 70)) < 0.1, mentors=rng.random((m, 70)) < 0.1,
        vocabulary=vocabulary,
    )  # fmt: skip
    builder.add_set(
        "skills_offered", mentees=rng.random((n, 70)) < 0.1, mentors=rng.random((m, 70)) < 0.2,
        vocabulary=vocabulary,
    )  # fmt: skip
    slots = [str(slot) for slot in range(336)]
    builder.add_set(
        "availability", mentees=rng.random((n, 336)) < 0.2, mentors=rng.random((m, 336)) < 0.2,
        vocabulary=slots,
    )  # fmt: skip
    offsets = np.array([-600, -300, 0, 60, 330, 540, 780, np.nan])
    builder.add_number(
        "utc_offset_minutes",
        mentees=list(rng.choice(offsets, n)),
        mentors=list(rng.choice(offsets, m)),
    )
    levels = np.array([1, 2, 3, 4, 5, 6, 7, np.nan])
    builder.add_number(
        "seniority", mentees=list(rng.choice(levels, n)), mentors=list(rng.choice(levels, m))
    )
    builder.add_number(
        "scale", mentees=list(rng.choice(levels[:5], n)), mentors=list(rng.choice(levels[:5], m)),
        span=4,
    )  # fmt: skip
    builder.add_code("department", mentees=rng.integers(-1, 4, n), mentors=rng.integers(-1, 4, m))
    builder.add_code("country", mentees=rng.integers(-1, 3, n), mentors=rng.integers(-1, 3, m))
    builder.add_vectors("text", mentees=rng.normal(size=(n, 12)), mentors=rng.normal(size=(m, 12)))
    mentee_ids, mentor_ids = np.arange(n), np.arange(100, 100 + m)
    lines = np.full((n, 3), -1)
    lines[:, 0] = mentee_ids
    lines[: n // 3, 1] = rng.choice(mentor_ids, n // 3)
    mentor_lines = np.full((m, 3), -1)
    mentor_lines[:, 0] = mentor_ids
    mentor_lines[: m // 3, 1] = rng.choice(mentee_ids, m // 3)
    builder.set_reporting_lines(mentees=lines, mentors=mentor_lines)
    builder.add_wishes(
        mentee_index=rng.integers(0, n, 30),
        mentor_index=rng.integers(0, m, 30),
        value=rng.random(30),
    )
    builder.add_avoid(mentee_index=rng.integers(0, n, 10), mentor_index=rng.integers(0, m, 10))
    return builder.build()


def _criterion(kind: Kind, feature: str, *, hard: bool, weight: int = 5, **extra) -> Criterion:
    mentor_feature = extra.pop("mentor_feature", feature)
    return Criterion(
        kind=kind, label=feature, mentee_feature=feature, mentor_feature=mentor_feature,
        is_hard=hard, weight=weight, **extra,
    )  # fmt: skip


# Two layouts between them put every kind on both sides of the hard/weighted line.
LAYOUTS = [
    [
        _criterion(Kind.OVERLAP, "languages", hard=True),
        _criterion(Kind.TIME_ZONE, "utc_offset_minutes", hard=True, parameter=7),
        _criterion(Kind.NOT_SAME_LINE, "department", hard=True),
        _criterion(Kind.SENIORITY_GAP, "seniority", hard=True, parameter=0),
        _criterion(Kind.DIFFERENT_VALUE, "country", hard=True),
        _criterion(Kind.COMPLEMENT, "skills_sought", hard=False, weight=8,
                   mentor_feature="skills_offered"),
        _criterion(Kind.TEXT, "text", hard=False, weight=4),
        _criterion(Kind.AVAILABILITY, "availability", hard=False, weight=3, parameter=4),
        _criterion(Kind.CLOSENESS, "scale", hard=False, weight=2),
        Criterion(kind=Kind.WISHES, label="Wishes", weight=6),
    ],
    [
        _criterion(Kind.SAME_VALUE, "country", hard=True),
        _criterion(Kind.AVAILABILITY, "availability", hard=True, parameter=1.5),
        _criterion(Kind.COMPLEMENT, "skills_sought", hard=True, mentor_feature="skills_offered"),
        _criterion(Kind.CLOSENESS, "scale", hard=True, parameter=2),
        _criterion(Kind.TEXT, "text", hard=True, parameter=0.0),
        _criterion(Kind.OVERLAP, "languages", hard=False, weight=7),
        _criterion(Kind.TIME_ZONE, "utc_offset_minutes", hard=False, weight=3),
        _criterion(Kind.SENIORITY_GAP, "seniority", hard=False, weight=4, parameter=2),
        _criterion(Kind.NOT_SAME_LINE, "department", hard=False, weight=1),
        _criterion(Kind.SAME_VALUE, "country", hard=False, weight=2),
    ],
]  # fmt: skip


@pytest.mark.parametrize("layout", range(len(LAYOUTS)))
@pytest.mark.parametrize("objective", list(Objective))
def test_specialised_and_generic_kernels_agree(layout, objective):
    criteria = LAYOUTS[layout]
    for seed in range(6):
        cohort = _cohort(seed)
        # Few candidates force pricing rounds through the specialised pricing kernel too.
        specialised = solve(cohort, criteria, objective=objective, candidates=2, specialise=True)
        generic = solve(cohort, criteria, objective=objective, candidates=2, specialise=False)

        assert specialised.is_optimal
        assert generic.is_optimal
        assert specialised.matched == generic.matched
        assert specialised.total_units == generic.total_units
        rescored = score_pairs(cohort, criteria, specialised.mentee_index, specialised.mentor_index)
        assert rescored.tolist() == specialised.score_units.tolist()

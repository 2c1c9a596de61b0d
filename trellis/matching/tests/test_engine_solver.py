"""solve() returns a valid matching whose objective is the exact optimum.

The optimum is computed apart from the engine: SciPy's linear_sum_assignment on the
capacity-expanded matrix (one column per mentor place, one "stay unmatched" column per
mentee), checked itself against brute force on the smallest cohorts.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from trellis.matching.engine import (
    Cohort,
    CohortBuilder,
    Criterion,
    Kind,
    Objective,
    SpecError,
    big_weight,
    score_matrix,
    solve,
)
from trellis.matching.engine.spec import MAX_SCORE_UNITS

UTC_OFFSETS = [-600.0, -300.0, 0.0, 60.0, 330.0, 540.0, 720.0]

# (kind, mentee feature, mentor feature, parameters to draw from)
TEMPLATES: list[tuple[Kind, str, str, list[float | None]]] = [
    (Kind.SAME_VALUE, "team", "team", [None]),
    (Kind.DIFFERENT_VALUE, "team", "team", [None]),
    (Kind.OVERLAP, "tags", "tags", [None, 1, 2]),
    (Kind.COMPLEMENT, "sought", "offered", [None, 1, 2]),
    (Kind.AVAILABILITY, "availability", "availability", [None, 0.5, 1, 2.5]),
    (Kind.SENIORITY_GAP, "level", "level", [None, 0, 1, 2, 3]),
    (Kind.TIME_ZONE, "utc_offset_minutes", "utc_offset_minutes", [None, 0, 3, 6, 9.5]),
    (Kind.CLOSENESS, "pace", "pace", [None, 0, 1, 2]),
    (Kind.NOT_SAME_LINE, "department", "department", [None]),
    # Similarities of small integer vectors never land exactly on these thresholds.
    (Kind.TEXT, "text", "text", [None, 0.15, 0.35, 0.65]),
    (Kind.WISHES, "", "", [None]),
]


@st.composite
def criteria_lists(draw) -> list[Criterion]:
    criteria = []
    for position in range(draw(st.integers(0, 6))):
        kind, mentee_feature, mentor_feature, parameters = draw(st.sampled_from(TEMPLATES))
        is_hard = kind != Kind.WISHES and draw(st.integers(0, 2)) == 0
        criteria.append(
            Criterion(
                kind,
                f"{kind.value} {position}",
                mentee_feature,
                mentor_feature,
                is_hard=is_hard,
                weight=draw(st.integers(1, 10)),
                parameter=draw(st.sampled_from(parameters)),
            )
        )
    return criteria


@st.composite
def random_cohort(draw, max_mentees: int = 12, max_mentors: int = 6):
    """A small cohort with every kind of feature, plus a list of criteria over them.

    Sizes and criteria are drawn by hypothesis; the bulk of the values comes from a
    NumPy generator seeded by hypothesis, which keeps examples fast and reproducible.
    """
    n = draw(st.integers(1, max_mentees))
    m = draw(st.integers(1, max_mentors))
    capacity = draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.sampled_from([0.2, 0.5, 0.8]))

    builder = CohortBuilder(
        mentee_ids=np.arange(1, n + 1), mentor_ids=np.arange(101, 101 + m), capacity=capacity
    )

    def sets(items: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.random((n, items)) < density, rng.random((m, items)) < density

    tags = sets(5)
    builder.add_set("tags", mentees=tags[0], mentors=tags[1], vocabulary=list("abcde"))
    skills = [f"skill-{index}" for index in range(4)]
    sought, offered = sets(4), sets(4)
    builder.add_set("sought", mentees=sought[0], mentors=sought[1], vocabulary=skills)
    builder.add_set("offered", mentees=offered[0], mentors=offered[1], vocabulary=skills)
    slots = sets(12)
    builder.add_set(
        "availability",
        mentees=slots[0],
        mentors=slots[1],
        vocabulary=[str(slot) for slot in range(12)],
    )
    builder.add_code("team", mentees=rng.integers(-1, 3, n), mentors=rng.integers(-1, 3, m))
    builder.add_code("department", mentees=rng.integers(-1, 4, n), mentors=rng.integers(-1, 4, m))

    def numbers(values: np.ndarray, unknown: float) -> list[float | None]:
        return [None if rng.random() < unknown else float(value) for value in values]

    builder.add_number(
        "level",
        mentees=numbers(rng.integers(1, 8, n), 0.1),
        mentors=numbers(rng.integers(1, 8, m), 0.1),
        span=6,
    )
    builder.add_number(
        "utc_offset_minutes",
        mentees=numbers(rng.choice(UTC_OFFSETS, n), 0.05),
        mentors=numbers(rng.choice(UTC_OFFSETS, m), 0.05),
    )
    builder.add_number(
        "pace",
        mentees=numbers(rng.integers(1, 6, n), 0.05),
        mentors=numbers(rng.integers(1, 6, m), 0.05),
        span=4,
    )
    builder.add_vectors(
        "text", mentees=rng.integers(-2, 3, (n, 3)), mentors=rng.integers(-2, 3, (m, 3))
    )

    mentee_ids, mentor_ids = np.arange(1, n + 1), np.arange(101, 101 + m)
    people = np.concatenate([mentee_ids, mentor_ids, [500, 501, -1]])

    def lines(own: np.ndarray) -> np.ndarray:
        line = rng.choice(people, (len(own), 3))
        line[:, 0] = np.where(rng.random(len(own)) < 0.9, own, -1)
        return line

    builder.set_reporting_lines(mentees=lines(mentee_ids), mentors=lines(mentor_ids))
    wishes = int(rng.integers(0, n * m + 1)) // 3
    builder.add_wishes(
        mentee_index=rng.integers(0, n, wishes),
        mentor_index=rng.integers(0, m, wishes),
        value=rng.choice([0.25, 0.5, 1.0], wishes),
    )
    avoids = int(rng.integers(0, n * m + 1)) // 6
    builder.add_avoid(
        mentee_index=rng.integers(0, n, avoids), mentor_index=rng.integers(0, m, avoids)
    )
    return builder.build(), draw(criteria_lists())


def usable_weights(scores: np.ndarray, big: int, objective: Objective) -> np.ndarray:
    """Each pair's worth to the objective; 0 for a pair that is forbidden or never used."""
    usable = scores > 0 if objective == Objective.BEST_SCORE else scores >= 0
    return np.where(usable, scores + big, 0)


def optimum_by_assignment(weights: np.ndarray, capacity: np.ndarray) -> int:
    """Maximum total weight of a b-matching, by SciPy on capacity-expanded columns."""
    n = weights.shape[0]
    place_mentor = np.repeat(np.arange(len(capacity)), np.clip(capacity, 0, None))
    if n == 0 or len(place_mentor) == 0:
        return 0
    cost = np.zeros((n, len(place_mentor) + n))
    cost[:, : len(place_mentor)] = -weights[:, place_mentor]
    rows, columns = linear_sum_assignment(cost)
    return round(-cost[rows, columns].sum())


def optimum_by_brute_force(weights: np.ndarray, capacity: np.ndarray) -> int:
    n, m = weights.shape
    best = 0
    for choice in itertools.product(range(-1, m), repeat=n):
        load = np.bincount([j for j in choice if j >= 0], minlength=m)
        if (load > capacity).any():
            continue
        best = max(best, sum(int(weights[i, j]) for i, j in enumerate(choice) if j >= 0))
    return best


@st.composite
def locked_pairs(draw, scores: np.ndarray, capacity: np.ndarray) -> list[tuple[int, int]]:
    """Pairs a manager could lock: allowed, one per mentee, within the mentors' places."""
    left = np.clip(capacity, 0, None).copy()
    pairs = []
    for mentee in draw(st.permutations(range(scores.shape[0])))[: draw(st.integers(0, 3))]:
        allowed = [int(j) for j in np.flatnonzero((scores[mentee] >= 0) & (left > 0))]
        if allowed:
            mentor = draw(st.sampled_from(allowed))
            left[mentor] -= 1
            pairs.append((int(mentee), mentor))
    return pairs


def assert_valid(cohort: Cohort, scores: np.ndarray, solution, fixed, objective) -> None:
    mentees, mentors = solution.mentee_index, solution.mentor_index
    assert solution.is_optimal
    assert solution.dual_bound == solution.primal_weight
    assert len(mentees) == len(mentors) == len(solution.score_units) == solution.matched
    assert len(np.unique(mentees)) == len(mentees)
    assert np.all(np.diff(mentees) > 0), "pairs come sorted by mentee"
    assert (np.bincount(mentors, minlength=cohort.mentor_count) <= cohort.capacity).all()
    assert (scores[mentees, mentors] >= 0).all(), "a pair breaks a hard rule"
    assert np.array_equal(solution.score_units, scores[mentees, mentors])
    assert solution.total_units == int(solution.score_units.sum())
    assert set(fixed) <= set(zip(mentees.tolist(), mentors.tolist(), strict=True))
    is_matched = np.zeros(cohort.mentee_count, dtype=bool)
    is_matched[mentees] = True
    assert np.array_equal(solution.unmatched, np.flatnonzero(~is_matched))
    is_free = ~np.isin(mentees, [mentee for mentee, _ in fixed])
    if objective == Objective.BEST_SCORE:
        assert (solution.score_units[is_free] > 0).all(), "a pair scoring 0 was used"
    assert solution.primal_weight == int((solution.score_units[is_free] + solution.big).sum())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_solve_finds_the_exact_optimum(data):
    cohort, criteria = data.draw(random_cohort())
    objective = data.draw(st.sampled_from(list(Objective)))
    # Few candidates per mentee leave pairs out of the first graph, so pricing must find them.
    candidates = data.draw(st.sampled_from([1, 2, 12]))
    scores = score_matrix(cohort, criteria)
    fixed = data.draw(locked_pairs(scores, cohort.capacity))

    solution = solve(
        cohort, criteria, objective=objective, fixed_pairs=fixed, candidates=candidates
    )

    assert_valid(cohort, scores, solution, fixed, objective)
    free = np.setdiff1d(np.arange(cohort.mentee_count), [mentee for mentee, _ in fixed])
    capacity = cohort.capacity - np.bincount(
        [mentor for _, mentor in fixed], minlength=cohort.mentor_count
    )
    big = big_weight(
        mentee_count=len(free), places=int(capacity[capacity > 0].sum()), objective=objective
    )
    assert solution.big == big
    weights = usable_weights(scores[free], big, objective)
    optimum = optimum_by_assignment(weights, capacity)
    if len(free) <= 5:
        assert optimum == optimum_by_brute_force(weights, capacity)
    assert solution.primal_weight == optimum
    if objective == Objective.MOST_MATCHED:
        # Most people first: no matching of the free mentees matches more of them.
        most = optimum_by_assignment((weights > 0).astype(np.int64), capacity)
        assert solution.matched - len(fixed) == most


def test_big_weight_makes_one_more_match_worth_more_than_any_scores():
    assert big_weight(mentee_count=10, places=4, objective=Objective.MOST_MATCHED) == (
        MAX_SCORE_UNITS * 4 + 1
    )
    assert big_weight(mentee_count=3, places=40, objective=Objective.MOST_MATCHED) == (
        MAX_SCORE_UNITS * 3 + 1
    )
    assert big_weight(mentee_count=3, places=40, objective=Objective.BEST_SCORE) == 0


def small_program(capacity: list[int]) -> tuple[Cohort, list[Criterion]]:
    """Mentee 0 fits both mentors; mentee 1 fits mentor 0 only, and worse."""
    builder = CohortBuilder(mentee_ids=[1, 2], mentor_ids=[10, 11], capacity=capacity)
    builder.add_set("languages", mentees=[["en", "fr"], ["en"]], mentors=[["en"], ["fr"]])
    builder.add_number("utc_offset_minutes", mentees=[0, 360], mentors=[0, 0])
    criteria = [
        Criterion(Kind.OVERLAP, "Languages", "languages", "languages", is_hard=True),
        Criterion(Kind.TIME_ZONE, "Time zone", "utc_offset_minutes", "utc_offset_minutes"),
    ]
    return builder.build(), criteria


def test_most_matched_gives_up_score_to_match_one_more_person():
    cohort, criteria = small_program([1, 1])

    solution = solve(cohort, criteria, objective=Objective.MOST_MATCHED)

    assert solution.mentee_index.tolist() == [0, 1]
    assert solution.mentor_index.tolist() == [1, 0]
    assert solution.score_units.tolist() == [10_000, 5_000]
    assert solution.total_units == 15_000
    assert solution.unmatched.tolist() == []


def test_best_score_prefers_the_best_pair_even_if_fewer_are_matched():
    cohort, criteria = small_program([1, 0])

    solution = solve(cohort, criteria, objective=Objective.BEST_SCORE)

    assert solution.mentee_index.tolist() == [0]
    assert solution.mentor_index.tolist() == [0]
    assert solution.unmatched.tolist() == [1]


def test_locked_pairs_are_kept_and_the_rest_solved_around_them():
    cohort, criteria = small_program([1, 1])

    solution = solve(cohort, criteria, fixed_pairs=[(0, 0)])

    assert list(zip(solution.mentee_index, solution.mentor_index, strict=True)) == [(0, 0)]
    assert solution.unmatched.tolist() == [1]


@pytest.mark.parametrize(
    ("fixed", "message"),
    [
        ([(1, 1)], "breaks a hard rule"),
        ([(0, 0), (0, 1)], "locked to two mentors"),
        ([(0, 0), (1, 0)], "more mentees than their places"),
        ([(2, 0)], "outside the cohort"),
    ],
)
def test_impossible_locked_pairs_are_refused(fixed, message):
    cohort, criteria = small_program([1, 1])

    with pytest.raises(SpecError, match=message):
        solve(cohort, criteria, fixed_pairs=fixed)


@pytest.mark.parametrize(("n", "m", "capacity"), [(0, 2, [1, 1]), (2, 0, []), (2, 2, [0, 0])])
def test_nobody_to_match_gives_an_empty_proven_solution(n, m, capacity):
    builder = CohortBuilder(mentee_ids=range(n), mentor_ids=range(10, 10 + m), capacity=capacity)
    builder.add_number("level", mentees=[1] * n, mentors=[5] * m)
    criteria = [Criterion(Kind.SENIORITY_GAP, "Seniority", "level", "level")]

    solution = solve(builder.build(), criteria)

    assert solution.matched == 0
    assert solution.total_units == 0
    assert solution.is_optimal
    assert solution.unmatched.tolist() == list(range(n))


def test_no_allowed_pair_leaves_everyone_unmatched():
    cohort, _ = small_program([1, 1])
    criteria = [
        Criterion(
            Kind.TIME_ZONE,
            "Time zone",
            "utc_offset_minutes",
            "utc_offset_minutes",
            is_hard=True,
            parameter=0,
        ),
        Criterion(Kind.OVERLAP, "Languages", "languages", "languages", is_hard=True, parameter=2),
    ]

    solution = solve(cohort, criteria)

    assert solution.matched == 0
    assert solution.unmatched.tolist() == [0, 1]


def test_progress_is_reported_from_start_to_done():
    cohort, criteria = small_program([1, 1])
    reports: list[tuple[float, str]] = []

    solve(cohort, criteria, progress=lambda fraction, message: reports.append((fraction, message)))

    fractions = [fraction for fraction, _ in reports]
    assert fractions[0] == 0.0
    assert reports[-1] == (1.0, "Done")
    assert fractions == sorted(fractions)


def test_solve_is_deterministic():
    cohort, criteria = small_program([2, 1])

    first = solve(cohort, criteria)
    second = solve(cohort, criteria)

    assert np.array_equal(first.mentee_index, second.mentee_index)
    assert np.array_equal(first.mentor_index, second.mentor_index)


def test_serial_and_parallel_solves_agree():
    rng = np.random.default_rng(7)
    n, m = 300, 60
    builder = CohortBuilder(
        mentee_ids=range(n), mentor_ids=range(1000, 1000 + m), capacity=rng.integers(0, 4, m)
    )
    builder.add_set(
        "tags",
        mentees=rng.random((n, 20)) < 0.2,
        mentors=rng.random((m, 20)) < 0.3,
        vocabulary=[str(item) for item in range(20)],
    )
    builder.add_vectors("text", mentees=rng.normal(size=(n, 8)), mentors=rng.normal(size=(m, 8)))
    cohort = builder.build()
    criteria = [
        Criterion(Kind.OVERLAP, "Tags", "tags", "tags", is_hard=True),
        Criterion(Kind.TEXT, "Text", "text", "text", weight=5),
        Criterion(Kind.OVERLAP, "Tags", "tags", "tags", weight=3),
    ]

    serial = solve(cohort, criteria, parallel=False, candidates=3)
    parallel = solve(cohort, criteria, parallel=True, candidates=3)

    assert serial.primal_weight == parallel.primal_weight
    assert serial.is_optimal
    assert parallel.is_optimal
    weights = usable_weights(score_matrix(cohort, criteria), serial.big, Objective.MOST_MATCHED)
    assert serial.primal_weight == optimum_by_assignment(weights, cohort.capacity)

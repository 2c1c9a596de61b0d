"""The benchmark's generated programs: realistic, deterministic, and solved exactly.

These programs are what the README's figures are measured on, so the solver is checked on
them too, with the kernels specialised to their criteria and with the generic ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import linprog

from benchmarks.matching import objective_big, pair_weights, verify_certificate
from benchmarks.matching_instances import LANGUAGES, generate
from trellis.matching.engine import Objective, score_matrix, solve
from trellis.matching.engine.cohort import unpack_bits
from trellis.matching.tests.test_engine_solver import optimum_by_assignment, usable_weights


def test_the_same_seed_gives_the_same_program():
    first, again, other = (
        generate(300, 90, seed=5),
        generate(300, 90, seed=5),
        generate(300, 90, seed=6),
    )

    for side in ("mentees", "mentors"):
        for array in ("bits", "codes", "numbers", "vectors", "line"):
            assert np.array_equal(
                getattr(getattr(first.cohort, side), array),
                getattr(getattr(again.cohort, side), array),
                equal_nan=True,
            )
    assert np.array_equal(first.cohort.capacity, again.cohort.capacity)
    assert not np.array_equal(first.cohort.mentees.bits, other.cohort.mentees.bits)


def test_the_program_has_four_hard_rules_and_five_preferences():
    criteria = generate(10, 5).criteria

    assert sum(criterion.is_hard for criterion in criteria) == 4
    assert sum(not criterion.is_hard for criterion in criteria) == 5


def test_the_program_looks_like_a_real_one():
    instance = generate(2_000, 600, seed=1)
    cohort = instance.cohort

    languages = cohort.feature("languages")
    spoken = unpack_bits(
        cohort.mentees.bits[:, languages.offset : languages.offset + languages.width],
        len(LANGUAGES),
    )
    per_language = spoken.sum(axis=0)
    assert LANGUAGES[int(per_language.argmax())] == "en"
    assert 1 <= spoken.sum(axis=1).mean() <= 3
    seniority = cohort.feature("seniority").offset
    assert cohort.mentors.numbers[:, seniority].mean() > cohort.mentees.numbers[:, seniority].mean()
    assert set(np.unique(cohort.capacity)) <= {1, 2, 3, 4, 5}
    assert np.isin(cohort.mentees.line[:, 1], cohort.mentors.ids).mean() > 0.03
    matrix = score_matrix(cohort, instance.criteria)
    has_a_mentor = (matrix >= 0).any(axis=1)
    assert has_a_mentor.mean() > 0.9, "most mentees can be matched"
    assert 0.1 < (matrix >= 0).mean() < 0.6, "the hard rules forbid some pairs, not most"


@pytest.mark.parametrize("objective", list(Objective))
@pytest.mark.parametrize("specialise", [False, True])
def test_generated_programs_are_solved_to_the_optimum(objective, specialise):
    instance = generate(600, 180, seed=2)
    cohort = instance.cohort

    solution = solve(
        cohort, instance.criteria, objective=objective, specialise=specialise, candidates=4
    )

    weights = usable_weights(score_matrix(cohort, instance.criteria), solution.big, objective)
    assert solution.is_optimal
    assert solution.primal_weight == solution.dual_bound
    assert solution.primal_weight == optimum_by_assignment(weights, cohort.capacity)
    assert (weights[solution.mentee_index, solution.mentor_index] > 0).all()


def linear_programme_prices(weights: np.ndarray, capacity: np.ndarray):
    """Optimal dual prices of the b-matching's linear relaxation, by HiGHS."""
    n, m = weights.shape
    mentees, mentors = np.nonzero((weights > 0) & (capacity[None, :] > 0))
    pairs = len(mentees)
    constraints = sparse.vstack(
        [
            sparse.csr_matrix((np.ones(pairs), (mentees, np.arange(pairs))), shape=(n, pairs)),
            sparse.csr_matrix((np.ones(pairs), (mentors, np.arange(pairs))), shape=(m, pairs)),
        ]
    )
    result = linprog(
        -weights[mentees, mentors].astype(float),
        A_ub=constraints,
        b_ub=np.concatenate([np.ones(n), capacity]),
        bounds=(0, None),
        method="highs",
    )
    prices = -result.ineqlin.marginals
    return prices[:n], prices[n:], round(-result.fun)


@pytest.mark.parametrize("objective", list(Objective))
def test_the_certificate_check_accepts_optimal_prices_and_refuses_others(objective):
    instance = generate(150, 45, seed=3)
    cohort, criteria = instance.cohort, instance.criteria
    big = objective_big(cohort, objective)
    weights = pair_weights(score_matrix(cohort, criteria), big, objective)
    mentee_price, mentor_price, optimum = linear_programme_prices(weights, cohort.capacity)
    assert optimum == optimum_by_assignment(weights, cohort.capacity)

    def problems(u, v, claimed):
        return verify_certificate(cohort, criteria, objective, u, v, claimed, block=64)

    assert problems(mentee_price, mentor_price, optimum) == []
    assert "bound the objective" in problems(mentee_price, mentor_price, optimum + 1)[0]
    # Prices too low somewhere: some pair weighs more than its mentee's and mentor's prices.
    cheaper = mentor_price.copy()
    cheaper[int(mentor_price.argmax())] = 0
    assert any(
        "weigh more than their prices" in text for text in problems(mentee_price, cheaper, optimum)
    )
    assert problems(-mentee_price - 1, mentor_price, optimum)[0] == "a price is negative"

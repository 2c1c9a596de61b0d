"""Provably optimal capacity-constrained assignment of mentees to mentors.

The problem is a maximum-weight bipartite b-matching: each mentee at most once, each
mentor at most their capacity, only pairs that pass every hard rule. Its linear
relaxation is integral, and its dual is

    minimise  sum(u_i) + sum(c_j * v_j)   subject to  u_i + v_j >= w_ij,  u, v >= 0.

The solve:

1. score every pair in compiled, parallel blocks and keep each mentee's best
   `candidates` mentors;
2. solve a min-cost flow (OR-Tools) on that sparse graph;
3. read dual prices off the optimal flow: mentor prices are shortest distances in the
   graph of difference constraints that complementary slackness imposes, so that the
   dual objective equals the primal total exactly (integer units, no rounding);
4. price every pair left out: a pair with w_ij > u_i + v_j is added and the flow
   re-solved. When no pair is left, (u, v) is feasible for the full problem and its
   objective equals the matching's total: by weak duality nothing can do better.

Step 4 is exhaustive but pruned safely: a pair left out weighs at most the mentee's
k-th candidate, so only mentors priced below that bound are scanned.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

from trellis.matching.engine import codegen, kernels
from trellis.matching.engine.cohort import Cohort
from trellis.matching.engine.spec import (
    MAX_SCORE_UNITS,
    UNITS_PER_POINT,
    Criterion,
    KernelKind,
    Kind,
    Objective,
    SpecError,
)

Progress = Callable[[float, str], None]
logger = logging.getLogger(__name__)
BLOCK_ROWS = 2048
PRICING_LIMIT = 8
# Pricing also adds pairs this close to violating (units), which saves re-solves.
PRICING_SLACK = 2 * UNITS_PER_POINT
# Candidates whose reduced profit is below minus this (units) leave the flow graph for a
# reserve that is priced exactly each round.
RESERVE_MARGIN = 5 * UNITS_PER_POINT
# Solving in parallel pays off from this many pairs; below, the serial kernels are used.
PARALLEL_PAIRS = 2_000_000
# From this many pairs a solve compiles kernels specialised to its criteria (seconds,
# once per layout, cached on disk) because they score pairs several times faster.
SPECIALISE_PAIRS = 5_000_000

_STORAGE = {
    Kind.SAME_VALUE: "code",
    Kind.DIFFERENT_VALUE: "code",
    Kind.NOT_SAME_LINE: "code",
    Kind.OVERLAP: "set",
    Kind.COMPLEMENT: "set",
    Kind.AVAILABILITY: "set",
    Kind.SENIORITY_GAP: "number",
    Kind.TIME_ZONE: "number",
    Kind.CLOSENESS: "number",
    Kind.TEXT: "vector",
}
# Cheap hard rules first: a pair is dropped at the first rule it fails.
_COST = {
    Kind.SAME_VALUE: 1,
    Kind.DIFFERENT_VALUE: 1,
    Kind.TIME_ZONE: 2,
    Kind.SENIORITY_GAP: 2,
    Kind.CLOSENESS: 2,
    Kind.NOT_SAME_LINE: 3,
    Kind.OVERLAP: 4,
    Kind.COMPLEMENT: 4,
    Kind.AVAILABILITY: 5,
    Kind.TEXT: 5,
    Kind.WISHES: 6,
}


@dataclass
class Prepared:
    """Criteria in kernel order plus the argument tuple every kernel takes."""

    criteria: list[Criterion]  # kernel order
    order: np.ndarray  # kernel position -> position in the caller's list
    arguments: tuple[Any, ...]

    @property
    def layout(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Return what a specialised kernel is compiled for: criteria, parameters, weight."""
        return self.arguments[0], self.arguments[1], self.arguments[20]


def prepare(cohort: Cohort, criteria: Sequence[Criterion]) -> Prepared:
    """Validate the criteria against the cohort and lay them out for the kernels."""
    for criterion in criteria:
        criterion.validate()

    def rank(position: int) -> tuple[bool, float]:
        criterion = criteria[position]
        cost = _COST[criterion.kind]
        # Hard rules cheapest first; preferences by weight per cost, so the bound on
        # what is left to add falls fastest and hopeless pairs are dropped early.
        return (not criterion.is_hard, cost if criterion.is_hard else -criterion.weight / cost)

    order = sorted(range(len(criteria)), key=rank)
    crit = np.zeros((len(criteria), 8), dtype=np.int64)
    params = np.ones((len(criteria), 3), dtype=np.float64)
    for row, position in enumerate(order):
        criterion = criteria[position]
        crit[row, 0] = int(KernelKind[criterion.kind.name])
        crit[row, 1] = 1 if criterion.is_hard else 0
        crit[row, 2] = 0 if criterion.is_hard else criterion.weight
        crit[row, 6] = crit[row, 7] = -1
        params[row, 0] = criterion.effective_parameter
        if criterion.kind == Kind.WISHES:
            continue
        mentee_feature = _feature(cohort, criterion, criterion.mentee_feature)
        mentor_feature = _feature(cohort, criterion, criterion.mentor_feature)
        if mentee_feature.width != mentor_feature.width:
            raise SpecError(f"{criterion.label}: the two features cannot be compared.")
        if criterion.kind in (Kind.OVERLAP, Kind.COMPLEMENT) and (
            mentee_feature.vocabulary != mentor_feature.vocabulary
        ):
            raise SpecError(f"{criterion.label}: the two lists use different vocabularies.")
        crit[row, 3] = mentee_feature.offset
        crit[row, 4] = mentor_feature.offset
        crit[row, 5] = mentee_feature.width
        crit[row, 6] = mentee_feature.size_column
        crit[row, 7] = mentor_feature.size_column
        params[row, 1] = mentee_feature.span
    weight_total = float(crit[:, 2].sum())
    # The preference weight still to come from each position on (bounds in the kernels).
    params[:, 2] = np.cumsum(crit[::-1, 2])[::-1]
    mentees, mentors = cohort.mentees, cohort.mentors
    avoid_value = np.ones(len(cohort.avoid_mentor), dtype=np.float64)
    arguments = (
        crit,
        params,
        mentees.bits,
        mentees.sizes,
        mentees.codes,
        mentees.numbers,
        mentees.vectors,
        mentees.line,
        mentors.bits,
        mentors.sizes,
        mentors.codes,
        mentors.numbers,
        mentors.vectors,
        mentors.line,
        cohort.wish_pointer,
        cohort.wish_mentor,
        cohort.wish_value,
        cohort.avoid_pointer,
        cohort.avoid_mentor,
        avoid_value,
        weight_total,
        MAX_SCORE_UNITS,
        float(sum(c.weight for c in criteria if c.kind == Kind.WISHES and not c.is_hard)),
    )
    return Prepared(
        criteria=[criteria[position] for position in order],
        order=np.asarray(order, dtype=np.int64),
        arguments=arguments,
    )


def _feature(cohort: Cohort, criterion: Criterion, name: str) -> Any:
    feature = cohort.features.get(name)
    if feature is None:
        raise SpecError(f"{criterion.label}: there is no {name.replace('_', ' ')} to compare.")
    if feature.storage != _STORAGE[criterion.kind]:
        raise SpecError(f"{criterion.label}: {name.replace('_', ' ')} cannot be compared this way.")
    return feature


def big_weight(*, mentee_count: int, places: int, objective: Objective) -> int:
    """Return the bonus each matched pair gets, so that matching more people always wins."""
    if objective == Objective.BEST_SCORE:
        return 0
    return MAX_SCORE_UNITS * max(0, min(mentee_count, places)) + 1


@dataclass
class Solution:
    mentee_index: np.ndarray  # matched pairs, fixed ones included
    mentor_index: np.ndarray
    score_units: np.ndarray
    total_units: int
    matched: int
    is_optimal: bool
    dual_bound: int  # effective-weight units of the free part
    primal_weight: int  # effective-weight units of the free part
    big: int
    rounds: int
    edge_count: int
    unmatched: np.ndarray  # mentee indices left without a mentor
    timings: dict[str, float] = field(default_factory=dict)
    # The certificate, in effective-weight units: u_i + v_j >= weight of every allowed
    # pair of free mentees, and sum(u) + sum(places * v) == primal_weight. Locked mentees
    # have price 0 and mentor prices are over the places left after locked pairs.
    mentee_price: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    mentor_price: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def total_points(self) -> float:
        return self.total_units / UNITS_PER_POINT


def _use_parallel(pairs: int, parallel: bool | None) -> bool:
    if parallel is None:
        return pairs >= PARALLEL_PAIRS
    return parallel


def score_pairs(
    cohort: Cohort,
    criteria: Sequence[Criterion],
    mentee_index: Sequence[int] | np.ndarray,
    mentor_index: Sequence[int] | np.ndarray,
    *,
    prepared: Prepared | None = None,
) -> np.ndarray:
    """Return the score units of given pairs; -1 where a hard rule forbids the pair."""
    prepared = prepared or prepare(cohort, criteria)
    scores, _, _, _ = _score_pairs(prepared, mentee_index, mentor_index, record=False)
    return scores


def _score_pairs(
    prepared: Prepared,
    mentee_index: Sequence[int] | np.ndarray,
    mentor_index: Sequence[int] | np.ndarray,
    *,
    record: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = np.ascontiguousarray(mentee_index, dtype=np.int64)
    columns = np.ascontiguousarray(mentor_index, dtype=np.int64)
    count = len(rows)
    width = max(1, len(prepared.criteria)) if record else 1
    scores = np.zeros(count, dtype=np.int64)
    quantities = np.zeros((count, width))
    values = np.zeros((count, width))
    passed = np.zeros((count, width), dtype=np.bool_)
    if count:
        kernels.score_pairs_serial(
            rows, columns, record, prepared.arguments, scores, quantities, values, passed
        )
    return scores, quantities, values, passed


def score_matrix(
    cohort: Cohort, criteria: Sequence[Criterion], *, parallel: bool | None = None
) -> np.ndarray:
    """Return every pair's score units as an (n, m) matrix, -1 where forbidden."""
    prepared = prepare(cohort, criteria)
    n, m = cohort.mentee_count, cohort.mentor_count
    out = np.zeros((n, m), dtype=np.int64)
    rows = np.arange(n, dtype=np.int64)
    columns = np.arange(m, dtype=np.int64)
    if n and m:
        if _use_parallel(n * m, parallel):
            with kernels.PARALLEL_LOCK:
                kernels.score_rows_parallel(rows, columns, prepared.arguments, out)
        else:
            kernels.score_rows_serial(rows, columns, prepared.arguments, out)
    return out


def solve(
    cohort: Cohort,
    criteria: Sequence[Criterion],
    *,
    objective: Objective = Objective.MOST_MATCHED,
    fixed_pairs: Sequence[tuple[int, int]] = (),
    candidates: int = 12,
    progress: Progress | None = None,
    parallel: bool | None = None,
    specialise: bool | None = None,
) -> Solution:
    """Match the cohort optimally; see the module docstring for how and why it is exact.

    `fixed_pairs` (mentee index, mentor index) are kept as they are (locked by a manager):
    they use a place and their score counts, and the rest is solved around them.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    report = progress or (lambda fraction, message: None)
    objective = Objective(objective)
    prepared = prepare(cohort, criteria)
    n, m = cohort.mentee_count, cohort.mentor_count
    capacity = cohort.capacity.astype(np.int64).copy()

    fixed_mentees, fixed_mentors, fixed_scores = _fix(cohort, prepared, fixed_pairs, capacity)
    is_free = np.ones(n, dtype=bool)
    is_free[fixed_mentees] = False
    rows = np.flatnonzero(is_free).astype(np.int64)
    big = big_weight(
        mentee_count=len(rows), places=int(capacity[capacity > 0].sum()), objective=objective
    )
    drop_zero = objective == Objective.BEST_SCORE
    k = max(1, min(candidates, m))
    use_parallel = _use_parallel(len(rows) * m, parallel)
    if specialise is None:
        specialise = len(rows) * m >= SPECIALISE_PAIRS
    generated = codegen.specialised(*prepared.layout) if specialise else None
    mentor_columns = codegen.transposed(prepared.arguments) if specialise else ()
    open_mentors = np.flatnonzero(capacity > 0).astype(np.int64)

    # 1. Each mentee's best candidates.
    candidate_mentor = np.full((len(rows), k), -1, dtype=np.int64)
    candidate_weight = np.full((len(rows), k), -1, dtype=np.int64)
    feasible_count = np.zeros(len(rows), dtype=np.int64)
    report(0.0, "Scoring pairs")
    for start in range(0, len(rows), BLOCK_ROWS):
        stop = min(len(rows), start + BLOCK_ROWS)
        outputs = (
            candidate_mentor[start:stop],
            candidate_weight[start:stop],
            feasible_count[start:stop],
        )
        arguments = (rows[start:stop], open_mentors, k, big, drop_zero, prepared.arguments)
        if generated is not None:
            with kernels.PARALLEL_LOCK:
                generated.top_candidates(
                    rows[start:stop],
                    (capacity > 0).astype(np.int64),
                    *arguments[2:-1],
                    *codegen.unpack(prepared.arguments),
                    *mentor_columns,
                    *outputs,
                )
        elif use_parallel:
            with kernels.PARALLEL_LOCK:
                kernels.top_candidates_parallel(*arguments, *outputs)
        else:
            kernels.top_candidates_serial(*arguments, *outputs)
        report(0.7 * stop / max(1, len(rows)), f"Scored {stop:,} of {len(rows):,} mentees")
    timings["score"] = time.perf_counter() - started

    has_edge = candidate_mentor >= 0
    edge_row = np.repeat(np.arange(len(rows), dtype=np.int64), k)[has_edge.ravel()]
    edge_mentor = candidate_mentor[has_edge]
    edge_weight = candidate_weight[has_edge]
    # Pairs outside the graph weigh at most the k-th candidate; -1: the graph has them all.
    kth_weight = np.where(has_edge.all(axis=1), candidate_weight.min(axis=1), -1)
    del candidate_mentor, candidate_weight, has_edge

    # 2-4. Solve, price, repeat.
    reserve_row = np.zeros(0, dtype=np.int64)
    reserve_mentor = np.zeros(0, dtype=np.int64)
    reserve_weight = np.zeros(0, dtype=np.int64)
    rounds = 0
    flow_seconds = dual_seconds = pricing_seconds = 0.0
    while True:
        rounds += 1
        report(0.7 + min(0.25, 0.05 * rounds), f"Solving (round {rounds})")
        tick = time.perf_counter()
        is_used = _min_cost_flow(len(rows), m, capacity, edge_row, edge_mentor, edge_weight, big)
        flow_seconds += time.perf_counter() - tick
        tick = time.perf_counter()
        u, v = _duals(len(rows), m, capacity, edge_row, edge_mentor, edge_weight, is_used)
        primal = int(edge_weight[is_used].sum())
        dual = int(u.sum() + (capacity.clip(min=0) * v).sum())
        if dual != primal or (edge_weight > u[edge_row] + v[edge_mentor]).any():
            raise RuntimeError("The dual certificate does not hold; the matching is not proven.")
        dual_seconds += time.perf_counter() - tick
        tick = time.perf_counter()
        needs_pricing = (kth_weight >= 0) & (u < kth_weight)
        price_rows = np.flatnonzero(needs_pricing)
        new_row, new_mentor, new_weight = _price(
            rows,
            price_rows,
            kth_weight,
            u,
            v,
            open_mentors,
            big,
            drop_zero,
            prepared,
            use_parallel,
            generated,
            mentor_columns,
        )
        # Candidates set aside in earlier rounds are priced exactly, here.
        is_violated = reserve_weight > u[reserve_row] + v[reserve_mentor]
        pricing_seconds += time.perf_counter() - tick
        logger.debug(
            "round %d: %d edges, %d in reserve, %d matched, %d rows priced, %d+%d added",
            rounds,
            len(edge_row),
            len(reserve_row),
            int(is_used.sum()),
            len(price_rows),
            len(new_row),
            int(is_violated.sum()),
        )
        if len(new_row) == 0 and not is_violated.any():
            break
        # Keep the graph small: candidates far from paying their prices wait in reserve
        # (priced exactly every round, so none is lost); the violated ones come back.
        reduced = edge_weight - u[edge_row] - v[edge_mentor]
        keep = is_used | (reduced >= -RESERVE_MARGIN)
        edge_row, reserve_row = (
            np.concatenate([edge_row[keep], new_row, reserve_row[is_violated]]),
            np.concatenate([reserve_row[~is_violated], edge_row[~keep]]),
        )
        edge_mentor, reserve_mentor = (
            np.concatenate([edge_mentor[keep], new_mentor, reserve_mentor[is_violated]]),
            np.concatenate([reserve_mentor[~is_violated], edge_mentor[~keep]]),
        )
        edge_weight, reserve_weight = (
            np.concatenate([edge_weight[keep], new_weight, reserve_weight[is_violated]]),
            np.concatenate([reserve_weight[~is_violated], edge_weight[~keep]]),
        )
    timings.update(flow=flow_seconds, duals=dual_seconds, pricing=pricing_seconds)

    matched_rows = rows[edge_row[is_used]]
    matched_mentors = edge_mentor[is_used]
    matched_scores = edge_weight[is_used] - big
    mentee_index = np.concatenate([fixed_mentees, matched_rows])
    mentor_index = np.concatenate([fixed_mentors, matched_mentors])
    score_units = np.concatenate([fixed_scores, matched_scores])
    order = np.argsort(mentee_index, kind="stable")
    is_matched = np.zeros(n, dtype=bool)
    is_matched[mentee_index] = True
    mentee_price = np.zeros(n, dtype=np.int64)
    mentee_price[rows] = u
    timings["total"] = time.perf_counter() - started
    report(1.0, "Done")
    return Solution(
        mentee_index=mentee_index[order],
        mentor_index=mentor_index[order],
        score_units=score_units[order],
        total_units=int(score_units.sum()),
        matched=len(mentee_index),
        is_optimal=True,
        dual_bound=dual,
        primal_weight=primal,
        big=big,
        rounds=rounds,
        edge_count=len(edge_row) + len(reserve_row),
        unmatched=np.flatnonzero(~is_matched),
        timings=timings,
        mentee_price=mentee_price,
        mentor_price=v,
    )


def _fix(
    cohort: Cohort,
    prepared: Prepared,
    fixed_pairs: Sequence[tuple[int, int]],
    capacity: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pairs = np.asarray(list(fixed_pairs), dtype=np.int64).reshape(-1, 2)
    mentees, mentors = pairs[:, 0], pairs[:, 1]
    if len(pairs) == 0:
        return mentees, mentors, np.zeros(0, dtype=np.int64)
    n, m = cohort.mentee_count, cohort.mentor_count
    if mentees.min() < 0 or mentees.max() >= n or mentors.min() < 0 or mentors.max() >= m:
        raise SpecError("A locked pair names someone outside the cohort.")
    if len(np.unique(mentees)) != len(mentees):
        raise SpecError("A mentee is locked to two mentors.")
    scores, _, _, _ = _score_pairs(prepared, mentees, mentors, record=False)
    if (scores < 0).any():
        raise SpecError("A locked pair breaks a hard rule.")
    used = np.bincount(mentors, minlength=m)
    if (used > capacity).any():
        raise SpecError("Locked pairs give a mentor more mentees than their places.")
    capacity -= used
    return mentees, mentors, scores


def _min_cost_flow(
    row_count: int,
    mentor_count: int,
    capacity: np.ndarray,
    edge_row: np.ndarray,
    edge_mentor: np.ndarray,
    edge_weight: np.ndarray,
    big: int,
) -> np.ndarray:
    """Return which edges the maximum-weight b-matching on the graph uses.

    With a bonus per pair (most people matched first), OR-Tools computes the maximum
    flow of least cost directly, on the scores alone: small costs solve faster than
    scores inflated by the bonus. Otherwise an arc from source to sink lets people stay
    unmatched when no pair is worth it.
    """
    is_used = np.zeros(len(edge_row), dtype=bool)
    if len(edge_row) == 0:
        return is_used
    active_rows = np.unique(edge_row)
    active_mentors = np.unique(edge_mentor)
    row_node = np.full(row_count, -1, dtype=np.int64)
    row_node[active_rows] = 1 + np.arange(len(active_rows))
    mentor_node = np.full(mentor_count, -1, dtype=np.int64)
    mentor_node[active_mentors] = 1 + len(active_rows) + np.arange(len(active_mentors))
    source, sink = 0, 1 + len(active_rows) + len(active_mentors)
    supply = len(active_rows)
    maximise_flow = big > 0
    bypass = 0 if maximise_flow else 1

    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate(
        [
            row_node[edge_row],
            np.zeros(len(active_rows), dtype=np.int64),
            mentor_node[active_mentors],
            np.full(bypass, source, dtype=np.int64),
        ]
    )
    heads = np.concatenate(
        [
            mentor_node[edge_mentor],
            row_node[active_rows],
            np.full(len(active_mentors), sink, dtype=np.int64),
            np.full(bypass, sink, dtype=np.int64),
        ]
    )
    capacities = np.concatenate(
        [
            np.ones(len(edge_row), dtype=np.int64),
            np.ones(len(active_rows), dtype=np.int64),
            capacity[active_mentors],
            np.full(bypass, supply, dtype=np.int64),
        ]
    )
    costs = np.concatenate(
        [
            -(edge_weight - big),
            np.zeros(len(active_rows) + len(active_mentors) + bypass, dtype=np.int64),
        ]
    )
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[source], supplies[sink] = supply, -supply
    flow.set_nodes_supplies(np.arange(sink + 1), supplies)
    status = flow.solve_max_flow_with_min_cost() if maximise_flow else flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"The min-cost flow did not solve (status {status}).")
    is_used[:] = flow.flows(arcs[: len(edge_row)]) > 0
    return is_used


def _duals(
    row_count: int,
    mentor_count: int,
    capacity: np.ndarray,
    edge_row: np.ndarray,
    edge_mentor: np.ndarray,
    edge_weight: np.ndarray,
    is_used: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return dual prices (u per row, v per mentor) that certify the flow optimal.

    Complementary slackness for an optimal matching gives difference constraints on
    the mentor prices v (with a root r at price 0):
      matched i->a, other edge i->k:  v_a - v_k <= w_ia - w_ik   (a stays i's best)
      matched i->a:                   v_a - v_r <= w_ia          (u_i >= 0)
      unmatched i, edge i->k:         v_r - v_k <= -w_ik         (v_k >= w_ik)
      every mentor j:                 v_r - v_j <= 0             (v_j >= 0)
      mentor with places left:        v_j - v_r <= 0             (v_j = 0)
    An arc tail->head of weight w encodes v_head - v_tail <= w; shortest distances from
    the root satisfy them all, and the optimality of the flow rules out negative cycles.
    """
    u = np.zeros(row_count, dtype=np.int64)
    v = np.zeros(mentor_count, dtype=np.int64)
    if len(edge_row) == 0:
        return u, v
    root = mentor_count
    assigned = np.full(row_count, -1, dtype=np.int64)
    assigned_weight = np.zeros(row_count, dtype=np.int64)
    assigned[edge_row[is_used]] = edge_mentor[is_used]
    assigned_weight[edge_row[is_used]] = edge_weight[is_used]
    load = np.bincount(edge_mentor[is_used], minlength=mentor_count)

    row_of_edge_assigned = assigned[edge_row]
    is_matched_row = row_of_edge_assigned >= 0
    is_alternative = is_matched_row & ~is_used
    mentors = np.arange(mentor_count, dtype=np.int64)
    has_places = load < capacity
    matched_rows = np.flatnonzero(assigned >= 0)
    unmatched_edges = ~is_matched_row
    tails = np.concatenate(
        [
            edge_mentor[is_alternative],
            np.full(len(matched_rows), root),
            edge_mentor[unmatched_edges],
            mentors,
            np.full(int(has_places.sum()), root),
        ]
    )
    heads = np.concatenate(
        [
            row_of_edge_assigned[is_alternative],
            assigned[matched_rows],
            np.full(int(unmatched_edges.sum()), root),
            np.full(mentor_count, root),
            mentors[has_places],
        ]
    )
    weights = np.concatenate(
        [
            assigned_weight[edge_row[is_alternative]] - edge_weight[is_alternative],
            assigned_weight[matched_rows],
            -edge_weight[unmatched_edges],
            np.zeros(mentor_count, dtype=np.int64),
            np.zeros(int(has_places.sum()), dtype=np.int64),
        ]
    )
    order = np.argsort(tails, kind="stable")
    arc_head = np.ascontiguousarray(heads[order], dtype=np.int64)
    arc_weight = np.ascontiguousarray(weights[order], dtype=np.int64)
    arc_pointer = np.zeros(mentor_count + 2, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=mentor_count + 1), out=arc_pointer[1:])
    distance = np.zeros(mentor_count + 1, dtype=np.int64)
    if not kernels.shortest_distances(
        mentor_count + 1, root, arc_pointer, arc_head, arc_weight, distance
    ):
        raise RuntimeError("The flow is not optimal: its residual graph has a negative cycle.")
    if distance[root] != 0:
        raise RuntimeError("The dual prices are inconsistent.")
    v = distance[:mentor_count].copy()
    u[matched_rows] = assigned_weight[matched_rows] - v[assigned[matched_rows]]
    return u, v


def _price(
    rows: np.ndarray,
    price_rows: np.ndarray,
    kth_weight: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    open_mentors: np.ndarray,
    big: int,
    drop_zero: bool,
    prepared: Prepared,
    use_parallel: bool,
    generated: Any = None,
    mentor_columns: tuple[np.ndarray, ...] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the pairs (graph row, mentor, weight) that violate the dual prices."""
    empty = np.zeros(0, dtype=np.int64)
    if len(price_rows) == 0 or len(open_mentors) == 0:
        return empty, empty, empty
    mentor_order = open_mentors[np.argsort(v[open_mentors], kind="stable")]
    # A pair left out weighs at most the k-th candidate, so it can only violate
    # mentors priced below (k-th weight - u_i): scan just those.
    bound = kth_weight[price_rows] - u[price_rows]
    scan_count = np.searchsorted(v[mentor_order], bound, side="left").astype(np.int64)
    # The kernels index mentees by cohort position; u is by graph row.
    u_by_mentee = np.zeros(int(rows.max()) + 1, dtype=np.int64)
    u_by_mentee[rows] = u
    found_mentor = np.full((len(price_rows), PRICING_LIMIT), -1, dtype=np.int64)
    found_weight = np.zeros((len(price_rows), PRICING_LIMIT), dtype=np.int64)
    found_count = np.zeros(len(price_rows), dtype=np.int64)
    arguments = (
        rows[price_rows],
        scan_count,
        u_by_mentee,
        v,
        mentor_order,
        PRICING_LIMIT,
        big,
        drop_zero,
        PRICING_SLACK,
    )
    found_strict = np.zeros(len(price_rows), dtype=np.int64)
    outputs = (found_mentor, found_weight, found_count, found_strict)
    if generated is not None:
        with kernels.PARALLEL_LOCK:
            generated.pricing(
                *arguments, *codegen.unpack(prepared.arguments), *mentor_columns, *outputs
            )
    elif use_parallel:
        with kernels.PARALLEL_LOCK:
            kernels.pricing_parallel(*arguments, prepared.arguments, *outputs)
    else:
        kernels.pricing_serial(*arguments, prepared.arguments, *outputs)
    if found_strict.sum() == 0:
        # Nothing violates: near misses do not matter, the prices prove optimality.
        return empty, empty, empty
    has = found_mentor >= 0
    new_row = np.repeat(price_rows, PRICING_LIMIT)[has.ravel()]
    return new_row, found_mentor[has], found_weight[has]

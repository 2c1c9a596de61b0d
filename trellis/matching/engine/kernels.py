# mypy: disable-error-code="no-untyped-def,call-arg"
"""Compiled scoring kernels (numba).

One function, `_evaluate`, scores a pair; every other kernel calls it, so the score the
solver optimises, the score a mentee sees in the directory and the explanation's figures
are the same numbers. Kernels exist twice: parallel (for solves, one caller at a time,
see `PARALLEL_LOCK`) and serial (safe from any web thread).
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit, prange

from trellis.matching.engine.cohort import VECTOR_SCALE
from trellis.matching.engine.spec import KernelKind

PARALLEL_LOCK = threading.Lock()
VECTOR_SQUARE = float(VECTOR_SCALE * VECTOR_SCALE)

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)
_S1, _S2, _S4, _S56 = np.uint64(1), np.uint64(2), np.uint64(4), np.uint64(56)

SAME_VALUE = int(KernelKind.SAME_VALUE)
DIFFERENT_VALUE = int(KernelKind.DIFFERENT_VALUE)
OVERLAP = int(KernelKind.OVERLAP)
COMPLEMENT = int(KernelKind.COMPLEMENT)
SENIORITY_GAP = int(KernelKind.SENIORITY_GAP)
TIME_ZONE = int(KernelKind.TIME_ZONE)
AVAILABILITY = int(KernelKind.AVAILABILITY)
NOT_SAME_LINE = int(KernelKind.NOT_SAME_LINE)
TEXT = int(KernelKind.TEXT)
CLOSENESS = int(KernelKind.CLOSENESS)
WISHES = int(KernelKind.WISHES)


@njit(inline="always", cache=True)
def _popcount(x):
    x = x - ((x >> _S1) & _M1)
    x = (x & _M2) + ((x >> _S2) & _M2)
    x = (x + (x >> _S4)) & _M4
    return (x * _H01) >> _S56


@njit(inline="always", cache=True)
def _csr_lookup(pointer, columns, values, row, column):
    """Return values[k] where columns[k] == column within row's slice, or -1."""
    low = pointer[row]
    high = pointer[row + 1]
    while low < high:
        middle = (low + high) // 2
        found = columns[middle]
        if found == column:
            return values[middle]
        if found < column:
            low = middle + 1
        else:
            high = middle
    return -1.0


@njit(cache=True)
def _score_block(
    i,
    columns,
    thresholds,
    crit,
    params,
    a_bits,
    a_sizes,
    a_codes,
    a_numbers,
    a_vectors,
    a_line,
    b_bits,
    b_sizes,
    b_codes,
    b_numbers,
    b_vectors,
    b_line,
    wish_pointer,
    wish_mentor,
    wish_value,
    avoid_pointer,
    avoid_mentor,
    avoid_value,
    weight_total,
    max_units,
    wish_weight,
    record,
    quantities,
    values,
    passed,
    out_score,
):
    """Score mentee i with each mentor in columns, into out_score (units).

    -1 marks a pair a hard rule forbids. With thresholds[t] >= 0, -2 marks a pair that
    cannot score above thresholds[t]: the criteria not yet evaluated could add at most
    their weights (params[c, 2] holds the preference weight from c onward), so they are
    skipped. The loop over mentors lives here, in one function, because a call per pair
    would cost more than the scoring itself.

    crit rows: kind, is_hard, weight, mentee offset, mentor offset, width, mentee size
    column, mentor size column. params rows: parameter, span, weight still to come.
    With `record`, every criterion is evaluated (no early exit) and its quantity, value
    and verdict stored in row t of quantities, values and passed.
    """
    has_avoid = avoid_pointer[i] < avoid_pointer[i + 1]
    criteria = crit.shape[0]
    # Wishes count only for mentees someone has a wish about; for the others their
    # weight would only lower every score alike.
    row_total = weight_total
    if wish_pointer[i] == wish_pointer[i + 1]:
        row_total -= wish_weight
    for t in range(columns.shape[0]):
        j = columns[t]
        threshold = thresholds[t]
        if has_avoid and _csr_lookup(avoid_pointer, avoid_mentor, avoid_value, i, j) >= 0.0:
            if not record:
                out_score[t] = -1
                continue
            feasible = False
        else:
            feasible = True
        pruned = False
        weighted = 0.0
        # floor(max_units * weighted / weight_total + 0.5) <= threshold exactly when
        # weighted < (threshold + 0.5) * weight_total / max_units; a margin keeps it safe.
        limit = -1.0
        if threshold >= 0 and row_total > 0:
            limit = (threshold + 0.5) * row_total / max_units - 1e-9
        for c in range(criteria):
            kind = crit[c, 0]
            is_hard = crit[c, 1] == 1
            if not is_hard and not record and weighted + params[c, 2] < limit:
                pruned = True
                break
            a_offset = crit[c, 3]
            b_offset = crit[c, 4]
            parameter = params[c, 0]
            quantity = 0.0
            value = 0.0
            ok = True
            # Hard rules need only their verdict, unless it is being recorded.
            needs_value = record or not is_hard
            if kind == SAME_VALUE:
                a = a_codes[i, a_offset]
                ok = a >= 0 and a == b_codes[j, b_offset]
                quantity = 1.0 if ok else 0.0
                value = quantity
            elif kind == DIFFERENT_VALUE:
                a = a_codes[i, a_offset]
                b = b_codes[j, b_offset]
                ok = a < 0 or b < 0 or a != b
                quantity = 1.0 if ok else 0.0
                value = quantity
            elif kind == OVERLAP:
                shared = np.uint64(0)
                for word in range(crit[c, 5]):
                    shared += _popcount(a_bits[i, a_offset + word] & b_bits[j, b_offset + word])
                smaller = min(a_sizes[i, crit[c, 6]], b_sizes[j, crit[c, 7]])
                quantity = float(shared)
                ok = quantity >= parameter
                if needs_value and smaller > 0:
                    value = quantity / smaller
            elif kind == COMPLEMENT:
                # The mentee's set is what they seek, the mentor's what they offer.
                shared = np.uint64(0)
                for word in range(crit[c, 5]):
                    shared += _popcount(a_bits[i, a_offset + word] & b_bits[j, b_offset + word])
                sought = a_sizes[i, crit[c, 6]]
                quantity = float(shared)
                ok = quantity >= parameter
                if needs_value and sought > 0:
                    value = quantity / sought
            elif kind == SENIORITY_GAP:
                a = a_numbers[i, a_offset]
                b = b_numbers[j, b_offset]
                if np.isnan(a) or np.isnan(b):
                    ok = False
                    quantity = np.nan
                else:
                    gap = b - a
                    quantity = gap
                    ok = gap >= parameter
                    if ok:
                        value = 1.0
                    elif needs_value and parameter > 0:
                        value = max(0.0, 1.0 - (parameter - gap) / parameter)
            elif kind == TIME_ZONE:
                a = a_numbers[i, a_offset]
                b = b_numbers[j, b_offset]
                if np.isnan(a) or np.isnan(b):
                    ok = False
                    quantity = np.nan
                else:
                    # Offsets lie within a day of each other: fold onto the 24 h circle.
                    minutes = abs(a - b)
                    if minutes >= 1440.0:
                        minutes -= 1440.0
                    if minutes > 720.0:
                        minutes = 1440.0 - minutes
                    ok = minutes <= parameter * 60.0 + 1e-6
                    if needs_value:
                        quantity = minutes / 60.0
                        value = 1.0 - minutes / 720.0
            elif kind == AVAILABILITY:
                shared = np.uint64(0)
                for word in range(crit[c, 5]):
                    shared += _popcount(a_bits[i, a_offset + word] & b_bits[j, b_offset + word])
                hours = float(shared) * 0.5
                quantity = hours
                ok = hours >= parameter
                if not needs_value:
                    pass
                elif parameter > 0:
                    value = min(1.0, hours / parameter)
                else:
                    value = 1.0 if hours > 0 else 0.0
            elif kind == NOT_SAME_LINE:
                a = a_codes[i, a_offset]
                same_department = a >= 0 and a == b_codes[j, b_offset]
                in_line = False
                mentee_id = a_line[i, 0]
                mentor_id = b_line[j, 0]
                for level in range(1, 3):
                    if mentee_id >= 0 and b_line[j, level] == mentee_id:
                        in_line = True
                    if mentor_id >= 0 and a_line[i, level] == mentor_id:
                        in_line = True
                ok = not same_department and not in_line
                # 1: same department, 2: reporting line, 0: neither.
                quantity = 2.0 if in_line else (1.0 if same_department else 0.0)
                value = 1.0 if ok else 0.0
            elif kind == TEXT:
                product = np.int64(0)
                for d in range(crit[c, 5]):
                    product += np.int64(a_vectors[i, a_offset + d]) * np.int64(
                        b_vectors[j, b_offset + d]
                    )
                quantity = min(1.0, product / VECTOR_SQUARE)
                ok = quantity >= parameter
                value = max(0.0, quantity)
            elif kind == CLOSENESS:
                a = a_numbers[i, a_offset]
                b = b_numbers[j, b_offset]
                if np.isnan(a) or np.isnan(b):
                    ok = False
                    quantity = np.nan
                else:
                    distance = abs(a - b)
                    quantity = distance
                    ok = distance <= parameter + 1e-9
                    if needs_value:
                        value = max(0.0, 1.0 - distance / params[c, 1])
            elif kind == WISHES:
                wish = -1.0
                if wish_pointer[i] < wish_pointer[i + 1]:
                    wish = _csr_lookup(wish_pointer, wish_mentor, wish_value, i, j)
                value = wish if wish > 0.0 else 0.0
                quantity = value
            if record:
                quantities[t, c] = quantity
                values[t, c] = value
                passed[t, c] = ok
            if is_hard:
                if not ok:
                    feasible = False
                    if not record:
                        break
            else:
                weighted += crit[c, 2] * value
        if not feasible:
            out_score[t] = -1
        elif pruned:
            out_score[t] = -2
        elif row_total <= 0:
            out_score[t] = max_units
        else:
            out_score[t] = np.int64(np.floor(max_units * weighted / row_total + 0.5))


CHUNK = 256


def _top_candidates_impl(
    rows, open_mentors, k, big, drop_zero, arguments, out_mentor, out_weight, out_feasible
):
    """Keep, for each mentee in rows, the k mentors of highest effective weight.

    `arguments` is `Prepared.arguments` (criteria and both sides' features).
    """
    m = open_mentors.shape[0]
    criteria = arguments[0].shape[0]
    for r in prange(rows.shape[0]):
        i = rows[r]
        worst = 0
        filled = 0
        feasible_count = 0
        thresholds = np.empty(CHUNK, dtype=np.int64)
        scores = np.empty(CHUNK, dtype=np.int64)
        dummy_f = np.zeros((1, criteria))
        dummy_b = np.zeros((1, criteria), dtype=np.bool_)
        for start in range(0, m, CHUNK):
            stop = min(m, start + CHUNK)
            count = stop - start
            threshold = out_weight[r, worst] - big if filled == k else -1
            thresholds[:count] = threshold
            _score_block(
                i, open_mentors[start:stop], thresholds[:count], *arguments,
                False, dummy_f, dummy_f, dummy_b, scores[:count],
            )  # fmt: skip
            for t in range(count):
                score = scores[t]
                if score == -2:
                    feasible_count += 1
                    continue
                if score < 0 or (drop_zero and score == 0):
                    continue
                feasible_count += 1
                weight = score + big
                if filled < k:
                    out_mentor[r, filled] = open_mentors[start + t]
                    out_weight[r, filled] = weight
                    filled += 1
                    if filled == k:
                        worst = 0
                        for s in range(1, k):
                            if out_weight[r, s] < out_weight[r, worst]:
                                worst = s
                elif weight > out_weight[r, worst]:
                    out_mentor[r, worst] = open_mentors[start + t]
                    out_weight[r, worst] = weight
                    worst = 0
                    for s in range(1, k):
                        if out_weight[r, s] < out_weight[r, worst]:
                            worst = s
        out_feasible[r] = feasible_count


def _pricing_impl(
    rows,
    scan_count,
    u,
    v,
    mentor_order,
    limit,
    big,
    drop_zero,
    slack,
    arguments,
    out_mentor,
    out_weight,
    out_count,
    out_strict,
):
    """Find pairs whose weight beats the two sides' dual prices (w > u_i + v_j).

    mentor_order lists the open mentors by rising price; only the first scan_count[r]
    can be violated (the caller's bound), and the `limit` most violated are kept. Pairs
    within `slack` of violating are kept too (they would likely violate next round);
    out_strict counts the real violations.
    """
    criteria = arguments[0].shape[0]
    for r in prange(rows.shape[0]):
        i = rows[r]
        count = 0
        worst = 0
        strict = 0
        thresholds = np.empty(CHUNK, dtype=np.int64)
        scores = np.empty(CHUNK, dtype=np.int64)
        dummy_f = np.zeros((1, criteria))
        dummy_b = np.zeros((1, criteria), dtype=np.bool_)
        for start in range(0, scan_count[r], CHUNK):
            stop = min(scan_count[r], start + CHUNK)
            size = stop - start
            floor = -1
            if count == limit:
                floor = out_weight[r, worst] - v[out_mentor[r, worst]]
            for t in range(size):
                j = mentor_order[start + t]
                # Only a score above u_i + v_j - big violates (and beats the worst kept).
                threshold = u[i] + v[j] - big - slack
                if count == limit:
                    threshold = max(threshold, floor + v[j] - big)
                thresholds[t] = max(threshold, -1)
            _score_block(
                i, mentor_order[start:stop], thresholds[:size], *arguments,
                False, dummy_f, dummy_f, dummy_b, scores[:size],
            )  # fmt: skip
            for t in range(size):
                score = scores[t]
                if score < 0 or (drop_zero and score == 0):
                    continue
                j = mentor_order[start + t]
                weight = score + big
                violation = weight - u[i] - v[j]
                if violation <= -slack:
                    continue
                if violation > 0:
                    strict += 1
                if count < limit:
                    out_mentor[r, count] = j
                    out_weight[r, count] = weight
                    count += 1
                    if count == limit:
                        worst = 0
                        for s in range(1, limit):
                            if (
                                out_weight[r, s] - v[out_mentor[r, s]]
                                < out_weight[r, worst] - v[out_mentor[r, worst]]
                            ):
                                worst = s
                elif violation > out_weight[r, worst] - u[i] - v[out_mentor[r, worst]]:
                    out_mentor[r, worst] = j
                    out_weight[r, worst] = weight
                    worst = 0
                    for s in range(1, limit):
                        if (
                            out_weight[r, s] - v[out_mentor[r, s]]
                            < out_weight[r, worst] - v[out_mentor[r, worst]]
                        ):
                            worst = s
        out_count[r] = count
        out_strict[r] = strict


def _score_pairs_impl(
    mentee_index, mentor_index, record, arguments, out_score, out_quantity, out_value, out_passed
):
    thresholds = np.full(1, -1, dtype=np.int64)
    for p in range(mentee_index.shape[0]):
        _score_block(
            mentee_index[p], mentor_index[p : p + 1], thresholds, *arguments, record,
            out_quantity[p : p + 1], out_value[p : p + 1], out_passed[p : p + 1],
            out_score[p : p + 1],
        )  # fmt: skip


def _score_rows_impl(rows, columns, arguments, out_score):
    """Fill out_score[r, t] for mentee rows[r] and mentor columns[t] (dense)."""
    criteria = arguments[0].shape[0]
    for r in prange(rows.shape[0]):
        thresholds = np.full(columns.shape[0], -1, dtype=np.int64)
        dummy_f = np.zeros((1, criteria))
        dummy_b = np.zeros((1, criteria), dtype=np.bool_)
        _score_block(
            rows[r], columns, thresholds, *arguments, False, dummy_f, dummy_f, dummy_b,
            out_score[r],
        )  # fmt: skip


def _hard_rule_counts_impl(
    rows, capacity, arguments, out_passing, out_feasible, out_feasible_with_places, out_avoided
):
    """Count, per mentee, the mentors passing each criterion, and those passing all."""
    criteria = arguments[0].shape[0]
    m = capacity.shape[0]
    avoid_pointer, avoid_mentor, avoid_value = arguments[17], arguments[18], arguments[19]
    for r in prange(rows.shape[0]):
        i = rows[r]
        thresholds = np.full(CHUNK, -1, dtype=np.int64)
        scores = np.empty(CHUNK, dtype=np.int64)
        columns = np.empty(CHUNK, dtype=np.int64)
        quantities = np.zeros((CHUNK, criteria))
        values = np.zeros((CHUNK, criteria))
        passed = np.zeros((CHUNK, criteria), dtype=np.bool_)
        for start in range(0, m, CHUNK):
            stop = min(m, start + CHUNK)
            size = stop - start
            for t in range(size):
                columns[t] = start + t
            _score_block(
                i, columns[:size], thresholds[:size], *arguments, True, quantities, values,
                passed, scores[:size],
            )  # fmt: skip
            for t in range(size):
                j = start + t
                for c in range(criteria):
                    if passed[t, c]:
                        out_passing[r, c] += 1
                if avoid_pointer[i] < avoid_pointer[i + 1] and (
                    _csr_lookup(avoid_pointer, avoid_mentor, avoid_value, i, j) >= 0.0
                ):
                    out_avoided[r] += 1
                if scores[t] >= 0:
                    out_feasible[r] += 1
                    if capacity[j] > 0:
                        out_feasible_with_places[r] += 1


def _spfa_impl(node_count, root, arc_pointer, arc_head, arc_weight, out_distance):
    """Shortest distances from root (Bellman-Ford with a queue); False on a negative cycle."""
    infinity = np.iinfo(np.int64).max // 4
    for node in range(node_count):
        out_distance[node] = infinity
    out_distance[root] = 0
    queue = np.empty(node_count + 1, dtype=np.int64)
    in_queue = np.zeros(node_count, dtype=np.bool_)
    passes = np.zeros(node_count, dtype=np.int64)
    head = 0
    tail = 0
    size = node_count + 1
    queue[tail] = root
    tail = (tail + 1) % size
    in_queue[root] = True
    while head != tail:
        node = queue[head]
        head = (head + 1) % size
        in_queue[node] = False
        base = out_distance[node]
        for arc in range(arc_pointer[node], arc_pointer[node + 1]):
            target = arc_head[arc]
            candidate = base + arc_weight[arc]
            if candidate < out_distance[target]:
                out_distance[target] = candidate
                if not in_queue[target]:
                    passes[target] += 1
                    if passes[target] > node_count:
                        return False
                    queue[tail] = target
                    tail = (tail + 1) % size
                    in_queue[target] = True
    return True


top_candidates_parallel = njit(parallel=True, cache=True)(_top_candidates_impl)
top_candidates_serial = njit(cache=True)(_top_candidates_impl)
pricing_parallel = njit(parallel=True, cache=True)(_pricing_impl)
pricing_serial = njit(cache=True)(_pricing_impl)
score_pairs_serial = njit(cache=True)(_score_pairs_impl)
score_rows_serial = njit(cache=True)(_score_rows_impl)
score_rows_parallel = njit(parallel=True, cache=True)(_score_rows_impl)
hard_rule_counts_parallel = njit(parallel=True, cache=True)(_hard_rule_counts_impl)
hard_rule_counts_serial = njit(cache=True)(_hard_rule_counts_impl)
shortest_distances = njit(cache=True)(_spfa_impl)

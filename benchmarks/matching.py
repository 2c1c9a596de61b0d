"""Benchmark Trellis's matcher against SciPy and the `matching` library on one program.

Run: .venv/bin/python benchmarks/matching.py --mentees 5000 --mentors 1500 --seed 1 [--json]

The program comes from `matching_instances.generate` (seeded, realistic). Each solver runs
in its own spawned process, so its time and peak memory are its own:

- trellis: `trellis.matching.engine.solve` (scoring, min-cost flow, duals, pricing);
- scipy_lsa: every pair scored by the engine's kernels into a dense matrix, expanded to
  one column per mentor place (see solve_scipy_lsa for why no "unmatched" columns are
  needed) and solved by `scipy.optimize.linear_sum_assignment`. Exact, so it defines the
  optimum, but only run when the matrix fits (`--max-dense-cells`);
- hospital_resident: the `matching` library's resident-optimal stable matching, mentees
  ranking the mentors they may be matched with by score, mentors ranking mentees by score.
  Pure Python; skipped above `--max-hospital-mentees`.

Times include scoring for every solver (each starts from the same cohort). Peak memory is
the most resident memory the process held while solving minus what it held just before
(the instance, the interpreter, compiled kernels): the kernel's high-water mark is reset
first (`/proc/self/clear_refs`), so loading the instance does not hide the solver's peak.

A checker validates every solution: each mentee at most once, each mentor within their
places, every pair passing every hard rule (checked from the cohort's arrays, apart from
the engine), and the objective (`effective weight`: with most_matched each pair is worth
the engine's big bonus plus its score, with best_score just its score) against the SciPy
optimum to 1e-6 relative where SciPy ran. `valid` means all of that holds; for a
heuristic (hospital_resident) it means feasible, and `optimal_gap` says how far it is.
"""

from __future__ import annotations

import argparse
import functools
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import resource
import sys
import tempfile
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
# This file shares its name with the `matching` library it compares against: keep its
# folder off the import path so that `import matching` finds the library.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from benchmarks.matching_instances import Instance, generate  # noqa: E402
from trellis.matching.engine import (  # noqa: E402
    UNITS_PER_POINT,
    Cohort,
    Criterion,
    Kind,
    Objective,
    big_weight,
    score_matrix,
    score_pairs,
    solve,
)
from trellis.matching.engine.cohort import VECTOR_SCALE  # noqa: E402

SOLVERS = ("trellis", "scipy_lsa", "hospital_resident")
RELATIVE_TOLERANCE = 1e-6
# Solvers that claim the exact optimum: their objective must equal the reference.
EXACT_SOLVERS = {"trellis", "scipy_lsa"}


def engine_fingerprint() -> str:
    """Hash the engine's source, to notice it changing between two processes of one run."""
    digest = hashlib.sha256()
    for path in sorted((REPOSITORY / "trellis" / "matching" / "engine").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# --- Solvers (run inside the child process) --------------------------------------------


@dataclass
class Pairs:
    mentee_index: np.ndarray
    mentor_index: np.ndarray
    details: dict[str, Any] = field(default_factory=dict)


def solve_trellis(cohort: Cohort, criteria: list[Criterion], objective: Objective) -> Pairs:
    solution = solve(cohort, criteria, objective=objective)
    return Pairs(
        solution.mentee_index,
        solution.mentor_index,
        {
            "score_units": solution.score_units,
            "total_units": solution.total_units,
            "matched": solution.matched,
            "is_optimal": solution.is_optimal,
            "dual_bound": solution.dual_bound,
            "primal_weight": solution.primal_weight,
            "rounds": solution.rounds,
            "edge_count": solution.edge_count,
            "timings": solution.timings,
            # Dual prices, when the engine hands them out (see verify_certificate).
            "mentee_price": getattr(solution, "mentee_price", None),
            "mentor_price": getattr(solution, "mentor_price", None),
        },
    )


def pair_weights(scores: np.ndarray, big: int, objective: Objective) -> np.ndarray:
    """Effective weights of scored pairs; 0 where the pair may not (or need not) be used."""
    usable = scores > 0 if objective == Objective.BEST_SCORE else scores >= 0
    return np.where(usable, scores + big, 0)


def objective_big(cohort: Cohort, objective: Objective) -> int:
    capacity = cohort.capacity
    return big_weight(
        mentee_count=cohort.mentee_count,
        places=int(capacity[capacity > 0].sum()),
        objective=objective,
    )


def dense_cells(cohort: Cohort, *, unmatched_columns: bool = False) -> int:
    """Cells of the capacity-expanded matrix (see solve_scipy_lsa)."""
    n, places = cohort.mentee_count, int(cohort.capacity.clip(min=0).sum())
    return n * (places + n) if unmatched_columns else n * places


def solve_scipy_lsa(
    cohort: Cohort,
    criteria: list[Criterion],
    objective: Objective,
    *,
    unmatched_columns: bool = False,
) -> Pairs:
    """Solve exactly with SciPy on the capacity-expanded matrix (a column per place).

    Pairs that may not be used weigh 0, the same as leaving the mentee (or the place)
    unmatched, and are dropped from the answer. Because every weight is >= 0, the
    rectangular problem (each row of the smaller side assigned once) has the b-matching's
    optimum without any "unmatched" columns: unused places simply take a 0-weight mentee.
    With `unmatched_columns`, one such column per mentee is added anyway (the textbook
    form; same optimum, but 13 times slower at 10k x 3k).
    """
    from scipy.optimize import linear_sum_assignment

    started = time.perf_counter()
    scores = score_matrix(cohort, criteria)
    scored = time.perf_counter()
    weights = pair_weights(scores, objective_big(cohort, objective), objective)
    del scores
    n = cohort.mentee_count
    place_mentor = np.repeat(np.arange(cohort.mentor_count), cohort.capacity.clip(min=0))
    places = len(place_mentor)
    block = 1024
    if unmatched_columns or n <= places:
        # Rows are mentees: cost[i, p] = -w(i, mentor of place p), then the extra columns.
        extra = n if unmatched_columns else 0
        cost = np.zeros((n, places + extra), dtype=np.float64)
        for start in range(0, n, block):
            rows = slice(start, min(n, start + block))
            np.negative(weights[rows][:, place_mentor], out=cost[rows, :places])
    else:
        # Fewer places than mentees: rows are places (SciPy's cost grows with rows^2 x columns).
        cost = np.empty((places, n), dtype=np.float64)
        for start in range(0, places, block):
            rows = slice(start, min(places, start + block))
            np.negative(weights[:, place_mentor[rows]].T, out=cost[rows])
    built = time.perf_counter()
    rows, columns = linear_sum_assignment(cost)
    solved = time.perf_counter()
    if cost.shape[0] == n:
        is_place = columns < places
        mentees, mentors = rows[is_place], place_mentor[columns[is_place]]
    else:
        mentees, mentors = columns, place_mentor[rows]
    del cost
    is_used = weights[mentees, mentors] > 0
    return Pairs(
        mentees[is_used].astype(np.int64),
        mentors[is_used].astype(np.int64),
        {
            "timings": {
                "score": scored - started,
                "expand": built - scored,
                "assignment": solved - built,
            }
        },
    )


def solve_hospital_resident(
    cohort: Cohort, criteria: list[Criterion], objective: Objective
) -> Pairs:
    from matching.games import HospitalResident

    started = time.perf_counter()
    scores = score_matrix(cohort, criteria)
    usable = scores > 0 if objective == Objective.BEST_SCORE else scores >= 0
    usable &= cohort.capacity[None, :] > 0
    # Best first; ties by index so the preferences are deterministic.
    mentee_prefs: dict[int, list[int]] = {}
    for mentee in np.flatnonzero(usable.any(axis=1)):
        mentors = np.flatnonzero(usable[mentee])
        order = np.argsort(-scores[mentee, mentors], kind="stable")
        mentee_prefs[int(mentee)] = mentors[order].tolist()
    mentor_prefs: dict[int, list[int]] = {}
    capacities: dict[int, int] = {}
    for mentor in np.flatnonzero(usable.any(axis=0)):
        mentees = np.flatnonzero(usable[:, mentor])
        order = np.argsort(-scores[mentees, mentor], kind="stable")
        mentor_prefs[int(mentor)] = mentees[order].tolist()
        capacities[int(mentor)] = int(cohort.capacity[mentor])
    del scores, usable
    prepared = time.perf_counter()
    matching = _deep_stack(
        lambda: _hospital_resident_game(HospitalResident, mentee_prefs, mentor_prefs, capacities)
    )
    solved = time.perf_counter()
    mentee_index, mentor_index = [], []
    for mentor, mentees in matching.items():
        for mentee in mentees:
            mentee_index.append(mentee.name)
            mentor_index.append(mentor.name)
    return Pairs(
        np.asarray(mentee_index, dtype=np.int64),
        np.asarray(mentor_index, dtype=np.int64),
        {"timings": {"score_and_rank": prepared - started, "game": solved - prepared}},
    )


def _hospital_resident_game(
    game_class: Any,
    mentee_prefs: dict[int, list[int]],
    mentor_prefs: dict[int, list[int]],
    capacities: dict[int, int],
) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = game_class.create_from_dictionaries(mentee_prefs, mentor_prefs, capacities)
        return game.solve(optimal="resident")


def _deep_stack(function: Any) -> Any:
    """Run function in a thread with a deep stack.

    The library deep-copies its players, which link to each other through their
    preferences; from a few thousand mentees the copy recurses past Python's default
    limit, so give it room rather than report a crash.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:
            outcome["error"] = error

    previous_limit = sys.getrecursionlimit()
    previous_size = threading.stack_size(1 << 30)
    sys.setrecursionlimit(1_000_000)
    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(previous_size)
        sys.setrecursionlimit(previous_limit)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


SOLVE = {
    "trellis": solve_trellis,
    "scipy_lsa": solve_scipy_lsa,
    "hospital_resident": solve_hospital_resident,
}


# --- Measuring a solver in its own process ----------------------------------------------


def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the kernel's resident high-water mark (Linux); False where that is refused."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _max_rss_kib() -> int:
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value // 1024 if sys.platform == "darwin" else value


def _child(
    name: str, instance_path: str, objective: str, unmatched_columns: bool, connection: Any
) -> None:
    solver = SOLVE[name]
    if name == "scipy_lsa":
        solver = functools.partial(solve_scipy_lsa, unmatched_columns=unmatched_columns)
    try:
        fingerprint = engine_fingerprint()
        with open(instance_path, "rb") as file:
            cohort, criteria = pickle.load(file)  # noqa: S301 (written by the parent)
        warm = generate(40, 12, seed=0)
        # Load (or compile) the kernels, serial and parallel, outside the measurement.
        if name == "trellis":
            for parallel in (False, True):
                solve(warm.cohort, warm.criteria, objective=Objective(objective), parallel=parallel)
        else:
            score_matrix(warm.cohort, warm.criteria, parallel=False)
            score_matrix(warm.cohort, warm.criteria, parallel=True)
        solver(warm.cohort, warm.criteria, Objective(objective))
        gc.collect()
        is_reset = _reset_peak()
        before_kib = _status_kib("VmRSS") if is_reset else _max_rss_kib()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        pairs = solver(cohort, criteria, Objective(objective))
        seconds = time.perf_counter() - started
        used = resource.getrusage(resource.RUSAGE_SELF)
        pairs.details["cpu_seconds"] = (used.ru_utime - usage.ru_utime) + (
            used.ru_stime - usage.ru_stime
        )
        peak_kib = _status_kib("VmHWM") if is_reset else _max_rss_kib()
        connection.send(
            {
                "seconds": seconds,
                "peak_mb": max(0, (peak_kib or 0) - (before_kib or 0)) / 1024,
                "process_peak_mb": (peak_kib or 0) / 1024,
                "mentee_index": pairs.mentee_index,
                "mentor_index": pairs.mentor_index,
                "details": pairs.details,
                "engine": fingerprint,
            }
        )
    except Exception as error:  # report it to the parent, which carries on with the others
        lines = traceback.format_exception_only(error)
        connection.send({"error": " ".join(line.strip() for line in lines)[:2000]})
    finally:
        connection.close()


def run_isolated(
    name: str,
    instance_path: str,
    objective: Objective,
    timeout: float,
    *,
    unmatched_columns: bool = False,
) -> dict:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(name, instance_path, str(objective), unmatched_columns, sender),
        daemon=True,
    )
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            return {"error": f"did not finish in {timeout:g} s"}
        return receiver.recv()
    except EOFError:
        return {"error": f"the process ended without an answer (exit code {process.exitcode})"}
    finally:
        receiver.close()
        process.join(5)
        if process.is_alive():
            process.terminate()
            process.join()


# --- Checking a solution -----------------------------------------------------------------


@dataclass
class Verdict:
    problems: list[str]
    total_units: int
    matched: int
    weight: int  # the objective, in effective-weight units

    @property
    def is_feasible(self) -> bool:
        return not self.problems


def _popcount_and(a_bits: np.ndarray, b_bits: np.ndarray) -> np.ndarray:
    return np.bitwise_count(a_bits & b_bits).sum(axis=1, dtype=np.int64)


def hard_rule_failures(
    cohort: Cohort, criterion: Criterion, mentees: np.ndarray, mentors: np.ndarray
) -> np.ndarray:
    """Return which pairs break a hard rule, read from the cohort's arrays directly.

    Written apart from the engine's kernels (from the rules' definitions in spec.py), so
    that a kernel bug cannot certify its own output.
    """
    a, b = cohort.mentees, cohort.mentors
    a_feature = cohort.feature(criterion.mentee_feature)
    b_feature = cohort.feature(criterion.mentor_feature)
    parameter = criterion.effective_parameter
    kind = criterion.kind

    def bits(side: Any, feature: Any, rows: np.ndarray) -> np.ndarray:
        return side.bits[rows, feature.offset : feature.offset + feature.width]

    def number(side: Any, feature: Any, rows: np.ndarray) -> np.ndarray:
        return side.numbers[rows, feature.offset]

    def code(side: Any, feature: Any, rows: np.ndarray) -> np.ndarray:
        return side.codes[rows, feature.offset]

    if kind in (Kind.OVERLAP, Kind.COMPLEMENT):
        shared = _popcount_and(bits(a, a_feature, mentees), bits(b, b_feature, mentors))
        return shared < parameter
    if kind == Kind.AVAILABILITY:
        shared = _popcount_and(bits(a, a_feature, mentees), bits(b, b_feature, mentors))
        return shared * 0.5 < parameter
    if kind == Kind.TIME_ZONE:
        minutes = np.abs(number(a, a_feature, mentees) - number(b, b_feature, mentors)) % 1440
        hours = np.minimum(minutes, 1440 - minutes) / 60
        return ~(hours <= parameter + 1e-9)  # NaN (unknown) fails
    if kind == Kind.SENIORITY_GAP:
        gap = number(b, b_feature, mentors) - number(a, a_feature, mentees)
        return ~(gap >= parameter)
    if kind == Kind.CLOSENESS:
        distance = np.abs(number(a, a_feature, mentees) - number(b, b_feature, mentors))
        return ~(distance <= parameter + 1e-9)
    if kind == Kind.SAME_VALUE:
        mentee_code = code(a, a_feature, mentees)
        return (mentee_code < 0) | (mentee_code != code(b, b_feature, mentors))
    if kind == Kind.DIFFERENT_VALUE:
        mentee_code, mentor_code = code(a, a_feature, mentees), code(b, b_feature, mentors)
        return (mentee_code >= 0) & (mentor_code >= 0) & (mentee_code == mentor_code)
    if kind == Kind.NOT_SAME_LINE:
        mentee_code = code(a, a_feature, mentees)
        same_department = (mentee_code >= 0) & (mentee_code == code(b, b_feature, mentors))
        mentee_line, mentor_line = a.line[mentees], b.line[mentors]
        mentor_manages = (mentor_line[:, :1] >= 0) & (mentee_line[:, 1:] == mentor_line[:, :1])
        mentee_manages = (mentee_line[:, :1] >= 0) & (mentor_line[:, 1:] == mentee_line[:, :1])
        return same_department | mentor_manages.any(axis=1) | mentee_manages.any(axis=1)
    if kind == Kind.TEXT:
        a_vectors = a.vectors[mentees, a_feature.offset : a_feature.offset + a_feature.width]
        b_vectors = b.vectors[mentors, b_feature.offset : b_feature.offset + b_feature.width]
        product = np.einsum("ij,ij->i", a_vectors.astype(np.float64), b_vectors)
        if a_vectors.dtype.kind == "i":
            # Unit vectors stored as integers scaled by VECTOR_SCALE.
            product /= float(VECTOR_SCALE) ** 2
        return np.minimum(1.0, product) < parameter
    raise ValueError(f"No independent check for {kind} as a hard rule.")


def check(
    cohort: Cohort,
    criteria: list[Criterion],
    objective: Objective,
    mentee_index: np.ndarray,
    mentor_index: np.ndarray,
) -> Verdict:
    problems: list[str] = []
    mentees = np.asarray(mentee_index, dtype=np.int64)
    mentors = np.asarray(mentor_index, dtype=np.int64)
    n, m = cohort.mentee_count, cohort.mentor_count
    if mentees.shape != mentors.shape:
        return Verdict(["mentee and mentor arrays differ in length"], 0, 0, 0)
    if len(mentees) and (mentees.min() < 0 or mentees.max() >= n):
        return Verdict(["a mentee index is out of range"], 0, 0, 0)
    if len(mentors) and (mentors.min() < 0 or mentors.max() >= m):
        return Verdict(["a mentor index is out of range"], 0, 0, 0)
    if len(np.unique(mentees)) != len(mentees):
        problems.append("a mentee is matched twice")
    load = np.bincount(mentors, minlength=m)
    over = np.flatnonzero(load > cohort.capacity)
    if len(over):
        problems.append(f"{len(over)} mentors over capacity (e.g. mentor {over[0]})")
    for criterion in criteria:
        if criterion.is_hard:
            failures = hard_rule_failures(cohort, criterion, mentees, mentors)
            if failures.any():
                problems.append(f"{int(failures.sum())} pairs break {criterion.label!r}")
    for mentee, mentor in zip(mentees, mentors, strict=True):
        row = slice(cohort.avoid_pointer[mentee], cohort.avoid_pointer[mentee + 1])
        if mentor in cohort.avoid_mentor[row]:
            problems.append(f"pair ({mentee}, {mentor}) was marked avoid")
            break
    scores = score_pairs(cohort, criteria, mentees, mentors)
    if (scores < 0).any():
        problems.append(f"the engine forbids {int((scores < 0).sum())} of the pairs")
    scores = scores.clip(min=0)
    big = objective_big(cohort, objective)
    weight = int(pair_weights(scores, big, objective).sum())
    return Verdict(problems, int(scores.sum()), len(mentees), weight)


def verify_certificate(
    cohort: Cohort,
    criteria: list[Criterion],
    objective: Objective,
    mentee_price: np.ndarray,
    mentor_price: np.ndarray,
    claimed: int,
    *,
    block: int = 1024,
) -> list[str]:
    """Check a dual certificate over every pair; return what is wrong (nothing: optimal).

    Prices u (per mentee) and v (per mentor), both >= 0, with u_i + v_j >= w_ij for every
    pair that may be used, bound any matching's weight by sum(u) + sum(capacity * v) (weak
    duality). When that bound equals the matching's weight, no matching can do better.
    This re-scores all n x m pairs in blocks, apart from the solver's own pruned pricing.
    """
    u = np.asarray(mentee_price, dtype=np.float64)
    v = np.asarray(mentor_price, dtype=np.float64)
    capacity = cohort.capacity.clip(min=0)
    tolerance = 1e-9 * max(1.0, abs(float(claimed)))
    problems = []
    if u.shape != (cohort.mentee_count,) or v.shape != (cohort.mentor_count,):
        return ["the prices do not have one value per mentee and per mentor"]
    if (u < 0).any() or (v < 0).any():
        problems.append("a price is negative")
    bound = float(u.sum() + (capacity * v).sum())
    if abs(bound - claimed) > tolerance:
        problems.append(f"the prices bound the objective at {bound:,.0f}, not {claimed:,}")
    big = objective_big(cohort, objective)
    is_open = capacity > 0
    for start in range(0, cohort.mentee_count, block):
        rows = np.arange(start, min(cohort.mentee_count, start + block))
        weights = pair_weights(score_matrix(cohort.with_mentees(rows), criteria), big, objective)
        slack = u[rows, None] + v[None, :] - weights
        violated = (weights > 0) & is_open[None, :] & (slack < -tolerance)
        if violated.any():
            row, mentor = np.argwhere(violated)[0]
            problems.append(
                f"{int(violated.sum())} pairs weigh more than their prices in mentees "
                f"{start}-{rows[-1]} (e.g. mentee {rows[row]}, mentor {mentor})"
            )
            break
    return problems


def relative_gap(reference: int, weight: int) -> float:
    if reference == weight:
        return 0.0
    return (reference - weight) / abs(reference) if reference else float("inf")


# --- Putting it together ------------------------------------------------------------------


@dataclass
class Row:
    solver: str
    seconds: float
    peak_mb: float
    total_score: float
    matched: int
    valid: bool
    optimal_gap: float | None
    notes: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "solver": self.solver,
            "seconds": round(self.seconds, 3),
            "peak_mb": round(self.peak_mb, 1),
            "total_score": round(self.total_score, 2),
            "matched": self.matched,
            "valid": self.valid,
            "optimal_gap": None if self.optimal_gap is None else float(f"{self.optimal_gap:.3g}"),
        }


def skip_reason(name: str, cohort: Cohort, arguments: argparse.Namespace) -> str | None:
    cells = dense_cells(cohort, unmatched_columns=arguments.lsa_unmatched_columns)
    if name == "scipy_lsa" and cells > arguments.max_dense_cells:
        return (
            f"the dense matrix would have {cells:,} cells ({cells * 8 / 2**30:.1f} GiB), "
            f"over --max-dense-cells {arguments.max_dense_cells:,}"
        )
    if name == "hospital_resident" and cohort.mentee_count > arguments.max_hospital_mentees:
        return (
            f"{cohort.mentee_count:,} mentees is over --max-hospital-mentees "
            f"{arguments.max_hospital_mentees:,} (pure Python, would not finish in reasonable time)"
        )
    return None


def describe(outcome: dict[str, Any]) -> str:
    details = outcome["details"]
    parts = [
        f"{details['cpu_seconds']:.2f} s of CPU, process peak {outcome['process_peak_mb']:.0f} MB"
    ]
    if "is_optimal" in details:
        proof = "proven optimal" if details["is_optimal"] else "NOT proven"
        parts.append(
            f"{proof} (dual bound {details['dual_bound']:,} vs {details['primal_weight']:,}), "
            f"{details['rounds']} rounds, {details['edge_count']:,} edges"
        )
    timings = details.get("timings") or {}
    if timings:
        parts.append(" ".join(f"{phase} {seconds:.2f}s" for phase, seconds in timings.items()))
    return "; ".join(parts)


def benchmark(arguments: argparse.Namespace) -> tuple[list[Row], list[str]]:
    objective = Objective(arguments.objective)
    notes: list[str] = []
    started = time.perf_counter()
    instance: Instance = generate(arguments.mentees, arguments.mentors, seed=arguments.seed)
    cohort, criteria = instance.cohort, instance.criteria
    notes.append(
        f"instance: {cohort.mentee_count:,} mentees, {cohort.mentor_count:,} mentors, "
        f"{int(cohort.capacity.sum()):,} places, seed {arguments.seed}, "
        f"{instance.nbytes / 2**20:.1f} MiB of arrays, built in "
        f"{time.perf_counter() - started:.2f} s; objective {objective}"
    )
    notes.append(f"machine: {os.cpu_count()} CPUs, load average {_load_average()} at the start")
    names = [name.strip() for name in arguments.solvers.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SOLVERS))
    if unknown:
        raise SystemExit(f"Unknown solvers: {', '.join(unknown)} (choose from {SOLVERS}).")
    # SciPy first: its answer is the reference the others are checked against.
    names.sort(key=lambda name: name != "scipy_lsa")

    fingerprint = engine_fingerprint()
    outcomes: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="trellis-matching-") as directory:
        instance_path = str(Path(directory) / "instance.pickle")
        with open(instance_path, "wb") as file:
            pickle.dump((cohort, criteria), file, protocol=pickle.HIGHEST_PROTOCOL)
        for name in names:
            reason = skip_reason(name, cohort, arguments)
            if reason:
                notes.append(f"{name} skipped: {reason}")
                continue
            outcome = run_isolated(
                name,
                instance_path,
                objective,
                arguments.timeout,
                unmatched_columns=arguments.lsa_unmatched_columns,
            )
            if "error" in outcome:
                notes.append(f"{name} did not run to the end: {outcome['error']}")
                continue
            outcomes[name] = outcome

    versions = {fingerprint, engine_fingerprint()}
    versions.update(outcome["engine"] for outcome in outcomes.values())
    if len(versions) > 1:
        notes.append("the engine's source changed during the run: the figures mix versions")
    verdicts = {
        name: check(cohort, criteria, objective, outcome["mentee_index"], outcome["mentor_index"])
        for name, outcome in outcomes.items()
    }
    reference: int | None = None
    if "scipy_lsa" in verdicts and verdicts["scipy_lsa"].is_feasible:
        reference = verdicts["scipy_lsa"].weight
    certificate_problems: list[str] = []
    if arguments.verify_certificate and "trellis" in outcomes:
        details = outcomes["trellis"]["details"]
        if details["mentee_price"] is None or details["mentor_price"] is None:
            notes.append(
                "certificate not checked: the engine's Solution has no mentee_price and "
                "mentor_price"
            )
        else:
            started = time.perf_counter()
            certificate_problems = verify_certificate(
                cohort,
                criteria,
                objective,
                details["mentee_price"],
                details["mentor_price"],
                details["primal_weight"],
            )
            verdict = "holds" if not certificate_problems else "FAILS"
            notes.append(
                f"trellis's dual certificate {verdict} over all "
                f"{cohort.mentee_count * cohort.mentor_count:,} pairs "
                f"(checked in {time.perf_counter() - started:.1f} s)"
            )
            if reference is None and not certificate_problems and verdicts["trellis"].is_feasible:
                # Proven by prices checked here, apart from the solver: the exact optimum.
                reference = details["primal_weight"]
    rows = []
    for name, outcome in outcomes.items():
        verdict = verdicts[name]
        problems = list(verdict.problems)
        details = outcome["details"]
        if name == "trellis":
            problems.extend(f"dual certificate: {problem}" for problem in certificate_problems)
            if not np.array_equal(
                details["score_units"], score_pairs(cohort, criteria, *_pairs(outcome))
            ):
                problems.append("reported pair scores differ from the engine's score_pairs")
            if details["total_units"] != verdict.total_units:
                problems.append("reported total differs from the sum of the pairs' scores")
            if details["primal_weight"] != verdict.weight:
                problems.append(
                    f"reported objective {details['primal_weight']:,} differs from the "
                    f"checker's {verdict.weight:,}"
                )
            if details["is_optimal"] and details["dual_bound"] != details["primal_weight"]:
                problems.append("claims optimality but the dual bound differs from the objective")
        gap = None if reference is None else relative_gap(reference, verdict.weight)
        if name in EXACT_SOLVERS and gap is not None and abs(gap) > RELATIVE_TOLERANCE:
            problems.append(f"objective {verdict.weight:,} is not the optimum {reference:,}")
        for problem in problems:
            notes.append(f"{name} INVALID: {problem}")
        rows.append(
            Row(
                solver=name,
                seconds=outcome["seconds"],
                peak_mb=outcome["peak_mb"],
                total_score=verdict.total_units / UNITS_PER_POINT,
                matched=verdict.matched,
                valid=not problems,
                optimal_gap=gap,
                notes=describe(outcome),
            )
        )
    rows.sort(key=lambda row: SOLVERS.index(row.solver))
    return rows, notes


def _load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def _pairs(outcome: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    return outcome["mentee_index"], outcome["mentor_index"]


def print_table(rows: list[Row], notes: list[str]) -> None:
    headers = ["solver", "seconds", "peak MB", "total score", "matched", "valid", "gap"]
    cells = [headers] + [
        [
            row.solver,
            f"{row.seconds:.3f}",
            f"{row.peak_mb:.0f}",
            f"{row.total_score:,.2f}",
            f"{row.matched:,}",
            "yes" if row.valid else "NO",
            "n/a" if row.optimal_gap is None else f"{row.optimal_gap:.3g}",
        ]
        for row in rows
    ]
    widths = [max(len(line[column]) for line in cells) for column in range(len(headers))]
    for number, line in enumerate(cells):
        print(
            "  ".join(
                value.rjust(width) if column else value.ljust(width)
                for column, (value, width) in enumerate(zip(line, widths, strict=True))
            )
        )
        if number == 0:
            print("  ".join("-" * width for width in widths))
    print()
    for row in rows:
        if row.notes:
            print(f"{row.solver}: {row.notes}")
    for note in notes:
        print(note)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentees", type=int, required=True)
    parser.add_argument("--mentors", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print a JSON list, one per solver")
    parser.add_argument(
        "--objective", choices=[objective.value for objective in Objective], default="most_matched"
    )
    parser.add_argument(
        "--solvers", default=",".join(SOLVERS), help=f"comma-separated, from {', '.join(SOLVERS)}"
    )
    parser.add_argument("--max-dense-cells", type=int, default=400_000_000)
    parser.add_argument(
        "--lsa-unmatched-columns",
        action="store_true",
        help="give SciPy one 'unmatched' column per mentee (same optimum, slower)",
    )
    parser.add_argument(
        "--verify-certificate",
        action="store_true",
        help="check trellis's dual prices over all pairs (an exact optimum where SciPy cannot run)",
    )
    parser.add_argument("--max-hospital-mentees", type=int, default=5_000)
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a solver is given up"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    rows, notes = benchmark(arguments)
    if arguments.json:
        print(json.dumps([row.as_json() for row in rows]))
        for note in notes:
            print(note, file=sys.stderr)
    else:
        print_table(rows, notes)


if __name__ == "__main__":
    main()

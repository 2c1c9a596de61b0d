"""Explanations in words, and reports of who could not be matched and why.

The numbers come from the same compiled kernel the solver uses (recorded per
criterion), so an explanation never disagrees with the score it explains.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from trellis.core.text import join_names
from trellis.matching.engine import kernels
from trellis.matching.engine.cohort import Cohort, unpack_bits
from trellis.matching.engine.solver import Prepared, Solution, _score_pairs, prepare
from trellis.matching.engine.spec import UNITS_PER_POINT, Criterion, Kind

# Who reads the explanation: the wording of "you" changes with it.
MENTEE, MENTOR, MANAGER = "mentee", "mentor", "manager"
ItemLabel = Callable[[str, str], str]

# How shared items are said, by feature name; the default is "<label> in common: ...".
_SHARED_PHRASES = {
    "languages": "You both speak {items}",
    "interests": "You are both interested in {items}",
    "values": "You both value {items}",
    "communication_modes": "You can both meet by {items}",
}
_SHARED_PHRASES_MANAGER = {
    "languages": "Both speak {items}",
    "interests": "Both are interested in {items}",
    "values": "Both value {items}",
    "communication_modes": "Both can meet by {items}",
}


@dataclass
class Reason:
    criterion: Criterion
    text: str
    is_met: bool
    value: float  # 0-1
    points: float  # what it added to the score (0 for hard rules)


@dataclass
class Explanation:
    score_units: int  # -1 when a hard rule forbids the pair
    reasons: list[Reason] = field(default_factory=list)  # what speaks for the pair
    blocked_by: list[Reason] = field(default_factory=list)  # hard rules the pair fails
    is_avoided: bool = False

    @property
    def is_eligible(self) -> bool:
        return self.score_units >= 0

    @property
    def points(self) -> float | None:
        return self.score_units / UNITS_PER_POINT if self.score_units >= 0 else None

    @property
    def sentences(self) -> list[str]:
        return [reason.text for reason in self.reasons]

    @property
    def blocking_sentences(self) -> list[str]:
        sentences = [reason.text for reason in self.blocked_by]
        if self.is_avoided:
            sentences.insert(0, "The mentor asked not to be matched with this mentee")
        return sentences


def _hours(value: float) -> str:
    rounded = round(value * 2) / 2
    text = f"{rounded:g}"
    return f"{text} hour" if rounded == 1 else f"{text} hours"


class _Explainer:
    def __init__(
        self,
        cohort: Cohort,
        criteria: Sequence[Criterion],
        *,
        audience: str,
        item_label: ItemLabel | None,
        prepared: Prepared | None = None,
    ) -> None:
        self.cohort = cohort
        self.prepared = prepared or prepare(cohort, criteria)
        self.audience = audience
        self.item_label = item_label or (lambda feature, item: item)
        self.weight_total = float(sum(c.weight for c in self.prepared.criteria if not c.is_hard))
        self.wish_weight = float(self.prepared.arguments[22])

    def shared_items(self, criterion: Criterion, i: int, j: int) -> list[str]:
        mentee_feature = self.cohort.feature(criterion.mentee_feature)
        mentor_feature = self.cohort.feature(criterion.mentor_feature)
        size = len(mentee_feature.vocabulary)
        a = self.cohort.mentees.bits[
            i, mentee_feature.offset : mentee_feature.offset + mentee_feature.width
        ]
        b = self.cohort.mentors.bits[
            j, mentor_feature.offset : mentor_feature.offset + mentor_feature.width
        ]
        shared = unpack_bits(a & b, size)
        return [
            self.item_label(criterion.mentee_feature, mentee_feature.vocabulary[position])
            for position in np.flatnonzero(shared)
        ]

    def reason(
        self,
        criterion: Criterion,
        i: int,
        j: int,
        quantity: float,
        value: float,
        is_met: bool,
        total: float,
    ) -> Reason | None:
        """Return the sentence for one criterion, or None when it says nothing useful."""
        kind = criterion.kind
        parameter = criterion.effective_parameter
        manager = self.audience == MANAGER
        text = ""
        if kind == Kind.OVERLAP:
            items = self.shared_items(criterion, i, j)
            if items:
                phrases = _SHARED_PHRASES_MANAGER if manager else _SHARED_PHRASES
                template = phrases.get(
                    criterion.mentee_feature, criterion.label + " in common: {items}"
                )
                text = template.format(items=join_names(items[:5]))
            else:
                text = f"No {criterion.label.lower()} in common"
        elif kind == Kind.COMPLEMENT:
            items = self.shared_items(criterion, i, j)
            listed = join_names(items[:5])
            if not items:
                text = (
                    "Offers none of the skills sought"
                    if not manager
                    else ("The mentor offers none of the skills the mentee seeks")
                )
            elif self.audience == MENTEE:
                text = f"Offers {listed}, which you want to learn"
            elif self.audience == MENTOR:
                text = f"Wants to learn {listed}, which you offer"
            else:
                text = f"The mentor offers {listed}, which the mentee wants to learn"
        elif kind == Kind.SENIORITY_GAP:
            if np.isnan(quantity):
                text = "Seniority not given"
            else:
                gap = round(quantity)
                if gap > 0:
                    text = f"Mentor is {gap} level{'s' if gap != 1 else ''} more senior"
                elif gap == 0:
                    text = "Same seniority"
                else:
                    text = f"Mentor is {-gap} level{'s' if gap != -1 else ''} less senior"
                if criterion.is_hard and not is_met:
                    text += f" (at least {parameter:g} required)"
        elif kind == Kind.TIME_ZONE:
            if np.isnan(quantity):
                text = "Time zone not known"
            elif quantity < 0.25:
                text = "Same time zone"
            else:
                text = f"{_hours(quantity)} apart"
                if criterion.is_hard and not is_met:
                    text += f" (at most {_hours(parameter)} allowed)"
        elif kind == Kind.AVAILABILITY:
            if quantity <= 0:
                text = "No shared availability in the week"
            else:
                text = f"{_hours(quantity)} of shared availability a week"
        elif kind == Kind.NOT_SAME_LINE:
            if quantity == 2.0:
                text = "In the same reporting line"
            elif quantity == 1.0:
                text = "In the same department"
            else:
                text = "Outside each other's department and reporting line"
        elif kind == Kind.SAME_VALUE:
            text = (
                f"Same {criterion.label.lower()}"
                if is_met
                else f"Different {criterion.label.lower()}"
            )
        elif kind == Kind.DIFFERENT_VALUE:
            text = (
                f"Different {criterion.label.lower()}"
                if is_met
                else f"Same {criterion.label.lower()}"
            )
        elif kind == Kind.TEXT:
            if quantity >= 0.5:
                text = "Very similar goals and background"
            elif quantity >= 0.2:
                text = "Similar goals and background"
            elif quantity > 0.05:
                text = "Some overlap in goals and background"
            else:
                text = "Little overlap in goals and background"
        elif kind == Kind.CLOSENESS:
            if np.isnan(quantity):
                text = f"{criterion.label}: not answered"
            elif quantity == 0:
                text = f"Same answer to “{criterion.label}”"
            else:
                text = f"Answers to “{criterion.label}” {quantity:g} apart"
        elif kind == Kind.WISHES:
            if value <= 0:
                return None
            text = "Asked for by name"
        points = 0.0
        if not criterion.is_hard and total > 0:
            points = 100.0 * criterion.weight * value / total
        return Reason(criterion=criterion, text=text, is_met=is_met, value=value, points=points)

    def explain(self, mentee_index: np.ndarray, mentor_index: np.ndarray) -> list[Explanation]:
        scores, quantities, values, passed = _score_pairs(
            self.prepared, mentee_index, mentor_index, record=True
        )
        cohort = self.cohort
        explanations = []
        for p, (i, j) in enumerate(zip(mentee_index, mentor_index, strict=True)):
            i, j = int(i), int(j)
            explanation = Explanation(score_units=int(scores[p]))
            start, stop = cohort.avoid_pointer[i], cohort.avoid_pointer[i + 1]
            explanation.is_avoided = bool(
                stop > start and (cohort.avoid_mentor[start:stop] == j).any()
            )
            speaking: list[Reason] = []
            total = self.weight_total
            if cohort.wish_pointer[i] == cohort.wish_pointer[i + 1]:
                total -= self.wish_weight
            for c, criterion in enumerate(self.prepared.criteria):
                reason = self.reason(
                    criterion,
                    i,
                    j,
                    float(quantities[p, c]),
                    float(values[p, c]),
                    bool(passed[p, c]),
                    total,
                )
                if reason is None:
                    continue
                if criterion.is_hard and not reason.is_met:
                    explanation.blocked_by.append(reason)
                elif criterion.is_hard:
                    # A rule that is met says something when it shares something.
                    if criterion.kind in (
                        Kind.OVERLAP,
                        Kind.COMPLEMENT,
                        Kind.TIME_ZONE,
                        Kind.AVAILABILITY,
                    ):
                        speaking.append(reason)
                elif reason.value > 0:
                    speaking.append(reason)
            # Strongest first; hard-rule sentences (no points) after the weighted ones.
            speaking.sort(key=lambda reason: (-reason.points, reason.criterion.is_hard))
            # A rule and a preference on the same thing say the same sentence once.
            seen: set[str] = set()
            for reason in speaking:
                if reason.text not in seen:
                    seen.add(reason.text)
                    explanation.reasons.append(reason)
            explanations.append(explanation)
        return explanations


def explain_pairs(
    cohort: Cohort,
    criteria: Sequence[Criterion],
    mentee_index: Sequence[int] | np.ndarray,
    mentor_index: Sequence[int] | np.ndarray,
    *,
    audience: str = MANAGER,
    item_label: ItemLabel | None = None,
    prepared: Prepared | None = None,
) -> list[Explanation]:
    """Explain many pairs at once (mentee index, mentor index by position)."""
    explainer = _Explainer(
        cohort, criteria, audience=audience, item_label=item_label, prepared=prepared
    )
    return explainer.explain(
        np.asarray(mentee_index, dtype=np.int64), np.asarray(mentor_index, dtype=np.int64)
    )


def explain_pair(
    cohort: Cohort,
    criteria: Sequence[Criterion],
    mentee: int,
    mentor: int,
    *,
    audience: str = MANAGER,
    item_label: ItemLabel | None = None,
) -> Explanation:
    return explain_pairs(
        cohort, criteria, [mentee], [mentor], audience=audience, item_label=item_label
    )[0]


def rank_mentors(
    cohort: Cohort, criteria: Sequence[Criterion], mentee: int, *, include_ineligible: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Return (mentor indices, score units) for one mentee, best first."""
    prepared = prepare(cohort, criteria)
    columns = np.arange(cohort.mentor_count, dtype=np.int64)
    rows = np.full(len(columns), mentee, dtype=np.int64)
    scores, _, _, _ = _score_pairs(prepared, rows, columns, record=False)
    return _ranked(columns, scores, include_ineligible)


def rank_mentees(
    cohort: Cohort, criteria: Sequence[Criterion], mentor: int, *, include_ineligible: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Return (mentee indices, score units) for one mentor, best first."""
    prepared = prepare(cohort, criteria)
    rows = np.arange(cohort.mentee_count, dtype=np.int64)
    columns = np.full(len(rows), mentor, dtype=np.int64)
    scores, _, _, _ = _score_pairs(prepared, rows, columns, record=False)
    return _ranked(rows, scores, include_ineligible)


def _ranked(
    indices: np.ndarray, scores: np.ndarray, include_ineligible: bool
) -> tuple[np.ndarray, np.ndarray]:
    if not include_ineligible:
        keep = scores >= 0
        indices, scores = indices[keep], scores[keep]
    order = np.lexsort((indices, -scores))
    return indices[order], scores[order]


@dataclass
class UnmatchedReason:
    mentee: int  # index in the cohort
    eligible_mentors: int  # mentors passing every hard rule
    eligible_with_places: int
    # Hard rules no mentor of the cohort meets for this mentee (labels).
    rules_nobody_meets: list[str]
    text: str


def unmatched_report(
    cohort: Cohort,
    criteria: Sequence[Criterion],
    mentees: Sequence[int] | np.ndarray,
    *,
    solution: Solution | None = None,
) -> list[UnmatchedReason]:
    """Say, for each mentee left unmatched, what stood in the way.

    With the solution, a mentee whose eligible mentors all ended up full is told so
    ("all places were taken") rather than that others fitted better.
    """
    prepared = prepare(cohort, criteria)
    rows = np.asarray(mentees, dtype=np.int64)
    count = len(prepared.criteria)
    passing = np.zeros((len(rows), count), dtype=np.int64)
    feasible = np.zeros(len(rows), dtype=np.int64)
    with_places = np.zeros(len(rows), dtype=np.int64)
    avoided = np.zeros(len(rows), dtype=np.int64)
    if len(rows) and cohort.mentor_count:
        arguments = (
            rows, cohort.capacity.astype(np.int64), prepared.arguments,
            passing, feasible, with_places, avoided,
        )  # fmt: skip
        if len(rows) * cohort.mentor_count >= 2_000_000:
            with kernels.PARALLEL_LOCK:
                kernels.hard_rule_counts_parallel(*arguments)
        else:
            kernels.hard_rule_counts_serial(*arguments)
    hard = [c for c, criterion in enumerate(prepared.criteria) if criterion.is_hard]
    places_left = cohort.capacity.astype(np.int64).copy()
    if solution is not None:
        places_left -= np.bincount(solution.mentor_index, minlength=cohort.mentor_count)
    free_mentors = np.flatnonzero(places_left > 0)
    reports = []
    mentor_count = cohort.mentor_count
    for r, mentee in enumerate(rows):
        nobody = [prepared.criteria[c].label for c in hard if passing[r, c] == 0]
        if mentor_count == 0:
            text = "There are no mentors to match with."
        elif feasible[r] == 0:
            if nobody:
                text = f"No mentor meets the rule “{join_names(nobody)}”."
                if len(nobody) > 1:
                    text = f"No mentor meets the rules “{join_names(nobody)}”."
            elif avoided[r] == mentor_count:
                text = "Every mentor asked not to be matched with this mentee."
            else:
                ranked = sorted(hard, key=lambda c: passing[r, c])
                tightest = [prepared.criteria[c].label for c in ranked[:2]]
                text = (
                    "Some mentors meet each rule, but none meets all of them; the tightest are "
                    f"“{join_names(tightest)}”."
                )
        elif with_places[r] == 0:
            text = f"All {feasible[r]} eligible mentors were already full."
        elif solution is not None and not _has_free_eligible(prepared, int(mentee), free_mentors):
            mentors = "mentor" if feasible[r] == 1 else "mentors"
            text = (
                f"All places of the {feasible[r]} eligible {mentors} were taken; "
                "there were more mentees than places."
            )
        else:
            text = (
                f"{feasible[r]} mentors were eligible, but their places went to pairs that "
                "fit better overall."
            )
        reports.append(
            UnmatchedReason(
                mentee=int(mentee),
                eligible_mentors=int(feasible[r]),
                eligible_with_places=int(with_places[r]),
                rules_nobody_meets=nobody,
                text=text,
            )
        )
    return reports


def _has_free_eligible(prepared: Prepared, mentee: int, free_mentors: np.ndarray) -> bool:
    if len(free_mentors) == 0:
        return False
    rows = np.full(len(free_mentors), mentee, dtype=np.int64)
    scores, _, _, _ = _score_pairs(prepared, rows, free_mentors, record=False)
    return bool((scores >= 0).any())

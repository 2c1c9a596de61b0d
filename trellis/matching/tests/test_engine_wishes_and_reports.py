"""Wishes weigh only where someone has a wish; unmatched mentees are told why."""

from __future__ import annotations

import numpy as np

from trellis.matching.engine import (
    CohortBuilder,
    Criterion,
    Kind,
    explain_pair,
    score_pairs,
    solve,
    unmatched_report,
)

LANGUAGES = Criterion(
    kind=Kind.OVERLAP, label="Languages", mentee_feature="languages", mentor_feature="languages",
    weight=5,
)  # fmt: skip
WISHES = Criterion(kind=Kind.WISHES, label="Wishes", weight=5)


def _cohort(*, mentee_languages, mentor_languages, capacity, wishes=()):
    builder = CohortBuilder(
        mentee_ids=range(len(mentee_languages)),
        mentor_ids=range(100, 100 + len(mentor_languages)),
        capacity=capacity,
    )
    builder.add_set("languages", mentees=mentee_languages, mentors=mentor_languages)
    for mentee, mentor, value in wishes:
        builder.add_wishes(mentee_index=[mentee], mentor_index=[mentor], value=[value])
    return builder.build()


def test_wishes_count_only_for_mentees_someone_has_a_wish_about():
    cohort = _cohort(
        mentee_languages=[["es"], ["es"]],
        mentor_languages=[["es"], ["es"]],
        capacity=[1, 1],
        wishes=[(0, 1, 1.0)],
    )

    scores = score_pairs(cohort, [LANGUAGES, WISHES], [0, 0, 1, 1], [0, 1, 0, 1])

    # Mentee 0 asked for mentor 1: that pair scores full marks, the other half of them.
    # Mentee 1 has no wishes, so languages alone decide: both pairs score full marks.
    assert scores.tolist() == [5000, 10000, 10000, 10000]
    explanation = explain_pair(cohort, [LANGUAGES, WISHES], 0, 1)
    assert "Asked for by name" in explanation.sentences
    assert explain_pair(cohort, [LANGUAGES, WISHES], 1, 1).points == 100.0


def test_report_says_places_ran_out_when_eligible_mentors_are_full():
    cohort = _cohort(
        mentee_languages=[["es"], ["es"], ["fr"]],
        mentor_languages=[["es"]],
        capacity=[1],
    )
    criteria = [LANGUAGES.__class__(**{**LANGUAGES.__dict__, "is_hard": True})]

    solution = solve(cohort, criteria)
    reports = {
        r.mentee: r
        for r in unmatched_report(cohort, criteria, solution.unmatched, solution=solution)
    }

    assert solution.matched == 1
    assert sorted(reports) == [int(np.setdiff1d([0, 1], solution.mentee_index)[0]), 2]
    full = reports[int(np.setdiff1d([0, 1], solution.mentee_index)[0])]
    assert full.text == (
        "All places of the 1 eligible mentor were taken; there were more mentees than places."
    )
    assert reports[2].rules_nobody_meets == ["Languages"]
    assert reports[2].text == "No mentor meets the rule “Languages”."

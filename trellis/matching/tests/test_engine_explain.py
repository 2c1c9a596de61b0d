"""Explanations in words, rankings and the report on who could not be matched."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trellis.matching.engine import (
    MANAGER,
    MENTEE,
    MENTOR,
    CohortBuilder,
    Criterion,
    Kind,
    explain_pair,
    explain_pairs,
    rank_mentees,
    rank_mentors,
    score_matrix,
    unmatched_report,
)
from trellis.matching.tests.test_engine_solver import random_cohort

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "ja": "Japanese"}


def item_label(feature: str, item: str) -> str:
    return LANGUAGE_NAMES.get(item, item) if feature == "languages" else item.title()


def program():
    """Ana seeks Python and speaks Spanish; three mentors, one in her own department."""
    builder = CohortBuilder(mentee_ids=[1, 2], mentor_ids=[10, 11, 12], capacity=[1, 1, 0])
    builder.add_set(
        "languages",
        mentees=[["es", "en"], ["ja"]],
        mentors=[["es"], ["en"], ["es", "fr"]],
    )
    skills = ["go", "python", "sql"]
    builder.add_set(
        "skills_sought",
        mentees=[["python", "go"], ["sql"]],
        mentors=[[], [], []],
        vocabulary=skills,
    )
    builder.add_set(
        "skills_offered",
        mentees=[[], []],
        mentors=[["python"], ["sql"], ["python", "go"]],
        vocabulary=skills,
    )
    builder.add_number("utc_offset_minutes", mentees=[-300, 540], mentors=[-120, 60, -300])
    slots = np.zeros((5, 336), dtype=bool)
    slots[0, 20:32] = True  # Ana: Monday 10:00-16:00 UTC
    slots[2, 24:32] = True  # mentor 10: Monday 12:00-16:00 UTC
    builder.add_set(
        "availability",
        mentees=slots[:2],
        mentors=slots[2:],
        vocabulary=[str(slot) for slot in range(336)],
    )
    builder.add_code("department", mentees=["sales", "it"], mentors=["it", "legal", "sales"])
    criteria = [
        Criterion(Kind.OVERLAP, "Languages", "languages", "languages", is_hard=True),
        Criterion(Kind.NOT_SAME_LINE, "Department", "department", "department", is_hard=True),
        Criterion(Kind.COMPLEMENT, "Skills", "skills_sought", "skills_offered", weight=10),
        Criterion(
            Kind.TIME_ZONE, "Time zone", "utc_offset_minutes", "utc_offset_minutes", weight=4
        ),
        Criterion(Kind.AVAILABILITY, "Availability", "availability", "availability", weight=4),
    ]
    return builder.build(), criteria


def test_the_mentee_reads_why_a_mentor_fits_in_words():
    cohort, criteria = program()

    explanation = explain_pair(cohort, criteria, 0, 0, audience=MENTEE, item_label=item_label)

    assert explanation.is_eligible
    # Strongest first: skills 27.8 points, availability 22.2, time zone 16.7, then the rule.
    assert explanation.sentences == [
        "Offers Python, which you want to learn",
        "4 hours of shared availability a week",
        "3 hours apart",
        "You both speak Spanish",
    ]
    assert explanation.blocked_by == []


def test_the_mentor_and_the_manager_read_the_same_reasons_from_their_side():
    cohort, criteria = program()

    for_mentor = explain_pair(cohort, criteria, 0, 0, audience=MENTOR, item_label=item_label)
    for_manager = explain_pair(cohort, criteria, 0, 0, audience=MANAGER, item_label=item_label)

    assert "Wants to learn Python, which you offer" in for_mentor.sentences
    assert "The mentor offers Python, which the mentee wants to learn" in for_manager.sentences
    assert "Both speak Spanish" in for_manager.sentences


def test_explanation_points_add_up_to_the_score():
    cohort, criteria = program()

    explanation = explain_pair(cohort, criteria, 0, 0)

    assert explanation.points == pytest.approx(
        sum(reason.points for reason in explanation.reasons), abs=0.01
    )
    points = [reason.points for reason in explanation.reasons]
    assert points[:3] == sorted(points[:3], reverse=True)


def test_a_forbidden_pair_says_which_rules_block_it():
    cohort, criteria = program()

    # Ana and mentor 12 share a department.
    explanation = explain_pair(cohort, criteria, 0, 2)

    assert not explanation.is_eligible
    assert explanation.points is None
    assert explanation.blocking_sentences == ["In the same department"]


def test_an_avoided_pair_says_so_first():
    cohort, criteria = program()
    avoided = cohort.with_mentees([0])
    avoided.avoid_pointer = np.array([0, 1])
    avoided.avoid_mentor = np.array([0])

    explanation = explain_pair(avoided, criteria, 0, 0)

    assert explanation.is_avoided
    assert explanation.blocking_sentences[0] == (
        "The mentor asked not to be matched with this mentee"
    )


def test_rank_mentors_lists_eligible_mentors_best_first():
    cohort, criteria = program()

    mentors, scores = rank_mentors(cohort, criteria, 0)
    everyone, all_scores = rank_mentors(cohort, criteria, 0, include_ineligible=True)

    matrix = score_matrix(cohort, criteria)
    assert mentors.tolist() == [0, 1]
    assert scores.tolist() == matrix[0, [0, 1]].tolist()
    assert everyone.tolist() == [0, 1, 2]
    assert all_scores[-1] == -1


def test_rank_mentees_lists_eligible_mentees_best_first():
    cohort, criteria = program()

    mentees, scores = rank_mentees(cohort, criteria, 0)

    assert mentees.tolist() == [0]
    assert scores.tolist() == [score_matrix(cohort, criteria)[0, 0]]


def test_unmatched_report_names_the_rule_nobody_meets():
    cohort, criteria = program()

    # Mentee 2 speaks only Japanese.
    (report,) = unmatched_report(cohort, criteria, [1])

    assert report.eligible_mentors == 0
    assert report.rules_nobody_meets == ["Languages"]
    assert report.text == "No mentor meets the rule “Languages”."


def test_unmatched_report_says_when_eligible_mentors_were_full():
    cohort, criteria = program()
    full = cohort.with_capacity(np.array([0, 0, 0]))

    (report,) = unmatched_report(full, criteria, [0])

    assert report.eligible_mentors == 2
    assert report.eligible_with_places == 0
    assert report.text == "All 2 eligible mentors were already full."


def test_unmatched_report_without_mentors():
    builder = CohortBuilder(mentee_ids=[1], mentor_ids=[], capacity=[])
    builder.add_set("languages", mentees=[["en"]], mentors=[])
    criteria = [Criterion(Kind.OVERLAP, "Languages", "languages", "languages", is_hard=True)]

    (report,) = unmatched_report(builder.build(), criteria, [0])

    assert report.text == "There are no mentors to match with."


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_explanations_never_disagree_with_the_scores(data):
    cohort, criteria = data.draw(random_cohort())
    rows, columns = np.meshgrid(
        np.arange(cohort.mentee_count), np.arange(cohort.mentor_count), indexing="ij"
    )

    explanations = explain_pairs(cohort, criteria, rows.ravel(), columns.ravel())

    matrix = score_matrix(cohort, criteria)
    assert [explanation.score_units for explanation in explanations] == matrix.ravel().tolist()
    for explanation in explanations:
        assert explanation.is_eligible == (
            not explanation.blocked_by and not explanation.is_avoided
        )

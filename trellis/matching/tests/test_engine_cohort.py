"""CohortBuilder: how people's features become the arrays the kernels read."""

from __future__ import annotations

import numpy as np
import pytest

from trellis.matching.engine.cohort import (
    VECTOR_SCALE,
    CohortBuilder,
    pack_bits,
    unpack_bits,
    vocabulary_of,
)


def builder(n: int = 3, m: int = 2, capacity: list[int] | None = None) -> CohortBuilder:
    return CohortBuilder(
        mentee_ids=list(range(1, n + 1)),
        mentor_ids=list(range(100, 100 + m)),
        capacity=capacity if capacity is not None else [1] * m,
    )


def test_pack_bits_puts_item_k_at_bit_k_of_its_word():
    matrix = np.zeros((2, 130), dtype=bool)
    matrix[0, [0, 3, 63]] = True
    matrix[1, [64, 129]] = True

    words = pack_bits(matrix)

    assert words.dtype == np.uint64
    assert words.shape == (2, 3)
    assert words[0].tolist() == [(1 << 0) | (1 << 3) | (1 << 63), 0, 0]
    assert words[1].tolist() == [0, 1, 1 << 1]
    assert np.array_equal(unpack_bits(words, 130), matrix)


def test_pack_bits_of_no_items_keeps_one_empty_word():
    words = pack_bits(np.zeros((3, 0), dtype=bool))

    assert words.shape == (3, 1)
    assert not words.any()


def test_unpack_bits_of_one_row():
    words = pack_bits(np.array([[True, False, True]]))

    assert unpack_bits(words[0], 3).tolist() == [True, False, True]


def test_vocabulary_of_is_sorted_and_shared():
    assert vocabulary_of([["fr", "en"], []], [["de"], ["en"]]) == ["de", "en", "fr"]


def test_add_set_from_lists_shares_one_sorted_vocabulary_and_counts_items():
    cohort_builder = builder()
    cohort_builder.add_set(
        "languages",
        mentees=[["fr", "en"], [], ["en"]],
        mentors=[["de"], ["en", "en"]],
    )

    cohort = cohort_builder.build()

    feature = cohort.feature("languages")
    assert feature.storage == "set"
    assert feature.vocabulary == ("de", "en", "fr")
    assert (feature.offset, feature.width) == (0, 1)
    assert cohort.mentees.bits[:, 0].tolist() == [0b110, 0, 0b010]
    assert cohort.mentors.bits[:, 0].tolist() == [0b001, 0b010]
    assert cohort.mentees.sizes[:, feature.size_column].tolist() == [2, 0, 1]
    assert cohort.mentors.sizes[:, feature.size_column].tolist() == [1, 1]


def test_add_set_with_a_given_vocabulary_ignores_other_items():
    cohort_builder = builder(n=1, m=1)
    cohort_builder.add_set(
        "skills", mentees=[["python", "cobol"]], mentors=[["sql"]], vocabulary=["python", "sql"]
    )

    cohort = cohort_builder.build()

    assert cohort.mentees.bits[0, 0] == 0b01
    assert cohort.mentees.sizes[0, 0] == 1
    assert cohort.mentors.bits[0, 0] == 0b10


def test_set_features_are_laid_out_one_after_the_other():
    cohort_builder = builder(n=1, m=1)
    items = [f"item-{index:03d}" for index in range(70)]
    cohort_builder.add_set("wide", mentees=[items[65:]], mentors=[items[:1]], vocabulary=items)
    cohort_builder.add_set("narrow", mentees=[["a"]], mentors=[["b"]])

    cohort = cohort_builder.build()

    wide, narrow = cohort.feature("wide"), cohort.feature("narrow")
    assert (wide.offset, wide.width) == (0, 2)
    assert (narrow.offset, narrow.width) == (2, 1)
    assert (wide.size_column, narrow.size_column) == (0, 1)
    assert cohort.mentees.bits.shape == (1, 3)
    assert cohort.mentees.bits[0].tolist() == [0, 0b11111 << 1, 0b01]
    assert cohort.mentees.sizes[0].tolist() == [5, 1]


def test_add_set_from_boolean_matrices_needs_the_vocabulary():
    cohort_builder = builder(n=1, m=1)

    with pytest.raises(ValueError, match="vocabulary"):
        cohort_builder.add_set(
            "slots", mentees=np.ones((1, 3), bool), mentors=np.zeros((1, 3), bool)
        )


def test_add_set_from_boolean_matrices():
    cohort_builder = builder(n=2, m=1)
    cohort_builder.add_set(
        "slots",
        mentees=np.array([[True, False, True], [False, False, False]]),
        mentors=np.array([[False, True, True]]),
        vocabulary=["a", "b", "c"],
    )

    cohort = cohort_builder.build()

    assert cohort.mentees.bits[:, 0].tolist() == [0b101, 0]
    assert cohort.mentors.bits[:, 0].tolist() == [0b110]
    assert cohort.mentees.sizes[:, 0].tolist() == [2, 0]


def test_a_feature_of_the_wrong_shape_is_refused():
    cohort_builder = builder(n=2, m=1)

    with pytest.raises(ValueError, match="wrong shape"):
        cohort_builder.add_set(
            "slots",
            mentees=np.zeros((3, 2), bool),
            mentors=np.zeros((1, 2), bool),
            vocabulary=["a", "b"],
        )
    with pytest.raises(ValueError, match="wrong shape"):
        cohort_builder.add_number("level", mentees=[1.0], mentors=[2.0])
    with pytest.raises(ValueError, match="wrong shape"):
        cohort_builder.add_vectors("text", mentees=np.ones((2, 3)), mentors=np.ones((1, 4)))


def test_a_feature_name_is_used_once():
    cohort_builder = builder(n=1, m=1)
    cohort_builder.add_number("level", mentees=[1], mentors=[2])

    with pytest.raises(ValueError, match="twice"):
        cohort_builder.add_code("level", mentees=["a"], mentors=["b"])


def test_capacities_are_checked():
    with pytest.raises(ValueError, match="one capacity per mentor"):
        CohortBuilder(mentee_ids=[1], mentor_ids=[2, 3], capacity=[1])
    with pytest.raises(ValueError, match="negative"):
        CohortBuilder(mentee_ids=[1], mentor_ids=[2], capacity=[-1])


def test_add_code_encodes_both_sides_with_one_table_and_unknown_as_minus_one():
    cohort_builder = builder(n=3, m=2)
    cohort_builder.add_code("department", mentees=["sales", None, ""], mentors=["it", "sales"])

    cohort = cohort_builder.build()

    feature = cohort.feature("department")
    assert feature.storage == "code"
    assert cohort.mentees.codes[:, feature.offset].tolist() == [0, -1, -1]
    assert cohort.mentors.codes[:, feature.offset].tolist() == [1, 0]


def test_add_code_from_integer_arrays_keeps_codes_and_maps_negatives_to_unknown():
    cohort_builder = builder(n=3, m=1)
    cohort_builder.add_code(
        "team", mentees=np.array([7, -5, 0], dtype=np.int32), mentors=np.array([7])
    )

    cohort = cohort_builder.build()

    assert cohort.mentees.codes[:, 0].tolist() == [7, -1, 0]
    assert cohort.mentees.codes.dtype == np.int64
    assert cohort.mentors.codes[:, 0].tolist() == [7]


def test_add_number_keeps_unknown_as_nan_and_the_span():
    cohort_builder = builder(n=2, m=1)
    cohort_builder.add_number("answer", mentees=[3, None], mentors=[np.nan], span=4)
    cohort_builder.add_number("level", mentees=[1, 2], mentors=[5], span=0)

    cohort = cohort_builder.build()

    answer, level = cohort.feature("answer"), cohort.feature("level")
    assert (answer.offset, level.offset) == (0, 1)
    assert answer.span == 4.0
    assert level.span == 1.0  # a scale without a range falls back to 1
    assert cohort.mentees.numbers[0].tolist() == [3.0, 1.0]
    assert np.isnan(cohort.mentees.numbers[1, 0])
    assert np.isnan(cohort.mentors.numbers[0, 0])


def test_add_vectors_stores_unit_rows_as_int8_and_keeps_zero_rows_zero():
    cohort_builder = builder(n=2, m=1)
    cohort_builder.add_vectors(
        "text", mentees=np.array([[3.0, 4.0], [0.0, 0.0]]), mentors=np.array([[0.0, -2.0]])
    )

    cohort = cohort_builder.build()

    feature = cohort.feature("text")
    assert (feature.storage, feature.offset, feature.width) == ("vector", 0, 2)
    assert cohort.mentees.vectors.dtype == np.int8
    # Scaled by VECTOR_SCALE and rounded: 0.6 * 127 = 76.2, 0.8 * 127 = 101.6.
    assert VECTOR_SCALE == 127
    assert cohort.mentees.vectors.tolist() == [[76, 102], [0, 0]]
    assert cohort.mentors.vectors.tolist() == [[0, -127]]


def test_reporting_lines_default_to_unknown():
    cohort = builder(n=2, m=1).build()

    assert cohort.mentees.line.tolist() == [[-1, -1, -1], [-1, -1, -1]]
    assert cohort.mentors.line.shape == (1, 3)


def test_set_reporting_lines():
    cohort_builder = builder(n=1, m=1)
    cohort_builder.set_reporting_lines(mentees=[[1, 100, 7]], mentors=[[100, 7, -1]])

    cohort = cohort_builder.build()

    assert cohort.mentees.line.tolist() == [[1, 100, 7]]
    assert cohort.mentors.line.tolist() == [[100, 7, -1]]


def test_wishes_become_csr_sorted_by_mentor_keeping_the_strongest_and_clipped():
    cohort_builder = builder(n=3, m=3)
    cohort_builder.add_wishes(
        mentee_index=[2, 0, 0, 2], mentor_index=[1, 2, 0, 1], value=[0.3, 2, 0.5, 0.9]
    )
    cohort_builder.add_wishes(mentee_index=[0], mentor_index=[2], value=[0.4])

    cohort = cohort_builder.build()

    assert cohort.wish_pointer.tolist() == [0, 2, 2, 3]
    assert cohort.wish_mentor.tolist() == [0, 2, 1]
    assert cohort.wish_value.tolist() == [0.5, 1.0, 0.9]


def test_avoid_becomes_csr_without_duplicates():
    cohort_builder = builder(n=2, m=3)
    cohort_builder.add_avoid(mentee_index=[1, 1, 0], mentor_index=[2, 0, 1])
    cohort_builder.add_avoid(mentee_index=[1], mentor_index=[2])

    cohort = cohort_builder.build()

    assert cohort.avoid_pointer.tolist() == [0, 1, 3]
    assert cohort.avoid_mentor.tolist() == [1, 0, 2]


def test_no_wishes_gives_empty_csr():
    cohort = builder(n=2, m=1).build()

    assert cohort.wish_pointer.tolist() == [0, 0, 0]
    assert len(cohort.wish_mentor) == 0
    assert cohort.avoid_pointer.tolist() == [0, 0, 0]


def test_a_wish_naming_someone_outside_the_cohort_is_refused():
    cohort_builder = builder(n=2, m=2)
    cohort_builder.add_wishes(mentee_index=[0], mentor_index=[2], value=[1])

    with pytest.raises(ValueError, match="outside the cohort"):
        cohort_builder.build()


def test_an_avoid_naming_someone_outside_the_cohort_is_refused():
    cohort_builder = builder(n=2, m=2)
    cohort_builder.add_avoid(mentee_index=[2], mentor_index=[0])

    with pytest.raises(ValueError, match="outside the cohort"):
        cohort_builder.build()


def populated_cohort():
    cohort_builder = builder(n=4, m=2, capacity=[2, 1])
    cohort_builder.add_set("tags", mentees=[["a"], ["b"], ["a", "b"], []], mentors=[["a"], ["b"]])
    cohort_builder.add_number("level", mentees=[1, 2, 3, 4], mentors=[5, 6])
    cohort_builder.add_wishes(
        mentee_index=[0, 2, 2, 3], mentor_index=[1, 0, 1, 0], value=[0.1, 0.2, 0.3, 0.4]
    )
    cohort_builder.add_avoid(mentee_index=[1, 3], mentor_index=[0, 1])
    return cohort_builder.build()


def test_with_mentees_takes_rows_in_the_given_order_with_their_wishes_and_avoids():
    cohort = populated_cohort()

    part = cohort.with_mentees([3, 0, 2])

    assert part.mentee_count == 3
    assert part.mentees.ids.tolist() == [4, 1, 3]
    assert part.mentees.numbers[:, 0].tolist() == [4.0, 1.0, 3.0]
    assert part.mentees.sizes[:, 0].tolist() == [0, 1, 2]
    assert part.wish_pointer.tolist() == [0, 1, 2, 4]
    assert part.wish_mentor.tolist() == [0, 1, 0, 1]
    assert part.wish_value.tolist() == [0.4, 0.1, 0.2, 0.3]
    assert part.avoid_pointer.tolist() == [0, 1, 1, 1]
    assert part.avoid_mentor.tolist() == [1]
    # The mentors and their places are shared, not copied.
    assert part.mentors is cohort.mentors
    assert part.capacity.tolist() == [2, 1]


def test_with_mentees_of_mentees_without_wishes():
    cohort = populated_cohort()

    part = cohort.with_mentees([1])

    assert part.wish_pointer.tolist() == [0, 0]
    assert len(part.wish_mentor) == 0
    assert len(part.wish_value) == 0
    assert part.avoid_pointer.tolist() == [0, 1]
    assert part.avoid_mentor.tolist() == [0]


def test_with_capacity_changes_the_copy_only():
    cohort = populated_cohort()

    other = cohort.with_capacity(np.array([0, 3]))

    assert other.capacity.tolist() == [0, 3]
    assert cohort.capacity.tolist() == [2, 1]
    assert other.mentee_count == cohort.mentee_count


def test_an_unknown_feature_is_named_in_the_error():
    cohort = populated_cohort()

    with pytest.raises(KeyError, match="colour"):
        cohort.feature("colour")

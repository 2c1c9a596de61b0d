"""A cohort encoded as arrays: what the compiled kernels read.

Both sides (mentees and mentors) share one feature layout, so a criterion can compare
any feature of a mentee with any feature of a mentor of the same storage:

- set: items packed as bits (uint64 words), e.g. languages, skills, weekly availability;
- code: one integer category per person, -1 when unknown (department, organisation);
- number: one float per person, NaN when unknown (seniority, UTC offset, a 1-5 answer);
- vector: an L2-normalised float32 text vector.

Build one with `CohortBuilder`; indices into a side are positions, `ids` keeps whatever
identifies the person outside the engine (a user id, say).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

WORD_BITS = 64
VECTOR_SCALE = 127
# The time zone and availability criteria read these features by default.
UTC_OFFSET = "utc_offset_minutes"
AVAILABILITY = "availability"
SLOTS_PER_WEEK = 7 * 48  # half hours


@dataclass(frozen=True)
class Feature:
    name: str
    storage: str  # "set" | "code" | "number" | "vector"
    offset: int  # first word / column / dimension
    width: int  # words for sets, dimensions for vectors, 1 otherwise
    vocabulary: tuple[str, ...] = ()
    size_column: int = -1  # sets: column in Side.sizes
    span: float = 1.0  # numbers: the range of the scale (closeness)


@dataclass
class Side:
    ids: np.ndarray  # (n,) int64
    bits: np.ndarray  # (n, words) uint64
    sizes: np.ndarray  # (n, set features) int32: items in each set
    codes: np.ndarray  # (n, code features) int64
    numbers: np.ndarray  # (n, number features) float64
    # (n, dimensions) int8: unit vectors scaled by VECTOR_SCALE and rounded, so that
    # similarities are exact integer dot products, the same in every kernel.
    vectors: np.ndarray
    # (n, 3) int64: the person's own id, their line manager's, and that manager's manager's;
    # -1 when unknown. NOT_SAME_LINE reads it.
    line: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, indices: np.ndarray) -> Side:
        return Side(
            ids=self.ids[indices],
            bits=self.bits[indices],
            sizes=self.sizes[indices],
            codes=self.codes[indices],
            numbers=self.numbers[indices],
            vectors=self.vectors[indices],
            line=self.line[indices],
        )


@dataclass
class Cohort:
    mentees: Side
    mentors: Side
    capacity: np.ndarray  # (m,) int64 places each mentor has in this solve
    features: dict[str, Feature]
    # Wishes in CSR form by mentee: mentors sorted within each mentee's slice.
    wish_pointer: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    wish_mentor: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    wish_value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    avoid_pointer: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    avoid_mentor: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def mentee_count(self) -> int:
        return len(self.mentees)

    @property
    def mentor_count(self) -> int:
        return len(self.mentors)

    def feature(self, name: str) -> Feature:
        try:
            return self.features[name]
        except KeyError:
            raise KeyError(f"The cohort has no feature {name!r}.") from None

    def with_mentees(self, indices: Sequence[int] | np.ndarray) -> Cohort:
        """Return the cohort restricted to some mentees, in the given order."""
        rows = np.asarray(indices, dtype=np.int64)
        wish_pointer, wish_mentor, wish_value = _csr_take(
            self.wish_pointer, rows, self.wish_mentor, self.wish_value
        )
        avoid_pointer, avoid_mentor = _csr_take(self.avoid_pointer, rows, self.avoid_mentor)
        return Cohort(
            mentees=self.mentees.take(rows),
            mentors=self.mentors,
            capacity=self.capacity,
            features=self.features,
            wish_pointer=wish_pointer,
            wish_mentor=wish_mentor,
            wish_value=wish_value,
            avoid_pointer=avoid_pointer,
            avoid_mentor=avoid_mentor,
        )

    def with_capacity(self, capacity: np.ndarray) -> Cohort:
        clone = Cohort(**{name: getattr(self, name) for name in self.__dataclass_fields__})
        clone.capacity = np.asarray(capacity, dtype=np.int64)
        return clone


def _csr_take(
    pointer: np.ndarray, rows: np.ndarray, *columns: np.ndarray
) -> tuple[np.ndarray, ...]:
    starts, ends = pointer[rows], pointer[rows + 1]
    lengths = ends - starts
    new_pointer = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_pointer[1:])
    if lengths.sum() == 0:
        return (new_pointer, *(column[:0] for column in columns))
    positions = np.concatenate(
        [np.arange(start, end) for start, end in zip(starts, ends, strict=True)]
    )
    return (new_pointer, *(column[positions] for column in columns))


def vocabulary_of(*collections: Iterable[Iterable[str]]) -> list[str]:
    """Return the sorted items of several lists of sets (to share one vocabulary)."""
    items: set[str] = set()
    for collection in collections:
        for values in collection:
            items.update(values)
    return sorted(items)


def pack_bits(matrix: np.ndarray) -> np.ndarray:
    """Pack a boolean (n, items) matrix into (n, words) uint64, item k at bit k."""
    rows, items = matrix.shape
    words = max(1, -(-items // WORD_BITS))
    padded = np.zeros((rows, words * WORD_BITS), dtype=bool)
    padded[:, :items] = matrix
    packed = np.packbits(padded, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64, copy=False)


def unpack_bits(words: np.ndarray, items: int) -> np.ndarray:
    """Return the boolean items of packed words (one row or many)."""
    as_bytes = np.ascontiguousarray(words.astype("<u8")).view(np.uint8)
    return np.unpackbits(as_bytes, axis=-1, bitorder="little")[..., :items].astype(bool)


class CohortBuilder:
    """Collect features side by side, then `build()` the arrays."""

    def __init__(
        self,
        *,
        mentee_ids: Sequence[int] | np.ndarray,
        mentor_ids: Sequence[int] | np.ndarray,
        capacity: Sequence[int] | np.ndarray,
    ) -> None:
        self.mentee_ids = np.asarray(mentee_ids, dtype=np.int64)
        self.mentor_ids = np.asarray(mentor_ids, dtype=np.int64)
        self.capacity = np.asarray(capacity, dtype=np.int64)
        if self.capacity.shape != self.mentor_ids.shape:
            raise ValueError("Give one capacity per mentor.")
        if (self.capacity < 0).any():
            raise ValueError("Capacities cannot be negative.")
        self.n, self.m = len(self.mentee_ids), len(self.mentor_ids)
        self._bits: list[tuple[np.ndarray, np.ndarray]] = []
        self._sizes: list[tuple[np.ndarray, np.ndarray]] = []
        self._codes: list[tuple[np.ndarray, np.ndarray]] = []
        self._numbers: list[tuple[np.ndarray, np.ndarray]] = []
        self._vectors: list[tuple[np.ndarray, np.ndarray]] = []
        self._features: dict[str, Feature] = {}
        self._word_offset = 0
        self._dimension_offset = 0
        self._line = (np.full((self.n, 3), -1, np.int64), np.full((self.m, 3), -1, np.int64))
        self._wishes: list[tuple[int, int, float]] = []
        self._wish_arrays: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._avoid: list[tuple[np.ndarray, np.ndarray]] = []

    def _check_name(self, name: str) -> None:
        if name in self._features:
            raise ValueError(f"Feature {name!r} was added twice.")

    def add_set(
        self,
        name: str,
        *,
        mentees: Sequence[Iterable[str]] | np.ndarray,
        mentors: Sequence[Iterable[str]] | np.ndarray,
        vocabulary: Sequence[str] | None = None,
    ) -> None:
        """Add a set feature from lists of items or from boolean (n, items) matrices.

        Two features compared by one criterion (skills offered and sought) must be given
        the same vocabulary.
        """
        self._check_name(name)
        if isinstance(mentees, np.ndarray) or isinstance(mentors, np.ndarray):
            if vocabulary is None:
                raise ValueError("Boolean matrices need their vocabulary.")
            mentee_matrix = np.asarray(mentees, dtype=bool)
            mentor_matrix = np.asarray(mentors, dtype=bool)
        else:
            if vocabulary is None:
                vocabulary = vocabulary_of(mentees, mentors)
            mentee_matrix = _to_matrix(mentees, vocabulary)
            mentor_matrix = _to_matrix(mentors, vocabulary)
        vocabulary = tuple(vocabulary)
        if mentee_matrix.shape != (self.n, len(vocabulary)) or mentor_matrix.shape != (
            self.m,
            len(vocabulary),
        ):
            raise ValueError(f"Feature {name!r} has the wrong shape.")
        mentee_words, mentor_words = pack_bits(mentee_matrix), pack_bits(mentor_matrix)
        width = mentee_words.shape[1]
        self._features[name] = Feature(
            name=name,
            storage="set",
            offset=self._word_offset,
            width=width,
            vocabulary=vocabulary,
            size_column=len(self._sizes),
        )
        self._word_offset += width
        self._bits.append((mentee_words, mentor_words))
        self._sizes.append(
            (
                mentee_matrix.sum(axis=1).astype(np.int32),
                mentor_matrix.sum(axis=1).astype(np.int32),
            )
        )

    def add_code(
        self,
        name: str,
        *,
        mentees: Sequence[Hashable | None] | np.ndarray,
        mentors: Sequence[Hashable | None] | np.ndarray,
    ) -> None:
        """Add a category; None, "" or a negative integer means unknown."""
        self._check_name(name)
        if (
            isinstance(mentees, np.ndarray)
            and isinstance(mentors, np.ndarray)
            and mentees.dtype.kind in "iu"
            and mentors.dtype.kind in "iu"
        ):
            mentee_codes = mentees.astype(np.int64)
            mentor_codes = mentors.astype(np.int64)
            mentee_codes[mentee_codes < 0] = -1
            mentor_codes[mentor_codes < 0] = -1
        else:
            table: dict[Hashable, int] = {}
            mentee_codes = _encode(mentees, table)
            mentor_codes = _encode(mentors, table)
        if mentee_codes.shape != (self.n,) or mentor_codes.shape != (self.m,):
            raise ValueError(f"Feature {name!r} has the wrong shape.")
        self._features[name] = Feature(name=name, storage="code", offset=len(self._codes), width=1)
        self._codes.append((mentee_codes, mentor_codes))

    def add_number(
        self,
        name: str,
        *,
        mentees: Sequence[float | None] | np.ndarray,
        mentors: Sequence[float | None] | np.ndarray,
        span: float = 1.0,
    ) -> None:
        """Add a number; None or NaN means unknown. `span` is the scale's range."""
        self._check_name(name)
        mentee_numbers = np.array(
            [np.nan if value is None else value for value in mentees], dtype=np.float64
        )
        mentor_numbers = np.array(
            [np.nan if value is None else value for value in mentors], dtype=np.float64
        )
        if mentee_numbers.shape != (self.n,) or mentor_numbers.shape != (self.m,):
            raise ValueError(f"Feature {name!r} has the wrong shape.")
        self._features[name] = Feature(
            name=name,
            storage="number",
            offset=len(self._numbers),
            width=1,
            span=float(span) if span > 0 else 1.0,
        )
        self._numbers.append((mentee_numbers, mentor_numbers))

    def add_vectors(self, name: str, *, mentees: np.ndarray, mentors: np.ndarray) -> None:
        """Add text vectors; rows are normalised and quantised here (zero rows stay zero)."""
        self._check_name(name)
        mentee_vectors = _normalise(np.asarray(mentees, dtype=np.float32))
        mentor_vectors = _normalise(np.asarray(mentors, dtype=np.float32))
        if (
            mentee_vectors.ndim != 2
            or mentee_vectors.shape[0] != self.n
            or mentor_vectors.shape != (self.m, mentee_vectors.shape[1])
        ):
            raise ValueError(f"Feature {name!r} has the wrong shape.")
        width = mentee_vectors.shape[1]
        self._features[name] = Feature(
            name=name, storage="vector", offset=self._dimension_offset, width=width
        )
        self._dimension_offset += width
        self._vectors.append((mentee_vectors, mentor_vectors))

    def set_reporting_lines(self, *, mentees: np.ndarray, mentors: np.ndarray) -> None:
        """Give (own id, manager id, manager's manager id) per person, -1 when unknown."""
        mentee_line = np.asarray(mentees, dtype=np.int64).reshape(self.n, 3)
        mentor_line = np.asarray(mentors, dtype=np.int64).reshape(self.m, 3)
        self._line = (mentee_line, mentor_line)

    def add_wishes(
        self,
        *,
        mentee_index: Sequence[int] | np.ndarray,
        mentor_index: Sequence[int] | np.ndarray,
        value: Sequence[float] | np.ndarray,
    ) -> None:
        """Add wishes in (0, 1]; several wishes for one pair keep the strongest."""
        values = np.clip(np.asarray(value, dtype=np.float64), 0.0, 1.0)
        self._wish_arrays.append(
            (
                np.asarray(mentee_index, dtype=np.int64),
                np.asarray(mentor_index, dtype=np.int64),
                values,
            )
        )

    def add_avoid(
        self, *, mentee_index: Sequence[int] | np.ndarray, mentor_index: Sequence[int] | np.ndarray
    ) -> None:
        """Forbid pairs (a mentor marked the mentee "avoid")."""
        self._avoid.append(
            (np.asarray(mentee_index, dtype=np.int64), np.asarray(mentor_index, dtype=np.int64))
        )

    def build(self) -> Cohort:
        def stack(parts: list[tuple[np.ndarray, np.ndarray]], side: int, rows: int, dtype: Any):
            if not parts:
                return np.zeros((rows, 0), dtype=dtype)
            columns = [
                part[side] if part[side].ndim == 2 else part[side][:, None] for part in parts
            ]
            return np.ascontiguousarray(np.concatenate(columns, axis=1).astype(dtype, copy=False))

        sides = []
        for side, (ids, rows) in enumerate(((self.mentee_ids, self.n), (self.mentor_ids, self.m))):
            sides.append(
                Side(
                    ids=ids,
                    bits=stack(self._bits, side, rows, np.uint64),
                    sizes=stack(self._sizes, side, rows, np.int32),
                    codes=stack(self._codes, side, rows, np.int64),
                    numbers=stack(self._numbers, side, rows, np.float64),
                    vectors=stack(self._vectors, side, rows, np.int8),
                    line=np.ascontiguousarray(self._line[side]),
                )
            )
        wish_pointer, wish_mentor, wish_value = self._csr(self._wish_arrays, keep_max=True)
        avoid_pointer, avoid_mentor, _ = self._csr(
            [(mentee, mentor, np.ones(len(mentee))) for mentee, mentor in self._avoid],
            keep_max=True,
        )
        return Cohort(
            mentees=sides[0],
            mentors=sides[1],
            capacity=self.capacity.copy(),
            features=dict(self._features),
            wish_pointer=wish_pointer,
            wish_mentor=wish_mentor,
            wish_value=wish_value,
            avoid_pointer=avoid_pointer,
            avoid_mentor=avoid_mentor,
        )

    def _csr(
        self, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], *, keep_max: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pointer = np.zeros(self.n + 1, dtype=np.int64)
        if not parts:
            return pointer, np.zeros(0, np.int64), np.zeros(0, np.float64)
        mentee = np.concatenate([part[0] for part in parts])
        mentor = np.concatenate([part[1] for part in parts])
        value = np.concatenate([part[2] for part in parts])
        if len(mentee) and (
            mentee.min() < 0 or mentee.max() >= self.n or mentor.min() < 0 or mentor.max() >= self.m
        ):
            raise ValueError("A wish or avoid names someone outside the cohort.")
        # Sort by (mentee, mentor, value) and keep the last (largest) value of each pair.
        order = np.lexsort((value, mentor, mentee))
        mentee, mentor, value = mentee[order], mentor[order], value[order]
        if len(mentee):
            last = np.ones(len(mentee), dtype=bool)
            last[:-1] = (mentee[1:] != mentee[:-1]) | (mentor[1:] != mentor[:-1])
            mentee, mentor, value = mentee[last], mentor[last], value[last]
        np.add.at(pointer, mentee + 1, 1)
        np.cumsum(pointer, out=pointer)
        return pointer, mentor, value


def _to_matrix(values: Sequence[Iterable[str]], vocabulary: Sequence[str]) -> np.ndarray:
    index = {item: position for position, item in enumerate(vocabulary)}
    matrix = np.zeros((len(values), len(vocabulary)), dtype=bool)
    for row, items in enumerate(values):
        for item in items:
            position = index.get(item)
            if position is not None:
                matrix[row, position] = True
    return matrix


def _encode(
    values: Sequence[Hashable | None] | np.ndarray, table: dict[Hashable, int]
) -> np.ndarray:
    codes = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        if value is None or value == "":
            codes[row] = -1
        else:
            codes[row] = table.setdefault(value, len(table))
    return codes


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    scaled = np.rint(vectors / norms * VECTOR_SCALE)
    return np.ascontiguousarray(np.clip(scaled, -VECTOR_SCALE, VECTOR_SCALE).astype(np.int8))

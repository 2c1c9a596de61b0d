"""Seeded generator of realistic mentoring programs for the matching benchmark.

`generate(mentees, mentors, seed=...)` returns a `Cohort` and the program's criteria: the
issue's "four hard rules, five weighted criteria". The same (sizes, seed) always gives the
same instance. What makes it realistic rather than uniform noise:

- people live in three regions (Americas, Europe/Africa, Asia/Pacific) that set their UTC
  offset, their native language and, through the offset, their weekly availability;
- languages (30), skills (200), interests (80) and values (20) are skewed (Zipf-like):
  English dominates, a few skills are sought by many mentees;
- each person belongs to a topic (40 clusters, themselves skewed) that pulls their skills,
  department and text vector together, as a TF-IDF + SVD of their goals or bio would;
- mentors are more senior than mentees, have 1-5 places, and some mentees report to a
  mentor (the reporting-line rule has something to forbid).

Everything is vectorised: 100k mentees x 20k mentors build in a few seconds.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parent.parent
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from trellis.matching.engine.cohort import (  # noqa: E402
    AVAILABILITY,
    SLOTS_PER_WEEK,
    UTC_OFFSET,
    Cohort,
    CohortBuilder,
)
from trellis.matching.engine.spec import Criterion, Kind  # noqa: E402

# (mentees, mentors) the README reports.
SIZES: tuple[tuple[int, int], ...] = (
    (200, 60),
    (1_000, 300),
    (5_000, 1_500),
    (10_000, 3_000),
    (50_000, 10_000),
    (100_000, 20_000),
)

LANGUAGES = (
    "en", "es", "pt", "fr", "de", "it", "nl", "pl", "ru", "uk",
    "tr", "ar", "sv", "cs", "ro", "el", "hu", "fi", "he", "sw",
    "hi", "zh", "ja", "ko", "vi", "id", "th", "ta", "bn", "tl",
)  # fmt: skip
SKILL_COUNT, INTEREST_COUNT, VALUE_COUNT = 200, 80, 20
TOPIC_COUNT, DEPARTMENT_COUNT, TEXT_DIMENSIONS = 40, 50, 32
SKILLS_PER_TOPIC = 15
SLOTS_PER_DAY = 48


def shares(text: str) -> tuple[tuple[str, float], ...]:
    """Parse "en 55, es 28" into (("en", 0.55), ("es", 0.28))."""
    pairs = (item.split() for item in text.split(","))
    return tuple((key, float(percent) / 100) for key, percent in pairs)


@dataclass(frozen=True)
class Region:
    name: str
    share: float
    # UTC offsets in hours and the share of the region's people at each.
    offsets: tuple[tuple[str, float], ...]
    # Native languages and their shares within the region.
    natives: tuple[tuple[str, float], ...]
    # Chance that someone whose native language is not English also speaks it.
    english: float


REGIONS = (
    Region(
        "Americas",
        0.36,
        shares("-8 22, -7 8, -6 20, -5 30, -4 5, -3 15"),
        shares("en 55, es 28, pt 14, fr 3"),
        0.6,
    ),
    Region(
        "Europe and Africa",
        0.36,
        shares("0 28, 1 45, 2 17, 3 10"),
        shares(
            "en 16, de 15, fr 14, es 8, it 7, pl 6, nl 5, ru 5, tr 4, ar 4, uk 3, sv 3, pt 2, "
            "cs 2, ro 2, el 1, hu 1, fi 1, he 1, sw 1"
        ),
        0.75,
    ),
    Region(
        "Asia and Pacific",
        0.28,
        shares("5.5 30, 7 10, 8 30, 9 15, 10 10, 12 5"),
        shares("hi 24, zh 24, ja 11, en 9, ko 6, id 6, vi 5, ta 5, bn 4, th 3, tl 3"),
        0.65,
    ),
)


@dataclass(frozen=True)
class Instance:
    cohort: Cohort
    criteria: list[Criterion]
    seed: int

    @property
    def nbytes(self) -> int:
        """Bytes held by the cohort's arrays (what any solver is handed)."""
        total = 0
        for side in (self.cohort.mentees, self.cohort.mentors):
            total += sum(
                array.nbytes
                for array in (
                    side.ids,
                    side.bits,
                    side.sizes,
                    side.codes,
                    side.numbers,
                    side.vectors,
                    side.line,
                )
            )
        return total + self.cohort.capacity.nbytes


def program_criteria() -> list[Criterion]:
    """Four hard rules and five weighted preferences, as a program manager would set them."""
    return [
        Criterion(Kind.OVERLAP, "Languages", "languages", "languages", is_hard=True, parameter=1),
        Criterion(Kind.TIME_ZONE, "Time zone", UTC_OFFSET, UTC_OFFSET, is_hard=True, parameter=6),
        Criterion(
            Kind.NOT_SAME_LINE,
            "Department and reporting line",
            "department",
            "department",
            is_hard=True,
        ),
        Criterion(Kind.SENIORITY_GAP, "Seniority", "seniority", "seniority", is_hard=True),
        Criterion(Kind.COMPLEMENT, "Skills", "skills_sought", "skills_offered", weight=8),
        Criterion(Kind.OVERLAP, "Interests", "interests", "interests", weight=4),
        Criterion(Kind.OVERLAP, "Values", "values", "values", weight=3),
        Criterion(Kind.TEXT, "Goals and bio", "text", "text", weight=5, parameter=0.1),
        Criterion(Kind.AVAILABILITY, "Availability", AVAILABILITY, AVAILABILITY, weight=5),
    ]


def zipf_weights(count: int, exponent: float = 1.0) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()


def sample_sets(
    rng: np.random.Generator, logits: np.ndarray, counts: np.ndarray, items: int
) -> np.ndarray:
    """Draw counts[r] distinct items per row, item k with weight exp(logits[r, k]).

    Gumbel top-k: adding Gumbel noise to log-weights and keeping the k largest samples
    without replacement in proportion to the weights (Plackett-Luce).
    """
    rows = len(counts)
    keys = np.broadcast_to(logits, (rows, items)) + rng.gumbel(size=(rows, items))
    most = int(counts.max())
    top = np.argpartition(-keys, most - 1, axis=1)[:, :most]
    top_keys = np.take_along_axis(keys, top, axis=1)
    top = np.take_along_axis(top, np.argsort(-top_keys, axis=1), axis=1)
    keep = np.arange(most)[None, :] < counts[:, None]
    matrix = np.zeros((rows, items), dtype=bool)
    matrix[np.repeat(np.arange(rows), most)[keep.ravel()], top[keep]] = True
    return matrix


@dataclass
class _People:
    """Raw attributes of one side before they are encoded."""

    region: np.ndarray
    offset_hours: np.ndarray
    topic: np.ndarray
    languages: np.ndarray
    availability: np.ndarray
    seniority: np.ndarray
    department: np.ndarray
    interests: np.ndarray
    values: np.ndarray
    text: np.ndarray


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        rng = self.rng
        self.language_index = {code: position for position, code in enumerate(LANGUAGES)}
        # Global popularity of skills; each topic favours its own handful of skills.
        self.skill_base = np.log(zipf_weights(SKILL_COUNT, 0.9))
        self.topic_skills = np.stack(
            [rng.choice(SKILL_COUNT, SKILLS_PER_TOPIC, replace=False) for _ in range(TOPIC_COUNT)]
        )
        self.topic_home_department = rng.choice(
            DEPARTMENT_COUNT, TOPIC_COUNT, p=zipf_weights(DEPARTMENT_COUNT, 0.8)
        )
        centres = rng.normal(size=(TOPIC_COUNT, TEXT_DIMENSIONS))
        self.topic_centres = centres / np.linalg.norm(centres, axis=1, keepdims=True)

    def people(self, count: int, *, is_mentor: bool) -> _People:
        rng = self.rng
        region = rng.choice(len(REGIONS), count, p=[region.share for region in REGIONS])
        offset_hours = np.zeros(count)
        languages = np.zeros((count, len(LANGUAGES)), dtype=bool)
        english = self.language_index["en"]
        for index, spec in enumerate(REGIONS):
            members = np.flatnonzero(region == index)
            hours, hour_shares = zip(*spec.offsets, strict=True)
            offset_hours[members] = rng.choice(
                np.asarray(hours, dtype=np.float64), len(members), p=hour_shares
            )
            codes, weights = zip(*spec.natives, strict=True)
            weights_array = np.asarray(weights) / sum(weights)
            native = rng.choice(
                [self.language_index[code] for code in codes], len(members), p=weights_array
            )
            languages[members, native] = True
            # Mentors speak English a little more often (they work internationally).
            english_chance = min(0.95, spec.english + (0.15 if is_mentor else 0.0))
            languages[members[rng.random(len(members)) < english_chance], english] = True
        # A third of people speak one more language, drawn from global popularity.
        extra = rng.random(count) < 0.3
        extra_language = rng.choice(len(LANGUAGES), count, p=zipf_weights(len(LANGUAGES), 1.1))
        languages[np.flatnonzero(extra), extra_language[extra]] = True

        topic_weights = zipf_weights(TOPIC_COUNT, 0.7 if is_mentor else 0.9)
        topic = rng.choice(TOPIC_COUNT, count, p=topic_weights)

        if is_mentor:
            seniority = rng.choice(
                np.arange(1, 8), count, p=[0.0, 0.04, 0.14, 0.24, 0.26, 0.19, 0.13]
            )
        else:
            seniority = rng.choice(
                np.arange(1, 8), count, p=[0.24, 0.30, 0.21, 0.13, 0.07, 0.03, 0.02]
            )

        department = np.where(
            rng.random(count) < 0.55,
            self.topic_home_department[topic],
            rng.choice(DEPARTMENT_COUNT, count, p=zipf_weights(DEPARTMENT_COUNT, 0.9)),
        )
        interests = sample_sets(
            rng,
            np.log(zipf_weights(INTEREST_COUNT, 0.8)),
            rng.integers(2, 7, count),
            INTEREST_COUNT,
        )
        values = sample_sets(
            rng, np.log(zipf_weights(VALUE_COUNT, 0.6)), rng.integers(2, 5, count), VALUE_COUNT
        )
        # Goals (mentees) or bio (mentors): mostly the topic, a little of a second one.
        second = rng.choice(TOPIC_COUNT, count, p=topic_weights)
        text = (
            self.topic_centres[topic]
            + 0.35 * self.topic_centres[second]
            + rng.normal(scale=0.75 / np.sqrt(TEXT_DIMENSIONS), size=(count, TEXT_DIMENSIONS))
        ).astype(np.float32)
        return _People(
            region=region,
            offset_hours=offset_hours,
            topic=topic,
            languages=languages,
            availability=self.availability(offset_hours, is_mentor=is_mentor),
            seniority=seniority.astype(np.float64),
            department=department.astype(np.int64),
            interests=interests,
            values=values,
            text=text,
        )

    def skills(self, topic: np.ndarray, counts: np.ndarray) -> np.ndarray:
        logits = np.broadcast_to(self.skill_base, (len(topic), SKILL_COUNT)).copy()
        # A person's topic makes its skills about 12 times as likely.
        rows = np.repeat(np.arange(len(topic)), SKILLS_PER_TOPIC)
        logits[rows, self.topic_skills[topic].ravel()] += 2.5
        return sample_sets(self.rng, logits, counts, SKILL_COUNT)

    def availability(self, offset_hours: np.ndarray, *, is_mentor: bool) -> np.ndarray:
        """Weekly availability in UTC half hours: a few local blocks, shifted by the zone.

        Mentors (busy senior people) give fewer, shorter blocks, often around lunch or
        early evening; mentees more, in work hours and evenings.
        """
        rng = self.rng
        count = len(offset_hours)
        blocks = rng.integers(2, 5 if is_mentor else 7, count)
        most = int(blocks.max())
        day = np.where(
            rng.random((count, most)) < 0.85,
            rng.integers(0, 5, (count, most)),
            5 + rng.integers(0, 2, (count, most)),
        )
        # Local start (half hours): morning 8-11, lunch 12-13, afternoon 14-16, evening 18-20.
        starts = np.array([16, 18, 20, 22, 24, 25, 28, 30, 32, 36, 38, 40])
        start_weights = np.array([3, 4, 4, 3, 5, 4, 4, 4, 3, 5, 4, 2], dtype=float)
        start = rng.choice(starts, (count, most), p=start_weights / start_weights.sum())
        length = rng.integers(2, 5 if is_mentor else 7, (count, most))  # 1-2.5 h or 1-3.5 h
        longest = int(length.max())
        step = np.arange(longest)
        local = day[:, :, None] * SLOTS_PER_DAY + start[:, :, None] + step[None, None, :]
        shift = np.rint(offset_hours * 2).astype(np.int64)[:, None, None]
        utc = (local - shift) % SLOTS_PER_WEEK
        keep = (np.arange(most)[None, :, None] < blocks[:, None, None]) & (
            step[None, None, :] < length[:, :, None]
        )
        rows = np.broadcast_to(np.arange(count)[:, None, None], utc.shape)
        matrix = np.zeros((count, SLOTS_PER_WEEK), dtype=bool)
        matrix[rows[keep], utc[keep]] = True
        return matrix

    def reporting_lines(
        self, mentees: _People, mentors: _People, mentee_ids: np.ndarray, mentor_ids: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return (own id, manager id, manager's manager id) for both sides.

        Managers outside the program get ids from 10**8 up, one per department and team;
        about 8% of mentees report to a mentor (and so can never be matched with them, nor
        with that mentor's own manager if they are a mentor too).
        """
        rng = self.rng
        n, m = len(mentee_ids), len(mentor_ids)
        outside, directors = 100_000_000, 200_000_000
        teams_per_department = 1 + (n + m) // (8 * DEPARTMENT_COUNT)

        def outside_manager(department: np.ndarray) -> np.ndarray:
            team = rng.integers(0, teams_per_department, len(department))
            return outside + department * teams_per_department + team

        def director_of(manager: np.ndarray) -> np.ndarray:
            # Outside managers report to their department's director.
            return directors + (manager - outside) // teams_per_department

        mentor_line = np.empty((m, 3), dtype=np.int64)
        mentor_line[:, 0] = mentor_ids
        mentor_line[:, 1] = outside_manager(mentors.department)
        mentor_line[:, 2] = director_of(mentor_line[:, 1])
        # Some senior mentors manage other mentors.
        if m > 1:
            reports = np.flatnonzero(rng.random(m) < 0.06)
            boss = rng.integers(0, m, len(reports))
            valid = boss != reports
            reports, boss = reports[valid], boss[valid]
            mentor_line[reports, 1] = mentor_ids[boss]
            mentor_line[reports, 2] = mentor_line[boss, 1]

        mentee_line = np.empty((n, 3), dtype=np.int64)
        mentee_line[:, 0] = mentee_ids
        mentee_line[:, 1] = outside_manager(mentees.department)
        mentee_line[:, 2] = director_of(mentee_line[:, 1])
        if m:
            reports = np.flatnonzero(rng.random(n) < 0.08)
            # Most such managers sit in the mentee's department; some lead across departments.
            by_department = np.argsort(mentors.department, kind="stable")
            sorted_departments = mentors.department[by_department]
            low = np.searchsorted(sorted_departments, mentees.department[reports], "left")
            high = np.searchsorted(sorted_departments, mentees.department[reports], "right")
            has_local = (high > low) & (rng.random(len(reports)) < 0.8)
            pick = np.where(
                has_local,
                low + (rng.random(len(reports)) * np.maximum(high - low, 1)).astype(np.int64),
                0,
            )
            boss = np.where(has_local, by_department[pick], rng.integers(0, m, len(reports)))
            mentee_line[reports, 1] = mentor_ids[boss]
            mentee_line[reports, 2] = mentor_line[boss, 1]
        return mentee_line, mentor_line


def generate(mentees: int, mentors: int, *, seed: int = 1) -> Instance:
    """Build a program of this size; deterministic for (mentees, mentors, seed)."""
    if mentees < 0 or mentors < 0:
        raise ValueError("Sizes cannot be negative.")
    generator = _Generator(seed)
    rng = generator.rng
    mentee_people = generator.people(mentees, is_mentor=False)
    mentor_people = generator.people(mentors, is_mentor=True)
    mentee_ids = np.arange(1, mentees + 1, dtype=np.int64)
    mentor_ids = np.arange(mentees + 1, mentees + mentors + 1, dtype=np.int64)
    capacity = rng.choice(np.arange(1, 6), mentors, p=[0.30, 0.30, 0.20, 0.12, 0.08])

    builder = CohortBuilder(mentee_ids=mentee_ids, mentor_ids=mentor_ids, capacity=capacity)
    builder.add_set(
        "languages",
        mentees=mentee_people.languages,
        mentors=mentor_people.languages,
        vocabulary=LANGUAGES,
    )
    skills = tuple(f"skill-{index:03d}" for index in range(SKILL_COUNT))
    # Mentees seek 2-5 skills, mentors offer 3-8; the other side's set stays empty.
    builder.add_set(
        "skills_sought",
        mentees=generator.skills(mentee_people.topic, rng.integers(2, 6, mentees)),
        mentors=np.zeros((mentors, SKILL_COUNT), dtype=bool),
        vocabulary=skills,
    )
    builder.add_set(
        "skills_offered",
        mentees=np.zeros((mentees, SKILL_COUNT), dtype=bool),
        mentors=generator.skills(mentor_people.topic, rng.integers(3, 9, mentors)),
        vocabulary=skills,
    )
    builder.add_set(
        "interests",
        mentees=mentee_people.interests,
        mentors=mentor_people.interests,
        vocabulary=tuple(f"interest-{index:02d}" for index in range(INTEREST_COUNT)),
    )
    builder.add_set(
        "values",
        mentees=mentee_people.values,
        mentors=mentor_people.values,
        vocabulary=tuple(f"value-{index:02d}" for index in range(VALUE_COUNT)),
    )
    builder.add_set(
        AVAILABILITY,
        mentees=mentee_people.availability,
        mentors=mentor_people.availability,
        vocabulary=tuple(str(slot) for slot in range(SLOTS_PER_WEEK)),
    )
    builder.add_number(
        UTC_OFFSET, mentees=mentee_people.offset_hours * 60, mentors=mentor_people.offset_hours * 60
    )
    builder.add_number(
        "seniority", mentees=mentee_people.seniority, mentors=mentor_people.seniority, span=6
    )
    builder.add_code(
        "department", mentees=mentee_people.department, mentors=mentor_people.department
    )
    builder.add_vectors("text", mentees=mentee_people.text, mentors=mentor_people.text)
    mentee_line, mentor_line = generator.reporting_lines(
        mentee_people, mentor_people, mentee_ids, mentor_ids
    )
    builder.set_reporting_lines(mentees=mentee_line, mentors=mentor_line)
    return Instance(cohort=builder.build(), criteria=program_criteria(), seed=seed)

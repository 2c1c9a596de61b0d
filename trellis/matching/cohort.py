"""Django → engine: a program's participants, criteria and wishes as an engine Cohort.

The engine knows nothing of Django; this module reads a program's approved mentors and
mentees in a fixed number of queries (whatever the cohort's size), turns profiles,
weekly availability, intake answers and wishes into the engine's features, and maps the
program's MatchingCriterion rows to engine Criterion objects.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Prefetch
from django.utils import timezone

from trellis.accounts.models import User
from trellis.core.time import get_zone
from trellis.matching import engine
from trellis.matching.criteria import (
    PROFILE_FIELDS,
    field_label,
    kinds_for_question,
    question_id_of,
)
from trellis.matching.engine.cohort import AVAILABILITY, SLOTS_PER_WEEK, UTC_OFFSET, vocabulary_of
from trellis.matching.models import (
    MatchingCriterion,
    MatchingSettings,
    MenteeWish,
    MentorWish,
    WishStance,
)
from trellis.matching.selectors import effective_criteria, matching_settings_for
from trellis.matching.text import side_vectors
from trellis.mentorships.selectors import active_mentee_ids, active_mentorship_counts
from trellis.profiles.models import AvailabilityWindow, Profile
from trellis.programs.models import (
    Enrollment,
    EnrollmentStatus,
    IntakeAnswer,
    IntakeQuestion,
    Program,
    ProgramType,
    QuestionKind,
    Role,
)

MENTOR_ROLES = (Role.MENTOR, Role.BOTH)
MENTEE_ROLES = (Role.MENTEE, Role.BOTH)
SLOT_MINUTES = 30
MINUTES_PER_WEEK = SLOTS_PER_WEEK * SLOT_MINUTES
SLOT_VOCABULARY = tuple(str(slot) for slot in range(SLOTS_PER_WEEK))
SENIORITY_SPAN = 6.0
SCALE_SPAN = 4.0

# Engine feature names for the profile fields.
TEXT_SOUGHT, TEXT_OFFERED = "text_sought", "text_offered"
SKILLS_SOUGHT, SKILLS_OFFERED = "skills_sought", "skills_offered"
DEPARTMENT = "department"
FEATURES_BY_FIELD: dict[str, tuple[str, str]] = {
    # field → (mentee feature, mentor feature)
    "languages": ("languages", "languages"),
    "interests": ("interests", "interests"),
    "values": ("values", "values"),
    "skills": (SKILLS_SOUGHT, SKILLS_OFFERED),
    "seniority": ("seniority", "seniority"),
    "time_zone": (UTC_OFFSET, UTC_OFFSET),
    "availability": (AVAILABILITY, AVAILABILITY),
    "communication_modes": ("communication_modes", "communication_modes"),
    "department_line": (DEPARTMENT, DEPARTMENT),
    "organisation": ("organisation", "organisation"),
    "text": (TEXT_SOUGHT, TEXT_OFFERED),
}
SET_FIELDS = ("languages", "interests", "values", "communication_modes")

# A mentee's wishes, as engine wish values in (0, 1]: rank 1 is the strongest.
FAVOURITE_WISH = 0.7
MENTOR_PREFER_WISH = 0.6


def wish_value(*, is_favourite: bool, rank: int | None) -> float:
    """The strength of a mentee's wish: rank 1 → 1.0 … rank 10 → 0.55; a favourite 0.7."""
    ranked = 1.0 - (rank - 1) * 0.05 if rank is not None else 0.0
    return max(ranked, FAVOURITE_WISH if is_favourite else 0.0)


@dataclass(frozen=True)
class Participant:
    """One side's person in the cohort, with what the pages show about them."""

    user: User
    profile: Profile | None
    enrollment: Enrollment
    places_left: int = 0

    @property
    def name(self) -> str:
        return self.user.display_name


@dataclass
class ProgramCohort:
    """An engine cohort plus the Django objects behind its rows."""

    program: Program
    settings: MatchingSettings
    cohort: engine.Cohort
    criteria: list[engine.Criterion]
    mentees: list[Participant]
    mentors: list[Participant]
    # Problems with the configuration, in words (a criterion that cannot be used...).
    errors: list[str] = field(default_factory=list)
    mentee_index: dict[int, int] = field(default_factory=dict)
    mentor_index: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.mentee_index = {p.user.pk: i for i, p in enumerate(self.mentees)}
        self.mentor_index = {p.user.pk: i for i, p in enumerate(self.mentors)}

    @property
    def places_total(self) -> int:
        return int(self.cohort.capacity.sum())


# Availability and time zones ------------------------------------------------------------


def utc_offset_minutes(zone_name: str | None, *, at: dt.datetime) -> float:
    """The zone's offset from UTC at the given moment, in minutes (east positive)."""
    offset = at.astimezone(get_zone(zone_name)).utcoffset()
    return offset.total_seconds() / 60 if offset is not None else 0.0


def weekly_slots_utc(
    windows: Iterable[tuple[int, dt.time, dt.time]], zone_name: str | None, *, at: dt.datetime
) -> np.ndarray:
    """Local weekly windows as the half-hour slots of a UTC week (Monday 00:00 UTC = slot 0).

    Each window is converted with the zone's offset in the week of `at`, so a window keeps
    its local hours across daylight-saving changes. Only half hours a window covers fully
    count; a window that crosses the UTC week's end wraps round to its start.
    """
    zone = get_zone(zone_name)
    slots = np.zeros(SLOTS_PER_WEEK, dtype=bool)
    today = at.astimezone(zone).date()
    monday = today - dt.timedelta(days=today.weekday())
    for weekday, start_time, end_time in windows:
        day = monday + dt.timedelta(days=weekday)
        local_start = dt.datetime.combine(day, start_time, tzinfo=zone)
        local_end = dt.datetime.combine(day, end_time, tzinfo=zone)
        utc_start = local_start.astimezone(dt.UTC)
        minutes = (local_end.astimezone(dt.UTC) - utc_start).total_seconds() / 60
        if minutes <= 0:
            continue
        start = utc_start.weekday() * 1440 + utc_start.hour * 60 + utc_start.minute
        first = math.ceil(start / SLOT_MINUTES)
        last = math.floor((start + minutes) / SLOT_MINUTES)
        for slot in range(first, last):
            slots[slot % SLOTS_PER_WEEK] = True
    return slots


# Loading -------------------------------------------------------------------------------


def _enrollments(
    program: Program, roles: Sequence[str], user_ids: Iterable[int] | None
) -> list[Enrollment]:
    queryset = (
        Enrollment.objects.filter(program=program, status=EnrollmentStatus.APPROVED, role__in=roles)
        .select_related("user__profile")
        .prefetch_related(
            Prefetch(
                "user__profile__availability",
                queryset=AvailabilityWindow.objects.order_by("weekday", "start_time"),
            )
        )
        .order_by("user_id")
    )
    if user_ids is not None:
        queryset = queryset.filter(user_id__in=list(user_ids))
    return list(queryset)


def _profile(enrollment: Enrollment) -> Profile | None:
    return getattr(enrollment.user, "profile", None)


def _tags(profile: Profile | None, name: str) -> list[str]:
    if profile is None:
        return []
    return [str(item).strip().lower() for item in (getattr(profile, name) or []) if item]


def _text(*parts: Any) -> str:
    return "\n".join(str(part) for part in parts if part)


def _mentee_text(profile: Profile | None) -> str:
    """What a mentee looks for: goals, the skills they seek, interests, bio."""
    if profile is None:
        return ""
    return _text(
        profile.goals,
        " ".join(profile.skills_sought or []),
        " ".join(profile.interests or []),
        profile.headline,
        profile.bio,
    )


def _mentor_text(profile: Profile | None) -> str:
    """What a mentor brings: bio, headline, the skills they offer, interests, goals."""
    if profile is None:
        return ""
    return _text(
        profile.bio,
        profile.headline,
        " ".join(profile.skills_offered or []),
        " ".join(profile.interests or []),
        profile.goals,
    )


def _line(user_id: int, profile: Profile | None, managers: dict[int, int | None]) -> list[int]:
    manager_id = profile.manager_id if profile is not None else None
    grand_id = managers.get(manager_id) if manager_id is not None else None
    return [user_id, manager_id or -1, grand_id or -1]


def _department(profile: Profile | None) -> str | None:
    if profile is None or not profile.department.strip():
        return None
    return f"{profile.organisation.strip().casefold()}|{profile.department.strip().casefold()}"


def _organisation(profile: Profile | None) -> str | None:
    if profile is None or not profile.organisation.strip():
        return None
    return profile.organisation.strip().casefold()


def _answer_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)] if value not in (None, "") else []


def _answer_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _vectorise(mentee_texts: list[str], mentor_texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Text vectors fitted on both sides' texts together (one vocabulary, one basis).

    TF-IDF by default, a local embedding model when one is configured; at most
    `text.MAX_DIMENSIONS` wide either way (see trellis.matching.text).
    """
    return side_vectors(mentee_texts, mentor_texts)


def _engine_criterion(
    criterion: MatchingCriterion,
    label: str,
) -> engine.Criterion:
    field_name = criterion.field
    if field_name in FEATURES_BY_FIELD:
        mentee_feature, mentor_feature = FEATURES_BY_FIELD[field_name]
    else:
        mentee_feature = mentor_feature = field_name
    return engine.Criterion(
        kind=engine.Kind(criterion.kind),
        label=label,
        mentee_feature=mentee_feature,
        mentor_feature=mentor_feature,
        is_hard=criterion.is_hard_rule,
        weight=criterion.weight,
        parameter=criterion.parameter,
    )


def program_cohort(
    *,
    program: Program,
    mentee_ids: Iterable[int] | None = None,
    mentor_ids: Iterable[int] | None = None,
    include_matched_mentees: bool = False,
    at: dt.datetime | None = None,
) -> ProgramCohort:
    """Build the engine cohort of a program's approved mentees and mentors.

    By default every approved mentee without an active mentorship faces every approved
    mentor, each with the places they have left (capacity minus active mentorships).
    `mentee_ids`/`mentor_ids` narrow the sides (the candidates pages score one person
    against the other side). The number of queries does not depend on the cohort's size.
    """
    at = at or timezone.now()
    settings = matching_settings_for(program=program)
    criteria_rows = effective_criteria(program=program)
    questions = {q.pk: q for q in IntakeQuestion.objects.filter(program=program)}
    counts = active_mentorship_counts(program=program)
    matched = set() if include_matched_mentees else active_mentee_ids(program=program)

    mentee_enrollments = [
        e for e in _enrollments(program, MENTEE_ROLES, mentee_ids) if e.user_id not in matched
    ]
    mentor_enrollments = _enrollments(program, MENTOR_ROLES, mentor_ids)
    mentees = [Participant(e.user, _profile(e), e) for e in mentee_enrollments]
    mentors = []
    for enrollment in mentor_enrollments:
        capacity = enrollment.mentor_capacity or program.default_mentor_capacity
        places = max(capacity - counts.get(enrollment.user_id, 0), 0)
        mentors.append(Participant(enrollment.user, _profile(enrollment), enrollment, places))

    builder = engine.CohortBuilder(
        mentee_ids=[p.user.pk for p in mentees],
        mentor_ids=[p.user.pk for p in mentors],
        capacity=[p.places_left for p in mentors],
    )
    errors: list[str] = []
    used_fields = {c.field for c in criteria_rows}
    _add_profile_features(builder, program, mentees, mentors, used_fields, at)
    criteria: list[engine.Criterion] = []
    intake_fields = sorted(f for f in used_fields if question_id_of(f) is not None)
    answers = _answers(program, mentee_enrollments + mentor_enrollments, intake_fields)
    for field_name in intake_fields:
        question = questions.get(question_id_of(field_name) or 0)
        if question is None:
            continue
        _add_intake_feature(builder, field_name, question, mentees, mentors, answers)
    for row in criteria_rows:
        question_id = question_id_of(row.field)
        label = field_label(row.field, questions)
        if row.field not in PROFILE_FIELDS and (
            question_id is None or question_id not in questions
        ):
            errors.append(f"{label}: the question was deleted; this criterion is ignored.")
            continue
        if question_id is not None and row.kind not in kinds_for_question(questions[question_id]):
            errors.append(f"{label}: the question's kind changed; edit this criterion.")
            continue
        if question_id is not None:
            # Reports name the question itself: “No mentor meets the rule “Track?””.
            label = questions[question_id].label
        criterion = _engine_criterion(row, label)
        try:
            criterion.validate()
        except engine.SpecError as error:
            errors.append(str(error))
            continue
        criteria.append(criterion)
    # Wishes count only once someone in the program has made one: a criterion nobody can
    # score on would lower every pair's score alike and say nothing.
    if settings.wish_weight > 0 and _program_has_wishes(program):
        criteria.append(
            engine.Criterion(kind=engine.Kind.WISHES, label="Wishes", weight=settings.wish_weight)
        )
    _add_wishes(builder, program, mentees, mentors)
    return ProgramCohort(
        program=program,
        settings=settings,
        cohort=builder.build(),
        criteria=criteria,
        mentees=mentees,
        mentors=mentors,
        errors=errors,
    )


def _add_profile_features(
    builder: engine.CohortBuilder,
    program: Program,
    mentees: list[Participant],
    mentors: list[Participant],
    used_fields: set[str],
    at: dt.datetime,
) -> None:
    """Add the features the program's criteria read (and no others: text is costly)."""
    for name in SET_FIELDS:
        if name in used_fields:
            builder.add_set(
                name,
                mentees=[_tags(p.profile, name) for p in mentees],
                mentors=[_tags(p.profile, name) for p in mentors],
            )
    if "skills" in used_fields:
        sought = ([_tags(p.profile, "skills_sought") for p in side] for side in (mentees, mentors))
        offered = (
            [_tags(p.profile, "skills_offered") for p in side] for side in (mentees, mentors)
        )
        mentee_sought, mentor_sought = sought
        mentee_offered, mentor_offered = offered
        vocabulary = vocabulary_of(mentee_sought, mentor_sought, mentee_offered, mentor_offered)
        builder.add_set(
            SKILLS_SOUGHT, mentees=mentee_sought, mentors=mentor_sought, vocabulary=vocabulary
        )
        builder.add_set(
            SKILLS_OFFERED, mentees=mentee_offered, mentors=mentor_offered, vocabulary=vocabulary
        )
    if "seniority" in used_fields:
        # Reverse mentoring: the junior mentors the senior, so the gap is read flipped.
        sign = -1.0 if program.program_type == ProgramType.REVERSE else 1.0

        def level(p: Participant) -> float | None:
            if p.profile is None or p.profile.seniority is None:
                return None
            return sign * p.profile.seniority

        builder.add_number(
            "seniority",
            mentees=[level(p) for p in mentees],
            mentors=[level(p) for p in mentors],
            span=SENIORITY_SPAN,
        )
    if "time_zone" in used_fields:
        builder.add_number(
            UTC_OFFSET,
            mentees=[_offset(p, at) for p in mentees],
            mentors=[_offset(p, at) for p in mentors],
        )
    if "availability" in used_fields:
        builder.add_set(
            AVAILABILITY,
            mentees=_slot_matrix(mentees, at),
            mentors=_slot_matrix(mentors, at),
            vocabulary=SLOT_VOCABULARY,
        )
    if "department_line" in used_fields:
        builder.add_code(
            DEPARTMENT,
            mentees=[_department(p.profile) for p in mentees],
            mentors=[_department(p.profile) for p in mentors],
        )
        managers = _managers_of(mentees + mentors)
        builder.set_reporting_lines(
            mentees=np.array(
                [_line(p.user.pk, p.profile, managers) for p in mentees], np.int64
            ).reshape(len(mentees), 3),
            mentors=np.array(
                [_line(p.user.pk, p.profile, managers) for p in mentors], np.int64
            ).reshape(len(mentors), 3),
        )
    if "organisation" in used_fields:
        builder.add_code(
            "organisation",
            mentees=[_organisation(p.profile) for p in mentees],
            mentors=[_organisation(p.profile) for p in mentors],
        )
    if "text" in used_fields:
        # One vocabulary for what mentees seek and what mentors bring; the other halves
        # are never compared, so they stay zero.
        sought_vectors, offered_vectors = _vectorise(
            [_mentee_text(p.profile) for p in mentees], [_mentor_text(p.profile) for p in mentors]
        )
        width = sought_vectors.shape[1]
        builder.add_vectors(
            TEXT_SOUGHT,
            mentees=sought_vectors,
            mentors=np.zeros((len(mentors), width), np.float32),
        )
        builder.add_vectors(
            TEXT_OFFERED,
            mentees=np.zeros((len(mentees), width), np.float32),
            mentors=offered_vectors,
        )


def _offset(participant: Participant, at: dt.datetime) -> float | None:
    if participant.profile is None:
        return None
    return utc_offset_minutes(participant.profile.time_zone, at=at)


def _slot_matrix(participants: list[Participant], at: dt.datetime) -> np.ndarray:
    matrix = np.zeros((len(participants), SLOTS_PER_WEEK), dtype=bool)
    for row, participant in enumerate(participants):
        profile = participant.profile
        if profile is None:
            continue
        windows = [(w.weekday, w.start_time, w.end_time) for w in profile.availability.all()]
        if windows:
            matrix[row] = weekly_slots_utc(windows, profile.time_zone, at=at)
    return matrix


def _managers_of(participants: list[Participant]) -> dict[int, int | None]:
    """Line manager id → that manager's own manager id, in one query."""
    manager_ids = {p.profile.manager_id for p in participants if p.profile and p.profile.manager_id}
    if not manager_ids:
        return {}
    return dict(
        Profile.objects.filter(user_id__in=manager_ids).values_list("user_id", "manager_id")
    )


def _answers(
    program: Program, enrollments: list[Enrollment], fields: list[str]
) -> dict[tuple[int, int], Any]:
    """(enrollment id, question id) → answer value, for the questions criteria read."""
    question_ids = [question_id_of(f) for f in fields]
    if not question_ids:
        return {}
    enrollment_ids = {e.pk for e in enrollments}
    rows = IntakeAnswer.objects.filter(
        enrollment__program=program, question_id__in=question_ids
    ).values_list("enrollment_id", "question_id", "value")
    return {(e, q): v for e, q, v in rows if e in enrollment_ids}


def _add_intake_feature(
    builder: engine.CohortBuilder,
    field_name: str,
    question: IntakeQuestion,
    mentees: list[Participant],
    mentors: list[Participant],
    answers: dict[tuple[int, int], Any],
) -> None:
    def values(side: list[Participant]) -> list[Any]:
        return [answers.get((p.enrollment.pk, question.pk)) for p in side]

    mentee_values, mentor_values = values(mentees), values(mentors)
    if question.kind == QuestionKind.SINGLE_CHOICE:
        builder.add_code(
            field_name,
            mentees=[v if isinstance(v, str) and v else None for v in mentee_values],
            mentors=[v if isinstance(v, str) and v else None for v in mentor_values],
        )
    elif question.kind == QuestionKind.MULTIPLE_CHOICE:
        builder.add_set(
            field_name,
            mentees=[_answer_list(v) for v in mentee_values],
            mentors=[_answer_list(v) for v in mentor_values],
        )
    elif question.kind == QuestionKind.SCALE:
        builder.add_number(
            field_name,
            mentees=[_answer_number(v) for v in mentee_values],
            mentors=[_answer_number(v) for v in mentor_values],
            span=SCALE_SPAN,
        )
    else:
        mentee_vectors, mentor_vectors = _vectorise(
            [str(v or "") for v in mentee_values], [str(v or "") for v in mentor_values]
        )
        builder.add_vectors(field_name, mentees=mentee_vectors, mentors=mentor_vectors)


def _program_has_wishes(program: Program) -> bool:
    return (
        MenteeWish.objects.filter(program=program).exists()
        or MentorWish.objects.filter(program=program, stance=WishStance.PREFER).exists()
    )


def _add_wishes(
    builder: engine.CohortBuilder,
    program: Program,
    mentees: list[Participant],
    mentors: list[Participant],
) -> None:
    """Mentees' favourites and ranks and mentors' "prefer" as wishes; "avoid" forbids."""
    mentee_index = {p.user.pk: i for i, p in enumerate(mentees)}
    mentor_index = {p.user.pk: i for i, p in enumerate(mentors)}
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for mentee_id, mentor_id, is_favourite, rank in MenteeWish.objects.filter(
        program=program
    ).values_list("mentee_id", "mentor_id", "is_favourite", "rank"):
        if mentee_id in mentee_index and mentor_id in mentor_index:
            value = wish_value(is_favourite=is_favourite, rank=rank)
            if value > 0:
                rows.append(mentee_index[mentee_id])
                columns.append(mentor_index[mentor_id])
                values.append(value)
    avoid_rows: list[int] = []
    avoid_columns: list[int] = []
    for mentor_id, mentee_id, stance in MentorWish.objects.filter(program=program).values_list(
        "mentor_id", "mentee_id", "stance"
    ):
        if mentee_id not in mentee_index or mentor_id not in mentor_index:
            continue
        if stance == WishStance.AVOID:
            avoid_rows.append(mentee_index[mentee_id])
            avoid_columns.append(mentor_index[mentor_id])
        else:
            rows.append(mentee_index[mentee_id])
            columns.append(mentor_index[mentor_id])
            values.append(MENTOR_PREFER_WISH)
    # In peer programs everyone is on both sides: nobody may be matched with themself.
    for user_id, row in mentee_index.items():
        column = mentor_index.get(user_id)
        if column is not None:
            avoid_rows.append(row)
            avoid_columns.append(column)
    if rows:
        builder.add_wishes(mentee_index=rows, mentor_index=columns, value=values)
    if avoid_rows:
        builder.add_avoid(mentee_index=avoid_rows, mentor_index=avoid_columns)

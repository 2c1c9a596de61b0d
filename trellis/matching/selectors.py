"""Reads for matching: settings, criteria, wishes, runs, and scored candidates."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError
from trellis.matching.criteria import DEFAULT_CRITERIA
from trellis.matching.models import (
    ACTIVE_RUN_STATUSES,
    MatchingCriterion,
    MatchingSettings,
    MatchRun,
    MatchRunPair,
)
from trellis.mentorships.selectors import active_mentee_ids, active_mentorship_counts
from trellis.profiles.models import Profile
from trellis.programs.models import Enrollment, EnrollmentStatus, Program, Role


def matching_settings_for(*, program: Program) -> MatchingSettings:
    """The program's matching settings, created with the defaults the first time."""
    found = MatchingSettings.objects.filter(program=program).first()
    if found is not None:
        found.program = program
        return found
    try:
        with transaction.atomic():
            created = MatchingSettings.objects.create(program=program)
    except IntegrityError:
        # Another request created them between our read and our insert.
        created = MatchingSettings.objects.get(program=program)
    created.program = program
    return created


@dataclass(frozen=True)
class CohortSize:
    mentees_waiting: int
    places_left: int


def automatch_cohort_size(*, program: Program) -> CohortSize:
    """Approved mentees without a mentor, and the places approved mentors have left."""
    approved = Enrollment.objects.filter(program=program, status=EnrollmentStatus.APPROVED)
    mentees = (
        approved.filter(role__in=(Role.MENTEE, Role.BOTH))
        .exclude(user_id__in=active_mentee_ids(program=program))
        .count()
    )
    counts = active_mentorship_counts(program=program)
    places = sum(
        max((capacity or program.default_mentor_capacity) - counts.get(user_id, 0), 0)
        for user_id, capacity in approved.filter(role__in=(Role.MENTOR, Role.BOTH)).values_list(
            "user_id", "mentor_capacity"
        )
    )
    return CohortSize(mentees_waiting=mentees, places_left=places)


def criterion_list(*, program: Program) -> list[MatchingCriterion]:
    """The program's own criteria, in order (empty when it uses the defaults)."""
    return list(MatchingCriterion.objects.filter(program=program).order_by("position", "pk"))


def effective_criteria(*, program: Program) -> list[MatchingCriterion]:
    """The criteria matching uses: the program's own, or unsaved defaults when it has none."""
    own = criterion_list(program=program)
    if own:
        return own
    return [
        MatchingCriterion(
            program=program,
            kind=default.kind,
            field=default.field,
            is_hard_rule=default.is_hard_rule,
            weight=default.weight,
            parameter=default.parameter,
            position=position,
        )
        for position, default in enumerate(DEFAULT_CRITERIA)
    ]


def match_run_list(*, program: Program, limit: int = 10) -> list[MatchRun]:
    return list(
        MatchRun.objects.filter(program=program)
        .select_related("created_by__profile")
        .order_by("-created_at", "-pk")[:limit]
    )


def match_run_active(*, program: Program) -> MatchRun | None:
    """The run that is queued, running or publishing for the program, if any."""
    return (
        MatchRun.objects.filter(program=program, status__in=ACTIVE_RUN_STATUSES)
        .order_by("-pk")
        .first()
    )


def match_run_for(*, program: Program, run_id: int) -> MatchRun:
    run = (
        MatchRun.objects.filter(program=program, pk=run_id)
        .select_related("created_by__profile", "published_by__profile")
        .first()
    )
    if run is None:
        raise NotFoundError("No such matching run.")
    run.program = program
    return run


def match_run_pairs(*, run: MatchRun) -> QuerySet[MatchRunPair]:
    """The run's pairs with both people's profiles, best scores first."""
    return (
        MatchRunPair.objects.filter(run=run)
        .select_related("mentee__profile", "mentor__profile")
        .order_by("-is_locked", "-score", "pk")
    )


def match_run_pair_for(*, run: MatchRun, pair_id: int) -> MatchRunPair:
    pair = MatchRunPair.objects.filter(run=run, pk=pair_id).first()
    if pair is None:
        raise NotFoundError("No such pair in this run.")
    pair.run = run
    return pair


@dataclass
class Candidate:
    """A possible mentor (or mentee) for someone, scored and explained."""

    user: User
    profile: Profile | None
    enrollment: Enrollment
    score: float
    reasons: list[str]
    is_eligible: bool
    blocked_by: list[str]
    places_left: int


def _candidates(
    program: Program,
    *,
    mentee_ids: list[int] | None,
    mentor_ids: list[int] | None,
    for_mentee: bool,
    limit: int | None,
) -> list[Candidate]:
    """One person against the whole other side: scored by the compiled kernel, then only
    the candidates returned are explained in words (explaining is the costly part)."""
    # Imported here: the cohort adapter reads these selectors.
    from trellis.matching import engine
    from trellis.matching.cohort import program_cohort
    from trellis.matching.explanations import explain_pairs

    cohort = program_cohort(
        program=program,
        mentee_ids=mentee_ids,
        mentor_ids=mentor_ids,
        include_matched_mentees=True,
    )
    if not cohort.mentees or not cohort.mentors:
        return []
    person = cohort.mentees[0] if for_mentee else cohort.mentors[0]
    others = cohort.mentors if for_mentee else cohort.mentees
    # In peer programs people are on both sides; nobody is their own candidate.
    positions = [i for i, other in enumerate(others) if other.user.pk != person.user.pk]
    units = engine.score_pairs(
        cohort.cohort,
        cohort.criteria,
        [0] * len(positions) if for_mentee else positions,
        positions if for_mentee else [0] * len(positions),
    )
    order = sorted(
        range(len(positions)),
        key=lambda k: (units[k] < 0, -units[k], others[positions[k]].name.casefold()),
    )
    chosen = [positions[k] for k in (order[:limit] if limit else order)]
    # The person reading the candidates is "you" in their reasons.
    explanations = explain_pairs(
        cohort,
        [0] * len(chosen) if for_mentee else chosen,
        chosen if for_mentee else [0] * len(chosen),
        audience=engine.MENTEE if for_mentee else engine.MENTOR,
    )
    return [
        Candidate(
            user=others[position].user,
            profile=others[position].profile,
            enrollment=others[position].enrollment,
            score=explanation.score,
            reasons=explanation.reasons,
            is_eligible=explanation.is_eligible,
            blocked_by=explanation.blocked_by,
            places_left=others[position].places_left if for_mentee else person.places_left,
        )
        for position, explanation in zip(chosen, explanations, strict=True)
    ]


def mentor_candidates(
    *, program: Program, mentee: User, limit: int | None = None
) -> list[Candidate]:
    """The program's approved mentors for mentee, best first; ineligible ones last.

    `places_left` is each mentor's capacity minus their active mentorships; a mentee who
    is not an approved mentee of the program gets no candidates.
    """
    return _candidates(
        program, mentee_ids=[mentee.pk], mentor_ids=None, for_mentee=True, limit=limit
    )


def mentee_candidates(
    *, program: Program, mentor: User, limit: int | None = None
) -> list[Candidate]:
    """The program's approved mentees for mentor (those with a mentor included), best first.

    `places_left` is the mentor's own places left, the same on every candidate.
    """
    return _candidates(
        program, mentee_ids=None, mentor_ids=[mentor.pk], for_mentee=False, limit=limit
    )


def pair_explanation(
    *, program: Program, mentor: User, mentee: User
) -> tuple[float | None, list[str]]:
    """The pair's score and reasons; the score is None when a hard rule forbids the pair.

    Then the reasons say which rules block it. Either person not taking part in the
    program's matching gives (None, []). The score equals the mentor's score in the
    mentee's directory (mentor_candidates).
    """
    from trellis.matching.cohort import program_cohort
    from trellis.matching.explanations import explain_pairs

    # Scored against every mentor, as in the mentee's directory: text similarity is
    # weighed over the program's texts, so the score is the one the mentee was shown.
    cohort = program_cohort(program=program, mentee_ids=[mentee.pk], include_matched_mentees=True)
    column = next(
        (k for k, participant in enumerate(cohort.mentors) if participant.user.pk == mentor.pk),
        None,
    )
    if not cohort.mentees or column is None:
        return None, []
    (explanation,) = explain_pairs(cohort, [0], [column])
    if not explanation.is_eligible:
        return None, [f"Does not meet the rule “{rule}”" for rule in explanation.blocked_by]
    return explanation.score, explanation.reasons


def match_run_has_mentee(*, run: MatchRun, mentee: User) -> bool:
    """Whether mentee is paired in the run or among those it could not match."""
    if MatchRunPair.objects.filter(run=run, mentee_id=mentee.pk).exists():
        return True
    return any(e.get("mentee_id") == mentee.pk for e in (run.report or {}).get("unmatched", []))


@dataclass
class MentorOption:
    user: User
    score: float
    reasons: list[str]
    places_left: int


def draft_mentor_options(*, run: MatchRun, mentee: User, limit: int = 50) -> list[MentorOption]:
    """Mentors the mentee could have instead in the draft: eligible, with a place left."""
    drafted = dict(
        MatchRunPair.objects.filter(run=run)
        .exclude(mentee_id=mentee.pk)
        .order_by()
        .values("mentor_id")
        .annotate(count=Count("pk"))
        .values_list("mentor_id", "count")
    )
    current = (
        MatchRunPair.objects.filter(run=run, mentee_id=mentee.pk)
        .values_list("mentor_id", flat=True)
        .first()
    )
    options = []
    for candidate in mentor_candidates(program=run.program, mentee=mentee):
        places = candidate.places_left - drafted.get(candidate.user.pk, 0)
        if candidate.is_eligible and places > 0 and candidate.user.pk != current:
            options.append(MentorOption(candidate.user, candidate.score, candidate.reasons, places))
    return options[:limit]

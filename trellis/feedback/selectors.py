"""Reads for meeting pulses and surveys, each page's data in a fixed number of queries.

Managers read aggregates only: counts, averages, distributions and unsigned texts, each
withheld until at least three people have answered so that nobody is picked out; a
survey that says so (``shows_names``, told to people on its form) also lists each
person's answers with their name. Nothing here reads messages or meeting notes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from trellis.core.errors import NotFoundError
from trellis.feedback.models import (
    USEFULNESS_MAX,
    USEFULNESS_MIN,
    MeetingPulse,
    Survey,
    SurveyAnswer,
    SurveyAssignment,
    SurveyQuestion,
)
from trellis.mentorships.models import Mentorship
from trellis.programs.models import Program, QuestionKind, Role
from trellis.programs.selectors import AUDIENCES_BY_ROLE, program_can_manage
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.selectors import (
    MeetingOccurrence,
    is_participant,
    occurrence_of,
    recent_meetings_for,
)

PULSE_WINDOW = dt.timedelta(days=30)
OVERVIEW_WINDOW = dt.timedelta(days=90)
# Fewer answers than this are not summed up for managers: one or two could be told apart.
MIN_RESPONSES = 3
SCALE = range(USEFULNESS_MIN, USEFULNESS_MAX + 1)
MAX_COMMENTS = 200


# Pulse ------------------------------------------------------------------------------------


def pulse_problem(*, item: MeetingOccurrence, now: dt.datetime) -> str | None:
    """Why the occurrence cannot be rated now, or None: from its start to 30 days on."""
    if now < item.start:
        return "You can rate the meeting once it has begun."
    if now > item.start + PULSE_WINDOW:
        return "Meetings can be rated up to 30 days after they took place."
    return None


def pulse_for(*, series: MeetingSeries, recurrence_id: str, user: Any) -> MeetingPulse | None:
    return MeetingPulse.objects.filter(
        meeting_series=series, recurrence_id=recurrence_id, user_id=user.pk
    ).first()


@dataclass(frozen=True)
class PulseView:
    """What the pulse fragment shows one participant for one occurrence."""

    series: MeetingSeries
    recurrence_id: str
    item: MeetingOccurrence
    pulse: MeetingPulse | None
    problem: str | None

    @property
    def can_answer(self) -> bool:
        return self.problem is None

    @property
    def usefulness(self) -> int | None:
        return self.pulse.usefulness if self.pulse else None

    @property
    def comment(self) -> str:
        return self.pulse.comment if self.pulse else ""


def pulse_view(
    *,
    series: MeetingSeries,
    recurrence_id: str,
    user: Any,
    now: dt.datetime | None = None,
    pulse: MeetingPulse | None = None,
) -> PulseView | None:
    """The pulse of one occurrence for a current participant; None for anyone else, or
    for a cancelled occurrence."""
    if not is_participant(mentorship=series.mentorship, user=user) or not series.is_active:
        return None
    item = occurrence_of(series=series, recurrence_id=recurrence_id)
    if item is None:
        return None
    if pulse is None:
        pulse = pulse_for(series=series, recurrence_id=recurrence_id, user=user)
    return PulseView(
        series=series,
        recurrence_id=recurrence_id,
        item=item,
        pulse=pulse,
        problem=pulse_problem(item=item, now=now or timezone.now()),
    )


@dataclass(frozen=True)
class PulseOverview:
    since: dt.datetime
    responses: int
    average: float | None
    # (value, count, share in percent)
    distribution: list[tuple[int, int, int]]
    comments: list[str]

    @property
    def is_withheld(self) -> bool:
        return self.responses < MIN_RESPONSES


def pulse_overview(*, program: Program, now: dt.datetime | None = None) -> PulseOverview:
    """The program's pulses of the last 90 days: how many, the average, each value's count
    and the comments, unsigned (two queries)."""
    since = (now or timezone.now()) - OVERVIEW_WINDOW
    pulses = MeetingPulse.objects.filter(
        meeting_series__mentorship__program=program, created_at__gte=since
    )
    counts = pulses.aggregate(
        responses=Count("pk"),
        average=Avg("usefulness"),
        **{f"value_{value}": Count("pk", filter=Q(usefulness=value)) for value in SCALE},
    )
    responses = int(counts["responses"] or 0)
    comments: list[str] = []
    if responses >= MIN_RESPONSES:
        comments = list(
            pulses.exclude(comment="")
            .order_by("-created_at", "-pk")
            .values_list("comment", flat=True)[:MAX_COMMENTS]
        )
    return PulseOverview(
        since=since,
        responses=responses,
        average=round(float(counts["average"]), 1) if counts["average"] is not None else None,
        distribution=[
            (value, int(counts[f"value_{value}"]), _share(int(counts[f"value_{value}"]), responses))
            for value in SCALE
        ],
        comments=comments,
    )


# The mentorship page ------------------------------------------------------------------------


@dataclass(frozen=True)
class MentorshipFeedback:
    """The feedback card of a mentorship for one participant."""

    pulse: PulseView | None
    surveys: list[SurveyAssignment] = field(default_factory=list)


def mentorship_feedback(
    *, mentorship: Mentorship, user: Any, now: dt.datetime | None = None
) -> MentorshipFeedback | None:
    """The latest recent meeting user has not rated yet and their open surveys here.

    None for anyone but the current participants. Four queries at most, whatever the
    number of meetings: only the last 30 days are expanded.
    """
    if not is_participant(mentorship=mentorship, user=user):
        return None
    now = now or timezone.now()
    recent = [
        item
        for item in recent_meetings_for(mentorship=mentorship, now=now)
        if item.start >= now - PULSE_WINDOW
    ]
    pulse = None
    if recent:
        rated = set(
            MeetingPulse.objects.filter(
                user_id=user.pk, meeting_series_id__in={item.series.pk for item in recent}
            ).values_list("meeting_series_id", "recurrence_id")
        )
        latest = next(
            (item for item in recent if (item.series.pk, item.recurrence_id) not in rated), None
        )
        if latest is not None:
            pulse = PulseView(
                series=latest.series,
                recurrence_id=latest.recurrence_id,
                item=latest,
                pulse=None,
                problem=None,
            )
    surveys = list(
        SurveyAssignment.objects.filter(
            mentorship=mentorship, user_id=user.pk, opens_at__lte=now, submitted_at__isnull=True
        )
        .select_related("survey")
        .order_by("opens_at", "pk")
    )
    return MentorshipFeedback(pulse=pulse, surveys=surveys)


# Surveys: the participants' side -------------------------------------------------------------


def _assignments() -> QuerySet[SurveyAssignment]:
    return SurveyAssignment.objects.select_related(
        "survey__program", "mentorship__mentor__profile", "mentorship__mentee__profile"
    )


@dataclass(frozen=True)
class MySurveys:
    open: list[SurveyAssignment]
    answered: list[SurveyAssignment]


def survey_list_for_user(*, user: Any, now: dt.datetime | None = None) -> MySurveys:
    """The person's opened surveys: those to answer first, then those answered (one query)."""
    now = now or timezone.now()
    assignments = list(
        _assignments().filter(user_id=user.pk, opens_at__lte=now).order_by("-opens_at", "-pk")
    )
    answered = sorted(
        (a for a in assignments if a.submitted_at is not None),
        key=lambda a: (a.submitted_at, a.pk),
        reverse=True,
    )
    return MySurveys(open=[a for a in assignments if a.submitted_at is None], answered=answered)


def surveys_waiting(*, user: Any, now: dt.datetime | None = None) -> list[SurveyAssignment]:
    """The person's open surveys not answered yet, oldest first (for the dashboard)."""
    return list(
        _assignments()
        .filter(user_id=user.pk, opens_at__lte=now or timezone.now(), submitted_at__isnull=True)
        .order_by("opens_at", "pk")
    )


def assignment_for(
    *, assignment_id: int, user: Any, now: dt.datetime | None = None
) -> SurveyAssignment:
    """The person's own survey once it has opened; NotFoundError otherwise, to reveal nothing."""
    assignment = _assignments().filter(pk=assignment_id, user_id=user.pk).first()
    if assignment is None or assignment.opens_at > (now or timezone.now()):
        raise NotFoundError("No such survey.")
    return assignment


def survey_questions_for_role(*, survey: Survey, role: str) -> list[SurveyQuestion]:
    """The survey's questions asked of a mentor or a mentee, in order."""
    return list(
        SurveyQuestion.objects.filter(
            survey_id=survey.pk, audience__in=AUDIENCES_BY_ROLE.get(Role(role), ())
        ).order_by("position", "pk")
    )


def assignment_answers(*, assignment: SurveyAssignment) -> dict[int, Any]:
    """The person's answers by question id."""
    return dict(
        SurveyAnswer.objects.filter(assignment=assignment).values_list("question_id", "value")
    )


# Surveys: the managers' side ----------------------------------------------------------------


def survey_list(*, program: Program) -> list[Survey]:
    """The program's surveys with their question and answer counts (one query)."""
    questions = (
        SurveyQuestion.objects.filter(survey=OuterRef("pk"))
        .order_by()
        .values("survey")
        .annotate(n=Count("pk"))
        .values("n")
    )
    answered = (
        SurveyAssignment.objects.filter(survey=OuterRef("pk"), submitted_at__isnull=False)
        .order_by()
        .values("survey")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Survey.objects.filter(program=program)
        .annotate(
            question_count=Coalesce(Subquery(questions, output_field=IntegerField()), 0),
            answered_count=Coalesce(Subquery(answered, output_field=IntegerField()), 0),
        )
        .order_by("-is_active", "kind", "-created_at", "-pk")
    )


def survey_for_manager(*, survey_id: int, user: Any) -> Survey:
    """The survey if user may manage its program; NotFoundError otherwise."""
    survey = Survey.objects.select_related("program__organisation").filter(pk=survey_id).first()
    if survey is None or not program_can_manage(program=survey.program, user=user):
        raise NotFoundError("No such survey.")
    return survey


def question_for_manager(*, question_id: int, user: Any) -> SurveyQuestion:
    question = (
        SurveyQuestion.objects.select_related("survey__program").filter(pk=question_id).first()
    )
    if question is None or not program_can_manage(program=question.survey.program, user=user):
        raise NotFoundError("No such question.")
    return question


def survey_question_list(*, survey: Survey) -> list[SurveyQuestion]:
    return list(SurveyQuestion.objects.filter(survey_id=survey.pk).order_by("position", "pk"))


@dataclass(frozen=True)
class QuestionResult:
    question: SurveyQuestion
    answered: int
    is_withheld: bool
    average: float | None = None
    # (value or choice, count, share of the answers in percent)
    counts: list[tuple[Any, int, int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PersonAnswers:
    assignment: SurveyAssignment
    # (question, the answer as text)
    answers: list[tuple[SurveyQuestion, str]]


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    opened: int
    answered: int
    scheduled: int
    questions: list[QuestionResult]
    people: list[PersonAnswers]

    @property
    def rate(self) -> int | None:
        """Percent of the opened surveys answered."""
        return round(100 * self.answered / self.opened) if self.opened else None


def _as_text(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _share(count: int, total: int) -> int:
    return round(100 * count / total) if total else 0


def _question_result(
    question: SurveyQuestion, values: list[Any], *, shows_names: bool
) -> QuestionResult:
    answered = len(values)
    if answered < MIN_RESPONSES and not shows_names:
        return QuestionResult(question=question, answered=answered, is_withheld=True)
    if question.kind == QuestionKind.SCALE:
        numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        tally = Counter(numbers)
        return QuestionResult(
            question=question,
            answered=answered,
            is_withheld=False,
            average=round(sum(numbers) / len(numbers), 1) if numbers else None,
            counts=[(n, tally[n], _share(tally[n], len(numbers))) for n in SCALE],
        )
    if question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
        tally = Counter()
        for value in values:
            for choice in value if isinstance(value, list) else [value]:
                tally[choice] += 1
        return QuestionResult(
            question=question,
            answered=answered,
            is_withheld=False,
            counts=[
                (choice, tally[choice], _share(tally[choice], answered))
                for choice in question.choices
            ],
        )
    # Sorted, not in the order given, so a text cannot be matched to when someone answered.
    texts = sorted((str(v) for v in values if v not in ("", None)), key=str.casefold)
    return QuestionResult(question=question, answered=answered, is_withheld=False, texts=texts)


def survey_results(*, survey: Survey, now: dt.datetime | None = None) -> SurveyResults:
    """Response counts and per-question aggregates; each person's answers with names only
    where the survey shows names. Four queries, whatever the number of answers."""
    now = now or timezone.now()
    counts = SurveyAssignment.objects.filter(survey=survey).aggregate(
        opened=Count("pk", filter=Q(opens_at__lte=now)),
        answered=Count("pk", filter=Q(submitted_at__isnull=False)),
        scheduled=Count("pk", filter=Q(opens_at__gt=now)),
    )
    questions = survey_question_list(survey=survey)
    rows = list(
        SurveyAnswer.objects.filter(
            question__survey=survey, assignment__submitted_at__isnull=False
        ).values_list("assignment_id", "question_id", "value")
    )
    values_by_question: dict[int, list[Any]] = defaultdict(list)
    for _assignment_id, question_id, value in rows:
        values_by_question[question_id].append(value)
    results = [
        _question_result(q, values_by_question[q.pk], shows_names=survey.shows_names)
        for q in questions
    ]
    people: list[PersonAnswers] = []
    if survey.shows_names:
        by_assignment: dict[int, dict[int, Any]] = defaultdict(dict)
        for assignment_id, question_id, value in rows:
            by_assignment[assignment_id][question_id] = value
        assignments = (
            SurveyAssignment.objects.filter(survey=survey, submitted_at__isnull=False)
            .select_related("user__profile")
            .order_by("-submitted_at", "-pk")
        )
        people = [
            PersonAnswers(
                assignment=assignment,
                answers=[
                    (q, _as_text(by_assignment[assignment.pk][q.pk]))
                    for q in questions
                    if q.pk in by_assignment[assignment.pk]
                ],
            )
            for assignment in assignments
        ]
    return SurveyResults(
        survey=survey,
        opened=int(counts["opened"] or 0),
        answered=int(counts["answered"] or 0),
        scheduled=int(counts["scheduled"] or 0),
        questions=results,
        people=people,
    )

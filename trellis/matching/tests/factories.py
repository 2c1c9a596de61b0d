"""Factories and helpers for matching tests."""

from __future__ import annotations

import factory

from trellis.accounts.tests.factories import UserFactory
from trellis.matching.models import (
    CriterionKind,
    MatchingCriterion,
    MatchingSettings,
    MatchRun,
    MatchRunPair,
    MatchRunStatus,
    MenteeWish,
    MentorWish,
    Objective,
)
from trellis.mentorships.models import Mentorship, MentorshipSource
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.models import Role
from trellis.programs.tests.factories import EnrollmentFactory, ProgramFactory


class MatchingCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatchingCriterion

    program = factory.SubFactory(ProgramFactory)
    kind = CriterionKind.OVERLAP
    field = "languages"
    is_hard_rule = False
    weight = 5
    parameter = 1.0
    position = factory.Sequence(lambda n: n)


class MatchRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatchRun

    program = factory.SubFactory(ProgramFactory)
    created_by = factory.SubFactory(UserFactory)
    status = MatchRunStatus.DRAFT
    objective = Objective.MOST_MATCHED
    progress = 100


class MatchRunPairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatchRunPair

    run = factory.SubFactory(MatchRunFactory)
    mentee = factory.SubFactory(UserFactory)
    mentor = factory.SubFactory(UserFactory)
    score = 60.0
    reasons = factory.LazyFunction(lambda: ["Both speak English"])


def participant(program, role, *, capacity=None, email=None, **profile):
    """An approved participant of program with a profile (English, Europe/Berlin)."""
    user = UserFactory(email=email) if email else UserFactory()
    profile.setdefault("display_name", user.email.split("@")[0].capitalize())
    ProfileFactory(user=user, **profile)
    EnrollmentFactory(program=program, user=user, role=role, mentor_capacity=capacity)
    return user


def mentor_in(program, *, capacity=None, **profile):
    return participant(program, Role.MENTOR, capacity=capacity, **profile)


def mentee_in(program, **profile):
    return participant(program, Role.MENTEE, **profile)


def criteria(program, *rows):
    """Give program exactly these criteria: (field, kind, is_hard_rule, weight, parameter)."""
    MatchingCriterion.objects.filter(program=program).delete()
    for position, (field, kind, is_hard_rule, weight, parameter) in enumerate(rows):
        MatchingCriterion.objects.create(
            program=program,
            field=field,
            kind=kind,
            is_hard_rule=is_hard_rule,
            weight=weight,
            parameter=parameter,
            position=position,
        )


def settings_of(program, **changes):
    settings, _ = MatchingSettings.objects.get_or_create(program=program)
    for name, value in changes.items():
        setattr(settings, name, value)
    settings.save()
    return settings


def active_mentorship(program, *, mentor, mentee):
    return Mentorship.objects.create(
        program=program, mentor=mentor, mentee=mentee, source=MentorshipSource.MANAGER
    )


def snapshot():
    """Everything a matching action could change."""
    from trellis.notifications.models import Notification

    return {
        "settings": sorted(
            MatchingSettings.objects.values_list(
                "program_id",
                "automatch_enabled",
                "mentee_requests_enabled",
                "mentor_offers_enabled",
                "objective",
                "request_expiry_days",
                "max_open_requests",
                "wish_weight",
            )
        ),
        "criteria": sorted(
            MatchingCriterion.objects.values_list(
                "pk", "kind", "field", "is_hard_rule", "weight", "parameter", "position"
            )
        ),
        "wishes": sorted(
            MenteeWish.objects.values_list("mentee_id", "mentor_id", "is_favourite", "rank")
        )
        + sorted(MentorWish.objects.values_list("mentor_id", "mentee_id", "stance")),
        "runs": sorted(
            MatchRun.objects.values_list(
                "pk", "status", "matched_count", "unmatched_count", "total_score", "is_optimal"
            )
        ),
        "pairs": sorted(
            MatchRunPair.objects.values_list("pk", "mentee_id", "mentor_id", "score", "is_locked")
        ),
        "mentorships": sorted(Mentorship.objects.values_list("pk", "mentor_id", "mentee_id")),
        "notifications": sorted(Notification.objects.values_list("pk", "recipient_id", "kind")),
    }

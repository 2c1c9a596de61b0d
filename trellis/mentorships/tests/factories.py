import datetime as dt

import factory
from django.utils import timezone

from trellis.accounts.tests.factories import UserFactory
from trellis.mentorships.models import (
    Mentorship,
    MentorshipOffer,
    MentorshipRequest,
    MentorshipSource,
)
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.models import Role
from trellis.programs.tests.factories import EnrollmentFactory, ProgramFactory


def in_week():
    return timezone.now() + dt.timedelta(days=7)


class MentorshipFactory(factory.django.DjangoModelFactory):
    """A stored mentorship; tests of the rules go through services.mentorship_start."""

    class Meta:
        model = Mentorship

    program = factory.SubFactory(ProgramFactory)
    mentor = factory.SubFactory(UserFactory)
    mentee = factory.SubFactory(UserFactory)
    source = MentorshipSource.MANAGER
    score = 72.0
    reasons = factory.LazyFunction(lambda: ["You both speak English"])


class MentorshipRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MentorshipRequest

    program = factory.SubFactory(ProgramFactory)
    mentee = factory.SubFactory(UserFactory)
    mentor = factory.SubFactory(UserFactory)
    message = "Would you mentor me? I want to learn Python."
    expires_at = factory.LazyFunction(in_week)


class MentorshipOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MentorshipOffer

    program = factory.SubFactory(ProgramFactory)
    mentor = factory.SubFactory(UserFactory)
    mentee = factory.SubFactory(UserFactory)
    message = "I would be glad to mentor you."
    expires_at = factory.LazyFunction(in_week)


def participant(program, role, *, capacity=None, **profile):
    """An approved participant of program with a profile (English speaker by default)."""
    person = ProfileFactory(**profile).user
    EnrollmentFactory(program=program, user=person, role=role, mentor_capacity=capacity)
    return person


def mentor_in(program, *, capacity=None, **profile):
    return participant(program, Role.MENTOR, capacity=capacity, **profile)


def mentee_in(program, **profile):
    return participant(program, Role.MENTEE, **profile)

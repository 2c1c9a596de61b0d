"""Participants' wishes: favourites and ranks of mentees, mentors' prefer and avoid."""

import pytest
from django.core.exceptions import ValidationError

from trellis.accounts.tests.factories import UserFactory
from trellis.matching import services
from trellis.matching.models import MenteeWish, MentorWish
from trellis.matching.tests.factories import mentee_in, mentor_in, snapshot
from trellis.programs.models import EnrollmentStatus, Role
from trellis.programs.tests.factories import EnrollmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def people(program):
    return {
        "mentee": mentee_in(program),
        "ada": mentor_in(program),
        "grace": mentor_in(program),
        "linus": mentor_in(program),
    }


def wishes(mentee):
    return sorted(
        MenteeWish.objects.filter(mentee=mentee).values_list(
            "mentor__email", "is_favourite", "rank"
        )
    )


def test_mentee_favourites_and_ranks_mentors(program, people):
    mentee, ada, grace = people["mentee"], people["ada"], people["grace"]

    services.mentee_wish_set(
        program=program, mentee=mentee, mentor=ada, is_favourite=True, rank=None
    )
    services.mentee_wish_set(
        program=program, mentee=mentee, mentor=grace, is_favourite=False, rank=1
    )

    assert wishes(mentee) == [(ada.email, True, None), (grace.email, False, 1)]


def test_taking_a_rank_moves_its_holder_to_the_previous_rank(program, people):
    mentee, ada, grace = people["mentee"], people["ada"], people["grace"]
    services.mentee_wish_set(program=program, mentee=mentee, mentor=ada, is_favourite=False, rank=1)
    services.mentee_wish_set(
        program=program, mentee=mentee, mentor=grace, is_favourite=True, rank=2
    )

    services.mentee_wish_set(
        program=program, mentee=mentee, mentor=grace, is_favourite=True, rank=1
    )

    assert wishes(mentee) == [(ada.email, False, 2), (grace.email, True, 1)]


def test_taking_a_rank_from_an_unfavoured_wish_removes_it(program, people):
    mentee, ada, linus = people["mentee"], people["ada"], people["linus"]
    services.mentee_wish_set(program=program, mentee=mentee, mentor=ada, is_favourite=False, rank=3)

    services.mentee_wish_set(
        program=program, mentee=mentee, mentor=linus, is_favourite=False, rank=3
    )

    assert wishes(mentee) == [(linus.email, False, 3)]


def test_no_favourite_and_no_rank_removes_the_wish(program, people):
    mentee, ada = people["mentee"], people["ada"]
    services.mentee_wish_set(program=program, mentee=mentee, mentor=ada, is_favourite=True, rank=2)

    services.mentee_wish_set(
        program=program, mentee=mentee, mentor=ada, is_favourite=False, rank=None
    )

    assert wishes(mentee) == []


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"rank": 0}, {"rank": ["Give a rank from 1 to 10, or none."]}),
        ({"rank": 11}, {"rank": ["Give a rank from 1 to 10, or none."]}),
        ({"is_favourite": "yes"}, {"is_favourite": ["Give true or false."]}),
        ({"mentor": "self"}, {"mentor": ["Nobody can be their own mentor."]}),
        (
            {"mentor": "outsider"},
            {"mentor": ["This person is not a mentor taking part in the program."]},
        ),
        (
            {"mentor": "pending"},
            {"mentor": ["This person is not a mentor taking part in the program."]},
        ),
        (
            {"mentee": "mentor"},
            {"mentee": ["This person is not a mentee taking part in the program."]},
        ),
    ],
)
def test_refused_mentee_wishes_change_nothing(program, people, change, errors):
    pending = UserFactory()
    EnrollmentFactory(
        program=program, user=pending, role=Role.MENTOR, status=EnrollmentStatus.PENDING
    )
    who = {
        "self": people["mentee"],
        "outsider": UserFactory(),
        "pending": pending,
        "mentor": people["grace"],
    }
    arguments = {
        "program": program,
        "mentee": people["mentee"],
        "mentor": people["ada"],
        "is_favourite": True,
        "rank": 1,
    }
    arguments.update(
        {
            key: who.get(value, value) if isinstance(value, str) else value
            for key, value in change.items()
        }
    )
    if change.get("is_favourite") == "yes":
        arguments["is_favourite"] = "yes"
    before = snapshot()

    with pytest.raises(ValidationError) as raised:
        services.mentee_wish_set(**arguments)

    assert raised.value.message_dict == errors
    assert snapshot() == before


def test_mentor_prefers_avoids_and_clears(program, people):
    mentee, ada = people["mentee"], people["ada"]

    services.mentor_wish_set(program=program, mentor=ada, mentee=mentee, stance="prefer")
    assert list(MentorWish.objects.values_list("stance", flat=True)) == ["prefer"]

    services.mentor_wish_set(program=program, mentor=ada, mentee=mentee, stance="avoid")
    assert list(MentorWish.objects.values_list("stance", flat=True)) == ["avoid"]

    services.mentor_wish_set(program=program, mentor=ada, mentee=mentee, stance=None)
    assert not MentorWish.objects.exists()


def test_refused_mentor_wishes_change_nothing(program, people):
    services.mentor_wish_set(
        program=program, mentor=people["ada"], mentee=people["mentee"], stance="prefer"
    )
    before = snapshot()

    with pytest.raises(ValidationError) as raised:
        services.mentor_wish_set(
            program=program, mentor=people["ada"], mentee=people["mentee"], stance="adore"
        )
    assert raised.value.message_dict == {"stance": ["Choose “prefer”, “avoid” or none."]}

    with pytest.raises(ValidationError):
        services.mentor_wish_set(
            program=program, mentor=people["ada"], mentee=UserFactory(), stance="avoid"
        )
    assert snapshot() == before


def test_database_keeps_ranks_distinct_and_in_range(program, people):
    from django.db import IntegrityError, transaction

    mentee = people["mentee"]
    MenteeWish.objects.create(program=program, mentee=mentee, mentor=people["ada"], rank=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        MenteeWish.objects.create(program=program, mentee=mentee, mentor=people["grace"], rank=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        MenteeWish.objects.create(program=program, mentee=mentee, mentor=people["linus"], rank=11)

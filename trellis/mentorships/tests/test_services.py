"""Services: happy paths, and every refusal leaves everything as it was."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from trellis.accounts.tests.factories import UserFactory
from trellis.core.errors import PermissionDeniedError
from trellis.matching.models import MenteeWish, MentorWish, WishStance
from trellis.mentorships import selectors, services
from trellis.mentorships.models import (
    Mentorship,
    MentorshipOffer,
    MentorshipRequest,
    MentorshipSource,
    MentorshipStatus,
    OfferStatus,
    RequestStatus,
)
from trellis.mentorships.tasks import requests_expire_task
from trellis.mentorships.tests.factories import (
    MentorshipFactory,
    MentorshipOfferFactory,
    MentorshipRequestFactory,
    mentor_in,
    participant,
)
from trellis.mentorships.tests.helpers import kinds_for, settings_of, snapshot
from trellis.programs.models import Enrollment, EnrollmentStatus, Role
from trellis.programs.tests.factories import EnrollmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Hello! I would love to learn from you."


def send(world, mentee="mentee", mentor="mentor", message=MESSAGE):
    return services.request_send(
        program=world["program"], mentee=world[mentee], mentor=world[mentor], message=message
    )


def start(world, mentee="mentee", mentor="mentor", by=None, source=MentorshipSource.AUTOMATCH):
    return services.mentorship_start(
        program=world["program"],
        mentor=world[mentor],
        mentee=world[mentee],
        source=source,
        score=80.0,
        reasons=["You both speak English"],
        by=by,
    )


def refused(action, error=ValidationError, match=None):
    """Run action, expecting error; assert nothing changed."""
    before = snapshot()
    with pytest.raises(error, match=match):
        action()
    assert snapshot() == before


# mentorship_start ------------------------------------------------------------------------


def test_start_creates_the_mentorship_and_tells_both(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentorship = start(world)
    assert mentorship.status == MentorshipStatus.ACTIVE
    assert (mentorship.mentor, mentorship.mentee) == (world["mentor"], world["mentee"])
    assert mentorship.score == 80.0
    assert mentorship.reasons == ["You both speak English"]
    assert mentorship.started_by is None
    assert kinds_for(world["mentee"]) == ["mentorship.started"]
    assert kinds_for(world["mentor"]) == ["mentorship.started"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world["mentor"].email, world["mentee"].email]
    )


def test_start_without_notify_tells_nobody(world):
    services.mentorship_start(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["mentee"],
        source=MentorshipSource.AUTOMATCH,
        score=None,
        reasons=[],
        by=None,
        notify=False,
    )
    assert kinds_for(world["mentee"]) == []
    assert kinds_for(world["mentor"]) == []


def test_start_refuses_a_mentor_without_places(world):
    Enrollment.objects.filter(user=world["mentor"]).update(mentor_capacity=1)
    start(world)
    refused(lambda: start(world, mentee="other_mentee"), match="no places left")


def test_start_uses_the_program_capacity_when_the_mentor_has_none(world):
    start(world)
    start(world, mentee="other_mentee")
    refused(lambda: start(world, mentee="third_mentee"), match="all 2 are taken")


def test_start_refuses_a_mentee_who_has_a_mentor(world):
    start(world)
    refused(lambda: start(world, mentor="other_mentor"), match="already has a mentor")


@pytest.mark.parametrize(
    ("mentor", "mentee", "message"),
    [
        ("mentee", "other_mentee", "not an approved mentor"),
        ("mentor", "other_mentor", "not an approved mentee"),
        ("mentor", "pending", "not an approved mentee"),
        ("mentor", "outsider", "not an approved mentee"),
        ("mentor", "mentor", "Nobody can mentor themself"),
    ],
)
def test_start_refuses_people_not_in_the_right_role(world, mentor, mentee, message):
    refused(lambda: start(world, mentor=mentor, mentee=mentee), match=message)


def test_start_by_an_outsider_or_for_a_manager_pairing_by_a_participant_is_refused(world):
    refused(lambda: start(world, by=world["outsider"]), PermissionDeniedError)
    refused(lambda: start(world, by=world["other_manager"]), PermissionDeniedError)
    refused(
        lambda: start(world, by=world["mentor"], source=MentorshipSource.MANAGER),
        PermissionDeniedError,
    )
    # Each side decides only its own way in: the mentor a request, the mentee an offer.
    refused(
        lambda: start(world, by=world["mentee"], source=MentorshipSource.REQUEST),
        PermissionDeniedError,
    )
    refused(
        lambda: start(world, by=world["mentor"], source=MentorshipSource.OFFER),
        PermissionDeniedError,
    )
    mentorship = start(world, by=world["manager"], source=MentorshipSource.MANAGER)
    assert mentorship.started_by == world["manager"]


def test_start_refuses_a_score_out_of_range_and_an_unknown_source(world):
    refused(
        lambda: services.mentorship_start(
            program=world["program"],
            mentor=world["mentor"],
            mentee=world["mentee"],
            source=MentorshipSource.AUTOMATCH,
            score=101,
            reasons=[],
            by=None,
        )
    )
    refused(lambda: start(world, source="magic"))


def test_start_closes_the_mentees_open_requests_and_offers(world):
    request = send(world, mentor="other_mentor")
    offer = services.offer_send(
        program=world["program"],
        mentor=world["other_mentor"],
        mentee=world["mentee"],
        message="Join me",
    )
    mentorship = start(world)
    request.refresh_from_db()
    offer.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    assert offer.status == OfferStatus.CANCELLED
    assert "mentorship_request.cancelled" in kinds_for(world["other_mentor"])
    assert "mentorship_offer.cancelled" in kinds_for(world["other_mentor"])
    assert mentorship.is_active


def test_database_holds_one_active_mentorship_per_mentee(world):
    MentorshipFactory(program=world["program"], mentor=world["mentor"], mentee=world["mentee"])
    with pytest.raises(IntegrityError), transaction.atomic():
        MentorshipFactory(
            program=world["program"], mentor=world["other_mentor"], mentee=world["mentee"]
        )
    # An ended one does not count.
    Mentorship.objects.update(status=MentorshipStatus.ENDED)
    MentorshipFactory(
        program=world["program"], mentor=world["other_mentor"], mentee=world["mentee"]
    )


def test_database_refuses_self_mentoring(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        MentorshipFactory(program=world["program"], mentor=world["mentor"], mentee=world["mentor"])


def test_database_holds_one_open_request_and_offer_per_pair(world):
    pair = {"program": world["program"], "mentor": world["mentor"], "mentee": world["mentee"]}
    MentorshipRequestFactory(**pair)
    with pytest.raises(IntegrityError), transaction.atomic():
        MentorshipRequestFactory(**pair, status=RequestStatus.INFO_REQUESTED)
    MentorshipRequestFactory(**pair, status=RequestStatus.DECLINED)
    MentorshipOfferFactory(**pair)
    with pytest.raises(IntegrityError), transaction.atomic():
        MentorshipOfferFactory(**pair)


def test_contract_selectors(world):
    start(world)
    start(world, mentee="other_mentee")
    start(world, mentor="other_mentor", mentee="third_mentee")
    program = world["program"]
    assert selectors.active_mentorship_counts(program=program) == {
        world["mentor"].pk: 2,
        world["other_mentor"].pk: 1,
    }
    assert selectors.active_mentee_ids(program=program) == {
        world["mentee"].pk,
        world["other_mentee"].pk,
        world["third_mentee"].pk,
    }
    assert sorted(selectors.active_pairs(program=program)) == sorted(
        [
            (world["mentee"].pk, world["mentor"].pk),
            (world["other_mentee"].pk, world["mentor"].pk),
            (world["third_mentee"].pk, world["other_mentor"].pk),
        ]
    )
    Mentorship.objects.filter(mentee=world["third_mentee"]).update(status=MentorshipStatus.ENDED)
    assert selectors.active_mentorship_counts(program=program) == {world["mentor"].pk: 2}


# request_send ------------------------------------------------------------------------------


def test_send_request_tells_the_mentor(world):
    before = timezone.now()
    request = send(world, message="  Hello there  ")
    assert request.status == RequestStatus.OPEN
    assert request.message == "Hello there"
    assert before + dt.timedelta(days=7) <= request.expires_at
    assert request.expires_at <= timezone.now() + dt.timedelta(days=7)
    assert kinds_for(world["mentor"]) == ["mentorship_request.received"]


def test_send_request_uses_the_programs_expiry(world):
    settings_of(world["program"], request_expiry_days=2)
    request = send(world)
    assert request.expires_at <= timezone.now() + dt.timedelta(days=2)


@pytest.mark.parametrize(
    ("message", "error"),
    [("", "Write a message."), ("   ", "Write a message."), ("x" * 2001, "under 2000")],
)
def test_send_request_needs_a_message_of_reasonable_length(world, message, error):
    refused(lambda: send(world, message=message), match=error)


def test_send_request_refused_when_the_program_takes_no_requests(world):
    settings_of(world["program"], mentee_requests_enabled=False)
    refused(lambda: send(world), match="does not take requests")


@pytest.mark.parametrize("who", ["mentor", "pending", "outsider"])
def test_only_approved_mentees_send_requests(world, who):
    refused(lambda: send(world, mentee=who, mentor="other_mentor"), PermissionDeniedError)


@pytest.mark.parametrize("who", ["other_mentee", "pending", "outsider"])
def test_requests_go_only_to_approved_mentors(world, who):
    refused(lambda: send(world, mentor=who), match="not a mentor in this program")


def test_a_request_to_oneself_is_refused(world):
    both = participant(world["program"], Role.BOTH)
    world["both"] = both
    refused(lambda: send(world, mentee="both", mentor="both"), match="cannot ask yourself")


def test_a_mentee_with_a_mentor_cannot_send_requests(world):
    start(world, mentor="other_mentor")
    refused(lambda: send(world), match="already have a mentor")


def test_one_open_request_per_pair(world):
    send(world)
    refused(lambda: send(world), match="already asked")
    # Once answered, the mentee may ask again.
    MentorshipRequest.objects.update(status=RequestStatus.DECLINED)
    assert send(world).status == RequestStatus.OPEN


def test_at_most_max_open_requests(world):
    settings_of(world["program"], max_open_requests=2)
    extra = mentor_in(world["program"])
    world["extra"] = extra
    send(world)
    send(world, mentor="other_mentor")
    refused(lambda: send(world, mentor="extra"), match="at most 2 open requests")
    MentorshipRequest.objects.filter(mentor=world["mentor"]).update(status=RequestStatus.WITHDRAWN)
    assert send(world, mentor="extra").status == RequestStatus.OPEN


def test_a_request_to_a_full_mentor_is_refused(world):
    Enrollment.objects.filter(user=world["mentor"]).update(mentor_capacity=1)
    start(world, mentee="other_mentee")
    refused(lambda: send(world), match="no places left")


def test_a_mentor_who_avoids_the_mentee_cannot_be_asked(world):
    MentorWish.objects.create(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["mentee"],
        stance=WishStance.AVOID,
    )
    refused(lambda: send(world), match="not available to you")


def test_a_mentor_the_programs_hard_rules_exclude_cannot_be_asked(world):
    # The default rules ask for a shared language.
    french = mentor_in(world["program"], languages=["fr"])
    world["french"] = french
    refused(lambda: send(world, mentor="french"), match="not available to you")


def test_accept_is_refused_once_the_rules_forbid_the_pair(world):
    request = send(world)
    MentorWish.objects.create(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["mentee"],
        stance=WishStance.AVOID,
    )
    refused(
        lambda: services.request_accept(request=request, by=world["mentor"]),
        match="matching rules do not allow this pair",
    )


# Answers -------------------------------------------------------------------------------------


def test_accept_starts_the_mentorship_and_closes_the_other_requests(
    world, django_capture_on_commit_callbacks
):
    request = send(world)
    other = send(world, mentor="other_mentor")
    with django_capture_on_commit_callbacks(execute=True):
        mentorship = services.request_accept(request=request, by=world["mentor"])
    assert request.status == RequestStatus.ACCEPTED
    assert request.mentorship == mentorship
    assert mentorship.source == MentorshipSource.REQUEST
    assert mentorship.started_by == world["mentor"]
    assert (mentorship.mentor, mentorship.mentee) == (world["mentor"], world["mentee"])
    other.refresh_from_db()
    assert other.status == RequestStatus.CANCELLED
    assert kinds_for(world["other_mentor"]) == [
        "mentorship_request.received",
        "mentorship_request.cancelled",
    ]
    # The mentor acted and is not told of it; the mentee is.
    assert kinds_for(world["mentee"]) == ["mentorship.started"]
    assert kinds_for(world["mentor"]) == ["mentorship_request.received"]


def test_accept_with_no_place_left_changes_nothing_and_says_why(world):
    Enrollment.objects.filter(user=world["mentor"]).update(mentor_capacity=1)
    first = send(world)
    second = send(world, mentee="other_mentee")
    services.request_accept(request=first, by=world["mentor"])
    refused(
        lambda: services.request_accept(request=second, by=world["mentor"]),
        match="You have no places left in Garden: all 1 are taken.",
    )
    second.refresh_from_db()
    assert second.status == RequestStatus.OPEN


@pytest.mark.parametrize("who", ["mentee", "other_mentor", "manager", "staff"])
def test_only_the_mentor_asked_answers(world, who):
    request = send(world)
    by = world[who]
    refused(lambda: services.request_accept(request=request, by=by), PermissionDeniedError)
    refused(lambda: services.request_decline(request=request, by=by), PermissionDeniedError)
    refused(
        lambda: services.request_ask_info(request=request, by=by, question="Why?"),
        PermissionDeniedError,
    )


def test_an_answered_or_expired_request_cannot_be_answered_again(world):
    request = send(world)
    services.request_decline(request=request, by=world["mentor"], note="Sorry, too busy.")
    refused(lambda: services.request_accept(request=request, by=world["mentor"]), match="declined")
    late = send(world, mentor="other_mentor")
    MentorshipRequest.objects.filter(pk=late.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    refused(
        lambda: services.request_accept(request=late, by=world["other_mentor"]), match="expired"
    )


def test_decline_with_a_note_tells_the_mentee(world):
    request = send(world)
    services.request_decline(request=request, by=world["mentor"], note=" Too busy this term. ")
    request.refresh_from_db()
    assert request.status == RequestStatus.DECLINED
    assert request.response_note == "Too busy this term."
    assert request.decided_at is not None
    assert kinds_for(world["mentee"]) == ["mentorship_request.declined"]


def test_decline_note_too_long_is_refused(world):
    request = send(world)
    refused(
        lambda: services.request_decline(request=request, by=world["mentor"], note="x" * 2001),
        match="under 2000",
    )


def test_ask_for_information_then_reply(world):
    request = send(world)
    services.request_ask_info(request=request, by=world["mentor"], question="What is your goal?")
    assert request.status == RequestStatus.INFO_REQUESTED
    assert request.info_question == "What is your goal?"
    assert kinds_for(world["mentee"]) == ["mentorship_request.info_requested"]
    # Still open: it counts towards the limit and may be accepted.
    assert selectors.open_request_count(program=world["program"], mentee=world["mentee"]) == 1
    refused(
        lambda: services.request_reply_info(request=request, by=world["mentor"], message="x"),
        PermissionDeniedError,
    )
    refused(
        lambda: services.request_reply_info(request=request, by=world["mentee"], message=" "),
        match="Write your answer",
    )
    services.request_reply_info(request=request, by=world["mentee"], message="Backend work.")
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN
    assert request.info_reply == "Backend work."
    assert kinds_for(world["mentor"])[-1] == "mentorship_request.info_given"
    refused(
        lambda: services.request_reply_info(request=request, by=world["mentee"], message="More"),
        match="not asked you anything",
    )
    services.request_accept(request=request, by=world["mentor"])


def test_ask_needs_a_question(world):
    request = send(world)
    refused(
        lambda: services.request_ask_info(request=request, by=world["mentor"], question=""),
        match="Write your question",
    )


def test_withdraw(world):
    request = send(world)
    refused(
        lambda: services.request_withdraw(request=request, by=world["mentor"]),
        PermissionDeniedError,
    )
    services.request_withdraw(request=request, by=world["mentee"])
    assert request.status == RequestStatus.WITHDRAWN
    assert kinds_for(world["mentor"])[-1] == "mentorship_request.withdrawn"
    refused(
        lambda: services.request_withdraw(request=request, by=world["mentee"]), match="withdrawn"
    )


# Expiry and rollover -----------------------------------------------------------------------


def age(request, days=8):
    MentorshipRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=days - 7)
    )


def test_expired_request_rolls_over_to_the_next_choice(world):
    third = mentor_in(world["program"], display_name="Third Mentor")
    request = send(world)
    send(world, mentor="other_mentor")  # already asked: not a next choice
    age(request)
    assert services.requests_expire() == 1
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    rollover = MentorshipRequest.objects.get(rollover_of=request)
    assert rollover.mentor == third
    assert rollover.status == RequestStatus.OPEN
    assert rollover.message == request.message
    assert kinds_for(world["mentee"]) == ["mentorship_request.expired"]
    assert kinds_for(third) == ["mentorship_request.received"]
    assert "mentorship_request.expired" in kinds_for(world["mentor"])
    # Nothing more is due.
    assert services.requests_expire() == 0


def test_rollover_prefers_the_mentees_ranked_and_favourite_mentors(world):
    program = world["program"]
    favourite = mentor_in(program, display_name="Favourite")
    ranked = mentor_in(program, display_name="Ranked")
    MenteeWish.objects.create(
        program=program, mentee=world["mentee"], mentor=favourite, is_favourite=True
    )
    MenteeWish.objects.create(program=program, mentee=world["mentee"], mentor=ranked, rank=1)
    request = send(world)
    age(request)
    services.requests_expire()
    assert MentorshipRequest.objects.get(rollover_of=request).mentor == ranked


def test_rollover_skips_full_and_unavailable_mentors(world):
    program = world["program"]
    Enrollment.objects.filter(user=world["other_mentor"]).update(mentor_capacity=1)
    start(world, mentor="other_mentor", mentee="third_mentee")
    avoider = mentor_in(program)
    MentorWish.objects.create(
        program=program, mentor=avoider, mentee=world["mentee"], stance=WishStance.AVOID
    )
    request = send(world)
    age(request)
    services.requests_expire()
    assert not MentorshipRequest.objects.filter(rollover_of=request).exists()
    assert MentorshipRequest.objects.get(pk=request.pk).status == RequestStatus.EXPIRED


def test_no_rollover_when_the_mentee_was_asked_a_question(world):
    mentor_in(world["program"])
    request = send(world)
    services.request_ask_info(request=request, by=world["mentor"], question="Why me?")
    age(request, days=9)
    assert services.requests_expire() == 1
    assert MentorshipRequest.objects.get(pk=request.pk).status == RequestStatus.EXPIRED
    assert not MentorshipRequest.objects.filter(rollover_of=request).exists()


def test_expiry_leaves_requests_before_their_time_and_answered_ones(world):
    request = send(world)
    services.request_decline(request=request, by=world["mentor"])
    fresh = send(world, mentor="other_mentor")
    MentorshipRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    assert services.requests_expire() == 0
    assert services.requests_expire(now=fresh.expires_at) == 1


def test_expiry_can_be_narrowed_to_a_person(world):
    mine = send(world)
    theirs = send(world, mentee="other_mentee", mentor="other_mentor")
    age(mine)
    age(theirs)
    assert services.requests_expire(program=world["program"], user=world["mentee"]) == 1
    assert MentorshipRequest.objects.get(pk=theirs.pk).status == RequestStatus.OPEN


def test_offers_expire_too(world):
    offer = services.offer_send(
        program=world["program"], mentor=world["mentor"], mentee=world["mentee"], message="Hi"
    )
    MentorshipOffer.objects.filter(pk=offer.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert services.requests_expire() == 1
    assert MentorshipOffer.objects.get(pk=offer.pk).status == OfferStatus.EXPIRED
    assert kinds_for(world["mentor"]) == ["mentorship_offer.expired"]


def test_the_command_and_the_task_run_the_sweep(world, capsys):
    request = send(world)
    age(request)
    call_command("mentorships_expire")
    assert "Expired 1 request(s) and offer(s)." in capsys.readouterr().out
    other = MentorshipRequest.objects.get(rollover_of=request)
    age(other)
    result = requests_expire_task.enqueue()
    assert result.return_value == 1


# Offers -----------------------------------------------------------------------------------------


def offer(world, mentor="mentor", mentee="mentee", message="I can help with Python."):
    return services.offer_send(
        program=world["program"], mentor=world[mentor], mentee=world[mentee], message=message
    )


def test_offer_then_accept(world, django_capture_on_commit_callbacks):
    made = offer(world)
    assert made.status == OfferStatus.OPEN
    assert kinds_for(world["mentee"]) == ["mentorship_offer.received"]
    request = send(world, mentor="other_mentor")
    with django_capture_on_commit_callbacks(execute=True):
        mentorship = services.offer_accept(offer=made, by=world["mentee"])
    assert made.status == OfferStatus.ACCEPTED
    assert made.mentorship == mentorship
    assert mentorship.source == MentorshipSource.OFFER
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    assert kinds_for(world["mentor"]) == ["mentorship.started"]


def test_offer_refusals(world):
    refused(lambda: offer(world, message=""), match="Write a message")
    refused(lambda: offer(world, mentor="mentee", mentee="other_mentee"), PermissionDeniedError)
    refused(lambda: offer(world, mentee="other_mentor"), match="not a mentee")
    refused(lambda: offer(world, mentee="pending"), match="not a mentee")
    offer(world)
    refused(lambda: offer(world), match="already made")
    settings_of(world["program"], mentor_offers_enabled=False)
    refused(lambda: offer(world, mentee="other_mentee"), match="does not take offers")


def test_offer_to_a_mentee_with_a_mentor_or_from_a_full_mentor_is_refused(world):
    Enrollment.objects.filter(user=world["mentor"]).update(mentor_capacity=1)
    start(world, mentee="other_mentee")
    refused(lambda: offer(world), match="no places left")
    refused(
        lambda: offer(world, mentor="other_mentor", mentee="other_mentee"),
        match="already has a mentor",
    )


def test_offer_to_an_avoided_mentee_is_refused(world):
    MentorWish.objects.create(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["mentee"],
        stance=WishStance.AVOID,
    )
    refused(lambda: offer(world), match="cannot be matched with you")


def test_offer_accept_when_the_mentor_filled_up_changes_nothing(world):
    Enrollment.objects.filter(user=world["mentor"]).update(mentor_capacity=1)
    made = offer(world)
    start(world, mentee="other_mentee")
    refused(lambda: services.offer_accept(offer=made, by=world["mentee"]), match="no places left")


def test_only_the_mentee_answers_an_offer_and_only_the_mentor_withdraws_it(world):
    made = offer(world)
    for who in ("mentor", "other_mentee", "manager"):
        refused(
            lambda who=who: services.offer_accept(offer=made, by=world[who]), PermissionDeniedError
        )
        refused(
            lambda who=who: services.offer_decline(offer=made, by=world[who]), PermissionDeniedError
        )
    refused(lambda: services.offer_withdraw(offer=made, by=world["mentee"]), PermissionDeniedError)
    services.offer_decline(offer=made, by=world["mentee"], note="I found someone nearer.")
    assert made.status == OfferStatus.DECLINED
    assert made.response_note == "I found someone nearer."
    assert kinds_for(world["mentor"]) == ["mentorship_offer.declined"]
    refused(lambda: services.offer_accept(offer=made, by=world["mentee"]), match="declined")
    refused(lambda: services.offer_withdraw(offer=made, by=world["mentor"]), match="declined")


def test_withdraw_offer(world):
    made = offer(world)
    services.offer_withdraw(offer=made, by=world["mentor"])
    assert made.status == OfferStatus.WITHDRAWN
    assert kinds_for(world["mentee"])[-1] == "mentorship_offer.withdrawn"
    # A new offer may follow a withdrawn one.
    assert offer(world).status == OfferStatus.OPEN


def test_peer_program_participant_can_be_mentor_and_mentee(world):
    program = ProgramFactory()
    first = participant(program, Role.BOTH)
    second = participant(program, Role.BOTH)
    services.request_send(program=program, mentee=first, mentor=second, message="Swap?")
    services.request_send(program=program, mentee=second, mentor=first, message="Swap!")
    assert MentorshipRequest.objects.filter(program=program).count() == 2


def test_a_mentor_who_left_the_program_cannot_be_asked_or_matched(world):
    Enrollment.objects.filter(user=world["mentor"]).update(status=EnrollmentStatus.LEFT)
    refused(lambda: send(world), match="not a mentor")
    refused(lambda: start(world), match="not an approved mentor")


def test_inactive_mentor_cannot_be_asked(world):
    world["mentor"].is_active = False
    world["mentor"].save()
    refused(lambda: send(world), match="not a mentor")


def test_mentee_in_another_program_is_not_a_participant(world):
    elsewhere = ProgramFactory()
    EnrollmentFactory(program=elsewhere, user=UserFactory(), role=Role.MENTOR)
    refused(
        lambda: services.request_send(
            program=elsewhere,
            mentee=world["mentee"],
            mentor=world["mentor"],
            message=MESSAGE,
        ),
        PermissionDeniedError,
    )

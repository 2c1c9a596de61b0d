"""Double opt-in, the conversation or hand-over after both yeses, quiet "not now", expiry."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.introductions import selectors, services
from trellis.introductions.models import Answer, Introduction, IntroductionStatus
from trellis.introductions.tests.conftest import KIM_EMAIL, NOAH_EMAIL, OUTSIDE_EMAIL
from trellis.introductions.tests.helpers import (
    MESSAGE,
    all_mail_to,
    introduce,
    introduce_outside,
)
from trellis.mentorships.models import MentorshipStatus
from trellis.mentorships.tests.factories import mentee_in
from trellis.messaging.models import ConversationKind, ConversationMember, Message
from trellis.messaging.selectors import conversation_list_for
from trellis.notifications.models import Notification
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db

NOT_NOW_TITLE = "Your introduction of Noah and Kim will not go ahead for now"


def seen_by(introduction: Introduction, world: dict, role: str) -> str:
    """The state label the person in ``role`` reads, loaded as their pages load it."""
    person = {"introducer": world["mentor"], "mentee": world["mentee"], "contact": world["contact"]}
    view = selectors.introduction_for(introduction_id=introduction.pk, user=person[role])
    return view.state_label


def notifications(user) -> list[tuple[str, str, str]]:
    return list(
        Notification.objects.filter(recipient=user)
        .order_by("pk")
        .values_list("kind", "title", "url")
    )


# Making one ----------------------------------------------------------------------------------


def test_both_are_asked_at_once_and_nothing_is_shared_yet(world):
    introduction = introduce(world)

    assert introduction.status == IntroductionStatus.PENDING
    assert (introduction.mentee_answer, introduction.contact_answer) == ("pending", "pending")
    assert introduction.token_hash == ""
    assert introduction.conversation is None
    assert dt.timedelta(days=20, hours=23) < introduction.expires_at - timezone.now()
    url = f"/introductions/{introduction.pk}/"
    assert notifications(world["mentee"]) == [
        ("introduction.asked", "Mara would like to introduce you to Kim", url)
    ]
    assert notifications(world["contact"]) == [
        ("introduction.asked", "Mara would like to introduce you to Noah", url)
    ]
    assert notifications(world["mentor"]) == []
    assert seen_by(introduction, world, "introducer") == "Waiting for answers"
    assert seen_by(introduction, world, "mentee") == "Waiting for your answer"
    assert seen_by(introduction, world, "contact") == "Waiting for your answer"


@pytest.mark.parametrize(
    ("who", "change", "error"),
    [
        ("mentee", {}, PermissionDeniedError),
        ("contact", {}, PermissionDeniedError),
        ("manager", {}, PermissionDeniedError),
        ("mentor", {"message": "   "}, ValidationError),
        ("mentor", {"message": "x" * 2001}, ValidationError),
        ("mentor", {"contact": "mentor"}, ValidationError),
        ("mentor", {"contact": "mentee"}, ValidationError),
        ("mentor", {"contact": "manager"}, ValidationError),  # not a participant
        ("mentor", {"contact": None}, ValidationError),
        ("mentor", {"contact_name": "Olga", "contact_email": OUTSIDE_EMAIL}, ValidationError),
    ],
)
def test_who_may_introduce_whom(world, who, change, error):
    fields = {"contact": world["contact"], "message": MESSAGE}
    for key, value in change.items():
        fields[key] = world[value] if key == "contact" and value else value

    with pytest.raises(error):
        services.introduction_create(
            mentorship=world["pair"], by=world[who], mentee=world["mentee"], **fields
        )

    assert Introduction.objects.count() == 0
    assert Notification.objects.count() == 0


def test_a_participant_of_another_program_is_not_offered(world):
    stranger = mentee_in(ProgramFactory(), display_name="Stranger")

    with pytest.raises(ValidationError) as caught:
        introduce(world, contact=stranger)

    assert caught.value.message_dict == {"contact": ["Pick a participant of the program."]}


@pytest.mark.parametrize(
    ("name", "email", "field"),
    [
        ("", OUTSIDE_EMAIL, "contact_name"),
        ("Olga", "not an address", "contact_email"),
        ("Olga", "", "contact_email"),
    ],
)
def test_an_outside_person_needs_a_name_and_an_address(world, name, email, field):
    with pytest.raises(ValidationError) as caught:
        introduce(world, contact_name=name, contact_email=email)

    assert field in caught.value.message_dict
    assert Introduction.objects.count() == 0


def test_the_mentor_cannot_introduce_to_their_own_address(world):
    with pytest.raises(ValidationError) as caught:
        introduce(world, contact_name="Me", contact_email=world["mentor"].email.upper())

    assert caught.value.message_dict == {
        "contact_email": ["That is your own address: give theirs."]
    }


@pytest.mark.parametrize("status", [MentorshipStatus.PROPOSED, MentorshipStatus.COMPLETED])
def test_introductions_are_made_while_the_mentorship_goes_on(world, status):
    world["pair"].status = status
    world["pair"].save(update_fields=["status"])

    with pytest.raises(ValidationError):
        introduce(world)

    assert Introduction.objects.count() == 0


def test_in_a_group_the_mentor_introduces_one_of_its_current_members():
    from trellis.scheduling.tests.helpers import berlin_new_york_tokyo_group, group_people

    group = berlin_new_york_tokyo_group(extra_members=1)
    people = group_people(group)
    outsider = mentee_in(ProgramFactory(), display_name="Elsewhere")

    introduction = services.introduction_create(
        mentorship=group,
        by=people["mentor"],
        mentee=people["kenji"],
        contact_name="Olga",
        contact_email=OUTSIDE_EMAIL,
        message=MESSAGE,
    )
    assert introduction.mentee == people["kenji"]
    with pytest.raises(ValidationError) as caught:
        services.introduction_create(
            mentorship=group,
            by=people["mentor"],
            mentee=outsider,
            contact_name="Olga",
            contact_email="other@example.com",
            message=MESSAGE,
        )
    assert caught.value.message_dict == {"mentee": ["Pick one of your mentees."]}


# One pending introduction of the same two ----------------------------------------------------


def test_the_same_two_are_not_introduced_twice_while_it_waits(world):
    introduce(world)

    with pytest.raises(ValidationError) as caught:
        introduce(world)

    assert caught.value.messages == ["An introduction of these two is already waiting for answers."]
    assert Introduction.objects.count() == 1


def test_the_same_outside_address_in_other_letters_is_the_same_person(world):
    introduce(world, contact_name="Olga", contact_email=OUTSIDE_EMAIL)

    with pytest.raises(ValidationError):
        introduce(world, contact_name="Olga O.", contact_email=OUTSIDE_EMAIL.upper())

    assert Introduction.objects.count() == 1


def test_once_it_ended_the_two_may_be_introduced_again(world):
    first = introduce(world)
    services.introduction_decline(introduction=first, by=world["contact"])

    second = introduce(world)

    assert second.status == IntroductionStatus.PENDING
    assert Introduction.objects.count() == 2


def test_the_database_refuses_a_second_pending_one_of_the_same_two(world):
    first = introduce(world)
    outside = introduce(world, contact_name="Olga", contact_email=OUTSIDE_EMAIL)

    for template, changes in (
        (first, {}),
        (outside, {"contact_email": OUTSIDE_EMAIL.upper(), "token_hash": "f" * 64}),
    ):
        copy = Introduction.objects.get(pk=template.pk)
        copy.pk = None
        for key, value in changes.items():
            setattr(copy, key, value)
        with pytest.raises(IntegrityError), transaction.atomic():
            copy.save()

    assert Introduction.objects.count() == 2


@pytest.mark.parametrize(
    "changes",
    [
        # Both kinds of contact at once, or neither.
        {"contact_name": "Olga", "contact_email": OUTSIDE_EMAIL},
        {"contact": None},
        # A status the answers do not give.
        {"status": IntroductionStatus.ACCEPTED},
        {"status": IntroductionStatus.NOT_NOW},
        {"mentee_answer": Answer.NOT_NOW, "mentee_answered_at": timezone.now()},
        # An answer without its time.
        {"mentee_answer": Answer.ACCEPTED},
        # The mentee introduced to themself.
        {"contact": "mentee"},
    ],
)
def test_the_database_holds_the_rules(world, changes):
    introduction = introduce(world)
    for key, value in changes.items():
        setattr(introduction, key, world[value] if value == "mentee" else value)

    with pytest.raises(IntegrityError), transaction.atomic():
        introduction.save()


# Double opt-in with a participant -----------------------------------------------------------


@pytest.mark.parametrize("first", ["mentee", "contact"])
def test_both_say_yes_in_either_order_and_only_then_the_three_talk(world, first):
    introduction = introduce(world)
    second = "contact" if first == "mentee" else "mentee"

    services.introduction_accept(introduction=introduction, by=world[first])

    introduction.refresh_from_db()
    assert introduction.status == IntroductionStatus.PENDING
    assert introduction.conversation is None
    assert not ConversationMember.objects.filter(conversation__kind="introduction").exists()
    assert seen_by(introduction, world, first) == "You accepted; waiting for the other answer"
    assert seen_by(introduction, world, second) == "Waiting for your answer"
    assert seen_by(introduction, world, "introducer") == "Waiting for answers"

    services.introduction_accept(introduction=introduction, by=world[second])

    introduction.refresh_from_db()
    assert introduction.status == IntroductionStatus.ACCEPTED
    assert introduction.accepted_at is not None
    conversation = introduction.conversation
    assert conversation.kind == ConversationKind.INTRODUCTION
    assert conversation.program == world["program"]
    members = ConversationMember.objects.filter(conversation=conversation, is_active=True)
    assert sorted(members.values_list("user_id", "can_write")) == sorted(
        [(world[role].pk, True) for role in ("mentor", "mentee", "contact")]
    )
    first_message = Message.objects.get(conversation=conversation)
    assert first_message.sender == world["mentor"]
    assert first_message.body == f"Noah, meet Kim. Kim, meet Noah.\n\n{MESSAGE}"
    for role in ("introducer", "mentee", "contact"):
        assert seen_by(introduction, world, role) == "Accepted: you can meet"
    url = f"/messages/{conversation.pk}/"
    assert notifications(world["mentor"])[-1] == (
        "introduction.accepted",
        "Noah and Kim both said yes",
        url,
    )
    assert notifications(world["mentee"])[-1] == (
        "introduction.accepted",
        "You and Kim both said yes: say hello",
        url,
    )
    assert notifications(world["contact"])[-1] == (
        "introduction.accepted",
        "You and Noah both said yes: say hello",
        url,
    )


def test_the_conversation_is_titled_by_its_three_people(world):
    introduction = introduce(world)
    services.introduction_accept(introduction=introduction, by=world["mentee"])
    services.introduction_accept(introduction=introduction, by=world["contact"])

    titles = {
        summary.title
        for summary in conversation_list_for(user=world["contact"])
        if summary.conversation.kind == ConversationKind.INTRODUCTION
    }

    assert titles == {"Mara, Noah and you"}


def test_an_answer_is_given_once(world):
    introduction = introduce(world)
    services.introduction_accept(introduction=introduction, by=world["mentee"])

    with pytest.raises(ValidationError, match="You have already answered"):
        services.introduction_decline(introduction=introduction, by=world["mentee"])

    introduction.refresh_from_db()
    assert (introduction.mentee_answer, introduction.status) == ("accepted", "pending")


def test_the_introducer_does_not_answer_and_others_are_told_nothing_exists(world):
    introduction = introduce(world)

    with pytest.raises(PermissionDeniedError):
        services.introduction_accept(introduction=introduction, by=world["mentor"])
    for role in ("other_mentee", "manager", "staff"):
        with pytest.raises(NotFoundError):
            services.introduction_decline(introduction=introduction, by=world[role])
    with pytest.raises(PermissionDeniedError):
        services.introduction_cancel(introduction=introduction, by=world["mentee"])

    introduction.refresh_from_db()
    assert introduction.status == IntroductionStatus.PENDING
    assert (introduction.mentee_answer, introduction.contact_answer) == ("pending", "pending")


# Quiet "not now" ------------------------------------------------------------------------------


@pytest.mark.parametrize("decliner", ["mentee", "contact"])
@pytest.mark.parametrize("other_accepted_first", [True, False])
def test_not_now_ends_it_quietly(world, decliner, other_accepted_first):
    introduction = introduce(world)
    other = "contact" if decliner == "mentee" else "mentee"
    if other_accepted_first:
        services.introduction_accept(introduction=introduction, by=world[other])
    before = {role: notifications(world[role]) for role in ("mentee", "contact")}

    services.introduction_decline(introduction=introduction, by=world[decliner])

    introduction.refresh_from_db()
    assert introduction.status == IntroductionStatus.NOT_NOW
    assert introduction.conversation is None
    assert seen_by(introduction, world, decliner) == "You said not now"
    assert seen_by(introduction, world, other) == "Not now"
    assert seen_by(introduction, world, "introducer") == "Not now"
    # The introducer is told in the same words whoever said it; the others nothing.
    assert notifications(world["mentor"]) == [
        ("introduction.not_now", NOT_NOW_TITLE, f"/introductions/{introduction.pk}/")
    ]
    body = Notification.objects.get(recipient=world["mentor"]).body
    assert body == "Nobody is told who answered what. You may introduce them to someone else."
    assert {role: notifications(world[role]) for role in ("mentee", "contact")} == before
    assert not Message.objects.exists()
    with pytest.raises(ValidationError):
        services.introduction_accept(introduction=introduction, by=world[other])


def test_the_introducer_cancels_while_it_waits_and_the_asked_read_not_now(world):
    introduction = introduce(world)
    services.introduction_accept(introduction=introduction, by=world["mentee"])

    services.introduction_cancel(introduction=introduction, by=world["mentor"])

    introduction.refresh_from_db()
    assert introduction.status == IntroductionStatus.CANCELLED
    assert seen_by(introduction, world, "introducer") == "You cancelled it"
    assert seen_by(introduction, world, "mentee") == "Not now"
    assert seen_by(introduction, world, "contact") == "Not now"
    with pytest.raises(ValidationError):
        services.introduction_accept(introduction=introduction, by=world["contact"])
    with pytest.raises(ValidationError):
        services.introduction_cancel(introduction=introduction, by=world["mentor"])


# Expiry ---------------------------------------------------------------------------------------


def test_past_its_time_it_reads_not_now_and_takes_no_answer(world):
    introduction = introduce(world)
    services.introduction_accept(introduction=introduction, by=world["mentee"])
    Introduction.objects.filter(pk=introduction.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    introduction.refresh_from_db()

    for role in ("introducer", "mentee", "contact"):
        assert seen_by(introduction, world, role) == "Not now"
    with pytest.raises(ValidationError):
        services.introduction_accept(introduction=introduction, by=world["contact"])
    assert introduction.conversation is None

    assert services.introductions_expire() == 1
    assert services.introductions_expire() == 0

    introduction.refresh_from_db()
    assert introduction.status == IntroductionStatus.EXPIRED
    for role in ("introducer", "mentee", "contact"):
        assert seen_by(introduction, world, role) == "Not now"
    # The introducer hears exactly what they hear after a "not now".
    assert notifications(world["mentor"]) == [
        ("introduction.not_now", NOT_NOW_TITLE, f"/introductions/{introduction.pk}/")
    ]


def test_an_expired_one_the_sweep_has_not_reached_makes_way_for_a_new_one(world):
    first = introduce(world)
    Introduction.objects.filter(pk=first.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    second = introduce(world)

    first.refresh_from_db()
    assert first.status == IntroductionStatus.EXPIRED
    assert second.status == IntroductionStatus.PENDING


# Someone outside Trellis -----------------------------------------------------------------------


def test_the_outside_person_gets_a_link_whose_token_is_stored_only_hashed(
    world, django_capture_on_commit_callbacks
):
    introduction, token = introduce_outside(world, django_capture_on_commit_callbacks)

    introduction.refresh_from_db()
    assert introduction.contact_name == "Olga Outside"
    assert introduction.contact_email == OUTSIDE_EMAIL
    assert introduction.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Introduction.objects.filter(pk=introduction.pk).values().get())
    ask = all_mail_to(OUTSIDE_EMAIL)
    assert "Mara would like to introduce you to Noah" in ask
    assert MESSAGE in ask
    assert f"http://127.0.0.1:8000/introductions/answer/{token}/" in ask
    # Nothing of Noah's contact details is in it, and Noah is asked in the app.
    assert NOAH_EMAIL not in ask
    assert notifications(world["mentee"]) == [
        (
            "introduction.asked",
            "Mara would like to introduce you to Olga Outside",
            f"/introductions/{introduction.pk}/",
        )
    ]


@pytest.mark.parametrize("first", ["mentee", "outside"])
def test_the_hand_over_emails_each_the_others_address_only_after_both_said_yes(
    world, django_capture_on_commit_callbacks, first
):
    introduction, token = introduce_outside(world, django_capture_on_commit_callbacks)

    def mentee_says_yes() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            services.introduction_accept(introduction=introduction, by=world["mentee"])

    def outside_says_yes() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            services.introduction_answer_by_token(token=token, accept=True)

    steps = [mentee_says_yes, outside_says_yes]
    if first == "outside":
        steps.reverse()
    steps[0]()

    assert OUTSIDE_EMAIL not in all_mail_to(NOAH_EMAIL)
    assert NOAH_EMAIL not in all_mail_to(OUTSIDE_EMAIL)
    view = selectors.introduction_for(introduction_id=introduction.pk, user=world["mentee"])
    assert view.contact_email == ""

    steps[1]()

    introduction.refresh_from_db()
    assert introduction.status == IntroductionStatus.ACCEPTED
    assert introduction.conversation is None
    to_noah = [m for m in mail.outbox if m.to == [NOAH_EMAIL] and "Meet" in m.subject]
    assert len(to_noah) == 1
    assert to_noah[0].subject == "[Trellis] Meet Olga Outside"
    assert f"Olga Outside: {OUTSIDE_EMAIL}" in to_noah[0].body
    to_olga = [m for m in mail.outbox if m.to == [OUTSIDE_EMAIL] and "Meet" in m.subject]
    assert len(to_olga) == 1
    assert to_olga[0].subject == "[Trellis] Meet Noah"
    assert f"Noah: {NOAH_EMAIL}" in to_olga[0].body
    assert "Mara" in to_olga[0].body
    assert MESSAGE in to_olga[0].body
    view = selectors.introduction_for(introduction_id=introduction.pk, user=world["mentee"])
    assert view.contact_email == OUTSIDE_EMAIL
    # Noah gets one email about it (the hand-over), Mara is told in the app and by email.
    assert notifications(world["mentor"])[-1][1] == "Noah and Olga Outside both said yes"
    assert KIM_EMAIL not in all_mail_to(NOAH_EMAIL)


def test_the_outside_person_says_not_now_and_noah_learns_nothing(
    world, django_capture_on_commit_callbacks
):
    introduction, token = introduce_outside(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.introduction_accept(introduction=introduction, by=world["mentee"])
    before = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        services.introduction_answer_by_token(token=token, accept=False)

    introduction.refresh_from_db()
    assert introduction.status == IntroductionStatus.NOT_NOW
    view = selectors.introduction_for(introduction_id=introduction.pk, user=world["mentee"])
    assert (view.state_label, view.contact_email) == ("Not now", "")
    new_mail = mail.outbox[before:]
    assert [m.to for m in new_mail] == [[world["mentor"].email]]
    assert (
        new_mail[0].subject == "[Trellis] Your introduction of Noah and Olga Outside will "
        "not go ahead for now"
    )
    assert OUTSIDE_EMAIL not in all_mail_to(NOAH_EMAIL)


@pytest.mark.parametrize("misuse", ["wrong", "used", "expired", "cancelled", "long", "empty"])
def test_a_token_that_is_wrong_used_or_past_its_time_is_refused_alike(
    world, django_capture_on_commit_callbacks, misuse
):
    introduction, token = introduce_outside(world, django_capture_on_commit_callbacks)
    if misuse == "wrong":
        token = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    elif misuse == "used":
        services.introduction_answer_by_token(token=token, accept=True)
    elif misuse == "expired":
        Introduction.objects.filter(pk=introduction.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    elif misuse == "cancelled":
        services.introduction_cancel(introduction=introduction, by=world["mentor"])
    elif misuse == "long":
        token = token * 5
    else:
        token = ""
    before = Introduction.objects.values().get(pk=introduction.pk)

    assert selectors.introduction_by_token(token=token) is None
    with pytest.raises(NotFoundError, match="This link is no longer valid"):
        services.introduction_answer_by_token(token=token, accept=False)

    assert Introduction.objects.values().get(pk=introduction.pk) == before


def test_a_participants_introduction_has_no_token_to_answer_by(world):
    introduction = introduce(world)

    assert selectors.introduction_by_token(token="") is None
    assert Introduction.objects.get(pk=introduction.pk).token_hash == ""

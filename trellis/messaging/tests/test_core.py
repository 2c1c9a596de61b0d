"""Messaging services: conversations and members, sending, idempotency, order, cursors."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from trellis.accounts.tests.factories import UserFactory
from trellis.core.errors import NotFoundError, PermissionDeniedError, RateLimitedError
from trellis.mentorships import services as mentorship_services
from trellis.mentorships.models import MentorshipSource
from trellis.mentorships.tests.factories import mentee_in, mentor_in, participant
from trellis.messaging import selectors, services
from trellis.messaging.models import Conversation, ConversationMember, Message
from trellis.programs.models import Role
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def start(program, mentor, mentee):
    return mentorship_services.mentorship_start(
        program=program,
        mentor=mentor,
        mentee=mentee,
        source=MentorshipSource.MANAGER,
        score=None,
        reasons=[],
        by=None,
        notify=False,
    )


@pytest.fixture
def pair():
    program = ProgramFactory(slug="talk", default_mentor_capacity=3)
    mentor = mentor_in(program, display_name="Maria Mentor")
    mentee = mentee_in(program, display_name="Ada Mentee")
    mentorship = start(program, mentor, mentee)
    conversation = services.conversation_for_mentorship(mentorship=mentorship)
    return {
        "program": program,
        "mentor": mentor,
        "mentee": mentee,
        "mentorship": mentorship,
        "conversation": conversation,
    }


def send(conversation, sender, key, body="Hello"):
    message, _created = services.message_send(
        conversation=conversation, sender=sender, client_key=key, body=body
    )
    return message


def test_a_mentorship_conversation_has_the_pair(pair):
    members = ConversationMember.objects.filter(conversation=pair["conversation"])
    assert sorted(members.values_list("user_id", "can_write")) == sorted(
        [(pair["mentor"].pk, True), (pair["mentee"].pk, True)]
    )
    again = services.conversation_for_mentorship(mentorship=pair["mentorship"])
    assert again.pk == pair["conversation"].pk
    assert Conversation.objects.count() == 1


def test_messages_are_numbered_without_gaps_and_announced(pair, django_capture_on_commit_callbacks):
    conversation = pair["conversation"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = send(conversation, pair["mentee"], "k1", "**Hi** there")
    assert callbacks  # announced only on commit
    second = send(conversation, pair["mentor"], "k2", "Welcome")
    assert (first.seq, second.seq) == (1, 2)
    assert first.body_html == "<p><strong>Hi</strong> there</p>"
    conversation.refresh_from_db()
    assert conversation.last_seq == 2
    # The sender has read their own message; the other has one unread.
    assert selectors.unread_total_for(user=pair["mentor"]) == 0
    assert selectors.unread_total_for(user=pair["mentee"]) == 1


def test_a_retry_with_the_same_key_stores_nothing_new(pair):
    conversation = pair["conversation"]
    message, created = services.message_send(
        conversation=conversation, sender=pair["mentee"], client_key="same", body="Once"
    )
    again, created_again = services.message_send(
        conversation=conversation, sender=pair["mentee"], client_key="same", body="Once"
    )
    assert (created, created_again) == (True, False)
    assert again.pk == message.pk
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "key", "field"),
    [
        ("", "k", "body"),
        ("   \n ", "k", "body"),
        ("x" * 10_001, "k", "body"),
        ("Hello", "", "client_key"),
        ("Hello", "k" * 65, "client_key"),
    ],
)
def test_bad_messages_are_refused_and_change_nothing(pair, body, key, field):
    with pytest.raises(ValidationError) as error:
        services.message_send(
            conversation=pair["conversation"], sender=pair["mentee"], client_key=key, body=body
        )
    assert field in error.value.message_dict
    assert Message.objects.count() == 0
    pair["conversation"].refresh_from_db()
    assert pair["conversation"].last_seq == 0


def test_outsiders_cannot_read_or_write(pair):
    outsider = UserFactory()
    manager = UserFactory()
    pair["program"].managers.add(manager)
    for person in (outsider, manager):
        with pytest.raises(NotFoundError):
            send(pair["conversation"], person, "x")
        with pytest.raises(NotFoundError):
            selectors.conversation_for(conversation_id=pair["conversation"].pk, user=person)
    assert Message.objects.count() == 0


def test_edit_and_delete_own_messages_only(pair):
    message = send(pair["conversation"], pair["mentee"], "k1", "Helo")
    with pytest.raises(PermissionDeniedError):
        services.message_edit(message=message, by=pair["mentor"], body="Hijacked")
    with pytest.raises(PermissionDeniedError):
        services.message_delete(message=message, by=pair["mentor"])
    edited = services.message_edit(message=message, by=pair["mentee"], body="Hello")
    assert edited.body == "Hello"
    assert edited.edited_at is not None
    deleted = services.message_delete(message=message, by=pair["mentee"])
    data = selectors.message_data(selectors.message_by_id(message_id=deleted.pk))
    assert data["is_deleted"] is True
    assert (data["body"], data["html"]) == ("", "")
    with pytest.raises(ValidationError):
        services.message_edit(message=message, by=pair["mentee"], body="Back")


def test_cursors_only_move_forward(pair):
    conversation = pair["conversation"]
    for number in range(1, 4):
        send(conversation, pair["mentor"], f"k{number}")
    conversation.refresh_from_db()
    member = services.conversation_mark(
        conversation=conversation, user=pair["mentee"], seq=2, read=True
    )
    assert (member.last_delivered_seq, member.last_read_seq) == (2, 2)
    member = services.conversation_mark(
        conversation=conversation, user=pair["mentee"], seq=1, read=True
    )
    assert (member.last_delivered_seq, member.last_read_seq) == (2, 2)
    member = services.conversation_mark(
        conversation=conversation, user=pair["mentee"], seq=99, read=False
    )
    assert (member.last_delivered_seq, member.last_read_seq) == (3, 2)
    assert selectors.unread_total_for(user=pair["mentee"]) == 1


def test_catching_up_after_a_seq(pair):
    conversation = pair["conversation"]
    for number in range(1, 8):
        send(conversation, pair["mentor"], f"k{number}", f"Message {number}")
    after = selectors.messages_after(conversation=conversation, after_seq=4)
    assert [m.seq for m in after] == [5, 6, 7]
    before = selectors.messages_before(conversation=conversation, before_seq=4, limit=2)
    assert [m.seq for m in before] == [2, 3]
    found = selectors.messages_search(conversation=conversation, query="message 6")
    assert [m.seq for m in found] == [6]


@override_settings(MESSAGING_RATE_LIMIT=3, MESSAGING_RATE_WINDOW_SECONDS=60)
def test_a_flood_is_refused(pair):
    from django.core.cache import cache

    cache.clear()
    for number in range(3):
        send(pair["conversation"], pair["mentee"], f"k{number}")
    with pytest.raises(RateLimitedError) as error:
        send(pair["conversation"], pair["mentee"], "k4")
    assert 0 < error.value.retry_after <= 60
    assert Message.objects.count() == 3
    cache.clear()


def test_a_group_conversation_follows_its_members(pair):
    from trellis.programs.models import ProgramType

    program = ProgramFactory(
        slug="circle", program_type=ProgramType.GROUP, default_mentor_capacity=4
    )
    mentor = mentor_in(program)
    ada, ben, cy = (mentee_in(program) for _ in range(3))
    start(program, mentor, ada)
    group = start(program, mentor, ben)
    conversation = services.conversation_for_mentorship(mentorship=group)
    start(program, mentor, cy)
    active = set(
        ConversationMember.objects.filter(conversation=conversation, is_active=True).values_list(
            "user_id", flat=True
        )
    )
    assert active == {mentor.pk, ada.pk, ben.pk, cy.pk}
    mentorship_services.group_leave(mentorship=group, by=ben, reason="no_time")
    with pytest.raises(NotFoundError):
        send(conversation, ben, "after-leaving")
    send(conversation, ada, "still-here")
    mentorship_services.mentorship_complete(mentorship=group, by=mentor)
    readers = ConversationMember.objects.filter(conversation=conversation, is_active=True)
    assert set(readers.values_list("user_id", "can_write")) == {
        (mentor.pk, False),
        (ada.pk, False),
        (cy.pk, False),
    }


def test_direct_conversations_and_announcements():
    program = ProgramFactory(slug="open")
    one = participant(program, Role.MENTEE)
    two = participant(program, Role.MENTOR)
    outsider = UserFactory()
    manager = UserFactory()
    program.managers.add(manager)
    direct = services.conversation_direct(program=program, user=one, other=two)
    assert services.conversation_direct(program=program, user=two, other=one).pk == direct.pk
    with pytest.raises(PermissionDeniedError):
        services.conversation_direct(program=program, user=one, other=outsider)
    with pytest.raises(ValidationError):
        services.conversation_direct(program=program, user=one, other=one)
    program.allows_direct_messages = False
    program.save()
    with pytest.raises(PermissionDeniedError):
        services.conversation_direct(program=program, user=one, other=two)
    announcements = services.conversation_announcements(program=program)
    roles = dict(
        ConversationMember.objects.filter(conversation=announcements).values_list(
            "user_id", "can_write"
        )
    )
    assert roles == {manager.pk: True, one.pk: False, two.pk: False}
    send(announcements, manager, "a1", "Welcome to the program")
    with pytest.raises(PermissionDeniedError):
        send(announcements, one, "a2", "Me too")
    assert selectors.unread_total_for(user=one) == 1

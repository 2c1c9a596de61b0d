"""Messaging pages: the inbox, a conversation, the ways in, and the unread counts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.mentorships.models import MentorshipSource
from trellis.mentorships.services import mentorship_start
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.messaging import services
from trellis.messaging.context_processors import messaging as messaging_context
from trellis.messaging.models import Conversation, ConversationKind, ConversationMember, Message
from trellis.messaging.views import duration_label, message_preview, receipt_label
from trellis.programs.models import ProgramType
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def send(conversation: Conversation, sender: Any, key: str, body: str = "Hello") -> Message:
    message, _created = services.message_send(
        conversation=conversation, sender=sender, client_key=key, body=body
    )
    return message


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_text(response: Any) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- Inbox ------------------------------------------------------------------------------------


def test_the_inbox_asks_an_anonymous_visitor_to_sign_in(client):
    response = client.get("/messages/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_empty_inbox_says_so(client):
    client.force_login(UserFactory())

    response = client.get(reverse("messaging:inbox"))

    assert response.status_code == 200
    assert "No conversations yet." in page_text(response)


def test_the_inbox_lists_conversations_latest_first_with_preview_and_unread(
    conversation, mentor, mentee, program
):
    other_mentee = mentee_in(program, display_name="Bo Other")
    direct = services.conversation_direct(program=program, user=mentee, other=other_mentee)
    send(direct, other_mentee, "d1", "Are you going to the meetup?")
    send(conversation, mentor, "m1", "How did the **presentation** go?")
    send(conversation, mentor, "m2", "Tell me everything")
    send(conversation, mentee, "m3", "It went well, thank you!")
    send(conversation, mentor, "m4", "Great")

    response = signed_in(mentee).get("/messages/")

    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(r'data-conversation="(\d+)"', html)
    assert rows == [str(conversation.pk), str(direct.pk)]
    text = page_text(response)
    assert "Maria Mentor , 1 unread" in text
    assert "Maria Mentor: Great" in text
    assert "Bo Other , 1 unread" in text
    assert "Bo Other: Are you going to the meetup?" in text
    assert f'href="/messages/{conversation.pk}/"' in html


@pytest.mark.parametrize("count", [2, 8])
def test_the_inbox_query_count_does_not_grow(count, program, mentee, django_assert_max_num_queries):
    for number in range(count):
        other = mentee_in(program, display_name=f"Person {number}")
        direct = services.conversation_direct(program=program, user=mentee, other=other)
        send(direct, other, f"q{number}", "Hi")
    client = signed_in(mentee)

    with django_assert_max_num_queries(8):
        response = client.get("/messages/")

    assert response.content.decode().count("data-conversation=") == count


def test_previews_say_what_a_message_carries():
    class Sender:
        display_name = "Maria"

    class Fake:
        sender_id = 1
        sender = Sender()
        is_deleted = False
        kind = "voice"
        body = ""
        card: dict[str, str] = {}

    message: Any = Fake()
    assert message_preview(message, viewer_id=2) == "Maria: Voice message"
    assert message_preview(message, viewer_id=1) == "You: Voice message"
    message.kind, message.card = "event", {"title": "Meetup"}
    assert message_preview(message, viewer_id=2) == "Maria: Event: Meetup"
    message.kind, message.body = "text", "word " * 40
    assert message_preview(message, viewer_id=2).endswith("…")
    message.is_deleted = True
    assert message_preview(message, viewer_id=2) == "Maria: Message deleted"
    assert message_preview(None, viewer_id=2) == "No messages yet."


# --- The conversation page ----------------------------------------------------------------------


def test_a_member_sees_the_conversation_with_its_messages(conversation, mentor, mentee):
    send(conversation, mentor, "k1", "Hello **Ada**")
    send(conversation, mentee, "k2", "<script>alert(1)</script> Hi [site](javascript:alert(1))")

    response = signed_in(mentee).get(f"/messages/{conversation.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 id="chat-title">Maria Mentor</h1>' in html
    assert "Hello <strong>Ada</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert 'href="javascript' not in html
    assert 'id="message-1"' in html
    assert 'id="message-2"' in html
    assert "Record voice message" in html
    assert "Share an event" in html
    assert 'id="messaging-config"' in html
    # Own message: the receipt; the mentor has not opened it yet.
    assert re.search(r"data-receipt>\s*Delivered|data-receipt>Sent", html)


@pytest.mark.parametrize("who", ["anonymous", "outsider", "manager", "staff", "left"])
def test_only_active_members_open_the_conversation(who, conversation, program, mentee):
    if who == "anonymous":
        client = Client()
    elif who == "outsider":
        client = signed_in(UserFactory())
    elif who == "manager":
        manager = UserFactory()
        program.managers.add(manager)
        client = signed_in(manager)
    elif who == "staff":
        client = signed_in(StaffFactory())
    else:
        ConversationMember.objects.filter(conversation=conversation, user=mentee).update(
            is_active=False
        )
        client = signed_in(mentee)

    response = client.get(f"/messages/{conversation.pk}/")

    assert response.status_code == (302 if who == "anonymous" else 404)


def test_receipts_say_delivered_then_read(conversation, mentor, mentee):
    send(conversation, mentee, "r1", "First")
    send(conversation, mentee, "r2", "Second")
    services.conversation_mark(conversation=conversation, user=mentor, seq=2, read=False)
    services.conversation_mark(conversation=conversation, user=mentor, seq=1, read=True)

    html = signed_in(mentee).get(f"/messages/{conversation.pk}/").content.decode()

    receipts = re.findall(r"data-receipt>([^<]*)<", html)
    assert receipts == ["Read", "Delivered"]


def test_receipts_in_a_group_count_the_readers():
    assert receipt_label(3, []) == ""
    others = [{"read": 3, "delivered": 3}, {"read": 1, "delivered": 3}, {"read": 0, "delivered": 0}]
    assert receipt_label(3, others) == "Read by 1 of 3"
    assert receipt_label(1, others) == "Read by 2 of 3"
    assert receipt_label(3, others[1:]) == "Delivered to 1 of 2"
    assert receipt_label(3, others[:2]) == "Read by 1 of 2"
    assert receipt_label(1, others[:2]) == "Read"
    assert receipt_label(4, others) == "Sent"


def test_a_group_mentor_sees_read_by_n_of_m():
    program = ProgramFactory(program_type=ProgramType.GROUP, default_mentor_capacity=3)
    mentor = mentor_in(program, capacity=3, display_name="Grace")
    first = mentee_in(program, display_name="Ada")
    second = mentee_in(program, display_name="Bo")
    for mentee in (first, second):
        # In a group program a start joins the mentor's group.
        group = mentorship_start(
            program=program,
            mentor=mentor,
            mentee=mentee,
            source=MentorshipSource.MANAGER,
            score=None,
            reasons=[],
            by=None,
            notify=False,
        )
    group.refresh_from_db()
    assert group.is_group
    conversation = services.conversation_for_mentorship(mentorship=group)
    send(conversation, mentor, "g1", "Welcome, both of you")
    services.conversation_mark(conversation=conversation, user=first, seq=1, read=True)

    response = signed_in(mentor).get(f"/messages/{conversation.pk}/")

    assert "Your group in" in page_text(response)
    assert re.findall(r"data-receipt>([^<]*)<", response.content.decode()) == ["Read by 1 of 2"]


def test_the_page_shows_the_latest_fifty_and_offers_earlier_ones(conversation, mentor):
    for number in range(1, 53):
        Message.objects.create(
            conversation=conversation,
            seq=number,
            sender=mentor,
            client_key=f"bulk-{number}",
            body=f"Message {number}",
            body_html=f"<p>Message {number}</p>",
            created_at=conversation.created_at,
        )
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=52)

    html = signed_in(mentor).get(f"/messages/{conversation.pk}/").content.decode()

    seqs = [
        int(seq) for seq in re.findall(r'<li class="chat-message[^"]*" id="message-(\d+)"', html)
    ]
    assert seqs == list(range(3, 53))
    assert re.search(r"<button[^>]*data-load-earlier>", html)


def test_a_page_without_earlier_messages_hides_the_button(conversation, mentor):
    send(conversation, mentor, "only", "Only one")

    html = signed_in(mentor).get(f"/messages/{conversation.pk}/").content.decode()

    assert re.search(r"<button[^>]*data-load-earlier hidden>", html)


@pytest.mark.parametrize("size", [5, 40])
def test_the_conversation_page_query_count_does_not_grow(
    size, conversation, mentor, mentee, django_assert_max_num_queries
):
    for number in range(size):
        send(conversation, mentor if number % 2 else mentee, f"n{number}", f"Message {number}")
    client = signed_in(mentee)

    with django_assert_max_num_queries(10):
        assert client.get(f"/messages/{conversation.pk}/").status_code == 200


def test_announcements_are_read_only_for_participants(program, mentee):
    manager = UserFactory()
    program.managers.add(manager)
    announcements = services.conversation_announcements(program=program)
    send(announcements, manager, "a1", "Welcome to the program")

    participant_page = signed_in(mentee).get(f"/messages/{announcements.pk}/")
    manager_page = signed_in(manager).get(f"/messages/{announcements.pk}/")

    assert "Welcome to the program" in page_text(participant_page)
    assert "Only the program's managers post announcements" in page_text(participant_page)
    assert "data-composer" not in participant_page.content.decode()
    assert "data-composer" in manager_page.content.decode()


def test_a_finished_mentorship_is_readable_not_writable(conversation, mentorship, mentee):
    ConversationMember.objects.filter(conversation=conversation).update(can_write=False)

    response = signed_in(mentee).get(f"/messages/{conversation.pk}/")

    assert "you can read it but no longer write" in page_text(response)
    assert "data-composer" not in response.content.decode()


def test_without_javascript_the_form_sends_once(conversation, mentee):
    client = signed_in(mentee)
    form = {"client_key": "form-key-1", "body": "Sent without *JavaScript*"}

    first = client.post(f"/messages/{conversation.pk}/", form)
    second = client.post(f"/messages/{conversation.pk}/", form)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == f"/messages/{conversation.pk}/#message-1"
    assert list(Message.objects.values_list("body", "body_html")) == [
        ("Sent without *JavaScript*", "<p>Sent without <em>JavaScript</em></p>")
    ]


def test_an_empty_form_is_refused_and_nothing_is_stored(conversation, mentee):
    response = signed_in(mentee).post(
        f"/messages/{conversation.pk}/", {"client_key": "form-key-2", "body": "  "}
    )

    assert response.status_code == 422
    assert "Write a message." in page_text(response)
    assert Message.objects.count() == 0


def test_a_reader_posting_the_form_is_refused(program, mentee):
    manager = UserFactory()
    program.managers.add(manager)
    announcements = services.conversation_announcements(program=program)

    response = signed_in(mentee).post(
        f"/messages/{announcements.pk}/", {"client_key": "sneaky", "body": "Me too"}
    )

    assert response.status_code == 422
    assert "may read this conversation but not write" in page_text(response)
    assert Message.objects.count() == 0


def test_search_without_javascript_lists_matches(conversation, mentor, mentee):
    send(conversation, mentor, "s1", "The presentation is on Friday")
    send(conversation, mentee, "s2", "Thanks!")

    response = signed_in(mentee).get(f"/messages/{conversation.pk}/?q=friday")

    text = page_text(response)
    assert "1 message found" in text
    assert "Maria Mentor" in text
    assert 'href="#message-1"' in response.content.decode()


def test_voice_duration_labels():
    assert duration_label(None) == ""
    assert duration_label(4.6) == "0:05"
    assert duration_label(750) == "12:30"
    assert duration_label(3723) == "1:02:03"


# --- Ways in ---------------------------------------------------------------------------------


def test_a_participant_opens_the_mentorship_conversation(mentorship, mentee):
    response = signed_in(mentee).get(f"/mentorships/{mentorship.pk}/messages/")

    conversation = Conversation.objects.get(mentorship=mentorship)
    assert response.status_code == 302
    assert response["Location"] == f"/messages/{conversation.pk}/"


@pytest.mark.parametrize("who", ["outsider", "manager", "staff"])
def test_others_get_404_for_a_mentorship_conversation(who, mentorship, program):
    user = StaffFactory() if who == "staff" else UserFactory()
    if who == "manager":
        program.managers.add(user)

    response = signed_in(user).get(f"/mentorships/{mentorship.pk}/messages/")

    assert response.status_code == 404
    assert Conversation.objects.count() == 0


def test_a_direct_conversation_starts_with_a_post(program, mentee):
    other = mentee_in(program, display_name="Bo Other")
    client = signed_in(mentee)

    assert client.get(f"/programs/{program.slug}/messages/{other.pk}/").status_code == 405
    response = client.post(f"/programs/{program.slug}/messages/{other.pk}/")
    again = client.post(f"/programs/{program.slug}/messages/{other.pk}/")

    conversation = Conversation.objects.get(kind=ConversationKind.DIRECT)
    assert response["Location"] == again["Location"] == f"/messages/{conversation.pk}/"


def test_a_program_without_direct_messages_refuses_clearly(program, mentee):
    program.allows_direct_messages = False
    program.save()
    other = mentee_in(program)

    response = signed_in(mentee).post(f"/programs/{program.slug}/messages/{other.pk}/")

    assert response.status_code == 403
    assert "does not allow direct messages" in page_text(response)
    assert Conversation.objects.filter(kind=ConversationKind.DIRECT).count() == 0


def test_a_direct_conversation_with_an_outsider_is_refused(program, mentee):
    outsider = UserFactory()

    response = signed_in(mentee).post(f"/programs/{program.slug}/messages/{outsider.pk}/")

    assert response.status_code == 403
    assert "between participants of the program" in page_text(response)


def test_announcements_open_for_managers_and_participants_only(program, mentee):
    manager = UserFactory()
    program.managers.add(manager)

    for user in (manager, mentee):
        response = signed_in(user).get(f"/programs/{program.slug}/announcements/")
        conversation = Conversation.objects.get(kind=ConversationKind.ANNOUNCEMENTS)
        assert response["Location"] == f"/messages/{conversation.pk}/"
    assert (
        signed_in(UserFactory()).get(f"/programs/{program.slug}/announcements/").status_code == 404
    )
    assert signed_in(mentee).get("/programs/nope/announcements/").status_code == 404


# --- Unread counts ------------------------------------------------------------------------------


def test_the_navigation_shows_unread_messages(conversation, mentor, mentee):
    send(conversation, mentor, "u1")
    send(conversation, mentor, "u2")

    response = signed_in(mentee).get("/messages/")

    html = response.content.decode()
    badge = re.search(r"<span[^>]*data-messages-unread[^>]*>(\d+)</span>", html)
    assert badge is not None
    assert badge.group(1) == "2"
    assert not re.search(r"\shidden[\s>]", badge.group(0))
    assert re.search(r"data-messages-unread-label>, 2 unread<", html)


def test_the_navigation_badge_is_hidden_without_unread(mentee):
    html = signed_in(mentee).get("/messages/").content.decode()

    assert re.search(r"<span[^>]*data-messages-unread[^>]*hidden[^>]*>0</span>", html)


def test_the_unread_count_costs_one_query_however_often_it_is_shown(
    rf, conversation, mentor, mentee, django_assert_num_queries
):
    send(conversation, mentor, "c1")
    request = rf.get("/")
    request.user = mentee
    count = messaging_context(request)["messaging_unread_count"]

    with django_assert_num_queries(1):
        assert (count(), count()) == (1, 1)


def test_the_dashboard_shows_unread_messages(conversation, mentor, mentee):
    send(conversation, mentor, "dash-1", "Hello from the dashboard test")

    response = signed_in(mentee).get("/")

    text = page_text(response)
    assert "1 unread message" in text
    assert "Maria Mentor" in text


def test_cards_and_recordings_render_with_their_actions(conversation, mentor, mentee):
    from django.core.files.base import ContentFile

    from trellis.messaging.models import Attachment

    services.message_send(
        conversation=conversation,
        sender=mentor,
        client_key="card-1",
        card={
            "title": "Meetup <b>night</b>",
            "starts_at": "2031-05-06T16:00:00+00:00",
            "ends_at": "2031-05-06T18:30:00+00:00",
            "place": "Town hall",
            "url": "https://example.org/meetup",
        },
    )
    recording = Attachment(
        conversation=conversation,
        uploaded_by=mentee,
        name="Voice message.webm",
        content_type="audio/webm",
        size=4,
        duration_seconds=4.6,
    )
    recording.file.save("voice", ContentFile(b"webm"), save=False)
    recording.save()
    document = Attachment(
        conversation=conversation,
        uploaded_by=mentee,
        name="notes <1>.pdf",
        content_type="application/pdf",
        size=2048,
    )
    document.file.save("notes", ContentFile(b"%PDF-"), save=False)
    document.save()
    services.message_send(
        conversation=conversation,
        sender=mentee,
        client_key="voice-1",
        attachment_ids=[recording.pk],
    )
    services.message_send(
        conversation=conversation, sender=mentee, client_key="file-1", attachment_ids=[document.pk]
    )
    card_message = Message.objects.get(client_key="card-1")

    html = signed_in(mentee).get(f"/messages/{conversation.pk}/").content.decode()

    assert "Meetup &lt;b&gt;night&lt;/b&gt;" in html
    assert "Place: Town hall" in html
    assert f'href="/messages/cards/{card_message.pk}.ics">Add to calendar' in html
    assert 'rel="noopener noreferrer nofollow">https://example.org/meetup</a>' in html
    assert f'<audio controls preload="metadata" src="/messages/files/{recording.pk}/"' in html
    assert 'aria-label="Voice message, 0:05"' in html
    assert "data-duration>0:05<" in html
    assert f'<a href="/messages/files/{document.pk}/" download>notes &lt;1&gt;.pdf</a>' in html
    assert "(2.0\xa0KB)" in html

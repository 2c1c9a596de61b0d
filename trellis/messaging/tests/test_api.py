"""The messaging REST API: shapes, retries, cursors, authorization over roles, bad input."""

import json

import pytest

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.mentorships import services as mentorship_services
from trellis.mentorships.models import MentorshipSource
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.messaging import services
from trellis.messaging.models import ConversationMember, Message
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def post(client, path, body=None):
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def talk():
    program = ProgramFactory(slug="talk", default_mentor_capacity=3)
    manager = UserFactory()
    program.managers.add(manager)
    mentor = mentor_in(program, display_name="Maria Mentor")
    mentee = mentee_in(program, display_name="Ada Mentee")
    other_mentor = mentor_in(program)
    other_mentee = mentee_in(program)
    mentorship = mentorship_services.mentorship_start(
        program=program,
        mentor=mentor,
        mentee=mentee,
        source=MentorshipSource.MANAGER,
        score=None,
        reasons=[],
        by=None,
        notify=False,
    )
    other = mentorship_services.mentorship_start(
        program=program,
        mentor=other_mentor,
        mentee=other_mentee,
        source=MentorshipSource.MANAGER,
        score=None,
        reasons=[],
        by=None,
        notify=False,
    )
    return {
        "program": program,
        "manager": manager,
        "mentor": mentor,
        "mentee": mentee,
        "other_mentor": other_mentor,
        "other_mentee": other_mentee,
        "mentorship": mentorship,
        "other": other,
        "outsider": UserFactory(),
        "staff": StaffFactory(),
    }


def open_conversation(client, talk, who="mentee"):
    client.force_login(talk[who])
    response = post(client, f"/api/v1/mentorships/{talk['mentorship'].pk}/conversation")
    assert response.status_code == 200
    return response.json()


def test_send_retry_catch_up_and_read(client, talk):
    conversation = open_conversation(client, talk)
    assert conversation["kind"] == "mentorship"
    assert conversation["title"] == "Maria Mentor"
    assert {m["user"] for m in conversation["members"]} == {talk["mentor"].pk, talk["mentee"].pk}
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    first = post(client, url, {"client_key": "a1", "body": "Hi _there_"})
    assert first.status_code == 201
    assert first.json()["seq"] == 1
    assert first.json()["html"] == "<p>Hi <em>there</em></p>"
    retry = post(client, url, {"client_key": "a1", "body": "Hi _there_"})
    assert retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    post(client, url, {"client_key": "a2", "body": "Second"})

    client.force_login(talk["mentor"])
    assert client.get("/api/v1/conversations/unread").json() == {"total": 2}
    inbox = client.get("/api/v1/conversations").json()
    assert [(c["title"], c["unread"]) for c in inbox] == [("Ada Mentee", 2)]
    page = client.get(f"{url}?after=1").json()
    assert [m["seq"] for m in page["messages"]] == [2]
    assert page["has_more"] is False
    history = client.get(f"{url}?limit=1").json()
    assert [m["seq"] for m in history["messages"]] == [2]
    assert history["has_more"] is True
    state = post(client, f"/api/v1/conversations/{conversation['id']}/read", {"seq": 2}).json()
    mentor_state = next(m for m in state["members"] if m["user"] == talk["mentor"].pk)
    assert (mentor_state["delivered"], mentor_state["read"]) == (2, 2)
    assert client.get("/api/v1/conversations/unread").json() == {"total": 0}
    found = client.get(f"/api/v1/conversations/{conversation['id']}/search?q=second").json()
    assert [m["seq"] for m in found] == [2]


def test_edit_and_delete_over_the_api(client, talk):
    conversation = open_conversation(client, talk)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    message = post(client, url, {"client_key": "e1", "body": "Tpyo"}).json()
    edited = client.patch(
        f"/api/v1/messages/{message['id']}",
        data=json.dumps({"body": "Typo"}),
        content_type="application/json",
    )
    assert edited.status_code == 200
    assert edited.json()["body"] == "Typo"
    assert edited.json()["edited_at"] is not None
    client.force_login(talk["mentor"])
    refused = client.delete(f"/api/v1/messages/{message['id']}")
    assert refused.status_code == 403
    client.force_login(talk["mentee"])
    deleted = client.delete(f"/api/v1/messages/{message['id']}")
    assert deleted.json()["is_deleted"] is True


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"client_key": "b1", "body": ""}, 422),
        ({"client_key": "", "body": "x"}, 422),
        ({"client_key": "b2", "body": "x" * 10_001}, 422),
        ({"client_key": "b3", "body": 5}, 422),
        ({"body": "no key"}, 422),
        ({"client_key": "b4", "body": "x", "attachment_ids": [999999]}, 422),
        ({"client_key": "b5", "card": {"title": ""}}, 422),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(client, talk, body, status):
    conversation = open_conversation(client, talk)
    response = post(client, f"/api/v1/conversations/{conversation['id']}/messages", body)
    assert response.status_code == status
    assert Message.objects.count() == 0


def test_bad_cursors(client, talk):
    conversation = open_conversation(client, talk)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    assert client.get(f"{url}?after=1&before=3").status_code == 422
    assert client.get(f"{url}?after=-1").status_code == 422
    assert client.get(f"{url}?limit=100000").status_code == 422
    assert (
        post(client, f"/api/v1/conversations/{conversation['id']}/read", {"seq": -1}).status_code
        == 422
    )


@pytest.mark.parametrize(
    "who", ["anonymous", "outsider", "manager", "staff", "other_mentor", "other_mentee"]
)
def test_only_members_reach_a_conversation(client, talk, who):
    conversation = services.conversation_for_mentorship(mentorship=talk["mentorship"])
    services.message_send(
        conversation=conversation, sender=talk["mentee"], client_key="s1", body="Private"
    )
    if who != "anonymous":
        client.force_login(talk[who])
    base = f"/api/v1/conversations/{conversation.pk}"
    expected = 401 if who == "anonymous" else 404
    before = list(Message.objects.values_list("pk", "body", "deleted_at"))
    cursors = list(ConversationMember.objects.values_list("pk", "last_read_seq"))
    message_id = Message.objects.get().pk
    assert client.get(base).status_code == expected
    assert client.get(f"{base}/messages").status_code == expected
    assert client.get(f"{base}/search?q=private").status_code == expected
    assert (
        post(client, f"{base}/messages", {"client_key": "x", "body": "In"}).status_code == expected
    )
    assert post(client, f"{base}/read", {"seq": 1}).status_code == expected
    assert client.delete(f"/api/v1/messages/{message_id}").status_code == expected
    assert (
        post(client, f"/api/v1/mentorships/{talk['mentorship'].pk}/conversation").status_code
        == expected
    )
    if who != "anonymous":
        assert client.get("/api/v1/conversations").json() == []
    assert list(Message.objects.values_list("pk", "body", "deleted_at")) == before
    assert list(ConversationMember.objects.values_list("pk", "last_read_seq")) == cursors


def test_direct_and_announcements_over_the_api(client, talk):
    client.force_login(talk["mentee"])
    direct = post(client, f"/api/v1/programs/talk/direct/{talk['other_mentor'].pk}")
    assert direct.status_code == 200
    assert direct.json()["kind"] == "direct"
    assert post(client, f"/api/v1/programs/talk/direct/{talk['outsider'].pk}").status_code == 403
    assert post(client, "/api/v1/programs/nope/direct/1").status_code == 404
    client.force_login(talk["manager"])
    announcements = post(client, "/api/v1/programs/talk/announcements").json()
    assert announcements["can_write"] is True
    sent = post(
        client,
        f"/api/v1/conversations/{announcements['id']}/messages",
        {"client_key": "n1", "body": "Kick-off on Monday"},
    )
    assert sent.status_code == 201
    client.force_login(talk["mentee"])
    seen = post(client, "/api/v1/programs/talk/announcements").json()
    assert seen["can_write"] is False
    assert seen["unread"] == 1
    refused = post(
        client,
        f"/api/v1/conversations/{announcements['id']}/messages",
        {"client_key": "n2", "body": "Hello all"},
    )
    assert refused.status_code == 403
    client.force_login(talk["outsider"])
    assert post(client, "/api/v1/programs/talk/announcements").status_code == 404

"""REST endpoints for conversations and messages (mounted at /api/v1/).

The same services as the socket: a send with a client_key already stored returns the
stored message (200) instead of storing it again (201), so a client may retry freely.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.mentorships.models import Mentorship
from trellis.mentorships.selectors import mentorship_role
from trellis.messaging import selectors, services
from trellis.messaging.models import MAX_BODY_LENGTH, Message
from trellis.programs.models import Program
from trellis.programs.selectors import program_can_manage

router = Router(tags=["messaging"])


class PersonOut(Schema):
    id: int
    display_name: str


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    duration_seconds: float | None
    width: int | None
    height: int | None
    is_image: bool
    url: str


class MessageOut(Schema):
    id: int
    conversation: int
    seq: int = Field(description="1, 2, 3... in the conversation, without gaps.")
    sender: PersonOut
    kind: str = Field(description="text, file, voice, video or event.")
    client_key: str
    body: str = Field(description="What the sender wrote (Markdown subset); empty if deleted.")
    html: str = Field(description="The text as sanitized HTML.")
    card: dict[str, Any] = Field(
        description="An event card: title, starts_at, ends_at, place, url."
    )
    attachments: list[AttachmentOut]
    created_at: dt.datetime
    edited_at: dt.datetime | None
    is_deleted: bool


class MemberStateOut(Schema):
    user: int
    display_name: str
    can_write: bool
    delivered: int = Field(description="The highest seq one of their clients has received.")
    read: int = Field(description="The highest seq they have read.")


class ConversationOut(Schema):
    id: int
    kind: str = Field(description="mentorship, direct or announcements.")
    title: str
    program: str = Field(description="The program's slug.")
    mentorship: int | None
    last_seq: int
    last_message_at: dt.datetime | None
    unread: int
    can_write: bool


class ConversationDetailOut(ConversationOut):
    members: list[MemberStateOut]


class MessagePageOut(Schema):
    messages: list[MessageOut]
    has_more: bool = Field(description="More messages lie beyond this page in its direction.")


class UnreadOut(Schema):
    total: int


class SendIn(Schema):
    client_key: str = Field(
        max_length=64, description="Unique per sender; a retry with the same key is safe."
    )
    body: str = Field(default="", max_length=MAX_BODY_LENGTH * 2)
    attachment_ids: list[int] = Field(default_factory=list, max_length=50)
    card: dict[str, Any] | None = None


class EditIn(Schema):
    body: str = Field(max_length=MAX_BODY_LENGTH * 2)


class CursorIn(Schema):
    seq: int = Field(ge=0)


class PageQuery(Schema):
    after: int | None = Field(default=None, ge=0, description="Messages after this seq.")
    before: int | None = Field(default=None, ge=1, description="Messages before this seq.")
    limit: int = Field(default=selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


class SearchQuery(Schema):
    q: str = Field(max_length=selectors.MAX_SEARCH_LENGTH)


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _summary_out(summary: selectors.ConversationSummary) -> dict[str, Any]:
    conversation = summary.conversation
    return {
        "id": conversation.pk,
        "kind": conversation.kind,
        "title": summary.title,
        "program": conversation.program.slug,
        "mentorship": conversation.mentorship_id,
        "last_seq": conversation.last_seq,
        "last_message_at": conversation.last_message_at,
        "unread": summary.unread,
        "can_write": summary.member.can_write,
    }


def _detail_out(user: User, conversation_id: int) -> dict[str, Any]:
    summary = selectors.conversation_summary(conversation_id=conversation_id, user=user)
    return {
        **_summary_out(summary),
        "members": selectors.member_states(conversation=summary.conversation),
    }


@router.get("/conversations", response=list[ConversationOut], summary="Your conversations")
def conversation_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_summary_out(s) for s in selectors.conversation_list_for(user=_user(request))]


@router.get(
    "/conversations/unread", response=UnreadOut, summary="Unread messages in all your conversations"
)
def conversation_unread(request: HttpRequest) -> dict[str, Any]:
    return {"total": selectors.unread_total_for(user=_user(request))}


@router.get(
    "/conversations/{conversation_id}",
    response=ConversationDetailOut,
    summary="A conversation and its members' delivered and read state (members only)",
)
def conversation_get(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    return _detail_out(_user(request), conversation_id)


@router.post(
    "/mentorships/{mentorship_id}/conversation",
    response=ConversationDetailOut,
    summary="The mentorship's conversation (the pair or the group), started if need be",
)
def conversation_for_mentorship(request: HttpRequest, mentorship_id: int) -> dict[str, Any]:
    user = _user(request)
    mentorship = (
        Mentorship.objects.select_related("program", "mentor", "mentee")
        .filter(pk=mentorship_id)
        .first()
    )
    # Its people only: managers see that a pair talks, never what they say.
    if mentorship is None or mentorship_role(mentorship=mentorship, user=user) not in (
        "mentor",
        "mentee",
    ):
        raise NotFoundError("No such mentorship.")
    conversation = services.conversation_for_mentorship(mentorship=mentorship)
    return _detail_out(user, conversation.pk)


def _program(slug: str) -> Program:
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        raise NotFoundError("No such program.")
    return program


@router.post(
    "/programs/{slug}/direct/{user_id}",
    response=ConversationDetailOut,
    summary="Your direct conversation with another participant of the program",
)
def conversation_direct(request: HttpRequest, slug: str, user_id: int) -> dict[str, Any]:
    user = _user(request)
    program = _program(slug)
    other = User.objects.filter(pk=user_id, is_active=True).first()
    if other is None:
        raise NotFoundError("No such person.")
    conversation = services.conversation_direct(program=program, user=user, other=other)
    return _detail_out(user, conversation.pk)


@router.post(
    "/programs/{slug}/announcements",
    response=ConversationDetailOut,
    summary="The program's announcements (its managers write; participants read)",
)
def conversation_announcements(request: HttpRequest, slug: str) -> dict[str, Any]:
    user = _user(request)
    program = _program(slug)
    if not program_can_manage(program=program, user=user) and not selectors.is_participant(
        program=program, user=user
    ):
        raise NotFoundError("No such program.")
    # Opening it brings its readers up to date (who joined or left the program since).
    conversation = services.conversation_announcements(program=program)
    return _detail_out(user, conversation.pk)


@router.get(
    "/conversations/{conversation_id}/messages",
    response=MessagePageOut,
    summary="Messages after a seq (catching up) or before one (history), oldest first",
)
def message_list(
    request: HttpRequest, conversation_id: int, query: Query[PageQuery]
) -> dict[str, Any]:
    conversation = selectors.conversation_for(conversation_id=conversation_id, user=_user(request))
    if query.after is not None and query.before is not None:
        raise ValidationError({"after": ["Give after or before, not both."]})
    if query.after is not None:
        messages = selectors.messages_after(
            conversation=conversation, after_seq=query.after, limit=query.limit + 1
        )
        has_more = len(messages) > query.limit
        messages = messages[: query.limit]
    else:
        messages = selectors.messages_before(
            conversation=conversation, before_seq=query.before, limit=query.limit + 1
        )
        has_more = len(messages) > query.limit
        messages = messages[-query.limit :] if has_more else messages
    return {"messages": [selectors.message_data(m) for m in messages], "has_more": has_more}


@router.get(
    "/conversations/{conversation_id}/search",
    response=list[MessageOut],
    summary="Messages whose text has every word of q, newest first",
)
def message_search(
    request: HttpRequest, conversation_id: int, query: Query[SearchQuery]
) -> list[dict[str, Any]]:
    conversation = selectors.conversation_for(conversation_id=conversation_id, user=_user(request))
    return [
        selectors.message_data(m)
        for m in selectors.messages_search(conversation=conversation, query=query.q)
    ]


@router.post(
    "/conversations/{conversation_id}/messages",
    response={200: MessageOut, 201: MessageOut},
    summary="Send a message (201); a retry with the same client_key returns it (200)",
)
def message_send(request: HttpRequest, conversation_id: int, payload: SendIn) -> Status[Any]:
    user = _user(request)
    conversation = selectors.conversation_for(conversation_id=conversation_id, user=user)
    message, created = services.message_send(
        conversation=conversation,
        sender=user,
        client_key=payload.client_key,
        body=payload.body,
        attachment_ids=payload.attachment_ids,
        card=payload.card,
    )
    return Status(201 if created else 200, selectors.message_data(_reloaded(message)))


def _reloaded(message: Message) -> Message:
    return selectors.message_by_id(message_id=message.pk)


def _message_for(request: HttpRequest, message_id: int) -> Message:
    user = _user(request)
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise NotFoundError("No such message.")
    selectors.membership_of(conversation_id=message.conversation_id, user=user)
    return message


@router.patch("/messages/{message_id}", response=MessageOut, summary="Edit your own message")
def message_edit(request: HttpRequest, message_id: int, payload: EditIn) -> dict[str, Any]:
    message = services.message_edit(
        message=_message_for(request, message_id), by=_user(request), body=payload.body
    )
    return selectors.message_data(_reloaded(message))


@router.delete("/messages/{message_id}", response=MessageOut, summary="Delete your own message")
def message_delete(request: HttpRequest, message_id: int) -> dict[str, Any]:
    message = services.message_delete(message=_message_for(request, message_id), by=_user(request))
    return selectors.message_data(_reloaded(message))


def _mark(request: HttpRequest, conversation_id: int, seq: int, *, read: bool) -> dict[str, Any]:
    user = _user(request)
    conversation = selectors.conversation_for(conversation_id=conversation_id, user=user)
    services.conversation_mark(conversation=conversation, user=user, seq=seq, read=read)
    return _detail_out(user, conversation_id)


@router.post(
    "/conversations/{conversation_id}/read",
    response=ConversationDetailOut,
    summary="You have read up to seq (never moves back)",
)
def conversation_read(
    request: HttpRequest, conversation_id: int, payload: CursorIn
) -> dict[str, Any]:
    return _mark(request, conversation_id, payload.seq, read=True)


@router.post(
    "/conversations/{conversation_id}/delivered",
    response=ConversationDetailOut,
    summary="One of your clients has received up to seq (never moves back)",
)
def conversation_delivered(
    request: HttpRequest, conversation_id: int, payload: CursorIn
) -> dict[str, Any]:
    return _mark(request, conversation_id, payload.seq, read=False)


__all__ = ["PermissionDeniedError", "router"]

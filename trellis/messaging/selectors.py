"""Reads for conversations and messages; each page's data in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet, Sum
from django.urls import reverse

from trellis.core.errors import NotFoundError
from trellis.messaging.models import (
    Attachment,
    Conversation,
    ConversationKind,
    ConversationMember,
    Message,
)

# Messages per page of history (the API's cursor pages and the page's first screen).
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_SEARCH_LENGTH = 200


def _is_signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _membership(conversation_id: int, user: Any, related: tuple[str, ...]) -> ConversationMember:
    if not _is_signed_in(user):
        raise NotFoundError("No such conversation.")
    member = (
        ConversationMember.objects.select_related(*related)
        .filter(conversation_id=conversation_id, user_id=user.pk, is_active=True)
        .first()
    )
    if member is None:
        raise NotFoundError("No such conversation.")
    return member


def membership_of(*, conversation_id: int, user: Any) -> ConversationMember:
    """The person's active membership (with the conversation); NotFoundError otherwise."""
    return _membership(
        conversation_id,
        user,
        ("conversation__program", "conversation__mentorship__mentor__profile"),
    )


def membership_for_socket(*, conversation_id: int, user: Any) -> ConversationMember:
    """As membership_of, joining only the conversation: every socket frame asks it."""
    return _membership(conversation_id, user, ("conversation",))


def conversation_for(*, conversation_id: int, user: Any) -> Conversation:
    return membership_of(conversation_id=conversation_id, user=user).conversation


def attachment_data(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "duration_seconds": attachment.duration_seconds,
        "width": attachment.width,
        "height": attachment.height,
        "is_image": attachment.is_image,
        "url": reverse("messaging:attachment", args=[attachment.pk]),
    }


def message_data(message: Message) -> dict[str, Any]:
    """A message as clients see it; a deleted one keeps its place and loses its content."""
    attachments = (
        [] if message.is_deleted else [attachment_data(a) for a in message.attachments.all()]
    )
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "seq": message.seq,
        "sender": {"id": message.sender_id, "display_name": message.sender.display_name},
        "kind": message.kind,
        "client_key": message.client_key,
        "body": "" if message.is_deleted else message.body,
        "html": "" if message.is_deleted else message.body_html,
        "card": {} if message.is_deleted else message.card,
        "attachments": attachments,
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "is_deleted": message.is_deleted,
    }


def _messages() -> QuerySet[Message]:
    return Message.objects.select_related("sender__profile").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
    )


def messages_after(
    *, conversation: Conversation, after_seq: int, limit: int = PAGE_SIZE
) -> list[Message]:
    """Messages with seq > after_seq, oldest first (catching up after a reconnect)."""
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    return list(
        _messages()
        .filter(conversation=conversation, seq__gt=max(0, int(after_seq)))
        .order_by("seq")[:limit]
    )


def messages_before(
    *, conversation: Conversation, before_seq: int | None, limit: int = PAGE_SIZE
) -> list[Message]:
    """The latest messages with seq < before_seq (all when None), returned oldest first."""
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    rows = _messages().filter(conversation=conversation)
    if before_seq is not None:
        rows = rows.filter(seq__lt=int(before_seq))
    return list(reversed(rows.order_by("-seq")[:limit]))


def messages_search(
    *, conversation: Conversation, query: str, limit: int = PAGE_SIZE
) -> list[Message]:
    """Messages whose text contains every word of query (case-insensitive), newest first."""
    words = [w for w in str(query or "")[:MAX_SEARCH_LENGTH].split() if w][:10]
    if not words:
        return []
    condition = Q()
    for word in words:
        condition &= Q(body__icontains=word)
    return list(
        _messages()
        .filter(conversation=conversation, deleted_at__isnull=True)
        .filter(condition)
        .order_by("-seq")[: max(1, min(int(limit), MAX_PAGE_SIZE))]
    )


@dataclass
class ConversationSummary:
    conversation: Conversation
    member: ConversationMember
    title: str
    unread: int
    last_message: Message | None


def _title(conversation: Conversation, user_id: int, others: list[ConversationMember]) -> str:
    if conversation.kind == ConversationKind.ANNOUNCEMENTS:
        return f"{conversation.program.name}: announcements"
    if conversation.kind == ConversationKind.MENTORSHIP and conversation.mentorship is not None:
        mentorship = conversation.mentorship
        if mentorship.is_group:
            if mentorship.mentor_id == user_id:
                return f"Your group in {conversation.program.name}"
            return f"{mentorship.mentor.display_name}'s group"
    names = [m.user.display_name for m in others if m.is_active]
    if conversation.kind == ConversationKind.INTRODUCTION and names:
        # "Kim, Noah and you": the three an introduction brought together.
        return f"{', '.join(sorted(names))} and you"
    return ", ".join(names) or "Only you"


def conversation_list_for(*, user: Any) -> list[ConversationSummary]:
    """The person's conversations, latest activity first, in a fixed number of queries."""
    if not _is_signed_in(user):
        return []
    members = list(
        ConversationMember.objects.filter(user_id=user.pk, is_active=True)
        .select_related("conversation__program", "conversation__mentorship__mentor__profile")
        .order_by(F("conversation__last_message_at").desc(nulls_last=True), "-conversation_id")
    )
    conversation_ids = [m.conversation_id for m in members]
    others: dict[int, list[ConversationMember]] = {}
    for other in (
        ConversationMember.objects.filter(conversation_id__in=conversation_ids, is_active=True)
        .exclude(user_id=user.pk)
        .exclude(conversation__kind=ConversationKind.ANNOUNCEMENTS)
        .select_related("user__profile")
        .order_by("pk")
    ):
        others.setdefault(other.conversation_id, []).append(other)
    last: dict[int, Message] = {
        message.conversation_id: message
        for message in Message.objects.select_related("sender__profile").filter(
            conversation_id__in=conversation_ids,
            seq=F("conversation__last_seq"),
        )
    }
    return [
        ConversationSummary(
            conversation=m.conversation,
            member=m,
            title=_title(m.conversation, user.pk, others.get(m.conversation_id, [])),
            unread=max(0, m.conversation.last_seq - m.last_read_seq),
            last_message=last.get(m.conversation_id),
        )
        for m in members
    ]


def unread_total_for(*, user: Any) -> int:
    """Unread messages over all the person's conversations (one query)."""
    if not _is_signed_in(user):
        return 0
    total = ConversationMember.objects.filter(user_id=user.pk, is_active=True).aggregate(
        unread=Sum(F("conversation__last_seq") - F("last_read_seq"))
    )["unread"]
    return max(0, int(total or 0))


def conversation_summary(*, conversation_id: int, user: Any) -> ConversationSummary:
    """One conversation as the inbox shows it; NotFoundError for non-members."""
    member = membership_of(conversation_id=conversation_id, user=user)
    others = (
        list(
            ConversationMember.objects.filter(conversation_id=conversation_id, is_active=True)
            .exclude(user_id=user.pk)
            .select_related("user__profile")
            .order_by("pk")
        )
        if member.conversation.kind != ConversationKind.ANNOUNCEMENTS
        else []
    )
    conversation = member.conversation
    return ConversationSummary(
        conversation=conversation,
        member=member,
        title=_title(conversation, user.pk, others),
        unread=max(0, conversation.last_seq - member.last_read_seq),
        last_message=None,
    )


def message_by_id(*, message_id: int) -> Message:
    return _messages().get(pk=message_id)


def is_participant(*, program: Any, user: Any) -> bool:
    """An approved participant of program (for its announcements)."""
    from trellis.programs.models import Enrollment, EnrollmentStatus

    return (
        _is_signed_in(user)
        and Enrollment.objects.filter(
            program=program, user_id=user.pk, status=EnrollmentStatus.APPROVED
        ).exists()
    )


def member_states(*, conversation: Conversation) -> list[dict[str, Any]]:
    """Each active member's delivered and read cursors (for "delivered"/"read" marks)."""
    return [
        {
            "user": member.user_id,
            "display_name": member.user.display_name,
            "can_write": member.can_write,
            "delivered": member.last_delivered_seq,
            "read": member.last_read_seq,
        }
        for member in ConversationMember.objects.filter(conversation=conversation, is_active=True)
        .select_related("user__profile")
        .order_by("pk")
    ]

"""Writes for conversations and messages.

Lock order: the conversation row (select_for_update) and nothing else; a send takes the
next seq under it, so messages are numbered in commit order without gaps. Every event
goes out through realtime.publish after the commit, to the conversation's active members
only (computed here: the security boundary).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from trellis.accounts.models import User
from trellis.core import realtime
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.ratelimit import rate_limit_check
from trellis.mentorships.models import GroupLeaveReason, GroupMember, Mentorship
from trellis.messaging.formatting import render_markdown
from trellis.messaging.models import (
    MAX_BODY_LENGTH,
    MAX_CLIENT_KEY_LENGTH,
    Attachment,
    Conversation,
    ConversationKind,
    ConversationMember,
    Message,
    MessageKind,
)
from trellis.programs.models import Enrollment, EnrollmentStatus, Program

logger = logging.getLogger(__name__)

# A message may carry this many files.
MAX_ATTACHMENTS = 10


# Conversations and who is in them -------------------------------------------------------


def _sync_members(
    conversation: Conversation, writers: Iterable[int], readers: Iterable[int]
) -> None:
    """Make exactly writers (may write) and readers (read only) the active members."""
    writer_ids = set(writers)
    reader_ids = set(readers) - writer_ids
    wanted = {**dict.fromkeys(reader_ids, False), **dict.fromkeys(writer_ids, True)}
    existing = {m.user_id: m for m in ConversationMember.objects.filter(conversation=conversation)}
    for user_id, can_write in wanted.items():
        member = existing.get(user_id)
        if member is None:
            # A newcomer starts with everything before them unread? No: they start at the
            # present, as in the chat apps people know; the history is still there to read.
            ConversationMember.objects.create(
                conversation=conversation,
                user_id=user_id,
                can_write=can_write,
                last_read_seq=conversation.last_seq,
                last_delivered_seq=conversation.last_seq,
                emailed_seq=conversation.last_seq,
            )
        elif member.can_write != can_write or not member.is_active:
            member.can_write = can_write
            member.is_active = True
            member.save(update_fields=["can_write", "is_active", "updated_at"])
    gone = [m.pk for user_id, m in existing.items() if user_id not in wanted and m.is_active]
    if gone:
        ConversationMember.objects.filter(pk__in=gone).update(
            is_active=False, updated_at=timezone.now()
        )


@transaction.atomic
def conversation_for_mentorship(*, mentorship: Mentorship) -> Conversation:
    """The mentorship's conversation, its members brought up to date (pair or group)."""
    conversation, _ = Conversation.objects.get_or_create(
        mentorship=mentorship,
        defaults={"kind": ConversationKind.MENTORSHIP, "program_id": mentorship.program_id},
    )
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if mentorship.is_ongoing:
        _sync_members(conversation, writers=mentorship.participant_ids(), readers=[])
    else:
        # A finished mentorship's conversation stays readable to those who were in it at
        # the end; nobody writes in it any more.
        _sync_members(conversation, writers=[], readers=_people_at_the_end(mentorship))
    return conversation


def _people_at_the_end(mentorship: Mentorship) -> list[int]:
    if not mentorship.is_group:
        return [mentorship.mentor_id, *mentorship.mentee_ids()]
    finished = GroupMember.objects.filter(
        mentorship=mentorship, left_reason=GroupLeaveReason.GROUP_FINISHED
    ).values_list("mentee_id", flat=True)
    return [mentorship.mentor_id, *finished]


def mentorship_people_changed(*, mentorship: Mentorship) -> None:
    """Bring an existing mentorship conversation's members up to date (join, leave, end).

    Called by the mentorship services when a group gains or loses a member or a
    mentorship finishes, so a person who left gets no further message from then on.
    """
    if Conversation.objects.filter(mentorship=mentorship).exists():
        # Read afresh: the caller's instance may hold the members from before the change.
        conversation_for_mentorship(mentorship=Mentorship.objects.get(pk=mentorship.pk))


def _approved_ids(program: Program, user_ids: Iterable[int]) -> set[int]:
    return set(
        Enrollment.objects.filter(
            program=program,
            user_id__in=list(user_ids),
            status=EnrollmentStatus.APPROVED,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )


@transaction.atomic
def conversation_direct(*, program: Program, user: User, other: User) -> Conversation:
    """The direct conversation of two participants of program, started if need be."""
    if not program.allows_direct_messages:
        raise PermissionDeniedError(f"{program.name} does not allow direct messages.")
    if user.pk == other.pk:
        raise ValidationError("Choose someone else to write to.")
    if _approved_ids(program, [user.pk, other.pk]) != {user.pk, other.pk}:
        raise PermissionDeniedError("Direct messages are between participants of the program.")
    low, high = sorted((user.pk, other.pk))
    key = f"{low}:{high}"
    conversation = Conversation.objects.filter(
        program=program, kind=ConversationKind.DIRECT, direct_key=key
    ).first()
    if conversation is None:
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    program=program, kind=ConversationKind.DIRECT, direct_key=key
                )
        except IntegrityError:
            conversation = Conversation.objects.get(
                program=program, kind=ConversationKind.DIRECT, direct_key=key
            )
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    _sync_members(conversation, writers=[low, high], readers=[])
    return conversation


@transaction.atomic
def conversation_introduction(*, program: Program, user_ids: list[int]) -> Conversation:
    """A new conversation of an introduction's people (the introducer, the mentee and the
    person they meet), all of them writers. Each accepted introduction gets its own."""
    people = list(dict.fromkeys(user_ids))
    if len(people) < 2:
        raise ValidationError("An introduction's conversation needs at least two people.")
    conversation = Conversation.objects.create(program=program, kind=ConversationKind.INTRODUCTION)
    _sync_members(conversation, writers=people, readers=[])
    return conversation


@transaction.atomic
def conversation_announcements(*, program: Program) -> Conversation:
    """The program's announcements: its managers write, its approved participants read."""
    conversation, _ = Conversation.objects.get_or_create(
        program=program, kind=ConversationKind.ANNOUNCEMENTS
    )
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    managers = set(program.managers.filter(is_active=True).values_list("pk", flat=True))
    participants = set(
        Enrollment.objects.filter(
            program=program, status=EnrollmentStatus.APPROVED, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    _sync_members(conversation, writers=managers, readers=participants)
    return conversation


# Messages ----------------------------------------------------------------------------------


def _rate_check(user: User) -> None:
    """Refuse a send beyond the person's limit in the current window (a fixed window)."""
    rate_limit_check(
        key=f"messaging:{user.pk}",
        limit=settings.MESSAGING_RATE_LIMIT,
        window_seconds=settings.MESSAGING_RATE_WINDOW_SECONDS,
        message="You are sending messages too fast; wait a few seconds.",
    )


def _member(conversation: Conversation, user: User) -> ConversationMember:
    member = ConversationMember.objects.filter(
        conversation=conversation, user_id=user.pk, is_active=True
    ).first()
    if member is None or not user.is_active:
        raise NotFoundError("No such conversation.")
    return member


def _clean_key(client_key: str) -> str:
    key = str(client_key or "").strip()
    if not key or len(key) > MAX_CLIENT_KEY_LENGTH:
        raise ValidationError(
            {"client_key": [f"Give a message key of 1 to {MAX_CLIENT_KEY_LENGTH} characters."]}
        )
    return key


def _clean_body(body: str, *, required: bool) -> str:
    text = str(body or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise ValidationError({"body": ["Write a message."]})
    if len(text) > MAX_BODY_LENGTH:
        raise ValidationError(
            {"body": [f"Keep it under {MAX_BODY_LENGTH} characters (this has {len(text)})."]}
        )
    return text


def message_event(message: Message) -> dict[str, Any]:
    """What clients get of a message (over the socket and the API)."""
    from trellis.messaging.selectors import message_data

    return message_data(message)


def _publish(conversation: Conversation, event: dict[str, Any]) -> None:
    recipients = list(
        ConversationMember.objects.filter(conversation=conversation, is_active=True).values_list(
            "user_id", flat=True
        )
    )
    realtime.publish(recipients, event)


def _clean_card(card: dict[str, Any] | None) -> dict[str, Any]:
    from trellis.messaging.cards import clean_event_card

    return clean_event_card(card or {})


def message_send(
    *,
    conversation: Conversation,
    sender: User,
    client_key: str,
    body: str = "",
    attachment_ids: Iterable[int] = (),
    card: dict[str, Any] | None = None,
) -> tuple[Message, bool]:
    """Store a message and announce it; return (message, created).

    A retry with the same client_key returns the message stored the first time (created
    False) and changes nothing: the key is unique per sender, so the retry's insert fails
    and its whole transaction (the seq it took included) rolls back. The message is
    committed before anyone, the sender included, is told of it.

    The hot path is four statements: the active members (the sender's right to write and
    the recipients at once), UPDATE ... RETURNING for the next seq (the conversation's row
    lock and its number at once, so seqs follow commit order without gaps), the insert
    and the sender's cursor.
    """
    key = _clean_key(client_key)
    if conversation.kind == ConversationKind.ANNOUNCEMENTS:
        # Whoever joined or left the program since it was last opened reads it, or not.
        conversation_announcements(program=conversation.program)
    members = list(
        ConversationMember.objects.filter(conversation=conversation, is_active=True).values_list(
            "pk", "user_id", "can_write"
        )
    )
    member = next((row for row in members if row[1] == sender.pk), None)
    if member is None or not sender.is_active:
        raise NotFoundError("No such conversation.")
    if not member[2]:
        raise PermissionDeniedError("You may read this conversation but not write in it.")
    attachment_ids = sorted({int(pk) for pk in attachment_ids})
    if len(attachment_ids) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachment_ids": [f"Send at most {MAX_ATTACHMENTS} files at once."]}
        )
    cleaned_card = _clean_card(card) if card else {}
    text = _clean_body(body, required=not attachment_ids and not cleaned_card)
    _rate_check(sender)
    html = render_markdown(text) if text else ""
    try:
        with transaction.atomic():
            message = _store(
                conversation, sender, key, text, html, cleaned_card, attachment_ids, members
            )
    except IntegrityError:
        stored = (
            Message.objects.select_related("sender__profile")
            .filter(sender_id=sender.pk, client_key=key)
            .first()
        )
        if stored is None:
            raise
        if stored.conversation_id != conversation.pk:
            raise ValidationError(
                {"client_key": ["This key was used for another message."]}
            ) from None
        return stored, False
    conversation.last_seq, conversation.last_message_at = message.seq, message.created_at
    return message, True


def _next_seq(conversation_id: int, now: dt.datetime) -> int:
    """Take the conversation's next seq, holding its row lock until the commit."""
    table = connection.ops.quote_name(Conversation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1, last_message_at = %s, "  # noqa: S608
            "updated_at = %s WHERE id = %s RETURNING last_seq",
            [now, now, conversation_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise NotFoundError("No such conversation.")
    return int(row[0])


def _store(
    conversation: Conversation,
    sender: User,
    key: str,
    text: str,
    html: str,
    card: dict[str, Any],
    attachment_ids: list[int],
    members: list[tuple[int, int, bool]],
) -> Message:
    attachments = (
        list(
            Attachment.objects.select_for_update()
            .filter(
                pk__in=attachment_ids,
                conversation=conversation,
                uploaded_by_id=sender.pk,
                message__isnull=True,
            )
            .order_by("pk")
        )
        if attachment_ids
        else []
    )
    if len(attachments) != len(attachment_ids):
        raise ValidationError(
            {"attachment_ids": ["Some files are not yours to send here, or were sent already."]}
        )
    now = timezone.now()
    seq = _next_seq(conversation.pk, now)
    kind: str = MessageKind.TEXT
    if card:
        kind = MessageKind.EVENT
    elif attachments:
        kind = _attachment_kind(attachments)
    message = Message(
        conversation=conversation,
        seq=seq,
        sender=sender,
        kind=kind,
        client_key=key,
        body=text,
        body_html=html,
        card=card,
        created_at=now,
    )
    message.save(force_insert=True)
    if attachments:
        Attachment.objects.filter(pk__in=[a.pk for a in attachments]).update(message=message)
        for attachment in attachments:
            attachment.message = message
    # The sender has read and received their own message.
    sender_member_id = next(row[0] for row in members if row[1] == sender.pk)
    ConversationMember.objects.filter(pk=sender_member_id).update(
        last_read_seq=seq, last_delivered_seq=seq, updated_at=now
    )
    # The new message's files are known: message_data (the event, the caller's answer)
    # reads them from here instead of querying again.
    message._prefetched_objects_cache = {"attachments": attachments}  # type: ignore[attr-defined]
    realtime.publish(
        [row[1] for row in members], {"type": "message.created", "message": message_event(message)}
    )
    _schedule_unread_email(conversation, message)
    return message


def _attachment_kind(attachments: list[Attachment]) -> str:
    from trellis.messaging.files import kind_of_recording

    if len(attachments) == 1:
        recording = kind_of_recording(attachments[0])
        if recording:
            return recording
    return MessageKind.FILE


def _own_message(message_id: int, user: User) -> Message:
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("conversation", "sender__profile")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        raise NotFoundError("No such message.")
    _member(message.conversation, user)
    if message.sender_id != user.pk:
        raise PermissionDeniedError("You may change only your own messages.")
    if message.is_deleted:
        raise ValidationError("This message was deleted.")
    return message


@transaction.atomic
def message_edit(*, message: Message, by: User, body: str) -> Message:
    """Change the text of one's own message; it shows as edited."""
    locked = _own_message(message.pk, by)
    if locked.kind == MessageKind.EVENT:
        raise ValidationError("An event card cannot be edited; delete it and share it again.")
    text = _clean_body(body, required=not locked.attachments.exists())
    if text == locked.body:
        return locked
    locked.body = text
    locked.body_html = render_markdown(text) if text else ""
    locked.edited_at = timezone.now()
    locked.save(update_fields=["body", "body_html", "edited_at"])
    _publish(locked.conversation, {"type": "message.updated", "message": message_event(locked)})
    return locked


@transaction.atomic
def message_delete(*, message: Message, by: User) -> Message:
    """Delete one's own message: its text and files go; a "deleted" mark stays in place."""
    locked = _own_message(message.pk, by)
    names = [str(attachment.file.name) for attachment in locked.attachments.all()]
    locked.attachments.all().delete()
    transaction.on_commit(lambda: _delete_files(names))
    locked.body = ""
    locked.body_html = ""
    locked.card = {}
    locked.deleted_at = timezone.now()
    locked.save(update_fields=["body", "body_html", "card", "deleted_at"])
    _publish(locked.conversation, {"type": "message.updated", "message": message_event(locked)})
    return locked


def _delete_files(names: list[str]) -> None:
    from trellis.messaging.files import attachment_storage

    for name in names:
        try:
            attachment_storage().delete(name)
        except OSError:
            logger.exception("could not delete attachment file %s", name)


# Read and delivery state -------------------------------------------------------------------


@transaction.atomic
def conversation_mark(
    *, conversation: Conversation, user: User, seq: int, read: bool
) -> ConversationMember:
    """Move the person's delivered (and, with read, read) cursor up to seq; never down."""
    member = _member(conversation, user)
    seq = max(0, min(int(seq), conversation.last_seq))
    changes: dict[str, Any] = {"last_delivered_seq": Greatest(F("last_delivered_seq"), seq)}
    if read:
        changes["last_read_seq"] = Greatest(F("last_read_seq"), seq)
    moved = (
        ConversationMember.objects.filter(pk=member.pk)
        .exclude(last_delivered_seq__gte=seq, **({"last_read_seq__gte": seq} if read else {}))
        .update(**changes, updated_at=timezone.now())
    )
    member.refresh_from_db()
    if moved:
        _publish(
            conversation,
            {
                "type": "conversation.state",
                "conversation": conversation.pk,
                "user": user.pk,
                "delivered": member.last_delivered_seq,
                "read": member.last_read_seq,
            },
        )
    return member


def conversation_typing(*, conversation: Conversation, user: User) -> None:
    """Tell the others that user is typing (not stored; sent at once)."""
    member = _member(conversation, user)
    if not member.can_write:
        raise PermissionDeniedError("You may read this conversation but not write in it.")
    others = list(
        ConversationMember.objects.filter(conversation=conversation, is_active=True)
        .exclude(user_id=user.pk)
        .values_list("user_id", flat=True)
    )
    realtime.send_now(
        others,
        {
            "type": "conversation.typing",
            "conversation": conversation.pk,
            "user": user.pk,
            "name": user.display_name,
        },
    )


# Email when away ---------------------------------------------------------------------------


def unread_email_delay() -> dt.timedelta:
    return dt.timedelta(minutes=settings.MESSAGING_EMAIL_DELAY_MINUTES)


def _schedule_unread_email(conversation: Conversation, message: Message) -> None:
    """Queue the "unread messages" check for after the delay, once per conversation and delay.

    One check per window is enough: a run that finds messages not yet due comes back when
    they are (tasks.email_unread_messages), so later messages of the window are covered.
    The cache key only saves queue rows; were it lost, a second check changes nothing.
    """
    from trellis.messaging.tasks import email_unread_messages

    delay = unread_email_delay()
    if not cache.add(
        f"messaging:email-check:{conversation.pk}", 1, timeout=int(delay.total_seconds())
    ):
        return
    at = message.created_at + delay
    conversation_id = conversation.pk

    def enqueue() -> None:
        backend = email_unread_messages.get_backend()
        if backend.supports_defer:
            email_unread_messages.using(run_after=at).enqueue(conversation_id=conversation_id)
        # A queue that cannot delay (tests' immediate backend) leaves it to the sweep.

    transaction.on_commit(enqueue)

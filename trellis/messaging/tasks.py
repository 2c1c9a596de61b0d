"""Email when away: one summary of a member's unread messages, after a delay, in their hours.

When it goes: a member gets an email when their oldest unread message from someone else
that no email told them of is at least MESSAGING_EMAIL_DELAY_MINUTES old, and their
contact hours (notifications.delivery.held_until) are open. Outside their hours it waits
for the opening. One email covers every unread message up to the conversation's latest.

Never twice: each member's ``emailed_seq`` is the highest seq an email told them of. The
sender claims it with a conditional UPDATE (from the value it read to the latest seq)
before queueing the email, in one transaction; of two workers only one can move it, and
messages read meanwhile (``last_read_seq``) are left out.

Who runs it: services.message_send queues ``email_unread_messages`` for each message at
its created_at + delay on queues that can delay (the database queue); a held member gets
another run at their opening. Queues that cannot delay (the immediate backend) leave it
to the sweep, ``manage.py messaging_email_unread`` (``unread_emails_send_due``), which is
also the safety net for a lost task: run it every minute from cron.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import nh3
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_tasks import task

from trellis.core.time import get_zone
from trellis.messaging.formatting import ATTRIBUTES, TAGS, URL_SCHEMES
from trellis.messaging.models import (
    Conversation,
    ConversationKind,
    ConversationMember,
    Message,
    MessageKind,
)
from trellis.notifications.delivery import held_until
from trellis.notifications.services import email_send_on_commit

logger = logging.getLogger(__name__)

# Messages listed in one email; the rest are counted ("and 3 more").
MAX_LISTED = 20
# A run that finds nothing due yet tries again no sooner than this (clocks differ a little
# between the process that sent and the worker).
RETRY_MARGIN = dt.timedelta(seconds=5)


def unread_email_delay() -> dt.timedelta:
    return dt.timedelta(minutes=settings.MESSAGING_EMAIL_DELAY_MINUTES)


@task()
def email_unread_messages(*, conversation_id: int) -> int:
    """Email the conversation's members whose unread messages are due; return how many."""
    return conversation_unread_emails_send(conversation_id=conversation_id, reschedule=True)


def unread_emails_send_due(now: dt.datetime | None = None) -> int:
    """Send every due unread-messages email in every conversation (the cron sweep)."""
    now = now or timezone.now()
    due_messages = (
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            seq__gt=OuterRef("last_read_seq"),
            deleted_at__isnull=True,
            created_at__lte=now - unread_email_delay(),
        )
        .filter(seq__gt=OuterRef("emailed_seq"))
        .exclude(sender_id=OuterRef("user_id"))
    )
    conversation_ids = (
        ConversationMember.objects.filter(
            is_active=True,
            user__is_active=True,
            last_read_seq__lt=F("conversation__last_seq"),
            emailed_seq__lt=F("conversation__last_seq"),
        )
        .filter(Exists(due_messages))
        .order_by("conversation_id")
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    return sum(
        conversation_unread_emails_send(conversation_id=conversation_id, now=now)
        for conversation_id in list(conversation_ids)
    )


def conversation_unread_emails_send(
    *, conversation_id: int, now: dt.datetime | None = None, reschedule: bool = False
) -> int:
    """Email each member of the conversation whose unread messages are due; return how many.

    With ``reschedule`` (the task), a member held by their contact hours, or not due yet,
    gets another run queued for then, if the queue can delay.
    """
    now = now or timezone.now()
    conversation = (
        Conversation.objects.select_related("program", "mentorship__mentor__profile")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        return 0
    members = list(
        ConversationMember.objects.filter(
            conversation=conversation,
            is_active=True,
            user__is_active=True,
            last_read_seq__lt=conversation.last_seq,
            emailed_seq__lt=conversation.last_seq,
        )
        .select_related("user__profile")
        .order_by("pk")
    )
    sent = 0
    later: set[dt.datetime] = set()
    for member in members:
        outcome = _member_email_send(conversation, member, now)
        if outcome is True:
            sent += 1
        elif isinstance(outcome, dt.datetime):
            later.add(outcome)
    if reschedule and later:
        _reschedule(conversation.pk, later)
    return sent


def _reschedule(conversation_id: int, moments: set[dt.datetime]) -> None:
    def enqueue() -> None:
        if not email_unread_messages.get_backend().supports_defer:
            return  # the sweep comes back to it
        for at in sorted(moments):
            email_unread_messages.using(run_after=at).enqueue(conversation_id=conversation_id)

    transaction.on_commit(enqueue)


def _member_email_send(
    conversation: Conversation, member: ConversationMember, now: dt.datetime
) -> bool | dt.datetime:
    """True: emailed; False: nothing to email; a datetime: due then, not now."""
    target = conversation.last_seq
    oldest = (
        Message.objects.filter(
            conversation=conversation,
            seq__gt=max(member.last_read_seq, member.emailed_seq),
            seq__lte=target,
            deleted_at__isnull=True,
        )
        .exclude(sender_id=member.user_id)
        .order_by("seq")
        .only("created_at")
        .first()
    )
    if oldest is None:
        return False
    due_at = oldest.created_at + unread_email_delay()
    if due_at > now:
        return max(due_at, now + RETRY_MARGIN)
    opening = held_until(recipient=member.user, now=now)
    if opening is not None:
        return opening
    if not member.user.email:
        return False
    with transaction.atomic():
        claimed = ConversationMember.objects.filter(
            pk=member.pk,
            is_active=True,
            emailed_seq=member.emailed_seq,
            last_read_seq__lt=target,
        ).update(emailed_seq=target, updated_at=timezone.now())
        if not claimed:
            return False  # another worker sent it, or they read everything meanwhile
        read_seq = (
            ConversationMember.objects.filter(pk=member.pk)
            .values_list("last_read_seq", flat=True)
            .get()
        )
        unread = (
            Message.objects.filter(
                conversation=conversation,
                seq__gt=max(read_seq, member.emailed_seq),
                seq__lte=target,
                deleted_at__isnull=True,
            )
            .exclude(sender_id=member.user_id)
            .select_related("sender__profile")
            .prefetch_related("attachments")
            .order_by("seq")
        )
        total = unread.count()
        if not total:
            return False
        listed = list(unread[:MAX_LISTED])
        _email(conversation, member, listed, more=total - len(listed))
    return True


def conversation_path(conversation_id: int) -> str:
    try:
        return reverse("messaging:conversation", args=[conversation_id])
    except NoReverseMatch:  # before the pages exist
        return f"/messages/{conversation_id}/"


def _what(message: Message) -> str:
    """A line for a message without text: its file, recording or event."""
    if message.kind == MessageKind.EVENT and message.card:
        return f"Shared an event: {message.card.get('title', '')}"
    names = ", ".join(attachment.name for attachment in message.attachments.all())
    if message.kind == MessageKind.VOICE:
        return "Sent a voice message"
    if message.kind == MessageKind.VIDEO:
        return "Sent a video message"
    return f"Sent {names}" if names else "Sent a file"


def _subject(conversation: Conversation, senders: list[str], count: int) -> str:
    messages = "message" if count == 1 else "messages"
    if conversation.kind == ConversationKind.ANNOUNCEMENTS:
        return f"[Trellis] {count} new {messages} in {conversation.program.name} announcements"
    names = ", ".join(senders[:3]) + (" and others" if len(senders) > 3 else "")
    return f"[Trellis] {count} unread {messages} from {names}"


def _email(
    conversation: Conversation, member: ConversationMember, listed: list[Message], *, more: int
) -> None:
    recipient = member.user
    zone = get_zone(getattr(getattr(recipient, "profile", None), "time_zone", None))
    items: list[dict[str, Any]] = []
    for message in listed:
        local = message.created_at.astimezone(zone)
        html = message.body_html
        items.append(
            {
                "sender": message.sender.display_name,
                "time": local.strftime("%a %d %b, %H:%M"),
                "text": message.body or _what(message),
                # Sanitized when stored; cleaned again with the same rules on the way out.
                "html": nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES)
                if html
                else "",
                "summary": "" if message.body else _what(message),
                "attachments": [a.name for a in message.attachments.all()] if message.body else [],
            }
        )
    senders = list(dict.fromkeys(str(item["sender"]) for item in items))
    count = len(listed) + more
    context = {
        "recipient": recipient,
        "items": items,
        "more": more,
        "count": count,
        "is_announcements": conversation.kind == ConversationKind.ANNOUNCEMENTS,
        "program": conversation.program,
        "time_zone": zone.key,
        "url": settings.SITE_URL.rstrip("/") + conversation_path(conversation.pk),
    }
    email_send_on_commit(
        to=[recipient.email],
        subject=_subject(conversation, senders, count),
        body=render_to_string("messaging/email/unread.txt", context),
        html_body=render_to_string("messaging/email/unread.html", context),
    )

"""Conversations, their members and messages, attachments.

A conversation is one of four kinds: a mentorship's (the pair, or the mentor and the
current members of a group), a direct one between two participants of a program that
allows it, a program's announcements (its managers write, everyone reads), or an
introduction's (a mentor, their mentee and the person both agreed to meet; see
trellis.introductions).

Order and "nothing missed": each message gets the next ``seq`` of its conversation under
a row lock on the conversation (services.message_send), so a conversation's messages are
numbered 1, 2, 3... without gaps in commit order. A client that has seq N asks for
everything after N and misses nothing, even with several server processes.

Idempotency: a sender's ``client_key`` is unique per sender, so a retried send returns the
stored message instead of storing it again.

Read state is a cursor per member (``last_read_seq``); unread = the conversation's
``last_seq`` minus the cursor. Delivery is a cursor too (``last_delivered_seq``), moved
when one of the member's clients has the message.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from trellis.core.models import TimeStampedModel
from trellis.mentorships.models import Mentorship
from trellis.programs.models import Program

MAX_BODY_LENGTH = 10_000
MAX_CLIENT_KEY_LENGTH = 64


class ConversationKind(models.TextChoices):
    MENTORSHIP = "mentorship", "Mentorship"
    DIRECT = "direct", "Direct"
    ANNOUNCEMENTS = "announcements", "Announcements"
    INTRODUCTION = "introduction", "Introduction"


class Conversation(TimeStampedModel):
    kind = models.CharField(max_length=20, choices=ConversationKind.choices)
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="conversations")
    mentorship = models.OneToOneField(
        Mentorship,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="conversation",
    )
    # "<smaller user id>:<larger user id>" for a direct conversation: one per two people
    # and program.
    direct_key = models.CharField(max_length=50, blank=True)
    # The seq of the latest message (0: none yet); raised under the row lock.
    last_seq = models.PositiveBigIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="mentorship") | Q(mentorship__isnull=False),
                name="conversation_mentorship_kind_has_mentorship",
            ),
            models.CheckConstraint(
                condition=~Q(kind="direct") | ~Q(direct_key=""),
                name="conversation_direct_kind_has_key",
            ),
            models.UniqueConstraint(
                fields=["program", "direct_key"],
                condition=Q(kind="direct"),
                name="conversation_one_direct_per_two_people",
            ),
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(kind="announcements"),
                name="conversation_one_announcements_per_program",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} conversation {self.pk}"


class ConversationMember(TimeStampedModel):
    """A person's place in a conversation: whether they may write, and their cursors."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_memberships"
    )
    can_write = models.BooleanField(default=True)
    # False once they left (a group member who left, a manager no longer managing): they
    # keep nothing of the conversation from then on.
    is_active = models.BooleanField(default=True)
    last_read_seq = models.PositiveBigIntegerField(default=0)
    last_delivered_seq = models.PositiveBigIntegerField(default=0)
    # The highest seq an "unread messages" email already told them of: never twice.
    emailed_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="conversation_member_once"
            ),
            models.CheckConstraint(
                condition=Q(last_read_seq__lte=F("last_delivered_seq")),
                name="conversation_member_read_is_delivered",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "is_active"], name="conversation_member_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in conversation {self.conversation_id}"


class MessageKind(models.TextChoices):
    TEXT = "text", "Text"
    FILE = "file", "File"
    VOICE = "voice", "Voice message"
    VIDEO = "video", "Video message"
    EVENT = "event", "Event card"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveBigIntegerField()
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_sent"
    )
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.TEXT)
    client_key = models.CharField(max_length=MAX_CLIENT_KEY_LENGTH)
    # What the sender wrote (a small Markdown subset) and its sanitized HTML.
    body = models.TextField(max_length=MAX_BODY_LENGTH, blank=True)
    body_html = models.TextField(blank=True)
    # An event card: {"title", "starts_at", "ends_at", "place", "url"} (ISO instants, UTC).
    card = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["sender", "client_key"], name="message_client_key_unique"
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="message_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"message {self.seq} of conversation {self.conversation_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


def attachment_storage_callable() -> Any:
    """The private attachments storage (STORAGES["attachments"]), never public media."""
    from django.core.files.storage import storages

    return storages["attachments"]


def _attachment_path(instance: Attachment, filename: str) -> str:
    # Never the uploaded name: a random one, under the conversation's folder.
    return f"attachments/{instance.conversation_id}/{uuid.uuid4().hex}"


class Attachment(TimeStampedModel):
    """A file, voice or video recording uploaded into a conversation, then sent with a message."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(
        upload_to=_attachment_path, storage=attachment_storage_callable, max_length=300
    )
    # The name as uploaded, shown and offered on download (never used as a path).
    name = models.CharField(max_length=255)
    # Decided from the bytes, not from the browser's claim.
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    duration_seconds = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_seconds__isnull=True) | Q(duration_seconds__gte=0),
                name="attachment_duration_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.content_type})"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

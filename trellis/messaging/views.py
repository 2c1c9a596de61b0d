"""Messaging pages: the inbox, a conversation, and the ways into a conversation.

The conversation page renders the latest messages on the server (it reads without
JavaScript, and a plain form still sends); static/messaging/messaging.js then keeps it
live over the socket, or over HTTP when the socket cannot connect. Message text is shown
only from its sanitized HTML (body_html); everything else a person typed is escaped.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError, RateLimitedError
from trellis.mentorships.selectors import mentorship_detail, mentorship_role
from trellis.messaging import selectors, services
from trellis.messaging.forms import MessageForm
from trellis.messaging.models import ConversationKind, Message, MessageKind
from trellis.programs.models import Program
from trellis.programs.selectors import program_can_manage

PREVIEW_LENGTH = 90
KIND_PREVIEWS = {
    MessageKind.FILE: "Sent a file",
    MessageKind.VOICE: "Voice message",
    MessageKind.VIDEO: "Video message",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def message_preview(message: Message | None, *, viewer_id: int) -> str:
    """One line of the latest message for the inbox: its text, or what it carries."""
    if message is None:
        return "No messages yet."
    if message.is_deleted:
        text = "Message deleted"
    elif message.kind == MessageKind.EVENT:
        text = f"Event: {message.card.get('title', '')}"
    elif message.body:
        text = " ".join(message.body.split())
    else:
        text = KIND_PREVIEWS.get(MessageKind(message.kind), "Message")
    if len(text) > PREVIEW_LENGTH:
        text = text[: PREVIEW_LENGTH - 1].rstrip() + "…"
    sender = "You" if message.sender_id == viewer_id else message.sender.display_name
    return f"{sender}: {text}"


def receipt_label(seq: int, others: list[dict[str, Any]]) -> str:
    """What the sender sees under their own message (static/messaging/messaging.js agrees)."""
    if not others:
        return ""
    total = len(others)
    read = sum(1 for other in others if other["read"] >= seq)
    delivered = sum(1 for other in others if other["delivered"] >= seq)
    if read == total:
        return "Read"
    if read:
        return f"Read by {read} of {total}"
    if delivered == total:
        return "Delivered"
    if delivered:
        return f"Delivered to {delivered} of {total}"
    return "Sent"


def duration_label(seconds: float | None) -> str:
    """0:07, 12:30, 1:02:03 (the player's own format)."""
    if seconds is None:
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _media(attachment: dict[str, Any]) -> str:
    content_type = attachment["content_type"]
    if attachment["is_image"]:
        return "image"
    if content_type.startswith("audio/"):
        return "audio"
    if content_type.startswith("video/"):
        return "video"
    return "file"


def _instant(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@dataclass
class Entry:
    """A message as the conversation page shows it."""

    message: Message
    data: dict[str, Any]
    is_own: bool
    receipt: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    card_starts: dt.datetime | None = None
    card_ends: dt.datetime | None = None


def _entry(message: Message, *, viewer_id: int, others: list[dict[str, Any]]) -> Entry:
    data = selectors.message_data(message)
    is_own = message.sender_id == viewer_id
    card = data["card"]
    return Entry(
        message=message,
        data=data,
        is_own=is_own,
        receipt=receipt_label(message.seq, others) if is_own else "",
        attachments=[
            {
                **attachment,
                "media": _media(attachment),
                "duration_label": duration_label(attachment["duration_seconds"]),
            }
            for attachment in data["attachments"]
        ],
        card_starts=_instant(card.get("starts_at", "")) if card else None,
        card_ends=_instant(card.get("ends_at", "")) if card else None,
    )


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    summaries = selectors.conversation_list_for(user=user)
    rows = [
        {
            "summary": summary,
            "preview": message_preview(summary.last_message, viewer_id=user.pk),
        }
        for summary in summaries
    ]
    return render(request, "messaging/inbox.html", {"rows": rows})


def _conversation_context(
    request: HttpRequest, summary: selectors.ConversationSummary, form: MessageForm
) -> dict[str, Any]:
    user = _user(request)
    conversation = summary.conversation
    latest = selectors.messages_before(
        conversation=conversation, before_seq=None, limit=selectors.PAGE_SIZE + 1
    )
    has_earlier = len(latest) > selectors.PAGE_SIZE
    latest = latest[-selectors.PAGE_SIZE :]
    members = selectors.member_states(conversation=conversation)
    others = [member for member in members if member["user"] != user.pk]
    entries = [_entry(message, viewer_id=user.pk, others=others) for message in latest]
    can_write = summary.member.can_write
    query = request.GET.get("q", "").strip()[: selectors.MAX_SEARCH_LENGTH]
    found = selectors.messages_search(conversation=conversation, query=query) if query else []
    card_url = reverse("messaging:card_ics", args=[0])
    config = {
        "conversation": conversation.pk,
        "kind": conversation.kind,
        "user": user.pk,
        "canWrite": can_write,
        "lastSeq": conversation.last_seq,
        "firstSeq": latest[0].seq if latest else conversation.last_seq + 1,
        "hasEarlier": has_earlier,
        "members": members,
        "messages": [entry.data for entry in entries],
        "api": "/api/v1",
        "socketPath": "/ws/events/",
        "cardUrl": card_url.replace("/0.ics", "/{id}.ics"),
        "maxAttachmentBytes": settings.MESSAGING_MAX_ATTACHMENT_MB * 1024 * 1024,
        "csrfToken": get_token(request),
    }
    return {
        "summary": summary,
        "conversation": conversation,
        "title": summary.title,
        "entries": entries,
        "has_earlier": has_earlier,
        "members": members,
        "other_names": ", ".join(member["display_name"] for member in others),
        "search_query": query,
        "search_results": [_entry(message, viewer_id=user.pk, others=others) for message in found],
        "can_write": can_write,
        "is_announcements": conversation.kind == ConversationKind.ANNOUNCEMENTS,
        "form": form,
        "messaging_config": config,
        "max_attachment_mb": settings.MESSAGING_MAX_ATTACHMENT_MB,
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = _user(request)
    try:
        summary = selectors.conversation_summary(conversation_id=conversation_id, user=user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    status = 200
    if request.method == "POST":
        # Without JavaScript: the composer posts here, then the page shows the message.
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                message, _created = services.message_send(
                    conversation=summary.conversation,
                    sender=user,
                    client_key=form.cleaned_data["client_key"],
                    body=form.cleaned_data["body"],
                )
            except ValidationError as error:
                for field, problems in getattr(error, "message_dict", {}).items():
                    form.add_error(field if field in form.fields else None, problems)
                if not hasattr(error, "error_dict"):
                    form.add_error(None, error.messages)
            except (PermissionDeniedError, RateLimitedError) as error:
                form.add_error(None, str(error))
            else:
                url = reverse("messaging:conversation", args=[conversation_id])
                return redirect(f"{url}#message-{message.seq}")
        status = 422
    else:
        form = MessageForm(initial={"client_key": uuid.uuid4().hex})
    return render(
        request,
        "messaging/conversation.html",
        _conversation_context(request, summary, form),
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mentorship_conversation(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    """The mentorship's conversation, started if need be; its people only."""
    user = _user(request)
    try:
        mentorship = mentorship_detail(mentorship_id=mentorship_id, user=user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    # Managers may see the mentorship, never what its people say to each other.
    if mentorship_role(mentorship=mentorship, user=user) not in ("mentor", "mentee"):
        raise Http404("No such mentorship.")
    conversation = services.conversation_for_mentorship(mentorship=mentorship)
    return redirect("messaging:conversation", conversation.pk)


def _program(slug: str) -> Program:
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        raise Http404("No such program.")
    return program


@login_required
@require_POST
def direct(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    """Start (or reopen) a direct conversation with another participant of the program."""
    user = _user(request)
    program = _program(slug)
    other = User.objects.filter(pk=user_id, is_active=True).first()
    if other is None:
        raise Http404("No such person.")
    try:
        conversation = services.conversation_direct(program=program, user=user, other=other)
    except (PermissionDeniedError, ValidationError) as error:
        reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        return render(
            request,
            "messaging/refused.html",
            {"program": program, "reason": reason},
            status=403,
        )
    return redirect("messaging:conversation", conversation.pk)


@login_required
@require_safe
def announcements(request: HttpRequest, slug: str) -> HttpResponse:
    """The program's announcements: its managers write, its participants read."""
    user = _user(request)
    program = _program(slug)
    if not program_can_manage(program=program, user=user) and not selectors.is_participant(
        program=program, user=user
    ):
        raise Http404("No such program.")
    # Opening it brings its readers up to date (who joined or left the program since).
    conversation = services.conversation_announcements(program=program)
    return redirect("messaging:conversation", conversation.pk)

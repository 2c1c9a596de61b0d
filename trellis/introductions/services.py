"""Writes of introductions: make one, answer it (with an account or by the emailed link),
cancel it, and end those past their time.

Double opt-in: the mentee and the contact are asked at once and either may answer first;
only when both have accepted does anything of one reach the other (a conversation of the
three for a participant, the hand-over email for an outside person). A "not now" ends it
quietly: the introducer is told only that it will not go ahead for now, in the same words
as when it expires, and the other side is told nothing.

Every answer locks the introduction's row, so two answers arriving together are counted
in turn and the conversation is opened once.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from trellis.core.errors import NotFoundError, PermissionDeniedError, RateLimitedError
from trellis.core.ratelimit import rate_limit_check
from trellis.introductions import selectors
from trellis.introductions.models import (
    EXPIRY_DAYS,
    MAX_MESSAGE_LENGTH,
    MAX_NAME_LENGTH,
    Answer,
    Introduction,
    IntroductionStatus,
)
from trellis.notifications.services import email_send_on_commit, notification_send

if TYPE_CHECKING:
    from trellis.accounts.models import User
    from trellis.mentorships.models import Mentorship

logger = logging.getLogger(__name__)

# A mentor makes at most this many introductions in an hour (each may email a stranger).
CREATE_RATE_LIMIT = 20
CREATE_RATE_WINDOW_SECONDS = 3600
# The outside person's page and endpoint: requests per address and minute.
ANSWER_RATE_LIMIT = 30
ANSWER_RATE_WINDOW_SECONDS = 60


def introduction_url(introduction: Introduction) -> str:
    return reverse("introductions:detail", args=[introduction.pk])


def answer_url(token: str) -> str:
    """The outside person's link, absolute (it goes out by email)."""
    path = reverse("introductions:answer", args=[token])
    return settings.SITE_URL.rstrip("/") + path


def _name(user: Any) -> str:
    return str(user.display_name)


def _both(introduction: Introduction) -> str:
    return f"{_name(introduction.mentee)} and {introduction.contact_display_name}"


def answer_rate_check(*, client: str) -> None:
    """Count one request to the outside person's link from ``client`` (an address)."""
    rate_limit_check(
        key=f"introductions:answer:{client}",
        limit=ANSWER_RATE_LIMIT,
        window_seconds=ANSWER_RATE_WINDOW_SECONDS,
        message="Too many requests just now; wait a minute and try again.",
    )


# Making one ------------------------------------------------------------------------------


def _clean_message(message: str) -> str:
    text = str(message or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"message": "Say why they should meet."})
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            {"message": f"Keep it under {MAX_MESSAGE_LENGTH} characters (this has {len(text)})."}
        )
    return text


def _clean_outside(name: str, email: str, by: User) -> tuple[str, str]:
    name = " ".join(str(name or "").split())
    email = str(email or "").strip().lower()
    errors: dict[str, str] = {}
    if not name:
        errors["contact_name"] = "Give their name."
    elif len(name) > MAX_NAME_LENGTH:
        errors["contact_name"] = f"Keep the name under {MAX_NAME_LENGTH} characters."
    try:
        validate_email(email)
    except ValidationError:
        errors["contact_email"] = "Give a valid email address."
    else:
        if email == by.email.lower():
            errors["contact_email"] = "That is your own address: give theirs."
    if errors:
        raise ValidationError(errors)
    return name, email


def _expire_due(**match: Any) -> None:
    """End the pending introductions matching ``match`` that are past their time, so a new
    one may take their place (the sweep may not have run yet)."""
    Introduction.objects.filter(
        status=IntroductionStatus.PENDING, expires_at__lte=timezone.now(), **match
    ).update(status=IntroductionStatus.EXPIRED, updated_at=timezone.now())


ALREADY_WAITING = "An introduction of these two is already waiting for answers."


@transaction.atomic
def introduction_create(
    *,
    mentorship: Mentorship,
    by: User,
    mentee: User,
    message: str,
    contact: User | None = None,
    contact_name: str = "",
    contact_email: str = "",
) -> Introduction:
    """Introduce a mentee of ``mentorship`` to a participant (``contact``) or to someone
    outside Trellis (``contact_name`` and ``contact_email``); both are asked at once.

    ``by`` is the mentorship's mentor, while it goes on. The outside person is emailed a
    link with a token; only its hash is kept.
    """
    if by.pk != mentorship.mentor_id:
        raise PermissionDeniedError("Only the mentor introduces their mentee to someone.")
    if mentorship.status not in selectors.OPEN_MENTORSHIP_STATUSES:
        raise ValidationError("Introductions are made while the mentorship goes on.")
    if mentee.pk not in mentorship.mentee_ids():
        raise ValidationError({"mentee": "Pick one of your mentees."})
    text = _clean_message(message)
    has_outside = bool(str(contact_name or "").strip() or str(contact_email or "").strip())
    if contact is not None and has_outside:
        raise ValidationError(
            "Introduce a participant or someone outside Trellis, not both at once."
        )
    token = ""
    name, email = "", ""
    if contact is not None:
        if contact.pk in (mentee.pk, by.pk):
            raise ValidationError({"contact": "Pick someone other than your mentee and you."})
        if selectors.contact_choice(mentorship=mentorship, user_id=contact.pk) is None:
            raise ValidationError({"contact": "Pick a participant of the program."})
        _expire_due(mentee=mentee, contact=contact)
        duplicate = Introduction.objects.filter(
            mentee=mentee, contact=contact, status=IntroductionStatus.PENDING
        )
    elif has_outside:
        name, email = _clean_outside(contact_name, contact_email, by)
        _expire_due(mentee=mentee, contact__isnull=True, contact_email__iexact=email)
        duplicate = Introduction.objects.filter(
            mentee=mentee,
            contact__isnull=True,
            contact_email__iexact=email,
            status=IntroductionStatus.PENDING,
        )
        token = secrets.token_urlsafe(32)
    else:
        raise ValidationError(
            {"contact": "Pick a participant, or give the name and email of someone outside."}
        )
    if duplicate.exists():
        raise ValidationError(ALREADY_WAITING)
    rate_limit_check(
        key=f"introductions:create:{by.pk}",
        limit=CREATE_RATE_LIMIT,
        window_seconds=CREATE_RATE_WINDOW_SECONDS,
        message="You have made many introductions just now; wait a while before the next.",
    )
    introduction = Introduction(
        program=mentorship.program,
        mentorship=mentorship,
        introducer=by,
        mentee=mentee,
        contact=contact,
        contact_name=name,
        contact_email=email,
        message=text,
        token_hash=selectors.hash_token(token) if token else "",
        expires_at=timezone.now() + dt.timedelta(days=EXPIRY_DAYS),
    )
    introduction.full_clean(validate_constraints=False)  # the database checks them
    try:
        with transaction.atomic():
            introduction.save()
    except IntegrityError as error:
        # The same introduction made at the same moment (another tab).
        raise ValidationError(ALREADY_WAITING) from error
    _tell_asked(introduction, token)
    return introduction


def _tell_asked(introduction: Introduction, token: str) -> None:
    introducer = _name(introduction.introducer)
    url = introduction_url(introduction)
    body = "Your contact details are shared only if you both say yes."
    notification_send(
        recipient=introduction.mentee,
        kind="introduction.asked",
        title=f"{introducer} would like to introduce you to {introduction.contact_display_name}",
        body=body,
        url=url,
    )
    if introduction.contact is not None:
        notification_send(
            recipient=introduction.contact,
            kind="introduction.asked",
            title=f"{introducer} would like to introduce you to {_name(introduction.mentee)}",
            body=body,
            url=url,
        )
        return
    context = {
        "introduction": introduction,
        "introducer": introducer,
        "mentee": _name(introduction.mentee),
        "program": introduction.program,
        "url": answer_url(token),
    }
    email_send_on_commit(
        to=[introduction.contact_email],
        subject=f"[Trellis] {introducer} would like to introduce you to "
        f"{_name(introduction.mentee)}",
        body=render_to_string("introductions/email/ask.txt", context),
    )


# Answering ------------------------------------------------------------------------------


def _locked(introduction: Introduction) -> Introduction:
    """The introduction's row locked for this transaction, its people as the caller has them."""
    locked = Introduction.objects.select_for_update().get(pk=introduction.pk)
    for relation in ("program", "introducer", "mentee", "contact"):
        setattr(locked, relation, getattr(introduction, relation))
    return locked


def _copy(source: Introduction, target: Introduction) -> None:
    for name in (
        "status",
        "mentee_answer",
        "mentee_answered_at",
        "contact_answer",
        "contact_answered_at",
        "conversation_id",
        "accepted_at",
        "updated_at",
    ):
        setattr(target, name, getattr(source, name))


def _side(introduction: Introduction, by: User) -> str:
    """ "mentee" or "contact": who answers; the introducer may only cancel."""
    role = selectors.role_of(introduction, by)
    if role is None:
        raise NotFoundError("No such introduction.")
    if role == "introducer":
        raise PermissionDeniedError("The two people you introduced answer; you may cancel it.")
    return role


def _answer(introduction: Introduction, side: str, *, accept: bool) -> Introduction:
    """Record ``side``'s answer on the locked row; go ahead or end quietly as it decides."""
    if not selectors.is_open(introduction):
        raise ValidationError("This introduction is no longer waiting for answers.")
    if getattr(introduction, f"{side}_answer") != Answer.PENDING:
        raise ValidationError("You have already answered.")
    now = timezone.now()
    setattr(introduction, f"{side}_answer", Answer.ACCEPTED if accept else Answer.NOT_NOW)
    setattr(introduction, f"{side}_answered_at", now)
    fields = [f"{side}_answer", f"{side}_answered_at", "status", "updated_at"]
    if not accept:
        introduction.status = IntroductionStatus.NOT_NOW
        introduction.save(update_fields=fields)
        _tell_introducer_not_now(introduction)
        return introduction
    other = "contact" if side == "mentee" else "mentee"
    if getattr(introduction, f"{other}_answer") != Answer.ACCEPTED:
        introduction.save(update_fields=fields)
        return introduction
    introduction.status = IntroductionStatus.ACCEPTED
    introduction.accepted_at = now
    if introduction.is_outside:
        introduction.save(update_fields=[*fields, "accepted_at"])
        _hand_over(introduction)
    else:
        introduction.conversation = _open_conversation(introduction)
        introduction.save(update_fields=[*fields, "accepted_at", "conversation"])
        _tell_all_three(introduction)
    return introduction


@transaction.atomic
def introduction_accept(*, introduction: Introduction, by: User) -> Introduction:
    """``by`` (the mentee or the contact) says yes; the second yes opens the way."""
    side = _side(introduction, by)
    locked = _locked(introduction)
    _answer(locked, side, accept=True)
    _copy(locked, introduction)
    return introduction


@transaction.atomic
def introduction_decline(*, introduction: Introduction, by: User) -> Introduction:
    """``by`` (the mentee or the contact) says not now; it ends quietly."""
    side = _side(introduction, by)
    locked = _locked(introduction)
    _answer(locked, side, accept=False)
    _copy(locked, introduction)
    return introduction


@transaction.atomic
def introduction_answer_by_token(*, token: str, accept: bool) -> Introduction:
    """The outside person answers through their link; NotFoundError for a link that is
    wrong, used or past its time (all alike)."""
    found = selectors.introduction_by_token(token=token)
    if found is None:
        raise NotFoundError("This link is no longer valid.")
    locked = _locked(found)
    if locked.contact_answer != Answer.PENDING or not selectors.is_open(locked):
        raise NotFoundError("This link is no longer valid.")
    _answer(locked, "contact", accept=accept)
    _copy(locked, found)
    return found


@transaction.atomic
def introduction_cancel(*, introduction: Introduction, by: User) -> Introduction:
    """The introducer withdraws it while it waits; the people asked then read "Not now"."""
    role = selectors.role_of(introduction, by)
    if role is None:
        raise NotFoundError("No such introduction.")
    if role != "introducer":
        raise PermissionDeniedError("Only the one who made the introduction cancels it.")
    locked = _locked(introduction)
    if not selectors.is_open(locked):
        raise ValidationError("This introduction is no longer waiting for answers.")
    locked.status = IntroductionStatus.CANCELLED
    locked.save(update_fields=["status", "updated_at"])
    _copy(locked, introduction)
    return introduction


# Ending ---------------------------------------------------------------------------------


def _tell_introducer_not_now(introduction: Introduction) -> None:
    """The same words whoever said not now, and when it expires: nothing more is told."""
    notification_send(
        recipient=introduction.introducer,
        kind="introduction.not_now",
        title=f"Your introduction of {_both(introduction)} will not go ahead for now",
        body="Nobody is told who answered what. You may introduce them to someone else.",
        url=introduction_url(introduction),
    )


def introductions_expire(*, now: dt.datetime | None = None, batch: int = 200) -> int:
    """End pending introductions past their time (cron: manage.py introductions_expire).

    Each ends in its own transaction; the introducer is told as for a "not now".
    """
    now = now or timezone.now()
    due = list(
        Introduction.objects.filter(status=IntroductionStatus.PENDING, expires_at__lte=now)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(_expire_one(pk, now) for pk in due)


@transaction.atomic
def _expire_one(introduction_id: int, now: dt.datetime) -> bool:
    locked = (
        Introduction.objects.select_for_update(of=("self",))
        .filter(pk=introduction_id, status=IntroductionStatus.PENDING, expires_at__lte=now)
        .select_related("introducer__profile", "mentee__profile", "contact__profile")
        .first()
    )
    if locked is None:
        return False
    locked.status = IntroductionStatus.EXPIRED
    locked.save(update_fields=["status", "updated_at"])
    _tell_introducer_not_now(locked)
    return True


# Going ahead ----------------------------------------------------------------------------


def first_message(introduction: Introduction) -> str:
    """The introducer's words, opening the conversation of the three."""
    mentee, contact = _name(introduction.mentee), introduction.contact_display_name
    return f"{mentee}, meet {contact}. {contact}, meet {mentee}.\n\n{introduction.message}"


def _open_conversation(introduction: Introduction) -> Any:
    # Imported here: messaging is a neighbour app, asked at the moment it is needed.
    from trellis.messaging import services as messaging

    people = [introduction.introducer_id, introduction.mentee_id, introduction.contact_id]
    conversation = messaging.conversation_introduction(
        program=introduction.program,
        user_ids=[user_id for user_id in people if user_id is not None],
    )
    introducer = introduction.introducer
    if introducer.is_active:
        try:
            messaging.message_send(
                conversation=conversation,
                sender=introducer,
                client_key=f"introduction-{introduction.pk}",
                body=first_message(introduction),
            )
        except RateLimitedError:
            # The introducer is busy writing elsewhere: the conversation opens all the same.
            logger.warning("Introduction %s opened without its first message.", introduction.pk)
    return conversation


def _tell_all_three(introduction: Introduction) -> None:
    url = reverse("messaging:conversation", args=[introduction.conversation_id])
    mentee, contact = introduction.mentee, introduction.contact
    if contact is None:
        return
    for recipient, title in (
        (introduction.introducer, f"{_both(introduction)} both said yes"),
        (mentee, f"You and {_name(contact)} both said yes: say hello"),
        (contact, f"You and {_name(mentee)} both said yes: say hello"),
    ):
        notification_send(
            recipient=recipient,
            kind="introduction.accepted",
            title=title,
            body="The conversation of the three of you is open.",
            url=url,
        )


def _hand_over(introduction: Introduction) -> None:
    """Both said yes to an outside person: each gets the other's name and email address."""
    mentee = introduction.mentee
    context = {
        "introduction": introduction,
        "introducer": _name(introduction.introducer),
        "mentee_name": _name(mentee),
        "mentee_email": mentee.email,
        "contact_name": introduction.contact_name,
        "contact_email": introduction.contact_email,
        "program": introduction.program,
    }
    email_send_on_commit(
        to=[mentee.email],
        subject=f"[Trellis] Meet {introduction.contact_name}",
        body=render_to_string("introductions/email/hand_over_mentee.txt", context),
    )
    email_send_on_commit(
        to=[introduction.contact_email],
        subject=f"[Trellis] Meet {_name(mentee)}",
        body=render_to_string("introductions/email/hand_over_contact.txt", context),
    )
    url = introduction_url(introduction)
    notification_send(
        recipient=mentee,
        kind="introduction.accepted",
        title=f"You and {introduction.contact_name} both said yes",
        body="Their email address is on the introduction's page, and in your email.",
        url=url,
        # The hand-over email is on its way; one email is enough.
        send_email=False,
    )
    notification_send(
        recipient=introduction.introducer,
        kind="introduction.accepted",
        title=f"{_both(introduction)} both said yes",
        body="They have each other's email address now.",
        url=url,
    )

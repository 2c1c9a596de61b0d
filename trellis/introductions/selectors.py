"""Reads for introductions, and what each of its people may see of one.

Only an introduction's three people see it: the introducer, the mentee and a contact who
is a participant (an outside person answers through their emailed link). The program's
managers and staff do not: it is private, and they get 404 as for one that does not
exist. Each sees the state in their own words (``IntroductionView``): a "not now" reads
"You said not now" to whoever said it and "Not now" to everyone else, as do an expired
introduction and, to the people asked, a cancelled one, so nobody learns who said it,
when or why. Contact details (an outside person's email address, the conversation of
the three) show only once both have accepted. Every list is one query.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from trellis.core.errors import NotFoundError
from trellis.introductions.models import Answer, Introduction, IntroductionStatus
from trellis.mentorships.models import Mentorship, MentorshipStatus
from trellis.mentorships.selectors import mentorship_detail, mentorship_role
from trellis.programs.models import Enrollment, EnrollmentStatus

# Introductions are made while the mentorship goes on (not before it has started).
OPEN_MENTORSHIP_STATUSES = (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)
# The new introduction page lists at most this many participants; a search narrows them.
MAX_CONTACT_CHOICES = 200
MAX_TOKEN_LENGTH = 100
MAX_ID = 2**63 - 1

NOT_NOW = "Not now"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _is_signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


def is_expired(introduction: Introduction, now: Any = None) -> bool:
    """Still pending in the database but past its time (the sweep has not run yet)."""
    now = now or timezone.now()
    return introduction.status == IntroductionStatus.PENDING and introduction.expires_at <= now


def is_open(introduction: Introduction, now: Any = None) -> bool:
    """Waiting for answers: pending and not past its time."""
    return introduction.status == IntroductionStatus.PENDING and not is_expired(introduction, now)


def role_of(introduction: Introduction, user: Any) -> str | None:
    """ "introducer", "mentee", "contact" (a participant) or None (anyone else)."""
    if not _is_signed_in(user):
        return None
    if user.pk == introduction.introducer_id:
        return "introducer"
    if user.pk == introduction.mentee_id:
        return "mentee"
    if introduction.contact_id is not None and user.pk == introduction.contact_id:
        return "contact"
    return None


def _name(user: Any) -> str:
    return str(user.display_name) if user is not None else ""


def _headline(user: Any) -> str:
    profile = getattr(user, "profile", None)
    return str(getattr(profile, "headline", "") or "")


# One introduction as one of its people sees it ---------------------------------------------


@dataclass(frozen=True)
class IntroductionView:
    """An introduction in the words of one of its people (``role``).

    ``state`` is what they may know: "waiting_for_you", "you_accepted", "waiting" (the
    introducer, while both are asked), "accepted", "you_said_not_now", "not_now" or
    "cancelled" (the introducer only; to the people asked it reads "not_now").
    """

    introduction: Introduction
    role: str
    state: str
    state_label: str
    can_answer: bool
    can_cancel: bool
    # The other person's contact details, once both accepted: an outside person's email
    # address (the mentee and the introducer), the conversation of the three.
    contact_email: str = ""
    conversation_id: int | None = None

    @property
    def pk(self) -> int:
        return int(self.introduction.pk)

    @property
    def url(self) -> str:
        return reverse("introductions:detail", args=[self.introduction.pk])

    @property
    def conversation_url(self) -> str:
        if self.conversation_id is None:
            return ""
        return reverse("messaging:conversation", args=[self.conversation_id])

    @property
    def introducer_name(self) -> str:
        return _name(self.introduction.introducer)

    @property
    def mentee_name(self) -> str:
        return _name(self.introduction.mentee)

    @property
    def contact_name(self) -> str:
        return self.introduction.contact_display_name

    @property
    def other_name(self) -> str:
        """Whom the viewer is introduced to (for the introducer: both, "Noah and Kim")."""
        if self.role == "mentee":
            return self.contact_name
        if self.role == "contact":
            return self.mentee_name
        return f"{self.mentee_name} and {self.contact_name}"

    @property
    def other_user(self) -> Any:
        """The other participant asked (for a profile link), None for an outside person."""
        if self.role == "mentee":
            return self.introduction.contact
        if self.role == "contact":
            return self.introduction.mentee
        return None

    @property
    def other_headline(self) -> str:
        other = self.other_user
        return _headline(other) if other is not None else ""

    @property
    def is_waiting_for_viewer(self) -> bool:
        return self.state == "waiting_for_you"

    @property
    def is_accepted(self) -> bool:
        return self.state == "accepted"


def _state(introduction: Introduction, role: str, now: Any) -> tuple[str, str]:
    status = introduction.status
    mine = None
    if role == "mentee":
        mine = introduction.mentee_answer
    elif role == "contact":
        mine = introduction.contact_answer
    if status == IntroductionStatus.ACCEPTED:
        return "accepted", "Accepted: you can meet"
    if status == IntroductionStatus.NOT_NOW and mine == Answer.NOT_NOW:
        return "you_said_not_now", "You said not now"
    if status == IntroductionStatus.CANCELLED and role == "introducer":
        return "cancelled", "You cancelled it"
    if status != IntroductionStatus.PENDING or is_expired(introduction, now):
        # Declined by the other side, expired, or (to those asked) cancelled: all alike.
        return "not_now", NOT_NOW
    if role == "introducer":
        return "waiting", "Waiting for answers"
    if mine == Answer.ACCEPTED:
        return "you_accepted", "You accepted; waiting for the other answer"
    return "waiting_for_you", "Waiting for your answer"


def view_for(introduction: Introduction, role: str, now: Any = None) -> IntroductionView:
    now = now or timezone.now()
    state, label = _state(introduction, role, now)
    accepted = state == "accepted"
    email = ""
    if introduction.is_outside and (role == "introducer" or (accepted and role == "mentee")):
        # The introducer typed it; the mentee learns it once both said yes.
        email = introduction.contact_email
    return IntroductionView(
        introduction=introduction,
        role=role,
        state=state,
        state_label=label,
        can_answer=state == "waiting_for_you",
        can_cancel=role == "introducer" and state == "waiting",
        contact_email=email,
        conversation_id=introduction.conversation_id if accepted else None,
    )


def _introductions() -> QuerySet[Introduction]:
    return Introduction.objects.select_related(
        "program", "introducer__profile", "mentee__profile", "contact__profile"
    )


def introduction_for(*, introduction_id: Any, user: Any) -> IntroductionView:
    """One introduction as user sees it; NotFoundError for anyone but its three people."""
    introduction = None
    if _is_id(introduction_id) and _is_signed_in(user):
        introduction = (
            _introductions()
            .filter(
                Q(introducer_id=user.pk) | Q(mentee_id=user.pk) | Q(contact_id=user.pk),
                pk=introduction_id,
            )
            .first()
        )
    role = role_of(introduction, user) if introduction is not None else None
    if introduction is None or role is None:
        raise NotFoundError("No such introduction.")
    return view_for(introduction, role)


def _views(introductions: QuerySet[Introduction], user: Any) -> list[IntroductionView]:
    now = timezone.now()
    views = []
    for introduction in introductions:
        role = role_of(introduction, user)
        if role is not None:
            views.append(view_for(introduction, role, now))
    return views


@dataclass(frozen=True)
class IntroductionLists:
    waiting: list[IntroductionView]
    made: list[IntroductionView]
    of_you: list[IntroductionView]

    @property
    def is_empty(self) -> bool:
        return not (self.waiting or self.made or self.of_you)


def introductions_of(*, user: Any) -> list[IntroductionView]:
    """Every introduction user made or is asked in, newest first (one query)."""
    if not _is_signed_in(user):
        return []
    found = _introductions().filter(
        Q(introducer_id=user.pk) | Q(mentee_id=user.pk) | Q(contact_id=user.pk)
    )
    return _views(found.order_by("-created_at", "-pk"), user)


def introduction_lists_for(*, user: Any) -> IntroductionLists:
    """The introductions page: waiting for user's answer, made by user, of user (one query)."""
    views = introductions_of(user=user)
    return IntroductionLists(
        waiting=[view for view in views if view.is_waiting_for_viewer],
        made=[view for view in views if view.role == "introducer"],
        of_you=[
            view for view in views if view.role != "introducer" and not view.is_waiting_for_viewer
        ],
    )


def _waiting_filter(user_id: int) -> Q:
    return Q(mentee_id=user_id, mentee_answer=Answer.PENDING) | Q(
        contact_id=user_id, contact_answer=Answer.PENDING
    )


def introductions_waiting_for(*, user: Any, limit: int = 5) -> list[IntroductionView]:
    """Introductions waiting for user's answer, oldest first (the dashboard; one query)."""
    if not _is_signed_in(user):
        return []
    found = (
        _introductions()
        .filter(
            _waiting_filter(user.pk),
            status=IntroductionStatus.PENDING,
            expires_at__gt=timezone.now(),
        )
        .order_by("created_at", "pk")[:limit]
    )
    return _views(found, user)


def introductions_in_mentorship(*, mentorship: Mentorship, user: Any) -> list[IntroductionView]:
    """The mentorship page's card (one query): the mentor sees the introductions they made
    in it; a mentee their own that still wait for answers; anyone else nothing (no query)."""
    if not _is_signed_in(user):
        return []
    found = _introductions().filter(mentorship_id=mentorship.pk)
    if user.pk == mentorship.mentor_id:
        found = found.filter(introducer_id=user.pk)
    elif user.pk in mentorship.mentee_ids():
        found = found.filter(
            mentee_id=user.pk,
            status=IntroductionStatus.PENDING,
            expires_at__gt=timezone.now(),
        )
    else:
        return []
    return _views(found.order_by("-created_at", "-pk"), user)


# Making one ----------------------------------------------------------------------------


def may_introduce(*, mentorship: Mentorship, user: Any) -> bool:
    """The mentor, while the mentorship goes on (active or paused) and has a mentee."""
    return (
        _is_signed_in(user)
        and user.pk == mentorship.mentor_id
        and mentorship.status in OPEN_MENTORSHIP_STATUSES
        and bool(mentorship.mentee_ids())
    )


def mentorship_for_introductions(*, mentorship_id: Any, user: Any) -> tuple[Mentorship, str]:
    """The mentorship and user's role in it ("mentor", "mentee", "manager"); else NotFound."""
    if not _is_id(mentorship_id):
        raise NotFoundError("No such mentorship.")
    mentorship = mentorship_detail(mentorship_id=mentorship_id, user=user)
    role = mentorship_role(mentorship=mentorship, user=user)
    if role is None:
        raise NotFoundError("No such mentorship.")
    return mentorship, role


def contact_choices(*, mentorship: Mentorship, query: str = "") -> list[Any]:
    """Approved participants of the mentorship's program whom its mentor may introduce a
    mentee to: everyone but the mentorship's own people, by name (one query)."""
    enrollments = (
        Enrollment.objects.filter(
            program_id=mentorship.program_id,
            status=EnrollmentStatus.APPROVED,
            user__is_active=True,
            user__profile__isnull=False,
        )
        .exclude(user_id__in=mentorship.participant_ids())
        .select_related("user__profile")
    )
    query = (query or "").strip()[:100]
    if query:
        enrollments = enrollments.filter(
            Q(user__profile__display_name__icontains=query)
            | Q(user__profile__headline__icontains=query)
        )
    ordered = enrollments.order_by("user__profile__display_name", "user_id")
    return [enrollment.user for enrollment in ordered[:MAX_CONTACT_CHOICES]]


def contact_choice(*, mentorship: Mentorship, user_id: Any) -> Any:
    """One participant the mentor may introduce a mentee to, or None."""
    if not _is_id(user_id):
        return None
    enrollment = (
        Enrollment.objects.filter(
            program_id=mentorship.program_id,
            status=EnrollmentStatus.APPROVED,
            user_id=user_id,
            user__is_active=True,
        )
        .select_related("user__profile")
        .first()
    )
    return enrollment.user if enrollment is not None else None


# The outside person's link -------------------------------------------------------------


def introduction_by_token(*, token: str) -> Introduction | None:
    """The introduction an outside person's link asks about, while it waits for their answer.

    None for a token that is malformed, unknown, already answered or past its time, so a
    used link and a wrong one look the same.
    """
    token = str(token or "")
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    digest = hash_token(token)
    introduction = _introductions().filter(token_hash=digest, contact__isnull=True).first()
    if introduction is None or not hmac.compare_digest(introduction.token_hash, digest):
        return None
    if not is_open(introduction) or introduction.contact_answer != Answer.PENDING:
        return None
    return introduction

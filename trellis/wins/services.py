"""Writes of wins, their reactions and comments.

Nothing is shared without the mentee's choice: a finished milestone or goal only proposes
a win to its owner (``win_propose``, called by trellis.goals), and only the owner moves it
between "just us", "shared with the program" and "not now". Program managers may take a
shared win off the wall (``win_hide``) and remove comments; anyone who sees a win that is
kept by the pair or on the wall may react to it and comment on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.ratelimit import rate_limit_check
from trellis.mentorships.models import GroupLeaveReason, GroupMember, Mentorship
from trellis.mentorships.selectors import mentorship_can_view
from trellis.notifications.services import notification_send
from trellis.programs.models import Enrollment, EnrollmentStatus
from trellis.wins import selectors
from trellis.wins.models import (
    MAX_COMMENT_LENGTH,
    MAX_STORY_LENGTH,
    MAX_TITLE_LENGTH,
    REACTIONS,
    Win,
    WinComment,
    WinReaction,
    WinSource,
    WinState,
)

if TYPE_CHECKING:
    from trellis.goals.models import Goal, Milestone

# Per person, across all wins: enough for a lively wall, not for a flood.
COMMENT_RATE_LIMIT = 20
COMMENT_RATE_WINDOW_SECONDS = 600

# Where the owner may move a win from each state ("proposed" is only ever the start).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    WinState.PROPOSED: (WinState.PAIR, WinState.PROGRAM, WinState.DISMISSED),
    WinState.PAIR: (WinState.PROGRAM,),
    WinState.PROGRAM: (WinState.PAIR,),
    WinState.DISMISSED: (WinState.PAIR, WinState.PROGRAM),
}
# What a mentee may choose when celebrating a win by hand.
CREATE_STATES = (WinState.PAIR, WinState.PROGRAM)


def win_url(win: Win) -> str:
    return reverse("wins:detail", args=[win.pk])


def _name(user: Any) -> str:
    return str(getattr(user, "display_name", "") or "Someone")


def _clean_text(value: Any, *, field: str, max_length: int, required: bool) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise ValidationError({field: ["This field cannot be empty."]})
    if len(text) > max_length:
        raise ValidationError(
            {field: [f"Keep it to {max_length} characters (it has {len(text)})."]}
        )
    return text


def _owner_is_participant(mentorship: Mentorship, owner: Any) -> bool:
    """The owner is still an approved participant and a mentee of the mentorship.

    A group that finished took its members with it; they still count as its mentees.
    """
    if not getattr(owner, "is_active", False):
        return False
    if not Enrollment.objects.filter(
        program_id=mentorship.program_id, user_id=owner.pk, status=EnrollmentStatus.APPROVED
    ).exists():
        return False
    if not mentorship.is_group:
        return mentorship.mentee_id == owner.pk
    return (
        GroupMember.objects.filter(mentorship=mentorship, mentee_id=owner.pk)
        .filter(left_at__isnull=True)
        .exists()
        or GroupMember.objects.filter(
            mentorship=mentorship, mentee_id=owner.pk, left_reason=GroupLeaveReason.GROUP_FINISHED
        ).exists()
    )


def _existing_win(goal: Goal, milestone: Milestone | None) -> Win | None:
    if milestone is not None:
        return Win.objects.filter(milestone=milestone).first()
    return Win.objects.filter(goal=goal, milestone__isnull=True, source=WinSource.GOAL).first()


# Contract for trellis.goals: keep the signature.
def win_propose(*, goal: Goal, milestone: Milestone | None = None) -> Win | None:
    """Propose a win to the goal's owner for a finished milestone (or the goal itself).

    Idempotent: a second call for the same milestone (or goal) returns the win made the
    first time and tells nobody again. None if the owner is no longer a participant.
    """
    existing = _existing_win(goal, milestone)
    if existing is not None:
        return existing
    mentorship = goal.mentorship
    owner = goal.owner
    if not _owner_is_participant(mentorship, owner):
        return None
    if milestone is not None:
        title = f"Finished: {milestone.title}"
        notice = f"You finished “{milestone.title}” — celebrate it?"
    else:
        title = f"Achieved: {goal.title}"
        notice = f"You achieved “{goal.title}” — celebrate it?"
    win = Win(
        mentorship=mentorship,
        owner=owner,
        goal=goal,
        milestone=milestone,
        source=WinSource.GOAL if milestone is None else WinSource.MILESTONE,
        title=title[:MAX_TITLE_LENGTH],
        state=WinState.PROPOSED,
    )
    try:
        # A savepoint: the caller's transaction goes on if another request won the race.
        with transaction.atomic():
            win.full_clean(validate_constraints=False)
            win.save()
            notification_send(
                recipient=owner,
                kind="win.proposed",
                title=notice,
                body="Keep it between you and your mentor, share it with the program, "
                "or let it be. Nobody else sees it until you choose.",
                url=win_url(win),
            )
    except IntegrityError:
        return _existing_win(goal, milestone)
    return win


@transaction.atomic
def win_create(
    *, mentorship: Mentorship, by: Any, title: str, story: str = "", state: str = WinState.PAIR
) -> Win:
    """Celebrate a win by hand: a mentee of the mentorship, with the visibility they chose."""
    if not mentorship_can_view(mentorship=mentorship, user=by):
        raise NotFoundError("No such mentorship.")
    if not selectors.may_celebrate(mentorship=mentorship, user=by):
        raise PermissionDeniedError("Wins are celebrated by the mentees of a running mentorship.")
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    for field, value, limit, required in (
        ("title", title, MAX_TITLE_LENGTH, True),
        ("story", story, MAX_STORY_LENGTH, False),
    ):
        try:
            clean[field] = _clean_text(value, field=field, max_length=limit, required=required)
        except ValidationError as error:
            errors.update(error.message_dict)
    if state not in CREATE_STATES:
        errors["state"] = ["Choose “Keep it between us” or “Share with the program”."]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    win = Win(
        mentorship=mentorship,
        owner=by,
        title=clean["title"],
        story=clean["story"],
        state=state,
        decided_at=now,
        shared_at=now if state == WinState.PROGRAM else None,
    )
    win.full_clean()
    win.save()
    return win


def _owned(win: Win, by: Any) -> Win:
    """The win, locked, if by may see it and owns it; 404 or 403 otherwise."""
    if not selectors.win_can_view(win=win, user=by):
        raise NotFoundError("No such win.")
    if win.owner_id != by.pk:
        raise PermissionDeniedError("Only the person whose win it is decides about it.")
    return Win.objects.select_for_update().get(pk=win.pk)


@transaction.atomic
def win_decide(*, win: Win, by: Any, state: str) -> Win:
    """The owner chooses who sees the win: just the pair, the program, or not now."""
    locked = _owned(win, by)
    if state == locked.state:
        return locked
    if state not in TRANSITIONS.get(locked.state, ()):
        allowed = ", ".join(f"“{WinState(s).label}”" for s in TRANSITIONS.get(locked.state, ()))
        raise ValidationError({"state": [f"From here the win can go to {allowed}."]})
    now = timezone.now()
    locked.state = state
    locked.decided_at = now
    if state == WinState.PROGRAM:
        locked.shared_at = now
    locked.full_clean(validate_constraints=False)
    locked.save(update_fields=["state", "decided_at", "shared_at", "updated_at"])
    return locked


@transaction.atomic
def win_update(*, win: Win, by: Any, title: str | None = None, story: str | None = None) -> Win:
    """The owner rewords the win's title or story (None leaves a field as it is)."""
    locked = _owned(win, by)
    errors: dict[str, list[str]] = {}
    changed: list[str] = []
    for field, value, limit, required in (
        ("title", title, MAX_TITLE_LENGTH, True),
        ("story", story, MAX_STORY_LENGTH, False),
    ):
        if value is None:
            continue
        try:
            text = _clean_text(value, field=field, max_length=limit, required=required)
        except ValidationError as error:
            errors.update(error.message_dict)
            continue
        if getattr(locked, field) != text:
            setattr(locked, field, text)
            changed.append(field)
    if errors:
        raise ValidationError(errors)
    if changed:
        locked.full_clean(validate_constraints=False)
        locked.save(update_fields=[*changed, "updated_at"])
    return locked


# Moderation --------------------------------------------------------------------------------


def _moderated(win: Win, by: Any) -> Win:
    if not selectors.win_can_view(win=win, user=by):
        raise NotFoundError("No such win.")
    if not selectors.win_can_moderate(win=win, user=by):
        raise PermissionDeniedError("Only the program's managers take a win off the wall.")
    return Win.objects.select_for_update().get(pk=win.pk)


@transaction.atomic
def win_hide(*, win: Win, by: Any) -> Win:
    """A program manager takes a shared win off the wall; its owner is told."""
    locked = _moderated(win, by)
    if locked.hidden_at is not None:
        return locked
    locked.hidden_at = timezone.now()
    locked.hidden_by = by
    locked.save(update_fields=["hidden_at", "hidden_by", "updated_at"])
    notification_send(
        recipient=locked.owner,
        kind="win.hidden",
        title=f"A program manager took “{locked.title}” off the wins wall",
        body="It is still yours to see, with your mentor.",
        url=win_url(locked),
    )
    return locked


@transaction.atomic
def win_unhide(*, win: Win, by: Any) -> Win:
    """A program manager puts a hidden win back on the wall."""
    locked = _moderated(win, by)
    if locked.hidden_at is None:
        return locked
    locked.hidden_at = None
    locked.hidden_by = None
    locked.save(update_fields=["hidden_at", "hidden_by", "updated_at"])
    return locked


# Reactions and comments --------------------------------------------------------------------


def _interacting(win: Win, by: Any) -> None:
    """Refuse anyone who cannot see the win (404) and wins not open to reactions (403)."""
    if not selectors.win_can_view(win=win, user=by):
        raise NotFoundError("No such win.")
    fresh = Win.objects.only("state", "hidden_at").get(pk=win.pk)
    if not selectors.win_may_interact(win=fresh):
        raise PermissionDeniedError(
            "Reactions and comments are open once the win is shared, and not on a hidden win."
        )


def _clean_emoji(emoji: Any) -> str:
    value = str(emoji or "").strip()
    if value == "❤":  # a heart without its emoji variation selector
        value = "❤️"
    if value not in REACTIONS:
        raise ValidationError({"emoji": [f"Choose one of {' '.join(REACTIONS)}."]})
    return value


@transaction.atomic
def win_reaction_add(*, win: Win, by: Any, emoji: str) -> WinReaction:
    """React to a win; reacting again with the same emoji changes nothing."""
    _interacting(win, by)
    value = _clean_emoji(emoji)
    try:
        with transaction.atomic():
            reaction, _created = WinReaction.objects.get_or_create(
                win_id=win.pk, user_id=by.pk, emoji=value
            )
    except IntegrityError:
        reaction = WinReaction.objects.get(win_id=win.pk, user_id=by.pk, emoji=value)
    return reaction


@transaction.atomic
def win_reaction_remove(*, win: Win, by: Any, emoji: str) -> None:
    """Take back one's reaction; nothing happens if there was none."""
    _interacting(win, by)
    value = _clean_emoji(emoji)
    WinReaction.objects.filter(win_id=win.pk, user_id=by.pk, emoji=value).delete()


@transaction.atomic
def win_reaction_toggle(*, win: Win, by: Any, emoji: str) -> bool:
    """Add the reaction, or take it back if one had given it; whether it is given now."""
    _interacting(win, by)
    value = _clean_emoji(emoji)
    deleted, _ = WinReaction.objects.filter(win_id=win.pk, user_id=by.pk, emoji=value).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            WinReaction.objects.create(win_id=win.pk, user_id=by.pk, emoji=value)
    except IntegrityError:
        pass  # the same person's other tab added it a moment ago
    return True


@transaction.atomic
def win_comment_add(*, win: Win, by: Any, text: str) -> WinComment:
    """Comment on a win (plain text, 1 to 500 characters); its owner is told."""
    _interacting(win, by)
    body = _clean_text(text, field="text", max_length=MAX_COMMENT_LENGTH, required=True)
    rate_limit_check(
        key=f"wins:comment:{by.pk}",
        limit=COMMENT_RATE_LIMIT,
        window_seconds=COMMENT_RATE_WINDOW_SECONDS,
        message="You have written many comments just now; wait a few minutes.",
    )
    comment = WinComment(win_id=win.pk, author=by, text=body)
    comment.full_clean()
    comment.save()
    if win.owner_id != by.pk:
        notification_send(
            recipient=win.owner,
            kind="win.commented",
            title=f"{_name(by)} commented on your win “{win.title}”",
            body=body,
            url=win_url(win),
        )
    return comment


@transaction.atomic
def win_comment_delete(*, comment: WinComment, by: Any) -> None:
    """Remove a comment: its author, or a manager of the program (for a shared win)."""
    win = comment.win
    if not selectors.win_can_view(win=win, user=by) or comment.deleted_at is not None:
        raise NotFoundError("No such comment.")
    if comment.author_id != by.pk and not selectors.win_can_moderate(win=win, user=by):
        raise PermissionDeniedError("Only its author or a program manager removes a comment.")
    updated = WinComment.objects.filter(pk=comment.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), deleted_by=by
    )
    if not updated:
        raise NotFoundError("No such comment.")

"""Reads of wins: who may see which, the wall, a mentorship's wins, reactions and comments.

Who sees a win (everyone else is told it does not exist):
- proposed or dismissed: its owner alone;
- pair ("just us"): its owner and the mentorship's mentor (in a group too, nobody else);
- program: every approved participant of the program, its managers and staff; once a
  manager hid it from the wall, only its owner, the mentor and the managers.

Every list here is read in a fixed number of queries, however many wins, reactions and
comments there are (``wins_decorate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber

from trellis.core.errors import NotFoundError
from trellis.mentorships.models import Mentorship
from trellis.programs.models import Enrollment, EnrollmentStatus, Program
from trellis.programs.selectors import program_detail, programs_managed_by
from trellis.wins.models import REACTIONS, Win, WinComment, WinReaction, WinState

WALL_PAGE_SIZE = 20
LATEST_COMMENTS = 3


def _is_signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def wins_visible_q(user: Any) -> Q:
    """A Q for the wins user may see (nothing for anonymous or inactive people)."""
    if not _is_signed_in(user):
        return Q(pk__in=[])
    approved_programs = Enrollment.objects.filter(
        user_id=user.pk, status=EnrollmentStatus.APPROVED
    ).values("program_id")
    managed_programs = programs_managed_by(user=user).values("pk")
    return (
        Q(owner_id=user.pk)
        | Q(mentorship__mentor_id=user.pk, state__in=[WinState.PAIR, WinState.PROGRAM])
        | Q(
            state=WinState.PROGRAM,
            hidden_at__isnull=True,
            mentorship__program_id__in=approved_programs,
        )
        | Q(state=WinState.PROGRAM, mentorship__program_id__in=managed_programs)
    )


def _wins() -> QuerySet[Win]:
    return Win.objects.select_related(
        "owner__profile",
        "mentorship__program",
        "mentorship__mentor__profile",
        "goal",
        "milestone",
        "hidden_by__profile",
    ).annotate(
        comment_count=Subquery(
            WinComment.objects.filter(win_id=OuterRef("pk"), deleted_at__isnull=True)
            .order_by()
            .values("win_id")
            .annotate(count=Count("pk"))
            .values("count")[:1]
        )
    )


def win_for(*, win_id: int, user: Any) -> Win:
    """The win if user may see it; NotFoundError otherwise, to reveal nothing."""
    win = _wins().filter(wins_visible_q(user), pk=win_id).first()
    if win is None:
        raise NotFoundError("No such win.")
    return win


def win_can_view(*, win: Win, user: Any) -> bool:
    return Win.objects.filter(wins_visible_q(user), pk=win.pk).exists()


def win_may_interact(*, win: Win) -> bool:
    """Reactions and comments are open on a win kept by the pair or on the wall."""
    return win.is_open


def win_can_moderate(*, win: Win, user: Any) -> bool:
    """The program's managers (and staff) moderate what is shared with the program."""
    return win.state == WinState.PROGRAM and (
        programs_managed_by(user=user).filter(pk=win.mentorship.program_id).exists()
    )


def comment_for(*, comment_id: int, user: Any) -> WinComment:
    """A live comment on a win user may see; NotFoundError otherwise."""
    comment = (
        WinComment.objects.select_related("author__profile", "win__mentorship")
        .filter(
            pk=comment_id,
            deleted_at__isnull=True,
            win__in=Win.objects.filter(wins_visible_q(user)),
        )
        .first()
    )
    if comment is None:
        raise NotFoundError("No such comment.")
    return comment


# The wall -------------------------------------------------------------------------------


@dataclass
class Wall:
    program: Program
    can_manage: bool


def wall_for(*, slug: str, user: Any) -> Wall:
    """The program's wall if user is an approved participant, a manager or staff."""
    if not _is_signed_in(user):
        raise NotFoundError("No such program.")
    program = program_detail(slug=slug, user=user)
    can_manage = bool(getattr(program, "can_manage", False))
    if getattr(program, "my_status", None) != EnrollmentStatus.APPROVED and not can_manage:
        raise NotFoundError("No such program.")
    return Wall(program=program, can_manage=can_manage)


def wall_wins(*, program: Program) -> QuerySet[Win]:
    """The wins shared with the program and not hidden, newest shared first."""
    return (
        _wins()
        .filter(mentorship__program=program, state=WinState.PROGRAM, hidden_at__isnull=True)
        .order_by("-shared_at", "-pk")
    )


def wall_hidden_wins(*, program: Program) -> list[Win]:
    """Shared wins a manager took off the wall, for the managers (latest hidden first)."""
    return list(
        _wins()
        .filter(mentorship__program=program, state=WinState.PROGRAM, hidden_at__isnull=False)
        .order_by("-hidden_at", "-pk")
    )


# A mentorship's wins -----------------------------------------------------------------------


def mentorship_wins(*, mentorship: Mentorship, user: Any) -> list[Win]:
    """The mentorship's wins user may see: those awaiting a choice first, then the newest."""
    wins = list(
        _wins().filter(wins_visible_q(user), mentorship=mentorship).order_by("-created_at", "-pk")
    )
    return sorted(wins, key=lambda win: win.state != WinState.PROPOSED)


def may_celebrate(*, mentorship: Mentorship, user: Any) -> bool:
    """The mentorship's current mentees may celebrate a win by hand while it runs."""
    return (
        _is_signed_in(user)
        and mentorship.status in ("active", "paused")
        and user.pk in mentorship.mentee_ids()
    )


# Reactions and comments ------------------------------------------------------------------


@dataclass
class ReactionCount:
    emoji: str
    label: str
    count: int
    is_mine: bool


def reaction_counts(*, win_ids: list[int], user: Any) -> dict[int, list[ReactionCount]]:
    """Each win's count per reaction (every reaction listed, zero too) and whether user gave it."""
    rows = (
        WinReaction.objects.filter(win_id__in=win_ids)
        .order_by()
        .values("win_id", "emoji")
        .annotate(count=Count("pk"), mine=Count("pk", filter=Q(user_id=user.pk)))
    )
    found: dict[tuple[int, str], tuple[int, int]] = {
        (row["win_id"], row["emoji"]): (row["count"], row["mine"]) for row in rows
    }
    return {
        win_id: [
            ReactionCount(
                emoji=emoji,
                label=label,
                count=found.get((win_id, emoji), (0, 0))[0],
                is_mine=bool(found.get((win_id, emoji), (0, 0))[1]),
            )
            for emoji, label in REACTIONS.items()
        ]
        for win_id in win_ids
    }


def _live_comments() -> QuerySet[WinComment]:
    return WinComment.objects.select_related("author__profile").filter(deleted_at__isnull=True)


def latest_comments(*, win_ids: list[int], limit: int = LATEST_COMMENTS) -> dict[int, list[Any]]:
    """Each win's latest ``limit`` comments, oldest of them first, in one query."""
    ranked = (
        _live_comments()
        .filter(win_id__in=win_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("win_id")],
                order_by=[F("created_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=limit)
    )
    comments: dict[int, list[Any]] = {win_id: [] for win_id in win_ids}
    for comment in ranked:
        comments[comment.win_id].append(comment)
    for items in comments.values():
        items.sort(key=lambda comment: (comment.created_at, comment.pk))
    return comments


def comment_list(*, win: Win) -> list[WinComment]:
    """All of a win's live comments, oldest first."""
    return list(_live_comments().filter(win=win).order_by("created_at", "pk"))


def wins_decorate(wins: list[Win], *, user: Any, all_comments: bool = False) -> list[Win]:
    """Attach ``reaction_counts`` and ``shown_comments`` to each win, in two queries."""
    win_ids = [win.pk for win in wins]
    if not win_ids:
        return wins
    counts = reaction_counts(win_ids=win_ids, user=user)
    if all_comments:
        comments: dict[int, list[Any]] = {win_id: [] for win_id in win_ids}
        for comment in _live_comments().filter(win_id__in=win_ids).order_by("created_at", "pk"):
            comments[comment.win_id].append(comment)
    else:
        comments = latest_comments(win_ids=win_ids)
    for win in wins:
        win.reaction_counts = counts[win.pk]  # type: ignore[attr-defined]
        win.shown_comments = comments[win.pk]  # type: ignore[attr-defined]
        if getattr(win, "comment_count", None) is None:
            win.comment_count = 0  # type: ignore[attr-defined]
    return wins

"""REST endpoints for wins, their reactions and comments (mounted at /api/v1/).

A win someone may not see answers 404, as one that does not exist: a proposed or set
aside win is its owner's alone, a win kept "just us" is its owner's and the mentor's, a
shared one is the program's (participants, managers, staff) unless a manager hid it.
Only the owner changes a win (others who see it get 403); reactions and comments are
open on a win kept by the pair or on the wall.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError
from trellis.mentorships.selectors import mentorship_detail
from trellis.wins import selectors, services
from trellis.wins.models import Win, WinComment, WinState

router = Router(tags=["wins"])


def _user(request: HttpRequest) -> User:
    # The API signs everyone in first (api_auth).
    return cast(User, request.user)


class PersonOut(Schema):
    id: int
    name: str


class ReactionOut(Schema):
    emoji: str
    label: str = Field(description="What the emoji says, for screen readers.")
    count: int
    mine: bool = Field(description="Whether you gave this reaction.")


class WinOut(Schema):
    id: int
    url: str
    mentorship_id: int
    program: str = Field(description="The program's slug.")
    owner: PersonOut
    mentor: PersonOut
    source: str = Field(description="milestone, goal or by_hand: what proposed it.")
    goal_id: int | None
    goal_title: str | None
    milestone_id: int | None
    milestone_title: str | None
    title: str
    story: str
    state: str = Field(description="proposed, pair, program or dismissed.")
    state_label: str
    is_hidden: bool = Field(description="A program manager took it off the wall.")
    shared_at: dt.datetime | None
    decided_at: dt.datetime | None
    created_at: dt.datetime
    reactions: list[ReactionOut]
    comment_count: int


class WallPageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[WinOut]


class PageIn(Schema):
    page: int = Field(default=1, ge=1)


class WinCreateIn(Schema):
    title: str
    story: str = ""
    state: str = Field(default=WinState.PAIR.value, description="pair or program.")


class WinPatchIn(Schema):
    state: str | None = Field(default=None, description="pair, program or dismissed.")
    title: str | None = None
    story: str | None = None


class ReactionIn(Schema):
    emoji: str


class CommentIn(Schema):
    text: str


class CommentOut(Schema):
    id: int
    win_id: int
    author: PersonOut
    text: str
    created_at: dt.datetime


def _person(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "name": user.display_name}


def _win_out(win: Win) -> dict[str, Any]:
    return {
        "id": win.pk,
        "url": services.win_url(win),
        "mentorship_id": win.mentorship_id,
        "program": win.mentorship.program.slug,
        "owner": _person(win.owner),
        "mentor": _person(win.mentorship.mentor),
        "source": win.source,
        "goal_id": win.goal_id,
        "goal_title": win.goal.title if win.goal else None,
        "milestone_id": win.milestone_id,
        "milestone_title": win.milestone.title if win.milestone else None,
        "title": win.title,
        "story": win.story,
        "state": win.state,
        "state_label": win.get_state_display(),
        "is_hidden": win.is_hidden,
        "shared_at": win.shared_at,
        "decided_at": win.decided_at,
        "created_at": win.created_at,
        "reactions": [
            {"emoji": r.emoji, "label": r.label, "count": r.count, "mine": r.is_mine}
            for r in getattr(win, "reaction_counts", [])
        ],
        "comment_count": getattr(win, "comment_count", None) or 0,
    }


def _comment_out(comment: WinComment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "win_id": comment.win_id,
        "author": _person(comment.author),
        "text": comment.text,
        "created_at": comment.created_at,
    }


def _fresh(request: HttpRequest, win_id: int) -> dict[str, Any]:
    """The win as the caller sees it now, with its reactions and comment count."""
    win = selectors.win_for(win_id=win_id, user=request.user)
    selectors.wins_decorate([win], user=request.user)
    return _win_out(win)


@router.get(
    "/programs/{slug}/wins",
    response=WallPageOut,
    summary="The program's wins wall: shared wins, newest shared first, 20 a page",
)
def wall(request: HttpRequest, slug: str, query: Query[PageIn]) -> dict[str, Any]:
    the_wall = selectors.wall_for(slug=slug, user=request.user)
    paginator = Paginator(selectors.wall_wins(program=the_wall.program), selectors.WALL_PAGE_SIZE)
    if query.page > max(paginator.num_pages, 1):
        raise NotFoundError("No such page.")
    page = paginator.page(query.page)
    wins = selectors.wins_decorate(list(page.object_list), user=request.user)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "results": [_win_out(win) for win in wins],
    }


@router.get(
    "/mentorships/{mentorship_id}/wins",
    response=list[WinOut],
    summary="The mentorship's wins you may see; those waiting for your choice first",
)
def mentorship_wins(request: HttpRequest, mentorship_id: int) -> list[dict[str, Any]]:
    mentorship = mentorship_detail(mentorship_id=mentorship_id, user=request.user)
    wins = selectors.mentorship_wins(mentorship=mentorship, user=request.user)
    return [_win_out(win) for win in selectors.wins_decorate(wins, user=request.user)]


@router.post(
    "/mentorships/{mentorship_id}/wins",
    response={201: WinOut},
    summary="Celebrate a win by hand (a mentee of the mentorship), kept by the pair or shared",
)
def win_create(request: HttpRequest, mentorship_id: int, payload: WinCreateIn) -> Status[Any]:
    mentorship = mentorship_detail(mentorship_id=mentorship_id, user=request.user)
    win = services.win_create(
        mentorship=mentorship,
        by=_user(request),
        title=payload.title,
        story=payload.story,
        state=payload.state,
    )
    return Status(201, _fresh(request, win.pk))


@router.get("/wins/{win_id}", response=WinOut, summary="A win you may see")
def win_detail(request: HttpRequest, win_id: int) -> dict[str, Any]:
    return _fresh(request, win_id)


@router.patch(
    "/wins/{win_id}",
    response=WinOut,
    summary="The owner chooses who sees the win (state) or rewords it (title, story)",
)
def win_patch(request: HttpRequest, win_id: int, payload: WinPatchIn) -> dict[str, Any]:
    win = selectors.win_for(win_id=win_id, user=request.user)
    user = _user(request)
    # All of it or nothing: a refused state leaves the title as it was.
    with transaction.atomic():
        if payload.title is not None or payload.story is not None:
            win = services.win_update(win=win, by=user, title=payload.title, story=payload.story)
        if payload.state is not None:
            services.win_decide(win=win, by=user, state=payload.state)
        elif payload.title is None and payload.story is None:
            # Nothing to change: still only the owner may ask.
            services.win_update(win=win, by=user)
    return _fresh(request, win_id)


@router.post(
    "/wins/{win_id}/reactions",
    response={201: list[ReactionOut]},
    summary="React to a win (🎉 👏 💪 ❤️ 🚀); the win's reactions after it",
)
def reaction_add(request: HttpRequest, win_id: int, payload: ReactionIn) -> Status[Any]:
    win = selectors.win_for(win_id=win_id, user=request.user)
    services.win_reaction_add(win=win, by=_user(request), emoji=payload.emoji)
    return Status(201, _fresh(request, win_id)["reactions"])


@router.delete(
    "/wins/{win_id}/reactions",
    response=list[ReactionOut],
    summary="Take back your reaction; the win's reactions after it",
)
def reaction_remove(request: HttpRequest, win_id: int, payload: ReactionIn) -> list[Any]:
    win = selectors.win_for(win_id=win_id, user=request.user)
    services.win_reaction_remove(win=win, by=_user(request), emoji=payload.emoji)
    return list(_fresh(request, win_id)["reactions"])


@router.get(
    "/wins/{win_id}/comments", response=list[CommentOut], summary="A win's comments, oldest first"
)
def comment_list(request: HttpRequest, win_id: int) -> list[dict[str, Any]]:
    win = selectors.win_for(win_id=win_id, user=request.user)
    return [_comment_out(comment) for comment in selectors.comment_list(win=win)]


@router.post(
    "/wins/{win_id}/comments",
    response={201: CommentOut},
    summary="Comment on a win (plain text, 1 to 500 characters; 429 when too fast)",
)
def comment_add(request: HttpRequest, win_id: int, payload: CommentIn) -> Status[Any]:
    win = selectors.win_for(win_id=win_id, user=request.user)
    comment = services.win_comment_add(win=win, by=_user(request), text=payload.text)
    return Status(201, _comment_out(comment))


@router.delete(
    "/win-comments/{comment_id}",
    response={204: None},
    summary="Remove a comment: its author, or a manager of the program",
)
def comment_delete(request: HttpRequest, comment_id: int) -> Status[None]:
    comment = selectors.comment_for(comment_id=comment_id, user=request.user)
    services.win_comment_delete(comment=comment, by=_user(request))
    return Status(204, None)


@router.post(
    "/wins/{win_id}/hide",
    response=WinOut,
    summary="Take a shared win off the program's wall (the program's managers)",
)
def win_hide(request: HttpRequest, win_id: int) -> dict[str, Any]:
    win = selectors.win_for(win_id=win_id, user=request.user)
    services.win_hide(win=win, by=_user(request))
    return _fresh(request, win_id)

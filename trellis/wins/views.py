"""Wins pages: the program's wins wall, a win's page, and the owner's choices.

Reacting, commenting and deciding answer an HTMX request with the part of the page that
changed, and a plain form post with a redirect back (or the page again with the errors).
A win or wall someone may not see is a 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.accounts.models import User
from trellis.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ValidationError,
)
from trellis.core.http import error_text, safe_next
from trellis.mentorships.selectors import MENTEE_ROLES, MENTOR_ROLES, mentorship_detail
from trellis.programs.models import EnrollmentStatus
from trellis.wins import selectors, services
from trellis.wins.forms import WinCreateForm, WinEditForm
from trellis.wins.models import Win, WinState

GET_POST = require_http_methods(["GET", "POST"])


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _htmx_target(request: HttpRequest) -> str | None:
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return None
    return str(htmx.target or "")


def _win(request: HttpRequest, win_id: int) -> Win:
    try:
        return selectors.win_for(win_id=win_id, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _back(request: HttpRequest, win: Win) -> HttpResponse:
    """Back to the page the form was on (a path on this site), else the win's page."""
    return redirect(safe_next(request) or reverse("wins:detail", args=[win.pk]))


def _form_errors(form: Any, error: ValidationError) -> None:
    """Show a service's refusal on the form, by field where the form has that field."""
    for field, problems in error.message_dict.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


def _comment_mode(request: HttpRequest) -> bool:
    """Whether the comments part shows every comment (the win's page) or the latest."""
    return request.POST.get("shown", request.GET.get("shown", "")) == "all"


def _win_context(
    request: HttpRequest, win: Win, *, all_comments: bool, reload: bool = False
) -> dict[str, Any]:
    """A win with its reactions and comments, and what the viewer may do with it.

    ``reload`` reads the win again after a change (its comment count, its state).
    """
    user = _user(request)
    if reload:
        win = selectors.win_for(win_id=win.pk, user=user)
    selectors.wins_decorate([win], user=user, all_comments=all_comments)
    return {
        "win": win,
        "can_moderate": selectors.win_can_moderate(win=win, user=user),
        "all_comments": all_comments,
    }


# The wall -----------------------------------------------------------------------------------


@login_required
@require_GET
def wall(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    try:
        the_wall = selectors.wall_for(slug=slug, user=user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    program = the_wall.program
    page = Paginator(selectors.wall_wins(program=program), selectors.WALL_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    wins = selectors.wins_decorate(list(page.object_list), user=user)
    is_participant = getattr(program, "my_status", None) == EnrollmentStatus.APPROVED
    role = getattr(program, "my_role", None)
    context = {
        "program": program,
        "page": page,
        "wins": wins,
        "can_moderate": the_wall.can_manage,
        "hidden_wins": selectors.wall_hidden_wins(program=program) if the_wall.can_manage else [],
        "section": "wins",
        # For the program's mentoring menu, as the mentorship pages build it.
        "participation": {"is_mentee": role in MENTEE_ROLES, "is_mentor": role in MENTOR_ROLES}
        if is_participant
        else None,
    }
    return render(request, "wins/wall.html", context)


# A win ----------------------------------------------------------------------------------


def _render_detail(
    request: HttpRequest,
    win: Win,
    *,
    comment_text: str = "",
    comment_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    context = _win_context(request, win, all_comments=True)
    context.update(
        {
            "comment_text": comment_text,
            "comment_error": comment_error,
            "can_see_mentorship": user.pk in win.mentorship.participant_ids()
            or context["can_moderate"],
            "can_see_wall": win.is_on_wall,
        }
    )
    return render(request, "wins/detail.html", context, status=status)


@login_required
@require_GET
def detail(request: HttpRequest, win_id: int) -> HttpResponse:
    return _render_detail(request, _win(request, win_id))


@login_required
@require_POST
def decide(request: HttpRequest, win_id: int) -> HttpResponse:
    """The owner's choice: keep it between the pair, share it with the program, or not now."""
    win = _win(request, win_id)
    state = request.POST.get("state", "")
    problem = ""
    try:
        win = services.win_decide(win=win, by=_user(request), state=state)
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    except ValidationError as error:
        problem = error_text(error)
    target = _htmx_target(request)
    if target is not None:
        said = {
            "decide_error": problem,
            "decided_message": "" if problem else _decided_message(win),
        }
        if target.startswith("section-win-"):
            win = selectors.win_for(win_id=win.pk, user=request.user)
            return render(
                request, "wins/_section_item.html", {"win": win, "user": request.user, **said}
            )
        context = _win_context(request, win, all_comments=True, reload=True)
        context.update(said)
        return render(request, "wins/_win_detail.html", context)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, _decided_message(win))
    return _back(request, win)


def _decided_message(win: Win) -> str:
    if win.state == WinState.PROGRAM:
        return "Shared with the program: it is on the wins wall."
    if win.state == WinState.PAIR:
        return "Kept between you and your mentor."
    return "Set aside. Nobody else sees it; you can still share it later."


@login_required
@GET_POST
def edit(request: HttpRequest, win_id: int) -> HttpResponse:
    win = _win(request, win_id)
    if win.owner_id != request.user.pk:
        raise PermissionDenied("Only the person whose win it is changes it.")
    form = WinEditForm(request.POST or None, initial={"title": win.title, "story": win.story})
    if request.method == "POST" and form.is_valid():
        try:
            services.win_update(
                win=win,
                by=_user(request),
                title=form.cleaned_data["title"],
                story=form.cleaned_data["story"],
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("wins:detail", win.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "wins/edit.html", {"win": win, "form": form}, status=status)


# Reactions and comments -------------------------------------------------------------------


@login_required
@require_POST
def react(request: HttpRequest, win_id: int) -> HttpResponse:
    """Toggle one's reaction with the emoji of the button pressed."""
    win = _win(request, win_id)
    problem = ""
    try:
        services.win_reaction_toggle(
            win=win, by=_user(request), emoji=request.POST.get("emoji", "")
        )
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    except ValidationError as error:
        problem = error_text(error)
    if _htmx_target(request) is not None:
        context = _win_context(request, win, all_comments=False, reload=True)
        context["reaction_error"] = problem
        return render(request, "wins/_reactions.html", context)
    if problem:
        messages.error(request, problem)
    return _back(request, win)


@login_required
@GET_POST
def comments(request: HttpRequest, win_id: int) -> HttpResponse:
    """GET: the comments part with every comment (HTMX), else the win's page. POST: add one."""
    win = _win(request, win_id)
    is_htmx = _htmx_target(request) is not None
    if request.method == "GET":
        if not is_htmx:
            return redirect(reverse("wins:detail", args=[win.pk]) + "#comments")
        return render(request, "wins/_comments.html", _win_context(request, win, all_comments=True))
    text = request.POST.get("text", "")
    problem = ""
    status = 200
    try:
        services.win_comment_add(win=win, by=_user(request), text=text)
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    except ValidationError as error:
        problem, status = error_text(error), 422
    except RateLimitedError as error:
        problem, status = str(error), 429
    if is_htmx:
        # htmx swaps only 2xx answers: the error is shown in the part itself.
        context = _win_context(request, win, all_comments=_comment_mode(request), reload=True)
        context.update({"comment_error": problem, "comment_text": text if problem else ""})
        return render(request, "wins/_comments.html", context)
    if problem:
        return _render_detail(request, win, comment_text=text, comment_error=problem, status=status)
    messages.success(request, "Comment added.")
    return _back(request, win)


@login_required
@require_POST
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    user = _user(request)
    try:
        comment = selectors.comment_for(comment_id=comment_id, user=user)
        services.win_comment_delete(comment=comment, by=user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    win = selectors.win_for(win_id=comment.win_id, user=user)
    if _htmx_target(request) is not None:
        return render(
            request,
            "wins/_comments.html",
            _win_context(request, win, all_comments=_comment_mode(request)),
        )
    messages.success(request, "Comment removed.")
    return _back(request, win)


# Moderation -------------------------------------------------------------------------------


def _moderate(request: HttpRequest, win_id: int, *, is_hidden: bool) -> HttpResponse:
    win = _win(request, win_id)
    action = services.win_hide if is_hidden else services.win_unhide
    try:
        action(win=win, by=_user(request))
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    if is_hidden:
        messages.success(request, f"“{win.title}” is off the wall. Its owner was told.")
    else:
        messages.success(request, f"“{win.title}” is back on the wall.")
    return _back(request, win)


@login_required
@require_POST
def hide(request: HttpRequest, win_id: int) -> HttpResponse:
    return _moderate(request, win_id, is_hidden=True)


@login_required
@require_POST
def unhide(request: HttpRequest, win_id: int) -> HttpResponse:
    return _moderate(request, win_id, is_hidden=False)


# Celebrating by hand ----------------------------------------------------------------------


@login_required
@GET_POST
def create(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    """A mentee of the mentorship celebrates a win by hand, choosing who sees it."""
    user = _user(request)
    try:
        mentorship = mentorship_detail(mentorship_id=mentorship_id, user=user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    if not selectors.may_celebrate(mentorship=mentorship, user=user):
        raise PermissionDenied("Wins are celebrated by the mentees of a running mentorship.")
    form = WinCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            win = services.win_create(
                mentorship=mentorship,
                by=user,
                title=form.cleaned_data["title"],
                story=form.cleaned_data["story"],
                state=form.cleaned_data["state"],
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _decided_message(win))
            return redirect("wins:detail", win.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "wins/create.html", {"mentorship": mentorship, "form": form}, status=status
    )

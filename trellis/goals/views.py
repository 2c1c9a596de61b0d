"""Pages: a mentorship's goals, one goal (milestones, check-ins), and the meeting forms.

The mentorship's people read everything; the program's managers and staff read goals,
milestones and progress, never check-in notes; anyone else gets 404. A goal's owner and
the mentor change it while the mentorship is active or paused. Forms posted from a
meeting page carry ``next`` and return there; a refused one is shown again on the goal's
page with what was typed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.http import safe_next
from trellis.goals import selectors, services
from trellis.goals.forms import CheckInForm, GoalEditForm, GoalForm, MilestoneForm
from trellis.goals.models import Goal, GoalStatus, Milestone, ProgressMode
from trellis.mentorships.models import Mentorship
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.selectors import series_for

GOAL_DONE = {
    "achieve": "The goal is achieved. Well done!",
    "drop": "The goal was set aside.",
    "reopen": "The goal is active again.",
}
MILESTONE_DONE = {
    "finish": "Milestone done.",
    "reopen": "The milestone is open again.",
    "delete": "The milestone was deleted.",
    "up": "The milestone moved up.",
    "down": "The milestone moved down.",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _or_404(loader: Any, **kwargs: Any) -> Any:
    try:
        return loader(**kwargs)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def meeting_url(series_id: int, recurrence_id: str, fallback: str) -> str:
    """The meeting's page (scheduling), or ``fallback`` while it has none."""
    try:
        return reverse("scheduling:meeting", args=[series_id, recurrence_id])
    except NoReverseMatch:
        return fallback


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    return redirect(safe_next(request) or fallback)


def _meeting_from_post(request: HttpRequest, goal: Goal) -> tuple[MeetingSeries | None, str]:
    """The meeting a form says it was made in (series and recurrence id), if any."""
    series_value = request.POST.get("series", "").strip()
    recurrence_id = request.POST.get("recurrence_id", "").strip()
    if not series_value:
        return None, recurrence_id
    series_id = int(series_value) if series_value.isdigit() else 0
    series = selectors.series_of_mentorship(mentorship=goal.mentorship, series_id=series_id)
    if series is None:
        raise ValidationError({"meeting": "That meeting is not one of this mentorship's."})
    return series, recurrence_id


# A mentorship's goals -------------------------------------------------------------------


def _render_list(
    request: HttpRequest,
    mentorship: Mentorship,
    role: str,
    *,
    form: GoalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    is_open = selectors.is_open(mentorship)
    owners = selectors.owners_for(mentorship=mentorship, user=user) if is_open else []
    if form is None and owners:
        form = GoalForm(owners=owners, values=mentorship.program.values or [], auto_id="goal_%s")
    return render(
        request,
        "goals/list.html",
        {
            "mentorship": mentorship,
            "role": role,
            "goals": selectors.goals_for_mentorship(mentorship=mentorship),
            "is_open": is_open,
            "form": form,
            "is_participant": role in selectors.PARTICIPANT_ROLES,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_list(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    mentorship, role = _or_404(
        selectors.mentorship_for_goals, mentorship_id=mentorship_id, user=request.user
    )
    if request.method != "POST":
        return _render_list(request, mentorship, role)
    user = _user(request)
    owners = selectors.owners_for(mentorship=mentorship, user=user)
    if not owners:
        raise PermissionDenied("Only the mentorship's people set its goals.")
    form = GoalForm(
        request.POST, owners=owners, values=mentorship.program.values or [], auto_id="goal_%s"
    )
    if form.is_valid():
        data = form.cleaned_data
        owner_id = data.get("owner", owners[0].pk)
        owner = next((person for person in owners if person.pk == owner_id), owners[0])
        try:
            goal = services.goal_create(
                mentorship=mentorship,
                owner=owner,
                by=user,
                title=data["title"],
                why=data["why"],
                measure=data["measure"],
                target_date=data["target_date"],
                value=data.get("value", ""),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, "Goal set. Add its milestones below.")
            return redirect("goals:detail", goal.pk)
    return _render_list(request, mentorship, role, form=form, status=422)


# One goal ---------------------------------------------------------------------------------


def _edit_form(goal: Goal, data: Any = None) -> GoalEditForm:
    initial = {
        "title": goal.title,
        "why": goal.why,
        "measure": goal.measure,
        "target_date": goal.target_date,
        "value": goal.value,
        "progress_mode": goal.progress_mode,
        "manual_progress": goal.manual_progress,
    }
    return GoalEditForm(
        data,
        initial=initial,
        values=goal.mentorship.program.values or [],
        auto_id="edit_%s",
    )


def _milestone_form(goal: Goal, data: Any = None, milestone: Milestone | None = None) -> Any:
    people = goal.mentorship.participants()
    if milestone is None:
        return MilestoneForm(
            data, people=people, initial={"owner": goal.owner_id}, auto_id="milestone_%s"
        )
    return MilestoneForm(
        data,
        people=people,
        initial={
            "title": milestone.title,
            "due_date": milestone.due_date,
            "owner": milestone.owner_id,
        },
        auto_id=f"milestone{milestone.pk}_%s",
    )


def _check_in_form(goal: Goal, data: Any = None) -> CheckInForm:
    return CheckInForm(
        data, is_manual=goal.progress_mode == ProgressMode.MANUAL, auto_id="checkin_%s"
    )


def _render_goal(
    request: HttpRequest,
    goal: Goal,
    role: str,
    *,
    forms: dict[str, Any] | None = None,
    failed: str = "",
    error: str = "",
    done: str = "",
    status: int = 200,
) -> HttpResponse:
    """The goal's page; after a refusal, with the refused form as it was sent."""
    forms = forms or {}
    user = _user(request)
    mentorship = goal.mentorship
    can_write = selectors.may_write_goal(goal=goal, user=user) and selectors.is_open(mentorship)
    is_active = goal.status == GoalStatus.ACTIVE
    milestones = list(goal.milestones.all())
    failed_milestone = forms.get("milestone_edit")
    rows = []
    for milestone in milestones:
        is_failed = failed == f"milestone-{milestone.pk}" and failed_milestone is not None
        form = None
        if is_failed:
            form = failed_milestone
        elif can_write and is_active:
            form = _milestone_form(goal, milestone=milestone)
        rows.append({"milestone": milestone, "form": form, "is_failed": is_failed})
    open_count = sum(1 for milestone in milestones if not milestone.is_done)
    return render(
        request,
        "goals/detail.html",
        {
            "goal": goal,
            "mentorship": mentorship,
            "role": role,
            "can_write": can_write,
            "can_change": can_write and is_active,
            "is_open": selectors.is_open(mentorship),
            "sees_notes": selectors.sees_notes(role),
            "rows": rows,
            "all_done": bool(milestones) and open_count == 0,
            "check_ins": selectors.check_ins_for(goal=goal, role=role),
            "edit_form": forms.get("edit") or _edit_form(goal),
            "milestone_form": forms.get("milestone") or _milestone_form(goal),
            "check_in_form": forms.get("check_in") or _check_in_form(goal),
            "failed": failed,
            "error": error,
            "done": done,
            "next": safe_next(request),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def goal_detail(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal, role = _or_404(selectors.goal_for, goal_id=goal_id, user=request.user)
    return _render_goal(request, goal, role)


def _refuse_writes_of_readers(goal: Goal, request: HttpRequest) -> None:
    """A manager, staff or another member of a group reads only: 403, nothing changes."""
    if not selectors.may_write_goal(goal=goal, user=request.user):
        raise PermissionDenied("Only the goal's owner and the mentor change it.")


@login_required
@require_POST
def goal_edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal, role = _or_404(selectors.goal_for, goal_id=goal_id, user=request.user)
    _refuse_writes_of_readers(goal, request)
    form = _edit_form(goal, request.POST)
    if form.is_valid():
        try:
            services.goal_update(goal=goal, by=_user(request), data=form.goal_data())
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, "The goal was saved.")
            return redirect("goals:detail", goal.pk)
    return _render_goal(request, goal, role, forms={"edit": form}, failed="edit", status=422)


@login_required
@require_POST
def goal_act(request: HttpRequest, goal_id: int, action: str) -> HttpResponse:
    """Achieve, drop or reopen the goal."""
    if action not in GOAL_DONE:
        raise Http404("No such action.")
    goal, role = _or_404(selectors.goal_for, goal_id=goal_id, user=request.user)
    _refuse_writes_of_readers(goal, request)
    service = getattr(services, f"goal_{action}")
    try:
        service(goal=goal, by=_user(request))
    except ValidationError as error:
        return _render_goal(
            request, goal, role, failed="status", error=" ".join(error.messages), status=422
        )
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, GOAL_DONE[action])
    return _back(request, reverse("goals:detail", args=[goal.pk]))


@login_required
@require_POST
def milestone_add(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal, role = _or_404(selectors.goal_for, goal_id=goal_id, user=request.user)
    _refuse_writes_of_readers(goal, request)
    form = _milestone_form(goal, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        people = {person.pk: person for person in goal.mentorship.participants()}
        try:
            services.milestone_add(
                goal=goal,
                by=_user(request),
                title=data["title"],
                due_date=data["due_date"],
                owner=people.get(data["owner"]) if data["owner"] else None,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, "Milestone added.")
            return redirect(reverse("goals:detail", args=[goal.pk]) + "#milestones")
    return _render_goal(
        request, goal, role, forms={"milestone": form}, failed="milestone", status=422
    )


@login_required
@require_POST
def milestone_edit(request: HttpRequest, milestone_id: int) -> HttpResponse:
    milestone, role = _or_404(selectors.milestone_for, milestone_id=milestone_id, user=request.user)
    goal = milestone.goal
    _refuse_writes_of_readers(goal, request)
    form = _milestone_form(goal, request.POST, milestone=milestone)
    if form.is_valid():
        data = form.cleaned_data
        people = {person.pk: person for person in goal.mentorship.participants()}
        try:
            services.milestone_update(
                milestone=milestone,
                by=_user(request),
                data={
                    "title": data["title"],
                    "due_date": data["due_date"],
                    "owner": people.get(data["owner"]) if data["owner"] else None,
                },
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, "The milestone was saved.")
            return redirect(reverse("goals:detail", args=[goal.pk]) + "#milestones")
    return _render_goal(
        request,
        goal,
        role,
        forms={"milestone_edit": form},
        failed=f"milestone-{milestone.pk}",
        status=422,
    )


def _milestone_action(request: HttpRequest, milestone: Milestone, action: str, goal: Goal) -> None:
    user = _user(request)
    if action == "finish":
        series, recurrence_id = _meeting_from_post(request, goal)
        services.milestone_finish(
            milestone=milestone, by=user, series=series, recurrence_id=recurrence_id
        )
    elif action == "reopen":
        services.milestone_reopen(milestone=milestone, by=user)
    elif action == "delete":
        services.milestone_delete(milestone=milestone, by=user)
    else:
        siblings = [m.pk for m in goal.milestones.all()]
        index = siblings.index(milestone.pk) + (-1 if action == "up" else 1)
        services.milestone_move(milestone=milestone, by=user, position=max(0, index))


@login_required
@require_POST
def milestone_act(request: HttpRequest, milestone_id: int, action: str) -> HttpResponse:
    """Finish (in a meeting, when given), reopen, delete or move a milestone."""
    if action not in MILESTONE_DONE:
        raise Http404("No such action.")
    milestone, role = _or_404(selectors.milestone_for, milestone_id=milestone_id, user=request.user)
    goal = milestone.goal
    _refuse_writes_of_readers(goal, request)
    try:
        _milestone_action(request, milestone, action, goal)
    except ValidationError as error:
        message = " ".join(error.messages)
        if _is_htmx(request):
            # htmx swaps 2xx answers only: the error shows in place of the list.
            return _render_goal(request, goal, role, failed="milestones", error=message)
        return _render_goal(request, goal, role, failed="milestones", error=message, status=422)
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    if _is_htmx(request):
        fresh, role = _or_404(selectors.goal_for, goal_id=goal.pk, user=request.user)
        return _render_goal(request, fresh, role, done=MILESTONE_DONE[action])
    messages.success(request, MILESTONE_DONE[action])
    return _back(request, reverse("goals:detail", args=[goal.pk]) + "#milestones")


@login_required
@require_POST
def check_in_add(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal, role = _or_404(selectors.goal_for, goal_id=goal_id, user=request.user)
    _refuse_writes_of_readers(goal, request)
    form = _check_in_form(goal, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            series, recurrence_id = _meeting_from_post(request, goal)
            services.check_in_add(
                goal=goal,
                by=_user(request),
                status=data["status"],
                note=data["note"],
                progress=data.get("progress"),
                series=series,
                recurrence_id=recurrence_id,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, "Check-in saved.")
            return _back(request, reverse("goals:detail", args=[goal.pk]) + "#check-ins")
    return _render_goal(
        request, goal, role, forms={"check_in": form}, failed="check_in", status=422
    )


# Meeting agendas ----------------------------------------------------------------------------


@login_required
@require_POST
def agenda_add(request: HttpRequest, series_id: int, recurrence_id: str) -> HttpResponse:
    """Put a goal ("goal:<id>") or a milestone ("milestone:<id>") on a meeting's agenda."""
    series = _or_404(series_for, series_id=series_id, user=request.user)
    fallback = meeting_url(
        series.pk, recurrence_id, reverse("goals:list", args=[series.mentorship_id])
    )
    kind, _, number = request.POST.get("item", "").partition(":")
    goal: Goal | None = None
    milestone: Milestone | None = None
    goals = selectors.goals_for_mentorship(mentorship=series.mentorship)
    if kind == "goal":
        goal = next((g for g in goals if str(g.pk) == number), None)
    elif kind == "milestone":
        for candidate in goals:
            milestone = next((m for m in candidate.milestones.all() if str(m.pk) == number), None)
            if milestone is not None:
                goal = candidate
                break
    if goal is None:
        messages.error(request, "Pick a goal or a milestone to put on the agenda.")
        return _back(request, fallback)
    if not selectors.may_write_goal(goal=goal, user=request.user):
        raise PermissionDenied("Only the goal's owner and the mentor put it on an agenda.")
    try:
        services.agenda_item_add(
            series=series,
            recurrence_id=recurrence_id,
            goal=goal,
            milestone=milestone,
            by=_user(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    else:
        messages.success(request, "Put on the agenda.")
    return _back(request, fallback)


@login_required
@require_POST
def agenda_remove(request: HttpRequest, item_id: int) -> HttpResponse:
    item, _role = _or_404(selectors.agenda_item_for, item_id=item_id, user=request.user)
    if not selectors.may_write_goal(goal=item.goal, user=request.user):
        raise PermissionDenied("Only the goal's owner and the mentor change its agenda.")
    fallback = meeting_url(
        item.meeting_series_id,
        item.recurrence_id,
        reverse("goals:detail", args=[item.goal_id]),
    )
    try:
        services.agenda_item_remove(item=item, by=_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    else:
        messages.success(request, "Taken off the agenda.")
    return _back(request, fallback)

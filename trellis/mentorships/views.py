"""Mentorship pages: the mentor directory, mentors' view of mentees, requests and offers,
and each person's mentorships.

Program pages exist only for the program's approved participants in the right role;
everyone else gets a 404, so the pages reveal nothing about a program to outsiders.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.accounts.models import User
from trellis.calls.selectors import call_now_status
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.http import error_text
from trellis.matching.selectors import (
    matching_settings_for,
    mentee_candidates,
    mentor_candidates,
    pair_explanation,
)
from trellis.matching.services import mentee_wish_set, mentor_wish_set
from trellis.mentorships import selectors, services
from trellis.mentorships.forms import (
    DirectoryFilterForm,
    EndForm,
    ExtendForm,
    LeaveForm,
    MessageForm,
    NoteForm,
    RemoveForm,
)
from trellis.mentorships.selectors import MENTEE_ROLES, MENTOR_ROLES, Participation
from trellis.programs.models import Enrollment, EnrollmentStatus
from trellis.programs.selectors import enrollment_list_for_user

PER_PAGE = 20
GET_POST = require_http_methods(["GET", "POST"])


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _participation(
    request: HttpRequest, slug: str, *, as_mentee: bool = False, as_mentor: bool = False
) -> Participation:
    try:
        participation = selectors.participation_for(slug=slug, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    if (as_mentee and not participation.is_mentee) or (as_mentor and not participation.is_mentor):
        raise Http404("No such page in this program.")
    return participation


def _participant(participation: Participation, user_id: int, roles: tuple[str, ...]) -> User:
    """Another approved participant of the program in one of roles; a 404 otherwise."""
    enrollment = (
        Enrollment.objects.select_related("user__profile")
        .filter(
            program=participation.program,
            user_id=user_id,
            status=EnrollmentStatus.APPROVED,
            role__in=roles,
        )
        .first()
    )
    if enrollment is None or enrollment.user_id == participation.enrollment.user_id:
        raise Http404("No such person in this program.")
    return enrollment.user


def _is_htmx(request: HttpRequest, target: str | None = None) -> bool:
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return False
    return target is None or htmx.target == target


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# Mentor directory (mentees) ------------------------------------------------------------


@login_required
@require_GET
def mentor_directory(request: HttpRequest, slug: str) -> HttpResponse:
    participation = _participation(request, slug, as_mentee=True)
    program, user = participation.program, _user(request)
    services.requests_expire(program=program, user=user)
    settings = matching_settings_for(program=program)
    directory = selectors.mentor_directory(
        program=program,
        mentee=user,
        candidates=mentor_candidates(program=program, mentee=user),
    )
    form = DirectoryFilterForm(
        request.GET or None,
        languages=directory.languages,
        skills=directory.skills,
        regions=directory.regions,
        skill_label="Skill they offer",
    )
    shown = selectors.directory_filter(
        directory=directory, filters=form.filters(), skill_field="skills_offered"
    )
    context = {
        "program": program,
        "participation": participation,
        "settings": settings,
        "form": form,
        "page": Paginator(shown, PER_PAGE).get_page(request.GET.get("page")),
        "total": len(directory.entries),
        "query": _query_without_page(request),
        "open_count": selectors.open_request_count(program=program, mentee=user),
        "mentorship": selectors.mentorship_active_for_mentee(program=program, mentee=user),
        "section": "mentors",
    }
    if _is_htmx(request, "directory-results"):
        return render(request, "mentorships/_mentor_results.html", context)
    return render(request, "mentorships/mentors.html", context)


@login_required
@require_POST
def mentor_favourite(request: HttpRequest, slug: str, mentor_id: int) -> HttpResponse:
    """Mark or unmark a mentor as a favourite (keeping any rank the mentee gave)."""
    participation = _participation(request, slug, as_mentee=True)
    program, user = participation.program, _user(request)
    mentor = _participant(participation, mentor_id, MENTOR_ROLES)
    is_favourite = request.POST.get("is_favourite") == "true"
    status = 200
    try:
        mentee_wish_set(
            program=program,
            mentee=user,
            mentor=mentor,
            is_favourite=is_favourite,
            rank=selectors.mentee_wish_rank(program=program, mentee=user, mentor=mentor),
        )
    except ValidationError as error:
        status = 422
        is_favourite = not is_favourite
        if not _is_htmx(request):
            messages.error(request, error_text(error))
    if _is_htmx(request):
        return render(
            request,
            "mentorships/_favourite_button.html",
            {"program": program, "person": mentor, "is_favourite": is_favourite},
            status=status,
        )
    if status == 200:
        messages.success(
            request,
            f"{mentor.display_name} is {'now' if is_favourite else 'no longer'} a favourite.",
        )
    return redirect("mentorships:mentors", slug=program.slug)


@login_required
@GET_POST
def request_send(request: HttpRequest, slug: str, mentor_id: int) -> HttpResponse:
    participation = _participation(request, slug, as_mentee=True)
    program, user = participation.program, _user(request)
    mentor = _participant(participation, mentor_id, MENTOR_ROLES)
    form = MessageForm(request.POST or None, label=f"Your message to {mentor.display_name}")
    if request.method == "POST" and form.is_valid():
        try:
            services.request_send(
                program=program, mentee=user, mentor=mentor, message=form.cleaned_data["message"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(
                request,
                f"Your request was sent to {mentor.display_name}. "
                "You will be told when they answer.",
            )
            return redirect("mentorships:requests", slug=program.slug)
    score, reasons = pair_explanation(program=program, mentor=mentor, mentee=user)
    return render(
        request,
        "mentorships/send.html",
        {
            "program": program,
            "participation": participation,
            "person": mentor,
            "score": score,
            "reasons": reasons,
            "form": form,
            "is_offer": False,
            "back_url": reverse("mentorships:mentors", kwargs={"slug": program.slug}),
            "section": "mentors",
        },
        status=422 if form.errors else 200,
    )


# Mentees (mentors) -----------------------------------------------------------------------


@login_required
@require_GET
def mentee_directory(request: HttpRequest, slug: str) -> HttpResponse:
    participation = _participation(request, slug, as_mentor=True)
    program, user = participation.program, _user(request)
    services.requests_expire(program=program, user=user)
    directory = selectors.mentee_directory(
        program=program,
        mentor=user,
        candidates=mentee_candidates(program=program, mentor=user),
    )
    form = DirectoryFilterForm(
        request.GET or None,
        languages=directory.languages,
        skills=directory.skills,
        regions=directory.regions,
        skill_label="Skill they seek",
        for_mentors=False,
    )
    shown = selectors.directory_filter(
        directory=directory, filters=form.filters(), skill_field="skills_sought"
    )
    context = {
        "program": program,
        "participation": participation,
        "settings": matching_settings_for(program=program),
        "form": form,
        "page": Paginator(shown, PER_PAGE).get_page(request.GET.get("page")),
        "total": len(directory.entries),
        "query": _query_without_page(request),
        "places_left": selectors.mentor_capacity(
            program=program, enrollment=participation.enrollment
        )
        - selectors.active_mentorship_counts(program=program).get(user.pk, 0),
        "section": "mentees",
    }
    if _is_htmx(request, "directory-results"):
        return render(request, "mentorships/_mentee_results.html", context)
    return render(request, "mentorships/mentees.html", context)


STANCES = {"prefer": "prefer", "avoid": "avoid", "": None}


@login_required
@require_POST
def mentee_mark(request: HttpRequest, slug: str, mentee_id: int) -> HttpResponse:
    """A mentor marks a mentee prefer or avoid, or clears the mark."""
    participation = _participation(request, slug, as_mentor=True)
    program, user = participation.program, _user(request)
    mentee = _participant(participation, mentee_id, MENTEE_ROLES)
    raw = request.POST.get("stance", "")
    if raw not in STANCES:
        raise Http404("No such mark.")
    stance = STANCES[raw]
    status = 200
    try:
        mentor_wish_set(program=program, mentor=user, mentee=mentee, stance=stance)
    except ValidationError as error:
        status = 422
        messages.error(request, error_text(error))
        stance = None
    if _is_htmx(request):
        return render(
            request,
            "mentorships/_mark_buttons.html",
            {"program": program, "person": mentee, "stance": stance},
            status=status,
        )
    if status == 200:
        labels = {"prefer": "preferred", "avoid": "to avoid", None: "not marked"}
        messages.success(request, f"{mentee.display_name} is now {labels[stance]}.")
    return redirect("mentorships:mentees", slug=program.slug)


@login_required
@GET_POST
def offer_send(request: HttpRequest, slug: str, mentee_id: int) -> HttpResponse:
    participation = _participation(request, slug, as_mentor=True)
    program, user = participation.program, _user(request)
    mentee = _participant(participation, mentee_id, MENTEE_ROLES)
    form = MessageForm(request.POST or None, label=f"Your message to {mentee.display_name}")
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_send(
                program=program, mentor=user, mentee=mentee, message=form.cleaned_data["message"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(
                request,
                f"Your offer was sent to {mentee.display_name}. You will be told when they answer.",
            )
            return redirect("mentorships:requests", slug=program.slug)
    score, reasons = pair_explanation(program=program, mentor=user, mentee=mentee)
    return render(
        request,
        "mentorships/send.html",
        {
            "program": program,
            "participation": participation,
            "person": mentee,
            "score": score,
            "reasons": reasons,
            "form": form,
            "is_offer": True,
            "back_url": reverse("mentorships:mentees", kwargs={"slug": program.slug}),
            "section": "mentees",
        },
        status=422 if form.errors else 200,
    )


# Requests and offers -----------------------------------------------------------------------


def _render_requests(
    request: HttpRequest,
    participation: Participation,
    *,
    errors: list[str] | None = None,
    failed: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    program, user = participation.program, _user(request)
    context: dict[str, Any] = {
        "program": program,
        "participation": participation,
        "settings": matching_settings_for(program=program),
        "errors": errors or [],
        "failed": failed or {},
        "section": "requests",
    }
    if participation.is_mentor:
        context["incoming"] = selectors.request_list_for_mentor(program=program, mentor=user)
        context["offers_sent"] = selectors.offer_list_for_mentor(program=program, mentor=user)
        context["capacity"] = selectors.mentor_capacity(
            program=program, enrollment=participation.enrollment
        )
        context["mentee_count"] = selectors.active_mentorship_counts(program=program).get(
            user.pk, 0
        )
    if participation.is_mentee:
        context["outgoing"] = selectors.request_list_for_mentee(program=program, mentee=user)
        context["offers_received"] = selectors.offer_list_for_mentee(program=program, mentee=user)
        context["open_count"] = sum(1 for r in context["outgoing"] if r.is_open)
        context["mentorship"] = selectors.mentorship_active_for_mentee(program=program, mentee=user)
    return render(request, "mentorships/requests.html", context, status=status)


@login_required
@require_GET
def requests_page(request: HttpRequest, slug: str) -> HttpResponse:
    participation = _participation(request, slug)
    services.requests_expire(program=participation.program, user=_user(request))
    return _render_requests(request, participation)


# action → (service, the POST field it reads and the service's argument for it)
REQUEST_ACTIONS: dict[str, tuple[Any, str | None]] = {
    "accept": (services.request_accept, None),
    "decline": (services.request_decline, "note"),
    "ask": (services.request_ask_info, "question"),
    "reply": (services.request_reply_info, "message"),
    "withdraw": (services.request_withdraw, None),
}
REQUEST_DONE = {
    "decline": "Request declined.",
    "ask": "Your question was sent.",
    "reply": "Your answer was sent.",
    "withdraw": "Request withdrawn.",
}


@login_required
@require_POST
def request_act(request: HttpRequest, slug: str, request_id: int, action: str) -> HttpResponse:
    participation = _participation(request, slug)
    if action not in REQUEST_ACTIONS:
        raise Http404("No such action.")
    user = _user(request)
    try:
        item = selectors.request_visible_to(request_id=request_id, user=user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    if item.program_id != participation.program.pk:
        raise Http404("No such request.")
    service, field = REQUEST_ACTIONS[action]
    text = request.POST.get(field, "") if field else ""
    try:
        result = service(request=item, by=user, **({field: text} if field else {}))
    except ValidationError as error:
        failed = {"kind": "request", "id": item.pk, "action": action, "text": text}
        return _render_requests(
            request, participation, errors=error.messages, failed=failed, status=422
        )
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    if action == "accept":
        messages.success(request, f"You are now mentoring {item.mentee.display_name}.")
        return redirect("mentorships:detail", mentorship_id=result.pk)
    messages.success(request, REQUEST_DONE[action])
    return redirect("mentorships:requests", slug=participation.program.slug)


OFFER_ACTIONS: dict[str, tuple[Any, str | None]] = {
    "accept": (services.offer_accept, None),
    "decline": (services.offer_decline, "note"),
    "withdraw": (services.offer_withdraw, None),
}
OFFER_DONE = {"decline": "Offer declined.", "withdraw": "Offer withdrawn."}


@login_required
@require_POST
def offer_act(request: HttpRequest, slug: str, offer_id: int, action: str) -> HttpResponse:
    participation = _participation(request, slug)
    if action not in OFFER_ACTIONS:
        raise Http404("No such action.")
    user = _user(request)
    try:
        offer = selectors.offer_visible_to(offer_id=offer_id, user=user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    if offer.program_id != participation.program.pk:
        raise Http404("No such offer.")
    service, field = OFFER_ACTIONS[action]
    text = request.POST.get(field, "") if field else ""
    try:
        result = service(offer=offer, by=user, **({field: text} if field else {}))
    except ValidationError as error:
        failed = {"kind": "offer", "id": offer.pk, "action": action, "text": text}
        return _render_requests(
            request, participation, errors=error.messages, failed=failed, status=422
        )
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    if action == "accept":
        messages.success(request, f"{offer.mentor.display_name} is now your mentor.")
        return redirect("mentorships:detail", mentorship_id=result.pk)
    messages.success(request, OFFER_DONE[action])
    return redirect("mentorships:requests", slug=participation.program.slug)


# My mentorships ------------------------------------------------------------------------------


@login_required
@require_GET
def mentorship_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    enrollments = [
        enrollment
        for enrollment in enrollment_list_for_user(user=user)
        if enrollment.status == EnrollmentStatus.APPROVED
    ]
    return render(
        request,
        "mentorships/list.html",
        {
            "mentorships": selectors.mentorship_list_for_user(user=user),
            "enrollments": enrollments,
            "mentor_roles": MENTOR_ROLES,
            "mentee_roles": MENTEE_ROLES,
        },
    )


def _render_detail(
    request: HttpRequest,
    mentorship: Any,
    *,
    forms: dict[str, Any] | None = None,
    failed_action: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    forms = forms or {}
    members = mentorship.current_group_members()
    role = selectors.mentorship_role(mentorship=mentorship, user=user)
    # Only the people in it call; the check reads presence and contact hours.
    call_now = (
        call_now_status(mentorship=mentorship, user=user) if role in ("mentor", "mentee") else None
    )
    return render(
        request,
        "mentorships/detail.html",
        {
            "mentorship": mentorship,
            "is_mentor": mentorship.mentor_id == user.pk,
            "is_mentee": user.pk in mentorship.mentee_ids(),
            # None for a former member of a group: they read its page and nothing else.
            "role": role,
            "call_now": call_now,
            "members": members,
            "my_membership": next((m for m in members if m.mentee_id == user.pk), None),
            "former_members": selectors.group_former_members(mentorship=mentorship),
            "leave_form": forms.get("leave") or LeaveForm(auto_id="leave_%s"),
            "remove_form": forms.get("remove")
            or RemoveForm(auto_id="remove_%s", members=mentorship.mentees()),
            "actions": selectors.mentorship_actions_for(mentorship=mentorship, user=user),
            "history": selectors.mentorship_history(mentorship=mentorship),
            "end_form": forms.get("end") or EndForm(auto_id="end_%s"),
            "extend_form": forms.get("extend") or ExtendForm(auto_id="extend_%s"),
            "note_forms": {
                action: forms.get(action) or NoteForm(auto_id=f"{action}_%s")
                for action in NOTE_ACTIONS
            },
            "failed_action": failed_action,
        },
        status=status,
    )


@login_required
@require_GET
def mentorship_detail(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    try:
        mentorship = selectors.mentorship_detail(mentorship_id=mentorship_id, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    return _render_detail(request, mentorship)


# action → the form that parses its fields (None: no fields) and what to say when done.
NOTE_ACTIONS = ("decline", "pause", "complete", "rematch")
LIFECYCLE_DONE = {
    "confirm": "You confirmed the mentorship.",
    "decline": "You declined the proposed mentorship.",
    "pause": "The mentorship is paused.",
    "resume": "The mentorship is active again.",
    "complete": "The mentorship is completed. Well done!",
    "end": "The mentorship has ended.",
    "extend": "The mentorship was extended.",
    "rematch": "The mentorship has ended; the mentee can be matched again.",
    "leave": "You left the group.",
    "remove": "The member was taken out of the group.",
}


def _lifecycle_form(action: str, data: Any, mentorship: Any) -> Any:
    if action == "leave":
        return LeaveForm(data, auto_id="leave_%s")
    if action == "remove":
        return RemoveForm(data, auto_id="remove_%s", members=mentorship.mentees())
    if action == "end":
        return EndForm(data, auto_id="end_%s")
    if action == "extend":
        return ExtendForm(data, auto_id="extend_%s")
    if action in NOTE_ACTIONS:
        return NoteForm(data, auto_id=f"{action}_%s")
    return None


def _lifecycle_call(action: str, mentorship: Any, user: User, data: dict[str, Any]) -> Any:
    if action == "leave":
        return services.group_leave(mentorship=mentorship, by=user, **data)
    if action == "remove":
        mentee = next(p for p in mentorship.mentees() if p.pk == data["mentee"])
        return services.group_member_remove(
            mentorship=mentorship, mentee=mentee, by=user, note=data["note"]
        )
    service = getattr(services, f"mentorship_{action}")
    return service(mentorship=mentorship, by=user, **data)


@login_required
@require_POST
def mentorship_act(request: HttpRequest, mentorship_id: int, action: str) -> HttpResponse:
    """Take one lifecycle step (confirm, pause, end...) from the mentorship's page."""
    if action not in selectors.TRANSITIONS:
        raise Http404("No such action.")
    try:
        mentorship = selectors.mentorship_detail(mentorship_id=mentorship_id, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    form = _lifecycle_form(action, request.POST, mentorship)
    if form is not None and not form.is_valid():
        return _render_detail(
            request, mentorship, forms={action: form}, failed_action=action, status=422
        )
    data = dict(form.cleaned_data) if form is not None else {}
    try:
        _lifecycle_call(action, mentorship, _user(request), data)
    except ValidationError as error:
        if form is None:
            messages.error(request, error_text(error))
            return _render_detail(request, mentorship, failed_action=action, status=422)
        form.add_service_errors(error)
        return _render_detail(
            request, mentorship, forms={action: form}, failed_action=action, status=422
        )
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, LIFECYCLE_DONE[action])
    return redirect("mentorships:detail", mentorship_id=mentorship.pk)

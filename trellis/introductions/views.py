"""Pages: make an introduction, the list of one's introductions, one introduction, and the
outside person's answer page (no account needed: the emailed link is the key).

An introduction is seen by its three people only; anyone else, the program's managers and
staff included, gets 404. Answering and cancelling post a form and come back to the
introduction's page (an HTMX request gets the page, whose state part it swaps in).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError, RateLimitedError
from trellis.core.http import error_text
from trellis.introductions import selectors, services
from trellis.introductions.forms import OUTSIDE, IntroductionForm
from trellis.mentorships.models import Mentorship

ACTIONS = {
    "accept": (services.introduction_accept, "You said yes."),
    "not-now": (services.introduction_decline, "You said not now. Nobody is told who said it."),
    "cancel": (services.introduction_cancel, "The introduction is cancelled."),
}


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _or_404(loader: Any, **kwargs: Any) -> Any:
    try:
        return loader(**kwargs)
    except NotFoundError as error:
        raise Http404(str(error)) from error


# Making one -------------------------------------------------------------------------------


def _mentee_name(mentorship: Mentorship) -> str:
    if mentorship.is_group:
        return "a member of your group"
    return str(mentorship.pair_mentee.display_name)


def _render_new(
    request: HttpRequest,
    mentorship: Mentorship,
    form: IntroductionForm | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    contacts = selectors.contact_choices(mentorship=mentorship, query=query)
    if form is None:
        form = IntroductionForm(
            mentees=mentorship.mentees(), contacts=contacts, auto_id="introduction_%s"
        )
    return render(
        request,
        "introductions/new.html",
        {
            "mentorship": mentorship,
            "mentee_name": _mentee_name(mentorship),
            "form": form,
            "query": query,
            "contact_count": len(contacts),
            "is_capped": len(contacts) >= selectors.MAX_CONTACT_CHOICES,
            "is_outside": form.data.get("who") == OUTSIDE if form.is_bound else False,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def introduction_new(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    """The mentor introduces their mentee to a participant or to someone outside."""
    user = _user(request)
    mentorship, role = _or_404(
        selectors.mentorship_for_introductions, mentorship_id=mentorship_id, user=user
    )
    if role != "mentor":
        raise PermissionDenied("Only the mentor introduces their mentee to someone.")
    if not selectors.may_introduce(mentorship=mentorship, user=user):
        messages.error(request, "Introductions are made while the mentorship goes on.")
        return redirect("mentorships:detail", mentorship.pk)
    if request.method != "POST":
        return _render_new(request, mentorship)
    mentees = mentorship.mentees()
    # The chosen participant may be outside the list shown (a search narrowed it).
    chosen = selectors.contact_choice(
        mentorship=mentorship, user_id=_int(request.POST.get("contact"))
    )
    contacts = selectors.contact_choices(
        mentorship=mentorship, query=request.GET.get("q", "").strip()[:100]
    )
    if chosen is not None and all(person.pk != chosen.pk for person in contacts):
        contacts.append(chosen)
    form = IntroductionForm(
        request.POST, mentees=mentees, contacts=contacts, auto_id="introduction_%s"
    )
    if form.is_valid():
        data = form.cleaned_data
        mentee = mentees[0]
        if "mentee" in data:
            mentee = next(person for person in mentees if person.pk == data["mentee"])
        try:
            introduction = services.introduction_create(
                mentorship=mentorship,
                by=user,
                mentee=mentee,
                message=data["message"],
                contact=chosen if data.get("contact") else None,
                contact_name=data.get("contact_name", ""),
                contact_email=data.get("contact_email", ""),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except RateLimitedError as error:
            form.add_error(None, str(error))
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(
                request,
                "Introduction sent. Both are asked; nothing is shared until both say yes.",
            )
            return redirect("introductions:detail", introduction.pk)
    return _render_new(request, mentorship, form, status=422)


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


# Reading ------------------------------------------------------------------------------------


@login_required
@require_safe
def introduction_list(request: HttpRequest) -> HttpResponse:
    lists = selectors.introduction_lists_for(user=_user(request))
    return render(request, "introductions/list.html", {"lists": lists})


def _render_detail(
    request: HttpRequest, view: selectors.IntroductionView, *, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "introductions/detail.html",
        {"view": view, "introduction": view.introduction, "error": error},
        status=status,
    )


@login_required
@require_safe
def introduction_detail(request: HttpRequest, introduction_id: int) -> HttpResponse:
    view = _or_404(selectors.introduction_for, introduction_id=introduction_id, user=request.user)
    return _render_detail(request, view)


@login_required
@require_POST
def introduction_act(request: HttpRequest, introduction_id: int, action: str) -> HttpResponse:
    """Accept or say not now (the people asked), or cancel (the introducer)."""
    if action not in ACTIONS:
        raise Http404("No such action.")
    view = _or_404(selectors.introduction_for, introduction_id=introduction_id, user=request.user)
    service, done = ACTIONS[action]
    try:
        service(introduction=view.introduction, by=_user(request))
    except ValidationError as error:
        fresh = _or_404(
            selectors.introduction_for, introduction_id=introduction_id, user=request.user
        )
        return _render_detail(
            request, fresh, error=error_text(error), status=200 if _is_htmx(request) else 422
        )
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    fresh = _or_404(selectors.introduction_for, introduction_id=introduction_id, user=request.user)
    if fresh.is_accepted and action == "accept":
        done = "You both said yes."
    messages.success(request, done)
    if _is_htmx(request):
        return _render_detail(request, fresh)
    return redirect("introductions:detail", introduction_id)


# The outside person's link ------------------------------------------------------------------


def _client(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def _public(response: HttpResponse) -> HttpResponse:
    # The token is in the address: keep it out of other sites' referrers (same-origin, the
    # site's policy: "no-referrer" would send "Origin: null" and fail the form's CSRF
    # check), caches (never_cache) and search engines.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _gone(request: HttpRequest) -> HttpResponse:
    return _public(render(request, "introductions/answer_gone.html", status=404))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The outside person reads the introduction and answers, without an account."""
    try:
        services.answer_rate_check(client=_client(request))
    except RateLimitedError as error:
        response = render(
            request, "introductions/answer_busy.html", {"message": str(error)}, status=429
        )
        response["Retry-After"] = str(error.retry_after)
        return _public(response)
    introduction = selectors.introduction_by_token(token=token)
    if introduction is None:
        return _gone(request)
    if request.method == "POST":
        choice = request.POST.get("answer", "")
        if choice in ("accept", "not_now"):
            try:
                answered = services.introduction_answer_by_token(
                    token=token, accept=choice == "accept"
                )
            except (NotFoundError, ValidationError):
                return _gone(request)
            return _public(
                render(
                    request,
                    "introductions/answered.html",
                    {"introduction": answered, "accepted": choice == "accept"},
                )
            )
    return _public(render(request, "introductions/answer.html", {"introduction": introduction}))

"""Program pages: the list, a program, joining, and the managers' pages under /manage/."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.http import error_text
from trellis.programs import selectors, services
from trellis.programs.forms import (
    IntakeQuestionForm,
    InvitationForm,
    JoinForm,
    ParticipantFilterForm,
    ProgramForm,
)
from trellis.programs.models import (
    EnrollmentMode,
    EnrollmentStatus,
    IntakeQuestion,
    Invitation,
    Program,
)

PARTICIPANTS_PER_PAGE = 25
GET_POST = require_http_methods(["GET", "POST"])


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _visible_program(request: HttpRequest, slug: str) -> Program:
    try:
        return selectors.program_detail(slug=slug, user=_user(request))
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _managed_program(request: HttpRequest, slug: str) -> Program:
    """The program if the person may manage it; a 404 otherwise, to reveal nothing."""
    try:
        return selectors.program_for_manager(slug=slug, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error


# Everyone -------------------------------------------------------------------------------


@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "programs/list.html",
        {
            "programs": selectors.program_list_for_user(user=user),
            "can_create": selectors.organisations_administered_by(user=user).exists(),
        },
    )


@login_required
def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    program: Any = _visible_program(request, slug)
    is_active = program.my_status in (EnrollmentStatus.PENDING, EnrollmentStatus.APPROVED)
    return render(
        request,
        "programs/detail.html",
        {
            "program": program,
            "is_active_participant": is_active,
            "can_join": not is_active and program.enrollment_mode != EnrollmentMode.INVITE_ONLY,
        },
    )


@login_required
@GET_POST
def program_join(request: HttpRequest, slug: str) -> HttpResponse:
    program: Any = _visible_program(request, slug)
    if program.my_status in (EnrollmentStatus.PENDING, EnrollmentStatus.APPROVED):
        messages.info(request, "You have already joined or applied to this program.")
        return redirect("programs:detail", slug=program.slug)
    if program.enrollment_mode == EnrollmentMode.INVITE_ONLY:
        messages.error(request, "This program is by invitation only.")
        return redirect("programs:detail", slug=program.slug)
    questions = selectors.intake_question_list(program=program)
    form = JoinForm(request.POST or None, program=program, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            enrollment = services.enrollment_join(
                program=program,
                user=_user(request),
                role=form.cleaned_data["role"],
                answers=form.answers(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            messages.error(request, str(error))
            return redirect("programs:detail", slug=program.slug)
        else:
            if enrollment.status == EnrollmentStatus.APPROVED:
                messages.success(request, f"Welcome to {program.name}!")
            else:
                messages.success(
                    request,
                    "Your application was sent. The program's managers will review it.",
                )
            return redirect("programs:detail", slug=program.slug)
    return render(
        request,
        "programs/join.html",
        {"program": program, "form": form},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def program_leave(request: HttpRequest, slug: str) -> HttpResponse:
    program = _visible_program(request, slug)
    enrollment = selectors.enrollment_for(program=program, user=_user(request))
    if enrollment is None:
        raise Http404("You are not in this program.")
    try:
        services.enrollment_leave(enrollment=enrollment, by=_user(request))
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"You left {program.name}.")
    return redirect("programs:detail", slug=program.slug)


# Managers -------------------------------------------------------------------------------


@login_required
@GET_POST
def program_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    organisations = selectors.organisations_administered_by(user=user)
    if not organisations.exists():
        raise Http404("No organisation to create programs in.")
    form = ProgramForm(
        request.POST or None,
        organisations=organisations,
        initial={
            "program_type": "one_to_one",
            "enrollment_mode": EnrollmentMode.APPLICATION,
            "meeting_frequency": "fortnightly",
            "default_mentor_capacity": 2,
            "expected_length_weeks": 26,
            "is_published": True,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(
                organisation=form.cleaned_data["organisation"], by=user, **form.program_data()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Program “{program.name}” created.")
            return redirect("programs:manage", slug=program.slug)
    return render(
        request,
        "programs/manage/create.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


@login_required
@GET_POST
def manage_settings(request: HttpRequest, slug: str) -> HttpResponse:
    program = _managed_program(request, slug)
    form = ProgramForm(request.POST or None, initial=ProgramForm.initial_for(program))
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(program=program, by=_user(request), data=form.program_data())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Settings saved.")
            return redirect("programs:manage", slug=program.slug)
    return render(
        request,
        "programs/manage/settings.html",
        {"program": program, "form": form, "section": "settings"},
        status=422 if form.errors else 200,
    )


@login_required
@GET_POST
def manage_questions(request: HttpRequest, slug: str) -> HttpResponse:
    """The intake questions, in order, and a form to add one."""
    program = _managed_program(request, slug)
    form = IntakeQuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.intake_question_create(
                program=program, by=_user(request), **form.question_data()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Question added.")
            return redirect("programs:manage_questions", slug=program.slug)
    return render(
        request,
        "programs/manage/questions.html",
        {
            "program": program,
            "form": form,
            "questions": selectors.intake_question_list(program=program),
            "section": "questions",
        },
        status=422 if form.errors else 200,
    )


def _managed_question(request: HttpRequest, slug: str, question_id: int) -> IntakeQuestion:
    program = _managed_program(request, slug)
    question = get_object_or_404(IntakeQuestion, pk=question_id, program=program)
    question.program = program
    return question


@login_required
@GET_POST
def manage_question_edit(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    question = _managed_question(request, slug, question_id)
    form = IntakeQuestionForm(
        request.POST or None, initial=IntakeQuestionForm.initial_for(question)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.intake_question_update(
                question=question, by=_user(request), data=form.question_data()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Question saved.")
            return redirect("programs:manage_questions", slug=slug)
    return render(
        request,
        "programs/manage/question_edit.html",
        {"program": question.program, "question": question, "form": form, "section": "questions"},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def manage_question_delete(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    question = _managed_question(request, slug, question_id)
    services.intake_question_delete(question=question, by=_user(request))
    messages.success(request, f"Question “{question.label}” deleted.")
    return redirect("programs:manage_questions", slug=slug)


@login_required
@require_POST
def manage_question_move(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    question = _managed_question(request, slug, question_id)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, "Move a question up or down.")
    else:
        services.intake_question_move(question=question, by=_user(request), offset=offset)
    return redirect("programs:manage_questions", slug=slug)


def _render_participants(
    request: HttpRequest, program: Program, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    filters = ParticipantFilterForm(request.GET or None)
    chosen: dict[str, str] = {"search": "", "status": "", "role": ""}
    if filters.is_valid():
        chosen.update({key: value or "" for key, value in filters.cleaned_data.items()})
    participants = selectors.participant_list(
        program=program,
        status=chosen["status"] or None,
        role=chosen["role"] or None,
        search=chosen["search"],
    )
    page = Paginator(participants, PARTICIPANTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "program": program,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "errors": errors or [],
        "section": "participants",
    }
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "participants-results":
        return render(request, "programs/manage/_participants_results.html", context)
    return render(request, "programs/manage/participants.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def manage_participants(request: HttpRequest, slug: str) -> HttpResponse:
    return _render_participants(request, _managed_program(request, slug))


def _participants_redirect(request: HttpRequest, program: Program) -> HttpResponse:
    url = reverse("programs:manage_participants", kwargs={"slug": program.slug})
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_POST
def manage_participants_bulk(request: HttpRequest, slug: str) -> HttpResponse:
    program = _managed_program(request, slug)
    raw_ids = request.POST.getlist("enrollment_ids")
    ids = [int(value) for value in raw_ids if value.isdigit()]
    decision = request.POST.get("decision", "")
    try:
        if len(ids) != len(raw_ids):
            raise ValidationError("The selection was not understood; reload the page.")
        decided = services.enrollment_bulk_decide(
            enrollment_ids=ids, program=program, by=_user(request), decision=decision
        )
    except ValidationError as error:
        return _render_participants(request, program, errors=error.messages, status=422)
    verb = "Approved" if decision == "approve" else "Declined"
    skipped = len(ids) - len(decided)
    text = f"{verb} {len(decided)} {'person' if len(decided) == 1 else 'people'}."
    if skipped:
        text += f" {skipped} could not be {verb.lower()} in their current state."
    messages.success(request, text)
    return _participants_redirect(request, program)


@login_required
@require_POST
def manage_participant_decide(request: HttpRequest, slug: str, enrollment_id: int) -> HttpResponse:
    program = _managed_program(request, slug)
    enrollment = get_object_or_404(program.enrollments.select_related("user"), pk=enrollment_id)
    decision = request.POST.get("decision", "")
    actions = {"approve": services.enrollment_approve, "decline": services.enrollment_decline}
    if decision not in actions:
        return _render_participants(
            request, program, errors=["Choose approve or decline."], status=422
        )
    try:
        actions[decision](
            enrollment=enrollment, by=_user(request), note=request.POST.get("note", "")
        )
    except ValidationError as error:
        return _render_participants(request, program, errors=error.messages, status=422)
    name = enrollment.user.display_name
    messages.success(request, f"{'Approved' if decision == 'approve' else 'Declined'} {name}.")
    return _participants_redirect(request, program)


@login_required
@GET_POST
def manage_invitations(request: HttpRequest, slug: str) -> HttpResponse:
    program = _managed_program(request, slug)
    form = InvitationForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                program=program,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=_user(request),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("programs:manage_invitations", slug=program.slug)
    invitations = [
        (invitation, services.invitation_problem(invitation))
        for invitation in selectors.invitation_list(program=program)
    ]
    return render(
        request,
        "programs/manage/invitations.html",
        {
            "program": program,
            "form": form,
            "invitations": invitations,
            "section": "invitations",
            "site_url": request.build_absolute_uri("/").rstrip("/"),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def manage_invitation_revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    program = _managed_program(request, slug)
    invitation = get_object_or_404(Invitation, pk=invitation_id, program=program)
    invitation.program = program
    try:
        services.invitation_revoke(invitation=invitation, by=_user(request))
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("programs:manage_invitations", slug=program.slug)


# Invitations ----------------------------------------------------------------------------


@GET_POST
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Anyone with the link sees the invitation; the invited person may accept it."""
    try:
        invitation = selectors.invitation_by_token(token=token)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    user = request.user
    if not user.is_authenticated:
        if request.method == "POST":
            return redirect(f"{reverse('account_login')}?next={request.path}")
        return render(request, "programs/invitation.html", {"invitation": invitation})
    problem = services.invitation_problem(invitation)
    email_matches = services.invitation_email_matches(invitation=invitation, user=_user(request))
    status = 200
    if request.method == "POST":
        try:
            services.invitation_accept(invitation=invitation, user=_user(request))
        except ValidationError as error:
            problem = error_text(error)
            status = 422
        except PermissionDeniedError as error:
            problem = str(error)
            status = 403
        else:
            messages.success(request, f"Welcome to {invitation.program.name}!")
            return redirect("programs:detail", slug=invitation.program.slug)
    return render(
        request,
        "programs/invitation.html",
        {"invitation": invitation, "problem": problem, "email_matches": email_matches},
        status=status,
    )

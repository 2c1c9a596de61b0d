"""Pages: the one-tap meeting pulse, my surveys, and the program managers' feedback pages.

The pulse answers an HTMX post with its fragment, and a plain post by going back where
the person came from (a ``next`` on this site only). Managers' pages live under
/programs/<slug>/manage/feedback/ and answer 404 to anyone who does not manage the
program, as the other manager pages do.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.http import error_text, safe_next
from trellis.feedback import selectors, services
from trellis.feedback.forms import SurveyAnswerForm, SurveyForm, SurveyQuestionForm
from trellis.feedback.models import Survey, SurveyQuestion
from trellis.programs.models import Program
from trellis.programs.selectors import program_for_manager
from trellis.scheduling import selectors as scheduling_selectors

GET_POST = require_http_methods(["GET", "POST"])


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


# The pulse ---------------------------------------------------------------------------------


def pulse_context(
    *,
    request: HttpRequest,
    pulse: selectors.PulseView | None,
    place: str,
    next_url: str,
    errors: list[str] | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    """What feedback/_pulse.html needs, for the template tags and the HTMX answer alike."""
    return {
        "pulse": pulse,
        "place": "mentorship" if place == "mentorship" else "meeting",
        "next": next_url,
        "errors": errors or [],
        "comment": pulse.comment if comment is None and pulse else (comment or ""),
        "scale": list(selectors.SCALE),
        "zone": scheduling_selectors.user_zone(request.user),
        "user": request.user,
    }


@login_required
@require_POST
def pulse(request: HttpRequest, series_id: int, recurrence_id: str) -> HttpResponse:
    """Tap how useful a meeting was (again to change it), with an optional comment."""
    user = _user(request)
    try:
        series = scheduling_selectors.series_for(series_id=series_id, user=user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    meeting_url = reverse("scheduling:meeting", args=[series.pk, recurrence_id])
    next_url = safe_next(request, meeting_url)
    errors: list[str] = []
    try:
        stored = services.pulse_set(
            series=series,
            recurrence_id=recurrence_id,
            by=user,
            usefulness=request.POST.get("usefulness", ""),
            comment=request.POST.get("comment", ""),
        )
    except NotFoundError as error:
        raise Http404(str(error)) from error
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    except ValidationError as error:
        stored = None
        errors = list(error.messages)
    if getattr(request, "htmx", None):
        view = selectors.pulse_view(
            series=series, recurrence_id=recurrence_id, user=user, pulse=stored
        )
        context = pulse_context(
            request=request,
            pulse=view,
            place=request.POST.get("place", ""),
            next_url=next_url,
            errors=errors,
            comment=request.POST.get("comment") if errors else None,
        )
        # 200 with the errors inside: htmx swaps only successful answers.
        return render(request, "feedback/_pulse.html", context)
    if errors:
        messages.error(request, " ".join(errors))
    else:
        messages.success(request, "Thank you: your rating is saved.")
    return redirect(next_url)


# My surveys --------------------------------------------------------------------------------


@login_required
@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "feedback/surveys.html",
        {"surveys": selectors.survey_list_for_user(user=_user(request))},
    )


@login_required
@GET_POST
def survey_detail(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """One of my surveys: the form until I answer, then my thanks."""
    user = _user(request)
    try:
        assignment = selectors.assignment_for(assignment_id=assignment_id, user=user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    questions = selectors.survey_questions_for_role(survey=assignment.survey, role=assignment.role)
    context: dict[str, Any] = {"assignment": assignment, "survey": assignment.survey}
    if assignment.submitted_at is not None:
        return render(request, "feedback/survey.html", context)
    form = SurveyAnswerForm(request.POST or None, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_answer(assignment=assignment, by=user, answers=form.answers())
        except ValidationError as error:
            form.add_service_errors(error)
        except NotFoundError as error:
            raise Http404(str(error)) from error
        else:
            messages.success(request, "Thank you for your answers.")
            return redirect("feedback:survey", assignment_id=assignment.pk)
    context["form"] = form
    return render(request, "feedback/survey.html", context, status=422 if form.errors else 200)


# Managers ----------------------------------------------------------------------------------


def _managed_program(request: HttpRequest, slug: str) -> Program:
    try:
        return program_for_manager(slug=slug, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _managed_survey(request: HttpRequest, slug: str, survey_id: int) -> Survey:
    program = _managed_program(request, slug)
    survey = Survey.objects.filter(pk=survey_id, program=program).first()
    if survey is None:
        raise Http404("No such survey.")
    survey.program = program
    return survey


def _managed_question(
    request: HttpRequest, slug: str, survey_id: int, question_id: int
) -> SurveyQuestion:
    survey = _managed_survey(request, slug, survey_id)
    question = SurveyQuestion.objects.filter(pk=question_id, survey=survey).first()
    if question is None:
        raise Http404("No such question.")
    question.survey = survey
    return question


@login_required
@GET_POST
def manage(request: HttpRequest, slug: str) -> HttpResponse:
    """The pulse of the last 90 days, the surveys, and a form to define one."""
    program = _managed_program(request, slug)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(program=program, by=_user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Survey “{survey.title}” created; now add its questions.")
            return redirect("feedback:manage_survey", slug=program.slug, survey_id=survey.pk)
    return render(
        request,
        "feedback/manage/home.html",
        {
            "program": program,
            "section": "feedback",
            "overview": selectors.pulse_overview(program=program),
            "surveys": selectors.survey_list(program=program),
            "form": form,
            "min_responses": selectors.MIN_RESPONSES,
        },
        status=422 if form.errors else 200,
    )


def _render_survey(
    request: HttpRequest,
    survey: Survey,
    *,
    form: SurveyForm | None = None,
    question_form: SurveyQuestionForm | None = None,
) -> HttpResponse:
    form = form or SurveyForm(initial=SurveyForm.initial_for(survey))
    question_form = question_form or SurveyQuestionForm(prefix="question")
    return render(
        request,
        "feedback/manage/survey.html",
        {
            "program": survey.program,
            "section": "feedback",
            "survey": survey,
            "form": form,
            "question_form": question_form,
            "questions": selectors.survey_question_list(survey=survey),
        },
        status=422 if form.errors or question_form.errors else 200,
    )


@login_required
@GET_POST
def manage_survey(request: HttpRequest, slug: str, survey_id: int) -> HttpResponse:
    """A survey: its settings, its questions in order, activation."""
    survey = _managed_survey(request, slug, survey_id)
    if request.method != "POST":
        return _render_survey(request, survey)
    form = SurveyForm(request.POST)
    if form.is_valid():
        try:
            services.survey_update(survey=survey, by=_user(request), data=form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Survey saved.")
            return redirect("feedback:manage_survey", slug=slug, survey_id=survey.pk)
    return _render_survey(request, survey, form=form)


@login_required
@require_POST
def manage_question_add(request: HttpRequest, slug: str, survey_id: int) -> HttpResponse:
    survey = _managed_survey(request, slug, survey_id)
    form = SurveyQuestionForm(request.POST, prefix="question")
    if form.is_valid():
        try:
            services.survey_question_create(
                survey=survey, by=_user(request), **form.question_data()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Question added.")
            return redirect("feedback:manage_survey", slug=slug, survey_id=survey.pk)
    return _render_survey(request, survey, question_form=form)


@login_required
@require_POST
def manage_survey_activate(request: HttpRequest, slug: str, survey_id: int) -> HttpResponse:
    survey = _managed_survey(request, slug, survey_id)
    is_active = request.POST.get("is_active") == "true"
    try:
        services.survey_set_active(survey=survey, by=_user(request), is_active=is_active)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            "Survey activated: mentorships starting from now on get it."
            if is_active
            else "Survey deactivated: nobody else gets it.",
        )
    return redirect("feedback:manage_survey", slug=slug, survey_id=survey.pk)


@login_required
@GET_POST
def manage_question_edit(
    request: HttpRequest, slug: str, survey_id: int, question_id: int
) -> HttpResponse:
    question = _managed_question(request, slug, survey_id, question_id)
    form = SurveyQuestionForm(
        request.POST or None, initial=SurveyQuestionForm.initial_for(question)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_question_update(
                question=question, by=_user(request), data=form.question_data()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Question saved.")
            return redirect("feedback:manage_survey", slug=slug, survey_id=survey_id)
    return render(
        request,
        "feedback/manage/question_edit.html",
        {
            "program": question.survey.program,
            "section": "feedback",
            "survey": question.survey,
            "question": question,
            "form": form,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def manage_question_delete(
    request: HttpRequest, slug: str, survey_id: int, question_id: int
) -> HttpResponse:
    question = _managed_question(request, slug, survey_id, question_id)
    services.survey_question_delete(question=question, by=_user(request))
    messages.success(request, f"Question “{question.label}” deleted.")
    return redirect("feedback:manage_survey", slug=slug, survey_id=survey_id)


@login_required
@require_POST
def manage_question_move(
    request: HttpRequest, slug: str, survey_id: int, question_id: int
) -> HttpResponse:
    question = _managed_question(request, slug, survey_id, question_id)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, "Move a question up or down.")
    else:
        questions = selectors.survey_question_list(survey=question.survey)
        index = [q.pk for q in questions].index(question.pk)
        services.survey_question_place(
            question=question, by=_user(request), position=max(0, index + offset)
        )
    return redirect("feedback:manage_survey", slug=slug, survey_id=survey_id)


@login_required
@require_GET
def manage_results(request: HttpRequest, slug: str, survey_id: int) -> HttpResponse:
    survey = _managed_survey(request, slug, survey_id)
    return render(
        request,
        "feedback/manage/results.html",
        {
            "program": survey.program,
            "section": "feedback",
            "survey": survey,
            "results": selectors.survey_results(survey=survey),
            "min_responses": selectors.MIN_RESPONSES,
        },
    )

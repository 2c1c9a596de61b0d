"""Managers' matching pages under /programs/<slug>/manage/matching/."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError
from trellis.core.http import error_text
from trellis.matching import selectors, services
from trellis.matching.criteria import field_label
from trellis.matching.forms import CriterionForm, MatchingSettingsForm
from trellis.matching.models import MatchingCriterion, MatchRun, MatchRunPair
from trellis.programs.models import Program
from trellis.programs.selectors import intake_question_list, program_for_manager

PAIRS_PER_PAGE = 50
GET_POST = require_http_methods(["GET", "POST"])


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _managed_program(request: HttpRequest, slug: str) -> Program:
    """The program if the person may manage it; a 404 otherwise, to reveal nothing."""
    try:
        return program_for_manager(slug=slug, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _home_url(program: Program) -> str:
    return reverse("matching:home", kwargs={"slug": program.slug})


# Settings and criteria --------------------------------------------------------------------


def _render_home(
    request: HttpRequest,
    program: Program,
    *,
    settings_form: MatchingSettingsForm | None = None,
    criterion_form: CriterionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    questions = intake_question_list(program=program)
    questions_by_id = {q.pk: q for q in questions}
    own = selectors.criterion_list(program=program)
    criteria = own or selectors.effective_criteria(program=program)
    settings = selectors.matching_settings_for(program=program)
    return render(
        request,
        "matching/manage/home.html",
        {
            "program": program,
            "section": "matching",
            "settings_form": settings_form
            or MatchingSettingsForm(initial=MatchingSettingsForm.initial_for(settings)),
            "criterion_form": criterion_form or CriterionForm(questions=questions),
            "criteria": [(c, field_label(c.field, questions_by_id)) for c in criteria],
            "uses_defaults": not own,
            "automatch_enabled": settings.automatch_enabled,
            "runs": selectors.match_run_list(program=program),
            "active_run": selectors.match_run_active(program=program),
            "cohort_size": selectors.automatch_cohort_size(program=program),
        },
        status=status,
    )


@login_required
@GET_POST
def matching_home(request: HttpRequest, slug: str) -> HttpResponse:
    """The program's matching settings, its criteria, and its automatch runs."""
    program = _managed_program(request, slug)
    if request.method != "POST":
        return _render_home(request, program)
    form = MatchingSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.matching_settings_update(
                program=program, by=_user(request), data=form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Matching settings saved.")
            return redirect(_home_url(program))
    return _render_home(request, program, settings_form=form, status=422)


@login_required
@require_POST
def criterion_add(request: HttpRequest, slug: str) -> HttpResponse:
    program = _managed_program(request, slug)
    form = CriterionForm(request.POST, questions=intake_question_list(program=program))
    if form.is_valid():
        try:
            services.matching_criterion_create(
                program=program, by=_user(request), **form.criterion_data()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Criterion added.")
            return redirect(_home_url(program))
    return _render_home(request, program, criterion_form=form, status=422)


@login_required
@require_POST
def criteria_customise(request: HttpRequest, slug: str) -> HttpResponse:
    program = _managed_program(request, slug)
    services.matching_criteria_customise(program=program, by=_user(request))
    messages.success(request, "The default criteria are now this program's own to edit.")
    return redirect(_home_url(program))


def _managed_criterion(request: HttpRequest, slug: str, criterion_id: int) -> MatchingCriterion:
    program = _managed_program(request, slug)
    criterion = MatchingCriterion.objects.filter(pk=criterion_id, program=program).first()
    if criterion is None:
        raise Http404("No such criterion.")
    criterion.program = program
    return criterion


@login_required
@GET_POST
def criterion_edit(request: HttpRequest, slug: str, criterion_id: int) -> HttpResponse:
    criterion = _managed_criterion(request, slug, criterion_id)
    program = criterion.program
    questions = intake_question_list(program=program)
    form = CriterionForm(
        request.POST or None,
        questions=questions,
        initial=CriterionForm.initial_for(criterion),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.matching_criterion_update(
                criterion=criterion, by=_user(request), data=form.criterion_data()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Criterion saved.")
            return redirect(_home_url(program))
    return render(
        request,
        "matching/manage/criterion_edit.html",
        {
            "program": program,
            "section": "matching",
            "criterion": criterion,
            "label": field_label(criterion.field, {q.pk: q for q in questions}),
            "form": form,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def criterion_delete(request: HttpRequest, slug: str, criterion_id: int) -> HttpResponse:
    criterion = _managed_criterion(request, slug, criterion_id)
    services.matching_criterion_delete(criterion=criterion, by=_user(request))
    messages.success(request, "Criterion deleted.")
    return redirect(_home_url(criterion.program))


@login_required
@require_POST
def criterion_move(request: HttpRequest, slug: str, criterion_id: int) -> HttpResponse:
    criterion = _managed_criterion(request, slug, criterion_id)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, "Move a criterion up or down.")
    else:
        services.matching_criterion_move(criterion=criterion, by=_user(request), offset=offset)
    return redirect(_home_url(criterion.program))


# Runs ---------------------------------------------------------------------------------


def _managed_run(request: HttpRequest, slug: str, run_id: int) -> MatchRun:
    program = _managed_program(request, slug)
    try:
        return selectors.match_run_for(program=program, run_id=run_id)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _run_url(run: MatchRun) -> str:
    return reverse("matching:run", kwargs={"slug": run.program.slug, "run_id": run.pk})


@login_required
@require_POST
def run_start(request: HttpRequest, slug: str) -> HttpResponse:
    program = _managed_program(request, slug)
    try:
        run = services.matchrun_start(program=program, by=_user(request))
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect(_home_url(program))
    return redirect(_run_url(run))


@login_required
@require_http_methods(["GET"])
def run_detail(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    """A run: its progress while it solves or publishes, the draft to review, its outcome."""
    run = _managed_run(request, slug, run_id)
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "run-progress":
        if run.is_active:
            return render(request, "matching/manage/_run_progress.html", {"run": run})
        # Finished: load the whole page, which now shows the draft or the failure.
        return HttpResponseClientRefresh()
    page = None
    if not run.is_active:
        page = Paginator(selectors.match_run_pairs(run=run), PAIRS_PER_PAGE).get_page(
            request.GET.get("page")
        )
    return render(
        request,
        "matching/manage/run.html",
        {
            "program": run.program,
            "section": "matching",
            "run": run,
            "page": page,
            "unmatched": (run.report or {}).get("unmatched", []),
            "config_errors": (run.report or {}).get("errors", []),
        },
    )


def _run_action_done(request: HttpRequest, run: MatchRun, text: str) -> HttpResponse:
    messages.success(request, text)
    page = request.POST.get("page", "")
    url = _run_url(run)
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


def _run_action_refused(
    request: HttpRequest, run: MatchRun, error: ValidationError
) -> HttpResponse:
    messages.error(request, error_text(error))
    return redirect(_run_url(run))


def _run_pair(run: MatchRun, pair_id: int) -> MatchRunPair:
    try:
        return selectors.match_run_pair_for(run=run, pair_id=pair_id)
    except NotFoundError as error:
        raise Http404(str(error)) from error


@login_required
@require_POST
def pair_lock(request: HttpRequest, slug: str, run_id: int, pair_id: int) -> HttpResponse:
    run = _managed_run(request, slug, run_id)
    pair = _run_pair(run, pair_id)
    is_locking = request.POST.get("lock", "") != "0"
    action = services.matchrun_pair_lock if is_locking else services.matchrun_pair_unlock
    try:
        action(run=run, pair=pair, by=_user(request))
    except ValidationError as error:
        return _run_action_refused(request, run, error)
    name = pair.mentee.display_name
    return _run_action_done(
        request, run, f"{'Locked' if is_locking else 'Unlocked'} the pair of {name}."
    )


@login_required
@require_POST
def run_swap(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    run = _managed_run(request, slug, run_id)
    raw = request.POST.getlist("pair_ids")
    if len(raw) != 2 or not all(value.isdigit() for value in raw):
        messages.error(request, "Tick exactly two pairs to swap their mentors.")
        return redirect(_run_url(run))
    pair_a, pair_b = (_run_pair(run, int(value)) for value in raw)
    try:
        services.matchrun_swap(run=run, pair_a=pair_a, pair_b=pair_b, by=_user(request))
    except ValidationError as error:
        return _run_action_refused(request, run, error)
    return _run_action_done(
        request,
        run,
        f"Swapped: {pair_a.mentee.display_name} now has {pair_a.mentor.display_name} and "
        f"{pair_b.mentee.display_name} has {pair_b.mentor.display_name}. Both pairs are locked.",
    )


@login_required
@GET_POST
def mentee_assign(request: HttpRequest, slug: str, run_id: int, mentee_id: int) -> HttpResponse:
    """Choose another mentor for a mentee of the draft, among those with a place left."""
    run = _managed_run(request, slug, run_id)
    mentee = User.objects.select_related("profile").filter(pk=mentee_id).first()
    if mentee is None or not selectors.match_run_has_mentee(run=run, mentee=mentee):
        raise Http404("No such mentee in this run.")
    if request.method == "GET":
        htmx = getattr(request, "htmx", None)
        template = "_assign_form.html" if htmx else "assign.html"
        return render(
            request,
            f"matching/manage/{template}",
            {
                "program": run.program,
                "section": "matching",
                "run": run,
                "mentee": mentee,
                "options": selectors.draft_mentor_options(run=run, mentee=mentee),
            },
        )
    raw = request.POST.get("mentor", "")
    mentor = (
        User.objects.select_related("profile").filter(pk=int(raw)).first()
        if raw.isdigit()
        else None
    )
    if mentor is None:
        messages.error(request, "Choose a mentor.")
        return redirect(_run_url(run))
    try:
        services.matchrun_assign(run=run, mentee=mentee, mentor=mentor, by=_user(request))
    except ValidationError as error:
        return _run_action_refused(request, run, error)
    return _run_action_done(
        request,
        run,
        f"{mentee.display_name} now has {mentor.display_name} as mentor; the pair is locked.",
    )


@login_required
@require_POST
def run_resolve(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    run = _managed_run(request, slug, run_id)
    try:
        services.matchrun_resolve(run=run, by=_user(request))
    except ValidationError as error:
        return _run_action_refused(request, run, error)
    return redirect(_run_url(run))


@login_required
@require_POST
def run_publish(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    run = _managed_run(request, slug, run_id)
    try:
        services.matchrun_publish(run=run, by=_user(request))
    except ValidationError as error:
        return _run_action_refused(request, run, error)
    # The worker may be done already (or not have begun): the run page says which.
    return redirect(_run_url(run))


@login_required
@require_POST
def run_discard(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    run = _managed_run(request, slug, run_id)
    try:
        services.matchrun_discard(run=run, by=_user(request))
    except ValidationError as error:
        return _run_action_refused(request, run, error)
    messages.success(request, "The run was discarded.")
    return redirect(_home_url(run.program))

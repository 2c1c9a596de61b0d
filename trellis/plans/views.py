"""Plan pages: a mentorship's timeline, and the managers' templates under /manage/plans/."""

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
from trellis.core.http import error_text
from trellis.mentorships.models import Mentorship
from trellis.plans import selectors, services
from trellis.plans.forms import StepForm, TemplateForm
from trellis.plans.models import MentorshipPlanItem, PlanStep, PlanTemplate
from trellis.programs.models import Program
from trellis.programs.selectors import program_for_manager

GET_POST = require_http_methods(["GET", "POST"])


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# The timeline -----------------------------------------------------------------------------


def _mentorship(request: HttpRequest, mentorship_id: int) -> tuple[Mentorship, str]:
    try:
        return selectors.mentorship_for_plan(mentorship_id=mentorship_id, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _goal_members(mentorship: Mentorship, role: str) -> list[Any]:
    """Whom a group's mentor may give a suggested goal to: the current members."""
    return mentorship.mentees() if mentorship.is_group and role == "mentor" else []


def _timeline_context(mentorship: Mentorship, role: str, user: User) -> dict[str, Any]:
    return {
        "mentorship": mentorship,
        "role": role,
        "timeline": selectors.plan_timeline(mentorship=mentorship, viewer=user),
        "can_tick": selectors.may_tick(mentorship=mentorship, role=role),
        "goal_members": _goal_members(mentorship, role),
    }


@login_required
@require_GET
def timeline(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    mentorship, role = _mentorship(request, mentorship_id)
    return render(
        request, "plans/timeline.html", _timeline_context(mentorship, role, _user(request))
    )


def _item(request: HttpRequest, mentorship: Mentorship, item_id: int) -> MentorshipPlanItem:
    item = (
        MentorshipPlanItem.objects.select_related("plan", "goal", "done_by__profile")
        .filter(pk=item_id, plan__mentorship=mentorship)
        .first()
    )
    if item is None:
        raise Http404("No such plan item.")
    return item


def _item_url(mentorship: Mentorship, item: MentorshipPlanItem) -> str:
    return reverse("plans:timeline", kwargs={"mentorship_id": mentorship.pk}) + f"#item-{item.pk}"


def _render_item(
    request: HttpRequest, mentorship: Mentorship, role: str, item: MentorshipPlanItem, **extra: Any
) -> HttpResponse:
    entry = selectors.timeline_entry(item=item, viewer=_user(request))
    return render(
        request,
        "plans/_item.html",
        {
            "mentorship": mentorship,
            "role": role,
            "entry": entry,
            "can_tick": selectors.may_tick(mentorship=mentorship, role=role),
            "goal_members": _goal_members(mentorship, role),
            **extra,
        },
    )


@login_required
@require_POST
def item_done(request: HttpRequest, mentorship_id: int, item_id: int) -> HttpResponse:
    """Tick an item done or not done: the item's fragment for HTMX, else back to the page."""
    mentorship, role = _mentorship(request, mentorship_id)
    item = _item(request, mentorship, item_id)
    is_done = request.POST.get("done") == "true"
    error = ""
    try:
        item = services.plan_item_set_done(item=item, by=_user(request), is_done=is_done)
    except PermissionDeniedError as denied:
        # A manager reads the plan; only its participants tick.
        raise PermissionDenied(str(denied)) from denied
    except ValidationError as invalid:
        error = error_text(invalid)
    if _is_htmx(request):
        item = _item(request, mentorship, item_id)
        # 200 even when refused: htmx swaps only successful answers, and the fragment
        # carries the reason in an alert.
        return _render_item(request, mentorship, role, item, item_error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"“{item.title}” is {'done' if is_done else 'open again'}.")
    return redirect(_item_url(mentorship, item))


@login_required
@require_POST
def item_goal(request: HttpRequest, mentorship_id: int, item_id: int) -> HttpResponse:
    """Add a suggested goal as a real goal (the mentee's, or the member the mentor chose)."""
    mentorship, _role = _mentorship(request, mentorship_id)
    item = _item(request, mentorship, item_id)
    owner_raw = request.POST.get("owner", "")
    owner_id = int(owner_raw) if owner_raw.isdigit() else None
    try:
        services.plan_item_goal_add(item=item, by=_user(request), owner_id=owner_id)
    except PermissionDeniedError as denied:
        raise PermissionDenied(str(denied)) from denied
    except ValidationError as invalid:
        messages.error(request, error_text(invalid))
    else:
        messages.success(request, f"“{item.title}” is now one of the goals.")
    return redirect(_item_url(mentorship, item))


# Managers ---------------------------------------------------------------------------------


def _managed_program(request: HttpRequest, slug: str) -> Program:
    try:
        return program_for_manager(slug=slug, user=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _template(program: Program, template_id: int) -> PlanTemplate:
    try:
        return selectors.template_for_manager(program=program, template_id=template_id)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _manage_url(program: Program) -> str:
    return reverse("plans:manage", kwargs={"slug": program.slug})


def _template_url(program: Program, template: PlanTemplate) -> str:
    return reverse(
        "plans:manage_template", kwargs={"slug": program.slug, "template_id": template.pk}
    )


@login_required
@GET_POST
def manage(request: HttpRequest, slug: str) -> HttpResponse:
    """The template in use, the built-ins and the program's own; a form for a new one."""
    program = _managed_program(request, slug)
    form = TemplateForm(request.POST or None, auto_id="new_%s")
    if request.method == "POST" and form.is_valid():
        try:
            template = services.plan_template_create(
                program=program, by=_user(request), **form.template_data()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Template “{template.name}” created: add its steps.")
            return redirect(_template_url(program, template))
    return render(
        request,
        "plans/manage/home.html",
        {
            "program": program,
            "plans": selectors.program_plans(program=program),
            "form": form,
            "section": "plans",
        },
        status=422 if form.errors else 200,
    )


def _render_template_page(
    request: HttpRequest,
    program: Program,
    template: PlanTemplate,
    *,
    rename_form: TemplateForm | None = None,
    step_form: StepForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "plans/manage/template.html",
        {
            "program": program,
            "template": template,
            "steps": selectors.template_steps(template=template),
            "is_editable": template.program_id is not None and template.archived_at is None,
            "rename_form": rename_form
            or TemplateForm(initial=TemplateForm.initial_for(template), auto_id="rename_%s"),
            "step_form": step_form or StepForm(auto_id="step_%s"),
            "in_use": selectors.program_plans(program=program).in_use,
            "section": "plans",
        },
        status=status,
    )


@login_required
@GET_POST
def manage_template(request: HttpRequest, slug: str, template_id: int) -> HttpResponse:
    """A template: preview a built-in; rename and add steps to the program's own."""
    program = _managed_program(request, slug)
    template = _template(program, template_id)
    if request.method == "GET":
        return _render_template_page(request, program, template)
    action = request.POST.get("action")
    if action == "rename":
        form = TemplateForm(request.POST, auto_id="rename_%s")
        if form.is_valid():
            try:
                services.plan_template_update(
                    template=template, by=_user(request), data=form.template_data()
                )
            except PermissionDeniedError as denied:
                raise PermissionDenied(str(denied)) from denied
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Template saved.")
                return redirect(_template_url(program, template))
        return _render_template_page(request, program, template, rename_form=form, status=422)
    step_form = StepForm(request.POST, auto_id="step_%s")
    if step_form.is_valid():
        try:
            step = services.plan_step_create(
                template=template, by=_user(request), **step_form.step_data()
            )
        except PermissionDeniedError as denied:
            raise PermissionDenied(str(denied)) from denied
        except ValidationError as error:
            step_form.add_service_errors(error)
        else:
            messages.success(request, f"Step “{step.title}” added on day {step.day}.")
            return redirect(_template_url(program, template) + f"#step-{step.pk}")
    return _render_template_page(request, program, template, step_form=step_form, status=422)


@login_required
@require_POST
def manage_copy(request: HttpRequest, slug: str, template_id: int) -> HttpResponse:
    program = _managed_program(request, slug)
    template = _template(program, template_id)
    try:
        copy = services.plan_template_copy(template=template, program=program, by=_user(request))
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect(_manage_url(program))
    messages.success(request, f"Copied as “{copy.name}”: change it as you like.")
    return redirect(_template_url(program, copy))


@login_required
@require_POST
def manage_use(request: HttpRequest, slug: str) -> HttpResponse:
    """Choose the template for new mentorships: one by id, "builtin" (the default), "off"."""
    program = _managed_program(request, slug)
    choice = request.POST.get("template", "")
    template = None
    if choice.isdigit():
        template = _template(program, int(choice))
    elif choice not in ("builtin", "off"):
        messages.error(request, "Choose a template.")
        return redirect(_manage_url(program))
    try:
        services.program_plan_choose(
            program=program, by=_user(request), template=template, is_enabled=choice != "off"
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        if choice == "off":
            messages.success(request, "New mentorships get no connection plan.")
        elif template is not None:
            messages.success(request, f"New mentorships get “{template.name}”.")
        else:
            messages.success(request, "New mentorships get the built-in plan that fits.")
    return redirect(_manage_url(program))


@login_required
@require_POST
def manage_archive(request: HttpRequest, slug: str, template_id: int) -> HttpResponse:
    program = _managed_program(request, slug)
    template = _template(program, template_id)
    is_archived = request.POST.get("archive") != "false"
    try:
        services.plan_template_archive(
            template=template, by=_user(request), is_archived=is_archived
        )
    except PermissionDeniedError as denied:
        messages.error(request, str(denied))
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        verb = "archived" if is_archived else "restored"
        messages.success(request, f"Template “{template.name}” {verb}.")
    return redirect(_manage_url(program))


def _step(program: Program, template_id: int, step_id: int) -> PlanStep:
    template = _template(program, template_id)
    step = PlanStep.objects.filter(pk=step_id, template=template).first()
    if step is None:
        raise Http404("No such step.")
    step.template = template
    return step


@login_required
@GET_POST
def manage_step(request: HttpRequest, slug: str, template_id: int, step_id: int) -> HttpResponse:
    program = _managed_program(request, slug)
    step = _step(program, template_id, step_id)
    template = step.template
    if template.program_id is None or template.archived_at is not None:
        raise Http404("This template cannot be changed.")
    form = StepForm(request.POST or None, initial=StepForm.initial_for(step), auto_id="edit_%s")
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_step_update(step=step, by=_user(request), data=form.step_data())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Step saved.")
            return redirect(_template_url(program, template) + f"#step-{step.pk}")
    return render(
        request,
        "plans/manage/step.html",
        {"program": program, "template": template, "step": step, "form": form, "section": "plans"},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def manage_step_delete(
    request: HttpRequest, slug: str, template_id: int, step_id: int
) -> HttpResponse:
    program = _managed_program(request, slug)
    step = _step(program, template_id, step_id)
    try:
        services.plan_step_delete(step=step, by=_user(request))
    except PermissionDeniedError as denied:
        messages.error(request, str(denied))
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"Step “{step.title}” deleted.")
    return redirect(_template_url(program, step.template))


@login_required
@require_POST
def manage_step_move(
    request: HttpRequest, slug: str, template_id: int, step_id: int
) -> HttpResponse:
    program = _managed_program(request, slug)
    step = _step(program, template_id, step_id)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""), 0)
    try:
        services.plan_step_move(step=step, by=_user(request), offset=offset)
    except PermissionDeniedError as denied:
        messages.error(request, str(denied))
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect(_template_url(program, step.template) + f"#step-{step.pk}")

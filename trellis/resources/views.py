"""Pages: a program's library, one resource, its file, the managers' pages, and a
mentorship's recommendations.

The library is for the program's approved participants, managers and staff; anyone else
gets 404 (the anonymous are sent to sign in). Managers add, change and archive the
program's resources and hide built-in guides. A mentor recommends from the library into
a mentorship; its mentees mark a recommendation done. Readers who may not write get 403
and nothing changes; a refused form comes back with what was typed and status 422.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.http import error_text, safe_next
from trellis.mentorships.models import Mentorship
from trellis.mentorships.templatetags.mentorship_labels import mentorship_title
from trellis.messaging.formatting import render_markdown
from trellis.messaging.views_files import content_disposition, protect_download
from trellis.programs.models import Program
from trellis.programs.selectors import program_for_manager
from trellis.resources import selectors, services
from trellis.resources.forms import RecommendForm, RecommendResourceForm, ResourceForm
from trellis.resources.models import Recommendation, Resource, ResourceKind, resource_storage

PAGE_SIZE = 20
GET_POST = require_http_methods(["GET", "POST"])


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _htmx_target(request: HttpRequest) -> str:
    htmx = getattr(request, "htmx", None)
    return str(htmx.target or "") if htmx else ""


def _or_404(loader: Any, **kwargs: Any) -> Any:
    try:
        return loader(**kwargs)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _id(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


# The library ----------------------------------------------------------------------------


def _filters(request: HttpRequest) -> dict[str, str]:
    kind = request.GET.get("kind", "")
    return {
        "q": request.GET.get("q", "")[: selectors.MAX_SEARCH_LENGTH],
        "tag": request.GET.get("tag", "")[:40],
        "kind": kind if kind in ResourceKind.values else "",
    }


@login_required
@require_safe
def library(request: HttpRequest, slug: str) -> HttpResponse:
    """The library's resources: search, tag and kind filters, 20 a page (HTMX: the list)."""
    found = _or_404(selectors.library_for, slug=slug, user=request.user)
    program = found.program
    chosen = _filters(request)
    resources = selectors.resources_in_library(
        program=program, search=chosen["q"], tag=chosen["tag"], kind=chosen["kind"]
    )
    page = Paginator(resources, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "program": program,
        "can_manage": found.can_manage,
        "page": page,
        "chosen": chosen,
        "query": query.urlencode(),
        "kinds": ResourceKind.choices,
        "tags": selectors.library_tags(program=program),
    }
    if _htmx_target(request) == "resource-results":
        return render(request, "resources/_results.html", context)
    return render(request, "resources/library.html", context)


# One resource -------------------------------------------------------------------------


def _mentorship_label(mentorship: Mentorship, user: User) -> str:
    name = mentorship_title(mentorship, user)
    if mentorship.is_group:
        count = len(mentorship.mentee_ids())
        name = f"{name} ({count} member{'' if count == 1 else 's'})"
    return f"{name} · {mentorship.program.name}"


def _mentorship_choices(mentorships: list[Mentorship], user: User) -> list[tuple[int, str]]:
    return [(mentorship.pk, _mentorship_label(mentorship, user)) for mentorship in mentorships]


def _back_library(request: HttpRequest, resource: Resource) -> Program | None:
    """The library the reader came from: the resource's program, or ``?from=`` for a guide."""
    if resource.program is not None:
        return resource.program
    slug = request.GET.get("from", "")
    if not slug:
        return None
    try:
        return selectors.library_for(slug=slug, user=request.user).program
    except NotFoundError:
        return None


def _render_detail(
    request: HttpRequest,
    access: selectors.ResourceAccess,
    *,
    form: RecommendForm | None = None,
    status: int = 200,
) -> HttpResponse:
    resource = access.resource
    user = _user(request)
    mentorships = selectors.recommendable_mentorships(resource=resource, user=user)
    if form is None and mentorships:
        form = RecommendForm(
            mentorships=_mentorship_choices(mentorships, user), auto_id="recommend_%s"
        )
    return render(
        request,
        "resources/detail.html",
        {
            "resource": resource,
            "can_manage": access.can_manage and not resource.is_builtin,
            "body_html": render_markdown(resource.body) if resource.body else "",
            "library": _back_library(request, resource),
            "form": form,
        },
        status=status,
    )


@login_required
@require_safe
def detail(request: HttpRequest, resource_id: int) -> HttpResponse:
    access = _or_404(selectors.resource_for, resource_id=resource_id, user=request.user)
    return _render_detail(request, access)


@login_required
@require_POST
def recommend(request: HttpRequest, resource_id: int) -> HttpResponse:
    """Recommend the resource into one of the mentor's mentorships (from its page)."""
    user = _user(request)
    access = _or_404(selectors.resource_for, resource_id=resource_id, user=user)
    mentorships = selectors.recommendable_mentorships(resource=access.resource, user=user)
    if not mentorships:
        raise PermissionDenied("Only a mentor recommends resources, into their mentorships.")
    form = RecommendForm(
        request.POST, mentorships=_mentorship_choices(mentorships, user), auto_id="recommend_%s"
    )
    if form.is_valid():
        mentorship = next(m for m in mentorships if m.pk == form.cleaned_data["mentorship"])
        try:
            services.recommendation_create(
                mentorship=mentorship,
                resource=access.resource,
                by=user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, f"You recommended “{access.resource.title}”.")
            return redirect("resources:mentorship", mentorship.pk)
    return _render_detail(request, access, form=form, status=422)


@login_required
@require_safe
def download(request: HttpRequest, resource_id: int) -> HttpResponseBase:
    """The resource's file, to those who may read it; always as a download."""
    access = _or_404(selectors.resource_for, resource_id=resource_id, user=request.user)
    return file_response(access.resource)


def file_response(resource: Resource) -> HttpResponseBase:
    """The stored file with its sniffed type, as an attachment, with protective headers."""
    if resource.kind != ResourceKind.FILE or not resource.file:
        raise Http404("This resource has no file.")
    try:
        stored = resource_storage().open(str(resource.file.name), "rb")
    except (FileNotFoundError, OSError):
        raise Http404("No such file.") from None
    content_type = resource.file_type or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    response = FileResponse(stored, content_type=content_type)
    if resource.file_size:
        response["Content-Length"] = str(resource.file_size)
    response["Content-Disposition"] = content_disposition(
        resource.file_name or "file", inline=False
    )
    return protect_download(response)


# Managers -------------------------------------------------------------------------------


def _managed_program(request: HttpRequest, slug: str) -> Program:
    return cast(Program, _or_404(program_for_manager, slug=slug, user=request.user))


@login_required
@require_safe
def manage(request: HttpRequest, slug: str) -> HttpResponse:
    """The program's own resources (archived last) and the built-in guides to hide or show."""
    program = _managed_program(request, slug)
    return render(
        request,
        "resources/manage.html",
        {
            "program": program,
            "resources": selectors.resources_for_manager(program=program),
            "builtins": selectors.builtins_for_manager(program=program),
            "section": "resources",
        },
    )


def _render_form(
    request: HttpRequest,
    program: Program,
    form: ResourceForm,
    *,
    resource: Resource | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "resources/form.html",
        {"program": program, "form": form, "resource": resource, "section": "resources"},
        status=status,
    )


@login_required
@GET_POST
def manage_new(request: HttpRequest, slug: str) -> HttpResponse:
    program = _managed_program(request, slug)
    if request.method != "POST":
        return _render_form(request, program, ResourceForm(auto_id="resource_%s"))
    form = ResourceForm(request.POST, request.FILES, auto_id="resource_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            resource = services.resource_create(
                program=program,
                by=_user(request),
                kind=data["kind"],
                title=data["title"],
                summary=data["summary"],
                url=data["url"],
                body=data["body"],
                tags=data["tags"],
                upload=data["file"] or None,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, f"“{resource.title}” is in the library.")
            return redirect("resources:manage", program.slug)
    return _render_form(request, program, form, status=422)


def _managed_resource(request: HttpRequest, resource_id: int) -> Resource:
    """A resource of a program user manages; 404 if they may not read it, else 403."""
    access = _or_404(selectors.resource_for, resource_id=resource_id, user=request.user)
    resource: Resource = access.resource
    if resource.is_builtin:
        raise PermissionDenied("Built-in guides are kept by Trellis: hide one instead.")
    if not access.can_manage:
        raise PermissionDenied("Only the program's managers change its library.")
    return resource


def _tags_text(resource: Resource) -> str:
    return ", ".join(tag.name for tag in resource.tags.all())


@login_required
@GET_POST
def edit(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = _managed_resource(request, resource_id)
    program = cast(Program, resource.program)
    initial = {
        "title": resource.title,
        "summary": resource.summary,
        "url": resource.url,
        "body": resource.body,
        "tags": _tags_text(resource),
    }
    if request.method != "POST":
        form = ResourceForm(initial=initial, kind=resource.kind, auto_id="resource_%s")
        return _render_form(request, program, form, resource=resource)
    form = ResourceForm(
        request.POST, request.FILES, initial=initial, kind=resource.kind, auto_id="resource_%s"
    )
    if form.is_valid():
        try:
            services.resource_update(
                resource=resource, by=_user(request), data=form.resource_data()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, f"“{resource.title}” was saved.")
            return redirect("resources:manage", program.slug)
    return _render_form(request, program, form, resource=resource, status=422)


ARCHIVE_DONE = {
    "archive": "“{title}” was archived: it left the library.",
    "unarchive": "“{title}” is back in the library.",
}


@login_required
@require_POST
def archive(request: HttpRequest, resource_id: int, action: str) -> HttpResponse:
    if action not in ARCHIVE_DONE:
        raise Http404("No such action.")
    resource = _managed_resource(request, resource_id)
    service = services.resource_archive if action == "archive" else services.resource_unarchive
    try:
        service(resource=resource, by=_user(request))
    except ValidationError as error:
        messages.error(request, error_text(error))
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    else:
        messages.success(request, ARCHIVE_DONE[action].format(title=resource.title))
    program = cast(Program, resource.program)
    return redirect(safe_next(request) or reverse("resources:manage", args=[program.slug]))


HIDE_DONE = {
    "hide": "“{title}” is hidden from your library.",
    "show": "“{title}” is shown in your library again.",
}


@login_required
@require_POST
def hide(request: HttpRequest, slug: str, resource_id: int, action: str) -> HttpResponse:
    """Hide a built-in guide from the program's library, or show it again."""
    if action not in HIDE_DONE:
        raise Http404("No such action.")
    program = _managed_program(request, slug)
    resource = Resource.objects.filter(pk=resource_id, program__isnull=True).first()
    if resource is None:
        raise Http404("No such guide.")
    service = services.resource_hide if action == "hide" else services.resource_show
    try:
        service(program=program, resource=resource, by=_user(request))
    except ValidationError as error:
        messages.error(request, error_text(error))
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    else:
        messages.success(request, HIDE_DONE[action].format(title=resource.title))
    return redirect(reverse("resources:manage", args=[program.slug]) + "#builtins-heading")


# A mentorship's recommendations --------------------------------------------------------------


def _recommend_form(
    mentorship: Mentorship, *, search: str = "", data: Any = None, posted: Resource | None = None
) -> RecommendResourceForm:
    """The form with the library's choices (matching ``search``) and the posted one.

    The posted resource joins the choices only if the library shows it (one recommended
    already is refused by the service, with its reason): no other title is ever shown.
    """
    choices = [
        (resource.pk, resource.title)
        for resource in selectors.library_choices_for(mentorship=mentorship, search=search)
    ]
    if (
        posted is not None
        and all(pk != posted.pk for pk, _title in choices)
        and selectors.library_shows(program=mentorship.program, resource=posted)
    ):
        choices.insert(0, (posted.pk, posted.title))
    return RecommendResourceForm(data, resources=choices, auto_id="recommend_%s")


def _render_mentorship(
    request: HttpRequest,
    mentorship: Mentorship,
    role: str,
    *,
    form: RecommendResourceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    can_recommend = selectors.may_recommend(mentorship=mentorship, user=user)
    search = request.GET.get("q", "")[: selectors.MAX_SEARCH_LENGTH]
    if can_recommend and form is None:
        form = _recommend_form(mentorship, search=search)
    context = {
        "mentorship": mentorship,
        "role": role,
        "recommendations": selectors.recommendations_for(mentorship=mentorship),
        "sees_notes": selectors.sees_notes(role),
        "can_recommend": can_recommend,
        "can_mark": selectors.may_mark_done(mentorship=mentorship, user=user),
        "is_open": selectors.is_open(mentorship),
        "form": form,
        "search": search,
    }
    if _htmx_target(request) == "recommend-choices" and form is not None:
        return render(request, "resources/_choices.html", context)
    return render(request, "resources/mentorship.html", context, status=status)


@login_required
@GET_POST
def mentorship_resources(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    """The mentorship's recommendations; the mentor recommends from the library here."""
    user = _user(request)
    mentorship, role = _or_404(
        selectors.mentorship_for_resources, mentorship_id=mentorship_id, user=user
    )
    if request.method != "POST":
        return _render_mentorship(request, mentorship, role)
    if user.pk != mentorship.mentor_id:
        raise PermissionDenied("Only the mentor recommends resources.")
    resource_id = _id(request.POST.get("resource"))
    resource = Resource.objects.filter(pk=resource_id).first() if resource_id else None
    form = _recommend_form(mentorship, data=request.POST, posted=resource)
    if form.is_valid() and resource is not None:
        try:
            services.recommendation_create(
                mentorship=mentorship, resource=resource, by=user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, f"You recommended “{resource.title}”.")
            return redirect("resources:mentorship", mentorship.pk)
    return _render_mentorship(request, mentorship, role, form=form, status=422)


@login_required
@require_POST
def recommendation_done(
    request: HttpRequest, mentorship_id: int, recommendation_id: int
) -> HttpResponse:
    """Mark a recommendation done ("done=true") or not done yet (HTMX: the item)."""
    user = _user(request)
    recommendation, role = _or_404(
        selectors.recommendation_for, recommendation_id=recommendation_id, user=user
    )
    if recommendation.mentorship_id != mentorship_id:
        raise Http404("No such recommendation.")
    mentorship = recommendation.mentorship
    if role != "mentee":
        raise PermissionDenied("Only the mentee marks a recommendation done.")
    is_done = request.POST.get("done") == "true"
    error = ""
    try:
        services.recommendation_set_done(recommendation=recommendation, by=user, is_done=is_done)
    except ValidationError as invalid:
        error = error_text(invalid)
    except PermissionDeniedError as denied:
        raise PermissionDenied(str(denied)) from denied
    if getattr(request, "htmx", False):
        fresh, role = _or_404(
            selectors.recommendation_for, recommendation_id=recommendation_id, user=user
        )
        # 200 even when refused: htmx swaps only successful answers; the item says why.
        return render(
            request,
            "resources/_recommendation.html",
            _item_context(fresh, role, user, error=error),
        )
    if error:
        messages.error(request, error)
    else:
        title = recommendation.resource.title
        messages.success(
            request, f"“{title}” is marked done." if is_done else f"“{title}” is open again."
        )
    return redirect(
        reverse("resources:mentorship", args=[mentorship.pk])
        + f"#recommendation-{recommendation.pk}"
    )


def _item_context(
    recommendation: Recommendation, role: str, user: User, *, error: str = ""
) -> dict[str, Any]:
    mentorship = recommendation.mentorship
    return {
        "recommendation": recommendation,
        "mentorship": mentorship,
        "sees_notes": selectors.sees_notes(role),
        "can_mark": selectors.may_mark_done(mentorship=mentorship, user=user),
        "item_error": error,
    }

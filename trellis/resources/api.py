"""REST endpoints for the library and recommendations (mounted at /api/v1/).

A program's library is for its approved participants, managers and staff (404 for anyone
else). Its managers add (links and guides as JSON, files as multipart), change, archive
and unarchive the program's resources and hide or show built-in guides (403 for other
readers). A resource's file comes from /resources/{id}/file, to those who may read it.

A mentorship's recommendations are for its people; its program's managers and staff read
them without the mentor's notes (null for them); anyone else gets 404. The mentor
recommends (while the mentorship is active or paused); its mentees mark them done.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from trellis.messaging.formatting import render_markdown
from trellis.programs.selectors import program_for_manager
from trellis.resources import selectors, services
from trellis.resources.models import (
    MAX_NOTE_LENGTH,
    MAX_SUMMARY_LENGTH,
    MAX_TITLE_LENGTH,
    Recommendation,
    Resource,
    ResourceKind,
)
from trellis.resources.views import file_response

router = Router(tags=["resources"])

PAGE_SIZE = 20
KindName = Literal["link", "file", "guide"]


class ResourceOut(Schema):
    id: int
    program_slug: str | None = Field(description="Empty for a built-in guide.")
    kind: str = Field(description="link, file or guide.")
    title: str
    summary: str
    url: str = Field(description="A link's https address; empty for other kinds.")
    body: str = Field(description="A guide's Markdown text; empty for other kinds.")
    body_html: str = Field(description="The guide's text as sanitized HTML.")
    file_name: str
    file_type: str
    file_size: int | None
    download_url: str | None = Field(description="Where a file resource's file is fetched.")
    tags: list[str]
    is_builtin: bool
    is_archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ResourcePageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[ResourceOut]


class LibraryFilters(Schema):
    q: str = Field(default="", max_length=100, description="Words in title, text or tags.")
    tag: str = Field(default="", max_length=40)
    kind: KindName | None = None
    page: int = Field(default=1, ge=1)


class ResourceIn(Schema):
    kind: KindName = Field(description="link or guide (files are uploaded as multipart).")
    title: str = Field(max_length=MAX_TITLE_LENGTH)
    summary: str = Field("", max_length=MAX_SUMMARY_LENGTH)
    url: str = Field("", description="A link's https address.")
    body: str = Field("", description="A guide's Markdown text.")
    tags: list[str] = []


class ResourcePatch(Schema):
    title: str | None = None
    summary: str | None = None
    url: str | None = None
    body: str | None = None
    tags: list[str] | None = None


class FileResourceIn(Schema):
    title: str = Field(max_length=MAX_TITLE_LENGTH)
    summary: str = Field("", max_length=MAX_SUMMARY_LENGTH)
    tags: str = Field("", description="Separated by commas.")


class RecommendedResourceOut(Schema):
    id: int
    kind: str
    title: str
    is_archived: bool


class RecommendationOut(Schema):
    id: int
    mentorship_id: int
    resource: RecommendedResourceOut
    recommended_by_id: int | None
    recommended_by_name: str
    note: str | None = Field(description="Only for the mentorship's people; null otherwise.")
    created_at: dt.datetime
    is_done: bool
    completed_at: dt.datetime | None
    completed_by_id: int | None


class RecommendationIn(Schema):
    resource_id: int
    note: str = Field("", max_length=MAX_NOTE_LENGTH)


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _resource_out(resource: Resource) -> dict[str, Any]:
    is_file = resource.kind == ResourceKind.FILE
    return {
        "id": resource.pk,
        "program_slug": resource.program.slug if resource.program else None,
        "kind": resource.kind,
        "title": resource.title,
        "summary": resource.summary,
        "url": resource.url,
        "body": resource.body,
        "body_html": render_markdown(resource.body) if resource.body else "",
        "file_name": resource.file_name,
        "file_type": resource.file_type,
        "file_size": resource.file_size,
        "download_url": f"/api/v1/resources/{resource.pk}/file" if is_file else None,
        "tags": [tag.name for tag in resource.tags.all()],
        "is_builtin": resource.is_builtin,
        "is_archived": resource.is_archived,
        "created_at": resource.created_at,
        "updated_at": resource.updated_at,
    }


def _recommendation_out(recommendation: Recommendation, role: str | None) -> dict[str, Any]:
    resource = recommendation.resource
    by = recommendation.recommended_by
    return {
        "id": recommendation.pk,
        "mentorship_id": recommendation.mentorship_id,
        "resource": {
            "id": resource.pk,
            "kind": resource.kind,
            "title": resource.title,
            "is_archived": resource.is_archived,
        },
        "recommended_by_id": recommendation.recommended_by_id,
        "recommended_by_name": str(by.display_name) if by else "",
        "note": recommendation.note if selectors.sees_notes(role) else None,
        "created_at": recommendation.created_at,
        "is_done": recommendation.is_done,
        "completed_at": recommendation.completed_at,
        "completed_by_id": recommendation.completed_by_id,
    }


def _fresh(request: HttpRequest, resource_id: int) -> dict[str, Any]:
    access = selectors.resource_for(resource_id=resource_id, user=_user(request))
    return _resource_out(access.resource)


def _managed(request: HttpRequest, resource_id: int) -> Resource:
    """A program's resource user manages: 404 if they may not read it, 403 if not a manager."""
    access = selectors.resource_for(resource_id=resource_id, user=_user(request))
    if access.resource.is_builtin:
        raise PermissionDeniedError("Built-in guides are kept by Trellis: hide one instead.")
    if not access.can_manage:
        raise PermissionDeniedError("Only the program's managers change its library.")
    resource: Resource = access.resource
    return resource


def _library_program(request: HttpRequest, slug: str, *, to_manage: bool = False) -> Any:
    library = selectors.library_for(slug=slug, user=_user(request))
    if to_manage and not library.can_manage:
        raise PermissionDeniedError("Only the program's managers change its library.")
    return library.program


# The library ----------------------------------------------------------------------------


@router.get(
    "/programs/{slug}/resources",
    response=ResourcePageOut,
    summary="Search a program's library (its resources and the built-in guides it shows)",
)
def resource_list(
    request: HttpRequest, slug: str, filters: Query[LibraryFilters]
) -> dict[str, Any]:
    program = _library_program(request, slug)
    resources = selectors.resources_in_library(
        program=program, search=filters.q, tag=filters.tag, kind=filters.kind or ""
    )
    paginator = Paginator(resources, PAGE_SIZE)
    if filters.page > max(paginator.num_pages, 1):
        raise NotFoundError("No such page.")
    page = paginator.page(filters.page)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "results": [_resource_out(resource) for resource in page.object_list],
    }


@router.post(
    "/programs/{slug}/resources",
    response={201: ResourceOut},
    summary="Add a link or a guide to the program's library (managers)",
)
def resource_create(request: HttpRequest, slug: str, payload: ResourceIn) -> Status[Any]:
    program = _library_program(request, slug, to_manage=True)
    if payload.kind == ResourceKind.FILE:
        raise ValidationError(
            {"kind": f"Upload files as multipart to /api/v1/programs/{slug}/resources/files."}
        )
    resource = services.resource_create(
        program=program,
        by=_user(request),
        kind=payload.kind,
        title=payload.title,
        summary=payload.summary,
        url=payload.url,
        body=payload.body,
        tags=payload.tags,
    )
    return Status(201, _fresh(request, resource.pk))


@router.post(
    "/programs/{slug}/resources/files",
    response={201: ResourceOut},
    summary="Upload a file into the program's library (managers; multipart)",
    description=(
        "Accepted: PDF; Word, Excel, PowerPoint and OpenDocument files; PNG, JPEG, GIF and "
        "WebP images; .txt, .md and .csv text in UTF-8; up to RESOURCES_MAX_FILE_MB (20 MB)."
    ),
)
def resource_upload(
    request: HttpRequest,
    slug: str,
    payload: Form[FileResourceIn],
    file: File[UploadedFile | None] = None,
) -> Status[Any]:
    program = _library_program(request, slug, to_manage=True)
    resource = services.resource_create(
        program=program,
        by=_user(request),
        kind=ResourceKind.FILE,
        title=payload.title,
        summary=payload.summary,
        tags=payload.tags,
        upload=file,
    )
    return Status(201, _fresh(request, resource.pk))


@router.get("/resources/{resource_id}", response=ResourceOut, summary="One resource")
def resource_detail(request: HttpRequest, resource_id: int) -> dict[str, Any]:
    return _fresh(request, resource_id)


@router.patch(
    "/resources/{resource_id}",
    response=ResourceOut,
    summary="Change a resource's title, summary, address, text or tags (managers)",
)
def resource_update(
    request: HttpRequest, resource_id: int, payload: ResourcePatch
) -> dict[str, Any]:
    resource = _managed(request, resource_id)
    data = payload.model_dump(exclude_unset=True)
    for field in ("title", "summary", "url", "body", "tags"):
        if field in data and data[field] is None:
            raise ValidationError({field: "Give a value (it cannot be null)."})
    services.resource_update(resource=resource, by=_user(request), data=data)
    return _fresh(request, resource_id)


@router.get(
    "/resources/{resource_id}/file",
    response={200: None},
    summary="Download a file resource's file",
)
def resource_file(request: HttpRequest, resource_id: int) -> HttpResponseBase:
    access = selectors.resource_for(resource_id=resource_id, user=_user(request))
    if access.resource.kind != ResourceKind.FILE:
        raise NotFoundError("This resource has no file.")
    return file_response(access.resource)


@router.post(
    "/resources/{resource_id}/file",
    response=ResourceOut,
    summary="Replace a file resource's file (managers; multipart)",
)
def resource_file_replace(
    request: HttpRequest, resource_id: int, file: File[UploadedFile]
) -> dict[str, Any]:
    resource = _managed(request, resource_id)
    if resource.kind != ResourceKind.FILE:
        raise ValidationError({"file": "Only a file resource has a file."})
    services.resource_update(resource=resource, by=_user(request), data={"file": file})
    return _fresh(request, resource_id)


@router.post(
    "/resources/{resource_id}/archive",
    response=ResourceOut,
    summary="Take a resource out of the library (managers)",
)
def resource_archive(request: HttpRequest, resource_id: int) -> dict[str, Any]:
    services.resource_archive(resource=_managed(request, resource_id), by=_user(request))
    return _fresh(request, resource_id)


@router.post(
    "/resources/{resource_id}/unarchive",
    response=ResourceOut,
    summary="Put an archived resource back in the library (managers)",
)
def resource_unarchive(request: HttpRequest, resource_id: int) -> dict[str, Any]:
    services.resource_unarchive(resource=_managed(request, resource_id), by=_user(request))
    return _fresh(request, resource_id)


def _builtin(request: HttpRequest, slug: str, resource_id: int) -> tuple[Any, Resource]:
    try:
        program = program_for_manager(slug=slug, user=_user(request))
    except NotFoundError:
        # A participant reads the library but does not manage it: 403, not 404.
        _library_program(request, slug, to_manage=True)
        raise
    resource = Resource.objects.filter(pk=resource_id, program__isnull=True).first()
    if resource is None:
        raise NotFoundError("No such built-in guide.")
    return program, resource


@router.post(
    "/programs/{slug}/resources/{resource_id}/hide",
    response={204: None},
    summary="Hide a built-in guide from the program's library (managers)",
)
def resource_hide(request: HttpRequest, slug: str, resource_id: int) -> Status[None]:
    program, resource = _builtin(request, slug, resource_id)
    services.resource_hide(program=program, resource=resource, by=_user(request))
    return Status(204, None)


@router.post(
    "/programs/{slug}/resources/{resource_id}/show",
    response={204: None},
    summary="Show a hidden built-in guide in the program's library again (managers)",
)
def resource_show(request: HttpRequest, slug: str, resource_id: int) -> Status[None]:
    program, resource = _builtin(request, slug, resource_id)
    services.resource_show(program=program, resource=resource, by=_user(request))
    return Status(204, None)


# Recommendations ----------------------------------------------------------------------------


@router.get(
    "/mentorships/{mentorship_id}/recommendations",
    response=list[RecommendationOut],
    summary="The resources recommended into a mentorship, newest first",
)
def recommendation_list(request: HttpRequest, mentorship_id: int) -> list[dict[str, Any]]:
    mentorship, role = selectors.mentorship_for_resources(
        mentorship_id=mentorship_id, user=_user(request)
    )
    return [
        _recommendation_out(recommendation, role)
        for recommendation in selectors.recommendations_for(mentorship=mentorship)
    ]


@router.post(
    "/mentorships/{mentorship_id}/recommendations",
    response={201: RecommendationOut},
    summary="Recommend a resource of the program's library, with a note (the mentor)",
)
def recommendation_create(
    request: HttpRequest, mentorship_id: int, payload: RecommendationIn
) -> Status[Any]:
    user = _user(request)
    mentorship, role = selectors.mentorship_for_resources(mentorship_id=mentorship_id, user=user)
    if user.pk != mentorship.mentor_id:
        raise PermissionDeniedError("Only the mentor recommends resources.")
    resource = Resource.objects.select_related("program").filter(pk=payload.resource_id).first()
    if resource is None or not selectors.library_shows(
        program=mentorship.program, resource=resource
    ):
        raise ValidationError({"resource_id": "Pick a resource from the program's library."})
    recommendation = services.recommendation_create(
        mentorship=mentorship, resource=resource, by=user, note=payload.note
    )
    return Status(201, _recommendation_out(recommendation, role))


def _set_done(request: HttpRequest, recommendation_id: int, *, is_done: bool) -> dict[str, Any]:
    user = _user(request)
    recommendation, role = selectors.recommendation_for(
        recommendation_id=recommendation_id, user=user
    )
    if role != "mentee":
        raise PermissionDeniedError("Only the mentee marks a recommendation done.")
    services.recommendation_set_done(recommendation=recommendation, by=user, is_done=is_done)
    return _recommendation_out(recommendation, role)


@router.post(
    "/recommendations/{recommendation_id}/done",
    response=RecommendationOut,
    summary="Mark a recommendation done (a mentee)",
)
def recommendation_done(request: HttpRequest, recommendation_id: int) -> dict[str, Any]:
    return _set_done(request, recommendation_id, is_done=True)


@router.delete(
    "/recommendations/{recommendation_id}/done",
    response=RecommendationOut,
    summary="Mark a recommendation not done yet (a mentee)",
)
def recommendation_undone(request: HttpRequest, recommendation_id: int) -> dict[str, Any]:
    return _set_done(request, recommendation_id, is_done=False)

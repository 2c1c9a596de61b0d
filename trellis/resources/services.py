"""Writes of the library (managers) and of recommendations (mentors and mentees).

A program's managers (organisation admins and staff too) add, change, archive and
unarchive the program's resources and hide or show the built-in guides in its library.
The built-in guides themselves are kept by Trellis (trellis.resources.builtins).

A mentor recommends a resource the program's library shows into a mentorship that is
active or paused, with a note; the mentee (in a group, any current member) marks it done
or not done. A recommendation and a "done" are also written into the mentorship's
history (MentorshipEvent) in the same transaction, and the mentees are told of a
recommendation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from trellis.core.errors import PermissionDeniedError
from trellis.mentorships.models import MentorshipEvent
from trellis.notifications.services import notification_send
from trellis.programs.selectors import program_can_manage
from trellis.resources import files, selectors
from trellis.resources.builtins import BUILTIN_GUIDES
from trellis.resources.models import (
    MAX_TAG_LENGTH,
    MAX_TAGS,
    ProgramHiddenResource,
    Recommendation,
    Resource,
    ResourceKind,
    ResourceTag,
)

if TYPE_CHECKING:
    from trellis.accounts.models import User
    from trellis.mentorships.models import Mentorship
    from trellis.programs.models import Program

# What resource_update changes ("file" takes an upload that replaces the stored one).
RESOURCE_FIELDS = ("title", "summary", "url", "body", "tags", "file")
NOTE_EXCERPT_LENGTH = 300


def resource_url(resource: Resource) -> str:
    return reverse("resources:detail", args=[resource.pk])


def mentorship_resources_url(mentorship: Mentorship) -> str:
    return reverse("resources:mentorship", args=[mentorship.pk])


def _name(user: User) -> str:
    return str(user.display_name or user.email)


# Checks -----------------------------------------------------------------------------------


def _check_manager(program: Program | None, by: User) -> None:
    if program is None:
        raise PermissionDeniedError(
            "Built-in guides are kept by Trellis: hide one from your library instead."
        )
    if not program_can_manage(program=program, user=by):
        raise PermissionDeniedError("Only the program's managers change its library.")


def parse_tags(value: str | Iterable[str] | None) -> list[str]:
    """Tags from "Video, time zones" or a list: lower case, hyphenated, each once, in order."""
    if value is None:
        return []
    parts = value.split(",") if isinstance(value, str) else list(value)
    tags: list[str] = []
    for part in parts:
        if not isinstance(part, str):
            raise ValidationError({"tags": "Give the tags as words separated by commas."})
        tag = slugify(part.strip(), allow_unicode=True)
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(
                {"tags": f"“{part.strip()[:60]}” is too long: a tag has up to {MAX_TAG_LENGTH}."}
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError({"tags": f"Give at most {MAX_TAGS} tags."})
    return tags


def _clean_text(value: Any) -> str:
    return (value or "").strip() if isinstance(value, str) else ""


def _check_content(
    kind: str, *, title: str, url: str, body: str, has_file: bool
) -> dict[str, list[str]]:
    """Field errors of a resource's title and the content its kind needs."""
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["Give it a title."]
    if kind == ResourceKind.LINK:
        if not url:
            errors["url"] = ["Give the link's web address."]
        elif not url.lower().startswith("https://"):
            errors["url"] = ["Give a secure address, starting with https://."]
    elif kind == ResourceKind.FILE and not has_file:
        errors["file"] = ["Choose a file to upload."]
    elif kind == ResourceKind.GUIDE and not body:
        errors["body"] = ["Write the guide's text."]
    return errors


def _set_tags(resource: Resource, tags: list[str]) -> None:
    ResourceTag.objects.filter(resource=resource).exclude(name__in=tags).delete()
    have = set(ResourceTag.objects.filter(resource=resource).values_list("name", flat=True))
    ResourceTag.objects.bulk_create(
        ResourceTag(resource=resource, name=tag) for tag in tags if tag not in have
    )


@contextmanager
def _stored(resource: Resource, checked: files.CheckedFile | None) -> Iterator[str]:
    """Store the checked file (if any) on the resource; deleted again if what follows fails."""
    stored = ""
    if checked is not None:
        stored = files.store(checked, program_id=int(resource.program_id or 0))
        resource.file.name = stored
        resource.file_name = checked.name
        resource.file_type = checked.content_type
        resource.file_size = checked.size
    try:
        yield stored
    except BaseException:
        files.delete_quietly(stored)
        raise


# The library ----------------------------------------------------------------------------


@transaction.atomic
def resource_create(
    *,
    program: Program,
    by: User,
    kind: str,
    title: str,
    summary: str = "",
    url: str = "",
    body: str = "",
    tags: str | Iterable[str] | None = None,
    upload: UploadedFile | None = None,
) -> Resource:
    """Add a link, a file or a guide to the program's library.

    Only the content of its kind is kept: a link's https address, a file (checked from its
    bytes and stored privately) or a guide's Markdown text.
    """
    _check_manager(program, by)
    if kind not in ResourceKind.values:
        raise ValidationError({"kind": "Pick a link, a file or a guide."})
    title, summary = _clean_text(title), _clean_text(summary)
    url = _clean_text(url) if kind == ResourceKind.LINK else ""
    body = _clean_text(body) if kind == ResourceKind.GUIDE else ""
    errors = _check_content(kind, title=title, url=url, body=body, has_file=upload is not None)
    try:
        tag_names = parse_tags(tags)
    except ValidationError as error:
        errors.update(error.message_dict)
    checked = None
    if kind == ResourceKind.FILE and upload is not None:
        try:
            checked = files.check_upload(upload)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    resource = Resource(
        program=program,
        kind=kind,
        title=title,
        summary=summary,
        url=url,
        body=body,
        created_by=by,
    )
    with _stored(resource, checked):
        resource.full_clean()
        resource.save()
        _set_tags(resource, tag_names)
    return resource


def _locked(resource: Resource) -> Resource:
    locked = Resource.objects.select_for_update().get(pk=resource.pk)
    locked.program = resource.program
    return locked


@transaction.atomic
def resource_update(*, resource: Resource, by: User, data: dict[str, Any]) -> Resource:
    """Change some of RESOURCE_FIELDS; a resource keeps its kind.

    ``data["file"]`` (an upload) replaces a file resource's file; the old one is deleted
    once the change is committed.
    """
    unknown = set(data) - set(RESOURCE_FIELDS)
    if unknown:
        raise ValueError(f"resource_update does not change {sorted(unknown)}.")
    _check_manager(resource.program, by)
    locked = _locked(resource)
    title = _clean_text(data["title"]) if "title" in data else locked.title
    summary = _clean_text(data["summary"]) if "summary" in data else locked.summary
    url = locked.url
    if "url" in data and locked.kind == ResourceKind.LINK:
        url = _clean_text(data["url"])
    body = locked.body
    if "body" in data and locked.kind == ResourceKind.GUIDE:
        body = _clean_text(data["body"])
    upload = data.get("file") if locked.kind == ResourceKind.FILE else None
    errors = _check_content(
        locked.kind, title=title, url=url, body=body, has_file=bool(locked.file) or bool(upload)
    )
    tag_names = None
    if "tags" in data:
        try:
            tag_names = parse_tags(data["tags"])
        except ValidationError as error:
            errors.update(error.message_dict)
    checked = None
    if upload is not None:
        try:
            checked = files.check_upload(upload)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    old_file = str(locked.file.name or "") if checked is not None else ""
    locked.title, locked.summary, locked.url, locked.body = title, summary, url, body
    with _stored(locked, checked):
        locked.full_clean()
        locked.save()
        if tag_names is not None:
            _set_tags(locked, tag_names)
    if old_file:
        transaction.on_commit(lambda: files.delete_quietly(old_file))
    for field in (
        "title",
        "summary",
        "url",
        "body",
        "file",
        "file_name",
        "file_type",
        "file_size",
        "updated_at",
    ):
        setattr(resource, field, getattr(locked, field))
    return resource


def _set_archived(resource: Resource, by: User, *, is_archived: bool) -> Resource:
    _check_manager(resource.program, by)
    locked = _locked(resource)
    if locked.is_archived == is_archived:
        state = "archived" if is_archived else "in the library"
        raise ValidationError(f"This resource is already {state}.")
    locked.is_archived = is_archived
    locked.save(update_fields=["is_archived", "updated_at"])
    resource.is_archived, resource.updated_at = locked.is_archived, locked.updated_at
    return resource


@transaction.atomic
def resource_archive(*, resource: Resource, by: User) -> Resource:
    """Take the resource out of the library; where it was recommended it stays readable."""
    return _set_archived(resource, by, is_archived=True)


@transaction.atomic
def resource_unarchive(*, resource: Resource, by: User) -> Resource:
    """Put an archived resource back in the library."""
    return _set_archived(resource, by, is_archived=False)


def _check_builtin_in(program: Program, resource: Resource, by: User) -> None:
    if not program_can_manage(program=program, user=by):
        raise PermissionDeniedError("Only the program's managers change its library.")
    if not resource.is_builtin:
        raise ValidationError("Only built-in guides are hidden; archive your own resources.")


@transaction.atomic
def resource_hide(*, program: Program, resource: Resource, by: User) -> None:
    """Take a built-in guide out of the program's library (recommendations stay)."""
    _check_builtin_in(program, resource, by)
    try:
        with transaction.atomic():
            ProgramHiddenResource.objects.create(program=program, resource=resource, hidden_by=by)
    except IntegrityError as error:
        raise ValidationError("This guide is already hidden in your library.") from error


@transaction.atomic
def resource_show(*, program: Program, resource: Resource, by: User) -> None:
    """Show a hidden built-in guide in the program's library again."""
    _check_builtin_in(program, resource, by)
    deleted, _ = ProgramHiddenResource.objects.filter(program=program, resource=resource).delete()
    if not deleted:
        raise ValidationError("This guide is already shown in your library.")


def resource_builtins_ensure() -> list[Resource]:
    """The built-in guides, putting back any that is missing (the data migration's)."""
    have = {
        resource.builtin_key: resource
        for resource in Resource.objects.filter(program__isnull=True).exclude(builtin_key="")
    }
    for guide in BUILTIN_GUIDES:
        if guide["key"] in have:
            continue
        with transaction.atomic():
            resource = Resource.objects.create(
                program=None,
                kind=ResourceKind.GUIDE,
                builtin_key=guide["key"],
                title=guide["title"],
                summary=guide["summary"],
                body=guide["body"],
            )
            _set_tags(resource, list(guide["tags"]))
        have[guide["key"]] = resource
    return [have[guide["key"]] for guide in BUILTIN_GUIDES]


# Recommendations --------------------------------------------------------------------------


def _check_open(mentorship: Mentorship) -> None:
    if not selectors.is_open(mentorship):
        if mentorship.status == "proposed":
            raise ValidationError("Resources can be recommended once the mentorship has started.")
        raise ValidationError(
            "This mentorship has finished: its recommendations are kept as they were."
        )


def _record(mentorship: Mentorship, action: str, *, by: User, resource: Resource) -> None:
    """Write the step into the mentorship's history (its status does not change)."""
    MentorshipEvent.objects.create(
        mentorship=mentorship,
        action=action,
        from_status=mentorship.status,
        to_status=mentorship.status,
        by=by,
        details={"resource": resource.title, "resource_id": resource.pk},
    )


@transaction.atomic
def recommendation_create(
    *, mentorship: Mentorship, resource: Resource, by: User, note: str = ""
) -> Recommendation:
    """Recommend a resource the program's library shows into the mentorship, with a note.

    Only its mentor, while it is active or paused; each resource once per mentorship.
    The mentees are told, and the step shows in the mentorship's history.
    """
    if by.pk != mentorship.mentor_id or not getattr(by, "is_active", False):
        raise PermissionDeniedError("Only the mentor recommends resources.")
    _check_open(mentorship)
    if not selectors.library_shows(program=mentorship.program, resource=resource):
        raise ValidationError({"resource": "Pick a resource from the program's library."})
    recommendation = Recommendation(
        mentorship=mentorship,
        resource=resource,
        recommended_by=by,
        note=_clean_text(note),
    )
    recommendation.full_clean(validate_constraints=False)
    if Recommendation.objects.filter(mentorship=mentorship, resource=resource).exists():
        raise ValidationError({"resource": "You already recommended this resource here."})
    try:
        with transaction.atomic():
            recommendation.save()
    except IntegrityError as error:
        # Recommended at the same moment from another tab.
        raise ValidationError(
            {"resource": "You already recommended this resource here."}
        ) from error
    _record(mentorship, "recommend", by=by, resource=resource)
    body = recommendation.note[:NOTE_EXCERPT_LENGTH] or "Open it from your mentorship's resources."
    for mentee in mentorship.mentees():
        notification_send(
            recipient=mentee,
            kind="resource_recommended",
            title=f"{_name(by)} recommended “{resource.title}”",
            body=body,
            url=mentorship_resources_url(mentorship),
        )
    return recommendation


@transaction.atomic
def recommendation_set_done(
    *, recommendation: Recommendation, by: User, is_done: bool
) -> Recommendation:
    """Mark the recommendation done (or not done yet): a mentee, while it goes on.

    "Done" shows in the mentorship's history and tells the mentor (in the app only).
    """
    mentorship = recommendation.mentorship
    if not getattr(by, "is_active", False) or by.pk not in mentorship.mentee_ids():
        raise PermissionDeniedError("Only the mentee marks a recommendation done.")
    _check_open(mentorship)
    locked = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    if locked.is_done == is_done:
        raise ValidationError(
            "This is already marked done." if is_done else "This is not marked done yet."
        )
    locked.completed_at = timezone.now() if is_done else None
    locked.completed_by = by if is_done else None
    locked.save(update_fields=["completed_at", "completed_by"])
    recommendation.completed_at = locked.completed_at
    recommendation.completed_by = locked.completed_by
    if is_done:
        resource = recommendation.resource
        _record(mentorship, "resource_done", by=by, resource=resource)
        if mentorship.mentor_id != by.pk:
            notification_send(
                recipient=mentorship.mentor,
                kind="resource_done",
                title=f"{_name(by)} finished “{resource.title}”",
                url=mentorship_resources_url(mentorship),
                send_email=False,
            )
    return recommendation

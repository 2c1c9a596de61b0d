"""Pages: a mentorship's notes, a meeting's notes, and a document's version history.

The shared document is edited live in the page (static/notes/notes.js over the
websocket); beside it the person's private note is saved by a plain form (htmx when
there). Only the mentorship's people reach these pages (404 for anyone else); once it
has finished, those in it at its end read and change nothing (403 for a write).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.core.http import error_text
from trellis.messaging.formatting import render_markdown
from trellis.notes import live, selectors, services
from trellis.notes.forms import PrivateNoteForm, VersionForm
from trellis.notes.models import NoteDocument
from trellis.notes.selectors import NotesContext
from trellis.scheduling.selectors import user_zone, with_label


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False)) or request.headers.get("HX-Request") == "true"


def _or_404(loader: Any, **kwargs: Any) -> Any:
    try:
        return loader(**kwargs)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def notes_url(document: NoteDocument) -> str:
    """The page a document is edited on."""
    if document.series_id is not None:
        return reverse("notes:meeting", args=[document.series_id, document.recurrence_id])
    return reverse("notes:mentorship", args=[document.mentorship_id])


def _title(request: HttpRequest, where: NotesContext, occurrence: Any = None) -> str:
    """ "Notes with Noah", or "Notes of the meeting with Noah, Tue 3 Mar 2026, 15:00"."""
    user = _user(request)
    label = with_label(where.mentorship, user) if where.mentorship.is_ongoing else ""
    if occurrence is None:
        return f"Notes with {label}" if label else "Shared notes"
    start = occurrence.start.astimezone(ZoneInfo(user_zone(user)))
    when = f"{start:%a} {start.day} {start:%b %Y, %H:%M}"
    return f"Notes of the meeting with {label}, {when}" if label else f"Meeting notes, {when}"


def _private_form(request: HttpRequest, where: NotesContext) -> PrivateNoteForm:
    note = selectors.private_note_for(owner=_user(request), where=where)
    return PrivateNoteForm(initial={"body": note.body if note else ""}, auto_id="private_%s")


def _notes_page(
    request: HttpRequest, where: NotesContext, access: str, occurrence: Any = None
) -> HttpResponse:
    """Show the notes (GET), or save the private note (POST; htmx gets the form back)."""
    user = _user(request)
    is_editable = access == selectors.EDIT
    status = 200
    saved = False
    if request.method == "POST":
        if not is_editable:
            raise PermissionDenied("This mentorship has finished: its notes are kept as they were.")
        form = PrivateNoteForm(request.POST, auto_id="private_%s")
        if form.is_valid():
            try:
                services.private_note_save(owner=user, where=where, body=form.cleaned_data["body"])
            except ValidationError as error:
                form.add_service_errors(error)
            except PermissionDeniedError as error:
                raise PermissionDenied(str(error)) from error
            else:
                saved = True
        if not saved:
            status = 422
        if _is_htmx(request):
            # htmx swaps 2xx answers only: a refusal shows in place, with what was typed.
            return render(
                request,
                "notes/_private_note.html",
                {"form": form, "saved": saved, "is_editable": is_editable},
            )
        if saved:
            messages.success(request, "Your private notes are saved.")
            return redirect(request.path)
    else:
        form = _private_form(request, where)
    document = services.document_get_or_create(where=where)
    context = {
        "mentorship": where.mentorship,
        "series": where.series,
        "recurrence_id": where.recurrence_id,
        "occurrence": occurrence,
        "document": document,
        "title": _title(request, where, occurrence),
        "is_editable": is_editable,
        "form": form,
        "saved": saved,
        "socket_path": live.SOCKET_PATH,
        "person": selectors.person_of(user),
        "updated_by": document.updated_by if document.updated_by_id else None,
    }
    return render(request, "notes/page.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def mentorship_notes(request: HttpRequest, mentorship_id: int) -> HttpResponse:
    mentorship, access = _or_404(
        selectors.mentorship_for_notes, mentorship_id=mentorship_id, user=request.user
    )
    return _notes_page(request, NotesContext(mentorship), access)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_notes(request: HttpRequest, series_id: int, recurrence_id: str) -> HttpResponse:
    occurrence, access = _or_404(
        selectors.meeting_for_notes,
        series_id=series_id,
        recurrence_id=recurrence_id,
        user=request.user,
    )
    series = occurrence.series
    where = NotesContext(series.mentorship, series, recurrence_id)
    return _notes_page(request, where, access, occurrence)


# History ---------------------------------------------------------------------------------


def _render_history(
    request: HttpRequest,
    document: NoteDocument,
    access: str,
    *,
    form: VersionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    versions = selectors.versions_of(document)
    # render_markdown sanitises (an allow-list of tags): its output is safe to show.
    entries = [
        {"version": version, "html": mark_safe(render_markdown(version.text))}  # noqa: S308
        for version in versions
    ]
    return render(
        request,
        "notes/history.html",
        {
            "document": document,
            "mentorship": document.mentorship,
            "entries": entries,
            "is_editable": access == selectors.EDIT,
            "form": form or VersionForm(auto_id="version_%s"),
            "notes_url": notes_url(document),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def history(request: HttpRequest, document_id: int) -> HttpResponse:
    """The document's versions, newest first; its people save one by name."""
    document, access = _or_404(selectors.document_for, document_id=document_id, user=request.user)
    if request.method != "POST":
        return _render_history(request, document, access)
    if access != selectors.EDIT:
        raise PermissionDenied("This mentorship has finished: its notes are kept as they were.")
    form = VersionForm(request.POST, auto_id="version_%s")
    if form.is_valid():
        try:
            services.version_save(
                document=document, by=_user(request), label=form.cleaned_data["label"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, "The version is saved.")
            return redirect("notes:history", document.pk)
    return _render_history(request, document, access, form=form, status=422)


@login_required
@require_POST
def restore(request: HttpRequest, document_id: int, version_id: int) -> HttpResponse:
    """Bring a version's text back, live in every open editor; the text as it was is kept."""
    document, access = _or_404(selectors.document_for, document_id=document_id, user=request.user)
    version = _or_404(selectors.version_of, document=document, version_id=version_id)
    if access != selectors.EDIT:
        raise PermissionDenied("This mentorship has finished: its notes are kept as they were.")
    try:
        kept = services.version_restore(document=document, version=version, by=_user(request))
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("notes:history", document.pk)
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, f"The version is back. The text as it was is kept as “{kept.label}”.")
    return redirect(notes_url(document))

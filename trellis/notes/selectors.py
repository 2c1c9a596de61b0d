"""Reads of shared and private notes: who may open them, and what they hold.

Who: while a mentorship goes on, its people now (a pair, or a group's mentor and current
members; scheduling's ``is_participant``) read and edit its notes and its meetings'.
Once it has finished, the people who were in it at the end read them and nobody edits.
Everyone else (the program's managers, staff, other pairs, a member who left a group
before its end) is told the notes do not exist. A private note is its owner's alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from trellis.core.errors import NotFoundError
from trellis.mentorships.models import GroupLeaveReason, GroupMember, Mentorship
from trellis.mentorships.selectors import current_members_prefetch
from trellis.notes import crdt
from trellis.notes.models import NoteDocument, NoteUpdate, NoteVersion, PrivateNote
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.selectors import MeetingOccurrence, is_participant, occurrence_of

EDIT = "edit"
READ = "read"
# Primary keys are 64-bit: a larger id is no row (and must not reach the database).
MAX_ID = 2**63 - 1


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


# Who ---------------------------------------------------------------------------------------


def notes_access(*, mentorship: Mentorship, user: Any) -> str | None:
    """EDIT for its people while it goes on, READ for those in it at its end, else None."""
    user_id = getattr(user, "pk", None)
    if not user_id or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if mentorship.is_ongoing:
        return EDIT if is_participant(mentorship=mentorship, user=user) else None
    if user_id == mentorship.mentor_id or (
        not mentorship.is_group and user_id == mentorship.mentee_id
    ):
        return READ
    if mentorship.is_group:
        # A group's members leave with it when it finishes; those who left before did not
        # take part in its end.
        at_the_end = GroupMember.objects.filter(
            mentorship=mentorship,
            mentee_id=user_id,
            left_reason=GroupLeaveReason.GROUP_FINISHED,
        ).exists()
        return READ if at_the_end else None
    return None


def _mentorships() -> QuerySet[Mentorship]:
    return Mentorship.objects.select_related(
        "program", "mentor__profile", "mentee__profile"
    ).prefetch_related(current_members_prefetch())


def mentorship_for_notes(*, mentorship_id: int, user: Any) -> tuple[Mentorship, str]:
    """The mentorship and user's access to its notes; NotFoundError for anyone else."""
    mentorship = _mentorships().filter(pk=mentorship_id).first() if _is_id(mentorship_id) else None
    access = notes_access(mentorship=mentorship, user=user) if mentorship else None
    if mentorship is None or access is None:
        raise NotFoundError("No such mentorship.")
    return mentorship, access


def meeting_for_notes(
    *, series_id: int, recurrence_id: str, user: Any
) -> tuple[MeetingOccurrence, str]:
    """The meeting (an occurrence taking place) and user's access; NotFoundError otherwise."""
    series = None
    if _is_id(series_id):
        series = (
            MeetingSeries.objects.select_related(
                "mentorship__program", "mentorship__mentor__profile", "mentorship__mentee__profile"
            )
            .prefetch_related("changes", current_members_prefetch("mentorship__"))
            .filter(pk=series_id)
            .first()
        )
    access = notes_access(mentorship=series.mentorship, user=user) if series else None
    occurrence = None
    if series is not None and access is not None:
        occurrence = occurrence_of(series=series, recurrence_id=recurrence_id)
    if occurrence is None or access is None:
        raise NotFoundError("No such meeting.")
    return occurrence, str(access)


def _documents() -> QuerySet[NoteDocument]:
    return NoteDocument.objects.select_related(
        "mentorship__program",
        "mentorship__mentor__profile",
        "mentorship__mentee__profile",
        "series",
        "updated_by__profile",
    ).prefetch_related(current_members_prefetch("mentorship__"))


def document_for(*, document_id: int, user: Any) -> tuple[NoteDocument, str]:
    """The document (its mentorship's people loaded) and user's access; else NotFoundError.

    A meeting's document is found only while its meeting takes place (not cancelled).
    """
    document = _documents().filter(pk=document_id).first() if _is_id(document_id) else None
    access = notes_access(mentorship=document.mentorship, user=user) if document else None
    if document is not None and access is not None and document.series is not None:
        document.series.mentorship = document.mentorship
        if occurrence_of(series=document.series, recurrence_id=document.recurrence_id) is None:
            access = None
    if document is None or access is None:
        raise NotFoundError("No such notes.")
    return document, access


# Readable on white and in a light tint behind selections (WCAG AA with white text).
COLOURS = ("#1d4ed8", "#b91c1c", "#047857", "#7c3aed", "#c2410c", "#0e7490", "#be185d")


def colour_of(user_id: int) -> str:
    return COLOURS[user_id % len(COLOURS)]


def person_of(user: Any) -> dict[str, str]:
    """The awareness "user" of a person: their name and colour, as every editor shows them."""
    colour = colour_of(int(user.pk))
    name = str(getattr(user, "display_name", "") or "Someone")
    return {"name": name, "color": colour, "colorLight": colour + "33"}


# What they hold ----------------------------------------------------------------------------


def document_updates(document_id: int) -> list[bytes]:
    """The document's compacted state and the updates logged since, in order."""
    state = NoteDocument.objects.filter(pk=document_id).values_list("state", flat=True).first()
    logged = NoteUpdate.objects.filter(document_id=document_id).order_by("pk")
    return [bytes(state or b""), *(bytes(data) for data in logged.values_list("data", flat=True))]


def document_full_update(document_id: int) -> bytes:
    """Everything stored of the document as one Yjs update (what a newcomer syncs from)."""
    return crdt.merged(document_updates(document_id))


def document_for_mentorship(mentorship: Mentorship) -> NoteDocument | None:
    return (
        NoteDocument.objects.select_related("updated_by__profile")
        .filter(mentorship=mentorship, series__isnull=True)
        .first()
    )


def document_for_meeting(series: MeetingSeries, recurrence_id: str) -> NoteDocument | None:
    return (
        NoteDocument.objects.select_related("updated_by__profile")
        .filter(series=series, recurrence_id=recurrence_id)
        .first()
    )


def versions_of(document: NoteDocument) -> list[NoteVersion]:
    """The document's versions, newest first (their states are left unread)."""
    return list(
        NoteVersion.objects.filter(document=document)
        .select_related("created_by__profile")
        .defer("state")
        .order_by("-created_at", "-pk")
    )


def version_of(document: NoteDocument, version_id: Any) -> NoteVersion:
    version = None
    if _is_id(version_id):
        version = NoteVersion.objects.filter(document=document, pk=version_id).first()
    if version is None:
        raise NotFoundError("No such version.")
    return version


@dataclass(frozen=True)
class NotesContext:
    """Where notes belong: a mentorship, or one of its meetings (series and occurrence)."""

    mentorship: Mentorship
    series: MeetingSeries | None = None
    recurrence_id: str = ""


def private_note_for(*, owner: Any, where: NotesContext) -> PrivateNote | None:
    """owner's own private note there, if they wrote one; nobody else's, ever."""
    if not getattr(owner, "pk", None):
        return None
    return PrivateNote.objects.filter(
        owner_id=owner.pk,
        mentorship=where.mentorship,
        series=where.series,
        recurrence_id=where.recurrence_id,
    ).first()


def document_context(document: NoteDocument) -> NotesContext:
    return NotesContext(document.mentorship, document.series, document.recurrence_id)

"""Shared live notes of a mentorship and of each meeting, their history, and private notes.

A shared document is a Yjs document (a CRDT) whose one shared type is the text "body".
Browsers edit it together over a websocket (trellis.notes.consumers). What the server
keeps of it is ``NoteDocument.state``, every change compacted so far (one merged Yjs
update), plus the ``NoteUpdate`` rows received since, in order; ``text`` is the body as
plain text after the last stored change, for previews, history and the API. A
``NoteVersion`` is a copy of the document at one moment, saved now and then by itself
or by hand with a name; restoring one edits the document back to its text.

A private note is its author's alone: nobody else (the other participant, the program's
managers, staff) ever sees it, in a page, the API or the admin.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from trellis.mentorships.models import Mentorship

# "20250317T090000": the occurrence key used across scheduling.
MAX_RECURRENCE_ID_LENGTH = 32
MAX_LABEL_LENGTH = 120
MAX_PRIVATE_NOTE_LENGTH = 20_000
# The shared Y.Text every client edits.
BODY = "body"


def _context_constraints(prefix: str, owner: tuple[str, ...] = ()) -> list[models.BaseConstraint]:
    """One row per mentorship (no meeting) or per meeting, and a meeting is a whole one."""
    return [
        models.UniqueConstraint(
            fields=[*owner, "mentorship"],
            condition=Q(series__isnull=True),
            name=f"{prefix}_one_per_mentorship",
        ),
        models.UniqueConstraint(
            fields=[*owner, "series", "recurrence_id"],
            condition=Q(series__isnull=False),
            name=f"{prefix}_one_per_meeting",
        ),
        models.CheckConstraint(
            condition=Q(series__isnull=True, recurrence_id="")
            | (Q(series__isnull=False) & ~Q(recurrence_id="")),
            name=f"{prefix}_meeting_is_whole",
        ),
    ]


class NoteDocument(models.Model):
    """The shared notes of a mentorship (series empty) or of one meeting (an occurrence)."""

    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.CASCADE, related_name="note_documents"
    )
    series = models.ForeignKey(
        "scheduling.MeetingSeries",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="note_documents",
    )
    recurrence_id = models.CharField(max_length=MAX_RECURRENCE_ID_LENGTH, blank=True)
    # Every change compacted so far, as one Yjs update (empty: nothing compacted yet).
    state = models.BinaryField(default=b"")
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = _context_constraints("note_document")

    def __str__(self) -> str:
        where = f"meeting {self.series_id}/{self.recurrence_id}" if self.series_id else "notes"
        return f"Note document {self.pk}: mentorship {self.mentorship_id} {where}"

    @property
    def is_meeting(self) -> bool:
        return self.series_id is not None


class NoteUpdate(models.Model):
    """One Yjs update as a client (or the server) made it, kept until compacted."""

    document = models.ForeignKey(NoteDocument, on_delete=models.CASCADE, related_name="updates")
    data = models.BinaryField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Update {self.pk} of note document {self.document_id}"


class NoteVersion(models.Model):
    """The document as it was at one moment: saved by itself (no label) or by hand."""

    document = models.ForeignKey(NoteDocument, on_delete=models.CASCADE, related_name="versions")
    state = models.BinaryField()
    text = models.TextField(blank=True)
    label = models.CharField(max_length=MAX_LABEL_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["document", "-created_at"], name="note_version_newest")]

    def __str__(self) -> str:
        return f"Version {self.pk} of note document {self.document_id}"


class PrivateNote(models.Model):
    """What one person writes for themselves beside the shared notes; theirs alone."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="private_notes"
    )
    mentorship = models.ForeignKey(
        Mentorship, on_delete=models.CASCADE, related_name="private_notes"
    )
    series = models.ForeignKey(
        "scheduling.MeetingSeries",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="private_notes",
    )
    recurrence_id = models.CharField(max_length=MAX_RECURRENCE_ID_LENGTH, blank=True)
    # A TextField's max_length binds forms only: the validator binds the services too.
    body = models.TextField(
        max_length=MAX_PRIVATE_NOTE_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(MAX_PRIVATE_NOTE_LENGTH)],
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = _context_constraints("private_note", owner=("owner",))

    def __str__(self) -> str:
        # Never the body: this string shows up in logs and the admin.
        return f"Private note {self.pk} of {self.owner_id}"

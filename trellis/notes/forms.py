"""Forms of the notes pages: a private note, a version's name."""

from __future__ import annotations

from django import forms

from trellis.notes.models import MAX_LABEL_LENGTH, MAX_PRIVATE_NOTE_LENGTH
from trellis.programs.forms import ServiceErrorsMixin


class PrivateNoteForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        label="Your private notes",
        required=False,
        strip=False,
        max_length=MAX_PRIVATE_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Saved when you press Save. Nobody else sees them: not your partner, "
        "not the program's managers.",
    )


class VersionForm(ServiceErrorsMixin, forms.Form):
    label = forms.CharField(
        label="Name of the version",
        max_length=MAX_LABEL_LENGTH,
        help_text="For example “Before the review” or “Plan for March”.",
    )

"""Forms parse what people type; the services decide what is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms

from trellis.programs.forms import ServiceErrorsMixin
from trellis.resources.models import (
    MAX_BODY_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_SUMMARY_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    ResourceKind,
)

# Which fields each kind of resource shows (resources.js hides the others).
KIND_FIELDS = {
    ResourceKind.LINK: "url",
    ResourceKind.FILE: "file",
    ResourceKind.GUIDE: "body",
}


class ResourceForm(ServiceErrorsMixin, forms.Form):
    """A resource's words and content; ``kind`` given (editing) keeps only its field."""

    kind = forms.ChoiceField(
        label="Kind",
        choices=ResourceKind.choices,
        initial=ResourceKind.LINK,
        widget=forms.RadioSelect(attrs={"data-resource-kind": ""}),
    )
    title = forms.CharField(label="Title", max_length=MAX_TITLE_LENGTH)
    summary = forms.CharField(
        label="Summary",
        max_length=MAX_SUMMARY_LENGTH,
        required=False,
        help_text="One or two sentences: what it is and who it helps.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    url = forms.CharField(
        label="Web address",
        max_length=MAX_URL_LENGTH,
        required=False,
        help_text="For a link: a secure address, starting with https://.",
        widget=forms.URLInput(attrs={"data-for-kind": "link"}),
    )
    file = forms.FileField(
        label="File",
        required=False,
        help_text=(
            "For a file: a PDF, an office document, an image or a .txt, .md or .csv text file."
        ),
        widget=forms.ClearableFileInput(attrs={"data-for-kind": "file"}),
    )
    body = forms.CharField(
        label="Guide text",
        max_length=MAX_BODY_LENGTH,
        required=False,
        help_text="For a guide. Markdown: **bold**, *italics*, lists and links.",
        widget=forms.Textarea(attrs={"rows": 14, "data-for-kind": "guide"}),
    )
    tags = forms.CharField(
        label="Tags",
        max_length=500,
        required=False,
        help_text="Separated by commas, for example: listening, time zones, video.",
    )

    def __init__(self, *args: Any, kind: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind is not None:
            del self.fields["kind"]
            for other, field in KIND_FIELDS.items():
                if other != kind:
                    del self.fields[field]
            if kind == ResourceKind.FILE:
                self.fields["file"].help_text = "Choose a new file only to replace the current one."

    def resource_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("kind", None)
        if data.get("file") is False or data.get("file") is None:
            data.pop("file", None)
        return data


def _set_choices(field: forms.Field, choices: list[tuple[Any, str]]) -> None:
    cast(forms.ChoiceField, field).choices = choices


class RecommendForm(ServiceErrorsMixin, forms.Form):
    """Recommend one resource into one of the mentor's mentorships, with a note."""

    mentorship = forms.TypedChoiceField(label="Recommend to", coerce=int, choices=())
    note = forms.CharField(
        label="Note",
        max_length=MAX_NOTE_LENGTH,
        required=False,
        help_text="Why this, and what to look for. Seen by your mentee, not by the program.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, mentorships: Iterable[tuple[int, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["mentorship"], list(mentorships))


class RecommendResourceForm(ServiceErrorsMixin, forms.Form):
    """Recommend one of the library's resources into this mentorship, with a note."""

    resource = forms.TypedChoiceField(label="Resource", coerce=int, choices=())
    note = forms.CharField(
        label="Note",
        max_length=MAX_NOTE_LENGTH,
        required=False,
        help_text="Why this, and what to look for. Seen by your mentee, not by the program.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, resources: Iterable[tuple[int, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["resource"], [("", "Choose a resource"), *resources])

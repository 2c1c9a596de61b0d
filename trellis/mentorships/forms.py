"""Forms parse what people type; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms

from trellis.mentorships.models import EARLY_END_REASONS, MAX_MESSAGE_LENGTH, GroupLeaveReason
from trellis.mentorships.selectors import DirectoryFilters
from trellis.profiles.languages import language_name
from trellis.programs.forms import ServiceErrorsMixin

HOURS_APART_CHOICES = [
    ("", "Any distance"),
    ("0", "Same time"),
    ("1", "At most 1 hour apart"),
    ("3", "At most 3 hours apart"),
    ("5", "At most 5 hours apart"),
    ("8", "At most 8 hours apart"),
]


def _message_field(label: str, *, required: bool = True, rows: int = 5) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        # Long texts are refused by the service with the count; no silent truncation here.
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": MAX_MESSAGE_LENGTH}),
        help_text=f"Up to {MAX_MESSAGE_LENGTH} characters.",
        strip=True,
    )


class MessageForm(ServiceErrorsMixin, forms.Form):
    """The message that goes with a request or an offer."""

    message = _message_field("Your message")

    def __init__(self, *args: Any, label: str = "Your message", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["message"].label = label
        self.fields["message"].error_messages["required"] = "Write a message."


class NoteForm(ServiceErrorsMixin, forms.Form):
    note = _message_field("Note (optional)", required=False, rows=3)


class QuestionForm(ServiceErrorsMixin, forms.Form):
    question = _message_field("Your question", rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["question"].error_messages["required"] = "Write your question."


class ReplyForm(ServiceErrorsMixin, forms.Form):
    message = _message_field("Your answer", rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["message"].error_messages["required"] = "Write your answer."


class DirectoryFilterForm(forms.Form):
    """Filters of the mentor and mentee directories; choices come from the people listed."""

    language = forms.ChoiceField(required=False, label="Language")
    skill = forms.ChoiceField(required=False, label="Skill")
    hours_apart = forms.ChoiceField(
        required=False, choices=HOURS_APART_CHOICES, label="Time difference"
    )
    region = forms.ChoiceField(required=False, label="Region")
    has_places = forms.BooleanField(required=False, label="Only mentors with a free place")

    def __init__(
        self,
        *args: Any,
        languages: list[str],
        skills: list[str],
        regions: list[str],
        skill_label: str = "Skill",
        for_mentors: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["language"].choices = [("", "Any language")] + [
            (code, language_name(code)) for code in languages
        ]
        fields["skill"].choices = [("", "Any skill")] + [(skill, skill) for skill in skills]
        fields["skill"].label = skill_label
        fields["region"].choices = [("", "Anywhere")] + [(region, region) for region in regions]
        if not for_mentors:
            del self.fields["has_places"]

    def filters(self) -> DirectoryFilters:
        """The chosen filters; an unknown choice (a stale link) counts as no filter."""
        if not self.is_bound:
            return DirectoryFilters()
        self.is_valid()
        data = self.cleaned_data
        hours = data.get("hours_apart") or ""
        return DirectoryFilters(
            language=data.get("language") or "",
            skill=data.get("skill") or "",
            max_hours_apart=int(hours) if hours else None,
            region=data.get("region") or "",
            has_places=bool(data.get("has_places")),
        )


class EndForm(ServiceErrorsMixin, forms.Form):
    """Why a mentorship ends early; the note is required for "other" (the service checks)."""

    reason = forms.ChoiceField(
        label="Why does it end?",
        choices=[("", "Choose a reason")]
        + [(reason.value, reason.label) for reason in EARLY_END_REASONS],
        error_messages={"required": "Choose why the mentorship ends."},
    )
    note = _message_field("A few words (required for “Other”)", required=False, rows=3)


class ExtendForm(ServiceErrorsMixin, forms.Form):
    until = forms.DateField(
        label="New end date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Choose the new end date.", "invalid": "Enter a date."},
    )


class LeaveForm(ServiceErrorsMixin, forms.Form):
    """Why a member leaves a group; the note is required for "other" (the service checks)."""

    reason = forms.ChoiceField(
        label="Why do you leave?",
        choices=[("", "Choose a reason")]
        + [
            (reason.value, reason.label)
            for reason in GroupLeaveReason
            if reason not in (GroupLeaveReason.REMOVED, GroupLeaveReason.GROUP_FINISHED)
        ],
        error_messages={"required": "Choose why you leave the group."},
    )
    note = _message_field("A few words (required for “Other”)", required=False, rows=3)


class RemoveForm(ServiceErrorsMixin, forms.Form):
    """The mentor or a manager takes a member out of the group, saying why."""

    mentee = forms.TypedChoiceField(
        label="Member", coerce=int, error_messages={"required": "Choose the member."}
    )
    note = _message_field("Why (the member is told)", rows=3)

    def __init__(self, *args: Any, members: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["mentee"]
        field.choices = [("", "Choose a member")] + [
            (person.pk, person.display_name) for person in members or []
        ]
        self.fields["note"].error_messages["required"] = "Say why, in a few words."

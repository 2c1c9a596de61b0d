"""Forms of the scheduling pages that are plain Django forms."""

from __future__ import annotations

from django import forms

from trellis.programs.forms import ServiceErrorsMixin
from trellis.scheduling.models import MAX_DURATION_MINUTES, MAX_TEXT_LENGTH, MeetingOutcome


class MeetingLogForm(ServiceErrorsMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="How did it go?",
        choices=MeetingOutcome.choices,
        widget=forms.RadioSelect,
        initial=MeetingOutcome.HAPPENED,
    )
    minutes = forms.IntegerField(
        label="How long, in minutes",
        required=False,
        min_value=1,
        max_value=MAX_DURATION_MINUTES,
    )
    shared_notes = forms.CharField(
        label="Notes for everyone in the meeting",
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    next_steps = forms.CharField(
        label="Next steps",
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    private_note = forms.CharField(
        label="Private note",
        help_text="Only you will ever read this: not the others, not the program's managers.",
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

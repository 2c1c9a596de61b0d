"""Forms parse what people type; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms

from trellis.agreements.models import MAX_AIMS_LENGTH, HandleKind
from trellis.core.time import validate_time_zone
from trellis.profiles.models import CommunicationMode, MeetingFrequency, Weekday
from trellis.programs.forms import ServiceErrorsMixin


def _time(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label, required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )


class PartForm(ServiceErrorsMixin, forms.Form):
    """One person's own side: modes, hours in their zone, the handle for the others.

    ``is_group`` words it for a group, whose members and mentor all see the handle.
    """

    modes = forms.MultipleChoiceField(
        label="Ways you accept",
        choices=CommunicationMode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    time_zone = forms.CharField(
        label="Your time zone", max_length=64, validators=[validate_time_zone]
    )
    contact_weekdays = forms.TypedMultipleChoiceField(
        label="Days you take messages",
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    contact_hours_start = _time("Contact hours from")
    contact_hours_end = _time("Contact hours until")
    quiet_hours_start = _time("Quiet hours from")
    quiet_hours_end = _time("Quiet hours until")
    handle_kind = forms.ChoiceField(
        label="Number or handle is",
        choices=[("", "—"), *HandleKind.choices],
        required=False,
    )
    handle = forms.CharField(
        label="Number or handle for your partner",
        max_length=200,
        required=False,
        help_text="Shown only to your partner, never to the program's managers.",
    )

    def __init__(self, *args: Any, is_group: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "part_%s")
        super().__init__(*args, **kwargs)
        if is_group:
            self.fields["handle"].label = "Number or handle for the others"
            self.fields["handle"].help_text = (
                "Shown only to your group's mentor and current members, "
                "never to the program's managers."
            )


class SharedForm(ServiceErrorsMixin, forms.Form):
    """What the pair (or the group) agree on together."""

    meeting_cadence = forms.ChoiceField(
        label="How often you meet", choices=MeetingFrequency.choices
    )
    meeting_length_minutes = forms.IntegerField(
        label="Typical length (minutes)", min_value=15, max_value=240
    )
    is_first_meeting_in_person = forms.BooleanField(
        label="Meet in person the first time", required=False
    )
    aims = forms.CharField(
        label="What the mentee wants to achieve",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_AIMS_LENGTH}),
        max_length=MAX_AIMS_LENGTH,
    )

    def __init__(self, *args: Any, is_group: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "shared_%s")
        super().__init__(*args, **kwargs)
        if is_group:
            self.fields["aims"].label = "What the members want to achieve"

"""The profile page's forms: the profile fields and the weekly availability rows."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django_countries import countries

from trellis.core.time import time_zone_choices
from trellis.profiles.languages import LANGUAGE_CHOICES
from trellis.profiles.models import (
    CommunicationMode,
    MeetingFrequency,
    Profile,
    Seniority,
    Weekday,
)
from trellis.profiles.services import MAX_TAG_LENGTH, MAX_TAGS, MAX_WINDOWS, TAG_FIELDS
from trellis.scheduling.availability import MAX_NOTE_LENGTH as MAX_EXCEPTION_NOTE_LENGTH
from trellis.scheduling.availability import MAX_WINDOWS as MAX_EXCEPTION_WINDOWS

TAG_HELP = "Separate with commas, for example: public speaking, python, career change."
TAG_TEXT_MAX_LENGTH = MAX_TAGS * (MAX_TAG_LENGTH + 2)


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class MultilineTextField(forms.CharField):
    """Text from a textarea, with the browser's CRLF line breaks stored as LF.

    Browsers send each line break as two characters; counting them so would let the
    length limit reject text the page said would fit.
    """

    widget = forms.Textarea

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")


def _tag_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=TAG_TEXT_MAX_LENGTH, help_text=TAG_HELP
    )


class ProfileForm(forms.Form):
    """Every field of the profile page except the availability rows."""

    # About you
    display_name = forms.CharField(
        max_length=100,
        help_text="The name others see in Trellis.",
        label="Display name",
        error_messages={"required": "Enter the name others should see."},
    )
    pronouns = forms.CharField(
        max_length=40, required=False, help_text="For example she/her, he/him or they/them."
    )
    headline = forms.CharField(
        max_length=140,
        required=False,
        help_text="One line about you, such as “Data engineer who loves teaching”.",
    )
    bio = MultilineTextField(
        label="Short bio",
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Plain text; line breaks are kept.",
    )
    photo = forms.FileField(
        required=False,
        label="Photo",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text="JPEG, PNG or WebP, up to 5 MB. It is shown at most 512 pixels wide.",
    )
    remove_photo = forms.BooleanField(required=False, label="Remove my photo")

    # Where and when
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=[("", "Choose your time zone"), *time_zone_choices()],
        widget=forms.Select(attrs={"data-detect-time-zone": ""}),
        help_text="Times on your profile and in your meetings are in this zone.",
        error_messages={
            "required": "Choose your time zone.",
            "invalid_choice": "“%(value)s” is not a known time zone; pick one such as "
            "Europe/Berlin.",
        },
    )
    city = forms.CharField(max_length=100, required=False)
    country = forms.ChoiceField(choices=[("", "Choose a country"), *countries], required=False)
    contact_hours_start = forms.TimeField(
        label="Contact hours from", required=False, widget=_time_input()
    )
    contact_hours_end = forms.TimeField(
        label="Contact hours until",
        required=False,
        widget=_time_input(),
        help_text="When others may message you. Only you can see this.",
    )
    quiet_hours_start = forms.TimeField(
        label="Quiet hours from", required=False, widget=_time_input()
    )
    quiet_hours_end = forms.TimeField(
        label="Quiet hours until",
        required=False,
        widget=_time_input(),
        help_text="No notifications then; may run past midnight. Only you can see this.",
    )

    # Work
    organisation = forms.CharField(max_length=120, required=False)
    department = forms.CharField(max_length=120, required=False)
    seniority = forms.TypedChoiceField(
        choices=[("", "Prefer not to say"), *Seniority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    manager_email = forms.EmailField(
        label="Your line manager’s email address",  # noqa: RUF001
        required=False,
        max_length=254,
        help_text=("So you are never matched inside your reporting line. Only you can see this."),
    )

    # What you offer and seek
    skills_offered = _tag_field("Skills you can offer")
    skills_sought = _tag_field("Skills you want to build")
    interests = _tag_field("Interests")
    values = _tag_field("Values that matter to you")
    goals = MultilineTextField(
        label="Your goals",
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you hope to get out of mentoring.",
    )

    # How you like to talk
    languages = forms.MultipleChoiceField(
        label="Languages you speak",
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    communication_modes = forms.MultipleChoiceField(
        label="Ways you like to talk",
        choices=CommunicationMode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    meeting_frequency = forms.ChoiceField(
        label="How often you would like to meet",
        choices=[("", "No preference"), *MeetingFrequency.choices],
        required=False,
    )

    # Service errors about these keys belong to a differently named field here.
    SERVICE_FIELD_NAMES = {"manager": "manager_email"}

    def __init__(self, *args: Any, profile: Profile, **kwargs: Any) -> None:
        kwargs.setdefault("initial", self.initial_from(profile))
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.profile = profile

    @staticmethod
    def initial_from(profile: Profile) -> dict[str, Any]:
        initial: dict[str, Any] = {
            field: getattr(profile, field)
            for field in (
                "display_name",
                "pronouns",
                "headline",
                "bio",
                "city",
                "organisation",
                "department",
                "seniority",
                "goals",
                "languages",
                "communication_modes",
                "meeting_frequency",
                "contact_hours_start",
                "contact_hours_end",
                "quiet_hours_start",
                "quiet_hours_end",
            )
        }
        initial["country"] = str(profile.country or "")
        # A zone nobody chose stays empty, so the browser can fill in the real one.
        initial["time_zone"] = profile.time_zone if profile.has_chosen_time_zone else ""
        initial["manager_email"] = profile.manager.email if profile.manager is not None else ""
        for field in TAG_FIELDS:
            initial[field] = ", ".join(getattr(profile, field))
        return initial

    def profile_data(self) -> dict[str, Any]:
        """Return the cleaned values in the shape profile_update takes."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("photo", "remove_photo")
        }
        for field in TAG_FIELDS:
            data[field] = data[field].split(",")
        return data

    def add_service_errors(self, error: ValidationError) -> list[str]:
        """Show a service's errors on the right fields; return those about no field here."""
        others: list[str] = []
        for key, messages in error.message_dict.items():
            field = self.SERVICE_FIELD_NAMES.get(key, key)
            if field in self.fields:
                self.add_error(field, messages)
            elif key == "availability":
                others.extend(messages)
            else:
                self.add_error(None, messages)
        return others


class AvailabilityWindowForm(forms.Form):
    """One weekly window; a row left entirely empty is ignored."""

    weekday = forms.TypedChoiceField(
        label="Day",
        choices=[("", "Choose a day"), *Weekday.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    start_time = forms.TimeField(label="From", required=False, widget=_time_input())
    end_time = forms.TimeField(label="Until", required=False, widget=_time_input())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or self.is_blank:
            return cleaned
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if cleaned.get("weekday") is None:
            self.add_error("weekday", "Choose a day.")
        if start is None:
            self.add_error("start_time", "Give a start time.")
        if end is None:
            self.add_error("end_time", "Give an end time.")
        if start is not None and end is not None and end <= start:
            self.add_error("end_time", "The end must be after the start.")
        return cleaned

    @property
    def is_blank(self) -> bool:
        cleaned = getattr(self, "cleaned_data", {})
        return all(cleaned.get(name) is None for name in ("weekday", "start_time", "end_time"))


class BaseAvailabilityFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": f"Add at most {MAX_WINDOWS} windows.",
    }

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove"

    def windows(self) -> list[dict[str, Any]]:
        """Return the rows to keep, as profile windows, in the order they were given."""
        return [
            {
                "weekday": form.cleaned_data["weekday"],
                "start_time": form.cleaned_data["start_time"],
                "end_time": form.cleaned_data["end_time"],
            }
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and not form.is_blank
        ]


AvailabilityFormSet = cast(
    type[BaseAvailabilityFormSet],
    forms.formset_factory(
        AvailabilityWindowForm,
        formset=BaseAvailabilityFormSet,
        extra=1,
        can_delete=True,
        max_num=MAX_WINDOWS,
        validate_max=True,
        # Never build more rows than this, whatever TOTAL_FORMS a request claims.
        absolute_max=MAX_WINDOWS + 10,
    ),
)
AVAILABILITY_PREFIX = "availability"


def availability_initial(profile: Profile) -> list[dict[str, Any]]:
    return [
        {"weekday": w.weekday, "start_time": w.start_time, "end_time": w.end_time}
        for w in profile.availability.all()
    ]


# --- Days that differ ------------------------------------------------------------------

EXCEPTION_FIRST_ROWS = 2


class DayKind(models.TextChoices):
    DAY_OFF = "day_off", "Day off: not available at all"
    WINDOWS = "windows", "Available only at these times"


class AvailabilityExceptionForm(forms.Form):
    """One date that differs from the weekly windows: a day off or replacement windows.

    ``rows`` window rows (From/Until) are shown; empty ones are skipped.
    """

    date = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Choose a date.",
            "invalid": "Enter a date such as 2025-12-24.",
        },
    )
    kind = forms.ChoiceField(
        label="On that day",
        choices=DayKind.choices,
        initial=DayKind.DAY_OFF,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note",
        max_length=MAX_EXCEPTION_NOTE_LENGTH,
        required=False,
        help_text="For example “Public holiday”. Only you see it.",
    )

    def __init__(self, *args: Any, rows: int = EXCEPTION_FIRST_ROWS, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.rows = max(1, min(rows, MAX_EXCEPTION_WINDOWS))
        for index in range(self.rows):
            self.fields[f"window_{index}_start"] = forms.TimeField(
                label="From", required=False, widget=_time_input()
            )
            self.fields[f"window_{index}_end"] = forms.TimeField(
                label="Until", required=False, widget=_time_input()
            )

    def window_rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        return [
            (index + 1, self[f"window_{index}_start"], self[f"window_{index}_end"])
            for index in range(self.rows)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        windows = []
        for index in range(self.rows):
            start_name, end_name = f"window_{index}_start", f"window_{index}_end"
            if start_name in self.errors or end_name in self.errors:
                continue
            start, end = cleaned.get(start_name), cleaned.get(end_name)
            if start is None and end is None:
                continue
            if start is None:
                self.add_error(start_name, "Give a start time.")
            elif end is None:
                self.add_error(end_name, "Give an end time.")
            else:
                windows.append((start, end))
        self.windows = windows
        if cleaned.get("kind") == DayKind.WINDOWS and not windows and not self.errors:
            self.add_error("kind", "Give at least one window, or choose a day off.")
        return cleaned

    def service_windows(self) -> list[tuple[datetime.time, datetime.time]] | None:
        """The windows for availability_exception_set; None for a day off."""
        if self.cleaned_data["kind"] == DayKind.DAY_OFF:
            return None
        return self.windows

    def add_service_errors(self, error: ValidationError) -> list[str]:
        """Put the service's errors on the fields; return the ones about the windows."""
        about_windows: list[str] = []
        for key, messages in error.message_dict.items():
            if key == "windows":
                about_windows.extend(messages)
            elif key in self.fields:
                self.add_error(key, messages)
            else:
                self.add_error(None, messages)
        return about_windows

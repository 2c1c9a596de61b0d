"""Forms parse what people type; the services decide what is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms

from trellis.goals.models import (
    MAX_MEASURE_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_WHY_LENGTH,
    CheckInStatus,
    ProgressMode,
)
from trellis.programs.forms import ServiceErrorsMixin

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _people_choices(people: Iterable[Any]) -> list[tuple[int, str]]:
    return [(person.pk, str(person.display_name or person.email)) for person in people]


def _set_choices(field: forms.Field, choices: list[tuple[Any, str]]) -> None:
    cast(forms.ChoiceField, field).choices = choices


class GoalForm(ServiceErrorsMixin, forms.Form):
    """A goal's words. ``owners`` (more than one: a group's mentor) adds "Whose goal"."""

    owner = forms.TypedChoiceField(label="Whose goal", coerce=int, choices=())
    title = forms.CharField(label="Goal", max_length=MAX_TITLE_LENGTH)
    why = forms.CharField(
        label="Why it matters",
        max_length=MAX_WHY_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    measure = forms.CharField(
        label="Measure of success",
        max_length=MAX_MEASURE_LENGTH,
        required=False,
        help_text="How you will both know it is reached.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    target_date = forms.DateField(label="Target date", required=False, widget=DATE_INPUT)
    value = forms.ChoiceField(label="Program value it serves", required=False, choices=())

    def __init__(
        self, *args: Any, owners: Iterable[Any] = (), values: Iterable[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        owner_choices = _people_choices(owners)
        if len(owner_choices) > 1:
            _set_choices(self.fields["owner"], owner_choices)
        else:
            del self.fields["owner"]
        value_choices = [(value, value) for value in values]
        if value_choices:
            _set_choices(self.fields["value"], [("", "None in particular"), *value_choices])
        else:
            del self.fields["value"]


class GoalEditForm(GoalForm):
    """The goal's words and how its progress is counted."""

    progress_mode = forms.ChoiceField(
        label="Progress", choices=ProgressMode.choices, widget=forms.RadioSelect
    )
    manual_progress = forms.IntegerField(
        label="Progress set by hand (percent)",
        min_value=0,
        max_value=100,
        required=False,
        help_text="Used when progress is set by hand.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["owners"] = ()
        super().__init__(*args, **kwargs)

    def goal_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("manual_progress") is None:
            data.pop("manual_progress", None)
        return data


class MilestoneForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label="Milestone", max_length=MAX_TITLE_LENGTH)
    due_date = forms.DateField(label="Due date", required=False, widget=DATE_INPUT)
    owner = forms.TypedChoiceField(
        label="Who does it", coerce=int, empty_value=None, required=False, choices=()
    )

    def __init__(self, *args: Any, people: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["owner"], [("", "Nobody in particular"), *_people_choices(people)])


class CheckInForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(
        label="How is it going?",
        choices=CheckInStatus.choices,
        initial=CheckInStatus.ON_TRACK,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note",
        max_length=MAX_NOTE_LENGTH,
        required=False,
        help_text="Seen by the mentorship's people, never by the program's managers.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    progress = forms.IntegerField(
        label="Progress now (percent)", min_value=0, max_value=100, required=False
    )

    def __init__(self, *args: Any, is_manual: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not is_manual:
            del self.fields["progress"]

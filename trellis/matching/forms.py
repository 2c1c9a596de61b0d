"""Forms parse what managers type; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms

from trellis.matching.criteria import PARAMETERS, field_choices
from trellis.matching.models import (
    MAX_EXPIRY_DAYS,
    MAX_OPEN_REQUESTS,
    MAX_WEIGHT,
    MAX_WISH_WEIGHT,
    MIN_EXPIRY_DAYS,
    MIN_OPEN_REQUESTS,
    MIN_WEIGHT,
    MIN_WISH_WEIGHT,
    CriterionKind,
    MatchingCriterion,
    MatchingSettings,
    Objective,
)
from trellis.programs.forms import ServiceErrorsMixin
from trellis.programs.models import IntakeQuestion

HARD, PREFERENCE = "hard", "preference"


class MatchingSettingsForm(ServiceErrorsMixin, forms.Form):
    automatch_enabled = forms.BooleanField(
        required=False, label="Managers match the whole cohort (automatch)"
    )
    mentee_requests_enabled = forms.BooleanField(
        required=False, label="Mentees browse mentors and send requests"
    )
    mentor_offers_enabled = forms.BooleanField(
        required=False, label="Mentors offer to mentor a mentee"
    )
    objective = forms.ChoiceField(
        choices=Objective.choices, widget=forms.RadioSelect, label="Automatch aims for"
    )
    request_expiry_days = forms.IntegerField(
        min_value=MIN_EXPIRY_DAYS,
        max_value=MAX_EXPIRY_DAYS,
        label="Days before an unanswered request expires",
    )
    max_open_requests = forms.IntegerField(
        min_value=MIN_OPEN_REQUESTS,
        max_value=MAX_OPEN_REQUESTS,
        label="Open requests a mentee may have at once",
    )
    wish_weight = forms.IntegerField(
        min_value=MIN_WISH_WEIGHT,
        max_value=MAX_WISH_WEIGHT,
        label="Weight of participants' wishes",
        help_text="Favourites, ranks and mentors' preferences; 0 ignores them. "
        "“Avoid” always holds.",
    )

    @classmethod
    def initial_for(cls, settings: MatchingSettings) -> dict[str, Any]:
        return {name: getattr(settings, name) for name in cls.base_fields}


class CriterionForm(ServiceErrorsMixin, forms.Form):
    field = forms.ChoiceField(label="Compare")
    kind = forms.ChoiceField(
        required=False,
        label="How",
        choices=[("", "As fits the field"), *CriterionKind.choices],
        help_text="Most fields can be compared one way only; leave this to choose it.",
    )
    rule = forms.ChoiceField(
        label="Counts as",
        choices=[
            (PREFERENCE, "A weighted preference: adds to the score"),
            (HARD, "A hard rule: a pair that fails it is never matched"),
        ],
        widget=forms.RadioSelect,
    )
    weight = forms.IntegerField(
        min_value=MIN_WEIGHT,
        max_value=MAX_WEIGHT,
        label=f"Weight ({MIN_WEIGHT} to {MAX_WEIGHT})",
        help_text="How much this preference counts against the others.",
    )
    parameter = forms.FloatField(
        required=False,
        label="Threshold",
        help_text=" ".join(
            f"{CriterionKind(kind).label}: {spec.label.lower()}."
            for kind, spec in PARAMETERS.items()
        )
        + " Leave empty for the usual value.",
    )

    def __init__(self, *args: Any, questions: list[IntakeQuestion], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"rule": PREFERENCE, "weight": 5})
        super().__init__(*args, **kwargs)
        field: Any = self.fields["field"]
        field.choices = [("", "Choose a field"), *field_choices(questions)]

    @classmethod
    def initial_for(cls, criterion: MatchingCriterion) -> dict[str, Any]:
        parameter = criterion.parameter
        return {
            "field": criterion.field,
            "kind": criterion.kind,
            "rule": HARD if criterion.is_hard_rule else PREFERENCE,
            "weight": criterion.weight,
            "parameter": int(parameter)
            if parameter is not None and parameter.is_integer()
            else parameter,
        }

    def criterion_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        parameter = data.get("parameter")
        if parameter is not None and float(parameter).is_integer():
            parameter = int(parameter)
        return {
            "field": data["field"],
            "kind": data.get("kind") or "",
            "is_hard_rule": data["rule"] == HARD,
            "weight": data["weight"],
            "parameter": parameter,
        }

"""Forms of the managers' plan pages; the services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms

from trellis.plans.models import (
    MAX_BODY_LENGTH,
    MAX_DAY,
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    PlanStep,
    PlanTemplate,
    StepKind,
    TemplateKind,
)
from trellis.programs.forms import ServiceErrorsMixin


class TemplateForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=MAX_NAME_LENGTH)
    description = forms.CharField(
        max_length=MAX_DESCRIPTION_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the plan is for, in a sentence or two. Plain text.",
    )
    kind = forms.ChoiceField(
        choices=TemplateKind.choices,
        label="Written for",
        initial=TemplateKind.STANDARD,
    )

    @staticmethod
    def initial_for(template: PlanTemplate) -> dict[str, Any]:
        return {"name": template.name, "description": template.description, "kind": template.kind}

    def template_data(self) -> dict[str, Any]:
        return {field: self.cleaned_data[field] for field in ("name", "description", "kind")}


class StepForm(ServiceErrorsMixin, forms.Form):
    day = forms.IntegerField(
        min_value=0,
        max_value=MAX_DAY,
        initial=0,
        help_text="Days after the mentorship starts: 0 is the first day, 14 is week 3's first day.",
    )
    kind = forms.ChoiceField(
        choices=StepKind.choices,
        help_text="A prompt notifies both people on its day; the other kinds appear in the "
        "timeline.",
    )
    title = forms.CharField(max_length=MAX_TITLE_LENGTH)
    body = forms.CharField(
        label="Text",
        max_length=MAX_BODY_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Plain text; leave a blank line between paragraphs. For a suggested goal: "
        "why it matters. Needed for an agenda and a discussion guide.",
    )
    url = forms.URLField(
        label="Web address",
        max_length=MAX_URL_LENGTH,
        required=False,
        assume_scheme="https",
        help_text="https:// only. Needed for a resource.",
    )

    @staticmethod
    def initial_for(step: PlanStep) -> dict[str, Any]:
        return {
            "day": step.day,
            "kind": step.kind,
            "title": step.title,
            "body": step.body,
            "url": step.url,
        }

    def step_data(self) -> dict[str, Any]:
        return {
            field: self.cleaned_data[field] for field in ("day", "kind", "title", "body", "url")
        }

"""Forms parse what people type; the services decide what is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms

from trellis.introductions.models import MAX_MESSAGE_LENGTH, MAX_NAME_LENGTH
from trellis.programs.forms import ServiceErrorsMixin

PARTICIPANT = "participant"
OUTSIDE = "outside"


def _person_label(person: Any) -> str:
    headline = getattr(getattr(person, "profile", None), "headline", "")
    name = str(person.display_name)
    return f"{name} · {headline}" if headline else name


class IntroductionForm(ServiceErrorsMixin, forms.Form):
    """Whom a mentor introduces their mentee to, and why.

    ``mentees`` (more than one: a group's mentor) adds "Whom do you introduce";
    ``contacts`` are the program's participants to choose from.
    """

    mentee = forms.TypedChoiceField(label="Whom do you introduce", coerce=int, choices=())
    who = forms.ChoiceField(
        label="To whom",
        choices=[
            (PARTICIPANT, "A participant of the program"),
            (OUTSIDE, "Someone outside Trellis"),
        ],
        initial=PARTICIPANT,
        widget=forms.RadioSelect,
    )
    contact = forms.TypedChoiceField(
        label="Participant", coerce=int, empty_value=None, required=False, choices=()
    )
    contact_name = forms.CharField(label="Their name", max_length=MAX_NAME_LENGTH, required=False)
    contact_email = forms.EmailField(
        label="Their email address",
        required=False,
        help_text="They get an email asking whether they would like to meet. Nobody sees "
        "the address before both of them say yes.",
    )
    message = forms.CharField(
        label="Why they should meet",
        max_length=MAX_MESSAGE_LENGTH,
        help_text="Both of them read this when they are asked.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(
        self,
        *args: Any,
        mentees: Iterable[Any] = (),
        contacts: Iterable[Any] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        mentee_choices = [(person.pk, str(person.display_name)) for person in mentees]
        if len(mentee_choices) > 1:
            cast(forms.ChoiceField, self.fields["mentee"]).choices = mentee_choices
        else:
            del self.fields["mentee"]
        cast(forms.ChoiceField, self.fields["contact"]).choices = [
            ("", "Choose a participant"),
            *[(person.pk, _person_label(person)) for person in contacts],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("who") == OUTSIDE:
            data["contact"] = None
            if not data.get("contact_name"):
                self.add_error("contact_name", "Give their name.")
            if not data.get("contact_email") and "contact_email" not in self.errors:
                self.add_error("contact_email", "Give their email address.")
        elif data.get("who") == PARTICIPANT:
            data["contact_name"] = data["contact_email"] = ""
            if not data.get("contact"):
                self.add_error("contact", "Choose a participant.")
        return data

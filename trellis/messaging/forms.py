from __future__ import annotations

from django import forms

from trellis.messaging.models import MAX_BODY_LENGTH, MAX_CLIENT_KEY_LENGTH


class MessageForm(forms.Form):
    """The composer; without JavaScript it posts to the conversation page itself.

    The page renders a fresh client_key with the form, so posting the same form twice
    (a double click, a resent request) stores the message once.
    """

    client_key = forms.CharField(max_length=MAX_CLIENT_KEY_LENGTH, widget=forms.HiddenInput)
    body = forms.CharField(
        label="Message",
        required=False,
        max_length=MAX_BODY_LENGTH,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "aria-describedby": "composer-hint",
                "data-composer-input": "",
                "placeholder": "Write a message",
            }
        ),
    )

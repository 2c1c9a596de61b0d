from __future__ import annotations

from django import forms

from trellis.wins.models import MAX_COMMENT_LENGTH, MAX_STORY_LENGTH, MAX_TITLE_LENGTH, WinState

VISIBILITY_CHOICES = [
    (WinState.PAIR.value, "Keep it between us"),
    (WinState.PROGRAM.value, "Share with the program"),
]


class WinEditForm(forms.Form):
    title = forms.CharField(
        max_length=MAX_TITLE_LENGTH,
        help_text="What you achieved, in a line.",
    )
    story = forms.CharField(
        max_length=MAX_STORY_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Optional: how it went, what helped, what you learnt.",
    )


class WinCreateForm(WinEditForm):
    state = forms.ChoiceField(
        label="Who sees it",
        choices=VISIBILITY_CHOICES,
        initial=WinState.PAIR.value,
        widget=forms.RadioSelect,
        help_text="“Between us” is you and your mentor. You can change it later.",
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label="Your comment",
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

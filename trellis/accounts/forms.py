from django import forms


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What the token is for, such as “calendar sync script”."
    )
    expires_at = forms.DateField(
        required=False,
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for a token that does not expire.",
    )

from django import forms


class ExternalCalendarForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="For you, such as “Work calendar”.")
    url = forms.CharField(
        max_length=2000,
        label="Calendar address (ICS)",
        help_text=(
            "The secret iCal address your calendar app shares, starting with https:// or "
            "webcal://. Trellis reads only when you are busy, never what the events are."
        ),
    )

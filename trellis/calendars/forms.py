from django import forms

from trellis.notifications.models import ReminderOffset


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


class ReminderPreferenceForm(forms.Form):
    offsets = forms.TypedMultipleChoiceField(
        choices=ReminderOffset.choices,
        coerce=int,
        required=False,  # nothing ticked: no meeting reminders
        widget=forms.CheckboxSelectMultiple,
        label="Remind me of each meeting",
        help_text="Tick none to get no meeting reminders.",
        error_messages={
            "invalid_choice": "Choose reminder times from the list.",
            "invalid_list": "Choose reminder times from the list.",
        },
    )

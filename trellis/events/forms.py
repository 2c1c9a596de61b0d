"""Forms parse what people type; the services decide what is allowed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms

from trellis.core.time import available_time_zones, time_zone_choices
from trellis.events.models import (
    MAX_DESCRIPTION_LENGTH,
    MAX_PLACE_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    Event,
)
from trellis.programs.forms import ServiceErrorsMixin

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
MAX_NOTE_LENGTH = 1000


def local_moment(day: dt.date, clock: dt.time, zone: str) -> dt.datetime | None:
    """The instant of a wall-clock time in a zone; None for a time the clocks skip."""
    wanted = dt.datetime.combine(day, clock)
    moment = wanted.replace(tzinfo=ZoneInfo(zone))
    # A time inside a spring-forward gap comes back shifted: it does not exist there.
    round_trip = moment.astimezone(dt.UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return moment if round_trip == wanted else None


class EventForm(ServiceErrorsMixin, forms.Form):
    """An event's words, time (a day, two clock times, a zone), place and places."""

    title = forms.CharField(label="Title", max_length=MAX_TITLE_LENGTH)
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=MAX_DESCRIPTION_LENGTH,
        help_text="What it is and who it is for. Simple formatting works: **bold**, lists, links.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    date = forms.DateField(label="Date", widget=DATE_INPUT)
    start_time = forms.TimeField(label="Start time", widget=TIME_INPUT)
    end_time = forms.TimeField(label="End time", widget=TIME_INPUT)
    time_zone = forms.ChoiceField(label="Time zone", choices=())
    place = forms.CharField(
        label="Place",
        required=False,
        max_length=MAX_PLACE_LENGTH,
        help_text="An address or a room. Give a place, an online link, or both.",
    )
    online_url = forms.CharField(
        label="Online link",
        required=False,
        max_length=MAX_URL_LENGTH,
        help_text="A https:// link to join online.",
        widget=forms.URLInput,
    )
    capacity = forms.IntegerField(
        label="Number of places",
        required=False,
        help_text="Leave empty for no limit. Once it is full, people join a waiting list.",
    )

    def __init__(self, *args: Any, zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["time_zone"])
        field.choices = time_zone_choices()
        field.initial = zone

    @classmethod
    def for_event(cls, event: Event, **kwargs: Any) -> EventForm:
        """The form filled in with the event as it is, its times in its own zone."""
        zone = ZoneInfo(event.time_zone)
        starts, ends = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
        initial = {
            "title": event.title,
            "description": event.description,
            "date": starts.date(),
            "start_time": starts.time().replace(second=0),
            "end_time": ends.time().replace(second=0),
            "time_zone": event.time_zone,
            "place": event.place,
            "online_url": event.online_url,
            "capacity": event.capacity,
        }
        return cls(initial=initial, zone=event.time_zone, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
        zone = data.get("time_zone")
        if day is None or start is None or end is None or zone not in available_time_zones():
            return data
        starts_at, ends_at = local_moment(day, start, zone), local_moment(day, end, zone)
        if starts_at is None:
            self.add_error("start_time", "The clocks change then: this time does not exist.")
        if ends_at is None:
            self.add_error("end_time", "The clocks change then: this time does not exist.")
        data["starts_at"], data["ends_at"] = starts_at, ends_at
        return data

    def event_data(self) -> dict[str, Any]:
        """What the services take (the instants the day and clock times make)."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "time_zone": data["time_zone"],
            "place": data["place"],
            "online_url": data["online_url"],
            "capacity": data["capacity"],
        }


class ShareForm(ServiceErrorsMixin, forms.Form):
    """Share the event into one of the person's mentorship conversations."""

    mentorship = forms.TypedChoiceField(label="Share with", coerce=int, choices=())
    note = forms.CharField(
        label="A note with it",
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    client_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, targets: Iterable[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["mentorship"]).choices = list(targets)

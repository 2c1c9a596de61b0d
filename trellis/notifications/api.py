"""REST endpoints for a person's own reminder settings (mounted at /api/v1/).

There is no user id in the path: everyone reads and changes only their own.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema

from trellis.accounts.models import User
from trellis.notifications import selectors, services
from trellis.notifications.models import ReminderOffset

router = Router(tags=["notifications"])


class ReminderChoiceOut(Schema):
    minutes: int
    label: str


class RemindersOut(Schema):
    offsets: list[int] = Field(
        description="Minutes before each meeting, largest first; empty: no meeting reminders."
    )
    choices: list[ReminderChoiceOut] = Field(description="The times one may choose from.")


class RemindersIn(Schema):
    offsets: list[int] = Field(
        description="Minutes before each meeting, from `choices` (10080, 1440, 120, 60, 30, "
        "15, 5, 0); an empty list turns meeting reminders off."
    )


def _reminders_out(user: User) -> RemindersOut:
    return RemindersOut(
        offsets=selectors.reminder_minutes_for(user=user),
        choices=[
            ReminderChoiceOut(minutes=minutes, label=str(label))
            for minutes, label in ReminderOffset.choices
        ],
    )


@router.get("/me/reminders", response=RemindersOut, summary="When I am reminded of meetings")
def reminders_get(request: HttpRequest) -> RemindersOut:
    return _reminders_out(request.auth)  # type: ignore[attr-defined]


@router.put(
    "/me/reminders",
    response=RemindersOut,
    summary="Choose when I am reminded of meetings",
    description="Pending reminders of upcoming meetings move to the new times.",
)
def reminders_put(request: HttpRequest, payload: RemindersIn) -> RemindersOut:
    user: User = request.auth  # type: ignore[attr-defined]
    services.reminder_preference_update(user=user, offsets=payload.offsets)
    return _reminders_out(user)

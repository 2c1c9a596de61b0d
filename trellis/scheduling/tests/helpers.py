"""A Berlin mentor and a New York mentee whose afternoons and mornings overlap."""

from __future__ import annotations

import datetime as dt

from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.profiles.models import AvailabilityWindow
from trellis.programs.tests.factories import ProgramFactory

WEEKDAYS = range(5)


def available(user, start: str, end: str, weekdays=WEEKDAYS) -> None:
    for weekday in weekdays:
        AvailabilityWindow.objects.create(
            profile=user.profile, weekday=weekday, start_time=start, end_time=end
        )


def berlin_new_york_pair(*, program=None, mentor=None):
    """Mentor in Berlin free 15:00-19:00, mentee in New York free 09:00-13:00 (weekdays)."""
    program = program or ProgramFactory()
    if mentor is None:
        mentor = mentor_in(program, time_zone="Europe/Berlin", display_name="Mara")
        available(mentor, "15:00", "19:00")
    mentee = mentee_in(program, time_zone="America/New_York", display_name="Noah")
    available(mentee, "09:00", "13:00")
    return MentorshipFactory(program=program, mentor=mentor, mentee=mentee)


def hour() -> dt.timedelta:
    return dt.timedelta(hours=1)

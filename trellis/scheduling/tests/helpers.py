"""A Berlin mentor and a New York mentee whose afternoons and mornings overlap; a group."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from trellis.mentorships.models import Mentorship, MentorshipSource
from trellis.mentorships.services import mentorship_start
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.profiles.models import AvailabilityWindow
from trellis.programs.models import ProgramType
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.models import MeetingSeries
from trellis.scheduling.recurrence import format_recurrence_id

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


# Groups ---------------------------------------------------------------------------------
# Mara in Berlin leads Noah in New York and Kenji in Tokyo. Their common window is
# 12:00-14:00 UTC on weekdays whatever the season: Berlin 13:00-17:00 (12-16 or 11-15
# UTC), New York 07:00-11:00 (12-16 or 11-15 UTC), Tokyo 20:00-23:00 (11-14 UTC).
GROUP_ZONES = {"mentor": "Europe/Berlin", "noah": "America/New_York", "kenji": "Asia/Tokyo"}


def group_program(**kwargs):
    kwargs.setdefault("program_type", ProgramType.GROUP)
    kwargs.setdefault("default_mentor_capacity", 6)
    return ProgramFactory(**kwargs)


def group_of(program, mentor, mentees):
    """Start mentor's group in program with each mentee, as a manager would."""
    group = None
    for mentee in mentees:
        group = mentorship_start(
            program=program,
            mentor=mentor,
            mentee=mentee,
            source=MentorshipSource.MANAGER,
            score=None,
            reasons=[],
            by=None,
        )
    assert group is not None
    group.refresh_from_db()
    return group


def berlin_new_york_tokyo_group(*, program=None, is_common=True, extra_members=0):
    """Mara (Berlin) with Noah (New York) and Kenji (Tokyo), plus extra New Yorkers.

    Without is_common Kenji is free only on Tokyo mornings, when New York sleeps.
    """
    program = program or group_program()
    mentor = mentor_in(program, time_zone="Europe/Berlin", display_name="Mara")
    available(mentor, "13:00", "17:00")
    noah = mentee_in(program, time_zone="America/New_York", display_name="Noah")
    available(noah, "07:00", "11:00")
    kenji = mentee_in(program, time_zone="Asia/Tokyo", display_name="Kenji")
    if is_common:
        available(kenji, "20:00", "23:00")
    else:
        available(kenji, "09:00", "12:00")
    extras = []
    for number in range(extra_members):
        extra = mentee_in(
            program, time_zone="America/New_York", display_name=f"Member {number + 1}"
        )
        available(extra, "07:00", "11:00")
        extras.append(extra)
    return group_of(program, mentor, [noah, kenji, *extras])


def group_people(group):
    """The group's mentor and members by name: {"mentor": ..., "noah": ..., "kenji": ...}."""
    members = {member.display_name.lower(): member for member in group.mentees()}
    return {"mentor": group.mentor, **members}


def meeting_in(mentorship: Mentorship, starts_in: dt.timedelta) -> tuple[MeetingSeries, str]:
    """A single video meeting of an hour, starting ``starts_in`` from now (Berlin time)."""
    start = (timezone.now() + starts_in).replace(second=0, microsecond=0)
    local = start.astimezone(ZoneInfo("Europe/Berlin"))
    series = MeetingSeries.objects.create(
        mentorship=mentorship,
        organiser=mentorship.mentor,
        time_zone="Europe/Berlin",
        start_date=local.date(),
        start_time=local.time().replace(tzinfo=None),
        duration_minutes=60,
    )
    return series, format_recurrence_id(local)

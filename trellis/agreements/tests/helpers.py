"""Groups for the agreement tests."""

from django.utils import timezone

from trellis.mentorships.models import GroupLeaveReason, GroupMember, MentorshipSource
from trellis.mentorships.services import group_leave, mentorship_start
from trellis.programs.models import ProgramType
from trellis.programs.tests.factories import ProgramFactory


def group_of(program, mentor, mentees):
    """The mentor's group in a group program with the mentees as its members."""
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
    return group


def leave(group, mentee):
    """The mentee leaves the group; directly while scheduling cannot take part in it yet."""
    from trellis.scheduling import services as scheduling_services

    if hasattr(scheduling_services, "meetings_participant_left"):
        group_leave(mentorship=group, by=mentee, reason=GroupLeaveReason.OTHER, note="Moving on")
    else:
        GroupMember.objects.filter(mentorship=group, mentee=mentee, left_at__isnull=True).update(
            left_at=timezone.now(), left_reason=GroupLeaveReason.OTHER
        )


def group_program(**kwargs):
    return ProgramFactory(program_type=ProgramType.GROUP, default_mentor_capacity=6, **kwargs)

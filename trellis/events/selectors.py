"""Reads of events: who sees them, lists with places left, the waiting line, invitations.

Who sees a program's events: its approved participants, its managers (and its
organisation's admins) and staff; anyone else is told nothing exists. The event's creator
and the program's managers change or cancel it. Lists are read in a fixed number of
queries, whatever their length.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from trellis.core.errors import NotFoundError
from trellis.events.models import RSVP, Event, RSVPStatus
from trellis.mentorships.models import ONGOING_STATUSES, Mentorship, participant_filter
from trellis.mentorships.selectors import current_members_prefetch
from trellis.programs.models import Enrollment, EnrollmentStatus, Organisation, Program
from trellis.programs.selectors import program_can_manage

MANAGER = "manager"
PARTICIPANT = "participant"
# How soon an event starts for it to be a last-minute invitation on the dashboard.
LAST_MINUTE = dt.timedelta(hours=48)
LAST_MINUTE_LIMIT = 5
PAST_LIMIT = 50
# Primary keys are 64-bit: a larger id is no row (and must not reach the database).
MAX_ID = 2**63 - 1


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


def _is_signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


# Who is who ------------------------------------------------------------------------------


def program_role(*, program: Program, user: Any) -> str | None:
    """ "manager" (managers, organisation admins, staff), "participant" (approved) or None."""
    if not _is_signed_in(user):
        return None
    if program_can_manage(program=program, user=user):
        return MANAGER
    approved = Enrollment.objects.filter(
        program=program, user_id=user.pk, status=EnrollmentStatus.APPROVED
    ).exists()
    return PARTICIPANT if approved else None


def may_edit(*, event: Event, user: Any, role: str | None) -> bool:
    """The event's creator (while they still see it) and the program's managers."""
    if role is None or not _is_signed_in(user):
        return False
    return role == MANAGER or event.created_by_id == user.pk


def sees_waiting_list(*, event: Event, user: Any, role: str | None) -> bool:
    """Who is waiting, by name: for those who run the event only."""
    return may_edit(event=event, user=user, role=role)


# Loading what a person may see ------------------------------------------------------------


def program_for_events(*, slug: str, user: Any) -> tuple[Program, str]:
    """The program and user's role in it; NotFoundError for anyone who may not see it."""
    program = Program.objects.select_related("organisation").filter(slug=slug).first()
    role = program_role(program=program, user=user) if program else None
    if program is None or role is None:
        raise NotFoundError("No such program.")
    return program, role


def _events() -> QuerySet[Event]:
    return Event.objects.select_related("program", "program__organisation", "created_by__profile")


def with_counts(events: QuerySet[Event], *, user: Any = None) -> QuerySet[Event]:
    """Annotate ``going_count``, ``waiting_count`` and (for user) ``my_status``."""
    annotated = events.annotate(
        going_count=Count("rsvps", filter=Q(rsvps__status=RSVPStatus.GOING), distinct=True),
        waiting_count=Count("rsvps", filter=Q(rsvps__status=RSVPStatus.WAITING), distinct=True),
    )
    if _is_signed_in(user):
        mine = RSVP.objects.filter(event_id=OuterRef("pk"), user_id=user.pk).values("status")
        annotated = annotated.annotate(my_status=Subquery(mine[:1]))
    return annotated


def event_for(*, event_id: Any, user: Any) -> tuple[Event, str]:
    """The event (with its counts) and user's role in its program; else NotFoundError."""
    event = None
    if _is_id(event_id):
        event = with_counts(_events().filter(pk=event_id), user=user).first()
    role = program_role(program=event.program, user=user) if event else None
    if event is None or role is None:
        raise NotFoundError("No such event.")
    return event, role


def places_left(event: Event) -> int | None:
    """Free places (None: no limit), from the counts ``with_counts`` annotates."""
    if event.capacity is None:
        return None
    going = getattr(event, "going_count", None)
    if going is None:
        going = event.rsvps.filter(status=RSVPStatus.GOING).count()
    return max(0, event.capacity - int(going))


# Lists -------------------------------------------------------------------------------------


def events_for_program(*, program: Program, user: Any, past: bool = False) -> list[Event]:
    """Upcoming events (not yet ended, soonest first) or past ones (latest first), in one
    query, with their counts and the viewer's own answer."""
    now = timezone.now()
    events = with_counts(_events().filter(program=program), user=user)
    if past:
        return list(events.filter(ends_at__lte=now).order_by("-starts_at", "-pk")[:PAST_LIMIT])
    return list(events.filter(ends_at__gt=now).order_by("starts_at", "pk"))


@dataclass(frozen=True)
class Attendance:
    """Who is going (by answer time) and who waits (in line order)."""

    going: list[RSVP]
    waiting: list[RSVP]

    def position_of(self, user: Any) -> int | None:
        """The person's place in the waiting line, 1 first; None if not waiting."""
        user_id = getattr(user, "pk", None)
        for number, rsvp in enumerate(self.waiting, start=1):
            if rsvp.user_id == user_id:
                return number
        return None


def attendance_for(*, event: Event) -> Attendance:
    """The event's going and waiting RSVPs with their people, in one query."""
    rsvps = (
        RSVP.objects.filter(event=event, status__in=[RSVPStatus.GOING, RSVPStatus.WAITING])
        .select_related("user__profile")
        .order_by("queued_at", "pk")
    )
    going: list[RSVP] = []
    waiting: list[RSVP] = []
    for rsvp in rsvps:
        (going if rsvp.status == RSVPStatus.GOING else waiting).append(rsvp)
    return Attendance(going=going, waiting=waiting)


def rsvp_of(*, event: Event, user: Any) -> RSVP | None:
    if not _is_signed_in(user):
        return None
    return RSVP.objects.filter(event=event, user_id=user.pk).first()


def waiting_position(*, event: Event, user: Any) -> int | None:
    """The person's place in the event's waiting line (1 first), in one query."""
    rsvp = rsvp_of(event=event, user=user)
    if rsvp is None or rsvp.status != RSVPStatus.WAITING:
        return None
    ahead = RSVP.objects.filter(event_id=event.pk, status=RSVPStatus.WAITING).filter(
        Q(queued_at__lt=rsvp.queued_at) | Q(queued_at=rsvp.queued_at, pk__lt=rsvp.pk)
    )
    return ahead.count() + 1


# Sharing -----------------------------------------------------------------------------------


def share_targets(*, program: Program, user: Any) -> list[Mentorship]:
    """The person's ongoing mentorships in the program (their conversations), in two queries."""
    if not _is_signed_in(user):
        return []
    return list(
        Mentorship.objects.filter(
            participant_filter(user.pk), program=program, status__in=ONGOING_STATUSES
        )
        .select_related("program", "mentor__profile", "mentee__profile")
        .prefetch_related(current_members_prefetch())
        .order_by("-started_at", "-pk")
    )


# The dashboard -------------------------------------------------------------------------------


def _programs_of(user: Any) -> Q:
    """Programs user takes part in (approved) or manages, as subqueries (no repeated rows)."""
    approved = Enrollment.objects.filter(user_id=user.pk, status=EnrollmentStatus.APPROVED).values(
        "program_id"
    )
    managed = Program.managers.through.objects.filter(user_id=user.pk).values("program_id")
    administered = Organisation.admins.through.objects.filter(user_id=user.pk).values(
        "organisation_id"
    )
    return (
        Q(program_id__in=approved)
        | Q(program_id__in=managed)
        | Q(program__organisation_id__in=administered)
    )


def last_minute_invitations(
    *, user: Any, now: dt.datetime | None = None, limit: int = LAST_MINUTE_LIMIT
) -> list[Event]:
    """Events of the person's programs starting within 48 hours that still have room and
    they have not answered (nor posted), soonest first, in one query."""
    if not _is_signed_in(user):
        return []
    now = now or timezone.now()
    going = RSVP.objects.filter(event_id=OuterRef("pk"), status=RSVPStatus.GOING)
    going_count = Coalesce(
        Subquery(
            going.order_by().values("event_id").annotate(total=Count("pk")).values("total"),
            output_field=IntegerField(),
        ),
        0,
    )
    answered = RSVP.objects.filter(event_id=OuterRef("pk"), user_id=user.pk)
    events = (
        Event.objects.filter(
            _programs_of(user),
            is_cancelled=False,
            starts_at__gt=now,
            starts_at__lte=now + LAST_MINUTE,
        )
        .exclude(created_by_id=user.pk)
        .exclude(Exists(answered))
        .select_related("program")
        .annotate(going_count=going_count)
        .filter(Q(capacity__isnull=True) | Q(going_count__lt=F("capacity")))
        .order_by("starts_at", "pk")
    )
    return list(events[:limit])

"""Reads for mentorships, requests and offers; each page's data in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError
from trellis.core.time import get_zone
from trellis.matching.models import MenteeWish, MentorWish
from trellis.mentorships.models import (
    ONGOING_STATUSES,
    OPEN_REQUEST_STATUSES,
    GroupMember,
    Mentorship,
    MentorshipEvent,
    MentorshipOffer,
    MentorshipRequest,
    MentorshipStatus,
    OfferStatus,
    participant_filter,
)
from trellis.programs.models import Enrollment, EnrollmentStatus, Program, Role
from trellis.programs.selectors import program_can_manage

if TYPE_CHECKING:
    # Only for types: trellis.matching.selectors itself reads this module's selectors.
    from trellis.matching.selectors import Candidate

MENTOR_ROLES = (Role.MENTOR, Role.BOTH)
MENTEE_ROLES = (Role.MENTEE, Role.BOTH)
# Decided requests and offers stay listed this long on the requests page.
HISTORY_LIMIT = 20


# Contract for trellis.matching ---------------------------------------------------------
# "Active" here means ongoing: a proposed or paused mentorship holds the mentee and the
# mentor's place just as an active one does, so matching must not offer either again.


# A group's members count as its mentor's mentorships: in a group program a mentor's
# capacity is the size of their group.


def active_mentorship_counts(*, program: Program) -> dict[int, int]:
    """Each mentor's number of ongoing mentees in program (mentor user id → count)."""
    counts: dict[int, int] = {}
    pairs = (
        Mentorship.objects.filter(program=program, is_group=False, status__in=ONGOING_STATUSES)
        .order_by()
        .values("mentor_id")
        .annotate(count=Count("pk"))
    )
    members = (
        GroupMember.objects.filter(program=program, left_at__isnull=True)
        .order_by()
        .values_list("mentorship__mentor_id")
        .annotate(count=Count("pk"))
    )
    for row in pairs:
        counts[row["mentor_id"]] = counts.get(row["mentor_id"], 0) + row["count"]
    for mentor_id, count in members:
        counts[mentor_id] = counts.get(mentor_id, 0) + count
    return counts


def active_mentee_ids(*, program: Program) -> set[int]:
    """User ids of the program's mentees who have an ongoing mentorship or group."""
    return {mentee_id for mentee_id, _mentor_id in active_pairs(program=program)}


def active_pairs(*, program: Program) -> list[tuple[int, int]]:
    """(mentee user id, mentor user id) of the program's ongoing mentorships and groups."""
    pairs = list(
        Mentorship.objects.filter(program=program, is_group=False, status__in=ONGOING_STATUSES)
        .order_by("pk")
        .values_list("mentee_id", "mentor_id")
    )
    pairs += list(
        GroupMember.objects.filter(program=program, left_at__isnull=True)
        .order_by("pk")
        .values_list("mentee_id", "mentorship__mentor_id")
    )
    return pairs


# Participants ---------------------------------------------------------------------------


def mentor_capacity(*, program: Program, enrollment: Enrollment) -> int:
    """How many mentees the mentor may have: their own figure, else the program's."""
    return enrollment.mentor_capacity or program.default_mentor_capacity


def approved_enrollment(*, program: Program, user: User, roles: Iterable[str]) -> Enrollment | None:
    """The person's approved enrollment in program if its role is one of roles."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Enrollment.objects.filter(
        program=program, user_id=user.pk, status=EnrollmentStatus.APPROVED, role__in=list(roles)
    ).first()


@dataclass
class Participation:
    """A person's place in a program, seen from the mentorship pages."""

    program: Program
    enrollment: Enrollment
    is_mentor: bool
    is_mentee: bool


def participation_for(*, slug: str, user: Any) -> Participation:
    """The program at slug and the person's approved enrollment in it; else NotFoundError.

    Pending, declined and former participants, and everyone outside the program, get the
    same answer: there is nothing for them here.
    """
    if not getattr(user, "is_authenticated", False):
        raise NotFoundError("No such program.")
    enrollment = (
        Enrollment.objects.select_related("program", "program__organisation")
        .filter(program__slug=slug, user_id=user.pk, status=EnrollmentStatus.APPROVED)
        .first()
    )
    if enrollment is None:
        raise NotFoundError("No such program.")
    return Participation(
        program=enrollment.program,
        enrollment=enrollment,
        is_mentor=enrollment.role in MENTOR_ROLES,
        is_mentee=enrollment.role in MENTEE_ROLES,
    )


# Mentorships ----------------------------------------------------------------------------


def current_members_prefetch(path: str = "") -> Prefetch:
    """Prefetch a group's current members (with profiles) into ``current_members``.

    ``Mentorship.current_group_members()`` and everything built on it (participants,
    mentee_ids) read it instead of querying. ``path`` leads to the mentorship, e.g.
    "mentorship__" from a meeting series.
    """
    return Prefetch(
        f"{path}members",
        queryset=GroupMember.objects.filter(left_at__isnull=True)
        .select_related("mentee__profile")
        .order_by("joined_at", "pk"),
        to_attr="current_members",
    )


def _mentorships() -> QuerySet[Mentorship]:
    return Mentorship.objects.select_related(
        "program", "program__organisation", "mentor__profile", "mentee__profile", "started_by"
    ).prefetch_related(current_members_prefetch())


def mentorship_list_for_user(*, user: User, include_ended: bool = False) -> list[Mentorship]:
    """The person's mentorships and groups, newest first, in two queries.

    Without include_ended only the ongoing ones (proposed, active, paused) the person is
    in now; with it also the finished ones and the groups they were once a member of.
    """
    if include_ended:
        mentorships = _mentorships().filter(
            Q(mentor_id=user.pk)
            | Q(mentee_id=user.pk)
            | Q(Exists(GroupMember.objects.filter(mentorship_id=OuterRef("pk"), mentee_id=user.pk)))
        )
    else:
        mentorships = _mentorships().filter(
            participant_filter(user.pk), status__in=ONGOING_STATUSES
        )
    return list(mentorships.order_by("-started_at", "-pk"))


def mentorship_active_for_mentee(*, program: Program, mentee: User) -> Mentorship | None:
    """The mentee's ongoing mentorship or group in program (proposed, active, paused)."""
    return (
        _mentorships()
        .filter(program=program, status__in=ONGOING_STATUSES)
        .filter(
            Q(mentee_id=mentee.pk) | Q(members__mentee_id=mentee.pk, members__left_at__isnull=True)
        )
        .first()
    )


def mentorship_can_view(*, mentorship: Mentorship, user: Any) -> bool:
    """The pair or group (former members too), the program's managers and staff may see it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.pk in (mentorship.mentor_id, mentorship.mentee_id):
        return True
    if mentorship.is_group and mentorship.members.filter(mentee_id=user.pk).exists():
        return True
    return program_can_manage(program=mentorship.program, user=user)


def mentorship_detail(*, mentorship_id: int, user: Any) -> Mentorship:
    """The mentorship if user may see it; NotFoundError otherwise, to reveal nothing."""
    mentorship = _mentorships().filter(pk=mentorship_id).first()
    if mentorship is None or not mentorship_can_view(mentorship=mentorship, user=user):
        raise NotFoundError("No such mentorship.")
    return mentorship


def group_former_members(*, mentorship: Mentorship) -> list[GroupMember]:
    """Those who were in the group and left (or were in it when it finished), by leaving."""
    if not mentorship.is_group:
        return []
    return list(
        GroupMember.objects.filter(mentorship=mentorship, left_at__isnull=False)
        .select_related("mentee__profile")
        .order_by("left_at", "pk")
    )


def mentorship_history(*, mentorship: Mentorship) -> list[MentorshipEvent]:
    """The mentorship's steps, oldest first, with who took each."""
    return list(
        MentorshipEvent.objects.filter(mentorship=mentorship)
        .select_related("by__profile")
        .order_by("created_at", "pk")
    )


def mentorships_for_nudge(
    *,
    active_before: dt.datetime,
    nudged_before: dt.datetime,
    after_pk: int = 0,
    limit: int = 200,
) -> list[Mentorship]:
    """Active mentorships that may be due a "time to meet" nudge, by pk, in two queries.

    Those active since before ``active_before`` (the latest of their start, their
    confirmation and their last resume: a pause does not count against them) and not
    nudged since ``nudged_before``. Each carries ``active_since``, its program, both
    people's profiles and its agreement with the parts (for the agreed cadence).
    """
    became_active = (
        MentorshipEvent.objects.filter(mentorship=OuterRef("pk"), to_status=MentorshipStatus.ACTIVE)
        .exclude(from_status=MentorshipStatus.ACTIVE)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return list(
        Mentorship.objects.filter(status=MentorshipStatus.ACTIVE, pk__gt=after_pk)
        .filter(Q(meeting_nudge_sent_at__isnull=True) | Q(meeting_nudge_sent_at__lte=nudged_before))
        .annotate(active_since=Coalesce(Subquery(became_active), F("started_at")))
        .filter(active_since__lte=active_before)
        .select_related("program", "mentor__profile", "mentee__profile", "agreement")
        .prefetch_related("agreement__parts", current_members_prefetch())
        .order_by("pk")[:limit]
    )


# action → the states it may be taken from. The services enforce it; pages offer from it.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "confirm": (MentorshipStatus.PROPOSED,),
    "decline": (MentorshipStatus.PROPOSED,),
    "pause": (MentorshipStatus.ACTIVE,),
    "resume": (MentorshipStatus.PAUSED,),
    "complete": (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED),
    "end": (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED),
    "extend": (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED),
    "rematch": (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED),
    # Groups only: a member leaves; the mentor or a manager takes a member out.
    "leave": ONGOING_STATUSES,
    "remove": ONGOING_STATUSES,
}
# Only the pair answer a proposal; the program's managers may take every other step.
PAIR_ONLY_ACTIONS = ("confirm", "decline")
GROUP_ONLY_ACTIONS = ("leave", "remove")


def mentorship_role(*, mentorship: Mentorship, user: Any) -> str | None:
    """The user's part in the mentorship: "mentor", "mentee", "manager" or None."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.pk == mentorship.mentor_id:
        return "mentor"
    if user.pk in mentorship.mentee_ids():
        return "mentee"
    if program_can_manage(program=mentorship.program, user=user):
        return "manager"
    return None


def _allowed(mentorship: Mentorship, role: str | None, action: str) -> bool:
    if role is None or mentorship.status not in TRANSITIONS.get(action, ()):
        return False
    if mentorship.is_group:
        # The mentor leads (and alone answers a proposal); members may only leave.
        if action == "leave":
            return role == "mentee"
        if role == "mentee" or action == "rematch":
            return False
        if action == "confirm":
            return role == "mentor" and not mentorship.confirmed_by_mentor
        if action == "decline":
            return role == "mentor"
        return action != "remove" or bool(mentorship.mentee_ids())
    if action in GROUP_ONLY_ACTIONS:
        return False
    if action == "confirm":
        # Each side confirms once; the second confirmation makes it active.
        return (role == "mentor" and not mentorship.confirmed_by_mentor) or (
            role == "mentee" and not mentorship.confirmed_by_mentee
        )
    return role != "manager" or action not in PAIR_ONLY_ACTIONS


def mentorship_may(*, mentorship: Mentorship, user: Any, action: str) -> bool:
    """Whether user may take action on the mentorship in its current state."""
    role = mentorship_role(mentorship=mentorship, user=user)
    return _allowed(mentorship, role, action)


def mentorship_actions_for(*, mentorship: Mentorship, user: Any) -> list[str]:
    """The actions user may take on the mentorship now, in the pages' order."""
    role = mentorship_role(mentorship=mentorship, user=user)
    return [action for action in TRANSITIONS if _allowed(mentorship, role, action)]


# Requests and offers --------------------------------------------------------------------


def _requests() -> QuerySet[MentorshipRequest]:
    return MentorshipRequest.objects.select_related(
        "program", "mentee__profile", "mentor__profile", "rollover_of__mentor__profile"
    )


def _offers() -> QuerySet[MentorshipOffer]:
    return MentorshipOffer.objects.select_related("program", "mentee__profile", "mentor__profile")


def open_request_count(*, program: Program, mentee: User) -> int:
    return MentorshipRequest.objects.filter(
        program=program, mentee_id=mentee.pk, status__in=OPEN_REQUEST_STATUSES
    ).count()


def _open_first(items: list[Any], is_open: Any) -> list[Any]:
    """Open items first (oldest first: they expire soonest), then the recent others."""
    open_items = sorted((i for i in items if is_open(i)), key=lambda i: (i.created_at, i.pk))
    closed = [i for i in items if not is_open(i)][:HISTORY_LIMIT]
    return open_items + closed


def request_list_for_mentee(*, program: Program, mentee: User) -> list[MentorshipRequest]:
    requests = list(
        _requests().filter(program=program, mentee_id=mentee.pk).order_by("-created_at", "-pk")
    )
    return _open_first(requests, lambda r: r.is_open)


def request_list_for_mentor(*, program: Program, mentor: User) -> list[MentorshipRequest]:
    requests = list(
        _requests().filter(program=program, mentor_id=mentor.pk).order_by("-created_at", "-pk")
    )
    return _open_first(requests, lambda r: r.is_open)


def offer_list_for_mentee(*, program: Program, mentee: User) -> list[MentorshipOffer]:
    offers = list(
        _offers().filter(program=program, mentee_id=mentee.pk).order_by("-created_at", "-pk")
    )
    return _open_first(offers, lambda o: o.is_open)


def offer_list_for_mentor(*, program: Program, mentor: User) -> list[MentorshipOffer]:
    offers = list(
        _offers().filter(program=program, mentor_id=mentor.pk).order_by("-created_at", "-pk")
    )
    return _open_first(offers, lambda o: o.is_open)


def request_visible_to(*, request_id: int, user: Any) -> MentorshipRequest:
    """A request its mentee or mentor may see; NotFoundError for everyone else."""
    found = _requests().filter(pk=request_id).first()
    if found is None or not getattr(user, "is_authenticated", False):
        raise NotFoundError("No such request.")
    if user.pk not in (found.mentee_id, found.mentor_id):
        raise NotFoundError("No such request.")
    return found


def offer_visible_to(*, offer_id: int, user: Any) -> MentorshipOffer:
    """An offer its mentor or mentee may see; NotFoundError for everyone else."""
    found = _offers().filter(pk=offer_id).first()
    if found is None or not getattr(user, "is_authenticated", False):
        raise NotFoundError("No such offer.")
    if user.pk not in (found.mentee_id, found.mentor_id):
        raise NotFoundError("No such offer.")
    return found


def request_list_for_user(
    *, user: User, program: Program | None = None, role: str | None = None
) -> list[MentorshipRequest]:
    """The person's requests, sent (role "mentee") or received (role "mentor") or both."""
    requests = _requests()
    if role == "mentee":
        requests = requests.filter(mentee_id=user.pk)
    elif role == "mentor":
        requests = requests.filter(mentor_id=user.pk)
    else:
        requests = requests.filter(Q(mentee_id=user.pk) | Q(mentor_id=user.pk))
    if program is not None:
        requests = requests.filter(program=program)
    return list(requests.order_by("-created_at", "-pk"))


def offer_list_for_user(
    *, user: User, program: Program | None = None, role: str | None = None
) -> list[MentorshipOffer]:
    """The person's offers, sent (role "mentor") or received (role "mentee") or both."""
    offers = _offers()
    if role == "mentee":
        offers = offers.filter(mentee_id=user.pk)
    elif role == "mentor":
        offers = offers.filter(mentor_id=user.pk)
    else:
        offers = offers.filter(Q(mentee_id=user.pk) | Q(mentor_id=user.pk))
    if program is not None:
        offers = offers.filter(program=program)
    return list(offers.order_by("-created_at", "-pk"))


def requests_due_exist(*, program: Program, user: User, now: dt.datetime | None = None) -> bool:
    """Whether any of the person's open requests or offers in program are past their time."""
    now = now or timezone.now()
    involved = Q(mentee_id=user.pk) | Q(mentor_id=user.pk)
    return (
        MentorshipRequest.objects.filter(
            involved, program=program, status__in=OPEN_REQUEST_STATUSES, expires_at__lte=now
        ).exists()
        or MentorshipOffer.objects.filter(
            involved, program=program, status=OfferStatus.OPEN, expires_at__lte=now
        ).exists()
    )


# Directories ------------------------------------------------------------------------------

# Broad regions, from the first part of an IANA zone name.
REGIONS = {
    "Africa": "Africa",
    "America": "Americas",
    "Antarctica": "Antarctica",
    "Asia": "Asia",
    "Atlantic": "Atlantic",
    "Australia": "Australia and Oceania",
    "Europe": "Europe",
    "Indian": "Indian Ocean",
    "Pacific": "Australia and Oceania",
}


def time_zone_region(name: str) -> str:
    return REGIONS.get((name or "").split("/", 1)[0], "Other")


def hours_apart(zone_a: str, zone_b: str, *, at: dt.datetime | None = None) -> float:
    """Hours between two zones' clocks now, the short way round (0 to 12)."""
    at = at or timezone.now()
    offset_a = at.astimezone(get_zone(zone_a)).utcoffset() or dt.timedelta()
    offset_b = at.astimezone(get_zone(zone_b)).utcoffset() or dt.timedelta()
    hours = abs((offset_a - offset_b).total_seconds()) / 3600
    return min(hours, 24 - hours)


@dataclass
class DirectoryFilters:
    language: str = ""
    skill: str = ""
    max_hours_apart: int | None = None
    region: str = ""
    has_places: bool = False


@dataclass
class DirectoryEntry:
    """One person in a directory: the candidate with what the viewer already did about them."""

    candidate: Candidate
    hours_apart: float
    region: str
    is_favourite: bool = False
    stance: str | None = None
    open_request: MentorshipRequest | None = None
    open_offer: MentorshipOffer | None = None
    was_requested: bool = False

    @property
    def user(self) -> User:
        return self.candidate.user

    @property
    def profile(self) -> Any:
        return self.candidate.profile


@dataclass
class Directory:
    """Everyone a directory may list, best first, and the choices its filters offer."""

    entries: list[DirectoryEntry]
    languages: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)


def _own_zone(user: User) -> str:
    profile = getattr(user, "profile", None)
    return profile.time_zone if profile is not None else "UTC"


def _zone_of(candidate: Any) -> str:
    profile = candidate.profile
    return profile.time_zone if profile is not None else "UTC"


def _options(entries: list[DirectoryEntry], skill_field: str) -> Directory:
    languages: set[str] = set()
    skills: set[str] = set()
    regions: set[str] = set()
    for entry in entries:
        profile = entry.profile
        if profile is not None:
            languages.update(profile.languages or [])
            skills.update(getattr(profile, skill_field) or [])
        regions.add(entry.region)
    return Directory(
        entries=entries,
        languages=sorted(languages),
        skills=sorted(skills),
        regions=sorted(regions),
    )


def mentor_directory(*, program: Program, mentee: User, candidates: list[Candidate]) -> Directory:
    """The eligible mentors among candidates (best first), with the mentee's wishes and requests."""
    favourites = set(
        MenteeWish.objects.filter(
            program=program, mentee_id=mentee.pk, is_favourite=True
        ).values_list("mentor_id", flat=True)
    )
    requests: dict[int, list[MentorshipRequest]] = {}
    for request in MentorshipRequest.objects.filter(program=program, mentee_id=mentee.pk):
        requests.setdefault(request.mentor_id, []).append(request)
    zone = _own_zone(mentee)
    now = timezone.now()
    entries = []
    for candidate in candidates:
        if not candidate.is_eligible or candidate.user.pk == mentee.pk:
            continue
        mine = requests.get(candidate.user.pk, [])
        entries.append(
            DirectoryEntry(
                candidate=candidate,
                hours_apart=hours_apart(zone, _zone_of(candidate), at=now),
                region=time_zone_region(_zone_of(candidate)),
                is_favourite=candidate.user.pk in favourites,
                open_request=next((r for r in mine if r.is_open), None),
                was_requested=bool(mine),
            )
        )
    return _options(entries, "skills_offered")


def mentee_directory(*, program: Program, mentor: User, candidates: list[Candidate]) -> Directory:
    """Mentees still looking for a mentor (best first) with the mentor's marks and offers.

    Mentees the mentor marked "avoid" stay listed (last), so the mark can be taken back.
    """
    stances = dict(
        MentorWish.objects.filter(program=program, mentor_id=mentor.pk).values_list(
            "mentee_id", "stance"
        )
    )
    offers = {
        offer.mentee_id: offer
        for offer in MentorshipOffer.objects.filter(
            program=program, mentor_id=mentor.pk, status=OfferStatus.OPEN
        )
    }
    matched = active_mentee_ids(program=program)
    zone = _own_zone(mentor)
    now = timezone.now()
    entries: list[DirectoryEntry] = []
    avoided: list[DirectoryEntry] = []
    for candidate in candidates:
        user_id = candidate.user.pk
        stance = stances.get(user_id)
        if user_id == mentor.pk or user_id in matched:
            continue
        if not (candidate.is_eligible or stance == "avoid"):
            continue
        entry = DirectoryEntry(
            candidate=candidate,
            hours_apart=hours_apart(zone, _zone_of(candidate), at=now),
            region=time_zone_region(_zone_of(candidate)),
            stance=stance,
            open_offer=offers.get(user_id),
        )
        (avoided if stance == "avoid" else entries).append(entry)
    return _options(entries + avoided, "skills_sought")


def directory_filter(
    *, directory: Directory, filters: DirectoryFilters, skill_field: str
) -> list[DirectoryEntry]:
    """The directory's entries that pass the filters, in order."""

    def passes(entry: DirectoryEntry) -> bool:
        profile = entry.profile
        if filters.language and (profile is None or filters.language not in profile.languages):
            return False
        if filters.skill and (
            profile is None or filters.skill not in (getattr(profile, skill_field) or [])
        ):
            return False
        if filters.max_hours_apart is not None and entry.hours_apart > filters.max_hours_apart:
            return False
        if filters.region and entry.region != filters.region:
            return False
        return not (filters.has_places and entry.candidate.places_left < 1)

    return [entry for entry in directory.entries if passes(entry)]


def mentee_wish_rank(*, program: Program, mentee: User, mentor: User) -> int | None:
    """The rank the mentee gave the mentor, if any (kept when they toggle a favourite)."""
    wish = MenteeWish.objects.filter(
        program=program, mentee_id=mentee.pk, mentor_id=mentor.pk
    ).first()
    return wish.rank if wish is not None else None

"""Reads for resources: who sees a library, a resource, a mentorship's recommendations.

A program's library (its own resources that are not archived, and the built-in guides it
did not hide) is for its approved participants, its managers (organisation admins too)
and staff; anyone else is told the program does not exist. A resource is readable by
whoever sees a library that shows it, by its program's managers (archived too), and by
the people of a mentorship it was recommended into. Built-in guides belong to no program:
any signed-in person may read them.

A mentorship's recommendations are for its people now (its mentor, a pair's mentee or a
group's current members); the program's managers and staff see what was recommended and
whether it was done, never the mentor's note; anyone else gets 404. Every list here is
read in a fixed number of queries, whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from trellis.core.errors import NotFoundError
from trellis.mentorships.models import Mentorship, MentorshipStatus, participant_filter
from trellis.mentorships.selectors import current_members_prefetch, mentorship_role
from trellis.programs.models import Enrollment, EnrollmentStatus, Program
from trellis.programs.selectors import program_can_manage
from trellis.resources.models import (
    ProgramHiddenResource,
    Recommendation,
    Resource,
    ResourceKind,
    ResourceTag,
)

PARTICIPANT_ROLES = ("mentor", "mentee")
# Recommendations are made and marked while the mentorship goes on (as goals change).
OPEN_STATUSES = (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)
# Primary keys are 64-bit: a larger id is no row (and must not reach the database).
MAX_ID = 2**63 - 1
MAX_SEARCH_WORDS = 8
MAX_SEARCH_LENGTH = 100
# The recommend form lists at most this many of the library's resources at once.
MAX_CHOICES = 50


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


def _is_signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


# Libraries ----------------------------------------------------------------------------


def is_participant_of(*, program: Program, user: Any) -> bool:
    if not _is_signed_in(user):
        return False
    return Enrollment.objects.filter(
        program=program, user_id=user.pk, status=EnrollmentStatus.APPROVED
    ).exists()


@dataclass(frozen=True)
class Library:
    """A program's library as one person sees it."""

    program: Program
    can_manage: bool


def library_for(*, slug: str, user: Any) -> Library:
    """The program's library if user may read it; NotFoundError otherwise."""
    if not _is_signed_in(user) or not isinstance(slug, str):
        raise NotFoundError("No such program.")
    program = Program.objects.select_related("organisation").filter(slug=slug).first()
    if program is None:
        raise NotFoundError("No such program.")
    can_manage = program_can_manage(program=program, user=user)
    if not can_manage and not is_participant_of(program=program, user=user):
        raise NotFoundError("No such program.")
    return Library(program=program, can_manage=can_manage)


def _hidden_in(program_id: Any) -> Exists:
    return Exists(
        ProgramHiddenResource.objects.filter(program_id=program_id, resource_id=OuterRef("pk"))
    )


def shown_in_library_q(program: Program) -> Q:
    """Resources the program's library shows: its own and the built-ins it did not hide."""
    return Q(is_archived=False) & (
        Q(program=program) | (Q(program__isnull=True) & ~Q(_hidden_in(program.pk)))
    )


def library_shows(*, program: Program, resource: Resource) -> bool:
    """Whether the program's library shows the resource (one query for a built-in)."""
    if resource.is_archived:
        return False
    if resource.program_id is not None:
        return resource.program_id == program.pk
    return not ProgramHiddenResource.objects.filter(program=program, resource=resource).exists()


def _resources() -> QuerySet[Resource]:
    return Resource.objects.select_related("program").prefetch_related("tags")


def clean_search(text: Any) -> list[str]:
    """The words of a search, at most MAX_SEARCH_WORDS of them."""
    if not isinstance(text, str):
        return []
    return text[:MAX_SEARCH_LENGTH].split()[:MAX_SEARCH_WORDS]


def search_q(words: list[str]) -> Q:
    """Every word in the title, summary, text or a tag (case-insensitive)."""
    found = Q()
    for word in words:
        tagged = ResourceTag.objects.filter(resource_id=OuterRef("pk"), name__icontains=word)
        found &= (
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(body__icontains=word)
            | Q(Exists(tagged))
        )
    return found


def resources_in_library(
    *, program: Program, search: str = "", tag: str = "", kind: str = ""
) -> QuerySet[Resource]:
    """The library's resources matching the filters, by title (tags prefetched)."""
    resources = _resources().filter(shown_in_library_q(program))
    words = clean_search(search)
    if words:
        resources = resources.filter(search_q(words))
    if tag:
        resources = resources.filter(
            Exists(ResourceTag.objects.filter(resource_id=OuterRef("pk"), name=tag))
        )
    if kind in ResourceKind.values:
        resources = resources.filter(kind=kind)
    return resources.order_by(Lower("title"), "pk")


@dataclass(frozen=True)
class TagCount:
    name: str
    count: int


def library_tags(*, program: Program) -> list[TagCount]:
    """The tags of the library's resources with how many carry each, by name (one query)."""
    shown = Resource.objects.filter(shown_in_library_q(program)).values("pk")
    rows = (
        ResourceTag.objects.filter(resource_id__in=shown)
        .values("name")
        .annotate(count=Count("pk"))
        .order_by("name")
    )
    return [TagCount(name=row["name"], count=row["count"]) for row in rows]


def resources_for_manager(*, program: Program) -> list[Resource]:
    """The program's own resources (archived last) for its managers' page."""
    return list(
        _resources()
        .filter(program=program)
        .select_related("created_by__profile")
        .order_by("is_archived", Lower("title"), "pk")
    )


def builtins_for_manager(*, program: Program) -> list[Resource]:
    """The built-in guides, each with ``is_hidden`` in the program."""
    return list(
        _resources()
        .filter(program__isnull=True, is_archived=False)
        .annotate(is_hidden=_hidden_in(program.pk))
        .order_by(Lower("title"), "pk")
    )


# One resource -----------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceAccess:
    """A resource and what one person may do with it."""

    resource: Resource
    can_manage: bool


def _recommended_to(resource: Resource, user: Any) -> bool:
    return Recommendation.objects.filter(
        participant_filter(user.pk, path="mentorship__"), resource=resource
    ).exists()


def resource_for(*, resource_id: Any, user: Any) -> ResourceAccess:
    """The resource (program and tags loaded) if user may read it; NotFoundError otherwise."""
    resource = _resources().filter(pk=resource_id).first() if _is_id(resource_id) else None
    if resource is None or not _is_signed_in(user):
        raise NotFoundError("No such resource.")
    if resource.program is None:
        can_manage = bool(user.is_staff)
        if not resource.is_archived or can_manage or _recommended_to(resource, user):
            return ResourceAccess(resource=resource, can_manage=can_manage)
        raise NotFoundError("No such resource.")
    can_manage = program_can_manage(program=resource.program, user=user)
    if can_manage:
        return ResourceAccess(resource=resource, can_manage=True)
    if not resource.is_archived and is_participant_of(program=resource.program, user=user):
        return ResourceAccess(resource=resource, can_manage=False)
    if _recommended_to(resource, user):
        return ResourceAccess(resource=resource, can_manage=False)
    raise NotFoundError("No such resource.")


def _ongoing_mentorships() -> QuerySet[Mentorship]:
    return Mentorship.objects.select_related(
        "program", "program__organisation", "mentor__profile", "mentee__profile"
    ).prefetch_related(current_members_prefetch())


def recommendable_mentorships(*, resource: Resource, user: Any) -> list[Mentorship]:
    """The mentorships user mentors now into which the resource may be recommended.

    Active or paused, in a program whose library shows it, not recommended there yet.
    """
    if not _is_signed_in(user) or resource.is_archived:
        return []
    mentorships = _ongoing_mentorships().filter(mentor_id=user.pk, status__in=OPEN_STATUSES)
    if resource.program_id is not None:
        mentorships = mentorships.filter(program_id=resource.program_id)
    else:
        mentorships = mentorships.exclude(
            Exists(
                ProgramHiddenResource.objects.filter(
                    program_id=OuterRef("program_id"), resource=resource
                )
            )
        )
    already = Recommendation.objects.filter(mentorship_id=OuterRef("pk"), resource=resource)
    return list(mentorships.exclude(Exists(already)).order_by("-started_at", "-pk"))


# A mentorship's recommendations -------------------------------------------------------


def resources_role(*, mentorship: Mentorship, user: Any) -> str | None:
    """ "mentor", "mentee" (a pair's or a current member), "manager" (managers, staff) or None."""
    return mentorship_role(mentorship=mentorship, user=user)


def sees_notes(role: str | None) -> bool:
    """The mentor's notes are for the mentorship's people only, never its managers."""
    return role in PARTICIPANT_ROLES


def is_open(mentorship: Mentorship) -> bool:
    return mentorship.status in OPEN_STATUSES


def may_recommend(*, mentorship: Mentorship, user: Any) -> bool:
    """The mentor (of a pair or a group) while the mentorship is active or paused."""
    return _is_signed_in(user) and user.pk == mentorship.mentor_id and is_open(mentorship)


def may_mark_done(*, mentorship: Mentorship, user: Any) -> bool:
    """A pair's mentee or a group's current member while it is active or paused."""
    return _is_signed_in(user) and user.pk in mentorship.mentee_ids() and is_open(mentorship)


def mentorship_for_resources(*, mentorship_id: Any, user: Any) -> tuple[Mentorship, str]:
    """The mentorship and user's role in it; NotFoundError for anyone who may not see it."""
    mentorship = (
        _ongoing_mentorships().filter(pk=mentorship_id).first() if _is_id(mentorship_id) else None
    )
    role = mentorship_role(mentorship=mentorship, user=user) if mentorship else None
    if mentorship is None or role is None:
        raise NotFoundError("No such mentorship.")
    return mentorship, role


def _recommendations() -> QuerySet[Recommendation]:
    return Recommendation.objects.select_related(
        "resource", "recommended_by__profile", "completed_by__profile"
    )


def recommendations_for(
    *, mentorship: Mentorship, limit: int | None = None
) -> list[Recommendation]:
    """The mentorship's recommendations, newest first, in one query (two with tags).

    With ``limit``, the newest ``limit`` only (for the mentorship page's card).
    """
    found = _recommendations().filter(mentorship=mentorship).order_by("-created_at", "-pk")
    if limit is None:
        found = found.prefetch_related(Prefetch("resource__tags"))
        recommendations = list(found)
    else:
        recommendations = list(found[:limit])
    for recommendation in recommendations:
        recommendation.mentorship = mentorship
    return recommendations


def recommendation_for(*, recommendation_id: Any, user: Any) -> tuple[Recommendation, str]:
    """The recommendation with its mentorship and user's role in it; else NotFoundError."""
    mentorship_id = None
    if _is_id(recommendation_id):
        mentorship_id = (
            Recommendation.objects.filter(pk=recommendation_id)
            .values_list("mentorship_id", flat=True)
            .first()
        )
    if mentorship_id is None:
        raise NotFoundError("No such recommendation.")
    try:
        mentorship, role = mentorship_for_resources(mentorship_id=mentorship_id, user=user)
    except NotFoundError as error:
        raise NotFoundError("No such recommendation.") from error
    recommendation = _recommendations().get(pk=recommendation_id)
    recommendation.mentorship = mentorship
    return recommendation, role


def library_choices_for(*, mentorship: Mentorship, search: str = "") -> list[Resource]:
    """What the mentor may recommend into the mentorship: the library's resources not
    recommended there yet, matching the search, at most MAX_CHOICES (by title)."""
    already = Recommendation.objects.filter(mentorship=mentorship, resource_id=OuterRef("pk"))
    resources = resources_in_library(program=mentorship.program, search=search).exclude(
        Exists(already)
    )
    return list(resources[:MAX_CHOICES])


@dataclass(frozen=True)
class RecommendationCounts:
    total: int
    done: int


def recommendation_counts(*, mentorship: Mentorship) -> RecommendationCounts:
    """How many resources were recommended into the mentorship, and how many are done."""
    counts = Recommendation.objects.filter(mentorship=mentorship).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(completed_at__isnull=False))
    )
    return RecommendationCounts(total=counts["total"], done=counts["done"])

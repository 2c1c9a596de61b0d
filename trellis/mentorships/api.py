"""REST endpoints for mentorships, requests and offers (mounted at /api/v1/)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from trellis.accounts.models import User
from trellis.core.errors import PermissionDeniedError
from trellis.matching.selectors import mentor_candidates
from trellis.mentorships import selectors, services
from trellis.mentorships.models import Mentorship, MentorshipOffer, MentorshipRequest
from trellis.programs.models import Program
from trellis.programs.selectors import program_for_manager

router = Router(tags=["mentorships"])

RoleName = Literal["mentor", "mentee"]


class PersonOut(Schema):
    id: int
    display_name: str


class ProgramRefOut(Schema):
    id: int
    slug: str
    name: str


class MemberOut(Schema):
    mentee: PersonOut
    joined_at: dt.datetime
    source: str
    score: float | None = Field(
        description="Match score; shown to the mentor, managers and the member themself."
    )
    reasons: list[str] = Field(description="Why they were matched; same audience as the score.")


class MentorshipOut(Schema):
    id: int
    program: ProgramRefOut
    is_group: bool = Field(description="A mentor's group (group programs): see members.")
    mentor: PersonOut
    mentee: PersonOut | None = Field(description="A pair's mentee; empty for a group.")
    members: list[MemberOut] = Field(description="A group's current members; empty for a pair.")
    status: str
    source: str
    score: float | None = Field(description="Match score from 0 to 100, when one was computed.")
    reasons: list[str] = Field(description="Why the pair was matched, in words.")
    started_at: dt.datetime
    ended_at: dt.datetime | None
    expected_end_on: dt.date | None
    paused_at: dt.datetime | None
    completed_at: dt.datetime | None
    ended_reason: str = Field(description="Why it ended early; empty otherwise.")
    ended_note: str
    confirmed_by_mentor: bool = Field(description="For a proposal: the mentor confirmed.")
    confirmed_by_mentee: bool = Field(description="For a proposal: the mentee confirmed.")


class ProposeIn(Schema):
    mentor_id: int
    mentee_id: int


class EndIn(Schema):
    reason: str = Field(description="goals_met, no_time, not_a_good_fit, left_program or other.")
    note: str = Field(default="", description="Required when the reason is other.")


class LeaveIn(Schema):
    reason: str = Field(description="goals_met, no_time, not_a_good_fit, left_program or other.")
    note: str = Field(default="", description="Required when the reason is other.")


class RemoveIn(Schema):
    mentee_id: int = Field(description="The member to take out of the group.")
    note: str = Field(description="Why; the member is told.")


class ExtendIn(Schema):
    until: dt.date = Field(description="The new expected end date.")


class RequestOut(Schema):
    id: int
    program: ProgramRefOut
    mentor: PersonOut
    mentee: PersonOut
    status: str
    message: str
    response_note: str
    info_question: str
    info_reply: str
    created_at: dt.datetime
    expires_at: dt.datetime
    decided_at: dt.datetime | None
    mentorship_id: int | None
    rollover_of_id: int | None = Field(
        description="The expired request this one was sent on from, automatically."
    )


class OfferOut(Schema):
    id: int
    program: ProgramRefOut
    mentor: PersonOut
    mentee: PersonOut
    status: str
    message: str
    response_note: str
    created_at: dt.datetime
    expires_at: dt.datetime
    decided_at: dt.datetime | None
    mentorship_id: int | None


class CandidateOut(Schema):
    mentor: PersonOut
    score: float
    reasons: list[str]
    places_left: int


class RequestIn(Schema):
    mentor_id: int
    message: str


class OfferIn(Schema):
    mentee_id: int
    message: str


class NoteIn(Schema):
    note: str = ""


class QuestionIn(Schema):
    question: str


class ReplyIn(Schema):
    message: str


class ListFilters(Schema):
    program: str | None = Field(default=None, description="A program's slug.")
    role: RoleName | None = Field(
        default=None, description="Only those where you are the mentee, or the mentor."
    )


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "display_name": user.display_name}


def _program(program: Program) -> dict[str, Any]:
    return {"id": program.pk, "slug": program.slug, "name": program.name}


def _member_out(member: Any, *, with_match: bool) -> dict[str, Any]:
    return {
        "mentee": _person(member.mentee),
        "joined_at": member.joined_at,
        "source": member.source,
        "score": member.score if with_match else None,
        "reasons": list(member.reasons or []) if with_match else [],
    }


def _mentorship_out(mentorship: Mentorship, viewer: User) -> dict[str, Any]:
    # A member sees their own match reasons, not the other members'.
    sees_all = viewer.pk not in mentorship.mentee_ids()
    return {
        "id": mentorship.pk,
        "program": _program(mentorship.program),
        "is_group": mentorship.is_group,
        "mentor": _person(mentorship.mentor),
        "mentee": _person(mentorship.mentee) if mentorship.mentee is not None else None,
        "members": [
            _member_out(member, with_match=sees_all or member.mentee_id == viewer.pk)
            for member in mentorship.current_group_members()
        ],
        "status": mentorship.status,
        "source": mentorship.source,
        "score": mentorship.score,
        "reasons": list(mentorship.reasons or []),
        "started_at": mentorship.started_at,
        "ended_at": mentorship.ended_at,
        "expected_end_on": mentorship.expected_end_on,
        "paused_at": mentorship.paused_at,
        "completed_at": mentorship.completed_at,
        "ended_reason": mentorship.ended_reason,
        "ended_note": mentorship.ended_note,
        "confirmed_by_mentor": mentorship.confirmed_by_mentor,
        "confirmed_by_mentee": mentorship.confirmed_by_mentee,
    }


def _request_out(item: MentorshipRequest) -> dict[str, Any]:
    return {
        "id": item.pk,
        "program": _program(item.program),
        "mentor": _person(item.mentor),
        "mentee": _person(item.mentee),
        "status": item.status,
        "message": item.message,
        "response_note": item.response_note,
        "info_question": item.info_question,
        "info_reply": item.info_reply,
        "created_at": item.created_at,
        "expires_at": item.expires_at,
        "decided_at": item.decided_at,
        "mentorship_id": item.mentorship_id,
        "rollover_of_id": item.rollover_of_id,
    }


def _offer_out(offer: MentorshipOffer) -> dict[str, Any]:
    return {
        "id": offer.pk,
        "program": _program(offer.program),
        "mentor": _person(offer.mentor),
        "mentee": _person(offer.mentee),
        "status": offer.status,
        "message": offer.message,
        "response_note": offer.response_note,
        "created_at": offer.created_at,
        "expires_at": offer.expires_at,
        "decided_at": offer.decided_at,
        "mentorship_id": offer.mentorship_id,
    }


def _other_person(user_id: int, field: str) -> User:
    person = User.objects.filter(pk=user_id, is_active=True).select_related("profile").first()
    if person is None:
        raise ValidationError({field: ["No such person."]})
    return person


def _program_filter(user: User, slug: str | None) -> Program | None:
    if slug is None:
        return None
    return selectors.participation_for(slug=slug, user=user).program


# Mentorships ------------------------------------------------------------------------------


@router.get("/mentorships", response=list[MentorshipOut], summary="Your mentorships")
def mentorship_list(request: HttpRequest, include_ended: bool = False) -> list[dict[str, Any]]:
    user = _user(request)
    mentorships = selectors.mentorship_list_for_user(user=user, include_ended=include_ended)
    return [_mentorship_out(m, user) for m in mentorships]


@router.get(
    "/mentorships/{mentorship_id}",
    response=MentorshipOut,
    summary="A mentorship (the pair, the program's managers and staff)",
)
def mentorship_get(request: HttpRequest, mentorship_id: int) -> dict[str, Any]:
    user = _user(request)
    mentorship = selectors.mentorship_detail(mentorship_id=mentorship_id, user=user)
    return _mentorship_out(mentorship, user)


@router.post(
    "/programs/{slug}/mentorships",
    response={201: MentorshipOut},
    summary="Propose a pair (the program's managers); it starts once both confirm",
)
def mentorship_propose(request: HttpRequest, slug: str, payload: ProposeIn) -> Status[Any]:
    user = _user(request)
    program = program_for_manager(slug=slug, user=user)
    mentorship = services.mentorship_propose(
        program=program,
        mentor=_other_person(payload.mentor_id, "mentor_id"),
        mentee=_other_person(payload.mentee_id, "mentee_id"),
        by=user,
    )
    return Status(201, _mentorship_out(mentorship, user))


def _visible_mentorship(request: HttpRequest, mentorship_id: int) -> Mentorship:
    return selectors.mentorship_detail(mentorship_id=mentorship_id, user=_user(request))


@router.post(
    "/mentorships/{mentorship_id}/confirm",
    response=MentorshipOut,
    summary="Confirm a proposed mentorship (the mentor or the mentee)",
)
def mentorship_confirm(request: HttpRequest, mentorship_id: int) -> dict[str, Any]:
    mentorship = _visible_mentorship(request, mentorship_id)
    return _mentorship_out(
        services.mentorship_confirm(mentorship=mentorship, by=_user(request)), _user(request)
    )


@router.post(
    "/mentorships/{mentorship_id}/decline",
    response=MentorshipOut,
    summary="Decline a proposed mentorship (the mentor or the mentee)",
)
def mentorship_decline(
    request: HttpRequest, mentorship_id: int, payload: NoteIn | None = None
) -> dict[str, Any]:
    mentorship = _visible_mentorship(request, mentorship_id)
    note = payload.note if payload else ""
    return _mentorship_out(
        services.mentorship_decline(mentorship=mentorship, by=_user(request), note=note),
        _user(request),
    )


@router.post(
    "/mentorships/{mentorship_id}/pause",
    response=MentorshipOut,
    summary="Pause an active mentorship (the pair or the program's managers)",
)
def mentorship_pause(
    request: HttpRequest, mentorship_id: int, payload: NoteIn | None = None
) -> dict[str, Any]:
    mentorship = _visible_mentorship(request, mentorship_id)
    note = payload.note if payload else ""
    return _mentorship_out(
        services.mentorship_pause(mentorship=mentorship, by=_user(request), note=note),
        _user(request),
    )


@router.post(
    "/mentorships/{mentorship_id}/resume",
    response=MentorshipOut,
    summary="Resume a paused mentorship (the pair or the program's managers)",
)
def mentorship_resume(request: HttpRequest, mentorship_id: int) -> dict[str, Any]:
    mentorship = _visible_mentorship(request, mentorship_id)
    return _mentorship_out(
        services.mentorship_resume(mentorship=mentorship, by=_user(request)), _user(request)
    )


@router.post(
    "/mentorships/{mentorship_id}/complete",
    response=MentorshipOut,
    summary="Mark the mentorship completed (the pair or the program's managers)",
)
def mentorship_complete(
    request: HttpRequest, mentorship_id: int, payload: NoteIn | None = None
) -> dict[str, Any]:
    mentorship = _visible_mentorship(request, mentorship_id)
    note = payload.note if payload else ""
    return _mentorship_out(
        services.mentorship_complete(mentorship=mentorship, by=_user(request), note=note),
        _user(request),
    )


@router.post(
    "/mentorships/{mentorship_id}/end",
    response=MentorshipOut,
    summary="End the mentorship early, with a reason (the pair or the program's managers)",
)
def mentorship_end(request: HttpRequest, mentorship_id: int, payload: EndIn) -> dict[str, Any]:
    mentorship = _visible_mentorship(request, mentorship_id)
    return _mentorship_out(
        services.mentorship_end(
            mentorship=mentorship, by=_user(request), reason=payload.reason, note=payload.note
        ),
        _user(request),
    )


@router.post(
    "/mentorships/{mentorship_id}/extend",
    response=MentorshipOut,
    summary="Move the expected end to a later date (the pair or the program's managers)",
)
def mentorship_extend(
    request: HttpRequest, mentorship_id: int, payload: ExtendIn
) -> dict[str, Any]:
    mentorship = _visible_mentorship(request, mentorship_id)
    return _mentorship_out(
        services.mentorship_extend(mentorship=mentorship, by=_user(request), until=payload.until),
        _user(request),
    )


@router.post(
    "/mentorships/{mentorship_id}/rematch",
    response=MentorshipOut,
    summary="End the mentorship so the mentee can be matched again",
)
def mentorship_rematch(
    request: HttpRequest, mentorship_id: int, payload: NoteIn | None = None
) -> dict[str, Any]:
    mentorship = _visible_mentorship(request, mentorship_id)
    note = payload.note if payload else ""
    return _mentorship_out(
        services.mentorship_rematch(mentorship=mentorship, by=_user(request), note=note),
        _user(request),
    )


@router.post(
    "/mentorships/{mentorship_id}/leave",
    response=MentorshipOut,
    summary="Leave a group, with a reason (a member of the group)",
)
def group_leave(request: HttpRequest, mentorship_id: int, payload: LeaveIn) -> dict[str, Any]:
    mentorship = _visible_mentorship(request, mentorship_id)
    user = _user(request)
    return _mentorship_out(
        services.group_leave(
            mentorship=mentorship, by=user, reason=payload.reason, note=payload.note
        ),
        user,
    )


@router.post(
    "/mentorships/{mentorship_id}/remove",
    response=MentorshipOut,
    summary="Take a member out of a group (the group's mentor or the program's managers)",
)
def group_member_remove(
    request: HttpRequest, mentorship_id: int, payload: RemoveIn
) -> dict[str, Any]:
    mentorship = _visible_mentorship(request, mentorship_id)
    user = _user(request)
    mentee = next((p for p in mentorship.mentees() if p.pk == payload.mentee_id), None)
    if mentee is None:
        raise ValidationError({"mentee_id": ["This person is not in the group."]})
    return _mentorship_out(
        services.group_member_remove(
            mentorship=mentorship, mentee=mentee, by=user, note=payload.note
        ),
        user,
    )


@router.get(
    "/programs/{slug}/mentors",
    response=list[CandidateOut],
    summary="Mentors you may ask in a program, best match first (mentees)",
)
def mentor_list(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    user = _user(request)
    participation = selectors.participation_for(slug=slug, user=user)
    if not participation.is_mentee:
        raise PermissionDeniedError("Only the program's mentees browse its mentors.")
    candidates = mentor_candidates(program=participation.program, mentee=user)
    return [
        {
            "mentor": _person(candidate.user),
            "score": candidate.score,
            "reasons": list(candidate.reasons),
            "places_left": candidate.places_left,
        }
        for candidate in candidates
        if candidate.is_eligible and candidate.user.pk != user.pk
    ]


# Requests ---------------------------------------------------------------------------------


@router.get(
    "/mentorship-requests",
    response=list[RequestOut],
    summary="Requests you sent (as mentee) and received (as mentor)",
)
def request_list(request: HttpRequest, filters: Query[ListFilters]) -> list[dict[str, Any]]:
    user = _user(request)
    program = _program_filter(user, filters.program)
    items = selectors.request_list_for_user(user=user, program=program, role=filters.role)
    return [_request_out(item) for item in items]


@router.post(
    "/programs/{slug}/mentorship-requests",
    response={201: RequestOut},
    summary="Ask a mentor to mentor you",
)
def request_create(request: HttpRequest, slug: str, payload: RequestIn) -> Status[Any]:
    user = _user(request)
    participation = selectors.participation_for(slug=slug, user=user)
    item = services.request_send(
        program=participation.program,
        mentee=user,
        mentor=_other_person(payload.mentor_id, "mentor_id"),
        message=payload.message,
    )
    return Status(201, _request_out(item))


def _visible_request(request: HttpRequest, request_id: int) -> MentorshipRequest:
    return selectors.request_visible_to(request_id=request_id, user=_user(request))


@router.post(
    "/mentorship-requests/{request_id}/accept",
    response=MentorshipOut,
    summary="Accept a request (the mentor asked); the mentorship starts",
)
def request_accept(request: HttpRequest, request_id: int) -> dict[str, Any]:
    item = _visible_request(request, request_id)
    mentorship = services.request_accept(request=item, by=_user(request))
    return _mentorship_out(mentorship, _user(request))


@router.post(
    "/mentorship-requests/{request_id}/decline",
    response=RequestOut,
    summary="Decline a request (the mentor asked), with an optional note",
)
def request_decline(
    request: HttpRequest, request_id: int, payload: NoteIn | None = None
) -> dict[str, Any]:
    item = _visible_request(request, request_id)
    note = payload.note if payload else ""
    return _request_out(services.request_decline(request=item, by=_user(request), note=note))


@router.post(
    "/mentorship-requests/{request_id}/ask-info",
    response=RequestOut,
    summary="Ask the mentee for more information (the mentor asked)",
)
def request_ask_info(request: HttpRequest, request_id: int, payload: QuestionIn) -> dict[str, Any]:
    item = _visible_request(request, request_id)
    return _request_out(
        services.request_ask_info(request=item, by=_user(request), question=payload.question)
    )


@router.post(
    "/mentorship-requests/{request_id}/reply",
    response=RequestOut,
    summary="Answer the mentor's question (the mentee)",
)
def request_reply(request: HttpRequest, request_id: int, payload: ReplyIn) -> dict[str, Any]:
    item = _visible_request(request, request_id)
    return _request_out(
        services.request_reply_info(request=item, by=_user(request), message=payload.message)
    )


@router.post(
    "/mentorship-requests/{request_id}/withdraw",
    response=RequestOut,
    summary="Withdraw your request (the mentee)",
)
def request_withdraw(request: HttpRequest, request_id: int) -> dict[str, Any]:
    item = _visible_request(request, request_id)
    return _request_out(services.request_withdraw(request=item, by=_user(request)))


# Offers -------------------------------------------------------------------------------------


@router.get(
    "/mentorship-offers",
    response=list[OfferOut],
    summary="Offers you made (as mentor) and received (as mentee)",
)
def offer_list(request: HttpRequest, filters: Query[ListFilters]) -> list[dict[str, Any]]:
    user = _user(request)
    program = _program_filter(user, filters.program)
    offers = selectors.offer_list_for_user(user=user, program=program, role=filters.role)
    return [_offer_out(offer) for offer in offers]


@router.post(
    "/programs/{slug}/mentorship-offers",
    response={201: OfferOut},
    summary="Offer to mentor a mentee",
)
def offer_create(request: HttpRequest, slug: str, payload: OfferIn) -> Status[Any]:
    user = _user(request)
    participation = selectors.participation_for(slug=slug, user=user)
    offer = services.offer_send(
        program=participation.program,
        mentor=user,
        mentee=_other_person(payload.mentee_id, "mentee_id"),
        message=payload.message,
    )
    return Status(201, _offer_out(offer))


def _visible_offer(request: HttpRequest, offer_id: int) -> MentorshipOffer:
    return selectors.offer_visible_to(offer_id=offer_id, user=_user(request))


@router.post(
    "/mentorship-offers/{offer_id}/accept",
    response=MentorshipOut,
    summary="Take up an offer (the mentee); the mentorship starts",
)
def offer_accept(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    offer = _visible_offer(request, offer_id)
    return _mentorship_out(services.offer_accept(offer=offer, by=_user(request)), _user(request))


@router.post(
    "/mentorship-offers/{offer_id}/decline",
    response=OfferOut,
    summary="Decline an offer (the mentee), with an optional note",
)
def offer_decline(
    request: HttpRequest, offer_id: int, payload: NoteIn | None = None
) -> dict[str, Any]:
    offer = _visible_offer(request, offer_id)
    note = payload.note if payload else ""
    return _offer_out(services.offer_decline(offer=offer, by=_user(request), note=note))


@router.post(
    "/mentorship-offers/{offer_id}/withdraw",
    response=OfferOut,
    summary="Withdraw your offer (the mentor)",
)
def offer_withdraw(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    offer = _visible_offer(request, offer_id)
    return _offer_out(services.offer_withdraw(offer=offer, by=_user(request)))

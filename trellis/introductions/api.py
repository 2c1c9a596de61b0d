"""REST endpoints for introductions (mounted at /api/v1/).

An introduction is seen by its three people only (404 for anyone else, the program's
managers and staff included). Each sees its state in their own words (``state``), and
the other side's contact details only once both accepted. The outside person's answer
needs no account: the token from their email is the key (rate-limited per address).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from trellis.accounts.models import User
from trellis.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from trellis.introductions import selectors, services
from trellis.introductions.models import Introduction

router = Router(tags=["introductions"])


class PersonOut(Schema):
    id: int | None = Field(description="Null for someone outside Trellis.")
    name: str
    headline: str = ""


class ContactOut(PersonOut):
    is_outside: bool
    email: str | None = Field(
        description="An outside person's address: for the introducer, and for the mentee "
        "once both accepted; null otherwise."
    )


class IntroductionOut(Schema):
    id: int
    program_id: int
    mentorship_id: int | None = Field(description="For the introducer and the mentee only.")
    role: str = Field(description="Yours: introducer, mentee or contact.")
    state: str = Field(
        description="As you may know it: waiting_for_you, you_accepted, waiting, accepted, "
        "you_said_not_now, not_now or cancelled."
    )
    state_label: str
    my_answer: str | None = Field(
        description="pending, accepted or not_now; null for the introducer."
    )
    can_answer: bool
    can_cancel: bool
    introducer: PersonOut
    mentee: PersonOut
    contact: ContactOut
    message: str
    conversation_id: int | None = Field(description="The conversation of the three, once accepted.")
    expires_at: dt.datetime
    accepted_at: dt.datetime | None
    created_at: dt.datetime


class IntroductionIn(Schema):
    mentee_id: int | None = Field(None, description="Required in a group: which member.")
    contact_id: int | None = Field(None, description="A participant of the program, or...")
    contact_name: str = Field("", description="...someone outside Trellis: their name...")
    contact_email: str = Field("", description="...and their email address.")
    message: str = Field(description="Why they should meet (both read it).")


class ContactChoiceOut(Schema):
    id: int
    name: str
    headline: str


class AskOut(Schema):
    introducer_name: str
    mentee_name: str
    contact_name: str
    program_name: str
    message: str
    expires_at: dt.datetime


class AnswerIn(Schema):
    answer: Literal["accept", "not_now"]


class AnsweredOut(Schema):
    answer: str
    is_accepted: bool = Field(description="True once both said yes (the emails are on their way).")


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _person(user: Any, *, headline: bool = True) -> dict[str, Any]:
    profile = getattr(user, "profile", None)
    return {
        "id": user.pk,
        "name": str(user.display_name),
        "headline": str(getattr(profile, "headline", "") or "") if headline else "",
    }


def _out(view: selectors.IntroductionView) -> dict[str, Any]:
    introduction: Introduction = view.introduction
    if introduction.contact is not None:
        contact = {**_person(introduction.contact), "is_outside": False, "email": None}
    else:
        contact = {
            "id": None,
            "name": introduction.contact_name,
            "headline": "",
            "is_outside": True,
            "email": view.contact_email or None,
        }
    my_answer = None
    if view.role == "mentee":
        my_answer = introduction.mentee_answer
    elif view.role == "contact":
        my_answer = introduction.contact_answer
    return {
        "id": introduction.pk,
        "program_id": introduction.program_id,
        "mentorship_id": introduction.mentorship_id if view.role != "contact" else None,
        "role": view.role,
        "state": view.state,
        "state_label": view.state_label,
        "my_answer": my_answer,
        "can_answer": view.can_answer,
        "can_cancel": view.can_cancel,
        "introducer": _person(introduction.introducer),
        "mentee": _person(introduction.mentee),
        "contact": contact,
        "message": introduction.message,
        "conversation_id": view.conversation_id,
        "expires_at": introduction.expires_at,
        "accepted_at": introduction.accepted_at if view.is_accepted else None,
        "created_at": introduction.created_at,
    }


def _view(request: HttpRequest, introduction_id: int) -> selectors.IntroductionView:
    return selectors.introduction_for(introduction_id=introduction_id, user=_user(request))


# Making and reading -------------------------------------------------------------------------


def _mentor_mentorship(request: HttpRequest, mentorship_id: int) -> Any:
    user = _user(request)
    mentorship, role = selectors.mentorship_for_introductions(
        mentorship_id=mentorship_id, user=user
    )
    if role != "mentor":
        raise PermissionDeniedError("Only the mentor introduces their mentee to someone.")
    return mentorship


@router.get(
    "/mentorships/{mentorship_id}/introductions/contacts",
    response=list[ContactChoiceOut],
    summary="Participants the mentor may introduce their mentee to (search by name or headline)",
)
def contact_list(request: HttpRequest, mentorship_id: int, q: str = "") -> list[dict[str, Any]]:
    mentorship = _mentor_mentorship(request, mentorship_id)
    return [
        {"id": person.pk, "name": str(person.display_name), "headline": person.profile.headline}
        for person in selectors.contact_choices(mentorship=mentorship, query=q)
    ]


@router.post(
    "/mentorships/{mentorship_id}/introductions",
    response={201: IntroductionOut},
    summary="Introduce your mentee to a participant or to someone outside (both are asked)",
)
def introduction_create(
    request: HttpRequest, mentorship_id: int, payload: IntroductionIn
) -> Status[Any]:
    user = _user(request)
    mentorship = _mentor_mentorship(request, mentorship_id)
    mentees = mentorship.mentees()
    if payload.mentee_id is None:
        if len(mentees) != 1:
            raise ValidationError({"mentee_id": "Say which member you introduce."})
        mentee = mentees[0]
    else:
        mentee = next((person for person in mentees if person.pk == payload.mentee_id), None)
        if mentee is None:
            raise ValidationError({"mentee_id": "Pick one of your mentees."})
    contact = None
    if payload.contact_id is not None:
        contact = selectors.contact_choice(mentorship=mentorship, user_id=payload.contact_id)
        if contact is None:
            raise ValidationError({"contact_id": "Pick a participant of the program."})
    introduction = services.introduction_create(
        mentorship=mentorship,
        by=user,
        mentee=mentee,
        message=payload.message,
        contact=contact,
        contact_name=payload.contact_name,
        contact_email=payload.contact_email,
    )
    return Status(201, _out(_view(request, introduction.pk)))


@router.get(
    "/introductions",
    response=list[IntroductionOut],
    summary="Introductions you made or are asked in, newest first",
)
def introduction_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_out(view) for view in selectors.introductions_of(user=_user(request))]


@router.get("/introductions/{introduction_id}", response=IntroductionOut, summary="One")
def introduction_detail(request: HttpRequest, introduction_id: int) -> dict[str, Any]:
    return _out(_view(request, introduction_id))


def _act(request: HttpRequest, introduction_id: int, service: Any) -> dict[str, Any]:
    view = _view(request, introduction_id)
    service(introduction=view.introduction, by=_user(request))
    return _out(_view(request, introduction_id))


@router.post(
    "/introductions/{introduction_id}/accept",
    response=IntroductionOut,
    summary="Say yes (the mentee or the contact); the second yes opens the way",
)
def introduction_accept(request: HttpRequest, introduction_id: int) -> dict[str, Any]:
    return _act(request, introduction_id, services.introduction_accept)


@router.post(
    "/introductions/{introduction_id}/not-now",
    response=IntroductionOut,
    summary="Say not now (the mentee or the contact); it ends quietly",
)
def introduction_decline(request: HttpRequest, introduction_id: int) -> dict[str, Any]:
    return _act(request, introduction_id, services.introduction_decline)


@router.post(
    "/introductions/{introduction_id}/cancel",
    response=IntroductionOut,
    summary="Cancel it while it waits (the introducer)",
)
def introduction_cancel(request: HttpRequest, introduction_id: int) -> dict[str, Any]:
    return _act(request, introduction_id, services.introduction_cancel)


# The outside person's link ----------------------------------------------------------------


def _client(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def _asked(request: HttpRequest, token: str) -> Introduction:
    services.answer_rate_check(client=_client(request))
    introduction = selectors.introduction_by_token(token=token)
    if introduction is None:
        raise NotFoundError("This link is no longer valid.")
    return introduction


@router.get(
    "/introduction-answers/{token}",
    response=AskOut,
    auth=None,
    summary="What an outside person is asked (no account: the emailed token is the key)",
)
def answer_read(request: HttpRequest, token: str) -> dict[str, Any]:
    introduction = _asked(request, token)
    return {
        "introducer_name": str(introduction.introducer.display_name),
        "mentee_name": str(introduction.mentee.display_name),
        "contact_name": introduction.contact_name,
        "program_name": introduction.program.name,
        "message": introduction.message,
        "expires_at": introduction.expires_at,
    }


@router.post(
    "/introduction-answers/{token}",
    response=AnsweredOut,
    auth=None,
    summary="An outside person answers: accept or not_now (no account; the token is the key)",
)
def answer_send(request: HttpRequest, token: str, payload: AnswerIn) -> dict[str, Any]:
    _asked(request, token)
    introduction = services.introduction_answer_by_token(
        token=token, accept=payload.answer == "accept"
    )
    return {"answer": payload.answer, "is_accepted": introduction.status == "accepted"}

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    is_staff: bool
    has_profile: bool


@router.get("/me", response=MeOut, summary="The signed-in person")
def me(request: HttpRequest) -> MeOut:
    user = request.auth  # type: ignore[attr-defined]
    return MeOut(
        id=user.pk,
        email=user.email,
        display_name=user.display_name,
        is_staff=user.is_staff,
        has_profile=hasattr(user, "profile"),
    )

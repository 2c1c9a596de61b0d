"""Profiles over the REST API: /api/v1/profile (your own) and /api/v1/profile/{user_id}."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, StrictInt

from trellis.profiles import selectors, services
from trellis.profiles.models import AvailabilityWindow, Profile
from trellis.scheduling import availability
from trellis.scheduling.models import AvailabilityException

router = Router(tags=["profiles"])


class AvailabilityWindowSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    # Strict: JSON true or "3" is a mistake, not a weekday.
    weekday: StrictInt
    start_time: datetime.time
    end_time: datetime.time


class AvailabilityIn(Schema):
    model_config = ConfigDict(extra="forbid")

    windows: list[AvailabilityWindowSchema]


class AvailabilityOut(Schema):
    windows: list[AvailabilityWindowSchema]


class PublicProfileOut(Schema):
    """What every signed-in person may see of a profile."""

    user_id: int
    display_name: str
    pronouns: str
    headline: str
    bio: str
    photo_url: str | None
    time_zone: str
    languages: list[str]
    city: str
    country: str
    organisation: str
    department: str
    seniority: int | None
    skills_offered: list[str]
    skills_sought: list[str]
    interests: list[str]
    values: list[str]
    goals: str
    communication_modes: list[str]
    meeting_frequency: str
    availability: list[AvailabilityWindowSchema]

    @staticmethod
    def resolve_photo_url(profile: Profile) -> str | None:
        return profile.photo.url if profile.photo else None

    @staticmethod
    def resolve_country(profile: Profile) -> str:
        return str(profile.country or "")

    @staticmethod
    def resolve_availability(profile: Profile) -> list[AvailabilityWindow]:
        return list(profile.availability.all())


class ProfileOut(PublicProfileOut):
    """Your own profile: the public part and what only you see."""

    email: str
    manager_email: str | None
    contact_hours_start: datetime.time | None
    contact_hours_end: datetime.time | None
    quiet_hours_start: datetime.time | None
    quiet_hours_end: datetime.time | None
    updated_at: datetime.datetime

    @staticmethod
    def resolve_email(profile: Profile) -> str:
        return profile.user.email

    @staticmethod
    def resolve_manager_email(profile: Profile) -> str | None:
        return profile.manager.email if profile.manager is not None else None


class ProfilePatchIn(Schema):
    """Fields to change; leave out the ones to keep. Tags are normalized to lower case."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = None
    pronouns: str | None = None
    headline: str | None = None
    bio: str | None = None
    time_zone: str | None = None
    languages: list[str] | None = None
    city: str | None = None
    country: str | None = None
    organisation: str | None = None
    department: str | None = None
    manager_email: str | None = None
    seniority: StrictInt | None = None
    skills_offered: list[str] | None = None
    skills_sought: list[str] | None = None
    interests: list[str] | None = None
    values: list[str] | None = None
    goals: str | None = None
    communication_modes: list[str] | None = None
    contact_hours_start: datetime.time | None = None
    contact_hours_end: datetime.time | None = None
    quiet_hours_start: datetime.time | None = None
    quiet_hours_end: datetime.time | None = None
    meeting_frequency: str | None = None


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


def _own_profile(request: HttpRequest) -> Profile:
    return services.profile_get_or_create(user=request.auth)  # type: ignore[attr-defined]


@router.get("", response=ProfileOut, summary="Your profile")
def profile_get(request: HttpRequest) -> Profile:
    return _own_profile(request)


@router.patch(
    "", response={200: ProfileOut, 422: ErrorOut}, summary="Change fields of your profile"
)
def profile_patch(request: HttpRequest, payload: ProfilePatchIn) -> Profile:
    profile = _own_profile(request)
    services.profile_update(profile=profile, data=payload.model_dump(exclude_unset=True))
    return profile


@router.put(
    "/availability",
    response={200: AvailabilityOut, 422: ErrorOut},
    summary="Replace your weekly availability",
)
def availability_put(request: HttpRequest, payload: AvailabilityIn) -> dict[str, object]:
    profile = _own_profile(request)
    windows = services.availability_replace(
        profile=profile, windows=[window.model_dump() for window in payload.windows]
    )
    return {"windows": windows}


class ExceptionWindowSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    start_time: datetime.time
    end_time: datetime.time


class AvailabilityExceptionIn(Schema):
    """Leave out windows (or send null) for a day off; otherwise the day's only windows."""

    model_config = ConfigDict(extra="forbid")

    windows: list[ExceptionWindowSchema] | None = None
    note: str = ""


class AvailabilityExceptionOut(Schema):
    date: datetime.date
    is_day_off: bool
    windows: list[ExceptionWindowSchema]
    note: str

    @staticmethod
    def resolve_windows(exception: AvailabilityException) -> list[dict[str, datetime.time]]:
        return [
            {"start_time": start, "end_time": end}
            for start, end in availability.window_times(exception)
        ]


@router.get(
    "/availability/exceptions",
    response=list[AvailabilityExceptionOut],
    summary="Your upcoming days that differ from your weekly availability",
)
def availability_exceptions_list(request: HttpRequest) -> list[AvailabilityException]:
    _own_profile(request)
    return availability.upcoming_availability_exceptions(user=request.auth)  # type: ignore[attr-defined]


@router.get(
    "/availability/exceptions/{day}",
    response={200: AvailabilityExceptionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Your exception on one date",
)
def availability_exception_get(request: HttpRequest, day: datetime.date) -> AvailabilityException:
    return availability.availability_exception_for(user=request.auth, day=day)  # type: ignore[attr-defined]


@router.put(
    "/availability/exceptions/{day}",
    response={200: AvailabilityExceptionOut, 422: ErrorOut},
    summary="Make one date a day off, or give the only windows you have that day",
)
def availability_exception_put(
    request: HttpRequest, day: datetime.date, payload: AvailabilityExceptionIn
) -> AvailabilityException:
    _own_profile(request)
    windows = (
        None
        if payload.windows is None
        else [(window.start_time, window.end_time) for window in payload.windows]
    )
    return availability.availability_exception_set(
        user=request.auth,  # type: ignore[attr-defined]
        day=day,
        windows=windows,
        note=payload.note,
        by=request.auth,  # type: ignore[attr-defined]
    )


@router.delete(
    "/availability/exceptions/{day}",
    response={204: None, 404: ErrorOut, 422: ErrorOut},
    summary="Remove your exception on one date",
)
def availability_exception_remove(request: HttpRequest, day: datetime.date) -> Status:
    exception = availability.availability_exception_for(user=request.auth, day=day)  # type: ignore[attr-defined]
    availability.availability_exception_delete(exception=exception, by=request.auth)  # type: ignore[attr-defined]
    return Status(204, None)


@router.post(
    "/photo", response={200: ProfileOut, 422: ErrorOut}, summary="Upload your profile photo"
)
def photo_upload(request: HttpRequest, photo: File[UploadedFile]) -> Profile:
    profile = _own_profile(request)
    services.profile_photo_set(profile=profile, upload=photo)
    return profile


@router.delete("/photo", response=ProfileOut, summary="Remove your profile photo")
def photo_delete(request: HttpRequest) -> Profile:
    profile = _own_profile(request)
    services.profile_photo_remove(profile=profile)
    return profile


@router.get(
    "/{int:user_id}",
    response={200: PublicProfileOut, 404: ErrorOut},
    summary="Someone's public profile",
)
def profile_public(request: HttpRequest, user_id: int) -> Profile:
    return selectors.profile_detail_for_user(user_id=user_id)

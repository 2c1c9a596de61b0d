"""Writes for profiles: the profile itself, its photo and its weekly availability."""

from __future__ import annotations

import datetime
import io
import unicodedata
import uuid
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django_countries import countries
from PIL import Image, ImageOps, UnidentifiedImageError

from trellis.accounts.models import User
from trellis.core.services import model_update
from trellis.core.time import validate_time_zone
from trellis.profiles.languages import LANGUAGE_NAMES, normalize_language_code
from trellis.profiles.models import (
    DEFAULT_TIME_ZONE,
    AvailabilityWindow,
    CommunicationMode,
    MeetingFrequency,
    Profile,
    Seniority,
    Weekday,
)
from trellis.profiles.selectors import profile_for_user

TEXT_FIELDS = (
    "display_name",
    "pronouns",
    "headline",
    "bio",
    "city",
    "organisation",
    "department",
    "goals",
)
TAG_FIELDS = ("skills_offered", "skills_sought", "interests", "values")
TIME_FIELDS = ("contact_hours_start", "contact_hours_end", "quiet_hours_start", "quiet_hours_end")
OTHER_FIELDS = (
    "time_zone",
    "languages",
    "country",
    "seniority",
    "communication_modes",
    "meeting_frequency",
    "manager",
    "manager_email",
)
UPDATABLE_KEYS = frozenset(TEXT_FIELDS + TAG_FIELDS + TIME_FIELDS + OTHER_FIELDS)

MAX_TAG_LENGTH = 40
MAX_TAGS = 30
MAX_LANGUAGES = 20
MAX_WINDOWS = 50

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_SIDE = 10_000
MAX_PHOTO_PIXELS = 40_000_000
PHOTO_BOX = (512, 512)
ACCEPTED_PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")

Errors = dict[str, list[str]]


# --- Profile ---------------------------------------------------------------------------


def profile_get_or_create(*, user: User) -> Profile:
    """Return the person's profile, creating a first one from their email address."""
    profile = profile_for_user(user=user)
    if profile is not None:
        return profile
    display_name = user.email.split("@", 1)[0][:100] or "Member"
    # get_or_create survives two first visits racing: the unique user column decides.
    profile, _ = Profile.objects.get_or_create(
        user=user, defaults={"display_name": display_name, "time_zone": DEFAULT_TIME_ZONE}
    )
    return profile


def normalize_tags(values: Iterable[str]) -> list[str]:
    """Return the tags trimmed, lower-cased, split on commas, without blanks or repeats.

    Runs of whitespace and control characters inside a tag become one space. The first
    occurrence of a tag keeps its place.
    """
    tags: dict[str, None] = {}
    for value in values:
        for part in value.split(","):
            visible = "".join(" " if unicodedata.category(c) == "Cc" else c for c in part)
            tag = " ".join(visible.split()).lower()
            if tag:
                tags.setdefault(tag, None)
    return list(tags)


def profile_update(*, profile: Profile, data: Mapping[str, Any]) -> Profile:
    """Validate data and save the fields it names; change nothing when anything is wrong.

    Keys are the profile's editable fields; the line manager is given either as `manager`
    (a user or None) or as `manager_email` (an address, or empty to clear it).
    """
    unknown = sorted(set(data) - UPDATABLE_KEYS)
    if unknown:
        raise ValidationError({key: ["This field cannot be changed here."] for key in unknown})
    values, errors = _clean_profile_data(profile=profile, data=data)
    if errors:
        raise ValidationError(errors)
    before = {field: getattr(profile, field) for field in values}
    try:
        model_update(instance=profile, fields=list(values), data=values)
    except ValidationError:
        # Leave the caller's object as the database still has it.
        for field, value in before.items():
            setattr(profile, field, value)
        raise
    return profile


def profile_save(
    *,
    profile: Profile,
    data: Mapping[str, Any],
    windows: Sequence[Mapping[str, Any]],
    photo: UploadedFile | None = None,
    remove_photo: bool = False,
) -> Profile:
    """Apply the whole profile page at once: fields, availability and photo, or nothing.

    Every part is checked before any error is raised, so the person sees all problems
    at once. A new photo wins over `remove_photo`.
    """
    errors: Errors = {}
    photo_content = None
    if photo is not None:
        try:
            photo_content = _photo_encode(upload=photo)
        except ValidationError as error:
            _merge(errors, error)
    kept = (UPDATABLE_KEYS - {"manager_email"}) | {"updated_at", "has_chosen_time_zone"}
    before = {field: getattr(profile, field) for field in kept}
    try:
        with transaction.atomic():
            for step in (
                lambda: profile_update(profile=profile, data=data),
                lambda: availability_replace(profile=profile, windows=windows),
            ):
                try:
                    step()
                except ValidationError as error:
                    _merge(errors, error)
            if errors:
                raise ValidationError(errors)
            if photo_content is not None:
                _photo_store(profile=profile, content=photo_content)
            elif remove_photo:
                profile_photo_remove(profile=profile)
    except ValidationError:
        for field, value in before.items():
            setattr(profile, field, value)
        _forget_availability(profile)
        raise
    return profile


def _merge(errors: Errors, error: ValidationError) -> None:
    by_field = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    for field, messages in by_field.items():
        errors.setdefault(field, []).extend(messages)


def _clean_profile_data(
    *, profile: Profile, data: Mapping[str, Any]
) -> tuple[dict[str, Any], Errors]:
    """Check and normalize every given value; return them by model field, and the errors."""
    values: dict[str, Any] = {}
    errors: Errors = {}
    for key, value in data.items():
        try:
            if key in TEXT_FIELDS:
                values[key] = _clean_text(key, value)
            elif key in TAG_FIELDS:
                values[key] = _clean_tags(value)
            elif key in TIME_FIELDS:
                values[key] = _clean_time(value)
            elif key == "time_zone":
                values[key] = _clean_time_zone(value)
                values["has_chosen_time_zone"] = True
            elif key == "languages":
                values[key] = _clean_languages(value)
            elif key == "country":
                values[key] = _clean_country(value)
            elif key == "seniority":
                values[key] = _clean_seniority(value)
            elif key == "communication_modes":
                values[key] = _clean_communication_modes(value)
            elif key == "meeting_frequency":
                values[key] = _clean_meeting_frequency(value)
            elif key == "manager_email":
                values["manager"] = _manager_from_email(value, profile=profile)
            elif key == "manager":
                values[key] = _clean_manager(value, profile=profile)
        except ValidationError as error:
            errors[key] = list(error.messages)
    return values, errors


def _clean_text(field_name: str, value: Any) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError("Enter text.")
    if "\x00" in value:
        raise ValidationError("Remove the null character from this text.")
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if field_name == "display_name" and not value:
        raise ValidationError("Enter the name others should see.")
    max_length = getattr(Profile._meta.get_field(field_name), "max_length", None)
    if max_length is not None:
        # TextField has no length validator of its own; check every field the same way.
        MaxLengthValidator(max_length)(value)
    return value


def _clean_string_list(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValidationError("Give a list of text values.")
    if not all(isinstance(item, str) for item in value):
        raise ValidationError("Give a list of text values.")
    return list(value)


def _clean_tags(value: Any) -> list[str]:
    tags = normalize_tags(_clean_string_list(value))
    messages = [
        f"“{tag[:MAX_TAG_LENGTH]}…” is longer than {MAX_TAG_LENGTH} characters."
        for tag in tags
        if len(tag) > MAX_TAG_LENGTH
    ]
    if len(tags) > MAX_TAGS:
        messages.append(f"List at most {MAX_TAGS} items; this list has {len(tags)}.")
    if messages:
        raise ValidationError(messages)
    return tags


def _clean_time(value: Any) -> datetime.time | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.time.fromisoformat(value)
        except ValueError:
            raise ValidationError("Enter a time such as 09:30.") from None
    if not isinstance(value, datetime.time):
        raise ValidationError("Enter a time such as 09:30.")
    if value.tzinfo is not None:
        raise ValidationError("Give a local time without a time zone offset.")
    # Kept to the minute: people plan in minutes, and seconds would hide overlaps.
    return value.replace(second=0, microsecond=0)


def _clean_time_zone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("Choose your time zone.")
    value = value.strip()
    validate_time_zone(value)
    return value


def _clean_languages(value: Any) -> list[str]:
    codes: dict[str, None] = {}
    unknown: list[str] = []
    for item in _clean_string_list(value):
        code = normalize_language_code(item)
        if code in LANGUAGE_NAMES:
            codes.setdefault(code, None)
        elif item.strip():
            unknown.append(item.strip()[:20])
    messages = [
        f"“{item}” is not a language code we know; use two-letter codes such as “en”."
        for item in unknown
    ]
    if len(codes) > MAX_LANGUAGES:
        messages.append(f"List at most {MAX_LANGUAGES} languages.")
    if messages:
        raise ValidationError(messages)
    return list(codes)


def _clean_country(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("Give a two-letter country code such as “DE”.")
    code = value.strip().upper()
    if code and code not in countries:
        raise ValidationError(
            f"“{code[:10]}” is not a country code we know; use two letters such as “DE”."
        )
    return code


def _clean_seniority(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in Seniority.values:
        raise ValidationError(
            f"Choose a level from {Seniority.values[0]} ({Seniority.STUDENT.label.lower()}) "
            f"to {Seniority.values[-1]} ({Seniority.EXECUTIVE.label.lower()})."
        )
    return value


def _clean_communication_modes(value: Any) -> list[str]:
    modes: dict[str, None] = {}
    for item in _clean_string_list(value):
        mode = item.strip().lower()
        if mode not in CommunicationMode.values:
            known = ", ".join(CommunicationMode.values)
            raise ValidationError(f"“{item[:20]}” is not a way to talk we know; use {known}.")
        modes.setdefault(mode, None)
    return list(modes)


def _clean_meeting_frequency(value: Any) -> str:
    if value is None or value == "":
        return ""
    if value not in MeetingFrequency.values:
        known = ", ".join(MeetingFrequency.values)
        raise ValidationError(f"Choose one of {known}, or leave it empty.")
    return str(value)


def _manager_from_email(value: Any, *, profile: Profile) -> User | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("Enter an email address.")
    email = value.strip()
    if not email:
        return None
    manager = User.objects.filter(email__iexact=email, is_active=True).first()
    if manager is None:
        raise ValidationError("No one on Trellis uses this email address.")
    return _clean_manager(manager, profile=profile)


def _clean_manager(value: Any, *, profile: Profile) -> User | None:
    if value is None:
        return None
    if not isinstance(value, User) or value.pk is None:
        raise ValidationError("Choose a person who uses Trellis.")
    if value.pk == profile.user_id:
        raise ValidationError("You cannot be your own line manager.")
    return value


# --- Photo -----------------------------------------------------------------------------


def profile_photo_set(*, profile: Profile, upload: UploadedFile) -> Profile:
    """Check that upload is a real photo, shrink it to 512 px and store it without metadata."""
    content = _photo_encode(upload=upload)
    with transaction.atomic():
        _photo_store(profile=profile, content=content)
    return profile


def profile_photo_remove(*, profile: Profile) -> Profile:
    old_name = str(profile.photo.name or "")
    if not old_name:
        return profile
    storage = profile.photo.storage
    profile.photo = ""
    profile.save(update_fields=["photo", "updated_at"])
    transaction.on_commit(lambda: storage.delete(old_name))
    return profile


def _photo_encode(*, upload: UploadedFile) -> ContentFile[bytes]:
    """Return upload decoded, oriented, shrunk and re-encoded; raise if it is not a photo."""
    invalid = ValidationError(
        {"photo": ["Upload a JPEG, PNG or WebP photo; this file is not one we can read."]}
    )
    if upload.size is None or upload.size > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": ["The photo is larger than 5 MB; choose a smaller one."]})
    too_big = ValidationError(
        {"photo": [f"The photo is too large; use one under {MAX_PHOTO_SIDE} pixels a side."]}
    )
    upload.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(upload, formats=ACCEPTED_PHOTO_FORMATS) as image:
                width, height = image.size
                if (
                    width > MAX_PHOTO_SIDE
                    or height > MAX_PHOTO_SIDE
                    or width * height > MAX_PHOTO_PIXELS
                ):
                    raise too_big
                # JPEG can decode straight at a fraction of its size: less memory, faster.
                image.draft("RGB", (PHOTO_BOX[0] * 2, PHOTO_BOX[1] * 2))
                image.load()
                photo = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise invalid from None
    has_alpha = photo.mode in ("RGBA", "LA", "PA") or (
        photo.mode == "P" and "transparency" in photo.info
    )
    photo = photo.convert("RGBA" if has_alpha else "RGB")
    photo.thumbnail(PHOTO_BOX, Image.Resampling.LANCZOS)
    # Encoders copy some metadata (comments, colour profiles) from info; start empty so no
    # EXIF, GPS position or comment from the original survives.
    photo.info = {}
    buffer = io.BytesIO()
    if has_alpha:
        photo.save(buffer, format="WEBP", quality=85, method=4)
        extension = "webp"
    else:
        photo.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
        extension = "jpg"
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


def _photo_store(*, profile: Profile, content: ContentFile[bytes]) -> None:
    old_name = str(profile.photo.name or "")
    storage = profile.photo.storage
    profile.photo.save(content.name or "photo.jpg", content, save=False)
    new_name = str(profile.photo.name)
    try:
        profile.save(update_fields=["photo", "updated_at"])
    except Exception:
        storage.delete(new_name)
        profile.photo = old_name
        raise
    if old_name:
        transaction.on_commit(lambda: storage.delete(old_name))


# --- Availability ----------------------------------------------------------------------


def availability_replace(
    *, profile: Profile, windows: Sequence[Mapping[str, Any]]
) -> list[AvailabilityWindow]:
    """Replace the person's weekly windows with windows, all at once.

    Each window is a mapping with weekday (0 is Monday), start_time and end_time, in the
    profile's own time zone. Windows on the same day may touch but not overlap.
    """
    if isinstance(windows, str | bytes) or not isinstance(windows, Sequence):
        raise ValidationError({"availability": ["Give a list of windows."]})
    if len(windows) > MAX_WINDOWS:
        raise ValidationError(
            {"availability": [f"Add at most {MAX_WINDOWS} windows; there are {len(windows)}."]}
        )
    cleaned: list[tuple[int, datetime.time, datetime.time]] = []
    messages: list[str] = []
    for number, window in enumerate(windows, start=1):
        try:
            cleaned.append(_clean_window(window))
        except ValidationError as error:
            messages.extend(f"Window {number}: {message}" for message in error.messages)
    messages.extend(_overlaps(cleaned))
    if messages:
        raise ValidationError({"availability": messages})

    new_windows = [
        AvailabilityWindow(profile=profile, weekday=weekday, start_time=start, end_time=end)
        for weekday, start, end in sorted(cleaned)
    ]
    with transaction.atomic():
        # Lock the profile row so two saves at once cannot interleave deletes and inserts.
        Profile.objects.select_for_update().filter(pk=profile.pk).values_list("pk").first()
        existing = list(profile.availability.order_by("weekday", "start_time"))
        if [_window_key(w) for w in existing] == [_window_key(w) for w in new_windows]:
            return existing
        profile.availability.all().delete()
        AvailabilityWindow.objects.bulk_create(new_windows)
    _forget_availability(profile)
    return new_windows


def _window_key(window: AvailabilityWindow) -> tuple[int, datetime.time, datetime.time]:
    return (window.weekday, window.start_time, window.end_time)


def _clean_window(window: Any) -> tuple[int, datetime.time, datetime.time]:
    if not isinstance(window, Mapping):
        raise ValidationError("give weekday, start_time and end_time.")
    weekday = window.get("weekday")
    if isinstance(weekday, bool) or not isinstance(weekday, int) or weekday not in Weekday.values:
        raise ValidationError("the weekday must be a number from 0 (Monday) to 6 (Sunday).")
    start = _clean_time(window.get("start_time"))
    end = _clean_time(window.get("end_time"))
    if start is None or end is None:
        raise ValidationError("give both a start and an end time.")
    if end <= start:
        raise ValidationError("the end must be after the start.")
    return weekday, start, end


def _overlaps(windows: list[tuple[int, datetime.time, datetime.time]]) -> list[str]:
    messages = []
    latest: tuple[int, datetime.time, datetime.time] | None = None  # the day's latest end
    for window in sorted(windows):
        if latest is not None and latest[0] == window[0] and window[1] < latest[2]:
            messages.append(f"{_describe(latest)} overlaps {_describe(window)}.")
        if latest is None or latest[0] != window[0] or window[2] > latest[2]:
            latest = window
    return messages


def _describe(window: tuple[int, datetime.time, datetime.time]) -> str:
    weekday, start, end = window
    return f"{Weekday(weekday).label} {start:%H:%M}–{end:%H:%M}"  # noqa: RUF001


def _forget_availability(profile: Profile) -> None:
    """Drop a prefetched list of windows so the next read sees the database."""
    prefetched = getattr(profile, "_prefetched_objects_cache", None)
    if prefetched is not None:
        prefetched.pop("availability", None)

"""Profile services: creation, normalization, validation and availability windows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from trellis.accounts.tests.factories import UserFactory
from trellis.profiles.models import AvailabilityWindow, Profile
from trellis.profiles.services import (
    availability_replace,
    normalize_tags,
    profile_get_or_create,
    profile_save,
    profile_update,
)
from trellis.profiles.tests.factories import AvailabilityWindowFactory, ProfileFactory

pytestmark = pytest.mark.django_db

DASH = "\u2013"  # how the service writes a range of times


def t(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


def snapshot(profile: Profile) -> dict:
    return model_to_dict(Profile.objects.get(pk=profile.pk))


def windows_of(profile: Profile) -> list[tuple[int, str, str]]:
    return [
        (w.weekday, f"{w.start_time:%H:%M}", f"{w.end_time:%H:%M}")
        for w in AvailabilityWindow.objects.filter(profile=profile)
    ]


# --- profile_get_or_create ---------------------------------------------------------------


def test_get_or_create_makes_a_first_profile_from_the_email_address():
    user = UserFactory(email="maria.lopez@example.org")

    profile = profile_get_or_create(user=user)

    assert profile.pk is not None
    assert profile.display_name == "maria.lopez"
    assert profile.time_zone == "UTC"
    assert profile.has_chosen_time_zone is False
    assert Profile.objects.filter(user=user).count() == 1


def test_get_or_create_returns_the_existing_profile(profile):
    again = profile_get_or_create(user=profile.user)

    assert again.pk == profile.pk
    assert again.display_name == "Ana"
    assert again.has_chosen_time_zone is True
    assert Profile.objects.count() == 1


# --- normalization -----------------------------------------------------------------------


def test_normalize_tags_trims_lowercases_splits_and_deduplicates():
    assert normalize_tags(
        ["  Python ", "public   Speaking", "python", "", " , ", "Go, Rust,go", "a\tb\nc"]
    ) == ["python", "public speaking", "go", "rust", "a b c"]


def test_update_normalizes_every_list_and_strips_text(profile):
    profile_update(
        profile=profile,
        data={
            "display_name": "  Ana Silva  ",
            "skills_offered": ["Python", " python ", "SQL"],
            "skills_sought": ["Public Speaking"],
            "interests": ["Hiking", "hiking"],
            "values": ["Honesty, Curiosity"],
            "languages": ["EN", "pt-BR", "pt_PT", " es "],
            "communication_modes": ["Video", "video", "chat"],
            "country": "pt",
            "time_zone": "America/Sao_Paulo",
        },
    )

    profile.refresh_from_db()
    assert profile.display_name == "Ana Silva"
    assert profile.skills_offered == ["python", "sql"]
    assert profile.skills_sought == ["public speaking"]
    assert profile.interests == ["hiking"]
    assert profile.values == ["honesty", "curiosity"]
    assert profile.languages == ["en", "pt", "es"]
    assert profile.communication_modes == ["video", "chat"]
    assert profile.country.code == "PT"
    assert profile.time_zone == "America/Sao_Paulo"


def test_update_accepts_quiet_hours_across_midnight_and_keeps_minutes(profile):
    profile_update(
        profile=profile,
        data={
            "contact_hours_start": dt.time(9, 0, 30),
            "contact_hours_end": t("17:30"),
            "quiet_hours_start": t("22:00"),
            "quiet_hours_end": t("07:00"),
        },
    )

    profile.refresh_from_db()
    assert profile.contact_hours_start == t("09:00")
    assert profile.contact_hours_end == t("17:30")
    assert (profile.quiet_hours_start, profile.quiet_hours_end) == (t("22:00"), t("07:00"))


def test_update_sets_and_clears_the_line_manager_by_email(profile):
    boss = UserFactory(email="boss@example.org")

    profile_update(profile=profile, data={"manager_email": " BOSS@example.org "})
    profile.refresh_from_db()
    assert profile.manager == boss

    profile_update(profile=profile, data={"manager_email": ""})
    profile.refresh_from_db()
    assert profile.manager is None


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "is not a known time zone"),
        ({"time_zone": ""}, "time_zone", "Choose your time zone."),
        ({"time_zone": None}, "time_zone", "Choose your time zone."),
        ({"display_name": "   "}, "display_name", "Enter the name others should see."),
        ({"display_name": "x" * 101}, "display_name", "at most 100 characters"),
        ({"bio": "x" * 3001}, "bio", "at most 3000 characters (it has 3001)"),
        ({"goals": "x" * 3001}, "goals", "at most 3000 characters"),
        ({"headline": "a\x00b"}, "headline", "Remove the null character"),
        ({"pronouns": 5}, "pronouns", "Enter text."),
        ({"skills_offered": ["x" * 41]}, "skills_offered", "is longer than 40 characters"),
        (
            {"interests": [f"tag {n}" for n in range(31)]},
            "interests",
            "List at most 30 items; this list has 31.",
        ),
        ({"values": "kindness"}, "values", "Give a list of text values."),
        ({"skills_sought": [1, 2]}, "skills_sought", "Give a list of text values."),
        ({"languages": ["xx"]}, "languages", "“xx” is not a language code we know"),
        ({"languages": ["en-gb", "klingon"]}, "languages", "“klingon” is not a language"),
        ({"communication_modes": ["fax"]}, "communication_modes", "“fax” is not a way to talk"),
        ({"country": "XX"}, "country", "“XX” is not a country code we know"),
        ({"seniority": 9}, "seniority", "Choose a level from 1"),
        ({"seniority": True}, "seniority", "Choose a level from 1"),
        ({"meeting_frequency": "daily"}, "meeting_frequency", "Choose one of weekly"),
        ({"contact_hours_start": "9 o'clock"}, "contact_hours_start", "Enter a time"),
        (
            {"contact_hours_start": dt.time(9, tzinfo=dt.UTC), "contact_hours_end": t("10:00")},
            "contact_hours_start",
            "without a time zone offset",
        ),
        (
            {"contact_hours_start": t("17:00"), "contact_hours_end": t("09:00")},
            "contact_hours_end",
            "Contact hours must end after they start.",
        ),
        ({"contact_hours_start": t("09:00")}, "contact_hours_end", "Give an end time too"),
        ({"quiet_hours_end": t("07:00")}, "quiet_hours_start", "Give a start time too"),
        (
            {"quiet_hours_start": t("22:00"), "quiet_hours_end": t("22:00")},
            "quiet_hours_end",
            "Quiet hours must end at a different time.",
        ),
        ({"manager_email": "nobody@example.org"}, "manager_email", "No one on Trellis uses"),
        ({"manager_email": "ana@example.org"}, "manager_email", "your own line manager"),
        ({"user": 3}, "user", "This field cannot be changed here."),
        ({"photo": "x.png"}, "photo", "This field cannot be changed here."),
    ],
)
def test_update_rejects_bad_input_and_changes_nothing(profile, data, field, message):
    before = snapshot(profile)
    in_memory = model_to_dict(profile)

    with pytest.raises(ValidationError) as caught:
        profile_update(profile=profile, data={"city": "Lisbon", **data})

    errors = caught.value.message_dict
    assert list(errors) == [field]
    assert any(message in text for text in errors[field]), errors
    assert snapshot(profile) == before
    assert model_to_dict(profile) == in_memory


def test_update_rejects_being_ones_own_manager_given_as_a_user(profile):
    with pytest.raises(ValidationError) as caught:
        profile_update(profile=profile, data={"manager": profile.user})

    assert caught.value.message_dict == {"manager": ["You cannot be your own line manager."]}
    assert Profile.objects.get(pk=profile.pk).manager_id is None


def test_update_reports_every_bad_field_at_once(profile):
    with pytest.raises(ValidationError) as caught:
        profile_update(
            profile=profile, data={"time_zone": "Nowhere", "languages": ["zz"], "city": "Porto"}
        )

    assert set(caught.value.message_dict) == {"time_zone", "languages"}
    assert Profile.objects.get(pk=profile.pk).city == ""


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"contact_hours_start": t("10:00"), "contact_hours_end": t("09:00")}, "end_after"),
        ({"contact_hours_start": t("10:00")}, "contact_hours_both"),
        ({"quiet_hours_start": t("22:00"), "quiet_hours_end": t("22:00")}, "quiet_hours_not"),
        ({"manager_id": "self"}, "manager_not_self"),
    ],
)
def test_database_refuses_what_the_service_would_refuse(profile, changes, constraint):
    if changes.get("manager_id") == "self":
        changes = {"manager_id": profile.user_id}
    with pytest.raises(IntegrityError), transaction.atomic():
        Profile.objects.filter(pk=profile.pk).update(**changes)
    assert snapshot(profile)["manager"] is None


# --- availability ------------------------------------------------------------------------


def window(weekday: int, start: str, end: str) -> dict:
    return {"weekday": weekday, "start_time": t(start), "end_time": t(end)}


def test_availability_replace_swaps_all_windows(profile):
    AvailabilityWindowFactory(profile=profile, weekday=4, start_time="08:00", end_time="09:00")

    result = availability_replace(
        profile=profile,
        windows=[
            window(2, "14:00", "16:00"),
            window(0, "09:00", "10:00"),
            window(0, "10:00", "12:00"),
        ],
    )

    assert [(w.weekday, w.start_time) for w in result] == [
        (0, t("09:00")),
        (0, t("10:00")),
        (2, t("14:00")),
    ]
    assert windows_of(profile) == [
        (0, "09:00", "10:00"),
        (0, "10:00", "12:00"),
        (2, "14:00", "16:00"),
    ]


def test_availability_replace_with_nothing_clears_the_windows(profile):
    AvailabilityWindowFactory(profile=profile)

    assert availability_replace(profile=profile, windows=[]) == []
    assert windows_of(profile) == []


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        (
            [window(0, "09:00", "11:00"), window(0, "10:00", "12:00")],
            f"Monday 09:00{DASH}11:00 overlaps Monday 10:00{DASH}12:00.",
        ),
        (
            [window(3, "08:00", "18:00"), window(3, "09:00", "10:00"), window(3, "12:00", "13:00")],
            f"Thursday 08:00{DASH}18:00 overlaps Thursday 12:00{DASH}13:00.",
        ),
        ([window(1, "09:00", "09:00")], "Window 1: the end must be after the start."),
        ([window(1, "10:00", "09:00")], "Window 1: the end must be after the start."),
        (
            [{"weekday": 7, "start_time": t("09:00"), "end_time": t("10:00")}],
            "Window 1: the weekday must be a number from 0 (Monday) to 6 (Sunday).",
        ),
        (
            [{"weekday": "monday", "start_time": t("09:00"), "end_time": t("10:00")}],
            "Window 1: the weekday must be a number",
        ),
        ([{"weekday": 1, "start_time": t("09:00")}], "Window 1: give both a start and an end"),
        (["Monday 9-10"], "Window 1: give weekday, start_time and end_time."),
        (
            [window(day % 7, f"{day // 7:02d}:00", f"{day // 7:02d}:30") for day in range(51)],
            "at most 50",
        ),
    ],
)
def test_availability_replace_rejects_bad_windows_and_keeps_the_old_ones(profile, windows, message):
    AvailabilityWindowFactory(profile=profile, weekday=5, start_time="10:00", end_time="11:00")

    with pytest.raises(ValidationError) as caught:
        availability_replace(profile=profile, windows=windows)

    errors = caught.value.message_dict
    assert list(errors) == ["availability"]
    assert any(message in text for text in errors["availability"]), errors
    assert windows_of(profile) == [(5, "10:00", "11:00")]


def test_availability_allows_fifty_windows(profile):
    windows = [window(n % 7, f"{n // 7:02d}:00", f"{n // 7:02d}:30") for n in range(50)]

    assert len(availability_replace(profile=profile, windows=windows)) == 50
    assert AvailabilityWindow.objects.filter(profile=profile).count() == 50


# --- profile_save: the whole page at once -------------------------------------------------


def test_profile_save_changes_nothing_when_one_part_is_wrong(profile):
    AvailabilityWindowFactory(profile=profile, weekday=0, start_time="09:00", end_time="10:00")
    before = snapshot(profile)

    with pytest.raises(ValidationError) as caught:
        profile_save(
            profile=profile,
            data={"display_name": "Ana Changed", "bio": "New bio"},
            windows=[window(1, "09:00", "11:00"), window(1, "10:00", "12:00")],
        )

    assert set(caught.value.message_dict) == {"availability"}
    assert snapshot(profile) == before
    assert profile.display_name == "Ana"
    assert windows_of(profile) == [(0, "09:00", "10:00")]


def test_profile_save_collects_errors_from_every_part(profile):
    with pytest.raises(ValidationError) as caught:
        profile_save(
            profile=profile,
            data={"time_zone": "Atlantis/Capital"},
            windows=[window(1, "11:00", "10:00")],
        )

    assert set(caught.value.message_dict) == {"time_zone", "availability"}


def test_profile_save_applies_fields_and_windows(profile):
    profile_save(
        profile=profile,
        data={"headline": "Engineer", "skills_offered": ["Mentoring"]},
        windows=[window(6, "18:00", "19:00")],
    )

    profile.refresh_from_db()
    assert profile.headline == "Engineer"
    assert profile.skills_offered == ["mentoring"]
    assert windows_of(profile) == [(6, "18:00", "19:00")]


def test_other_profiles_are_untouched(profile):
    other = ProfileFactory(display_name="Ben")
    AvailabilityWindowFactory(profile=other)

    availability_replace(profile=profile, windows=[window(2, "09:00", "10:00")])
    profile_update(profile=profile, data={"display_name": "Ana B"})

    other.refresh_from_db()
    assert other.display_name == "Ben"
    assert windows_of(other) == [(0, "09:00", "11:00")]

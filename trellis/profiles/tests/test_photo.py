"""Profile photos: only real JPEG, PNG or WebP images, shrunk and stripped of metadata."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from trellis.profiles.models import Profile
from trellis.profiles.services import profile_photo_remove, profile_photo_set
from trellis.profiles.tests.images import image_bytes, png_claiming_size, upload

pytestmark = pytest.mark.django_db


def stored_image(profile: Profile) -> Image.Image:
    profile.refresh_from_db()
    with profile.photo.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
        image.load()
    return image


def test_png_is_shrunk_to_fit_512_and_stored_as_jpeg(profile, media_files):
    profile_photo_set(profile=profile, upload=upload("me.png", image_bytes("PNG", (1024, 768))))

    image = stored_image(profile)
    assert image.format == "JPEG"
    assert image.size == (512, 384)
    assert profile.photo.name.startswith("photos/")
    assert profile.photo.name.endswith(".jpg")
    assert len(media_files()) == 1


def test_jpeg_loses_its_metadata(profile):
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x8825] = {2: (52.0, 31.0, 12.0)}  # GPS latitude
    content = image_bytes(
        "JPEG", (600, 1200), exif=exif.tobytes(), comment=b"secret", icc_profile=b"profile"
    )
    source = Image.open(io.BytesIO(content))
    assert source.getexif()
    assert source.info["comment"] == b"secret"
    assert source.info["icc_profile"] == b"profile"

    profile_photo_set(profile=profile, upload=upload("me.jpg", content, "image/jpeg"))

    image = stored_image(profile)
    assert image.format == "JPEG"
    assert image.size == (256, 512)
    assert not image.getexif()
    assert "comment" not in image.info
    assert "icc_profile" not in image.info


def test_jpeg_is_turned_upright_from_its_orientation_tag(profile):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    content = image_bytes("JPEG", (400, 200), exif=exif.tobytes())

    profile_photo_set(profile=profile, upload=upload("me.jpg", content, "image/jpeg"))

    assert stored_image(profile).size == (200, 400)


def test_transparent_png_is_kept_transparent_as_webp(profile):
    content = image_bytes("PNG", (100, 50), mode="RGBA")

    profile_photo_set(profile=profile, upload=upload("logo.png", content))

    image = stored_image(profile)
    assert image.format == "WEBP"
    assert image.size == (100, 50)
    assert profile.photo.name.endswith(".webp")


def test_small_webp_is_accepted_and_not_enlarged(profile):
    profile_photo_set(
        profile=profile, upload=upload("me.webp", image_bytes("WEBP", (64, 64)), "image/webp")
    )

    assert stored_image(profile).size == (64, 64)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "notes.png",
            b"These are my notes, not a picture.\n" * 10,
            "Upload a JPEG, PNG or WebP photo; this file is not one we can read.",
        ),
        (
            "animation.png",
            image_bytes("GIF", (20, 20)),
            "Upload a JPEG, PNG or WebP photo; this file is not one we can read.",
        ),
        (
            "broken.png",
            image_bytes("PNG", (300, 300))[:200],
            "Upload a JPEG, PNG or WebP photo; this file is not one we can read.",
        ),
        (
            "big.png",
            b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024),
            "The photo is larger than 5 MB; choose a smaller one.",
        ),
        (
            "bomb.png",
            png_claiming_size(60_000, 60_000),
            "The photo is too large; use one under 10000 pixels a side.",
        ),
        (
            "wide.png",
            png_claiming_size(12_000, 10),
            "The photo is too large; use one under 10000 pixels a side.",
        ),
        (
            "many-pixels.png",
            png_claiming_size(9_000, 9_000),
            "The photo is too large; use one under 10000 pixels a side.",
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_is_saved(profile, media_files, name, content, message):
    with pytest.raises(ValidationError) as caught:
        profile_photo_set(profile=profile, upload=upload(name, content))

    assert caught.value.message_dict == {"photo": [message]}
    profile.refresh_from_db()
    assert not profile.photo
    assert media_files() == []


def test_a_new_photo_replaces_the_old_file(
    profile, media_files, django_capture_on_commit_callbacks
):
    profile_photo_set(profile=profile, upload=upload("one.png", image_bytes("PNG", (50, 50))))
    first = profile.photo.name

    with django_capture_on_commit_callbacks(execute=True):
        profile_photo_set(profile=profile, upload=upload("two.png", image_bytes("PNG", (60, 60))))

    profile.refresh_from_db()
    assert profile.photo.name != first
    assert [path.name for path in media_files()] == [profile.photo.name.rsplit("/", 1)[1]]


def test_a_refused_photo_keeps_the_current_one(profile, media_files):
    profile_photo_set(profile=profile, upload=upload("one.png", image_bytes("PNG", (50, 50))))
    current = profile.photo.name

    with pytest.raises(ValidationError):
        profile_photo_set(profile=profile, upload=upload("x.png", b"not an image"))

    profile.refresh_from_db()
    assert profile.photo.name == current
    assert len(media_files()) == 1


def test_remove_photo_clears_the_field_and_deletes_the_file(
    profile, media_files, django_capture_on_commit_callbacks
):
    profile_photo_set(profile=profile, upload=upload("one.png", image_bytes("PNG", (50, 50))))

    with django_capture_on_commit_callbacks(execute=True):
        profile_photo_remove(profile=profile)

    profile.refresh_from_db()
    assert not profile.photo
    assert media_files() == []


def test_removing_when_there_is_no_photo_does_nothing(profile):
    updated_at = profile.updated_at

    profile_photo_remove(profile=profile)

    profile.refresh_from_db()
    assert profile.updated_at == updated_at

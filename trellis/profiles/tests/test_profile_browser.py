"""A person fills in their profile in a real browser, on a desktop and on a phone."""

from __future__ import annotations

import datetime as dt

import pytest

from trellis.accounts.tests.factories import UserFactory
from trellis.core.tests.browser import sign_in
from trellis.profiles.models import Profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_fills_in_and_saves_their_profile(page, assert_accessible):
    user = UserFactory(email="lena@example.org")
    sign_in(page, user.email)

    page.get_by_role("link", name="Profile", exact=True).click()
    page.get_by_role("heading", name="Your profile").wait_for()
    # The browser's own zone is suggested for a new profile; the person picks another.
    browser_zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert page.get_by_label("Time zone").input_value() == browser_zone
    assert_accessible(page)

    page.get_by_label("Display name").fill("Lena Park")
    page.get_by_label("Pronouns").fill("she/her")
    page.get_by_label("Headline").fill("Product designer")
    page.get_by_label("Short bio").fill("Ten years in design.\nLoves cycling.")
    page.get_by_label("Time zone").select_option("Asia/Seoul")
    page.get_by_label("Korean").check()
    page.get_by_label("English").check()
    page.get_by_label("Skills you can offer").fill("UX research, Figma, ux research")
    first = page.get_by_role("group", name="Window 1")
    first.get_by_label("Day").select_option("Tuesday")
    first.get_by_label("From").fill("09:00")
    first.get_by_label("Until").fill("11:30")
    page.get_by_role("button", name="Add a window").click()
    second = page.get_by_role("group", name="Window 2")
    # Focus moves to the new row once HTMX has settled it.
    page.wait_for_function("document.activeElement.id === 'id_availability-1-weekday'")
    second.get_by_label("Day").select_option("Thursday")
    second.get_by_label("From").fill("18:00")
    second.get_by_label("Until").fill("19:00")
    page.get_by_role("button", name="Save profile").click()

    page.get_by_text("Profile saved.").wait_for()
    assert page.get_by_label("Display name").input_value() == "Lena Park"
    assert page.get_by_label("Time zone").input_value() == "Asia/Seoul"
    assert page.get_by_label("Skills you can offer").input_value() == "ux research, figma"
    assert page.get_by_label("Korean").is_checked()
    profile = Profile.objects.get(user=user)
    assert profile.display_name == "Lena Park"
    assert profile.pronouns == "she/her"
    assert profile.headline == "Product designer"
    assert profile.bio == "Ten years in design.\nLoves cycling."
    assert profile.time_zone == "Asia/Seoul"
    assert sorted(profile.languages) == ["en", "ko"]
    assert profile.skills_offered == ["ux research", "figma"]
    assert list(profile.availability.values_list("weekday", "start_time", "end_time")) == [
        (1, dt.time(9), dt.time(11, 30)),
        (3, dt.time(18), dt.time(19)),
    ]

    page.get_by_role("link", name="See your profile as others do").click()
    page.get_by_role("heading", name="Lena Park").wait_for()
    assert page.get_by_text("Tuesday 09:00\u201311:30").is_visible()
    assert page.get_by_text("In your time zone, Asia/Seoul.").is_visible()
    assert_accessible(page)


def test_profile_pages_fit_a_phone_screen(page):
    user = UserFactory()
    sign_in(page, user.email)
    page.set_viewport_size({"width": 375, "height": 800})

    for path in ("/profile/", f"/profile/{user.pk}/"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375 + 1, (path, width)

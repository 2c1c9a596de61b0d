"""A person marks a holiday as a day off in a real browser and sees it listed."""

from __future__ import annotations

import datetime as dt

import pytest

from trellis.core.tests.browser import sign_in
from trellis.profiles.tests.factories import ProfileFactory
from trellis.scheduling.availability import person_today
from trellis.scheduling.models import AvailabilityException

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_adds_a_day_off_and_sees_it_listed(page, assert_accessible):
    user = ProfileFactory(user__email="ines@example.org", time_zone="Europe/Lisbon").user
    day = person_today(user=user) + dt.timedelta(days=14)
    sign_in(page, user.email)

    page.get_by_role("link", name="Profile", exact=True).click()
    page.get_by_role("link", name="Days that differ from your weekly availability").click()
    page.get_by_role("heading", name="Days that differ").wait_for()
    assert page.get_by_text("No days that differ.").is_visible()
    assert_accessible(page)

    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Day off: not available at all").check()
    page.get_by_label("Note").fill("Public holiday")
    page.get_by_role("button", name="Save this day").click()

    listed = f"{day:%A %-d %B %Y}"
    page.get_by_text(f"Saved: {listed}, day off.").wait_for()
    days = page.get_by_role("list", name="Days that differ")
    assert days.get_by_role("listitem").count() == 1
    assert (
        days.get_by_role("listitem").inner_text().startswith(f"{listed}: day off (Public holiday)")
    )
    assert list(AvailabilityException.objects.values_list("user_id", "date", "windows")) == [
        (user.pk, day, [])
    ]
    assert_accessible(page)

    page.get_by_role("button", name=f"Remove {listed}").click()
    page.get_by_role("status").get_by_text(f"Removed: {listed}, day off.").wait_for()
    assert page.get_by_text("No days that differ.").is_visible()
    assert not AvailabilityException.objects.exists()

"""The profile admin: staff find people by name or email and see their windows."""

from __future__ import annotations

import pytest

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.profiles.tests.factories import AvailabilityWindowFactory, ProfileFactory

pytestmark = pytest.mark.django_db


def test_admin_is_for_staff_only(client, profile):
    path = f"/admin/profiles/profile/{profile.pk}/change/"
    assert client.get(path).status_code == 302
    client.force_login(UserFactory())
    assert client.get(path).status_code == 302


@pytest.mark.parametrize("query", ["Zainab", "zainab.b@example"])
def test_staff_search_by_display_name_or_email(client, query):
    ProfileFactory(display_name="Zainab Bello", user=UserFactory(email="zainab.b@example.org"))
    ProfileFactory(display_name="Someone Else")
    client.force_login(StaffFactory())

    response = client.get("/admin/profiles/profile/", {"q": query})

    assert response.status_code == 200
    assert [p.display_name for p in response.context["cl"].result_list] == ["Zainab Bello"]


def test_change_page_shows_the_availability_inline(client):
    window = AvailabilityWindowFactory(weekday=3, start_time="07:00", end_time="08:00")
    client.force_login(StaffFactory())

    response = client.get(f"/admin/profiles/profile/{window.profile.pk}/change/")

    assert response.status_code == 200
    assert 'name="availability-0-start_time" value="07:00:00"' in response.content.decode()

"""The "Meeting reminders" section of /account/calendar/: tick the times, or none."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from trellis.accounts.tests.factories import UserFactory
from trellis.notifications.models import ReminderPreference
from trellis.notifications.selectors import reminder_minutes_for
from trellis.notifications.services import reminder_preference_update

pytestmark = pytest.mark.django_db


def _ticked(page: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="offsets" value="(\d+)"[^>]*checked', page)


def test_the_section_lists_the_menu_with_the_defaults_ticked(client: Client) -> None:
    client.force_login(UserFactory())

    response = client.get(reverse("calendars:settings"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Meeting reminders" in page
    assert page.count('name="offsets"') == 8
    assert "1 week before" in page
    assert "When it starts" in page
    assert _ticked(page) == ["1440", "15"]


def test_saving_ticked_times_stores_them_and_shows_them_ticked(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("calendars:reminders"), {"offsets": ["60", "10080"]})

    assert response.status_code == 302
    assert response["Location"] == reverse("calendars:settings")
    assert reminder_minutes_for(user=user) == [10080, 60]
    page = client.get(reverse("calendars:settings")).content.decode()
    assert _ticked(page) == ["10080", "60"]
    assert "your meeting reminders follow the new times" in page


def test_ticking_nothing_turns_meeting_reminders_off(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)

    client.post(reverse("calendars:reminders"), {})

    assert ReminderPreference.objects.get(user=user).offsets == []
    assert _ticked(client.get(reverse("calendars:settings")).content.decode()) == []


@pytest.mark.parametrize("value", ["45", "soon", "-15"])
def test_a_time_off_the_menu_is_422_with_a_clear_message(client: Client, value: str) -> None:
    user = UserFactory()
    reminder_preference_update(user=user, offsets=[120])
    client.force_login(user)

    response = client.post(reverse("calendars:reminders"), {"offsets": ["60", value]})

    assert response.status_code == 422
    assert "Choose reminder times from the list." in response.content.decode()
    assert reminder_minutes_for(user=user) == [120]


def test_anonymous_people_are_sent_to_sign_in_and_change_nothing(client: Client) -> None:
    response = client.post(reverse("calendars:reminders"), {"offsets": ["60"]})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not ReminderPreference.objects.exists()


def test_a_person_changes_only_their_own_reminders(client: Client) -> None:
    me, other = UserFactory(), UserFactory()
    reminder_preference_update(user=other, offsets=[5])
    client.force_login(me)

    page = client.get(reverse("calendars:settings")).content.decode()
    client.post(reverse("calendars:reminders"), {"offsets": ["30"]})

    assert _ticked(page) == ["1440", "15"]  # my defaults, not the other person's choice
    assert reminder_minutes_for(user=me) == [30]
    assert reminder_minutes_for(user=other) == [5]


def test_the_reminder_form_takes_only_post(client: Client) -> None:
    client.force_login(UserFactory())

    assert client.get(reverse("calendars:reminders")).status_code == 405

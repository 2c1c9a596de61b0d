"""Each person chooses when meetings remind them: the setting, its selectors and its API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from trellis.accounts.tests.factories import UserFactory
from trellis.notifications.models import ReminderPreference
from trellis.notifications.selectors import (
    reminder_minutes_for,
    reminder_offsets_for,
    reminder_offsets_for_users,
)
from trellis.notifications.services import REMINDER_OFFSETS, reminder_preference_update

pytestmark = pytest.mark.django_db

API = "/api/v1/me/reminders"
HOUR = dt.timedelta(hours=1)


def test_without_a_preference_the_defaults_are_24_hours_and_15_minutes(
    django_assert_num_queries: Any,
) -> None:
    user = UserFactory()

    with django_assert_num_queries(1):
        offsets = reminder_offsets_for(user=user)

    assert offsets == (dt.timedelta(hours=24), dt.timedelta(minutes=15)) == REMINDER_OFFSETS
    assert reminder_minutes_for(user=user) == [1440, 15]


def test_a_saved_preference_is_sorted_largest_first_without_repeats() -> None:
    user = UserFactory()

    preference = reminder_preference_update(user=user, offsets=[0, 60, 10080, 60])

    assert preference.offsets == [10080, 60, 0]
    assert reminder_offsets_for(user=user) == (dt.timedelta(days=7), HOUR, dt.timedelta(0))


def test_an_empty_list_means_no_meeting_reminders() -> None:
    user = UserFactory()

    reminder_preference_update(user=user, offsets=[])

    assert reminder_offsets_for(user=user) == ()
    assert ReminderPreference.objects.get(user=user).offsets == []


@pytest.mark.parametrize("offsets", [[7], [60, 45], [-15], ["soon"], [True], [None], [[60]]])
def test_times_off_the_menu_are_refused_and_change_nothing(offsets: list[Any]) -> None:
    user = UserFactory()
    reminder_preference_update(user=user, offsets=[60])

    with pytest.raises(ValidationError) as raised:
        reminder_preference_update(user=user, offsets=offsets)

    assert raised.value.message_dict["offsets"] == [
        "Choose reminder times from the list: 1 week before, 1 day before, 2 hours before, "
        "1 hour before, 30 minutes before, 15 minutes before, 5 minutes before, When it starts."
    ]
    assert ReminderPreference.objects.get(user=user).offsets == [60]


def test_many_peoples_offsets_in_one_query(django_assert_num_queries: Any) -> None:
    hourly, silent, default = UserFactory(), UserFactory(), UserFactory()
    reminder_preference_update(user=hourly, offsets=[60])
    reminder_preference_update(user=silent, offsets=[])

    with django_assert_num_queries(1):
        offsets = reminder_offsets_for_users(user_ids=[hourly.pk, silent.pk, default.pk])

    assert offsets == {hourly.pk: (HOUR,), silent.pk: (), default.pk: REMINDER_OFFSETS}
    with django_assert_num_queries(0):
        assert reminder_offsets_for_users(user_ids=[]) == {}


# API --------------------------------------------------------------------------------------


def _put(client: Client, body: Any) -> Any:
    return client.put(API, data=json.dumps(body), content_type="application/json")


def test_anonymous_gets_401_and_changes_nothing(client: Client) -> None:
    assert client.get(API).status_code == 401
    assert _put(client, {"offsets": [60]}).status_code == 401
    assert not ReminderPreference.objects.exists()


def test_get_shows_the_defaults_and_the_menu(client: Client) -> None:
    client.force_login(UserFactory())

    response = client.get(API)

    assert response.status_code == 200
    body = response.json()
    assert body["offsets"] == [1440, 15]
    assert [choice["minutes"] for choice in body["choices"]] == [10080, 1440, 120, 60, 30, 15, 5, 0]
    assert body["choices"][0] == {"minutes": 10080, "label": "1 week before"}


def test_put_changes_only_your_own(client: Client) -> None:
    me, partner = UserFactory(), UserFactory()
    reminder_preference_update(user=partner, offsets=[120])
    client.force_login(me)

    response = _put(client, {"offsets": [15, 60]})

    assert response.status_code == 200
    assert response.json()["offsets"] == [60, 15]
    assert reminder_minutes_for(user=me) == [60, 15]
    assert reminder_minutes_for(user=partner) == [120]
    assert client.get(API).json()["offsets"] == [60, 15]


def test_put_an_empty_list_turns_reminders_off(client: Client) -> None:
    me = UserFactory()
    client.force_login(me)

    assert _put(client, {"offsets": []}).json()["offsets"] == []
    assert reminder_offsets_for(user=me) == ()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"offsets": [45]}, "offsets"),
        ({"offsets": ["soon"]}, "offsets.0"),
        ({"offsets": 60}, "offsets"),
        ({}, "offsets"),
    ],
)
def test_bad_input_is_422_and_changes_nothing(client: Client, body: Any, field: str) -> None:
    me = UserFactory()
    reminder_preference_update(user=me, offsets=[60])
    client.force_login(me)

    response = _put(client, body)

    assert response.status_code == 422
    assert response.json()["detail"] == "Invalid input."
    assert field in response.json()["errors"]
    assert reminder_minutes_for(user=me) == [60]

"""The secret feed URL and the calendar settings page, with who may do what."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from trellis.accounts.tests.factories import UserFactory
from trellis.calendars.models import CalendarFeedToken, ExternalCalendar
from trellis.calendars.services import calendar_feed_token_create
from trellis.calendars.tests.samples import weekly_berlin_series
from trellis.calendars.views import FEED_REQUESTS_PER_MINUTE
from trellis.profiles.tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _feed_path(raw: str) -> str:
    return reverse("calendars:feed", args=[raw])


def test_the_feed_needs_no_login_and_is_private_text_calendar(client: Client) -> None:
    user = ProfileFactory(display_name="Mia", time_zone="Europe/Berlin").user
    token, raw = calendar_feed_token_create(user=user)

    response = client.get(_feed_path(raw))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Trellis: Mia"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert len(token.token_hash) == 64
    assert raw not in token.token_hash  # only the hash is stored


def test_the_feed_lists_the_users_events(client: Client, monkeypatch: Any) -> None:
    # Stands in for scheduling.selectors until meetings are mapped in this app's tests.
    user = UserFactory()
    fake = types.ModuleType("trellis.scheduling.selectors")
    fake.calendar_events_for = lambda *, user: [weekly_berlin_series()]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "trellis.scheduling.selectors", fake)
    _, raw = calendar_feed_token_create(user=user)

    response = client.get(_feed_path(raw))

    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == "meeting-series-42@trellis.test"
    assert "ATTENDEE" not in event


def test_an_unchanged_feed_answers_304_to_its_etag(client: Client) -> None:
    _, raw = calendar_feed_token_create(user=UserFactory())
    first = client.get(_feed_path(raw))

    again = client.get(_feed_path(raw), headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    "raw", ["cal_unknown-token", "not-a-feed-token", "trl_" + "x" * 43, "cal_" + "x" * 300]
)
def test_an_unknown_token_is_404(client: Client, raw: str) -> None:
    calendar_feed_token_create(user=UserFactory())

    assert client.get(_feed_path(raw)).status_code == 404


def test_a_revoked_or_replaced_token_is_404(client: Client) -> None:
    user = UserFactory()
    _, first = calendar_feed_token_create(user=user)
    _, second = calendar_feed_token_create(user=user)  # a new address replaces the old

    assert client.get(_feed_path(first)).status_code == 404
    assert client.get(_feed_path(second)).status_code == 200
    client.force_login(user)
    client.post(reverse("calendars:feed_revoke"))
    client.logout()
    assert client.get(_feed_path(second)).status_code == 404
    assert CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0


def test_the_feed_of_a_deactivated_person_is_404(client: Client) -> None:
    user = UserFactory()
    _, raw = calendar_feed_token_create(user=user)
    user.is_active = False
    user.save()

    assert client.get(_feed_path(raw)).status_code == 404


def test_a_hammered_feed_is_throttled(client: Client) -> None:
    _, raw = calendar_feed_token_create(user=UserFactory())

    statuses = [client.get(_feed_path(raw)).status_code for _ in range(FEED_REQUESTS_PER_MINUTE)]
    throttled = client.get(_feed_path(raw))

    assert set(statuses) == {200}
    assert throttled.status_code == 429
    assert throttled["Retry-After"] == "60"


# --- The settings page ----------------------------------------------------------------


def test_creating_the_feed_shows_its_addresses_once(client: Client, settings: Any) -> None:
    settings.SITE_URL = "https://trellis.example.org"
    user = UserFactory()
    client.force_login(user)

    created = client.post(reverse("calendars:feed_create"))

    assert created.status_code == 200
    token = CalendarFeedToken.objects.get(user=user)
    html = created.content.decode()
    assert f'value="https://trellis.example.org/calendar/{token.prefix}' in html
    assert f'value="webcal://trellis.example.org/calendar/{token.prefix}' in html
    shown_again = client.get(reverse("calendars:settings")).content.decode()
    assert "webcal://trellis.example.org" not in shown_again
    assert f"<code>{token.prefix}…</code>" in shown_again


def test_the_account_menu_links_the_calendar_page(client: Client) -> None:
    client.force_login(UserFactory())

    response = client.get(reverse("calendars:settings"))

    assert f'href="{reverse("calendars:settings")}"' in response.content.decode()


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "calendars:settings", []),
        ("post", "calendars:feed_create", []),
        ("post", "calendars:feed_revoke", []),
        ("post", "calendars:external_add", []),
        ("post", "calendars:external_remove", [1]),
    ],
)
def test_anonymous_people_are_sent_to_sign_in_and_change_nothing(
    client: Client, method: str, name: str, args: list[int]
) -> None:
    owner = UserFactory()
    calendar_feed_token_create(user=owner)
    calendar = ExternalCalendar.objects.create(
        user=owner, name="Work", url="https://calendar.example.org/work.ics"
    )
    if args:
        args = [calendar.pk]

    response = getattr(client, method)(
        reverse(name, args=args), {"name": "X", "url": "https://example.org/x.ics"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert CalendarFeedToken.objects.count() == 1
    assert CalendarFeedToken.objects.get().revoked_at is None
    assert list(ExternalCalendar.objects.values_list("name", flat=True)) == ["Work"]


def test_a_person_cannot_revoke_another_persons_feed(client: Client) -> None:
    owner, other = UserFactory(), UserFactory()
    _, raw = calendar_feed_token_create(user=owner)
    client.force_login(other)

    client.post(reverse("calendars:feed_revoke"))

    assert CalendarFeedToken.objects.get(user=owner).revoked_at is None
    assert client.get(_feed_path(raw)).status_code == 200


def test_a_person_sees_and_removes_only_their_own_subscriptions(client: Client) -> None:
    owner, other = UserFactory(), UserFactory()
    theirs = ExternalCalendar.objects.create(
        user=owner, name="Owner's secret work", url="https://calendar.example.org/owner.ics"
    )
    mine = ExternalCalendar.objects.create(
        user=other, name="My holidays", url="https://calendar.example.org/mine.ics"
    )
    client.force_login(other)

    page = client.get(reverse("calendars:settings")).content.decode()
    refused = client.post(reverse("calendars:external_remove", args=[theirs.pk]))
    removed = client.post(reverse("calendars:external_remove", args=[mine.pk]))

    assert "My holidays" in page
    assert "Owner&#x27;s secret work" not in page
    assert "Owner's secret work" not in page
    assert refused.status_code == 404
    assert removed.status_code == 302
    assert list(ExternalCalendar.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_adding_a_private_address_is_refused_with_a_field_error(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("calendars:external_add"),
        {"name": "Router", "url": "https://192.168.1.1/calendar.ics"},
    )

    assert response.status_code == 422
    assert "Calendars on local or private addresses cannot be read." in response.content.decode()
    assert ExternalCalendar.objects.count() == 0


def test_the_pages_only_take_the_right_method(client: Client) -> None:
    client.force_login(UserFactory())

    assert client.get(reverse("calendars:feed_create")).status_code == 405
    assert client.post(reverse("calendars:settings")).status_code == 405
    assert CalendarFeedToken.objects.count() == 0

"""Subscribed calendars: the SSRF guard, the background fetch, the busy cache and its reader."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from trellis.accounts.tests.factories import UserFactory
from trellis.calendars import fetch, ics
from trellis.calendars.models import ExternalCalendar
from trellis.calendars.selectors import busy_intervals_for
from trellis.calendars.services import external_calendar_add, external_calendar_refresh
from trellis.calendars.tests.samples import BERLIN
from trellis.calendars.tests.servers import HTTPSite, Route, http_server
from trellis.profiles.tests.factories import ProfileFactory


@pytest.fixture
def site(settings: Any) -> Iterator[HTTPSite]:
    settings.CALENDARS_ALLOW_LOOPBACK_URLS = True  # the test's own server is on loopback
    with http_server() as served:
        yield served


def _weekly_calendar(first_start: datetime, *, count: int = 3) -> bytes:
    event = ics.CalendarEvent(
        uid="busy@example.org",
        sequence=0,
        summary="Team meeting",
        start=first_start,
        end=first_start + timedelta(hours=1),
        rrule=f"FREQ=WEEKLY;COUNT={count}",
        organizer=ics.Person("Boss", "boss@example.org"),
    )
    return ics.feed([event], name="Work")


def _tomorrow_at_nine() -> datetime:
    tomorrow = timezone.now().astimezone(BERLIN).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, tzinfo=BERLIN)


# --- The SSRF guard ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://calendar.example.org/work.ics",
        "ftp://calendar.example.org/work.ics",
        "file:///etc/passwd",
        "https://localhost/work.ics",
        "https://intranet.localhost/work.ics",
        "https://127.0.0.1/work.ics",
        "https://10.1.2.3/work.ics",
        "https://192.168.0.1/work.ics",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/work.ics",
        "https://[::ffff:127.0.0.1]/work.ics",
        "https://0.0.0.0/work.ics",
        "https://user:secret@calendar.example.org/work.ics",
        "https:///work.ics",
    ],
)
def test_the_guard_refuses_unsafe_addresses(url: str) -> None:
    with pytest.raises(fetch.CalendarURLError):
        fetch.check_url(url)


def test_the_guard_accepts_public_https_and_reads_webcal_as_https() -> None:
    url = fetch.normalize_url(" webcal://calendar.example.org/u/1/basic.ics?key=abc ")

    target = fetch.check_url(url)

    assert url == "https://calendar.example.org/u/1/basic.ics?key=abc"
    assert (target.host, target.port, target.path) == (
        "calendar.example.org",
        443,
        "/u/1/basic.ics?key=abc",
    )


def test_a_public_name_that_resolves_to_a_private_address_is_refused_before_connecting() -> None:
    answer = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 443))]
    with (
        mock.patch.object(fetch.socket, "getaddrinfo", return_value=answer),
        mock.patch.object(fetch.socket, "create_connection") as connect,
        pytest.raises(fetch.CalendarURLError, match="private"),
    ):
        fetch.fetch_calendar("https://rebinding.example.org/cal.ics")

    connect.assert_not_called()


def test_local_addresses_are_allowed_in_debug(settings: Any) -> None:
    settings.DEBUG = True

    assert fetch.check_url("http://127.0.0.1:8000/cal.ics").host == "127.0.0.1"


@pytest.mark.django_db
def test_adding_an_unsafe_address_creates_nothing() -> None:
    user = UserFactory()

    with pytest.raises(ValidationError) as error:
        external_calendar_add(user=user, name="Metadata", url="https://169.254.169.254/")

    assert error.value.message_dict == {
        "url": ["Calendars on local or private addresses cannot be read."]
    }
    assert ExternalCalendar.objects.count() == 0


# --- Fetching from a real local server --------------------------------------------------


@pytest.mark.django_db
def test_adding_a_calendar_fetches_it_in_the_background_and_caches_its_busy_time(
    site: HTTPSite, django_capture_on_commit_callbacks: Any
) -> None:
    user = ProfileFactory(time_zone="Europe/Berlin").user
    first = _tomorrow_at_nine()
    site.routes["/work.ics"] = Route(
        body=_weekly_calendar(first), headers={"Content-Type": "text/calendar"}
    )

    with django_capture_on_commit_callbacks(execute=True):
        calendar = external_calendar_add(user=user, name="Work", url=site.base_url + "/work.ics")
        assert site.requests == []  # not during the request: on commit, by the task

    calendar.refresh_from_db()
    assert calendar.error == ""
    assert calendar.fetched_at is not None
    expected = [
        (start.astimezone(UTC), (start + timedelta(hours=1)).astimezone(UTC))
        for start in (first, first + timedelta(weeks=1), first + timedelta(weeks=2))
    ]
    assert calendar.busy_intervals() == expected
    ((path, headers),) = site.requests
    assert path == "/work.ics"
    assert headers["User-Agent"] == fetch.USER_AGENT


@pytest.mark.django_db
def test_an_error_is_recorded_and_the_last_busy_time_is_kept(site: HTTPSite) -> None:
    user = UserFactory()
    site.routes["/work.ics"] = Route(body=_weekly_calendar(_tomorrow_at_nine()))
    calendar = ExternalCalendar.objects.create(
        user=user, name="Work", url=site.base_url + "/work.ics"
    )
    external_calendar_refresh(external_calendar=calendar)
    cached = list(calendar.busy)

    site.routes["/work.ics"] = Route(status=500, body=b"oops")
    external_calendar_refresh(external_calendar=calendar)
    calendar.refresh_from_db()
    assert calendar.error == "The calendar answered HTTP 500."
    assert calendar.busy == cached

    site.routes["/work.ics"] = Route(body=b"<html>Sign in to see this calendar</html>")
    external_calendar_refresh(external_calendar=calendar)
    calendar.refresh_from_db()
    assert calendar.error.startswith("Not an iCalendar document")
    assert calendar.busy == cached


def test_redirects_are_followed_and_checked_again(site: HTTPSite) -> None:
    site.routes["/old.ics"] = Route(status=301, headers={"Location": "/new.ics"})
    site.routes["/new.ics"] = Route(body=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")

    assert fetch.fetch_calendar(site.base_url + "/old.ics") == site.routes["/new.ics"].body

    # Loopback is allowed for the test's server; the cloud metadata address never is.
    site.routes["/old.ics"] = Route(
        status=302, headers={"Location": "http://169.254.169.254/latest/meta-data"}
    )
    with pytest.raises(fetch.CalendarURLError):
        fetch.fetch_calendar(site.base_url + "/old.ics")
    site.routes["/old.ics"] = Route(
        status=302, headers={"Location": "https://169.254.169.254/latest/meta-data"}
    )
    with pytest.raises(fetch.CalendarURLError, match="private"):
        fetch.fetch_calendar(site.base_url + "/old.ics")


def test_loopback_is_refused_without_the_test_setting() -> None:
    with pytest.raises(fetch.CalendarURLError):
        fetch.fetch_calendar("http://127.0.0.1:9/cal.ics")
    with pytest.raises(fetch.CalendarURLError, match="private"):
        fetch.fetch_calendar("https://127.0.0.1:9/cal.ics")


def test_a_calendar_larger_than_the_limit_is_refused(site: HTTPSite) -> None:
    site.routes["/huge.ics"] = Route(body=b"X" * 5000)

    with pytest.raises(fetch.CalendarFetchError, match="larger than"):
        fetch.fetch_calendar(site.base_url + "/huge.ics", max_bytes=4096)


def test_a_slow_calendar_times_out(site: HTTPSite) -> None:
    site.routes["/slow.ics"] = Route(body=b"BEGIN:VCALENDAR", delay_seconds=2)

    with pytest.raises(fetch.CalendarFetchError, match="too long"):
        fetch.fetch_calendar(site.base_url + "/slow.ics", timeout=0.3)


@pytest.mark.django_db
def test_the_command_refreshes_every_calendar(
    site: HTTPSite, django_capture_on_commit_callbacks: Any
) -> None:
    site.routes["/a.ics"] = Route(body=_weekly_calendar(_tomorrow_at_nine(), count=1))
    site.routes["/b.ics"] = Route(body=_weekly_calendar(_tomorrow_at_nine(), count=2))
    first = ExternalCalendar.objects.create(
        user=UserFactory(), name="A", url=site.base_url + "/a.ics"
    )
    second = ExternalCalendar.objects.create(
        user=UserFactory(), name="B", url=site.base_url + "/b.ics"
    )

    with django_capture_on_commit_callbacks(execute=True):
        call_command("calendars_refresh", stdout=mock.Mock())

    first.refresh_from_db()
    second.refresh_from_db()
    assert (len(first.busy), len(second.busy)) == (1, 2)
    assert sorted(path for path, _ in site.requests) == ["/a.ics", "/b.ics"]


# --- Reading the cache ------------------------------------------------------------------


@pytest.mark.django_db
def test_busy_intervals_for_reads_only_the_persons_cache_clipped_and_merged(
    django_assert_num_queries: Any,
) -> None:
    user, other = UserFactory(), UserFactory()

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 3, 16, hour, minute, tzinfo=UTC)

    ExternalCalendar.objects.create(
        user=user,
        name="Work",
        url="https://calendar.example.org/work.ics",
        busy=[[at(8).isoformat(), at(10).isoformat()], [at(14).isoformat(), at(15).isoformat()]],
    )
    ExternalCalendar.objects.create(
        user=user,
        name="Family",
        url="https://calendar.example.org/family.ics",
        busy=[[at(9, 30).isoformat(), at(11).isoformat()]],
    )
    ExternalCalendar.objects.create(
        user=other,
        name="Other's",
        url="https://calendar.example.org/other.ics",
        busy=[[at(12).isoformat(), at(13).isoformat()]],
    )

    with django_assert_num_queries(1), mock.patch.object(fetch, "fetch_calendar") as fetched:
        intervals = busy_intervals_for(user=user, start=at(9), end=at(14, 30))

    fetched.assert_not_called()
    assert intervals == [(at(9), at(11)), (at(14), at(14, 30))]

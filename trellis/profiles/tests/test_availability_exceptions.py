"""Days that differ on the profile: the page at /profile/availability/exceptions/ and
/api/v1/profile/availability/exceptions[/{date}]."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from trellis.accounts.services import personal_access_token_create
from trellis.accounts.tests.factories import UserFactory
from trellis.profiles.tests.factories import ProfileFactory
from trellis.scheduling.availability import person_today
from trellis.scheduling.models import AvailabilityException

pytestmark = pytest.mark.django_db

PAGE = "/profile/availability/exceptions/"
API = "/api/v1/profile/availability/exceptions"


def state():
    return sorted(AvailabilityException.objects.values_list("user_id", "date", "windows", "note"))


def days_ahead(user, days: int) -> dt.date:
    return person_today(user=user) + dt.timedelta(days=days)


def delete_url(day: dt.date) -> str:
    return reverse("profiles:availability_exception_delete", args=[day.isoformat()])


@pytest.fixture
def owner(profile):
    return profile.user


@pytest.fixture
def someone_else():
    return ProfileFactory(time_zone="Asia/Tokyo").user


@pytest.fixture
def theirs(someone_else):
    return AvailabilityException.objects.create(
        user=someone_else, date=days_ahead(someone_else, 3), windows=[], note="Theirs"
    )


def form(day: dt.date | str, kind: str = "day_off", **extra: str) -> dict[str, str]:
    data = {"date": str(day), "kind": kind, "note": "", "rows": "2"}
    for index in range(2):
        data[f"window_{index}_start"] = ""
        data[f"window_{index}_end"] = ""
    data.update(extra)
    return data


# --- The page -----------------------------------------------------------------------------


def test_the_profile_page_links_to_days_that_differ(client, owner):
    client.force_login(owner)

    response = client.get(reverse("profiles:edit"))

    assert f'href="{PAGE}"' in response.content.decode()


def test_the_page_lists_only_the_persons_upcoming_exceptions(client, owner, theirs):
    AvailabilityException.objects.create(user=owner, date=days_ahead(owner, -1), windows=[])
    AvailabilityException.objects.create(
        user=owner,
        date=days_ahead(owner, 2),
        windows=[["09:00", "12:00"], ["14:00", "16:00"]],
        note="Half day",
    )
    client.force_login(owner)

    response = client.get(PAGE)

    page = response.content.decode()
    assert response.status_code == 200
    assert "available 09:00–12:00, 14:00–16:00" in page  # noqa: RUF001
    assert "Half day" in page
    assert "Theirs" not in page
    assert page.count('hx-post="/profile/availability/exceptions/') == 1  # not the past day
    assert "Europe/Berlin" in page


def test_adding_a_day_off(client, owner):
    client.force_login(owner)
    day = days_ahead(owner, 10)

    response = client.post(PAGE, form(day, note="Public holiday"), follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert f"Saved: {day:%A %-d %B %Y}, day off." in response.content.decode()
    assert state() == [(owner.pk, day, [], "Public holiday")]


def test_adding_replacement_windows(client, owner):
    client.force_login(owner)
    day = days_ahead(owner, 10)

    response = client.post(
        PAGE,
        form(
            day,
            "windows",
            window_0_start="13:00",
            window_0_end="15:00",
            window_1_start="08:00",
            window_1_end="09:30",
        ),
    )

    assert response.status_code == 302
    assert state() == [(owner.pk, day, [["08:00", "09:30"], ["13:00", "15:00"]], "")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda day: form(""), "Choose a date."),
        (lambda day: form("24.12.2025"), "Enter a date such as 2025-12-24."),
        (lambda day: form(day - dt.timedelta(days=11)), "this one has passed."),
        (lambda day: form(day + dt.timedelta(days=400)), "Choose a day within the next year."),
        (lambda day: form(day, "windows"), "Give at least one window, or choose a day off."),
        (
            lambda day: form(day, "windows", window_0_start="10:00", window_0_end="09:00"),
            "Window 1: the end must be after the start.",
        ),
        (
            lambda day: form(
                day,
                "windows",
                window_0_start="09:00",
                window_0_end="12:00",
                window_1_start="11:00",
                window_1_end="13:00",
            ),
            "09:00–12:00 overlaps 11:00–13:00.",  # noqa: RUF001
        ),
        (lambda day: form(day, "windows", window_0_start="10:00"), "Give an end time."),
    ],
)
def test_bad_input_is_shown_with_422_and_changes_nothing(client, owner, data, message):
    client.force_login(owner)
    kept = AvailabilityException.objects.create(
        user=owner, date=days_ahead(owner, 10), windows=[["09:00", "10:00"]]
    )
    before = state()

    response = client.post(PAGE, data(kept.date))

    assert response.status_code == 422
    assert message in response.content.decode()
    assert "nothing was saved" in response.content.decode()
    assert state() == before


def test_add_a_window_without_javascript_keeps_what_was_typed(client, owner):
    client.force_login(owner)

    response = client.post(
        PAGE, {**form(days_ahead(owner, 3), "windows", window_0_start="09:00"), "add_window": "1"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Window 3" in page
    assert 'value="09:00"' in page
    assert state() == []


def test_add_a_window_with_htmx_sends_one_row(client, owner):
    client.force_login(owner)

    response = client.get(PAGE, {"add_window": "1", "rows": "2"}, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert "<legend>Window 3</legend>" in page
    assert 'name="window_2_start"' in page
    assert 'name="rows" value="3"' in page
    full = client.get(PAGE, {"add_window": "1", "rows": "6"}, HTTP_HX_REQUEST="true")
    assert "at most 6 windows" in full.content.decode()


def test_removing_ones_own_exception(client, owner):
    exception = AvailabilityException.objects.create(
        user=owner, date=days_ahead(owner, 4), windows=[]
    )
    client.force_login(owner)

    response = client.post(delete_url(exception.date), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Removed:" in response.content.decode()
    assert 'id="exception-list"' in response.content.decode()
    assert state() == []


def test_nobody_removes_anothers_exception(client, owner, theirs):
    client.force_login(owner)
    before = state()

    response = client.post(delete_url(theirs.date))

    assert response.status_code == 404
    assert state() == before


def test_removing_needs_post_and_a_date(client, owner):
    exception = AvailabilityException.objects.create(
        user=owner, date=days_ahead(owner, 4), windows=[]
    )
    client.force_login(owner)

    assert client.get(delete_url(exception.date)).status_code == 405
    assert client.post("/profile/availability/exceptions/not-a-date/delete/").status_code == 404
    assert state() == [(owner.pk, exception.date, [], "")]


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(client, theirs, method):
    before = state()
    for url in (PAGE, delete_url(theirs.date)):
        response = getattr(client, method)(url, form(theirs.date))
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")
    assert state() == before


# --- The API ------------------------------------------------------------------------------


def put(client, day, body, **extra):
    return client.put(f"{API}/{day}", body, content_type="application/json", **extra)


def test_api_put_get_list_and_delete(client, owner):
    client.force_login(owner)
    day = days_ahead(owner, 5)

    created = put(
        client,
        day,
        {"windows": [{"start_time": "14:00", "end_time": "16:00"}], "note": "Training"},
    )
    day_off = put(client, days_ahead(owner, 6), {})

    assert created.status_code == 200
    assert created.json() == {
        "date": day.isoformat(),
        "is_day_off": False,
        "windows": [{"start_time": "14:00:00", "end_time": "16:00:00"}],
        "note": "Training",
    }
    assert day_off.json()["is_day_off"] is True
    assert client.get(f"{API}/{day}").json()["note"] == "Training"
    assert [item["date"] for item in client.get(API).json()] == [
        day.isoformat(),
        days_ahead(owner, 6).isoformat(),
    ]
    assert client.delete(f"{API}/{day}").status_code == 204
    assert [row[1] for row in state()] == [days_ahead(owner, 6)]


def test_api_with_a_personal_access_token(client, owner):
    _, raw = personal_access_token_create(user=owner, name="script")

    response = put(
        client, days_ahead(owner, 2), {"windows": None}, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )

    assert response.status_code == 200
    assert state() == [(owner.pk, days_ahead(owner, 2), [], "")]


@pytest.mark.parametrize(
    ("path_day", "body", "field"),
    [
        (lambda d: d - dt.timedelta(days=6), {}, "date"),
        (lambda d: d + dt.timedelta(days=400), {}, "date"),
        (lambda d: "2025-02-30", {}, "day"),
        (lambda d: d, {"windows": [{"start_time": "10:00", "end_time": "09:00"}]}, "windows"),
        (lambda d: d, {"windows": []}, "windows"),
        (
            lambda d: d,
            {"windows": [{"start_time": "x", "end_time": "09:00"}]},
            "windows.0.start_time",
        ),
        (lambda d: d, {"day_off": True}, "day_off"),
        (lambda d: d, {"note": "x" * 201}, "note"),
    ],
)
def test_api_bad_input_is_422_with_field_errors_and_changes_nothing(
    client, owner, path_day, body, field
):
    client.force_login(owner)
    kept = days_ahead(owner, 5)
    AvailabilityException.objects.create(user=owner, date=kept, windows=[["09:00", "10:00"]])
    before = state()

    response = put(client, path_day(kept), body)

    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert state() == before


def test_api_cannot_reach_anothers_exception(client, owner, theirs):
    client.force_login(owner)
    before = state()

    assert client.get(f"{API}/{theirs.date}").status_code == 404
    assert client.delete(f"{API}/{theirs.date}").status_code == 404
    assert client.get(API).json() == []
    assert state() == before


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_api_anonymous_gets_401_and_changes_nothing(client, theirs, method):
    before = state()

    for url in (API, f"{API}/{theirs.date}"):
        response = getattr(client, method)(url, {}, content_type="application/json")
        assert response.status_code in (401, 405)
    assert client.get(API).status_code == 401
    assert (
        client.put(f"{API}/{theirs.date}", {}, content_type="application/json").status_code == 401
    )
    assert client.delete(f"{API}/{theirs.date}").status_code == 401
    assert state() == before


def test_a_first_visit_without_a_profile_works(client):
    user = UserFactory()
    client.force_login(user)

    response = client.get(PAGE)

    assert response.status_code == 200
    assert "No days that differ." in response.content.decode()

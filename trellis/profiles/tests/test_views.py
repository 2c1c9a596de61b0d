"""The profile pages: edit your own at /profile/, read anyone's at /profile/<user_id>/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.forms.models import model_to_dict

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.profiles.models import AvailabilityWindow, Profile
from trellis.profiles.tests.factories import AvailabilityWindowFactory, ProfileFactory
from trellis.profiles.tests.images import image_bytes, upload
from trellis.programs.models import Role
from trellis.programs.tests.factories import EnrollmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def form_data(**overrides: object) -> dict[str, object]:
    """A complete, valid post of the profile page; an override of None leaves a key out."""
    data: dict[str, object] = {
        "display_name": "Ana Silva",
        "pronouns": "she/her",
        "headline": "Data engineer",
        "bio": "First line\nSecond line",
        "time_zone": "Europe/Lisbon",
        "city": "Lisbon",
        "country": "PT",
        "contact_hours_start": "09:00",
        "contact_hours_end": "17:00",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00",
        "organisation": "Acme",
        "department": "Data",
        "seniority": "3",
        "manager_email": "",
        "skills_offered": "Python, SQL, python",
        "skills_sought": "Public Speaking",
        "interests": "hiking",
        "values": "honesty, curiosity",
        "goals": "Lead a team",
        "languages": ["pt", "en"],
        "communication_modes": ["video", "chat"],
        "meeting_frequency": "fortnightly",
        "availability-TOTAL_FORMS": "2",
        "availability-INITIAL_FORMS": "0",
        "availability-MIN_NUM_FORMS": "0",
        "availability-MAX_NUM_FORMS": "50",
        "availability-0-weekday": "0",
        "availability-0-start_time": "09:00",
        "availability-0-end_time": "11:00",
        "availability-1-weekday": "",
        "availability-1-start_time": "",
        "availability-1-end_time": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def state(profile: Profile) -> tuple[dict, list[tuple[int, dt.time, dt.time]]]:
    fields = model_to_dict(Profile.objects.get(pk=profile.pk))
    windows = list(
        AvailabilityWindow.objects.filter(profile=profile).values_list(
            "weekday", "start_time", "end_time"
        )
    )
    return fields, windows


@pytest.fixture
def signed_in(client, profile):
    client.force_login(profile.user)
    return client


# --- Access ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/profile/", "/profile/1/", "/profile/?add_window=1"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path, HTTP_HX_REQUEST="true" if "add_window" in path else None)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert Profile.objects.count() == 0


def test_anonymous_post_changes_nothing(client, profile):
    before = state(profile)

    response = client.post("/profile/", form_data())

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert state(profile) == before


# --- Edit page ---------------------------------------------------------------------------


def test_first_visit_creates_the_profile_and_leaves_the_time_zone_to_detect(client):
    user = UserFactory(email="kofi.mensah@example.org")
    client.force_login(user)

    response = client.get("/profile/")

    assert response.status_code == 200
    profile = Profile.objects.get(user=user)
    assert profile.display_name == "kofi.mensah"
    html = response.content.decode()
    select = re.search(r"<select name=\"time_zone\"[^>]*>", html).group(0)
    assert "data-detect-time-zone" in select
    assert '<option value="" selected>Choose your time zone</option>' in html
    assert 'value="kofi.mensah"' in html


def test_edit_page_shows_the_saved_profile(signed_in, profile):
    Profile.objects.filter(pk=profile.pk).update(
        skills_offered=["python", "sql"], time_zone="Africa/Accra"
    )
    AvailabilityWindowFactory(profile=profile, weekday=2, start_time="14:00", end_time="15:30")

    response = signed_in.get("/profile/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="Africa/Accra" selected>Africa/Accra</option>' in html
    assert 'value="python, sql"' in html
    assert '<option value="2" selected>Wednesday</option>' in html
    assert 'value="14:00"' in html
    assert response.context["formset"].total_form_count() == 2  # the window and an empty row


def test_saving_the_page_stores_everything_and_says_so(signed_in, profile):
    boss = UserFactory(email="boss@example.org")

    response = signed_in.post("/profile/", form_data(manager_email="Boss@example.org"))

    assert response.status_code == 302
    assert response.url == "/profile/"
    profile.refresh_from_db()
    assert profile.display_name == "Ana Silva"
    assert profile.pronouns == "she/her"
    assert profile.bio == "First line\nSecond line"
    assert profile.time_zone == "Europe/Lisbon"
    assert profile.country.code == "PT"
    assert profile.contact_hours_start == dt.time(9)
    assert profile.quiet_hours_end == dt.time(7)
    assert profile.seniority == 3
    assert profile.manager == boss
    assert profile.skills_offered == ["python", "sql"]
    assert profile.skills_sought == ["public speaking"]
    assert profile.values == ["honesty", "curiosity"]
    assert profile.languages == ["pt", "en"]
    assert profile.communication_modes == ["video", "chat"]
    assert profile.meeting_frequency == "fortnightly"
    assert state(profile)[1] == [(0, dt.time(9), dt.time(11))]
    page = signed_in.get(response.url)
    assert "Profile saved." in page.content.decode()


def test_browser_line_breaks_are_stored_as_one_character(signed_in, profile):
    # 30 lines of 100 characters: 3000 as the page counts them, 3030 as CRLF is sent.
    bio = ("x" * 99 + "\r\n") * 30

    response = signed_in.post("/profile/", form_data(bio=bio))

    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.bio == ("x" * 99 + "\n") * 29 + "x" * 99


def test_a_window_can_be_removed_and_another_changed(signed_in, profile):
    AvailabilityWindowFactory(profile=profile, weekday=0, start_time="09:00", end_time="10:00")
    AvailabilityWindowFactory(profile=profile, weekday=3, start_time="18:00", end_time="19:00")
    data = form_data(
        **{
            "availability-TOTAL_FORMS": "3",
            "availability-INITIAL_FORMS": "2",
            "availability-0-weekday": "0",
            "availability-0-start_time": "09:00",
            "availability-0-end_time": "10:00",
            "availability-0-DELETE": "on",
            "availability-1-weekday": "3",
            "availability-1-start_time": "18:00",
            "availability-1-end_time": "20:00",
            "availability-2-weekday": "",
            "availability-2-start_time": "",
            "availability-2-end_time": "",
        }
    )

    response = signed_in.post("/profile/", data)

    assert response.status_code == 302
    assert state(profile)[1] == [(3, dt.time(18), dt.time(20))]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"display_name": ""}, "display_name", "Enter the name others should see."),
        ({"display_name": "   "}, "display_name", "Enter the name others should see."),
        ({"display_name": None}, "display_name", "Enter the name others should see."),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "is not a known time zone"),
        ({"time_zone": ""}, "time_zone", "Choose your time zone."),
        ({"bio": "x" * 3001}, "bio", "at most 3000 characters"),
        ({"headline": "x" * 141}, "headline", "at most 140 characters"),
        ({"skills_offered": "x" * 41}, "skills_offered", "is longer than 40 characters"),
        (
            {"interests": ", ".join(f"tag{n}" for n in range(31))},
            "interests",
            "List at most 30 items",
        ),
        ({"contact_hours_end": "08:00"}, "contact_hours_end", "must end after they start"),
        ({"contact_hours_end": ""}, "contact_hours_end", "Give an end time too"),
        ({"contact_hours_start": "9am"}, "contact_hours_start", "Enter a valid time."),
        ({"manager_email": "ana@example.org"}, "manager_email", "your own line manager"),
        ({"manager_email": "ghost@example.org"}, "manager_email", "No one on Trellis uses"),
        ({"manager_email": "not an address"}, "manager_email", "Enter a valid email address."),
        ({"seniority": "high"}, "seniority", "Select a valid choice."),
        ({"languages": ["xx"]}, "languages", "Select a valid choice."),
        ({"communication_modes": ["fax"]}, "communication_modes", "Select a valid choice."),
        ({"country": "XX"}, "country", "Select a valid choice."),
        ({"meeting_frequency": "daily"}, "meeting_frequency", "Select a valid choice."),
        ({"pronouns": "a\x00b"}, "pronouns", "Null characters are not allowed."),
    ],
)
def test_bad_fields_are_reported_with_422_and_nothing_changes(
    signed_in, profile, overrides, field, message
):
    before = state(profile)

    response = signed_in.post("/profile/", form_data(**overrides))

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert any(message in text for text in errors[field]), errors
    assert 'aria-invalid="true"' in response.content.decode()
    assert "nothing was saved" in response.content.decode()
    assert state(profile) == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"availability-0-start_time": "11:00", "availability-0-end_time": "10:00"},
            "The end must be after the start.",
        ),
        ({"availability-0-weekday": ""}, "Choose a day."),
        ({"availability-0-weekday": "9"}, "Select a valid choice."),
        ({"availability-0-end_time": ""}, "Give an end time."),
        ({"availability-0-start_time": "soon"}, "Enter a valid time."),
    ],
)
def test_bad_availability_rows_are_reported_on_the_row(signed_in, profile, overrides, message):
    before = state(profile)

    response = signed_in.post("/profile/", form_data(**overrides))

    assert response.status_code == 422
    row_errors = response.context["formset"].forms[0].errors
    assert any(message in text for texts in row_errors.values() for text in texts), row_errors
    assert state(profile) == before


def test_overlapping_windows_are_reported_above_the_rows(signed_in, profile):
    before = state(profile)
    data = form_data(
        **{
            "availability-1-weekday": "0",
            "availability-1-start_time": "10:00",
            "availability-1-end_time": "12:00",
        }
    )

    response = signed_in.post("/profile/", data)

    assert response.status_code == 422
    assert response.context["availability_errors"] == [
        "Monday 09:00\u201311:00 overlaps Monday 10:00\u201312:00."
    ]
    assert "overlaps Monday" in response.content.decode()
    assert state(profile) == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"availability-TOTAL_FORMS": None},
        {"availability-TOTAL_FORMS": "many"},
        {"availability-TOTAL_FORMS": "100000"},
    ],
)
def test_a_broken_or_oversized_formset_is_refused(signed_in, profile, overrides):
    before = state(profile)

    response = signed_in.post("/profile/", form_data(**overrides))

    assert response.status_code == 422
    assert response.context["formset"].non_form_errors()
    assert state(profile) == before


def test_html_in_every_text_field_is_stored_as_text_and_shown_inert(signed_in, profile):
    text_fields = [
        "display_name",
        "pronouns",
        "headline",
        "bio",
        "city",
        "organisation",
        "department",
        "goals",
        "skills_offered",
        "skills_sought",
        "interests",
        "values",
    ]

    response = signed_in.post("/profile/", form_data(**dict.fromkeys(text_fields, SCRIPT)))

    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.bio == SCRIPT
    assert profile.skills_offered == [SCRIPT]
    for page in (signed_in.get("/profile/"), signed_in.get(f"/profile/{profile.user_id}/")):
        html = page.content.decode()
        assert SCRIPT not in html
        assert ESCAPED_SCRIPT in html


def test_photo_can_be_uploaded_and_removed_from_the_page(
    signed_in, profile, media_files, django_capture_on_commit_callbacks
):
    photo = upload("me.png", image_bytes("PNG", (800, 800)))

    response = signed_in.post("/profile/", form_data(photo=photo))

    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.photo.name.endswith(".jpg")
    page = signed_in.get("/profile/").content.decode()
    assert f'src="/media/{profile.photo.name}" alt="Your current photo"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post("/profile/", form_data(remove_photo="on"))

    assert response.status_code == 302
    profile.refresh_from_db()
    assert not profile.photo
    assert media_files() == []


def test_a_bad_photo_is_refused_with_the_rest_of_the_page(signed_in, profile, media_files):
    before = state(profile)
    fake = upload("me.png", b"<svg onload=alert(1)>")

    response = signed_in.post("/profile/", form_data(photo=fake))

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "photo": ["Upload a JPEG, PNG or WebP photo; this file is not one we can read."]
    }
    assert state(profile) == before
    assert media_files() == []


def test_htmx_add_window_returns_the_next_row_and_counts_it(signed_in):
    response = signed_in.get(
        "/profile/", {"add_window": "1", "availability-TOTAL_FORMS": "3"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<legend>Window 4</legend>" in html
    assert 'name="availability-3-weekday" autofocus' in html
    assert (
        '<input type="hidden" name="availability-TOTAL_FORMS" value="4" '
        'id="id_availability-TOTAL_FORMS" hx-swap-oob="true">'
    ) in html
    assert "<html" not in html


@pytest.mark.parametrize("total", ["50", "999"])
def test_htmx_add_window_stops_at_the_limit(signed_in, total):
    response = signed_in.get(
        "/profile/", {"add_window": "1", "availability-TOTAL_FORMS": total}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "You can add at most 50 windows." in response.content.decode()


def test_add_window_without_javascript_adds_a_row_and_saves_nothing(signed_in, profile):
    before = state(profile)

    response = signed_in.post("/profile/", form_data(add_window="1"))

    assert response.status_code == 200
    assert response.context["formset"].total_form_count() == 3
    assert 'name="availability-2-weekday"' in response.content.decode()
    assert state(profile) == before


# --- Detail page -------------------------------------------------------------------------


@pytest.fixture
def target(db):
    """A mentee with private hours and a line manager, enrolled in a program."""
    boss = UserFactory(email="boss@example.org")
    profile = ProfileFactory(
        user=UserFactory(email="zainab@example.org"),
        display_name="Zainab",
        bio="Line one\nLine two",
        time_zone="Africa/Lagos",
        contact_hours_start=dt.time(7, 15),
        contact_hours_end=dt.time(8, 45),
        quiet_hours_start=dt.time(23, 10),
        quiet_hours_end=dt.time(6, 20),
        manager=boss,
        skills_sought=["data analysis"],
    )
    AvailabilityWindowFactory(profile=profile, weekday=1, start_time="18:00", end_time="19:30")
    EnrollmentFactory(user=profile.user, role=Role.MENTEE)
    return profile


PRIVATE_BITS = ["07:15", "08:45", "23:10", "06:20", "boss@example.org", "Only you can see this"]


def viewer_for(role: str, target: Profile):
    program = target.user.enrollments.get().program
    if role == "mentee":
        return EnrollmentFactory(program=program, role=Role.MENTEE).user
    if role == "mentor":
        return EnrollmentFactory(program=program, role=Role.MENTOR).user
    if role == "other_program_manager":
        manager = UserFactory()
        ProgramFactory(managers=[manager])
        return manager
    if role == "program_manager":
        manager = UserFactory()
        program.managers.add(manager)
        return manager
    if role == "staff":
        return StaffFactory()
    raise AssertionError(role)


@pytest.mark.parametrize(
    "role", ["mentee", "mentor", "other_program_manager", "program_manager", "staff"]
)
def test_others_see_the_public_profile_without_private_fields(client, target, role):
    client.force_login(viewer_for(role, target))

    response = client.get(f"/profile/{target.user_id}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Zainab" in html
    assert "Line one<br>Line two" in html
    assert "data analysis" in html
    assert "Tuesday <time>18:00</time>\u2013<time>19:30</time>" in html
    assert "In their time zone, Africa/Lagos." in html
    for private in PRIVATE_BITS:
        assert private not in html, private


def test_anonymous_cannot_see_a_profile(client, target):
    response = client.get(f"/profile/{target.user_id}/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_owner_sees_the_private_part(client, target):
    client.force_login(target.user)

    response = client.get(f"/profile/{target.user_id}/")

    html = response.content.decode()
    assert response.status_code == 200
    for private in PRIVATE_BITS:
        assert private in html, private
    assert "In your time zone, Africa/Lagos." in html


def test_unknown_inactive_and_profileless_people_are_not_found(client, target):
    client.force_login(UserFactory())
    inactive = ProfileFactory(user=UserFactory(is_active=False))
    without_profile = UserFactory()

    for user_id in (999_999, inactive.user_id, without_profile.pk):
        assert client.get(f"/profile/{user_id}/").status_code == 404


# --- Query counts ------------------------------------------------------------------------

EDIT_PAGE_QUERIES = 7
DETAIL_PAGE_QUERIES = 7


def add_windows(profile: Profile, count: int) -> None:
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            profile=profile,
            weekday=n % 7,
            start_time=dt.time(n // 7),
            end_time=dt.time(n // 7, 30),
        )
        for n in range(count)
    )


@pytest.mark.parametrize("windows", [2, 20])
def test_edit_page_queries_do_not_grow_with_windows(
    signed_in, profile, windows, django_assert_max_num_queries
):
    add_windows(profile, windows)

    with django_assert_max_num_queries(EDIT_PAGE_QUERIES):
        response = signed_in.get("/profile/")

    assert response.status_code == 200
    assert response.context["formset"].total_form_count() == windows + 1


@pytest.mark.parametrize("windows", [2, 20])
def test_detail_page_queries_do_not_grow_with_windows(
    client, target, windows, django_assert_max_num_queries
):
    add_windows(target, windows)
    client.force_login(target.user)

    with django_assert_max_num_queries(DETAIL_PAGE_QUERIES):
        response = client.get(f"/profile/{target.user_id}/")

    assert response.status_code == 200
    assert len(response.context["windows"]) == windows + 1

"""Who reaches the library and recommendations, over roles: every page and endpoint.

The program's approved participants, managers and staff read its library; its managers
and staff change it; anyone else gets 404 (the anonymous: sign in, or 401). A
mentorship's recommendations are for its people (managers and staff read them without
notes); its mentor recommends and its mentees mark done; readers who may not write get
403. A refused action changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.template import Context, Template

from trellis.mentorships.models import MentorshipEvent
from trellis.notifications.models import Notification
from trellis.resources.models import (
    ProgramHiddenResource,
    Recommendation,
    Resource,
    ResourceTag,
)
from trellis.resources.tests.helpers import file_in, guide_in, link_in, recommend

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "mentor",
    "mentee",
    "other_mentor",
    "other_mentee",
    "manager",
    "other_manager",
    "outsider",
    "staff",
]
MANAGERS = {"manager", "staff"}
LIBRARY_READERS = {"mentor", "mentee", "other_mentor", "other_mentee", "manager", "staff"}
PAIR_READERS = {"mentor", "mentee", "manager", "staff"}
SECRET = "Only for Noah"


@pytest.fixture
def things(world, builtins) -> dict[str, Any]:
    program = world["program"]
    link = link_in(program)
    file = file_in(program)
    guide = guide_in(program)
    recommendation = recommend(world["pair"], guide, note=SECRET)
    return {
        "m": world["pair"].pk,
        "link": link.pk,
        "file": file.pk,
        "guide": guide.pk,
        "builtin": builtins[0].pk,
        "r": recommendation.pk,
    }


def snapshot() -> tuple[Any, ...]:
    return (
        list(Resource.objects.order_by("pk").values()),
        list(ResourceTag.objects.order_by("pk").values()),
        list(ProgramHiddenResource.objects.order_by("pk").values()),
        list(Recommendation.objects.order_by("pk").values()),
        MentorshipEvent.objects.count(),
        Notification.objects.count(),
    )


def sign_in(client: Any, user: Any) -> None:
    if user is not None:
        client.force_login(user)


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response.url.startswith("/accounts/login/")


def fill(template: str, things: dict[str, Any]) -> str:
    return template.format(**things)


# Pages ------------------------------------------------------------------------------------

LIBRARY_PAGES = [
    "/programs/bridges/resources/",
    "/resources/{link}/",
    "/resources/{file}/",
    "/resources/{file}/file/",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", LIBRARY_PAGES)
def test_reading_the_library_by_role(client, world, things, role, path):
    sign_in(client, world[role])

    response = client.get(fill(path, things))

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in LIBRARY_READERS:
        assert response.status_code == 200
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_a_built_in_guide_is_for_everyone_signed_in(client, world, things, role):
    sign_in(client, world[role])

    response = client.get(fill("/resources/{builtin}/", things))

    assert is_login_redirect(response) if role == "anonymous" else response.status_code == 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "path", ["/programs/bridges/manage/resources/", "/programs/bridges/manage/resources/new/"]
)
def test_the_managers_pages_by_role(client, world, things, role, path):
    sign_in(client, world[role])

    response = client.get(path)

    if role == "anonymous":
        assert is_login_redirect(response)
    else:
        assert response.status_code == (200 if role in MANAGERS else 404)


@pytest.mark.parametrize("role", ROLES)
def test_editing_page_by_role(client, world, things, role):
    sign_in(client, world[role])

    response = client.get(fill("/resources/{link}/edit/", things))

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in MANAGERS:
        assert response.status_code == 200
    else:
        assert response.status_code == (403 if role in LIBRARY_READERS else 404)


MANAGE_WRITES = [
    ("/programs/bridges/manage/resources/new/", {"kind": "guide", "title": "T", "body": "B"}, 404),
    ("/resources/{link}/edit/", {"title": "Renamed", "url": "https://example.org/x"}, 403),
    ("/resources/{link}/archive/", {}, 403),
    ("/programs/bridges/manage/resources/{builtin}/hide/", {}, 404),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "data", "for_readers"), MANAGE_WRITES)
def test_changing_the_library_by_role(client, world, things, role, path, data, for_readers):
    sign_in(client, world[role])
    before = snapshot()

    response = client.post(fill(path, things), data)

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in MANAGERS:
        assert response.status_code == 302, response.content.decode()[:1000]
        assert snapshot() != before
        return
    elif role in LIBRARY_READERS:
        assert response.status_code == for_readers
    else:
        assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_the_mentorships_resources_page_by_role(client, world, things, role):
    sign_in(client, world[role])

    response = client.get(fill("/mentorships/{m}/resources/", things))

    if role == "anonymous":
        assert is_login_redirect(response)
        return
    if role not in PAIR_READERS:
        assert response.status_code == 404
        return
    page = response.content.decode()
    assert response.status_code == 200
    assert "Our program&#x27;s rhythm" in page
    assert (SECRET in page) is (role in {"mentor", "mentee"})


RECOMMENDATION_WRITES = [
    # path, data, who may, what other readers get
    ("/mentorships/{m}/resources/", {"resource": "{link}", "note": "Hi"}, {"mentor"}, 403),
    ("/mentorships/{m}/resources/{r}/done/", {"done": "true"}, {"mentee"}, 403),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "data", "writers", "for_readers"), RECOMMENDATION_WRITES)
def test_recommending_and_marking_by_role(
    client, world, things, role, path, data, writers, for_readers
):
    sign_in(client, world[role])
    before = snapshot()
    form = {key: fill(value, things) for key, value in data.items()}

    response = client.post(fill(path, things), form)

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in writers:
        assert response.status_code == 302, response.content.decode()[:1000]
        assert snapshot() != before
        return
    elif role in PAIR_READERS:
        assert response.status_code == for_readers
    else:
        assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_recommending_from_a_resources_page_by_role(client, world, things, role):
    sign_in(client, world[role])
    before = snapshot()

    response = client.post(
        fill("/resources/{link}/recommend/", things), {"mentorship": things["m"], "note": "Hi"}
    )

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role == "mentor":
        assert response.status_code == 302
        assert snapshot() != before
        return
    elif role == "other_mentor":
        # Their own mentorship is offered, not Mara's: the choice is refused.
        assert response.status_code == 422
    elif role in LIBRARY_READERS:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    assert snapshot() == before


# The API ----------------------------------------------------------------------------------


def call(client: Any, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


API_READS = [
    ("/api/v1/programs/bridges/resources", LIBRARY_READERS),
    ("/api/v1/resources/{link}", LIBRARY_READERS),
    ("/api/v1/resources/{file}/file", LIBRARY_READERS),
    ("/api/v1/mentorships/{m}/recommendations", PAIR_READERS),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "readers"), API_READS)
def test_api_reads_by_role(client, world, things, role, path, readers):
    sign_in(client, world[role])

    response = client.get(fill(path, things))

    if role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code == (200 if role in readers else 404)


@pytest.mark.parametrize("role", ["mentor", "mentee", "manager", "staff"])
def test_api_notes_are_for_the_pair_only(client, world, things, role):
    sign_in(client, world[role])

    [item] = client.get(fill("/api/v1/mentorships/{m}/recommendations", things)).json()

    assert item["resource"]["title"] == "Our program's rhythm"
    assert item["note"] == (SECRET if role in {"mentor", "mentee"} else None)


API_WRITES = [
    # method, path, body, who may, success, what other readers get, readers
    (
        "post",
        "/api/v1/programs/bridges/resources",
        {"kind": "link", "title": "T", "url": "https://example.org/t"},
        MANAGERS,
        201,
        LIBRARY_READERS,
    ),
    (
        "patch",
        "/api/v1/resources/{link}",
        {"title": "Renamed"},
        MANAGERS,
        200,
        LIBRARY_READERS,
    ),
    ("post", "/api/v1/resources/{link}/archive", None, MANAGERS, 200, LIBRARY_READERS),
    (
        "post",
        "/api/v1/programs/bridges/resources/{builtin}/hide",
        None,
        MANAGERS,
        204,
        LIBRARY_READERS,
    ),
    (
        "post",
        "/api/v1/mentorships/{m}/recommendations",
        {"resource_id": "{link}", "note": "Hi"},
        {"mentor"},
        201,
        PAIR_READERS,
    ),
    ("post", "/api/v1/recommendations/{r}/done", None, {"mentee"}, 200, PAIR_READERS),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "writers", "success", "readers"), API_WRITES)
def test_api_writes_by_role(
    client, world, things, role, method, path, body, writers, success, readers
):
    sign_in(client, world[role])
    before = snapshot()
    if body is not None:
        body = {
            key: int(fill(value, things)) if value == "{link}" else value
            for key, value in body.items()
        }

    response = call(client, method, fill(path, things), body)

    if role == "anonymous":
        assert response.status_code == 401
    elif role in writers:
        assert response.status_code == success, response.content.decode()[:1000]
        assert snapshot() != before
        return
    elif role in readers:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    assert snapshot() == before


# The mentorship page's card ------------------------------------------------------------------


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_the_card_by_role(world, things, role):
    template = Template("{% load resources_tags %}{% resources_mentorship_section mentorship %}")

    html = template.render(Context({"mentorship": world["pair"], "user": world[role]}))

    if role in PAIR_READERS:
        assert "Our program&#x27;s rhythm" in html
        assert SECRET not in html
        assert ("Recommend a resource" in html) is (role == "mentor")
    else:
        assert html.strip() == ""


def test_a_former_group_member_sees_nothing_of_the_group(client, group_world):
    group = group_world["group"]
    recommendation = recommend(group, link_in(group.program))
    before = snapshot()
    client.force_login(group_world["lena"])

    assert client.get(f"/mentorships/{group.pk}/resources/").status_code == 404
    done = client.post(f"/mentorships/{group.pk}/resources/{recommendation.pk}/done/")
    assert done.status_code == 404
    assert snapshot() == before

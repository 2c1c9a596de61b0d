"""Who sees and does what with a win, over roles and states: the pages and /api/v1/.

Nothing is shared without the mentee's choice: a proposed or set-aside win is its
owner's alone, a win kept "just us" its owner's and the mentor's (a co-member of the
group, the program's managers and staff included, see nothing of it), a shared win is
the program's, unless a manager hid it. Whoever may not see a win gets 404, as for one
that does not exist; a refused action changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from trellis.wins import services
from trellis.wins.models import Win, WinComment, WinReaction, WinState
from trellis.wins.tests.helpers import (
    MENTORSHIP_READERS,
    OPEN_STATES,
    ROLES,
    SEES,
    STATES,
    WALL_READERS,
    is_login_redirect,
    make_win,
    sign_in,
    wins_world,
)

pytestmark = pytest.mark.django_db

MANAGERS = {"manager", "staff"}


@pytest.fixture
def world() -> dict[str, Any]:
    return wins_world()


def api(client: Any, method: str, path: str, body: Any = None) -> Any:
    call = getattr(client, method)
    if body is None:
        return call(f"/api/v1{path}")
    return call(f"/api/v1{path}", data=json.dumps(body), content_type="application/json")


def snapshot() -> tuple[list[Any], list[Any], list[Any]]:
    return (
        list(Win.objects.order_by("pk").values()),
        list(WinReaction.objects.order_by("pk").values()),
        list(WinComment.objects.order_by("pk").values()),
    )


def page_status(role: str, state: str) -> int:
    return 200 if role in SEES[state] else 404


# Seeing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_the_win_page_by_role_and_state(client, world, role, state):
    win = make_win(world, state, title="Gave my first talk")
    sign_in(client, world[role])

    response = client.get(f"/wins/{win.pk}/")

    if role == "anonymous":
        assert is_login_redirect(response)
        return
    assert response.status_code == page_status(role, state)
    if response.status_code == 200:
        assert "Gave my first talk" in response.content.decode()


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_the_win_through_the_api_by_role_and_state(client, world, role, state):
    win = make_win(world, state)
    sign_in(client, world[role])

    response = api(client, "get", f"/wins/{win.pk}")

    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == page_status(role, state)
    if response.status_code == 200:
        body = response.json()
        assert (body["id"], body["state"], body["is_hidden"]) == (
            win.pk,
            win.state,
            state == "hidden",
        )


@pytest.mark.parametrize("role", ROLES)
def test_the_wall_shows_only_shared_wins_that_are_not_hidden(client, world, role):
    wins = {state: make_win(world, state, title=f"Win that is {state}") for state in STATES}
    sign_in(client, world[role])

    response = client.get(f"/programs/{world['program'].slug}/wins/")

    if role == "anonymous":
        assert is_login_redirect(response)
        return
    if role not in WALL_READERS:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    page = response.content.decode()
    shown = [state for state in STATES if f"Win that is {state}" in page]
    if role in MANAGERS:
        # Managers also get the list of hidden wins, to put one back.
        assert shown == ["program", "hidden"]
        assert "Hide from the wall" in page
    else:
        assert shown == ["program"]
        assert "Hide from the wall" not in page
    assert f'href="/wins/{wins["program"].pk}/"' in page


@pytest.mark.parametrize("role", ROLES)
def test_the_wall_through_the_api(client, world, role):
    shared = make_win(world, "program")
    for state in ("proposed", "pair", "dismissed", "hidden"):
        make_win(world, state)
    sign_in(client, world[role])

    response = api(client, "get", f"/programs/{world['program'].slug}/wins")

    if role == "anonymous":
        assert response.status_code == 401
        return
    if role not in WALL_READERS:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], [win["id"] for win in body["results"]]) == (1, [shared.pk])


def test_the_walls_pages_beyond_the_last_are_404(client, world):
    make_win(world, "program")
    sign_in(client, world["other_mentee"])

    assert api(client, "get", f"/programs/{world['program'].slug}/wins?page=2").status_code == 404
    assert api(client, "get", f"/programs/{world['program'].slug}/wins?page=0").status_code == 422
    assert client.get(f"/programs/{world['program'].slug}/wins/?page=9").status_code == 200


def test_a_pending_or_former_participant_does_not_reach_the_wall(client, world):
    from trellis.programs.models import Enrollment, EnrollmentStatus

    make_win(world, "program")
    Enrollment.objects.filter(user=world["other_mentee"]).update(status=EnrollmentStatus.LEFT)
    sign_in(client, world["other_mentee"])

    assert client.get(f"/programs/{world['program'].slug}/wins/").status_code == 404
    assert api(client, "get", f"/programs/{world['program'].slug}/wins").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_mentorships_wins_through_the_api(client, world, role):
    wins = {state: make_win(world, state) for state in STATES}
    sign_in(client, world[role])

    response = api(client, "get", f"/mentorships/{world['group'].pk}/wins")

    if role == "anonymous":
        assert response.status_code == 401
        return
    if role not in MENTORSHIP_READERS:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    listed = {win["id"] for win in response.json()}
    assert listed == {wins[state].pk for state in STATES if role in SEES[state]}


@pytest.mark.parametrize("role", sorted(MENTORSHIP_READERS))
def test_the_mentorship_pages_wins_card(client, world, role):
    for state in STATES:
        make_win(world, state, title=f"Win that is {state}")
    sign_in(client, world[role])

    response = client.get(f"/mentorships/{world['group'].pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "data-wins-section" in page
    shown = {state for state in STATES if f"Win that is {state}" in page}
    assert shown == {state for state in STATES if role in SEES[state]}
    assert ("Waiting for your choice" in page) == (role == "owner")
    # Only the mentees of the mentorship celebrate a win by hand.
    assert ("Celebrate a win" in page) == (role in {"owner", "co_member"})


# Deciding and editing --------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_owner_decides_through_the_api(client, world, role, state):
    win = make_win(world, state)
    target = WinState.PAIR if win.state != WinState.PAIR else WinState.PROGRAM
    sign_in(client, world[role])
    before = snapshot()

    response = api(client, "patch", f"/wins/{win.pk}", {"state": target, "title": "Renamed"})

    if role == "owner":
        assert response.status_code == 200
        assert (response.json()["state"], response.json()["title"]) == (target, "Renamed")
        return
    expected = 401 if role == "anonymous" else (403 if role in SEES[state] else 404)
    assert response.status_code == expected
    assert snapshot() == before


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_owner_decides_on_the_page(client, world, role, state):
    win = make_win(world, state)
    target = WinState.PAIR if win.state != WinState.PAIR else WinState.PROGRAM
    sign_in(client, world[role])
    before = snapshot()

    decided = client.post(f"/wins/{win.pk}/decide/", {"state": target})
    edit = client.get(f"/wins/{win.pk}/edit/")

    if role == "anonymous":
        assert is_login_redirect(decided)
        assert is_login_redirect(edit)
        assert snapshot() == before
        return
    if role == "owner":
        assert (decided.status_code, decided.url) == (302, f"/wins/{win.pk}/")
        assert edit.status_code == 200
        assert Win.objects.get(pk=win.pk).state == target
        return
    expected = 403 if role in SEES[state] else 404
    assert (decided.status_code, edit.status_code) == (expected, expected)
    assert snapshot() == before


def test_a_refused_move_through_the_api_is_422_and_changes_nothing(client, world):
    win = make_win(world, "pair")
    sign_in(client, world["owner"])
    before = snapshot()

    for body in (
        {"state": "dismissed", "title": "Renamed"},
        {"state": "everyone"},
        {"title": ""},
        {"title": "x" * 201},
        {"story": "x" * 1001},
        {"title": 12},
        {"state": ["program"]},
    ):
        response = api(client, "patch", f"/wins/{win.pk}", body)
        assert response.status_code == 422, body
        assert response.json()["detail"] == "Invalid input."
    assert snapshot() == before


def test_an_empty_patch_changes_nothing(client, world):
    win = make_win(world, "pair")
    sign_in(client, world["owner"])

    assert api(client, "patch", f"/wins/{win.pk}", {}).status_code == 200
    sign_in(client, world["mentor"])
    assert api(client, "patch", f"/wins/{win.pk}", {}).status_code == 403


def test_the_owner_edits_on_the_page(client, world):
    win = make_win(world, "pair")
    sign_in(client, world["owner"])

    refused = client.post(f"/wins/{win.pk}/edit/", {"title": "", "story": ""})
    saved = client.post(f"/wins/{win.pk}/edit/", {"title": "Gave a talk", "story": "Nervous!"})

    assert refused.status_code == 422
    assert 'role="alert"' in refused.content.decode() or "errorlist" in refused.content.decode()
    assert saved.status_code == 302
    win.refresh_from_db()
    assert (win.title, win.story) == ("Gave a talk", "Nervous!")


@pytest.mark.parametrize("role", ROLES)
def test_celebrating_by_hand_by_role(client, world, role):
    sign_in(client, world[role])
    body = {"title": "Finished the course", "story": "", "state": "program"}

    page = client.post(f"/mentorships/{world['group'].pk}/wins/new/", body)
    through_api = api(client, "post", f"/mentorships/{world['group'].pk}/wins", body)

    if role == "anonymous":
        assert is_login_redirect(page)
        assert through_api.status_code == 401
    elif role in {"owner", "co_member"}:
        assert page.status_code == 302
        assert through_api.status_code == 201
        assert through_api.json()["state"] == "program"
        assert Win.objects.filter(owner=world[role]).count() == 2
        return
    elif role in MENTORSHIP_READERS:
        assert (page.status_code, through_api.status_code) == (403, 403)
    else:
        assert (page.status_code, through_api.status_code) == (404, 404)
    assert Win.objects.count() == 0


def test_celebrating_by_hand_with_bad_input(client, world):
    sign_in(client, world["owner"])

    page = client.post(
        f"/mentorships/{world['group'].pk}/wins/new/", {"title": "", "state": "everyone"}
    )
    through_api = api(
        client, "post", f"/mentorships/{world['group'].pk}/wins", {"title": "", "state": "x"}
    )
    missing = api(client, "post", f"/mentorships/{world['group'].pk}/wins", {"story": "x"})

    assert page.status_code == 422
    assert through_api.status_code == 422
    assert sorted(through_api.json()["errors"]) == ["state", "title"]
    assert missing.status_code == 422
    assert Win.objects.count() == 0


# Reactions and comments ---------------------------------------------------------------------


def interaction_status(role: str, state: str, *, anonymous: int) -> int:
    if role == "anonymous":
        return anonymous
    if role not in SEES[state]:
        return 404
    return 200 if state in OPEN_STATES else 403


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_reacting_through_the_api_by_role_and_state(client, world, role, state):
    win = make_win(world, state)
    sign_in(client, world[role])
    before = snapshot()

    added = api(client, "post", f"/wins/{win.pk}/reactions", {"emoji": "🎉"})

    expected = interaction_status(role, state, anonymous=401)
    if expected == 200:
        assert added.status_code == 201
        assert added.json()[0] == {"emoji": "🎉", "label": "Celebrate", "count": 1, "mine": True}
        removed = client.delete(
            f"/api/v1/wins/{win.pk}/reactions",
            data=json.dumps({"emoji": "🎉"}),
            content_type="application/json",
        )
        assert removed.status_code == 200
        assert removed.json()[0]["count"] == 0
        return
    assert added.status_code == expected
    removed = client.delete(
        f"/api/v1/wins/{win.pk}/reactions",
        data=json.dumps({"emoji": "🎉"}),
        content_type="application/json",
    )
    assert removed.status_code == expected
    assert snapshot() == before


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_commenting_through_the_api_by_role_and_state(client, world, role, state):
    win = make_win(world, state)
    sign_in(client, world[role])
    before = snapshot()

    added = api(client, "post", f"/wins/{win.pk}/comments", {"text": "Well done!"})
    listed = api(client, "get", f"/wins/{win.pk}/comments")

    expected = interaction_status(role, state, anonymous=401)
    if expected == 200:
        assert added.status_code == 201
        assert added.json()["text"] == "Well done!"
        assert [c["text"] for c in listed.json()] == ["Well done!"]
        return
    assert added.status_code == expected
    # Reading the comments needs only to see the win.
    if role == "anonymous":
        assert listed.status_code == 401
    else:
        assert listed.status_code == (200 if role in SEES[state] else 404)
    assert snapshot() == before


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_reacting_and_commenting_on_the_pages_by_role_and_state(client, world, role, state):
    win = make_win(world, state)
    sign_in(client, world[role])
    before = snapshot()

    reacted = client.post(f"/wins/{win.pk}/react/", {"emoji": "👏"})
    commented = client.post(f"/wins/{win.pk}/comments/", {"text": "Bravo"})

    expected = interaction_status(role, state, anonymous=302)
    if expected == 200:
        assert (reacted.status_code, commented.status_code) == (302, 302)
        assert WinReaction.objects.filter(win=win, user=world[role], emoji="👏").exists()
        assert WinComment.objects.filter(win=win, author=world[role], text="Bravo").exists()
        return
    if role == "anonymous":
        assert is_login_redirect(reacted)
        assert is_login_redirect(commented)
    else:
        assert (reacted.status_code, commented.status_code) == (expected, expected)
    assert snapshot() == before


def test_reactions_and_comments_with_bad_input(client, world):
    win = make_win(world, "program")
    sign_in(client, world["other_mentee"])

    for body in ({"emoji": "👍"}, {"emoji": ""}, {"emoji": 3}, {}):
        assert api(client, "post", f"/wins/{win.pk}/reactions", body).status_code == 422, body
    for body in ({"text": ""}, {"text": "x" * 501}, {"text": None}, {}):
        assert api(client, "post", f"/wins/{win.pk}/comments", body).status_code == 422, body
    page = client.post(f"/wins/{win.pk}/comments/", {"text": " "})
    assert page.status_code == 422
    assert 'role="alert"' in page.content.decode()
    assert api(client, "get", "/wins/999999").status_code == 404
    assert api(client, "post", "/wins/999999/reactions", {"emoji": "🎉"}).status_code == 404
    assert api(client, "delete", "/win-comments/999999").status_code == 404
    assert (WinReaction.objects.count(), WinComment.objects.count()) == (0, 0)


def test_commenting_too_fast_is_429(client, world, monkeypatch):
    monkeypatch.setattr(services, "COMMENT_RATE_LIMIT", 1)
    win = make_win(world, "program")
    sign_in(client, world["other_mentee"])

    assert api(client, "post", f"/wins/{win.pk}/comments", {"text": "One"}).status_code == 201
    refused = api(client, "post", f"/wins/{win.pk}/comments", {"text": "Two"})
    page = client.post(f"/wins/{win.pk}/comments/", {"text": "Three"})

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert page.status_code == 429
    assert WinComment.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_removing_a_comment_by_role(client, world, role):
    win = make_win(world, "program")
    comment = WinComment.objects.create(win=win, author=world["other_mentee"], text="Nice")
    sign_in(client, world[role])

    response = api(client, "delete", f"/win-comments/{comment.pk}")

    comment.refresh_from_db()
    if role == "anonymous":
        assert response.status_code == 401
    elif role in {"other_mentee", "manager", "staff"}:
        assert response.status_code == 204
        assert comment.deleted_at is not None
        return
    elif role in SEES["program"]:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    assert comment.deleted_at is None


def test_a_comment_on_a_win_kept_by_the_pair_is_out_of_a_managers_reach(client, world):
    win = make_win(world, "pair")
    comment = WinComment.objects.create(win=win, author=world["mentor"], text="Proud of you")
    sign_in(client, world["manager"])

    assert api(client, "delete", f"/win-comments/{comment.pk}").status_code == 404
    assert client.post(f"/win-comments/{comment.pk}/delete/").status_code == 404
    assert api(client, "get", f"/wins/{win.pk}/comments").status_code == 404
    comment.refresh_from_db()
    assert comment.deleted_at is None


# Moderation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_hiding_by_role_and_state(client, world, role, state):
    win = make_win(world, state)
    sign_in(client, world[role])
    before = snapshot()

    through_api = api(client, "post", f"/wins/{win.pk}/hide")
    page = client.post(f"/wins/{win.pk}/hide/")

    if role == "anonymous":
        assert through_api.status_code == 401
        assert is_login_redirect(page)
    elif role not in SEES[state]:
        assert (through_api.status_code, page.status_code) == (404, 404)
    elif role in MANAGERS:
        assert through_api.status_code == 200
        assert through_api.json()["is_hidden"] is True
        assert page.status_code == 302
        assert Win.objects.get(pk=win.pk).hidden_at is not None
        return
    else:
        assert (through_api.status_code, page.status_code) == (403, 403)
    assert snapshot() == before


# A private win, everywhere -------------------------------------------------------------------


@pytest.mark.parametrize("role", [role for role in ROLES if role not in {"owner", "mentor"}])
def test_a_win_kept_by_the_pair_is_seen_by_nobody_else(client, world, role):
    """The wall, the win's page, the API's lists and detail; reacting and commenting."""
    win = make_win(world, "pair", title="Our quiet win")
    WinReaction.objects.create(win=win, user=world["mentor"], emoji="❤️")
    WinComment.objects.create(win=win, author=world["mentor"], text="Proud of you")
    sign_in(client, world[role])
    before = snapshot()
    slug = world["program"].slug

    pages = [
        client.get(f"/programs/{slug}/wins/"),
        client.get(f"/wins/{win.pk}/"),
        client.get(f"/wins/{win.pk}/comments/", HTTP_HX_REQUEST="true"),
    ]
    if role in MENTORSHIP_READERS:
        pages.append(client.get(f"/mentorships/{world['group'].pk}/"))
    answers = [
        api(client, "get", f"/programs/{slug}/wins"),
        api(client, "get", f"/mentorships/{world['group'].pk}/wins"),
        api(client, "get", f"/wins/{win.pk}"),
        api(client, "get", f"/wins/{win.pk}/comments"),
        api(client, "post", f"/wins/{win.pk}/reactions", {"emoji": "🎉"}),
        api(client, "post", f"/wins/{win.pk}/comments", {"text": "Me too"}),
    ]
    client.post(f"/wins/{win.pk}/react/", {"emoji": "🎉"})
    client.post(f"/wins/{win.pk}/comments/", {"text": "Me too"})

    for response in pages + answers:
        text = response.content.decode()
        assert "Our quiet win" not in text
        assert "Proud of you" not in text
    assert answers[2].status_code in (401, 404)
    assert snapshot() == before

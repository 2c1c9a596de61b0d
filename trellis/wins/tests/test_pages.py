"""The wall's and the win page's parts: HTMX answers, plain-form fallbacks, query counts."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.mentorships.tests.factories import mentee_in
from trellis.wins.models import REACTIONS, Win, WinComment, WinReaction, WinState
from trellis.wins.tests.helpers import make_win, wins_world

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world():
    return wins_world()


def htmx(target: str, current_url: str = "http://testserver/") -> dict[str, str]:
    return {**HTMX, "HTTP_HX_TARGET": target, "HTTP_HX_CURRENT_URL": current_url}


def fill_wall(world, count: int) -> None:
    """count shared wins, each with reactions and comments from several people."""
    people = [mentee_in(world["program"], display_name=f"Fan {n}") for n in range(3)]
    for number in range(count):
        win = make_win(world, "program", title=f"Win {number}")
        for person in people:
            for emoji in list(REACTIONS)[:3]:
                WinReaction.objects.create(win=win, user=person, emoji=emoji)
            for line in range(2):
                WinComment.objects.create(win=win, author=person, text=f"Go {line}")


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("role", ["other_mentee", "manager"])
def test_the_walls_query_count_does_not_grow_with_wins(client, world, role):
    path = f"/programs/{world['program'].slug}/wins/"
    client.force_login(world[role])
    fill_wall(world, 2)
    few = queries_for(client, path)

    fill_wall(world, 8)
    many = queries_for(client, path)

    assert few == many
    assert client.get(path).content.decode().count("data-win=") == 10


def test_the_walls_api_query_count_does_not_grow_with_wins(client, world):
    path = f"/api/v1/programs/{world['program'].slug}/wins"
    client.force_login(world["other_mentee"])
    fill_wall(world, 2)
    few = queries_for(client, path)

    fill_wall(world, 8)
    many = queries_for(client, path)

    assert few == many


def test_the_mentorship_sections_query_count_does_not_grow_with_wins(client, world):
    path = f"/mentorships/{world['group'].pk}/"
    client.force_login(world["owner"])
    for state in ("proposed", "pair", "program"):
        make_win(world, state)
    few = queries_for(client, path)

    for _ in range(4):
        for state in ("proposed", "pair", "program", "dismissed"):
            make_win(world, state)
    many = queries_for(client, path)

    assert few == many


def test_the_wall_is_paginated_newest_shared_first(client, world):
    wins = [make_win(world, "program", title=f"Win number {n}") for n in range(23)]
    client.force_login(world["co_member"])

    first = client.get(f"/programs/{world['program'].slug}/wins/").content.decode()
    second = client.get(f"/programs/{world['program'].slug}/wins/?page=2").content.decode()

    assert first.count("data-win=") == 20
    assert first.index("Win number 22") < first.index("Win number 21")
    assert "Win number 2<" not in first
    assert second.count("data-win=") == 3
    assert f"/wins/{wins[0].pk}/" in second
    assert 'aria-current="page">Wins</a>' in first


def test_each_wall_card_says_who_when_and_how_many(client, world):
    win = make_win(world, "program", title="Gave my first talk", story="At PyCon.")
    WinReaction.objects.create(win=win, user=world["other_mentee"], emoji="🎉")
    WinReaction.objects.create(win=win, user=world["mentor"], emoji="🎉")
    for number in range(4):
        WinComment.objects.create(win=win, author=world["mentor"], text=f"Comment {number}")
    client.force_login(world["other_mentee"])

    page = client.get(f"/programs/{world['program'].slug}/wins/").content.decode()

    assert f'<a href="/profile/{world["owner"].pk}/">Noah</a>, with their mentor Mara' in page
    assert "At PyCon." in page
    assert 'aria-pressed="true" data-emoji="🎉"' in page
    assert "Comment 0" not in page
    assert "Comment 3" in page
    assert "Show all 4 comments" in page


def test_user_text_is_shown_as_text(client, world):
    win = make_win(
        world, "program", title="<script>alert(1)</script>", story="<img src=x onerror=alert(1)>"
    )
    WinComment.objects.create(win=win, author=world["mentor"], text="<b>bold</b>")
    client.force_login(world["other_mentee"])

    for path in (f"/programs/{world['program'].slug}/wins/", f"/wins/{win.pk}/"):
        page = client.get(path).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x" not in page
        assert "<b>bold</b>" not in page
        assert "&lt;b&gt;bold&lt;/b&gt;" in page


# HTMX and fallbacks ------------------------------------------------------------------------


def test_reacting_with_htmx_answers_the_buttons(client, world):
    win = make_win(world, "program")
    client.force_login(world["other_mentee"])

    pressed = client.post(f"/wins/{win.pk}/react/", {"emoji": "🚀"}, **htmx(f"reactions-{win.pk}"))
    released = client.post(f"/wins/{win.pk}/react/", {"emoji": "🚀"}, **htmx(f"reactions-{win.pk}"))

    assert pressed.status_code == 200
    assert pressed.content.decode().lstrip().startswith(f'<form id="reactions-{win.pk}"')
    assert 'aria-pressed="true" data-emoji="🚀"' in pressed.content.decode()
    assert 'aria-pressed="false" data-emoji="🚀"' in released.content.decode()
    assert WinReaction.objects.count() == 0


def test_reacting_without_htmx_goes_back_to_the_page(client, world):
    win = make_win(world, "program")
    wall = f"/programs/{world['program'].slug}/wins/"
    client.force_login(world["other_mentee"])

    back = client.post(f"/wins/{win.pk}/react/", {"emoji": "🎉", "next": wall})
    elsewhere = client.post(
        f"/wins/{win.pk}/react/", {"emoji": "👏", "next": "https://evil.example/"}
    )

    assert (back.status_code, back.url) == (302, wall)
    assert (elsewhere.status_code, elsewhere.url) == (302, f"/wins/{win.pk}/")
    assert WinReaction.objects.count() == 2


def test_commenting_with_htmx_answers_the_comments(client, world):
    win = make_win(world, "program")
    for number in range(3):
        WinComment.objects.create(win=win, author=world["mentor"], text=f"Earlier {number}")
    client.force_login(world["other_mentee"])

    added = client.post(
        f"/wins/{win.pk}/comments/",
        {"text": "So good", "shown": "latest"},
        **htmx(f"comments-{win.pk}"),
    )
    refused = client.post(
        f"/wins/{win.pk}/comments/", {"text": "", "shown": "latest"}, **htmx(f"comments-{win.pk}")
    )
    everything = client.get(f"/wins/{win.pk}/comments/?shown=all", **htmx(f"comments-{win.pk}"))

    text = added.content.decode()
    assert added.status_code == 200
    assert "So good" in text
    assert "Earlier 0" not in text
    assert "Show all 4 comments" in text
    assert refused.status_code == 200  # htmx swaps only 2xx: the error is in the part
    assert 'role="alert"' in refused.content.decode()
    assert all(f"Earlier {n}" in everything.content.decode() for n in range(3))
    assert WinComment.objects.count() == 4


def test_show_all_without_htmx_is_the_win_page(client, world):
    win = make_win(world, "program")
    client.force_login(world["other_mentee"])

    response = client.get(f"/wins/{win.pk}/comments/")

    assert (response.status_code, response.url) == (302, f"/wins/{win.pk}/#comments")


def test_removing_a_comment_with_htmx(client, world):
    win = make_win(world, "program")
    comment = WinComment.objects.create(win=win, author=world["other_mentee"], text="Oops")
    client.force_login(world["other_mentee"])

    response = client.post(
        f"/win-comments/{comment.pk}/delete/", {"shown": "all"}, **htmx(f"comments-{win.pk}")
    )

    assert response.status_code == 200
    assert "Oops" not in response.content.decode()
    assert "No comments yet." in response.content.decode()


def test_deciding_with_htmx_on_the_win_page(client, world):
    win = make_win(world, "proposed")
    client.force_login(world["owner"])

    response = client.post(f"/wins/{win.pk}/decide/", {"state": "program"}, **htmx("win-detail"))

    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith('<article id="win-detail"')
    assert "Shared with the program: it is on the wins wall." in text
    assert 'data-state="program"' in text
    assert Win.objects.get(pk=win.pk).state == WinState.PROGRAM


def test_deciding_with_htmx_in_the_mentorship_section(client, world):
    win = make_win(world, "proposed")
    client.force_login(world["owner"])

    response = client.post(
        f"/wins/{win.pk}/decide/", {"state": "pair"}, **htmx(f"section-win-{win.pk}")
    )
    refused = client.post(
        f"/wins/{win.pk}/decide/", {"state": "dismissed"}, **htmx(f"section-win-{win.pk}")
    )

    assert response.content.decode().lstrip().startswith(f'<li id="section-win-{win.pk}"')
    assert "Kept between you and your mentor." in response.content.decode()
    assert refused.status_code == 200
    assert 'role="alert"' in refused.content.decode()
    assert Win.objects.get(pk=win.pk).state == WinState.PAIR


def test_a_hidden_win_says_so_to_those_who_still_see_it(client, world):
    win = make_win(world, "hidden", title="Off the wall")
    client.force_login(world["owner"])

    page = client.get(f"/wins/{win.pk}/").content.decode()

    assert "Hidden from the wall" in page
    assert "only you, Mara and the program's managers see it" in page
    assert "data-emoji" not in page  # no new reactions on a hidden win


def test_a_manager_puts_a_hidden_win_back(client, world):
    win = make_win(world, "hidden")
    wall = f"/programs/{world['program'].slug}/wins/"
    client.force_login(world["manager"])

    response = client.post(f"/wins/{win.pk}/unhide/", {"next": wall})

    assert (response.status_code, response.url) == (302, wall)
    assert Win.objects.get(pk=win.pk).hidden_at is None


def test_the_api_answers_the_reaction_body_and_lists(client, world):
    win = make_win(world, "program")
    client.force_login(world["other_mentee"])

    response = client.post(
        f"/api/v1/wins/{win.pk}/reactions",
        data=json.dumps({"emoji": "💪"}),
        content_type="application/json",
    )

    assert response.status_code == 201
    assert [r["emoji"] for r in response.json()] == list(REACTIONS)
    assert response.json()[2] == {"emoji": "💪", "label": "Strong work", "count": 1, "mine": True}

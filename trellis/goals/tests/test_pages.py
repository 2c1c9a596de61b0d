"""The goal pages: bad input comes back with what was typed, meeting forms return there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from trellis.goals.models import AgendaItem, CheckIn, Goal, Milestone
from trellis.goals.tests.helpers import goal_of, meeting_of
from trellis.mentorships.services import mentorship_complete

pytestmark = pytest.mark.django_db


def test_a_goal_without_a_title_comes_back_with_what_was_typed(client, world):
    client.force_login(world["mentee"])

    response = client.post(
        f"/mentorships/{world['pair'].pk}/goals/",
        {"title": "", "why": "To be seen as a leader", "measure": "A talk", "value": "Courage"},
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "This field is required." in page
    assert "To be seen as a leader" in page
    assert '<option value="Courage" selected>' in page
    assert Goal.objects.count() == 0


def test_a_milestone_and_a_check_in_that_are_refused_keep_their_text(client, world):
    goal = goal_of(world["pair"])
    client.force_login(world["mentee"])

    milestone = client.post(
        f"/goals/{goal.pk}/milestones/", {"title": "", "due_date": "2031-02-30"}
    )
    check_in = client.post(f"/goals/{goal.pk}/check-ins/", {"status": "meh", "note": "Kept note"})

    assert milestone.status_code == 422
    assert "Enter a valid date." in milestone.content.decode()
    assert check_in.status_code == 422
    assert "Kept note" in check_in.content.decode()
    assert "Select a valid choice." in check_in.content.decode()
    assert (Milestone.objects.count(), CheckIn.objects.count()) == (0, 0)


def test_a_check_in_from_a_meeting_returns_there_and_is_recorded_with_it(client, world):
    pair = world["pair"]
    goal = goal_of(pair)
    series, recurrence_id = meeting_of(pair)
    meeting_page = f"/meetings/{series.pk}/{recurrence_id}/"
    client.force_login(world["mentor"])

    response = client.post(
        f"/goals/{goal.pk}/check-ins/",
        {
            "status": "on_track",
            "note": "Agreed the next step",
            "series": series.pk,
            "recurrence_id": recurrence_id,
            "next": meeting_page,
        },
    )

    assert response.status_code == 302
    assert response.url == meeting_page
    check_in = CheckIn.objects.get()
    assert (check_in.meeting_series, check_in.recurrence_id) == (series, recurrence_id)


def test_a_refused_check_in_from_a_meeting_keeps_the_meeting_and_a_way_back(client, world):
    pair = world["pair"]
    goal = goal_of(pair)
    series, recurrence_id = meeting_of(pair)
    meeting_page = f"/meetings/{series.pk}/{recurrence_id}/"
    client.force_login(world["mentee"])

    response = client.post(
        f"/goals/{goal.pk}/check-ins/",
        {
            "status": "on_track",
            "note": "x" * 2001,
            "series": series.pk,
            "recurrence_id": recurrence_id,
            "next": meeting_page,
        },
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert f'href="{meeting_page}"' in page
    assert f'name="recurrence_id" value="{recurrence_id}"' in page
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize(
    "next_url", ["https://evil.example.org/", "//evil.example.org/", "javascript:alert(1)"]
)
def test_next_never_leaves_the_site(client, world, wins_proposed, next_url):
    pair = world["pair"]
    goal = goal_of(pair, milestones=1)
    series, recurrence_id = meeting_of(pair)
    client.force_login(world["mentee"])

    finished = client.post(
        f"/goals/milestones/{goal.milestones.all()[0].pk}/finish/",
        {"series": series.pk, "recurrence_id": recurrence_id, "next": next_url},
    )
    added = client.post(
        f"/goals/meetings/{series.pk}/{recurrence_id}/agenda/",
        {"item": f"goal:{goal.pk}", "next": next_url},
    )

    assert finished.status_code == 302
    assert finished.url == f"/goals/{goal.pk}/#milestones"
    assert added.status_code == 302
    assert added.url == reverse("scheduling:meeting", args=[series.pk, recurrence_id])
    assert AgendaItem.objects.count() == 1


def test_an_agenda_item_that_is_no_goal_of_the_meeting_is_refused_with_a_message(client, world):
    pair = world["pair"]
    other_goal = goal_of(world["other_mentee"].mentorships_as_mentee.get())
    series, recurrence_id = meeting_of(pair)
    client.force_login(world["mentee"])

    response = client.post(
        f"/goals/meetings/{series.pk}/{recurrence_id}/agenda/",
        {"item": f"goal:{other_goal.pk}"},
        follow=True,
    )

    assert "Pick a goal or a milestone to put on the agenda." in response.content.decode()
    assert AgendaItem.objects.count() == 0


def test_finishing_a_milestone_with_htmx_answers_the_list(client, world, wins_proposed):
    goal = goal_of(world["pair"], milestones=2)
    client.force_login(world["mentee"])

    response = client.post(
        f"/goals/milestones/{goal.milestones.all()[0].pk}/finish/", HTTP_HX_REQUEST="true"
    )
    again = client.post(
        f"/goals/milestones/{goal.milestones.all()[0].pk}/finish/", HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "Milestone done." in response.content.decode()
    assert 'value="50"' in response.content.decode()
    assert again.status_code == 200
    assert "This milestone is already done." in again.content.decode()
    assert len(wins_proposed) == 1


def test_the_last_milestone_done_offers_to_mark_the_goal_achieved(client, world, wins_proposed):
    goal = goal_of(world["pair"], milestones=1)
    client.force_login(world["mentee"])

    client.post(f"/goals/milestones/{goal.milestones.all()[0].pk}/finish/")
    page = client.get(f"/goals/{goal.pk}/").content.decode()

    assert "data-achieve-offer" in page
    assert Goal.objects.get().status == "active"
    client.post(f"/goals/{goal.pk}/achieve/")
    assert Goal.objects.get().status == "achieved"
    assert len(wins_proposed) == 2


def test_a_finished_mentorship_says_why_nothing_changes(client, world):
    pair = world["pair"]
    goal = goal_of(pair)
    mentorship_complete(mentorship=pair, by=pair.mentor)
    client.force_login(world["mentee"])

    page = client.get(f"/goals/{goal.pk}/").content.decode()
    response = client.post(f"/goals/{goal.pk}/achieve/")
    created = client.post(f"/mentorships/{pair.pk}/goals/", {"title": "Late goal"})

    assert "This mentorship has finished" in page
    assert "Mark the goal achieved" not in page
    assert response.status_code == 422
    assert "This mentorship has finished" in response.content.decode()
    assert created.status_code == 422
    assert "This mentorship has finished" in created.content.decode()
    assert Goal.objects.get().status == "active"
    assert Goal.objects.count() == 1


def test_times_show_in_the_viewers_zone(client, world):
    goal = goal_of(world["pair"])
    CheckIn.objects.create(goal=goal, author=world["mentee"], status="on_track", progress=0)

    client.force_login(world["mentee"])
    in_new_york = client.get(f"/goals/{goal.pk}/").content.decode()
    client.force_login(world["mentor"])
    in_berlin = client.get(f"/goals/{goal.pk}/").content.decode()

    assert "EST" in in_new_york or "EDT" in in_new_york
    assert "CET" in in_berlin or "CEST" in in_berlin


def test_user_text_is_escaped(client, world):
    goal = goal_of(world["pair"], title="<script>alert(1)</script>", why="<b>bold</b>")
    client.force_login(world["mentor"])

    page = client.get(f"/goals/{goal.pk}/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_unknown_actions_and_ids_are_404(client, world):
    goal = goal_of(world["pair"], milestones=1)
    client.force_login(world["mentee"])

    assert client.post(f"/goals/{goal.pk}/explode/").status_code == 404
    assert client.post(f"/goals/milestones/{goal.milestones.all()[0].pk}/fly/").status_code == 404
    assert client.get("/goals/99999999999999999999999/").status_code == 404
    assert client.get("/mentorships/99999999999999999999999/goals/").status_code == 404
    assert client.post("/goals/agenda-items/99999999999999999999999/remove/").status_code == 404
    assert client.post("/goals/meetings/99999999999999999999/x/agenda/").status_code == 404

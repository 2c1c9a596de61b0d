"""Goals' rules: progress, check-in snapshots, agendas, wins proposed, who writes and when."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from trellis.core.errors import PermissionDeniedError
from trellis.goals import selectors, services
from trellis.goals.models import AgendaItem, CheckIn, Goal, GoalStatus, Milestone, ProgressMode
from trellis.goals.tests.helpers import goal_of, meeting_of, reload
from trellis.mentorships.models import MentorshipStatus
from trellis.mentorships.services import mentorship_complete, mentorship_pause
from trellis.notifications.models import Notification
from trellis.scheduling.models import OccurrenceChange
from trellis.scheduling.tests.helpers import berlin_new_york_pair

pytestmark = pytest.mark.django_db


def finish(goal: Goal, *indexes: int, by=None) -> None:
    milestones = list(goal.milestones.all())
    for index in indexes:
        services.milestone_finish(milestone=milestones[index], by=by or goal.owner)


def listed(goal: Goal) -> Goal:
    """The goal as lists read it (annotated counts, not the prefetch)."""
    return next(g for g in selectors.goals_for_mentorship(mentorship=goal.mentorship) if g == goal)


# Progress ---------------------------------------------------------------------------------


def test_a_goal_without_milestones_is_at_zero(world):
    goal = goal_of(world["pair"])

    assert goal.progress == 0
    assert listed(goal).progress == 0


@pytest.mark.parametrize(
    ("done", "expected"), [((), 0), ((0,), 33), ((0, 1), 67), ((0, 1, 2), 100)]
)
def test_milestones_mode_counts_the_share_done_rounded(world, wins_proposed, done, expected):
    goal = goal_of(world["pair"], milestones=3)

    finish(goal, *done)

    fresh = reload(goal)
    assert fresh.progress == expected
    assert listed(goal).progress == expected
    assert listed(goal).milestone_done == len(done)
    # The last milestone done does not achieve the goal: its people say so.
    assert fresh.status == GoalStatus.ACTIVE


def test_manual_mode_shows_the_number_set_whatever_the_milestones(world, wins_proposed):
    goal = goal_of(world["pair"], milestones=2)
    finish(goal, 0)

    services.goal_update(
        goal=goal,
        by=world["mentee"],
        data={"progress_mode": ProgressMode.MANUAL, "manual_progress": 80},
    )

    assert reload(goal).progress == 80
    assert listed(goal).progress == 80


def test_manual_progress_stays_within_0_and_100(world):
    goal = goal_of(world["pair"])

    with pytest.raises(ValidationError) as error:
        services.goal_update(
            goal=goal, by=world["mentee"], data={"progress_mode": "manual", "manual_progress": 101}
        )

    assert "manual_progress" in error.value.message_dict
    assert Goal.objects.get(pk=goal.pk).manual_progress == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        Goal.objects.filter(pk=goal.pk).update(manual_progress=101)


@pytest.mark.parametrize("mode", [ProgressMode.MILESTONES, ProgressMode.MANUAL])
def test_an_achieved_goal_shows_100_and_goes_back_when_reopened(world, wins_proposed, mode):
    goal = goal_of(world["pair"], milestones=4)
    finish(goal, 0)
    services.goal_update(
        goal=goal, by=world["mentee"], data={"progress_mode": mode, "manual_progress": 10}
    )

    services.goal_achieve(goal=goal, by=world["mentor"])

    assert reload(goal).progress == 100
    assert listed(goal).progress == 100
    assert reload(goal).achieved_at is not None
    services.goal_reopen(goal=goal, by=world["mentee"])
    assert reload(goal).progress == (25 if mode == ProgressMode.MILESTONES else 10)
    assert reload(goal).achieved_at is None


def test_a_dropped_goal_keeps_its_progress_and_changes_no_more_until_reopened(world, wins_proposed):
    goal = goal_of(world["pair"], milestones=2)
    finish(goal, 0)

    services.goal_drop(goal=goal, by=world["mentee"])
    goal = reload(goal)

    assert goal.status == GoalStatus.DROPPED
    assert goal.progress == 50
    assert listed(goal).progress == 50
    with pytest.raises(ValidationError, match="dropped: reopen it"):
        services.milestone_finish(milestone=goal.milestones.all()[1], by=world["mentee"])
    with pytest.raises(ValidationError, match="dropped"):
        services.check_in_add(goal=goal, by=world["mentee"], status="on_track")
    assert CheckIn.objects.count() == 0
    services.goal_reopen(goal=goal, by=world["mentee"])
    assert reload(goal).status == GoalStatus.ACTIVE


def test_lists_put_active_goals_first(world, wins_proposed):
    first = goal_of(world["pair"], title="First")
    second = goal_of(world["pair"], title="Second")
    third = goal_of(world["pair"], title="Third")
    services.goal_achieve(goal=first, by=world["mentee"])
    services.goal_drop(goal=second, by=world["mentee"])

    goals = selectors.goals_for_mentorship(mentorship=world["pair"])

    assert [g.title for g in goals] == [third.title, first.title, second.title]


# Check-ins --------------------------------------------------------------------------------


def test_a_check_in_keeps_the_progress_of_its_time(world, wins_proposed):
    goal = goal_of(world["pair"], milestones=2)
    finish(goal, 0)

    check_in = services.check_in_add(
        goal=reload(goal), by=world["mentor"], status="at_risk", note="Slides are late."
    )
    finish(reload(goal), 1)

    check_in.refresh_from_db()
    assert (check_in.status, check_in.note, check_in.progress) == (
        "at_risk",
        "Slides are late.",
        50,
    )
    assert reload(goal).progress == 100


def test_a_manual_goal_sets_its_progress_in_the_check_in(world):
    goal = goal_of(world["pair"])
    services.goal_update(goal=goal, by=world["mentee"], data={"progress_mode": "manual"})

    check_in = services.check_in_add(goal=goal, by=world["mentee"], status="on_track", progress=70)

    assert check_in.progress == 70
    assert reload(goal).progress == 70


def test_a_milestones_goal_takes_no_progress_in_a_check_in(world):
    goal = goal_of(world["pair"], milestones=1)

    with pytest.raises(ValidationError) as error:
        services.check_in_add(goal=goal, by=world["mentee"], status="on_track", progress=70)

    assert "progress" in error.value.message_dict
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize("status", ["", "great", None])
def test_a_check_in_needs_a_known_status(world, status):
    goal = goal_of(world["pair"])

    with pytest.raises(ValidationError) as error:
        services.check_in_add(goal=goal, by=world["mentee"], status=status)

    assert "status" in error.value.message_dict
    assert CheckIn.objects.count() == 0


def test_a_check_in_note_is_at_most_2000_characters(world):
    goal = goal_of(world["pair"])

    with pytest.raises(ValidationError) as error:
        services.check_in_add(goal=goal, by=world["mentee"], status="on_track", note="x" * 2001)

    assert "note" in error.value.message_dict


# Goals and milestones ---------------------------------------------------------------------


def test_a_goal_needs_a_title_and_a_value_of_the_program(world):
    pair = world["pair"]
    with pytest.raises(ValidationError) as error:
        services.goal_create(mentorship=pair, owner=pair.mentee, by=pair.mentee, title="  ")
    assert "title" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.goal_create(
            mentorship=pair, owner=pair.mentee, by=pair.mentee, title="Talk", value="Greed"
        )
    assert "value" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.goal_create(mentorship=pair, owner=pair.mentee, by=pair.mentee, title="x" * 201)
    assert "title" in error.value.message_dict
    assert Goal.objects.count() == 0

    goal = services.goal_create(
        mentorship=pair,
        owner=pair.mentee,
        by=pair.mentee,
        title=" Give a talk ",
        why="To be seen.",
        measure="A talk accepted",
        target_date=dt.date(2031, 5, 1),
        value="Courage",
    )
    assert (goal.title, goal.value, goal.created_by) == ("Give a talk", "Courage", pair.mentee)


def test_the_owner_of_a_pair_goal_is_its_mentee(world):
    pair = world["pair"]

    with pytest.raises(PermissionDeniedError):
        services.goal_create(mentorship=pair, owner=pair.mentor, by=pair.mentor, title="Mine")

    assert Goal.objects.count() == 0


def test_a_goal_set_by_the_mentor_tells_its_owner(world):
    pair = world["pair"]

    goal = services.goal_create(mentorship=pair, owner=pair.mentee, by=pair.mentor, title="Talk")
    goal_of(pair, title="Own goal")

    told = Notification.objects.filter(kind="goal_set")
    assert [(n.recipient, n.url) for n in told] == [(pair.mentee, f"/goals/{goal.pk}/")]


def test_a_finished_milestone_tells_the_other_of_the_pair(world, wins_proposed):
    goal = goal_of(world["pair"], milestones=2)

    finish(goal, 0, by=world["mentee"])
    finish(goal, 1, by=world["mentor"])

    told = Notification.objects.filter(kind="milestone_done").order_by("pk")
    assert [n.recipient for n in told] == [world["mentor"], world["mentee"]]


def test_a_milestone_owner_is_one_of_the_mentorship(world):
    goal = goal_of(world["pair"])

    with pytest.raises(ValidationError) as error:
        services.milestone_add(
            goal=goal, by=world["mentee"], title="Ask", owner=world["other_mentor"]
        )

    assert "owner" in error.value.message_dict
    milestone = services.milestone_add(
        goal=goal,
        by=world["mentee"],
        title="Ask",
        owner=world["mentor"],
        due_date=dt.date(2031, 1, 2),
    )
    assert (milestone.owner, milestone.position) == (world["mentor"], 1)


def test_milestones_move_and_the_others_follow(world):
    goal = goal_of(world["pair"], milestones=3)
    third = goal.milestones.all()[2]

    services.milestone_move(milestone=third, by=world["mentee"], position=0)

    titles = list(
        Milestone.objects.filter(goal=goal).order_by("position").values_list("title", flat=True)
    )
    assert titles == ["Step 3", "Step 1", "Step 2"]


def test_reopening_a_milestone_clears_where_and_by_whom_it_was_done(world, wins_proposed):
    goal = goal_of(world["pair"], milestones=1)
    series, recurrence_id = meeting_of(world["pair"])
    milestone = goal.milestones.all()[0]
    services.milestone_finish(
        milestone=milestone, by=world["mentor"], series=series, recurrence_id=recurrence_id
    )
    assert (milestone.done_by, milestone.meeting_series, milestone.recurrence_id) == (
        world["mentor"],
        series,
        recurrence_id,
    )

    services.milestone_reopen(milestone=milestone, by=world["mentee"])

    milestone.refresh_from_db()
    assert (milestone.done_at, milestone.done_by, milestone.meeting_series) == (None, None, None)
    assert milestone.recurrence_id == ""


# Wins -------------------------------------------------------------------------------------


def test_a_win_is_proposed_exactly_when_a_milestone_is_finished_or_the_goal_achieved(
    world, wins_proposed
):
    goal = goal_of(world["pair"], milestones=2)
    first, second = goal.milestones.all()

    services.milestone_finish(milestone=first, by=world["mentee"])
    assert wins_proposed == [{"goal": goal, "milestone": first}]
    services.milestone_reopen(milestone=first, by=world["mentee"])
    services.check_in_add(goal=goal, by=world["mentee"], status="on_track")
    services.goal_update(goal=goal, by=world["mentee"], data={"title": "Two talks"})
    services.milestone_add(goal=goal, by=world["mentee"], title="Third")
    assert len(wins_proposed) == 1
    with pytest.raises(ValidationError, match="not done"):
        services.milestone_reopen(milestone=second, by=world["mentee"])
    services.milestone_finish(milestone=second, by=world["mentor"])
    with pytest.raises(ValidationError, match="already done"):
        services.milestone_finish(milestone=second, by=world["mentor"])
    assert wins_proposed[1:] == [{"goal": goal, "milestone": second}]

    services.goal_achieve(goal=goal, by=world["mentee"])
    with pytest.raises(ValidationError, match="already achieved"):
        services.goal_achieve(goal=goal, by=world["mentee"])

    assert wins_proposed[2:] == [{"goal": goal}]
    assert wins_proposed[2]["goal"].status == GoalStatus.ACHIEVED


def test_dropping_a_goal_proposes_no_win(world, wins_proposed):
    goal = goal_of(world["pair"], milestones=1)

    services.goal_drop(goal=goal, by=world["mentee"])
    services.goal_reopen(goal=goal, by=world["mentee"])

    assert wins_proposed == []


# Agendas ----------------------------------------------------------------------------------


def test_goals_and_milestones_go_on_an_agenda_once(world):
    goal = goal_of(world["pair"], milestones=2)
    first = goal.milestones.all()[0]
    series, recurrence_id = meeting_of(world["pair"])

    whole = services.agenda_item_add(
        series=series, recurrence_id=recurrence_id, goal=goal, by=world["mentee"]
    )
    step = services.agenda_item_add(
        series=series, recurrence_id=recurrence_id, goal=goal, milestone=first, by=world["mentor"]
    )

    assert selectors.goal_agenda_for(series=series, recurrence_id=recurrence_id) == [whole, step]
    with pytest.raises(ValidationError, match="goal is already on the meeting's agenda"):
        services.agenda_item_add(
            series=series, recurrence_id=recurrence_id, goal=goal, by=world["mentor"]
        )
    with pytest.raises(ValidationError, match="milestone is already on the meeting's agenda"):
        services.agenda_item_add(
            series=series,
            recurrence_id=recurrence_id,
            goal=goal,
            milestone=first,
            by=world["mentor"],
        )
    assert AgendaItem.objects.count() == 2

    services.agenda_item_remove(item=whole, by=world["mentor"])

    assert selectors.goal_agenda_for(series=series, recurrence_id=recurrence_id) == [step]


def test_the_database_holds_one_agenda_item_per_goal_and_meeting(world):
    goal = goal_of(world["pair"])
    series, recurrence_id = meeting_of(world["pair"])
    AgendaItem.objects.create(meeting_series=series, recurrence_id=recurrence_id, goal=goal)

    with pytest.raises(IntegrityError), transaction.atomic():
        AgendaItem.objects.create(meeting_series=series, recurrence_id=recurrence_id, goal=goal)


def test_an_agenda_needs_a_meeting_that_takes_place_in_the_same_mentorship(world):
    goal = goal_of(world["pair"], milestones=1)
    series, recurrence_id = meeting_of(world["pair"])
    other = berlin_new_york_pair(program=world["pair"].program)
    other_series, other_recurrence_id = meeting_of(other)

    def add(**kwargs):
        kwargs.setdefault("series", series)
        kwargs.setdefault("recurrence_id", recurrence_id)
        return services.agenda_item_add(goal=goal, by=world["mentee"], **kwargs)

    with pytest.raises(ValidationError, match="not one of this mentorship's"):
        add(series=other_series, recurrence_id=other_recurrence_id)
    with pytest.raises(ValidationError, match="No such meeting"):
        add(recurrence_id="20200101T090000")
    with pytest.raises(ValidationError, match="No such meeting"):
        add(recurrence_id="not-a-date")
    OccurrenceChange.objects.create(series=series, recurrence_id=recurrence_id, is_cancelled=True)
    with pytest.raises(ValidationError, match="cancelled"):
        add()
    assert AgendaItem.objects.count() == 0


def test_a_done_milestone_or_a_closed_goal_goes_on_no_agenda(world, wins_proposed):
    goal = goal_of(world["pair"], milestones=1)
    milestone = goal.milestones.all()[0]
    series, recurrence_id = meeting_of(world["pair"])
    services.milestone_finish(milestone=milestone, by=world["mentee"])

    with pytest.raises(ValidationError, match="already done"):
        services.agenda_item_add(
            series=series,
            recurrence_id=recurrence_id,
            goal=goal,
            milestone=milestone,
            by=world["mentee"],
        )
    services.goal_drop(goal=goal, by=world["mentee"])
    with pytest.raises(ValidationError, match="dropped"):
        services.agenda_item_add(
            series=series, recurrence_id=recurrence_id, goal=goal, by=world["mentee"]
        )


def test_what_is_done_in_a_meeting_marks_its_agenda_reviewed(world, wins_proposed):
    goal = goal_of(world["pair"], milestones=2)
    first, second = goal.milestones.all()
    series, recurrence_id = meeting_of(world["pair"])
    later_series, later_recurrence_id = meeting_of(world["pair"], days=8)
    whole = services.agenda_item_add(
        series=series, recurrence_id=recurrence_id, goal=goal, by=world["mentee"]
    )
    step = services.agenda_item_add(
        series=series, recurrence_id=recurrence_id, goal=goal, milestone=first, by=world["mentee"]
    )
    later = services.agenda_item_add(
        series=later_series, recurrence_id=later_recurrence_id, goal=goal, by=world["mentee"]
    )

    services.check_in_add(goal=goal, by=world["mentee"], status="on_track")
    assert AgendaItem.objects.filter(reviewed_at__isnull=False).count() == 0

    services.check_in_add(
        goal=goal,
        by=world["mentor"],
        status="at_risk",
        note="Needs a date.",
        series=series,
        recurrence_id=recurrence_id,
    )
    reviewed = set(AgendaItem.objects.filter(reviewed_at__isnull=False))
    assert reviewed == {whole}

    services.milestone_finish(
        milestone=first, by=world["mentee"], series=series, recurrence_id=recurrence_id
    )
    reviewed = set(AgendaItem.objects.filter(reviewed_at__isnull=False))
    assert reviewed == {whole, step}
    assert later not in reviewed

    moves = selectors.meeting_moves_for(series=series, recurrence_id=recurrence_id, role="mentee")
    assert [m.title for m in moves.milestones] == [first.title]
    assert [(v.check_in.status, v.note) for v in moves.check_ins] == [("at_risk", "Needs a date.")]
    for_manager = selectors.meeting_moves_for(
        series=series, recurrence_id=recurrence_id, role="manager"
    )
    assert [v.note for v in for_manager.check_ins] == [None]
    assert second.done_at is None


def test_a_check_in_in_a_meeting_of_another_mentorship_is_refused(world):
    goal = goal_of(world["pair"])
    other = berlin_new_york_pair(program=world["pair"].program)
    other_series, other_recurrence_id = meeting_of(other)

    with pytest.raises(ValidationError) as error:
        services.check_in_add(
            goal=goal,
            by=world["mentee"],
            status="on_track",
            series=other_series,
            recurrence_id=other_recurrence_id,
        )

    assert "meeting" in error.value.message_dict
    assert CheckIn.objects.count() == 0


# Who writes, and when ---------------------------------------------------------------------


def test_a_finished_mentorship_keeps_its_goals_read_only(world, wins_proposed):
    pair = world["pair"]
    goal = goal_of(pair, milestones=2)
    series, recurrence_id = meeting_of(pair)
    item = services.agenda_item_add(
        series=series, recurrence_id=recurrence_id, goal=goal, by=world["mentee"]
    )
    mentorship_complete(mentorship=pair, by=pair.mentor)
    pair.refresh_from_db()
    goal = reload(goal)
    milestone = goal.milestones.all()[0]
    item, _role = selectors.agenda_item_for(item_id=item.pk, user=pair.mentee)
    before = (
        list(Goal.objects.values()),
        list(Milestone.objects.values()),
        list(AgendaItem.objects.values()),
    )

    attempts = [
        lambda: services.goal_create(
            mentorship=pair, owner=pair.mentee, by=pair.mentee, title="Another"
        ),
        lambda: services.goal_update(goal=goal, by=pair.mentee, data={"title": "New"}),
        lambda: services.goal_achieve(goal=goal, by=pair.mentee),
        lambda: services.goal_drop(goal=goal, by=pair.mentor),
        lambda: services.milestone_add(goal=goal, by=pair.mentee, title="More"),
        lambda: services.milestone_finish(milestone=milestone, by=pair.mentee),
        lambda: services.milestone_delete(milestone=milestone, by=pair.mentee),
        lambda: services.check_in_add(goal=goal, by=pair.mentee, status="on_track"),
        lambda: services.agenda_item_remove(item=item, by=pair.mentee),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="This mentorship has finished"):
            attempt()

    after = (
        list(Goal.objects.values()),
        list(Milestone.objects.values()),
        list(AgendaItem.objects.values()),
    )
    assert after == before
    assert CheckIn.objects.count() == 0
    assert wins_proposed == []
    assert pair.status == MentorshipStatus.COMPLETED


def test_a_paused_mentorship_still_works_on_its_goals(world, wins_proposed):
    pair = world["pair"]
    goal = goal_of(pair, milestones=1)
    mentorship_pause(mentorship=pair, by=pair.mentor)
    pair.refresh_from_db()
    goal = reload(goal)

    services.milestone_finish(milestone=goal.milestones.all()[0], by=pair.mentee)

    assert len(wins_proposed) == 1


def test_managers_and_staff_never_write(world):
    goal = goal_of(world["pair"], milestones=1)
    for role in ("manager", "staff", "other_mentor"):
        with pytest.raises(PermissionDeniedError):
            services.goal_update(goal=goal, by=world[role], data={"title": "Mine now"})
        with pytest.raises(PermissionDeniedError):
            services.check_in_add(goal=goal, by=world[role], status="on_track")
        with pytest.raises(PermissionDeniedError):
            services.goal_create(
                mentorship=world["pair"], owner=world["mentee"], by=world[role], title="Set"
            )
    assert reload(goal).title == "Give a conference talk"
    assert Goal.objects.count() == 1


def test_in_a_group_the_owner_and_the_mentor_write_and_other_members_read(
    group_world, wins_proposed
):
    group, noah, kenji = group_world["group"], group_world["noah"], group_world["kenji"]
    goal = services.goal_create(mentorship=group, owner=noah, by=group.mentor, title="Ship it")
    goal = reload(goal)

    assert Notification.objects.filter(kind="goal_set", recipient=noah).count() == 1
    with pytest.raises(PermissionDeniedError):
        services.goal_update(goal=goal, by=kenji, data={"title": "Kenji's now"})
    with pytest.raises(PermissionDeniedError):
        services.milestone_add(goal=goal, by=kenji, title="Sneaky")
    with pytest.raises(PermissionDeniedError):
        services.goal_create(mentorship=group, owner=noah, by=kenji, title="For Noah")
    with pytest.raises(PermissionDeniedError):
        services.goal_create(
            mentorship=group, owner=group_world["lena"], by=group.mentor, title="Gone"
        )
    with pytest.raises(ValidationError) as error:
        services.milestone_add(goal=goal, by=noah, title="Ask Lena", owner=group_world["lena"])
    assert "owner" in error.value.message_dict

    milestone = services.milestone_add(goal=goal, by=noah, title="Draft", owner=kenji)
    services.milestone_finish(milestone=milestone, by=group.mentor)
    kenjis = services.goal_create(mentorship=group, owner=kenji, by=kenji, title="Learn Go")

    assert Goal.objects.count() == 2
    assert kenjis.owner == kenji
    assert [n.recipient for n in Notification.objects.filter(kind="milestone_done")] == [noah]


def test_may_write_follows_the_rules(world, group_world):
    goal = goal_of(world["pair"])
    expected = {
        "mentor": True,
        "mentee": True,
        "other_mentor": False,
        "other_mentee": False,
        "manager": False,
        "other_manager": False,
        "staff": False,
    }
    assert {
        role: selectors.may_write_goal(goal=goal, user=world[role]) for role in expected
    } == expected
    group_goal = goal_of(group_world["group"], owner=group_world["noah"])
    assert selectors.may_write_goal(goal=group_goal, user=group_world["mentor"])
    assert selectors.may_write_goal(goal=group_goal, user=group_world["noah"])
    assert not selectors.may_write_goal(goal=group_goal, user=group_world["kenji"])
    assert not selectors.may_write_goal(goal=group_goal, user=group_world["lena"])


def test_times_are_stored_in_utc(world, wins_proposed):
    goal = goal_of(world["pair"], milestones=1)
    finish(goal, 0)

    done_at = Milestone.objects.get().done_at

    assert done_at is not None
    assert done_at.utcoffset() == dt.timedelta(0)
    assert abs(done_at - timezone.now()) < dt.timedelta(minutes=1)

"""The rules of wins: proposals, the owner's choice, moderation, reactions and comments."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from trellis.core.errors import NotFoundError, PermissionDeniedError, RateLimitedError
from trellis.mentorships.models import GroupLeaveReason, MentorshipStatus
from trellis.notifications.models import Notification
from trellis.programs.models import Enrollment, EnrollmentStatus
from trellis.wins import selectors, services
from trellis.wins.models import Win, WinComment, WinReaction, WinState
from trellis.wins.tests.helpers import goal_with_milestones, make_win, wins_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return wins_world()


def notifications_of(user, kind):
    return list(Notification.objects.filter(recipient=user, kind=kind).values_list("title", "url"))


def on_wall(world):
    return [win.pk for win in selectors.wall_wins(program=world["program"])]


# win_propose ---------------------------------------------------------------------------------


def test_a_finished_milestone_proposes_a_win_to_its_owner_alone(
    world, django_capture_on_commit_callbacks
):
    goal, (first, _second) = goal_with_milestones(world, "Write the talk", "Give the talk")

    with django_capture_on_commit_callbacks(execute=True):
        win = services.win_propose(goal=goal, milestone=first)

    assert win is not None
    assert (win.owner, win.mentorship, win.goal, win.milestone, win.title, win.state) == (
        world["owner"],
        world["group"],
        goal,
        first,
        "Finished: Write the talk",
        WinState.PROPOSED,
    )
    assert (win.shared_at, win.decided_at) == (None, None)
    assert notifications_of(world["owner"], "win.proposed") == [
        ("You finished “Write the talk” — celebrate it?", f"/wins/{win.pk}/")
    ]
    assert Notification.objects.filter(kind="win.proposed").count() == 1
    assert on_wall(world) == []


def test_proposing_twice_returns_the_same_win_and_tells_nobody_again(world):
    goal, (first,) = goal_with_milestones(world, "Write the talk")
    win = services.win_propose(goal=goal, milestone=first)

    again = services.win_propose(goal=goal, milestone=first)

    assert again == win
    assert Win.objects.count() == 1
    assert Notification.objects.filter(kind="win.proposed").count() == 1


def test_a_goal_has_its_own_win_beside_its_milestones(world):
    goal, (first,) = goal_with_milestones(world, "Write the talk")
    milestone_win = services.win_propose(goal=goal, milestone=first)

    goal_win = services.win_propose(goal=goal)
    goal_again = services.win_propose(goal=goal)

    assert goal_win is not None
    assert milestone_win is not None
    assert goal_win.pk != milestone_win.pk
    assert goal_again == goal_win
    assert (goal_win.title, goal_win.milestone) == ("Achieved: Speak at a meetup", None)
    assert Win.objects.count() == 2


def test_a_proposal_lost_in_a_race_returns_the_winner(world, monkeypatch):
    """Two requests finish the same milestone at once: the constraint keeps one win."""
    goal, (first,) = goal_with_milestones(world, "Write the talk")
    theirs = services.win_propose(goal=goal, milestone=first)
    calls = []
    real_existing = services._existing_win

    def not_yet(goal, milestone):
        calls.append(milestone)
        # The first look happens before the other request committed.
        return None if len(calls) == 1 else real_existing(goal, milestone)

    monkeypatch.setattr(services, "_existing_win", not_yet)

    with transaction.atomic():  # the caller's own transaction goes on
        mine = services.win_propose(goal=goal, milestone=first)
        assert Win.objects.count() == 1

    assert mine == theirs
    assert Notification.objects.filter(kind="win.proposed").count() == 1


def test_deleting_milestones_keeps_their_wins_apart_from_the_goals(world):
    goal, (first, second) = goal_with_milestones(world, "Write the talk", "Give the talk")
    wins = [
        services.win_propose(goal=goal, milestone=first),
        services.win_propose(goal=goal, milestone=second),
        services.win_propose(goal=goal),
    ]

    first.delete()
    second.delete()

    assert Win.objects.count() == 3
    assert services.win_propose(goal=goal) == wins[2]
    assert sorted(Win.objects.values_list("source", "milestone")) == [
        ("goal", None),
        ("milestone", None),
        ("milestone", None),
    ]


def test_the_database_holds_one_win_per_milestone_and_per_goal(world):
    goal, (first,) = goal_with_milestones(world, "Write the talk")
    make_win(world, "proposed", goal=goal, milestone=first)
    make_win(world, "proposed", goal=goal)

    with pytest.raises(IntegrityError), transaction.atomic():
        make_win(world, "pair", goal=goal, milestone=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_win(world, "pair", goal=goal)
    assert Win.objects.count() == 2


@pytest.mark.parametrize("gone", ["left_the_program", "left_the_group", "deactivated"])
def test_no_win_is_proposed_to_someone_no_longer_a_participant(world, gone):
    goal, (first,) = goal_with_milestones(world, "Write the talk")
    owner = world["owner"]
    if gone == "left_the_program":
        Enrollment.objects.filter(user=owner).update(status=EnrollmentStatus.LEFT)
    elif gone == "left_the_group":
        world["group"].members.filter(mentee=owner).update(
            left_at=world["group"].started_at, left_reason=GroupLeaveReason.NO_TIME
        )
    else:
        owner.is_active = False
        owner.save()

    assert services.win_propose(goal=goal, milestone=first) is None
    assert Win.objects.count() == 0
    assert Notification.objects.filter(kind="win.proposed").count() == 0


def test_a_finished_group_still_proposes_to_its_members(world):
    goal, (first,) = goal_with_milestones(world, "Write the talk")
    group = world["group"]
    group.members.update(left_at=group.started_at, left_reason=GroupLeaveReason.GROUP_FINISHED)
    group.status = MentorshipStatus.COMPLETED
    group.save()

    assert services.win_propose(goal=goal, milestone=first) is not None


# The owner's choice --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "choice"),
    [
        ("proposed", "pair"),
        ("proposed", "program"),
        ("proposed", "dismissed"),
        ("pair", "program"),
        ("program", "pair"),
        ("dismissed", "pair"),
        ("dismissed", "program"),
    ],
)
def test_the_owner_moves_a_win_between_states(world, start, choice):
    win = make_win(world, start)

    decided = services.win_decide(win=win, by=world["owner"], state=choice)

    decided.refresh_from_db()
    assert decided.state == choice
    assert decided.decided_at is not None
    assert (decided.pk in on_wall(world)) == (choice == WinState.PROGRAM)
    if choice == WinState.PROGRAM:
        assert decided.shared_at is not None


def test_sharing_again_puts_the_win_on_top_of_the_wall(world):
    first = make_win(world, "pair", title="First")
    second = make_win(world, "program", title="Second")
    services.win_decide(win=first, by=world["owner"], state=WinState.PROGRAM)

    assert on_wall(world) == [first.pk, second.pk]


@pytest.mark.parametrize(
    ("start", "choice"),
    [
        ("pair", "dismissed"),
        ("program", "dismissed"),
        ("pair", "proposed"),
        ("dismissed", "proposed"),
        ("proposed", "everyone"),
        ("proposed", ""),
    ],
)
def test_a_move_that_is_not_allowed_is_refused_and_changes_nothing(world, start, choice):
    win = make_win(world, start)
    before = Win.objects.values().get(pk=win.pk)

    with pytest.raises(ValidationError) as caught:
        services.win_decide(win=win, by=world["owner"], state=choice)

    assert "state" in caught.value.message_dict
    assert Win.objects.values().get(pk=win.pk) == before


def test_choosing_the_state_it_is_in_changes_nothing(world):
    win = make_win(world, "pair")
    before = Win.objects.values().get(pk=win.pk)

    services.win_decide(win=win, by=world["owner"], state=WinState.PAIR)

    assert Win.objects.values().get(pk=win.pk) == before


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("mentor", PermissionDeniedError),
        ("co_member", NotFoundError),
        ("manager", NotFoundError),
        ("staff", NotFoundError),
    ],
)
def test_only_the_owner_decides(world, who, error):
    win = make_win(world, "pair")
    before = Win.objects.values().get(pk=win.pk)

    with pytest.raises(error):
        services.win_decide(win=win, by=world[who], state=WinState.PROGRAM)
    with pytest.raises(error):
        services.win_update(win=win, by=world[who], title="Mine now")

    assert Win.objects.values().get(pk=win.pk) == before


def test_a_manager_who_sees_a_shared_win_still_cannot_change_it(world):
    win = make_win(world, "program")

    with pytest.raises(PermissionDeniedError):
        services.win_decide(win=win, by=world["manager"], state=WinState.PAIR)
    with pytest.raises(PermissionDeniedError):
        services.win_update(win=win, by=world["manager"], title="Edited")

    win.refresh_from_db()
    assert (win.state, win.title) == (WinState.PROGRAM, "A program win")


def test_the_owner_rewords_the_title_and_story(world):
    win = make_win(world, "proposed")

    services.win_update(win=win, by=world["owner"], title="  Gave my first talk  ", story="")

    win.refresh_from_db()
    assert (win.title, win.story) == ("Gave my first talk", "")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"story": "x" * 1001}, "story"),
    ],
)
def test_a_bad_title_or_story_is_refused(world, fields, field):
    win = make_win(world, "pair")

    with pytest.raises(ValidationError) as caught:
        services.win_update(win=win, by=world["owner"], **fields)

    assert list(caught.value.message_dict) == [field]
    win.refresh_from_db()
    assert (win.title, win.story) == ("A pair win", "It took a while.")


def test_a_mentee_celebrates_a_win_by_hand(world):
    win = services.win_create(
        mentorship=world["group"],
        by=world["co_member"],
        title="Finished the course",
        story="All twelve weeks.",
        state=WinState.PROGRAM,
    )

    assert (win.owner, win.state, win.goal, win.milestone) == (
        world["co_member"],
        WinState.PROGRAM,
        None,
        None,
    )
    assert on_wall(world) == [win.pk]


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("mentor", PermissionDeniedError),
        ("manager", PermissionDeniedError),
        ("other_mentee", NotFoundError),
        ("outsider", NotFoundError),
    ],
)
def test_only_a_mentee_of_the_mentorship_celebrates_by_hand(world, who, error):
    with pytest.raises(error):
        services.win_create(mentorship=world["group"], by=world[who], title="Mine")
    assert Win.objects.count() == 0


def test_celebrating_by_hand_checks_the_fields(world):
    with pytest.raises(ValidationError) as caught:
        services.win_create(
            mentorship=world["group"], by=world["owner"], title="", story="x" * 1001, state="x"
        )

    assert sorted(caught.value.message_dict) == ["state", "story", "title"]
    assert Win.objects.count() == 0


def test_a_finished_mentorship_keeps_its_wins_as_they_are(world):
    shared = make_win(world, "program")
    kept = make_win(world, "pair")
    group = world["group"]
    group.status = MentorshipStatus.COMPLETED
    group.save()
    group.members.update(left_at=group.started_at, left_reason=GroupLeaveReason.GROUP_FINISHED)

    assert on_wall(world) == [shared.pk]
    assert selectors.win_for(win_id=kept.pk, user=world["owner"]).state == WinState.PAIR
    assert selectors.win_for(win_id=kept.pk, user=world["mentor"]).state == WinState.PAIR
    with pytest.raises(PermissionDeniedError):  # celebrating by hand is over
        services.win_create(mentorship=group, by=world["owner"], title="Late")


# Moderation --------------------------------------------------------------------------------


def test_a_manager_hides_a_shared_win_from_the_wall(world, django_capture_on_commit_callbacks):
    win = make_win(world, "program")

    with django_capture_on_commit_callbacks(execute=True):
        services.win_hide(win=win, by=world["manager"])

    win.refresh_from_db()
    assert (win.hidden_by, win.state, win.is_hidden) == (world["manager"], "program", True)
    assert on_wall(world) == []
    assert selectors.win_can_view(win=win, user=world["owner"])
    assert selectors.win_can_view(win=win, user=world["mentor"])
    assert selectors.win_can_view(win=win, user=world["manager"])
    assert not selectors.win_can_view(win=win, user=world["co_member"])
    assert not selectors.win_can_view(win=win, user=world["other_mentee"])
    assert notifications_of(world["owner"], "win.hidden") == [
        ("A program manager took “A program win” off the wins wall", f"/wins/{win.pk}/")
    ]

    services.win_unhide(win=win, by=world["manager"])

    assert on_wall(world) == [win.pk]


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("owner", PermissionDeniedError),
        ("mentor", PermissionDeniedError),
        ("other_mentee", PermissionDeniedError),
        ("other_manager", NotFoundError),
        ("outsider", NotFoundError),
    ],
)
def test_only_the_programs_managers_hide(world, who, error):
    win = make_win(world, "program")

    with pytest.raises(error):
        services.win_hide(win=win, by=world[who])

    assert on_wall(world) == [win.pk]


def test_a_manager_cannot_hide_or_even_see_a_win_kept_by_the_pair(world):
    win = make_win(world, "pair")

    with pytest.raises(NotFoundError):
        services.win_hide(win=win, by=world["manager"])

    win.refresh_from_db()
    assert win.hidden_at is None


# Reactions ---------------------------------------------------------------------------------


def test_reacting_toggles_and_counts(world):
    win = make_win(world, "program")

    assert services.win_reaction_toggle(win=win, by=world["other_mentee"], emoji="🎉") is True
    assert services.win_reaction_toggle(win=win, by=world["mentor"], emoji="🎉") is True
    assert services.win_reaction_toggle(win=win, by=world["mentor"], emoji="🚀") is True
    assert services.win_reaction_toggle(win=win, by=world["mentor"], emoji="🚀") is False

    counts = selectors.reaction_counts(win_ids=[win.pk], user=world["mentor"])[win.pk]
    assert [(c.emoji, c.count, c.is_mine) for c in counts] == [
        ("🎉", 2, True),
        ("👏", 0, False),
        ("💪", 0, False),
        ("❤️", 0, False),
        ("🚀", 0, False),
    ]


def test_adding_a_reaction_twice_keeps_one_and_removing_is_quiet(world):
    win = make_win(world, "pair")

    services.win_reaction_add(win=win, by=world["mentor"], emoji="❤")  # no variation selector
    services.win_reaction_add(win=win, by=world["mentor"], emoji="❤️")
    assert list(WinReaction.objects.values_list("emoji", flat=True)) == ["❤️"]

    services.win_reaction_remove(win=win, by=world["mentor"], emoji="❤️")
    services.win_reaction_remove(win=win, by=world["mentor"], emoji="❤️")
    assert WinReaction.objects.count() == 0


@pytest.mark.parametrize("emoji", ["", "👍", "🎉🎉", "celebrate"])
def test_only_the_fixed_reactions_are_accepted(world, emoji):
    win = make_win(world, "program")

    with pytest.raises(ValidationError) as caught:
        services.win_reaction_toggle(win=win, by=world["mentor"], emoji=emoji)

    assert list(caught.value.message_dict) == ["emoji"]
    assert WinReaction.objects.count() == 0


@pytest.mark.parametrize(
    ("state", "who", "error"),
    [
        ("proposed", "owner", PermissionDeniedError),
        ("dismissed", "owner", PermissionDeniedError),
        ("hidden", "manager", PermissionDeniedError),
        ("hidden", "owner", PermissionDeniedError),
        ("pair", "co_member", NotFoundError),
        ("pair", "manager", NotFoundError),
        ("program", "outsider", NotFoundError),
        ("program", "other_manager", NotFoundError),
    ],
)
def test_reactions_and_comments_are_refused_where_not_open(world, state, who, error):
    win = make_win(world, state)

    with pytest.raises(error):
        services.win_reaction_toggle(win=win, by=world[who], emoji="🎉")
    with pytest.raises(error):
        services.win_comment_add(win=win, by=world[who], text="Well done")

    assert (WinReaction.objects.count(), WinComment.objects.count()) == (0, 0)


# Comments ------------------------------------------------------------------------------------


def test_a_comment_tells_the_owner_but_not_their_own(world, django_capture_on_commit_callbacks):
    win = make_win(world, "program", title="Gave my first talk")

    with django_capture_on_commit_callbacks(execute=True):
        comment = services.win_comment_add(
            win=win, by=world["other_mentee"], text="  Brilliant!\r\nWell done.  "
        )
        services.win_comment_add(win=win, by=world["owner"], text="Thank you!")

    assert comment.text == "Brilliant!\nWell done."
    assert notifications_of(world["owner"], "win.commented") == [
        ("Omar commented on your win “Gave my first talk”", f"/wins/{win.pk}/")
    ]
    assert [c.text for c in selectors.comment_list(win=win)] == [
        "Brilliant!\nWell done.",
        "Thank you!",
    ]


@pytest.mark.parametrize("text", ["", "   ", "x" * 501])
def test_a_comment_is_one_to_five_hundred_characters(world, text):
    win = make_win(world, "program")

    with pytest.raises(ValidationError) as caught:
        services.win_comment_add(win=win, by=world["mentor"], text=text)

    assert list(caught.value.message_dict) == ["text"]
    assert WinComment.objects.count() == 0


def test_comments_are_rate_limited_per_person(world, monkeypatch):
    monkeypatch.setattr(services, "COMMENT_RATE_LIMIT", 2)
    win = make_win(world, "program")
    services.win_comment_add(win=win, by=world["mentor"], text="One")
    services.win_comment_add(win=win, by=world["mentor"], text="Two")

    with pytest.raises(RateLimitedError) as caught:
        services.win_comment_add(win=win, by=world["mentor"], text="Three")

    assert caught.value.retry_after > 0
    assert WinComment.objects.count() == 2
    # Someone else is not held back by the mentor's comments.
    services.win_comment_add(win=win, by=world["owner"], text="Thanks")
    assert WinComment.objects.count() == 3


@pytest.mark.parametrize("who", ["other_mentee", "manager", "staff"])
def test_a_comment_is_removed_by_its_author_or_a_manager(world, who):
    win = make_win(world, "program")
    comment = services.win_comment_add(win=win, by=world["other_mentee"], text="Nice")

    services.win_comment_delete(comment=comment, by=world[who])

    comment.refresh_from_db()
    assert comment.deleted_at is not None
    assert comment.deleted_by == world[who]
    assert selectors.comment_list(win=win) == []
    with pytest.raises(NotFoundError):
        selectors.comment_for(comment_id=comment.pk, user=world["other_mentee"])


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("owner", PermissionDeniedError),
        ("mentor", PermissionDeniedError),
        ("co_member", PermissionDeniedError),
        ("other_manager", NotFoundError),
        ("outsider", NotFoundError),
    ],
)
def test_nobody_else_removes_a_comment(world, who, error):
    win = make_win(world, "program")
    comment = services.win_comment_add(win=win, by=world["other_mentee"], text="Nice")

    with pytest.raises(error):
        services.win_comment_delete(comment=comment, by=world[who])

    comment.refresh_from_db()
    assert comment.deleted_at is None


def test_latest_comments_are_the_last_three_oldest_first(world):
    win = make_win(world, "program")
    other = make_win(world, "program")
    for number in range(5):
        services.win_comment_add(win=win, by=world["mentor"], text=f"Comment {number}")
    services.win_comment_add(win=other, by=world["mentor"], text="Only one")

    latest = selectors.latest_comments(win_ids=[win.pk, other.pk])

    assert [c.text for c in latest[win.pk]] == ["Comment 2", "Comment 3", "Comment 4"]
    assert [c.text for c in latest[other.pk]] == ["Only one"]

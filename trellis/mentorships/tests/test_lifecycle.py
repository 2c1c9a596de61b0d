"""The mentorship's life: propose, confirm, pause, resume, complete, end, extend, rematch."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from trellis.core.errors import PermissionDeniedError
from trellis.matching.selectors import mentor_candidates
from trellis.mentorships import selectors, services
from trellis.mentorships.models import (
    EndReason,
    Mentorship,
    MentorshipSource,
    MentorshipStatus,
)
from trellis.mentorships.tests.factories import MentorshipFactory
from trellis.mentorships.tests.helpers import kinds_for, snapshot

pytestmark = pytest.mark.django_db


def start(world, *, mentee=None, mentor=None):
    return services.mentorship_start(
        program=world["program"],
        mentor=mentor or world["mentor"],
        mentee=mentee or world["mentee"],
        source=MentorshipSource.MANAGER,
        score=70,
        reasons=["You both speak English"],
        by=world["manager"],
        notify=False,
    )


def in_state(world, status):
    mentorship = start(world)
    Mentorship.objects.filter(pk=mentorship.pk).update(status=status)
    mentorship.refresh_from_db()
    return mentorship


def later(days):
    return timezone.localdate() + dt.timedelta(days=days)


# Every action with valid arguments, taken by the mentor (confirm: the mentee, who has not).
CALLS = {
    "confirm": lambda m, w: services.mentorship_confirm(mentorship=m, by=w["mentee"]),
    "decline": lambda m, w: services.mentorship_decline(mentorship=m, by=w["mentor"]),
    "pause": lambda m, w: services.mentorship_pause(mentorship=m, by=w["mentor"]),
    "resume": lambda m, w: services.mentorship_resume(mentorship=m, by=w["mentor"]),
    "complete": lambda m, w: services.mentorship_complete(mentorship=m, by=w["mentor"]),
    "end": lambda m, w: services.mentorship_end(
        mentorship=m, by=w["mentor"], reason=EndReason.NO_TIME
    ),
    "extend": lambda m, w: services.mentorship_extend(
        mentorship=m, by=w["mentor"], until=later(400)
    ),
    "rematch": lambda m, w: services.mentorship_rematch(mentorship=m, by=w["mentor"]),
}
RESULT = {
    "confirm": MentorshipStatus.PROPOSED,  # the mentor has not confirmed yet
    "decline": MentorshipStatus.ENDED,
    "pause": MentorshipStatus.PAUSED,
    "resume": MentorshipStatus.ACTIVE,
    "complete": MentorshipStatus.COMPLETED,
    "end": MentorshipStatus.ENDED,
    "extend": None,  # stays as it was
    "rematch": MentorshipStatus.ENDED,
}
ALLOWED = {
    ("proposed", "confirm"),
    ("proposed", "decline"),
    ("active", "pause"),
    ("paused", "resume"),
    *((state, action) for state in ("active", "paused") for action in ("complete", "end")),
    *((state, action) for state in ("active", "paused") for action in ("extend", "rematch")),
}


@pytest.mark.parametrize("status", MentorshipStatus.values)
@pytest.mark.parametrize("action", list(CALLS))
def test_transition_table(world, status, action):
    mentorship = in_state(world, status)
    assert selectors.TRANSITIONS[action] == tuple(
        s for s in MentorshipStatus.values if (s, action) in ALLOWED
    )
    before = snapshot()
    if (status, action) in ALLOWED:
        CALLS[action](mentorship, world)
        mentorship.refresh_from_db()
        assert mentorship.status == (RESULT[action] or status)
        assert mentorship.events.get().action == action
    else:
        with pytest.raises(ValidationError, match="cannot be"):
            CALLS[action](mentorship, world)
        assert snapshot() == before


@pytest.mark.parametrize("action", list(CALLS))
@pytest.mark.parametrize("role", ["other_mentor", "other_mentee", "other_manager", "outsider"])
def test_outsiders_are_refused_and_nothing_changes(world, action, role):
    status = "proposed" if action in ("confirm", "decline") else "paused"
    if action == "pause":
        status = "active"
    mentorship = in_state(world, status)
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        _as(action, mentorship, world[role])
    assert snapshot() == before


def _as(action, mentorship, by):
    arguments = {"end": {"reason": EndReason.NO_TIME}, "extend": {"until": later(400)}}
    service = getattr(services, f"mentorship_{action}")
    return service(mentorship=mentorship, by=by, **arguments.get(action, {}))


@pytest.mark.parametrize("action", ["confirm", "decline"])
def test_managers_do_not_answer_a_proposal_for_the_pair(world, action):
    mentorship = in_state(world, "proposed")
    before = snapshot()
    with pytest.raises(PermissionDeniedError, match="answer a proposal"):
        _as(action, mentorship, world["manager"])
    assert snapshot() == before


@pytest.mark.parametrize("role", ["manager", "staff", "mentee"])
def test_the_pair_and_managers_may_pause(world, role):
    mentorship = in_state(world, "active")
    services.mentorship_pause(mentorship=mentorship, by=world[role], note="Holidays")
    assert mentorship.status == MentorshipStatus.PAUSED
    assert mentorship.paused_at is not None
    assert mentorship.events.get().note == "Holidays"


def test_proposal_waits_for_both_then_starts(world):
    mentorship = services.mentorship_propose(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["mentee"],
        by=world["manager"],
    )
    assert mentorship.status == MentorshipStatus.PROPOSED
    assert mentorship.expected_end_on is None
    assert kinds_for(world["mentor"]) == ["mentorship.proposed"]
    assert kinds_for(world["mentee"]) == ["mentorship.proposed"]

    services.mentorship_confirm(mentorship=mentorship, by=world["mentor"])
    assert (mentorship.status, mentorship.confirmed_by_mentor) == ("proposed", True)
    assert kinds_for(world["mentee"])[-1] == "mentorship.confirmed"
    before = snapshot()
    with pytest.raises(ValidationError):
        services.mentorship_confirm(mentorship=mentorship, by=world["mentor"])
    assert snapshot() == before

    services.mentorship_confirm(mentorship=mentorship, by=world["mentee"])
    mentorship.refresh_from_db()
    assert mentorship.status == MentorshipStatus.ACTIVE
    weeks = world["program"].expected_length_weeks
    assert mentorship.expected_end_on == timezone.localdate() + dt.timedelta(weeks=weeks)
    assert kinds_for(world["mentor"])[-1] == "mentorship.started"
    assert kinds_for(world["manager"]) == ["mentorship.started"]


def test_only_managers_propose(world):
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        services.mentorship_propose(
            program=world["program"],
            mentor=world["mentor"],
            mentee=world["mentee"],
            by=world["mentor"],
        )
    assert snapshot() == before


def test_decline_ends_the_proposal_and_frees_the_mentee(world):
    mentorship = services.mentorship_propose(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["mentee"],
        by=world["manager"],
    )
    services.mentorship_decline(mentorship=mentorship, by=world["mentee"], note="Wrong field")
    mentorship.refresh_from_db()
    assert (mentorship.status, mentorship.ended_reason, mentorship.ended_note) == (
        "ended",
        EndReason.DECLINED,
        "Wrong field",
    )
    assert kinds_for(world["mentor"])[-1] == "mentorship.declined"
    assert kinds_for(world["manager"]) == ["mentorship.declined"]
    assert world["mentee"].pk not in selectors.active_mentee_ids(program=world["program"])
    start(world, mentor=world["other_mentor"])  # free to be matched again


def test_pause_tells_the_other_side_only(world):
    mentorship = in_state(world, "active")
    services.mentorship_pause(mentorship=mentorship, by=world["mentor"])
    assert kinds_for(world["mentee"]) == ["mentorship.paused"]
    assert kinds_for(world["mentor"]) == []
    services.mentorship_resume(mentorship=mentorship, by=world["mentee"])
    assert kinds_for(world["mentor"]) == ["mentorship.resumed"]
    assert mentorship.status == MentorshipStatus.ACTIVE
    assert mentorship.paused_at is None
    assert [e.action for e in selectors.mentorship_history(mentorship=mentorship)] == [
        "pause",
        "resume",
    ]


def test_manager_action_tells_both(world):
    mentorship = in_state(world, "active")
    services.mentorship_complete(mentorship=mentorship, by=world["manager"], note="Well done")
    assert mentorship.status == MentorshipStatus.COMPLETED
    assert mentorship.completed_at is not None
    assert mentorship.ended_note == "Well done"
    assert kinds_for(world["mentor"]) == ["mentorship.completed"]
    assert kinds_for(world["mentee"]) == ["mentorship.completed"]


def test_end_early_keeps_reason_and_note(world):
    mentorship = in_state(world, "paused")
    services.mentorship_end(
        mentorship=mentorship, by=world["mentee"], reason="other", note="Moved abroad"
    )
    mentorship.refresh_from_db()
    assert (mentorship.status, mentorship.ended_reason, mentorship.ended_note) == (
        "ended",
        "other",
        "Moved abroad",
    )
    assert mentorship.ended_at is not None
    assert kinds_for(world["mentor"]) == ["mentorship.ended"]
    assert kinds_for(world["manager"]) == ["mentorship.ended"]


@pytest.mark.parametrize(
    ("reason", "note", "field"),
    [
        ("", "", "reason"),
        ("nonsense", "", "reason"),
        ("rematch", "", "reason"),  # has its own action
        ("declined", "", "reason"),
        ("other", "  ", "note"),
        ("no_time", "x" * 2001, "note"),
    ],
)
def test_end_refuses_bad_reasons(world, reason, note, field):
    mentorship = in_state(world, "active")
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.mentorship_end(mentorship=mentorship, by=world["mentor"], reason=reason, note=note)
    assert field in error.value.message_dict
    assert snapshot() == before


def test_extend_moves_the_end_and_restarts_reminders(world):
    mentorship = in_state(world, "active")
    Mentorship.objects.filter(pk=mentorship.pk).update(
        expected_end_on=later(10), end_reminder_sent_at=timezone.now()
    )
    mentorship.refresh_from_db()
    services.mentorship_extend(mentorship=mentorship, by=world["mentee"], until=later(60))
    mentorship.refresh_from_db()
    assert mentorship.expected_end_on == later(60)
    assert mentorship.end_reminder_sent_at is None
    event = mentorship.events.get()
    assert event.details == {"from": later(10).isoformat(), "until": later(60).isoformat()}
    assert kinds_for(world["mentor"]) == ["mentorship.extended"]


@pytest.mark.parametrize(
    ("until", "cycle_end", "message"),
    [
        (0, None, "after today"),
        (-3, None, "after today"),
        (20, None, "after the current end"),
        (30, None, "after the current end"),
        (90, 60, "cycle ends"),
    ],
)
def test_extend_refusals(world, until, cycle_end, message):
    program = world["program"]
    program.cycle_end = later(cycle_end) if cycle_end is not None else None
    program.save()
    mentorship = in_state(world, "active")
    Mentorship.objects.filter(pk=mentorship.pk).update(expected_end_on=later(30))
    mentorship.refresh_from_db()
    before = snapshot()
    with pytest.raises(ValidationError, match=message) as error:
        services.mentorship_extend(mentorship=mentorship, by=world["mentor"], until=later(until))
    assert "until" in error.value.message_dict
    assert snapshot() == before


def test_rematch_frees_the_mentee_for_matching(world):
    mentorship = in_state(world, "active")
    program = world["program"]
    assert world["mentee"].pk in selectors.active_mentee_ids(program=program)
    services.mentorship_rematch(mentorship=mentorship, by=world["mentee"], note="Other field")
    mentorship.refresh_from_db()
    assert (mentorship.status, mentorship.ended_reason) == ("ended", EndReason.REMATCH)
    assert kinds_for(world["manager"]) == ["mentorship.rematch"]
    assert world["mentee"].pk not in selectors.active_mentee_ids(program=program)
    assert selectors.active_mentorship_counts(program=program) == {}
    assert any(
        c.user.pk == world["other_mentor"].pk
        for c in mentor_candidates(program=program, mentee=world["mentee"])
    )
    start(world, mentor=world["other_mentor"])


# Ongoing = proposed, active, paused: constraint, capacity, matching's view ------------------


@pytest.mark.parametrize("status", ["proposed", "active", "paused"])
def test_an_ongoing_mentorship_blocks_a_second(world, status):
    in_state(world, status)
    before = snapshot()
    with pytest.raises(ValidationError, match="already has a mentor"):
        start(world, mentor=world["other_mentor"])
    assert snapshot() == before
    with pytest.raises(IntegrityError), transaction.atomic():
        MentorshipFactory(
            program=world["program"],
            mentor=world["other_mentor"],
            mentee=world["mentee"],
            status=MentorshipStatus.ACTIVE,
        )
    program = world["program"]
    assert selectors.active_mentee_ids(program=program) == {world["mentee"].pk}
    assert selectors.active_mentorship_counts(program=program) == {world["mentor"].pk: 1}
    assert selectors.active_pairs(program=program) == [(world["mentee"].pk, world["mentor"].pk)]


@pytest.mark.parametrize("status", ["completed", "ended"])
def test_a_finished_mentorship_blocks_nothing(world, status):
    in_state(world, status)
    program = world["program"]
    assert selectors.active_mentee_ids(program=program) == set()
    assert selectors.active_mentorship_counts(program=program) == {}
    start(world, mentor=world["other_mentor"])


@pytest.mark.parametrize("status", ["proposed", "paused"])
def test_proposed_and_paused_hold_the_mentors_place(world, status):
    enrollment = world["mentor"].enrollments.get(program=world["program"])
    enrollment.mentor_capacity = 1
    enrollment.save()
    in_state(world, status)
    before = snapshot()
    with pytest.raises(ValidationError, match="no places left"):
        start(world, mentee=world["other_mentee"])
    assert snapshot() == before


# Reminders ---------------------------------------------------------------------------------


def test_reminders_are_sent_once(world):
    ending = in_state(world, "active")
    Mentorship.objects.filter(pk=ending.pk).update(expected_end_on=later(14))
    due = start(world, mentee=world["other_mentee"], mentor=world["other_mentor"])
    Mentorship.objects.filter(pk=due.pk).update(expected_end_on=later(0))
    far = start(world, mentee=world["third_mentee"], mentor=world["other_mentor"])
    Mentorship.objects.filter(pk=far.pk).update(expected_end_on=later(15))

    assert services.mentorships_remind() == 2
    assert kinds_for(world["mentor"]) == ["mentorship.ending_soon"]
    assert kinds_for(world["mentee"]) == ["mentorship.ending_soon"]
    assert kinds_for(world["other_mentee"]) == ["mentorship.wrap_up"]
    assert kinds_for(world["third_mentee"]) == []
    before = snapshot()
    assert services.mentorships_remind() == 0
    call_command("mentorships_remind", stdout=io.StringIO())
    assert snapshot() == before

    # A day later the third pair is two weeks from its end; then the first reaches its end.
    assert services.mentorships_remind(today=later(1)) == 1
    assert kinds_for(world["third_mentee"]) == ["mentorship.ending_soon"]
    assert services.mentorships_remind(today=later(14)) == 1
    assert kinds_for(world["mentee"]) == ["mentorship.ending_soon", "mentorship.wrap_up"]
    assert services.mentorships_remind(today=later(14)) == 0


def test_reminders_skip_proposed_and_finished(world):
    for mentee, status in (("mentee", "proposed"), ("other_mentee", "completed")):
        mentorship = start(world, mentee=world[mentee])
        Mentorship.objects.filter(pk=mentorship.pk).update(status=status, expected_end_on=later(0))
    assert services.mentorships_remind() == 0


def test_the_command_sends_the_due_reminders(world, capsys):
    mentorship = in_state(world, "paused")
    Mentorship.objects.filter(pk=mentorship.pk).update(expected_end_on=later(-30))
    call_command("mentorships_remind")
    assert "Sent reminders for 1 mentorship(s)." in capsys.readouterr().out
    mentorship.refresh_from_db()
    # Past the end only the wrap-up goes; "ends in two weeks" is marked as moot.
    assert mentorship.wrap_up_sent_at is not None
    assert mentorship.end_reminder_sent_at is not None
    assert kinds_for(world["mentee"]) == ["mentorship.wrap_up"]

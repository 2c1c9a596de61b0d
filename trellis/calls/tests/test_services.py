"""Call services: opening a meeting's room, joining and leaving, the record, "call now".

Every service that takes ``now`` gets an explicit one: a Monday in March 2026 when Berlin
is on CET (UTC+1) and New York already on EDT (UTC-4).
"""

from __future__ import annotations

import datetime as dt
import types
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from trellis.accounts.tests.factories import StaffFactory
from trellis.agreements.models import Agreement, AgreementPart
from trellis.calls import services
from trellis.calls.models import MAX_PEERS, Call, CallJoin, CallKind
from trellis.calls.selectors import time_together
from trellis.calls.services import CallFullError
from trellis.core import presence, realtime
from trellis.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ValidationError,
)
from trellis.core.models import OpenSocket
from trellis.mentorships.models import GroupLeaveReason, Mentorship, MentorshipStatus
from trellis.mentorships.services import group_leave
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import ProgramFactory
from trellis.scheduling.models import (
    MeetingLog,
    MeetingOutcome,
    MeetingSeries,
    Modality,
    OccurrenceChange,
    SeriesStatus,
)
from trellis.scheduling.tests.helpers import (
    berlin_new_york_pair,
    berlin_new_york_tokyo_group,
    group_people,
)

pytestmark = pytest.mark.django_db

# Monday 16 March 2026, 09:00 UTC: 10:00 in Berlin, 05:00 in New York.
START = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(hours=1)
RECURRENCE_ID = "20260316T100000"
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)


# --- Fixtures and spies ------------------------------------------------------------------------


@pytest.fixture
def pair() -> Mentorship:
    """Mara (mentor, Berlin) and Noah (mentee, New York), active, no contact hours."""
    return berlin_new_york_pair()


@pytest.fixture
def people(pair: Mentorship) -> dict[str, Any]:
    """The pair and everyone around them who is not in it."""
    other_pair = berlin_new_york_pair(program=pair.program)
    manager = ProfileFactory().user
    pair.program.managers.add(manager)
    other_manager = ProfileFactory().user
    ProgramFactory().managers.add(other_manager)
    return {
        "mentor": pair.mentor,
        "mentee": pair.mentee,
        "other_mentor": other_pair.mentor,
        "manager": manager,
        "other_manager": other_manager,
        "staff": StaffFactory(),
    }


OUTSIDERS = ["other_mentor", "manager", "other_manager", "staff"]


def meeting(pair: Mentorship, **fields: Any) -> MeetingSeries:
    """A single video meeting of the pair, 10:00-11:00 Berlin on 16 March 2026."""
    return MeetingSeries.objects.create(
        mentorship=pair,
        organiser=pair.mentor,
        time_zone="Europe/Berlin",
        start_date=dt.date(2026, 3, 16),
        start_time=dt.time(10, 0),
        duration_minutes=60,
        **fields,
    )


@pytest.fixture
def series(pair: Mentorship) -> MeetingSeries:
    return meeting(pair)


def instant_call(mentorship: Mentorship) -> Call:
    return Call.objects.create(
        mentorship=mentorship, kind=CallKind.INSTANT, started_by=mentorship.mentor
    )


@pytest.fixture
def sent(monkeypatch) -> list[tuple[list[int], dict[str, Any]]]:
    """Events published to people (realtime.send_now), as (recipient ids, event)."""
    events: list[tuple[list[int], dict[str, Any]]] = []
    monkeypatch.setattr(
        realtime, "send_now", lambda ids, event: events.append((sorted(ids), event))
    )
    return events


@pytest.fixture
def relayed(monkeypatch) -> list[tuple[str, dict[str, Any]]]:
    """Events sent to single sockets (realtime.relay), as (channel name, event)."""
    events: list[tuple[str, dict[str, Any]]] = []

    async def relay(channel_name: str, event: dict[str, Any]) -> None:
        events.append((channel_name, event))

    monkeypatch.setattr(realtime, "relay", relay)
    return events


def online(user: Any, *, at: dt.datetime = START, channel: str | None = None) -> str:
    """A socket of user last seen at ``at`` (as socket_opened stores it, at another time)."""
    channel = channel or f"test.channel.{user.pk}"
    OpenSocket.objects.update_or_create(
        channel_name=channel, defaults={"user_id": user.pk, "opened_at": at, "seen_at": at}
    )
    return channel


def joins_of(call: Call) -> list[tuple[int, str, dt.datetime, dt.datetime | None]]:
    return list(
        CallJoin.objects.filter(call=call)
        .order_by("pk")
        .values_list("user_id", "peer", "joined_at", "left_at")
    )


def join(call: Call, user: Any, peer: str, at: dt.datetime) -> services.Joined:
    return services.call_join(
        room=call.room, user=user, peer=peer, channel_name=f"chan.{peer}", now=at
    )


def leave(call: Call, user: Any, peer: str, at: dt.datetime) -> bool:
    return services.call_leave(call_id=call.pk, peer=peer, user_id=user.pk, now=at)


# --- Opening a meeting's room ------------------------------------------------------------------


def test_a_meetings_call_is_made_the_first_time_and_the_same_one_after(pair, series):
    first = services.meeting_call_open(
        series=series, recurrence_id=RECURRENCE_ID, by=pair.mentee, now=START - 10 * MINUTE
    )
    second = services.meeting_call_open(
        series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START + 5 * MINUTE
    )

    assert second.pk == first.pk
    assert Call.objects.count() == 1
    call = Call.objects.get()
    assert (call.kind, call.mentorship_id, call.series_id, call.recurrence_id) == (
        CallKind.MEETING,
        pair.pk,
        series.pk,
        RECURRENCE_ID,
    )
    assert call.started_by_id == pair.mentee.pk
    assert (call.started_at, call.ended_at, call.held_seconds) == (None, None, 0)
    assert services.room_url(call) == f"/calls/{call.room}/"


@pytest.mark.parametrize("role", OUTSIDERS)
def test_only_the_people_meeting_open_its_room(people, series, role):
    with pytest.raises(PermissionDeniedError):
        services.meeting_call_open(
            series=series, recurrence_id=RECURRENCE_ID, by=people[role], now=START
        )

    assert Call.objects.count() == 0


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(START - dt.timedelta(hours=1), id="an-hour-before"),
        pytest.param(START, id="at-the-start"),
        pytest.param(END + dt.timedelta(hours=2), id="two-hours-after-the-end"),
    ],
)
def test_the_room_is_open_from_an_hour_before_to_two_hours_after(pair, series, now):
    call = services.meeting_call_open(
        series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=now
    )

    assert call.series_id == series.pk


@pytest.mark.parametrize(
    ("now", "code"),
    [
        pytest.param(START - dt.timedelta(hours=2), "not_open_yet", id="two-hours-before"),
        pytest.param(START - dt.timedelta(hours=1) - SECOND, "not_open_yet", id="just-before"),
        pytest.param(END + dt.timedelta(hours=2) + SECOND, "closed", id="just-after"),
        pytest.param(END + dt.timedelta(hours=3), "closed", id="three-hours-after"),
    ],
)
def test_the_room_is_not_open_long_before_or_after(pair, series, now, code):
    with pytest.raises(ValidationError) as refused:
        services.meeting_call_open(
            series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=now
        )

    assert refused.value.code == code
    assert Call.objects.count() == 0


def test_a_cancelled_occurrence_has_no_room(pair, series):
    OccurrenceChange.objects.create(series=series, recurrence_id=RECURRENCE_ID, is_cancelled=True)

    with pytest.raises(ValidationError, match="cancelled"):
        services.meeting_call_open(
            series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START
        )

    assert Call.objects.count() == 0


def test_a_cancelled_series_has_no_room(pair):
    cancelled = meeting(pair, status=SeriesStatus.CANCELLED)

    with pytest.raises(ValidationError, match="cancelled"):
        services.meeting_call_open(
            series=cancelled, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START
        )

    assert Call.objects.count() == 0


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"modality": Modality.PHONE, "phone_number": "+49 30 1234567"}, id="phone"),
        pytest.param({"modality": Modality.IN_PERSON, "place": "Café Kranzler"}, id="in-person"),
        pytest.param({"modality": Modality.LINK, "link_url": "https://meet.example"}, id="link"),
    ],
)
def test_a_meeting_that_is_not_a_trellis_video_call_has_no_room(pair, fields):
    elsewhere = meeting(pair, **fields)

    with pytest.raises(ValidationError, match="not a Trellis video call"):
        services.meeting_call_open(
            series=elsewhere, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START
        )

    assert Call.objects.count() == 0


@pytest.mark.parametrize(
    "recurrence_id",
    ["20260317T100000", "20260316T110000", "not-a-date", "", "20261399T100000"],
)
def test_an_occurrence_the_series_does_not_have_has_no_room(pair, series, recurrence_id):
    with pytest.raises(ValidationError):
        services.meeting_call_open(
            series=series, recurrence_id=recurrence_id, by=pair.mentor, now=START
        )

    assert Call.objects.count() == 0


def test_a_moved_occurrence_opens_around_its_new_time(pair, series):
    moved_to = START + dt.timedelta(days=1)
    OccurrenceChange.objects.create(series=series, recurrence_id=RECURRENCE_ID, start=moved_to)

    with pytest.raises(ValidationError) as refused:
        services.meeting_call_open(
            series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START
        )
    assert refused.value.code == "not_open_yet"

    call = services.meeting_call_open(
        series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=moved_to
    )
    assert call.recurrence_id == RECURRENCE_ID


def test_a_paused_mentorship_opens_no_room(pair, series):
    Mentorship.objects.filter(pk=pair.pk).update(status=MentorshipStatus.PAUSED)
    series.mentorship.refresh_from_db()

    with pytest.raises(PermissionDeniedError):
        services.meeting_call_open(
            series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START
        )

    assert Call.objects.count() == 0


# --- Joining and leaving ------------------------------------------------------------------------


def test_joining_and_leaving_are_recorded(pair, relayed):
    call = instant_call(pair)
    at = START

    joined = join(call, pair.mentor, "mentor-tab-1", at)

    assert joined.peers == []
    assert joins_of(call) == [(pair.mentor.pk, "mentor-tab-1", at, None)]
    call.refresh_from_db()
    assert (call.started_at, call.ended_at) == (at, None)

    assert leave(call, pair.mentor, "mentor-tab-1", at + 3 * MINUTE) is True

    assert joins_of(call) == [(pair.mentor.pk, "mentor-tab-1", at, at + 3 * MINUTE)]
    call.refresh_from_db()
    assert (call.started_at, call.ended_at, call.held_seconds) == (at, at + 3 * MINUTE, 0)
    # Nobody else was there to tell.
    assert relayed == []
    # Leaving twice changes nothing.
    assert leave(call, pair.mentor, "mentor-tab-1", at + 4 * MINUTE) is False
    assert joins_of(call) == [(pair.mentor.pk, "mentor-tab-1", at, at + 3 * MINUTE)]


def test_the_others_in_the_room_hear_of_a_join_and_a_leave(
    pair, relayed, django_capture_on_commit_callbacks
):
    call = instant_call(pair)
    join(call, pair.mentor, "mentor-tab-1", START)

    with django_capture_on_commit_callbacks(execute=True):
        joined = join(call, pair.mentee, "mentee-tab-1", START + MINUTE)

    assert [(peer.peer, peer.user_id, peer.name) for peer in joined.peers] == [
        ("mentor-tab-1", pair.mentor.pk, "Mara")
    ]
    assert relayed == [
        (
            "chan.mentor-tab-1",
            {
                "type": "call.peer_joined",
                "room": call.room,
                "peer": {"peer": "mentee-tab-1", "user": pair.mentee.pk, "name": "Noah"},
                "rejoined": False,
            },
        )
    ]
    relayed.clear()

    with django_capture_on_commit_callbacks(execute=True):
        leave(call, pair.mentee, "mentee-tab-1", START + 2 * MINUTE)

    assert relayed == [
        (
            "chan.mentor-tab-1",
            {"type": "call.peer_left", "room": call.room, "peer": "mentee-tab-1", "reason": "left"},
        )
    ]


def test_a_rejoin_with_the_same_peer_id_closes_the_earlier_join(
    pair, relayed, django_capture_on_commit_callbacks
):
    call = instant_call(pair)
    join(call, pair.mentee, "mentee-tab-1", START)
    join(call, pair.mentor, "mentor-tab-1", START)

    with django_capture_on_commit_callbacks(execute=True):
        services.call_join(
            room=call.room,
            user=pair.mentor,
            peer="mentor-tab-1",
            channel_name="chan.reconnected",
            now=START + 2 * MINUTE,
        )

    assert joins_of(call) == [
        (pair.mentee.pk, "mentee-tab-1", START, None),
        (pair.mentor.pk, "mentor-tab-1", START, START + 2 * MINUTE),
        (pair.mentor.pk, "mentor-tab-1", START + 2 * MINUTE, None),
    ]
    assert CallJoin.objects.get(left_at__isnull=True, peer="mentor-tab-1").channel_name == (
        "chan.reconnected"
    )
    assert [(channel, event["rejoined"]) for channel, event in relayed] == [
        ("chan.mentee-tab-1", True)
    ]


def test_another_persons_peer_id_is_refused_and_changes_nothing(pair):
    call = instant_call(pair)
    join(call, pair.mentor, "mentor-tab-1", START)
    before = joins_of(call)

    with pytest.raises(ValidationError, match="taken"):
        join(call, pair.mentee, "mentor-tab-1", START + MINUTE)

    assert joins_of(call) == before


@pytest.mark.parametrize("peer", ["short", "x" * 65, "has space!", "tab/../1", "", 12345678])
def test_a_malformed_peer_id_is_refused(pair, peer):
    call = instant_call(pair)

    with pytest.raises(ValidationError):
        services.call_join(room=call.room, user=pair.mentor, peer=peer, channel_name="c", now=START)

    assert CallJoin.objects.count() == 0


def test_the_seventh_tab_is_refused_and_changes_nothing(pair):
    call = instant_call(pair)
    for number in range(MAX_PEERS):
        person = pair.mentor if number % 2 else pair.mentee
        join(call, person, f"tab-number-{number}", START + number * SECOND)
    before = joins_of(call)
    assert len(before) == MAX_PEERS == 6

    with pytest.raises(CallFullError):
        join(call, pair.mentor, "tab-number-7", START + MINUTE)

    assert joins_of(call) == before
    # A tab already in the full room may still come back.
    join(call, pair.mentor, "tab-number-1", START + MINUTE)
    assert CallJoin.objects.filter(call=call, left_at__isnull=True).count() == MAX_PEERS


@pytest.mark.parametrize("role", OUTSIDERS)
def test_only_the_participants_join(people, pair, role):
    call = instant_call(pair)

    with pytest.raises(NotFoundError):
        join(call, people[role], "intruder-tab", START)

    assert CallJoin.objects.count() == 0
    call.refresh_from_db()
    assert call.started_at is None


@pytest.mark.parametrize("status", [MentorshipStatus.PAUSED, MentorshipStatus.COMPLETED])
def test_nobody_joins_a_call_of_a_mentorship_that_is_not_active(pair, status):
    call = instant_call(pair)
    Mentorship.objects.filter(pk=pair.pk).update(status=status)

    for person, peer in ((pair.mentor, "mentor-tab-1"), (pair.mentee, "mentee-tab-1")):
        with pytest.raises(NotFoundError):
            join(call, person, peer, START)

    assert CallJoin.objects.count() == 0


def test_a_room_that_does_not_exist_is_not_found(pair):
    with pytest.raises(NotFoundError):
        services.call_join(
            room="0" * 32, user=pair.mentor, peer="mentor-tab-1", channel_name="c", now=START
        )


def test_a_member_who_left_the_group_no_longer_joins():
    group = berlin_new_york_tokyo_group()
    people = group_people(group)
    group_leave(mentorship=group, by=people["kenji"], reason=GroupLeaveReason.OTHER, note="Bye")
    call = instant_call(group)
    join(call, people["noah"], "noah-tab-1", START)

    with pytest.raises(NotFoundError):
        join(call, people["kenji"], "kenji-tab-1", START)

    assert [row[0] for row in joins_of(call)] == [people["noah"].pk]


def test_a_meetings_room_is_joined_only_while_it_is_open(pair, series):
    call = services.meeting_call_open(
        series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START
    )

    with pytest.raises(ValidationError, match="closed"):
        join(call, pair.mentor, "mentor-tab-1", END + dt.timedelta(hours=3))

    assert CallJoin.objects.count() == 0
    join(call, pair.mentor, "mentor-tab-1", START - 30 * MINUTE)
    assert CallJoin.objects.count() == 1


def test_a_closed_socket_leaves_every_call_it_was_in(
    pair, relayed, django_capture_on_commit_callbacks
):
    first, second = instant_call(pair), instant_call(pair)
    for call in (first, second):
        join(call, pair.mentee, f"mentee-in-{call.pk}", START)
        services.call_join(
            room=call.room,
            user=pair.mentor,
            peer=f"mentor-in-{call.pk}",
            channel_name="chan.mentor-socket",
            now=START,
        )

    with django_capture_on_commit_callbacks(execute=True):
        closed = services.calls_leave_socket(
            channel_name="chan.mentor-socket", now=START + 5 * MINUTE
        )

    assert closed == 2
    assert set(CallJoin.objects.filter(left_at__isnull=True).values_list("user_id", flat=True)) == {
        pair.mentee.pk
    }
    assert sorted((channel, event["reason"]) for channel, event in relayed) == sorted(
        (f"chan.mentee-in-{call.pk}", "disconnected") for call in (first, second)
    )


# --- Time held together and the meeting log --------------------------------------------------


def test_twenty_five_minutes_together_log_the_meeting_as_happened(
    pair, series, sent, django_capture_on_commit_callbacks
):
    call = services.meeting_call_open(
        series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START
    )
    join(call, pair.mentor, "mentor-tab-1", START)
    join(call, pair.mentee, "mentee-tab-1", START + 5 * MINUTE)
    leave(call, pair.mentor, "mentor-tab-1", START + 30 * MINUTE)

    call.refresh_from_db()
    assert (call.held_seconds, call.ended_at) == (1500, None)
    assert not MeetingLog.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        leave(call, pair.mentee, "mentee-tab-1", START + 40 * MINUTE)

    call.refresh_from_db()
    assert (call.held_seconds, call.held_minutes) == (1500, 25)
    assert (call.started_at, call.ended_at) == (START, START + 40 * MINUTE)
    log = MeetingLog.objects.get()
    assert (log.series_id, log.recurrence_id, log.outcome, log.minutes, log.written_by_id) == (
        series.pk,
        RECURRENCE_ID,
        MeetingOutcome.HAPPENED,
        25,
        None,
    )
    # Whoever is still being rung stops ringing.
    assert sent == [
        (sorted([pair.mentor.pk, pair.mentee.pk]), {"type": "call.ended", "room": call.room})
    ]


def test_a_second_session_of_the_same_meeting_gives_the_log_the_whole_length(pair, series):
    call = services.meeting_call_open(
        series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START
    )
    join(call, pair.mentor, "mentor-tab-1", START)
    join(call, pair.mentee, "mentee-tab-1", START)
    leave(call, pair.mentor, "mentor-tab-1", START + 10 * MINUTE)
    leave(call, pair.mentee, "mentee-tab-1", START + 10 * MINUTE)
    assert MeetingLog.objects.get().minutes == 10

    join(call, pair.mentor, "mentor-tab-2", START + 15 * MINUTE)
    join(call, pair.mentee, "mentee-tab-2", START + 15 * MINUTE)
    leave(call, pair.mentee, "mentee-tab-2", START + 35 * MINUTE)
    leave(call, pair.mentor, "mentor-tab-2", START + 36 * MINUTE)

    call.refresh_from_db()
    assert call.held_seconds == 30 * 60
    assert MeetingLog.objects.get().minutes == 30


def test_a_log_a_person_wrote_is_left_alone(pair, series):
    written = MeetingLog.objects.create(
        series=series,
        recurrence_id=RECURRENCE_ID,
        outcome=MeetingOutcome.HAPPENED,
        minutes=50,
        shared_notes="We talked about the thesis.",
        written_by=pair.mentee,
    )
    call = services.meeting_call_open(
        series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START
    )
    join(call, pair.mentor, "mentor-tab-1", START)
    join(call, pair.mentee, "mentee-tab-1", START)
    leave(call, pair.mentor, "mentor-tab-1", START + 25 * MINUTE)
    leave(call, pair.mentee, "mentee-tab-1", START + 25 * MINUTE)

    log = MeetingLog.objects.get()
    assert (log.pk, log.outcome, log.minutes, log.shared_notes, log.written_by_id) == (
        written.pk,
        MeetingOutcome.HAPPENED,
        50,
        "We talked about the thesis.",
        pair.mentee.pk,
    )
    assert log.updated_at == written.updated_at


def test_less_than_a_minute_together_logs_nothing(pair, series):
    call = services.meeting_call_open(
        series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START
    )
    join(call, pair.mentor, "mentor-tab-1", START)
    join(call, pair.mentee, "mentee-tab-1", START + 10 * SECOND)
    leave(call, pair.mentee, "mentee-tab-1", START + 69 * SECOND)
    leave(call, pair.mentor, "mentor-tab-1", START + 5 * MINUTE)

    call.refresh_from_db()
    assert (call.held_seconds, call.ended_at) == (59, START + 5 * MINUTE)
    assert not MeetingLog.objects.exists()


def test_one_person_alone_holds_nothing(pair, series):
    call = services.meeting_call_open(
        series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START
    )
    # Two tabs of one person are still one person.
    join(call, pair.mentor, "mentor-tab-1", START)
    join(call, pair.mentor, "mentor-tab-2", START + MINUTE)
    leave(call, pair.mentor, "mentor-tab-1", START + 30 * MINUTE)
    leave(call, pair.mentor, "mentor-tab-2", START + 40 * MINUTE)

    call.refresh_from_db()
    assert (call.held_seconds, call.ended_at) == (0, START + 40 * MINUTE)
    assert not MeetingLog.objects.exists()


def test_an_instant_call_is_timed_but_logs_no_meeting(pair):
    call = instant_call(pair)
    join(call, pair.mentor, "mentor-tab-1", START)
    join(call, pair.mentee, "mentee-tab-1", START)
    leave(call, pair.mentor, "mentor-tab-1", START + 20 * MINUTE)
    leave(call, pair.mentee, "mentee-tab-1", START + 20 * MINUTE)

    call.refresh_from_db()
    assert call.held_seconds == 1200
    assert not MeetingLog.objects.exists()


# --- time_together ---------------------------------------------------------------------------


def at(minute: float) -> dt.datetime:
    return START + dt.timedelta(minutes=minute)


def spans(*pairs: tuple[float, float]) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(at(start), at(end)) for start, end in pairs]


@pytest.mark.parametrize(
    ("intervals", "seconds"),
    [
        pytest.param({}, 0, id="nobody"),
        pytest.param({1: spans((0, 30), (40, 50))}, 0, id="one-person"),
        pytest.param({1: spans((0, 30)), 2: spans((5, 40))}, 25 * 60, id="overlap"),
        pytest.param({1: spans((0, 30)), 2: spans((30, 40))}, 0, id="touching"),
        pytest.param({1: spans((0, 30)), 2: spans((40, 50))}, 0, id="apart"),
        pytest.param({1: spans((0, 60)), 2: spans((10, 20), (30, 35))}, 15 * 60, id="two-visits"),
        pytest.param(
            {1: spans((0, 10), (5, 20)), 2: spans((0, 30))}, 20 * 60, id="one-persons-two-tabs"
        ),
        pytest.param(
            {1: spans((0, 10)), 2: spans((5, 15)), 3: spans((12, 20))}, 8 * 60, id="three"
        ),
        pytest.param({1: spans((0, 10)), 2: spans((0, 10)), 3: spans((0, 10))}, 600, id="all"),
        pytest.param({1: spans((10, 5), (3, 3)), 2: spans((0, 20))}, 0, id="empty-spans"),
        pytest.param({1: spans((0, 0.5)), 2: spans((0.25, 1))}, 15, id="seconds"),
    ],
)
def test_time_together(intervals, seconds):
    assert time_together(intervals) == seconds


minute_spans = st.lists(
    st.tuples(st.integers(0, 30), st.integers(0, 15)).map(lambda s: (s[0], s[0] + s[1])),
    max_size=4,
)
attendances = st.dictionaries(st.integers(1, 5), minute_spans, max_size=4)


def as_datetimes(by_user: dict[int, list[tuple[int, int]]]) -> dict[int, Any]:
    return {user: spans(*intervals) for user, intervals in by_user.items()}


def brute_force(by_user: dict[int, list[tuple[int, int]]]) -> int:
    """Seconds together, counted minute by minute: who was there during [m, m + 1)."""
    together = 0
    for minute in range(0, 46):
        present = {
            user
            for user, intervals in by_user.items()
            if any(start <= minute < end for start, end in intervals)
        }
        together += 60 if len(present) >= 2 else 0
    return together


@given(attendances)
def test_time_together_equals_counting_minute_by_minute(by_user):
    assert time_together(as_datetimes(by_user)) == brute_force(by_user)


@given(attendances)
def test_time_together_is_at_most_the_span_of_the_call(by_user):
    ends = [end for intervals in by_user.values() for _start, end in intervals]
    starts = [start for intervals in by_user.values() for start, _end in intervals]
    span = (max(ends) - min(starts)) * 60 if starts else 0

    assert 0 <= time_together(as_datetimes(by_user)) <= span


@given(minute_spans)
def test_time_together_is_zero_for_one_person(intervals):
    assert time_together({1: spans(*intervals)}) == 0


@given(attendances, st.randoms(use_true_random=False))
def test_time_together_does_not_depend_on_who_is_who_or_the_order(by_user, random):
    users = list(by_user)
    relabelled = dict(zip(random.sample(users, len(users)), by_user.values(), strict=True))
    shuffled = {user: random.sample(spans(*iv), len(iv)) for user, iv in relabelled.items()}

    assert time_together(shuffled) == time_together(as_datetimes(by_user))


# --- Call now --------------------------------------------------------------------------------


@pytest.fixture
def steady_clock(monkeypatch):
    """Pin the rate limiter's clock inside one window, whatever the wall clock says."""
    fixed = dt.datetime(2026, 3, 16, 9, 0, 1, tzinfo=dt.UTC)
    monkeypatch.setattr("trellis.core.ratelimit.timezone", types.SimpleNamespace(now=lambda: fixed))


def test_call_now_rings_the_partner_who_is_online(pair, sent, django_capture_on_commit_callbacks):
    online(pair.mentee)

    with django_capture_on_commit_callbacks(execute=True):
        call = services.call_start_now(mentorship=pair, by=pair.mentor, now=START)

    assert (call.kind, call.mentorship_id, call.started_by_id, call.series_id) == (
        CallKind.INSTANT,
        pair.pk,
        pair.mentor.pk,
        None,
    )
    assert Call.objects.count() == 1
    assert CallJoin.objects.count() == 0
    assert sent == [
        (
            [pair.mentee.pk],
            {
                "type": "call.ringing",
                "room": call.room,
                "url": f"/calls/{call.room}/",
                "caller": "Mara",
                "mentorship": pair.pk,
            },
        )
    ]


def test_call_now_is_not_offered_when_the_partner_is_offline(
    pair, sent, django_capture_on_commit_callbacks
):
    # The mentor's own socket does not count, nor a socket of the partner gone stale.
    online(pair.mentor)
    online(pair.mentee, at=START - presence.FRESH_FOR - SECOND)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as no:
        services.call_start_now(mentorship=pair, by=pair.mentor, now=START)

    assert no.value.code == "unavailable"
    assert no.value.messages == [
        "Noah is not online right now. Send a message or propose a time instead."
    ]
    assert Call.objects.count() == 0
    assert sent == []


def test_call_now_is_not_offered_outside_the_partners_contact_hours(
    pair, sent, django_capture_on_commit_callbacks
):
    # Noah takes calls 09:00-17:00 in New York; 09:00 UTC is 05:00 there.
    pair.mentee.profile.contact_hours_start = dt.time(9, 0)
    pair.mentee.profile.contact_hours_end = dt.time(17, 0)
    pair.mentee.profile.save()
    online(pair.mentee)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as no:
        services.call_start_now(mentorship=pair, by=pair.mentor, now=START)

    assert no.value.messages == [
        "Noah is online but outside the hours agreed for calls. "
        "Send a message or propose a time instead."
    ]
    assert Call.objects.count() == 0
    assert sent == []

    # 15:00 UTC is 11:00 in New York.
    later = START + dt.timedelta(hours=6)
    online(pair.mentee, at=later)
    call = services.call_start_now(mentorship=pair, by=pair.mentor, now=later)
    assert Call.objects.get().pk == call.pk


def test_call_now_follows_the_contact_hours_of_the_agreement(pair):
    # The agreement says Tokyo office hours on weekdays: 09:00 UTC is 18:00 in Tokyo.
    agreement = Agreement.objects.create(mentorship=pair)
    AgreementPart.objects.create(
        agreement=agreement,
        user=pair.mentee,
        time_zone="Asia/Tokyo",
        contact_weekdays=[0, 1, 2, 3, 4],
        contact_hours_start=dt.time(9, 0),
        contact_hours_end=dt.time(17, 0),
    )
    online(pair.mentee)

    with pytest.raises(ValidationError, match="outside the hours agreed"):
        services.call_start_now(mentorship=pair, by=pair.mentor, now=START)
    assert Call.objects.count() == 0

    # 01:00 UTC is 10:00 in Tokyo.
    morning = START - dt.timedelta(hours=8)
    online(pair.mentee, at=morning)
    services.call_start_now(mentorship=pair, by=pair.mentor, now=morning)
    assert Call.objects.count() == 1


def test_pressing_call_now_during_a_call_joins_that_call(pair, sent):
    online(pair.mentee)
    online(pair.mentor)
    first = services.call_start_now(mentorship=pair, by=pair.mentor, now=START)
    join(first, pair.mentor, "mentor-tab-1", START)

    second = services.call_start_now(mentorship=pair, by=pair.mentee, now=START + MINUTE)

    assert second.pk == first.pk
    assert Call.objects.count() == 1


def test_two_people_pressing_call_now_at_once_meet_in_one_room(
    pair, sent, django_capture_on_commit_callbacks
):
    now = timezone.now()
    online(pair.mentee, at=now)
    online(pair.mentor, at=now)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.call_start_now(mentorship=pair, by=pair.mentor)
        # Before Mara is in the room (she is still in its lobby), Noah presses too.
        second = services.call_start_now(mentorship=pair, by=pair.mentee)

    assert second.pk == first.pk
    assert Call.objects.count() == 1
    assert [(ids, event["type"]) for ids, event in sent] == [([pair.mentee.pk], "call.ringing")]


def test_a_call_nobody_joined_stops_counting_once_it_no_longer_rings(
    pair, sent, django_capture_on_commit_callbacks
):
    online(pair.mentee)
    stale = services.call_start_now(mentorship=pair, by=pair.mentor, now=START)
    Call.objects.filter(pk=stale.pk).update(created_at=START - services.RINGS_FOR - SECOND)

    with django_capture_on_commit_callbacks(execute=True):
        fresh = services.call_start_now(mentorship=pair, by=pair.mentor, now=START)

    assert fresh.pk != stale.pk
    assert [(ids, event["room"]) for ids, event in sent] == [([pair.mentee.pk], fresh.room)]


def test_call_now_after_the_last_call_ended_opens_a_new_room(pair):
    online(pair.mentee)
    first = services.call_start_now(mentorship=pair, by=pair.mentor, now=START)
    join(first, pair.mentor, "mentor-tab-1", START)
    leave(first, pair.mentor, "mentor-tab-1", START + MINUTE)

    second = services.call_start_now(mentorship=pair, by=pair.mentor, now=START + 2 * MINUTE)

    assert second.pk != first.pk
    assert Call.objects.count() == 2


def test_the_sixth_call_now_in_five_minutes_is_refused(
    pair, sent, steady_clock, django_capture_on_commit_callbacks
):
    online(pair.mentee)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(services.CALL_NOW_LIMIT):
            services.call_start_now(mentorship=pair, by=pair.mentor, now=START)
            # Nobody answered; the call stopped ringing.
            Call.objects.update(created_at=START - dt.timedelta(hours=1))
    assert Call.objects.count() == 5 == len(sent)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RateLimitedError) as slow:
        services.call_start_now(mentorship=pair, by=pair.mentor, now=START)

    assert 0 < slow.value.retry_after <= 300
    assert Call.objects.count() == 5
    assert len(sent) == 5


@pytest.mark.parametrize("role", OUTSIDERS)
def test_only_the_participants_start_a_call(people, pair, role, sent):
    online(pair.mentor)
    online(pair.mentee)

    with pytest.raises(PermissionDeniedError):
        services.call_start_now(mentorship=pair, by=people[role], now=START)

    assert Call.objects.count() == 0


@pytest.mark.parametrize("status", [MentorshipStatus.PAUSED, MentorshipStatus.COMPLETED])
def test_no_call_now_in_a_mentorship_that_is_not_active(pair, status):
    online(pair.mentee)
    Mentorship.objects.filter(pk=pair.pk).update(status=status)
    pair.refresh_from_db()

    with pytest.raises(PermissionDeniedError):
        services.call_start_now(mentorship=pair, by=pair.mentor, now=START)

    assert Call.objects.count() == 0


def test_call_now_in_a_group_rings_only_those_online_and_in_their_hours(
    sent, django_capture_on_commit_callbacks
):
    group = berlin_new_york_tokyo_group(extra_members=1)
    people = group_people(group)
    # Kenji in Tokyo takes calls 09:00-17:00; 09:00 UTC is 18:00 there.
    people["kenji"].profile.contact_hours_start = dt.time(9, 0)
    people["kenji"].profile.contact_hours_end = dt.time(17, 0)
    people["kenji"].profile.save()
    online(people["noah"])
    online(people["kenji"])
    # "Member 1" is offline.

    with django_capture_on_commit_callbacks(execute=True):
        call = services.call_start_now(mentorship=group, by=people["mentor"], now=START)

    assert [(ids, event["type"], event["room"]) for ids, event in sent] == [
        ([people["noah"].pk], "call.ringing", call.room)
    ]


def test_a_group_where_nobody_can_take_a_call_gets_the_polite_note():
    group = berlin_new_york_tokyo_group()
    people = group_people(group)

    with pytest.raises(ValidationError) as no:
        services.call_start_now(mentorship=group, by=people["noah"], now=START)

    assert no.value.messages == [
        "Nobody else in the group is online right now. Send a message or propose a time."
    ]
    assert Call.objects.count() == 0


# --- Declining -------------------------------------------------------------------------------


def test_declining_tells_the_caller_only(pair, sent, django_capture_on_commit_callbacks):
    call = instant_call(pair)

    with django_capture_on_commit_callbacks(execute=True):
        services.call_decline(call=call, by=pair.mentee)

    assert sent == [
        ([pair.mentor.pk], {"type": "call.declined", "room": call.room, "name": "Noah"})
    ]


def test_the_caller_cannot_decline_their_own_call(pair, sent, django_capture_on_commit_callbacks):
    call = instant_call(pair)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.call_decline(call=call, by=pair.mentor)

    assert sent == []


def test_a_meetings_call_cannot_be_declined(pair, series, sent):
    call = services.meeting_call_open(
        series=series, recurrence_id=RECURRENCE_ID, by=pair.mentor, now=START
    )

    with pytest.raises(ValidationError):
        services.call_decline(call=call, by=pair.mentee)

    assert sent == []


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_cannot_decline(people, pair, role, sent, django_capture_on_commit_callbacks):
    call = instant_call(pair)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotFoundError):
        services.call_decline(call=call, by=people[role])

    assert sent == []


# --- Presence --------------------------------------------------------------------------------


def test_online_counts_only_sockets_seen_recently(pair):
    online(pair.mentor, at=START - presence.FRESH_FOR)
    online(pair.mentee, at=START - presence.FRESH_FOR - SECOND)

    assert presence.online_user_ids(user_ids=[pair.mentor.pk, pair.mentee.pk], now=START) == {
        pair.mentor.pk
    }
    assert presence.online_user_ids(user_ids=[], now=START) == set()


def test_a_person_with_a_fresh_and_a_stale_socket_is_online(pair):
    online(pair.mentee, at=START - dt.timedelta(hours=2), channel="stale.tab")
    online(pair.mentee, at=START - MINUTE, channel="fresh.tab")

    assert presence.online_user_ids(user_ids=[pair.mentee.pk], now=START) == {pair.mentee.pk}

    presence.socket_closed(channel_name="fresh.tab")

    assert presence.online_user_ids(user_ids=[pair.mentee.pk], now=START) == set()
    assert list(OpenSocket.objects.values_list("channel_name", flat=True)) == ["stale.tab"]


def test_stale_socket_rows_are_purged_after_a_day(pair):
    online(pair.mentor, at=START - dt.timedelta(days=1, seconds=1), channel="dead.process")
    online(pair.mentee, at=START - dt.timedelta(hours=23), channel="quiet.tab")

    assert presence.sockets_purge_stale(now=START) == 1
    assert list(OpenSocket.objects.values_list("channel_name", flat=True)) == ["quiet.tab"]


def test_a_socket_opened_now_is_online_until_it_closes(pair):
    before = timezone.now()
    presence.socket_opened(user_id=pair.mentee.pk, channel_name="real.tab")

    row = OpenSocket.objects.get()
    assert (row.user_id, row.channel_name) == (pair.mentee.pk, "real.tab")
    assert before <= row.opened_at == row.seen_at <= timezone.now()
    assert presence.online_user_ids(user_ids=[pair.mentor.pk, pair.mentee.pk]) == {pair.mentee.pk}

    presence.socket_closed(channel_name="real.tab")

    assert presence.online_user_ids(user_ids=[pair.mentee.pk]) == set()
    assert not OpenSocket.objects.exists()


def test_opening_a_socket_clears_rows_a_dead_process_left(pair):
    long_ago = timezone.now() - dt.timedelta(days=2)
    online(pair.mentor, at=long_ago, channel="dead.process")

    presence.socket_opened(user_id=pair.mentee.pk, channel_name="new.tab")

    assert list(OpenSocket.objects.values_list("channel_name", flat=True)) == ["new.tab"]

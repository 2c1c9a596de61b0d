"""Proposals, booking and changes to meetings; every refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from trellis.core.errors import PermissionDeniedError
from trellis.mentorships.models import MentorshipStatus
from trellis.notifications.models import Notification
from trellis.profiles.tests.factories import ProfileFactory
from trellis.scheduling import selectors, services
from trellis.scheduling.models import (
    MeetingLog,
    MeetingPrivateNote,
    MeetingProposal,
    MeetingSeries,
    OccurrenceChange,
    ProposalStatus,
    SeriesStatus,
)
from trellis.scheduling.slots import SlotOutcome
from trellis.scheduling.tests.helpers import available, berlin_new_york_pair

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def snapshot():
    return (
        list(MeetingSeries.objects.values()),
        list(MeetingProposal.objects.values()),
        list(OccurrenceChange.objects.values()),
        list(MeetingLog.objects.values()),
        Notification.objects.count(),
    )


@pytest.fixture
def pair():
    return berlin_new_york_pair()


def slots_for(pair, viewer=None):
    search = selectors.find_times(mentorship=pair, viewer=viewer or pair.mentor, duration=HOUR)
    assert search.outcome == SlotOutcome.FOUND
    return search.slots


def test_find_times_offers_only_the_overlap_in_both_zones(pair):
    slots = slots_for(pair)
    for slot in slots[:50]:
        berlin = slot.for_a.start
        new_york = slot.for_b.start
        assert berlin.tzinfo == ZoneInfo("Europe/Berlin")
        assert new_york.tzinfo == ZoneInfo("America/New_York")
        assert dt.time(9) <= new_york.time()
        assert new_york.time() <= dt.time(12)
        assert dt.time(15) <= berlin.time()
        assert berlin.time() <= dt.time(18)


def test_a_pair_whose_availability_never_overlaps_gets_the_reason_and_no_slot():
    pair = berlin_new_york_pair()
    pair.mentor.profile.availability.all().delete()
    available(pair.mentor, "08:00", "12:00")  # Berlin mornings: New York is asleep
    search = selectors.find_times(mentorship=pair, viewer=pair.mentor, duration=HOUR)
    assert search.slots == ()
    assert search.outcome == SlotOutcome.NO_OVERLAP
    assert "never overlap" in search.reason
    assert "Noah" in search.reason
    with pytest.raises(ValidationError):
        services.proposal_create(
            mentorship=pair,
            by=pair.mentor,
            options=[dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + 48 * HOUR],
        )
    assert MeetingProposal.objects.count() == 0


def test_propose_accept_weekly_books_a_series_in_the_proposers_zone(pair):
    options = [slot.start for slot in slots_for(pair)[:3]]
    proposal = services.proposal_create(mentorship=pair, by=pair.mentor, options=options)
    assert proposal.status == ProposalStatus.OPEN
    assert Notification.objects.filter(recipient=pair.mentee, kind="meeting_proposal").exists()

    series = services.proposal_accept(
        proposal=proposal, by=pair.mentee, start=options[1], frequency="weekly"
    )

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.series == series
    assert proposal.chosen_start == options[1]
    assert series.organiser == pair.mentor
    assert series.time_zone == "Europe/Berlin"
    assert series.rrule.startswith("FREQ=WEEKLY;BYDAY=")
    assert series.sequence == 0
    assert series.rule().first_start == options[1]
    # The booked slot is busy now: it is not offered again.
    assert options[1] not in {slot.start for slot in slots_for(pair)}


@pytest.mark.parametrize(
    ("frequency", "prefix"),
    [
        ("once", ""),
        ("every_two_weeks", "FREQ=WEEKLY;INTERVAL=2"),
        ("monthly_by_weekday", "FREQ=MONTHLY;BYDAY="),
    ],
)
def test_booking_frequencies(pair, frequency, prefix):
    start = slots_for(pair)[0].start
    series = services.series_book(mentorship=pair, by=pair.mentee, start=start, frequency=frequency)
    assert series.rrule.startswith(prefix)
    assert series.time_zone == "America/New_York"
    assert series.rule().first_start == start


def test_the_proposer_cannot_accept_and_an_option_must_be_offered(pair):
    options = [slot.start for slot in slots_for(pair)[:2]]
    proposal = services.proposal_create(mentorship=pair, by=pair.mentor, options=options)
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        services.proposal_accept(proposal=proposal, by=pair.mentor, start=options[0])
    with pytest.raises(ValidationError):
        services.proposal_accept(
            proposal=proposal, by=pair.mentee, start=options[0] + dt.timedelta(minutes=7)
        )
    assert snapshot() == before


def test_counter_closes_the_proposal_and_offers_new_times(pair):
    slots = slots_for(pair)
    proposal = services.proposal_create(mentorship=pair, by=pair.mentor, options=[slots[0].start])
    counter = services.proposal_counter(
        proposal=proposal, by=pair.mentee, options=[slots[5].start, slots[9].start]
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.COUNTERED
    assert counter.counter_of == proposal
    assert counter.proposer == pair.mentee
    series = services.proposal_accept(proposal=counter, by=pair.mentor, start=slots[9].start)
    assert series.organiser == pair.mentee


@pytest.mark.parametrize(
    "options",
    [
        [],
        "four",
        "past",
        "not_a_slot",
    ],
)
def test_bad_options_are_refused_and_change_nothing(pair, options):
    slots = slots_for(pair)
    if options == "four":
        options = [slot.start for slot in slots[:4]]
    elif options == "past":
        options = [dt.datetime.now(dt.UTC) - HOUR]
    elif options == "not_a_slot":
        options = [slots[0].start.replace(hour=3)]
    before = snapshot()
    with pytest.raises(ValidationError):
        services.proposal_create(mentorship=pair, by=pair.mentor, options=options)
    assert snapshot() == before


def test_outsiders_and_managers_cannot_arrange_meetings(pair):
    start = slots_for(pair)[0].start
    outsider = ProfileFactory().user
    manager = ProfileFactory().user
    pair.program.managers.add(manager)
    before = snapshot()
    for person in (outsider, manager):
        with pytest.raises(PermissionDeniedError):
            services.series_book(mentorship=pair, by=person, start=start)
        with pytest.raises(PermissionDeniedError):
            services.proposal_create(mentorship=pair, by=person, options=[start])
    assert snapshot() == before


def test_a_paused_mentorship_books_nothing(pair):
    start = slots_for(pair)[0].start
    pair.status = MentorshipStatus.PAUSED
    pair.save()
    before = snapshot()
    with pytest.raises(ValidationError, match="only while the mentorship is active"):
        services.series_book(mentorship=pair, by=pair.mentor, start=start)
    assert snapshot() == before


def test_a_person_cannot_be_booked_twice_at_once():
    first = berlin_new_york_pair()
    second = berlin_new_york_pair(program=first.program, mentor=first.mentor)
    start = slots_for(first)[0].start
    services.series_book(mentorship=first, by=first.mentee, start=start)
    before = snapshot()
    with pytest.raises(ValidationError, match="free"):
        services.series_book(mentorship=second, by=second.mentee, start=start)
    assert snapshot() == before


def weekly_series(pair):
    """Weekly from the first 15:00 Berlin slot: 16:00 that day is free for both too."""
    berlin = ZoneInfo("Europe/Berlin")
    start = next(
        slot.start
        for slot in slots_for(pair)
        if slot.start.astimezone(berlin).time() == dt.time(15)
    )
    return services.series_book(
        mentorship=pair, by=pair.mentor, start=start, frequency="weekly", count=6
    )


def window(series):
    now = dt.datetime.now(dt.UTC)
    return selectors.meetings_for_mentorship(
        mentorship=series.mentorship, start=now, end=now + dt.timedelta(days=70)
    )


def test_reschedule_one_occurrence_moves_only_it_and_raises_the_sequence(pair):
    series = weekly_series(pair)
    items = window(series)
    second = items[1]
    new_start = second.start + HOUR  # a free hour of both, on the same day
    services.occurrence_reschedule(
        series=series, recurrence_id=second.recurrence_id, by=pair.mentee, start=new_start
    )
    series.refresh_from_db()
    assert series.sequence == 1
    after = window(series)
    assert [item.start for item in after] == sorted(
        [items[0].start, new_start, *[item.start for item in items[2:]]]
    )
    assert len(after) == 6


def test_cancel_one_occurrence(pair):
    series = weekly_series(pair)
    items = window(series)
    services.occurrence_cancel(series=series, recurrence_id=items[2].recurrence_id, by=pair.mentor)
    assert [item.recurrence_id for item in window(series)] == [
        item.recurrence_id for item in items if item is not items[2]
    ]
    # A cancelled occurrence shows up in the calendar as a cancelled override.
    (event,) = selectors.calendar_events_for(user=pair.mentee)
    assert [override.is_cancelled for override in event.overrides] == [True]
    assert event.sequence == 1


def test_cancel_rest_keeps_earlier_meetings(pair):
    series = weekly_series(pair)
    items = window(series)
    services.series_cancel_rest(series=series, recurrence_id=items[3].recurrence_id, by=pair.mentor)
    assert [item.recurrence_id for item in window(series)] == [i.recurrence_id for i in items[:3]]
    services.series_cancel_rest(series=series, recurrence_id=items[0].recurrence_id, by=pair.mentor)
    series.refresh_from_db()
    assert series.status == SeriesStatus.CANCELLED
    assert window(series) == []


def test_split_reschedule_moves_this_and_following_to_a_new_time(pair):
    series = weekly_series(pair)
    items = window(series)
    old_time = series.start_time
    new_time = (dt.datetime.combine(dt.date(2000, 1, 3), old_time) + HOUR).time()
    services.occurrence_cancel(series=series, recurrence_id=items[4].recurrence_id, by=pair.mentor)
    continuation = services.series_split_reschedule(
        series=series, recurrence_id=items[2].recurrence_id, by=pair.mentor, start_time=new_time
    )
    series.refresh_from_db()
    assert continuation.split_from == series
    assert continuation.uid != series.uid
    after = window(series)
    berlin = ZoneInfo("Europe/Berlin")
    times = [item.start.astimezone(berlin).time() for item in after]
    assert times == [old_time, old_time, new_time, new_time, new_time]  # the 5th stays cancelled


def test_series_update_raises_sequence_and_checks_https(pair):
    series = weekly_series(pair)
    services.series_update(series=series, by=pair.mentee, agenda="Career plan")
    series.refresh_from_db()
    assert (series.agenda, series.sequence) == ("Career plan", 1)
    before = snapshot()
    with pytest.raises(ValidationError):
        services.series_update(
            series=series, by=pair.mentee, modality="link", link_url="http://zoom.example/1"
        )
    assert snapshot() == before
    services.series_update(
        series=series, by=pair.mentee, modality="link", link_url="https://zoom.example/1"
    )
    series.refresh_from_db()
    assert series.sequence == 2


def test_log_private_note_is_seen_only_by_its_author(pair):
    series = weekly_series(pair)
    # Logging is for meetings that took place: pretend the first one did.
    first = window(series)[0]
    MeetingSeries.objects.filter(pk=series.pk).update(
        start_date=series.start_date - dt.timedelta(days=14)
    )
    series.refresh_from_db()
    recurrence_id = dt.datetime.combine(series.start_date, series.start_time).strftime(
        "%Y%m%dT%H%M%S"
    )
    assert first
    services.log_write(
        series=series,
        recurrence_id=recurrence_id,
        by=pair.mentor,
        outcome="happened",
        minutes=55,
        shared_notes="Talked about goals",
        private_note="Seems nervous",
    )
    manager = ProfileFactory().user
    pair.program.managers.add(manager)
    (mentor_view,) = selectors.logs_for(mentorship=pair, user=pair.mentor)
    (mentee_view,) = selectors.logs_for(mentorship=pair, user=pair.mentee)
    (manager_view,) = selectors.logs_for(mentorship=pair, user=manager)
    assert mentor_view.private_note == "Seems nervous"
    assert mentee_view.private_note is None
    assert mentee_view.shared_notes == "Talked about goals"
    assert (manager_view.private_note, manager_view.shared_notes) == (None, None)
    assert manager_view.log.outcome == "happened"
    assert MeetingPrivateNote.objects.count() == 1


def test_side_effects_fire_on_commit_only(pair, django_capture_on_commit_callbacks):
    start = slots_for(pair)[0].start
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.series_book(mentorship=pair, by=pair.mentor, start=start)
    assert len(callbacks) >= 1
    assert Notification.objects.filter(recipient=pair.mentee, kind="meeting").count() == 1

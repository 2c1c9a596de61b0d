"""Meetings of a group: a mentor in Berlin with members in New York and Tokyo.

Finding a time across everyone, who books and answers what, reminders for each person,
what a member who leaves keeps (nothing), logs, authorization over roles and flat
query counts.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trellis.accounts.tests.factories import StaffFactory
from trellis.calendars.models import ExternalCalendar
from trellis.calendars.services import calendar_feed_token_create
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.mentorships.models import GroupMember
from trellis.mentorships.services import group_leave
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.notifications.models import Notification, Reminder
from trellis.profiles.tests.factories import ProfileFactory
from trellis.programs.tests.factories import EnrollmentFactory, ProgramFactory
from trellis.scheduling import selectors, services
from trellis.scheduling.models import (
    AvailabilityException,
    MeetingLog,
    MeetingPrivateNote,
    MeetingProposal,
    MeetingSeries,
    OccurrenceChange,
    ProposalStatus,
)
from trellis.scheduling.slots import SlotOutcome
from trellis.scheduling.tests.helpers import (
    available,
    berlin_new_york_tokyo_group,
    group_of,
    group_people,
    group_program,
)

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
DASH = "\u2013"  # how the reasons write a range


@pytest.fixture
def group():
    return berlin_new_york_tokyo_group()


@pytest.fixture
def people(group):
    return group_people(group)


def slots_for(group, viewer):
    search = selectors.find_times(mentorship=group, viewer=viewer, duration=HOUR)
    assert search.outcome == SlotOutcome.FOUND, search.reason
    return search.slots


def snapshot():
    return (
        list(MeetingSeries.objects.values()),
        list(MeetingProposal.objects.values()),
        list(OccurrenceChange.objects.values()),
        list(MeetingLog.objects.values()),
        list(Reminder.objects.values()),
        Notification.objects.filter(kind__startswith="meeting").count(),
    )


def book_weekly(group, *, count=None):
    start = slots_for(group, group.mentor)[0].start
    return services.series_book(
        mentorship=group, by=group.mentor, start=start, frequency="weekly", count=count
    )


def leave(group, member):
    return group_leave(mentorship=group, by=member, reason="no_time")


# Finding a time ---------------------------------------------------------------------------


def test_group_slots_lie_inside_everyones_window_each_in_their_own_zone(group, people):
    slots = slots_for(group, people["mentor"])
    # Seen by the mentor: the others are Noah then Kenji (joining order).
    assert [person.display_name for person in selectors.others_of(group, people["mentor"])] == [
        "Noah",
        "Kenji",
    ]
    for slot in slots:
        berlin, (new_york, tokyo) = slot.for_a, slot.for_others
        assert berlin.start.tzinfo == BERLIN
        assert (new_york.start.tzinfo, tokyo.start.tzinfo) == (NEW_YORK, TOKYO)
        assert slot.for_b == new_york
        assert dt.time(13) <= berlin.start.time() <= dt.time(16)
        assert dt.time(7) <= new_york.start.time() <= dt.time(10)
        assert dt.time(20) <= tokyo.start.time() <= dt.time(22)
        assert berlin.start == new_york.start == tokyo.start == slot.start
    # Seen by Kenji: his own Tokyo time first, then Mara's and Noah's.
    first = slots_for(group, people["kenji"])[0]
    assert first.for_a.start.tzinfo == TOKYO
    assert [span.start.tzinfo for span in first.for_others] == [BERLIN, NEW_YORK]


def test_a_group_without_a_common_window_is_told_who_never_overlaps_and_cannot_propose():
    group = berlin_new_york_tokyo_group(is_common=False)
    people = group_people(group)
    search = selectors.find_times(mentorship=group, viewer=people["noah"], duration=HOUR)
    assert search.slots == ()
    assert search.outcome == SlotOutcome.NO_OVERLAP
    assert search.reason is not None
    assert search.reason.startswith("Your group has no common time between ")
    assert "there is no moment when all 3 of you are available" in search.reason
    assert "Never available at the same time: you and Kenji; Mara and Kenji." in search.reason
    # Everyone's hours on Noah's clock: Kenji's Tokyo mornings are New York evenings.
    assert f"yours is Mon{DASH}Fri 07:00{DASH}11:00" in search.reason
    assert f"Kenji's (Asia/Tokyo) is Mon{DASH}Thu, Sun 19:00{DASH}22:00" in search.reason
    before = snapshot()
    with pytest.raises(ValidationError, match="not free for everyone in the group"):
        services.proposal_create(
            mentorship=group,
            by=people["noah"],
            options=[dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + 48 * HOUR],
        )
    assert snapshot() == before


def test_one_members_day_off_calendar_or_other_meeting_takes_the_slot_from_everyone(group, people):
    first, second, third = slots_for(group, people["mentor"])[:3]
    kenji, noah = people["kenji"], people["noah"]
    # Kenji's day off on the first slot's Tokyo date.
    AvailabilityException.objects.create(
        user=kenji, date=first.for_others[1].start.date(), windows=[]
    )
    # Noah's subscribed calendar is busy during the second.
    ExternalCalendar.objects.create(
        user=noah,
        name="Work",
        url="https://calendar.example.org/noah.ics",
        busy=[[second.start.isoformat(), second.end.isoformat()]],
    )
    # Kenji mentors someone else in another program at the third.
    other_program = ProgramFactory()
    EnrollmentFactory(program=other_program, user=kenji, role="mentor")
    pair = MentorshipFactory(
        program=other_program, mentor=kenji, mentee=ProfileFactory(time_zone="Asia/Tokyo").user
    )
    MeetingSeries.objects.create(
        mentorship=pair,
        organiser=kenji,
        time_zone="UTC",
        start_date=third.start.date(),
        start_time=third.start.time(),
        duration_minutes=60,
        created_by=kenji,
    )
    left = {slot.start for slot in slots_for(group, people["mentor"])}
    assert first.start not in left
    assert second.start not in left
    assert third.start not in left
    # Each is gone for the others in the group too, not only for whoever is busy.
    assert second.start not in {slot.start for slot in slots_for(group, people["kenji"])}


def test_slots_inside_everyones_contact_hours_come_first(group, people):
    profile = people["kenji"].profile
    profile.contact_hours_start = dt.time(21)
    profile.contact_hours_end = dt.time(23)
    profile.save()
    slots = slots_for(group, people["mentor"])
    inside = [slot for slot in slots if slot.is_within_contact_hours]
    assert inside
    assert list(slots[: len(inside)]) == inside
    assert all(slot.for_others[1].start.time() >= dt.time(21) for slot in inside)
    assert all(slot.for_others[1].start.time() < dt.time(21) for slot in slots[len(inside) :])


# Booking, proposals and changes -----------------------------------------------------------


def test_the_mentor_books_one_series_for_everyone_with_reminders_for_each(
    group, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        series = book_weekly(group, count=4)
    assert MeetingSeries.objects.get() == series
    assert (series.organiser, series.time_zone) == (people["mentor"], "Europe/Berlin")
    reminded = set(Reminder.objects.values_list("recipient", flat=True))
    assert reminded == {people["mentor"].pk, people["noah"].pk, people["kenji"].pk}
    titles = dict(
        Reminder.objects.filter(key__endswith=":1440")
        .order_by("key")
        .values_list("recipient", "title")[:3]
    )
    assert titles[people["mentor"].pk].startswith("Meeting with your group at ")
    assert titles[people["kenji"].pk].startswith("Meeting with Mara's group at ")
    told = Notification.objects.filter(kind="meeting").values_list("recipient", "title")
    assert sorted(told) == sorted(
        [
            (people["noah"].pk, "Mara booked a meeting of Mara's group"),
            (people["kenji"].pk, "Mara booked a meeting of Mara's group"),
        ]
    )


@pytest.mark.parametrize("member", ["noah", "kenji"])
def test_a_member_neither_books_nor_changes_the_groups_meetings(group, people, member):
    series = book_weekly(group)
    first = selectors.expand(
        [series], start=series.rule().first_start, end=series.rule().first_start + HOUR
    )[0]
    start = slots_for(group, people[member])[1].start
    before = snapshot()
    with pytest.raises(PermissionDeniedError, match="the mentor books"):
        services.series_book(mentorship=group, by=people[member], start=start)
    with pytest.raises(PermissionDeniedError):
        services.occurrence_cancel(
            series=series, recurrence_id=first.recurrence_id, by=people[member]
        )
    with pytest.raises(PermissionDeniedError):
        services.series_cancel_rest(
            series=series, recurrence_id=first.recurrence_id, by=people[member]
        )
    with pytest.raises(PermissionDeniedError):
        services.series_update(series=series, by=people[member], agenda="Mine now")
    assert snapshot() == before


def test_a_member_proposes_to_the_mentor_who_alone_accepts_for_the_group(group, people):
    options = [slot.start for slot in slots_for(group, people["noah"])[:3]]
    proposal = services.proposal_create(mentorship=group, by=people["noah"], options=options)
    assert Notification.objects.filter(
        recipient=people["mentor"],
        kind="meeting_proposal",
        title="Noah proposed times for the group to meet",
    ).exists()
    assert not Notification.objects.filter(
        recipient=people["kenji"], kind="meeting_proposal"
    ).exists()
    before = snapshot()
    for member in ("noah", "kenji"):
        with pytest.raises(PermissionDeniedError):
            services.proposal_accept(proposal=proposal, by=people[member], start=options[0])
        with pytest.raises(PermissionDeniedError):
            services.proposal_decline(proposal=proposal, by=people[member])
    # The mentor books from the free times rather than proposing others.
    with pytest.raises(PermissionDeniedError):
        services.proposal_counter(proposal=proposal, by=people["mentor"], options=options[1:])
    with pytest.raises(PermissionDeniedError):
        services.proposal_create(mentorship=group, by=people["mentor"], options=options[:1])
    assert snapshot() == before

    series = services.proposal_accept(
        proposal=proposal, by=people["mentor"], start=options[1], frequency="weekly"
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    # The group's series is the mentor's, in the mentor's zone, whoever proposed it.
    assert (series.organiser, series.time_zone) == (people["mentor"], "Europe/Berlin")
    assert series.rule().first_start == options[1]


def test_the_mentor_declines_and_a_member_withdraws_their_own(group, people):
    options = [slot.start for slot in slots_for(group, people["kenji"])[:2]]
    first = services.proposal_create(mentorship=group, by=people["kenji"], options=options)
    services.proposal_decline(proposal=first, by=people["mentor"])
    second = services.proposal_create(mentorship=group, by=people["kenji"], options=options)
    with pytest.raises(PermissionDeniedError):
        services.proposal_withdraw(proposal=second, by=people["noah"])
    services.proposal_withdraw(proposal=second, by=people["kenji"])
    assert list(MeetingProposal.objects.order_by("pk").values_list("status", flat=True)) == [
        ProposalStatus.DECLINED,
        ProposalStatus.WITHDRAWN,
    ]


def test_logs_share_notes_with_everyone_in_the_group_and_keep_private_ones_private(group, people):
    series = book_weekly(group)
    recurrence_id = series.rule().first_start.astimezone(BERLIN).strftime("%Y%m%dT%H%M%S")
    log = MeetingLog.objects.create(
        series=series, recurrence_id=recurrence_id, outcome="happened", shared_notes="Shared"
    )

    for name in ("mentor", "noah", "kenji"):
        MeetingPrivateNote.objects.create(log=log, author=people[name], text=f"{name} only")
    manager = ProfileFactory().user
    group.program.managers.add(manager)
    for name in ("mentor", "noah", "kenji"):
        (view,) = selectors.logs_for(mentorship=group, user=people[name])
        assert (view.shared_notes, view.private_note) == ("Shared", f"{name} only")
    (view,) = selectors.logs_for(mentorship=group, user=manager)
    assert (view.log.outcome, view.shared_notes, view.next_steps, view.private_note) == (
        "happened",
        None,
        None,
        None,
    )
    leave(group, people["kenji"])
    with pytest.raises(NotFoundError):
        selectors.logs_for(mentorship=group, user=people["kenji"])


# Leaving ------------------------------------------------------------------------------------


def test_a_leaver_loses_their_reminders_proposals_and_feed_the_others_keep_theirs(
    group, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        series = book_weekly(group)
    kenji = people["kenji"]
    option = slots_for(group, kenji)[0].start
    proposal = services.proposal_create(mentorship=group, by=kenji, options=[option])

    def pending(person):
        return set(
            Reminder.objects.filter(
                recipient=person, sent_at__isnull=True, cancelled_at__isnull=True
            ).values_list("key", flat=True)
        )

    others_before = {name: pending(people[name]) for name in ("mentor", "noah")}
    assert pending(kenji)
    with django_capture_on_commit_callbacks(execute=True):
        leave(group, kenji)

    assert pending(kenji) == set()
    assert {name: pending(people[name]) for name in ("mentor", "noah")} == others_before
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.WITHDRAWN
    series.refresh_from_db()
    assert series.sequence == 1
    assert series.is_active
    assert selectors.calendar_events_for(user=kenji) == []
    assert selectors.upcoming_meetings(user=kenji) == []
    assert [event.uid for event in selectors.calendar_events_for(user=people["noah"])] == [
        series.uid
    ]
    (event,) = selectors.calendar_events_for(user=people["mentor"])
    assert {attendee.email for attendee in event.attendees} == {
        people["mentor"].email,
        people["noah"].email,
    }
    # The daily sweep reminds the others and never Kenji again.
    services.meeting_reminders_top_up()
    assert pending(kenji) == set()
    # His busy time is his own again: the group's meeting no longer blocks him.
    assert (
        selectors.busy_from_meetings(
            user=kenji, start=series.rule().first_start - HOUR, end=series.rule().first_start + HOUR
        )
        == []
    )


def test_a_former_member_is_an_outsider_to_the_groups_meetings(group, people):
    series = book_weekly(group)
    kenji = people["kenji"]
    leave(group, kenji)
    with pytest.raises(NotFoundError):
        selectors.mentorship_for_scheduling(mentorship_id=group.pk, user=kenji)
    with pytest.raises(NotFoundError):
        selectors.series_for(series_id=series.pk, user=kenji)
    start = slots_for(group, people["mentor"])[0].start
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        services.proposal_create(mentorship=group, by=kenji, options=[start])
    assert snapshot() == before


def test_a_newcomer_is_invited_to_the_groups_series_and_reminded(
    group, people, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        series = book_weekly(group)
    newcomer = mentee_in(group.program, time_zone="Europe/Lisbon", display_name="Lia")
    available(newcomer, "12:00", "16:00")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        GroupMember.objects.create(
            mentorship=group, program=group.program, mentee=newcomer, source="manager"
        )
        services.meetings_participant_joined(mentorship=group, user=newcomer)
    invitations = [
        message
        for message in mailoutbox
        if any("text/calendar; method=REQUEST" in mimetype for _, mimetype in message.alternatives)
    ]
    assert [message.to for message in invitations] == [[newcomer.email]]
    assert series.uid in invitations[0].alternatives[0][0]
    assert Reminder.objects.filter(recipient=newcomer, cancelled_at__isnull=True).exists()


# Authorization over roles ------------------------------------------------------------------


@pytest.fixture
def world(group, people):
    other_group = berlin_new_york_tokyo_group()
    manager = ProfileFactory().user
    group.program.managers.add(manager)
    other_manager = ProfileFactory().user
    ProgramFactory().managers.add(other_manager)
    former = mentee_in(group.program, time_zone="Europe/Paris", display_name="Fay")
    available(former, "13:00", "17:00")

    group_of(group.program, people["mentor"], [former])
    leave(group, former)
    group.refresh_from_db()
    return {
        "group": group,
        "anonymous": None,
        "mentor": people["mentor"],
        "member": people["noah"],
        "former_member": former,
        "other_group_mentor": other_group.mentor,
        "other_manager": other_manager,
        "manager": manager,
        "staff": StaffFactory(),
    }


def as_(client, world, role):
    if world[role] is not None:
        client.force_login(world[role])


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


PAGE_STATUS = {
    "anonymous": 302,
    "mentor": 200,
    "member": 200,
    "former_member": 404,
    "other_group_mentor": 404,
    "other_manager": 404,
    "manager": 200,
    "staff": 200,
}
READ_STATUS = {**PAGE_STATUS, "anonymous": 401}
PROPOSE_STATUS = {**READ_STATUS, "mentor": 403, "member": 201, "manager": 403, "staff": 403}
BOOK_STATUS = {**READ_STATUS, "mentor": 201, "member": 403, "manager": 403, "staff": 403}


@pytest.mark.parametrize("role", list(PAGE_STATUS))
def test_the_group_schedule_page_by_role(client, world, role):
    as_(client, world, role)
    response = client.get(reverse("scheduling:schedule", args=[world["group"].pk]))
    assert response.status_code == PAGE_STATUS[role]
    if response.status_code == 200:
        assert b"Meetings of Mara&#x27;s group" in response.content
        assert (b"Find a time" in response.content) == (role in ("mentor", "member"))


@pytest.mark.parametrize("role", list(READ_STATUS))
def test_reading_the_groups_meetings_and_slots_by_role(client, world, role):
    group = world["group"]
    as_(client, world, role)
    assert client.get(f"/api/v1/mentorships/{group.pk}/meetings").status_code == READ_STATUS[role]
    slots = client.get(f"/api/v1/mentorships/{group.pk}/slots")
    expected = READ_STATUS[role] if role not in ("manager", "staff") else 403
    assert slots.status_code == expected
    if expected == 200:
        first = slots.json()["slots"][0]
        assert first["partners"] is None
        assert len(first["others"]) == 2
        assert {other["time_zone"] for other in first["others"]} <= {
            "Europe/Berlin",
            "America/New_York",
            "Asia/Tokyo",
        }


@pytest.mark.parametrize("role", list(PROPOSE_STATUS))
def test_proposing_to_the_group_by_role_and_refusals_change_nothing(client, world, role):
    group = world["group"]
    start = slots_for(group, group.mentor)[0].start
    before = snapshot()
    as_(client, world, role)
    response = post(
        client,
        f"/api/v1/mentorships/{group.pk}/meeting-proposals",
        {"options": [start.isoformat()]},
    )
    assert response.status_code == PROPOSE_STATUS[role]
    if response.status_code != 201:
        assert snapshot() == before
    else:
        assert MeetingProposal.objects.get().proposer == world[role]


@pytest.mark.parametrize("role", list(BOOK_STATUS))
def test_booking_for_the_group_by_role_and_refusals_change_nothing(client, world, role):
    group = world["group"]
    start = slots_for(group, group.mentor)[0].start
    before = snapshot()
    as_(client, world, role)
    response = post(
        client,
        f"/api/v1/mentorships/{group.pk}/meetings",
        {"start": start.isoformat(), "frequency": "weekly"},
    )
    assert response.status_code == BOOK_STATUS[role]
    if response.status_code != 201:
        assert snapshot() == before
    else:
        series = MeetingSeries.objects.get()
        assert (series.mentorship, series.organiser) == (group, world["mentor"])
        assert response.json()["start"].startswith(start.strftime("%Y-%m-%dT%H:%M"))


@pytest.mark.parametrize("role", ["member", "former_member", "manager"])
def test_only_the_mentor_books_through_the_page(client, world, role):
    group = world["group"]
    start = slots_for(group, group.mentor)[0].start
    as_(client, world, role)
    response = client.post(
        reverse("scheduling:book", args=[group.pk]), {"start": start.isoformat()}
    )
    assert response.status_code == {"member": 403, "former_member": 404, "manager": 403}[role]
    assert MeetingSeries.objects.count() == 0


# The dashboard and query counts --------------------------------------------------------------


def test_the_dashboard_names_the_group_for_each_person(group, people):
    book_weekly(group)
    (for_kenji,) = selectors.upcoming_meetings(user=people["kenji"], limit=1)
    assert (for_kenji.with_label, for_kenji.partner) == ("Mara's group", people["mentor"])
    assert for_kenji.local_start.tzinfo == TOKYO
    assert [person.display_name for person in for_kenji.others] == ["Mara", "Noah"]
    (for_mara,) = selectors.upcoming_meetings(user=people["mentor"], limit=1)
    assert (for_mara.with_label, for_mara.partner) == ("your group", None)


def _queries(client, url):
    client.get(url)  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("viewer", ["mentor", "noah"])
def test_the_schedule_page_costs_the_same_for_one_or_five_members_and_more_meetings(client, viewer):
    counts = []
    for extra_members, series_count in ((0, 1), (3, 1), (3, 4)):
        program = group_program()
        mentor = mentor_in(program, time_zone="Europe/Berlin", display_name="Mara")
        available(mentor, "13:00", "17:00")
        noah = mentee_in(program, time_zone="America/New_York", display_name="Noah")
        available(noah, "07:00", "11:00")
        members = [noah]
        for number in range(extra_members + 1):
            extra = mentee_in(program, time_zone="Asia/Tokyo", display_name=f"M{number}")
            available(extra, "20:00", "23:00")
            members.append(extra)

        group = group_of(program, mentor, members[: 1 if extra_members == 0 else None])
        for _ in range(series_count):
            services.series_book(
                mentorship=group,
                by=mentor,
                start=slots_for(group, mentor)[0].start,
                frequency="weekly",
            )
        client.force_login(mentor if viewer == "mentor" else noah)
        counts.append(_queries(client, reverse("scheduling:schedule", args=[group.pk])))
    assert counts[0] == counts[1] == counts[2], counts


def test_the_feed_costs_the_same_for_one_or_five_members_and_more_meetings(client):

    counts = []
    for extra_members, series_count in ((0, 1), (4, 1), (4, 3)):
        group = berlin_new_york_tokyo_group(extra_members=extra_members)
        if extra_members == 0:
            leave(group, group_people(group)["kenji"])  # one member left: Noah
            group.refresh_from_db()
        mentor = group.mentor
        for _ in range(series_count):
            services.series_book(
                mentorship=group,
                by=mentor,
                start=slots_for(group, mentor)[0].start,
                frequency="weekly",
            )
        _, raw = calendar_feed_token_create(user=mentor)
        counts.append(_queries(client, reverse("calendars:feed", args=[raw])))
    assert counts[0] == counts[1] == counts[2], counts

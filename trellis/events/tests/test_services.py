"""The events services: places and the waiting line, changes, reminders, sharing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.events import services
from trellis.events.models import RSVP, Event, RSVPStatus
from trellis.events.selectors import attendance_for, waiting_position
from trellis.events.tests.helpers import event_in, move_to_the_past, soon
from trellis.mentorships.tests.factories import mentee_in
from trellis.messaging.models import Conversation, Message
from trellis.notifications.models import Notification, Reminder
from trellis.notifications.services import reminder_preference_update
from trellis.scheduling.tests.helpers import berlin_new_york_pair

pytestmark = pytest.mark.django_db


def pending_reminders(prefix: str = "event:") -> list[tuple[str, int]]:
    reminders = Reminder.objects.filter(
        key__startswith=prefix, sent_at__isnull=True, cancelled_at__isnull=True
    )
    return sorted((reminder.key, reminder.recipient_id) for reminder in reminders)


@pytest.fixture
def full_event(world):
    """A capacity-2 event Manon posted: Mara and Noah go, the other mentee waits."""
    event = event_in(world["program"], by=world["manager"], capacity=2)
    for person in ("mentor", "mentee", "other_mentee"):
        services.rsvp_attend(event=event, by=world[person])
    return event


# Places and the waiting line -------------------------------------------------------------


def test_the_third_of_three_for_two_places_waits(world, full_event):
    assert [rsvp.status for rsvp in RSVP.objects.order_by("pk")] == ["going", "going", "waiting"]
    assert waiting_position(event=full_event, user=world["other_mentee"]) == 1
    attendance = attendance_for(event=full_event)
    assert [rsvp.user for rsvp in attendance.going] == [world["mentor"], world["mentee"]]
    assert [rsvp.user for rsvp in attendance.waiting] == [world["other_mentee"]]


def test_a_cancelled_place_goes_to_the_first_in_line_who_is_told(world, full_event):
    services.rsvp_attend(event=full_event, by=world["other_mentor"])

    cancelled = services.rsvp_cancel(event=full_event, by=world["mentor"])

    assert cancelled.status == RSVPStatus.CANCELLED
    by_user = {rsvp.user_id: rsvp.status for rsvp in RSVP.objects.all()}
    assert by_user == {
        world["mentor"].pk: "cancelled",
        world["mentee"].pk: "going",
        world["other_mentee"].pk: "going",
        world["other_mentor"].pk: "waiting",
    }
    assert waiting_position(event=full_event, user=world["other_mentor"]) == 1
    told = Notification.objects.get(kind="event_place")
    assert told.recipient == world["other_mentee"]
    assert told.title == "A place opened: you are going to Founders' breakfast"
    assert told.url == f"/events/{full_event.pk}/"


def test_leaving_the_waiting_list_frees_no_place(world, full_event):
    services.rsvp_cancel(event=full_event, by=world["other_mentee"])

    assert list(RSVP.objects.order_by("pk").values_list("status", flat=True)) == [
        "going",
        "going",
        "cancelled",
    ]
    assert not Notification.objects.filter(kind="event_place").exists()


def test_answering_again_changes_nothing(world, full_event):
    again = services.rsvp_attend(event=full_event, by=world["other_mentee"])

    assert again.status == RSVPStatus.WAITING
    assert RSVP.objects.count() == 3


def test_coming_back_after_cancelling_joins_the_end_of_the_line(world, full_event):
    services.rsvp_attend(event=full_event, by=world["other_mentor"])
    services.rsvp_cancel(event=full_event, by=world["other_mentee"])

    back = services.rsvp_attend(event=full_event, by=world["other_mentee"])

    assert back.status == RSVPStatus.WAITING
    assert waiting_position(event=full_event, user=world["other_mentor"]) == 1
    assert waiting_position(event=full_event, user=world["other_mentee"]) == 2


def test_without_a_limit_everyone_goes(world):
    event = event_in(world["program"], by=world["mentor"], capacity=None)
    for person in ("mentor", "mentee", "other_mentor", "other_mentee", "manager"):
        services.rsvp_attend(event=event, by=world[person])
    assert set(RSVP.objects.values_list("status", flat=True)) == {"going"}


def test_more_places_move_people_up_in_line_order(world, full_event):
    services.rsvp_attend(event=full_event, by=world["other_mentor"])
    services.rsvp_attend(event=full_event, by=world["manager"])

    services.event_update(event=full_event, by=world["manager"], data={"capacity": 3})

    by_user = {rsvp.user_id: rsvp.status for rsvp in RSVP.objects.all()}
    assert by_user[world["other_mentee"].pk] == "going"
    assert by_user[world["other_mentor"].pk] == "waiting"
    assert by_user[world["manager"].pk] == "waiting"
    assert Notification.objects.filter(kind="event_place").count() == 1

    services.event_update(event=full_event, by=world["manager"], data={"capacity": None})

    assert set(RSVP.objects.values_list("status", flat=True)) == {"going"}


def test_fewer_places_take_none_away(world, full_event):
    services.event_update(event=full_event, by=world["manager"], data={"capacity": 1})

    assert list(RSVP.objects.order_by("pk").values_list("status", flat=True)) == [
        "going",
        "going",
        "waiting",
    ]
    services.rsvp_cancel(event=full_event, by=world["mentor"])
    # Still one going for one place: nobody moves up.
    assert RSVP.objects.get(user=world["other_mentee"]).status == "waiting"


# Refusals -----------------------------------------------------------------------------------


def test_no_answers_for_a_cancelled_or_past_event(world):
    cancelled = event_in(world["program"], by=world["mentor"])
    services.event_cancel(event=cancelled, by=world["mentor"])
    past = move_to_the_past(event_in(world["program"], by=world["mentor"]))

    for event in (cancelled, past):
        with pytest.raises(ValidationError):
            services.rsvp_attend(event=event, by=world["mentee"])
    assert not RSVP.objects.exists()


def test_people_outside_the_program_cannot_answer(world):
    event = event_in(world["program"], by=world["mentor"])
    for person in ("other_manager", "pending"):
        with pytest.raises(NotFoundError):
            services.rsvp_attend(event=event, by=world[person])
    assert not RSVP.objects.exists()


def test_only_the_organiser_and_managers_change_or_cancel(world):
    event = event_in(world["program"], by=world["mentee"])
    with pytest.raises(PermissionDeniedError):
        services.event_update(event=event, by=world["mentor"], data={"title": "Mine now"})
    with pytest.raises(PermissionDeniedError):
        services.event_cancel(event=event, by=world["other_mentee"])
    with pytest.raises(NotFoundError):
        services.event_cancel(event=event, by=world["other_manager"])
    event.refresh_from_db()
    assert (event.title, event.is_cancelled, event.sequence) == ("Founders' breakfast", False, 0)

    services.event_update(event=event, by=world["manager"], data={"title": "Breakfast club"})
    services.event_update(event=event, by=world["mentee"], data={"place": "Café Eins"})
    event.refresh_from_db()
    assert (event.title, event.place, event.sequence) == ("Breakfast club", "Café Eins", 2)


def test_outsiders_cannot_post(world):
    for person in ("other_manager", "pending"):
        with pytest.raises(PermissionDeniedError):
            event_in(world["program"], by=world[person])
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"ends_at": soon(24 * 7 - 1)}, "ends_at"),
        ({"ends_at": soon(24 * 7 + 24 * 8)}, "ends_at"),
        ({"starts_at": soon(-1)}, "starts_at"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"online_url": "http://example.org/call"}, "online_url"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"place": "", "online_url": ""}, "place"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": -3}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_bad_input_is_refused_with_the_field(world, fields, field):
    with pytest.raises(ValidationError) as refused:
        event_in(world["program"], by=world["mentor"], **fields)
    assert field in refused.value.message_dict
    assert not Event.objects.exists()


def test_the_zone_is_the_organisers_by_default_and_times_are_stored_utc(world):
    starts_at = soon()
    event = services.event_create(
        program=world["program"],
        by=world["mentee"],
        title="Walk in Central Park",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        place="Bethesda Fountain",
    )
    assert event.time_zone == "America/New_York"
    event.refresh_from_db()
    assert event.starts_at == starts_at
    assert event.starts_at.utcoffset() == dt.timedelta(0)


def test_a_changed_event_cannot_move_into_the_past_nor_change_once_over(world):
    event = event_in(world["program"], by=world["mentor"])
    with pytest.raises(ValidationError) as refused:
        services.event_update(
            event=event,
            by=world["mentor"],
            data={"starts_at": soon(-3), "ends_at": soon(-2)},
        )
    assert "starts_at" in refused.value.message_dict
    move_to_the_past(event)
    with pytest.raises(ValidationError):
        services.event_update(event=event, by=world["mentor"], data={"title": "Too late"})


# Cancelling an event ------------------------------------------------------------------------


def test_cancelling_tells_everyone_who_answered_and_stops_reminders(world, full_event):
    assert pending_reminders()

    services.event_cancel(event=full_event, by=world["manager"])

    full_event.refresh_from_db()
    assert full_event.is_cancelled
    assert full_event.cancelled_at is not None
    assert full_event.sequence == 1
    told = Notification.objects.filter(kind="event_cancelled")
    assert sorted(n.recipient_id for n in told) == sorted(
        world[person].pk for person in ("mentor", "mentee", "other_mentee")
    )
    assert pending_reminders() == []
    with pytest.raises(ValidationError):
        services.event_cancel(event=full_event, by=world["manager"])
    with pytest.raises(ValidationError):
        services.rsvp_cancel(event=full_event, by=world["mentor"])


# Reminders ----------------------------------------------------------------------------------


def test_people_going_are_reminded_at_their_own_times(world, full_event):
    reminder_preference_update(user=world["mentee"], offsets=[60])
    services.rsvp_attend(event=full_event, by=world["manager"])  # waits: no reminders
    event_id, mara, noah = full_event.pk, world["mentor"].pk, world["mentee"].pk

    assert pending_reminders() == [
        (f"event:{event_id}:{mara}:1440", mara),
        (f"event:{event_id}:{mara}:15", mara),
        (f"event:{event_id}:{noah}:1440", noah),
        (f"event:{event_id}:{noah}:15", noah),
    ]
    reminder = Reminder.objects.get(key=f"event:{event_id}:{mara}:1440")
    assert reminder.fire_at == full_event.starts_at - dt.timedelta(days=1)
    assert reminder.title.startswith("Soon: Founders' breakfast, ")
    assert reminder.url == f"/events/{event_id}/"


def test_a_cancelled_place_cancels_its_reminders_and_the_promoted_get_theirs(world, full_event):
    services.rsvp_cancel(event=full_event, by=world["mentor"])

    keys = {key for key, _ in pending_reminders()}
    waiting = world["other_mentee"].pk
    gone = services.reminder_prefix(full_event.pk, world["mentor"].pk)
    assert not any(key.startswith(gone) for key in keys)
    assert f"event:{full_event.pk}:{waiting}:1440" in keys


def test_a_new_time_moves_the_reminders(world, full_event):
    later = full_event.starts_at + dt.timedelta(days=3)
    services.event_update(
        event=full_event,
        by=world["manager"],
        data={"starts_at": later, "ends_at": later + dt.timedelta(hours=2)},
    )

    reminders = Reminder.objects.filter(
        key__startswith="event:", sent_at__isnull=True, cancelled_at__isnull=True
    )
    assert reminders.count() == 4
    assert {reminder.fire_at for reminder in reminders} == {
        later - dt.timedelta(days=1),
        later - dt.timedelta(minutes=15),
    }
    changed = Notification.objects.filter(kind="event_changed")
    assert sorted(n.recipient_id for n in changed) == sorted(
        world[person].pk for person in ("mentor", "mentee", "other_mentee")
    )


def test_no_reminder_in_the_past(world):
    event = event_in(world["program"], by=world["manager"], hours=2)
    services.rsvp_attend(event=event, by=world["mentee"])
    assert [key for key, _ in pending_reminders()] == [f"event:{event.pk}:{world['mentee'].pk}:15"]


# Sharing into a mentorship's conversation ------------------------------------------------


def test_sharing_posts_a_card_into_the_mentorships_conversation(world, settings):
    settings.SITE_URL = "https://trellis.example.org"
    pair = world["pair"]
    event = event_in(world["program"], by=world["manager"], online_url="https://meet.example/x")

    message = services.event_share(
        event=event, by=world["mentor"], mentorship=pair, client_key="k1", note="Join me?"
    )

    assert message.conversation == Conversation.objects.get(mentorship=pair)
    assert message.kind == "event"
    assert message.sender == world["mentor"]
    assert message.body == "Join me?"
    assert message.card == {
        "title": "Founders' breakfast",
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "place": "Café Lotte, Berlin",
        "url": f"https://trellis.example.org/events/{event.pk}/",
    }
    again = services.event_share(event=event, by=world["mentor"], mentorship=pair, client_key="k1")
    assert again.pk == message.pk
    assert Message.objects.count() == 1


def test_without_https_the_link_goes_into_the_message(world, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    event = event_in(world["program"], by=world["manager"], online_url="https://meet.example/x")

    message = services.event_share(
        event=event, by=world["mentee"], mentorship=world["pair"], client_key="k2"
    )

    assert message.card["url"] == "https://meet.example/x"
    assert message.body == f"[See the event on Trellis](http://127.0.0.1:8000/events/{event.pk}/)"
    assert f'href="http://127.0.0.1:8000/events/{event.pk}/"' in message.body_html


@pytest.mark.parametrize("sharer", ["other_mentor", "manager", "staff"])
def test_sharing_into_someone_elses_mentorship_posts_nothing(world, sharer):
    event = event_in(world["program"], by=world["manager"])

    with pytest.raises(ValidationError) as refused:
        services.event_share(
            event=event, by=world[sharer], mentorship=world["pair"], client_key="k3"
        )

    assert "mentorship" in refused.value.message_dict
    assert not Message.objects.exists()


def test_sharing_a_mentorship_of_another_program_or_a_cancelled_event_posts_nothing(world):
    event = event_in(world["program"], by=world["manager"])
    foreign = berlin_new_york_pair(mentor=world["mentor"])
    with pytest.raises(ValidationError):
        services.event_share(event=event, by=world["mentor"], mentorship=foreign, client_key="a")
    services.event_cancel(event=event, by=world["manager"])
    with pytest.raises(ValidationError):
        services.event_share(
            event=event, by=world["mentor"], mentorship=world["pair"], client_key="b"
        )
    assert not Message.objects.exists()


def test_the_waiting_line_is_ordered_by_when_people_asked(world):
    event = event_in(world["program"], by=world["manager"], capacity=1)
    people = [mentee_in(world["program"], display_name=f"P{n}") for n in range(4)]
    for person in people:
        services.rsvp_attend(event=event, by=person)
    assert [waiting_position(event=event, user=person) for person in people] == [None, 1, 2, 3]
    assert timezone.now() < event.starts_at

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from trellis.agreements import selectors, services
from trellis.agreements.models import (
    Agreement,
    AgreementConfirmation,
    AgreementPart,
    AgreementStatus,
)
from trellis.core.errors import PermissionDeniedError
from trellis.mentorships.models import MentorshipStatus
from trellis.mentorships.tests.factories import MentorshipFactory, mentee_in, mentor_in
from trellis.notifications.models import Notification
from trellis.scheduling.slots import ALL_WEEKDAYS, ContactHours

pytestmark = pytest.mark.django_db


def status(agreement):
    return selectors.agreement_status(selectors.agreement_for(mentorship=agreement.mentorship))


def snapshot(agreement):
    rows = [Agreement.objects.filter(pk=agreement.pk).values().get()]
    rows += list(AgreementPart.objects.filter(agreement=agreement).values())
    rows += list(AgreementConfirmation.objects.filter(agreement=agreement).values())
    return rows


def test_new_agreement_takes_both_parts_from_the_profiles(world):
    agreement = world["agreement"]

    parts = {part.user_id: part for part in agreement.parts.all()}
    assert set(parts) == {world["mentor"].pk, world["mentee"].pk}
    assert parts[world["mentor"].pk].time_zone == "Europe/Berlin"
    assert parts[world["mentee"].pk].time_zone == "America/New_York"
    assert parts[world["mentee"].pk].modes == ["video", "chat"]
    assert agreement.aims == "<p>Learn to lead a team</p>"
    assert agreement.revision == 1
    assert agreement.is_first_meeting_in_person is False
    assert status(agreement) == AgreementStatus.DRAFT
    assert services.agreement_get_or_create(world["mentorship"]) == agreement


def test_first_meeting_in_person_is_suggested_when_both_live_in_the_same_city(world):
    program = world["program"]
    mentor = mentor_in(program, city="Lisbon", country="PT")
    mentee = mentee_in(program, city=" lisbon", country="PT")
    namesake = mentee_in(program, city="Lisbon", country="US")

    same_city = services.agreement_get_or_create(
        MentorshipFactory(program=program, mentor=mentor, mentee=mentee)
    )
    other_country = services.agreement_get_or_create(
        MentorshipFactory(program=program, mentor=mentor, mentee=namesake)
    )

    assert same_city.is_first_meeting_in_person is True
    assert other_country.is_first_meeting_in_person is False


def test_each_person_changes_only_their_own_part(world):
    agreement, mentor = world["agreement"], world["mentor"]

    part = services.agreement_update_part(
        agreement=agreement,
        by=mentor,
        modes=["phone", "video", "video"],
        contact_weekdays=[4, 0, 1],
        contact_hours_start=dt.time(9),
        contact_hours_end=dt.time(18),
        quiet_hours_start=dt.time(22),
        quiet_hours_end=dt.time(7),
        handle_kind="work",
        handle="+49 30 1234567",
    )

    assert part.user == mentor
    assert part.modes == ["video", "phone"]
    assert part.contact_weekdays == [0, 1, 4]
    mentee_part = AgreementPart.objects.get(agreement=agreement, user=world["mentee"])
    assert mentee_part.handle == ""


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"modes": ["telepathy"]}, "modes"),
        (
            {"contact_hours_start": dt.time(18), "contact_hours_end": dt.time(9)},
            "contact_hours_end",
        ),
        ({"contact_hours_start": dt.time(9), "contact_hours_end": None}, "contact_hours_end"),
        ({"quiet_hours_start": dt.time(22), "quiet_hours_end": dt.time(22)}, "quiet_hours_end"),
        ({"handle": "+1 555", "handle_kind": ""}, "handle_kind"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"contact_weekdays": [7]}, "contact_weekdays"),
    ],
)
def test_a_bad_part_is_refused_and_nothing_changes(world, changes, field):
    agreement = world["agreement"]
    before = snapshot(agreement)

    with pytest.raises(ValidationError) as error:
        services.agreement_update_part(agreement=agreement, by=world["mentee"], **changes)

    assert field in error.value.message_dict
    assert snapshot(agreement) == before


def test_shared_fields_are_sanitized_and_checked(world):
    agreement = world["agreement"]

    services.agreement_update_shared(
        agreement=agreement,
        by=world["mentee"],
        meeting_cadence="weekly",
        meeting_length_minutes=45,
        aims='<p onclick="x()">Speak at a conference</p>',
    )
    agreement.refresh_from_db()
    assert agreement.aims == "<p>Speak at a conference</p>"
    assert agreement.meeting_cadence == "weekly"
    before = snapshot(agreement)

    for bad in ({"meeting_cadence": "daily"}, {"meeting_length_minutes": 5}):
        with pytest.raises(ValidationError):
            services.agreement_update_shared(agreement=agreement, by=world["mentor"], **bad)
    assert snapshot(agreement) == before


@pytest.mark.parametrize("who", ["other_mentor", "manager", "other_manager", "staff", "outsider"])
def test_nobody_but_the_pair_writes_and_refusals_change_nothing(world, who):
    agreement = world["agreement"]
    before = snapshot(agreement)
    by = world[who]

    with pytest.raises(PermissionDeniedError):
        services.agreement_update_part(agreement=agreement, by=by, handle="x")
    with pytest.raises(PermissionDeniedError):
        services.agreement_update_shared(agreement=agreement, by=by, aims="Mine now")
    with pytest.raises(PermissionDeniedError):
        services.agreement_confirm(agreement=agreement, by=by)

    assert snapshot(agreement) == before
    assert not Notification.objects.exists()


def test_an_ended_mentorship_closes_its_agreement(world):
    agreement = world["agreement"]
    world["mentorship"].status = MentorshipStatus.ENDED
    world["mentorship"].save()
    before = snapshot(agreement)

    with pytest.raises(PermissionDeniedError):
        services.agreement_confirm(agreement=agreement, by=world["mentor"])

    assert snapshot(agreement) == before


def test_both_confirm_then_it_is_agreed_and_the_partner_hears(world):
    agreement, mentor, mentee = world["agreement"], world["mentor"], world["mentee"]

    services.agreement_confirm(agreement=agreement, by=mentor)
    assert status(agreement) == AgreementStatus.WAITING
    waiting = Notification.objects.get()
    assert waiting.recipient == mentee
    assert waiting.kind == "agreement.confirmed"
    assert waiting.url == f"/mentorships/{world['mentorship'].pk}/agreement/"

    services.agreement_confirm(agreement=agreement, by=mentee)
    services.agreement_confirm(agreement=agreement, by=mentee)  # twice is once

    agreement.refresh_from_db()
    assert status(agreement) == AgreementStatus.AGREED
    assert agreement.agreed_at is not None
    assert agreement.last_agreed_revision == 1
    agreed = Notification.objects.get(kind="agreement.agreed")
    assert agreed.recipient == mentor
    assert AgreementConfirmation.objects.filter(agreement=agreement).count() == 2


def test_a_change_after_agreeing_makes_a_revision_both_confirm_again(world):
    agreement, mentor, mentee = world["agreement"], world["mentor"], world["mentee"]
    services.agreement_confirm(agreement=agreement, by=mentor)
    services.agreement_confirm(agreement=agreement, by=mentee)

    services.agreement_update_part(agreement=agreement, by=mentee, handle_kind="personal")
    services.agreement_update_part(agreement=agreement, by=mentee, handle="@ada")
    agreement.refresh_from_db()

    assert agreement.revision == 2  # one revision until someone confirms it
    assert status(agreement) == AgreementStatus.REVISED
    services.agreement_confirm(agreement=agreement, by=mentee)
    assert status(agreement) == AgreementStatus.REVISED
    services.agreement_confirm(agreement=agreement, by=mentor)
    agreement.refresh_from_db()
    assert status(agreement) == AgreementStatus.AGREED
    assert agreement.last_agreed_revision == 2
    history = [
        (row.user_id, row.revision)
        for row in selectors.agreement_confirmations(agreement=agreement)
    ]
    assert history == [(mentor.pk, 1), (mentee.pk, 1), (mentee.pk, 2), (mentor.pk, 2)]


def test_saving_the_same_values_is_no_revision(world):
    agreement, mentor = world["agreement"], world["mentor"]
    services.agreement_confirm(agreement=agreement, by=mentor)

    services.agreement_update_shared(
        agreement=agreement, by=mentor, meeting_cadence=agreement.meeting_cadence
    )

    agreement.refresh_from_db()
    assert agreement.revision == 1


def test_the_database_holds_one_part_per_person_and_ordered_hours(world):
    agreement = world["agreement"]
    with pytest.raises(IntegrityError):
        AgreementPart.objects.create(agreement=agreement, user=world["mentor"])


def test_the_database_refuses_contact_hours_ending_before_they_start(world):
    part = AgreementPart.objects.get(agreement=world["agreement"], user=world["mentor"])
    part.contact_hours_start, part.contact_hours_end = dt.time(18), dt.time(9)
    with pytest.raises(IntegrityError):
        part.save()


def test_contact_hours_for_are_local_to_the_person(world):
    mentorship, mentor, mentee = world["mentorship"], world["mentor"], world["mentee"]
    services.agreement_update_part(
        agreement=world["agreement"],
        by=mentor,
        contact_weekdays=[0, 1, 2, 3, 4],
        contact_hours_start=dt.time(9),
        contact_hours_end=dt.time(18),
    )

    hours = selectors.contact_hours_for(mentorship=mentorship, user=mentor)

    assert hours == ContactHours(
        start=dt.time(9), end=dt.time(18), weekdays=frozenset({0, 1, 2, 3, 4})
    )
    mentor_part = AgreementPart.objects.get(agreement=world["agreement"], user=mentor)
    assert mentor_part.time_zone == "Europe/Berlin"
    assert selectors.contact_hours_for(mentorship=mentorship, user=mentee) is None


def test_contact_hours_fall_back_to_the_profile(world):
    profile = world["mentee"].profile
    profile.contact_hours_start, profile.contact_hours_end = dt.time(8), dt.time(12)
    profile.save()

    hours = selectors.contact_hours_for(mentorship=world["mentorship"], user=world["mentee"])

    assert hours == ContactHours(start=dt.time(8), end=dt.time(12), weekdays=ALL_WEEKDAYS)


def test_the_handle_is_shown_to_the_partner_only(world):
    mentorship = world["mentorship"]
    services.agreement_update_part(
        agreement=world["agreement"], by=world["mentor"], handle_kind="work", handle="+49 30 1"
    )

    handle = selectors.partner_handle_for(mentorship=mentorship, viewer=world["mentee"])

    assert handle == selectors.Handle(kind="work", value="+49 30 1")
    for who in ("mentor", "manager", "staff", "other_mentor", "outsider"):
        assert selectors.partner_handle_for(mentorship=mentorship, viewer=world[who]) is None


def test_a_change_after_the_partner_confirmed_asks_them_to_confirm_again(world):
    agreement, mentor, mentee = world["agreement"], world["mentor"], world["mentee"]
    services.agreement_confirm(agreement=agreement, by=mentor)
    Notification.objects.all().delete()

    services.agreement_update_shared(agreement=agreement, by=mentee, meeting_length_minutes=30)
    services.agreement_update_shared(agreement=agreement, by=mentee, meeting_length_minutes=45)

    revised = Notification.objects.get()  # one revision, one notice
    assert revised.recipient == mentor
    assert revised.kind == "agreement.revised"
    assert revised.body == "Read the change and confirm the agreement again."

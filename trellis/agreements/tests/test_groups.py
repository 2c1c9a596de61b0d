"""A group's agreement: a part per current participant, everyone confirms, leavers drop out."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.agreements import selectors, services
from trellis.agreements.models import (
    Agreement,
    AgreementConfirmation,
    AgreementPart,
    AgreementStatus,
)
from trellis.agreements.tests.helpers import group_of, group_program, leave
from trellis.core.errors import PermissionDeniedError
from trellis.mentorships.models import Mentorship, MentorshipSource
from trellis.mentorships.services import mentorship_start
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.notifications.models import Notification
from trellis.scheduling.slots import ALL_WEEKDAYS, ContactHours

pytestmark = pytest.mark.django_db


def fresh(group):
    return Mentorship.objects.get(pk=group.pk)


def loaded(group):
    return selectors.agreement_for(mentorship=fresh(group))


def status(group):
    return selectors.agreement_status(loaded(group))


def waiting_for(group):
    return [person.pk for person in selectors.agreement_waiting_for(loaded(group))]


def snapshot(agreement):
    rows = [Agreement.objects.filter(pk=agreement.pk).values().get()]
    rows += list(AgreementPart.objects.filter(agreement=agreement).order_by("pk").values())
    rows += list(AgreementConfirmation.objects.filter(agreement=agreement).values())
    return rows


def join(world, **profile):
    """A newcomer joins the group."""
    newcomer = mentee_in(world["program"], display_name="Dee Newcomer", **profile)
    mentorship_start(
        program=world["program"],
        mentor=world["mentor"],
        mentee=newcomer,
        source=MentorshipSource.MANAGER,
        score=None,
        reasons=[],
        by=None,
    )
    return newcomer


def everyone(world):
    return [world["mentor"], world["ada"], world["ben"], world["cy"]]


def confirm_all(world, people=None):
    for person in people or everyone(world):
        services.agreement_confirm(agreement=world["agreement"], by=person)


# The agreement ---------------------------------------------------------------------------


def test_a_group_agreement_has_a_part_for_the_mentor_and_every_member(group_world):
    world = group_world
    agreement = world["agreement"]

    parts = selectors.agreement_parts(loaded(world["group"]))

    assert [part.user_id for part in parts] == [person.pk for person in everyone(world)]
    assert AgreementPart.objects.filter(agreement=agreement).count() == 4
    assert (
        agreement.aims
        == "<h3>Ada Member</h3><p>Lead a team</p><h3>Ben Member</h3><p>Give a talk</p>"
    )
    assert agreement.meeting_cadence == world["program"].meeting_frequency
    # All four live in Berlin: one face-to-face start is suggested.
    assert agreement.is_first_meeting_in_person is True
    assert status(world["group"]) == AgreementStatus.DRAFT


def test_first_meeting_in_person_needs_everyone_in_the_same_city():
    program = group_program()
    berlin = {"city": "Berlin", "country": "DE"}
    mentor = mentor_in(program, **berlin)
    members = [mentee_in(program, **berlin), mentee_in(program, city="Hamburg", country="DE")]

    group = group_of(program, mentor, members)

    assert services.first_meeting_in_person_suggested(group) is False
    assert services.agreement_get_or_create(group).is_first_meeting_in_person is False


def test_three_members_need_all_four_confirmations(group_world):
    world = group_world
    group, mentor, ada, ben, cy = (world[k] for k in ("group", "mentor", "ada", "ben", "cy"))

    services.agreement_confirm(agreement=world["agreement"], by=mentor)

    assert status(group) == AgreementStatus.WAITING
    told = Notification.objects.filter(kind="agreement.confirmed")
    assert sorted(n.recipient_id for n in told) == sorted([ada.pk, ben.pk, cy.pk])
    assert {n.body for n in told} == {"Read it and confirm it too."}
    services.agreement_confirm(agreement=world["agreement"], by=ada)
    services.agreement_confirm(agreement=world["agreement"], by=ben)
    assert status(group) == AgreementStatus.WAITING
    assert waiting_for(group) == [cy.pk]
    # Those who confirmed hear who is still to confirm.
    to_mentor = (
        Notification.objects.filter(recipient=mentor, kind="agreement.confirmed")
        .order_by("pk")
        .last()
    )
    assert to_mentor.body == "Waiting for Cy Member."

    services.agreement_confirm(agreement=world["agreement"], by=cy)

    agreement = loaded(group)
    assert selectors.agreement_status(agreement) == AgreementStatus.AGREED
    assert agreement.last_agreed_revision == 1
    assert agreement.agreed_at is not None
    assert waiting_for(group) == []
    agreed = Notification.objects.filter(kind="agreement.agreed")
    assert sorted(n.recipient_id for n in agreed) == sorted([mentor.pk, ada.pk, ben.pk])
    assert AgreementConfirmation.objects.filter(agreement=agreement).count() == 4


def test_revising_the_shared_part_makes_everyone_confirm_again(group_world):
    world = group_world
    confirm_all(world)
    Notification.objects.all().delete()

    services.agreement_update_shared(
        agreement=world["agreement"], by=world["ben"], meeting_length_minutes=90
    )

    assert status(world["group"]) == AgreementStatus.REVISED
    assert loaded(world["group"]).revision == 2
    assert waiting_for(world["group"]) == [person.pk for person in everyone(world)]
    revised = Notification.objects.filter(kind="agreement.revised")
    assert sorted(n.recipient_id for n in revised) == sorted(
        [world["mentor"].pk, world["ada"].pk, world["cy"].pk]
    )
    confirm_all(world)
    assert status(world["group"]) == AgreementStatus.AGREED


def test_a_member_changing_their_part_after_agreeing_makes_a_new_revision(group_world):
    world = group_world
    confirm_all(world)

    services.agreement_update_part(
        agreement=world["agreement"], by=world["ada"], handle_kind="work", handle="@ada"
    )

    assert loaded(world["group"]).revision == 2
    assert status(world["group"]) == AgreementStatus.REVISED


def test_a_newcomer_makes_an_agreed_group_wait_for_them_only(group_world, client):
    world = group_world
    group = world["group"]
    confirm_all(world)
    newcomer = join(world)

    assert status(group) == AgreementStatus.WAITING
    assert waiting_for(group) == [newcomer.pk]
    assert not AgreementPart.objects.filter(user=newcomer).exists()

    # Their first look gives them a part; filling it in is no new revision for the others.
    client.force_login(newcomer)
    page = client.get(f"/mentorships/{group.pk}/agreement/")
    assert page.status_code == 200
    assert "Waiting for you" in page.content.decode()
    assert AgreementPart.objects.filter(user=newcomer, agreement=world["agreement"]).exists()
    services.agreement_update_part(
        agreement=world["agreement"], by=newcomer, handle_kind="personal", handle="@dee"
    )
    assert loaded(group).revision == 1
    assert waiting_for(group) == [newcomer.pk]

    services.agreement_confirm(agreement=world["agreement"], by=newcomer)

    agreement = loaded(group)
    assert selectors.agreement_status(agreement) == AgreementStatus.AGREED
    assert agreement.revision == 1
    assert AgreementConfirmation.objects.filter(agreement=agreement).count() == 5


def test_a_newcomer_changing_the_shared_part_makes_everyone_confirm_again(group_world):
    world = group_world
    confirm_all(world)
    newcomer = join(world)

    services.agreement_update_shared(
        agreement=world["agreement"], by=newcomer, meeting_cadence="weekly"
    )

    assert status(world["group"]) == AgreementStatus.REVISED
    assert len(waiting_for(world["group"])) == 5


def test_a_member_who_left_no_longer_counts_and_loses_access(group_world, client):
    world = group_world
    group, ada = world["group"], world["ada"]
    services.agreement_update_part(
        agreement=world["agreement"],
        by=ada,
        handle_kind="personal",
        handle="@ada-private",
        contact_hours_start=dt.time(7),
        contact_hours_end=dt.time(8),
    )
    confirm_all(world, [world["mentor"], world["ben"], world["cy"]])
    assert waiting_for(group) == [ada.pk]

    leave(group, ada)

    agreement = loaded(group)
    assert selectors.agreement_status(agreement) == AgreementStatus.AGREED
    assert ada.pk not in [part.user_id for part in selectors.agreement_parts(agreement)]
    assert AgreementPart.objects.filter(agreement=agreement, user=ada).exists()  # kept
    assert selectors.handles_visible_to(agreement=agreement, viewer=ada) == {}
    # Her hours in the group she left no longer hold her notifications.
    assert selectors.contact_hours_for(mentorship=fresh(group), user=ada) is None
    assert selectors.person_hours_for(user=ada) is None
    before = snapshot(agreement)
    with pytest.raises(PermissionDeniedError):
        services.agreement_update_part(agreement=agreement, by=ada, handle="@again")
    with pytest.raises(PermissionDeniedError):
        services.agreement_update_shared(agreement=agreement, by=ada, aims="Mine")
    with pytest.raises(PermissionDeniedError):
        services.agreement_confirm(agreement=agreement, by=ada)
    assert snapshot(agreement) == before
    client.force_login(ada)
    url = f"/mentorships/{group.pk}/agreement/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"section": "confirm"}).status_code == 404
    assert client.get(f"/api/v1{url.rstrip('/')}").status_code == 404
    assert snapshot(agreement) == before
    # The others no longer see her part or her handle.
    client.force_login(world["ben"])
    text = client.get(url).content.decode()
    assert "@ada-private" not in text
    assert "Ada Member's part" not in text
    assert "Ben Member's part" not in text  # the viewer's own part is a form
    assert "Maria Mentor's part (mentor)" in text


def test_contact_hours_for_is_per_person_in_a_group(group_world):
    world = group_world
    services.agreement_update_part(
        agreement=world["agreement"],
        by=world["ben"],
        contact_weekdays=[0, 2],
        contact_hours_start=dt.time(18),
        contact_hours_end=dt.time(20),
    )
    profile = world["cy"].profile
    profile.contact_hours_start, profile.contact_hours_end = dt.time(8), dt.time(9)
    profile.save()

    group = fresh(world["group"])

    assert selectors.contact_hours_for(mentorship=group, user=world["ben"]) == ContactHours(
        start=dt.time(18), end=dt.time(20), weekdays=frozenset({0, 2})
    )
    # Cy's part took no hours from the profile before they were set: the profile says.
    assert selectors.contact_hours_for(mentorship=group, user=world["cy"]) == ContactHours(
        start=dt.time(8), end=dt.time(9), weekdays=ALL_WEEKDAYS
    )
    assert selectors.contact_hours_for(mentorship=group, user=world["ada"]) is None


def test_a_bad_part_in_a_group_is_refused_and_nothing_changes(group_world):
    agreement = group_world["agreement"]
    before = snapshot(agreement)

    with pytest.raises(ValidationError):
        services.agreement_update_part(
            agreement=agreement,
            by=group_world["cy"],
            contact_hours_start=dt.time(18),
            contact_hours_end=dt.time(9),
        )

    assert snapshot(agreement) == before


# Handles ---------------------------------------------------------------------------------


@pytest.fixture
def handles(group_world):
    world = group_world
    for key, handle in (("mentor", "+49 30 111"), ("ada", "@ada-h"), ("ben", "@ben-h")):
        services.agreement_update_part(
            agreement=world["agreement"], by=world[key], handle_kind="work", handle=handle
        )
    return world


def test_handles_are_visible_to_the_group_only(handles):
    world = handles
    leave(world["group"], world["cy"])
    agreement = loaded(world["group"])

    seen_by_ada = selectors.handles_visible_to(agreement=agreement, viewer=world["ada"])
    seen_by_mentor = selectors.handles_visible_to(agreement=agreement, viewer=world["mentor"])

    assert {pk: handle.value for pk, handle in seen_by_ada.items()} == {
        world["mentor"].pk: "+49 30 111",
        world["ben"].pk: "@ben-h",
    }
    assert set(seen_by_mentor) == {world["ada"].pk, world["ben"].pk}
    for who in ("cy", "manager", "staff", "other_manager", "other_member", "outsider"):
        assert selectors.handles_visible_to(agreement=agreement, viewer=world[who]) == {}
    assert (
        selectors.partner_handle_for(mentorship=fresh(world["group"]), viewer=world["ada"]) is None
    )


HANDLE_ROLES = ["mentor", "ada", "cy", "manager", "staff"]


@pytest.mark.parametrize("role", HANDLE_ROLES)
def test_handles_on_the_page_and_in_the_api(client, handles, role):
    world = handles
    client.force_login(world[role])
    url = f"/mentorships/{world['group'].pk}/agreement/"

    text = client.get(url).content.decode()
    body = json.dumps(client.get(f"/api/v1{url.rstrip('/')}").json())

    is_participant = role in ("mentor", "ada", "cy")
    assert ("data-partner-handle>@ben-h (work)" in text) is is_participant
    assert ("@ben-h" in body) is is_participant
    assert ("@ada-h" in text) is is_participant
    assert ("data-partner-handle>@ada-h" in text) is (role in ("mentor", "cy"))


# Who may do what -------------------------------------------------------------------------

ROLES = [
    "anonymous",
    "member",
    "mentor",
    "former_member",
    "other_member",
    "other_manager",
    "manager",
    "staff",
]
# role → (page status, sees private fields, may write)
EXPECTED = {
    "anonymous": (302, False, False),
    "member": (200, True, True),
    "mentor": (200, True, True),
    "former_member": (404, False, False),
    "other_member": (404, False, False),
    "other_manager": (404, False, False),
    "manager": (200, False, False),
    "staff": (200, False, False),
}


@pytest.fixture
def roles(group_world):
    """Ada is the member, Cy left; the pair's aims and Ben's handle are private."""
    world = group_world
    services.agreement_update_part(
        agreement=world["agreement"], by=world["ben"], handle_kind="work", handle="@ben-secret"
    )
    services.agreement_update_shared(
        agreement=world["agreement"], by=world["ada"], aims="Secret ambition"
    )
    leave(world["group"], world["cy"])
    world["member"] = world["ada"]
    world["former_member"] = world["cy"]
    return world


def login(client, world, role):
    if role != "anonymous":
        client.force_login(world[role])


@pytest.mark.parametrize("role", ROLES)
def test_group_page(client, roles, role):
    world = roles
    status_code, sees_private, _ = EXPECTED[role]
    login(client, world, role)
    before = snapshot(world["agreement"])

    response = client.get(f"/mentorships/{world['group'].pk}/agreement/")

    assert response.status_code == status_code
    text = response.content.decode() if status_code == 200 else ""
    if status_code == 200:
        assert 'data-agreement-status="draft"' in text
        assert "Maria Mentor&#x27;s group" in text
        assert "your partner" not in text
    assert ("Secret ambition" in text) is sees_private
    assert ("@ben-secret" in text) is sees_private
    assert snapshot(world["agreement"]) == before


@pytest.mark.parametrize("role", ROLES)
def test_group_page_writes(client, roles, role):
    world = roles
    _, _, may_write = EXPECTED[role]
    login(client, world, role)
    url = f"/mentorships/{world['group'].pk}/agreement/"
    before = snapshot(world["agreement"])

    confirm = client.post(url, {"section": "confirm"})
    shared = client.post(
        url, {"section": "shared", "meeting_cadence": "weekly", "meeting_length_minutes": "30"}
    )

    if may_write:
        assert confirm.status_code == shared.status_code == 302
        assert AgreementConfirmation.objects.filter(user=world[role]).count() == 1
        assert Agreement.objects.get(pk=world["agreement"].pk).meeting_length_minutes == 30
    else:
        expected = {"anonymous": 302, "manager": 403, "staff": 403}.get(role, 404)
        assert confirm.status_code == shared.status_code == expected
        if role == "anonymous":
            assert "/accounts/login/" in confirm["Location"]
        assert snapshot(world["agreement"]) == before


@pytest.mark.parametrize("role", ROLES)
def test_group_api(client, roles, role):
    world = roles
    status_code, sees_private, may_write = EXPECTED[role]
    login(client, world, role)
    base = f"/api/v1/mentorships/{world['group'].pk}/agreement"
    before = snapshot(world["agreement"])

    read = client.get(base)
    shared = client.patch(base, json.dumps({"meeting_length_minutes": 30}), "application/json")
    part = client.patch(
        f"{base}/part",
        json.dumps({"handle": "mine", "handle_kind": "personal"}),
        "application/json",
    )
    confirm = client.post(f"{base}/confirm")

    statuses = {read.status_code, shared.status_code, part.status_code, confirm.status_code}
    if role == "anonymous":
        assert statuses == {401}
    elif status_code == 404:
        assert statuses == {404}
    else:
        assert read.status_code == 200
        body = read.json()
        assert body["status"] == "draft"
        assert body["is_group"] is True
        # Every current participant's part; Cy left.
        assert [p["user_id"] for p in body["parts"]] == [
            world["mentor"].pk,
            world["ada"].pk,
            world["ben"].pk,
        ]
        assert [p["display_name"] for p in body["waiting_for"]] == [
            "Maria Mentor",
            "Ada Member",
            "Ben Member",
        ]
        assert ("Secret ambition" in json.dumps(body)) is sees_private
        assert ("@ben-secret" in json.dumps(body)) is sees_private
        if not sees_private:
            assert {p["handle"] for p in body["parts"]} == {None}
    if may_write:
        assert shared.status_code == part.status_code == confirm.status_code == 200
        mine = next(p for p in part.json()["parts"] if p["user_id"] == world[role].pk)
        assert mine["handle"] == "mine"
        assert confirm.json()["status"] == "waiting"
        assert world[role].pk not in [p["user_id"] for p in confirm.json()["waiting_for"]]
    else:
        if status_code == 200:
            assert shared.status_code == part.status_code == confirm.status_code == 403
        assert snapshot(world["agreement"]) == before


# Queries ---------------------------------------------------------------------------------


def page_queries(client, size):
    program = group_program()
    mentor = mentor_in(program)
    members = [mentee_in(program, goals="<p>Grow</p>") for _ in range(size)]
    group = group_of(program, mentor, members)
    for person in [mentor, *members]:
        services.agreement_update_part(
            agreement=services.agreement_get_or_create(group),
            by=person,
            handle_kind="work",
            handle=f"@{person.pk}",
        )
        services.agreement_confirm(agreement=services.agreement_get_or_create(group), by=person)
    counts = {}
    for viewer, key in ((mentor, "mentor"), (members[0], "member")):
        client.force_login(viewer)
        url = f"/mentorships/{group.pk}/agreement/"
        assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as page:
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count("data-partner-handle>@") == size
        with CaptureQueriesContext(connection) as api:
            assert client.get(f"/api/v1{url.rstrip('/')}").status_code == 200
        counts[key] = (len(page.captured_queries), len(api.captured_queries))
    return counts


def test_the_page_and_api_queries_do_not_grow_with_the_group(client):
    assert page_queries(client, 1) == page_queries(client, 5)

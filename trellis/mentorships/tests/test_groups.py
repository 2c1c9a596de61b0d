"""Group mentorships: a mentor and a small group in a group program."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.core.errors import PermissionDeniedError
from trellis.mentorships import selectors, services
from trellis.mentorships.models import (
    GroupLeaveReason,
    GroupMember,
    Mentorship,
    MentorshipSource,
    MentorshipStatus,
)
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.mentorships.tests.helpers import kinds_for, snapshot
from trellis.programs.models import ProgramType
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def circle():
    """A group program (groups of three), its manager, two mentors and five mentees."""
    program = ProgramFactory(
        slug="circles", name="Circles", program_type=ProgramType.GROUP, default_mentor_capacity=3
    )
    manager = UserFactory()
    program.managers.add(manager)
    other_manager = UserFactory()
    ProgramFactory(slug="other-circles", managers=[other_manager])
    return {
        "program": program,
        "manager": manager,
        "other_manager": other_manager,
        "mentor": mentor_in(program, display_name="Maria Mentor"),
        "other_mentor": mentor_in(program, display_name="Olga Mentor"),
        "mentees": [
            mentee_in(program, display_name=name) for name in ("Ada", "Ben", "Cy", "Dee", "Eve")
        ],
        "outsider": UserFactory(),
        "staff": StaffFactory(),
    }


def join(circle, mentee, *, mentor=None, by=None, proposed=False, notify=False):
    return services.mentorship_start(
        program=circle["program"],
        mentor=mentor or circle["mentor"],
        mentee=mentee,
        source=MentorshipSource.MANAGER,
        score=64,
        reasons=[f"{mentee.display_name} wants to learn Python"],
        by=by,
        notify=notify,
        proposed=proposed,
    )


def group_of(circle, size, **kwargs):
    group = None
    for mentee in circle["mentees"][:size]:
        group = join(circle, mentee, **kwargs)
    return group


# Forming a group ---------------------------------------------------------------------------


def test_mentees_join_one_group_of_their_mentor(circle):
    first = join(circle, circle["mentees"][0])
    second = join(circle, circle["mentees"][1])
    assert first.pk == second.pk
    group = Mentorship.objects.get()
    assert group.is_group
    assert group.mentee is None
    assert group.status == MentorshipStatus.ACTIVE
    assert group.expected_end_on is not None
    assert [m.display_name for m in group.mentees()] == ["Ada", "Ben"]
    assert group.participant_ids() == [circle["mentor"].pk, *[m.pk for m in circle["mentees"][:2]]]
    member = GroupMember.objects.get(mentee=circle["mentees"][0])
    assert member.score == 64
    assert member.reasons == ["Ada wants to learn Python"]
    assert member.program == circle["program"]


def test_the_group_is_as_large_as_the_mentors_capacity(circle):
    group_of(circle, 3)
    before = snapshot()
    with pytest.raises(ValidationError, match="no places left"):
        join(circle, circle["mentees"][3])
    assert snapshot() == before
    # Another mentor leads a group of their own.
    other = join(circle, circle["mentees"][3], mentor=circle["other_mentor"])
    assert other.mentor == circle["other_mentor"]
    assert Mentorship.objects.filter(is_group=True).count() == 2


def test_a_mentee_is_in_one_group_per_program(circle):
    join(circle, circle["mentees"][0])
    before = snapshot()
    with pytest.raises(ValidationError, match="already has a mentor"):
        join(circle, circle["mentees"][0], mentor=circle["other_mentor"])
    assert snapshot() == before


def test_the_database_holds_the_group_rules(circle):
    group = join(circle, circle["mentees"][0])
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupMember.objects.create(
            mentorship=group,
            program=circle["program"],
            mentee=circle["mentees"][0],
            source=MentorshipSource.MANAGER,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Mentorship.objects.create(
            program=circle["program"],
            mentor=circle["mentor"],
            is_group=True,
            source=MentorshipSource.MANAGER,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Mentorship.objects.create(
            program=circle["program"],
            mentor=circle["other_mentor"],
            mentee=circle["mentees"][1],
            is_group=True,
            source=MentorshipSource.MANAGER,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupMember.objects.filter(pk=group.members.get().pk).update(
            left_at=group.started_at, left_reason=""
        )


def test_joining_tells_the_mentor_the_newcomer_and_the_members(circle):
    ada, ben = circle["mentees"][:2]
    join(circle, ada, notify=True)
    join(circle, ben, notify=True)
    assert kinds_for(circle["mentor"]) == ["mentorship.joined", "mentorship.joined"]
    assert kinds_for(ada) == ["mentorship.started", "mentorship.joined"]
    assert kinds_for(ben) == ["mentorship.started"]


def test_a_request_accepted_in_a_group_program_joins_the_group(circle):
    ada, ben = circle["mentees"][:2]
    join(circle, ada)
    request = services.request_send(
        program=circle["program"], mentee=ben, mentor=circle["mentor"], message="May I join?"
    )
    group = services.request_accept(request=request, by=circle["mentor"])
    assert group.is_group
    assert group.mentee_ids() == [ada.pk, ben.pk]


def test_matching_sees_members_as_taken_places(circle):
    program = circle["program"]
    group_of(circle, 2)
    join(circle, circle["mentees"][2], mentor=circle["other_mentor"])
    assert selectors.active_mentorship_counts(program=program) == {
        circle["mentor"].pk: 2,
        circle["other_mentor"].pk: 1,
    }
    assert selectors.active_mentee_ids(program=program) == {m.pk for m in circle["mentees"][:3]}


def test_a_proposed_group_waits_for_the_mentor_only(circle):
    ada, ben = circle["mentees"][:2]
    group = join(circle, ada, by=circle["manager"], proposed=True)
    assert group.status == MentorshipStatus.PROPOSED
    assert group.expected_end_on is None
    join(circle, ben, by=circle["manager"], proposed=True)
    assert selectors.mentorship_actions_for(mentorship=group, user=ada) == ["leave"]
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        services.mentorship_confirm(mentorship=group, by=ada)
    with pytest.raises(PermissionDeniedError):
        services.mentorship_confirm(mentorship=group, by=circle["manager"])
    assert snapshot() == before
    services.mentorship_confirm(mentorship=group, by=circle["mentor"])
    group.refresh_from_db()
    assert group.status == MentorshipStatus.ACTIVE
    assert group.expected_end_on is not None


# Leaving, removing, finishing ------------------------------------------------------------------


def test_a_member_leaves_and_the_group_goes_on(circle):
    ada, ben, cy, dee = circle["mentees"][:4]
    group = group_of(circle, 3)
    services.group_leave(mentorship=group, by=ada, reason=GroupLeaveReason.NO_TIME, note="")
    group.refresh_from_db()
    assert group.status == MentorshipStatus.ACTIVE
    assert group.mentee_ids() == [ben.pk, cy.pk]
    left = GroupMember.objects.get(mentee=ada)
    assert left.left_at is not None
    assert left.left_reason == GroupLeaveReason.NO_TIME
    # The place is free again, and the leaver may join another group.
    join(circle, dee)
    join(circle, ada, mentor=circle["other_mentor"])
    # The leaver may still read the group's page, but take no step on it.
    assert selectors.mentorship_can_view(mentorship=group, user=ada)
    assert selectors.mentorship_role(mentorship=group, user=ada) is None
    assert "mentorship.left" in kinds_for(circle["mentor"])
    assert "mentorship.left" in kinds_for(circle["manager"])
    assert "mentorship.left" in kinds_for(ben)
    assert "mentorship.left" not in kinds_for(ada)


def test_leaving_needs_a_reason_and_a_note_for_other(circle):
    group = group_of(circle, 2)
    ada = circle["mentees"][0]
    before = snapshot()
    with pytest.raises(ValidationError, match="Choose why"):
        services.group_leave(mentorship=group, by=ada, reason="", note="")
    with pytest.raises(ValidationError, match="Say why"):
        services.group_leave(mentorship=group, by=ada, reason=GroupLeaveReason.OTHER, note=" ")
    with pytest.raises(ValidationError, match="Choose why"):
        services.group_leave(mentorship=group, by=ada, reason=GroupLeaveReason.REMOVED, note="x")
    assert snapshot() == before


def test_the_mentor_or_a_manager_takes_a_member_out(circle):
    ada, ben = circle["mentees"][:2]
    group = group_of(circle, 2)
    services.group_member_remove(
        mentorship=group, mentee=ada, by=circle["manager"], note="Moved to another team"
    )
    member = GroupMember.objects.get(mentee=ada)
    assert member.left_reason == GroupLeaveReason.REMOVED
    assert member.left_note == "Moved to another team"
    assert "mentorship.removed" in kinds_for(ada)
    before = snapshot()
    with pytest.raises(ValidationError, match="why, in a few words"):
        services.group_member_remove(mentorship=group, mentee=ben, by=circle["mentor"], note="")
    with pytest.raises(ValidationError, match="not in this group"):
        services.group_member_remove(mentorship=group, mentee=ada, by=circle["mentor"], note="x")
    assert snapshot() == before


def test_finishing_the_group_lets_everyone_go(circle):
    ada, ben, cy = circle["mentees"][:3]
    group = group_of(circle, 3)
    services.mentorship_complete(mentorship=group, by=circle["mentor"], note="Great cohort")
    group.refresh_from_db()
    assert group.status == MentorshipStatus.COMPLETED
    assert set(
        GroupMember.objects.filter(mentorship=group).values_list("left_reason", flat=True)
    ) == {GroupLeaveReason.GROUP_FINISHED}
    # Everyone was told, though they have just left.
    for mentee in (ada, ben, cy):
        assert "mentorship.completed" in kinds_for(mentee)
    # The mentor may lead a new group; the members may join one.
    new = join(circle, ada)
    assert new.pk != group.pk
    assert selectors.mentorship_list_for_user(user=ben) == []
    assert [m.pk for m in selectors.mentorship_list_for_user(user=ben, include_ended=True)] == [
        group.pk
    ]


@pytest.mark.parametrize(
    ("action", "kwargs"),
    [
        ("pause", {}),
        ("complete", {}),
        ("end", {"reason": "no_time"}),
        ("extend", {"until": "2099-01-01"}),
        ("rematch", {}),
    ],
)
def test_members_may_only_leave(circle, action, kwargs):
    group = group_of(circle, 2)
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        getattr(services, f"mentorship_{action}")(
            mentorship=group, by=circle["mentees"][0], **kwargs
        )
    with pytest.raises(PermissionDeniedError):
        services.group_member_remove(
            mentorship=group, mentee=circle["mentees"][1], by=circle["mentees"][0], note="x"
        )
    assert snapshot() == before


@pytest.mark.parametrize("who", ["outsider", "other_manager", "other_mentor", "former", "mentor"])
def test_others_may_not_leave_or_remove(circle, who):
    group = group_of(circle, 3)
    if who == "former":
        services.group_leave(mentorship=group, by=circle["mentees"][2], reason="no_time")
        person = circle["mentees"][2]
    else:
        person = circle[who]
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        services.group_leave(mentorship=group, by=person, reason="no_time")
    if who != "mentor":
        with pytest.raises(PermissionDeniedError):
            services.group_member_remove(
                mentorship=group, mentee=circle["mentees"][0], by=person, note="x"
            )
    assert snapshot() == before


def test_a_group_is_not_rematched_and_a_pair_is_not_left(circle, world):
    group = group_of(circle, 1)
    with pytest.raises(ValidationError, match="not rematched"):
        services.mentorship_rematch(mentorship=group, by=circle["mentor"])
    pair = services.mentorship_start(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["mentee"],
        source=MentorshipSource.MANAGER,
        score=None,
        reasons=[],
        by=None,
        notify=False,
    )
    with pytest.raises(ValidationError, match="pair ends"):
        services.group_leave(mentorship=pair, by=world["mentee"], reason="no_time")
    assert selectors.mentorship_actions_for(mentorship=pair, user=world["mentee"]) == [
        "pause",
        "complete",
        "end",
        "extend",
        "rematch",
    ]


def test_mentor_and_manager_actions_on_a_group(circle):
    group = group_of(circle, 2)
    expected = ["pause", "complete", "end", "extend", "remove"]
    assert selectors.mentorship_actions_for(mentorship=group, user=circle["mentor"]) == expected
    assert selectors.mentorship_actions_for(mentorship=group, user=circle["manager"]) == expected
    assert selectors.mentorship_actions_for(mentorship=group, user=circle["outsider"]) == []


# Pages and API -------------------------------------------------------------------------------


def test_the_group_page_for_a_member(client, circle):
    group = group_of(circle, 3)
    client.force_login(circle["mentees"][0])
    page = client.get(f"/mentorships/{group.pk}/").content.decode()
    assert "<h1>Maria Mentor's group</h1>" in page
    assert "Ada</a> (you)" in page
    assert "Ben" in page
    assert "Cy" in page
    assert "Ada wants to learn Python" in page
    # Other members' match reasons are theirs.
    assert "Ben wants to learn Python" not in page
    assert "Leave the group" in page
    assert "Take a member out" not in page


def test_the_group_page_for_the_mentor_and_after_leaving(client, circle):
    group = group_of(circle, 2)
    client.force_login(circle["mentor"])
    page = client.get(f"/mentorships/{group.pk}/").content.decode()
    assert "Your group" in page
    assert "Ben wants to learn Python" in page
    assert "Take a member out of the group" in page
    services.group_leave(mentorship=group, by=circle["mentees"][1], reason="goals_met")
    page = client.get(f"/mentorships/{group.pk}/").content.decode()
    assert "Former members" in page
    assert "Ben: goals met early" in page


def test_leaving_from_the_page(client, circle):
    group = group_of(circle, 2)
    ada = circle["mentees"][0]
    client.force_login(ada)
    before = snapshot()
    refused = client.post(f"/mentorships/{group.pk}/leave/", {"reason": "", "note": ""})
    assert refused.status_code == 422
    assert "Choose why you leave the group." in refused.content.decode()
    assert snapshot() == before
    done = client.post(f"/mentorships/{group.pk}/leave/", {"reason": "no_time", "note": ""})
    assert done.status_code == 302
    assert not GroupMember.objects.get(mentee=ada).is_current


def test_removing_from_the_page(client, circle):
    group = group_of(circle, 2)
    client.force_login(circle["mentor"])
    refused = client.post(f"/mentorships/{group.pk}/remove/", {"mentee": "", "note": ""})
    assert refused.status_code == 422
    outsider = client.post(
        f"/mentorships/{group.pk}/remove/", {"mentee": circle["outsider"].pk, "note": "x"}
    )
    assert outsider.status_code == 422
    done = client.post(
        f"/mentorships/{group.pk}/remove/", {"mentee": circle["mentees"][1].pk, "note": "Moved"}
    )
    assert done.status_code == 302
    assert group.mentee_ids() == [circle["mentees"][0].pk]


@pytest.mark.parametrize(
    ("who", "status"),
    [("outsider", 404), ("other_manager", 404), ("other_mentor", 404), ("staff", 200)],
)
def test_group_page_authorization(client, circle, who, status):
    group = group_of(circle, 2)
    client.force_login(circle[who])
    assert client.get(f"/mentorships/{group.pk}/").status_code == status
    before = snapshot()
    response = client.post(f"/mentorships/{group.pk}/leave/", {"reason": "no_time"})
    assert response.status_code in (403, 404)
    assert snapshot() == before


def test_the_api_shows_a_group(client, circle):
    group = group_of(circle, 2)
    client.force_login(circle["mentees"][0])
    body = client.get(f"/api/v1/mentorships/{group.pk}").json()
    assert body["is_group"] is True
    assert body["mentee"] is None
    assert [m["mentee"]["display_name"] for m in body["members"]] == ["Ada", "Ben"]
    assert body["members"][0]["reasons"] == ["Ada wants to learn Python"]
    assert body["members"][1]["reasons"] == []
    assert body["members"][1]["score"] is None
    client.force_login(circle["mentor"])
    body = client.get(f"/api/v1/mentorships/{group.pk}").json()
    assert body["members"][1]["reasons"] == ["Ben wants to learn Python"]


def test_leave_and_remove_over_the_api(client, circle):
    group = group_of(circle, 3)
    ada, ben, cy = circle["mentees"][:3]
    client.force_login(ada)
    before = snapshot()
    refused = client.post(
        f"/api/v1/mentorships/{group.pk}/remove",
        data=json.dumps({"mentee_id": ben.pk, "note": "x"}),
        content_type="application/json",
    )
    assert refused.status_code == 403
    bad = client.post(
        f"/api/v1/mentorships/{group.pk}/leave",
        data=json.dumps({"reason": "bored"}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert snapshot() == before
    left = client.post(
        f"/api/v1/mentorships/{group.pk}/leave",
        data=json.dumps({"reason": "no_time"}),
        content_type="application/json",
    )
    assert left.status_code == 200
    client.force_login(circle["mentor"])
    removed = client.post(
        f"/api/v1/mentorships/{group.pk}/remove",
        data=json.dumps({"mentee_id": ben.pk, "note": "Moved teams"}),
        content_type="application/json",
    )
    assert removed.status_code == 200
    assert [m["mentee"]["id"] for m in removed.json()["members"]] == [cy.pk]


@pytest.mark.parametrize("url", ["/mentorships/{id}/", "/mentorships/", "/", "/api/v1/mentorships"])
def test_group_pages_queries_do_not_grow_with_the_group(client, circle, url):
    program = circle["program"]
    program.default_mentor_capacity = 10
    program.save()
    group = group_of(circle, 1)
    client.force_login(circle["mentor"])
    path = url.format(id=group.pk)

    def count():
        with CaptureQueriesContext(connection) as context:
            assert client.get(path).status_code == 200
        return len(context.captured_queries)

    few = count()
    for mentee in circle["mentees"][1:]:
        join(circle, mentee)
    for _ in range(3):
        join(circle, mentee_in(program))
    services.group_leave(mentorship=group, by=circle["mentees"][1], reason="no_time")
    assert count() == few


def test_peers_see_each_other_as_peers(client):
    from trellis.mentorships.tests.factories import participant
    from trellis.programs.models import Role

    program = ProgramFactory(slug="peers", program_type=ProgramType.PEER)
    one = participant(program, Role.BOTH, display_name="Una Peer")
    two = participant(program, Role.BOTH, display_name="Dos Peer")
    pair = services.mentorship_start(
        program=program,
        mentor=one,
        mentee=two,
        source=MentorshipSource.MANAGER,
        score=None,
        reasons=[],
        by=None,
        notify=False,
    )
    client.force_login(two)
    assert "<h1>Una Peer, your peer</h1>" in client.get(f"/mentorships/{pair.pk}/").content.decode()
    assert "your peer in" in client.get("/").content.decode()

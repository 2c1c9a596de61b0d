"""The demo data: size, variety, determinism, idempotency and usable logins."""

from __future__ import annotations

import zoneinfo
from io import StringIO
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from trellis.accounts.models import User
from trellis.accounts.tests.factories import UserFactory
from trellis.demo.services import (
    DEMO_ORGANISATION_SLUG,
    DEMO_PASSWORD,
    MANAGER_EMAIL,
    STAFF_EMAIL,
    demo_build,
    demo_delete,
    demo_load,
    mentee_email,
    mentor_email,
)
from trellis.mentorships.models import GroupMember, Mentorship
from trellis.notifications.models import Notification
from trellis.profiles.models import AvailabilityWindow, Profile
from trellis.programs.models import (
    Enrollment,
    EnrollmentMode,
    EnrollmentStatus,
    IntakeAnswer,
    IntakeQuestion,
    Organisation,
    Program,
    ProgramType,
    QuestionKind,
    Role,
)

pytestmark = pytest.mark.django_db

MODELS = (
    User,
    EmailAddress,
    Profile,
    AvailabilityWindow,
    Organisation,
    Program,
    IntakeQuestion,
    Enrollment,
    IntakeAnswer,
    Notification,
    Mentorship,
    GroupMember,
)


def _row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _snapshot() -> dict[str, Any]:
    """Everything the seed decides, keyed by email so database ids do not matter."""
    profiles = {}
    for profile in Profile.objects.select_related("user", "manager").prefetch_related(
        "availability"
    ):
        profiles[profile.user.email] = {
            "display_name": profile.display_name,
            "pronouns": profile.pronouns,
            "headline": profile.headline,
            "bio": profile.bio,
            "time_zone": profile.time_zone,
            "languages": profile.languages,
            "city": profile.city,
            "country": str(profile.country),
            "organisation": profile.organisation,
            "department": profile.department,
            "manager": profile.manager.email if profile.manager else None,
            "seniority": profile.seniority,
            "skills_offered": profile.skills_offered,
            "skills_sought": profile.skills_sought,
            "interests": profile.interests,
            "values": profile.values,
            "goals": profile.goals,
            "communication_modes": profile.communication_modes,
            "contact_hours": (profile.contact_hours_start, profile.contact_hours_end),
            "quiet_hours": (profile.quiet_hours_start, profile.quiet_hours_end),
            "meeting_frequency": profile.meeting_frequency,
            "availability": [
                (window.weekday, window.start_time, window.end_time)
                for window in profile.availability.all()
            ],
        }
    enrollments = sorted(
        Enrollment.objects.values_list(
            "program__slug", "user__email", "role", "status", "mentor_capacity", "decision_note"
        )
    )
    answers = sorted(
        (email, label, repr(value))
        for email, label, value in IntakeAnswer.objects.values_list(
            "enrollment__user__email", "question__label", "value"
        )
    )
    return {"profiles": profiles, "enrollments": enrollments, "answers": answers}


def test_demo_has_the_promised_people_and_programs():
    result = demo_build()

    assert result.created is True
    assert result.organisation.slug == DEMO_ORGANISATION_SLUG
    assert User.objects.filter(email__startswith="mentor").count() == 40
    assert User.objects.filter(email__startswith="mentee").count() == 120
    assert User.objects.count() == 162
    assert Profile.objects.count() == 162
    assert User.objects.filter(profile__isnull=True).count() == 0
    assert User.objects.get(email=STAFF_EMAIL).is_staff is True
    assert User.objects.filter(is_staff=True).count() == 1

    engineering = Program.objects.get(slug="global-engineering-mentoring")
    leaders = Program.objects.get(slug="leaders-across-borders")
    assert (engineering.program_type, engineering.enrollment_mode) == (
        ProgramType.ONE_TO_ONE,
        EnrollmentMode.APPLICATION,
    )
    assert (leaders.program_type, leaders.enrollment_mode) == (
        ProgramType.PEER,
        EnrollmentMode.OPEN,
    )
    manager = User.objects.get(email=MANAGER_EMAIL)
    circles = Program.objects.get(slug="engineering-leadership-circles")
    assert circles.program_type == ProgramType.GROUP
    assert list(manager.managed_programs.order_by("slug")) == [circles, engineering, leaders]
    group = circles.mentorships.get()
    assert group.is_group
    assert len(group.mentee_ids()) == 4
    assert circles.enrollments.filter(status=EnrollmentStatus.APPROVED).count() == 25
    assert sorted(engineering.intake_questions.values_list("kind", flat=True)) == sorted(
        [
            QuestionKind.SINGLE_CHOICE,
            QuestionKind.MULTIPLE_CHOICE,
            QuestionKind.TEXT,
            QuestionKind.SCALE,
        ]
    )
    assert engineering.intake_questions.get(kind=QuestionKind.TEXT).is_required is True

    statuses = {
        status: engineering.enrollments.filter(status=status).count()
        for status in EnrollmentStatus.values
    }
    assert statuses == {"pending": 16, "approved": 100, "declined": 4, "left": 0}
    assert engineering.enrollments.filter(role=Role.MENTOR).count() == 30
    assert engineering.enrollments.filter(role=Role.MENTEE).count() == 90
    assert leaders.enrollments.filter(role=Role.BOTH).count() == leaders.enrollments.count()
    assert leaders.enrollments.filter(status=EnrollmentStatus.PENDING).count() == 0
    # The printed mentor and mentee logins land somewhere useful.
    for email in (mentor_email(1), mentee_email(1)):
        assert engineering.enrollments.get(user__email=email).status == "approved"
        assert leaders.enrollments.filter(user__email=email).exists()
    # Every application carries its answers, so the manager has something to review.
    required = engineering.intake_questions.filter(is_required=True)
    for enrollment in engineering.enrollments.all():
        assert enrollment.answers.filter(question__in=required).count() == 2


def test_demo_profiles_are_varied_and_valid():
    demo_build()

    profiles = list(Profile.objects.prefetch_related("availability"))
    zones = {profile.time_zone for profile in profiles}
    languages = {code for profile in profiles for code in profile.languages}
    continents = {zone.split("/")[0] for zone in zones}
    assert len(zones) >= 6
    assert continents >= {"Africa", "America", "Asia", "Europe"}
    assert zones <= zoneinfo.available_timezones()
    assert len(languages) >= 5
    assert all(len(code) == 2 and code.islower() for code in languages)
    assert len({profile.display_name for profile in profiles}) == len(profiles)
    assert len({str(profile.country) for profile in profiles}) >= 10
    assert {profile.pronouns for profile in profiles} >= {"she/her", "he/him", "they/them", ""}
    assert Profile.objects.filter(manager__isnull=False).exists()
    for profile in profiles:
        assert profile.headline
        assert profile.bio
        assert profile.goals
        assert profile.skills_offered
        assert profile.communication_modes
        assert profile.contact_hours_start < profile.contact_hours_end
        assert len(profile.availability.all()) >= 2
        profile.full_clean()
    for window in AvailabilityWindow.objects.all():
        window.full_clean()
    for enrollment in Enrollment.objects.all():
        enrollment.full_clean()
    for program in Program.objects.all():
        program.full_clean()


def test_demo_is_deterministic_across_rebuilds():
    demo_build(seed=7)
    first = _snapshot()

    demo_load(seed=7, reset=True)
    second = _snapshot()

    assert len(first["profiles"]) == 162
    assert second == first
    demo_load(seed=8, reset=True)
    assert _snapshot()["profiles"] != first["profiles"]


def test_demo_load_twice_adds_nothing():
    first = demo_load()
    counts = _row_counts()
    organisation_id = first.organisation.pk

    second = demo_load()

    assert first.created is True
    assert second.created is False
    assert second.organisation.pk == organisation_id
    assert _row_counts() == counts


def test_reset_rebuilds_the_demo_and_leaves_other_data_alone():
    outsider = UserFactory(email="someone@example.org")
    demo_load()
    organisation_id = Organisation.objects.get(slug=DEMO_ORGANISATION_SLUG).pk
    Profile.objects.filter(user__email=mentee_email(1)).update(display_name="Changed")
    counts = _row_counts()

    result = demo_load(reset=True)

    assert result.created is True
    assert result.organisation.pk != organisation_id
    assert _row_counts() == counts
    assert Profile.objects.get(user__email=mentee_email(1)).display_name != "Changed"
    assert User.objects.filter(pk=outsider.pk).exists()

    assert demo_delete() == 162
    assert list(User.objects.all()) == [outsider]
    assert Organisation.objects.count() == 0


def test_demo_accounts_can_sign_in(client):
    demo_build()

    users = User.objects.filter(email__endswith="@demo.trellis.test")
    assert len({user.password for user in users}) == 1  # hashed once for everyone
    assert users.get(email=mentee_email(120)).check_password(DEMO_PASSWORD) is True
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == 162

    response = client.post("/accounts/login/", {"login": MANAGER_EMAIL, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").status_code == 200


def test_demo_load_command_prints_logins_and_is_idempotent():
    output = StringIO()
    call_command("demo_load", stdout=output)
    first = output.getvalue()
    counts = _row_counts()

    output = StringIO()
    call_command("demo_load", stdout=output)
    second = output.getvalue()

    assert "created" in first
    assert "already exists" in second
    for text in (first, second):
        for login in (MANAGER_EMAIL, STAFF_EMAIL, mentor_email(1), mentee_email(1), "trellis-demo"):
            assert login in text
    assert _row_counts() == counts

    call_command("demo_load", "--reset", stdout=StringIO())
    assert _row_counts() == counts


def test_load_rebuilds_when_the_organisation_was_deleted_but_accounts_remain():
    demo_load()
    organisation = Organisation.objects.get(slug=DEMO_ORGANISATION_SLUG)
    Program.objects.filter(organisation=organisation).delete()
    organisation.delete()
    assert User.objects.count() == 162

    result = demo_load()

    assert result.created is True
    assert User.objects.count() == 162
    assert Program.objects.count() == 3

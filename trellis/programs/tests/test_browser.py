"""Joining a program and reviewing applications, as people do it in a browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from trellis.accounts.tests.factories import UserFactory
from trellis.core.tests.browser import sign_in
from trellis.programs.models import (
    Enrollment,
    EnrollmentMode,
    EnrollmentStatus,
    QuestionAudience,
    QuestionKind,
    Role,
)
from trellis.programs.tests.factories import (
    EnrollmentFactory,
    IntakeQuestionFactory,
    InvitationFactory,
    ProgramFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_person_applies_as_mentee_answering_intake_questions(page, assert_accessible):
    program = ProgramFactory(
        name="Women in Engineering",
        slug="wie",
        enrollment_mode=EnrollmentMode.APPLICATION,
        managers=[UserFactory()],
    )
    track = IntakeQuestionFactory(
        program=program,
        kind=QuestionKind.SINGLE_CHOICE,
        label="Which track?",
        choices=["Backend", "Frontend"],
        is_required=True,
    )
    goals = IntakeQuestionFactory(
        program=program,
        kind=QuestionKind.TEXT,
        label="What do you hope to learn?",
        audience=QuestionAudience.MENTEES,
        is_required=True,
    )
    IntakeQuestionFactory(
        program=program,
        kind=QuestionKind.TEXT,
        label="How many years have you mentored?",
        audience=QuestionAudience.MENTORS,
    )
    person = UserFactory(email="ada@example.org")
    sign_in(page, person.email)

    page.get_by_role("link", name="Programs", exact=True).click()
    expect(page.get_by_role("heading", name="Programs")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Join Women in Engineering").click()
    expect(page.get_by_role("heading", name="Join Women in Engineering")).to_be_visible()
    assert_accessible(page)

    # Choosing a role shows only the questions asked of it.
    expect(page.get_by_label("How many years have you mentored?")).to_be_visible()
    page.get_by_label("I want to join as").select_option("mentee")
    expect(page.get_by_label("How many years have you mentored?")).to_be_hidden()
    page.get_by_label("I want to join as").select_option("mentor")
    expect(page.get_by_label("What do you hope to learn?")).to_be_hidden()
    page.get_by_label("I want to join as").select_option("mentee")

    # Sending without the required answers says what is missing and keeps the role.
    page.get_by_role("button", name="Send application").click()
    expect(page.get_by_text("This question needs an answer.")).to_have_count(2)
    expect(page.get_by_label("How many years have you mentored?")).to_be_hidden()
    assert_accessible(page)

    page.get_by_label("Backend").check()
    page.get_by_label("What do you hope to learn?").fill("Designing APIs")
    page.get_by_role("button", name="Send application").click()

    expect(page).to_have_url(re.compile(r"/programs/wie/$"))
    expect(page.get_by_text("Your application was sent.")).to_be_visible()
    expect(page.get_by_text("Applied, waiting for approval")).to_be_visible()
    assert_accessible(page)
    enrollment = Enrollment.objects.get(user=person)
    assert (enrollment.role, enrollment.status) == (Role.MENTEE, EnrollmentStatus.PENDING)
    assert dict(enrollment.answers.values_list("question_id", "value")) == {
        track.pk: "Backend",
        goals.pk: "Designing APIs",
    }


def test_manager_filters_and_approves_two_applications_in_bulk(page, assert_accessible):
    manager = UserFactory(email="manager@example.org")
    program = ProgramFactory(name="Garden", slug="garden", managers=[manager])
    first = EnrollmentFactory(
        program=program, user=UserFactory(email="ada@example.org"), status="pending"
    )
    second = EnrollmentFactory(
        program=program, user=UserFactory(email="grace@example.org"), status="pending"
    )
    untouched = EnrollmentFactory(
        program=program, user=UserFactory(email="linus@example.org"), status="pending"
    )
    EnrollmentFactory(program=program, user=UserFactory(email="bob@example.org"))
    sign_in(page, manager.email)

    page.goto("/programs/garden/manage/participants/")
    expect(page.get_by_role("heading", name="Participants")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Status").select_option("pending")
    expect(page.get_by_role("cell", name="bob@example.org")).to_have_count(0)
    expect(page.get_by_role("cell", name="linus@example.org")).to_be_visible()

    page.get_by_label("Select ada").check()
    page.get_by_label("Select grace").check()
    page.get_by_role("button", name="Approve selected").click()

    expect(page.get_by_text("Approved 2 people.")).to_be_visible()
    expect(page.get_by_role("cell", name="ada@example.org")).to_have_count(0)
    expect(page.get_by_role("cell", name="linus@example.org")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Status").select_option("approved")
    row = page.locator("tr", has=page.get_by_role("cell", name="grace@example.org"))
    expect(row.get_by_text("Approved")).to_be_visible()
    assert_accessible(page)

    statuses = dict(Enrollment.objects.values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == EnrollmentStatus.APPROVED
    assert statuses[untouched.pk] == EnrollmentStatus.PENDING


def test_manager_pages_and_invitation_page_are_accessible(page, assert_accessible):
    manager = UserFactory(email="manager@example.org", is_staff=True)
    program = ProgramFactory(name="Garden", slug="garden", managers=[manager])
    IntakeQuestionFactory(program=program, kind=QuestionKind.TEXT, label="Why join?")
    IntakeQuestionFactory(
        program=program, kind=QuestionKind.SCALE, label="How sure?", is_required=True
    )
    invitation = InvitationFactory(program=program, email="manager@example.org")
    sign_in(page, manager.email)
    for path, heading in [
        ("/programs/garden/", "Garden"),
        ("/programs/garden/manage/", "Program settings"),
        ("/programs/garden/manage/questions/", "Intake questions"),
        ("/programs/garden/manage/invitations/", "Invitations"),
        ("/programs/manage/new/", "New program"),
        (f"/programs/invitations/{invitation.token}/", "You are invited to Garden"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        assert_accessible(page)
    page.get_by_role("button", name="Accept invitation").click()
    expect(page.get_by_text("Welcome to Garden!")).to_be_visible()

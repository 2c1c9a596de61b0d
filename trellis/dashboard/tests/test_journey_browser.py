"""The first journey of a new mentee, end to end in a real browser.

Sign up, open the verification email, verify, fill the profile, apply to a program as a
mentee; the manager approves; the new mentee sees the program on the dashboard.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from trellis.accounts.models import User
from trellis.accounts.tests.factories import UserFactory
from trellis.core.tests.browser import collect_console_errors, sign_in
from trellis.programs.models import Enrollment, EnrollmentMode, EnrollmentStatus, QuestionKind
from trellis.programs.tests.factories import IntakeQuestionFactory, ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "violet-harbour-lantern-73"


def test_new_mentee_signs_up_joins_and_is_approved(
    page, browser, live_server_url, assert_accessible
):
    manager = UserFactory(email="manager@example.org")
    program = ProgramFactory(
        name="Global Engineering Mentoring",
        slug="gem",
        enrollment_mode=EnrollmentMode.APPLICATION,
        managers=[manager],
    )
    IntakeQuestionFactory(
        program=program,
        kind=QuestionKind.TEXT,
        label="What do you want to achieve?",
        is_required=True,
    )

    # Sign up.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert_accessible(page)
    page.get_by_role("link", name="Sign up", exact=True).first.click()
    expect(page.get_by_role("heading", name="Sign Up")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email").fill("amara@example.org")
    page.get_by_label("Password:", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    assert_accessible(page)

    # Open the verification email captured from the email backend.
    verification = [m for m in mail.outbox if m.to == ["amara@example.org"]]
    assert len(verification) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", verification[0].body)
    assert link, verification[0].body
    path = re.sub(r"^https?://[^/]+", "", link.group(0))
    page.goto(path)
    expect(page.get_by_role("heading", name="Confirm Email Address")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()

    # Verified and signed in: the dashboard asks for a profile.
    expect(page.get_by_role("heading", name="Complete your profile")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Fill in your profile").click()
    page.get_by_label("Display name").fill("Amara Okafor")
    page.get_by_label("Pronouns").fill("she/her")
    page.get_by_label("Headline").fill("Junior backend developer")
    page.get_by_label("Time zone").select_option("Africa/Lagos")
    page.get_by_label("English").check()
    page.get_by_label("Skills you want to build").fill("system design, go")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    assert_accessible(page)

    # Apply to the program as a mentee.
    page.get_by_role("link", name="Programs", exact=True).click()
    page.get_by_role("link", name="Join Global Engineering Mentoring").click()
    page.get_by_label("I want to join as").select_option("mentee")
    page.get_by_label("What do you want to achieve?").fill("Lead a service <b>end to end</b>")
    assert_accessible(page)
    page.get_by_role("button", name="Send application").click()
    expect(page.get_by_text("Your application was sent.")).to_be_visible()
    amara = User.objects.get(email="amara@example.org")
    enrollment = Enrollment.objects.get(user=amara, program=program)
    assert enrollment.status == EnrollmentStatus.PENDING
    assert enrollment.role == "mentee"

    # The manager, in another browser, approves the application.
    manager_context = browser.new_context(base_url=live_server_url)
    manager_page = manager_context.new_page()
    manager_errors = collect_console_errors(manager_page)
    sign_in(manager_page, manager.email)
    expect(manager_page.get_by_text("1 waiting for review")).to_be_visible()
    assert_accessible(manager_page)
    manager_page.get_by_role("link", name="Global Engineering Mentoring").click()
    expect(manager_page.get_by_role("heading", name="Participants")).to_be_visible()
    manager_page.get_by_role("button", name="Approve Amara Okafor").click()
    expect(manager_page.get_by_role("cell", name="amara@example.org")).to_be_visible()
    assert_accessible(manager_page)
    manager_context.close()
    assert manager_errors == []
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.APPROVED
    assert enrollment.decided_by == manager

    # The new mentee sees the program on the dashboard, and the notification.
    page.goto("/")
    programs = page.locator("[data-my-programs]")
    expect(programs.get_by_role("link", name="Global Engineering Mentoring")).to_be_visible()
    expect(programs.get_by_text("Approved")).to_be_visible()
    expect(page.locator("[data-bell-count]")).to_have_text("1")
    assert_accessible(page)

"""A group: a member finds it on the dashboard, the mentor takes one out, another leaves."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from trellis.accounts.tests.factories import UserFactory
from trellis.core.tests.browser import sign_in
from trellis.mentorships import services
from trellis.mentorships.models import GroupMember, MentorshipSource
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.programs.models import ProgramType
from trellis.programs.tests.factories import ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_group_its_members_and_leaving(page, assert_accessible):
    manager = UserFactory()
    program = ProgramFactory(
        name="Leadership Circles",
        slug="circles",
        program_type=ProgramType.GROUP,
        default_mentor_capacity=4,
        managers=[manager],
    )
    mentor = mentor_in(program, display_name="Grace Hopper", user__email="grace@example.org")
    members = [
        mentee_in(program, display_name=name, user__email=f"{name.split()[0].lower()}@example.org")
        for name in ("Ada Lovelace", "Alan Turing", "Katherine Johnson")
    ]
    group = None
    for mentee in members:
        group = services.mentorship_start(
            program=program,
            mentor=mentor,
            mentee=mentee,
            source=MentorshipSource.MANAGER,
            score=70,
            reasons=[f"{mentee.display_name} wants to lead a team"],
            by=manager,
            notify=False,
        )
    assert group is not None

    # A member finds the group on the dashboard and sees who is in it.
    sign_in(page, "ada@example.org")
    page.goto("/")
    page.get_by_role("link", name="Grace Hopper's group").click()
    expect(page.get_by_role("heading", name="Grace Hopper's group")).to_be_visible()
    group_section = page.locator("[data-group-members]")
    for name in ("Ada Lovelace", "Alan Turing", "Katherine Johnson"):
        expect(group_section.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_text("Ada Lovelace wants to lead a team")).to_be_visible()
    expect(page.get_by_text("Alan Turing wants to lead a team")).to_have_count(0)
    assert_accessible(page)

    # The mentor takes one member out, saying why.
    page.context.clear_cookies()
    sign_in(page, "grace@example.org")
    page.goto(f"/mentorships/{group.pk}/")
    expect(page.get_by_role("heading", name="Your group")).to_be_visible()
    page.get_by_text("Take a member out of the group").click()
    page.get_by_role("button", name="Take out of the group").click()
    expect(page.get_by_text("Choose the member.")).to_be_visible()
    assert_accessible(page)
    page.locator("#remove_mentee").select_option(label="Katherine Johnson")
    page.get_by_label("Why (the member is told)").fill("Moved to the spring cohort")
    page.get_by_role("button", name="Take out of the group").click()
    expect(page.get_by_text("The member was taken out of the group.")).to_be_visible()
    former = page.locator("[data-former-members]")
    removed = former.get_by_text("Katherine Johnson: removed by the mentor or a manager")
    expect(removed).to_be_visible()

    # Another member leaves with a reason; the group goes on.
    page.context.clear_cookies()
    sign_in(page, "alan@example.org")
    page.goto(f"/mentorships/{group.pk}/")
    page.get_by_text("Leave the group").first.click()
    page.get_by_label("Why do you leave?").select_option(label="No time")
    page.get_by_role("button", name="Leave the group").click()
    expect(page.get_by_text("You left the group.")).to_be_visible()
    expect(former.get_by_text("Alan Turing: no time")).to_be_visible()
    expect(page.get_by_text("Leave the group")).to_have_count(0)
    assert_accessible(page)

    current = GroupMember.objects.filter(mentorship=group, left_at__isnull=True)
    assert list(current.values_list("mentee__profile__display_name", flat=True)) == ["Ada Lovelace"]
    group.refresh_from_db()
    assert group.status == "active"

"""Program pages: what they show, and how they answer good and bad input."""

import pytest
from django.core import mail

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.programs.models import (
    Enrollment,
    EnrollmentMode,
    EnrollmentStatus,
    IntakeQuestion,
    Invitation,
    Program,
    ProgramType,
    QuestionAudience,
    QuestionKind,
    Role,
)
from trellis.programs.tests.factories import (
    EnrollmentFactory,
    IntakeQuestionFactory,
    InvitationFactory,
    OrganisationFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program_with_questions():
    manager = UserFactory()
    program = ProgramFactory(
        slug="garden", enrollment_mode=EnrollmentMode.APPLICATION, managers=[manager]
    )
    track = IntakeQuestionFactory(
        program=program,
        kind=QuestionKind.SINGLE_CHOICE,
        choices=["Backend", "Frontend"],
        is_required=True,
        label="Track",
    )
    goals = IntakeQuestionFactory(
        program=program,
        kind=QuestionKind.TEXT,
        audience=QuestionAudience.MENTEES,
        is_required=True,
        label="Your goals",
    )
    skills = IntakeQuestionFactory(
        program=program,
        kind=QuestionKind.MULTIPLE_CHOICE,
        choices=["Python", "Go"],
        audience=QuestionAudience.MENTORS,
        label="Skills",
    )
    scale = IntakeQuestionFactory(program=program, kind=QuestionKind.SCALE, label="Confidence")
    return program, manager, track, goals, skills, scale


def test_list_shows_published_and_my_programs_with_status(client):
    user = UserFactory()
    client.force_login(user)
    ProgramFactory(name="Open garden")
    hidden = ProgramFactory(name="Hidden", is_published=False)
    mine_hidden = ProgramFactory(name="Mine hidden", is_published=False)
    EnrollmentFactory(program=mine_hidden, user=user, status=EnrollmentStatus.PENDING)
    response = client.get("/programs/")
    names = [p.name for p in response.context["programs"]]
    assert names == ["Mine hidden", "Open garden"]
    assert hidden.name.encode() not in response.content
    assert b"Applied, waiting for approval" in response.content


def test_detail_renders_sanitized_description_and_values(client):
    client.force_login(UserFactory())
    manager = UserFactory()
    program = ProgramFactory(slug="garden", managers=[manager], values=["<b>Care</b>"])
    client.force_login(manager)
    response = client.post(
        "/programs/garden/manage/",
        {
            "name": "Garden",
            "slug": "garden",
            "description": "<p>Grow <script>alert(1)</script><a href='javascript:x'>x</a></p>",
            "values": "Curiosity\n<script>alert(2)</script>",
            "program_type": "one_to_one",
            "enrollment_mode": "application",
            "meeting_frequency": "monthly",
            "default_mentor_capacity": "3",
            "expected_length_weeks": "12",
        },
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert "<script>" not in program.description
    page = client.get("/programs/garden/").content.decode()
    assert "<p>Grow" in page
    assert "<script>alert(1)</script>" not in page
    assert "javascript:" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "Every month" in page


def test_unpublished_program_is_404_for_outsiders(client):
    ProgramFactory(slug="secret", is_published=False)
    client.force_login(UserFactory())
    assert client.get("/programs/secret/").status_code == 404
    assert client.get("/programs/secret/join/").status_code == 404


def test_join_form_renders_every_question_with_its_audience(client, program_with_questions):
    _program, _, track, _goals, _skills, scale = program_with_questions
    client.force_login(UserFactory())
    response = client.get("/programs/garden/join/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-audience="mentees"' in page
    assert 'data-audience="mentors"' in page
    assert f'name="question_{track.pk}"' in page
    assert f'name="question_{scale.pk}"' in page


def test_join_as_mentee_applies(client, program_with_questions):
    _program, _manager, track, goals, skills, scale = program_with_questions
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        "/programs/garden/join/",
        {
            "role": "mentee",
            f"question_{track.pk}": "Backend",
            f"question_{goals.pk}": "Ship a project",
            f"question_{skills.pk}": ["Python"],  # a mentors' question: ignored for mentees
            f"question_{scale.pk}": "3",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/programs/garden/"
    enrollment = Enrollment.objects.get(user=user)
    assert (enrollment.status, enrollment.role) == (EnrollmentStatus.PENDING, Role.MENTEE)
    assert dict(enrollment.answers.values_list("question_id", "value")) == {
        track.pk: "Backend",
        goals.pk: "Ship a project",
        scale.pk: 3,
    }
    detail = client.get("/programs/garden/")
    assert b"Your application was sent" in detail.content
    assert b"Withdraw application" in detail.content


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"role": ""}, "role"),
        ({"role": "both"}, "role"),
        ({"role": "boss"}, "role"),
        ({"track": ""}, "track"),
        ({"track": "Cobol"}, "track"),
        ({"goals": ""}, "goals"),
        ({"goals": "x" * 2001}, "goals"),
        ({"scale": "9"}, "scale"),
        ({"scale": "abc"}, "scale"),
    ],
)
def test_join_bad_input_answers_422_and_changes_nothing(
    client, program_with_questions, changes, field
):
    _program, _, track, goals, _skills, scale = program_with_questions
    client.force_login(UserFactory())
    data = {
        "role": "mentee",
        f"question_{track.pk}": "Backend",
        f"question_{goals.pk}": "Grow",
    }
    names = {"track": track, "goals": goals, "scale": scale}
    for key, value in changes.items():
        data["role" if key == "role" else f"question_{names[key].pk}"] = value
    response = client.post("/programs/garden/join/", data)
    assert response.status_code == 422
    form_field = "role" if field == "role" else f"question_{names[field].pk}"
    assert form_field in response.context["form"].errors
    assert Enrollment.objects.count() == 0


def test_join_with_script_in_answer_is_inert_on_the_participants_page(
    client, program_with_questions
):
    _program, manager, track, goals, *_ = program_with_questions
    client.force_login(UserFactory())
    client.post(
        "/programs/garden/join/",
        {
            "role": "mentee",
            f"question_{track.pk}": "Backend",
            f"question_{goals.pk}": "<script>alert('x')</script>",
        },
    )
    client.force_login(manager)
    page = client.get("/programs/garden/manage/participants/").content.decode()
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_join_peer_program_has_only_the_both_role(client):
    ProgramFactory(slug="peers", program_type=ProgramType.PEER, enrollment_mode=EnrollmentMode.OPEN)
    user = UserFactory()
    client.force_login(user)
    form = client.get("/programs/peers/join/").context["form"]
    assert [value for value, _ in form.fields["role"].choices] == ["both"]
    response = client.post("/programs/peers/join/", {"role": "both"})
    assert response.status_code == 302
    assert Enrollment.objects.get(user=user).status == EnrollmentStatus.APPROVED


def test_invite_only_join_redirects_with_message(client):
    ProgramFactory(slug="closed", enrollment_mode=EnrollmentMode.INVITE_ONLY)
    client.force_login(UserFactory())
    response = client.post("/programs/closed/join/", {"role": "mentee"}, follow=True)
    assert b"by invitation only" in response.content
    assert Enrollment.objects.count() == 0


def test_leave_program(client):
    enrollment = EnrollmentFactory(program=ProgramFactory(slug="garden"))
    client.force_login(enrollment.user)
    response = client.post("/programs/garden/leave/")
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.LEFT
    again = client.post("/programs/garden/leave/", follow=True)
    assert b"You are not taking part" in again.content


@pytest.mark.parametrize(
    ("role", "status", "shown", "hidden"),
    [
        ("mentee", EnrollmentStatus.APPROVED, ["/programs/garden/mentors/"], ["/mentees/"]),
        ("mentor", EnrollmentStatus.APPROVED, ["/programs/garden/mentees/"], ["/mentors/"]),
        ("both", EnrollmentStatus.APPROVED, ["/mentors/", "/mentees/"], []),
        ("mentee", EnrollmentStatus.PENDING, [], ["/mentors/", "/requests/"]),
    ],
)
def test_detail_links_approved_participants_to_matching(client, role, status, shown, hidden):
    enrollment = EnrollmentFactory(program=ProgramFactory(slug="garden"), role=role, status=status)
    client.force_login(enrollment.user)

    page = client.get("/programs/garden/").content.decode()

    for link in shown:
        assert link in page
    for link in hidden:
        assert link not in page
    if status == EnrollmentStatus.APPROVED:
        assert "/programs/garden/requests/" in page


# Manager pages -------------------------------------------------------------------------

SETTINGS = {
    "name": "Garden",
    "slug": "garden",
    "program_type": "one_to_one",
    "enrollment_mode": "application",
    "meeting_frequency": "weekly",
    "default_mentor_capacity": "2",
    "expected_length_weeks": "26",
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"slug": "has spaces"}, "slug"),
        ({"slug": "manage"}, "slug"),
        ({"slug": "taken"}, "slug"),
        ({"default_mentor_capacity": "0"}, "default_mentor_capacity"),
        ({"default_mentor_capacity": "51"}, "default_mentor_capacity"),
        ({"default_mentor_capacity": "lots"}, "default_mentor_capacity"),
        ({"expected_length_weeks": "261"}, "expected_length_weeks"),
        ({"cycle_start": "2026-05-01", "cycle_end": "2026-04-01"}, "cycle_end"),
        ({"cycle_start": "someday"}, "cycle_start"),
        ({"program_type": "triad"}, "program_type"),
        ({"values": "\n".join(["x" * 61])}, "values"),
    ],
)
def test_settings_bad_input(client, changes, field):
    manager = UserFactory()
    program = ProgramFactory(slug="garden", name="Garden", managers=[manager])
    ProgramFactory(slug="taken")
    client.force_login(manager)
    response = client.post("/programs/garden/manage/", {**SETTINGS, **changes})
    assert response.status_code == 422
    assert field in response.context["form"].errors
    program.refresh_from_db()
    assert (program.name, program.slug, program.default_mentor_capacity) == ("Garden", "garden", 2)


def test_create_program_page_for_org_admins(client):
    admin = UserFactory()
    organisation = OrganisationFactory(name="Acme")
    organisation.admins.add(admin)
    OrganisationFactory(name="Other")
    client.force_login(admin)
    form = client.get("/programs/manage/new/").context["form"]
    assert [o.name for o in form.fields["organisation"].queryset] == ["Acme"]
    response = client.post(
        "/programs/manage/new/",
        {**SETTINGS, "slug": "new-one", "name": "New one", "organisation": organisation.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == "/programs/new-one/manage/"
    program = Program.objects.get(slug="new-one")
    assert list(program.managers.all()) == [admin]


def test_create_program_in_someone_elses_organisation_is_refused(client):
    admin = UserFactory()
    OrganisationFactory().admins.add(admin)
    other = OrganisationFactory()
    client.force_login(admin)
    response = client.post(
        "/programs/manage/new/", {**SETTINGS, "slug": "sneaky", "organisation": other.pk}
    )
    assert response.status_code == 422
    assert "organisation" in response.context["form"].errors
    assert not Program.objects.filter(slug="sneaky").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"label": "", "kind": "text", "audience": "everyone"}, "label"),
        ({"label": "Q", "kind": "essay", "audience": "everyone"}, "kind"),
        ({"label": "Q", "kind": "text", "audience": "aliens"}, "audience"),
        ({"label": "Q", "kind": "single_choice", "audience": "everyone"}, "choices"),
        (
            {"label": "Q", "kind": "single_choice", "audience": "everyone", "choices": "a"},
            "choices",
        ),
        ({"label": "Q", "kind": "text", "audience": "everyone", "choices": "a\nb"}, "choices"),
        ({"label": "x" * 201, "kind": "text", "audience": "everyone"}, "label"),
    ],
)
def test_question_editor_bad_input(client, data, field):
    manager = UserFactory()
    ProgramFactory(slug="garden", managers=[manager])
    client.force_login(manager)
    response = client.post("/programs/garden/manage/questions/", data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert IntakeQuestion.objects.count() == 0


def test_question_editor_adds_edits_moves_and_deletes(client):
    manager = UserFactory()
    program = ProgramFactory(slug="garden", managers=[manager])
    client.force_login(manager)
    client.post(
        "/programs/garden/manage/questions/",
        {
            "label": "<b>Track</b>",
            "kind": "single_choice",
            "audience": "mentees",
            "choices": "Backend\nFrontend\n",
            "is_required": "on",
        },
    )
    client.post(
        "/programs/garden/manage/questions/",
        {"label": "Why?", "kind": "text", "audience": "everyone"},
    )
    track, why = program.intake_questions.all()
    assert (track.choices, track.is_required, track.audience) == (
        ["Backend", "Frontend"],
        True,
        "mentees",
    )
    page = client.get("/programs/garden/manage/questions/").content.decode()
    assert "&lt;b&gt;Track&lt;/b&gt;" in page
    client.post(f"/programs/garden/manage/questions/{why.pk}/move/", {"direction": "up"})
    assert list(program.intake_questions.values_list("pk", flat=True)) == [why.pk, track.pk]
    response = client.post(
        f"/programs/garden/manage/questions/{why.pk}/",
        {"label": "Why now?", "kind": "scale", "audience": "everyone"},
    )
    assert response.status_code == 302
    why.refresh_from_db()
    assert (why.label, why.kind) == ("Why now?", "scale")
    client.post(f"/programs/garden/manage/questions/{track.pk}/delete/")
    assert list(program.intake_questions.all()) == [why]


def test_question_of_another_program_is_404(client):
    manager = UserFactory()
    ProgramFactory(slug="garden", managers=[manager])
    foreign = IntakeQuestionFactory(label="Foreign")
    client.force_login(manager)
    assert client.get(f"/programs/garden/manage/questions/{foreign.pk}/").status_code == 404
    response = client.post(f"/programs/garden/manage/questions/{foreign.pk}/delete/")
    assert response.status_code == 404
    assert IntakeQuestion.objects.filter(pk=foreign.pk).exists()


def test_participants_filters_and_search(client):
    manager = UserFactory()
    program = ProgramFactory(slug="garden", managers=[manager])
    ada = EnrollmentFactory(
        program=program,
        user=UserFactory(email="ada@example.org"),
        status=EnrollmentStatus.PENDING,
        role=Role.MENTOR,
    )
    EnrollmentFactory(program=program, user=UserFactory(email="bob@example.org"))
    EnrollmentFactory(user=UserFactory(email="ada.elsewhere@example.org"))
    client.force_login(manager)

    def emails(query):
        response = client.get(f"/programs/garden/manage/participants/?{query}")
        assert response.status_code == 200
        return [e.user.email for e in response.context["page"].object_list]

    assert emails("") == ["ada@example.org", "bob@example.org"]
    assert emails("status=pending") == ["ada@example.org"]
    assert emails("role=mentee") == ["bob@example.org"]
    assert emails("search=ADA") == ["ada@example.org"]
    assert emails("status=bogus") == ["ada@example.org", "bob@example.org"]
    assert emails("page=999") == ["ada@example.org", "bob@example.org"]
    htmx = client.get(
        "/programs/garden/manage/participants/?search=bob",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="participants-results",
    )
    assert b"<html" not in htmx.content
    assert b"bob@example.org" in htmx.content
    assert ada.user.email.encode() not in htmx.content


def test_bulk_approve_from_the_page(client):
    manager = UserFactory()
    program = ProgramFactory(slug="garden", managers=[manager])
    pending = [EnrollmentFactory(program=program, status=EnrollmentStatus.PENDING) for _ in "ab"]
    foreign = EnrollmentFactory(status=EnrollmentStatus.PENDING)
    client.force_login(manager)
    response = client.post(
        "/programs/garden/manage/participants/bulk/?status=pending",
        {"enrollment_ids": [pending[0].pk, pending[1].pk, foreign.pk], "decision": "approve"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/programs/garden/manage/participants/?status=pending"
    assert set(Enrollment.objects.filter(program=program).values_list("status", flat=True)) == {
        EnrollmentStatus.APPROVED
    }
    foreign.refresh_from_db()
    assert foreign.status == EnrollmentStatus.PENDING


@pytest.mark.parametrize(
    "data",
    [
        {"decision": "approve"},
        {"enrollment_ids": ["1"], "decision": "maybe"},
        {"enrollment_ids": ["abc"], "decision": "approve"},
    ],
)
def test_bulk_bad_input_is_422(client, data):
    manager = UserFactory()
    program = ProgramFactory(slug="garden", managers=[manager])
    pending = EnrollmentFactory(program=program, status=EnrollmentStatus.PENDING)
    client.force_login(manager)
    response = client.post("/programs/garden/manage/participants/bulk/", data)
    assert response.status_code == 422
    assert response.context["errors"]
    pending.refresh_from_db()
    assert pending.status == EnrollmentStatus.PENDING


def test_decide_bad_input_is_422(client):
    manager = UserFactory()
    program = ProgramFactory(slug="garden", managers=[manager])
    approved = EnrollmentFactory(program=program)
    client.force_login(manager)
    url = f"/programs/garden/manage/participants/{approved.pk}/decide/"
    assert client.post(url, {"decision": "maybe"}).status_code == 422
    assert client.post(url, {"decision": "decline"}).status_code == 422
    assert client.post(url, {"decision": "approve", "note": "x" * 501}).status_code == 422
    approved.refresh_from_db()
    assert approved.status == EnrollmentStatus.APPROVED


def test_invitations_page_creates_lists_and_revokes(client, django_capture_on_commit_callbacks):
    manager = UserFactory()
    ProgramFactory(slug="garden", managers=[manager])
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/programs/garden/manage/invitations/", {"email": "ada@example.org", "role": "mentor"}
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert mail.outbox[0].to == ["ada@example.org"]
    page = client.get("/programs/garden/manage/invitations/").content.decode()
    assert f"/programs/invitations/{invitation.token}/" in page
    client.post(f"/programs/garden/manage/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "nope", "role": "mentee"}, "email"),
        ({"email": "", "role": "mentee"}, "email"),
        ({"email": "a@example.org", "role": "both"}, "role"),
        ({"email": "a" * 250 + "@example.org", "role": "mentee"}, "email"),
    ],
)
def test_invitations_bad_input(client, data, field):
    manager = UserFactory()
    ProgramFactory(slug="garden", managers=[manager])
    client.force_login(manager)
    response = client.post("/programs/garden/manage/invitations/", data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert Invitation.objects.count() == 0


# Invitation acceptance -----------------------------------------------------------------


def test_invitation_page_for_anonymous_links_to_sign_in_and_up(client):
    invitation = InvitationFactory()
    response = client.get(f"/programs/invitations/{invitation.token}/")
    page = response.content.decode()
    next_part = f"?next=/programs/invitations/{invitation.token}/"
    assert f'href="/accounts/login/{next_part}"' in page
    assert f'href="/accounts/signup/{next_part}"' in page
    post = client.post(f"/programs/invitations/{invitation.token}/")
    assert post["Location"].startswith("/accounts/login/")


def test_invitation_accepted_by_the_invited_person(client):
    program = ProgramFactory(slug="closed", enrollment_mode=EnrollmentMode.INVITE_ONLY)
    person = UserFactory(email="ada@example.org")
    invitation = InvitationFactory(program=program, email="ADA@example.org", role=Role.MENTOR)
    client.force_login(person)
    page = client.get(f"/programs/invitations/{invitation.token}/")
    assert b"Accept invitation" in page.content
    response = client.post(f"/programs/invitations/{invitation.token}/")
    assert response["Location"] == "/programs/closed/"
    enrollment = Enrollment.objects.get(user=person)
    assert (enrollment.status, enrollment.role) == (EnrollmentStatus.APPROVED, Role.MENTOR)


def test_invitation_for_another_address_is_refused(client):
    invitation = InvitationFactory(email="ada@example.org")
    client.force_login(UserFactory(email="eve@example.org"))
    page = client.get(f"/programs/invitations/{invitation.token}/")
    assert b"Accept invitation" not in page.content
    assert b"signed in as eve@example.org" in page.content
    response = client.post(f"/programs/invitations/{invitation.token}/")
    assert response.status_code == 403
    assert Enrollment.objects.count() == 0


def test_unknown_invitation_token_is_404(client):
    client.force_login(UserFactory())
    assert client.get("/programs/invitations/nope/").status_code == 404
    assert client.get("/programs/invitations/" + "x" * 300 + "/").status_code == 404


def test_staff_sees_manage_links(client):
    ProgramFactory(slug="garden")
    client.force_login(StaffFactory())
    assert b"/programs/garden/manage/" in client.get("/programs/garden/").content


def test_managers_turn_direct_messages_off_and_on(client):
    manager = UserFactory()
    program = ProgramFactory(slug="garden", name="Garden", managers=[manager])
    client.force_login(manager)
    page = client.get("/programs/garden/manage/").content.decode()
    assert 'name="allows_direct_messages"' in page
    assert client.post("/programs/garden/manage/", SETTINGS).status_code == 302
    program.refresh_from_db()
    assert program.allows_direct_messages is False
    settings_on = {**SETTINGS, "allows_direct_messages": "on"}
    assert client.post("/programs/garden/manage/", settings_on).status_code == 302
    program.refresh_from_db()
    assert program.allows_direct_messages is True

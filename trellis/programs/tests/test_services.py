"""Program services: every rule of programs, questions, enrollment and invitations."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.notifications.models import Notification
from trellis.programs import services
from trellis.programs.models import (
    Enrollment,
    EnrollmentMode,
    EnrollmentStatus,
    IntakeAnswer,
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


def program_fields(**overrides):
    fields = {
        "name": "Women in Engineering",
        "slug": "women-in-engineering",
        "description": "<p>Hello</p>",
        "program_type": ProgramType.ONE_TO_ONE,
        "enrollment_mode": EnrollmentMode.APPLICATION,
        "default_mentor_capacity": 3,
        "expected_length_weeks": 20,
    }
    fields.update(overrides)
    return fields


# Programs ------------------------------------------------------------------------------


def test_org_admin_creates_a_program_and_becomes_its_manager():
    admin = UserFactory()
    organisation = OrganisationFactory()
    organisation.admins.add(admin)
    program = services.program_create(
        organisation=organisation,
        by=admin,
        **program_fields(description='<p onclick="x()">Hi <script>alert(1)</script></p>'),
    )
    assert program.organisation == organisation
    assert list(program.managers.all()) == [admin]
    assert program.description == "<p>Hi </p>"


def test_staff_creates_a_program_in_any_organisation():
    program = services.program_create(
        organisation=OrganisationFactory(), by=StaffFactory(), **program_fields()
    )
    assert Program.objects.filter(pk=program.pk).exists()


@pytest.mark.parametrize("role", ["nobody", "program_manager"])
def test_others_may_not_create_programs(role):
    organisation = OrganisationFactory()
    user = UserFactory()
    if role == "program_manager":
        ProgramFactory(organisation=organisation, managers=[user])
    count = Program.objects.count()
    with pytest.raises(PermissionDeniedError):
        services.program_create(organisation=organisation, by=user, **program_fields())
    assert Program.objects.count() == count


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"default_mentor_capacity": 0}, "default_mentor_capacity"),
        ({"default_mentor_capacity": 51}, "default_mentor_capacity"),
        ({"default_mentor_capacity": "3"}, "default_mentor_capacity"),
        ({"expected_length_weeks": 0}, "expected_length_weeks"),
        ({"expected_length_weeks": 261}, "expected_length_weeks"),
        (
            {"cycle_start": dt.date(2026, 5, 1), "cycle_end": dt.date(2026, 4, 1)},
            "cycle_end",
        ),
        ({"cycle_start": "2026-01-01"}, "cycle_start"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "manage"}, "slug"),
        ({"slug": "invitations"}, "slug"),
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"program_type": "triad"}, "program_type"),
        ({"values": "curiosity"}, "values"),
        ({"values": ["x" * 61]}, "values"),
        ({"description": "x" * 20_001}, "description"),
    ],
)
def test_program_create_rejects_bad_fields(overrides, field):
    organisation = OrganisationFactory()
    with pytest.raises(ValidationError) as caught:
        services.program_create(
            organisation=organisation, by=StaffFactory(), **program_fields(**overrides)
        )
    assert field in caught.value.message_dict
    assert Program.objects.count() == 0


def test_program_create_refuses_a_taken_slug():
    ProgramFactory(slug="taken")
    with pytest.raises(ValidationError) as caught:
        services.program_create(
            organisation=OrganisationFactory(), by=StaffFactory(), **program_fields(slug="taken")
        )
    assert "slug" in caught.value.message_dict


def test_program_create_rejects_unknown_fields():
    with pytest.raises(ValidationError) as caught:
        services.program_create(
            organisation=OrganisationFactory(), by=StaffFactory(), **program_fields(managers=[])
        )
    assert "managers" in caught.value.message_dict


@pytest.mark.parametrize("actor", ["manager", "org_admin", "staff"])
def test_program_update_by_those_who_manage(actor):
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    user = {"manager": manager, "org_admin": UserFactory(), "staff": StaffFactory()}[actor]
    if actor == "org_admin":
        program.organisation.admins.add(user)
    services.program_update(
        program=program,
        by=user,
        data={"name": "Renamed", "description": "<b>bold</b><img src=x onerror=alert(1)>"},
    )
    program.refresh_from_db()
    assert program.name == "Renamed"
    assert program.description == "<b>bold</b>"


@pytest.mark.parametrize("actor", ["participant", "other_manager", "other_org_admin"])
def test_program_update_refused_to_others(actor):
    program = ProgramFactory(name="Original")
    user = UserFactory()
    if actor == "participant":
        EnrollmentFactory(program=program, user=user)
    elif actor == "other_manager":
        ProgramFactory(managers=[user])
    else:
        OrganisationFactory().admins.add(user)
    with pytest.raises(PermissionDeniedError):
        services.program_update(program=program, by=user, data={"name": "Hacked"})
    program.refresh_from_db()
    assert program.name == "Original"


def test_program_update_bad_input_leaves_instance_and_row_unchanged():
    manager = UserFactory()
    program = ProgramFactory(managers=[manager], cycle_start=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError) as caught:
        services.program_update(
            program=program,
            by=manager,
            data={"name": "New", "cycle_end": dt.date(2025, 1, 1)},
        )
    assert "cycle_end" in caught.value.message_dict
    assert program.name != "New"
    program.refresh_from_db()
    assert program.cycle_end is None


# Intake questions ----------------------------------------------------------------------


def test_question_create_appends_with_cleaned_choices():
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    first = services.intake_question_create(
        program=program, by=manager, kind=QuestionKind.TEXT, label="  Why?  "
    )
    second = services.intake_question_create(
        program=program,
        by=manager,
        kind=QuestionKind.SINGLE_CHOICE,
        label="Track",
        choices=[" Backend ", "Frontend"],
        audience=QuestionAudience.MENTEES,
        is_required=True,
    )
    assert (first.label, first.position) == ("Why?", 0)
    assert (second.choices, second.position) == (["Backend", "Frontend"], 1)


@pytest.mark.parametrize(
    ("kind", "choices"),
    [
        (QuestionKind.SINGLE_CHOICE, []),
        (QuestionKind.SINGLE_CHOICE, ["only one"]),
        (QuestionKind.MULTIPLE_CHOICE, ["a", ""]),
        (QuestionKind.MULTIPLE_CHOICE, ["a", "A"]),
        (QuestionKind.SINGLE_CHOICE, [str(n) for n in range(21)]),
        (QuestionKind.SINGLE_CHOICE, ["a", "b" * 101]),
        (QuestionKind.SINGLE_CHOICE, "a,b"),
        (QuestionKind.TEXT, ["a", "b"]),
        (QuestionKind.SCALE, ["a", "b"]),
    ],
)
def test_question_choices_rules(kind, choices):
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    with pytest.raises(ValidationError) as caught:
        services.intake_question_create(
            program=program, by=manager, kind=kind, label="Q", choices=choices
        )
    assert "choices" in caught.value.message_dict
    assert IntakeQuestion.objects.count() == 0


def test_question_unknown_kind_and_audience_refused():
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    with pytest.raises(ValidationError) as caught:
        services.intake_question_create(
            program=program, by=manager, kind="essay", label="Q", audience="aliens"
        )
    assert {"kind", "audience"} <= set(caught.value.message_dict)


def test_question_update_delete_and_reorder():
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    one, two, three = (IntakeQuestionFactory(program=program) for _ in range(3))
    services.intake_question_update(
        question=one,
        by=manager,
        data={"kind": QuestionKind.MULTIPLE_CHOICE, "choices": ["x", "y"], "label": "New"},
    )
    one.refresh_from_db()
    assert (one.kind, one.choices, one.label) == ("multiple_choice", ["x", "y"], "New")
    services.intake_question_update(question=one, by=manager, data={"kind": QuestionKind.TEXT})
    one.refresh_from_db()
    assert one.choices == []
    services.intake_question_reorder(
        program=program, by=manager, question_ids=[three.pk, one.pk, two.pk]
    )
    assert list(program.intake_questions.values_list("pk", flat=True)) == [
        three.pk,
        one.pk,
        two.pk,
    ]
    services.intake_question_move(question=three, by=manager, offset=1)
    assert list(program.intake_questions.values_list("pk", flat=True)) == [
        one.pk,
        three.pk,
        two.pk,
    ]
    services.intake_question_delete(question=two, by=manager)
    assert list(program.intake_questions.values_list("pk", flat=True)) == [one.pk, three.pk]


def test_question_reorder_must_list_each_question_once():
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    one, two = IntakeQuestionFactory(program=program), IntakeQuestionFactory(program=program)
    other = IntakeQuestionFactory()
    for ids in ([one.pk], [one.pk, one.pk], [one.pk, two.pk, other.pk]):
        with pytest.raises(ValidationError):
            services.intake_question_reorder(program=program, by=manager, question_ids=ids)


def test_question_writes_refused_to_non_managers():
    program = ProgramFactory()
    question = IntakeQuestionFactory(program=program, label="Keep")
    outsider = UserFactory()
    with pytest.raises(PermissionDeniedError):
        services.intake_question_create(program=program, by=outsider, kind="text", label="Q")
    with pytest.raises(PermissionDeniedError):
        services.intake_question_update(question=question, by=outsider, data={"label": "No"})
    with pytest.raises(PermissionDeniedError):
        services.intake_question_delete(question=question, by=outsider)
    with pytest.raises(PermissionDeniedError):
        services.intake_question_reorder(program=program, by=outsider, question_ids=[question.pk])
    question.refresh_from_db()
    assert question.label == "Keep"
    assert IntakeQuestion.objects.count() == 1


# Joining -------------------------------------------------------------------------------


@pytest.fixture
def application_program():
    """An application-mode program with a required single choice and a mentees' text."""
    manager = UserFactory()
    program = ProgramFactory(enrollment_mode=EnrollmentMode.APPLICATION, managers=[manager])
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
        label="Goals",
    )
    skills = IntakeQuestionFactory(
        program=program,
        kind=QuestionKind.MULTIPLE_CHOICE,
        choices=["Python", "Go", "Rust"],
        audience=QuestionAudience.MENTORS,
        label="Skills",
    )
    confidence = IntakeQuestionFactory(program=program, kind=QuestionKind.SCALE, label="Conf")
    return program, manager, {"track": track, "goals": goals, "skills": skills, "conf": confidence}


def test_apply_creates_pending_enrollment_with_answers_and_tells_managers(application_program):
    program, manager, q = application_program
    person = UserFactory()
    enrollment = services.enrollment_join(
        program=program,
        user=person,
        role=Role.MENTEE,
        answers={str(q["track"].pk): "Backend", q["goals"].pk: " Learn Django ", q["conf"].pk: 4},
    )
    assert enrollment.status == EnrollmentStatus.PENDING
    answers = {a.question_id: a.value for a in enrollment.answers.all()}
    assert answers == {q["track"].pk: "Backend", q["goals"].pk: "Learn Django", q["conf"].pk: 4}
    notification = Notification.objects.get(recipient=manager)
    assert notification.kind == "enrollment.applied"
    assert notification.url == f"/programs/{program.slug}/manage/participants/?status=pending"
    assert not Notification.objects.filter(recipient=person).exists()


def test_open_program_approves_at_once_and_tells_the_person(django_capture_on_commit_callbacks):
    program = ProgramFactory(enrollment_mode=EnrollmentMode.OPEN)
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = services.enrollment_join(
            program=program, user=person, role=Role.MENTOR, answers={}
        )
    assert enrollment.status == EnrollmentStatus.APPROVED
    assert enrollment.decided_at is not None
    notification = Notification.objects.get(recipient=person)
    assert (notification.kind, notification.url) == (
        "enrollment.approved",
        f"/programs/{program.slug}/",
    )
    assert [m.to for m in mail.outbox] == [[person.email]]


def test_invite_only_program_refuses_joining():
    program = ProgramFactory(enrollment_mode=EnrollmentMode.INVITE_ONLY)
    with pytest.raises(PermissionDeniedError):
        services.enrollment_join(program=program, user=UserFactory(), role="mentee", answers={})
    assert Enrollment.objects.count() == 0


def test_unpublished_program_cannot_be_joined():
    program = ProgramFactory(is_published=False)
    with pytest.raises(NotFoundError):
        services.enrollment_join(program=program, user=UserFactory(), role="mentee", answers={})


@pytest.mark.parametrize(
    ("program_type", "role", "allowed"),
    [
        (ProgramType.PEER, Role.BOTH, True),
        (ProgramType.PEER, Role.MENTEE, False),
        (ProgramType.PEER, Role.MENTOR, False),
        (ProgramType.ONE_TO_ONE, Role.BOTH, False),
        (ProgramType.ONE_TO_ONE, Role.MENTOR, True),
        (ProgramType.GROUP, Role.MENTEE, True),
        (ProgramType.REVERSE, Role.MENTOR, True),
        (ProgramType.ONE_TO_ONE, "boss", False),
    ],
)
def test_role_must_fit_the_program_type(program_type, role, allowed):
    program = ProgramFactory(program_type=program_type, enrollment_mode=EnrollmentMode.OPEN)
    if allowed:
        assert services.enrollment_join(
            program=program, user=UserFactory(), role=role, answers={}
        ).role == str(role)
    else:
        with pytest.raises(ValidationError) as caught:
            services.enrollment_join(program=program, user=UserFactory(), role=role, answers={})
        assert "role" in caught.value.message_dict
        assert Enrollment.objects.count() == 0


def test_both_role_answers_every_audience():
    program = ProgramFactory(program_type=ProgramType.PEER, enrollment_mode=EnrollmentMode.OPEN)
    mentors_q = IntakeQuestionFactory(
        program=program, audience=QuestionAudience.MENTORS, is_required=True
    )
    with pytest.raises(ValidationError) as caught:
        services.enrollment_join(program=program, user=UserFactory(), role="both", answers={})
    assert caught.value.message_dict == {
        f"question_{mentors_q.pk}": ["This question needs an answer."]
    }


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("track", None, "This question needs an answer."),
        ("track", "", "This question needs an answer."),
        ("track", "Cobol", "Pick one of the choices."),
        ("track", ["Backend"], "Pick one of the choices."),
        ("track", 1, "Pick one of the choices."),
        ("goals", "   ", "This question needs an answer."),
        ("goals", "x" * 2001, "Keep the answer under 2000 characters."),
        ("goals", 42, "Answer with text."),
        ("goals", {"a": 1}, "Answer with text."),
        ("conf", 0, "Pick a number from 1 to 5."),
        ("conf", 6, "Pick a number from 1 to 5."),
        ("conf", "three", "Pick a number from 1 to 5."),
        ("conf", True, "Pick a number from 1 to 5."),
        ("conf", 2.5, "Pick a number from 1 to 5."),
    ],
)
def test_bad_answers_are_refused_per_question(application_program, key, value, message):
    program, _, q = application_program
    answers = {q["track"].pk: "Backend", q["goals"].pk: "Grow"}
    answers[q[key].pk] = value
    with pytest.raises(ValidationError) as caught:
        services.enrollment_join(
            program=program, user=UserFactory(), role=Role.MENTEE, answers=answers
        )
    assert caught.value.message_dict == {f"question_{q[key].pk}": [message]}
    assert Enrollment.objects.count() == 0
    assert IntakeAnswer.objects.count() == 0


def test_multiple_choice_answers_are_a_subset(application_program):
    program, _, q = application_program
    base = {q["track"].pk: "Backend"}
    for bad in ("Python", ["Python", "Cobol"], [1]):
        with pytest.raises(ValidationError) as caught:
            services.enrollment_join(
                program=program,
                user=UserFactory(),
                role=Role.MENTOR,
                answers={**base, q["skills"].pk: bad},
            )
        assert f"question_{q['skills'].pk}" in caught.value.message_dict
    enrollment = services.enrollment_join(
        program=program,
        user=UserFactory(),
        role=Role.MENTOR,
        answers={**base, q["skills"].pk: ["Rust", "Python", "Rust"]},
    )
    assert enrollment.answers.get(question=q["skills"]).value == ["Python", "Rust"]


def test_answers_to_other_audiences_or_programs_are_refused(application_program):
    program, _, q = application_program
    foreign = IntakeQuestionFactory()
    for key in (q["goals"].pk, foreign.pk):  # goals is for mentees; we join as mentor
        with pytest.raises(ValidationError) as caught:
            services.enrollment_join(
                program=program,
                user=UserFactory(),
                role=Role.MENTOR,
                answers={q["track"].pk: "Backend", key: "x"},
            )
        assert f"question_{key}" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.enrollment_join(
            program=program, user=UserFactory(), role=Role.MENTOR, answers={"abc": "x"}
        )
    assert "answers" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.enrollment_join(
            program=program, user=UserFactory(), role=Role.MENTOR, answers=["x"]
        )
    assert "answers" in caught.value.message_dict


def test_script_in_answers_is_stored_as_plain_text(application_program):
    program, _, q = application_program
    enrollment = services.enrollment_join(
        program=program,
        user=UserFactory(),
        role=Role.MENTEE,
        answers={q["track"].pk: "Backend", q["goals"].pk: "<script>alert(1)</script>"},
    )
    assert enrollment.answers.get(question=q["goals"]).value == "<script>alert(1)</script>"


@pytest.mark.parametrize("status", [EnrollmentStatus.PENDING, EnrollmentStatus.APPROVED])
def test_joining_twice_is_refused_clearly(status):
    program = ProgramFactory(enrollment_mode=EnrollmentMode.OPEN)
    existing = EnrollmentFactory(program=program, status=status, role=Role.MENTOR)
    with pytest.raises(ValidationError) as caught:
        services.enrollment_join(program=program, user=existing.user, role="mentee", answers={})
    assert caught.value.messages == [services.ALREADY_IN[status]]
    existing.refresh_from_db()
    assert (existing.status, existing.role) == (status, Role.MENTOR)


@pytest.mark.parametrize("status", [EnrollmentStatus.LEFT, EnrollmentStatus.DECLINED])
def test_rejoining_reuses_the_row(status, application_program):
    program, manager, q = application_program
    old = EnrollmentFactory(
        program=program,
        status=status,
        role=Role.MENTOR,
        decided_by=manager,
        decided_at=timezone.now(),
        decision_note="not now",
        left_at=timezone.now(),
    )
    IntakeAnswer.objects.create(enrollment=old, question=q["track"], value="Frontend")
    enrollment = services.enrollment_join(
        program=program,
        user=old.user,
        role=Role.MENTEE,
        answers={q["track"].pk: "Backend", q["goals"].pk: "Again"},
    )
    assert enrollment.pk == old.pk
    old.refresh_from_db()
    assert (old.status, old.role, old.decided_by, old.decision_note, old.left_at) == (
        EnrollmentStatus.PENDING,
        Role.MENTEE,
        None,
        "",
        None,
    )
    assert dict(old.answers.values_list("question_id", "value")) == {
        q["track"].pk: "Backend",
        q["goals"].pk: "Again",
    }
    assert Enrollment.objects.count() == 1


def test_concurrent_duplicate_insert_is_answered_cleanly(monkeypatch):
    """The row inserted by a racing request only shows up at INSERT: the constraint holds."""
    program = ProgramFactory(enrollment_mode=EnrollmentMode.OPEN)
    existing = EnrollmentFactory(program=program, status=EnrollmentStatus.APPROVED)
    monkeypatch.setattr(services, "_locked_enrollment", lambda program, user: None)
    with pytest.raises(ValidationError) as caught:
        services.enrollment_join(program=program, user=existing.user, role="mentee", answers={})
    assert caught.value.messages == ["You have already joined or applied to this program."]
    assert Enrollment.objects.count() == 1
    assert Notification.objects.count() == 0


# Decisions -----------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["manager", "org_admin", "staff"])
def test_approve_pending_notifies_the_person(actor):
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    by = {"manager": manager, "org_admin": UserFactory(), "staff": StaffFactory()}[actor]
    if actor == "org_admin":
        program.organisation.admins.add(by)
    enrollment = EnrollmentFactory(program=program, status=EnrollmentStatus.PENDING)
    result = services.enrollment_approve(enrollment=enrollment, by=by, note="Welcome!")
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.decided_by, enrollment.decision_note) == (
        EnrollmentStatus.APPROVED,
        by,
        "Welcome!",
    )
    assert result.status == EnrollmentStatus.APPROVED
    notification = Notification.objects.get(recipient=enrollment.user)
    assert (notification.kind, notification.url, notification.body) == (
        "enrollment.approved",
        f"/programs/{program.slug}/",
        "Welcome!",
    )


def test_decline_then_approve_again():
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    enrollment = EnrollmentFactory(program=program, status=EnrollmentStatus.PENDING)
    services.enrollment_decline(enrollment=enrollment, by=manager)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.DECLINED
    assert Notification.objects.get(recipient=enrollment.user).kind == "enrollment.declined"
    services.enrollment_approve(enrollment=enrollment, by=manager)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.APPROVED


@pytest.mark.parametrize(
    ("decision", "status"),
    [
        ("approve", EnrollmentStatus.APPROVED),
        ("approve", EnrollmentStatus.LEFT),
        ("decline", EnrollmentStatus.APPROVED),
        ("decline", EnrollmentStatus.DECLINED),
        ("decline", EnrollmentStatus.LEFT),
    ],
)
def test_decisions_only_from_allowed_states(decision, status):
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    enrollment = EnrollmentFactory(program=program, status=status)
    action = services.enrollment_approve if decision == "approve" else services.enrollment_decline
    with pytest.raises(ValidationError):
        action(enrollment=enrollment, by=manager)
    enrollment.refresh_from_db()
    assert enrollment.status == status
    assert Notification.objects.count() == 0


@pytest.mark.parametrize("actor", ["participant", "self", "other_manager", "other_org_admin"])
def test_decisions_refused_to_non_managers(actor):
    program = ProgramFactory()
    enrollment = EnrollmentFactory(program=program, status=EnrollmentStatus.PENDING)
    user = {
        "participant": EnrollmentFactory(program=program).user,
        "self": enrollment.user,
        "other_manager": UserFactory(),
        "other_org_admin": UserFactory(),
    }[actor]
    if actor == "other_manager":
        ProgramFactory(managers=[user])
    if actor == "other_org_admin":
        OrganisationFactory().admins.add(user)
    for action in (services.enrollment_approve, services.enrollment_decline):
        with pytest.raises(PermissionDeniedError):
            action(enrollment=enrollment, by=user)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.PENDING
    assert enrollment.decided_by is None


def test_decision_note_is_limited():
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    enrollment = EnrollmentFactory(program=program, status=EnrollmentStatus.PENDING)
    with pytest.raises(ValidationError) as caught:
        services.enrollment_approve(enrollment=enrollment, by=manager, note="x" * 501)
    assert "note" in caught.value.message_dict
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.PENDING


def test_bulk_decide_never_touches_other_programs():
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    mine = [EnrollmentFactory(program=program, status=EnrollmentStatus.PENDING) for _ in range(3)]
    already = EnrollmentFactory(program=program, status=EnrollmentStatus.APPROVED)
    foreign = EnrollmentFactory(status=EnrollmentStatus.PENDING)
    decided = services.enrollment_bulk_decide(
        enrollment_ids=[e.pk for e in mine] + [already.pk, foreign.pk],
        program=program,
        by=manager,
        decision="decline",
    )
    assert sorted(e.pk for e in decided) == sorted(e.pk for e in mine)
    assert set(
        Enrollment.objects.filter(pk__in=[e.pk for e in mine]).values_list("status", flat=True)
    ) == {EnrollmentStatus.DECLINED}
    foreign.refresh_from_db()
    already.refresh_from_db()
    assert (foreign.status, foreign.decided_by) == (EnrollmentStatus.PENDING, None)
    assert already.status == EnrollmentStatus.APPROVED
    assert Notification.objects.filter(kind="enrollment.declined").count() == 3
    assert not Notification.objects.filter(recipient=foreign.user).exists()


def test_bulk_approve_by_manager_of_another_program_changes_nothing():
    program = ProgramFactory()
    outsider = UserFactory()
    ProgramFactory(managers=[outsider])
    pending = EnrollmentFactory(program=program, status=EnrollmentStatus.PENDING)
    with pytest.raises(PermissionDeniedError):
        services.enrollment_bulk_decide(
            enrollment_ids=[pending.pk], program=program, by=outsider, decision="approve"
        )
    pending.refresh_from_db()
    assert pending.status == EnrollmentStatus.PENDING


@pytest.mark.parametrize(("ids", "decision"), [([], "approve"), ([1], "maybe")])
def test_bulk_decide_bad_input(ids, decision):
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    with pytest.raises(ValidationError):
        services.enrollment_bulk_decide(
            enrollment_ids=ids, program=program, by=manager, decision=decision
        )


@pytest.mark.parametrize("status", [EnrollmentStatus.PENDING, EnrollmentStatus.APPROVED])
def test_participant_leaves(status):
    enrollment = EnrollmentFactory(status=status)
    services.enrollment_leave(enrollment=enrollment, by=enrollment.user)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.LEFT
    assert enrollment.left_at is not None


def test_only_the_participant_may_leave_and_only_once():
    manager = UserFactory()
    enrollment = EnrollmentFactory(program=ProgramFactory(managers=[manager]))
    with pytest.raises(PermissionDeniedError):
        services.enrollment_leave(enrollment=enrollment, by=manager)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.APPROVED
    services.enrollment_leave(enrollment=enrollment, by=enrollment.user)
    with pytest.raises(ValidationError):
        services.enrollment_leave(enrollment=enrollment, by=enrollment.user)


# Invitations ---------------------------------------------------------------------------


def test_invitation_create_emails_the_link(django_capture_on_commit_callbacks):
    manager = UserFactory()
    program = ProgramFactory(managers=[manager], enrollment_mode=EnrollmentMode.INVITE_ONLY)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            program=program, email=" Ada@Example.org ", role=Role.MENTOR, by=manager
        )
    assert invitation.email == "ada@example.org"
    assert len(invitation.token) >= 40
    assert (
        dt.timedelta(days=13, hours=23)
        < invitation.expires_at - timezone.now()
        <= dt.timedelta(days=14)
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.org"]
    assert f"/programs/invitations/{invitation.token}/" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [
        ("not-an-email", Role.MENTEE, "email"),
        ("", Role.MENTEE, "email"),
        ("a@example.org", Role.BOTH, "role"),
        ("a@example.org", "boss", "role"),
    ],
)
def test_invitation_create_bad_input(email, role, field, django_capture_on_commit_callbacks):
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError) as caught,
    ):
        services.invitation_create(program=program, email=email, role=role, by=manager)
    assert callbacks == []
    assert field in caught.value.message_dict
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_invitation_create_refuses_duplicates_and_members():
    manager = UserFactory()
    program = ProgramFactory(managers=[manager])
    InvitationFactory(program=program, email="open@example.org")
    member = EnrollmentFactory(program=program).user
    for email in ("OPEN@example.org", member.email):
        with pytest.raises(ValidationError) as caught:
            services.invitation_create(program=program, email=email, role="mentee", by=manager)
        assert "email" in caught.value.message_dict


def test_invitation_create_refused_to_non_managers():
    with pytest.raises(PermissionDeniedError):
        services.invitation_create(
            program=ProgramFactory(), email="a@example.org", role="mentee", by=UserFactory()
        )
    assert Invitation.objects.count() == 0


def test_invitation_accept_creates_an_approved_enrollment():
    manager = UserFactory()
    program = ProgramFactory(managers=[manager], enrollment_mode=EnrollmentMode.INVITE_ONLY)
    person = UserFactory(email="grace@example.org")
    invitation = InvitationFactory(
        program=program, email="Grace@Example.org", role=Role.MENTOR, invited_by=manager
    )
    enrollment = services.invitation_accept(invitation=invitation, user=person)
    assert (enrollment.status, enrollment.role, enrollment.decided_by) == (
        EnrollmentStatus.APPROVED,
        Role.MENTOR,
        manager,
    )
    invitation.refresh_from_db()
    assert invitation.accepted_by == person
    assert Notification.objects.get(recipient=manager).kind == "invitation.accepted"


def test_invitation_accept_approves_an_open_application():
    program = ProgramFactory()
    pending = EnrollmentFactory(program=program, status=EnrollmentStatus.PENDING)
    invitation = InvitationFactory(program=program, email=pending.user.email, role=Role.MENTOR)
    services.invitation_accept(invitation=invitation, user=pending.user)
    pending.refresh_from_db()
    assert (pending.status, pending.role) == (EnrollmentStatus.APPROVED, Role.MENTOR)


@pytest.mark.parametrize(
    "state",
    ["expired", "revoked", "used", "other_email", "unverified_email", "already_member"],
)
def test_invitation_accept_refusals(state):
    person = UserFactory(email="p@example.org")
    invitation = InvitationFactory(email="p@example.org")
    if state == "expired":
        invitation.expires_at = timezone.now() - dt.timedelta(seconds=1)
    elif state == "revoked":
        invitation.revoked_at = timezone.now()
    elif state == "used":
        invitation.accepted_at = timezone.now()
    elif state == "other_email":
        invitation.email = "someone-else@example.org"
    elif state == "unverified_email":
        person.emailaddress_set.update(verified=False)
    else:
        EnrollmentFactory(program=invitation.program, user=person)
    invitation.save()
    expected = PermissionDeniedError if "email" in state else ValidationError
    count = Enrollment.objects.count()
    with pytest.raises(expected):
        services.invitation_accept(invitation=invitation, user=person)
    assert Enrollment.objects.count() == count
    invitation.refresh_from_db()
    assert invitation.accepted_by is None


def test_invitation_revoke():
    manager = UserFactory()
    invitation = InvitationFactory(program=ProgramFactory(managers=[manager]))
    with pytest.raises(PermissionDeniedError):
        services.invitation_revoke(invitation=invitation, by=UserFactory())
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    services.invitation_revoke(invitation=invitation, by=manager)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    used = InvitationFactory(program=invitation.program, accepted_at=timezone.now())
    with pytest.raises(ValidationError):
        services.invitation_revoke(invitation=used, by=manager)

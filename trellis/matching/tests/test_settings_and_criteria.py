"""Matching settings and criteria: defaults, validation with clear field errors, order."""

import pytest
from django.core.exceptions import ValidationError

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.core.errors import PermissionDeniedError
from trellis.matching import selectors, services
from trellis.matching.criteria import DEFAULT_CRITERIA
from trellis.matching.engine import Kind
from trellis.matching.models import CriterionKind, MatchingCriterion, MatchingSettings
from trellis.matching.tests.factories import MatchingCriterionFactory, snapshot
from trellis.programs.models import QuestionKind
from trellis.programs.tests.factories import IntakeQuestionFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory()


@pytest.fixture
def program(manager):
    return ProgramFactory(slug="garden", managers=[manager])


def errors_of(raised):
    return raised.value.message_dict


def test_criterion_kinds_are_the_engines_except_wishes():
    assert set(CriterionKind.values) == {kind.value for kind in Kind} - {Kind.WISHES.value}


# Settings -------------------------------------------------------------------------------


def test_settings_are_created_with_defaults_on_first_read(program):
    assert not MatchingSettings.objects.exists()

    settings = selectors.matching_settings_for(program=program)

    assert (
        settings.automatch_enabled,
        settings.mentee_requests_enabled,
        settings.mentor_offers_enabled,
        settings.objective,
        settings.request_expiry_days,
        settings.max_open_requests,
        settings.wish_weight,
    ) == (True, True, True, "most_matched", 7, 3, 5)
    assert selectors.matching_settings_for(program=program).pk == settings.pk
    assert MatchingSettings.objects.count() == 1


def test_manager_updates_settings(program, manager):
    services.matching_settings_update(
        program=program,
        by=manager,
        data={"objective": "best_score", "request_expiry_days": 14, "automatch_enabled": False},
    )

    settings = MatchingSettings.objects.get(program=program)
    assert (settings.objective, settings.request_expiry_days, settings.automatch_enabled) == (
        "best_score",
        14,
        False,
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"request_expiry_days": 0}, "request_expiry_days", "Give a whole number from 1 to 60."),
        ({"request_expiry_days": 61}, "request_expiry_days", "Give a whole number from 1 to 60."),
        ({"max_open_requests": 11}, "max_open_requests", "Give a whole number from 1 to 10."),
        ({"wish_weight": -1}, "wish_weight", "Give a whole number from 0 to 10."),
        ({"wish_weight": 2.5}, "wish_weight", "Give a whole number from 0 to 10."),
        ({"objective": "fastest"}, "objective", "Choose “most_matched” or “best_score”."),
        ({"automatch_enabled": "yes"}, "automatch_enabled", "Give true or false."),
    ],
)
def test_settings_out_of_range_are_refused_with_field_errors(
    program, manager, data, field, message
):
    selectors.matching_settings_for(program=program)
    before = snapshot()

    with pytest.raises(ValidationError) as raised:
        services.matching_settings_update(
            program=program, by=manager, data={"wish_weight": 3, **data}
        )

    assert errors_of(raised) == {field: [message]}
    assert snapshot() == before


def test_database_refuses_settings_out_of_range(program):
    from django.db import IntegrityError, transaction

    settings = selectors.matching_settings_for(program=program)
    for field, value in (
        ("request_expiry_days", 0),
        ("max_open_requests", 11),
        ("wish_weight", 11),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            MatchingSettings.objects.filter(pk=settings.pk).update(**{field: value})


@pytest.mark.parametrize("who", ["mentee", "other_manager"])
def test_only_managers_update_settings(program, who):
    person = UserFactory()
    if who == "other_manager":
        ProgramFactory(managers=[person])
    before = snapshot()

    with pytest.raises(PermissionDeniedError):
        services.matching_settings_update(program=program, by=person, data={"wish_weight": 1})

    assert snapshot() == before


def test_staff_update_settings(program):
    services.matching_settings_update(program=program, by=StaffFactory(), data={"wish_weight": 0})

    assert MatchingSettings.objects.get(program=program).wish_weight == 0


# Criteria -------------------------------------------------------------------------------


def test_a_program_without_criteria_uses_the_defaults(program):
    criteria = selectors.effective_criteria(program=program)

    assert [(c.field, c.kind, c.is_hard_rule) for c in criteria] == [
        (d.field, d.kind, d.is_hard_rule) for d in DEFAULT_CRITERIA
    ]
    assert ("languages", "overlap", True) in [(c.field, c.kind, c.is_hard_rule) for c in criteria]
    assert ("department_line", "not_same_line", True) in [
        (c.field, c.kind, c.is_hard_rule) for c in criteria
    ]
    assert not MatchingCriterion.objects.exists()


def test_adding_a_criterion_keeps_the_defaults_and_infers_the_kind(program, manager):
    criterion = services.matching_criterion_create(
        program=program, by=manager, field="communication_modes", weight=3
    )

    assert (criterion.kind, criterion.parameter, criterion.position) == (
        "overlap",
        1.0,
        len(DEFAULT_CRITERIA),
    )
    fields = list(MatchingCriterion.objects.filter(program=program).values_list("field", flat=True))
    assert fields == [d.field for d in DEFAULT_CRITERIA] + ["communication_modes"]


@pytest.mark.parametrize(
    ("question_kind", "expected"),
    [
        (QuestionKind.SINGLE_CHOICE, "same_value"),
        (QuestionKind.MULTIPLE_CHOICE, "overlap"),
        (QuestionKind.SCALE, "closeness"),
        (QuestionKind.TEXT, "text"),
    ],
)
def test_intake_questions_are_compared_by_their_kind(program, manager, question_kind, expected):
    question = IntakeQuestionFactory(program=program, kind=question_kind, choices=["A", "B"])

    criterion = services.matching_criterion_create(
        program=program, by=manager, field=f"intake:{question.pk}", is_hard_rule=True
    )

    assert criterion.kind == expected


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"field": "languages", "kind": "complement"},
            {
                "kind": [
                    "“Mentor offers what the mentee seeks” does not fit Languages; "
                    "use “Something in common”."
                ]
            },
        ),
        (
            {"field": "skills", "kind": "overlap"},
            {
                "kind": [
                    "“Something in common” does not fit Skills (offered by the mentor, sought "
                    "by the mentee); use “Mentor offers what the mentee seeks”."
                ]
            },
        ),
        (
            {"field": "shoe_size"},
            {"field": ["Choose a profile field or one of this program's intake questions."]},
        ),
        ({"field": "intake:999999"}, {"field": ["This program has no such intake question."]}),
        (
            {"field": "languages", "kind": "telepathy"},
            {
                "kind": [
                    "Choose how to compare: same_value, different_value, overlap, complement, "
                    "seniority_gap, time_zone, availability, not_same_line, text, closeness."
                ]
            },
        ),
        ({"field": "languages", "weight": 0}, {"weight": ["Give a weight from 1 to 10."]}),
        ({"field": "languages", "weight": 11}, {"weight": ["Give a weight from 1 to 10."]}),
        (
            {"field": "time_zone", "parameter": 13},
            {"parameter": ["At most this many hours apart: give a number from 0 to 12."]},
        ),
        (
            {"field": "languages", "parameter": 1.5},
            {"parameter": ["At least this many in common: give a whole number from 1 to 50."]},
        ),
        (
            {"field": "organisation", "parameter": 2},
            {"parameter": ["This kind of criterion takes no parameter; leave it empty."]},
        ),
    ],
)
def test_invalid_criteria_are_refused_with_field_errors(program, manager, fields, errors):
    before = snapshot()

    with pytest.raises(ValidationError) as raised:
        services.matching_criterion_create(program=program, by=manager, **fields)

    assert errors_of(raised) == errors
    assert snapshot() == before


def test_a_question_of_another_program_is_unknown(program, manager):
    elsewhere = IntakeQuestionFactory(kind=QuestionKind.SCALE)

    with pytest.raises(ValidationError) as raised:
        services.matching_criterion_create(
            program=program, by=manager, field=f"intake:{elsewhere.pk}"
        )

    assert errors_of(raised) == {"field": ["This program has no such intake question."]}


def test_the_same_criterion_twice_is_refused(program, manager):
    services.matching_criterion_create(program=program, by=manager, field="communication_modes")
    before = snapshot()

    with pytest.raises(ValidationError) as raised:
        services.matching_criterion_create(program=program, by=manager, field="communication_modes")

    assert errors_of(raised) == {
        "field": ["The program already has this criterion; edit that one instead."]
    }
    assert snapshot() == before


def test_update_changes_a_criterion_and_resets_the_parameter_with_the_kind(program, manager):
    criterion = MatchingCriterionFactory(
        program=program, field="organisation", kind="different_value", parameter=None
    )

    services.matching_criterion_update(
        criterion=criterion, by=manager, data={"kind": "same_value", "is_hard_rule": True}
    )
    criterion.refresh_from_db()
    assert (criterion.kind, criterion.is_hard_rule, criterion.parameter) == (
        "same_value",
        True,
        None,
    )

    criterion = MatchingCriterionFactory(
        program=program, field="time_zone", kind="time_zone", parameter=4
    )
    services.matching_criterion_update(criterion=criterion, by=manager, data={"weight": 9})
    criterion.refresh_from_db()
    assert (criterion.weight, criterion.parameter) == (9, 4.0)


def test_a_refused_update_changes_nothing(program, manager):
    criterion = MatchingCriterionFactory(
        program=program, field="time_zone", kind="time_zone", parameter=4
    )
    before = snapshot()

    with pytest.raises(ValidationError) as raised:
        services.matching_criterion_update(
            criterion=criterion, by=manager, data={"weight": 42, "parameter": 4}
        )

    assert errors_of(raised) == {"weight": ["Give a weight from 1 to 10."]}
    assert snapshot() == before
    assert criterion.weight == 5


def test_database_refuses_a_weight_out_of_range(program):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        MatchingCriterionFactory(program=program, weight=11)


def test_customise_copies_the_defaults_once(program, manager):
    services.matching_criteria_customise(program=program, by=manager)
    services.matching_criteria_customise(program=program, by=manager)

    assert MatchingCriterion.objects.filter(program=program).count() == len(DEFAULT_CRITERIA)


def test_move_and_reorder(program, manager):
    first = MatchingCriterionFactory(program=program, field="languages", position=0)
    second = MatchingCriterionFactory(program=program, field="interests", position=1)
    third = MatchingCriterionFactory(program=program, field="values", position=2)

    services.matching_criterion_move(criterion=third, by=manager, offset=-1)
    assert [c.pk for c in selectors.criterion_list(program=program)] == [
        first.pk,
        third.pk,
        second.pk,
    ]

    services.matching_criterion_move(criterion=first, by=manager, offset=-1)
    assert [c.pk for c in selectors.criterion_list(program=program)] == [
        first.pk,
        third.pk,
        second.pk,
    ]

    before = snapshot()
    with pytest.raises(ValidationError):
        services.matching_criteria_reorder(program=program, by=manager, criterion_ids=[first.pk])
    assert snapshot() == before


def test_deleting_every_criterion_falls_back_to_the_defaults(program, manager):
    criterion = MatchingCriterionFactory(program=program, field="values")

    services.matching_criterion_delete(criterion=criterion, by=manager)

    assert not MatchingCriterion.objects.exists()
    assert len(selectors.effective_criteria(program=program)) == len(DEFAULT_CRITERIA)


@pytest.mark.parametrize("action", ["create", "update", "delete", "move", "customise"])
def test_non_managers_change_no_criterion(program, action):
    criterion = MatchingCriterionFactory(program=program, field="values")
    outsider = UserFactory()
    before = snapshot()
    calls = {
        "create": lambda: services.matching_criterion_create(
            program=program, by=outsider, field="interests"
        ),
        "update": lambda: services.matching_criterion_update(
            criterion=criterion, by=outsider, data={"weight": 1}
        ),
        "delete": lambda: services.matching_criterion_delete(criterion=criterion, by=outsider),
        "move": lambda: services.matching_criterion_move(
            criterion=criterion, by=outsider, offset=1
        ),
        "customise": lambda: services.matching_criteria_customise(program=program, by=outsider),
    }

    with pytest.raises(PermissionDeniedError):
        calls[action]()

    assert snapshot() == before

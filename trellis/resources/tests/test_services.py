"""The library's and the recommendations' services, constraints and the built-in guides."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from trellis.core.errors import PermissionDeniedError
from trellis.mentorships.models import MentorshipEvent, MentorshipStatus
from trellis.mentorships.services import mentorship_complete
from trellis.messaging.formatting import render_markdown
from trellis.notifications.models import Notification
from trellis.resources import services
from trellis.resources.builtins import BUILTIN_GUIDES
from trellis.resources.models import (
    ProgramHiddenResource,
    Recommendation,
    Resource,
    ResourceTag,
    resource_storage,
)
from trellis.resources.selectors import recommendation_for
from trellis.resources.tests.helpers import (
    file_in,
    guide_in,
    html_file,
    link_in,
    pdf,
    png,
    recommend,
)

pytestmark = pytest.mark.django_db


def tags_of(resource: Resource) -> list[str]:
    return list(resource.tags.order_by("name").values_list("name", flat=True))


def errors(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


# The built-in guides ----------------------------------------------------------------------


def test_the_migration_stored_the_built_in_guides_with_tags(builtins):
    guides = Resource.objects.filter(program__isnull=True).order_by("pk")

    assert [guide.title for guide in guides] == [guide["title"] for guide in BUILTIN_GUIDES]
    titles = {guide.title for guide in guides}
    assert {
        "Checking in at a distance",
        "Listening well over video, phone and chat",
        "Being yourself: authenticity when you mentor remotely",
        "Agreeing how and when you talk",
    } <= titles
    for guide in guides:
        assert guide.kind == "guide"
        assert 300 <= len(guide.body.split()) <= 600, guide.title
        assert guide.summary
        assert tags_of(guide)
        assert "<strong>" in render_markdown(guide.body)


def test_ensure_puts_back_a_missing_guide_and_keeps_the_others(builtins):
    first = builtins[0]
    Resource.objects.filter(pk=builtins[1].pk).delete()

    again = services.resource_builtins_ensure()

    assert len(again) == len(BUILTIN_GUIDES)
    assert again[0].pk == first.pk
    assert Resource.objects.filter(program__isnull=True).count() == len(BUILTIN_GUIDES)
    assert tags_of(again[1]) == sorted(BUILTIN_GUIDES[1]["tags"])


# Adding resources ------------------------------------------------------------------------


def test_a_manager_adds_a_link_with_tags(world):
    resource = link_in(world["program"], tags="Time Zones, tools, time zones ,  ")

    assert (resource.kind, resource.url, resource.created_by) == (
        "link",
        "https://example.org/time-zones",
        world["manager"],
    )
    assert tags_of(resource) == ["time-zones", "tools"]


def test_a_manager_adds_a_file_kept_privately_with_its_sniffed_type(world, resource_root):
    resource = file_in(world["program"], upload=pdf("Check list\u202e.pdf"))

    assert resource.file_type == "application/pdf"
    assert resource.file_name == "Check list.pdf"
    assert resource.file_size == len(pdf().read())
    assert resource.file.name.startswith(f"resources/{world['program'].pk}/")
    assert "Check" not in resource.file.name
    assert (resource_root / resource.file.name).exists()


def test_an_image_is_a_file_too(world):
    assert file_in(world["program"], upload=png()).file_type == "image/png"


def test_a_guide_keeps_only_its_text(world):
    resource = guide_in(world["program"], url="https://example.org/ignored")

    assert (resource.kind, resource.url, bool(resource.file)) == ("guide", "", False)
    assert resource.body.startswith("Meet **every two weeks**.")


@pytest.mark.parametrize(
    ("kind", "fields", "field", "message"),
    [
        ("link", {"url": ""}, "url", "Give the link's web address."),
        ("link", {"url": "http://example.org"}, "url", "starting with https://"),
        ("link", {"url": "https://"}, "url", "Enter a valid URL."),
        ("guide", {"body": "   "}, "body", "Write the guide's text."),
        ("file", {}, "file", "Choose a file to upload."),
        ("file", {"upload": html_file()}, "file", "cannot be added to the library"),
        ("link", {"url": "https://example.org", "title": " "}, "title", "Give it a title."),
        ("link", {"url": "https://example.org", "tags": "x" * 41}, "tags", "too long"),
        (
            "link",
            {"url": "https://example.org", "tags": ",".join(f"t{n}" for n in range(11))},
            "tags",
            "at most 10",
        ),
        ("video", {}, "kind", "Pick a link, a file or a guide."),
    ],
)
def test_bad_resources_are_refused_with_a_field_message(world, kind, fields, field, message):
    fields.setdefault("title", "A resource")
    with pytest.raises(ValidationError) as error:
        services.resource_create(program=world["program"], by=world["manager"], kind=kind, **fields)

    assert message in " ".join(errors(error)[field])
    assert not Resource.objects.filter(program=world["program"]).exists()


def test_a_file_too_large_is_refused_and_nothing_is_stored(world, settings, resource_root):
    settings.RESOURCES_MAX_FILE_MB = 1
    big = pdf(content=b"%PDF-1.4\n" + b"0" * (1024 * 1024))

    with pytest.raises(ValidationError) as error:
        file_in(world["program"], upload=big)

    assert errors(error)["file"] == ["The file is larger than 1 MB; files up to 1 MB are accepted."]
    assert not Resource.objects.filter(program=world["program"]).exists()
    assert not resource_root.exists() or not any(resource_root.rglob("*.*"))


def test_an_empty_file_is_refused(world):
    with pytest.raises(ValidationError) as error:
        file_in(world["program"], upload=pdf(content=b""))

    assert errors(error)["file"] == ["The file is empty."]


@pytest.mark.parametrize("who", ["mentor", "mentee", "other_manager", "outsider"])
def test_only_the_programs_managers_add_resources(world, who):
    with pytest.raises(PermissionDeniedError):
        services.resource_create(
            program=world["program"],
            by=world[who],
            kind="link",
            title="Mine",
            url="https://example.org",
        )

    assert not Resource.objects.filter(program=world["program"]).exists()


def test_staff_add_resources_to_any_program(world):
    resource = services.resource_create(
        program=world["program"], by=world["staff"], kind="guide", title="Staff", body="Text"
    )

    assert resource.program == world["program"]


# Changing resources --------------------------------------------------------------------------


def test_a_manager_changes_words_and_tags_and_the_kind_stays(world):
    resource = link_in(world["program"])

    services.resource_update(
        resource=resource,
        by=world["manager"],
        data={
            "title": "Clocks",
            "url": "https://example.org/clocks",
            "tags": "clocks",
            "body": "x",
        },
    )

    resource.refresh_from_db()
    assert (resource.title, resource.url, resource.body, resource.kind) == (
        "Clocks",
        "https://example.org/clocks",
        "",
        "link",
    )
    assert tags_of(resource) == ["clocks"]


def test_a_new_file_replaces_the_old_one_which_is_deleted_on_commit(
    world, resource_root, django_capture_on_commit_callbacks
):
    resource = file_in(world["program"])
    old = resource_root / resource.file.name

    with django_capture_on_commit_callbacks(execute=True):
        services.resource_update(resource=resource, by=world["manager"], data={"file": png()})

    resource.refresh_from_db()
    assert resource.file_type == "image/png"
    assert resource.file_name == "map.png"
    assert (resource_root / resource.file.name).exists()
    assert not old.exists()


def test_a_refused_change_changes_nothing(world):
    resource = link_in(world["program"])

    with pytest.raises(ValidationError) as error:
        services.resource_update(
            resource=resource, by=world["manager"], data={"url": "http://x.org", "title": "New"}
        )

    assert "url" in errors(error)
    resource.refresh_from_db()
    assert (resource.title, resource.url) == (
        "Time zone converter",
        "https://example.org/time-zones",
    )


def test_built_in_guides_are_not_changed_in_the_app(world, builtins):
    with pytest.raises(PermissionDeniedError):
        services.resource_update(resource=builtins[0], by=world["staff"], data={"title": "Mine"})
    with pytest.raises(PermissionDeniedError):
        services.resource_archive(resource=builtins[0], by=world["manager"])


def test_archive_and_unarchive(world):
    resource = link_in(world["program"])

    services.resource_archive(resource=resource, by=world["manager"])
    assert Resource.objects.get(pk=resource.pk).is_archived
    with pytest.raises(ValidationError, match="already archived"):
        services.resource_archive(resource=resource, by=world["manager"])
    services.resource_unarchive(resource=resource, by=world["manager"])

    assert not Resource.objects.get(pk=resource.pk).is_archived


def test_hide_and_show_a_built_in_guide(world, builtins):
    program, guide = world["program"], builtins[0]

    services.resource_hide(program=program, resource=guide, by=world["manager"])
    with pytest.raises(ValidationError, match="already hidden"):
        services.resource_hide(program=program, resource=guide, by=world["manager"])
    assert ProgramHiddenResource.objects.filter(program=program, resource=guide).count() == 1
    with pytest.raises(PermissionDeniedError):
        services.resource_show(program=program, resource=guide, by=world["other_manager"])
    services.resource_show(program=program, resource=guide, by=world["manager"])

    assert not ProgramHiddenResource.objects.exists()
    with pytest.raises(ValidationError, match="Only built-in guides"):
        services.resource_hide(program=program, resource=link_in(program), by=world["manager"])


# Constraints -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "link", "url": ""},
        {"kind": "link", "url": "http://example.org"},
        {"kind": "file"},
        {"kind": "guide", "body": ""},
        {"kind": "podcast", "body": "x"},
        {"kind": "guide", "body": "x", "builtin_key": "mine"},
    ],
)
def test_the_database_refuses_a_resource_without_its_content(world, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Resource.objects.create(program=world["program"], title="Broken", **fields)


def test_the_database_keeps_tags_and_recommendations_unique(world):
    resource = link_in(world["program"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceTag.objects.create(resource=resource, name="tools")
    recommend(world["pair"], resource)
    with pytest.raises(IntegrityError), transaction.atomic():
        Recommendation.objects.create(mentorship=world["pair"], resource=resource)
    with pytest.raises(IntegrityError), transaction.atomic():
        Recommendation.objects.filter(mentorship=world["pair"]).update(completed_by=world["mentee"])


# Recommendations -----------------------------------------------------------------------------


def test_the_mentor_recommends_the_mentee_is_told_and_the_history_shows_it(
    world, django_capture_on_commit_callbacks
):
    pair = world["pair"]
    resource = link_in(world["program"])

    with django_capture_on_commit_callbacks(execute=True):
        recommendation = recommend(pair, resource, note="  Look at the second tab.  ")

    assert (recommendation.note, recommendation.recommended_by, recommendation.is_done) == (
        "Look at the second tab.",
        world["mentor"],
        False,
    )
    event = MentorshipEvent.objects.get(mentorship=pair, action="recommend")
    assert (event.by, event.from_status, event.to_status) == (
        world["mentor"],
        MentorshipStatus.ACTIVE,
        MentorshipStatus.ACTIVE,
    )
    assert event.details == {"resource": "Time zone converter", "resource_id": resource.pk}
    notification = Notification.objects.get(recipient=world["mentee"])
    assert notification.title == "Mara recommended “Time zone converter”"
    assert notification.body == "Look at the second tab."
    assert notification.url == f"/mentorships/{pair.pk}/resources/"
    assert [message.to for message in mail.outbox] == [[world["mentee"].email]]


def test_a_built_in_guide_is_recommended_unless_the_program_hid_it(world, builtins):
    pair = world["pair"]
    services.resource_hide(program=world["program"], resource=builtins[1], by=world["manager"])

    recommend(pair, builtins[0])
    with pytest.raises(ValidationError) as error:
        recommend(pair, builtins[1])

    assert errors(error) == {"resource": ["Pick a resource from the program's library."]}


def test_a_resource_of_another_program_or_archived_is_refused(world):
    other = link_in(world["other_program"])
    archived = link_in(world["program"], title="Old")
    services.resource_archive(resource=archived, by=world["manager"])

    for resource in (other, archived):
        with pytest.raises(ValidationError, match="program's library"):
            recommend(world["pair"], resource)

    assert not Recommendation.objects.exists()
    assert not MentorshipEvent.objects.filter(action="recommend").exists()


def test_a_resource_is_recommended_once_per_mentorship(world):
    resource = link_in(world["program"])
    recommend(world["pair"], resource)

    with pytest.raises(ValidationError) as error:
        recommend(world["pair"], resource, note="Again")

    assert errors(error) == {"resource": ["You already recommended this resource here."]}
    assert Recommendation.objects.count() == 1


def test_a_note_longer_than_2000_characters_is_refused(world):
    with pytest.raises(ValidationError) as error:
        recommend(world["pair"], link_in(world["program"]), note="x" * 2001)

    assert "note" in errors(error)
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize("who", ["mentee", "manager", "staff", "other_mentor"])
def test_only_the_mentor_recommends(world, who):
    resource = link_in(world["program"])

    with pytest.raises(PermissionDeniedError):
        services.recommendation_create(
            mentorship=world["pair"], resource=resource, by=world[who], note=""
        )

    assert not Recommendation.objects.exists()


def test_a_finished_mentorship_takes_no_recommendation_and_keeps_its_marks(world):
    pair = world["pair"]
    resource = link_in(world["program"])
    recommendation = recommend(pair, resource)
    mentorship_complete(mentorship=pair, by=world["mentor"], note="")
    pair.refresh_from_db()

    with pytest.raises(ValidationError, match="finished"):
        recommend(pair, guide_in(world["program"]))
    fresh, _role = recommendation_for(recommendation_id=recommendation.pk, user=world["mentee"])
    with pytest.raises(ValidationError, match="finished"):
        services.recommendation_set_done(recommendation=fresh, by=world["mentee"], is_done=True)

    assert not Recommendation.objects.get(pk=recommendation.pk).is_done


def test_the_mentee_marks_done_and_not_done_and_the_history_shows_done(
    world, django_capture_on_commit_callbacks
):
    recommendation = recommend(world["pair"], link_in(world["program"]))
    fresh, _role = recommendation_for(recommendation_id=recommendation.pk, user=world["mentee"])

    with django_capture_on_commit_callbacks(execute=True):
        services.recommendation_set_done(recommendation=fresh, by=world["mentee"], is_done=True)
    stored = Recommendation.objects.get()
    assert (stored.is_done, stored.completed_by) == (True, world["mentee"])
    event = MentorshipEvent.objects.get(action="resource_done")
    assert (event.by, event.details["resource"]) == (world["mentee"], "Time zone converter")
    told = Notification.objects.get(recipient=world["mentor"])
    assert told.title == "Noah finished “Time zone converter”"
    with pytest.raises(ValidationError, match="already marked done"):
        services.recommendation_set_done(recommendation=fresh, by=world["mentee"], is_done=True)

    services.recommendation_set_done(recommendation=fresh, by=world["mentee"], is_done=False)

    stored.refresh_from_db()
    assert (stored.completed_at, stored.completed_by) == (None, None)
    assert MentorshipEvent.objects.filter(action="resource_done").count() == 1


@pytest.mark.parametrize("who", ["mentor", "manager", "other_mentee"])
def test_only_a_mentee_marks_done(world, who):
    recommendation = recommend(world["pair"], link_in(world["program"]))
    fresh, _role = recommendation_for(recommendation_id=recommendation.pk, user=world["mentor"])

    with pytest.raises(PermissionDeniedError):
        services.recommendation_set_done(recommendation=fresh, by=world[who], is_done=True)

    assert not Recommendation.objects.get().is_done


def test_in_a_group_every_current_member_is_told_and_any_marks_done(
    group_world, django_capture_on_commit_callbacks
):
    group = group_world["group"]
    resource = link_in(group.program)

    with django_capture_on_commit_callbacks(execute=True):
        recommendation = recommend(group, resource)

    told = set(
        Notification.objects.filter(kind="resource_recommended").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {group_world["noah"].pk, group_world["kenji"].pk}
    fresh, _role = recommendation_for(
        recommendation_id=recommendation.pk, user=group_world["kenji"]
    )
    services.recommendation_set_done(recommendation=fresh, by=group_world["kenji"], is_done=True)
    with pytest.raises(PermissionDeniedError):
        services.recommendation_set_done(
            recommendation=fresh, by=group_world["lena"], is_done=False
        )
    assert Recommendation.objects.get().completed_by == group_world["kenji"]


def test_files_are_stored_in_the_private_storage(world):
    resource = file_in(world["program"])

    with resource_storage().open(resource.file.name) as stored:
        assert stored.read().startswith(b"%PDF-")

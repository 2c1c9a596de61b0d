"""Shared documents stored, compacted, versioned and restored, with pycrdt as the browsers.

A ``Client`` is a Yjs document as a browser holds it; what it sends is what the server
stores. Two of them converge on the stored text whatever the order their edits arrive in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.mentorships.models import GroupLeaveReason, MentorshipStatus
from trellis.mentorships.services import mentorship_end
from trellis.notes import crdt, live, selectors, services
from trellis.notes.models import NoteDocument, NoteUpdate, NoteVersion, PrivateNote
from trellis.notes.selectors import NotesContext
from trellis.notes.tests.helpers import Client, document_of, meeting_of, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bytes]]:
    """Every server-made update sent to a document's open editors, in order."""
    calls: list[tuple[int, bytes]] = []
    monkeypatch.setattr(
        live, "send_update_now", lambda document_id, update: calls.append((document_id, update))
    )
    return calls


def store(document: NoteDocument, user: Any, update: bytes) -> Any:
    return services.document_update_store(document_id=document.pk, by=user, update=update)


def finish(pair: Any) -> None:
    mentorship_end(mentorship=pair, by=pair.mentor, reason="no_time")
    pair.refresh_from_db()


# Documents ---------------------------------------------------------------------------------


def test_a_document_is_made_once_per_mentorship_and_once_per_meeting(world):
    pair = world["pair"]
    series, recurrence_id = meeting_of(pair)

    first = document_of(pair)
    again = document_of(pair)
    meeting = document_of(pair, series, recurrence_id)

    assert first.pk == again.pk
    assert meeting.pk != first.pk
    assert (meeting.series_id, meeting.recurrence_id) == (series.pk, recurrence_id)
    assert NoteDocument.objects.count() == 2


def test_the_database_keeps_one_document_per_place_and_whole_meetings(world):
    pair = world["pair"]
    series, recurrence_id = meeting_of(pair)
    document_of(pair)
    document_of(pair, series, recurrence_id)

    for fields in (
        {"mentorship": pair},
        {"mentorship": pair, "series": series, "recurrence_id": recurrence_id},
        {"mentorship": pair, "recurrence_id": "20250101T090000"},
        {"mentorship": pair, "series": series},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            NoteDocument.objects.create(**fields)


def test_a_meeting_of_another_mentorship_is_refused(world):
    series, recurrence_id = meeting_of(world["other_pair"])

    with pytest.raises(ValidationError):
        document_of(world["pair"], series, recurrence_id)

    assert NoteDocument.objects.count() == 0


def test_an_update_is_stored_and_the_text_follows(world):
    document = document_of(world["pair"])

    write(document, world["mentee"], "# Plan\n")
    write(document, world["mentor"], "- Read the book\n")

    document.refresh_from_db()
    assert document.text == "# Plan\n- Read the book\n"
    assert document.updated_by == world["mentor"]
    assert NoteUpdate.objects.filter(document=document).count() == 2
    assert Client(document).text == document.text


def test_two_people_typing_at_once_converge_on_the_stored_text(world):
    document = document_of(world["pair"])
    write(document, world["mentor"], "Agenda\n")
    mara, noah = Client(document), Client(document)

    # Both type before seeing the other's edit.
    from_mara = mara.type(0, "Mara: hello. ")
    from_noah = noah.append("Noah: hi!")
    store(document, world["mentor"], from_mara)
    store(document, world["mentee"], from_noah)
    mara.receive(from_noah)
    noah.receive(from_mara)

    document.refresh_from_db()
    assert mara.text == noah.text == document.text == "Mara: hello. Agenda\nNoah: hi!"


def test_bytes_that_are_no_update_are_refused_and_nothing_is_stored(world):
    document = document_of(world["pair"])

    for junk in (b"junk", b"\x00", b"\xff" * 40):
        with pytest.raises(ValidationError):
            store(document, world["mentee"], junk)

    assert NoteUpdate.objects.count() == 0
    document.refresh_from_db()
    assert (document.text, document.updated_by) == ("", None)


def test_an_update_sent_again_is_not_stored_twice(world):
    document = document_of(world["pair"])
    update = Client(document).append("Once")
    store(document, world["mentee"], update)

    assert store(document, world["mentee"], update) is None
    assert store(document, world["mentee"], crdt.EMPTY_UPDATE) is None

    assert NoteUpdate.objects.count() == 1


def test_an_update_ahead_of_one_not_yet_stored_is_kept_until_the_gap_fills(world):
    document = document_of(world["pair"])
    client = Client(document)
    first = client.append("One ")
    second = client.append("two")

    store(document, world["mentee"], second)
    store(document, world["mentee"], first)

    document.refresh_from_db()
    assert document.text == "One two"


def test_a_text_too_long_is_refused(world, monkeypatch):
    monkeypatch.setattr(services, "MAX_TEXT_LENGTH", 10)
    document = document_of(world["pair"])

    with pytest.raises(ValidationError) as error:
        store(document, world["mentee"], Client(document).append("x" * 11))

    assert "text" in error.value.message_dict
    assert NoteUpdate.objects.count() == 0


def test_the_log_is_compacted_into_the_state_past_a_hundred_updates(world, monkeypatch):
    monkeypatch.setattr(services, "COMPACT_AFTER", 5)
    document = document_of(world["pair"])
    client = Client(document)

    for number in range(7):
        store(document, world["mentee"], client.append(f"{number} "))

    document.refresh_from_db()
    assert NoteUpdate.objects.filter(document=document).count() == 1
    assert bytes(document.state) != b""
    assert document.text == client.text == "0 1 2 3 4 5 6 "
    assert Client(document).text == client.text


# Who may write -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "staff", "other_mentor", "other_manager"])
def test_no_one_but_the_pair_stores_an_update(world, role):
    document = document_of(world["pair"])

    with pytest.raises(NotFoundError):
        store(document, world[role], Client(document).append("Hello"))

    assert NoteUpdate.objects.count() == 0


def test_once_the_mentorship_has_finished_its_notes_are_read_only(world):
    pair = world["pair"]
    document = document_of(pair)
    write(document, world["mentee"], "Kept")
    finish(pair)
    document = selectors.document_for(document_id=document.pk, user=world["mentee"])[0]

    with pytest.raises(PermissionDeniedError):
        store(document, world["mentee"], Client(document).append("More"))
    with pytest.raises(PermissionDeniedError):
        services.version_save(document=document, by=world["mentor"], label="Late")
    with pytest.raises(PermissionDeniedError):
        services.document_text_replace(document=document, by=world["mentor"], text="New")

    document.refresh_from_db()
    assert document.text == "Kept"


def test_access_over_a_group_its_end_and_a_member_who_left(group_world):
    group = group_world["group"]
    access = lambda who: selectors.notes_access(mentorship=group, user=group_world[who])  # noqa: E731

    assert [access(who) for who in ("mentor", "noah", "kenji", "lena")] == [
        "edit",
        "edit",
        "edit",
        None,
    ]

    mentorship_end(mentorship=group, by=group.mentor, reason="no_time")
    group.refresh_from_db()

    assert group.status == MentorshipStatus.ENDED
    assert group.members.filter(left_reason=GroupLeaveReason.GROUP_FINISHED).count() == 2
    assert [access(who) for who in ("mentor", "noah", "kenji", "lena")] == [
        "read",
        "read",
        "read",
        None,
    ]


# Versions ----------------------------------------------------------------------------------


def test_an_edit_ten_minutes_after_the_last_version_first_keeps_the_document_as_it_was(world):
    document = document_of(world["pair"])
    write(document, world["mentee"], "First words.")
    write(document, world["mentee"], " Second.")
    assert NoteVersion.objects.count() == 0  # the document is new

    ten_minutes_ago = timezone.now() - dt.timedelta(minutes=10)
    NoteDocument.objects.filter(pk=document.pk).update(created_at=ten_minutes_ago)
    write(document, world["mentor"], " Third.")
    automatic = NoteVersion.objects.get()
    assert (automatic.text, automatic.label, automatic.created_by) == (
        "First words. Second.",
        "",
        None,
    )

    write(document, world["mentor"], " Fourth.")
    assert NoteVersion.objects.count() == 1  # within ten minutes of that version

    NoteVersion.objects.update(created_at=ten_minutes_ago)
    write(document, world["mentor"], " Fifth.")

    newest = NoteVersion.objects.order_by("-pk").first()
    assert newest.text == "First words. Second. Third. Fourth."
    assert NoteVersion.objects.count() == 2


def test_no_version_is_kept_of_an_empty_document(world):
    document = document_of(world["pair"])
    NoteDocument.objects.filter(pk=document.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )

    write(document, world["mentee"], "Hello")

    assert NoteVersion.objects.count() == 0


def test_a_version_saved_by_hand_keeps_the_text_and_compacts_the_log(world):
    document = document_of(world["pair"])
    write(document, world["mentee"], "Plan A")

    version = services.version_save(
        document=document, by=world["mentor"], label="  Before  the review "
    )

    assert (version.label, version.text, version.created_by) == (
        "Before the review",
        "Plan A",
        world["mentor"],
    )
    assert NoteUpdate.objects.filter(document=document).count() == 0
    assert crdt.text_of(crdt.doc_from([bytes(version.state)])) == "Plan A"
    assert Client(document).text == "Plan A"


def test_a_version_needs_a_name(world):
    document = document_of(world["pair"])

    with pytest.raises(ValidationError) as error:
        services.version_save(document=document, by=world["mentor"], label="   ")

    assert "label" in error.value.message_dict
    assert NoteVersion.objects.count() == 0


def test_restoring_a_version_edits_the_text_back_live_and_keeps_the_text_as_it_was(
    world, sent, django_capture_on_commit_callbacks
):
    document = document_of(world["pair"])
    write(document, world["mentee"], "Plan A\nShared part\n")
    old = services.version_save(document=document, by=world["mentee"], label="Plan A")
    write(document, world["mentor"], "Plan B, much longer\n")
    open_editor = Client(document)

    with django_capture_on_commit_callbacks(execute=True):
        kept = services.version_restore(document=document, version=old, by=world["mentor"])

    document.refresh_from_db()
    assert document.text == "Plan A\nShared part\n"
    assert (kept.label, kept.text) == (
        "Before restoring Plan A",
        "Plan A\nShared part\nPlan B, much longer\n",
    )
    [(document_id, update)] = sent
    assert document_id == document.pk
    open_editor.receive(update)
    assert open_editor.text == document.text


def test_an_edit_typed_while_a_restore_happens_merges_with_it(
    world, sent, django_capture_on_commit_callbacks
):
    document = document_of(world["pair"])
    write(document, world["mentee"], "Intro\n")
    old = services.version_save(document=document, by=world["mentee"], label="Intro only")
    write(document, world["mentee"], "Draft\n")
    typing = Client(document)
    typed = typing.type(0, "Title\n")

    with django_capture_on_commit_callbacks(execute=True):
        services.version_restore(document=document, version=old, by=world["mentor"])
    store(document, world["mentee"], typed)
    typing.receive(sent[0][1])

    document.refresh_from_db()
    assert typing.text == document.text == "Title\nIntro\n"


def test_restoring_a_version_of_another_document_is_refused(world):
    document = document_of(world["pair"])
    other = document_of(world["other_pair"])
    write(other, world["other_mentee"], "Theirs")
    version = services.version_save(document=other, by=world["other_mentee"], label="Theirs")

    with pytest.raises(NotFoundError):
        services.version_restore(document=document, version=version, by=world["mentor"])

    document.refresh_from_db()
    assert document.text == ""


def test_a_text_replaced_from_outside_is_the_smallest_edit_and_is_sent_live(
    world, sent, django_capture_on_commit_callbacks
):
    document = document_of(world["pair"])
    write(document, world["mentee"], "Goals: ship it 😀\n")
    editor = Client(document)

    with django_capture_on_commit_callbacks(execute=True):
        services.document_text_replace(
            document=document, by=world["mentor"], text="Goals: ship it now 😀\n"
        )

    document.refresh_from_db()
    assert document.text == "Goals: ship it now 😀\n"
    editor.receive(sent[0][1])
    assert editor.text == document.text
    assert len(sent[0][1]) < 80  # " now", not the whole text


def test_nothing_is_sent_when_the_transaction_rolls_back(world, sent):
    document = document_of(world["pair"])

    class Rollback(Exception):
        pass

    def replace_then_fail() -> None:
        with transaction.atomic():
            services.document_text_replace(document=document, by=world["mentor"], text="Gone")
            raise Rollback

    with pytest.raises(Rollback):
        replace_then_fail()

    assert sent == []
    document.refresh_from_db()
    assert document.text == ""


# Private notes -----------------------------------------------------------------------------


def test_a_private_note_is_one_per_person_and_place(world):
    pair = world["pair"]
    series, recurrence_id = meeting_of(pair)
    here = NotesContext(pair)
    meeting = NotesContext(pair, series, recurrence_id)

    services.private_note_save(owner=world["mentee"], where=here, body="Ask about pay")
    services.private_note_save(owner=world["mentee"], where=here, body="Ask about pay\r\nand leave")
    services.private_note_save(owner=world["mentor"], where=here, body="Noah seems tired")
    services.private_note_save(owner=world["mentee"], where=meeting, body="Nervous")

    assert PrivateNote.objects.count() == 3
    mine = selectors.private_note_for(owner=world["mentee"], where=here)
    assert mine.body == "Ask about pay\nand leave"
    assert selectors.private_note_for(owner=world["mentor"], where=here).body == "Noah seems tired"
    assert selectors.private_note_for(owner=world["mentee"], where=meeting).body == "Nervous"
    assert selectors.private_note_for(owner=world["manager"], where=here) is None


def test_a_private_note_too_long_is_refused_and_nothing_changes(world):
    here = NotesContext(world["pair"])
    services.private_note_save(owner=world["mentee"], where=here, body="Short")

    with pytest.raises(ValidationError) as error:
        services.private_note_save(owner=world["mentee"], where=here, body="x" * 20_001)

    assert "body" in error.value.message_dict
    assert PrivateNote.objects.get().body == "Short"


@pytest.mark.parametrize("role", ["manager", "staff", "other_mentee"])
def test_only_the_mentorships_people_write_private_notes_there(world, role):
    with pytest.raises(NotFoundError):
        services.private_note_save(
            owner=world[role], where=NotesContext(world["pair"]), body="Mine"
        )

    assert PrivateNote.objects.count() == 0

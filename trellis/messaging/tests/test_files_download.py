"""Attachment downloads: members only (404 for everyone else), safe headers, byte ranges."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from trellis.accounts.tests.factories import StaffFactory, UserFactory
from trellis.mentorships.models import MentorshipSource
from trellis.mentorships.services import mentorship_start
from trellis.mentorships.tests.factories import mentee_in, mentor_in
from trellis.messaging import services
from trellis.messaging.files import attachment_upload
from trellis.messaging.models import ConversationMember
from trellis.messaging.tests.test_files import PDF_BYTES, WEBM_HEAD, docx_bytes, image_bytes
from trellis.programs.tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db

VIDEO = WEBM_HEAD + bytes(range(256)) * 8  # 2,123 bytes, distinct enough to check slices


def upload(conversation, user, name, content, content_type="application/octet-stream", **extra):
    return attachment_upload(
        conversation=conversation,
        user=user,
        upload=SimpleUploadedFile(name, content, content_type=content_type),
        **extra,
    )


def send(conversation, user, attachment, key="m1"):
    services.message_send(
        conversation=conversation, sender=user, client_key=key, attachment_ids=[attachment.pk]
    )
    attachment.refresh_from_db()
    return attachment


def url(attachment):
    return reverse("messaging:attachment", args=[attachment.pk])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def people(program, mentor, mentee, conversation):
    manager = UserFactory()
    program.managers.add(manager)
    other_mentor, other_mentee = mentor_in(program), mentee_in(program)
    other = mentorship_start(
        program=program,
        mentor=other_mentor,
        mentee=other_mentee,
        source=MentorshipSource.MANAGER,
        score=None,
        reasons=[],
        by=None,
        notify=False,
    )
    services.conversation_for_mentorship(mentorship=other)
    other_manager = UserFactory()
    ProgramFactory(managers=[other_manager])
    return {
        "anonymous": None,
        "mentor": mentor,
        "mentee": mentee,
        "other_pair_mentor": other_mentor,
        "manager": manager,
        "other_program_manager": other_manager,
        "staff": StaffFactory(),
        "outsider": UserFactory(),
    }


@pytest.fixture
def sent_pdf(conversation, mentee):
    return send(
        conversation, mentee, upload(conversation, mentee, 'Plan für 2027 "v2".pdf', PDF_BYTES)
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 404),
        ("mentor", 200),
        ("mentee", 200),
        ("other_pair_mentor", 404),
        ("manager", 404),
        ("other_program_manager", 404),
        ("staff", 404),
        ("outsider", 404),
    ],
)
def test_only_members_download(client, people, sent_pdf, who, status):
    if people[who] is not None:
        client.force_login(people[who])

    response = client.get(url(sent_pdf))

    assert response.status_code == status
    if status == 200:
        assert body(response) == PDF_BYTES


def test_a_member_who_left_gets_404(client, conversation, mentor, sent_pdf):
    ConversationMember.objects.filter(conversation=conversation, user=mentor).update(
        is_active=False
    )
    client.force_login(mentor)
    assert client.get(url(sent_pdf)).status_code == 404


def test_an_unknown_file_is_404_like_a_forbidden_one(client, mentor, sent_pdf):
    client.force_login(mentor)
    assert client.get(reverse("messaging:attachment", args=[sent_pdf.pk + 1000])).status_code == 404


def test_before_it_is_sent_only_the_uploader_sees_it(client, conversation, mentor, mentee):
    draft = upload(conversation, mentee, "draft.pdf", PDF_BYTES)

    client.force_login(mentor)
    assert client.get(url(draft)).status_code == 404
    client.force_login(mentee)
    assert client.get(url(draft)).status_code == 200


def test_a_pdf_is_inline_with_safe_headers(client, mentor, sent_pdf):
    client.force_login(mentor)

    response = client.get(url(sent_pdf))

    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Length"] == str(len(PDF_BYTES))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["Content-Disposition"] == (
        'inline; filename="Plan fur 2027 _v2_.pdf"; '
        "filename*=UTF-8''Plan%20f%C3%BCr%202027%20%22v2%22.pdf"
    )


def test_an_office_document_is_an_attachment(client, conversation, mentee):
    document = send(conversation, mentee, upload(conversation, mentee, "cv.docx", docx_bytes()))
    client.force_login(mentee)

    response = client.get(url(document))

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="cv.docx"')


def test_text_is_an_attachment_in_utf8(client, conversation, mentee):
    note = send(
        conversation, mentee, upload(conversation, mentee, "<b>.txt", b"<script>x</script>")
    )
    client.force_login(mentee)

    response = client.get(url(note))

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"_b_.txt\"; filename*=UTF-8''%3Cb%3E.txt"
    )


def test_an_image_is_served_with_the_sniffed_type_not_the_claim(client, conversation, mentee):
    image = send(
        conversation,
        mentee,
        upload(conversation, mentee, "photo.pdf", image_bytes("PNG"), "application/pdf"),
    )
    client.force_login(mentee)

    response = client.get(url(image))

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith('inline; filename="photo.pdf"')


@pytest.fixture
def video(conversation, mentor):
    return send(
        conversation,
        mentor,
        upload(conversation, mentor, "hello.webm", VIDEO, "video/webm", duration_seconds=3),
    )


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, len(VIDEO) - 1),
        ("bytes=-50", len(VIDEO) - 50, len(VIDEO) - 1),
        ("bytes=2000-999999", 2000, len(VIDEO) - 1),
        ("bytes=5-5", 5, 5),
    ],
)
def test_a_single_range_is_answered_with_206(client, mentee, video, header, first, last):
    client.force_login(mentee)

    response = client.get(url(video), headers={"Range": header})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(VIDEO)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Type"] == "video/webm"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == VIDEO[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=5000-", "bytes=-0"])
def test_an_unsatisfiable_range_is_416(client, mentee, video, header):
    client.force_login(mentee)

    response = client.get(url(video), headers={"Range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO)}"


@pytest.mark.parametrize(
    "header", ["bytes=0-1,5-9", "items=0-5", "bytes=9-2", "bytes=-", "bytes=abc"]
)
def test_other_ranges_get_the_whole_file(client, mentee, video, header):
    client.force_login(mentee)

    response = client.get(url(video), headers={"Range": header})

    assert response.status_code == 200
    assert body(response) == VIDEO


def test_if_range_with_another_version_gets_the_whole_file(client, mentee, video):
    client.force_login(mentee)
    response = client.get(url(video), headers={"Range": "bytes=0-9"})
    etag = response["ETag"]

    same = client.get(url(video), headers={"Range": "bytes=0-9", "If-Range": etag})
    other = client.get(url(video), headers={"Range": "bytes=0-9", "If-Range": '"other"'})

    assert (same.status_code, body(same)) == (206, VIDEO[:10])
    assert (other.status_code, body(other)) == (200, VIDEO)


def test_a_range_from_a_non_member_is_404(client, people, video):
    client.force_login(people["other_pair_mentor"])
    assert client.get(url(video), headers={"Range": "bytes=0-9"}).status_code == 404


def test_post_is_not_allowed(client, mentee, video):
    client.force_login(mentee)
    assert client.post(url(video)).status_code == 405

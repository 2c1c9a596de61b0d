"""Attachments: types from the bytes, size limit, names, the upload service, purging."""

from __future__ import annotations

import datetime as dt
import io
import struct
import wave
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from trellis.accounts.tests.factories import UserFactory
from trellis.core.errors import NotFoundError, PermissionDeniedError
from trellis.messaging import services
from trellis.messaging.files import (
    DOC,
    DOCX,
    ODS,
    ODT,
    PPT,
    PPTX,
    XLS,
    XLSX,
    attachment_upload,
    clean_file_name,
    kind_of_recording,
    sniff,
)
from trellis.messaging.models import Attachment, ConversationMember

# Sample files, small but valid where it matters ---------------------------------------------


def image_bytes(image_format: str, size: tuple[int, int] = (3, 2)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, format=image_format)
    return buffer.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n"


def zip_bytes(entries: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, content) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=method)
    return buffer.getvalue()


def content_types(main: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/main.xml" ContentType="{main}"/></Types>'
    ).encode()


def docx_bytes() -> bytes:
    return zip_bytes(
        [
            (
                "[Content_Types].xml",
                content_types(
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
                ),
            ),
            ("_rels/.rels", b"<Relationships/>"),
            ("word/document.xml", b"<w:document/>"),
        ]
    )


def ooxml_bytes(folder: str, main: str = "application/xml") -> bytes:
    return zip_bytes(
        [("[Content_Types].xml", content_types(main)), (f"{folder}/main.xml", b"<x/>")]
    )


def odf_bytes(mimetype: str) -> bytes:
    return zip_bytes(
        [
            ("mimetype", mimetype.encode()),
            ("content.xml", b"<office:document-content/>"),
            ("META-INF/manifest.xml", b"<manifest:manifest/>"),
        ],
        stored_first=True,
    )


FREE, END, FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def ole2_bytes(stream_names: list[str]) -> bytes:
    """A Compound File ([MS-CFB], 512-byte sectors) whose directory has these streams.

    Sector 0 is the FAT; the directory starts at sector 1 and, with more than three
    streams, goes on in sector 3 (chained through the FAT), so a reader must follow it.
    """
    names = ["Root Entry", *stream_names]
    entries = []
    for index, name in enumerate(names):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entry = bytearray(128)
        entry[: len(encoded)] = encoded
        struct.pack_into("<HBB", entry, 0x40, len(encoded), 5 if index == 0 else 2, 1)
        struct.pack_into("<III", entry, 0x44, FREE, FREE, 1 if index == 0 else FREE)
        struct.pack_into("<II", entry, 0x74, END, 0)
        entries.append(bytes(entry))
    while len(entries) % 4:
        entries.append(bytes(128))
    directory_sectors = [b"".join(entries[i : i + 4]) for i in range(0, len(entries), 4)]
    # Sector 1: directory part 1; sector 2: filler (a data sector); 3, 4...: the rest.
    fat = [FAT_SECTOR, 3 if len(directory_sectors) > 1 else END, END]
    layout = {1: directory_sectors[0], 2: b"\x00" * 512}
    for number, block in enumerate(directory_sectors[1:], start=3):
        is_last = number - 3 == len(directory_sectors) - 2
        fat.append(END if is_last else number + 1)
        layout[number] = block
    fat += [FREE] * (128 - len(fat))
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x28, 0, 1, 1, 0, 4096, END, 0, END, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([FREE] * 108))
    sectors = [struct.pack("<128I", *fat)] + [layout[n] for n in range(1, max(layout) + 1)]
    return bytes(header) + b"".join(sectors)


WEBM_HEAD = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02"
    b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff" + b"\x00" * 64
)
MATROSKA_HEAD = WEBM_HEAD.replace(b"\x42\x82\x84webm", b"\x42\x82\x88matroska")
OGG_OPUS = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead\x01\x01" + b"\x00" * 32
OGG_THEORA = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x2a\x80theora\x03\x02" + b"\x00" * 32
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free"
M4A_HEAD = b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom" + b"\x00\x00\x00\x08free"
HEIC_HEAD = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00\x00\x00\x08free"
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 200
# MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417-byte frames.
MP3_FRAMES = (b"\xff\xfb\x90\x64" + b"\x00" * 413) * 3


def wav_bytes() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# Sniffing ---------------------------------------------------------------------------------

ACCEPTED = [
    pytest.param("report.pdf", PDF_BYTES, "application/pdf", "application/pdf", id="pdf"),
    pytest.param("a.png", image_bytes("PNG"), "image/png", "image/png", id="png"),
    pytest.param("a.jpg", image_bytes("JPEG"), "image/jpeg", "image/jpeg", id="jpeg"),
    pytest.param("a.gif", image_bytes("GIF"), "image/gif", "image/gif", id="gif"),
    pytest.param("a.webp", image_bytes("WEBP"), "image/webp", "image/webp", id="webp"),
    pytest.param("cv.docx", docx_bytes(), "", DOCX, id="docx"),
    pytest.param("sheet.xlsx", ooxml_bytes("xl"), "", XLSX, id="xlsx"),
    pytest.param("deck.pptx", ooxml_bytes("ppt"), "", PPTX, id="pptx"),
    pytest.param("text.odt", odf_bytes(ODT), "", ODT, id="odt"),
    pytest.param("calc.ods", odf_bytes(ODS), "", ODS, id="ods"),
    pytest.param("old.doc", ole2_bytes(["WordDocument", "1Table"]), "", DOC, id="doc"),
    pytest.param("old.xls", ole2_bytes(["Workbook"]), "", XLS, id="xls"),
    pytest.param(
        "old.ppt",
        # The stream sits in the directory's second sector: the FAT chain is followed.
        ole2_bytes(["Current User", "SummaryInformation", "Pictures", "PowerPoint Document"]),
        "",
        PPT,
        id="ppt-directory-over-two-sectors",
    ),
    pytest.param("notes.txt", "Grüße, ok\n".encode(), "text/plain", "text/plain", id="txt"),
    pytest.param("plan.md", b"# Plan\n- one\n", "", "text/markdown", id="md"),
    pytest.param("data.csv", b"\xef\xbb\xbfa,b\n1,2\n", "text/csv", "text/csv", id="csv-bom"),
    pytest.param("voice.webm", WEBM_HEAD, "audio/webm;codecs=opus", "audio/webm", id="webm-a"),
    pytest.param("video.webm", WEBM_HEAD, "video/webm;codecs=vp9", "video/webm", id="webm-v"),
    pytest.param("voice.ogg", OGG_OPUS, "audio/ogg", "audio/ogg", id="ogg-opus"),
    pytest.param("film.ogv", OGG_THEORA, "audio/ogg", "video/ogg", id="ogg-theora"),
    pytest.param("clip.mp4", MP4_HEAD, "video/mp4", "video/mp4", id="mp4"),
    pytest.param("clip.mp4", MP4_HEAD, "audio/mp4", "audio/mp4", id="mp4-audio-declared"),
    pytest.param("voice.m4a", M4A_HEAD, "", "audio/mp4", id="m4a"),
    pytest.param("voice.wav", wav_bytes(), "audio/wav", "audio/wav", id="wav"),
    pytest.param("song.mp3", MP3_ID3, "audio/mpeg", "audio/mpeg", id="mp3-id3"),
    pytest.param("song.mp3", MP3_FRAMES, "audio/mpeg", "audio/mpeg", id="mp3-frames"),
    # The claim and the name lose to the bytes.
    pytest.param("photo.pdf", image_bytes("PNG"), "application/pdf", "image/png", id="claim"),
    pytest.param("x.exe", PDF_BYTES, "application/x-msdownload", "application/pdf", id="ext"),
]


@pytest.mark.parametrize(("name", "content", "declared", "expected"), ACCEPTED)
def test_the_type_comes_from_the_bytes(name, content, declared, expected):
    assert sniff(io.BytesIO(content), name=name, declared_type=declared).content_type == expected


def test_an_image_gets_its_size():
    sniffed = sniff(io.BytesIO(image_bytes("PNG", (40, 25))), name="a.png")
    assert (sniffed.content_type, sniffed.width, sniffed.height) == ("image/png", 40, 25)


REFUSED = [
    pytest.param("setup.exe", b"MZ\x90\x00\x03" + b"\x00" * 200, "", id="exe"),
    pytest.param("setup.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/pdf", id="exe-pdf"),
    pytest.param(
        "cat.png", b"<html><script>alert(1)</script></html>", "image/png", id="html-as-png"
    ),
    pytest.param("page.html", b"<!doctype html><p>hi</p>", "text/html", id="html"),
    pytest.param("page.htm.txt", "x".encode("utf-16"), "text/plain", id="utf16-text"),
    pytest.param(
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
        id="svg",
    ),
    pytest.param(
        "logo.png",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "image/png",
        id="svg-as-png",
    ),
    pytest.param("notes.txt", b"half\x00binary", "text/plain", id="txt-with-nul"),
    pytest.param("notes.txt", "caf\xe9".encode("latin-1"), "text/plain", id="txt-not-utf8"),
    pytest.param("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png", id="bad-png"),
    pytest.param("broken.jpg", b"\xff\xd8\xff\xe0" + b"junk" * 10, "image/jpeg", id="bad-jpeg"),
    pytest.param("archive.zip", zip_bytes([("a.txt", b"x")]), "application/zip", id="zip"),
    pytest.param("fake.docx", b"PK\x03\x04" + b"\x00" * 60, "", id="broken-zip"),
    pytest.param(
        "macro.docm",
        zip_bytes(
            [
                (
                    "[Content_Types].xml",
                    content_types("application/vnd.ms-word.document.macroEnabled.main+xml"),
                ),
                ("word/document.xml", b"<w:document/>"),
                ("word/vbaProject.bin", b"\x00"),
            ]
        ),
        "",
        id="docm-macros",
    ),
    pytest.param(
        "other.odg", odf_bytes("application/vnd.oasis.opendocument.graphics"), "", id="odg"
    ),
    pytest.param("macro.doc", ole2_bytes(["WordDocument", "Macros"]), "", id="doc-macros"),
    pytest.param("setup.msi", ole2_bytes(["SummaryInformation"]), "", id="ole2-other"),
    pytest.param("film.mkv", MATROSKA_HEAD, "video/x-matroska", id="matroska"),
    pytest.param("photo.heic", HEIC_HEAD, "image/heic", id="heic"),
    pytest.param("data.bin", bytes(range(256)), "", id="random"),
    pytest.param("one.mp3", MP3_FRAMES[:417] + b"\x01" * 100, "audio/mpeg", id="one-mp3-frame"),
    pytest.param("utf16.mp3", "hello".encode("utf-16"), "audio/mpeg", id="utf16-bom-as-mp3"),
    pytest.param("a.txt", b"", "text/plain", id="empty"),
]


@pytest.mark.parametrize(("name", "content", "declared"), REFUSED)
def test_anything_else_is_refused_with_a_clear_message(name, content, declared):
    with pytest.raises(ValidationError) as caught:
        sniff(io.BytesIO(content), name=name, declared_type=declared)
    message = caught.value.message_dict["file"][0]
    assert message.endswith(".")
    assert len(message) > 15


def test_the_refusal_says_what_is_accepted():
    with pytest.raises(ValidationError) as caught:
        sniff(io.BytesIO(b"MZ\x90\x00"), name="x.exe")
    assert "PDF" in caught.value.message_dict["file"][0]


# Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("C:\\Users\\ana\\report final.pdf", "report final.pdf"),
        ("report\x00.pdf", "report.pdf"),
        ("line\nbreak\r.txt", "linebreak.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("zero\u200bwidth.png", "zerowidth.png"),
        ("  spaced   out .md ", "spaced out .md"),
        ("Résumé.docx", "Résumé.docx"),
        ("..", "file"),
        ("/", "file"),
        ("", "file"),
        (None, "file"),
        ("\x00\x01\x02", "file"),
    ],
)
def test_names_are_cleaned(raw, cleaned):
    assert clean_file_name(raw) == cleaned


def test_long_names_keep_their_extension():
    cleaned = clean_file_name("a" * 400 + ".pdf")
    assert len(cleaned) == 255
    assert cleaned.endswith("aaa.pdf")
    assert len(clean_file_name("b" * 400)) == 255


# The upload service -----------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_an_upload_is_stored_unsent_under_a_random_name(conversation, mentee, attachment_root):
    attachment = attachment_upload(
        conversation=conversation,
        user=mentee,
        upload=upload("../Holiday photo.png", image_bytes("PNG", (8, 6)), "image/png"),
    )

    attachment.refresh_from_db()
    assert attachment.message_id is None
    assert attachment.uploaded_by_id == mentee.pk
    assert (attachment.name, attachment.content_type) == ("Holiday photo.png", "image/png")
    assert (attachment.width, attachment.height, attachment.duration_seconds) == (8, 6, None)
    assert attachment.size == len(image_bytes("PNG", (8, 6)))
    files = stored_files(attachment_root)
    assert len(files) == 1
    assert files[0].relative_to(attachment_root).as_posix() == attachment.file.name
    assert attachment.file.name.startswith(f"attachments/{conversation.pk}/")
    assert "Holiday" not in attachment.file.name
    assert files[0].read_bytes() == image_bytes("PNG", (8, 6))


def test_a_refused_file_leaves_nothing(conversation, mentee, attachment_root):
    with pytest.raises(ValidationError):
        attachment_upload(
            conversation=conversation,
            user=mentee,
            upload=upload("cat.png", b"<script>alert(1)</script>", "image/png"),
        )
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_root) == []


def test_the_size_limit_is_said_in_the_refusal(conversation, mentee, settings, attachment_root):
    settings.MESSAGING_MAX_ATTACHMENT_MB = 1
    too_big = PDF_BYTES + b"0" * (1024 * 1024)

    with pytest.raises(ValidationError) as caught:
        attachment_upload(conversation=conversation, user=mentee, upload=upload("a.pdf", too_big))

    assert caught.value.message_dict == {
        "file": ["The file is larger than 1 MB; files up to 1 MB are accepted."]
    }
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_root) == []
    exactly = PDF_BYTES + b"0" * (1024 * 1024 - len(PDF_BYTES))
    assert (
        attachment_upload(
            conversation=conversation, user=mentee, upload=upload("b.pdf", exactly)
        ).size
        == 1024 * 1024
    )


def test_an_empty_file_is_refused(conversation, mentee):
    with pytest.raises(ValidationError) as caught:
        attachment_upload(conversation=conversation, user=mentee, upload=upload("a.txt", b""))
    assert caught.value.message_dict == {"file": ["The file is empty."]}


def test_a_recording_keeps_its_duration_and_kind(conversation, mentor):
    voice = attachment_upload(
        conversation=conversation,
        user=mentor,
        upload=upload("voice.webm", WEBM_HEAD, "audio/webm;codecs=opus"),
        duration_seconds=12.3456,
    )
    video = attachment_upload(
        conversation=conversation,
        user=mentor,
        upload=upload("video.webm", WEBM_HEAD, "video/webm"),
        duration_seconds=0,
    )
    document = attachment_upload(
        conversation=conversation, user=mentor, upload=upload("a.pdf", PDF_BYTES)
    )

    assert (voice.content_type, voice.duration_seconds) == ("audio/webm", 12.346)
    assert (video.content_type, video.duration_seconds) == ("video/webm", 0)
    assert [kind_of_recording(a) for a in (voice, video, document)] == ["voice", "video", ""]


@pytest.mark.parametrize(
    ("name", "content", "duration"),
    [
        ("voice.webm", WEBM_HEAD, -1),
        ("voice.webm", WEBM_HEAD, 3600.5),
        ("voice.webm", WEBM_HEAD, float("nan")),
        ("voice.webm", WEBM_HEAD, float("inf")),
        ("a.pdf", PDF_BYTES, 10),
    ],
)
def test_a_wrong_duration_is_refused(
    conversation, mentor, name, content, duration, attachment_root
):
    with pytest.raises(ValidationError) as caught:
        attachment_upload(
            conversation=conversation,
            user=mentor,
            upload=upload(name, content, "audio/webm"),
            duration_seconds=duration,
        )
    assert list(caught.value.message_dict) == ["duration_seconds"]
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_root) == []


def test_only_members_who_may_write_upload(conversation, mentor, program, attachment_root):
    outsider = UserFactory()
    with pytest.raises(NotFoundError):
        attachment_upload(
            conversation=conversation, user=outsider, upload=upload("a.pdf", PDF_BYTES)
        )
    ConversationMember.objects.filter(conversation=conversation, user=mentor).update(
        can_write=False
    )
    with pytest.raises(PermissionDeniedError):
        attachment_upload(conversation=conversation, user=mentor, upload=upload("a.pdf", PDF_BYTES))
    ConversationMember.objects.filter(conversation=conversation, user=mentor).update(
        can_write=True, is_active=False
    )
    with pytest.raises(NotFoundError):
        attachment_upload(conversation=conversation, user=mentor, upload=upload("a.pdf", PDF_BYTES))
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_root) == []


def test_a_sent_recording_makes_a_voice_message(conversation, mentee):
    voice = attachment_upload(
        conversation=conversation,
        user=mentee,
        upload=upload("voice.ogg", OGG_OPUS, "audio/ogg"),
        duration_seconds=4,
    )
    message, created = services.message_send(
        conversation=conversation, sender=mentee, client_key="v1", attachment_ids=[voice.pk]
    )
    assert created
    assert message.kind == "voice"
    voice.refresh_from_db()
    assert voice.message_id == message.pk


# Purging unsent attachments ------------------------------------------------------------------


def test_unsent_attachments_are_purged_after_a_day(conversation, mentee, attachment_root):
    def make(name):
        return attachment_upload(
            conversation=conversation, user=mentee, upload=upload(name, PDF_BYTES)
        )

    old_unsent, old_sent, fresh_unsent = make("old.pdf"), make("sent.pdf"), make("new.pdf")
    services.message_send(
        conversation=conversation, sender=mentee, client_key="s", attachment_ids=[old_sent.pk]
    )
    day_ago = timezone.now() - dt.timedelta(days=1, minutes=1)
    Attachment.objects.filter(pk__in=[old_unsent.pk, old_sent.pk]).update(created_at=day_ago)

    call_command("messaging_purge_unsent", stdout=io.StringIO())

    assert sorted(Attachment.objects.values_list("pk", flat=True)) == sorted(
        [old_sent.pk, fresh_unsent.pk]
    )
    assert [p.relative_to(attachment_root).as_posix() for p in stored_files(attachment_root)] == (
        sorted([old_sent.file.name, fresh_unsent.file.name])
    )

"""Attachments: what a file is (decided from its bytes), storing it, and purging unsent ones.

The browser's claimed type and the file's extension are never trusted: ``sniff`` reads
the first bytes (and, for ZIP and OLE2 containers, their directory) and names one of a
short list of types, or refuses the file. Plain text is the one type that has no magic
number, so it is accepted only under a .txt/.md/.csv name, as valid UTF-8 without NULs.
Everything else (HTML, SVG, executables, archives...) is refused. Files are stored under
a random name in the private "attachments" storage and served by views_files only to
the conversation's members.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import struct
import unicodedata
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from trellis.accounts.models import User
from trellis.core.errors import PermissionDeniedError
from trellis.messaging.models import Attachment, Conversation
from trellis.messaging.selectors import membership_of

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 255
FALLBACK_NAME = "file"
MAX_DURATION_SECONDS = 3600
# An attachment uploaded and never sent is deleted after this long.
UNSENT_LIFETIME = dt.timedelta(days=1)
# Enough to see every magic number and a WebM/Ogg header.
HEAD_BYTES = 4096

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"
TEXT_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".csv": "text/csv"}
IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}

ALLOWED_TYPES = frozenset(
    {
        PDF,
        DOCX,
        XLSX,
        PPTX,
        ODT,
        ODS,
        ODP,
        DOC,
        XLS,
        PPT,
        *TEXT_TYPES.values(),
        *IMAGE_FORMATS.values(),
        "audio/webm",
        "video/webm",
        "audio/ogg",
        "video/ogg",
        "audio/mp4",
        "video/mp4",
        "video/quicktime",
        "audio/wav",
        "audio/mpeg",
    }
)

REFUSED_TYPE = (
    "This kind of file cannot be shared here. Send a PDF, an office document (Word, Excel, "
    "PowerPoint, OpenDocument), an image (PNG, JPEG, GIF, WebP), a .txt/.md/.csv text file, "
    "or a voice or video recording."
)
REFUSED_MACROS = "Documents with macros cannot be shared here; save it without macros."


def attachment_storage() -> Storage:
    """The private storage attachments live in (local files, or S3-compatible)."""
    return storages["attachments"]


def max_attachment_bytes() -> int:
    return int(settings.MESSAGING_MAX_ATTACHMENT_MB) * 1024 * 1024


# Names ----------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[/\\]")


def clean_file_name(name: str | None) -> str:
    """The uploaded name made safe to show and to offer on download.

    No folder part, no control or format characters (newlines, NUL, the right-to-left
    override that makes "exe.pdf" read backwards), at most 255 characters with the
    extension kept, "file" when nothing is left.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = _SEPARATORS.split(text)[-1]
    text = "".join(
        character
        for character in text
        if unicodedata.category(character) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
    )
    text = " ".join(text.split()).strip(" .")
    if not text:
        return FALLBACK_NAME
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        if dot and stem and len(extension) <= 16:
            text = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            text = text[:MAX_NAME_LENGTH]
    return text


def _extension(name: str) -> str:
    _stem, dot, extension = name.rpartition(".")
    return f".{extension.lower()}" if dot else ""


# Sniffing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sniffed:
    content_type: str
    width: int | None = None
    height: int | None = None

    @property
    def is_recording(self) -> bool:
        return self.content_type.startswith(("audio/", "video/"))


def _refuse(message: str = REFUSED_TYPE) -> ValidationError:
    return ValidationError({"file": [message]})


def _read_at(file: IO[bytes], offset: int, length: int) -> bytes:
    file.seek(offset)
    return file.read(length)


def sniff(file: IO[bytes], *, name: str, declared_type: str = "") -> Sniffed:
    """What the file is, from its bytes; raise ValidationError({"file": ...}) if not allowed.

    ``declared_type`` (the browser's claim) only tells audio from video for WebM, Ogg
    and MP4, whose container is the same for both; it never makes bytes another type.
    """
    head = _read_at(file, 0, HEAD_BYTES)
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    if not head:
        raise _refuse("The file is empty.")
    if head.startswith(b"%PDF-"):
        return Sniffed(PDF)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _image(file, "PNG")
    if head.startswith(b"\xff\xd8\xff"):
        return _image(file, "JPEG")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return _image(file, "GIF")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _image(file, "WEBP")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio/wav")
    if head.startswith(b"PK\x03\x04"):
        return Sniffed(_zip_document(file))
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return Sniffed(_ole2_document(file))
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if not _is_webm(head):
            raise _refuse()
        return Sniffed("audio/webm" if declared.startswith("audio/") else "video/webm")
    if head.startswith(b"OggS"):
        # Theora is Ogg's video codec; Vorbis, Opus and FLAC in Ogg are sound.
        return Sniffed("video/ogg" if b"\x80theora" in head else "audio/ogg")
    if head[4:8] == b"ftyp":
        return Sniffed(_mp4_type(head, declared))
    if _is_mp3(head):
        return Sniffed("audio/mpeg")
    extension = _extension(name)
    if extension in TEXT_TYPES and _is_utf8_text(file):
        return Sniffed(TEXT_TYPES[extension])
    raise _refuse()


def _image(file: IO[bytes], image_format: str) -> Sniffed:
    """Check the image is whole and read its size; refuse corrupt or bomb-sized ones."""
    corrupt = _refuse("This image is damaged or not what its first bytes say; it cannot be read.")
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file, formats=[image_format]) as image:
                width, height = image.size
                image.verify()
    except Image.DecompressionBombError:
        raise _refuse("This image has too many pixels to be shown.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error):
        raise corrupt from None
    if width < 1 or height < 1:
        raise corrupt
    return Sniffed(IMAGE_FORMATS[image_format], width=width, height=height)


def _zip_document(file: IO[bytes]) -> str:
    """Office Open XML (docx, xlsx, pptx) or OpenDocument (odt, ods, odp); else refused."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            names = [entry.filename for entry in entries]
            if entries and entries[0].filename == "mimetype":
                mimetype_entry = entries[0]
                if mimetype_entry.file_size > 100:
                    raise _refuse()
                mimetype = archive.read(mimetype_entry).decode("ascii", "replace").strip()
                if mimetype not in {ODT, ODS, ODP}:
                    raise _refuse()
                if any(name.startswith(("Basic/", "Scripts/")) for name in names):
                    raise _refuse(REFUSED_MACROS)
                return mimetype
            if "[Content_Types].xml" not in names:
                raise _refuse()
            types_entry = archive.getinfo("[Content_Types].xml")
            if types_entry.file_size > 1024 * 1024:
                raise _refuse()
            content_types = archive.read(types_entry)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError):
        raise _refuse("This file looks like a ZIP archive but cannot be read.") from None
    except NotImplementedError:  # a compression method zipfile does not know
        raise _refuse() from None
    if b"macroEnabled" in content_types or any(n.endswith("vbaProject.bin") for n in names):
        raise _refuse(REFUSED_MACROS)
    for folder, content_type in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
        if any(name.startswith(folder) for name in names):
            return content_type
    raise _refuse()


def _ole2_document(file: IO[bytes]) -> str:
    """A legacy Word, Excel or PowerPoint file, told apart by its streams' names."""
    names = _ole2_names(file)
    if names & {"Macros", "_VBA_PROJECT_CUR", "VBA"}:
        raise _refuse(REFUSED_MACROS)
    if "WordDocument" in names:
        return DOC
    if names & {"Workbook", "Book"}:
        return XLS
    if "PowerPoint Document" in names:
        return PPT
    raise _refuse()


_FREE_OR_END = 0xFFFFFFFA  # this and above: no next sector (end of chain, free, special)


def _ole2_names(file: IO[bytes]) -> set[str]:
    """The names in a Compound File Binary's directory ([MS-CFB]); empty if unreadable."""
    file.seek(0, 2)
    size = file.tell()
    header = _read_at(file, 0, 512)
    if len(header) < 512:
        return set()
    sector_shift = struct.unpack_from("<H", header, 0x1E)[0]
    if sector_shift not in (9, 12):
        return set()
    sector_size = 1 << sector_shift
    max_sectors = size // sector_size + 1
    fat_count, first_directory = struct.unpack_from("<II", header, 0x2C)
    first_difat, difat_count = struct.unpack_from("<II", header, 0x44)
    if fat_count > max_sectors or difat_count > max_sectors:
        return set()
    difat = [s for s in struct.unpack_from("<109I", header, 0x4C) if s < _FREE_OR_END]
    sector, seen = first_difat, 0
    while sector < _FREE_OR_END and seen < difat_count:
        block = _read_at(file, (sector + 1) * sector_size, sector_size)
        if len(block) < sector_size:
            return set()
        values = struct.unpack(f"<{sector_size // 4}I", block)
        difat += [s for s in values[:-1] if s < _FREE_OR_END]
        sector, seen = values[-1], seen + 1
    per_fat_sector = sector_size // 4

    def next_sector(current: int) -> int:
        index, position = divmod(current, per_fat_sector)
        if index >= len(difat):
            return _FREE_OR_END
        raw = _read_at(file, (difat[index] + 1) * sector_size + position * 4, 4)
        return struct.unpack("<I", raw)[0] if len(raw) == 4 else _FREE_OR_END

    names: set[str] = set()
    sector, visited = first_directory, 0
    while sector < _FREE_OR_END and visited < max_sectors:
        block = _read_at(file, (sector + 1) * sector_size, sector_size)
        for offset in range(0, len(block) - 127, 128):
            length = struct.unpack_from("<H", block, offset + 0x40)[0]
            if 2 <= length <= 64:
                names.add(block[offset : offset + length - 2].decode("utf-16-le", "replace"))
        sector, visited = next_sector(sector), visited + 1
    return names


def _is_webm(head: bytes) -> bool:
    """An EBML header whose DocType (element 0x4282) is "webm", not another Matroska file."""
    position = head.find(b"\x42\x82", 4, 64)
    if position < 0 or position + 3 > len(head):
        return False
    # The element's size is an EBML variable-length integer: its first byte's leading
    # zeros say how many bytes follow.
    first = head[position + 2]
    width = 8 - first.bit_length() + 1
    if not 1 <= width <= 8:
        return False
    size = first & (0xFF >> width)
    for byte in head[position + 3 : position + 2 + width]:
        size = (size << 8) | byte
    start = position + 2 + width
    return head[start : start + size] == b"webm"


_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}


def _mp4_type(head: bytes, declared: str) -> str:
    brand = head[8:12]
    if brand in _HEIF_BRANDS:  # a still image (HEIC/AVIF) in the same box format
        raise _refuse()
    if brand in (b"M4A ", b"M4B "):
        return "audio/mp4"
    if brand == b"qt  ":
        return "video/quicktime"
    return "audio/mp4" if declared.startswith("audio/") else "video/mp4"


_MP3_BITRATES = {  # kbit/s by (is MPEG-1, layer), index 1 to 14
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_SAMPLE_RATES = {
    0b11: (44100, 48000, 32000),
    0b10: (22050, 24000, 16000),
    0b00: (11025, 12000, 8000),
}


def _mp3_frame_length(header: bytes) -> int:
    """The length of the MPEG audio frame starting with header; 0 if it is not one."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return 0
    version, layer_bits = (header[1] >> 3) & 0b11, (header[1] >> 1) & 0b11
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 0b11
    if version == 0b01 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return 0
    layer = 4 - layer_bits
    is_mpeg1 = version == 0b11
    bitrate = _MP3_BITRATES[(is_mpeg1, layer)][bitrate_index - 1] * 1000
    sample_rate = _MP3_SAMPLE_RATES[version][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 1:
        return (12 * bitrate // sample_rate + padding) * 4
    if layer == 3 and not is_mpeg1:
        return 72 * bitrate // sample_rate + padding
    return 144 * bitrate // sample_rate + padding


def _is_mp3(head: bytes) -> bool:
    """An ID3 tag, or two MPEG audio frames back to back (one sync word is too weak a sign:
    a UTF-16 text's byte order mark passes for one)."""
    if head.startswith(b"ID3") and len(head) >= 10:
        return 2 <= head[3] <= 4 and all(byte < 0x80 for byte in head[6:10])
    length = _mp3_frame_length(head[:4])
    if not length:
        return False
    following = head[length : length + 4]
    return bool(_mp3_frame_length(following)) and following[1] & 0xFE == head[1] & 0xFE


def _is_utf8_text(file: IO[bytes]) -> bool:
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    file.seek(0)
    try:
        while chunk := file.read(64 * 1024):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# Uploading ------------------------------------------------------------------------------


def _clean_duration(value: Any, *, is_recording: bool) -> float | None:
    if value is None or value == "":
        return None
    if not is_recording:
        raise ValidationError(
            {"duration_seconds": ["Only voice and video recordings have a duration."]}
        )
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValidationError({"duration_seconds": ["Give the duration in seconds."]}) from None
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_DURATION_SECONDS:
        raise ValidationError(
            {
                "duration_seconds": [
                    f"A recording lasts from 0 to {MAX_DURATION_SECONDS} seconds (one hour)."
                ]
            }
        )
    return round(seconds, 3)


def attachment_upload(
    *,
    conversation: Conversation,
    user: User,
    upload: UploadedFile,
    duration_seconds: float | None = None,
) -> Attachment:
    """Check and store an uploaded file in the conversation, not yet sent (message None).

    The sender sends it with services.message_send(attachment_ids=[...]); unsent ones are
    purged after a day. A refused file leaves no row and no stored bytes.
    """
    member = membership_of(conversation_id=conversation.pk, user=user)
    if not member.can_write:
        raise PermissionDeniedError("You may read this conversation but not write in it.")
    size = upload.size
    if size is None or size <= 0:
        raise _refuse("The file is empty.")
    limit_mb = settings.MESSAGING_MAX_ATTACHMENT_MB
    if size > max_attachment_bytes():
        raise _refuse(
            f"The file is larger than {limit_mb} MB; files up to {limit_mb} MB are accepted."
        )
    name = clean_file_name(upload.name)
    sniffed = sniff(upload, name=name, declared_type=upload.content_type or "")
    if sniffed.content_type not in ALLOWED_TYPES:  # a sniffing rule and the list disagree
        raise _refuse()
    duration = _clean_duration(duration_seconds, is_recording=sniffed.is_recording)
    upload.seek(0)
    storage = attachment_storage()
    # Never the uploaded name: a random one, under the conversation's folder.
    stored_name = storage.save(f"attachments/{conversation.pk}/{uuid.uuid4().hex}", upload)
    try:
        with transaction.atomic():
            attachment = Attachment(
                conversation=conversation,
                uploaded_by=user,
                name=name,
                content_type=sniffed.content_type,
                size=size,
                duration_seconds=duration,
                width=sniffed.width,
                height=sniffed.height,
            )
            attachment.file.name = stored_name
            attachment.save()
    except BaseException:
        storage.delete(stored_name)
        raise
    return attachment


def kind_of_recording(attachment: Attachment) -> str:
    """ "voice" or "video" for a recording (the message's kind), "" for any other file."""
    if attachment.content_type.startswith("audio/"):
        return "voice"
    if attachment.content_type.startswith("video/"):
        return "video"
    return ""


# Purging --------------------------------------------------------------------------------


def unsent_attachments_purge(*, now: dt.datetime | None = None) -> int:
    """Delete attachments uploaded more than a day ago and never sent, files included."""
    cutoff = (now or timezone.now()) - UNSENT_LIFETIME
    storage = attachment_storage()
    deleted = 0
    stale = Attachment.objects.filter(message__isnull=True, created_at__lt=cutoff).order_by("pk")
    for attachment in stale.iterator():
        name = str(attachment.file.name or "")
        # Conditional: a send that took it meanwhile wins, and its file stays.
        count, _ = Attachment.objects.filter(pk=attachment.pk, message__isnull=True).delete()
        if not count:
            continue
        deleted += 1
        try:
            if name:
                storage.delete(name)
        except OSError:
            logger.exception("could not delete attachment file %s", name)
    return deleted

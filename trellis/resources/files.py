"""The library's files: what may be uploaded, where it is kept, how it is handed out.

The messaging app's checks decide what a file is from its bytes (``sniff``) and make its
name safe (``clean_file_name``); the library accepts fewer types than a conversation
(documents and images, no recordings) and files up to RESOURCES_MAX_FILE_MB (20 MB by
default). Files are kept in the private storage under a random name and handed out only
by views.download, to people who may read the resource.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from trellis.messaging import files as messaging_files
from trellis.resources.models import resource_storage

DEFAULT_MAX_FILE_MB = 20

ALLOWED_TYPES = frozenset(
    {
        messaging_files.PDF,
        messaging_files.DOCX,
        messaging_files.XLSX,
        messaging_files.PPTX,
        messaging_files.ODT,
        messaging_files.ODS,
        messaging_files.ODP,
        messaging_files.DOC,
        messaging_files.XLS,
        messaging_files.PPT,
        *messaging_files.TEXT_TYPES.values(),
        *messaging_files.IMAGE_FORMATS.values(),
    }
)

REFUSED_TYPE = (
    "This kind of file cannot be added to the library. Add a PDF, an office document "
    "(Word, Excel, PowerPoint, OpenDocument), an image (PNG, JPEG, GIF, WebP) or a "
    ".txt, .md or .csv text file."
)


def max_file_mb() -> int:
    return int(getattr(settings, "RESOURCES_MAX_FILE_MB", DEFAULT_MAX_FILE_MB))


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str
    content_type: str
    size: int


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def check_upload(upload: UploadedFile) -> CheckedFile:
    """The upload's safe name, type (from its bytes) and size; ValidationError if refused."""
    size = upload.size
    if size is None or size <= 0:
        raise _refuse("The file is empty.")
    limit = max_file_mb()
    if size > limit * 1024 * 1024:
        raise _refuse(f"The file is larger than {limit} MB; files up to {limit} MB are accepted.")
    name = messaging_files.clean_file_name(upload.name)
    try:
        sniffed = messaging_files.sniff(upload, name=name, declared_type="")
    except ValidationError as error:
        messages = error.message_dict.get("file", []) if hasattr(error, "error_dict") else []
        # The messaging app's general refusal lists recordings, which the library refuses.
        if not messages or messages == [messaging_files.REFUSED_TYPE]:
            raise _refuse(REFUSED_TYPE) from None
        raise
    if sniffed.content_type not in ALLOWED_TYPES:
        raise _refuse(REFUSED_TYPE)
    return CheckedFile(upload=upload, name=name, content_type=sniffed.content_type, size=size)


def store(checked: CheckedFile, *, program_id: int) -> str:
    """Save the checked file under a random name in the program's folder; its stored name."""
    checked.upload.seek(0)
    return resource_storage().save(f"resources/{program_id}/{uuid.uuid4().hex}", checked.upload)


def delete_quietly(name: str) -> None:
    """Delete a stored file; one already gone is no error."""
    if name:
        with contextlib.suppress(OSError):
            resource_storage().delete(name)

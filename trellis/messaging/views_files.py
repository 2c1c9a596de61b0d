"""Downloads: attachments and event cards' .ics, to the conversation's members only.

Everyone else gets 404, not 403: a non-member may not even learn that the file exists.
Files come back with the type decided from their bytes, ``nosniff`` and a sandboxing
CSP, so even a file a browser would take for HTML runs nothing on this origin. Audio
and video answer single-range requests (206), which <video> and <audio> need to seek.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import IO, Any
from urllib.parse import quote

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from trellis.core.errors import NotFoundError
from trellis.messaging.cards import event_ics
from trellis.messaging.files import attachment_storage
from trellis.messaging.models import Attachment, Message, MessageKind
from trellis.messaging.selectors import membership_of

logger = logging.getLogger(__name__)

INLINE_PREFIXES = ("image/", "audio/", "video/")
INLINE_TYPES = {"application/pdf"}
CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def content_disposition(name: str, *, inline: bool) -> str:
    """RFC 6266: an ASCII ``filename`` for old clients and the exact name in ``filename*``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9 !#$&+,.;=@^_`{}~()\[\]-]", "_", ascii_name).strip() or "file"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _is_member(request: HttpRequest, conversation_id: int) -> bool:
    try:
        membership_of(conversation_id=conversation_id, user=request.user)
    except NotFoundError:
        return False
    return True


def protect_download(response: HttpResponseBase) -> HttpResponseBase:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    # Private: only the member's own browser may keep it, and briefly.
    response["Cache-Control"] = "private, max-age=300"
    response["Vary"] = "Cookie"
    return response


class _Slice:
    """Read at most ``length`` bytes of a file from where it stands; no size of its own,
    so FileResponse sets no Content-Length (the view sets the range's)."""

    def __init__(self, file: IO[bytes], length: int) -> None:
        self._file = file
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size < 0 else min(size, self._left)
        data = self._file.read(size)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._file.close()


class _FileResponse(FileResponse):
    block_size = 64 * 1024


def _requested_range(request: HttpRequest, size: int, etag: str) -> tuple[int, int] | bool | None:
    """(first, last) byte of a single satisfiable range; None: send it whole; False: 416."""
    header = request.headers.get("Range", "").strip()
    if not header:
        return None
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range.strip() != etag:
        return None  # the client's copy is another version: whole file
    match = _RANGE.match(header.replace(" ", ""))
    if match is None:
        return None  # several ranges or another unit: allowed to ignore (RFC 9110 14.2)
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # the last N bytes
        suffix = int(last_text)
        if suffix == 0:
            return False
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and first > last:
        return None  # invalid: ignored
    if first >= size:
        return False
    return first, min(last, size - 1)


@require_safe
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None or not _is_member(request, attachment.conversation_id):
        raise Http404("No such file.")
    # Until it is sent, only its uploader may see it (to preview before sending).
    if attachment.message_id is None and attachment.uploaded_by_id != request.user.pk:
        raise Http404("No such file.")
    try:
        file = attachment_storage().open(str(attachment.file.name or ""), "rb")
    except (FileNotFoundError, OSError):
        logger.warning("attachment %s has no stored file %s", attachment.pk, attachment.file.name)
        raise Http404("No such file.") from None
    size = attachment.size
    content_type = attachment.content_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    inline = content_type.startswith(INLINE_PREFIXES) or attachment.content_type in INLINE_TYPES
    etag = f'"attachment-{attachment.pk}-{size}"'
    headers: dict[str, Any] = {"Accept-Ranges": "bytes", "ETag": etag}
    wanted = _requested_range(request, size, etag)
    response: HttpResponse | FileResponse
    if wanted is False:
        file.close()
        response = HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        return protect_download(response)
    if isinstance(wanted, tuple):
        first, last = wanted
        file.seek(first)
        response = _FileResponse(
            _Slice(file, last - first + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    else:
        response = _FileResponse(file, content_type=content_type)
        response["Content-Length"] = str(size)
    for name, value in headers.items():
        response[name] = value
    response["Content-Disposition"] = content_disposition(attachment.name, inline=inline)
    return protect_download(response)


@require_safe
def card_ics(request: HttpRequest, message_id: int) -> HttpResponseBase:
    message = (
        Message.objects.select_related("sender__profile")
        .filter(pk=message_id, kind=MessageKind.EVENT, deleted_at__isnull=True)
        .first()
    )
    if message is None or not message.card or not _is_member(request, message.conversation_id):
        raise Http404("No such event.")
    response = HttpResponse(event_ics(message), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition(
        f"{message.card.get('title') or 'event'}.ics", inline=False
    )
    return protect_download(response)

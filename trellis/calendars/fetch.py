"""Fetch a subscribed calendar safely: public https hosts only, bounded in time and size.

The URL comes from a user, so the server must not become their proxy into its own network
(SSRF): every address the host resolves to must be public, the connection goes to the
address that was checked (no second DNS answer in between), and each redirect is checked
again. Private addresses are allowed only with ``DEBUG``; loopback (and plain http to it)
also with ``CALENDARS_ALLOW_LOOPBACK_URLS``, for the tests' own HTTP server.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

FETCH_TIMEOUT_SECONDS = 15.0
MAX_CALENDAR_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "Trellis calendar free/busy reader"
PRIVATE_ADDRESS_MESSAGE = "Calendars on local or private addresses cannot be read."


class CalendarURLError(ValueError):
    """The URL may not be fetched: wrong scheme, or a private or unknown host."""


class CalendarFetchError(Exception):
    """Fetching the calendar failed: network, status, size or time."""


@dataclass(frozen=True, slots=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str


def _allows_private() -> bool:
    return bool(settings.DEBUG)


def _allows_loopback() -> bool:
    return _allows_private() or bool(getattr(settings, "CALENDARS_ALLOW_LOOPBACK_URLS", False))


def normalize_url(url: str) -> str:
    """Return the URL to store: webcal:// (as calendar apps hand them out) becomes https://."""
    url = (url or "").strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    return url


def check_url(url: str) -> _Target:
    """Refuse what can be refused without DNS: scheme, credentials, local host names/IPs."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    is_loopback_host = host == "localhost" or _is_loopback_literal(host)
    allows_http = _allows_private() or (_allows_loopback() and is_loopback_host)
    if scheme not in (("https", "http") if allows_http else ("https",)):
        raise CalendarURLError("Use an https:// (or webcal://) calendar address.")
    if parts.username or parts.password:
        raise CalendarURLError("Leave user names and passwords out of the address.")
    if not host:
        raise CalendarURLError("The address has no host.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as error:
        raise CalendarURLError("The address has an invalid port.") from error
    if not (_allows_loopback() and is_loopback_host) and not _allows_private():
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise CalendarURLError(PRIVATE_ADDRESS_MESSAGE)
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            _require_public(literal)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return _Target(scheme=scheme, host=host, port=port, path=path)


def _is_loopback_literal(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _require_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if _allows_private() or (_allows_loopback() and address.is_loopback):
        return
    if not address.is_global or address.is_multicast:
        raise CalendarURLError(PRIVATE_ADDRESS_MESSAGE)


def _resolve(target: _Target) -> str:
    """Return one address of the host, after checking that every address is allowed."""
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise CalendarFetchError(f"The host {target.host} was not found.") from error
    addresses = [str(answer[4][0]) for answer in answers]
    if not addresses:
        raise CalendarFetchError(f"The host {target.host} was not found.")
    for address in addresses:
        _require_public(ipaddress.ip_address(address.split("%", 1)[0]))
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connect to the checked address while the Host header names the host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        # Certificates are checked against the host name, not the pinned address.
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def fetch_calendar(
    url: str,
    *,
    timeout: float = FETCH_TIMEOUT_SECONDS,
    max_bytes: int = MAX_CALENDAR_BYTES,
) -> bytes:
    """Return the body at ``url``; raise ``CalendarURLError`` or ``CalendarFetchError``."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        target = check_url(url)
        address = _resolve(target)
        connection_class = (
            _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        )
        connection = connection_class(
            target.host, target.port, address=address, timeout=_remaining(deadline)
        )
        try:
            connection.request(
                "GET",
                target.path,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "text/calendar, */*;q=0.5",
                    "Accept-Encoding": "identity",
                },
            )
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise CalendarFetchError("The calendar redirected nowhere.")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise CalendarFetchError(f"The calendar answered HTTP {response.status}.")
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise CalendarFetchError(_too_large(max_bytes))
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read1(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise CalendarFetchError(_too_large(max_bytes))
                if time.monotonic() > deadline:
                    raise CalendarFetchError("The calendar took too long to download.")
                chunks.append(chunk)
            return b"".join(chunks)
        except (OSError, http.client.HTTPException) as error:
            if isinstance(error, TimeoutError | socket.timeout):
                raise CalendarFetchError("The calendar took too long to answer.") from error
            raise CalendarFetchError(f"The calendar could not be fetched: {error}") from error
        finally:
            connection.close()
    raise CalendarFetchError("The calendar redirected too often.")


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise CalendarFetchError("The calendar took too long to answer.")
    return remaining


def _too_large(max_bytes: int) -> str:
    return f"The calendar is larger than {max_bytes // (1024 * 1024)} MB."

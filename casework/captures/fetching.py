"""Fetching from the open internet without becoming a way into the server's own network.

Every hop (the first request and each redirect) is checked the same way: http or https only; the host name is
resolved here, every address it resolves to must be a public one, and the connection goes to the address that
was checked (not to a second lookup, which a hostile DNS server could answer differently). Bodies are counted
against a size limit and the whole exchange against a deadline. Each refusal carries one reason from
`FetchFailure`, which the capture records and shows.

Used by the capture's own downloads, by yt-dlp (through `casework.captures.tools`' request handler) and by
Chromium (whose every request is fulfilled from here). Pure: no database, no Django settings read here.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from casework.evidence.processing.translation import gettext as _

MAX_REDIRECTS = 10
CHUNK_SIZE = 256 * 1024
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Casework-capture"


class FetchFailure:
    """Why a fetch did not produce a page or a file: stored on the capture (the values of
    captures.models.FailureReason, which gives each its label), explained through `describe`."""

    NOT_FOUND = "not_found"
    TIMED_OUT = "timed_out"
    TOO_LARGE = "too_large"
    REFUSED_ADDRESS = "refused_address"
    UNSUPPORTED = "unsupported"
    UNREACHABLE = "unreachable"
    HTTP_ERROR = "http_error"


def describe(reason: str) -> str:
    return {
        FetchFailure.NOT_FOUND: _("Not found: the address answered that there is nothing there."),
        FetchFailure.TIMED_OUT: _("Timed out: the source took longer than the time limit."),
        FetchFailure.TOO_LARGE: _("Too large: the file is bigger than the size limit."),
        FetchFailure.REFUSED_ADDRESS: _("Refused address: it leads to a private or local network address."),
        FetchFailure.UNSUPPORTED: _("Unsupported: only http and https addresses of media or pages can be captured."),
        FetchFailure.UNREACHABLE: _("Unreachable: the source could not be contacted."),
        FetchFailure.HTTP_ERROR: _("The source answered with an error."),
    }.get(reason, reason)


class FetchRefused(Exception):
    """A fetch stopped for `reason` (a FetchFailure value); `detail` is for logs and the capture's record."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class FetchPolicy:
    """The limits of one capture. `deadline` is a time.monotonic() value shared by all its requests."""

    max_bytes: int
    deadline: float
    allow_loopback: bool = False

    @classmethod
    def starting_now(cls, *, max_bytes: int, seconds: float, allow_loopback: bool = False) -> "FetchPolicy":
        return cls(max_bytes=max_bytes, deadline=time.monotonic() + seconds, allow_loopback=allow_loopback)

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise FetchRefused(FetchFailure.TIMED_OUT)
        return left


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_refused(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    """Whether a connection to `address` is refused: anything but a public unicast address (private, shared,
    loopback, link-local, which holds the cloud metadata address 169.254.169.254, multicast, reserved,
    unspecified, documentation). An IPv6 address that carries an IPv4 one is judged by that one.
    `allow_loopback` (a test setting) lets loopback through, nothing else."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return address_refused(embedded, allow_loopback=allow_loopback)
    if address.is_loopback:
        return not allow_loopback
    return address.is_multicast or address.is_unspecified or address.is_reserved or not address.is_global


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; FetchRefused UNSUPPORTED for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise FetchRefused(FetchFailure.UNSUPPORTED, str(error)) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused(FetchFailure.UNSUPPORTED, f"scheme {parts.scheme!r}")
    if parts.username or parts.password:
        raise FetchRefused(FetchFailure.UNSUPPORTED, "credentials in the address")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve_checked(host: str, port: int, *, policy: FetchPolicy) -> str:
    """The address to connect to for `host`: every address it resolves to must pass address_refused (a name
    that resolves to a public and a private address is refused: which one is used is not ours to choose)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise FetchRefused(FetchFailure.UNREACHABLE, f"{host} does not resolve") from error
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise FetchRefused(FetchFailure.UNREACHABLE, f"{host} does not resolve")
    for address in addresses:
        if address_refused(address, allow_loopback=policy.allow_loopback):
            raise FetchRefused(FetchFailure.REFUSED_ADDRESS, f"{host} resolves to {address}")
    return str(addresses[0])


def check_url_and_host(url: str, *, policy: FetchPolicy) -> str:
    """The checked address `url` would be fetched from (check_url, then resolve_checked)."""
    _scheme, host, port = check_url(url)
    return resolve_checked(host, port, policy=policy)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name, while the connection goes to the checked address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Hop:
    url: str
    status: int
    address: str
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    http_version: str = "HTTP/1.1"


class CheckedResponse:
    """One response whose body is read within the policy's size and time limits (FetchRefused past them)."""

    def __init__(self, *, hop: Hop, connection: http.client.HTTPConnection, response, policy: FetchPolicy):
        self.hop = hop
        self._connection = connection
        self._response = response
        self._policy = policy
        self.bytes_read = 0
        self.closed = False

    @property
    def url(self) -> str:
        return self.hop.url

    @property
    def status(self) -> int:
        return self.hop.status

    @property
    def headers(self) -> list[tuple[str, str]]:
        return self.hop.headers

    def header(self, name: str) -> str:
        for key, value in self.hop.headers:
            if key.lower() == name.lower():
                return value
        return ""

    def read(self, amount: int | None = None) -> bytes:
        if self.closed:
            return b""
        if amount is None or amount < 0:
            return b"".join(iter(lambda: self.read(CHUNK_SIZE), b""))
        if self._connection.sock is not None:
            self._connection.sock.settimeout(self._policy.remaining())
        try:
            chunk = self._response.read(min(amount, CHUNK_SIZE))
        except TimeoutError as error:
            raise FetchRefused(FetchFailure.TIMED_OUT, self.url) from error
        except (OSError, http.client.HTTPException) as error:
            raise FetchRefused(FetchFailure.UNREACHABLE, f"{self.url}: {error}") from error
        self.bytes_read += len(chunk)
        if self.bytes_read > self._policy.max_bytes:
            self.close()
            raise FetchRefused(FetchFailure.TOO_LARGE, self.url)
        self._policy.remaining()
        if not chunk:
            self.close()
        return chunk

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._connection.close()


def open_checked(
    url: str,
    *,
    policy: FetchPolicy,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> CheckedResponse:
    """One request, no redirect followed: the URL and its host's addresses are checked first, the connection
    goes to the checked address, and a declared Content-Length past the limit is refused before any body."""
    scheme, host, port = check_url(url)
    address = resolve_checked(host, port, policy=policy)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address=address, timeout=policy.remaining())
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    for name, value in (headers or {}).items():
        if name.lower() not in ("host", "accept-encoding", "cookie", "authorization", "proxy-authorization"):
            sent[name] = value
    try:
        connection.request(method, target, body=body, headers=sent)
        response = connection.getresponse()
    except TimeoutError as error:
        connection.close()
        raise FetchRefused(FetchFailure.TIMED_OUT, url) from error
    except (OSError, http.client.HTTPException) as error:
        connection.close()
        raise FetchRefused(FetchFailure.UNREACHABLE, f"{url}: {error}") from error
    hop = Hop(
        url=url,
        status=response.status,
        address=address,
        reason=response.reason or "",
        headers=list(response.getheaders()),
        request_headers=[("Host", parts.netloc), *sent.items()],
        http_version="HTTP/1.0" if response.version == 10 else "HTTP/1.1",
    )
    checked = CheckedResponse(hop=hop, connection=connection, response=response, policy=policy)
    declared = checked.header("Content-Length")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        checked.close()
        raise FetchRefused(FetchFailure.TOO_LARGE, url)
    return checked


def redirect_target(response: CheckedResponse) -> str | None:
    if response.status in (301, 302, 303, 307, 308) and response.header("Location"):
        return urljoin(response.url, response.header("Location"))
    return None


def open_following(
    url: str,
    *,
    policy: FetchPolicy,
    headers: dict[str, str] | None = None,
    on_hop: Callable[[CheckedResponse], None] | None = None,
) -> tuple[CheckedResponse, list[Hop]]:
    """GET `url`, following redirects (each hop checked like the first); the final response is open, the
    earlier ones were read and closed (handed to `on_hop` first, e.g. to archive them)."""
    hops: list[Hop] = []
    for _hop in range(MAX_REDIRECTS + 1):
        response = open_checked(url, policy=policy, headers=headers)
        target = redirect_target(response)
        if target is None:
            hops.append(response.hop)
            return response, hops
        if on_hop is not None:
            on_hop(response)
        response.close()
        hops.append(response.hop)
        url = target
    raise FetchRefused(FetchFailure.UNREACHABLE, "too many redirects")


def now_utc() -> datetime:
    return datetime.now(UTC)

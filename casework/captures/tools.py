"""The capture's tools, each fetching only through casework.captures.fetching: yt-dlp (as a library, with a
request handler of ours instead of its own), headless Chromium (every request fulfilled by us, or refused), and
a WARC file of the exchanges (warcio). No database here: the service stores what these produce."""

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from casework.captures.fetching import (
    CheckedResponse,
    FetchFailure,
    FetchPolicy,
    FetchRefused,
    Hop,
    open_checked,
    open_following,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
]
# Response headers that describe the transfer, not the content: the archived body is stored whole and plain.
TRANSFER_HEADERS = {"transfer-encoding", "content-length", "connection", "keep-alive"}


def ytdlp_version() -> str:
    from yt_dlp.version import __version__

    return __version__


def chromium_executable() -> str:
    return shutil.which("chromium") or "/usr/bin/chromium"


class Refusals(list):
    """The refusals met by the tools of one capture: yt-dlp and Chromium report errors their own way, and the
    capture's reason comes from here (the first refusal of the page or media asked for)."""

    def add(self, refused: FetchRefused) -> None:
        self.append(refused)

    def first_reason(self) -> str | None:
        return self[0].reason if self else None


class WarcArchive:
    """A gzipped WARC of request/response pairs, written as the exchanges happen."""

    def __init__(self, path: Path):
        self.path = path
        self._file = open(path, "wb")  # noqa: SIM115 (closed by close())
        self._writer = WARCWriter(self._file, gzip=True)
        self.records = 0
        info = self._writer.create_warcinfo_record(
            path.name, {"software": f"Casework capture (yt-dlp {ytdlp_version()})"}
        )
        self._writer.write_record(info)

    def add_exchange(self, *, hop: Hop, method: str, request_body: bytes, body: BinaryIO, body_length: int) -> None:
        parts = urlsplit(hop.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = self._writer.create_warc_record(
            hop.url,
            "request",
            payload=io.BytesIO(request_body),
            length=len(request_body),
            http_headers=StatusAndHeaders(f"{method} {target} HTTP/1.1", hop.request_headers, is_http_request=True),
        )
        headers = [(name, value) for name, value in hop.headers if name.lower() not in TRANSFER_HEADERS]
        headers.append(("Content-Length", str(body_length)))
        response = self._writer.create_warc_record(
            hop.url,
            "response",
            payload=body,
            length=body_length,
            http_headers=StatusAndHeaders(f"{hop.status} {hop.reason}".strip(), headers, protocol=hop.http_version),
            warc_headers_dict={"WARC-IP-Address": hop.address},
        )
        self._writer.write_request_response_pair(request, response)
        self.records += 2

    def add_bytes(self, *, hop: Hop, method: str = "GET", request_body: bytes = b"", body: bytes) -> None:
        self.add_exchange(
            hop=hop, method=method, request_body=request_body, body=io.BytesIO(body), body_length=len(body)
        )

    def close(self) -> None:
        self._file.close()


def read_to_file(response: CheckedResponse, path: Path) -> int:
    """The response's body into `path` (within the policy's limits); its size."""
    size = 0
    with open(path, "wb") as out:
        while chunk := response.read(256 * 1024):
            out.write(chunk)
            size += len(chunk)
    return size


# yt-dlp: in a child process without credentials (ytdlp_child.py)

# Run by path in isolated mode, not with -m: importing the `casework` package would load Celery and the settings.
YTDLP_CHILD = Path(__file__).with_name("ytdlp_child.py")
# Beyond the capture's own time limit, for the child to answer before it is killed.
YTDLP_GRACE_SECONDS = 5.0
MAX_ANSWER_BYTES = 4 * 1024 * 1024
# All the child gets from the worker's environment: search path, locale, time zone, where the CA certificates are.
YTDLP_INHERITED_KEYS = ("PATH", "LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR")


class DownloaderCrashed(Exception):
    """The download child stopped without an answer (a crash, or killed by the system)."""


@dataclass
class MediaDownload:
    path: Path
    info: dict
    # What the child saw: its environment's names and whether Django was loaded (for the tests).
    child_environment: list[str] = field(default_factory=list)
    child_loaded_django: bool = False


def ytdlp_environment(scratch: Path) -> dict[str, str]:
    """The child's whole environment: the search path and locale, and a HOME and TMPDIR of its own."""
    environment = {key: os.environ[key] for key in YTDLP_INHERITED_KEYS if key in os.environ}
    environment.setdefault("PATH", "/usr/bin:/bin")
    environment.setdefault("LANG", "C.UTF-8")
    return {**environment, "HOME": str(scratch), "TMPDIR": str(scratch)}


def ytdlp_download(url: str, *, folder: Path, policy: FetchPolicy, refusals: Refusals) -> MediaDownload | None:
    """The media of `url` as its source serves it (the best single file, never merged or re-encoded) and its
    info, or None when yt-dlp finds none (the refusals met are added to `refusals`). yt-dlp runs in a child
    process with a minimal environment, fetching through the checked request handler only; it is killed with
    everything it started at the time limit (FetchRefused TIMED_OUT). Cookies, configuration files and
    credentials are never used."""
    scratch = folder / ".home"
    scratch.mkdir(exist_ok=True)
    seconds = policy.remaining()
    command = [sys.executable, "-I", str(YTDLP_CHILD), url, str(folder)]
    command += ["--max-bytes", str(policy.max_bytes), "--seconds", f"{seconds:.3f}"]
    if policy.allow_loopback:
        command.append("--allow-loopback")
    with open(scratch / "stderr.log", "wb") as errors:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=ytdlp_environment(scratch),
            cwd=str(scratch),
            start_new_session=True,  # its own process group: killed with anything it started
        )
        try:
            answer, _errors = process.communicate(timeout=seconds + YTDLP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            raise FetchRefused(FetchFailure.TIMED_OUT, url) from None
        finally:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
    try:
        reply = json.loads(answer[:MAX_ANSWER_BYTES])
    except ValueError:
        raise DownloaderCrashed(f"exit status {process.returncode}") from None
    for reason, detail in reply.get("refusals") or []:
        refusals.add(FetchRefused(reason, detail))
    name = reply.get("media")
    if not name:
        return None
    path = folder / Path(name).name
    if not path.is_file() or path.stat().st_size == 0:
        return None
    return MediaDownload(
        path=path,
        info=reply.get("info") or {},
        child_environment=reply.get("environment") or [],
        child_loaded_django=bool(reply.get("django")),
    )


# Chromium


@dataclass
class PageCapture:
    final_url: str
    title: str
    text: str
    screenshot: Path | None
    chromium_version: str
    hops: list[Hop] = field(default_factory=list)
    refused_requests: list[list[str]] = field(default_factory=list)  # [url, reason]


def chromium_capture(
    url: str, *, folder: Path, policy: FetchPolicy, archive: WarcArchive, refusals: Refusals
) -> PageCapture:
    """Open `url` in headless Chromium (Debian's), every request fulfilled through the checked fetch and
    archived; media elements' bytes are not fetched (the media download has them). A full-page screenshot and
    the rendered text. Raises FetchRefused when the page itself cannot be loaded."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    refused_requests: list[list[str]] = []
    document_hops: list[Hop] = []

    def fulfil(route, request) -> None:
        if request.resource_type in ("media", "websocket", "eventsource") or not request.url.startswith("http"):
            route.abort("blockedbyclient")
            return
        request_body = request.post_data_buffer or b""

        def archive_hop(hop_response: CheckedResponse) -> None:
            archive.add_bytes(
                hop=hop_response.hop, method=request.method, request_body=request_body, body=hop_response.read()
            )

        try:
            if request.method == "GET":
                # Redirects are followed here, each hop checked: Chromium would follow a fulfilled redirect
                # by itself, outside this handler.
                response, hops = open_following(
                    request.url, policy=policy, headers=dict(request.headers), on_hop=archive_hop
                )
            else:
                response = open_checked(
                    request.url, policy=policy, method=request.method, headers=dict(request.headers), body=request_body
                )
                hops = [response.hop]
            body = response.read()
        except FetchRefused as refused:
            refusals.add(refused)
            refused_requests.append([request.url, str(refused.reason)])
            route.abort("blockedbyclient" if refused.reason == FetchFailure.REFUSED_ADDRESS else "failed")
            return
        if request.resource_type == "document" and request.frame.parent_frame is None and not document_hops:
            document_hops.extend(hops)
        archive.add_bytes(hop=response.hop, method=request.method, request_body=request_body, body=body)
        headers = {name: value for name, value in response.headers if name.lower() not in TRANSFER_HEADERS}
        route.fulfill(status=response.status, headers=headers, body=body)

    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "TMPDIR")}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS, env=env
        )
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 900}, service_workers="block", accept_downloads=False
            )
            context.route("**/*", fulfil)
            page = context.new_page()
            try:
                response = page.goto(url, wait_until="load", timeout=policy.remaining() * 1000)
            except PlaywrightError as error:
                if refusals:
                    raise refusals[0] from error
                if "Timeout" in str(error):
                    raise FetchRefused(FetchFailure.TIMED_OUT, url) from error
                raise FetchRefused(FetchFailure.UNREACHABLE, str(error).splitlines()[0]) from error
            if response is None:
                raise FetchRefused(FetchFailure.UNREACHABLE, url)
            screenshot = folder / "screenshot.png"
            page.screenshot(path=str(screenshot), full_page=True, timeout=max(1000, policy.remaining() * 1000))
            text = page.inner_text("body", timeout=max(1000, policy.remaining() * 1000))
            return PageCapture(
                final_url=document_hops[-1].url if document_hops else page.url,
                hops=document_hops,
                title=page.title(),
                text=text,
                screenshot=screenshot,
                chromium_version=browser.version,
                refused_requests=refused_requests,
            )
        finally:
            browser.close()


def json_bytes(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")

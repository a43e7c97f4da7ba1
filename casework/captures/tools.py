"""The capture's tools, each fetching only through casework.captures.fetching: yt-dlp (as a library, with a
request handler of ours instead of its own), headless Chromium (every request fulfilled by us, or refused), and
a WARC file of the exchanges (warcio). No database here: the service stores what these produce."""

import io
import json
import os
import shutil
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


# yt-dlp


def _checked_ytdlp(policy: FetchPolicy, refusals: Refusals):
    """A YoutubeDL whose only request handler fetches through casework.captures.fetching."""
    from yt_dlp import YoutubeDL
    from yt_dlp.networking.common import RequestHandler, Response
    from yt_dlp.networking.exceptions import HTTPError, TransportError

    class CheckedResponseAdapter(Response):
        def read(self, amt=None):
            try:
                return super().read(amt)
            except FetchRefused as refused:
                refusals.add(refused)
                raise TransportError(msg=str(refused)) from refused

    class CaseworkCheckedRH(RequestHandler):
        _SUPPORTED_URL_SCHEMES = ("http", "https")
        _SUPPORTED_PROXY_SCHEMES = None
        _SUPPORTED_FEATURES = None

        def _check_extensions(self, extensions):
            extensions.pop("timeout", None)
            extensions.pop("legacy_ssl", None)
            extensions.pop("keep_header_casing", None)
            extensions.pop("cookiejar", None)
            extensions.pop("impersonate", None)

        def _send(self, request):
            headers = {name: value for name, value in {**self.headers, **request.headers}.items()}
            try:
                response, _hops = open_following(request.url, policy=policy, headers=headers)
            except FetchRefused as refused:
                refusals.add(refused)
                raise TransportError(msg=str(refused)) from refused
            adapted = CheckedResponseAdapter(
                fp=response, url=response.url, headers=dict(response.headers), status=response.status
            )
            if response.status >= 400:
                raise HTTPError(adapted)
            return adapted

    class CheckedYoutubeDL(YoutubeDL):
        def build_request_director(self, handlers, preferences=None):
            return super().build_request_director([CaseworkCheckedRH], None)

    return CheckedYoutubeDL


@dataclass
class MediaDownload:
    path: Path
    info: dict


def ytdlp_download(url: str, *, folder: Path, policy: FetchPolicy, refusals: Refusals) -> MediaDownload | None:
    """The media of `url` as its source serves it (the best single file, never merged or re-encoded) and its
    info, or None when yt-dlp finds none. Cookies, configuration files and credentials are never used."""
    from yt_dlp.utils import DownloadError

    options = {
        "outtmpl": {"default": str(folder / "media.%(ext)s")},
        "format": "best/bestvideo/bestaudio",
        "noplaylist": True,
        "playlist_items": "1",
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "logger": _SilentLogger(),
        "ignoreconfig": True,
        "cachedir": False,
        "cookiefile": None,
        "usenetrc": False,
        "fixup": "never",
        # Every byte through our request handler: no ffmpeg or other program fetching on yt-dlp's behalf.
        "external_downloader": {"default": "native"},
        "hls_prefer_native": True,
        "postprocessors": [],
        "check_formats": False,
        "max_filesize": policy.max_bytes,
        "socket_timeout": max(1.0, min(30.0, policy.remaining())),
        "retries": 0,
        "fragment_retries": 0,
        "extractor_retries": 0,
        "overwrites": True,
        "color": "never",
    }
    youtube_dl_class = _checked_ytdlp(policy, refusals)
    try:
        with youtube_dl_class(options) as downloader:
            info = downloader.extract_info(url, download=True)
            if info is None:
                return None
            if info.get("_type") == "playlist":
                entries = [entry for entry in info.get("entries") or [] if entry]
                if not entries:
                    return None
                info = entries[0]
            sanitized = downloader.sanitize_info(info)
            requested = info.get("requested_downloads") or [{}]
            path = Path(requested[0].get("filepath") or downloader.prepare_filename(info))
    except DownloadError:
        return None
    if not path.exists() or path.stat().st_size == 0:
        return None
    return MediaDownload(path=path, info=_kept_info(sanitized))


# What a report may cite about a post; the rest (format lists, HTTP headers yt-dlp sent) is noise.
INFO_FIELDS = (
    "id",
    "title",
    "description",
    "uploader",
    "uploader_id",
    "uploader_url",
    "channel",
    "channel_id",
    "channel_url",
    "upload_date",
    "timestamp",
    "release_timestamp",
    "duration",
    "view_count",
    "like_count",
    "comment_count",
    "repost_count",
    "webpage_url",
    "original_url",
    "extractor",
    "extractor_key",
    "ext",
    "width",
    "height",
    "format_id",
    "url",
    "tags",
    "thumbnail",
)


def _kept_info(info: dict) -> dict:
    return {key: info[key] for key in INFO_FIELDS if info.get(key) not in (None, "", [])}


class _SilentLogger:
    def debug(self, message):
        pass

    info = warning = debug

    def error(self, message):
        pass


# Chromium


@dataclass
class PageCapture:
    final_url: str
    title: str
    text: str
    screenshot: Path | None
    chromium_version: str
    hops: list[Hop] = field(default_factory=list)
    refused_requests: list[str] = field(default_factory=list)


def chromium_capture(
    url: str, *, folder: Path, policy: FetchPolicy, archive: WarcArchive, refusals: Refusals
) -> PageCapture:
    """Open `url` in headless Chromium (Debian's), every request fulfilled through the checked fetch and
    archived; media elements' bytes are not fetched (the media download has them). A full-page screenshot and
    the rendered text. Raises FetchRefused when the page itself cannot be loaded."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    refused_requests: list[str] = []
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
            refused_requests.append(request.url)
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

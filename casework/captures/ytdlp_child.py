"""The yt-dlp download of one capture, in a child process that holds no credentials.

Started by `casework.captures.tools.ytdlp_download` as `python -I .../ytdlp_child.py URL FOLDER --max-bytes N
--seconds S [--allow-loopback]` with an environment of its own (PATH, LANG, and a throw-away HOME and TMPDIR in
the capture's working folder): nothing of the worker's (secret key, field encryption keys, bundle signing key,
database and broker addresses). It must never import Django or the `casework` package, whose `__init__` loads
Celery and with it the settings: the pure modules it needs (fetching.py and what it imports) are loaded from
their files under empty package stubs. yt-dlp fetches only through fetching.py's checked request handler, within
the byte and time limits given as arguments.

It writes the media file into FOLDER and answers one JSON line on stdout: {"media": name or null, "info": {...},
"refusals": [[reason, detail], ...], "environment": [keys], "django": bool} (the last two say what the child
saw, for the tests). The parent kills it at the time limit and turns a missing answer into a failure.
"""

import os
import sys
import types

# Recorded before anything below changes it: what the child was started with.
STARTING_ENVIRONMENT_KEYS = sorted(os.environ)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _package_stubs() -> None:
    """`casework`, `casework.captures` and `casework.evidence(.processing)` as bare packages: their modules can
    be imported without running the packages' `__init__` (which would load Celery and Django's settings)."""
    if "casework" in sys.modules:  # imported inside the project (the tests): the packages are already there
        return
    for name in ("casework", "casework.captures", "casework.evidence", "casework.evidence.processing"):
        package = types.ModuleType(name)
        package.__path__ = [os.path.join(ROOT, *name.split("."))]
        sys.modules[name] = package


_package_stubs()

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

from casework.captures.fetching import FetchPolicy, FetchRefused, open_following  # noqa: E402


def _checked_ytdlp(policy: FetchPolicy, refusals: list):
    """A YoutubeDL whose only request handler fetches through casework.captures.fetching."""
    from yt_dlp import YoutubeDL
    from yt_dlp.networking.common import RequestHandler, Response
    from yt_dlp.networking.exceptions import HTTPError, TransportError

    class CheckedResponseAdapter(Response):
        def read(self, amt=None):
            try:
                return super().read(amt)
            except FetchRefused as refused:
                refusals.append(refused)
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
                refusals.append(refused)
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


def download(url: str, *, folder: Path, policy: FetchPolicy, refusals: list) -> tuple[Path, dict] | None:
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
    return path, _kept_info(sanitized)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("folder")
    parser.add_argument("--max-bytes", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--allow-loopback", action="store_true")
    arguments = parser.parse_args(argv)
    policy = FetchPolicy.starting_now(
        max_bytes=arguments.max_bytes, seconds=arguments.seconds, allow_loopback=arguments.allow_loopback
    )
    answer_stream = sys.stdout
    sys.stdout = sys.stderr  # whatever a library prints must not spoil the answer
    refusals: list[FetchRefused] = []
    try:
        result = download(arguments.url, folder=Path(arguments.folder), policy=policy, refusals=refusals)
    except FetchRefused as refused:
        refusals.append(refused)
        result = None
    answer = {
        "media": result[0].name if result else None,
        "info": result[1] if result else {},
        "refusals": [[refused.reason, refused.detail] for refused in refusals],
        "environment": STARTING_ENVIRONMENT_KEYS,
        "django": any(name == "django" or name.startswith("django.") for name in sys.modules),
    }
    answer_stream.write(json.dumps(answer, default=str) + "\n")
    answer_stream.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

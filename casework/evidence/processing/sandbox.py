"""The parent side of the media sandbox.

Untrusted files are parsed in a long-lived child process (`child.py`), one per worker process, so that
exiftool and the Python imports are paid for once (~6 ms per JPEG instead of 100+ ms for new processes).
The child runs with an environment that holds no credentials, an address-space limit, a per-file CPU-time
limit (it sets both itself, see child.py) and its own process group. The parent enforces a wall clock per
file: a child that hangs, crashes or runs out of memory is killed with everything it started and replaced,
and the file is reported as a ProbeFailed instead of taking the worker down.
"""

import json
import math
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from casework.evidence.processing.privacy import scrub_paths
from casework.evidence.processing.sniffing import ALLOWED_MIME_TYPES
from casework.evidence.processing.translation import gettext as _
from casework.evidence.processing.translation import gettext_noop

# Run by path in isolated mode, not with -m: importing the `casework` package would load Celery (and with it
# the Django settings and their secrets) into the process that parses hostile files.
CHILD_SCRIPT = Path(__file__).with_name("child.py")
# Only what the parsers need; nothing from the worker's environment (database URL, keys, broker).
INHERITED_ENVIRONMENT_KEYS = ("PATH", "LANG", "LC_ALL", "TZ")
# A fresh child now and then bounds what a long-lived parser process can accumulate (leaks, state).
MAX_FILES_PER_CHILD = 500
MAX_REPLY_BYTES = 32 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_MEMORY_LIMIT_MB = 1024


# Why a file failed, and whether it is quarantined. Quarantine means the file itself looks hostile or
# deceptive (it lies about its type, hides data, is a decompression bomb, or crashed a parser): it is kept as
# received but must not be reprocessed or opened by people in their own viewers. Files that are merely damaged
# or too demanding for the limits (truncated, no decodable stream, out of time or memory) just fail: an
# administrator may retry them with larger limits.
FAILURES: dict[str, tuple[str, bool]] = {
    "not_decodable": (
        gettext_noop("The file claims to be %(type)s but cannot be decoded as one (%(detail)s). It was quarantined."),
        True,
    ),
    "decompression_bomb": (
        gettext_noop(
            "The image declares far more pixels than any camera produces (%(detail)s), which is how decompression "
            "bombs exhaust a server's memory. It was quarantined."
        ),
        True,
    ),
    "appended_data": (
        gettext_noop(
            "%(size)s bytes of other data (%(detected)s) follow the end of the image; such hidden content can "
            "smuggle a payload past reviewers. The file was quarantined."
        ),
        True,
    ),
    "archive_inside": (
        gettext_noop(
            "The file is also a ZIP archive (%(detail)s); such hidden content can smuggle a payload past "
            "reviewers. The file was quarantined."
        ),
        True,
    ),
    "crashed": (
        gettext_noop(
            "The media parser crashed on this file (%(detail)s), as hostile files are built to make it do. "
            "It was quarantined."
        ),
        True,
    ),
    "unreadable_reply": (
        gettext_noop("The media parser gave an unreadable answer for this file. It was quarantined."),
        True,
    ),
    "truncated": (
        gettext_noop("The file is truncated or damaged and cannot be decoded completely (%(detail)s)."),
        False,
    ),
    "incomplete": (
        gettext_noop(
            "The file is incomplete: it declares %(declared)s seconds of media, but its data stops after "
            "%(found)s seconds (%(detail)s). It may be a partial download or copy; ask the source for the whole "
            "file."
        ),
        False,
    ),
    "not_readable_media": (gettext_noop("The file is not a readable %(kind)s (%(detail)s)."), False),
    "no_stream": (gettext_noop("The file holds no audio or video stream that can be read."), False),
    "no_frame": (gettext_noop("No frame of the video could be decoded (%(detail)s)."), False),
    "timeout": (
        gettext_noop(
            "Processing did not finish within %(seconds)s seconds. The file may be very large or damaged; "
            "it was not processed."
        ),
        False,
    ),
    "cpu_limit": (
        gettext_noop(
            "Processing used more than %(seconds)s seconds of processor time. The file may be very large or "
            "damaged; it was not processed."
        ),
        False,
    ),
    "out_of_memory": (
        gettext_noop(
            "Processing needed more memory than allowed (%(megabytes)s MB). The file may be very large or "
            "damaged; it was not processed."
        ),
        False,
    ),
    "tool_missing": (
        gettext_noop("The server lacks %(tool)s, which is needed to read this file. Ask an administrator."),
        False,
    ),
    "internal_error": (gettext_noop("Processing failed unexpectedly (%(detail)s)."), False),
}


class ProbeFailed(Exception):
    """Processing a file failed. `reason` is a sentence for people; `code` is a key of FAILURES; `quarantine`
    marks a file that looks hostile (see FAILURES)."""

    def __init__(self, reason: str, *, quarantine: bool = False, code: str = "internal_error"):
        super().__init__(reason)
        self.reason = reason
        self.quarantine = quarantine
        self.code = code

    @classmethod
    def of(cls, code: str, **details: object) -> "ProbeFailed":
        if code not in FAILURES:
            code, details = "internal_error", {"detail": code}
        message, quarantine = FAILURES[code]
        values: defaultdict[str, object] = defaultdict(lambda: "?", details)
        return cls(_(message) % values, quarantine=quarantine, code=code)


@dataclass
class ProbeResult:
    """What the sandbox extracted. Times are aware; coordinates are signed decimal degrees (S and W < 0).
    `raw` holds all extracted metadata, JSON-serialisable, under the name of the tool that read it, people's
    details and the server's file facts included: the caller splits them off (processing.privacy)."""

    capture_time: datetime | None = None
    # False when the file gives a clock time without its zone: capture_time is then naive (wall-clock time).
    capture_time_zone_known: bool = True
    latitude: float | None = None
    longitude: float | None = None
    device_make: str = ""
    device_model: str = ""
    software: str = ""
    orientation: int | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    container: str = ""
    video_codec: str = ""
    audio_codec: str = ""
    frame_rate: float | None = None
    creation_time: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    thumbnail_written: bool = False
    keyframe_paths: list[str] = field(default_factory=list)
    perceptual_hashes: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> "ProbeResult":
        values = dict(document)
        for name in ("capture_time", "creation_time"):
            if values.get(name):
                values[name] = datetime.fromisoformat(values[name])
        return cls(**values)


def minimal_environment() -> dict[str, str]:
    """The child's whole environment: locale and search path from the worker, nothing else."""
    return {key: os.environ[key] for key in INHERITED_ENVIRONMENT_KEYS if key in os.environ}


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class ProbeSandbox:
    """One child process, reused for many files, replaced whenever something goes wrong. Thread-safe."""

    def __init__(self, memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB):
        self.memory_limit_mb = memory_limit_mb
        self.process: subprocess.Popen[bytes] | None = None
        self.owner_pid = os.getpid()
        self.files_handled = 0
        self.lock = threading.RLock()

    def forget_inherited(self) -> None:
        """After a fork (Celery's prefork pool): the child process and its pipes belong to the parent, which
        goes on using them; this process must never write to them or kill it, so it starts its own when it
        first needs one. The lock is replaced too: another thread may have held it at the fork."""
        self.lock = threading.RLock()
        self.process = None
        self.files_handled = 0
        self.owner_pid = os.getpid()

    def _start(self) -> subprocess.Popen[bytes]:
        self.owner_pid = os.getpid()
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(CHILD_SCRIPT), "--memory-limit-mb", str(self.memory_limit_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=minimal_environment(),
            cwd="/",
            start_new_session=True,  # its own process group, so exiftool and ffmpeg die with it
        )
        self.files_handled = 0
        return self.process

    def stop(self) -> None:
        with self.lock:
            process, self.process = self.process, None
            if process is None:
                return
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            process.wait(timeout=10)
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()

    def use_memory_limit(self, memory_limit_mb: int) -> None:
        """Later requests run in a child with this address-space limit (restarting the child if needed)."""
        with self.lock:
            if memory_limit_mb != self.memory_limit_mb:
                self.stop()
                self.memory_limit_mb = memory_limit_mb

    def request(self, message: dict[str, Any], *, timeout_seconds: float) -> dict[str, Any]:
        """Send one request and wait for its answer; raises ProbeFailed if the child hangs or dies.

        A refusal from the child comes back as {"ok": False, "failure": code, "reason": ..., "quarantine": ...}.
        """
        if self.owner_pid != os.getpid():  # forked without the fork hook below (it is registered at import)
            self.forget_inherited()
        with self.lock:
            running = self.process is not None and self.process.poll() is None
            process = self.process if running else self._start()
            assert process.stdin is not None and process.stdout is not None
            try:
                process.stdin.write(json.dumps(message).encode() + b"\n")
                process.stdin.flush()
                line = self._read_line(process, deadline=time.monotonic() + timeout_seconds)
            except TimeoutError:
                self.stop()
                raise ProbeFailed.of("timeout", seconds=f"{timeout_seconds:g}") from None
            except (BrokenPipeError, EOFError):
                self.stop()
                status = process.returncode
                if status == -signal.SIGXCPU:
                    raise ProbeFailed.of("cpu_limit", seconds=message.get("cpu_seconds", "?")) from None
                detail = _signal_name(-status) if status and status < 0 else f"exit status {status}"
                raise ProbeFailed.of("crashed", detail=detail) from None
            except ValueError:
                self.stop()
                raise ProbeFailed.of("unreadable_reply") from None
            self.files_handled += 1
            if self.files_handled >= MAX_FILES_PER_CHILD:
                self.stop()
        try:
            reply = json.loads(line)
        except ValueError:
            raise ProbeFailed.of("unreadable_reply") from None
        if not reply.get("ok"):
            # A tool's error names the file it read: the server's path must not reach people or logs.
            paths = (str(message.get("path", "")), str(message.get("derived_dir", "")))
            details = scrub_paths(reply.get("details") or {}, paths, any_absolute=True)
            details["megabytes"] = self.memory_limit_mb
            failure = ProbeFailed.of(reply.get("failure", "internal_error"), **details)
            reply.update(reason=failure.reason, quarantine=failure.quarantine, failure=failure.code)
        return reply

    @staticmethod
    def _read_line(process: subprocess.Popen[bytes], *, deadline: float) -> bytes:
        # Not readline(): a child that stops half-way through a line would block the worker for ever.
        assert process.stdout is not None
        descriptor = process.stdout.fileno()
        received = bytearray()
        with selectors.DefaultSelector() as selector:
            selector.register(descriptor, selectors.EVENT_READ)
            while b"\n" not in received:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise TimeoutError
                chunk = os.read(descriptor, 1024 * 1024)
                if not chunk:
                    process.wait(timeout=10)
                    raise EOFError
                received += chunk
                if len(received) > MAX_REPLY_BYTES:
                    raise ValueError("reply too large")
        return bytes(received)


_sandbox = ProbeSandbox()
# One child per worker process: a prefork child gets its own on its first file instead of sharing the pipes
# of its parent's (two processes interleaving requests on one pipe would swap each other's answers).
os.register_at_fork(after_in_child=lambda: _sandbox.forget_inherited())


def probe_media(
    path: str,
    *,
    kind: str,
    mime: str,
    derived_dir: str,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
) -> ProbeResult:
    """Metadata, derived files and perceptual hashes of one untrusted file, read in the sandbox child.

    `kind` and `mime` are what classify() said of the file's bytes. Derived files go into `derived_dir`:
    thumbnail.jpg (photos) or poster.jpg and keyframe-NN.jpg (videos). The original is only read.
    Raises ProbeFailed with a reason a person can read; no parser failure escapes otherwise.
    """
    if ALLOWED_MIME_TYPES.get(mime) != kind:
        raise ValueError(f"{mime!r} is not an accepted type of kind {kind!r}")
    if "\n" in path or "\n" in derived_dir:
        raise ValueError("paths with line breaks cannot be sent to the sandbox")
    _sandbox.use_memory_limit(memory_limit_mb)
    reply = _sandbox.request(
        {
            "op": "probe",
            "path": os.path.abspath(path),
            "kind": kind,
            "mime": mime,
            "derived_dir": os.path.abspath(derived_dir),
            "cpu_seconds": math.ceil(timeout_seconds),
        },
        timeout_seconds=timeout_seconds,
    )
    if not reply["ok"]:
        raise ProbeFailed(reply["reason"], quarantine=reply["quarantine"], code=reply["failure"])
    return ProbeResult.from_json(reply["result"])


@dataclass
class TextResult:
    """Text read from a document photo or PDF by the sandbox. `method` is "text_layer" (the PDF's own text) or
    "ocr"; `confidence` is Tesseract's mean word confidence (0-100), None for a text layer."""

    text: str
    method: str
    confidence: float | None
    words: int
    pages: int
    pages_read: int


def extract_text(
    path: str,
    *,
    mime: str,
    derived_dir: str,
    languages: str = "ara+eng",
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
) -> TextResult:
    """The text of one untrusted photo or PDF, read in the sandbox child under the same limits as probe_media:
    a PDF's text layer when it has one, otherwise Tesseract OCR of the photo or of the PDF's first pages.
    Raises ProbeFailed with a reason a person can read."""
    if ALLOWED_MIME_TYPES.get(mime) not in ("photo", "document"):
        raise ValueError(f"{mime!r} is not a photo or a document")
    if "\n" in path or "\n" in derived_dir:
        raise ValueError("paths with line breaks cannot be sent to the sandbox")
    _sandbox.use_memory_limit(memory_limit_mb)
    reply = _sandbox.request(
        {
            "op": "text",
            "path": os.path.abspath(path),
            "mime": mime,
            "languages": languages,
            "derived_dir": os.path.abspath(derived_dir),
            "cpu_seconds": math.ceil(timeout_seconds),
        },
        timeout_seconds=timeout_seconds,
    )
    if not reply["ok"]:
        raise ProbeFailed(reply["reason"], quarantine=reply["quarantine"], code=reply["failure"])
    return TextResult(**reply["result"])


def sandbox_diagnostics() -> dict[str, Any]:
    """What the child process sees: {"keys": its environment variable names as started, "django_imported"}."""
    return _sandbox.request({"op": "environment"}, timeout_seconds=30)

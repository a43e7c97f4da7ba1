"""The parent side of the media sandbox.

Untrusted files are parsed in a long-lived child process (`child.py`), one per worker process, started
with an environment that holds no credentials, a memory limit, and its own process group. Each file gets
a wall-clock limit; a child that hangs, crashes or runs out of memory is killed and replaced, and the
file is reported as a ProbeFailed instead of taking the worker down.
"""

import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

CHILD_SCRIPT = Path(__file__).with_name("child.py")
# Only what the parsers need; nothing from the worker's environment (database URL, keys, broker).
SAFE_ENVIRONMENT_KEYS = ("PATH", "LANG", "LC_ALL", "TZ")
MAX_FILES_PER_CHILD = 500
DEFAULT_MEMORY_LIMIT_MB = 2048
MAX_DERIVED_FILE_BYTES = 512 * 1024 * 1024


class ProbeFailed(Exception):
    """Processing a file failed. `quarantine` marks a file that looks hostile (a bomb, a polyglot, one that
    lies about its type, hangs or crashes its parser): it must not be retried or opened by people."""

    def __init__(self, reason: str, *, quarantine: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.quarantine = quarantine


@dataclass
class ProbeResult:
    capture_time: datetime | None = None
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
    raw: dict = field(default_factory=dict)
    thumbnail_written: bool = False
    keyframe_paths: list[str] = field(default_factory=list)
    perceptual_hashes: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, document: dict) -> "ProbeResult":
        values = dict(document)
        for name in ("capture_time", "creation_time"):
            if values.get(name):
                values[name] = datetime.fromisoformat(values[name])
        return cls(**values)


def minimal_environment() -> dict[str, str]:
    return {key: os.environ[key] for key in SAFE_ENVIRONMENT_KEYS if key in os.environ}


class ProbeSandbox:
    """One child process, reused for many files, replaced whenever something goes wrong."""

    def __init__(self, memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB):
        self.memory_limit_mb = memory_limit_mb
        self.process: subprocess.Popen | None = None
        self.files_handled = 0
        self.lock = threading.Lock()

    def _limits(self) -> None:
        memory = self.memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_DERIVED_FILE_BYTES, MAX_DERIVED_FILE_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def _start(self) -> subprocess.Popen:
        self.process = subprocess.Popen(
            # Run by path, not as a module: importing the `casework` package would load Celery and Django.
            [sys.executable, "-I", str(CHILD_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=minimal_environment(),
            cwd="/",
            preexec_fn=self._limits,
            start_new_session=True,
        )
        self.files_handled = 0
        return self.process

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the child and any ffmpeg/exiftool it started
        except ProcessLookupError:
            pass
        process.wait(timeout=10)

    def request(self, message: dict, *, timeout_seconds: float) -> dict:
        with self.lock:
            process = self.process if self.process and self.process.poll() is None else self._start()
            try:
                process.stdin.write(json.dumps(message).encode() + b"\n")
                process.stdin.flush()
            except BrokenPipeError:
                self.stop()
                raise ProbeFailed("The media parser process could not be started.") from None
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                ready = selector.select(timeout_seconds)
            if not ready:
                self.stop()
                raise ProbeFailed(
                    f"Processing did not finish within {timeout_seconds:g} seconds; the file was set aside.",
                    quarantine=True,
                )
            line = process.stdout.readline()
            if not line:
                code = process.wait(timeout=10)
                self.process = None
                raise ProbeFailed(
                    f"The media parser crashed on this file (exit status {code}); the file was set aside.",
                    quarantine=True,
                )
            self.files_handled += 1
            if self.files_handled >= MAX_FILES_PER_CHILD:
                self.stop()
            return json.loads(line)


_sandbox = ProbeSandbox()


def probe_media(
    path: str,
    *,
    kind: str,
    mime: str,
    derived_dir: str,
    timeout_seconds: float = 120,
) -> ProbeResult:
    """Metadata, derived files (written into `derived_dir`) and perceptual hashes of one file.

    Raises ProbeFailed with a reason a person can read.
    """
    reply = _sandbox.request(
        {"op": "probe", "path": path, "kind": kind, "mime": mime, "derived_dir": derived_dir},
        timeout_seconds=timeout_seconds,
    )
    if not reply.get("ok"):
        raise ProbeFailed(reply["reason"], quarantine=reply.get("quarantine", False))
    return ProbeResult.from_json(reply["result"])


def sandbox_environment_keys() -> list[str]:
    """The environment variable names the child actually sees (for tests and diagnostics)."""
    return _sandbox.request({"op": "environment"}, timeout_seconds=30)["keys"]

"""Resumable uploads (the tus 1.0 protocol's storage side): a partial file under the incoming area with its
state beside it, hashed while its bytes arrive in order so completing it reads nothing twice.

Layout, under uploads.incoming_dir() / "resumable": `<token>.part` (the bytes so far: its size is the offset),
`<token>.json` (who, which case, the declared length, the details for intake, when it expires; the sender's
file name encrypted as MediaArrival keeps it), `<token>.lock` (one writer at a time, across processes) and
`<token>.sha256` (the running SHA-256's state after the bytes stored so far, and how many bytes that is).

The running SHA-256 stays in the memory of the process that received the bytes (`_running`, keyed by token,
with the offset it has reached), and after each PATCH its state is also written beside the upload
(sha256_state: OpenSSL's SHA-256 state as bytes), after the stored bytes have been flushed to the disk. A PATCH
that reaches another process (a restart, another of the server's worker processes) continues from that state,
so every byte is hashed exactly once, as it arrives, whichever process takes which piece. The saved state is
used only if it covers exactly the bytes stored (its count equals the file's size), so a state lost or left
behind by a crash can never stand for other bytes. Where it cannot be used (no saved state that fits, or no
libcrypto to save one with), the PATCH's bytes are stored without hashing and the upload's completion reads the
whole file once to hash it (counted in `rehashed_bytes`); rebuilding the hash at that PATCH instead would
re-read everything stored so far each time the pieces change process. Either way each byte is hashed at most
twice.
"""

import fcntl
import hashlib
import json
import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from casework.errors import Refused
from casework.evidence.sha256_state import STATE_BYTES, SaveableSha256, saveable_sha256
from casework.evidence.uploads import (
    SNIFF_BYTES,
    AppendingWriter,
    ReceivedFile,
    incoming_dir,
    read_chunks,
    too_large_message,
)
from casework.witnesses.crypto import decrypt_text, encrypt_text

TOKEN = re.compile(r"\A[0-9a-f]{32}\Z")
# Running hashes kept per process; more than this many uploads in flight in one process and the oldest is
# dropped (it is rebuilt by re-reading if its upload continues).
RUNNING_LIMIT = 256
_running: dict[str, tuple[Any, int]] = {}
_running_lock = threading.Lock()  # threads of one process share _running (each upload has one writer at a time)
SAVED_HASH_SEAL_SALT = "casework.evidence.resumable.saved-sha256"
SAVED_HASH_SEAL_BYTES = 32
rehashed_bytes = 0  # bytes re-read to rebuild a running hash: 0 unless a PATCH changed process
# A PATCH body is read in pieces this large. Freed, they are taken again from the process's heap; pieces of 1 MiB
# came back from the system instead, faulted in page by page after each request (about 500 page faults per
# PATCH, about 0.7 ms of CPU: a tenth of what an 8 MiB piece costs).
BODY_READ_SIZE = 256 * 1024


class UploadBusy(Refused):
    """Another request is writing to this upload now."""


class OffsetMismatch(Refused):
    """The client's Upload-Offset is not where the stored bytes end."""


class UploadTooLarge(Refused):
    """More bytes than the limit, or than the length declared at creation."""


def resumable_dir() -> Path:
    path = incoming_dir() / "resumable"
    path.mkdir(mode=0o750, exist_ok=True)
    return path


def expiry_delay() -> timedelta:
    return timedelta(hours=settings.CASEWORK_RESUMABLE_UPLOAD_HOURS)


@dataclass
class PartialUpload:
    token: str
    state: dict

    @cached_property
    def directory(self) -> Path:
        return resumable_dir()  # made if missing: once per request, not once per file name

    @property
    def data_path(self) -> Path:
        return self.directory / f"{self.token}.part"

    @property
    def state_path(self) -> Path:
        return self.directory / f"{self.token}.json"

    @property
    def lock_path(self) -> Path:
        return self.directory / f"{self.token}.lock"

    @property
    def hash_path(self) -> Path:
        return self.directory / f"{self.token}.sha256"

    @property
    def length(self) -> int:
        return self.state["length"]

    @property
    def case_id(self) -> int:
        return self.state["case_id"]

    @property
    def user_id(self) -> int:
        return self.state["user_id"]

    @property
    def details(self) -> dict:
        """The details for intake (source, source_url, description, witness pseudonym, incident references)."""
        return self.state["details"]

    @property
    def original_filename(self) -> str:
        return decrypt_text(self.state["filename"]) if self.state["filename"] else ""

    @property
    def expires_at(self) -> datetime:
        """A day (CASEWORK_RESUMABLE_UPLOAD_HOURS) after creation or after the last bytes arrived, whichever is
        later: the partial file's modification time says when, so a PATCH writes no state."""
        created = datetime.fromisoformat(self.state["expires_at"])
        try:
            written = datetime.fromtimestamp(self.data_path.stat().st_mtime, tz=UTC)
        except FileNotFoundError:
            return created
        return max(created, written + expiry_delay())

    @property
    def result(self) -> dict | None:
        """{"item_id": ..., "created": ...} once completed and ingested."""
        return self.state.get("result")

    @property
    def offset(self) -> int:
        if self.result is not None:
            return self.length
        try:
            return self.data_path.stat().st_size
        except FileNotFoundError:
            return 0

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())

    def save_state(self) -> None:
        # Replaced whole (write, fsync, rename), so a reader never sees half a state.
        temporary = self.state_path.with_suffix(".json.tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(self.state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.state_path)

    def record_result(self, *, item_id: int, created: bool) -> None:
        """The upload became this media item (kept in the state, for the client to read); the running hash's saved
        state is no longer needed."""
        self.state["result"] = {"item_id": item_id, "created": created}
        self.save_state()
        self.hash_path.unlink(missing_ok=True)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive use of this upload (a PATCH, its completion, a DELETE); UploadBusy if another has it."""
        with open(self.lock_path, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UploadBusy(_("Another request is sending this upload; try again shortly.")) from None
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(self, stream: BinaryIO, *, offset: int, content_length: int) -> int:
        """Write up to `content_length` bytes from `stream` at `offset` (which must be where the stored bytes
        end), hashing them as they pass. Returns the new offset. Call while holding `locked()`.

        A dropped connection keeps what arrived: the offset moves by the bytes actually read.
        """
        if self.result is not None and offset == self.length and content_length == 0:
            return offset
        current = self.offset
        if offset != current or self.result is not None:
            raise OffsetMismatch(
                _("The upload is at byte %(offset)s, not %(given)s.") % {"offset": current, "given": offset},
                field="Upload-Offset",
            )
        if current + content_length > self.length:
            raise UploadTooLarge(_("More bytes than the length declared for this upload."))
        digest = self._arrival_digest(current)
        remaining = content_length
        try:
            with AppendingWriter(self.data_path) as out:
                while remaining > 0:
                    chunk = stream.read(min(BODY_READ_SIZE, remaining))
                    if not chunk:
                        break
                    if digest is not None:
                        digest.update(chunk)
                    out.write(chunk)
                    current += len(chunk)
                    remaining -= len(chunk)
        finally:
            # What was written is what was hashed (a write that failed midway leaves the hash to be rebuilt).
            if digest is not None and self.data_path.exists() and self.data_path.stat().st_size == current:
                _remember(self.token, digest, current)
                if isinstance(digest, SaveableSha256):
                    self._save_digest(digest, current)
            else:
                _running.pop(self.token, None)
        return current

    def _arrival_digest(self, offset: int):
        """The SHA-256 to continue with the bytes arriving at `offset`: this process's running one, or the one
        saved beside the upload, if it has seen every byte before them (a new one at 0); otherwise None, and the
        completion hashes the file."""
        running = _running.pop(self.token, None)
        if running is not None and running[1] == offset:
            return running[0]
        saved = self._saved_digest(offset)
        if saved is not None:
            return saved
        if offset == 0:
            return saveable_sha256() or hashlib.sha256()
        return None

    def _save_digest(self, digest: SaveableSha256, offset: int) -> None:
        """Write the running state beside the upload, once the bytes it covers are on the disk (a crash must not
        leave a state that counts bytes the file lost). Best effort: without it the completion re-reads."""
        temporary = self.hash_path.with_suffix(".sha256.tmp")
        try:
            descriptor = os.open(self.data_path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fdatasync(descriptor)
            finally:
                os.close(descriptor)
            record = offset.to_bytes(8, "big") + digest.state()
            with open(temporary, "wb") as handle:
                handle.write(record + self._seal(record))
            os.replace(temporary, self.hash_path)
        except OSError:
            temporary.unlink(missing_ok=True)
            self.hash_path.unlink(missing_ok=True)

    def _seal(self, record: bytes) -> bytes:
        """A keyed hash of the saved state and this upload's token: a state garbled on the disk, or one taken from
        another upload, would pass the byte count and give the stored original a wrong SHA-256."""
        return salted_hmac(SAVED_HASH_SEAL_SALT, self.token.encode() + record, algorithm="sha256").digest()

    def _saved_digest(self, offset: int) -> SaveableSha256 | None:
        """The saved running state, if it is intact (its seal), covers exactly the first `offset` bytes and the
        stored file has that many (a state from before a lost write, or after bytes a crash took back, is not
        used)."""
        try:
            saved = self.hash_path.read_bytes()
            stored = self.data_path.stat().st_size
        except OSError:
            return None
        record, seal = saved[: 8 + STATE_BYTES], saved[8 + STATE_BYTES :]
        if len(saved) != 8 + STATE_BYTES + SAVED_HASH_SEAL_BYTES or not constant_time_compare(seal, self._seal(record)):
            return None
        if int.from_bytes(record[:8], "big") != offset or stored != offset:
            return None
        try:
            return saveable_sha256(record[8:])
        except ValueError:
            return None

    def _complete_digest(self):
        """The SHA-256 of all `length` bytes: the running one (in memory or saved) if it saw them all, else read
        from the file."""
        global rehashed_bytes
        running = _running.pop(self.token, None)
        if running is not None and running[1] == self.length:
            return running[0]
        saved = self._saved_digest(self.length)
        if saved is not None:
            return saved
        digest = hashlib.sha256()
        for piece in read_chunks(self.data_path, self.length):
            digest.update(piece)
        rehashed_bytes += self.length
        return digest

    def received(self) -> ReceivedFile:
        """The complete file as intake takes it (the temporary file then belongs to the intake service)."""
        digest = self._complete_digest()
        with open(self.data_path, "rb") as stored:
            head = stored.read(SNIFF_BYTES)
        return ReceivedFile(self.data_path, digest.hexdigest(), self.length, head)

    def remove(self) -> None:
        _running.pop(self.token, None)
        for path in (self.data_path, self.hash_path, self.state_path, self.lock_path):
            path.unlink(missing_ok=True)


def _remember(token: str, digest, offset: int) -> None:
    with _running_lock:
        _running[token] = (digest, offset)
        while len(_running) > RUNNING_LIMIT:
            _running.pop(next(iter(_running)))


def upload_create(*, case_id: int, user_id: int, length: int, filename: str, details: dict) -> PartialUpload:
    """A new, empty upload of `length` bytes. Refused if the length is 0; UploadTooLarge past the limit."""
    limit = settings.CASEWORK_MAX_UPLOAD_BYTES
    if length > limit:
        raise UploadTooLarge(too_large_message(limit), field="Upload-Length")
    if length <= 0:
        raise Refused(_("The file is empty."), field="Upload-Length")
    upload = PartialUpload(
        token=secrets.token_hex(16),
        state={
            "case_id": case_id,
            "user_id": user_id,
            "length": length,
            "filename": encrypt_text(filename) if filename else "",
            "details": details,
            "created_at": timezone.now().isoformat(),
            "expires_at": (timezone.now() + expiry_delay()).isoformat(),
        },
    )
    upload.data_path.touch(mode=0o640, exist_ok=False)
    upload.save_state()
    return upload


def upload_find(token: str) -> PartialUpload | None:
    """The upload named by `token`, if it exists and has not expired (an expired one is removed now)."""
    if not TOKEN.match(token):
        return None
    try:
        with open(resumable_dir() / f"{token}.json", encoding="utf-8") as handle:
            upload = PartialUpload(token=token, state=json.load(handle))
    except (FileNotFoundError, ValueError):
        return None
    if upload.is_expired():
        upload.remove()
        return None
    return upload


def uploads_remove_expired(*, now: datetime | None = None) -> int:
    """Remove every upload whose expiry has passed (and stray files without a state). Safe to run twice."""
    now = now or timezone.now()
    removed = 0
    for state_path in resumable_dir().glob("*.json"):
        token = state_path.stem
        try:
            with open(state_path, encoding="utf-8") as handle:
                upload = PartialUpload(token=token, state=json.load(handle))
        except (FileNotFoundError, ValueError):
            continue
        if upload.is_expired(now):
            try:
                with upload.locked():
                    upload.remove()
            except UploadBusy:
                continue  # being written to right now, so not abandoned
            removed += 1
    grace = now - expiry_delay()
    for stray in [*resumable_dir().glob("*.part"), *resumable_dir().glob("*.sha256*")]:
        if not stray.with_suffix(".json").exists() and stray.stat().st_mtime < grace.timestamp():
            stray.unlink(missing_ok=True)
    return removed

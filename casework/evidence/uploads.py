"""Receiving bytes: hash and count while they stream to a temporary file, so nothing is read twice."""

import errno
import fcntl
import hashlib
import logging
import mmap
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.utils.translation import gettext as _

from casework.errors import Refused, StorageFull

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
SNIFF_BYTES = 8192


class IntakeRejected(Refused):
    """Bad input at intake: the message is shown to the person, and nothing was stored. About the file unless
    `field` names another input."""

    def __init__(self, message: str = "", *, field: str = "file"):
        super().__init__(message, field=field)


class StoredCopyDiffers(IntakeRejected):
    """The copy written to storage does not match the bytes received (a failing disk or memory): nothing was
    stored. 503, as the server's fault and worth sending again, not the file's."""

    status_code = 503

    def __init__(self):
        super().__init__(
            _(
                "The file arrived whole, but the copy written to storage did not match it, so nothing was stored "
                "or recorded. Send it again; if this happens again, tell the administrator: the storage may be "
                "failing."
            )
        )


@dataclass
class ReceivedFile:
    """A file fully received into a temporary path, with what was learnt while receiving it."""

    temporary_path: Path
    sha256: str
    size_bytes: int
    head: bytes

    def discard(self) -> None:
        self.temporary_path.unlink(missing_ok=True)


def incoming_dir() -> Path:
    path = Path(settings.FILE_UPLOAD_TEMP_DIR or Path(settings.MEDIA_ROOT) / "incoming")
    path.mkdir(parents=True, exist_ok=True)
    return path


# O_DIRECT needs the buffer, the file offset and the length aligned to the device's block; 4 KiB covers them all.
DIRECT_ALIGNMENT = 4096


# One aligned buffer kept per thread between writers (a resumable upload opens one per PATCH): a new one would be
# faulted in page by page each time.
_spare_buffers = threading.local()


def _take_buffer() -> mmap.mmap:
    buffer = getattr(_spare_buffers, "buffer", None)
    _spare_buffers.buffer = None
    return buffer if buffer is not None else mmap.mmap(-1, CHUNK_SIZE)  # page-aligned


def _give_back_buffer(buffer: mmap.mmap) -> None:
    if getattr(_spare_buffers, "buffer", None) is None:
        _spare_buffers.buffer = buffer
        return
    try:
        buffer.close()
    except BufferError:  # a failed write's traceback still holds a view of it: freed with that
        pass


def _set_direct(descriptor: int, direct: bool) -> None:
    """Switch O_DIRECT on or off for an open file."""
    flags = fcntl.fcntl(descriptor, fcntl.F_GETFL)
    fcntl.fcntl(descriptor, fcntl.F_SETFL, flags | os.O_DIRECT if direct else flags & ~os.O_DIRECT)


class AppendingWriter:
    """Appends received bytes to a file, past the page cache (O_DIRECT) where the filesystem allows it.

    Buffered writes of a large upload cost more CPU than hashing it (the kernel copies every byte into the page
    cache, allocating it; 1-3 s per GB measured here, against 0.6 for SHA-256) and push everything else out of
    the cache; direct writes go from one aligned buffer to the disk (0.15 s per GB). The bytes on disk are the
    same either way. What does not fill an aligned block, at the start of an unaligned append and at the end,
    is written through the page cache. A filesystem without O_DIRECT (tmpfs on older kernels, some network
    filesystems), or a write it refuses as unaligned, gets ordinary writes. Not thread-safe; close() writes
    what is still buffered, and must be called (it also closes the file); a `with` block calls it.
    """

    def __init__(self, path: Path | str):
        """Appends to the existing file at `path`."""
        flags = os.O_WRONLY | os.O_CLOEXEC
        direct = getattr(os, "O_DIRECT", 0)
        try:
            self.descriptor = os.open(path, flags | direct)
            self.direct = bool(direct)
        except OSError as error:
            if error.errno != errno.EINVAL:
                raise
            self.descriptor = os.open(path, flags)
            self.direct = False
        self.offset = os.fstat(self.descriptor).st_size  # appends start where the stored bytes end
        self.buffer = _take_buffer() if self.direct else None
        self.buffered = 0  # bytes in self.buffer, not yet written
        self.closed = False

    def __enter__(self) -> "AppendingWriter":
        return self

    def __exit__(self, *exception) -> None:
        self.close()

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.buffer is None or (self.buffered == 0 and self.offset % DIRECT_ALIGNMENT):
                # Through the page cache: no O_DIRECT here, or up to the next aligned offset.
                size = len(view) if self.buffer is None else -self.offset % DIRECT_ALIGNMENT
                self._write_cached(view[:size])
                view = view[size:]
                continue
            size = min(len(view), CHUNK_SIZE - self.buffered)
            self.buffer[self.buffered : self.buffered + size] = view[:size]
            self.buffered += size
            view = view[size:]
            if self.buffered == CHUNK_SIZE:
                self._flush_buffer()

    def close(self) -> None:
        """Write what is buffered, then close the file (even if that write fails). Once only."""
        if self.closed:
            return
        self.closed = True
        try:
            if self.buffered:
                self._flush_buffer()
        finally:
            os.close(self.descriptor)
            buffer, self.buffer = self.buffer, None
            if buffer is not None:
                _give_back_buffer(buffer)

    def _flush_buffer(self) -> None:
        assert self.buffer is not None
        aligned = self.buffered - self.buffered % DIRECT_ALIGNMENT
        with memoryview(self.buffer) as whole:
            if aligned:
                try:
                    self._write_all(whole[:aligned])
                except OSError as error:
                    if error.errno != errno.EINVAL:
                        raise
                    self._stop_direct()  # the filesystem wants another alignment: ordinary writes from now on
                    self._write_all(whole[:aligned])
            if self.buffered > aligned:
                self._write_cached(whole[aligned : self.buffered])
        self.buffered = 0

    def _write_cached(self, view: memoryview) -> None:
        if self.direct:
            _set_direct(self.descriptor, False)
            try:
                self._write_all(view)
            finally:
                _set_direct(self.descriptor, True)
        else:
            self._write_all(view)

    def _stop_direct(self) -> None:
        _set_direct(self.descriptor, False)
        self.direct = False

    def _write_all(self, view: memoryview) -> None:
        while view:
            written = os.pwrite(self.descriptor, view, self.offset)
            self.offset += written
            view = view[written:]


def receive_stream(stream: BinaryIO) -> ReceivedFile:
    """Copy a stream to a temporary file in 1 MiB chunks, hashing as it goes; enforces the size limit."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    limit = settings.CASEWORK_MAX_UPLOAD_BYTES
    handle, name = tempfile.mkstemp(dir=incoming_dir(), prefix="intake-")
    os.close(handle)
    try:
        with AppendingWriter(name) as out:
            while chunk := stream.read(CHUNK_SIZE):
                size += len(chunk)
                if size > limit:
                    raise IntakeRejected(too_large_message(limit))
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException as error:
        Path(name).unlink(missing_ok=True)
        if is_storage_full(error):
            raise StorageFull() from error
        raise
    return ReceivedFile(Path(name), digest.hexdigest(), size, head)


def receive_path(path: Path) -> ReceivedFile:
    with open(path, "rb") as source:
        return receive_stream(source)


def too_large_message(limit: int) -> str:
    return _("The file is larger than the limit of %(limit)s bytes.") % {"limit": limit}


class HashingUploadHandler(TemporaryFileUploadHandler):
    """Django upload handler that hashes each chunk as it arrives from the network.

    The temporary file lives on the media volume, so the service moves it into place with a rename.
    """

    # Django's default of 64 KiB makes the multipart parser, not hashing or the disk, the bottleneck.
    chunk_size = CHUNK_SIZE

    def new_file(self, *args, **kwargs):
        incoming_dir()
        super().new_file(*args, **kwargs)
        self.digest = hashlib.sha256()
        self.received_bytes = 0
        self.head = b""
        # The bytes go to Django's temporary file through a writer of their own, past the page cache.
        self.writer = AppendingWriter(self.file.temporary_file_path())

    def receive_data_chunk(self, raw_data, start):
        self.received_bytes += len(raw_data)
        if self.received_bytes > settings.CASEWORK_MAX_UPLOAD_BYTES:
            self._discard()
            raise StopUpload(connection_reset=True)
        if len(self.head) < SNIFF_BYTES:
            self.head += raw_data[: SNIFF_BYTES - len(self.head)]
        self.digest.update(raw_data)
        self._store(self.writer.write, raw_data)
        return None  # taken: no later handler sees the chunk

    def file_complete(self, file_size):
        self._store(self.writer.close)
        uploaded = super().file_complete(file_size)
        if uploaded is not None:
            uploaded.received = ReceivedFile(
                Path(uploaded.temporary_file_path()), self.digest.hexdigest(), self.received_bytes, self.head
            )
        return uploaded

    def upload_interrupted(self):
        self._close_writer()
        super().upload_interrupted()

    def _store(self, operation, *arguments) -> None:
        try:
            operation(*arguments)
        except OSError as error:
            if not is_storage_full(error):
                self._discard()
                raise
            # Raised here, the error would reach the CSRF check (which reads the form) as a 500. The partial file
            # goes at once; StorageFullMiddleware answers 507 once the rest of the body has been read past.
            self._discard()
            self.request.casework_storage_full = True
            raise StopUpload(connection_reset=False) from error

    def _close_writer(self) -> None:
        writer = getattr(self, "writer", None)
        if writer is not None and not writer.closed:
            try:
                writer.close()
            except OSError:
                pass  # the file is being discarded anyway

    def _discard(self) -> None:
        self._close_writer()
        partial = Path(self.file.temporary_file_path())
        self.file.close()
        partial.unlink(missing_ok=True)


def receive_upload(uploaded) -> ReceivedFile:
    """The ReceivedFile of an uploaded file: already hashed by HashingUploadHandler, or streamed now.

    The temporary file then belongs to the caller (Django would otherwise delete it at the end of the
    request, after the service has already moved it).
    """
    received = getattr(uploaded, "received", None)
    if received is not None:
        claimed = received.temporary_path.with_name(received.temporary_path.name + ".claimed")
        os.link(received.temporary_path, claimed)
        return ReceivedFile(claimed, received.sha256, received.size_bytes, received.head)
    uploaded.seek(0)
    return receive_stream(uploaded)


def is_storage_full(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def read_chunks(path: Path | str, length: int | None = None) -> Iterator[memoryview]:
    """The first `length` bytes of the file (all of it by default) in pieces of up to CHUNK_SIZE, read past the
    page cache (O_DIRECT) where the filesystem allows it: what is on the disk, for less CPU than through the
    cache (see AppendingWriter). Each piece is valid until the next is asked for."""
    flags = os.O_RDONLY | os.O_CLOEXEC
    direct = getattr(os, "O_DIRECT", 0)
    try:
        descriptor = os.open(path, flags | direct)
    except OSError as error:
        if error.errno != errno.EINVAL or not direct:
            raise
        descriptor, direct = os.open(path, flags), 0
    buffer = _take_buffer()
    try:
        offset = 0
        with memoryview(buffer) as whole:
            while length is None or offset < length:
                try:
                    count = os.preadv(descriptor, [whole], offset)
                except OSError as error:
                    if error.errno != errno.EINVAL or not direct:
                        raise
                    _set_direct(descriptor, False)
                    direct = 0
                    continue
                if count == 0:
                    break
                if length is not None:
                    count = min(count, length - offset)
                with whole[:count] as piece:
                    yield piece
                offset += count
    finally:
        os.close(descriptor)
        _give_back_buffer(buffer)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for piece in read_chunks(path):
        digest.update(piece)
    return digest.hexdigest()


def place_original(received: ReceivedFile, storage_name: str) -> bool:
    """Put the received bytes at `storage_name` in local storage, all or nothing; True if this call wrote it.

    A file already there is trusted only after re-hashing: a copy cut off by a full disk or a crash must never
    stand for the original. The bytes go to a temporary name beside the final one, are flushed to disk
    (fsync), checked against the hash computed while receiving them, and only then renamed into place, so the
    final name never holds a partial file. On the same filesystem the temporary file is hard-linked (the very
    bytes that were hashed, not read again); from another filesystem they are copied, then re-read and checked.
    StorageFull (nothing left behind) if the disk fills up; StoredCopyDiffers (nothing left behind) if a copy
    does not match the hash.
    """
    final = Path(default_storage.path(storage_name))
    final.parent.mkdir(mode=settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS or 0o750, parents=True, exist_ok=True)
    if final.exists():
        if file_sha256(final) == received.sha256:
            return False
        logger.warning("Replacing %s: its bytes do not match its name (a copy cut off earlier)", storage_name)
    partial = final.with_name(f".{final.name}.{uuid.uuid4().hex}.partial")
    try:
        try:
            os.link(received.temporary_path, partial)
            copied = False
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise
            _copy(received.temporary_path, partial)
            copied = True
        _fsync(partial)
        if copied and file_sha256(partial) != received.sha256:
            logger.error("The copy of %s differs from the bytes received; nothing was stored", storage_name)
            raise StoredCopyDiffers()
        if settings.FILE_UPLOAD_PERMISSIONS is not None:
            os.chmod(partial, settings.FILE_UPLOAD_PERMISSIONS)
        os.replace(partial, final)
        _fsync(final.parent)
    except OSError as error:
        if is_storage_full(error):
            raise StorageFull() from error
        raise
    finally:
        partial.unlink(missing_ok=True)
    return True


def _copy(source: Path, target: Path) -> None:
    with open(source, "rb") as reader, open(target, "xb") as writer:
        while chunk := reader.read(CHUNK_SIZE):
            writer.write(chunk)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# A file in incoming/ not written to for this long belongs to an upload that died (a killed worker, a client
# that went away); an upload in progress writes to its file every few seconds.
INCOMING_MAX_IDLE_SECONDS = 60 * 60


def incoming_clean(*, max_idle_seconds: int = INCOMING_MAX_IDLE_SECONDS) -> int:
    """Delete the temporary files of uploads that died part-way; returns how many. Safe to run any time."""
    cutoff = time.time() - max_idle_seconds
    removed = 0
    for path in incoming_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # finished (or cleaned) meanwhile
            continue
    return removed

"""Receiving bytes: hash and count while they stream to a temporary file, so nothing is read twice."""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.utils.translation import gettext as _

from casework.errors import Refused

CHUNK_SIZE = 1024 * 1024
SNIFF_BYTES = 8192


class IntakeRejected(Refused):
    """Bad input at intake: the message is shown to the person, and nothing was stored. About the file unless
    `field` names another input."""

    def __init__(self, message: str = "", *, field: str = "file"):
        super().__init__(message, field=field)


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


def receive_stream(stream: BinaryIO) -> ReceivedFile:
    """Copy a stream to a temporary file in 1 MiB chunks, hashing as it goes; enforces the size limit."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    limit = settings.CASEWORK_MAX_UPLOAD_BYTES
    handle, name = tempfile.mkstemp(dir=incoming_dir(), prefix="intake-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK_SIZE):
                size += len(chunk)
                if size > limit:
                    raise IntakeRejected(too_large_message(limit))
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
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

    def receive_data_chunk(self, raw_data, start):
        self.received_bytes += len(raw_data)
        if self.received_bytes > settings.CASEWORK_MAX_UPLOAD_BYTES:
            self.file.close()
            raise StopUpload(connection_reset=True)
        if len(self.head) < SNIFF_BYTES:
            self.head += raw_data[: SNIFF_BYTES - len(self.head)]
        self.digest.update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        uploaded = super().file_complete(file_size)
        if uploaded is not None:
            uploaded.received = ReceivedFile(
                Path(uploaded.temporary_file_path()), self.digest.hexdigest(), self.received_bytes, self.head
            )
        return uploaded


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

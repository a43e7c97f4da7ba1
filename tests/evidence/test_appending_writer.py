"""Received bytes reach the disk exactly as they arrived, whichever way they are written: past the page cache
(O_DIRECT) in aligned blocks, through it for the unaligned start and end of an append, or ordinarily where the
filesystem refuses direct writes."""

import errno
import hashlib
import io
import os
import random
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from casework.evidence import uploads
from casework.evidence.models import MediaItem
from casework.evidence.uploads import CHUNK_SIZE, AppendingWriter


def appended_in_sessions(path, data: bytes, rng: random.Random) -> list[AppendingWriter]:
    """`data` appended to the empty file at `path` over several writers (as over several PATCH requests), each
    given pieces of odd sizes, so that appends start and end off any block boundary."""
    path.write_bytes(b"")
    writers, position = [], 0
    while position < len(data):
        writer = AppendingWriter(path)
        assert writer.offset == position  # an append starts where the stored bytes end
        session_end = min(len(data), position + rng.randint(1, 3 * CHUNK_SIZE))
        while position < session_end:
            piece = rng.choice([1, 511, 4095, 4096, 4097, 65_537, CHUNK_SIZE - 3, CHUNK_SIZE, CHUNK_SIZE + 5])
            writer.write(data[position : min(position + piece, session_end)])
            position = min(position + piece, session_end)
        writer.close()
        assert path.stat().st_size == position
        writers.append(writer)
    return writers


@pytest.fixture
def data():
    return random.Random(16).randbytes(5 * CHUNK_SIZE + 12_345)


def test_bytes_on_disk_are_the_bytes_sent_in_odd_pieces_and_sessions(tmp_path, data):
    path = tmp_path / "upload.part"
    writers = appended_in_sessions(path, data, random.Random(1))
    assert path.read_bytes() == data
    assert len(writers) > 1


def test_without_o_direct_the_bytes_are_the_same(tmp_path, data, monkeypatch):
    monkeypatch.delattr(os, "O_DIRECT", raising=False)
    path = tmp_path / "upload.part"
    writers = appended_in_sessions(path, data, random.Random(2))
    assert path.read_bytes() == data
    assert not any(writer.direct for writer in writers)


def test_a_filesystem_refusing_direct_writes_gets_ordinary_ones(tmp_path, data, monkeypatch):
    real_pwrite = os.pwrite

    def refuse_direct(descriptor, view, offset):
        import fcntl

        if fcntl.fcntl(descriptor, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_pwrite(descriptor, view, offset)

    monkeypatch.setattr(uploads.os, "pwrite", refuse_direct)
    path = tmp_path / "upload.part"
    appended_in_sessions(path, data, random.Random(3))
    assert path.read_bytes() == data


def test_a_failed_write_keeps_what_was_written_before_it(tmp_path, data, monkeypatch):
    path = tmp_path / "upload.part"
    path.write_bytes(data[:1000])
    real_pwrite = os.pwrite
    calls = []

    def disk_fills(descriptor, view, offset):
        calls.append(offset)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_pwrite(descriptor, view, offset)

    monkeypatch.setattr(uploads.os, "pwrite", disk_fills)
    writer = AppendingWriter(path)
    with pytest.raises(OSError) as raised:
        try:
            writer.write(data[1000:])
        finally:
            writer.close()  # writes what is buffered, or fails the same way; closes the file either way
    assert raised.value.errno == errno.ENOSPC
    written = path.read_bytes()
    assert written == data[: len(written)] and len(written) < len(data)


def test_receive_stream_hashes_what_it_stores(tmp_path, data, settings):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    received = uploads.receive_stream(io.BytesIO(data))
    assert received.temporary_path.read_bytes() == data
    assert received.sha256 == hashlib.sha256(data).hexdigest() and received.size_bytes == len(data)
    assert received.head == data[: uploads.SNIFF_BYTES]


@pytest.mark.django_db
def test_a_multipart_upload_of_odd_size_is_stored_byte_for_byte(api, intake_worker, case):
    content = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + random.Random(5).randbytes(2 * CHUNK_SIZE + 777)
    api.force_authenticate(intake_worker)
    answer = api.post(
        f"/api/cases/{case.reference}/media/",
        {"file": SimpleUploadedFile("clip.mp4", content), "source": "witness"},
        format="multipart",
    )
    assert answer.status_code == 201, answer.content
    item = MediaItem.objects.get()
    assert item.sha256 == hashlib.sha256(content).hexdigest() and item.size_bytes == len(content)
    assert Path(default_storage.path(item.original.name)).read_bytes() == content


@pytest.mark.parametrize("direct", [True, False])
def test_read_chunks_gives_the_stored_bytes_whole_or_up_to_a_length(tmp_path, data, monkeypatch, direct):
    if not direct:
        monkeypatch.delattr(os, "O_DIRECT", raising=False)
    path = tmp_path / "stored"
    path.write_bytes(data)
    assert b"".join(bytes(piece) for piece in uploads.read_chunks(path)) == data
    for length in (0, 1, 4096, CHUNK_SIZE, CHUNK_SIZE + 1, len(data) - 1):
        assert b"".join(bytes(piece) for piece in uploads.read_chunks(path, length)) == data[:length]
    assert uploads.file_sha256(path) == hashlib.sha256(data).hexdigest()

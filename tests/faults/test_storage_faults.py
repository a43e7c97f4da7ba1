"""A full disk, a cut-off copy, a failed database write: originals are all or nothing, and each has its record.

The media folder is a real 4 MiB tmpfs (mounted for the test; the uploads' temporary folder stays on another
filesystem, as in the reported failure), filled with a ballast file to make it run out of space.
"""

import hashlib
import io
import os
import subprocess
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django.urls import reverse

from casework.evidence import services, uploads
from casework.evidence.models import MediaItem
from casework.evidence.uploads import incoming_clean, incoming_dir

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


def video_bytes(size: int, seed: int = 0) -> bytes:
    """An MP4 header the intake accepts, then `size` bytes in all."""
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    body = hashlib.sha256(str(seed).encode()).digest() * (size // 32 + 1)
    return (head + body)[:size]


@pytest.fixture
def small_media_root(tmp_path, settings):
    """MEDIA_ROOT on a 4 MiB tmpfs of its own; the uploads' temporary folder stays on the test's disk."""
    mount_point = tmp_path / "media"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    settings.MEDIA_ROOT = str(mount_point)
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "incoming")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder: Path, leave_bytes: int) -> Path:
    """A ballast file that leaves about `leave_bytes` free on `folder`'s filesystem."""
    stats = os.statvfs(folder)
    ballast = folder / "ballast"
    ballast.write_bytes(b"\x00" * max(0, stats.f_bavail * stats.f_frsize - leave_bytes))
    return ballast


def stored_files(root: Path) -> list[Path]:
    originals = root / "originals"
    return sorted(path for path in originals.rglob("*") if path.is_file()) if originals.exists() else []


def post(api, case, content: bytes, name: str = "clip.mp4"):
    return api.post(
        f"/api/cases/{case.reference}/media/",
        {"file": SimpleUploadedFile(name, content), "source": "witness"},
        format="multipart",
    )


def test_disk_full_mid_copy_stores_nothing_answers_507_and_the_same_file_later_is_stored_whole(
    api, intake_worker, case, small_media_root
):
    content = video_bytes(2 * MIB)
    ballast = fill(small_media_root, leave_bytes=MIB)
    api.force_authenticate(intake_worker)
    full = post(api, case, content)
    assert full.status_code == 507
    assert "storage is full" in str(full.json())
    assert stored_files(small_media_root) == [] and not MediaItem.objects.exists()

    ballast.unlink()
    again = post(api, case, content)
    assert again.status_code == 201, again.content
    item = MediaItem.objects.get()
    assert hashlib.sha256(Path(default_storage.path(item.original.name)).read_bytes()).hexdigest() == item.sha256
    assert item.sha256 == hashlib.sha256(content).hexdigest()


def test_a_cut_off_file_under_the_hash_name_is_replaced_not_trusted(api, intake_worker, case, small_media_root):
    content = video_bytes(MIB, seed=1)
    sha256 = hashlib.sha256(content).hexdigest()
    cut_off = small_media_root / "originals" / str(case.pk) / sha256[:2] / sha256
    cut_off.parent.mkdir(parents=True)
    cut_off.write_bytes(content[: MIB // 2])
    api.force_authenticate(intake_worker)
    assert post(api, case, content).status_code == 201
    assert cut_off.read_bytes() == content
    assert stored_files(small_media_root) == [cut_off]


def test_upload_page_answers_507_when_the_uploads_folder_is_full_and_leaves_no_temporary_file(
    client, intake_worker, case, small_media_root, settings
):
    settings.FILE_UPLOAD_TEMP_DIR = str(small_media_root / "incoming")
    fill(small_media_root, leave_bytes=MIB)
    client.force_login(intake_worker)
    response = client.post(
        reverse("evidence:media_list", args=[case.reference]),
        {"source": "activist_message", "files": [SimpleUploadedFile("big.mp4", video_bytes(2 * MIB))]},
    )
    assert response.status_code == 507
    assert "storage is full" in response.content.decode()
    assert list(incoming_dir().iterdir()) == []
    assert not MediaItem.objects.exists()


def test_database_failure_after_the_file_is_in_place_leaves_no_file_without_record(
    intake_worker, case, monkeypatch, tmp_path
):
    def database_goes_away(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "custody_record", database_goes_away)
    source = tmp_path / "clip.mp4"
    source.write_bytes(video_bytes(MIB, seed=2))
    with pytest.raises(OperationalError):
        services.media_ingest_path(path=source, case=case, source="witness", acquired_by=intake_worker)
    assert not MediaItem.objects.exists()
    assert stored_files(Path(default_storage.location)) == []


def test_verify_custody_reports_a_stored_file_that_no_record_owns(case, capsys):
    orphan = Path(default_storage.path(f"originals/{case.pk}/ab/{'ab' * 32}_qZ7D4Tp"))
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left behind")
    with pytest.raises(CommandError, match="1 file\\(s\\) without a record"):
        call_command("verify_custody")
    assert f"FILE WITHOUT RECORD: originals/{case.pk}/ab/{'ab' * 32}_qZ7D4Tp" in capsys.readouterr().err


def test_temporary_files_of_dead_uploads_are_cleaned_and_live_ones_kept():
    dead = incoming_dir() / "tmpdead.upload.mp4"
    dead.write_bytes(b"half an upload")
    an_hour_ago = time.time() - 2 * 60 * 60
    os.utime(dead, (an_hour_ago, an_hour_ago))
    live = incoming_dir() / "tmplive.upload.mp4"
    live.write_bytes(b"still arriving")
    assert incoming_clean() == 1
    assert not dead.exists() and live.exists()


def test_clean_dead_uploads_is_on_the_beat_schedule(settings):
    assert "casework.evidence.tasks.incoming_clean_task" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def flip_a_byte_of_the_copy(monkeypatch):
    """uploads._copy writes a copy with one byte changed, as a failing disk or memory would."""
    real_copy = uploads._copy

    def copy_with_a_flipped_byte(source, target):
        real_copy(source, target)
        with open(target, "r+b") as copied:
            copied.seek(100)
            byte = copied.read(1)
            copied.seek(100)
            copied.write(bytes([byte[0] ^ 0xFF]))

    monkeypatch.setattr(uploads, "_copy", copy_with_a_flipped_byte)
    return real_copy


def test_a_copy_from_another_filesystem_that_differs_from_what_was_received_is_refused_and_nothing_is_kept(
    api, intake_worker, case, small_media_root, monkeypatch
):
    # The media folder is another filesystem than the uploads' folder, so the original is copied, not linked;
    # a copy that comes out different (a failing disk, memory, a cable) must never stand for the original.
    real_copy = flip_a_byte_of_the_copy(monkeypatch)
    content = video_bytes(MIB, seed=3)
    api.force_authenticate(intake_worker)
    refused = post(api, case, content)
    assert refused.status_code == 503
    assert "did not match" in str(refused.json())
    assert not MediaItem.objects.exists()
    assert [path for path in small_media_root.rglob("*") if path.is_file()] == []  # nor a partial copy

    monkeypatch.setattr(uploads, "_copy", real_copy)
    stored = post(api, case, content)
    assert stored.status_code == 201, stored.content
    item = MediaItem.objects.get()
    assert Path(default_storage.path(item.original.name)).read_bytes() == content


def test_the_upload_page_says_so_when_the_copy_in_storage_differs_and_keeps_nothing(
    client, intake_worker, case, small_media_root, monkeypatch
):
    def copy_cut_short(source, target):
        Path(target).write_bytes(Path(source).read_bytes()[:-1])

    monkeypatch.setattr(uploads, "_copy", copy_cut_short)
    client.force_login(intake_worker)
    response = client.post(
        reverse("evidence:media_list", args=[case.reference]),
        {"source": "activist_message", "files": [SimpleUploadedFile("clip.mp4", video_bytes(MIB, seed=4))]},
    )
    assert response.status_code == 400
    assert "clip.mp4: The file arrived whole, but the copy written to storage did not match it" in (
        response.content.decode()
    )
    assert not MediaItem.objects.exists() and stored_files(small_media_root) == []


def test_a_resumable_upload_whose_stored_copy_differs_is_refused_and_nothing_is_kept(
    api, intake_worker, case, small_media_root, monkeypatch
):
    from tests.evidence.test_resumable import create, send

    real_copy = flip_a_byte_of_the_copy(monkeypatch)
    content = video_bytes(MIB, seed=5)
    api.force_authenticate(intake_worker)
    location = create(api, case, content, filename="clip.mp4")["Location"]
    half = len(content) // 2
    assert send(api, location, content[:half], 0).status_code == 204
    refused = send(api, location, content[half:], half)
    assert refused.status_code == 503
    assert "did not match" in refused.content.decode()
    assert not MediaItem.objects.exists()
    assert stored_files(small_media_root) == []

    monkeypatch.setattr(uploads, "_copy", real_copy)
    location = create(api, case, content, filename="clip.mp4")["Location"]
    assert send(api, location, content, 0).status_code == 204
    assert Path(default_storage.path(MediaItem.objects.get().original.name)).read_bytes() == content


def test_the_ingest_command_rejects_a_file_whose_stored_copy_differs_and_keeps_nothing(
    intake_worker, case, small_media_root, tmp_path, monkeypatch
):
    flip_a_byte_of_the_copy(monkeypatch)
    folder = tmp_path / "from-the-field"
    folder.mkdir()
    (folder / "clip.mp4").write_bytes(video_bytes(MIB, seed=6))
    errors = io.StringIO()
    with pytest.raises(CommandError, match="1 file"):
        call_command(
            "ingest", str(folder), case=case.reference, source="witness", user=intake_worker.username,
            stdout=io.StringIO(), stderr=errors,
        )  # fmt: skip
    assert "the copy written to storage did not match it" in errors.getvalue()
    assert not MediaItem.objects.exists()
    assert stored_files(small_media_root) == []

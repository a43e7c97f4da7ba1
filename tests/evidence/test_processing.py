"""Processing by a real worker: metadata, derived files, near-duplicates, failures, custody verification."""

import hashlib
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from PIL import Image

from casework.evidence import services
from casework.evidence.models import CustodyEvent, MediaItem, NearDuplicate, ProcessingState
from casework.evidence.samples import jpeg_bytes, reencode_video, scene_image, write_video
from casework.evidence.services import media_ingest_path, media_ingest_stream, media_process
from tests.conftest import wait_for
from tests.evidence.tampering import flip_one_byte, raw_sql
from tests.factories import CaseFactory, UserFactory

CAPTURE = datetime(2017, 9, 19, 10, 41, 7)


def ingest_bytes(case, user, content: bytes, name: str = "file.jpg") -> MediaItem:
    return media_ingest_stream(
        stream=io.BytesIO(content),
        case=case,
        original_filename=name,
        source="activist_message",
        acquired_by=user,
    ).item


def processed(item: MediaItem, timeout: float = 90) -> MediaItem:
    def finished():
        row = MediaItem.objects.get(pk=item.pk)
        return row if row.processing_state not in (ProcessingState.PENDING, ProcessingState.PROCESSING) else None

    return wait_for(finished, timeout=timeout, what=f"the worker to process media item {item.pk}")


@pytest.fixture
def worker_case(db):
    case = CaseFactory(reference="CW-0777")
    user = UserFactory(username="field_researcher")
    return case, user


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_extracts_capture_time_gps_and_device_from_a_jpeg(celery_worker_process, worker_case):
    case, user = worker_case
    content = jpeg_bytes(
        seed=5,
        capture_time=CAPTURE,
        utc_offset="+03:00",
        latitude=35.930600,
        longitude=-36.633900,
        make="Samsung",
        model="SM-J500F",
    )
    with transaction.atomic():
        item = ingest_bytes(case, user, content)
    item = processed(item)
    assert item.processing_state == "done", item.processing_error
    assert item.capture_time == datetime(2017, 9, 19, 7, 41, 7, tzinfo=UTC)
    assert (item.latitude, item.longitude) == (Decimal("35.930600"), Decimal("-36.633900"))
    assert (item.device_make, item.device_model) == ("Samsung", "SM-J500F")
    assert (item.width, item.height) == (960, 720)
    assert item.metadata  # the full raw metadata is kept
    with default_storage.open(item.thumbnail.name, "rb") as thumbnail:
        assert max(Image.open(thumbnail).size) <= 480
    with default_storage.open(item.original.name, "rb") as original:
        assert hashlib.sha256(original.read()).hexdigest() == item.sha256  # the original is untouched
    assert CustodyEvent.objects.filter(object_id=str(item.pk), action="metadata_extracted").count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_extracts_duration_and_codecs_from_a_video(celery_worker_process, worker_case, tmp_path):
    case, user = worker_case
    video = write_video(tmp_path / "clip.mp4", seconds=2, size="320x240", rate=25)
    with transaction.atomic():
        item = media_ingest_path(path=video, case=case, source="witness", acquired_by=user).item
    item = processed(item)
    assert item.processing_state == "done", item.processing_error
    assert item.kind == "video"
    assert item.duration_seconds == pytest.approx(2.0, abs=0.15)
    assert (item.video_codec, item.audio_codec) == ("h264", "aac")
    assert (item.width, item.height, round(item.frame_rate)) == (320, 240, 25)
    assert item.thumbnail.name and item.keyframes


@pytest.mark.django_db
def test_resized_copy_is_a_possible_duplicate_and_an_unrelated_photo_is_not(case, intake_worker):
    original = ingest_bytes(case, intake_worker, jpeg_bytes(image=scene_image(31)))
    resized = ingest_bytes(case, intake_worker, jpeg_bytes(image=scene_image(31).resize((480, 360))))
    unrelated = ingest_bytes(case, intake_worker, jpeg_bytes(image=scene_image(32)))
    for item in (original, resized, unrelated):
        media_process(item_id=item.pk)
    pairs = {(pair.first_id, pair.second_id) for pair in NearDuplicate.objects.all()}
    assert pairs == {tuple(sorted((original.pk, resized.pk)))}


@pytest.mark.django_db
def test_reencoded_video_is_a_possible_duplicate(case, intake_worker, tmp_path):
    first = write_video(tmp_path / "a.mp4", seconds=2, size="320x240")
    reposted = reencode_video(first, tmp_path / "b.mp4", size="240x180", rate=15)
    unrelated = write_video(tmp_path / "c.mp4", seconds=2, size="320x240", pattern="smptebars")
    items = [
        media_ingest_path(path=path, case=case, source="social_media", acquired_by=intake_worker).item
        for path in (first, reposted, unrelated)
    ]
    for item in items:
        media_process(item_id=item.pk)
    pairs = {(pair.first_id, pair.second_id) for pair in NearDuplicate.objects.all()}
    assert pairs == {(items[0].pk, items[1].pk)}


@pytest.mark.django_db
def test_processing_twice_gives_one_result(case, intake_worker):
    item = ingest_bytes(case, intake_worker, jpeg_bytes(seed=8, capture_time=CAPTURE))
    media_process(item_id=item.pk)
    media_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.processing_state == "done" and item.processing_attempts == 1
    assert CustodyEvent.objects.filter(object_id=str(item.pk), action="metadata_extracted").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "state"),
    [
        (jpeg_bytes(seed=3)[:2000], "failed"),  # truncated JPEG
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x13" * 4000, "failed"),  # corrupt MP4
    ],
    ids=["truncated-jpeg", "corrupt-mp4"],
)
def test_broken_file_ends_failed_with_a_reason_and_the_original_is_kept(case, intake_worker, content, state):
    item = ingest_bytes(case, intake_worker, content)
    media_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.processing_state in ("failed", "quarantined")
    assert item.processing_error
    with default_storage.open(item.original.name, "rb") as original:
        assert original.read() == content
    assert CustodyEvent.objects.filter(object_id=str(item.pk), action="processing_failed").count() == 1


@pytest.mark.django_db
def test_decompression_bomb_is_quarantined(case, intake_worker):
    bomb = io.BytesIO()
    Image.new("1", (30000, 30000)).save(bomb, "PNG")
    item = ingest_bytes(case, intake_worker, bomb.getvalue(), "bomb.png")
    media_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.processing_state == "quarantined"
    assert item.processing_error


@pytest.mark.django_db
def test_item_that_keeps_killing_its_worker_is_given_up_after_a_few_attempts(case, intake_worker):
    item = ingest_bytes(case, intake_worker, jpeg_bytes(seed=9))
    # As if three workers had claimed it and died: the claim is stale and the attempts are used up.
    MediaItem.objects.filter(pk=item.pk).update(
        processing_state="processing",
        processing_attempts=services.MAX_PROCESSING_ATTEMPTS,
        processing_started_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    media_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.processing_state == "failed"
    assert "giving up" in item.processing_error


@pytest.mark.django_db
def test_sweep_re_enqueues_items_whose_message_was_lost(
    case, intake_worker, settings, django_capture_on_commit_callbacks
):
    from casework.evidence.tasks import media_sweep_unprocessed_task

    settings.CELERY_TASK_ALWAYS_EAGER = True
    item = ingest_bytes(case, intake_worker, jpeg_bytes(seed=10, capture_time=CAPTURE))  # on_commit never ran
    MediaItem.objects.filter(pk=item.pk).update(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert media_sweep_unprocessed_task() == 1
    item.refresh_from_db()
    assert item.processing_state == "done"


@pytest.mark.django_db
def test_verify_custody_passes_then_names_the_altered_item(case, intake_worker, capsys):
    intact = ingest_bytes(case, intake_worker, jpeg_bytes(seed=11))
    altered = ingest_bytes(case, intake_worker, jpeg_bytes(seed=12))
    call_command("verify_custody")
    assert "Custody verified" in capsys.readouterr().out
    flip_one_byte(altered.original.name)
    with pytest.raises(CommandError, match="FAILED"):
        call_command("verify_custody")
    errors = capsys.readouterr().err
    assert f"media item {altered.pk} " in errors and "altered" in errors
    assert f"media item {intact.pk} " not in errors


@pytest.mark.django_db
def test_verify_custody_names_an_edited_or_deleted_event(case, intake_worker, capsys):
    item = ingest_bytes(case, intake_worker, jpeg_bytes(seed=13))
    later = ingest_bytes(case, intake_worker, jpeg_bytes(seed=14))
    ingest_bytes(case, intake_worker, jpeg_bytes(seed=15))  # so the deleted event is not the newest
    received = CustodyEvent.objects.get(object_id=str(item.pk), action="received")
    raw_sql("UPDATE evidence_custodyevent SET actor_label = %s WHERE id = %s", ["someone-else", received.pk])
    with pytest.raises(CommandError):
        call_command("verify_custody")
    assert f"event #{received.sequence} (evidence.mediaitem:{item.pk}): was edited" in capsys.readouterr().err
    deleted = CustodyEvent.objects.get(object_id=str(later.pk), action="received")
    raw_sql("DELETE FROM evidence_custodyevent WHERE id = %s", [deleted.pk])
    with pytest.raises(CommandError):
        call_command("verify_custody")
    errors = capsys.readouterr().err
    assert f"#{deleted.sequence} are missing (deleted)" in errors
    assert f"media item {later.pk} " in errors and "no 'received' custody event" in errors


@pytest.mark.django_db
def test_transient_error_releases_the_claim_so_the_retry_processes_it(case, intake_worker, monkeypatch):
    from django.db import OperationalError

    from casework.evidence.tasks import TRANSIENT_ERRORS, media_process_task

    item = ingest_bytes(case, intake_worker, jpeg_bytes(seed=16, capture_time=CAPTURE))
    real_save = services._save_probe_result

    def database_gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "_save_probe_result", database_gone)
    with pytest.raises(OperationalError):
        media_process(item_id=item.pk)
    item.refresh_from_db()
    assert (item.processing_state, item.processing_attempts) == ("pending", 1)
    assert OperationalError in TRANSIENT_ERRORS and media_process_task.max_retries == 5

    monkeypatch.setattr(services, "_save_probe_result", real_save)
    media_process(item_id=item.pk)
    item.refresh_from_db()
    assert (item.processing_state, item.processing_attempts) == ("done", 2)


@pytest.mark.django_db
def test_truncated_mp4_ends_failed_as_incomplete_not_done_with_its_full_duration(case, intake_worker, tmp_path):
    from casework.evidence.samples import truncate_media_data

    whole = write_video(tmp_path / "whole.mp4", seconds=6, faststart=True)
    cut = truncate_media_data(whole, tmp_path / "cut.mp4", keep=1 / 3)
    item = media_ingest_path(path=cut, case=case, source="witness", acquired_by=intake_worker).item
    media_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.processing_state == "failed"
    assert item.processing_error.startswith("The file is incomplete: it declares 6.0 seconds of media")
    assert item.duration_seconds is None and not item.thumbnail
    failure = CustodyEvent.objects.get(object_id=str(item.pk), action="processing_failed")
    assert failure.details["reason"] == item.processing_error
    with default_storage.open(item.original.name, "rb") as original:
        assert original.read() == cut.read_bytes()  # kept as received

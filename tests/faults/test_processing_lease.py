"""A media item is held by a short lease that its worker renews while working: the redelivered task of a killed
worker (or of one cut off from the database) takes the item over within a lease, instead of ~20 minutes."""

import io
import time

import pytest
from django.utils import timezone

from casework.evidence import services
from casework.evidence.models import MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import ProcessingLeaseHeld, media_claim_for_processing, media_ingest_stream
from casework.evidence.tasks import media_process_task
from tests.conftest import _test_database_url, running_worker, wait_for


def ingest(case, user, seed: int) -> MediaItem:
    return media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=seed)),
        case=case,
        original_filename="photo.jpg",
        source="activist_message",
        acquired_by=user,
    ).item


@pytest.mark.django_db(transaction=True)
def test_the_lease_is_renewed_while_the_worker_is_busy_so_no_second_worker_takes_the_item(
    case, intake_worker, settings, monkeypatch
):
    settings.CASEWORK_MEDIA_LEASE_SECONDS = 0.4
    item = ingest(case, intake_worker, seed=31)
    real_probe = services.probe_media
    refused = []

    def slow_probe(*args, **kwargs):
        time.sleep(1.2)  # three leases long: only the renewals keep the item ours
        try:
            media_claim_for_processing(item_id=item.pk)
        except ProcessingLeaseHeld:
            refused.append(True)
        return real_probe(*args, **kwargs)

    monkeypatch.setattr(services, "probe_media", slow_probe)
    services.media_process(item_id=item.pk)
    item.refresh_from_db()
    assert refused == [True]
    assert (item.processing_state, item.processing_attempts) == ("done", 1)


@pytest.mark.django_db
def test_a_fresh_claim_of_another_worker_is_retried_not_dropped(case, intake_worker):
    item = ingest(case, intake_worker, seed=32)
    MediaItem.objects.filter(pk=item.pk).update(processing_state="processing", processing_started_at=timezone.now())
    with pytest.raises(ProcessingLeaseHeld) as held:
        media_claim_for_processing(item_id=item.pk)
    assert 1 <= held.value.retry_in <= services.processing_lease().total_seconds() + 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redelivered_task_of_a_dead_worker_processes_the_item_within_a_lease(
    case, intake_worker, django_db_blocker, isolated_media_root, tmp_path
):
    """As the broker does after a worker is killed: the task comes again while the dead worker's claim is fresh."""
    item = ingest(case, intake_worker, seed=33)
    with django_db_blocker.unblock():
        database_url = _test_database_url()
    with running_worker(
        log_path=tmp_path / "worker.log",
        media_root=isolated_media_root,
        database_url=database_url,
        extra_env={"CASEWORK_MEDIA_LEASE_SECONDS": "2"},
    ):
        MediaItem.objects.filter(pk=item.pk).update(
            processing_state="processing", processing_started_at=timezone.now(), processing_attempts=1
        )
        media_process_task.delay(item.pk)
        wait_for(
            lambda: MediaItem.objects.get(pk=item.pk).processing_state == "done",
            timeout=60,
            what="the redelivered task to process the item",
        )
    assert MediaItem.objects.get(pk=item.pk).processing_attempts == 2

from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from casework.evidence import services, uploads
from casework.evidence.models import MediaItem, ProcessingState
from casework.queueing import enqueue_now

# Errors worth retrying: the database or the storage was briefly unreachable.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    bind=True,
    acks_late=True,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def media_process_task(self, item_id: int) -> None:
    """Takes an id only; the claim inside the service makes a second delivery a no-op, or (while another
    worker's lease is alive) a retry once that lease would run out: a redelivery after a worker was killed
    takes the item over within a lease, not never."""
    try:
        services.media_process(item_id=item_id)
    except services.ProcessingLeaseHeld as held:
        raise self.retry(countdown=held.retry_in, max_retries=None) from None


# Items still pending this long after intake lost their message (e.g. a crash between commit and publish).
SWEEP_GRACE = timedelta(minutes=5)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def media_sweep_unprocessed_task() -> int:
    cutoff = timezone.now() - SWEEP_GRACE
    stale_claim = timezone.now() - services.processing_lease()
    pending = MediaItem.objects.filter(processing_state=ProcessingState.PENDING, created_at__lt=cutoff)
    abandoned = MediaItem.objects.filter(
        processing_state=ProcessingState.PROCESSING, processing_started_at__lt=stale_claim
    )
    item_ids = list(pending.values_list("pk", flat=True)) + list(abandoned.values_list("pk", flat=True))
    return sum(enqueue_now(media_process_task, item_id) for item_id in item_ids)


@shared_task(acks_late=True, soft_time_limit=5 * 60, time_limit=6 * 60)
def uploads_remove_expired_task() -> int:
    """Removes unfinished resumable uploads past their expiry; safe to run twice."""
    from casework.evidence.resumable import uploads_remove_expired

    return uploads_remove_expired()


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def incoming_clean_task() -> int:
    """On the beat schedule: the temporary files of uploads that died part-way are deleted."""
    return uploads.incoming_clean()

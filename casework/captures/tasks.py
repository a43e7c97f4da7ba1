from celery import shared_task
from django.conf import settings

from casework.captures import selectors, services
from casework.evidence.tasks import TRANSIENT_ERRORS
from casework.queueing import enqueue_now


@shared_task(
    acks_late=True,
    soft_time_limit=settings.CASEWORK_CAPTURE_SECONDS + 60,
    time_limit=settings.CASEWORK_CAPTURE_SECONDS + 90,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=3,
)
def capture_run_task(capture_id: int) -> None:
    """Takes an id only; the claim inside the service makes a second delivery a no-op."""
    services.capture_run(capture_id=capture_id)


@shared_task(acks_late=True, soft_time_limit=settings.CASEWORK_CAPTURE_CHECK_SECONDS * 3, time_limit=120)
def capture_recheck_task(capture_id: int) -> None:
    services.capture_recheck(capture_id=capture_id)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def captures_watch_task() -> int:
    """On the beat schedule: queue a re-check of every captured source due for one (a bounded batch)."""
    return sum(enqueue_now(capture_recheck_task, capture_id) for capture_id in selectors.captures_due_for_check())


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def captures_sweep_task() -> int:
    """On the beat schedule: captures whose message was lost, or whose worker died, are sent again."""
    return sum(enqueue_now(capture_run_task, capture_id) for capture_id in selectors.captures_stalled())

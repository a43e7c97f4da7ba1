from celery import shared_task
from django.db import InterfaceError, OperationalError

from casework.bundles import services
from casework.queueing import enqueue_now

# Errors worth retrying: the database was briefly unreachable. The build is left queued, not failed.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
TRANSIENT_RETRY_MAX_SECONDS = 300


@shared_task(bind=True, acks_late=True, soft_time_limit=3 * 60 * 60, time_limit=3 * 60 * 60 + 300, max_retries=None)
def bundle_build_task(self, bundle_id: int) -> None:
    try:
        services.bundle_build(bundle_id=bundle_id)
    except services.LeaseHeld as held:
        # Another delivery is building it, or a worker died holding the lease: look again when it ends.
        raise self.retry(countdown=held.retry_in) from None
    except TRANSIENT_ERRORS as error:
        # If the retry is lost too (the broker is down as well), bundles_sweep_task finds the packet.
        countdown = min(TRANSIENT_RETRY_MAX_SECONDS, 5 * 2 ** min(self.request.retries, 6))
        raise self.retry(exc=error, countdown=countdown) from None


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def bundles_sweep_task() -> int:
    """On the beat schedule: send again the builds of packets no worker is on (see bundles_stalled)."""
    return sum(enqueue_now(bundle_build_task, bundle_id) for bundle_id in services.bundles_stalled())


@shared_task(acks_late=True, soft_time_limit=10 * 60, time_limit=11 * 60)
def bundles_expire_task() -> None:
    """On the beat schedule: packets past the retention period lose their file."""
    services.bundles_expire()

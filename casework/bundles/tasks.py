from celery import shared_task

from casework.bundles import services


@shared_task(bind=True, acks_late=True, soft_time_limit=3 * 60 * 60, time_limit=3 * 60 * 60 + 300, max_retries=None)
def bundle_build_task(self, bundle_id: int) -> None:
    try:
        services.bundle_build(bundle_id=bundle_id)
    except services.LeaseHeld as held:
        # Another delivery is building it, or a worker died holding the lease: look again when it ends.
        raise self.retry(countdown=held.retry_in) from None


@shared_task(acks_late=True, soft_time_limit=10 * 60, time_limit=11 * 60)
def bundles_expire_task() -> None:
    """On the beat schedule: packets past the retention period lose their file."""
    services.bundles_expire()

from celery import shared_task
from django.db import InterfaceError, OperationalError

from casework.incidents.linkage import services as linkage

# Errors worth retrying: the database was briefly unreachable.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    acks_late=True,
    soft_time_limit=15 * 60,
    time_limit=16 * 60,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def linkage_find_candidates_task(case_id: int) -> int:
    """Find the case's candidate pairs of victim records. Safe to run twice: the search replaces the case's
    candidates (under a lock on the case), so a second run stores the same pairs once; a case that is gone
    stores nothing."""
    return linkage.linkage_find_candidates(case_id=case_id)

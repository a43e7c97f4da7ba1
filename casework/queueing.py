"""Handing work to the Celery worker without letting a broker outage fail the write that asked for it."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_after_commit(task, *args) -> None:
    """Send `task(*args)` once the current transaction commits; if the broker cannot take it, log and go on.

    The record is already stored when this runs, so the request must still succeed: the work waits in its
    record's state (media "pending", a packet "queued") and a sweep on the beat schedule sends it again.
    """
    transaction.on_commit(lambda: enqueue_now(task, *args))


def enqueue_now(task, *args) -> bool:
    """Send `task(*args)`; False (logged) when the broker is unreachable, for a sweep to send it later."""
    try:
        task.delay(*args)
    except Exception:  # kombu, redis-py and socket errors have no common base
        logger.warning("Could not send %s%r to the broker; a sweep will send it later", task.name, args, exc_info=True)
        return False
    return True

"""Reads for captures."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from casework.captures.models import Capture, CaptureState

# Captures still queued this long after the request lost their message: the sweep sends them again.
SWEEP_GRACE = timedelta(minutes=5)


def capture_lease() -> timedelta:
    # Longer than a capture may take: a claim older than this belongs to a worker that died.
    return timedelta(seconds=settings.CASEWORK_CAPTURE_SECONDS + 120)


def captures_stalled(*, now: datetime | None = None) -> list[int]:
    """Ids of the captures no worker is on: queued for longer than SWEEP_GRACE (the message was lost), or
    running with a claim older than the lease (the worker died)."""
    now = now or timezone.now()
    stalled = Capture.objects.filter(
        Q(state=CaptureState.QUEUED, requested_at__lt=now - SWEEP_GRACE)
        | Q(state=CaptureState.RUNNING, started_at__lt=now - capture_lease())
    )
    return list(stalled.values_list("pk", flat=True))


def captures_due_for_check(*, now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Ids of captured sources whose last check (or capture) is older than CASEWORK_CAPTURE_WATCH_HOURS."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.CASEWORK_CAPTURE_WATCH_HOURS)
    due = Capture.objects.filter(state=CaptureState.DONE).filter(
        Q(last_checked_at__lt=cutoff) | Q(last_checked_at__isnull=True, captured_at__lt=cutoff)
    )
    return list(
        due.order_by(F("last_checked_at").asc(nulls_first=True), "id").values_list("pk", flat=True)[
            : limit or settings.CASEWORK_CAPTURE_WATCH_BATCH
        ]
    )

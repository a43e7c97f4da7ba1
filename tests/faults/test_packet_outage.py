"""A packet whose build loses the database is retried, never left "running"; one whose worker died is swept."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.db import OperationalError
from django.utils import timezone

from casework.bundles import services, tasks
from casework.bundles.models import EvidenceBundle

pytestmark = pytest.mark.django_db


def packet(case, analyst, **fields) -> EvidenceBundle:
    return EvidenceBundle.objects.create(
        case=case, scope="case", recipient="Court", profile="court", requested_by=analyst, **fields
    )


def test_database_outage_mid_build_puts_the_packet_back_in_the_queue_and_retries(case, analyst, monkeypatch):
    bundle = packet(case, analyst)

    def database_goes_away(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "build_packet", database_goes_away)
    monkeypatch.setattr(tasks.bundle_build_task, "retry", lambda **kwargs: Retry(when=kwargs["countdown"]))
    with pytest.raises(Retry):
        tasks.bundle_build_task.run(bundle.pk)
    bundle.refresh_from_db()
    assert (bundle.status, bundle.failure_reason, bundle.lease_token) == ("queued", "", "")

    monkeypatch.undo()
    tasks.bundle_build_task.run(bundle.pk)
    bundle.refresh_from_db()
    assert bundle.status == "ready"


def test_packet_left_running_by_a_dead_build_is_swept_once_its_lease_runs_out(case, analyst):
    now = timezone.now()
    dead = packet(case, analyst, status="running", lease_token="x", lease_expires_at=now - timedelta(seconds=1))
    alive = packet(case, analyst, status="running", lease_token="y", lease_expires_at=now + timedelta(minutes=1))
    lost = packet(case, analyst, status="queued")
    EvidenceBundle.objects.filter(pk=lost.pk).update(requested_at=now - timedelta(minutes=6))
    fresh = packet(case, analyst, status="queued")
    packet(case, analyst, status="failed", failure_reason="disk full")
    assert services.bundles_stalled() == [dead.pk, lost.pk]
    assert alive.pk not in services.bundles_stalled() and fresh.pk not in services.bundles_stalled()
    services.bundle_build(bundle_id=dead.pk)
    dead.refresh_from_db()
    assert dead.status == "ready"


def test_the_packet_sweep_is_on_the_beat_schedule(settings):
    tasks_on_schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "casework.bundles.tasks.bundles_sweep_task" in tasks_on_schedule
